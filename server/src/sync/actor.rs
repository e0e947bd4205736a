//! One actor per open document: it owns the automerge document and one sync state per peer.
//!
//! Commands arrive in batches; the actor applies every sync message of a batch, with one
//! application of all their changes where it can (automerge walks every operation of each object
//! a change touches, so the keystrokes that queued up cost one walk together instead of one
//! each), appends the new changes to the store in one transaction, and only then sends each peer
//! what it lacks. A peer whose outgoing queue is full is not skipped: its sync state remembers
//! what it has, and it is brought up to date once its queue drains, or disconnected after the lag
//! limit.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agora_schema::{
    apply_sync_messages, encode, DocumentId, DocumentMessage, EphemeralMessage, Message, PeerId,
    SyncStates,
};
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash, ReadDoc, TextEncoding};
use tokio::sync::mpsc;

use super::outbox::{Outbox, Refused};
use super::registry::DocumentRegistry;
use super::{close_code, SyncLimits};
use crate::metrics::{metrics, seconds_since, GaugeGuard};
use crate::store::{Seq, Store};

/// A connection's number, unique in this process.
pub type ConnectionId = u64;

/// Commands a batch may hold at most, so one busy document cannot starve the others' peers of
/// their first reply.
const MAX_BATCH: usize = 256;
/// The log is folded into a snapshot once it holds at least this many bytes and at least as
/// many as the snapshot itself.
const COMPACT_AFTER_LOG_BYTES: usize = 64 * 1024;
/// How often lagging peers are retried.
const LAG_RETRY_EVERY: Duration = Duration::from_millis(50);

/// How a document actor reaches one connection.
#[derive(Clone)]
pub struct PeerLink {
    pub connection: ConnectionId,
    pub peer_id: PeerId,
    /// Frames for the connection, and the way to close it; bounded, so a slow reader shows as
    /// lag.
    pub outbox: Arc<Outbox>,
}

pub enum DocumentCommand {
    /// A `sync` or `request` from a peer; `data` is an encoded automerge sync message.
    Sync {
        from: PeerLink,
        data: Vec<u8>,
        is_request: bool,
        /// The peer's role allows changes; otherwise it gets a read-only sync state and any
        /// change it sends is refused.
        may_write: bool,
    },
    /// Boxed: the inbox's slots are as wide as the widest command.
    Ephemeral {
        from: ConnectionId,
        message: Box<EphemeralMessage>,
    },
    Leave {
        connection: ConnectionId,
    },
    /// Another instance stored chunk `seq` of the document (`None`: chunks may have been
    /// stored that this instance did not hear of); the actor reads what it lacks from the log.
    CatchUp {
        seq: Option<Seq>,
    },
    /// Reads the document as the server holds it, once everything received so far is stored
    /// (`None`: it has no changes, or cannot be read). The reader runs on the live document, so
    /// nothing is saved and loaded again: for a long history that would cost far more time and
    /// memory than the read itself.
    Read {
        read: DocumentRead,
    },
}

/// What a `Read` runs on the document.
pub type DocumentRead = Box<dyn FnOnce(Option<&Automerge>) + Send>;

struct Peer {
    link: PeerLink,
    state: sync::State,
    /// The peer asked with `request` while we had nothing; it gets `doc-unavailable` once, and
    /// the document as soon as it exists.
    wants_missing: bool,
    told_unavailable: bool,
    /// The peer sent changes we have not yet confirmed by sending our new heads. automerge may
    /// believe the peer knows them already (a later message of the same batch can say so), but
    /// the peer only learns that its changes are stored when it hears our heads from us.
    owes_heads: bool,
    /// Something may be worth sending this peer: it wrote to us, or our heads moved. Peers
    /// without news are left alone, so one peer's acknowledgement costs no work for the others.
    due: bool,
    lagging_since: Option<Instant>,
}

enum Health {
    Ready,
    /// The stored data could not be read; nothing may be written on top of it.
    Unreadable,
}

pub struct DocumentActor {
    id: DocumentId,
    doc: Automerge,
    health: Health,
    /// Boxed: the map keeps spare slots, and a slot is only a pointer wide.
    peers: HashMap<ConnectionId, Box<Peer>>,
    store: Arc<dyn Store>,
    limits: Arc<SyncLimits>,
    server_peer: PeerId,
    /// The heads of everything stored; changes beyond them are not yet durable.
    stored_heads: Vec<ChangeHash>,
    /// Every chunk of the log up to here is in `doc`. Chunks after it may be ours too, but
    /// another instance may have stored one in between that this actor has yet to read.
    read_through: Seq,
    log_bytes: usize,
    snapshot_bytes: usize,
    /// Sync messages of the batch at hand, checked and not yet applied: they are applied
    /// together, and before anything that depends on their having been applied.
    received: Vec<(ConnectionId, sync::Message)>,
}

impl DocumentActor {
    pub fn new(
        id: DocumentId,
        store: Arc<dyn Store>,
        limits: Arc<SyncLimits>,
        server_peer: PeerId,
    ) -> Self {
        Self {
            id,
            doc: Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit),
            health: Health::Ready,
            peers: HashMap::new(),
            store,
            limits,
            server_peer,
            stored_heads: Vec::new(),
            read_through: 0,
            log_bytes: 0,
            snapshot_bytes: 0,
            received: Vec::new(),
        }
    }

    /// Runs until the document has been idle for the configured time or storage fails.
    #[allow(clippy::manual_async_fn)] // An `async fn` would hold the actor twice.
    pub fn run(
        mut self,
        mut inbox: mpsc::Receiver<DocumentCommand>,
        registry: DocumentRegistry,
        generation: u64,
    ) -> impl Future<Output = ()> + Send {
        async move {
            let _counted = GaugeGuard::new(&metrics().open_documents);
            // Loading and handling a batch wait on the store through large futures; boxed while
            // they run, they are not laid out in the task every open document keeps.
            if !Box::pin(self.load()).await {
                // The store did not answer: nothing is decided about the document. The next
                // command starts a new actor that tries again; whoever is waiting now reconnects
                // and retries.
                registry.remove(self.id, generation);
                inbox.close();
                // `recv` and not `try_recv`: a sender that reserved its slot just before the close
                // is still delivered, and `None` comes only after it.
                while let Some(command) = inbox.recv().await {
                    match command {
                        DocumentCommand::Sync { from, .. } => from
                            .outbox
                            .kick("the server cannot read the document right now; reconnect"),
                        DocumentCommand::Read { read } => read(None),
                        _ => {}
                    }
                }
                return;
            }
            let mut retry = tokio::time::interval(LAG_RETRY_EVERY);
            retry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut idle_since = Instant::now();
            loop {
                let lagging = self.peers.values().any(|p| p.lagging_since.is_some());
                let idle_deadline =
                    tokio::time::Instant::from_std(idle_since + self.limits.idle_unload);
                let first = tokio::select! {
                    command = inbox.recv() => command,
                    _ = retry.tick(), if lagging => {
                        self.send_sync_messages();
                        continue;
                    }
                    _ = tokio::time::sleep_until(idle_deadline), if self.peers.is_empty() => {
                        if registry.remove_if_idle(self.id, generation, &inbox) {
                            break;
                        }
                        idle_since = Instant::now();
                        continue;
                    }
                };
                let Some(first) = first else { break };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match inbox.try_recv() {
                        Ok(command) => batch.push(command),
                        Err(_) => break,
                    }
                }
                let started = Instant::now();
                let handled = Box::pin(self.handle_batch(batch)).await;
                metrics().sync_batch_seconds.observe(seconds_since(started));
                if !handled {
                    registry.remove(self.id, generation);
                    break;
                }
                if self.peers.is_empty() {
                    idle_since = Instant::now();
                }
            }
            // Commands that raced with our exit go to the document's next actor, not to the floor.
            inbox.close();
            while let Some(command) = inbox.recv().await {
                registry.dispatch(self.id, command).await;
            }
        }
    }

    /// Reads the document from the store; false if the store failed to answer. Stored data
    /// that does not decode leaves the document read-only instead: retrying would not help.
    async fn load(&mut self) -> bool {
        let stored = match self.store.load(self.id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return true,
            Err(error) => {
                tracing::error!(document = %self.id, %error, "cannot load document");
                return false;
            }
        };
        let id = self.id;
        let decoded =
            tokio::task::spawn_blocking(move || stored.decode().map(|doc| (doc, stored))).await;
        match decoded {
            Ok(Ok((doc, stored))) => {
                self.stored_heads = doc.get_heads();
                self.doc = doc;
                self.read_through = stored.last_seq();
                self.log_bytes = stored.log_bytes();
                self.snapshot_bytes = stored.snapshot.as_ref().map_or(0, Vec::len);
            }
            Ok(Err(error)) => {
                tracing::error!(document = %id, %error, "stored document is damaged; it stays read-only");
                self.health = Health::Unreadable;
            }
            Err(error) => {
                tracing::error!(document = %id, %error, "loading the document panicked");
                self.health = Health::Unreadable;
            }
        }
        true
    }

    /// Handles one batch; returns false when the actor must stop.
    async fn handle_batch(&mut self, batch: Vec<DocumentCommand>) -> bool {
        // What other instances stored comes in first, while everything this actor holds is
        // stored, so the heads after reading it are stored heads too.
        let behind = batch.iter().any(|command| match command {
            DocumentCommand::CatchUp { seq } => seq.is_none_or(|seq| seq > self.read_through),
            _ => false,
        });
        if behind && !self.catch_up().await {
            for peer in self.peers.values() {
                peer.link
                    .outbox
                    .kick("the server could not read the document's latest changes; reconnect");
            }
            return false;
        }
        let mut reads = Vec::new();
        for command in batch {
            match command {
                DocumentCommand::Sync {
                    from,
                    data,
                    is_request,
                    may_write,
                } => self.receive_sync(from, &data, is_request, may_write),
                DocumentCommand::Ephemeral { from, message } => {
                    self.relay_ephemeral(from, *message)
                }
                DocumentCommand::Leave { connection } => {
                    self.peers.remove(&connection);
                }
                DocumentCommand::Read { read } => reads.push(read),
                DocumentCommand::CatchUp { .. } => {}
            }
        }
        self.apply_received();
        if self.doc.get_heads() != self.stored_heads {
            if let Err(error) = self.store_new_changes().await {
                tracing::error!(document = %self.id, %error, "cannot store changes; peers must resync");
                // The unstored changes were never sent to anyone; the peers that made them still
                // have them and send them again when they reconnect.
                for peer in self.peers.values() {
                    peer.link.outbox.kick(
                        "the server could not store your changes; reconnect to sync them again",
                    );
                }
                return false;
            }
            for peer in self.peers.values_mut() {
                peer.due = true;
            }
        }
        self.send_sync_messages();
        let has_changes = !self.doc.get_heads().is_empty();
        for read in reads {
            read(has_changes.then_some(&self.doc));
        }
        true
    }

    fn receive_sync(&mut self, from: PeerLink, data: &[u8], is_request: bool, may_write: bool) {
        if let Health::Unreadable = self.health {
            from.outbox
                .kick(format!("document {} cannot be read on the server", self.id));
            return;
        }
        let message = match sync::Message::decode(data) {
            Ok(message) => message,
            Err(error) => {
                from.outbox
                    .kick(format!("`data` is not an automerge sync message: {error}"));
                self.peers.remove(&from.connection);
                return;
            }
        };
        let connection = from.connection;
        if !may_write && !message.changes.is_empty() {
            // Changes the batch brings earlier are not new from this peer.
            self.apply_received();
            if brings_new_changes(&self.doc, &message) {
                from.outbox.kick_with_code(
                    format!(
                        "you may only read document {}; your change was not stored",
                        self.id
                    ),
                    close_code::POLICY_VIOLATION,
                );
                self.peers.remove(&connection);
                return;
            }
        }
        tracing::trace!(
            document = %self.id, connection, heads = ?message.heads,
            changes = message.changes.len(), need = message.need.len(), "sync in"
        );
        let role_changes = self
            .peers
            .get(&connection)
            .is_some_and(|peer| peer.state.read_only == may_write);
        // A new role applies from this message on, and whether the document exists yet
        // depends on the messages before it.
        if role_changes || (is_request && self.doc.get_heads().is_empty()) {
            self.apply_received();
        }
        let peer = self.peers.entry(connection).or_insert_with(|| {
            Box::new(Peer {
                link: from,
                state: sync::State::new(),
                wants_missing: false,
                told_unavailable: false,
                owes_heads: false,
                due: false,
                lagging_since: None,
            })
        });
        // A role change on an open connection takes effect here: read-only states apply nothing,
        // and a state made writable asks the peer to send again what was ignored.
        peer.state.set_read_only(!may_write);
        if is_request && self.doc.get_heads().is_empty() {
            peer.wants_missing = true;
        }
        peer.owes_heads |= !message.changes.is_empty();
        peer.due = true;
        self.received.push((connection, message));
    }

    /// Applies the sync messages received so far, in the order they came.
    fn apply_received(&mut self) {
        if self.received.is_empty() {
            return;
        }
        let received = std::mem::take(&mut self.received);
        let mut states = PeerStates {
            peers: &mut self.peers,
            gone: sync::State::new(),
        };
        let applied = apply_sync_messages(&mut self.doc, received, &mut states);
        for (connection, outcome) in applied {
            let Some(peer) = self.peers.get_mut(&connection) else {
                continue;
            };
            match outcome {
                // Once the peer has all we sent, the set is empty but would keep its node for
                // as long as the peer stays: a few hundred bytes for every idle peer.
                Ok(()) if peer.state.sent_hashes.is_empty() => peer.state.sent_hashes.clear(),
                Ok(()) => {}
                Err(error) => {
                    peer.link
                        .outbox
                        .kick(format!("the sync message could not be applied: {error}"));
                    self.peers.remove(&connection);
                }
            }
        }
    }

    fn relay_ephemeral(&mut self, from: ConnectionId, message: EphemeralMessage) {
        for (connection, peer) in &self.peers {
            if *connection == from {
                continue;
            }
            let frame = encode(&Message::Ephemeral(EphemeralMessage {
                target_id: peer.link.peer_id.clone(),
                ..message.clone()
            }));
            // Ephemeral messages are fire-and-forget by design (presence is re-sent by
            // heartbeat); a full queue drops this one, never a document change.
            let _ = peer.link.outbox.try_send(frame);
        }
    }

    /// Reads the chunks other instances stored since `read_through` (and their snapshot, if
    /// they compacted past it) into the document; false if the store failed us.
    async fn catch_up(&mut self) -> bool {
        if let Health::Unreadable = self.health {
            return true;
        }
        let stored = match self.store.load_since(self.id, self.read_through).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return true,
            Err(error) => {
                tracing::error!(document = %self.id, %error, "cannot read changes stored elsewhere");
                return false;
            }
        };
        let read = tokio::task::block_in_place(|| stored.apply_to(&mut self.doc));
        if let Err(error) = read {
            tracing::error!(document = %self.id, %error, "changes stored elsewhere do not apply");
            return false;
        }
        self.read_through = stored.last_seq();
        let heads = self.doc.get_heads();
        if heads != self.stored_heads {
            self.stored_heads = heads;
            for peer in self.peers.values_mut() {
                peer.due = true;
            }
        }
        true
    }

    async fn store_new_changes(&mut self) -> Result<(), crate::store::StoreError> {
        let heads = self.doc.get_heads();
        let changes = self.doc.save_after(&self.stored_heads);
        let started = Instant::now();
        let seq = self.store.append(self.id, &changes).await?;
        metrics().log_appends.inc();
        metrics().log_append_seconds.observe(seconds_since(started));
        if seq == self.read_through + 1 {
            self.read_through = seq;
        }
        self.stored_heads = heads;
        self.log_bytes += changes.len();
        if self.log_bytes >= COMPACT_AFTER_LOG_BYTES.max(self.snapshot_bytes) {
            let snapshot = tokio::task::block_in_place(|| self.doc.save());
            // Only chunks this document is known to contain may be folded away.
            match self
                .store
                .compact(self.id, &snapshot, self.read_through)
                .await
            {
                Ok(()) => {
                    self.snapshot_bytes = snapshot.len();
                    self.log_bytes = 0;
                }
                // The log still holds everything; compaction is only an optimisation.
                Err(error) => tracing::warn!(document = %self.id, %error, "compaction failed"),
            }
        }
        Ok(())
    }

    /// Sends every peer what it lacks, as far as its queue allows.
    fn send_sync_messages(&mut self) {
        let exists = !self.doc.get_heads().is_empty();
        let now = Instant::now();
        let mut gone = Vec::new();
        for (connection, peer) in self.peers.iter_mut() {
            if !peer.due {
                continue;
            }
            if !exists && peer.wants_missing {
                if !peer.told_unavailable {
                    let frame = encode(&Message::DocUnavailable {
                        sender_id: self.server_peer.clone(),
                        target_id: peer.link.peer_id.clone(),
                        document_id: self.id,
                    });
                    peer.told_unavailable = peer.link.outbox.try_send(frame).is_ok();
                }
                continue;
            }
            match peer.link.outbox.room() {
                Ok(()) => {}
                Err(Refused::Full) => {
                    let since = *peer.lagging_since.get_or_insert(now);
                    if now.duration_since(since) > self.limits.lag_limit {
                        peer.link
                            .outbox
                            .kick("you fell too far behind; reconnect to resync");
                        gone.push(*connection);
                    }
                    continue;
                }
                Err(Refused::Closed) => {
                    gone.push(*connection);
                    continue;
                }
            }
            peer.lagging_since = None;
            peer.due = false;
            if std::mem::take(&mut peer.owes_heads) {
                // Forget what automerge thinks it last told this peer, so it tells it again.
                peer.state.last_sent_heads.clear();
            }
            let message = self.doc.generate_sync_message(&mut peer.state);
            tracing::trace!(
                document = %self.id, connection,
                heads = ?message.as_ref().map(|m| &m.heads),
                changes = message.as_ref().map(|m| m.changes.len()), "sync out"
            );
            if let Some(message) = message {
                peer.link
                    .outbox
                    .push(encode(&Message::Sync(DocumentMessage {
                        sender_id: self.server_peer.clone(),
                        target_id: peer.link.peer_id.clone(),
                        document_id: self.id,
                        data: message.encode(),
                    })));
            }
        }
        for connection in gone {
            self.peers.remove(&connection);
        }
    }
}

/// The sync state of each peer with a message in `received`. A peer that left (or was sent
/// away) after its message came still has its changes applied, with a state of its own that is
/// then forgotten.
struct PeerStates<'a> {
    peers: &'a mut HashMap<ConnectionId, Box<Peer>>,
    gone: sync::State,
}

impl SyncStates<ConnectionId> for PeerStates<'_> {
    fn state(&mut self, connection: &ConnectionId) -> &mut sync::State {
        match self.peers.get_mut(connection) {
            Some(peer) => &mut peer.state,
            None => {
                self.gone = sync::State::new();
                &mut self.gone
            }
        }
    }
}

/// Whether a sync message carries a change the document lacks (or bytes that are not a change).
fn brings_new_changes(doc: &Automerge, message: &sync::Message) -> bool {
    message.changes.iter().any(|bytes| {
        automerge::Change::from_bytes(bytes.to_vec()).map_or(true, |change| {
            doc.get_change_by_hash(&change.hash()).is_none()
        })
    })
}

#[cfg(test)]
mod tests;
