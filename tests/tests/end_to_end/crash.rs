//! `kill -9` of the real server process while clients edit, over many random kill points.
//!
//! After each kill, every change that any client had received from the server must be in the
//! store (the server stores before it tells anyone), checked on a side instance before the
//! clients can reconnect. Then the server comes back on its port, the clients reconnect with the
//! edits they kept, and everyone converges with nothing lost.

use std::collections::HashSet;
use std::time::Duration;

use agora_client::{Client, ClientOptions, DocHandle};
use agora_tests::editing::{change_hashes, random_edit, rng};
use agora_tests::server::free_port;
use agora_tests::ServerProcess;
use automerge::ChangeHash;
use rand::Rng;
use tokio_util::sync::CancellationToken;

const SETTLE: Duration = Duration::from_secs(30);

/// Kill points per run; `AGORA_CRASH_ROUNDS` asks for more.
fn rounds() -> usize {
    std::env::var("AGORA_CRASH_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
}

fn options() -> ClientOptions {
    ClientOptions {
        reconnect_min_delay: Duration::from_millis(20),
        reconnect_max_delay: Duration::from_millis(200),
        ..ClientOptions::default()
    }
}

/// Changes this handle holds that another peer made: it can only have them from the server.
fn received_from_others(handle: &DocHandle) -> HashSet<ChangeHash> {
    handle.with_doc(|doc| {
        let me = doc.get_actor().clone();
        doc.get_changes(&[])
            .into_iter()
            .filter(|change| *change.actor_id() != me)
            .map(|change| change.hash())
            .collect()
    })
}

fn all_changes(handle: &DocHandle) -> HashSet<ChangeHash> {
    handle.with_doc(change_hashes)
}

/// Fetches the document from a server that none of the editing clients can reach.
async fn stored_changes(url: &str, handle: &DocHandle) -> HashSet<ChangeHash> {
    let reader = Client::connect_with(
        url,
        ClientOptions {
            reconnect: false,
            ..options()
        },
    )
    .await
    .unwrap();
    let fetched = reader.find(handle.id()).await.unwrap();
    // A fresh peer gets the whole document at once; wait until it stops growing.
    let mut last = fetched.heads();
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = fetched.heads();
        if now == last {
            break;
        }
        last = now;
    }
    let changes = all_changes(&fetched);
    reader.close().await;
    changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_clients_edit_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = ServerProcess::start(port, data.path(), &[]).await;
    let url = server.sync_url();

    let mut clients = Vec::new();
    let first = Client::connect_with(&url, options()).await.unwrap();
    let created = first.create().await.unwrap();
    created.append_text("Protokoll der Teamsitzung: ").unwrap();
    created.wait_synced(SETTLE).await.unwrap();
    let id = created.id();
    clients.push((first, created));
    for _ in 0..2 {
        let client = Client::connect_with(&url, options()).await.unwrap();
        let handle = client.find(id).await.unwrap();
        clients.push((client, handle));
    }

    let mut timing = rng(7);
    for round in 0..rounds() {
        let stop = CancellationToken::new();
        let typists: Vec<_> = clients
            .iter()
            .enumerate()
            .map(|(i, (_, handle))| {
                let (handle, stop) = (handle.clone(), stop.clone());
                tokio::spawn(async move {
                    let mut rng = rng((round * 10 + i) as u64);
                    while !stop.is_cancelled() {
                        random_edit(&handle, &mut rng);
                        tokio::time::sleep(Duration::from_millis(rng.random_range(0..4))).await;
                    }
                })
            })
            .collect();

        tokio::time::sleep(Duration::from_millis(timing.random_range(30..400))).await;
        server.kill9().await;
        // What any client had received from the server when it died.
        let received: HashSet<ChangeHash> = clients
            .iter()
            .flat_map(|(_, h)| received_from_others(h))
            .collect();
        // The typists go on a little while the server is down; they keep those edits.
        tokio::time::sleep(Duration::from_millis(timing.random_range(0..150))).await;
        stop.cancel();
        for typist in typists {
            typist.await.unwrap();
        }

        let side = ServerProcess::start(free_port(), data.path(), &[]).await;
        let stored = stored_changes(&side.sync_url(), &clients[0].1).await;
        let lost: Vec<_> = received.difference(&stored).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} changes that clients had received are not stored",
            lost.len()
        );
        side.terminate().await;

        server = ServerProcess::start(port, data.path(), &[]).await;
        let everything: HashSet<ChangeHash> =
            clients.iter().flat_map(|(_, h)| all_changes(h)).collect();
        for (_, handle) in &clients {
            handle.wait_synced(SETTLE).await.unwrap();
        }
        agora_tests::eventually("clients converge after the restart", SETTLE, || {
            let heads: Vec<_> = clients.iter().map(|(_, h)| h.heads()).collect();
            async move { heads.iter().all(|h| *h == heads[0]) }
        })
        .await;
        let stored = stored_changes(&server.sync_url(), &clients[0].1).await;
        assert!(
            everything.is_subset(&stored),
            "round {round}: edits made by clients were lost"
        );
        let text = clients[0].1.text();
        for (_, handle) in &clients {
            assert_eq!(handle.text(), text);
        }
    }
    server.terminate().await;
}
