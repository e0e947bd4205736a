//! A real PostgreSQL server for tests and benchmarks: a new cluster in a temporary folder,
//! listening on 127.0.0.1 at a free port (and on a socket in that folder), stopped and deleted
//! when dropped. PostgreSQL refuses to run as root, so under root the cluster belongs to the
//! `postgres` system account and its programs run as that account.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::server::free_port;

/// Where Debian puts the server programs; `AGORA_PG_BIN` overrides it.
const DEBIAN_BINARIES: &str = "/usr/lib/postgresql/15/bin";
/// The database every test gets.
pub const DATABASE: &str = "agora";
/// The ordinary role that owns it.
pub const APP_ROLE: &str = "agora";
/// How long the server may take to start or stop.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct TempPostgres {
    folder: tempfile::TempDir,
    binaries: PathBuf,
    port: u16,
}

impl TempPostgres {
    pub fn start() -> anyhow::Result<Self> {
        let binaries = std::env::var_os("AGORA_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEBIAN_BINARIES));
        if !binaries.join("initdb").exists() {
            bail!(
                "PostgreSQL's programs are not in {} (set AGORA_PG_BIN to their folder)",
                binaries.display()
            );
        }
        let folder = tempfile::Builder::new().prefix("agora-pg-").tempdir()?;
        let cluster = Self {
            folder,
            binaries,
            port: free_port(),
        };
        if running_as_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.folder.path())
                .status()?;
            if !owned.success() {
                bail!("could not give the cluster folder to the postgres account");
            }
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
        )?;
        // Settings go into the cluster's own configuration, so a restart keeps them.
        let settings = format!(
            "\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
             max_connections = 200\n",
            cluster.port,
            cluster.folder.path().display()
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(cluster.data().join("postgresql.conf"))?
            .write_all(settings.as_bytes())?;
        cluster.start_server()?;
        cluster.run(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.port.to_string(),
                "-U",
                "postgres",
                DATABASE,
            ],
        )?;
        cluster.sql(&format!(
            "create role {APP_ROLE} login; alter database {DATABASE} owner to {APP_ROLE}; \
             grant all on schema public to {APP_ROLE}"
        ))?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/agora`, as the superuser.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// The database as an application connects to it: as its owner, an ordinary role, to
    /// which limits such as `connection limit` apply.
    pub fn app_url(&self) -> String {
        format!("postgres://{APP_ROLE}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// Runs SQL as the superuser (with psql), failing with psql's output.
    pub fn sql(&self, statements: &str) -> anyhow::Result<()> {
        self.run(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                DATABASE,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                statements,
            ],
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server quickly, as an operator's restart would, and starts it again on the
    /// same port: open connections break, nothing committed is lost.
    pub fn restart(&self) -> anyhow::Result<()> {
        self.stop()?;
        self.start_server()
    }

    /// Starts the server again after `stop`.
    pub fn start_server(&self) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.folder.path().join("server.log").display().to_string(),
                "-w",
                "-t",
                &PATIENCE.as_secs().to_string(),
                "start",
            ],
        )
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
    }

    fn data(&self) -> PathBuf {
        self.folder.path().join("data")
    }

    /// Runs one of the server's programs (as `postgres` under root), failing with its output.
    fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let path = self.binaries.join(program);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        let output = command
            .args(args)
            .current_dir(self.folder.path())
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("could not run {}", path.display()))?;
        if !output.status.success() {
            bail!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// The server's log, for a failing test to show.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("server.log")).unwrap_or_default()
    }

    pub fn folder(&self) -> &Path {
        self.folder.path()
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}

fn running_as_root() -> bool {
    // The effective user id, read from /proc.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("Uid:"))
                .and_then(|line| line.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}
