//! Many writers on one document: N writers, each its own connection, type at human speed into
//! regions of one text, playing the agents of the concurrent editing traces (see `typist`).
//! Measures keystroke → every other writer (see `arrivals`), what that costs the server and the
//! bench, and checks at the end that every writer and a freshly connected client agree.
//!
//! The writers send each keystroke at once, without the client's 100 ms sync throttle: with
//! many writers a client has often just acknowledged the others' changes, and the throttle
//! would hold its next keystroke back for up to 100 ms, measuring the client, not the server.

use std::time::Duration;

use agora_client::Client;
use clap::Args;
use tokio::time::Instant;

use super::editors::{open_team, regions, Team};
use super::keystrokes::{Scripts, CONCURRENT_TRACES};
use super::open::{bench_client_options, Target};
use super::report::{failed_row, secs, Table};
use super::seed::create_documents;
use super::BenchServer;

/// Bound on a fresh client loading the document written.
const FRESH_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Args)]
pub struct WritersOptions {
    /// Writer counts to measure, one table row each; all on one document.
    #[arg(long, value_delimiter = ',', default_value = "10,50")]
    pub writers: Vec<usize>,
    /// How long the writers (and in `all` the documents' editors) type.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Milliseconds between one writer's keystrokes: 200 is five a second, a steady typist.
    #[arg(long, default_value_t = 200)]
    pub writer_keystroke_ms: u64,
}

const COLUMNS: [&str; 13] = [
    "writers",
    "keystrokes",
    "keystroke → each other writer p50 (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "max (ms)",
    "deliveries seen",
    "server CPU (cores)",
    "bench CPU (cores)",
    "server RSS at the end",
    "messages/s to the server",
    "writers opened in (s)",
    "all writers and a fresh client agree",
];

pub async fn run(server: &BenchServer, options: &WritersOptions) -> anyhow::Result<()> {
    let scripts = Scripts::load(&CONCURRENT_TRACES)?;
    let mut table = Table::new(
        &format!(
            "Many writers on one document ({} s of typing, one keystroke per {} ms per writer, \
             each writer its own connection and region, each keystroke sent at once; \
             keystrokes from the {} agents of {})",
            options.seconds,
            options.writer_keystroke_ms,
            scripts.len(),
            CONCURRENT_TRACES.join(" and "),
        ),
        &COLUMNS,
    );
    for &writers in &options.writers {
        let row = match measure(server, writers, options, &scripts).await {
            Ok(row) => row,
            Err(error) => failed_row(writers, &error, COLUMNS.len()),
        };
        table.row(row);
    }
    table.print();
    Ok(())
}

async fn measure(
    server: &BenchServer,
    writers: usize,
    options: &WritersOptions,
    scripts: &Scripts,
) -> anyhow::Result<Vec<String>> {
    anyhow::ensure!(writers >= 2, "at least two writers are needed");
    let url = server.sync_url();
    let created = create_documents(&url, 1, regions(writers)).await?;
    let open_deadline = Duration::from_secs(60) + Duration::from_millis(50) * writers as u32;
    let mut team = open_team(&url, &created, writers, scripts, open_deadline).await?;

    let every = Duration::from_millis(options.writer_keystroke_ms.max(1));
    let typing = Duration::from_secs(options.seconds);
    let stretch = team.type_stretch(server, 1, every, typing).await?;
    let agreement = if stretch.convergence.agreed() {
        fresh_client_agrees(&url, &created[0].0, &team).await
    } else {
        format!("NO: {}", stretch.convergence.why_not())
    };
    let opened_in = team.opened_in;
    team.close().await;

    let mut row = vec![writers.to_string()];
    row.extend(stretch.into_columns(writers - 1, opened_in, agreement)?);
    Ok(row)
}

/// Whether a client connecting now loads the same heads and text as the first writer has.
async fn fresh_client_agrees(url: &str, target: &Target, team: &Team) -> String {
    let Some(first) = team.editors.first() else {
        return "NO: no writers".to_owned();
    };
    let (heads, text) = (first.handle.heads(), first.handle.text());
    let check = async {
        let client = Client::connect_with(url, bench_client_options()).await?;
        let handle = client.find(target.id).await?;
        let arrived = handle
            .wait_for(FRESH_TIMEOUT, |doc| doc.get_heads() == heads)
            .await;
        let fresh_text = handle.text();
        client.close().await;
        arrived?;
        anyhow::ensure!(fresh_text == text, "same heads, but the text differs");
        Ok::<_, anyhow::Error>(())
    };
    let started = Instant::now();
    match check.await {
        Ok(()) => format!(
            "yes ({} characters; fresh client in {} s)",
            text.chars().count(),
            secs(started.elapsed())
        ),
        Err(error) => format!("NO: a fresh client: {error:#}"),
    }
}
