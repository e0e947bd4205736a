//! The idle server's memory: read on the process that survived the kills, each time every client
//! had left and every document was unloaded; the first round's reading is the baseline, the
//! last round's the end.

use std::time::Duration;

use anyhow::Context;

use super::heap::{self, Heap};
use super::report::{listed, Check};
use super::server::SoakServer;
use crate::bench::process::Memory;
use crate::bench::report::mib;

/// How far the live heap at the end may lie above the baseline: a quarter of it, at least 12 MiB.
/// What the idle server rightly keeps grows to a bound, not with the run: SQLite's page cache
/// (4 connections × 2 MiB) fills as the database grows, and the search index's readers hold a
/// little per segment. A leak of what the run churns (hundreds of connections, tens of thousands
/// of messages, a document load per client per round) grows with it and passes both.
const HEAP_TOLERANCE_SHARE: f64 = 0.25;
const HEAP_TOLERANCE_FLOOR_KIB: u64 = 12 * 1024;
/// Without gdb only resident memory can be read, and it includes what the allocator kept after
/// the busiest moment (see `heap`): half the baseline, at least 32 MiB.
const RESIDENT_TOLERANCE_SHARE: f64 = 0.5;
const RESIDENT_TOLERANCE_FLOOR_KIB: u64 = 32 * 1024;

/// Bound on the server holding no connection and no document after everyone left: the clients'
/// goodbyes and then the idle unload (2 s).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Quiet time once idle, the same before every reading, so buffers freed on the way out are
/// back with the allocator.
const SETTLE: Duration = Duration::from_secs(1);

/// One reading of the idle server.
#[derive(Debug)]
pub struct IdleMemory {
    /// As found, before the allocator was asked to hand back its free pages.
    pub found: Memory,
    /// The live heap, or why it could not be read.
    pub heap: Result<Heap, String>,
    /// After `malloc_trim`, when the heap could be read.
    pub trimmed: Option<Memory>,
}

#[derive(Debug, Default)]
pub struct MemoryFindings {
    pub after_kills: Option<IdleMemory>,
    /// After each round.
    pub rounds: Vec<Option<IdleMemory>>,
    pub problems: Vec<String>,
}

/// Waits until the server is idle (or reports that it never was), then reads its memory.
pub async fn read_idle(
    server: &SoakServer,
    problems: &mut Vec<String>,
    when: &str,
) -> Option<IdleMemory> {
    if let Err(error) = server.wait_idle(IDLE_TIMEOUT).await {
        problems.push(format!("{when}: {error}"));
        return None;
    }
    tokio::time::sleep(SETTLE).await;
    let read = async {
        let found = server.memory()?;
        let log = server.current_log().context("the server has no log")?;
        let heap = heap::read_and_trim(server.pid()?, log).await;
        let trimmed = match heap {
            Ok(_) => Some(server.memory()?),
            Err(_) => None,
        };
        anyhow::Ok(IdleMemory {
            found,
            heap,
            trimmed,
        })
    };
    match read.await {
        Ok(memory) => Some(memory),
        Err(error) => {
            problems.push(format!("{when}: {error}"));
            None
        }
    }
}

impl MemoryFindings {
    fn baseline(&self) -> Option<&IdleMemory> {
        self.rounds.first()?.as_ref()
    }

    fn end(&self) -> Option<&IdleMemory> {
        self.rounds.last()?.as_ref()
    }

    pub fn rows(&self) -> Vec<(String, String)> {
        let readings: Vec<Option<&IdleMemory>> = std::iter::once(self.after_kills.as_ref())
            .chain(self.rounds.iter().map(Option::as_ref))
            .collect();
        let series = |show: &dyn Fn(&IdleMemory) -> Option<u64>| -> String {
            readings
                .iter()
                .map(|reading| reading.and_then(show).map_or("-".to_owned(), mib))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let peak = self.end().map_or("-".to_owned(), |m| mib(m.found.peak_kib));
        vec![
            (
                "server idle after the kills, then after each round: live heap".to_owned(),
                series(&|m| m.heap.as_ref().ok().map(|heap| heap.in_use_kib)),
            ),
            (
                "… memory the allocator held".to_owned(),
                series(&|m| m.heap.as_ref().ok().map(|heap| heap.system_kib)),
            ),
            (
                "… RSS as found (anonymous part)".to_owned(),
                series(&|m| Some(m.found.rss_kib))
                    + " ("
                    + &series(&|m| Some(m.found.anon_kib))
                    + ")",
            ),
            (
                "… RSS once the allocator handed back its free pages".to_owned(),
                series(&|m| m.trimmed.map(|trimmed| trimmed.rss_kib)),
            ),
            ("server peak RSS (VmHWM) of that process".to_owned(), peak),
        ]
    }

    /// The end against the baseline: the live heap when gdb could read it, otherwise resident
    /// memory with a wider tolerance.
    pub fn check(&self) -> Check {
        let name = "memory back to baseline when idle";
        let (Some(baseline), Some(end)) = (self.baseline(), self.end()) else {
            return listed(name, self.problems.clone(), String::new());
        };
        let (what, from, to, tolerance) = match (&baseline.heap, &end.heap) {
            (Ok(from), Ok(to)) => (
                "live heap".to_owned(),
                from.in_use_kib,
                to.in_use_kib,
                tolerance(
                    from.in_use_kib,
                    HEAP_TOLERANCE_SHARE,
                    HEAP_TOLERANCE_FLOOR_KIB,
                ),
            ),
            (Err(why), _) | (_, Err(why)) => (
                format!("anonymous resident memory (live heap not read: {why})"),
                baseline.found.anon_kib,
                end.found.anon_kib,
                tolerance(
                    baseline.found.anon_kib,
                    RESIDENT_TOLERANCE_SHARE,
                    RESIDENT_TOLERANCE_FLOOR_KIB,
                ),
            ),
        };
        let grew = to.saturating_sub(from);
        let mut detail = format!(
            "{what}: {} → {} (+{}, tolerance +{})",
            mib(from),
            mib(to),
            mib(grew),
            mib(tolerance)
        );
        for problem in &self.problems {
            detail.push_str(&format!("; {problem}"));
        }
        Check {
            name,
            passed: grew <= tolerance && self.problems.is_empty(),
            detail,
        }
    }
}

fn tolerance(baseline_kib: u64, share: f64, floor_kib: u64) -> u64 {
    ((baseline_kib as f64 * share) as u64).max(floor_kib)
}
