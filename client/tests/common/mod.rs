//! The official Node sync server (`tests/npm/node-sync-server.mjs`) as a test peer.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Node needs a moment to load automerge's wasm; far less than this.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);
/// The server exits by itself after this, should a test die without killing it.
const LIFETIME_SECS: &str = "300";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `None` (after saying why) when the npm packages are not installed: run `npm ci` in
/// `tests/npm` to enable these tests.
pub fn npm_ready() -> bool {
    let modules = repo_root().join("tests/npm/node_modules");
    if modules.is_dir() {
        return true;
    }
    eprintln!(
        "SKIPPED: {} is missing; run `npm ci` in tests/npm to test against the Node sync server",
        modules.display()
    );
    false
}

/// A scratch directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "agora-client-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct NodeServer {
    child: Child,
    pub port: u16,
}

impl NodeServer {
    /// Starts the server on `port` (0: any free port) storing into `data_dir`; returns once it
    /// prints `listening <port>`.
    pub async fn start(port: u16, data_dir: &Path) -> NodeServer {
        let script = repo_root().join("tests/npm/node-sync-server.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .arg(port.to_string())
            .arg(data_dir)
            .arg(LIFETIME_SECS)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(STARTUP_DEADLINE, async {
            while let Some(line) = lines.next_line().await.expect("read node's stdout") {
                if let Some(port) = line.strip_prefix("listening ") {
                    return port.trim().parse::<u16>().expect("a port number");
                }
            }
            panic!("the node server exited before listening");
        })
        .await
        .expect("the node server did not start in time");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        NodeServer { child, port }
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/sync", self.port)
    }

    /// SIGKILL: the server gets no chance to say goodbye.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}
