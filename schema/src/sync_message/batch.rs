//! Applying several sync messages at once, from one peer or many, with one application of all
//! their changes.
//!
//! automerge 0.12 applies changes by walking every operation of each object they touch, so one
//! keystroke into a long text costs about as much as a hundred: the messages that queued up
//! while we were busy cost a walk each one by one, and one walk together. The outcome must be
//! the same as applying them one after another, so before anything is applied the batch is
//! planned: our heads after each message are worked out from the changes' hashes and
//! dependencies. Whatever the plan cannot vouch for (bytes that are not exactly one change, as
//! a whole document sent at once; a change that comes before one it depends on; changes
//! automerge holds back waiting for theirs; an empty document, which automerge loads rather
//! than applies to) is applied one message at a time instead.

use std::collections::{BTreeSet, HashMap};

use automerge::sync::{Message, State};
use automerge::{Automerge, AutomergeError, Change, ChangeHash, ReadDoc};

use super::{advance_heads, apply_sync_message, note_arrival, note_peer};

/// Where the sync state for each sender of a batch is kept.
pub trait SyncStates<K> {
    fn state(&mut self, from: &K) -> &mut State;
}

/// A single peer's messages.
impl<K> SyncStates<K> for State {
    fn state(&mut self, _: &K) -> &mut State {
        self
    }
}

/// Applies `messages` in order, each to its sender's state: what `apply_sync_message` on each
/// in turn would do, with one application of their changes when the batch allows it. Returns
/// each sender with what came of its message.
pub fn apply_sync_messages<K>(
    doc: &mut Automerge,
    messages: Vec<(K, Message)>,
    states: &mut impl SyncStates<K>,
) -> Vec<(K, Result<(), AutomergeError>)> {
    if let Some(Plan {
        changes,
        steps,
        applied_at,
    }) = plan(doc, &messages, states)
    {
        // Nothing to apply is the commonest batch of all (acknowledgements). automerge checks
        // every change before it applies any; a refusal (a sequence number used twice, say)
        // leaves the document as it was, and one message at a time below the refusal falls on
        // the message that brought it.
        if changes.is_empty() || doc.apply_changes(changes).is_ok() {
            debug_assert!(steps.last().is_none_or(|s| s.after == doc.get_heads()));
            return messages
                .into_iter()
                .zip(steps)
                .enumerate()
                .map(|(index, ((from, message), step))| {
                    let state = states.state(&from);
                    note_arrival(state, message.flags);
                    if !message.changes.is_empty() && !state.read_only {
                        state.shared_heads =
                            advance_heads(&step.before, &step.after, &state.shared_heads);
                    }
                    // What the document held right after this message.
                    let we_had = |hash: &ChangeHash| match applied_at.get(hash) {
                        Some(&by) => by <= index,
                        None => doc.get_change_meta_by_hash(hash).is_some(),
                    };
                    note_peer(doc, state, message, &step.before, &step.after, we_had);
                    (from, Ok(()))
                })
                .collect();
        }
    }
    messages
        .into_iter()
        .map(|(from, message)| {
            let applied = apply_sync_message(doc, states.state(&from), message);
            (from, applied)
        })
        .collect()
}

/// What applying the batch's messages one after another would do.
struct Plan {
    /// The new changes, in the order they would be applied.
    changes: Vec<Change>,
    /// Per message, our heads around it.
    steps: Vec<Step>,
    /// Which message brings each new change.
    applied_at: HashMap<ChangeHash, usize>,
}

struct Step {
    before: Vec<ChangeHash>,
    after: Vec<ChangeHash>,
}

/// The plan of the batch, or `None` where only applying each message in turn is sure to do
/// what automerge would.
fn plan<K>(
    doc: &Automerge,
    messages: &[(K, Message)],
    states: &mut impl SyncStates<K>,
) -> Option<Plan> {
    // Changes held back for missing dependencies could come free at any message.
    if doc.is_empty() || !doc.get_missing_deps(&[]).is_empty() {
        return None;
    }
    let mut heads: BTreeSet<ChangeHash> = doc.get_heads().into_iter().collect();
    let mut plan = Plan {
        changes: Vec::new(),
        steps: Vec::with_capacity(messages.len()),
        applied_at: HashMap::new(),
    };
    for (index, (from, message)) in messages.iter().enumerate() {
        let before: Vec<ChangeHash> = heads.iter().copied().collect();
        if !states.state(from).read_only {
            for bytes in message.changes.iter() {
                let change = parse_change(bytes)?;
                let hash = change.hash();
                // Most dependencies are heads, which are quicker to look up than any change.
                let known = |hash: &ChangeHash| {
                    heads.contains(hash)
                        || plan.applied_at.contains_key(hash)
                        || doc.get_change_meta_by_hash(hash).is_some()
                };
                if known(&hash) {
                    continue;
                }
                // automerge would hold it back until its dependencies come.
                if !change.deps().iter().all(known) {
                    return None;
                }
                for dep in change.deps() {
                    heads.remove(dep);
                }
                heads.insert(hash);
                plan.applied_at.insert(hash, index);
                plan.changes.push(change);
            }
        }
        let after = heads.iter().copied().collect();
        plan.steps.push(Step { before, after });
    }
    Some(plan)
}

/// One change, if `bytes` are exactly one change chunk that automerge's loading would accept:
/// its checksum included, which parsing a change alone does not check.
fn parse_change(bytes: &[u8]) -> Option<Change> {
    let change = Change::try_from(bytes).ok()?;
    let checksum = &change.hash().0[..4];
    let stated = |chunk: &[u8]| chunk.get(4..8) == Some(checksum);
    (stated(bytes) && stated(change.raw_bytes())).then_some(change)
}

#[cfg(test)]
mod tests;
