//! The run's result: its checks, each passed or failed with the reason, and the one table the
//! bench prints.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::client_log::{ClientLog, Kind};
use super::explained::{self, explain};
use super::memory::MemoryFindings;
use super::plan::{Schedule, SoakOptions};
use super::probe::ACK_LIMIT;
use super::server_log::LogSummary;
use super::tally::Topic;
use super::verify::Verification;
use super::workload::Workload;
use crate::bench::report::{ms, percentile, secs, Table};

pub struct Findings<'a> {
    pub seed: u64,
    pub options: SoakOptions,
    pub schedule: Schedule,
    /// From the first edit to the server idle at the end.
    pub wall: Duration,
    pub work: &'a Workload,
    pub verification: Verification,
    pub memory: MemoryFindings,
    /// What went wrong with the SIGTERMs, if anything.
    pub exits: Vec<String>,
    pub server_log: LogSummary,
    pub client_log: BTreeMap<Kind, u64>,
    pub client_log_examples: &'static ClientLog,
    /// Data and logs, kept when a check failed.
    pub kept_folder: Option<PathBuf>,
}

pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    pub detail: String,
}

pub struct SoakReport {
    pub table: Table,
    pub checks: Vec<Check>,
    pub kept_folder: Option<PathBuf>,
}

impl SoakReport {
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// Every failed check with its reason, one per line.
    pub fn failures(&self) -> String {
        let mut text: String = self
            .checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| format!("{}: {}\n", check.name, check.detail))
            .collect();
        if let Some(folder) = &self.kept_folder {
            text.push_str(&format!("data and logs kept in {}\n", folder.display()));
        }
        text
    }
}

impl Findings<'_> {
    pub fn all_passed(&self) -> bool {
        checks(self).iter().all(|check| check.passed)
    }
}

pub fn report(findings: &Findings<'_>) -> SoakReport {
    let checks = checks(findings);
    let mut table = Table::new(
        &format!(
            "Soak: {:.0} s of editing with kill -9, cuts and slow readers (seed {})",
            findings.options.duration.as_secs_f64(),
            findings.seed
        ),
        &["measure", "value"],
    );
    for (measure, value) in rows(findings) {
        table.row(vec![measure, value]);
    }
    for check in &checks {
        let verdict = if check.passed { "pass" } else { "FAIL" };
        table.row(vec![
            format!("check: {}", check.name),
            format!("{verdict}: {}", check.detail),
        ]);
    }
    for ((level, message), count) in &findings.server_log.kinds {
        table.row(vec![
            format!("server log {level}: {message}"),
            with_reason(
                explained::SERVER,
                level,
                message,
                count.lines,
                count.unexplained,
            ),
        ]);
    }
    for ((level, message), count) in &findings.client_log {
        let unexplained = if explained::is_complaint(level.as_str())
            && explain(explained::CLIENT, level.as_str(), message, None).is_none()
        {
            *count
        } else {
            0
        };
        table.row(vec![
            format!("client log {level}: {message}"),
            with_reason(
                explained::CLIENT,
                level.as_str(),
                message,
                *count,
                unexplained,
            ),
        ]);
    }
    SoakReport {
        table,
        checks,
        kept_folder: findings.kept_folder.clone(),
    }
}

/// A count, and for a complaint why it is expected, or how many lines nothing explains.
fn with_reason(
    list: &[explained::Explained],
    level: &str,
    message: &str,
    lines: u64,
    unexplained: u64,
) -> String {
    if !explained::is_complaint(level) {
        return lines.to_string();
    }
    let why = explained::kind_of(list, level, message).map(|explained| explained.why);
    match (unexplained, why) {
        (0, Some(why)) => format!("{lines} (expected: {why})"),
        (_, Some(why)) => format!("{lines}, {unexplained} of them UNEXPLAINED (beyond: {why})"),
        (_, None) => format!("{lines} (UNEXPLAINED)"),
    }
}

fn rows(findings: &Findings<'_>) -> Vec<(String, String)> {
    let options = &findings.options;
    let tally = &findings.work.tally;
    let client = |level: tracing::Level, message: &str| {
        findings
            .client_log
            .get(&(level, message.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    let acks = tally.acks();
    let mut rows = vec![
        (
            "duration: editing planned, wall (s)".to_owned(),
            format!(
                "{} ({} with kills, then {} rounds of {}), {}",
                secs(options.duration),
                secs(findings.schedule.chaos),
                findings.schedule.rounds.len(),
                secs(
                    findings
                        .schedule
                        .rounds
                        .first()
                        .copied()
                        .unwrap_or_default()
                ),
                secs(findings.wall)
            ),
        ),
        (
            "documents, editors (documents each), readers".to_owned(),
            format!(
                "{}, {} ({}), {}",
                options.documents, options.editors, options.documents_per_editor, options.readers
            ),
        ),
        (
            "edits: inserts, deletes; changes in the ledger".to_owned(),
            format!(
                "{}, {}; {}",
                tally.inserts.get(),
                tally.deletes.get(),
                findings.work.ledger.total()
            ),
        ),
        (
            "disconnects: closed and replaced (editors, readers)".to_owned(),
            format!(
                "{} ({}, {}); {} put off while the server was away",
                tally.editors_replaced.get() + tally.readers_replaced.get(),
                tally.editors_replaced.get(),
                tally.readers_replaced.get(),
                tally.leaves_postponed.get()
            ),
        ),
        (
            "disconnects: TCP resets by the proxy".to_owned(),
            tally.cuts.get().to_string(),
        ),
        (
            "kill -9 of the server (then restart, same port and data)".to_owned(),
            tally.kills.get().to_string(),
        ),
        (
            "reconnects (attempts that failed); joins retried".to_owned(),
            format!(
                "{} ({}); {}",
                client(tracing::Level::INFO, "reconnected"),
                client(tracing::Level::DEBUG, "reconnect attempt failed"),
                tally.join_retries.get()
            ),
        ),
        (
            "edit → acknowledged, server up: p50, p99, max (ms); samples; across a kill".to_owned(),
            format!(
                "{}, {}, {}; {}; {}",
                ms(percentile(&acks, 50.0)),
                ms(percentile(&acks, 99.0)),
                ms(acks.last().copied().unwrap_or_default()),
                acks.len(),
                tally.acks_across_kills.get()
            ),
        ),
    ];
    for (outcome, count) in tally.slow_outcomes() {
        rows.push((format!("slow reader, {outcome}"), count.to_string()));
    }
    rows.extend(findings.memory.rows());
    rows
}

fn checks(findings: &Findings<'_>) -> Vec<Check> {
    let verification = &findings.verification;
    let tally = &findings.work.tally;
    let mut checks = vec![
        listed(
            "every change in the ledger is on the server",
            verification
                .missing
                .iter()
                .chain(&verification.unloadable)
                .cloned()
                .collect(),
            format!(
                "{} changes in {} documents",
                verification.ledger_changes, verification.documents
            ),
        ),
        listed(
            "the server's heads and text equal the merge of every client's copy",
            verification.differing.clone(),
            format!("{} documents", verification.documents),
        ),
        listed(
            "clients joined, synced and agreed at the end of every stretch",
            tally.problems(Topic::Clients),
            "every client synced within its bound and every copy agreed".to_owned(),
        ),
        listed(
            "slow readers: caught up or closed as the limits promise",
            tally.problems(Topic::SlowReaders),
            "every outcome expected".to_owned(),
        ),
        listed(
            "edits acknowledged while slow readers lag",
            tally.problems(Topic::Acknowledgement),
            format!("every probe edit within {ACK_LIMIT:?}"),
        ),
        listed(
            "clean exit on SIGTERM",
            findings.exits.clone(),
            "both stops exited 0".to_owned(),
        ),
        findings.memory.check(),
        listed(
            "server log: every WARN and ERROR explained",
            findings.server_log.unexplained.clone(),
            format!(
                "{} kinds explained; {} last lines cut by kill -9; {} lines of allocator \
                 statistics asked for by the run",
                explained::SERVER.len(),
                findings.server_log.cut_by_kill,
                findings.server_log.allocator_statistics
            ),
        ),
        listed(
            "client log: every WARN and ERROR explained",
            unexplained_client_lines(findings),
            format!("{} kinds explained", explained::CLIENT.len()),
        ),
    ];
    if tally.problems_dropped() > 0 {
        checks.push(listed(
            "problems beyond those shown",
            vec![format!("{} more", tally.problems_dropped())],
            String::new(),
        ));
    }
    checks
}

/// Passes when `problems` is empty, saying `fine`; otherwise lists them.
pub fn listed(name: &'static str, problems: Vec<String>, fine: String) -> Check {
    Check {
        name,
        passed: problems.is_empty(),
        detail: if problems.is_empty() {
            fine
        } else {
            problems.join("; ")
        },
    }
}

fn unexplained_client_lines(findings: &Findings<'_>) -> Vec<String> {
    findings
        .client_log
        .iter()
        .filter(|((level, message), _)| {
            explained::is_complaint(level.as_str())
                && explain(explained::CLIENT, level.as_str(), message, None).is_none()
        })
        .map(|(kind, count)| {
            let example = findings
                .client_log_examples
                .example(kind)
                .unwrap_or_default();
            format!("{} {} ×{count} ({example})", kind.0, kind.1)
        })
        .collect()
}
