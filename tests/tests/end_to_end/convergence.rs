//! Several Rust clients edit one document at once; all of them and the server end with the same
//! heads and text, and again after the server restarts.

use std::time::Duration;

use agora_client::{Client, DocHandle};
use agora_tests::editing::{random_edit, rng, text_of};
use agora_tests::TestServer;
use automerge::Automerge;

const SETTLE: Duration = Duration::from_secs(30);

async fn converge(clients: usize, edits_each: usize, seed: u64) {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let url = server.sync_url();

    let first = Client::connect(&url).await.unwrap();
    let created = first.create().await.unwrap();
    created.append_text("Unsere Grundsätze: ").unwrap();
    created.wait_synced(SETTLE).await.unwrap();
    let id = created.id();

    let mut handles: Vec<(Client, DocHandle)> = vec![(first, created)];
    for _ in 1..clients {
        let client = Client::connect(&url).await.unwrap();
        let handle = client.find(id).await.unwrap();
        handles.push((client, handle));
    }

    // Everyone types at once.
    let typists: Vec<_> = handles
        .iter()
        .enumerate()
        .map(|(i, (_, handle))| {
            let handle = handle.clone();
            tokio::spawn(async move {
                let mut rng = rng(seed + i as u64);
                for k in 0..edits_each {
                    random_edit(&handle, &mut rng);
                    if k % 4 == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            })
        })
        .collect();
    for typist in typists {
        typist.await.unwrap();
    }
    assert_converged(&server, &handles).await;

    // The server restarts; the clients reconnect, and the document is whole.
    let server = server.restart().await;
    let (_, last) = handles.last().unwrap();
    last.append_text(" – nach dem Neustart").unwrap();
    assert_converged(&server, &handles).await;
    let fresh = Client::connect(&server.sync_url()).await.unwrap();
    let fetched = fresh.find(id).await.unwrap();
    fetched
        .wait_for(SETTLE, |doc| doc.get_heads() == handles[0].1.heads())
        .await
        .unwrap();
    assert!(fetched.text().ends_with(" – nach dem Neustart"));
    server.stop().await;
}

/// Waits until every client has the same heads, then checks text and the server's copy.
async fn assert_converged(server: &TestServer, handles: &[(Client, DocHandle)]) {
    for (_, handle) in handles {
        handle.wait_synced(SETTLE).await.unwrap();
    }
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let heads: Vec<_> = handles.iter().map(|(_, h)| h.heads()).collect();
        if heads.iter().all(|h| *h == heads[0]) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "clients did not converge"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let text = handles[0].1.text();
    for (_, handle) in handles {
        assert_eq!(handle.text(), text);
    }
    let id = handles[0].1.id();
    let saved = server
        .state
        .sync
        .documents
        .save(id)
        .await
        .expect("server has the document");
    let on_server = Automerge::load(&saved).unwrap();
    assert_eq!(on_server.get_heads(), handles[0].1.heads());
    assert_eq!(text_of(&on_server), text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_converge() {
    converge(2, 300, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_clients_converge() {
    converge(10, 100, 100).await;
}
