//! Every message in these exchanges is applied both ways, ours and automerge's, and must leave
//! the same document and the same sync state.

use super::*;
use automerge::sync::{ChunkList, SyncDoc};
use automerge::transaction::CommitOptions;
use automerge::transaction::Transactable;
use automerge::{ReadDoc, ROOT};
use proptest::prelude::*;

/// Applies `message` with `apply_sync_message`, and checks that automerge's own
/// `receive_sync_message` makes the same of it: the same document, the same state, the same
/// error.
pub(super) fn receive(doc: &mut Automerge, state: &mut State, message: Message) {
    let mut expected_doc = doc.clone();
    let mut expected_state = state.clone();
    let expected = expected_doc.receive_sync_message(&mut expected_state, message.clone());
    let applied = apply_sync_message(doc, state, message);
    assert_eq!(
        applied.map_err(|e| e.to_string()),
        expected.map_err(|e| e.to_string())
    );
    assert_eq!(
        *state, expected_state,
        "the sync state differs from automerge's"
    );
    assert_eq!(doc.get_heads(), expected_doc.get_heads());
    assert_eq!(
        doc.get_missing_deps(&[]),
        expected_doc.get_missing_deps(&[])
    );
}

/// Puts `key` into the root map, as a change of its own. Stamped with time zero, so that a
/// document of fixed actors makes the same hashes in every run.
pub(super) fn edit(doc: &mut Automerge, key: &str) {
    doc.transact_with::<_, _, AutomergeError, _>(
        |_| CommitOptions::default().with_time(0),
        |tx| tx.put(ROOT, key, key),
    )
    .unwrap();
}

/// One peer of the server: its document, its state for the server, the server's for it.
pub(super) struct Peer {
    pub(super) doc: Automerge,
    pub(super) state: State,
    pub(super) server_state: State,
}

impl Peer {
    pub(super) fn new() -> Self {
        Peer {
            doc: Automerge::new(),
            state: State::new(),
            server_state: State::new(),
        }
    }

    /// One message to the server, if the peer has one; dropped on the way if `lost`. False
    /// when it had none.
    pub(super) fn send(&mut self, server: &mut Automerge, lost: bool) -> bool {
        let Some(message) = self.doc.generate_sync_message(&mut self.state) else {
            return false;
        };
        if !lost {
            receive(server, &mut self.server_state, message);
        }
        true
    }

    /// One message from the server, if it has one for the peer.
    pub(super) fn hear(&mut self, server: &Automerge, lost: bool) -> bool {
        let Some(message) = server.generate_sync_message(&mut self.server_state) else {
            return false;
        };
        if !lost {
            receive(&mut self.doc, &mut self.state, message);
        }
        true
    }
}

/// Exchanges messages between the server and every peer until there are none.
pub(super) fn settle(server: &mut Automerge, peers: &mut [Peer]) {
    for _ in 0..100 {
        let mut quiet = true;
        for peer in peers.iter_mut() {
            quiet &= !peer.send(server, false);
            quiet &= !peer.hear(server, false);
        }
        if quiet {
            return;
        }
    }
    panic!("the exchange did not settle");
}

/// Everyone reconnects (fresh sync states on both sides) and all is delivered; then every
/// peer has the server's document.
pub(super) fn reconnect_all(server: &mut Automerge, peers: &mut [Peer]) {
    for peer in peers.iter_mut() {
        peer.state = State::new();
        peer.server_state = State::new();
    }
    settle(server, peers);
    for peer in peers.iter() {
        assert_eq!(peer.doc.get_heads(), server.get_heads());
    }
}

const PEERS: usize = 3;

#[test]
fn an_exchange_in_turns_converges_and_leaves_nothing_in_flight() {
    let mut server = Automerge::new();
    let mut peers: Vec<Peer> = (0..PEERS).map(|_| Peer::new()).collect();
    settle(&mut server, &mut peers);
    for round in 0..6 {
        edit(&mut peers[round % PEERS].doc, &format!("k{round}"));
        settle(&mut server, &mut peers);
    }
    for peer in &peers {
        assert_eq!(peer.doc.get_heads(), server.get_heads());
        assert!(peer.server_state.sent_hashes.is_empty());
    }
    assert_eq!(
        server
            .get::<_, &str>(ROOT, "k5")
            .unwrap()
            .unwrap()
            .0
            .as_str(),
        Some("k5")
    );
}

#[test]
fn concurrent_changes_keep_what_the_peer_still_lacks_in_flight() {
    let mut server = Automerge::new();
    let mut peers: Vec<Peer> = (0..2).map(|_| Peer::new()).collect();
    settle(&mut server, &mut peers);
    // Both type; the server passes the first change on while the second's crosses it on
    // the way, so the second peer's heads do not cover what the server sent it.
    edit(&mut peers[0].doc, "first");
    edit(&mut peers[1].doc, "second");
    assert!(peers[0].send(&mut server, false));
    let second = &mut peers[1];
    let crossing = server
        .generate_sync_message(&mut second.server_state)
        .unwrap();
    assert!(second.send(&mut server, false));
    assert_eq!(second.server_state.sent_hashes.len(), 1);
    receive(&mut second.doc, &mut second.state, crossing);
    settle(&mut server, &mut peers);
    assert!(peers[1].server_state.sent_hashes.is_empty());
    assert_eq!(server.get_heads().len(), 2);
}

#[test]
fn a_message_that_cannot_be_applied_fails_as_it_does_in_automerge() {
    let mut peer = Peer::new();
    edit(&mut peer.doc, "theirs");
    peer.hear(&Automerge::new(), false);
    let mut message = peer.doc.generate_sync_message(&mut peer.state).unwrap();
    message.changes = ChunkList::from(vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]]);
    let mut server = Automerge::new();
    let mut state = State::new();
    receive(&mut server, &mut state, message.clone());
    assert!(apply_sync_message(&mut server, &mut State::new(), message).is_err());
}

#[derive(Debug, Clone)]
enum Step {
    /// The server (`None`) or a peer edits.
    Edit(Option<usize>),
    /// One message from the peer to the server, or back; lost on the way if `lost`.
    Send {
        peer: usize,
        to_server: bool,
        lost: bool,
    },
    /// The server makes the peer read-only, or writable again.
    ServerMakesReadOnly(usize, bool),
    /// The peer makes itself read-only, or writable again.
    PeerMakesReadOnly(usize, bool),
    /// The peer loses its document and state, and starts again.
    Reset(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => proptest::option::of(0..PEERS).prop_map(Step::Edit),
        6 => (0..PEERS, any::<bool>(), proptest::bool::weighted(0.1))
            .prop_map(|(peer, to_server, lost)| Step::Send { peer, to_server, lost }),
        1 => (0..PEERS, any::<bool>()).prop_map(|(p, on)| Step::ServerMakesReadOnly(p, on)),
        1 => (0..PEERS, any::<bool>()).prop_map(|(p, on)| Step::PeerMakesReadOnly(p, on)),
        1 => (0..PEERS).prop_map(Step::Reset),
    ]
}

proptest! {
    /// Whatever came before (edits on every side, lost messages, read-only roles either way,
    /// a peer that lost everything), every message, on either side, leaves the document and
    /// the state as automerge's own would; and once everyone reconnects and all is delivered,
    /// everyone has the same document.
    #[test]
    fn every_message_leaves_what_automerge_would(
        steps in proptest::collection::vec(step(), 0..80)
    ) {
        let mut server = Automerge::new();
        let mut peers: Vec<Peer> = (0..PEERS).map(|_| Peer::new()).collect();
        for (n, step) in steps.into_iter().enumerate() {
            let key = format!("k{n}");
            match step {
                Step::Edit(None) => edit(&mut server, &key),
                Step::Edit(Some(p)) => edit(&mut peers[p].doc, &key),
                Step::Send { peer, to_server: true, lost } => {
                    peers[peer].send(&mut server, lost);
                }
                Step::Send { peer, to_server: false, lost } => {
                    peers[peer].hear(&server, lost);
                }
                Step::ServerMakesReadOnly(p, on) => peers[p].server_state.set_read_only(on),
                Step::PeerMakesReadOnly(p, on) => peers[p].state.set_read_only(on),
                Step::Reset(p) => peers[p] = Peer::new(),
            }
        }
        reconnect_all(&mut server, &mut peers);
    }
}
