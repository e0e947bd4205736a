//! The browser tests' scripts (`tests/npm/browser/*.mjs`): Debian's chromium, headless, driven
//! by playwright-core in a Node process. A script prints one JSON line per result and may
//! take turns with the test over stdin.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::data::repository_root;
use crate::people::{Cast, Role, PASSWORD};
use crate::TestServer;

/// Longest a script may take for one step (signing in two people and loading the editor
/// included) before the test fails.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

pub struct BrowserScript {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

/// Where the browser tests leave what a person should look at (screenshots).
pub fn artefacts() -> PathBuf {
    let folder = repository_root().join("target/test-artefacts");
    std::fs::create_dir_all(&folder).expect("create target/test-artefacts");
    folder.canonicalize().unwrap_or(folder)
}

impl BrowserScript {
    /// Starts `script` against `server` on the cast's statement, with A = the editor, B = the
    /// owner and the reader as the people it may sign in as.
    pub fn start(script: &str, server: &TestServer, cast: &Cast, extra: &[(&str, String)]) -> Self {
        let folder = repository_root().join("tests/npm");
        assert!(
            folder.join("node_modules/playwright-core").exists(),
            "playwright-core is missing: run tests/setup first"
        );
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromium).exists(),
            "chromium is missing at {chromium}: run tests/setup first"
        );
        let person = |role| cast.person(role).account.clone();
        let (a, b, reader) = (
            person(Role::Editor),
            person(Role::Owner),
            person(Role::Reader),
        );
        let mut command = Command::new("node");
        command
            .arg(format!("browser/{script}"))
            .current_dir(&folder)
            .env("AGORA_URL", server.base_url())
            .env("AGORA_DOCUMENT", cast.statement.to_string())
            .env("AGORA_PASSWORD", PASSWORD)
            .env("AGORA_A_EMAIL", &a.email)
            .env("AGORA_A_NAME", &a.display_name)
            .env("AGORA_B_EMAIL", &b.email)
            .env("AGORA_B_NAME", &b.display_name)
            .env("AGORA_READER_EMAIL", &reader.email)
            .env("LIFETIME_SECS", "180")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start node");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Self {
            name: script.to_owned(),
            child,
            stdin,
            stdout,
        }
    }

    /// The script's next JSON line; fails the test when the script ends or stalls instead.
    pub async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(STEP_TIMEOUT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("{} stalled", self.name))
            .expect("read from node");
        match line {
            Some(line) => serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("{} printed {line:?}", self.name)),
            None => {
                let status = self.child.wait().await.expect("node's exit status");
                panic!(
                    "{} ended ({status}) without a result; see its output above",
                    self.name
                )
            }
        }
    }

    /// Sends the script one command line.
    pub async fn send(&mut self, command: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("write to node");
    }

    /// Waits for the script to end and checks that it succeeded.
    pub async fn finish(mut self) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(STEP_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not end", self.name))
            .expect("node's exit status");
        assert!(
            status.success(),
            "{} failed ({status}); see its output above",
            self.name
        );
    }
}
