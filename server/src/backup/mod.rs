//! Backups: the whole database in one SQLite file, from SQLite or PostgreSQL, restorable into
//! either. The search index is not in it: the server rebuilds the index from the documents.
//!
//! Layout:
//! - `write`: `agora backup`: a consistent copy of a running installation's database.
//! - `restore`: `agora restore`: an empty database filled from a backup.
//! - `file`: the backup file: created with the SQLite schema, or opened after checks.
//! - `copy`: one table's rows from one database to another, whatever their backends.

mod copy;
mod file;
mod restore;
mod write;

use std::time::Instant;

use crate::config::{BackupArgs, RestoreArgs};
use copy::Copied;

/// Every application table (not sqlx's `_sqlx_migrations`), each after the tables it references,
/// so that rows copied in this order satisfy every foreign key. The migrations' order is one.
pub const TABLES: &[&str] = &[
    "document",
    "document_chunk",
    "server_meta",
    "account",
    "login_session",
    "api_token",
    "organisation",
    "membership",
    "team",
    "team_member",
    "document_info",
    "document_grant",
    "invitation",
    "audit_event",
];

pub async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    write::run(&args.to, &args.storage).await
}

pub async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    restore::run(&args.from, &args.storage).await
}

/// One line per table, then the totals and the time taken.
fn print_summary(done: &str, copied: &[(&str, Copied)], started: Instant) {
    for (table, count) in copied {
        println!(
            "{table:<16} {:>10} rows {:>14} bytes",
            count.rows, count.bytes
        );
    }
    let rows: u64 = copied.iter().map(|(_, c)| c.rows).sum();
    let bytes: u64 = copied.iter().map(|(_, c)| c.bytes).sum();
    println!(
        "{done} {} tables, {rows} rows, {bytes} bytes of data in {:.2?}",
        copied.len(),
        started.elapsed()
    );
}

#[cfg(test)]
mod tests {
    use super::TABLES;
    use crate::database::{Database, Location, Synchronous};

    /// A table added by a migration but not to `TABLES` would be missing from every backup.
    #[tokio::test]
    async fn tables_names_every_table_after_the_tables_it_references() {
        let dir = tempfile::tempdir().unwrap();
        let location = Location::new(dir.path(), None, Synchronous::Normal);
        let database = Database::open(&location).await.unwrap();
        let mut schema: Vec<String> = sqlx::query_scalar(
            "select name from sqlite_master where type = 'table' \
             and name <> '_sqlx_migrations' and name not like 'sqlite%'",
        )
        .fetch_all(database.pool())
        .await
        .unwrap();
        schema.sort();
        let mut listed: Vec<&str> = TABLES.to_vec();
        listed.sort();
        assert_eq!(schema, listed, "backup::TABLES differs from the schema");

        for (place, table) in TABLES.iter().enumerate() {
            let referenced: Vec<String> = sqlx::query_scalar(&format!(
                "select \"table\" from pragma_foreign_key_list('{table}')"
            ))
            .fetch_all(database.pool())
            .await
            .unwrap();
            for parent in referenced {
                assert!(
                    TABLES[..place].contains(&parent.as_str()),
                    "{table} references {parent}, which comes later in backup::TABLES"
                );
            }
        }
        database.close().await;
    }
}
