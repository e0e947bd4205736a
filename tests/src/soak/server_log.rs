//! The server's JSON log lines, sorted into kinds (level and message). Every WARN or ERROR must
//! be of a kind `explained` lists; any other, and any line that is not JSON, fails the run.

use std::collections::BTreeMap;

use anyhow::Context;

use super::explained::{self, explain};
use super::heap::MALLOC_STATS_LINES;
use super::server::{Ending, ServerLog};

/// Characters of an unexplained line shown in the report.
const SHOWN: usize = 300;

#[derive(Debug, Default, Clone, Copy)]
pub struct KindCount {
    pub lines: u64,
    pub unexplained: u64,
}

#[derive(Debug, Default)]
pub struct LogSummary {
    /// Lines by (level, message), and how many of them no explanation covers.
    pub kinds: BTreeMap<(String, String), KindCount>,
    /// Lines no explanation covers, shortened.
    pub unexplained: Vec<String>,
    /// Last lines of killed processes, cut off mid-write by the kill.
    pub cut_by_kill: usize,
    /// Lines of the allocator's statistics that the run asked for (`heap`).
    pub allocator_statistics: usize,
}

pub fn read(logs: &[ServerLog]) -> anyhow::Result<LogSummary> {
    let mut summary = LogSummary::default();
    for log in logs {
        let text = std::fs::read_to_string(&log.path)
            .with_context(|| format!("read {}", log.path.display()))?;
        let lines: Vec<&str> = text.lines().collect();
        let cut_at_end = log.ending == Ending::Killed && !text.ends_with('\n');
        for (n, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if MALLOC_STATS_LINES
                .iter()
                .any(|start| line.starts_with(start))
            {
                summary.allocator_statistics += 1;
                continue;
            }
            match parse(line) {
                Some((level, message, fields)) => {
                    let unexplained = explained::is_complaint(&level)
                        && explain(explained::SERVER, &level, &message, Some(&fields)).is_none();
                    if unexplained {
                        summary.unexplained.push(shorten(line));
                    }
                    let count = summary.kinds.entry((level, message)).or_default();
                    count.lines += 1;
                    count.unexplained += u64::from(unexplained);
                }
                None if cut_at_end && n + 1 == lines.len() => summary.cut_by_kill += 1,
                // A panic's message, for one, is not JSON.
                None => summary.unexplained.push(shorten(line)),
            }
        }
    }
    Ok(summary)
}

/// The level, message and fields of one JSON line.
fn parse(line: &str) -> Option<(String, String, serde_json::Value)> {
    let mut object: serde_json::Value = serde_json::from_str(line).ok()?;
    let level = object["level"].as_str()?.to_owned();
    let fields = object["fields"].take();
    let message = fields["message"].as_str().unwrap_or("").to_owned();
    Some((level, message, fields))
}

fn shorten(line: &str) -> String {
    let mut shown: String = line.chars().take(SHOWN).collect();
    if shown.len() < line.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_sorted_by_level_and_message_and_strangers_stand_out() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("server-1.log");
        let lines = [
            r#"{"timestamp":"t","level":"INFO","fields":{"message":"Agora is listening"},"target":"agora_server"}"#,
            r#"{"timestamp":"t","level":"ERROR","fields":{"message":"cannot store changes"},"target":"agora_server"}"#,
            r#"{"level":"WARN","fields":{"message":"slow statement: execution time exceeded alert threshold","elapsed_secs":1.2}}"#,
            r#"{"level":"WARN","fields":{"message":"slow statement: execution time exceeded alert threshold","elapsed_secs":9.5}}"#,
            "thread 'tokio-runtime-worker' panicked at server/src/sync/actor.rs:1:1:",
            "Total (incl. mmap):",
            "in use bytes     =    1024000",
            r#"{"timestamp":"t","level":"INFO","fiel"#,
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let log = ServerLog {
            path,
            ending: Ending::Killed,
        };
        let summary = read(&[log]).unwrap();
        let listening = ("INFO".to_owned(), "Agora is listening".to_owned());
        assert_eq!(summary.kinds[&listening].lines, 1);
        let slow = (
            "WARN".to_owned(),
            "slow statement: execution time exceeded alert threshold".to_owned(),
        );
        assert_eq!(summary.kinds[&slow].lines, 2);
        assert_eq!(summary.kinds[&slow].unexplained, 1);
        // The error, the statement slower than its bound, and the panic.
        assert_eq!(summary.unexplained.len(), 3, "{:?}", summary.unexplained);
        assert!(summary.unexplained[1].contains("9.5"));
        assert_eq!(summary.cut_by_kill, 1);
        assert_eq!(summary.allocator_statistics, 2);
    }
}
