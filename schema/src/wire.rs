//! The automerge-repo WebSocket protocol, version "1", as typed messages.
//!
//! Every frame is one binary WebSocket message holding one CBOR map with a `type` key. The
//! handshake is `join` (client) → `peer` (server); after it either side may send `request`,
//! `sync`, `doc-unavailable` and `ephemeral`. `error` is sent before the sender closes.

use crate::ids::{DocumentId, PeerId};

/// The only protocol version there is.
pub const PROTOCOL_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Join(JoinMessage),
    Peer(PeerMessage),
    Error {
        message: String,
    },
    /// "Sync this document with me; tell me `doc-unavailable` if you do not have it either."
    Request(DocumentMessage),
    Sync(DocumentMessage),
    DocUnavailable {
        sender_id: PeerId,
        target_id: PeerId,
        document_id: DocumentId,
    },
    Ephemeral(EphemeralMessage),
    /// `leave`, `remote-subscription-change`, `remote-heads-changed`: well-formed messages of
    /// the protocol that this implementation does not act on.
    Ignored {
        kind: String,
    },
}

impl Message {
    /// The protocol's name for this message, as in its `type` field.
    pub fn kind(&self) -> &str {
        match self {
            Message::Join(_) => "join",
            Message::Peer(_) => "peer",
            Message::Error { .. } => "error",
            Message::Request(_) => "request",
            Message::Sync(_) => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral(_) => "ephemeral",
            Message::Ignored { kind } => kind,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerMetadata {
    /// A peer with durable storage names it, so others may keep sync state for it.
    pub storage_id: Option<String>,
    pub is_ephemeral: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JoinMessage {
    pub sender_id: PeerId,
    pub peer_metadata: PeerMetadata,
    /// `None` when the peer did not say: automerge-repo then assumes "1".
    pub supported_protocol_versions: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PeerMessage {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub peer_metadata: PeerMetadata,
    pub selected_protocol_version: String,
}

/// The body of `request` and `sync`: `data` is one encoded `automerge::sync::Message`.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentMessage {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub document_id: DocumentId,
    pub data: Vec<u8>,
}

/// An application value (CBOR in `data`) passed to the other peers of a document, never stored.
/// Receivers drop duplicates by (`sender_id`, `session_id`, `count`).
#[derive(Debug, Clone, PartialEq)]
pub struct EphemeralMessage {
    pub sender_id: PeerId,
    pub target_id: PeerId,
    pub document_id: DocumentId,
    pub session_id: String,
    pub count: u64,
    pub data: Vec<u8>,
}
