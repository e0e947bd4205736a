//! `agora reindex`: empties the search index and fills it again from every stored document,
//! with a progress bar. Run it while the server is stopped (the server rebuilds a missing or
//! damaged index by itself at start; this is for when you want it now, or after an upgrade).

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::entry::Entry;
use super::index::{IndexError, SearchIndex};
use crate::config::Storage;
use crate::database::Database;
use crate::directory::Directory;
use crate::store::{SqlStore, Store};
use crate::SEARCH_FOLDER;

/// Documents written per commit.
const BATCH: usize = 64;

pub async fn run(storage: &Storage) -> anyhow::Result<()> {
    let database = Database::open(&storage.database()).await?;
    let directory = Directory::new(&database);
    let store = SqlStore::new(database);
    let (index, _) =
        SearchIndex::open(&storage.data.join(SEARCH_FOLDER)).map_err(|error| match error {
            IndexError::Tantivy(tantivy::TantivyError::LockFailure(..)) => {
                anyhow::anyhow!("the search index is in use: stop the server first")
            }
            other => other.into(),
        })?;
    index.clear()?;
    let ids = store.document_ids().await?;
    let progress = ProgressBar::new(ids.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} documents, {elapsed} ({eta} left)")
            .expect("a valid progress template"),
    );
    let mut sections = 0;
    for batch in ids.chunks(BATCH) {
        let mut entries = Vec::with_capacity(batch.len());
        for &id in batch {
            let entry = Entry::from_store(&directory, &store, id)
                .await
                .with_context(|| format!("document {id}"))?;
            entries.extend(entry);
        }
        let documents: Vec<_> = entries.iter().map(Entry::facts).collect();
        sections += documents.iter().map(|(_, s)| s.len()).sum::<usize>();
        index.replace(&documents)?;
        progress.inc(batch.len() as u64);
    }
    progress.finish();
    println!("indexed {sections} sections of {} documents", ids.len());
    store.close().await;
    Ok(())
}
