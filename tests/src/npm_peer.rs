//! The official npm automerge-repo client in a Node process (`tests/npm/npm-peer.mjs`), driven
//! by one JSON command per line.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::data::repository_root;

pub struct NpmPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

/// Longest any one command may take before the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

impl NpmPeer {
    /// Starts a Node peer connected to `url`. The npm packages must be installed (`tests/setup`).
    pub async fn start(url: &str) -> Self {
        let folder = repository_root().join("tests/npm");
        assert!(
            folder
                .join("node_modules/@automerge/automerge-repo")
                .exists(),
            "the npm packages are missing: run tests/setup first"
        );
        let mut child = Command::new("node")
            .arg("npm-peer.mjs")
            .arg(url)
            .current_dir(&folder)
            .env("LIFETIME_SECS", "300")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Sends one command and returns its answer (`ok` is checked by the caller).
    pub async fn command(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to node");
        let answer = tokio::time::timeout(COMMAND_TIMEOUT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("node did not answer {command} in time"))
            .expect("read from node")
            .expect("node exited");
        serde_json::from_str(&answer).expect("node answers JSON")
    }

    /// Runs a command that must succeed.
    pub async fn ok(&mut self, command: Value) -> Value {
        let answer = self.command(command.clone()).await;
        assert_eq!(answer["ok"], json!(true), "{command} failed: {answer}");
        answer
    }

    pub async fn stop(mut self) {
        drop(self.stdin);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}
