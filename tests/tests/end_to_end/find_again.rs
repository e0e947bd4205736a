//! A `find` that was refused succeeds once the document exists: the client asks afresh rather
//! than waiting on the answer to its first request.

use std::time::Duration;

use agora_client::{Client, ClientError, DocumentId};
use agora_tests::editing::document_with_text;
use agora_tests::{RawPeer, TestServer};
use automerge::sync;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_after_unavailable_gets_the_document_once_it_exists() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let client = Client::connect(&server.sync_url()).await.unwrap();
    let id = DocumentId::random();

    assert!(matches!(
        client.find(id).await,
        Err(ClientError::Unavailable(_))
    ));

    // Another peer creates the document under that id.
    let mut doc = document_with_text("Fysiske rammer");
    let mut creator = RawPeer::joined(&server.sync_url()).await;
    creator
        .sync_doc(id, &mut doc, &mut sync::State::new())
        .await;

    let found = tokio::time::timeout(Duration::from_secs(15), client.find(id))
        .await
        .expect("find answers in time")
        .expect("the document is there now");
    found
        .wait_for(Duration::from_secs(10), |d| {
            d.get_heads() == doc.get_heads()
        })
        .await
        .unwrap();
    assert_eq!(found.text(), "Fysiske rammer");
    server.stop().await;
}
