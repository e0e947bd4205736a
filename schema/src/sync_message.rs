//! Applying an automerge sync message without a walk over the document's whole history.
//!
//! automerge's `receive_sync_message` trims the hashes we sent the peer down to those the
//! peer's heads do not cover, by visiting every ancestor of those heads: the document's whole
//! history, for every message, so the cost grows with the document. Under load that walk took
//! about a fifth of the time of the server and of the clients alike. Most messages, though,
//! leave the peer with exactly our heads: every acknowledgement, and every change from a peer
//! that was up to date. Then the peer has every change we have, and the set is emptied
//! without a walk. Otherwise the changes the peer lacks are found from the vector clock of its
//! heads, which automerge keeps for every sixteenth change. The rest of the sync state is set
//! as automerge sets it. The tests hold every message of random exchanges to automerge's own
//! result, so an automerge upgrade that changes what it does fails them.

use std::collections::{BTreeSet, HashSet};

use automerge::sync::{Capability, Message, MessageFlags, State};
use automerge::{Automerge, AutomergeError, ChangeHash};

mod batch;
pub use batch::{apply_sync_messages, SyncStates};

/// Applies a sync message from a peer to `doc` and to our `state` for that peer: what
/// automerge's `receive_sync_message` does, in time that does not grow with the history.
pub fn apply_sync_message(
    doc: &mut Automerge,
    state: &mut State,
    message: Message,
) -> Result<(), AutomergeError> {
    // Set before the changes are applied, as automerge does, so that a message whose changes
    // fail leaves the same state.
    note_arrival(state, message.flags);
    let before = doc.get_heads();
    let has_changes = !message.changes.is_empty();
    // A read-only peer's changes are ignored.
    let ours = if has_changes && !state.read_only {
        let changes: Vec<u8> = message.changes.iter().flatten().copied().collect();
        doc.load_incremental(&changes)?;
        let after = doc.get_heads();
        state.shared_heads = advance_heads(&before, &after, &state.shared_heads);
        after
    } else {
        before.clone()
    };
    note_peer(doc, state, message, &before, &ours, |hash| {
        doc.get_change_meta_by_hash(hash).is_some()
    });
    Ok(())
}

/// What every message does first, before its changes are applied.
fn note_arrival(state: &mut State, flags: Option<MessageFlags>) {
    state.in_flight = false;
    if let Some(flags) = flags {
        note_flags(state, flags);
    }
}

/// What the message tells of the peer, once its changes are in `doc`. `before` and `ours` are
/// our heads before and after its changes; `we_have` says which changes `doc` held then.
fn note_peer(
    doc: &Automerge,
    state: &mut State,
    message: Message,
    before: &[ChangeHash],
    ours: &[ChangeHash],
    we_have: impl Fn(&ChangeHash) -> bool,
) {
    let has_changes = !message.changes.is_empty();
    let Message {
        heads: theirs,
        need,
        have,
        ..
    } = message;
    let known: Vec<ChangeHash> = if theirs == ours {
        theirs.clone()
    } else {
        theirs
            .iter()
            .filter(|hash| we_have(hash))
            .copied()
            .collect()
    };
    forget_seen(doc, ours, &known, &mut state.sent_hashes);
    // An answer to the heads we had, not a message of the peer's own.
    if !has_changes && theirs == before {
        state.last_sent_heads.clone_from(&theirs);
    }
    if known.len() == theirs.len() {
        state.shared_heads.clone_from(&theirs);
        // A peer that lost everything gets everything again.
        if theirs.is_empty() {
            state.last_sent_heads = Vec::new();
            state.sent_hashes = BTreeSet::new();
        }
    } else {
        let shared: BTreeSet<ChangeHash> =
            state.shared_heads.iter().chain(&known).copied().collect();
        state.shared_heads = shared.into_iter().collect();
    }
    state.their_heads = Some(theirs);
    state.their_need = Some(need);
    state.their_have = Some(have);
}

/// Keeps in `sent` only the changes the peer still lacks by its `known` heads (those of its
/// heads that we have too; `ours` are our heads).
fn forget_seen(
    doc: &Automerge,
    ours: &[ChangeHash],
    known: &[ChangeHash],
    sent: &mut BTreeSet<ChangeHash>,
) {
    if sent.is_empty() || known.is_empty() {
        return;
    }
    // A peer with our heads has every change we have: the commonest case by far.
    if known == ours {
        sent.clear();
        return;
    }
    // The changes outside its heads' history, which automerge finds from a vector clock kept
    // for every few changes rather than by visiting each one.
    let lacking: HashSet<ChangeHash> = doc
        .get_changes_meta(known)
        .into_iter()
        .map(|change| change.hash)
        .collect();
    sent.retain(|hash| lacking.contains(hash));
}

/// What the peer tells of itself with each message.
fn note_flags(state: &mut State, flags: MessageFlags) {
    // Only peers that understand version 2 messages send flags.
    let mut capabilities = vec![Capability::MessageV2];
    if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
        capabilities.push(Capability::SyncReset);
    }
    state.their_capabilities = Some(capabilities);
    if flags.contains(MessageFlags::SYNC_RESET) {
        state.sent_hashes.clear();
    }
    state.peer_read_only = flags.contains(MessageFlags::READ_ONLY);
}

/// The heads both sides have once our heads went from `before` to `after` by the peer's
/// changes: our new heads, and those shared heads that are still heads.
fn advance_heads(
    before: &[ChangeHash],
    after: &[ChangeHash],
    shared: &[ChangeHash],
) -> Vec<ChangeHash> {
    let advanced: HashSet<ChangeHash> = after
        .iter()
        .filter(|head| !before.contains(head))
        .chain(shared.iter().filter(|head| after.contains(head)))
        .copied()
        .collect();
    let mut advanced: Vec<ChangeHash> = advanced.into_iter().collect();
    advanced.sort();
    advanced
}

#[cfg(test)]
mod tests;
