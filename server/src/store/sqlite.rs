//! The embedded default: one SQLite file in the data folder, in WAL mode.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agora_schema::DocumentId;
use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;

use super::{Seq, Store, StoreError, StoredDocument};

/// How hard SQLite works to make a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// Survives a killed process and a power cut: every commit reaches the disk.
    Full,
    /// Survives a killed process; a power cut may lose the last commits (never corrupts).
    Normal,
}

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

/// The file inside the data folder.
const DATABASE_FILE: &str = "agora.sqlite3";

impl SqliteStore {
    /// The connection pool, shared with the directory (accounts and access live in the same
    /// database).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Opens (or creates) the database in `data_folder` and brings its schema up to date.
    pub async fn open(data_folder: &Path, synchronous: Synchronous) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_folder)?;
        let options = SqliteConnectOptions::new()
            .filename(data_folder.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match synchronous {
                Synchronous::Full => SqliteSynchronous::Full,
                Synchronous::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            // Writers queue on SQLite's lock; wait rather than fail under a burst.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../schema/migrations/sqlite")
            .run(&pool)
            .await?;
        Ok(Self { pool })
    }

    /// Empties the write-ahead log on a connection of its own and closes that connection
    /// here. A connection handed back to the pool the usual way returns in a task of its own,
    /// and one that came back while the pool was closing would stay open (and keep SQLite's
    /// log files) after the server had stopped.
    async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&mut *connection)
            .await?;
        connection.close().await
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[async_trait]
impl Store for SqliteStore {
    async fn load(&self, id: DocumentId) -> Result<Option<StoredDocument>, StoreError> {
        let key = id.to_string();
        // One read transaction, so a compaction in between cannot hand us a snapshot and a log
        // that do not fit together.
        let mut tx = self.pool.begin().await?;
        let Some(row) =
            sqlx::query("select snapshot, snapshot_seq from document where document_id = ?")
                .bind(&key)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let snapshot: Option<Vec<u8>> = row.try_get("snapshot")?;
        let snapshot_seq: Seq = row.try_get("snapshot_seq")?;
        let chunks = sqlx::query(
            "select seq, data from document_chunk where document_id = ? and seq > ? order by seq",
        )
        .bind(&key)
        .bind(snapshot_seq)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get("seq")?, row.try_get("data")?)))
        .collect::<Result<Vec<(Seq, Vec<u8>)>, sqlx::Error>>()?;
        tx.commit().await?;
        Ok(Some(StoredDocument {
            snapshot,
            snapshot_seq,
            chunks,
        }))
    }

    async fn append(&self, id: DocumentId, changes: &[u8]) -> Result<Seq, StoreError> {
        let key = id.to_string();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let seq: Seq = sqlx::query_scalar(
            "insert into document (document_id, created_at, updated_at, last_seq) values (?, ?, ?, 1)
             on conflict (document_id) do update
                 set last_seq = last_seq + 1, updated_at = excluded.updated_at
             returning last_seq",
        )
        .bind(&key)
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("insert into document_chunk (document_id, seq, data) values (?, ?, ?)")
            .bind(&key)
            .bind(seq)
            .bind(changes)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(seq)
    }

    async fn compact(
        &self,
        id: DocumentId,
        snapshot: &[u8],
        covers: Seq,
    ) -> Result<(), StoreError> {
        let key = id.to_string();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "update document set snapshot = ?, snapshot_seq = ?, updated_at = ?
             where document_id = ? and snapshot_seq <= ? and last_seq >= ?",
        )
        .bind(snapshot)
        .bind(covers)
        .bind(now_ms())
        .bind(&key)
        .bind(covers)
        .bind(covers)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!(
                "compaction of {id} up to chunk {covers} does not fit the stored log"
            )));
        }
        sqlx::query("delete from document_chunk where document_id = ? and seq <= ?")
            .bind(&key)
            .bind(covers)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        let keys: Vec<String> =
            sqlx::query_scalar("select document_id from document order by document_id")
                .fetch_all(&self.pool)
                .await?;
        keys.iter()
            .map(|key| {
                DocumentId::from_str(key)
                    .map_err(|e| StoreError::Corrupt(format!("stored document id {key:?}: {e}")))
            })
            .collect()
    }

    async fn storage_id(&self) -> Result<String, StoreError> {
        let fresh = uuid_like();
        sqlx::query(
            "insert into server_meta (key, value) values ('storage_id', ?) on conflict do nothing",
        )
        .bind(&fresh)
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("select value from server_meta where key = 'storage_id'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn contains(&self, id: DocumentId) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("select 1 from document where document_id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Folds the write-ahead log into the database file and empties it, so a stopped server
    /// leaves the database whole in one file (SQLite removes the emptied log once the last
    /// connection has closed).
    async fn close(&self) {
        if let Err(error) = self.checkpoint().await {
            tracing::warn!(%error, "could not checkpoint the write-ahead log at shutdown");
        }
        self.pool.close().await;
    }
}

/// A random id in the form automerge-repo uses for storage ids.
fn uuid_like() -> String {
    let bytes = DocumentId::random();
    let hex: String = bytes
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path(), Synchronous::Normal)
            .await
            .unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn appends_load_in_order_and_compaction_folds_them() {
        let (_dir, store) = store().await;
        let id = DocumentId::random();
        assert_eq!(store.load(id).await.unwrap(), None);
        assert_eq!(store.append(id, b"one").await.unwrap(), 1);
        assert_eq!(store.append(id, b"two").await.unwrap(), 2);
        let loaded = store.load(id).await.unwrap().unwrap();
        assert_eq!(
            loaded.chunks,
            vec![(1, b"one".to_vec()), (2, b"two".to_vec())]
        );
        assert_eq!(loaded.last_seq(), 2);

        store.compact(id, b"snap", 2).await.unwrap();
        assert_eq!(store.append(id, b"three").await.unwrap(), 3);
        let loaded = store.load(id).await.unwrap().unwrap();
        assert_eq!(loaded.snapshot.as_deref(), Some(&b"snap"[..]));
        assert_eq!(loaded.snapshot_seq, 2);
        assert_eq!(loaded.chunks, vec![(3, b"three".to_vec())]);
        assert_eq!(store.document_ids().await.unwrap(), vec![id]);
    }

    #[tokio::test]
    async fn a_compaction_beyond_the_log_is_refused_and_changes_nothing() {
        let (_dir, store) = store().await;
        let id = DocumentId::random();
        store.append(id, b"one").await.unwrap();
        assert!(store.compact(id, b"snap", 5).await.is_err());
        assert!(store
            .compact(DocumentId::random(), b"snap", 1)
            .await
            .is_err());
        let loaded = store.load(id).await.unwrap().unwrap();
        assert_eq!(loaded.snapshot, None);
        assert_eq!(loaded.chunks, vec![(1, b"one".to_vec())]);
    }

    #[tokio::test]
    async fn the_storage_id_is_stable_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let first = SqliteStore::open(dir.path(), Synchronous::Full)
            .await
            .unwrap();
        let id = first.storage_id().await.unwrap();
        assert_eq!(first.storage_id().await.unwrap(), id);
        drop(first);
        let again = SqliteStore::open(dir.path(), Synchronous::Full)
            .await
            .unwrap();
        assert_eq!(again.storage_id().await.unwrap(), id);
    }

    #[tokio::test]
    async fn concurrent_appends_get_distinct_sequence_numbers() {
        let (_dir, store) = store().await;
        let id = DocumentId::random();
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.append(id, &[i]).await.unwrap() })
            })
            .collect();
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.push(task.await.unwrap());
        }
        seqs.sort();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn closing_leaves_no_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("agora.sqlite3-wal");
        let store = SqliteStore::open(dir.path(), Synchronous::Full)
            .await
            .unwrap();
        store.append(DocumentId::random(), b"one").await.unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        store.close().await;
        // Every connection is closed when `close` returns, so SQLite has removed its log.
        assert!(!wal.exists(), "the write-ahead log outlived the store");
        let again = SqliteStore::open(dir.path(), Synchronous::Full)
            .await
            .unwrap();
        assert_eq!(again.document_ids().await.unwrap().len(), 1);
    }
}
