//! What the user-facing handles and the connection task share, and how they signal each other.
//!
//! Handles never touch the socket: they change documents, mark them dirty and wake the
//! connection task, which alone decides what to send. Every queue here is bounded: the dirty set
//! by the number of open documents, the ephemeral queue by `EPHEMERAL_QUEUE`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use agora_schema::{DocumentId, PeerId};
use tokio::sync::{mpsc, watch, Notify};

use crate::document::DocState;
use crate::{ClientError, ClientOptions};

/// Outgoing ephemeral messages waiting for the socket. Ephemeral data is best-effort, so a full
/// queue refuses new messages instead of growing.
pub(crate) const EPHEMERAL_QUEUE: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Connected,
    /// The connection dropped; the task is trying to get it back.
    Reconnecting,
    /// Closed by the user, or dropped with reconnecting turned off. Final.
    Closed,
}

/// An ephemeral message queued by a `DocHandle`; the connection task addresses it.
pub(crate) struct OutgoingEphemeral {
    pub document_id: DocumentId,
    pub count: u64,
    pub data: Vec<u8>,
}

pub(crate) struct Shared {
    pub peer_id: PeerId,
    pub url: String,
    pub options: ClientOptions,
    /// Set at each (re)join; a restarted server may come back with another peer id.
    server_peer_id: Mutex<PeerId>,
    /// Open documents. An entry lives until the client is dropped or a `find` fails.
    docs: Mutex<HashMap<DocumentId, Arc<DocState>>>,
    /// Documents that may have something to send; drained by the connection task.
    dirty: Mutex<HashSet<DocumentId>>,
    /// Wakes the connection task after `dirty` grew. `Notify` keeps one permit, so a wake-up
    /// that comes while the task is busy is not lost.
    pub wake: Notify,
    pub status: watch::Sender<Status>,
    /// Set once by `Client::close` or when the last `Client` clone is dropped.
    pub shutdown: watch::Sender<bool>,
    ephemeral_out: mpsc::Sender<OutgoingEphemeral>,
    /// Ephemeral messages are deduplicated by receivers per (sender, session, count).
    pub session_id: String,
    ephemeral_count: AtomicU64,
    last_server_error: Mutex<Option<String>>,
    /// Protocol messages sent and received over every session of this connection: what a
    /// server handled on our account, as benchmarks count it for servers that report nothing.
    pub messages_sent: AtomicU64,
    pub messages_received: AtomicU64,
}

/// Locks a mutex even if a panicking thread poisoned it: the data behind our mutexes stays
/// consistent because no critical section leaves it half-updated.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub fn new(
        url: String,
        peer_id: PeerId,
        server_peer_id: PeerId,
        options: ClientOptions,
    ) -> (Arc<Self>, mpsc::Receiver<OutgoingEphemeral>) {
        let (ephemeral_out, ephemeral_rx) = mpsc::channel(EPHEMERAL_QUEUE);
        let shared = Arc::new(Self {
            peer_id,
            url,
            options,
            server_peer_id: Mutex::new(server_peer_id),
            docs: Mutex::new(HashMap::new()),
            dirty: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            status: watch::Sender::new(Status::Connected),
            shutdown: watch::Sender::new(false),
            ephemeral_out,
            session_id: PeerId::random("session").as_str().to_owned(),
            ephemeral_count: AtomicU64::new(0),
            last_server_error: Mutex::new(None),
            messages_sent: AtomicU64::new(0),
            messages_received: AtomicU64::new(0),
        });
        (shared, ephemeral_rx)
    }

    pub fn server_peer_id(&self) -> PeerId {
        lock(&self.server_peer_id).clone()
    }

    pub fn set_server_peer_id(&self, id: PeerId) {
        *lock(&self.server_peer_id) = id;
    }

    pub fn doc(&self, id: &DocumentId) -> Option<Arc<DocState>> {
        lock(&self.docs).get(id).cloned()
    }

    /// The open document `id`, or `make()` registered as it. Tells whether it was made.
    pub fn open_doc(
        &self,
        id: DocumentId,
        make: impl FnOnce() -> DocState,
    ) -> (Arc<DocState>, bool) {
        let mut docs = lock(&self.docs);
        if let Some(doc) = docs.get(&id) {
            return (doc.clone(), false);
        }
        let doc = Arc::new(make());
        docs.insert(id, doc.clone());
        (doc, true)
    }

    pub fn forget_doc(&self, id: &DocumentId) {
        lock(&self.docs).remove(id);
    }

    pub fn mark_dirty(&self, id: DocumentId) {
        lock(&self.dirty).insert(id);
        self.wake.notify_one();
    }

    /// Keeps documents dirty without a wake-up: the connection task set itself a timer.
    pub fn defer_dirty(&self, ids: Vec<DocumentId>) {
        if !ids.is_empty() {
            lock(&self.dirty).extend(ids);
        }
    }

    /// After a (re)connect every open document starts over with a fresh sync state.
    pub fn mark_all_dirty(&self) {
        let ids: Vec<DocumentId> = lock(&self.docs).keys().copied().collect();
        lock(&self.dirty).extend(ids);
        self.wake.notify_one();
    }

    pub fn take_dirty(&self) -> HashSet<DocumentId> {
        std::mem::take(&mut *lock(&self.dirty))
    }

    pub fn all_docs(&self) -> Vec<Arc<DocState>> {
        lock(&self.docs).values().cloned().collect()
    }

    pub fn queue_ephemeral(
        &self,
        document_id: DocumentId,
        data: Vec<u8>,
    ) -> Result<(), ClientError> {
        if *self.status.borrow() == Status::Closed {
            return Err(ClientError::Closed);
        }
        let count = self.ephemeral_count.fetch_add(1, Ordering::Relaxed) + 1;
        let message = OutgoingEphemeral {
            document_id,
            count,
            data,
        };
        self.ephemeral_out.try_send(message).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ClientError::EphemeralQueueFull,
            mpsc::error::TrySendError::Closed(_) => ClientError::Closed,
        })
    }

    pub fn record_server_error(&self, message: String) {
        *lock(&self.last_server_error) = Some(message);
    }

    pub fn last_server_error(&self) -> Option<String> {
        lock(&self.last_server_error).clone()
    }
}
