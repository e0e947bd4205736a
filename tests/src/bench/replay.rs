//! A real typing session through the server: the `automerge-paper` trace (259,778 keystrokes),
//! one change per keystroke, from one client; then a cold start of the server on the same data
//! folder and a fresh client loading the whole document.

use std::time::Duration;

use agora_client::trace::{replay, Trace};
use agora_client::{Client, ClientOptions};
use anyhow::{ensure, Context};
use clap::Args;
use tokio::time::Instant;

use super::open::bench_client_options;
use super::process::Memory;
use super::report::{mib, secs, Table};
use super::BenchServer;
use crate::data::sequential_trace;

/// Bound on the server acknowledging the whole replay, and on a fresh client loading it.
const REPLAY_TIMEOUT: Duration = Duration::from_secs(600);
const LOAD_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Args)]
pub struct ReplayOptions {
    /// Sequential trace from the shared editing traces, by name.
    #[arg(long, default_value = "automerge-paper")]
    pub trace: String,
}

pub async fn run(server: &mut BenchServer, options: &ReplayOptions) -> anyhow::Result<()> {
    let path = sequential_trace(&options.trace);
    let trace = Trace::load(&path).with_context(|| format!("load {}", path.display()))?;
    let url = server.sync_url();

    let client = Client::connect_with(&url, bench_client_options()).await?;
    let handle = client.create().await?;
    handle.wait_synced(REPLAY_TIMEOUT).await?;

    let started = Instant::now();
    let (replayer, trace_copy) = (handle.clone(), trace.clone());
    // Replaying is synchronous work; the connection task syncs alongside on the runtime.
    let report = tokio::task::spawn_blocking(move || replay(&trace_copy, &replayer, 1)).await??;
    let applied = started.elapsed();
    handle.wait_synced(REPLAY_TIMEOUT).await?;
    let synced = started.elapsed();
    ensure!(
        handle.text() == trace.end_content,
        "the replayed text differs from the trace's endContent"
    );
    let after_replay = server.memory()?;
    let heads = handle.heads();
    client.close().await;

    server.stop().await?;
    let on_disk = server.data_size()?;
    let restart = Instant::now();
    server.start_again().await?;
    let healthy = restart.elapsed();
    let idle = server.memory()?;

    let load = Instant::now();
    let fresh = Client::connect_with(
        &server.sync_url(),
        ClientOptions {
            find_timeout: LOAD_TIMEOUT,
            ..bench_client_options()
        },
    )
    .await?;
    let loaded = fresh.find(handle.id()).await?;
    loaded
        .wait_for(LOAD_TIMEOUT, |doc| doc.get_heads() == heads)
        .await?;
    let first_sync = load.elapsed();
    ensure!(
        loaded.text() == trace.end_content,
        "the cold-loaded text differs from the trace's endContent"
    );
    let after_load = server.memory()?;
    fresh.close().await;

    print_table(&Figures {
        name: &options.trace,
        keystrokes: report.txns,
        changes: report.changes,
        applied,
        synced,
        after_replay,
        on_disk,
        healthy,
        idle,
        first_sync,
        after_load,
        client: Memory::of_self()?,
    });
    Ok(())
}

struct Figures<'a> {
    name: &'a str,
    keystrokes: usize,
    changes: usize,
    applied: Duration,
    synced: Duration,
    after_replay: Memory,
    on_disk: u64,
    healthy: Duration,
    idle: Memory,
    first_sync: Duration,
    after_load: Memory,
    client: Memory,
}

fn print_table(f: &Figures<'_>) {
    let mut table = Table::new(
        &format!(
            "Replay of `{}` through the server, one change per keystroke, then a cold load",
            f.name
        ),
        &["measure", "value"],
    );
    let rate = f.keystrokes as f64 / f.synced.as_secs_f64().max(f64::EPSILON);
    let rows = [
        (
            "keystrokes (changes)",
            format!("{} ({})", f.keystrokes, f.changes),
        ),
        ("client applies all keystrokes locally (s)", secs(f.applied)),
        ("first keystroke → server has them all (s)", secs(f.synced)),
        ("end-to-end rate (keystrokes/s)", format!("{rate:.0}")),
        (
            "server RSS after the replay (peak)",
            format!(
                "{} ({})",
                mib(f.after_replay.rss_kib),
                mib(f.after_replay.peak_kib)
            ),
        ),
        (
            "data folder on disk after a clean stop",
            format!(
                "{:.1} MiB ({} bytes)",
                f.on_disk as f64 / 1024.0 / 1024.0,
                f.on_disk
            ),
        ),
        ("restart → healthy (s)", secs(f.healthy)),
        ("server RSS idle after restart", mib(f.idle.rss_kib)),
        (
            "cold load: fresh client find → same heads (s)",
            secs(f.first_sync),
        ),
        (
            "server RSS after the cold load (peak)",
            format!(
                "{} ({})",
                mib(f.after_load.rss_kib),
                mib(f.after_load.peak_kib)
            ),
        ),
        ("bench process (clients) peak RSS", mib(f.client.peak_kib)),
        (
            "final text = trace endContent",
            "yes (checked after replay and after the cold load)".to_owned(),
        ),
    ];
    for (measure, value) in rows {
        table.row(vec![measure.to_owned(), value]);
    }
    table.print();
}
