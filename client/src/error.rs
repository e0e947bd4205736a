//! The one error type of the client library.

use std::time::Duration;

use agora_schema::DocumentId;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("`{url}` is not a usable server URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { after: Duration, what: &'static str },
    /// The server sent an `error` frame; it closes the connection after it.
    #[error("the server refused: {0}")]
    Rejected(String),
    #[error("the server chose protocol version `{0}`, this client speaks only \"1\"")]
    UnsupportedVersion(String),
    #[error("the server broke the protocol: {0}")]
    Protocol(String),
    /// The server answered `doc-unavailable`: it does not have the document or will not share it.
    #[error("document {0} is unavailable on the server")]
    Unavailable(DocumentId),
    #[error("the connection is closed")]
    Closed,
    /// Ephemeral messages are best-effort: when the outgoing queue is full they are refused
    /// rather than queued without bound.
    #[error("too many ephemeral messages waiting to be sent; this one was dropped")]
    EphemeralQueueFull,
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("editing trace: {0}")]
    Trace(String),
    /// A request to the server's JSON API failed.
    #[error("the server's web API: {0}")]
    Http(String),
}
