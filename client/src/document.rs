//! One open document: the automerge state and the signals around it. The connection task feeds
//! it sync messages; `DocHandle`s read and change it.

use std::sync::Mutex;

use agora_schema::{apply_sync_messages, DocumentId, PeerId};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, ObjType, TextEncoding, ROOT};
use tokio::sync::{broadcast, watch};

use crate::shared::lock;

/// Ephemeral messages kept for a subscriber that falls behind; older ones are skipped.
const EPHEMERAL_BUFFER: usize = 64;

/// The root key holding the document's text, as the Agora web editor expects it.
pub const TEXT_KEY: &str = "text";

/// A fresh document indexed by UTF-16 code units, as in the browser.
pub(crate) fn new_automerge() -> Automerge {
    Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit)
}

/// A new document whose first change creates the empty root text (UTF-16 indexed).
pub fn new_text_document() -> Automerge {
    let mut doc = new_automerge();
    let mut tx = doc.transaction();
    tx.put_object(ROOT, TEXT_KEY, ObjType::Text)
        .expect("putting a key on the root of an empty document cannot fail");
    tx.commit();
    doc
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Availability {
    /// Asked the server, no answer yet.
    Waiting,
    /// Has content (made here, or arrived).
    Ready,
    /// The server answered `doc-unavailable` while we had nothing.
    Unavailable,
}

/// What the server last told us about its heads for this document.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerView {
    their_heads: Vec<ChangeHash>,
    shared_heads: Vec<ChangeHash>,
}

impl ServerView {
    /// Whether the server has every change up to `ours`.
    pub fn acknowledges(&self, ours: &[ChangeHash]) -> bool {
        ours.iter()
            .all(|head| self.their_heads.contains(head) || self.shared_heads.contains(head))
    }
}

pub(crate) struct DocState {
    pub id: DocumentId,
    /// Locked briefly by handles (to read or change) and by the connection task (to generate or
    /// receive a sync message). Never held across an await.
    pub doc: Mutex<Automerge>,
    pub heads: watch::Sender<Vec<ChangeHash>>,
    pub server_view: watch::Sender<ServerView>,
    pub availability: watch::Sender<Availability>,
    pub ephemeral: broadcast::Sender<(PeerId, Vec<u8>)>,
}

impl DocState {
    pub fn new(id: DocumentId, doc: Automerge) -> Self {
        let heads = doc.get_heads();
        let availability = if heads.is_empty() {
            Availability::Waiting
        } else {
            Availability::Ready
        };
        Self {
            id,
            doc: Mutex::new(doc),
            heads: watch::Sender::new(heads),
            server_view: watch::Sender::new(ServerView::default()),
            availability: watch::Sender::new(availability),
            ephemeral: broadcast::channel(EPHEMERAL_BUFFER).0,
        }
    }

    pub fn publish_heads(&self, heads: Vec<ChangeHash>) {
        if !heads.is_empty() {
            self.availability.send_replace(Availability::Ready);
        }
        self.heads.send_if_modified(|current| {
            let changed = *current != heads;
            *current = heads;
            changed
        });
    }

    /// The next sync message for the server, if any, and whether we hold any changes (the
    /// protocol says `request` rather than `sync` while we have none).
    pub fn generate_sync(&self, state: &mut sync::State) -> Option<(Vec<u8>, bool)> {
        let doc = lock(&self.doc);
        let message = doc.generate_sync_message(state)?;
        Some((message.encode(), !doc.get_heads().is_empty()))
    }

    /// Applies sync messages from the server, in the order they came, their changes at once
    /// where that does what one after another would. Returns what was wrong with any of them;
    /// a bad message is skipped, as if it never came.
    pub fn receive_sync(&self, state: &mut sync::State, data: Vec<Vec<u8>>) -> Vec<String> {
        let mut problems = Vec::new();
        let mut messages = Vec::with_capacity(data.len());
        for bytes in data {
            match sync::Message::decode(&bytes) {
                Ok(message) => messages.push(((), message)),
                Err(error) => problems.push(error.to_string()),
            }
        }
        let heads = {
            let mut doc = lock(&self.doc);
            for (_, applied) in apply_sync_messages(&mut doc, messages, state) {
                if let Err(error) = applied {
                    problems.push(error.to_string());
                }
            }
            doc.get_heads()
        };
        self.server_view.send_replace(ServerView {
            their_heads: state.their_heads.clone().unwrap_or_default(),
            shared_heads: state.shared_heads.clone(),
        });
        self.publish_heads(heads);
        problems
    }

    /// A new connection knows nothing of what the server has.
    pub fn forget_server(&self) {
        self.server_view.send_replace(ServerView::default());
    }

    pub fn mark_unavailable(&self) {
        self.availability.send_if_modified(|availability| {
            let refuse = *availability == Availability::Waiting;
            if refuse {
                *availability = Availability::Unavailable;
            }
            refuse
        });
    }
}
