//! Sustained throughput: edits offered at a rising rate, in steps, until the server no longer
//! keeps up; the highest step it kept up with is the figure.
//!
//! Design. The load spreads over D documents (default 20), each with W writers (default 2) and
//! one reader, every one its own connection. Spread, because a server may give each document
//! one core at most (Agora runs an actor per document, Node one thread for all), and one busy
//! document would measure that bound rather than the server's. Two writers make every document
//! concurrent, as shared documents are; the reader is the recipient measured. Writers send each
//! edit at once (no client throttle), so edits become messages as fast as the server answers.
//!
//! Each document has a pacer, a task of its own, that commits its share of the offered rate on
//! schedule, the writers in turn: edit k at start + k / rate, late ones at once, so the offered
//! rate does not hang on timer granularity and a bench that cannot keep up shows as "sent"
//! below "offered".
//! A step runs a warm-up and then a measured window; afterwards the writers pause until every
//! reader has caught up (bounded), so each step starts without the previous one's backlog. In
//! the window: edits sent per second, edits delivered to readers per second, edit → reader
//! latency of the edits sent in it (see `arrivals`), messages per second to and from the
//! server, server and bench CPU.
//!
//! Stepping stops after the first step whose p99 passes the limit (100 ms; `--p99-limit-ms`
//! raises it, to find where delivery itself falls behind), that delivers less than
//! `KEEP_UP` of its offered rate, or that leaves edits undelivered. The bench shares the cores
//! with the server, so its CPU is printed beside the server's: where the bench is the bound,
//! the figure is a floor for the server, not its limit. Documents grow from step to step (every
//! step adds its edits), which makes later steps slightly harder.

use std::time::Duration;

use agora_client::Client;
use clap::Args;
use tokio::sync::watch;
use tokio::time::Instant;

use super::arrivals::{collect, watch_arrivals, Deliveries, Sent};
use super::editors::{open_team, regions, Editor, Team, LEAD};
use super::keystrokes::{Scripts, CONCURRENT_TRACES};
use super::report::{failed_row, ms, percentile, Table};
use super::seed::create_documents;
use super::usage::{Mark, Usage};
use super::BenchServer;

/// The share of the offered rate that must be sent and delivered for a step to count.
const KEEP_UP: f64 = 0.9;
/// How long readers may take to catch up after a step.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Args)]
pub struct ThroughputOptions {
    /// Offered edits per second, one step each, in rising order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "250,500,750,1000,1500,2000,2500,3000,4000,6000,8000,16000"
    )]
    pub rates: Vec<u32>,
    /// Documents the load spreads over.
    #[arg(long, default_value_t = 20)]
    pub load_documents: usize,
    /// Writers per document; each document also has one reader.
    #[arg(long, default_value_t = 2)]
    pub writers_per_document: usize,
    /// Measured seconds per step.
    #[arg(long, default_value_t = 3.0)]
    pub step_seconds: f64,
    /// Seconds at each step's rate before measuring.
    #[arg(long, default_value_t = 1.0)]
    pub warmup_seconds: f64,
    /// A step whose edit → reader p99 passes this many milliseconds is one the server no
    /// longer sustains.
    #[arg(long, default_value_t = 100)]
    pub p99_limit_ms: u64,
}

impl ThroughputOptions {
    fn p99_limit(&self) -> Duration {
        Duration::from_millis(self.p99_limit_ms)
    }
}

const COLUMNS: [&str; 11] = [
    "offered (edits/s)",
    "sent (edits/s)",
    "delivered to readers (edits/s)",
    "edit → reader p50 (ms)",
    "p99 (ms)",
    "undelivered",
    "messages/s to the server",
    "messages/s from the server",
    "server CPU (cores)",
    "bench CPU (cores)",
    "verdict",
];

pub async fn run(server: &BenchServer, options: &ThroughputOptions) -> anyhow::Result<()> {
    let mut table = Table::new(
        &format!(
            "Sustained throughput ({} documents × ({} writers + 1 reader), each its own \
             connection; per step {} s warm-up, {} s measured)",
            options.load_documents,
            options.writers_per_document,
            options.warmup_seconds,
            options.step_seconds
        ),
        &COLUMNS,
    );
    let sustained = match measure(server, options, &mut table).await {
        Ok(sustained) => sustained,
        Err(error) => {
            table.row(failed_row("setup", &error, COLUMNS.len()));
            None
        }
    };
    table.note(&match sustained {
        Some(step) => format!(
            "sustained: {:.0} messages/s to the server ({} edits/s offered, {:.0} delivered to \
             readers per second): the highest step with p99 ≤ {} ms and no backlog",
            step.usage.to_server_per_second,
            step.offered,
            step.delivered_per_second,
            options.p99_limit_ms
        ),
        None => format!(
            "sustained: none of the steps had p99 ≤ {} ms and no backlog",
            options.p99_limit_ms
        ),
    });
    table.print();
    Ok(())
}

/// What one step measured.
struct Step {
    offered: u32,
    sent_per_second: f64,
    delivered_per_second: f64,
    latencies: Vec<Duration>,
    undelivered: usize,
    usage: Usage,
    /// Documents whose readers had not caught up `DRAIN_TIMEOUT` after the step.
    behind: usize,
}

impl Step {
    /// Why the server did not sustain this step, or `None` when it did.
    fn shortfall(&self, p99_limit: Duration) -> Option<String> {
        let offered = f64::from(self.offered);
        let p99 = percentile(&self.latencies, 99.0);
        if self.sent_per_second < KEEP_UP * offered {
            Some(format!(
                "the bench sent only {:.0} % of the offered rate",
                100.0 * self.sent_per_second / offered
            ))
        } else if self.behind > 0 || self.undelivered > 0 {
            Some(format!(
                "backlog: {} edits undelivered, {} readers behind {DRAIN_TIMEOUT:?} after",
                self.undelivered, self.behind
            ))
        } else if self.delivered_per_second < KEEP_UP * offered {
            Some(format!(
                "backlog: delivered {:.0} % of the offered rate",
                100.0 * self.delivered_per_second / offered
            ))
        } else if p99 > p99_limit {
            Some(format!("p99 > {} ms", p99_limit.as_millis()))
        } else {
            None
        }
    }

    fn row(&self, p99_limit: Duration) -> Vec<String> {
        vec![
            self.offered.to_string(),
            format!("{:.0}", self.sent_per_second),
            format!("{:.0}", self.delivered_per_second),
            ms(percentile(&self.latencies, 50.0)),
            ms(percentile(&self.latencies, 99.0)),
            self.undelivered.to_string(),
            self.usage.to_server_per_second(),
            self.usage.from_server_per_second(),
            self.usage.server_cores(),
            self.usage.bench_cores(),
            self.shortfall(p99_limit).unwrap_or_else(|| "ok".to_owned()),
        ]
    }
}

/// Runs the steps, adding a row for each; returns the highest step sustained.
async fn measure(
    server: &BenchServer,
    options: &ThroughputOptions,
    table: &mut Table,
) -> anyhow::Result<Option<Step>> {
    let (documents, writers) = (options.load_documents, options.writers_per_document);
    anyhow::ensure!(documents >= 1, "--load-documents must be at least 1");
    anyhow::ensure!(writers >= 1, "--writers-per-document must be at least 1");
    anyhow::ensure!(
        options.rates.iter().all(|&rate| rate > 0),
        "--rates must be above zero"
    );
    let scripts = Scripts::load(&CONCURRENT_TRACES)?;
    let url = server.sync_url();
    // The reader of each document is its last editor: it opens like the writers, never types.
    let per_document = writers + 1;
    let created = create_documents(&url, documents, regions(per_document)).await?;
    let connections = documents * per_document;
    let open_deadline = Duration::from_secs(60) + Duration::from_millis(50) * connections as u32;
    let mut team = open_team(&url, &created, per_document, &scripts, open_deadline).await?;

    let mut sustained = None;
    for &offered in &options.rates {
        let step = match run_step(server, &mut team, documents, offered, options).await {
            Ok(step) => step,
            Err(error) => {
                table.row(failed_row(offered, &error, COLUMNS.len()));
                break;
            }
        };
        table.row(step.row(options.p99_limit()));
        if step.shortfall(options.p99_limit()).is_some() {
            break;
        }
        sustained = Some(step);
    }
    team.close().await;
    Ok(sustained)
}

async fn run_step(
    server: &BenchServer,
    team: &mut Team,
    documents: usize,
    offered: u32,
    options: &ThroughputOptions,
) -> anyhow::Result<Step> {
    let per_document = team.editors.len() / documents;
    let start = Instant::now() + LEAD;
    let window_start = start + Duration::from_secs_f64(options.warmup_seconds.max(0.0));
    let window = Duration::from_secs_f64(options.step_seconds.max(0.1));
    let until = window_start + window;

    let (stop, stopped) = watch::channel(false);
    let watchers = team
        .editors
        .iter()
        .filter(|editor| is_reader(editor, per_document))
        .map(|e| {
            watch_arrivals(
                e.id,
                e.handle.clone(),
                stopped.clone(),
                until + DRAIN_TIMEOUT,
            )
        })
        .collect();

    let per_document_rate = f64::from(offered) / documents as f64;
    let clients: Vec<Client> = team.clients().cloned().collect();
    let marks = async {
        tokio::time::sleep_until(window_start).await;
        let first = Mark::now(Some(server), &clients);
        tokio::time::sleep_until(until).await;
        (first, Mark::now(Some(server), &clients))
    };
    let pacing = team.in_tasks(per_document, |d, mut group| {
        // Documents take their turns spread over one period, not all at once.
        let first = start + Duration::from_secs_f64(d as f64 / f64::from(offered));
        async move {
            let writers = &mut group[..per_document - 1];
            let typed = pace(writers, per_document_rate, first, until).await;
            (group, typed)
        }
    });
    let ((first, last), sent) = tokio::join!(marks, pacing);
    let sent = sent?;
    let usage = last?.since(&first?);

    let behind = team
        .wait_converged(documents, DRAIN_TIMEOUT)
        .await
        .differ
        .len();
    stop.send_replace(true);
    let seen = collect(watchers).await?;

    let in_window = |at: Instant| at >= window_start && at < until;
    let window_sent = sent.iter().filter(|s| in_window(s.at)).count();
    let deliveries = Deliveries::match_up(&sent, &seen, |s| in_window(s.at));
    let delivered_in_window = seen
        .iter()
        .flat_map(|replica| &replica.arrivals)
        .filter(|arrival| in_window(arrival.at))
        .count();
    let seconds = window.as_secs_f64();
    Ok(Step {
        offered,
        sent_per_second: window_sent as f64 / seconds,
        delivered_per_second: delivered_in_window as f64 / seconds,
        undelivered: window_sent.saturating_sub(deliveries.count()),
        latencies: deliveries.latencies,
        usage,
        behind,
    })
}

fn is_reader(editor: &Editor, per_document: usize) -> bool {
    editor.id % per_document == per_document - 1
}

/// Commits edits on `writers` in turn at `per_second` from `start` until `until`, each on its
/// schedule or at once when late.
async fn pace(
    writers: &mut [Editor],
    per_second: f64,
    start: Instant,
    until: Instant,
) -> anyhow::Result<Vec<Sent>> {
    let mut sent = Vec::new();
    for k in 0u64.. {
        let due = start + Duration::from_secs_f64(k as f64 / per_second);
        if due >= until {
            break;
        }
        tokio::time::sleep_until(due).await;
        let writer = &mut writers[k as usize % writers.len()];
        let hash = writer.typist.type_next(&writer.handle)?;
        sent.push(Sent {
            hash,
            at: Instant::now(),
            writer: writer.id,
        });
    }
    Ok(sent)
}
