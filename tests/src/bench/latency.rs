//! Edit → remote latency: one writer appends a short token at a steady rate to one document
//! that N readers (each its own connection) have open; each reader notes when its heads first
//! include each edit.
//!
//! Detection stays cheap: the writer is the only writer, so after edit k every reader's heads are
//! exactly [hash of k]. Readers only note (head, instant) on each wake-up of their heads watch;
//! the matching against the writer's send instants happens after the run, so no lock is shared
//! while measuring and a reader that sees an edit before the writer has noted it loses nothing.
//! A reader that wakes once for several edits (the watch keeps only the newest heads) had all of
//! them at that instant: heads include every ancestor.

use std::collections::HashMap;
use std::time::Duration;

use agora_client::Client;
use automerge::ChangeHash;
use clap::Args;
use tokio::sync::watch;
use tokio::time::Instant;

use super::open::{bench_client_options, close_all, open_readers, Target};
use super::process::CpuTime;
use super::report::{mib, ms, percentile, secs, Table};
use super::BenchServer;

/// Bound on the writer waiting for the server to have its document before the readers open.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);
/// How long readers may take to get the last edit after the writer stops, beyond as long again
/// as the writing took: a server that relays at half the offered rate still finishes and shows
/// its backlog as latency (the Node server with 1,000 readers on two cores needs that).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Args)]
pub struct LatencyOptions {
    /// Reader counts to measure, one table row each.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    pub clients: Vec<usize>,
    /// Measured edits per reader count.
    #[arg(long, default_value_t = 150)]
    pub edits: usize,
    /// Edits before the measured ones, not counted (connections and caches warm up).
    #[arg(long, default_value_t = 20)]
    pub warmup: usize,
    /// Edits per second.
    #[arg(long, default_value_t = 20.0)]
    pub rate: f64,
}

/// One reader's wake-up: the single head it saw (None if the heads were not one change).
struct Seen {
    head: Option<ChangeHash>,
    at: Instant,
}

/// The columns of a row that `measure` returns.
pub const COLUMNS: [&str; 10] = [
    "readers",
    "edit → each reader p50 (ms)",
    "p99 (ms)",
    "max (ms)",
    "edit → last reader p50 (ms)",
    "p99 (ms)",
    "server CPU (cores)",
    "bench CPU (cores)",
    "readers opened in (s)",
    "server RSS with readers",
];

/// What the workload was, for a table's title.
pub fn describe(options: &LatencyOptions) -> String {
    format!(
        "one writer, {} edits/s, {} measured edits after {} warm-up, N readers on their own connections",
        options.rate, options.edits, options.warmup
    )
}

pub async fn run(server: &BenchServer, options: &LatencyOptions) -> anyhow::Result<()> {
    let mut table = Table::new(
        &format!("Edit → remote latency ({})", describe(options)),
        &COLUMNS,
    );
    let url = server.sync_url();
    for &readers in &options.clients {
        let row = match measure(
            &url,
            std::slice::from_ref(&url),
            Some(server),
            readers,
            options,
        )
        .await
        {
            Ok(row) => row,
            Err(error) => {
                let mut row = vec![format!("{readers}: failed: {error:#}")];
                row.resize(10, "—".to_owned());
                row
            }
        };
        table.row(row);
    }
    table.print();
    Ok(())
}

/// One row: a writer on `writer_url`, `readers` readers spread over `reader_urls` (one service's
/// instances); CPU and memory of `server` when it is the only process serving.
pub async fn measure(
    writer_url: &str,
    reader_urls: &[String],
    server: Option<&BenchServer>,
    readers: usize,
    options: &LatencyOptions,
) -> anyhow::Result<Vec<String>> {
    let writer = Client::connect_with(writer_url, bench_client_options()).await?;
    let doc = writer.create().await?;
    doc.append_text("Latenz: ")?;
    doc.wait_synced(SYNC_TIMEOUT).await?;
    let target = Target {
        id: doc.id(),
        heads: doc.heads(),
    };

    let open_deadline = Duration::from_secs(60) + Duration::from_millis(50) * readers as u32;
    let opened = open_readers(reader_urls, readers, &[target], open_deadline).await;
    if let Some(why) = opened.shortfall(open_deadline) {
        let open = opened.readers.len();
        close_all(opened.readers.into_iter().map(|r| r.client).collect()).await;
        writer.close().await;
        anyhow::bail!("{open} of {readers} readers opened: {why}");
    }
    let server_rss = server.map(BenchServer::memory).transpose()?;

    let total = options.warmup + options.edits;
    let interval = Duration::from_secs_f64(1.0 / options.rate.max(0.1));
    let writing = interval * total as u32;
    let run_deadline = Instant::now() + 2 * writing + DRAIN_TIMEOUT;
    let (last_tx, last_rx) = watch::channel(None);
    let observers: Vec<_> = opened
        .readers
        .iter()
        .map(|reader| {
            let changes = reader.handle.changes();
            tokio::spawn(observe(changes, last_rx.clone(), run_deadline, 2 * total))
        })
        .collect();

    // Where the time goes: the server's CPU and the clients' (this process) over the run.
    let server_cpu = server.map(BenchServer::cpu_time).transpose()?;
    let (bench_cpu, run_start) = (CpuTime::of_self()?, Instant::now());
    let mut sent: Vec<(ChangeHash, Instant)> = Vec::with_capacity(total);
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for k in 0..total {
        ticks.tick().await;
        doc.append_text(&format!("{k} "))?;
        let at = Instant::now();
        let heads = doc.heads();
        anyhow::ensure!(heads.len() == 1, "the writer's heads are {heads:?}");
        sent.push((heads[0], at));
    }
    last_tx.send_replace(sent.last().map(|(hash, _)| *hash));

    let mut seen_by_reader = Vec::with_capacity(observers.len());
    for observer in observers {
        seen_by_reader.push(observer.await?);
    }
    drop(last_tx);
    let run_time = run_start.elapsed();
    let server_cores = match (server, server_cpu) {
        (Some(server), Some(before)) => {
            format!("{:.2}", server.cpu_time()?.cores_since(before, run_time))
        }
        _ => "—".to_owned(),
    };
    let bench_cores = CpuTime::of_self()?.cores_since(bench_cpu, run_time);
    let latencies = match_latencies(&sent, &seen_by_reader, options.warmup).map_err(|error| {
        // Tells a lost delivery (the reader still lacks the edit) from a missed wake-up.
        let last = sent.last().map(|(hash, _)| vec![*hash]);
        let behind = opened
            .readers
            .iter()
            .filter(|reader| Some(reader.handle.heads()) != last)
            .count();
        error.context(format!(
            "{behind} of {readers} readers lack the last edit {run_time:.1?} after the first"
        ))
    });

    close_all(opened.readers.into_iter().map(|r| r.client).collect()).await;
    writer.close().await;
    let latencies = latencies?;

    let mut each: Vec<Duration> = latencies.iter().flatten().copied().collect();
    each.sort_unstable();
    let mut last: Vec<Duration> = latencies
        .iter()
        .map(|edit_to_readers| edit_to_readers.iter().copied().max().unwrap_or_default())
        .collect();
    last.sort_unstable();
    Ok(vec![
        readers.to_string(),
        ms(percentile(&each, 50.0)),
        ms(percentile(&each, 99.0)),
        ms(each.last().copied().unwrap_or_default()),
        ms(percentile(&last, 50.0)),
        ms(percentile(&last, 99.0)),
        server_cores,
        format!("{bench_cores:.2}"),
        secs(opened.elapsed),
        server_rss.map_or("—".to_owned(), |memory| mib(memory.rss_kib)),
    ])
}

/// Notes every wake-up of one reader's heads until it has the last edit, the deadline, or `cap`
/// wake-ups (a bound with room to spare: one per edit is expected).
async fn observe(
    mut changes: watch::Receiver<Vec<ChangeHash>>,
    mut last: watch::Receiver<Option<ChangeHash>>,
    deadline: Instant,
    cap: usize,
) -> Vec<Seen> {
    // The synced state before the first edit is not an observation.
    changes.borrow_and_update();
    let mut seen: Vec<Seen> = Vec::with_capacity(cap);
    while seen.len() < cap {
        let have_last = match (seen.last(), *last.borrow_and_update()) {
            (Some(seen), Some(last)) => seen.head == Some(last),
            _ => false,
        };
        if have_last {
            break;
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                let at = Instant::now();
                let heads = changes.borrow_and_update();
                let head = match heads.as_slice() {
                    [head] => Some(*head),
                    _ => None,
                };
                seen.push(Seen { head, at });
            }
            changed = last.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    seen
}

/// For each measured edit, the latency to each reader: the first wake-up whose head is that
/// edit or a later one. Fails if a reader never got some edit.
fn match_latencies(
    sent: &[(ChangeHash, Instant)],
    seen_by_reader: &[Vec<Seen>],
    warmup: usize,
) -> anyhow::Result<Vec<Vec<Duration>>> {
    let index: HashMap<ChangeHash, usize> = sent
        .iter()
        .enumerate()
        .map(|(k, (hash, _))| (*hash, k))
        .collect();
    let mut per_edit = vec![Vec::with_capacity(seen_by_reader.len()); sent.len()];
    for (reader, seen) in seen_by_reader.iter().enumerate() {
        let mut next = 0;
        for wake in seen {
            let Some(k) = wake.head.and_then(|head| index.get(&head).copied()) else {
                continue;
            };
            while next <= k {
                per_edit[next].push(wake.at.saturating_duration_since(sent[next].1));
                next += 1;
            }
        }
        anyhow::ensure!(
            next == sent.len(),
            "reader {reader} got only {next} of {} edits",
            sent.len()
        );
    }
    Ok(per_edit.split_off(warmup.min(sent.len())))
}
