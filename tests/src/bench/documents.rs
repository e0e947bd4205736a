//! Many documents at once: D documents × E editors, every editor its own connection, all typing
//! at human speed into their own regions (see `typist`). Measures keystroke → the other editors
//! of that document (see `arrivals`), what that costs the server and the bench, and whether the
//! editors of every document agree at the end. Like the writers, editors send each keystroke at
//! once.

use std::time::Duration;

use clap::Args;

use super::editors::{open_team, regions};
use super::keystrokes::{Scripts, CONCURRENT_TRACES};
use super::report::{failed_row, Table};
use super::seed::create_documents;
use super::BenchServer;

#[derive(Debug, Clone, Args)]
pub struct DocumentsOptions {
    /// Documents edited at once.
    #[arg(long, default_value_t = 1_000)]
    pub documents: usize,
    /// How long the editors type.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    #[command(flatten)]
    pub editing: EditingOptions,
}

/// How each document is edited (apart from `documents` and `seconds`, which `all` shares with
/// the memory and writers workloads).
#[derive(Debug, Clone, Args)]
pub struct EditingOptions {
    /// Editors per document, each its own connection.
    #[arg(long, default_value_t = 5)]
    pub editors_per_document: usize,
    /// Milliseconds between one editor's keystrokes. 5000 averages a person who reads more
    /// than they type; 1,000 × 5 editors then type 1,000 keystrokes/s (4,000 deliveries), which
    /// two cores running both the server and the bench sustain. At 2000 (2,500 keystrokes/s)
    /// Agora and the bench together saturated them and latencies grew to seconds.
    #[arg(long, default_value_t = 5_000)]
    pub editor_keystroke_ms: u64,
}

const COLUMNS: [&str; 13] = [
    "documents × editors",
    "keystrokes",
    "keystroke → each other editor p50 (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "max (ms)",
    "deliveries seen",
    "server CPU (cores)",
    "bench CPU (cores)",
    "server RSS at the end",
    "messages/s to the server",
    "connections opened in (s)",
    "documents whose editors agree",
];

pub async fn run(server: &BenchServer, options: &DocumentsOptions) -> anyhow::Result<()> {
    let editing = &options.editing;
    let mut table = Table::new(
        &format!(
            "Many documents at once ({} s of typing, one keystroke per {} ms per editor, each \
             editor its own connection and region, each keystroke sent at once)",
            options.seconds, editing.editor_keystroke_ms
        ),
        &COLUMNS,
    );
    let shape = format!("{} × {}", options.documents, editing.editors_per_document);
    let row = match measure(server, options).await {
        Ok(row) => row,
        Err(error) => failed_row(&shape, &error, COLUMNS.len()),
    };
    table.row(row);
    table.print();
    Ok(())
}

async fn measure(server: &BenchServer, options: &DocumentsOptions) -> anyhow::Result<Vec<String>> {
    let (documents, per_document) = (options.documents, options.editing.editors_per_document);
    anyhow::ensure!(documents >= 1, "--documents must be at least 1");
    anyhow::ensure!(
        per_document >= 2,
        "--editors-per-document must be at least 2"
    );
    let scripts = Scripts::load(&CONCURRENT_TRACES)?;
    let url = server.sync_url();
    let created = create_documents(&url, documents, regions(per_document)).await?;
    let editors = documents * per_document;
    let open_deadline = Duration::from_secs(120) + Duration::from_millis(20) * editors as u32;
    let mut team = open_team(&url, &created, per_document, &scripts, open_deadline).await?;

    let every = Duration::from_millis(options.editing.editor_keystroke_ms.max(1));
    let typing = Duration::from_secs(options.seconds);
    let stretch = team.type_stretch(server, documents, every, typing).await?;
    let opened_in = team.opened_in;
    team.close().await;

    let agree = if stretch.convergence.agreed() {
        format!("all {documents}")
    } else {
        format!("NO: {}", stretch.convergence.why_not())
    };
    let mut row = vec![format!("{documents} × {per_document}")];
    row.extend(stretch.into_columns(per_document - 1, opened_in, agree)?);
    Ok(row)
}
