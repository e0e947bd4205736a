//! `agora backup --to FILE`: a consistent copy of the whole database in a new SQLite file,
//! while the server runs. Every table is read in one read transaction, so the copy is the
//! database as it was at one moment; it is written to `FILE.partial` and renamed when whole.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use sqlx::{AnyPool, Executor};

use super::copy::{copy_table, Copied};
use super::{file, print_summary, TABLES};
use crate::config::Storage;
use crate::database::{Backend, Database, Location, SQLITE_FILE};

pub async fn run(to: &Path, storage: &Storage) -> anyhow::Result<()> {
    let started = Instant::now();
    if to.symlink_metadata().is_ok() {
        bail!(
            "{} exists already: a backup goes to a new file",
            to.display()
        );
    }
    let location = storage.database();
    if let Location::Sqlite { folder, .. } = &location {
        // Opening would create an empty database, and back that up.
        if !folder.join(SQLITE_FILE).is_file() {
            bail!("{} holds no Agora database", folder.display());
        }
    }
    let database = Database::open(&location)
        .await
        .context("cannot open the database")?;
    let partial = partial_path(to);
    remove_partial(&partial)?;
    let target = file::create(&partial).await?;
    let copied = copy_all(&database, &target).await;
    target.close().await;
    // Not `Database::close`: its checkpoint would wait for the running server's readers.
    database.pool().close().await;
    let copied = match copied {
        Ok(copied) => copied,
        Err(error) => {
            let _ = remove_partial(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, to)
        .with_context(|| format!("cannot rename the finished backup to {}", to.display()))?;
    let size = std::fs::metadata(to)?.len();
    print_summary("backed up", &copied, started);
    println!("wrote {} ({size} bytes)", to.display());
    Ok(())
}

/// Copies every table, read in one snapshot and written in one transaction.
async fn copy_all(
    database: &Database,
    target: &AnyPool,
) -> anyhow::Result<Vec<(&'static str, Copied)>> {
    let mut source = database.pool().begin().await?;
    match database.backend() {
        // Must be the transaction's first statement; the snapshot is taken at the first read.
        Backend::Postgres => {
            source
                .execute("set transaction isolation level repeatable read, read only")
                .await?;
        }
        // In WAL mode a read transaction sees one snapshot from its first read on.
        Backend::Sqlite => {}
    }
    let mut writing = target.begin().await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let count = copy_table(&mut source, &mut writing, table)
            .await
            .with_context(|| format!("cannot copy the table {table}"))?;
        copied.push((table, count));
    }
    writing.commit().await?;
    source.rollback().await?;
    Ok(copied)
}

/// `FILE.partial`: the backup while it is written.
fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Removes a partial file (left by a backup that died) and its rollback journal.
fn remove_partial(partial: &Path) -> anyhow::Result<()> {
    let mut journal = partial.as_os_str().to_owned();
    journal.push("-journal");
    for path in [partial, Path::new(&journal)] {
        match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(error).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => {}
        }
    }
    Ok(())
}
