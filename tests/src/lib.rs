//! Harness for Agora's end-to-end tests and benchmarks.
//!
//! Layout:
//! - `server`: an Agora server in this process (port 0, temporary data folder), or the real
//!   `agora` binary as a child process that a test may kill with SIGKILL.
//! - `people`: a cast of accounts in two organisations, one of each role on one statement.
//! - `browser`: pages over real HTTP with cookies and CSRF tokens, as a browser sends them.
//! - `chromium`: the browser tests' scripts: headless chromium driven by playwright-core.
//! - `npm_peer`: the official npm automerge-repo client in a Node process, scripted.
//! - `raw_peer`: a protocol-level peer that sends exactly the frames a test wants, for faults.
//! - `raw_socket`: a WebSocket opened and framed by hand over TCP, for faults below messages.
//! - `postgres`: a real PostgreSQL server in a temporary folder on loopback.
//! - `store_suite`: the store checks every database backend passes alike.
//! - `editing`: random inserts and deletes of whole characters, for convergence tests.
//! - `data`: paths to the shared test data beside the repository.
//! - `bench`: the workloads of the `agora-bench` binary (latency, trace replay, memory), run on
//!   demand against the release server binary, never from the tests.
//! - `soak`: editing for a bounded time with disconnects, slow readers and `kill -9`, then checks
//!   that nothing was lost, memory came back and every log complaint is explained; run long by
//!   `agora-bench soak`, briefly by the end-to-end tests.

pub mod bench;
pub mod browser;
pub mod chromium;
pub mod data;
pub mod editing;
pub mod npm_peer;
pub mod people;
pub mod postgres;
pub mod raw_peer;
pub mod raw_socket;
pub mod server;
pub mod soak;
pub mod store_suite;

pub use raw_peer::RawPeer;
pub use server::{ServerProcess, TestServer};

/// Waits until `condition` holds, checking every few milliseconds, or fails after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: std::time::Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
