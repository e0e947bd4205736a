//! The backup file: a SQLite database with Agora's SQLite schema, in SQLite's rollback-journal
//! mode so that the finished file stands alone (no `-wal` file beside it) and opens read-only.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{bail, Context};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, ConnectOptions, Executor};

use super::TABLES;
use crate::database::{install_drivers, SQLITE_MIGRATIONS};

/// Where sqlx records the migrations a database has had: a backup's schema version.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Creates a new, empty backup file at `path` with the schema, on one connection.
pub async fn create(path: &Path) -> anyhow::Result<AnyPool> {
    install_drivers();
    let url = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .to_url_lossy();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(|connection, _| {
            Box::pin(async move {
                connection
                    .execute("pragma foreign_keys = on; pragma synchronous = full;")
                    .await?;
                Ok(())
            })
        })
        .connect_with(quiet(AnyConnectOptions::from_url(&url)?))
        .await
        .with_context(|| format!("cannot create {}", path.display()))?;
    SQLITE_MIGRATIONS.run(&pool).await?;
    Ok(pool)
}

/// Opens the backup file at `path` to read, after checking that it is one: a SQLite database
/// with every table of [`TABLES`], whose schema this binary knows.
pub async fn open(path: &Path) -> anyhow::Result<AnyPool> {
    install_drivers();
    std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let not_a_backup = || format!("{} is not an Agora backup", path.display());
    let not_sqlite = || format!("{}: not a SQLite database", not_a_backup());
    let url = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .to_url_lossy();
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect_with(quiet(AnyConnectOptions::from_url(&url)?))
        .await
        .with_context(not_sqlite)?;
    let tables: HashSet<String> =
        sqlx::query_scalar("select name from sqlite_master where type = 'table'")
            .fetch_all(&pool)
            .await
            .with_context(not_sqlite)?
            .into_iter()
            .collect();
    let missing: Vec<&str> = TABLES
        .iter()
        .chain([&MIGRATIONS_TABLE])
        .filter(|table| !tables.contains(**table))
        .copied()
        .collect();
    if !TABLES.iter().any(|table| tables.contains(*table)) {
        bail!("{}: it holds none of Agora's tables", not_a_backup());
    }
    if !missing.is_empty() {
        bail!(
            "{}: it lacks the tables {}",
            not_a_backup(),
            missing.join(", ")
        );
    }
    let versions: Vec<i64> = sqlx::query_scalar(&format!("select version from {MIGRATIONS_TABLE}"))
        .fetch_all(&pool)
        .await?;
    let known: HashSet<i64> = SQLITE_MIGRATIONS.iter().map(|m| m.version).collect();
    if let Some(newer) = versions.iter().find(|v| !known.contains(v)) {
        bail!(
            "{} was written by a newer Agora (schema version {newer}): restore it with that \
             version or a later one",
            path.display()
        );
    }
    Ok(pool)
}

/// Reading a whole table is one long statement by design: no slow-statement warnings.
fn quiet(options: AnyConnectOptions) -> AnyConnectOptions {
    options.disable_statement_logging()
}
