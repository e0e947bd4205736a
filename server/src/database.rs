//! The relational database that holds documents, accounts and access: SQLite in the data
//! folder (the embedded default), or PostgreSQL, which several instances can share.
//!
//! Both are reached through sqlx's `Any` driver, so the store and the directory have one set of
//! queries: they use `$1`-style placeholders and SQL both databases speak. Each backend has its
//! own migrations (`schema/migrations/sqlite`, `schema/migrations/postgres`) with the same tables
//! and columns.

use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::store::StoreError;

/// The SQLite file inside the data folder.
pub const SQLITE_FILE: &str = "agora.sqlite3";

/// How hard SQLite works to make a commit durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Synchronous {
    /// Survives a killed process and a power cut: every commit reaches the disk.
    Full,
    /// Survives a killed process; a power cut may lose the last commits (never corrupts).
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the database is.
#[derive(Debug, Clone)]
pub enum Location {
    /// `agora.sqlite3` in this folder.
    Sqlite {
        folder: PathBuf,
        synchronous: Synchronous,
    },
    /// A `postgres://` URL.
    Postgres { url: String },
}

impl Location {
    /// PostgreSQL when a URL is given, otherwise SQLite in the data folder.
    pub fn new(data: &Path, url: Option<&str>, synchronous: Synchronous) -> Self {
        match url {
            Some(url) => Self::Postgres {
                url: url.to_owned(),
            },
            None => Self::Sqlite {
                folder: data.to_owned(),
                synchronous,
            },
        }
    }
}

/// Connections SQLite gets: one writer at a time anyway, a few readers beside it.
const SQLITE_CONNECTIONS: u32 = 4;
/// Connections one instance opens to PostgreSQL at most.
const POSTGRES_CONNECTIONS: u32 = 16;
/// A writer waits this long for SQLite's lock under a burst rather than failing.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Each backend's schema as this binary knows it; backups are SQLite files of the first.
pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../schema/migrations/sqlite");
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../schema/migrations/postgres");

/// Makes sqlx's `Any` driver know SQLite and PostgreSQL; needed once, before any `Any` pool.
pub fn install_drivers() {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
}

/// The database's connection pool and which backend it is. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    location: Location,
}

impl Database {
    /// Connects (creating SQLite's file and folder if needed) and brings the schema up to date.
    pub async fn open(location: &Location) -> Result<Self, StoreError> {
        install_drivers();
        let pool = match location {
            Location::Sqlite {
                folder,
                synchronous,
            } => {
                std::fs::create_dir_all(folder)?;
                let url = SqliteConnectOptions::new()
                    .filename(folder.join(SQLITE_FILE))
                    .create_if_missing(true)
                    .to_url_lossy();
                let pragmas = format!(
                    "pragma journal_mode = wal; pragma synchronous = {}; \
                     pragma foreign_keys = on; pragma busy_timeout = {};",
                    match synchronous {
                        Synchronous::Full => "full",
                        Synchronous::Normal => "normal",
                    },
                    SQLITE_BUSY_TIMEOUT.as_millis()
                );
                let pool = AnyPoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .after_connect(move |connection, _| {
                        let pragmas = pragmas.clone();
                        Box::pin(async move {
                            connection.execute(pragmas.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect_with(AnyConnectOptions::from_url(&url)?)
                    .await?;
                SQLITE_MIGRATIONS.run(&pool).await?;
                pool
            }
            Location::Postgres { url } => {
                let options = AnyConnectOptions::from_url(&url.parse().map_err(|_| {
                    StoreError::Config("the database URL is not a valid URL".into())
                })?)?;
                let pool = AnyPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await?;
                POSTGRES_MIGRATIONS.run(&pool).await?;
                pool
            }
        };
        Ok(Self {
            pool,
            location: location.clone(),
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        match self.location {
            Location::Sqlite { .. } => Backend::Sqlite,
            Location::Postgres { .. } => Backend::Postgres,
        }
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, after the last write. SQLite's write-ahead log is folded into
    /// the database file first, so a stopped server leaves the database whole in one file.
    pub async fn close(&self) {
        if self.backend() == Backend::Sqlite {
            if let Err(error) = self.checkpoint().await {
                tracing::warn!(%error, "could not checkpoint the write-ahead log at shutdown");
            }
        }
        self.pool.close().await;
    }

    /// Empties SQLite's write-ahead log on a connection of its own and closes that connection
    /// here. A connection handed back to the pool the usual way returns in a task of its own,
    /// and one that came back while the pool was closing would stay open (and keep SQLite's log
    /// files) after the server had stopped.
    async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        sqlx::query("pragma wal_checkpoint(truncate)")
            .execute(&mut *connection)
            .await?;
        connection.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SqlStore, Store};
    use agora_schema::DocumentId;

    #[tokio::test]
    async fn closing_leaves_no_write_ahead_log() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join(format!("{SQLITE_FILE}-wal"));
        let location = Location::new(dir.path(), None, Synchronous::Full);
        let store = SqlStore::new(Database::open(&location).await.unwrap());
        store.append(DocumentId::random(), b"one").await.unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        store.close().await;
        // Every connection is closed when `close` returns, so SQLite has removed its log.
        assert!(!wal.exists(), "the write-ahead log outlived the store");
        let again = SqlStore::new(Database::open(&location).await.unwrap());
        assert_eq!(again.document_ids().await.unwrap().len(), 1);
    }
}
