//! Server memory with many idle connections: D documents with some text each, C connections,
//! connection i holding document i % D, all synced and then quiet.

use std::time::Duration;

use clap::Args;
use tokio::time::Instant;

use super::open::{close_all, open_readers, Target};
use super::process::Memory;
use super::report::{mib, secs, Table};
use super::seed::create_documents;
use super::BenchServer;

/// Quiet time after the last connection synced, so in-flight buffers are freed before reading.
const SETTLE: Duration = Duration::from_secs(2);

/// Text each document starts with (about 240 characters, umlauts included).
const SAMPLE_TEXT: &str = "Wir orientieren uns am Individuum und lernen gemeinsam aus dem, was \
    gelingt. Vi tager udgangspunkt i den enkelte og lærer sammen. We start from the person and \
    learn together from what works. Qualität entsteht im Dialog. ";

#[derive(Debug, Clone, Args)]
pub struct MemoryOptions {
    /// Idle WebSocket connections to open.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Documents the connections spread over (connection i opens document i % documents).
    #[arg(long, default_value_t = 1_000)]
    pub documents: usize,
    /// Keeps the connections open this long after the table, to look at the server meanwhile
    /// (with `heaptrack -p`, say).
    #[arg(long, default_value = "0s", value_parser = crate::soak::parse_duration)]
    pub hold: Duration,
}

pub async fn run(server: &BenchServer, options: &MemoryOptions) -> anyhow::Result<()> {
    anyhow::ensure!(options.documents > 0, "--documents must be at least 1");
    let start = server.memory()?;

    let created = Instant::now();
    let targets: Vec<Target> = create_documents(&server.sync_url(), options.documents, |n, h| {
        Ok(h.append_text(&format!("Dokument {n}. {SAMPLE_TEXT}"))?)
    })
    .await?
    .into_iter()
    .map(|(target, ())| target)
    .collect();
    let created = created.elapsed();
    let with_documents = server.memory()?;

    let deadline =
        Duration::from_secs(120) + Duration::from_millis(20) * options.connections as u32;
    let opened = open_readers(
        &[server.sync_url()],
        options.connections,
        &targets,
        deadline,
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    let connected = server.memory()?;
    let client = Memory::of_self()?;
    let open = opened.readers.len();

    let per_connection = |from: Memory| {
        let delta = connected.rss_kib.saturating_sub(from.rss_kib);
        format!("{:.1} KiB", delta as f64 / open.max(1) as f64)
    };
    let mut table = Table::new(
        &format!(
            "Server memory: {} idle connections over {} documents (connection i holds document i % {})",
            options.connections, options.documents, options.documents
        ),
        &["measure", "value"],
    );
    let rows = [
        (
            "connections open and synced",
            format!("{open} of {}", options.connections),
        ),
        (
            "documents created (s)",
            format!("{} ({})", options.documents, secs(created)),
        ),
        ("connections opened in (s)", secs(opened.elapsed)),
        (
            "server RSS at start (idle, no connections)",
            mib(start.rss_kib),
        ),
        (
            "server RSS after creating the documents",
            mib(with_documents.rss_kib),
        ),
        (
            "server RSS with all connections synced and idle",
            mib(connected.rss_kib),
        ),
        ("server peak RSS (VmHWM)", mib(connected.peak_kib)),
        (
            "per connection: (connected − start) / connections",
            per_connection(start),
        ),
        (
            "per connection: (connected − after documents) / connections",
            per_connection(with_documents),
        ),
        ("bench process (clients) RSS", mib(client.rss_kib)),
    ];
    for (measure, value) in rows {
        table.row(vec![measure.to_owned(), value]);
    }
    if let Some(why) = opened.shortfall(deadline) {
        table.row(vec!["connections not reached".to_owned(), why]);
    }
    table.print();
    if !options.hold.is_zero() {
        println!("holding the connections for {:?}", options.hold);
        tokio::time::sleep(options.hold).await;
    }

    close_all(opened.readers.into_iter().map(|r| r.client).collect()).await;
    Ok(())
}
