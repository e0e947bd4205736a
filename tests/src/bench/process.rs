//! What `/proc` says about a process: resident memory and CPU time, for the server (by pid) and
//! for this bench process (the client side).

use std::time::Duration;

use anyhow::Context;

/// Clock ticks per second in `/proc/<pid>/stat`: USER_HZ, fixed at 100 in Linux's ABI.
const USER_HZ: u64 = 100;

/// Resident memory of a process, in KiB as `/proc` reports it.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss_kib: u64,
    /// VmHWM: the most that was ever resident.
    pub peak_kib: u64,
    /// RssAnon: the resident part of the heap and stacks, without file pages (the binary, memory-
    /// mapped index files) that the kernel can drop and read again.
    pub anon_kib: u64,
}

impl Memory {
    pub fn of_pid(pid: u32) -> anyhow::Result<Memory> {
        Self::from_status(&format!("/proc/{pid}/status"))
    }

    /// This bench process: the client side of a workload.
    pub fn of_self() -> anyhow::Result<Memory> {
        Self::from_status("/proc/self/status")
    }

    fn from_status(path: &str) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
                .with_context(|| format!("{path} has no {name} line"))
        };
        Ok(Memory {
            rss_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
            anon_kib: field("RssAnon:")?,
        })
    }
}

/// CPU time a process has used so far, user and system together.
#[derive(Debug, Clone, Copy)]
pub struct CpuTime(pub Duration);

impl CpuTime {
    pub fn of_pid(pid: u32) -> anyhow::Result<CpuTime> {
        Self::from_stat(&format!("/proc/{pid}/stat"))
    }

    pub fn of_self() -> anyhow::Result<CpuTime> {
        Self::from_stat("/proc/self/stat")
    }

    /// Cores kept busy on average since `earlier`, over `wall` time.
    pub fn cores_since(self, earlier: CpuTime, wall: Duration) -> f64 {
        self.0.saturating_sub(earlier.0).as_secs_f64() / wall.as_secs_f64().max(f64::EPSILON)
    }

    fn from_stat(path: &str) -> anyhow::Result<CpuTime> {
        let stat = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
        Self::parse_stat(&stat).with_context(|| format!("parse {path}"))
    }

    fn parse_stat(stat: &str) -> anyhow::Result<CpuTime> {
        // The command name (field 2) may hold spaces and parentheses; fields after its closing
        // parenthesis start at 3 (state), so utime and stime (14, 15) are the 12th and 13th.
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("no command name")?;
        let mut fields = after_name.split_whitespace().skip(11);
        let mut ticks = || -> anyhow::Result<u64> {
            fields
                .next()
                .and_then(|field| field.parse().ok())
                .context("no utime and stime")
        };
        let total = ticks()? + ticks()?;
        Ok(CpuTime(Duration::from_millis(total * 1000 / USER_HZ)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_utime_plus_stime_after_the_command_name() {
        let stat = "4242 (agora (x) y) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 3 0";
        let cpu = CpuTime::parse_stat(stat).unwrap();
        assert_eq!(cpu.0, Duration::from_millis(1750));
    }
}
