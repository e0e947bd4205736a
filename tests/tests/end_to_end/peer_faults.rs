//! Peers that misbehave at the transport level: one that vanishes mid-frame, a storm of
//! connections that come and go, one that never reads, one that reads slowly. The server frees
//! what they held, keeps serving everyone else, and never silently skips a peer.

use std::time::Duration;

use agora_client::{Client, DocHandle};
use agora_schema::Message;
use agora_tests::raw_peer::Received;
use agora_tests::{eventually, RawPeer, TestServer};
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(20);

/// Text that compression cannot shrink, so it fills socket buffers as its length says.
fn incompressible(len: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub async fn connections_settle_at(server: &TestServer, expected: usize) {
    let tracker = server.state.sync.connections.clone();
    eventually(&format!("{expected} open connections"), WAIT, || {
        let open = tracker.len();
        async move { open == expected }
    })
    .await;
}

async fn document_with_text(server: &TestServer, text: &str) -> (Client, DocHandle) {
    let client = Client::connect(&server.sync_url()).await.unwrap();
    let handle = client.create().await.unwrap();
    handle.append_text(text).unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    (client, handle)
}

/// Opens a WebSocket by hand and sends the start of a binary frame that never finishes.
async fn vanish_mid_frame(server: &TestServer) {
    let mut tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let upgrade = format!(
        "GET /sync?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.token, server.addr
    );
    tcp.write_all(upgrade.as_bytes()).await.unwrap();
    let mut answer = [0u8; 1024];
    let n = tcp.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 101"));
    // FIN + binary, masked, 16-bit length 4096, a mask, then only 10 bytes of payload.
    tcp.write_all(&[0x82, 0xfe, 0x10, 0x00, 1, 2, 3, 4])
        .await
        .unwrap();
    tcp.write_all(&[0u8; 10]).await.unwrap();
    drop(tcp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_peers_are_let_go_and_nothing_leaks() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--idle-unload", "300ms"]).await;
    let (client, handle) = document_with_text(&server, "Selbstreport, Kapitel 1").await;

    for _ in 0..5 {
        vanish_mid_frame(&server).await;
    }
    // A peer that starts syncing a document and disappears without a close frame.
    for _ in 0..5 {
        let mut peer = RawPeer::joined(&server.sync_url()).await;
        let doc = Automerge::new();
        let mut state = sync::State::new();
        let hello = doc.generate_sync_message(&mut state).unwrap();
        peer.send(&peer.sync_message(handle.id(), hello.encode()))
            .await;
        drop(peer);
    }
    connections_settle_at(&server, 1).await;

    // The one remaining client is unaffected.
    handle.append_text(" – weiter").unwrap();
    handle.wait_synced(WAIT).await.unwrap();

    // Once it leaves too, the document leaves memory: no vanished peer is still holding it.
    client.close().await;
    connections_settle_at(&server, 0).await;
    let documents = server.state.sync.documents.clone();
    eventually("the document unloads", WAIT, || {
        let open = documents.open_count();
        async move { open == 0 }
    })
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_storm_does_not_disturb_an_editor() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let (_client, handle) = document_with_text(&server, "Grundsätze").await;
    let id = handle.id();

    let editor = {
        let handle = handle.clone();
        tokio::spawn(async move {
            for k in 0..200 {
                handle.append_text(&format!(" {k}")).unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let url = server.sync_url();
    for _wave in 0..5 {
        let storm: Vec<_> = (0..100)
            .map(|i| {
                let url = url.clone();
                tokio::spawn(async move {
                    let mut peer = RawPeer::joined(&url).await;
                    let doc = Automerge::new();
                    let mut state = sync::State::new();
                    let hello = doc.generate_sync_message(&mut state).unwrap();
                    let mut request = peer.sync_message(id, hello.encode());
                    if let Message::Sync(body) = request {
                        request = Message::Request(body);
                    }
                    peer.send(&request).await;
                    if i % 2 == 0 {
                        // Half wait for an answer, half leave at once.
                        let _ = peer.recv().await;
                    }
                })
            })
            .collect();
        for peer in storm {
            peer.await.unwrap();
        }
    }
    editor.await.unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    assert!(handle.text().ends_with(" 199"));
    connections_settle_at(&server, 1).await;
    let saved = server.state.sync.documents.save(id).await.unwrap();
    assert_eq!(Automerge::load(&saved).unwrap().get_heads(), handle.heads());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_is_disconnected_and_holds_nobody_up() {
    let data = tempfile::tempdir().unwrap();
    // A peer that never reads is found two ways: it stops answering pings, and once the kernel's
    // socket buffers are full its queue stays full past the lag limit. Both are short here.
    let limits = [
        "--send-queue",
        "4",
        "--lag-limit",
        "1s",
        "--ping-every",
        "200ms",
        "--pong-timeout",
        "1s",
    ];
    let server = TestServer::start_with(data.path(), &limits).await;
    let (_client, handle) = document_with_text(&server, "Evaluation").await;

    // Joins the document, then never reads another byte.
    let mut stuck = RawPeer::connect_with_small_buffer(&server.sync_url()).await;
    stuck.join().await;
    let doc = Automerge::new();
    let hello = doc.generate_sync_message(&mut sync::State::new()).unwrap();
    stuck
        .send(&stuck.sync_message(handle.id(), hello.encode()))
        .await;

    let started = tokio::time::Instant::now();
    for _ in 0..100 {
        handle.append_text(&incompressible(2000)).unwrap();
        tokio::task::yield_now().await;
    }
    handle.wait_synced(WAIT).await.unwrap();
    let writer_took = started.elapsed();
    assert!(
        writer_took < Duration::from_secs(15),
        "the writer was held up: {writer_took:?}"
    );

    // The server gave up on the stuck peer; it finds an error and a close when it reads at last.
    connections_settle_at(&server, 1).await;
    let mut ended = false;
    for _ in 0..10_000 {
        match stuck.recv_within(Duration::from_secs(2)).await {
            Received::Message(Message::Error { message }) => {
                assert!(message.contains("reconnect"), "{message}")
            }
            Received::Closed(_) | Received::Nothing => {
                ended = true;
                break;
            }
            _ => {}
        }
    }
    assert!(ended, "the stuck peer's connection never ended");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_caught_up_not_skipped() {
    let data = tempfile::tempdir().unwrap();
    let server =
        TestServer::start_with(data.path(), &["--send-queue", "2", "--lag-limit", "60s"]).await;
    let (_client, handle) = document_with_text(&server, "Kundenkommunikation").await;
    let id = handle.id();

    let mut slow = RawPeer::connect_with_small_buffer(&server.sync_url()).await;
    slow.join().await;
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    let hello = doc.generate_sync_message(&mut state).unwrap();
    slow.send(&slow.sync_message(id, hello.encode())).await;

    for k in 0..300 {
        handle
            .append_text(&format!("[{k}] {}", incompressible(100)))
            .unwrap();
        if k % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    handle.wait_synced(WAIT).await.unwrap();
    let target = handle.heads();

    // Read one frame at a time, slowly, answering as a peer must.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while doc.get_heads() != target {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow reader never caught up"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        match slow.recv_within(Duration::from_secs(5)).await {
            Received::Message(Message::Sync(body)) => {
                let message = sync::Message::decode(&body.data).unwrap();
                doc.receive_sync_message(&mut state, message).unwrap();
                if let Some(reply) = doc.generate_sync_message(&mut state) {
                    slow.send(&slow.sync_message(id, reply.encode())).await;
                }
            }
            other => panic!("the slow reader got {other:?}"),
        }
    }
    assert_eq!(doc.get_heads(), target);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_peer_stays_connected_through_many_pings() {
    let data = tempfile::tempdir().unwrap();
    let limits = ["--ping-every", "100ms", "--pong-timeout", "400ms"];
    let server = TestServer::start_with(data.path(), &limits).await;
    let options = agora_client::ClientOptions {
        reconnect: false,
        ..Default::default()
    };
    let client = Client::connect_with(&server.sync_url(), options)
        .await
        .unwrap();
    let handle = client.create().await.unwrap();
    handle.append_text("idle").unwrap();
    handle.wait_synced(WAIT).await.unwrap();

    // Fifteen ping intervals of silence from the application.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        client.is_connected(),
        "the server dropped a peer that answers pings"
    );
    handle.append_text(" – still here").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    server.stop().await;
}
