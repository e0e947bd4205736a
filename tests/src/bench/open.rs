//! Opening many connections at once, as the latency and memory workloads need: bounded
//! concurrency (a burst of thousands of handshakes would measure the accept queue, not the
//! server) and one deadline for the lot.

use std::time::Duration;

use agora_client::{Client, ClientOptions, DocHandle, DocumentId};
use automerge::ChangeHash;
use futures_util::stream::{self, StreamExt};
use tokio::time::Instant;

/// Connections being opened at any moment.
pub const OPEN_CONCURRENCY: usize = 50;

/// Connections being closed at any moment, and how long closing all may take before the rest
/// are simply dropped (their sockets close with the process or the server).
const CLOSE_CONCURRENCY: usize = 200;
const CLOSE_DEADLINE: Duration = Duration::from_secs(60);

/// How long one connection may take to connect, get its document and catch up.
const OPEN_ONE_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection with one document open and synced.
pub struct Reader {
    pub client: Client,
    pub handle: DocHandle,
}

/// A document to open and the heads it has on the server.
#[derive(Clone)]
pub struct Target {
    pub id: DocumentId,
    pub heads: Vec<ChangeHash>,
}

pub struct Opened {
    pub readers: Vec<Reader>,
    /// Connections that failed, and the first reason (the others are usually the same).
    pub failed: usize,
    pub first_error: Option<String>,
    /// Connections still opening, or not yet started, when the deadline passed.
    pub unfinished: usize,
    pub elapsed: Duration,
}

/// Options for bench peers: a dropped connection is a failure to report, not to hide by
/// reconnecting.
pub fn bench_client_options() -> ClientOptions {
    ClientOptions {
        reconnect: false,
        connect_timeout: Duration::from_secs(20),
        find_timeout: OPEN_ONE_TIMEOUT,
        ..ClientOptions::default()
    }
}

/// Options for bench peers that type: each change goes out at once, not batched behind the
/// client's sync throttle (up to 100 ms), so latencies are the server's, not the client's.
pub fn eager_client_options() -> ClientOptions {
    ClientOptions {
        sync_throttle: Duration::ZERO,
        ..bench_client_options()
    }
}

/// Opens `count` connections, connection i to `urls[i % urls.len()]` (the instances of one
/// service) with `targets[i % targets.len()]`, each until its heads equal the target's; stops
/// starting new ones at `deadline`.
pub async fn open_readers(
    urls: &[String],
    count: usize,
    targets: &[Target],
    deadline: Duration,
) -> Opened {
    open_readers_with(urls, count, targets, deadline, &bench_client_options()).await
}

/// `open_readers` with connections made with `options`.
pub async fn open_readers_with(
    urls: &[String],
    count: usize,
    targets: &[Target],
    deadline: Duration,
    options: &ClientOptions,
) -> Opened {
    let started = Instant::now();
    let give_up = started + deadline;
    let mut opened = Opened {
        readers: Vec::with_capacity(count),
        failed: 0,
        first_error: None,
        unfinished: 0,
        elapsed: Duration::ZERO,
    };
    if targets.is_empty() || urls.is_empty() {
        opened.unfinished = count;
        return opened;
    }
    let mut attempts = stream::iter(0..count)
        .map(|i| {
            let (url, target) = (&urls[i % urls.len()], targets[i % targets.len()].clone());
            open_reader(url, target, options.clone())
        })
        .buffer_unordered(OPEN_CONCURRENCY);
    let mut finished = 0;
    while finished < count {
        match tokio::time::timeout_at(give_up, attempts.next()).await {
            Ok(Some(Ok(reader))) => opened.readers.push(reader),
            Ok(Some(Err(error))) => {
                opened.failed += 1;
                opened.first_error.get_or_insert(error);
            }
            Ok(None) => break,
            Err(_) => {
                opened.unfinished = count - finished;
                break;
            }
        }
        finished += 1;
    }
    opened.elapsed = started.elapsed();
    opened
}

async fn open_reader(url: &str, target: Target, options: ClientOptions) -> Result<Reader, String> {
    let client = Client::connect_with(url, options)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let handle = client
        .find(target.id)
        .await
        .map_err(|e| format!("find: {e}"))?;
    // Waits on the heads watch rather than the document: the watch is published just after the
    // document changes, and a latency observer that subscribed in between would take the
    // catching-up for an edit.
    let mut heads = handle.changes();
    tokio::time::timeout(
        OPEN_ONE_TIMEOUT,
        heads.wait_for(|heads| *heads == target.heads),
    )
    .await
    .map_err(|_| format!("catch up: not within {OPEN_ONE_TIMEOUT:?}"))?
    .map_err(|_| "catch up: the document was dropped".to_owned())?;
    Ok(Reader { client, handle })
}

/// Closes connections with bounded concurrency; what is still open at the deadline is dropped.
pub async fn close_all(clients: Vec<Client>) {
    let closing = stream::iter(clients)
        .map(|client| async move { client.close().await })
        .buffer_unordered(CLOSE_CONCURRENCY)
        .collect::<Vec<()>>();
    let _ = tokio::time::timeout(CLOSE_DEADLINE, closing).await;
}

impl Opened {
    /// Why fewer connections than asked for are open, or `None` when all are.
    pub fn shortfall(&self, deadline: Duration) -> Option<String> {
        let mut reasons = Vec::new();
        if self.failed > 0 {
            reasons.push(format!(
                "{} failed (first: {})",
                self.failed,
                self.first_error.as_deref().unwrap_or("?")
            ));
        }
        if self.unfinished > 0 {
            reasons.push(format!(
                "{} not open at the {deadline:?} deadline",
                self.unfinished
            ));
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}
