//! The server under measurement: the release `agora` binary, or the official Node sync server,
//! in a child process on a loopback port with a fresh data folder, so its memory and CPU time
//! can be read from `/proc/<pid>` and its CPU is not shared with the clients' bookkeeping inside
//! one process.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::node::NodeProcess;
use super::process::{CpuTime, Memory};
use crate::server::{free_port, ServerProcess};

/// How deep `folder_size` looks: the data folder holds the database files, nothing nested deeper.
pub const FOLDER_DEPTH: usize = 4;

/// `target/release/agora` beside this executable's `target/<profile>/` folder; the bench builds
/// nothing itself.
pub fn release_server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("the bench executable's path")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .context("the bench runs from target/<profile>/")?;
    let binary = target.join("release").join("agora");
    if !binary.exists() {
        bail!(
            "{} is missing: build it first with `cargo build --release -p agora-server`",
            binary.display()
        );
    }
    Ok(binary)
}

/// Which server a workload measures; both get the same clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServerKind {
    /// The release `agora` binary.
    Agora,
    /// `@automerge/automerge-repo` 2.5.6's sync server in Node (`tests/npm`).
    Node,
}

impl ServerKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Agora => "Agora",
            Self::Node => "Node automerge-repo 2.5.6",
        }
    }
}

enum Running {
    Agora(ServerProcess),
    Node(NodeProcess),
}

pub struct BenchServer {
    kind: ServerKind,
    binary: PathBuf,
    /// Extra `agora serve` options, e.g. `--sqlite-synchronous=normal`.
    extra: Vec<String>,
    port: u16,
    /// `None` between `stop` and `start_again`. Killed when dropped (kill_on_drop), before the
    /// data folder below goes: fields drop in declaration order.
    process: Option<Running>,
    data: tempfile::TempDir,
    /// The account's token when it was provisioned elsewhere (in a shared database).
    token: Option<String>,
}

impl BenchServer {
    /// Starts the server on a free loopback port with an empty data folder.
    pub async fn start(binary: &Path, extra: &[String]) -> anyhow::Result<Self> {
        Self::launch(ServerKind::Agora, binary, extra, None).await
    }

    /// Starts a server of `kind` (the Agora options in `extra` do not apply to Node's).
    pub async fn start_kind(
        kind: ServerKind,
        binary: &Path,
        extra: &[String],
    ) -> anyhow::Result<Self> {
        Self::launch(kind, binary, extra, None).await
    }

    /// Starts an instance for an account provisioned already, e.g. one of several instances
    /// on one PostgreSQL (`extra` names it with `--database-url`).
    pub async fn start_with_token(
        binary: &Path,
        extra: &[String],
        token: &str,
    ) -> anyhow::Result<Self> {
        Self::launch(ServerKind::Agora, binary, extra, Some(token.to_owned())).await
    }

    async fn launch(
        kind: ServerKind,
        binary: &Path,
        extra: &[String],
        token: Option<String>,
    ) -> anyhow::Result<Self> {
        let data = tempfile::Builder::new()
            .prefix("agora-bench-")
            .tempdir()
            .context("create a temporary data folder")?;
        let mut server = Self {
            kind,
            binary: binary.to_owned(),
            extra: extra.to_vec(),
            port: free_port(),
            process: None,
            data,
            token,
        };
        server.start_again().await?;
        Ok(server)
    }

    /// Starts the server on the same port and data folder (after `stop`).
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        if self.kind == ServerKind::Node {
            let node = NodeProcess::start(self.port, self.data.path()).await?;
            self.process = Some(Running::Node(node));
            return Ok(());
        }
        // The bench's thousands of clients all sign in as one account, and send as fast as
        // they can: the limits for people do not apply to them.
        let mut extra: Vec<&str> = vec![
            "--max-connections-per-account",
            "1000000",
            "--max-messages-per-second",
            "1000000",
        ];
        extra.extend(self.extra.iter().map(String::as_str));
        let (binary, port, data) = (&self.binary, self.port, self.data.path());
        let process = match &self.token {
            Some(token) => {
                ServerProcess::start_binary_with_token(binary, port, data, &extra, token).await
            }
            None => ServerProcess::start_binary(binary, port, data, &extra).await,
        };
        self.process = Some(Running::Agora(process));
        Ok(())
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// SIGTERM and wait for a clean exit.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        match self.process.take() {
            Some(Running::Agora(process)) => {
                let status = process.terminate().await;
                if !status.success() {
                    bail!("the agora server exited with {status} after SIGTERM");
                }
            }
            Some(Running::Node(node)) => node.terminate().await?,
            None => {}
        }
        Ok(())
    }

    /// The sync endpoint (for Agora with the provisioned account's token).
    pub fn sync_url(&self) -> String {
        match self.process.as_ref().expect("the bench server is running") {
            Running::Agora(process) => process.sync_url(),
            Running::Node(_) => format!("ws://127.0.0.1:{}/sync", self.port),
        }
    }

    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of_pid(self.pid()?)
    }

    pub fn cpu_time(&self) -> anyhow::Result<CpuTime> {
        CpuTime::of_pid(self.pid()?)
    }

    fn pid(&self) -> anyhow::Result<u32> {
        let pid = match self.process.as_ref() {
            Some(Running::Agora(process)) => process.pid(),
            Some(Running::Node(node)) => node.pid(),
            None => None,
        };
        pid.context("the server is not running")
    }

    /// Bytes the data folder takes on disk (file lengths, summed).
    pub fn data_size(&self) -> anyhow::Result<u64> {
        folder_size(self.data.path(), FOLDER_DEPTH)
    }
}

/// Bytes of the files in `folder`, down to `depth` folders below it.
pub fn folder_size(folder: &Path, depth: usize) -> anyhow::Result<u64> {
    let mut total = 0;
    let entries =
        std::fs::read_dir(folder).with_context(|| format!("list {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("list {}", folder.display()))?;
        let meta = entry
            .metadata()
            .with_context(|| format!("stat {}", entry.path().display()))?;
        if meta.is_dir() {
            if depth > 0 {
                total += folder_size(&entry.path(), depth - 1)?;
            }
        } else {
            total += meta.len();
        }
    }
    Ok(total)
}
