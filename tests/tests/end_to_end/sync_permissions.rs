//! Every sync message type × every role: `request`, `sync` without and with changes,
//! `ephemeral`, `doc-unavailable`, a `sync` that offers a new document, and `leave`.

use std::time::Duration;

use agora_schema::{DocumentId, EphemeralMessage, Message};
use agora_tests::editing::text_of;
use agora_tests::people::{copy_data_folder, Cast, Role, ROLES};
use agora_tests::raw_peer::Received;
use agora_tests::{RawPeer, TestServer};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc, ROOT};

const QUIET: Duration = Duration::from_millis(600);
/// The longest any answer may take, even on a loaded machine.
const ANSWER: Duration = Duration::from_secs(10);

/// A peer that has the statement (as the owner), to see what reaches other peers.
async fn observer(server: &TestServer, cast: &Cast) -> (RawPeer, Automerge, sync::State) {
    let mut peer = RawPeer::joined(&cast.sync_url(server, Role::Owner)).await;
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    peer.sync_doc(cast.statement, &mut doc, &mut state).await;
    assert_eq!(text_of(&doc), cast.statement_text);
    (peer, doc, state)
}

/// Sends `request` for the statement; returns the document if the server sent it.
async fn request(peer: &mut RawPeer, id: DocumentId) -> Option<(Automerge, sync::State)> {
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    let hello = doc.generate_sync_message(&mut state).unwrap();
    let request = peer.request_message(id, hello.encode());
    peer.send(&request).await;
    loop {
        // The first answer may take a while on a busy machine; the rest follow quickly.
        let wait = if doc.get_heads().is_empty() {
            ANSWER
        } else {
            QUIET
        };
        match peer.recv_within(wait).await {
            Received::Message(Message::DocUnavailable { document_id, .. }) => {
                assert_eq!(document_id, id);
                return None;
            }
            Received::Message(Message::Sync(body)) => {
                let message = sync::Message::decode(&body.data).unwrap();
                doc.receive_sync_message(&mut state, message).unwrap();
                if let Some(reply) = doc.generate_sync_message(&mut state) {
                    peer.send(&peer.sync_message(id, reply.encode())).await;
                }
            }
            Received::Nothing if !doc.get_heads().is_empty() => return Some((doc, state)),
            other => panic!("unexpected answer to request: {other:?}"),
        }
    }
}

/// What happened to a change the role sent.
#[derive(Debug, PartialEq)]
enum Write {
    Stored,
    /// `error`, then the connection closed with this code.
    Refused(Option<u16>),
    Unavailable,
}

async fn write(
    server: &TestServer,
    peer: &mut RawPeer,
    id: DocumentId,
    doc: &mut Automerge,
    state: &mut sync::State,
) -> Write {
    let mut tx = doc.transaction();
    let text = tx.get(ROOT, "text").unwrap().unwrap().1;
    tx.splice_text(&text, 0, 0, "Geändert: ").unwrap();
    tx.commit();
    let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    // Whatever the server's read-only flag told automerge, send the change.
    let message = sync::Message {
        heads: doc.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: sync::ChunkList::from(vec![change]),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    peer.send(&peer.sync_message(id, message.encode())).await;
    let deadline = tokio::time::Instant::now() + ANSWER;
    loop {
        match peer.recv_within(Duration::from_millis(50)).await {
            Received::Message(Message::Error { .. }) => {
                return match peer.recv_within(ANSWER).await {
                    Received::Closed(code) => Write::Refused(code),
                    other => panic!("expected a close after `error`, got {other:?}"),
                };
            }
            Received::Message(Message::DocUnavailable { .. }) => return Write::Unavailable,
            Received::Message(Message::Sync(body)) => {
                let answer = sync::Message::decode(&body.data).unwrap();
                let _ = doc.receive_sync_message(state, answer);
            }
            Received::Nothing => {}
            other => panic!("unexpected answer to a change: {other:?}"),
        }
        if stored_text(server, id).await.starts_with("Geändert: ") {
            return Write::Stored;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer to a change"
        );
    }
}

fn ephemeral(peer: &RawPeer, id: DocumentId) -> Message {
    Message::Ephemeral(EphemeralMessage {
        sender_id: peer.peer_id.clone(),
        target_id: peer.server_peer.clone().unwrap(),
        document_id: id,
        session_id: "presence".into(),
        count: 1,
        data: b"\xa1dnamecLea".to_vec(),
    })
}

/// Whether the observer hears an ephemeral message within a few seconds.
async fn hears_ephemeral(observer: &mut RawPeer) -> bool {
    loop {
        match observer.recv_within(Duration::from_secs(3)).await {
            Received::Message(Message::Ephemeral(_)) => return true,
            Received::Message(_) => continue,
            _ => return false,
        }
    }
}

async fn stored_text(server: &TestServer, id: DocumentId) -> String {
    let stored = server.state.store.load(id).await.unwrap().unwrap();
    let mut doc = match &stored.snapshot {
        Some(snapshot) => Automerge::load(snapshot).unwrap(),
        None => Automerge::new(),
    };
    for (_, chunk) in &stored.chunks {
        doc.load_incremental(chunk).unwrap();
    }
    text_of(&doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_type_answers_every_role_by_its_access() {
    let template = tempfile::tempdir().unwrap();
    let server = TestServer::start(template.path()).await;
    let cast = Cast::assemble(&server).await;
    server.stop().await;

    for role in ROLES {
        let data = tempfile::tempdir().unwrap();
        copy_data_folder(template.path(), data.path());
        let server = TestServer::start(data.path()).await;
        let id = cast.statement;

        if role == Role::Anonymous {
            let refused = tokio_tungstenite::connect_async(cast.sync_url(&server, role)).await;
            assert!(
                matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401),
                "anonymous upgrade: {refused:?}"
            );
            server.stop().await;
            continue;
        }
        let may_read = role != Role::OtherOrganisation;
        let may_write = matches!(role, Role::Editor | Role::Owner | Role::Admin);
        let (mut watcher, _, _) = observer(&server, &cast).await;
        let mut peer = RawPeer::joined(&cast.sync_url(&server, role)).await;

        // `request`
        let requested = request(&mut peer, id).await;
        assert_eq!(requested.is_some(), may_read, "{role:?}: request");

        // `ephemeral`
        peer.send(&ephemeral(&peer, id)).await;
        assert_eq!(
            hears_ephemeral(&mut watcher).await,
            may_read,
            "{role:?}: ephemeral relayed"
        );

        // `doc-unavailable` from a peer is accepted and changes nothing.
        peer.send(&Message::DocUnavailable {
            sender_id: peer.peer_id.clone(),
            target_id: peer.server_peer.clone().unwrap(),
            document_id: id,
        })
        .await;

        // `sync` with a change
        let (mut doc, mut state) = requested.unwrap_or_else(|| {
            let mut doc = Automerge::new();
            let mut tx = doc.transaction();
            tx.put_object(ROOT, "text", automerge::ObjType::Text)
                .unwrap();
            tx.commit();
            (doc, sync::State::new())
        });
        let before = stored_text(&server, id).await;
        let outcome = write(&server, &mut peer, id, &mut doc, &mut state).await;
        let after = stored_text(&server, id).await;
        match role {
            Role::OtherOrganisation => assert_eq!(outcome, Write::Unavailable, "{role:?}"),
            _ if may_write => {
                assert_eq!(outcome, Write::Stored, "{role:?}");
                assert_eq!(after, format!("Geändert: {before}"), "{role:?}: stored");
            }
            _ => {
                assert_eq!(outcome, Write::Refused(Some(1008)), "{role:?}");
                assert_eq!(after, before, "{role:?}: a refused change was stored");
            }
        }
        // Whatever was refused reached no other peer either.
        let mut seen = Automerge::new();
        let mut seen_state = sync::State::new();
        let mut fresh_watcher = RawPeer::joined(&cast.sync_url(&server, Role::Owner)).await;
        let deadline = tokio::time::Instant::now() + ANSWER;
        while text_of(&seen) != after && tokio::time::Instant::now() < deadline {
            fresh_watcher.sync_doc(id, &mut seen, &mut seen_state).await;
        }
        assert_eq!(text_of(&seen), after, "{role:?}: what other peers see");

        // A `sync` that offers a new document creates it, owned by the role, in its home
        // organisation; `leave` then ends the connection quietly.
        let mut peer = RawPeer::joined(&cast.sync_url(&server, role)).await;
        let new_id = DocumentId::random();
        let mut new_doc = agora_tests::editing::document_with_text("Neu");
        let mut offer_state = sync::State::new();
        let deadline = tokio::time::Instant::now() + ANSWER;
        loop {
            peer.sync_doc(new_id, &mut new_doc, &mut offer_state).await;
            let stored = server.state.store.contains(new_id).await.unwrap()
                && stored_text(&server, new_id).await == "Neu";
            if stored {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{role:?}: the offer was not stored"
            );
        }
        let info = server
            .state
            .directory
            .document_info(new_id)
            .await
            .unwrap()
            .expect("the offered document is registered");
        let home = match role {
            Role::OtherOrganisation | Role::Reviewer => cast.organisation_b.organisation_id,
            _ => cast.organisation_a.organisation_id,
        };
        assert_eq!(info.organisation_id, home, "{role:?}: home organisation");
        peer.send(&Message::Ignored {
            kind: "leave".into(),
        })
        .await;
        assert!(matches!(
            peer.recv_within(Duration::from_secs(2)).await,
            Received::Closed(_)
        ));
        server.stop().await;
    }
}
