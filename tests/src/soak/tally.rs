//! What the workload counts while it runs, shared by every actor and read for the report.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Problems kept word for word; beyond this many only their number grows.
const PROBLEMS_KEPT: usize = 50;

#[derive(Default)]
pub struct Tally {
    pub inserts: Counter,
    pub deletes: Counter,
    /// Clients that synced, closed, and were replaced by a new connection.
    pub editors_replaced: Counter,
    pub readers_replaced: Counter,
    /// Leaves put off because the server did not acknowledge in time (it was away).
    pub leaves_postponed: Counter,
    /// Connections reset at the TCP level by the proxy.
    pub cuts: Counter,
    /// Connection attempts of a joining client that failed (the server was away).
    pub join_retries: Counter,
    pub kills: Counter,
    /// Odd while the server is down after a kill: bumped at each kill and each restart.
    pub server_epoch: Counter,
    /// Slow-reader visits by how they ended.
    slow_outcomes: Mutex<BTreeMap<String, u64>>,
    /// Edit → acknowledgement times of the probe while the server stayed up.
    acks: Mutex<Vec<Duration>>,
    pub acks_across_kills: Counter,
    problems: Mutex<Vec<(Topic, String)>>,
    problems_dropped: Counter,
}

/// What a problem is about, so the report can give each check its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// Clients that could not join, sync or agree.
    Clients,
    SlowReaders,
    /// The probe's edits not acknowledged in time.
    Acknowledgement,
}

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Tally {
    pub fn slow_outcome(&self, outcome: String) {
        *lock(&self.slow_outcomes).entry(outcome).or_default() += 1;
    }

    pub fn slow_outcomes(&self) -> BTreeMap<String, u64> {
        lock(&self.slow_outcomes).clone()
    }

    pub fn ack(&self, took: Duration) {
        lock(&self.acks).push(took);
    }

    /// The probe's acknowledgement times, sorted.
    pub fn acks(&self) -> Vec<Duration> {
        let mut acks = lock(&self.acks).clone();
        acks.sort();
        acks
    }

    /// Something went wrong that the run must report as a failure.
    /// Each is stamped with the time of day (UTC), to be found in the server's log.
    pub fn problem(&self, topic: Topic, what: String) {
        let now = time::OffsetDateTime::now_utc();
        let stamped = format!(
            "[{:02}:{:02}:{:02}.{:03} UTC] {what}",
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        );
        let mut problems = lock(&self.problems);
        if problems.len() < PROBLEMS_KEPT {
            problems.push((topic, stamped));
        } else {
            self.problems_dropped.add();
        }
    }

    /// The problems kept about `topic`.
    pub fn problems(&self, topic: Topic) -> Vec<String> {
        lock(&self.problems)
            .iter()
            .filter(|(about, _)| *about == topic)
            .map(|(_, what)| what.clone())
            .collect()
    }

    /// Problems beyond those kept.
    pub fn problems_dropped(&self) -> u64 {
        self.problems_dropped.get()
    }

    /// Whether the server is up and has not been killed since `epoch` was read.
    pub fn server_stayed_up_since(&self, epoch: u64) -> bool {
        let now = self.server_epoch.get();
        now == epoch && now.is_multiple_of(2)
    }
}

/// Locks a mutex even if a panicking thread poisoned it: each holds plain counts.
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
