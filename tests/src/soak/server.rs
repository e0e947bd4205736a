//! The server under soak: the real `agora` binary on a fixed loopback port and data folder, its
//! JSON log lines in one file per process, metrics on a port of their own; killed, restarted and
//! measured from outside.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use super::plan::SERVER_OPTIONS;
use crate::bench::process::Memory;
use crate::server::{free_port, sync_url_with_token, ServerProcess};

/// How often the metrics are read while waiting for the server to go idle.
const IDLE_POLL: Duration = Duration::from_millis(100);

/// How one server process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Running,
    /// SIGKILL: its log may end mid-line.
    Killed,
    /// SIGTERM and a clean exit.
    Terminated,
}

/// The log file of one process.
#[derive(Debug, Clone)]
pub struct ServerLog {
    pub path: PathBuf,
    pub ending: Ending,
}

pub struct SoakServer {
    binary: PathBuf,
    /// Options for `agora serve` beyond the run's own.
    extra: Vec<String>,
    port: u16,
    metrics_port: u16,
    token: String,
    /// `None` between a kill (or SIGTERM) and the next start. Killed when dropped, before the
    /// folder below goes: fields drop in declaration order.
    process: Option<ServerProcess>,
    pub logs: Vec<ServerLog>,
    /// Holds `data/` and `logs/`.
    folder: tempfile::TempDir,
}

impl SoakServer {
    pub async fn start(binary: &Path, extra: &[String]) -> anyhow::Result<Self> {
        let folder = tempfile::Builder::new()
            .prefix("agora-soak-")
            .tempdir()
            .context("create a temporary folder")?;
        std::fs::create_dir(folder.path().join("logs")).context("create the log folder")?;
        let mut server = Self {
            binary: binary.to_owned(),
            extra: extra.to_vec(),
            port: free_port(),
            metrics_port: free_port(),
            token: String::new(),
            process: None,
            logs: Vec::new(),
            folder,
        };
        server.start_again().await;
        Ok(server)
    }

    /// Starts a new process on the same port and data folder, logging to a new file.
    pub async fn start_again(&mut self) {
        let log = self
            .folder
            .path()
            .join("logs")
            .join(format!("server-{}.log", self.logs.len() + 1));
        let metrics = format!("127.0.0.1:{}", self.metrics_port);
        let mut extra = vec!["--log-format", "json", "--metrics-listen", &metrics];
        extra.extend(SERVER_OPTIONS);
        extra.extend(self.extra.iter().map(String::as_str));
        let process = ServerProcess::start_binary_logging(
            &self.binary,
            self.port,
            &self.folder.path().join("data"),
            &extra,
            &log,
        )
        .await;
        self.token = process.token.clone();
        self.process = Some(process);
        self.logs.push(ServerLog {
            path: log,
            ending: Ending::Running,
        });
    }

    /// SIGKILL: no shutdown, no flush.
    pub async fn kill9(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill9().await;
            self.mark_last(Ending::Killed);
        }
    }

    /// SIGTERM; fails unless the process exits cleanly.
    pub async fn terminate(&mut self) -> anyhow::Result<()> {
        let Some(process) = self.process.take() else {
            return Ok(());
        };
        let status = process.terminate().await;
        self.mark_last(Ending::Terminated);
        if !status.success() {
            bail!("the server exited with {status} after SIGTERM");
        }
        Ok(())
    }

    fn mark_last(&mut self, ending: Ending) {
        if let Some(last) = self.logs.last_mut() {
            last.ending = ending;
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The sync endpoint, straight to the server.
    pub fn sync_url(&self) -> String {
        sync_url_with_token(self.addr(), &self.token)
    }

    /// The sync endpoint with the server's token at another address (the proxy's).
    pub fn sync_url_via(&self, addr: SocketAddr) -> String {
        sync_url_with_token(addr, &self.token)
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of_pid(self.pid()?)
    }

    pub fn pid(&self) -> anyhow::Result<u32> {
        self.process
            .as_ref()
            .and_then(ServerProcess::pid)
            .context("the server is not running")
    }

    /// The running process's log file.
    pub fn current_log(&self) -> Option<&Path> {
        self.logs.last().map(|log| log.path.as_path())
    }

    /// Waits until the server holds no connection and no document, by its own metrics.
    pub async fn wait_idle(&self, timeout: Duration) -> anyhow::Result<()> {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = String::new();
        while tokio::time::Instant::now() < deadline {
            if let Ok(response) = reqwest::get(&url).await {
                let metrics = response.text().await.unwrap_or_default();
                let connections = sample(&metrics, "agora_connections");
                let documents = sample(&metrics, "agora_open_documents");
                if connections == Some(0.0) && documents == Some(0.0) {
                    return Ok(());
                }
                last = format!("{connections:?} connections, {documents:?} documents open");
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
        bail!("the server was not idle within {timeout:?}: {last}")
    }

    /// Keeps the folder (data and logs) after the run, for a look after a failure.
    pub fn keep_folder(&mut self) -> PathBuf {
        let replacement = tempfile::tempdir().expect("a temporary folder");
        std::mem::replace(&mut self.folder, replacement).keep()
    }
}

/// The value of an unlabelled sample, e.g. `agora_connections`.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}
