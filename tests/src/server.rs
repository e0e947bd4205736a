//! Agora servers for tests: in this process, or as the real binary in a child process.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use agora_server::config::{Cli, Command, ServeConfig};
use clap::Parser;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A server running in the test's process, on a port of its own.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The running server's state, for tests that look inside.
    pub state: agora_server::AppState,
    data: PathBuf,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

/// A serve configuration as the command line would give it.
pub fn serve_config(data: &Path, extra: &[&str]) -> ServeConfig {
    let mut args = vec![
        "agora",
        "serve",
        "--data",
        data.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    match Cli::try_parse_from(args)
        .expect("valid test arguments")
        .command
    {
        Command::Serve(config) => config,
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
        let listener = TcpListener::bind(addr).await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let stop = CancellationToken::new();
        let config = serve_config(data, extra);
        let server = agora_server::Server::open(&config)
            .await
            .expect("open the server");
        let state = server.state().clone();
        let stopped = stop.clone();
        let task = tokio::spawn(server.serve(listener, async move { stopped.cancelled().await }));
        Self {
            addr,
            state,
            data: data.to_owned(),
            stop,
            task,
        }
    }

    pub fn sync_url(&self) -> String {
        format!("ws://{}/sync", self.addr)
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
        let (addr, data) = (self.addr, self.data.clone());
        self.stop().await;
        Self::start_on(&addr.to_string(), &data, &[]).await
    }
}

/// The real `agora` binary, run as a child process.
pub struct ServerProcess {
    pub addr: SocketAddr,
    child: tokio::process::Child,
}

/// The `agora` binary built beside the test executables.
pub fn agora_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile_dir.join("agora");
    assert!(
        binary.exists(),
        "{} is missing: build it first with `cargo build -p agora-server`",
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
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let child = tokio::process::Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--data")
            .arg(data)
            .args(extra)
            .env("AGORA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the agora binary");
        let server = Self { addr, child };
        server.wait_healthy(Duration::from_secs(20)).await;
        server
    }

    pub fn sync_url(&self) -> String {
        format!("ws://{}/sync", self.addr)
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
        let pid = self.child.id().expect("running process");
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("agora exits after SIGTERM")
            .expect("exit status")
    }
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
