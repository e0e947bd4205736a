//! `agora restore --from FILE`: fills an empty database (SQLite or PostgreSQL, whichever the
//! backup came from) from a backup file, in one transaction, with the server stopped.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use sqlx::AnyConnection;
use sqlx::AnyPool;

use super::copy::{copy_table, Copied};
use super::{file, print_summary, TABLES};
use crate::config::Storage;
use crate::database::{Backend, Database};
use crate::SEARCH_FOLDER;

/// Facts about the installation (its storage id, its secrets): the backup's replace these.
const INSTALLATION_TABLE: &str = "server_meta";

pub async fn run(from: &Path, storage: &Storage) -> anyhow::Result<()> {
    let started = Instant::now();
    // Checked before the target is opened, so a wrong file leaves nothing behind.
    let backup = file::open(from).await?;
    let database = Database::open(&storage.database())
        .await
        .context("cannot open the database to restore into")?;
    let copied = copy_all(&backup, &database).await;
    backup.close().await;
    database.close().await;
    let copied = copied?;
    print_summary("restored", &copied, started);

    // The index describes other documents, or none; the server rebuilds a missing one.
    let search = storage.data.join(SEARCH_FOLDER);
    if search.exists() {
        std::fs::remove_dir_all(&search)
            .with_context(|| format!("cannot remove the old search index {}", search.display()))?;
        println!("removed the old search index; the server rebuilds it at its next start");
    }
    Ok(())
}

async fn copy_all(
    backup: &AnyPool,
    database: &Database,
) -> anyhow::Result<Vec<(&'static str, Copied)>> {
    let mut target = database.pool().begin().await?;
    refuse_unless_empty(&mut target).await?;
    sqlx::query(&format!("delete from {INSTALLATION_TABLE}"))
        .execute(&mut *target)
        .await?;
    let mut source = backup.begin().await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let count = copy_table(&mut source, &mut target, table)
            .await
            .with_context(|| format!("cannot restore the table {table}"))?;
        copied.push((table, count));
    }
    if database.backend() == Backend::Postgres {
        move_identities_past_restored_ids(&mut target).await?;
    }
    target.commit().await?;
    Ok(copied)
}

/// Refuses a database that holds anything but installation facts: restoring into it would mix
/// two installations' accounts and documents.
async fn refuse_unless_empty(target: &mut AnyConnection) -> anyhow::Result<()> {
    let mut holding = Vec::new();
    for &table in TABLES.iter().filter(|&&t| t != INSTALLATION_TABLE) {
        let any: Option<i64> = sqlx::query_scalar(&format!("select 1 from {table} limit 1"))
            .fetch_optional(&mut *target)
            .await?;
        if any.is_some() {
            holding.push(table);
        }
    }
    if !holding.is_empty() {
        bail!(
            "the database is not empty (it holds rows in {}): restore only into an empty \
             database (a new data folder, or a new PostgreSQL database)",
            holding.join(", ")
        );
    }
    Ok(())
}

/// PostgreSQL hands out ids from sequences that know nothing of the restored rows; each is
/// moved past its column's largest id so that new rows do not collide.
async fn move_identities_past_restored_ids(target: &mut AnyConnection) -> anyhow::Result<()> {
    let identities: Vec<(String, String)> = sqlx::query_as(
        "select table_name::text, column_name::text from information_schema.columns
         where table_schema = current_schema() and is_identity = 'YES'",
    )
    .fetch_all(&mut *target)
    .await?;
    for (table, column) in identities {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence($1, $2), coalesce(max({column}), 0) + 1, false) \
             from {table}"
        ))
        .bind(&table)
        .bind(&column)
        .execute(&mut *target)
        .await
        .with_context(|| format!("cannot move the ids of {table} on"))?;
    }
    Ok(())
}
