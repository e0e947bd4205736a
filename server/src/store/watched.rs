//! A store that tells who is interested which documents changed: every successful append puts
//! the document's id in a set, and whoever waits on it (the search indexer) takes the whole set
//! at once. Ids coalesce, so a burst of keystrokes on one document is one entry.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use agora_schema::DocumentId;
use async_trait::async_trait;
use tokio::sync::Notify;

use super::{Seq, Store, StoreError, StoredDocument};

#[derive(Default)]
pub struct ChangedDocuments {
    ids: Mutex<HashSet<DocumentId>>,
    notify: Notify,
}

impl ChangedDocuments {
    pub fn mark(&self, id: DocumentId) {
        self.ids.lock().expect("changed documents lock").insert(id);
        self.notify.notify_one();
    }

    /// Takes every id marked so far, without waiting.
    pub fn take_now(&self) -> Vec<DocumentId> {
        self.ids
            .lock()
            .expect("changed documents lock")
            .drain()
            .collect()
    }

    /// Waits until at least one document changed, then takes every id marked so far.
    pub async fn take(&self) -> Vec<DocumentId> {
        loop {
            let ids = self.take_now();
            if !ids.is_empty() {
                return ids;
            }
            self.notify.notified().await;
        }
    }
}

pub struct WatchedStore {
    inner: Arc<dyn Store>,
    changed: Arc<ChangedDocuments>,
}

impl WatchedStore {
    pub fn new(inner: Arc<dyn Store>, changed: Arc<ChangedDocuments>) -> Self {
        Self { inner, changed }
    }
}

#[async_trait]
impl Store for WatchedStore {
    async fn load_since(
        &self,
        id: DocumentId,
        after: Seq,
    ) -> Result<Option<StoredDocument>, StoreError> {
        self.inner.load_since(id, after).await
    }

    async fn append(&self, id: DocumentId, changes: &[u8]) -> Result<Seq, StoreError> {
        let seq = self.inner.append(id, changes).await?;
        self.changed.mark(id);
        Ok(seq)
    }

    async fn compact(
        &self,
        id: DocumentId,
        snapshot: &[u8],
        covers: Seq,
    ) -> Result<(), StoreError> {
        self.inner.compact(id, snapshot, covers).await
    }

    async fn contains(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.inner.contains(id).await
    }

    async fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        self.inner.document_ids().await
    }

    async fn changed_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        self.inner.changed_since(since).await
    }

    async fn storage_id(&self) -> Result<String, StoreError> {
        self.inner.storage_id().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn close(&self) {
        self.inner.close().await
    }
}
