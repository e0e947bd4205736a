//! The open documents: at most one actor per document, spawned on first use and removed when
//! idle, with no window in which a command can be lost between the two.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use agora_schema::{DocumentId, PeerId};
use automerge::Automerge;
use tokio::sync::{mpsc, oneshot};

use super::actor::{DocumentActor, DocumentCommand};
use super::SyncLimits;
use crate::store::Store;

/// Commands waiting for one document before its connections feel backpressure.
const INBOX: usize = 1024;

struct Entry {
    generation: u64,
    inbox: mpsc::Sender<DocumentCommand>,
}

#[derive(Clone)]
pub struct DocumentRegistry {
    open: Arc<Mutex<HashMap<DocumentId, Entry>>>,
    next_generation: Arc<AtomicU64>,
    store: Arc<dyn Store>,
    limits: Arc<SyncLimits>,
    /// The peer id actors sign their messages with.
    server_peer: PeerId,
}

impl DocumentRegistry {
    pub fn new(store: Arc<dyn Store>, limits: Arc<SyncLimits>, server_peer: PeerId) -> Self {
        Self {
            open: Arc::default(),
            next_generation: Arc::default(),
            store,
            limits,
            server_peer,
        }
    }

    /// Hands a command to the document's actor, starting one if none runs.
    pub async fn dispatch(&self, id: DocumentId, command: DocumentCommand) {
        let mut command = command;
        // An actor may be stopping just as we send; its inbox then refuses the command and we
        // start the next actor. Twice is enough: a fresh actor does not stop before its first
        // command.
        for _ in 0..3 {
            let inbox = self.inbox(id);
            match inbox.send(command).await {
                Ok(()) => return,
                Err(mpsc::error::SendError(returned)) => command = returned,
            }
        }
        tracing::error!(document = %id, "no document actor would take a command");
    }

    /// Tells the document's actor that another instance stored chunk `seq` (`None`: chunks may
    /// have been missed), if the document is open here; a closed document reads the log anyway
    /// when it next opens.
    pub fn tell_stored(&self, id: DocumentId, seq: Option<crate::store::Seq>) {
        let inbox = {
            let open = self.open.lock().expect("registry lock");
            match open.get(&id) {
                Some(entry) if !entry.inbox.is_closed() => entry.inbox.clone(),
                _ => return,
            }
        };
        let command = DocumentCommand::CatchUp { seq };
        if let Err(mpsc::error::TrySendError::Full(command)) = inbox.try_send(command) {
            // A busy actor still must hear it; the listener does not wait for it.
            tokio::spawn(async move { inbox.send(command).await });
        }
    }

    /// Tells every open document that chunks may have been missed.
    pub fn tell_all_stored(&self) {
        let ids: Vec<DocumentId> = self
            .open
            .lock()
            .expect("registry lock")
            .keys()
            .copied()
            .collect();
        for id in ids {
            self.tell_stored(id, None);
        }
    }

    /// The number of documents in memory.
    pub fn open_count(&self) -> usize {
        self.open.lock().expect("registry lock").len()
    }

    /// What `read` finds in the document as stored and held by the server (`None` if it has
    /// no changes or cannot be read).
    pub async fn read<R: Send + 'static>(
        &self,
        id: DocumentId,
        read: impl FnOnce(&Automerge) -> R + Send + 'static,
    ) -> Option<R> {
        let (reply, answer) = oneshot::channel();
        let read = Box::new(move |doc: Option<&Automerge>| {
            let _ = reply.send(doc.map(read));
        });
        self.dispatch(id, DocumentCommand::Read { read }).await;
        answer.await.ok().flatten()
    }

    /// The document as stored and held by the server (`None` if it does not exist).
    pub async fn save(&self, id: DocumentId) -> Option<Vec<u8>> {
        self.read(id, Automerge::save).await
    }

    fn inbox(&self, id: DocumentId) -> mpsc::Sender<DocumentCommand> {
        let mut open = self.open.lock().expect("registry lock");
        if let Some(entry) = open.get(&id) {
            if !entry.inbox.is_closed() {
                return entry.inbox.clone();
            }
        }
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let (inbox, receiver) = mpsc::channel(INBOX);
        open.insert(
            id,
            Entry {
                generation,
                inbox: inbox.clone(),
            },
        );
        let actor = DocumentActor::new(
            id,
            self.store.clone(),
            self.limits.clone(),
            self.server_peer.clone(),
        );
        tokio::spawn(actor.run(receiver, self.clone(), generation));
        inbox
    }

    /// Removes an idle actor's entry unless a command is already waiting for it.
    pub(super) fn remove_if_idle(
        &self,
        id: DocumentId,
        generation: u64,
        inbox: &mpsc::Receiver<DocumentCommand>,
    ) -> bool {
        let mut open = self.open.lock().expect("registry lock");
        if !inbox.is_empty() {
            return false;
        }
        if open
            .get(&id)
            .is_some_and(|entry| entry.generation == generation)
        {
            open.remove(&id);
        }
        true
    }

    /// Removes a failed actor's entry, so the next command starts afresh from the store.
    pub(super) fn remove(&self, id: DocumentId, generation: u64) {
        let mut open = self.open.lock().expect("registry lock");
        if open
            .get(&id)
            .is_some_and(|entry| entry.generation == generation)
        {
            open.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests;
