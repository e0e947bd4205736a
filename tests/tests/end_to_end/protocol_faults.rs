//! Bad input of every kind gets a clear `error` (or `doc-unavailable`), the offending
//! connection is closed where the protocol demands it, other peers carry on, and no stored
//! document changes.

use std::time::Duration;

use agora_schema::{encode, DocumentId, JoinMessage, Message, PeerMetadata};
use agora_tests::editing::{document_with_text, text_of};
use agora_tests::raw_peer::Received;
use agora_tests::{RawPeer, TestServer};
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;

/// A document with some text, stored on the server by a well-behaved peer.
async fn stored_document(server: &TestServer, text: &str) -> (DocumentId, Automerge) {
    let mut doc = document_with_text(text);
    let id = DocumentId::random();
    let mut peer = RawPeer::joined(&server.sync_url()).await;
    peer.sync_doc(id, &mut doc, &mut sync::State::new()).await;
    (id, doc)
}

/// What a fresh peer receives when it asks for the document.
async fn fetched(server: &TestServer, id: DocumentId) -> Option<Automerge> {
    let mut peer = RawPeer::joined(&server.sync_url()).await;
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    let request = doc.generate_sync_message(&mut state).unwrap();
    let mut message = peer.sync_message(id, request.encode());
    if let Message::Sync(body) = message {
        message = Message::Request(body);
    }
    peer.send(&message).await;
    loop {
        match peer.recv().await {
            Received::Message(Message::Sync(body)) => {
                let m = sync::Message::decode(&body.data).unwrap();
                doc.receive_sync_message(&mut state, m).unwrap();
                if !doc.get_heads().is_empty() {
                    peer.sync_doc(id, &mut doc, &mut state).await;
                    return Some(doc);
                }
                if let Some(reply) = doc.generate_sync_message(&mut state) {
                    peer.send(&peer.sync_message(id, reply.encode())).await;
                }
            }
            Received::Message(Message::DocUnavailable { .. }) => return None,
            other => panic!("unexpected answer to a request: {other:?}"),
        }
    }
}

/// After a fault, the stored document is exactly what it was.
async fn assert_unchanged(server: &TestServer, id: DocumentId, before: &Automerge) {
    let after = fetched(server, id).await.expect("document still there");
    assert_eq!(after.get_heads(), before.get_heads());
    assert_eq!(text_of(&after), text_of(before));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_an_error_and_a_close_and_nothing_else_is_hurt() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let (id, before) = stored_document(&server, "Grundsätze 🙂").await;
    // A bystander with the document open must see none of this.
    let mut bystander = RawPeer::joined(&server.sync_url()).await;

    let not_a_message: Vec<(&str, Vec<u8>)> = vec![
        ("a CBOR null (it kills the Node server)", vec![0xf6]),
        ("garbage", vec![0xff, 0x00, 0x13, 0x37]),
        ("an empty frame", vec![]),
        ("a map without a type", vec![0xa1, 0x61, b'x', 0x01]),
        ("a truncated map", vec![0xa3, 0x64, b't', b'y', b'p', b'e']),
    ];
    for (what, frame) in not_a_message {
        for join_first in [false, true] {
            let mut peer = RawPeer::connect(&server.sync_url()).await;
            if join_first {
                peer.join().await;
            }
            peer.send_frame(frame.clone()).await;
            let reason = peer.expect_error_and_close().await;
            assert!(reason.contains("malformed"), "{what}: {reason}");
        }
    }

    let mut peer = RawPeer::joined(&server.sync_url()).await;
    peer.send_text("{\"type\":\"join\"}").await;
    assert!(peer.expect_error_and_close().await.contains("text frames"));

    let mut peer = RawPeer::joined(&server.sync_url()).await;
    let mut unknown = minicbor_map(&[("type", "gossip"), ("senderId", "x")]);
    peer.send_frame(std::mem::take(&mut unknown)).await;
    assert!(peer
        .expect_error_and_close()
        .await
        .contains("unknown message type `gossip`"));

    assert!(matches!(
        bystander.recv_within(Duration::from_millis(200)).await,
        Received::Nothing
    ));
    assert_unchanged(&server, id, &before).await;
    server.stop().await;
}

/// A CBOR map of text keys and text values.
fn minicbor_map(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(entries.len() as u64).unwrap();
    for (k, v) in entries {
        e.str(k).unwrap().str(v).unwrap();
    }
    e.into_writer()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_faults_are_refused_with_their_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--join-timeout", "300ms"]).await;

    let mut peer = RawPeer::connect(&server.sync_url()).await;
    peer.send(&Message::Join(JoinMessage {
        sender_id: peer.peer_id.clone(),
        peer_metadata: PeerMetadata::default(),
        supported_protocol_versions: Some(vec!["2".into()]),
    }))
    .await;
    assert_eq!(
        peer.expect_error_and_close().await,
        "unsupported protocol version"
    );

    let mut peer = RawPeer::connect(&server.sync_url()).await;
    peer.send(&Message::Error {
        message: "hi".into(),
    })
    .await;
    assert!(peer
        .expect_error_and_close()
        .await
        .contains("first message must be `join`"));

    let mut silent = RawPeer::connect(&server.sync_url()).await;
    assert!(silent.expect_error_and_close().await.contains("no `join`"));

    let mut twice = RawPeer::joined(&server.sync_url()).await;
    twice
        .send(&Message::Join(JoinMessage {
            sender_id: twice.peer_id.clone(),
            peer_metadata: PeerMetadata::default(),
            supported_protocol_versions: None,
        }))
        .await;
    assert!(twice
        .expect_error_and_close()
        .await
        .contains("already joined"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ids_and_invalid_sync_payloads_change_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let (id, before) = stored_document(&server, "Am Individuum orientieren").await;

    // A valid id nobody has stored: `doc-unavailable`, and the connection stays usable.
    let mut peer = RawPeer::joined(&server.sync_url()).await;
    let unknown = DocumentId::random();
    assert!(fetched(&server, unknown).await.is_none());
    // ... and asking did not create it.
    assert!(fetched(&server, unknown).await.is_none());

    // A document id whose checksum is wrong.
    let mut frame = encode(&peer.sync_message(id, vec![0x42]));
    let text = id.to_string();
    let at = frame
        .windows(text.len())
        .position(|w| w == text.as_bytes())
        .unwrap();
    frame[at + text.len() - 1] = if frame[at + text.len() - 1] == b'z' {
        b'y'
    } else {
        b'z'
    };
    peer.send_frame(frame).await;
    assert!(peer.expect_error_and_close().await.contains("documentId"));

    // A sync payload that is not an automerge sync message.
    for payload in [vec![0x42], vec![0x43, 0xff, 0xff, 0xff], b"hello".to_vec()] {
        let mut peer = RawPeer::joined(&server.sync_url()).await;
        peer.send(&peer.sync_message(id, payload)).await;
        assert!(peer
            .expect_error_and_close()
            .await
            .contains("not an automerge sync message"));
    }

    // Somebody else's sender id.
    let mut peer = RawPeer::joined(&server.sync_url()).await;
    let mut spoofed = peer.sync_message(id, vec![0x42]);
    if let Message::Sync(body) = &mut spoofed {
        body.sender_id = agora_schema::PeerId::new("someone-else");
    }
    peer.send(&spoofed).await;
    assert!(peer.expect_error_and_close().await.contains("senderId"));

    assert_unchanged(&server, id, &before).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_is_refused_and_the_server_carries_on() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--max-frame-bytes", "65536"]).await;
    let (id, before) = stored_document(&server, "klein").await;

    let mut peer = RawPeer::joined(&server.sync_url()).await;
    let huge = peer.sync_message(id, vec![0x42; 200_000]);
    peer.send(&huge).await;
    match peer.recv().await {
        Received::Message(Message::Error { message }) => {
            assert!(message.contains("65536"), "{message}")
        }
        // The server may close before its error frame is read.
        Received::Closed(code) => assert!(matches!(code, None | Some(1009)), "{code:?}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_unchanged(&server, id, &before).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_documents_leave_memory_and_come_back_whole() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--idle-unload", "200ms"]).await;
    let (id, before) = stored_document(&server, "Leitbild").await;
    let documents = server.state.sync.documents.clone();
    agora_tests::eventually("the document unloads", Duration::from_secs(5), || {
        let documents = documents.clone();
        async move { documents.open_count() == 0 }
    })
    .await;
    assert_unchanged(&server, id, &before).await;
    server.stop().await;
}

/// automerge-repo clients pass on other peers' ephemeral messages (presence) under the original
/// sender's id. Such a copy is dropped quietly: the connection stays open, and nobody hears the
/// message twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_ephemeral_message_is_dropped_without_closing_the_connection() {
    use agora_schema::EphemeralMessage;
    use agora_tests::raw_peer::Received;

    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut doc = agora_tests::editing::document_with_text("Präsenz");
    let id = agora_schema::DocumentId::random();
    let mut owner = RawPeer::joined(&server.sync_url()).await;
    owner
        .sync_doc(id, &mut doc, &mut automerge::sync::State::new())
        .await;
    let mut forwarder = RawPeer::joined(&server.sync_url()).await;
    forwarder
        .sync_doc(
            id,
            &mut automerge::Automerge::new(),
            &mut automerge::sync::State::new(),
        )
        .await;

    let ephemeral = |sender: &RawPeer, count| {
        Message::Ephemeral(EphemeralMessage {
            sender_id: sender.peer_id.clone(),
            target_id: sender.server_peer.clone().unwrap(),
            document_id: id,
            session_id: "presence".into(),
            count,
            data: vec![0xa0],
        })
    };
    // The owner's heartbeat reaches the forwarder, which passes it on, as npm clients do.
    owner.send(&ephemeral(&owner, 1)).await;
    let heard = loop {
        match forwarder
            .recv_within(std::time::Duration::from_secs(5))
            .await
        {
            Received::Message(Message::Ephemeral(message)) => break message,
            Received::Message(_) => continue,
            other => panic!("the forwarder did not hear the heartbeat: {other:?}"),
        }
    };
    forwarder.send(&Message::Ephemeral(heard)).await;
    // The forwarder stays connected, and its own messages still go through.
    forwarder.send(&ephemeral(&forwarder, 1)).await;
    let mut heard_by_owner = Vec::new();
    loop {
        match owner
            .recv_within(std::time::Duration::from_millis(700))
            .await
        {
            Received::Message(Message::Ephemeral(message)) => {
                heard_by_owner.push(message.sender_id)
            }
            Received::Message(_) => continue,
            Received::Nothing => break,
            other => panic!("unexpected: {other:?}"),
        }
    }
    assert_eq!(
        heard_by_owner,
        vec![forwarder.peer_id.clone()],
        "copies were relayed"
    );
    assert!(matches!(
        forwarder
            .recv_within(std::time::Duration::from_millis(300))
            .await,
        Received::Nothing
    ));
    server.stop().await;
}
