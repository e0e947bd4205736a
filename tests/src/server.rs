//! Agora servers for tests: in this process, or as the real binary in a child process.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use agora_server::config::{Cli, Command, ServeConfig};
use clap::Parser;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::postgres::TempPostgres;

/// The account every test server is provisioned with: a member of its own organisation, with an
/// API token that the sync URLs carry.
pub const TESTER_EMAIL: &str = "tester@agora.test";
pub const TESTER_PASSWORD: &str = "correct horse battery staple";
const TESTER_ORGANISATION: &str = "Testorganisation";

/// Gives the data folder's directory the tester (once) and returns a new token for them.
pub async fn provision_tester(directory: &agora_server::directory::Directory) -> String {
    use agora_server::directory::NewAccount;
    let account = match directory
        .account_by_email(TESTER_EMAIL)
        .await
        .expect("directory")
    {
        Some(account) => account,
        None => {
            let account = directory
                .create_account(NewAccount {
                    email: TESTER_EMAIL,
                    display_name: "Tester",
                    password: TESTER_PASSWORD,
                    is_instance_admin: false,
                })
                .await
                .expect("create the tester");
            directory
                .create_organisation(TESTER_ORGANISATION, Some(account.account_id), None)
                .await
                .expect("create the tester's organisation");
            account
        }
    };
    directory
        .create_token(account.account_id, "tests")
        .await
        .expect("create a token")
        .1
}

/// Provisions the tester in a PostgreSQL database that instances will share, and returns a new
/// token for them.
pub async fn provision_tester_in(database_url: &str) -> String {
    use agora_server::database::{Database, Location, Synchronous};
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let location = Location::new(scratch.path(), Some(database_url), Synchronous::Full);
    let database = Database::open(&location)
        .await
        .expect("open the shared database");
    let token = provision_tester(&agora_server::directory::Directory::new(&database)).await;
    database.close().await;
    token
}

/// A WebSocket URL with an API token, as scripts and the npm client connect.
pub fn sync_url_with_token(addr: SocketAddr, token: &str) -> String {
    format!("ws://{addr}/sync?token={token}")
}

/// A server running in the test's process, on a port of its own.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The running server's state, for tests that look inside.
    pub state: agora_server::AppState,
    /// The tester's API token.
    pub token: String,
    data: PathBuf,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    /// The server's own PostgreSQL under `AGORA_TEST_POSTGRES`.
    postgres: Option<Arc<TempPostgres>>,
}

/// How long the test servers' connections stay quiet before they rest.
const TEST_REST_AFTER: &str = "20ms";

/// A serve configuration as the command line would give it.
pub fn serve_config(data: &Path, extra: &[&str]) -> ServeConfig {
    let mut args = vec![
        "agora",
        "serve",
        "--data",
        data.to_str().expect("utf-8 path"),
    ];
    // Connections rest after a short quiet, so that every test also wakes resting connections:
    // a reader between two edits, a writer between two keystrokes.
    if !extra.contains(&"--rest-after") {
        args.extend(["--rest-after", TEST_REST_AFTER]);
    }
    args.extend_from_slice(extra);
    match Cli::try_parse_from(args)
        .expect("valid test arguments")
        .command
    {
        Command::Serve(config) => config,
        Command::Admin(_) | Command::Reindex(_) | Command::Backup(_) | Command::Restore(_) => {
            unreachable!("`agora serve` parses as Serve")
        }
    }
}

impl TestServer {
    /// Starts a server with default limits on `data`.
    pub async fn start(data: &Path) -> Self {
        Self::start_with(data, &[]).await
    }

    /// Starts a server with extra command-line options, e.g. `["--max-frame-bytes", "4096"]`.
    pub async fn start_with(data: &Path, extra: &[&str]) -> Self {
        Self::start_on("127.0.0.1:0", data, extra).await
    }

    /// Starts a server on a given address (to come back on the same port after a restart).
    pub async fn start_on(addr: &str, data: &Path, extra: &[&str]) -> Self {
        Self::launch(addr, data, extra, true, None).await
    }

    /// Starts a server on a data folder without provisioning the tester: a new installation
    /// with no account (its `token` is empty).
    pub async fn start_empty(data: &Path) -> Self {
        Self::launch("127.0.0.1:0", data, &[], false, None).await
    }

    async fn launch(
        addr: &str,
        data: &Path,
        extra: &[&str],
        provision: bool,
        postgres: Option<Arc<TempPostgres>>,
    ) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let stop = CancellationToken::new();
        // `AGORA_TEST_POSTGRES=1` runs the in-process servers on a PostgreSQL of their own
        // instead of SQLite, so the suite can be run against either.
        let postgres = postgres.or_else(|| {
            let wanted = std::env::var_os("AGORA_TEST_POSTGRES").is_some()
                && !extra.contains(&"--database-url");
            wanted.then(|| Arc::new(TempPostgres::start().expect("start PostgreSQL")))
        });
        let url = postgres.as_ref().map(|postgres| postgres.app_url());
        let mut extra = extra.to_vec();
        if let Some(url) = &url {
            extra.extend(["--database-url", url.as_str()]);
        }
        let config = serve_config(data, &extra);
        let server = agora_server::Server::open(&config)
            .await
            .expect("open the server");
        let state = server.state().clone();
        let token = if provision {
            provision_tester(&state.directory).await
        } else {
            String::new()
        };
        let stopped = stop.clone();
        let task = tokio::spawn(server.serve(listener, async move { stopped.cancelled().await }));
        Self {
            addr,
            state,
            token,
            data: data.to_owned(),
            stop,
            task,
            postgres,
        }
    }

    /// The sync endpoint with the tester's token.
    pub fn sync_url(&self) -> String {
        sync_url_with_token(self.addr, &self.token)
    }

    /// `http://127.0.0.1:<port>`, for HTTP requests.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts the server down cleanly and waits for it.
    pub async fn stop(self) {
        self.stop.cancel();
        self.task
            .await
            .expect("server task")
            .expect("server ended cleanly");
    }

    /// Stops the server and starts a new one on the same port and data folder.
    pub async fn restart(self) -> Self {
        let (addr, data, postgres) = (self.addr, self.data.clone(), self.postgres.clone());
        self.stop().await;
        Self::launch(&addr.to_string(), &data, &[], true, postgres).await
    }
}

/// The real `agora` binary, run as a child process.
pub struct ServerProcess {
    pub addr: SocketAddr,
    /// The tester's API token.
    pub token: String,
    child: tokio::process::Child,
}

/// Where a provisioned data folder keeps the tester's token, so restarts reuse it.
const TOKEN_FILE: &str = "test-token";

/// Provisions the tester with `agora admin` (the real command line) on a fresh data folder,
/// and returns the tester's token.
fn provision_with_cli(binary: &Path, data: &Path) -> String {
    let token_file = data.join(TOKEN_FILE);
    if let Ok(token) = std::fs::read_to_string(&token_file) {
        return token.trim().to_owned();
    }
    std::fs::create_dir_all(data).expect("create the data folder");
    let password_file = data.join("tester-password");
    std::fs::write(&password_file, TESTER_PASSWORD).expect("write the password file");
    let admin = |args: &[&str]| {
        let output = std::process::Command::new(binary)
            .arg("admin")
            .args(args)
            .arg("--data")
            .arg(data)
            .env("AGORA_LOG", "warn")
            .output()
            .expect("run agora admin");
        assert!(
            output.status.success(),
            "agora admin {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8 output")
    };
    let password_path = password_file.to_str().expect("utf-8 path");
    admin(&[
        "create-user",
        "--email",
        TESTER_EMAIL,
        "--password-file",
        password_path,
    ]);
    admin(&[
        "create-organisation",
        "--name",
        TESTER_ORGANISATION,
        "--admin-email",
        TESTER_EMAIL,
    ]);
    let token = admin(&["create-token", "--email", TESTER_EMAIL])
        .trim()
        .to_owned();
    std::fs::remove_file(&password_file).expect("remove the password file");
    std::fs::write(&token_file, &token).expect("keep the token");
    token
}

/// The `agora` binary built beside the test executables.
pub fn agora_binary() -> PathBuf {
    built_binary("agora")
}

/// A binary of the workspace built beside the test executables (`cargo build --bins`).
pub fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile_dir.join(name);
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build --workspace --bins`",
        binary.display()
    );
    binary
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl ServerProcess {
    /// Starts `agora serve` on `port` with `data`, and waits until it answers `/healthz`.
    pub async fn start(port: u16, data: &Path, extra: &[&str]) -> Self {
        Self::start_binary(&agora_binary(), port, data, extra).await
    }

    /// Like `start`, with a given `agora` binary (the benchmark runs the release build).
    pub async fn start_binary(binary: &Path, port: u16, data: &Path, extra: &[&str]) -> Self {
        let token = provision_with_cli(binary, data);
        Self::spawn(binary, port, data, extra, token, None).await
    }

    /// Like `start_binary`, with the process's log lines (at the server's default level) written
    /// to a new file `log` instead of this process's standard error, for a test to read them.
    pub async fn start_binary_logging(
        binary: &Path,
        port: u16,
        data: &Path,
        extra: &[&str],
        log: &Path,
    ) -> Self {
        let token = provision_with_cli(binary, data);
        Self::spawn(binary, port, data, extra, token, Some(log)).await
    }

    /// Starts `agora serve` for a tester provisioned already (in a shared database, say).
    pub async fn start_with_token(port: u16, data: &Path, extra: &[&str], token: &str) -> Self {
        Self::start_binary_with_token(&agora_binary(), port, data, extra, token).await
    }

    /// Like `start_with_token`, with a given `agora` binary.
    pub async fn start_binary_with_token(
        binary: &Path,
        port: u16,
        data: &Path,
        extra: &[&str],
        token: &str,
    ) -> Self {
        Self::spawn(binary, port, data, extra, token.to_owned(), None).await
    }

    async fn spawn(
        binary: &Path,
        port: u16,
        data: &Path,
        extra: &[&str],
        token: String,
        log: Option<&Path>,
    ) -> Self {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let (filter, stderr) = match log {
            // The server's own default filter, so the file holds what an operator would see
            // (`AGORA_TEST_SERVER_LOG` widens it to look into a fault).
            Some(log) => (
                std::env::var("AGORA_TEST_SERVER_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
                Stdio::from(std::fs::File::create(log).expect("create the server's log file")),
            ),
            // `AGORA_TEST_SERVER_LOG=debug` shows what the server processes say.
            None => (
                std::env::var("AGORA_TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
                Stdio::inherit(),
            ),
        };
        let child = tokio::process::Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("AGORA_LOG", filter)
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .expect("start the agora binary");
        let server = Self { addr, token, child };
        server.wait_healthy(Duration::from_secs(20)).await;
        server
    }

    /// The sync endpoint with the tester's token.
    pub fn sync_url(&self) -> String {
        sync_url_with_token(self.addr, &self.token)
    }

    /// The process id, to read the server's memory from `/proc`; `None` once it was reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    async fn wait_healthy(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if healthz(self.addr).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the agora process did not become healthy within {timeout:?}");
    }

    /// SIGKILL: no shutdown, no flush, as a crash or an OOM kill would end it.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill the agora process");
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        send_sigterm(self.child.id().expect("running process"));
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("agora exits after SIGTERM")
            .expect("exit status")
    }
}

/// Asks a child process to stop, as `docker stop` or an operator would.
pub fn send_sigterm(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
}

/// True when `GET /healthz` answers 200.
pub async fn healthz(addr: SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer));
    matches!(read.await, Ok(Ok(_))) && answer.starts_with(b"HTTP/1.1 200")
}
