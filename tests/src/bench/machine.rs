//! One line of machine facts above the tables: figures from a 2-core box mean little without it.

use std::path::Path;

/// E.g. "2 cores (nproc), Intel Xeon, 23.4 GiB RAM, Linux 6.18, load 1.2; loopback; server ...".
pub fn header(server_binary: &Path, server_args: &[String]) -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse::<f64>().ok())
        .map_or_else(
            || "?".to_owned(),
            |kib| format!("{:.1}", kib / 1024.0 / 1024.0),
        );
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    // Other work on the machine skews the figures; the load average at the start says how much.
    let load = read("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_owned();
    let options = if server_args.is_empty() {
        "default options".to_owned()
    } else {
        server_args.join(" ")
    };
    format!(
        "Machine: {cores} cores (nproc), {cpu}, {memory_gib} GiB RAM, Linux {kernel}, load average {load} at start. \
         Network: loopback (127.0.0.1). Server: `{}` ({options}) in its own process, fresh temporary data folder; \
         all clients in the bench process, sharing the same cores.",
        shown_path(server_binary).display()
    )
}

/// The binary's path relative to the working folder where it lies below it, so that figures
/// pasted into documents name no machine's folders.
fn shown_path(binary: &std::path::Path) -> &std::path::Path {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| binary.strip_prefix(cwd).ok())
        .unwrap_or(binary)
}

/// A `/proc` file, or "" where it does not exist (the header then says "?").
fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
