//! Every batch is also applied one message at a time with automerge's own
//! `receive_sync_message`, and must leave the same document, the same states and the same
//! outcome per message.

use automerge::sync::{ChunkList, SyncDoc};
use automerge::{ActorId, ReadDoc};
use proptest::prelude::*;

use super::super::tests::{edit, reconnect_all, settle, Peer};
use super::*;

/// The server's state for each of its peers.
struct ServerStates<'a>(&'a mut [Peer]);

impl SyncStates<usize> for ServerStates<'_> {
    fn state(&mut self, peer: &usize) -> &mut State {
        &mut self.0[*peer].server_state
    }
}

/// Applies `messages` to `doc` with `apply_sync_messages`, and checks that automerge's own
/// `receive_sync_message`, message by message, makes the same of them.
fn receive_together<K: Clone + std::fmt::Debug + PartialEq>(
    doc: &mut Automerge,
    states: &mut impl SyncStates<K>,
    senders: &[K],
    messages: Vec<(K, Message)>,
) {
    let mut expected_doc = doc.clone();
    let mut expected_states: Vec<State> = senders.iter().map(|k| states.state(k).clone()).collect();
    let position = |from: &K| senders.iter().position(|k| k == from).unwrap();
    let expected: Vec<(K, Result<(), String>)> = messages
        .iter()
        .map(|(from, message)| {
            let state = &mut expected_states[position(from)];
            let received = expected_doc.receive_sync_message(state, message.clone());
            (from.clone(), received.map_err(|e| e.to_string()))
        })
        .collect();
    let applied: Vec<(K, Result<(), String>)> = apply_sync_messages(doc, messages, states)
        .into_iter()
        .map(|(from, result)| (from, result.map_err(|e| e.to_string())))
        .collect();
    assert_eq!(applied, expected);
    for (sender, expected_state) in senders.iter().zip(&expected_states) {
        assert_eq!(
            states.state(sender),
            expected_state,
            "the sync state for {sender:?} differs from automerge's"
        );
    }
    assert_eq!(doc.get_heads(), expected_doc.get_heads());
    assert_eq!(
        doc.get_missing_deps(&[]),
        expected_doc.get_missing_deps(&[])
    );
}

/// The next message of each sender in turn, a sender editing first where asked.
fn messages_to_server(peers: &mut [Peer], turns: &[(usize, bool)]) -> Vec<(usize, Message)> {
    let mut messages = Vec::new();
    for (n, &(p, edits)) in turns.iter().enumerate() {
        let sender = &mut peers[p];
        if edits {
            edit(&mut sender.doc, &format!("p{p}-{n}"));
        }
        if let Some(message) = sender.doc.generate_sync_message(&mut sender.state) {
            messages.push((p, message));
        }
    }
    messages
}

fn deliver_to_server(server: &mut Automerge, peers: &mut [Peer], messages: Vec<(usize, Message)>) {
    let senders: Vec<usize> = (0..peers.len()).collect();
    receive_together(server, &mut ServerStates(peers), &senders, messages);
}

/// A server and `peers` peers that have synced a history long enough that a few changes go
/// as changes: automerge sends the whole document instead when that is more than a third of it.
/// Everyone has a fixed actor, so every run makes the same hashes: a change the peer's bloom
/// filter of the server's changes wrongly claims (about one in a hundred) would otherwise stay
/// out of the message that should carry it, now and then.
fn synced(peers: usize) -> (Automerge, Vec<Peer>) {
    let mut server = Automerge::new().with_actor(ActorId::from(b"server".as_slice()));
    for n in 0..30 {
        edit(&mut server, &format!("first{n}"));
    }
    let mut peers: Vec<Peer> = (0..peers)
        .map(|p| {
            let mut peer = Peer::new();
            peer.doc
                .set_actor(ActorId::from(format!("peer{p}").into_bytes()));
            peer
        })
        .collect();
    settle(&mut server, &mut peers);
    (server, peers)
}

#[test]
fn keystrokes_from_several_peers_and_an_acknowledgement_apply_together() {
    let (mut server, mut peers) = synced(3);
    edit(&mut server, "ours");
    let third = &mut peers[2];
    let ours = server
        .generate_sync_message(&mut third.server_state)
        .unwrap();
    third
        .doc
        .receive_sync_message(&mut third.state, ours)
        .unwrap();
    let messages = messages_to_server(&mut peers, &[(0, true), (1, true), (2, false)]);
    assert_eq!(messages.len(), 3);
    assert!(
        plan(&server, &messages, &mut ServerStates(&mut peers)).is_some(),
        "the batch is applied in one go"
    );
    deliver_to_server(&mut server, &mut peers, messages);
    assert_eq!(server.get_heads().len(), 3);
    settle(&mut server, &mut peers);
}

#[test]
fn a_change_before_the_one_it_depends_on_is_applied_one_message_at_a_time() {
    let (mut server, mut peers) = synced(1);
    let mut messages = messages_to_server(&mut peers, &[(0, true), (0, true)]);
    messages.reverse();
    assert!(plan(&server, &messages, &mut ServerStates(&mut peers)).is_none());
    deliver_to_server(&mut server, &mut peers, messages);
    settle(&mut server, &mut peers);
}

#[test]
fn a_damaged_change_is_applied_one_message_at_a_time() {
    let (mut server, mut peers) = synced(2);
    let mut messages = messages_to_server(&mut peers, &[(0, true), (1, true)]);
    let mut damaged: Vec<Vec<u8>> = messages[0].1.changes.iter().map(<[u8]>::to_vec).collect();
    damaged[0][5] ^= 0xff;
    messages[0].1.changes = ChunkList::from(damaged);
    assert!(plan(&server, &messages, &mut ServerStates(&mut peers)).is_none());
    deliver_to_server(&mut server, &mut peers, messages);
}

#[test]
fn a_whole_document_is_applied_one_message_at_a_time() {
    let (mut server, mut peers) = synced(1);
    // More than a third of the document is new to the peer: automerge sends all of it.
    for n in 0..20 {
        edit(&mut server, &format!("more{n}"));
    }
    let peer = &mut peers[0];
    let message = server
        .generate_sync_message(&mut peer.server_state)
        .unwrap();
    let messages = vec![((), message)];
    assert!(plan(&peer.doc, &messages, &mut peer.state).is_none());
    receive_together(&mut peer.doc, &mut peer.state, &[()], messages);
    assert_eq!(peer.doc.get_heads(), server.get_heads());
}

#[test]
fn a_sequence_number_used_twice_is_refused_for_the_message_that_brought_it() {
    let (mut server, mut peers) = synced(2);
    // Both peers write as the same actor, so their changes share a sequence number.
    let actor = ActorId::random();
    for peer in peers.iter_mut() {
        peer.doc.set_actor(actor.clone());
    }
    let messages = messages_to_server(&mut peers, &[(0, true), (1, true)]);
    assert!(plan(&server, &messages, &mut ServerStates(&mut peers)).is_some());
    deliver_to_server(&mut server, &mut peers, messages);
}

#[test]
fn heads_a_later_message_brings_were_not_ours_for_the_message_before() {
    let (mut server, mut peers) = synced(2);
    // The second peer has the first's change from elsewhere (another server, say), and may
    // only read here: its message names the change without bringing it.
    edit(&mut peers[0].doc, "theirs");
    let mut theirs = peers[0].doc.clone();
    peers[1].doc.merge(&mut theirs).unwrap();
    peers[1].server_state.set_read_only(true);
    let messages = messages_to_server(&mut peers, &[(1, false), (0, false)]);
    assert!(plan(&server, &messages, &mut ServerStates(&mut peers)).is_some());
    deliver_to_server(&mut server, &mut peers, messages);
}

#[test]
fn one_peers_messages_apply_together() {
    let (mut server, mut peers) = synced(1);
    let peer = &mut peers[0];
    let mut messages = Vec::new();
    for n in 0..4 {
        edit(&mut server, &format!("s{n}"));
        messages.push((
            (),
            server
                .generate_sync_message(&mut peer.server_state)
                .unwrap(),
        ));
    }
    assert!(plan(&peer.doc, &messages, &mut peer.state).is_some());
    receive_together(&mut peer.doc, &mut peer.state, &[()], messages);
    settle(&mut server, &mut peers);
}

#[derive(Debug, Clone)]
enum Step {
    /// The server (`None`) or a peer edits.
    Edit(Option<usize>),
    /// The next message of each peer listed, each editing first if asked, reaches the server
    /// in one batch.
    ToServer(Vec<(usize, bool)>),
    /// The server's next messages to one peer, the server editing before each if asked, reach
    /// it in one batch.
    ToPeer(usize, Vec<bool>),
    /// The server makes the peer read-only, or writable again.
    ReadOnly(usize, bool),
    /// The first peer gets everything the second has, not through the server.
    Merge(usize, usize),
    /// The peer loses its document and state, and starts again.
    Reset(usize),
}

const PEERS: usize = 3;

fn step() -> impl Strategy<Value = Step> {
    let turns = proptest::collection::vec((0..PEERS, any::<bool>()), 1..6);
    prop_oneof![
        2 => proptest::option::of(0..PEERS).prop_map(Step::Edit),
        4 => turns.prop_map(Step::ToServer),
        3 => (0..PEERS, proptest::collection::vec(any::<bool>(), 1..4))
            .prop_map(|(peer, edits)| Step::ToPeer(peer, edits)),
        1 => (0..PEERS, any::<bool>()).prop_map(|(peer, on)| Step::ReadOnly(peer, on)),
        1 => (0..PEERS, 0..PEERS).prop_map(|(to, from)| Step::Merge(to, from)),
        1 => (0..PEERS).prop_map(Step::Reset),
    ]
}

proptest! {
    /// Whatever came before, every batch of messages, to the server from its peers or to a
    /// peer from the server, leaves what automerge's own function leaves one message at a
    /// time; and once everyone reconnects, everyone has the same document.
    #[test]
    fn every_batch_leaves_what_automerge_would_one_message_at_a_time(
        steps in proptest::collection::vec(step(), 0..40)
    ) {
        let (mut server, mut peers) = synced(PEERS);
        for (n, step) in steps.into_iter().enumerate() {
            match step {
                Step::Edit(None) => edit(&mut server, &format!("s{n}")),
                Step::Edit(Some(p)) => edit(&mut peers[p].doc, &format!("p{p}-{n}")),
                Step::ToServer(turns) => {
                    let messages = messages_to_server(&mut peers, &turns);
                    deliver_to_server(&mut server, &mut peers, messages);
                }
                Step::ToPeer(p, edits) => {
                    let peer = &mut peers[p];
                    let mut messages = Vec::new();
                    for (k, edits) in edits.into_iter().enumerate() {
                        if edits {
                            edit(&mut server, &format!("s{n}-{k}"));
                        }
                        let message = server.generate_sync_message(&mut peer.server_state);
                        messages.extend(message.map(|message| ((), message)));
                    }
                    receive_together(&mut peer.doc, &mut peer.state, &[()], messages);
                }
                Step::ReadOnly(p, on) => peers[p].server_state.set_read_only(on),
                Step::Merge(to, from) => {
                    let mut theirs = peers[from].doc.clone();
                    peers[to].doc.merge(&mut theirs).unwrap();
                }
                Step::Reset(p) => peers[p] = Peer::new(),
            }
        }
        reconnect_all(&mut server, &mut peers);
    }
}
