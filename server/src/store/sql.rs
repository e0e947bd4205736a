//! The store on the database: SQLite or PostgreSQL, with the same queries.
//!
//! Appends to one document are ordered by the document row: bumping its `last_seq` is the
//! first write of every append and holds the row's lock until commit. On PostgreSQL the append
//! also notifies `document-id:seq:instance` on [`CHUNK_CHANNEL`], delivered on commit, so the
//! other instances read the new chunk from the log. Appends that arrive together are committed
//! in one transaction (`group_commit`).

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use agora_schema::DocumentId;
use async_trait::async_trait;
use sqlx::{Any, Row, Transaction};

use super::group_commit::GroupCommit;
use super::{Seq, Store, StoreError, StoredDocument};
use crate::database::{Backend, Database};

/// The PostgreSQL channel that announces appended chunks as `document-id:seq:instance`.
pub const CHUNK_CHANNEL: &str = "agora_chunk";

#[derive(Clone)]
pub struct SqlStore {
    db: Database,
    /// Names this store in its chunk notices, so that its own instance can skip them.
    instance: String,
    /// Appends share transactions (see `group_commit`).
    group: GroupCommit,
}

impl SqlStore {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            instance: format!("{:016x}", rand::random::<u64>()),
            group: GroupCommit::default(),
        }
    }

    /// The tag this store's chunk notices carry.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Transactions committed for appends so far (see `group_commit`).
    pub fn append_commits(&self) -> u64 {
        self.group.commits()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[async_trait]
impl Store for SqlStore {
    async fn load_since(
        &self,
        id: DocumentId,
        after: Seq,
    ) -> Result<Option<StoredDocument>, StoreError> {
        let key = id.to_string();
        // One read transaction, so a compaction in between cannot hand us a snapshot and a log
        // that do not fit together.
        let mut tx = self.db.pool().begin().await?;
        let Some(row) = sqlx::query(
            "select case when snapshot_seq > $2 then snapshot end as snapshot, snapshot_seq
             from document where document_id = $1",
        )
        .bind(&key)
        .bind(after)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let snapshot: Option<Vec<u8>> = row.try_get("snapshot")?;
        let snapshot_seq: Seq = row.try_get("snapshot_seq")?;
        let chunks = sqlx::query(
            "select seq, data from document_chunk where document_id = $1 and seq > $2 order by seq",
        )
        .bind(&key)
        .bind(after.max(snapshot_seq))
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| Ok((row.try_get("seq")?, row.try_get("data")?)))
        .collect::<Result<Vec<(Seq, Vec<u8>)>, sqlx::Error>>()?;
        tx.commit().await?;
        Ok(Some(StoredDocument {
            snapshot,
            snapshot_seq: after.max(snapshot_seq),
            chunks,
        }))
    }

    async fn append(&self, id: DocumentId, changes: &[u8]) -> Result<Seq, StoreError> {
        self.group
            .append(&self.db, &self.instance, id, changes)
            .await
    }

    async fn compact(
        &self,
        id: DocumentId,
        snapshot: &[u8],
        covers: Seq,
    ) -> Result<(), StoreError> {
        let key = id.to_string();
        let mut tx = self.db.pool().begin().await?;
        let updated = sqlx::query(
            "update document set snapshot = $1, snapshot_seq = $2, updated_at = $3
             where document_id = $4 and snapshot_seq <= $5 and last_seq >= $6",
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
        sqlx::query("delete from document_chunk where document_id = $1 and seq <= $2")
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
                .fetch_all(self.db.pool())
                .await?;
        parse_ids(&keys)
    }

    async fn changed_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        let keys: Vec<String> = sqlx::query_scalar(
            "select document_id from document where updated_at >= $1 order by document_id",
        )
        .bind(since)
        .fetch_all(self.db.pool())
        .await?;
        parse_ids(&keys)
    }

    async fn storage_id(&self) -> Result<String, StoreError> {
        let fresh = uuid_like();
        sqlx::query(
            "insert into server_meta (key, value) values ('storage_id', $1) on conflict do nothing",
        )
        .bind(&fresh)
        .execute(self.db.pool())
        .await?;
        Ok(
            sqlx::query_scalar("select value from server_meta where key = 'storage_id'")
                .fetch_one(self.db.pool())
                .await?,
        )
    }

    async fn contains(&self, id: DocumentId) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("select 1 from document where document_id = $1")
                .bind(id.to_string())
                .fetch_optional(self.db.pool())
                .await?;
        Ok(found.is_some())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(self.db.ping().await?)
    }

    async fn close(&self) {
        self.db.close().await
    }
}

/// Appends `changes` to the document's log inside `tx`; returns the chunk's sequence number.
pub(super) async fn append_in(
    tx: &mut Transaction<'static, Any>,
    db: &Database,
    instance: &str,
    id: DocumentId,
    changes: &[u8],
) -> Result<Seq, StoreError> {
    let key = id.to_string();
    let now = now_ms();
    let seq: Seq = sqlx::query_scalar(
        "insert into document (document_id, created_at, updated_at, last_seq) values ($1, $2, $3, 1)
         on conflict (document_id) do update
             set last_seq = document.last_seq + 1, updated_at = excluded.updated_at
         returning last_seq",
    )
    .bind(&key)
    .bind(now)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("insert into document_chunk (document_id, seq, data) values ($1, $2, $3)")
        .bind(&key)
        .bind(seq)
        .bind(changes)
        .execute(&mut **tx)
        .await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("select pg_notify($1, $2)")
            .bind(CHUNK_CHANNEL)
            .bind(format!("{key}:{seq}:{instance}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(seq)
}

fn parse_ids(keys: &[String]) -> Result<Vec<DocumentId>, StoreError> {
    keys.iter()
        .map(|key| {
            DocumentId::from_str(key)
                .map_err(|e| StoreError::Corrupt(format!("stored document id {key:?}: {e}")))
        })
        .collect()
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
