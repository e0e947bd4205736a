//! Quiet connections rest without a task (`--rest-after`) and wake for everything that concerns
//! them: their peer's frames and its leaving, changes for them, an access change, a ping that is
//! due, and the server's shutdown. Nothing they are owed is lost while they rest.

use std::time::Duration;

use agora_client::Client;
use agora_schema::Message;
use agora_server::directory::{DocRole, GrantSubject};
use agora_tests::editing::text_of;
use agora_tests::people::{Cast, Role};
use agora_tests::raw_peer::Received;
use agora_tests::{eventually, RawPeer, TestServer};
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;

use crate::access_changes::{next_non_sync, revoke_reader, synced_reader};
use crate::peer_faults::connections_settle_at;

const WAIT: Duration = Duration::from_secs(10);

async fn resting_settles_at(server: &TestServer, expected: usize) {
    let resting = server.state.sync.resting.clone();
    eventually(&format!("{expected} resting connections"), WAIT, || {
        let count = resting.count();
        async move { count == expected }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resting_connections_wake_for_their_peer_and_for_changes_for_them() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--rest-after", "50ms"]).await;
    let writer = Client::connect(&server.sync_url()).await.unwrap();
    let written = writer.create().await.unwrap();
    written.append_text("Leitbild: ").unwrap();
    written.wait_synced(WAIT).await.unwrap();
    let reader = Client::connect(&server.sync_url()).await.unwrap();
    let read = reader.find(written.id()).await.unwrap();
    read.wait_for(WAIT, |doc| text_of(doc) == "Leitbild: ")
        .await
        .unwrap();
    resting_settles_at(&server, 2).await;

    // Each keystroke wakes the writer's connection through its socket, and the reader's
    // through its outbox; both rest again between them.
    for word in ["Wir ", "lernen ", "gemeinsam."] {
        written.append_text(word).unwrap();
        written.wait_synced(WAIT).await.unwrap();
        let expected = written.text();
        read.wait_for(WAIT, |doc| text_of(doc) == expected)
            .await
            .unwrap();
        resting_settles_at(&server, 2).await;
    }
    // The reader writes back from rest, too.
    read.append_text(" Vi lærer sammen.").unwrap();
    read.wait_synced(WAIT).await.unwrap();
    written
        .wait_for(WAIT, |doc| text_of(doc).ends_with("Vi lærer sammen."))
        .await
        .unwrap();

    // A peer that leaves a resting connection is let go.
    resting_settles_at(&server, 2).await;
    reader.close().await;
    drop(reader);
    connections_settle_at(&server, 1).await;
    resting_settles_at(&server, 1).await;

    // The shutdown wakes the resting writer and tells it the server is going away.
    let mut raw = RawPeer::joined(&server.sync_url()).await;
    resting_settles_at(&server, 2).await;
    // Well within the five seconds the server waits for connections that do not close.
    tokio::time::timeout(Duration::from_secs(3), server.stop())
        .await
        .expect("the server stops without waiting out its grace period");
    assert!(matches!(raw.recv().await, Received::Closed(Some(1001))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_change_reaches_a_resting_connection() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let mut reader = synced_reader(&server, &cast).await;
    resting_settles_at(&server, 1).await;
    let info = revoke_reader(&server, &cast, &mut reader).await;
    resting_settles_at(&server, 1).await;

    // Granted again while resting, the reader's `request` is answered.
    let request = Automerge::new().generate_sync_message(&mut sync::State::new());
    let request = reader.request_message(cast.statement, request.unwrap().encode());
    reader.send(&request).await;
    assert!(matches!(
        next_non_sync(&mut reader).await,
        Received::Message(Message::DocUnavailable { .. })
    ));
    resting_settles_at(&server, 1).await;
    server
        .state
        .directory
        .grant(
            &info,
            GrantSubject::Account(cast.person(Role::Reader).account.account_id),
            DocRole::Reader,
            &cast.person(Role::Owner).account,
        )
        .await
        .unwrap();
    match reader.recv().await {
        Received::Message(Message::Sync(body)) => assert_eq!(body.document_id, cast.statement),
        other => panic!("expected the document once access was granted, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resting_peer_that_stops_answering_pings_is_let_go_and_one_that_answers_stays() {
    let data = tempfile::tempdir().unwrap();
    let options = [
        "--rest-after",
        "20ms",
        "--ping-every",
        "150ms",
        "--pong-timeout",
        "500ms",
    ];
    let server = TestServer::start_with(data.path(), &options).await;
    let answering = Client::connect(&server.sync_url()).await.unwrap();
    let handle = answering.create().await.unwrap();
    handle.append_text("Qualität entsteht im Dialog.").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    // A peer that reads nothing sends no pongs.
    let _silent = RawPeer::joined(&server.sync_url()).await;
    connections_settle_at(&server, 2).await;
    resting_settles_at(&server, 2).await;

    // Pings wake both; only the silent one is given up, after the pong timeout.
    connections_settle_at(&server, 1).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(server.state.sync.connections.len(), 1);
    assert!(answering.is_connected());
    handle.append_text(" Noch da.").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    resting_settles_at(&server, 1).await;
    server.stop().await;
}
