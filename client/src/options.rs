//! How a client connects and how long it waits.

use std::time::Duration;

use agora_schema::PeerId;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Our peer id; a fresh `agora-client-<random>` when `None`. It must be unique per live
    /// connection: the server drops the older socket of a peer id that joins twice.
    pub peer_id: Option<PeerId>,
    /// An API token of the account to act as (sent as `Authorization: Bearer`). A `?token=`
    /// in the URL works too.
    pub token: Option<String>,
    /// Reconnect with backoff (and resync every open document) when the connection drops.
    pub reconnect: bool,
    /// Bound on opening the socket plus the `join` → `peer` handshake, per attempt.
    pub connect_timeout: Duration,
    /// Bound on `Client::find` waiting for a document to arrive or be refused.
    pub find_timeout: Duration,
    /// While a sync message for a document is unanswered, local changes wait until this long
    /// after it before the next one goes out, so fast typing travels in fewer, larger messages
    /// (the npm client throttles by 100 ms too). Replies to the server are never held back.
    /// Zero sends every change at once, as a benchmark of the server wants.
    pub sync_throttle: Duration,
    /// First pause before reconnecting; doubles per failed attempt up to `reconnect_max_delay`.
    pub reconnect_min_delay: Duration,
    pub reconnect_max_delay: Duration,
    /// Other addresses of the same service (further instances on one database): reconnect
    /// attempts go round the connect URL and these in turn, so a client whose instance died
    /// carries on with another.
    pub other_urls: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            peer_id: None,
            token: None,
            reconnect: true,
            connect_timeout: Duration::from_secs(5),
            find_timeout: Duration::from_secs(10),
            sync_throttle: Duration::from_millis(100),
            reconnect_min_delay: Duration::from_millis(50),
            reconnect_max_delay: Duration::from_secs(2),
            other_urls: Vec::new(),
        }
    }
}
