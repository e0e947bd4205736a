//! The client against the official Node sync server (automerge-repo 2.5.6): create, find,
//! concurrent edits, unavailable documents, ephemeral messages, reconnecting.

mod common;

use std::time::Duration;

use agora_client::{Client, ClientError, ClientOptions, DocHandle, DocumentId};
use automerge::ReadDoc;
use common::{require_npm, NodeServer};
use tokio::time::Instant;

const WAIT: Duration = Duration::from_secs(20);

/// Waits until both handles hold the same changes, waking on a change to either.
async fn converge(a: &DocHandle, b: &DocHandle) {
    let deadline = Instant::now() + WAIT;
    let (mut changes_a, mut changes_b) = (a.changes(), b.changes());
    while a.heads() != b.heads() {
        tokio::select! {
            _ = changes_a.changed() => {}
            _ = changes_b.changed() => {}
            _ = tokio::time::sleep_until(deadline) => panic!("the documents did not converge"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_edit_one_document_and_converge() {
    require_npm();
    let dir = tempfile::tempdir().unwrap();
    let server = NodeServer::start(0, dir.path()).await;
    let alice = Client::connect(&server.url()).await.unwrap();
    let bob = Client::connect(&server.url()).await.unwrap();
    assert_ne!(alice.peer_id(), bob.peer_id());
    assert!(alice
        .server_peer_id()
        .as_str()
        .starts_with("storage-server-"));

    let doc_a = alice.create().await.unwrap();
    doc_a.append_text("Grüße 😀").unwrap();
    doc_a.wait_synced(WAIT).await.unwrap();
    let doc_b = bob.find(doc_a.id()).await.unwrap();
    doc_b
        .wait_for(WAIT, |doc| !doc.get_heads().is_empty())
        .await
        .unwrap();
    assert_eq!(doc_b.text(), "Grüße 😀");

    // Both type at once: Alice at the front, Bob at the end.
    let typing_a = async {
        for i in 0..20 {
            doc_a.splice_text(0, 0, &format!("a{i} ")).unwrap();
            tokio::task::yield_now().await;
        }
    };
    let typing_b = async {
        for i in 0..20 {
            doc_b.append_text(&format!(" b{i}")).unwrap();
            tokio::task::yield_now().await;
        }
    };
    tokio::join!(typing_a, typing_b);
    doc_a.wait_synced(WAIT).await.unwrap();
    doc_b.wait_synced(WAIT).await.unwrap();
    converge(&doc_a, &doc_b).await;
    let text = doc_a.text();
    assert_eq!(text, doc_b.text());
    assert!(text.starts_with("a19 a18"), "{text}");
    assert!(
        text.ends_with(
            "Grüße 😀 b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 b10 b11 b12 b13 b14 b15 b16 b17 b18 b19"
        ),
        "{text}"
    );
    // Positions are UTF-16 code units, as in the browser: 😀 counts two.
    let emoji_at = text.encode_utf16().count() - " b0".len() * 10 - " b10".len() * 10 - 2;
    doc_a.splice_text(emoji_at, 2, "🎉").unwrap();
    converge(&doc_a, &doc_b).await;
    assert!(doc_b.text().contains("Grüße 🎉 b0"), "{}", doc_b.text());

    alice.close().await;
    bob.close().await;
    assert!(!alice.is_connected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finding_an_unknown_document_fails_as_unavailable() {
    require_npm();
    let dir = tempfile::tempdir().unwrap();
    let server = NodeServer::start(0, dir.path()).await;
    let client = Client::connect(&server.url()).await.unwrap();
    let id = DocumentId::random();
    let started = Instant::now();
    match client.find(id).await {
        Err(ClientError::Unavailable(missing)) => assert_eq!(missing, id),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    // The client stays usable.
    let doc = client.create().await.unwrap();
    doc.wait_synced(WAIT).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_messages_pass_between_clients() {
    require_npm();
    let dir = tempfile::tempdir().unwrap();
    let server = NodeServer::start(0, dir.path()).await;
    let alice = Client::connect(&server.url()).await.unwrap();
    let bob = Client::connect(&server.url()).await.unwrap();
    let doc_a = alice.create().await.unwrap();
    doc_a.wait_synced(WAIT).await.unwrap();
    let doc_b = bob.find(doc_a.id()).await.unwrap();
    let mut inbox_a = doc_a.ephemeral();

    // CBOR text "hello". Resend until it arrives: the server relays only to peers it already
    // knows sync this document, and that knowledge races with our first message.
    let payload = vec![0x65, b'h', b'e', b'l', b'l', b'o'];
    let deadline = Instant::now() + WAIT;
    let (sender, data) = loop {
        doc_b.broadcast(payload.clone()).unwrap();
        let wait = tokio::time::timeout(Duration::from_millis(300), inbox_a.recv()).await;
        if let Ok(received) = wait {
            break received.expect("ephemeral channel open");
        }
        assert!(Instant::now() < deadline, "no ephemeral message arrived");
    };
    assert_eq!(&sender, bob.peer_id());
    assert_eq!(data, payload);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_made_while_the_server_is_down_sync_after_it_returns() {
    require_npm();
    let dir = tempfile::tempdir().unwrap();
    let server = NodeServer::start(0, dir.path()).await;
    let port = server.port;
    let url = server.url();
    let options = ClientOptions {
        reconnect: true,
        ..ClientOptions::default()
    };
    let alice = Client::connect_with(&url, options).await.unwrap();
    let doc = alice.create().await.unwrap();
    doc.append_text("before").unwrap();
    doc.wait_synced(WAIT).await.unwrap();

    server.kill().await;
    let deadline = Instant::now() + WAIT;
    while alice.is_connected() {
        assert!(
            Instant::now() < deadline,
            "the client did not notice the server died"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doc.append_text(" offline").unwrap();
    assert_eq!(doc.text(), "before offline");

    let _restarted = NodeServer::start(port, dir.path()).await;
    doc.wait_synced(WAIT).await.unwrap();
    assert!(alice.is_connected());

    let bob = Client::connect(&url).await.unwrap();
    let seen = bob.find(doc.id()).await.unwrap();
    seen.wait_for(WAIT, |d| {
        agora_client::text_object(d)
            .is_some_and(|t| d.text(&t).unwrap_or_default() == "before offline")
    })
    .await
    .unwrap();
}
