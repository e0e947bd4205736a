//! The official Node sync server (`tests/npm/node-sync-server.mjs`) as a test peer.

use std::path::{Path, PathBuf};
use std::process::Stdio;
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

/// Fails the test, saying what to do, when the npm packages are not installed (`tests/setup`
/// installs them; `.ci/run` calls it).
pub fn require_npm() {
    let modules = repo_root().join("tests/npm/node_modules");
    assert!(
        modules.join("@automerge/automerge-repo").is_dir(),
        "the npm packages of the Node sync server are missing: run tests/setup first"
    );
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
