//! Editors: connections that each type into a region of a shared document (see `typist`).
//! Opening them over documents made with regions, typing at a steady pace, and waiting until
//! the replicas of each document agree.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use agora_client::{Client, DocHandle, DocumentId};
use automerge::{ChangeHash, Cursor};
use futures_util::future::join_all;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::arrivals::{collect, watch_arrivals, Deliveries, Seen, Sent};
use super::keystrokes::Scripts;
use super::open::{close_all, eager_client_options, open_readers_with, Target};
use super::process::Memory;
use super::report::{mib, percentiles_ms, secs};
use super::typist::{write_regions, Typist};
use super::usage::{Mark, Usage};
use super::BenchServer;

/// Between the editors opening and their first keystroke: watchers are subscribed by then.
pub const LEAD: Duration = Duration::from_millis(200);
/// How often `wait_converged` looks at the replicas' heads.
const CONVERGE_POLL: Duration = Duration::from_millis(100);
/// How long `wait_converged` waits once no replica changes any more.
const STALL: Duration = Duration::from_secs(10);

/// How long editors' replicas may take to agree after `typing` seconds of typing: a server
/// that relays at a fifth of the offered rate still gets there, and shows its backlog as latency.
pub fn converge_limit(typing: Duration) -> Duration {
    Duration::from_secs(30) + 4 * typing
}

/// Whether the editors of each document ended with identical heads.
pub struct Convergence {
    /// The documents whose editors still differ.
    pub differ: Vec<usize>,
    pub documents: usize,
    /// Whether nothing had changed for `STALL` when the wait ended.
    pub stalled: bool,
    pub waited: Duration,
}

impl Convergence {
    pub fn agreed(&self) -> bool {
        self.differ.is_empty()
    }

    /// Why not, for a table cell: stalled (the rest did not arrive) or still catching up.
    pub fn why_not(&self) -> String {
        let why = if self.stalled {
            format!("no replica changed for {STALL:?}: the rest did not arrive")
        } else {
            format!(
                "still catching up when the wait ended after {:.0?}",
                self.waited
            )
        };
        format!(
            "{} of {} documents differ; {why}",
            self.differ.len(),
            self.documents
        )
    }
}

/// One connection with one document open and a region of it to type in.
pub struct Editor {
    /// Numbers the editors of a workload: document d's editors are d·per_document + slot.
    pub id: usize,
    /// Which of the workload's documents it edits.
    pub document: usize,
    pub client: Client,
    pub handle: DocHandle,
    pub typist: Typist,
}

/// The editors that opened, and how long opening took.
pub struct Team {
    pub editors: Vec<Editor>,
    pub opened_in: Duration,
}

/// Fills a new document with the markers of `regions` regions; the anchors, for `open_team`.
pub fn regions(regions: usize) -> impl Fn(usize, &DocHandle) -> anyhow::Result<Vec<Cursor>> {
    move |_, handle| write_regions(handle, regions)
}

/// Opens `per_document` editors on each document in `documents` (each made by `regions`),
/// every editor its own connection sending each keystroke at once, within `deadline`. Fails,
/// with the opened ones closed, unless all open.
pub async fn open_team(
    url: &str,
    documents: &[(Target, Vec<Cursor>)],
    per_document: usize,
    scripts: &Scripts,
    deadline: Duration,
) -> anyhow::Result<Team> {
    let targets: Vec<Target> = documents.iter().map(|(target, _)| target.clone()).collect();
    let count = documents.len() * per_document;
    let options = eager_client_options();
    let opened = open_readers_with(&[url.to_owned()], count, &targets, deadline, &options).await;
    if let Some(why) = opened.shortfall(deadline) {
        let open = opened.readers.len();
        close_all(opened.readers.into_iter().map(|r| r.client).collect()).await;
        anyhow::bail!("{open} of {count} editors opened in {deadline:?}: {why}");
    }
    // Connections finish opening in any order; each takes the next free region of its document.
    let index: HashMap<DocumentId, usize> = targets
        .iter()
        .enumerate()
        .map(|(n, target)| (target.id, n))
        .collect();
    let mut next_slot = vec![0; documents.len()];
    let mut editors = Vec::with_capacity(count);
    for reader in opened.readers {
        let document = index[&reader.handle.id()];
        let slot = next_slot[document];
        next_slot[document] += 1;
        let id = document * per_document + slot;
        let (script, start) = scripts.cue(id, count);
        let anchor = documents[document].1[slot].clone();
        editors.push(Editor {
            id,
            document,
            client: reader.client,
            handle: reader.handle,
            typist: Typist::new(script, start, anchor),
        });
    }
    editors.sort_by_key(|editor| editor.id);
    Ok(Team {
        editors,
        opened_in: opened.elapsed,
    })
}

/// What a stretch of steady typing by a team showed.
pub struct Stretch {
    /// The keystrokes committed (an error if some editor failed to type).
    pub sent: anyhow::Result<Vec<Sent>>,
    /// Every editor's arrivals.
    pub seen: Vec<Seen>,
    /// Server and bench CPU, and messages, while typing.
    pub usage: Usage,
    /// The server's memory when the typing stopped.
    pub rss: Memory,
    pub convergence: Convergence,
}

impl Stretch {
    /// The columns the typing tables share after their first: keystrokes, keystroke → each
    /// other editor p50/p95/p99/max, deliveries seen of `others` per keystroke, CPU, RSS,
    /// messages per second, opening time, and `agreement`. Fails if some editor failed to type.
    pub fn into_columns(
        self,
        others: usize,
        opened_in: Duration,
        agreement: String,
    ) -> anyhow::Result<Vec<String>> {
        let sent = self.sent?;
        // Watchers see only their own document, so every match is a delivery within one.
        let deliveries = Deliveries::match_up(&sent, &self.seen, |_| true);
        let mut columns = vec![sent.len().to_string()];
        columns.extend(percentiles_ms(&deliveries.latencies));
        columns.extend([
            format!("{} of {}", deliveries.count(), sent.len() * others),
            self.usage.server_cores(),
            self.usage.bench_cores(),
            mib(self.rss.rss_kib),
            self.usage.to_server_per_second(),
            secs(opened_in),
            agreement,
        ]);
        Ok(columns)
    }
}

impl Team {
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.editors.iter().map(|editor| &editor.client)
    }

    /// Every editor types one keystroke per `every` for `typing` (from `LEAD` on) while the
    /// arrivals at each are noted; then waits, bounded, until the replicas of each of the
    /// `documents` agree.
    pub async fn type_stretch(
        &mut self,
        server: &BenchServer,
        documents: usize,
        every: Duration,
        typing: Duration,
    ) -> anyhow::Result<Stretch> {
        let start = Instant::now() + LEAD;
        let until = start + typing;
        let converge = converge_limit(typing);
        let (stop, stopped) = watch::channel(false);
        let watchers = self
            .editors
            .iter()
            .map(|e| watch_arrivals(e.id, e.handle.clone(), stopped.clone(), until + converge))
            .collect();

        let before = Mark::now(Some(server), self.clients())?;
        let sent = self.type_steadily(every, start, until).await;
        let usage = Mark::now(Some(server), self.clients())?.since(&before);
        let rss = server.memory()?;
        let convergence = self.wait_converged(documents, converge).await;
        stop.send_replace(true);
        let seen = collect(watchers).await?;
        Ok(Stretch {
            sent,
            seen,
            usage,
            rss,
            convergence,
        })
    }

    /// Every editor types one keystroke per `every` from `start` until `until`, editor i of n
    /// first at `start + every·i/n` so that keystrokes spread evenly over time. The changes
    /// they committed, in no particular order.
    pub async fn type_steadily(
        &mut self,
        every: Duration,
        start: Instant,
        until: Instant,
    ) -> anyhow::Result<Vec<Sent>> {
        let n = self.editors.len().max(1) as u32;
        self.in_tasks(1, |i, mut group| {
            let first = start + every * i as u32 / n;
            async move {
                let typed = type_until(&mut group[0], every, first, until).await;
                (group, typed)
            }
        })
        .await
    }

    /// Runs `work` on the editors `per_group` at a time in order (group g holds editors
    /// g·per_group onwards), each group in a task of its own so that the work spreads over the
    /// runtime's threads; `work` hands its editors back. The changes committed, in no order.
    pub async fn in_tasks<Work, Done>(
        &mut self,
        per_group: usize,
        work: Work,
    ) -> anyhow::Result<Vec<Sent>>
    where
        Work: Fn(usize, Vec<Editor>) -> Done,
        Done: Future<Output = (Vec<Editor>, anyhow::Result<Vec<Sent>>)> + Send + 'static,
    {
        let mut editors = std::mem::take(&mut self.editors).into_iter().peekable();
        let mut tasks = Vec::new();
        while editors.peek().is_some() {
            let group: Vec<Editor> = editors.by_ref().take(per_group.max(1)).collect();
            tasks.push(tokio::spawn(work(tasks.len(), group)));
        }
        let mut sent = Vec::new();
        let mut failure = None;
        for task in join_all(tasks).await {
            // A task that panicked took its editors with it; their connections close.
            let (group, typed) = task?;
            self.editors.extend(group);
            match typed {
                Ok(typed) => sent.extend(typed),
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
        failure.map_or(Ok(sent), Err)
    }

    /// Waits until the editors of each document have identical heads: while the replicas keep
    /// changing (a server working through a backlog) up to `limit`, and no longer than `STALL`
    /// once nothing changes (what has not arrived by then never will).
    pub async fn wait_converged(&self, documents: usize, limit: Duration) -> Convergence {
        let started = Instant::now();
        let mut last_change = started;
        let mut previous = Vec::new();
        loop {
            let heads: Vec<Vec<ChangeHash>> =
                self.editors.iter().map(|e| e.handle.heads()).collect();
            let now = Instant::now();
            if heads != previous {
                last_change = now;
            }
            let differ = self.documents_that_differ(documents, &heads);
            let stalled = now.duration_since(last_change) >= STALL;
            let waited = now.duration_since(started);
            if differ.is_empty() || stalled || waited >= limit {
                return Convergence {
                    differ,
                    documents,
                    stalled,
                    waited,
                };
            }
            previous = heads;
            tokio::time::sleep(CONVERGE_POLL).await;
        }
    }

    /// The documents whose editors' `heads` (in the order of `editors`) are not all the same.
    fn documents_that_differ(&self, documents: usize, heads: &[Vec<ChangeHash>]) -> Vec<usize> {
        let mut first: Vec<Option<&Vec<ChangeHash>>> = vec![None; documents];
        let mut differ = vec![false; documents];
        for (editor, theirs) in self.editors.iter().zip(heads) {
            match first[editor.document] {
                None => first[editor.document] = Some(theirs),
                Some(first) => differ[editor.document] |= first != theirs,
            }
        }
        (0..documents).filter(|&d| differ[d]).collect()
    }

    pub async fn close(self) {
        close_all(self.editors.into_iter().map(|e| e.client).collect()).await;
    }
}

/// One editor's typing: a keystroke at `first`, then one every `every`, until `until`.
async fn type_until(
    editor: &mut Editor,
    every: Duration,
    first: Instant,
    until: Instant,
) -> anyhow::Result<Vec<Sent>> {
    let mut sent = Vec::new();
    let mut ticks = tokio::time::interval_at(first, every);
    // A keystroke the bench could not type on time is typed at once, so every server is
    // offered the same keystrokes whatever it costs the bench to keep up with its relaying.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    while ticks.tick().await < until {
        let hash = editor
            .typist
            .type_next(&editor.handle)
            .map_err(|e| e.context(format!("editor {}", editor.id)))?;
        sent.push(Sent {
            hash,
            at: Instant::now(),
            writer: editor.id,
        });
    }
    Ok(sent)
}
