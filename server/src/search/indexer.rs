//! Keeps the index up to date: one task takes the documents whose content changed (marked by
//! the store) or whose grants changed (announced by the directory), waits a moment for more,
//! reads each document's sections from the server's copy and writes them in one batch off the
//! async threads. Chunks stored by other instances arrive the same way, through the cluster
//! listener. A section is searchable well within a
//! second of reaching the server, and sync never waits for the index.
//!
//! A new (or damaged, hence new) index is first filled from every stored document, read from
//! the store rather than through the document actors, while the server already serves; what
//! people write meanwhile is indexed between the batches.

use std::sync::Arc;
use std::time::Duration;

use agora_schema::DocumentId;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::entry::Entry;
use super::index::SearchIndex;
use crate::directory::{AccessChange, Directory};
use crate::store::{ChangedDocuments, Store};
use crate::sync::DocumentRegistry;

/// How long the indexer gathers changes before writing them: keystrokes coalesce, and the
/// delay stays far below the one second people notice.
const GATHER: Duration = Duration::from_millis(150);
/// Under a heavy load the indexer gathers longer: at least this many times as long as its last
/// write took, so indexing takes at most about a fifth of its thread's time and leaves the rest
/// to the sync that people wait on, at the price of search results a little later.
const GATHER_PER_WRITE: u32 = 4;
/// Documents per commit during a rebuild.
const REBUILD_BATCH: usize = 64;
/// At start, documents stored this long before the index's last commit are read again: they
/// may have been stored while the indexer still gathered, or by another instance while this one
/// was stopped (clocks of instances differ a little, too).
const CATCH_UP_MARGIN_MS: i64 = 60_000;

pub struct Indexer {
    pub index: SearchIndex,
    pub store: Arc<dyn Store>,
    pub changed: Arc<ChangedDocuments>,
    pub documents: DocumentRegistry,
    pub directory: Directory,
}

impl Indexer {
    /// Runs until `stop`; first fills the index from `rebuild` (every stored id) if given.
    pub async fn run(self, rebuild: Option<Vec<DocumentId>>, stop: CancellationToken) {
        tokio::spawn(mark_regranted(
            self.directory.subscribe(),
            self.changed.clone(),
            stop.clone(),
        ));
        if let Some(ids) = rebuild {
            let started = std::time::Instant::now();
            for batch in ids.chunks(REBUILD_BATCH) {
                if stop.is_cancelled() {
                    return;
                }
                self.rebuild(batch).await;
                // What people write meanwhile goes first.
                let live = self.changed.take_now();
                if !live.is_empty() {
                    self.write(&live).await;
                }
            }
            tracing::info!(
                documents = ids.len(),
                seconds = started.elapsed().as_secs_f32(),
                "search index rebuilt"
            );
        } else {
            self.mark_stored_since_last_commit().await;
        }
        let mut gather = GATHER;
        loop {
            let ids = tokio::select! {
                ids = self.changed.take() => ids,
                () = stop.cancelled() => {
                    // What was gathered is written before the server stops.
                    let ids = self.changed.take_now();
                    if !ids.is_empty() {
                        self.write(&ids).await;
                    }
                    return;
                }
            };
            // A stop ends the gathering early; what was gathered is written at once.
            tokio::select! {
                () = tokio::time::sleep(gather) => {}
                () = stop.cancelled() => {}
            }
            let mut ids = ids;
            ids.extend(self.changed.take_now());
            ids.sort();
            ids.dedup();
            let started = std::time::Instant::now();
            self.write(&ids).await;
            gather = GATHER.max(started.elapsed() * GATHER_PER_WRITE);
        }
    }

    /// Marks what was stored since the index's last commit (less a margin): a server killed
    /// before its indexer wrote, or an instance stopped while others wrote, catches up.
    async fn mark_stored_since_last_commit(&self) {
        let Some(indexed_at) = self.index.indexed_at() else {
            return;
        };
        match self
            .store
            .changed_since(indexed_at - CATCH_UP_MARGIN_MS)
            .await
        {
            Ok(ids) => {
                tracing::info!(
                    documents = ids.len(),
                    "reindexing what changed since the last start"
                );
                for id in ids {
                    self.changed.mark(id);
                }
            }
            Err(error) => tracing::error!(%error, "cannot tell which documents to reindex"),
        }
    }

    /// Indexes stored documents, read from the store rather than through their actors.
    async fn rebuild(&self, ids: &[DocumentId]) {
        let mut batch = Vec::with_capacity(ids.len());
        for &id in ids {
            match Entry::from_store(&self.directory, self.store.as_ref(), id).await {
                Ok(Some(entry)) => batch.push(entry),
                Ok(None) => {}
                Err(error) => tracing::error!(document = %id, %error, "cannot index this document"),
            }
        }
        self.commit(batch).await;
    }

    async fn write(&self, ids: &[DocumentId]) {
        let mut batch = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.read(id).await {
                Some(entry) => batch.push(entry),
                // Not (yet) registered, or gone: nothing of it may be found.
                None => batch.push(Entry::gone(id)),
            }
        }
        self.commit(batch).await;
    }

    async fn commit(&self, batch: Vec<Entry>) {
        let index = self.index.clone();
        let written = tokio::task::spawn_blocking(move || {
            let documents: Vec<_> = batch.iter().map(Entry::facts).collect();
            index.replace(&documents)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "could not update the search index"),
            Err(error) => tracing::error!(%error, "the search index writer failed"),
        }
    }

    /// The document's facts and sections as the server holds them now.
    async fn read(&self, id: DocumentId) -> Option<Entry> {
        let info = self.directory.document_info(id).await.ok()??;
        let people = self.directory.document_people(id).await.ok()?;
        self.documents
            .read(id, move |doc| Entry::new(&info, &people, doc))
            .await
    }
}

/// Grants decide a document's team facet: a document whose grants changed is read again.
async fn mark_regranted(
    mut access: broadcast::Receiver<AccessChange>,
    changed: Arc<ChangedDocuments>,
    stop: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            change = access.recv() => change,
            () = stop.cancelled() => return,
        };
        match change {
            Ok(AccessChange::Document(id)) => changed.mark(id),
            // A catch-up after a lost link to other instances marks the documents itself.
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "the search index missed grant changes; `agora reindex` brings them in"
                );
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
