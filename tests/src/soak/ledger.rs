//! The ledger of every change a client made, by document, and the merged copies of every client
//! that left: together they say what the server must hold at the end.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use agora_client::{DocHandle, DocumentId};
use automerge::{Automerge, ChangeHash};

use super::tally::lock;

#[derive(Default)]
pub struct Ledger {
    changes: Mutex<HashMap<DocumentId, HashSet<ChangeHash>>>,
}

impl Ledger {
    /// Notes the change `handle`'s own client made last (after each local edit).
    pub fn record_last_local(&self, handle: &DocHandle) {
        let hash = handle.with_doc(|doc| doc.get_last_local_change().map(|change| change.hash()));
        if let Some(hash) = hash {
            lock(&self.changes)
                .entry(handle.id())
                .or_default()
                .insert(hash);
        }
    }

    /// Notes every change of a document its client made alone (a document it just created).
    pub fn record_all(&self, handle: &DocHandle) {
        let hashes = handle.with_doc(crate::editing::change_hashes);
        lock(&self.changes)
            .entry(handle.id())
            .or_default()
            .extend(hashes);
    }

    pub fn changes(&self, id: DocumentId) -> HashSet<ChangeHash> {
        lock(&self.changes).get(&id).cloned().unwrap_or_default()
    }

    pub fn total(&self) -> usize {
        lock(&self.changes).values().map(HashSet::len).sum()
    }
}

/// Per document, the merge of the copies of every client that has left.
#[derive(Default)]
pub struct Copies {
    merged: Mutex<HashMap<DocumentId, Automerge>>,
}

impl Copies {
    /// Merges the client's copy of the document in; merging copies of one document only fails
    /// if one holds a change whose dependencies it lacks, which is reported.
    pub fn absorb(&self, handle: &DocHandle) -> Result<(), String> {
        let mut copy = handle.with_doc(Automerge::clone);
        let mut merged = lock(&self.merged);
        match merged.get_mut(&handle.id()) {
            Some(existing) => existing
                .merge(&mut copy)
                .map(|_| ())
                .map_err(|e| format!("merging a copy of {}: {e}", handle.id())),
            None => {
                merged.insert(handle.id(), copy);
                Ok(())
            }
        }
    }

    pub fn merged(&self, id: DocumentId) -> Option<Automerge> {
        lock(&self.merged).get(&id).cloned()
    }
}
