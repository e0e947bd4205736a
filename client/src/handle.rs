//! `DocHandle`: reading, changing and watching one open document.

use std::sync::Arc;
use std::time::Duration;

use agora_schema::{DocumentId, PeerId};
use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, AutomergeError, ChangeHash, ObjId, ObjType, ReadDoc, Value, ROOT};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use crate::document::{DocState, TEXT_KEY};
use crate::shared::{lock, Status};
use crate::{Client, ClientError};

/// A handle on one open document. Cheap to clone; keeps its `Client` alive.
#[derive(Clone)]
pub struct DocHandle {
    state: Arc<DocState>,
    client: Client,
}

impl DocHandle {
    pub(crate) fn new(state: Arc<DocState>, client: Client) -> Self {
        Self { state, client }
    }

    pub fn id(&self) -> DocumentId {
        self.state.id
    }

    /// The `automerge:` URL, as the browser and the npm client write it.
    pub fn url(&self) -> String {
        self.state.id.url()
    }

    pub fn with_doc<R>(&self, f: impl FnOnce(&Automerge) -> R) -> R {
        f(&lock(&self.state.doc))
    }

    /// Runs `f` in one transaction, commits it as one change and wakes the sync loop.
    pub fn change<R>(&self, f: impl FnOnce(&mut Transaction<'_>) -> R) -> R {
        let (result, heads) = {
            let mut doc = lock(&self.state.doc);
            let mut tx = doc.transaction();
            let result = f(&mut tx);
            tx.commit();
            (result, doc.get_heads())
        };
        self.after_change(heads);
        result
    }

    /// Like `change`, but an `Err` from `f` rolls the transaction back.
    pub fn try_change<R, E>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let (result, heads) = {
            let mut doc = lock(&self.state.doc);
            let mut tx = doc.transaction();
            let result = f(&mut tx);
            match result {
                Ok(_) => {
                    tx.commit();
                }
                Err(_) => {
                    tx.rollback();
                }
            }
            (result, doc.get_heads())
        };
        self.after_change(heads);
        result
    }

    fn after_change(&self, heads: Vec<ChangeHash>) {
        self.state.publish_heads(heads);
        self.client.shared().mark_dirty(self.state.id);
    }

    /// The root text (`""` if the document has none).
    pub fn text(&self) -> String {
        self.with_doc(|doc| match text_object(doc) {
            Some(text) => doc.text(&text).unwrap_or_default(),
            None => String::new(),
        })
    }

    /// Length of the root text in UTF-16 code units.
    pub fn text_len(&self) -> usize {
        self.with_doc(|doc| text_object(doc).map_or(0, |text| doc.length(&text)))
    }

    /// Deletes `del` and inserts `insert` at `pos` of the root text, in one change. Positions
    /// count UTF-16 code units, as in the browser; a negative `del` deletes backwards.
    pub fn splice_text(&self, pos: usize, del: isize, insert: &str) -> Result<(), ClientError> {
        self.try_change(|tx| {
            let text = text_object_or_create(tx)?;
            tx.splice_text(&text, pos, del, insert)
        })?;
        Ok(())
    }

    /// Appends to the root text, in one change.
    pub fn append_text(&self, insert: &str) -> Result<(), ClientError> {
        self.try_change(|tx| {
            let text = text_object_or_create(tx)?;
            let end = tx.length(&text);
            tx.splice_text(&text, end, 0, insert)
        })?;
        Ok(())
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.with_doc(|doc| doc.get_heads())
    }

    /// Fires with the new heads after every local or remote change.
    pub fn changes(&self) -> watch::Receiver<Vec<ChangeHash>> {
        self.state.heads.subscribe()
    }

    /// Waits until the server has every change we have. While disconnected this keeps waiting
    /// (reconnecting resyncs), up to `timeout`.
    pub async fn wait_synced(&self, timeout: Duration) -> Result<(), ClientError> {
        let deadline = Instant::now() + timeout;
        let mut heads = self.state.heads.subscribe();
        let mut server = self.state.server_view.subscribe();
        let mut status = self.client.shared().status.subscribe();
        loop {
            heads.borrow_and_update();
            if server.borrow_and_update().acknowledges(&self.heads()) {
                return Ok(());
            }
            if *status.borrow_and_update() == Status::Closed {
                return Err(ClientError::Closed);
            }
            tokio::select! {
                _ = heads.changed() => {}
                _ = server.changed() => {}
                _ = status.changed() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(ClientError::Timeout { after: timeout, what: "the server to acknowledge our changes" });
                }
            }
        }
    }

    /// Waits until `predicate` holds for the document, checking after every change.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        predicate: impl Fn(&Automerge) -> bool,
    ) -> Result<(), ClientError> {
        let deadline = Instant::now() + timeout;
        let mut heads = self.state.heads.subscribe();
        loop {
            heads.borrow_and_update();
            if self.with_doc(&predicate) {
                return Ok(());
            }
            tokio::select! {
                _ = heads.changed() => {}
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(ClientError::Timeout { after: timeout, what: "the document to reach the expected state" });
                }
            }
        }
    }

    /// Sends an ephemeral message (presence, cursors) to the other peers of this document.
    /// `data` must be the CBOR encoding of a value: browsers decode it as such. Best-effort:
    /// nothing is sent while disconnected, and a full queue refuses the message.
    pub fn broadcast(&self, data: Vec<u8>) -> Result<(), ClientError> {
        if data.is_empty() {
            return Err(ClientError::Protocol(
                "ephemeral data must not be empty".to_owned(),
            ));
        }
        self.client.shared().queue_ephemeral(self.state.id, data)
    }

    /// Ephemeral messages from other peers of this document: (sender, CBOR data).
    pub fn ephemeral(&self) -> broadcast::Receiver<(PeerId, Vec<u8>)> {
        self.state.ephemeral.subscribe()
    }
}

impl std::fmt::Debug for DocHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocHandle")
            .field("id", &self.state.id)
            .finish()
    }
}

/// The root text object, if the document has one.
pub fn text_object(doc: &impl ReadDoc) -> Option<ObjId> {
    match doc.get(ROOT, TEXT_KEY) {
        Ok(Some((Value::Object(ObjType::Text), id))) => Some(id),
        _ => None,
    }
}

fn text_object_or_create(tx: &mut Transaction<'_>) -> Result<ObjId, AutomergeError> {
    match text_object(tx) {
        Some(id) => Ok(id),
        None => tx.put_object(ROOT, TEXT_KEY, ObjType::Text),
    }
}
