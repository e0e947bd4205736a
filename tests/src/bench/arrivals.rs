//! Edit → remote latency with many writers per document: who saw which change when.
//!
//! Each writer notes (hash, instant) as it commits a keystroke. Each watcher (a writer's or a
//! reader's replica) notes, on every wake-up of its heads watch, the changes that are new since
//! its previous wake-up (`get_changes_meta` since the heads it saw last: only the new ones,
//! found through automerge's clock, not by walking the history) with the wake-up's instant.
//! Both are matched after the run, so no lock is shared while measuring and a watcher that sees
//! a change before its writer noted it loses nothing.
//!
//! With a single writer the latency workload does with less: its readers' heads are exactly
//! the newest edit.

use std::collections::HashMap;
use std::time::Duration;

use agora_client::DocHandle;
use automerge::ChangeHash;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A change as its writer committed it. `writer` numbers the replicas of one workload.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub hash: ChangeHash,
    pub at: Instant,
    pub writer: usize,
}

/// A change as a watcher first saw it.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub hash: ChangeHash,
    pub at: Instant,
}

/// What one replica saw; `watcher` is its number among the workload's replicas (a writer's own
/// changes are not deliveries to itself).
pub struct Seen {
    pub watcher: usize,
    pub arrivals: Vec<Arrival>,
}

/// Notes the arrivals at `handle`'s replica until `stop` says so or `deadline` passes.
pub fn watch_arrivals(
    watcher: usize,
    handle: DocHandle,
    mut stop: watch::Receiver<bool>,
    deadline: Instant,
) -> JoinHandle<Seen> {
    tokio::spawn(async move {
        let mut changes = handle.changes();
        // What the replica has now is its starting point, not an arrival.
        changes.borrow_and_update();
        let mut known = handle.heads();
        let mut arrivals = Vec::new();
        loop {
            tokio::select! {
                // Changes first: when the run stops right after the last change arrived, that
                // arrival is noted before the stop.
                biased;
                changed = changes.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    changes.borrow_and_update();
                    let at = Instant::now();
                    let heads = handle.with_doc(|doc| {
                        arrivals.extend(
                            doc.get_changes_meta(&known)
                                .into_iter()
                                .map(|change| Arrival { hash: change.hash, at }),
                        );
                        doc.get_heads()
                    });
                    known = heads;
                }
                _ = stopped(&mut stop) => break,
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        Seen { watcher, arrivals }
    })
}

/// Resolves once `stop` turns true or its sender is gone. (A function of its own so that no
/// watch guard lives in the watcher's future.)
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Waits for every watcher; one that panicked is an error.
pub async fn collect(watchers: Vec<JoinHandle<Seen>>) -> anyhow::Result<Vec<Seen>> {
    let mut seen = Vec::with_capacity(watchers.len());
    for watcher in watchers {
        seen.push(watcher.await?);
    }
    Ok(seen)
}

/// Latencies from writers to the other watchers that saw their changes.
pub struct Deliveries {
    /// Sorted, one per (change, watcher) pair that `counts` admitted and that arrived.
    pub latencies: Vec<Duration>,
}

impl Deliveries {
    /// Matches arrivals to sent changes: one latency per arrival of a change at a watcher other
    /// than its writer, where `counts` admits the change.
    pub fn match_up(sent: &[Sent], seen: &[Seen], counts: impl Fn(&Sent) -> bool) -> Deliveries {
        let index: HashMap<ChangeHash, &Sent> = sent
            .iter()
            .filter(|sent| counts(sent))
            .map(|sent| (sent.hash, sent))
            .collect();
        let mut latencies = Vec::new();
        for replica in seen {
            for arrival in &replica.arrivals {
                if let Some(sent) = index.get(&arrival.hash) {
                    if sent.writer != replica.watcher {
                        latencies.push(arrival.at.saturating_duration_since(sent.at));
                    }
                }
            }
        }
        latencies.sort_unstable();
        Deliveries { latencies }
    }

    pub fn count(&self) -> usize {
        self.latencies.len()
    }
}
