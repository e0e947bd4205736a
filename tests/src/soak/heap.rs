//! The idle server's live heap, as glibc's allocator counts it. Resident memory alone cannot
//! tell a leak from memory the allocator keeps after a free: glibc returns freed memory only from
//! the top of each heap, so one small allocation left high up holds every free page below it, and
//! the bigger the documents get, the bigger those holes. So gdb stops the idle process for a
//! moment and calls `malloc_stats()` (it prints to the server's standard error, the log file,
//! where `server_log` knows its lines) and then `malloc_trim(0)`, which hands every free page
//! back; resident memory read afterwards is what the server needs.
//!
//! gdb must be installed and allowed to attach (root, or `kernel.yama.ptrace_scope` 0); without
//! it the heap is not read and the memory check falls back to resident memory.

use std::path::Path;
use std::time::Duration;

/// Bound on gdb attaching, calling and detaching.
const GDB_TIMEOUT: Duration = Duration::from_secs(60);

/// The lines `malloc_stats()` prints, by their start; `server_log` skips them.
pub const MALLOC_STATS_LINES: [&str; 6] = [
    "Arena ",
    "system bytes",
    "in use bytes",
    "Total (incl. mmap):",
    "max mmap regions",
    "max mmap bytes",
];

#[derive(Debug, Clone, Copy)]
pub struct Heap {
    /// Bytes handed out by the allocator and not freed: live memory.
    pub in_use_kib: u64,
    /// Bytes the allocator holds from the system, free or not, before the trim.
    pub system_kib: u64,
}

/// Reads the heap of process `pid`, whose standard error goes to `log`, and trims it.
pub async fn read_and_trim(pid: u32, log: &Path) -> Result<Heap, String> {
    let gdb = tokio::process::Command::new("gdb")
        .args(["-p", &pid.to_string(), "-batch", "-nx"])
        .args(["-ex", "call (void)malloc_stats()"])
        .args(["-ex", "call (int)malloc_trim(0)"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(GDB_TIMEOUT, gdb)
        .await
        .map_err(|_| format!("gdb did not finish within {GDB_TIMEOUT:?}"))?
        .map_err(|e| format!("cannot run gdb: {e}"))?;
    let text = std::fs::read_to_string(log).map_err(|e| format!("read the server's log: {e}"))?;
    parse_totals(&text).ok_or_else(|| {
        let said = String::from_utf8_lossy(&output.stderr);
        let said: String = said
            .lines()
            .last()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        format!("gdb could not call the allocator ({said})")
    })
}

/// The last "Total (incl. mmap):" block of `malloc_stats()` in `text`.
fn parse_totals(text: &str) -> Option<Heap> {
    let (_, after) = text.rsplit_once("Total (incl. mmap):")?;
    let value = |name: &str| -> Option<u64> {
        let line = after
            .lines()
            .find(|line| line.trim_start().starts_with(name))?;
        let bytes: u64 = line.split('=').nth(1)?.trim().parse().ok()?;
        Some(bytes / 1024)
    };
    Some(Heap {
        system_kib: value("system bytes")?,
        in_use_kib: value("in use bytes")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_totals_are_read() {
        let text = "{\"level\":\"INFO\"}\nArena 0:\nsystem bytes     =     135168\n\
            in use bytes     =      80000\nTotal (incl. mmap):\nsystem bytes     =    2048000\n\
            in use bytes     =    1024000\nmax mmap regions =          1\n\
            max mmap bytes   =     200000\n";
        let heap = parse_totals(text).unwrap();
        assert_eq!(heap.system_kib, 2000);
        assert_eq!(heap.in_use_kib, 1000);
        assert!(parse_totals("{\"level\":\"INFO\"}\n").is_none());
    }
}
