//! The official Node sync server (`tests/npm/node-sync-server.mjs`: `@automerge/automerge-repo`
//! 2.5.6 with the WebSocket server adapter and the Node file-system storage, pinned by
//! `tests/npm/package.json`) as the server under measurement, for the same workloads.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::data::repository_root;
use crate::server::send_sigterm;

/// How long the server may take to load its storage and listen.
const STARTUP: Duration = Duration::from_secs(30);

pub struct NodeProcess {
    child: Child,
}

impl NodeProcess {
    /// Starts the server on `port` with its storage in `data`; returns once it listens.
    pub async fn start(port: u16, data: &Path) -> anyhow::Result<Self> {
        let folder = repository_root().join("tests/npm");
        if !folder
            .join("node_modules/@automerge/automerge-repo")
            .exists()
        {
            bail!("the npm packages are missing: run tests/setup first");
        }
        let mut child = Command::new("node")
            .arg("node-sync-server.mjs")
            .arg(port.to_string())
            .arg(data)
            .current_dir(&folder)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("start node (Node.js 20 is needed)")?;
        let stdout = child.stdout.take().context("node's standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        tokio::time::timeout(STARTUP, async {
            while let Some(line) = lines.next_line().await? {
                if line.starts_with("listening ") {
                    return Ok(());
                }
            }
            bail!("the Node server ended before it listened")
        })
        .await
        .context("the Node server did not listen in time")??;
        // Its output is drained, so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { child })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM (the script flushes its storage and exits), then wait.
    pub async fn terminate(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            send_sigterm(pid);
        }
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .context("the Node server did not exit after SIGTERM")??;
        Ok(())
    }
}
