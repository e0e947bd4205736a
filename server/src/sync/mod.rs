//! The `/sync` endpoint: the automerge-repo protocol "1" between our peers and our documents.
//!
//! One connection task per WebSocket reads frames, checks them and hands document messages to
//! the document's actor; the actor owns the automerge document and a sync state per peer,
//! stores every accepted change before any peer hears of it, and queues for each peer what it
//! lacks in the peer's outbox, which the connection task sends.
//!
//! Layout:
//! - `connection`: the connection task (and `connection/access`: roles and access changes;
//!   `connection/resting`: connections quiet for a while, kept without a task);
//! - `outbox`: the frames queued for one connection, and the request to close it;
//! - `actor`: the document actor; `registry`: finds or starts a document's actor;
//! - `admission`: connections per account and messages per second.

mod actor;
mod admission;
mod connection;
mod outbox;
mod registry;

use std::sync::Arc;
use std::time::Duration;

use agora_schema::PeerId;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use actor::DocumentCommand;
pub use admission::{AccountConnections, Admitted};
pub use connection::{serve_connection, RestingConnections};
pub use registry::DocumentRegistry;

use crate::directory::Directory;
use crate::store::Store;

/// WebSocket close codes (RFC 6455) the server closes with.
pub mod close_code {
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// The peer did something its role does not allow, or its sign-in ended.
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    /// The peer did nothing wrong and may reconnect.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

/// The knobs of the sync layer, from the server's configuration.
#[derive(Debug, Clone)]
pub struct SyncLimits {
    /// Largest frame a peer may send.
    pub max_frame_bytes: usize,
    /// A peer must send `join` within this time of connecting.
    pub join_timeout: Duration,
    /// The server pings every peer this often ...
    pub ping_every: Duration,
    /// ... and closes a connection it has heard nothing from for this long.
    pub pong_timeout: Duration,
    /// A connection quiet this long rests without a task until something wakes it.
    pub rest_after: Duration,
    /// Frames queued for one connection before it counts as lagging.
    pub send_queue: usize,
    /// A peer that cannot take messages for this long is disconnected (it resyncs when it
    /// comes back).
    pub lag_limit: Duration,
    /// A document nobody has open is unloaded from memory after this long.
    pub idle_unload: Duration,
    /// Documents one connection may have open at once.
    pub max_documents_per_connection: usize,
    /// Connections one account may have open at once.
    pub max_connections_per_account: usize,
    /// Messages per second one connection may send on average.
    pub max_messages_per_second: u32,
}

/// Everything a connection needs, shared by all of them.
#[derive(Clone)]
pub struct SyncHub {
    pub documents: DocumentRegistry,
    /// Who may read and write which document.
    pub directory: Directory,
    pub store: Arc<dyn Store>,
    pub limits: Arc<SyncLimits>,
    /// The server's own peer id and storage id, announced in `peer`.
    pub server_peer: PeerId,
    pub storage_id: String,
    /// Cancelled when the server shuts down; every connection then closes cleanly.
    pub shutdown: CancellationToken,
    /// Tracks connection tasks so shutdown can wait for them.
    pub connections: TaskTracker,
    /// Open connections per account, against `max_connections_per_account`.
    pub per_account: Arc<AccountConnections>,
    /// Connections resting without a task until something wakes them.
    pub resting: Arc<RestingConnections>,
}

impl SyncHub {
    /// Call inside the runtime that serves the connections: it starts the task that wakes
    /// resting ones.
    pub fn new(
        store: Arc<dyn Store>,
        directory: Directory,
        limits: SyncLimits,
        server_peer: PeerId,
        storage_id: String,
        shutdown: CancellationToken,
    ) -> Self {
        let limits = Arc::new(limits);
        let resting = RestingConnections::new();
        tokio::spawn(resting.clone().watch(
            directory.subscribe(),
            shutdown.clone(),
            limits.ping_every,
        ));
        Self {
            documents: DocumentRegistry::new(store.clone(), limits.clone(), server_peer.clone()),
            directory,
            store,
            limits,
            server_peer,
            storage_id,
            shutdown,
            connections: TaskTracker::new(),
            per_account: Arc::default(),
            resting,
        }
    }
}
