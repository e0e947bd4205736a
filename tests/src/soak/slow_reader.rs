//! Slow readers: raw protocol peers with a tiny receive buffer that join, ask for a document
//! and then read slowly, or stop reading for a while. The server must serve everyone else
//! meanwhile (the probe times it), keep its memory bounded (its queue per peer is), and either
//! bring the peer up to date once it reads again, or close it and say why.
//!
//! What a visit should end in depends on how it read: a trickle or a stall shorter than the
//! lag limit must be caught up, not skipped; a stall longer than the pong timeout must be closed.
//! A visit that a kill -9 or the end of a stretch ended is counted, and expected.

use std::sync::Arc;
use std::time::Duration;

use agora_client::{Client, ClientOptions, DocHandle, DocumentId};
use agora_schema::Message;
use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash, ReadDoc};
use rand::rngs::StdRng;
use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::plan::{LAG_LIMIT, PONG_TIMEOUT};
use super::tally::{Counter, Topic};
use super::workload::Workload;
use crate::raw_peer::{RawPeer, Received};

/// A trickling reader takes one frame, then waits this long, for `TRICKLE_FOR`.
const TRICKLE_PAUSE: Duration = Duration::from_millis(300);
const TRICKLE_FOR: Duration = Duration::from_secs(4);
/// A third of the lag limit, well inside it and the pong timeout: the server must wait for such
/// a peer.
const SHORT_STALL: Duration = Duration::from_secs(LAG_LIMIT.as_secs() / 3);
/// Past the pong timeout (and, with the buffers full, the lag limit): the server must let go.
const LONG_STALL: Duration = PONG_TIMEOUT.saturating_add(Duration::from_secs(2));
/// After reading again, a peer the server kept must hold what the witness held by then.
const CATCH_UP_WITHIN: Duration = Duration::from_secs(20);
/// How long one read waits for a frame.
const WAIT_FOR_FRAME: Duration = Duration::from_secs(1);
/// Quiet after a long stall that means the server kept the connection: three ping intervals.
const KEPT_OPEN_AFTER: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy)]
enum Manner {
    Trickle,
    ShortStall,
    LongStall,
}

/// Each slot goes round the manners from a different start, so a short run sees all of them.
const MANNERS: [Manner; 3] = [Manner::LongStall, Manner::Trickle, Manner::ShortStall];

impl Manner {
    fn name(self) -> &'static str {
        match self {
            Self::Trickle => "trickle",
            Self::ShortStall => "short stall",
            Self::LongStall => "long stall",
        }
    }
}

enum End {
    CaughtUp,
    /// The server closed the connection, with the reason of its `error` message if one came.
    Closed(Option<String>),
    /// The connection ended without an `error` message: a close frame with this code, or a
    /// read error.
    Dropped(Option<u16>, Option<String>),
    NotCaughtUp,
    /// After a long stall the connection stayed open, quiet but for pings.
    KeptOpen,
    /// The server sent something a peer should never get.
    Broken(String),
    /// The visit could not start (no connection, no witness).
    CouldNotStart(String),
    /// The stretch ended while the visit ran.
    StretchEnded,
}

/// Runs slow-reader visits, one after another, until `stop`.
pub async fn slow_reader_slot(
    work: Arc<Workload>,
    slot: usize,
    mut rng: StdRng,
    stop: CancellationToken,
) {
    for visit in 0.. {
        let manner = MANNERS[(slot + visit) % MANNERS.len()];
        let id = work.documents[rng.random_range(0..work.documents.len())];
        let epoch = work.tally.server_epoch.get();
        let started = Instant::now();
        let progress = Progress::default();
        let end = tokio::select! {
            end = run_visit(&work.direct_url, id, manner, &progress) => end,
            _ = stop.cancelled() => End::StretchEnded,
        };
        let stayed_up = work.tally.server_stayed_up_since(epoch);
        let (outcome, expected) = judge(manner, end, stayed_up);
        let label = format!("{}: {outcome}", manner.name());
        if !expected {
            let stage = if progress.reading_again.get() > 0 {
                "reading again"
            } else {
                "before reading again"
            };
            work.tally.problem(
                Topic::SlowReaders,
                format!(
                    "slow reader on {id}, unexpected: {label} ({:.1} s in, {} frames read, {stage})",
                    started.elapsed().as_secs_f64(),
                    progress.frames.get(),
                ),
            );
        }
        work.tally.slow_outcome(label);
        let pause = Duration::from_millis(rng.random_range(500..2000));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// What the visit's end says, and whether that end is one the server's limits promise.
fn judge(manner: Manner, end: End, stayed_up: bool) -> (String, bool) {
    if !stayed_up {
        return ("ended by a kill -9".to_owned(), true);
    }
    let kept = matches!(manner, Manner::Trickle | Manner::ShortStall);
    match end {
        End::StretchEnded => ("cut short by the end of a stretch".to_owned(), true),
        End::CaughtUp => ("caught up".to_owned(), kept),
        End::Closed(Some(reason)) => (format!("closed by the server: {reason}"), !kept),
        End::Closed(None) => ("closed by the server: (empty reason)".to_owned(), !kept),
        End::Dropped(Some(code), _) => (
            format!("closed by the server without an error message (close code {code})"),
            !kept,
        ),
        End::Dropped(None, error) => (
            format!(
                "closed by the server before its close frame was read ({})",
                error.as_deref().unwrap_or("end of stream")
            ),
            !kept,
        ),
        End::NotCaughtUp => (
            format!("still behind {CATCH_UP_WITHIN:?} after reading again"),
            false,
        ),
        End::KeptOpen => (
            format!("kept open after {LONG_STALL:?} without a word from the peer"),
            kept,
        ),
        End::Broken(what) => (format!("got {what}"), false),
        End::CouldNotStart(why) => (format!("could not start: {why}"), false),
    }
}

/// How far a visit got, for the report of an unexpected end.
#[derive(Default)]
struct Progress {
    frames: Counter,
    reading_again: Counter,
}

async fn run_visit(url: &str, id: DocumentId, manner: Manner, progress: &Progress) -> End {
    // The witness is an ordinary client on the same document: what it holds when the slow peer
    // reads again is what that peer must get.
    let options = ClientOptions {
        reconnect: false,
        ..ClientOptions::default()
    };
    let witness = match Client::connect_with(url, options).await {
        Ok(witness) => witness,
        Err(error) => return End::CouldNotStart(format!("witness: {error}")),
    };
    let end = match witness.find(id).await {
        Ok(handle) => read_slowly(url, id, manner, &handle, progress).await,
        // What the witness exchanged tells an unanswered request from an unusable answer.
        Err(error) => End::CouldNotStart(format!(
            "witness {}: {error} (it sent {} and received {} messages; {})",
            witness.peer_id(),
            witness.messages_sent(),
            witness.messages_received(),
            if witness.is_connected() {
                "still connected"
            } else {
                "disconnected"
            }
        )),
    };
    witness.close().await;
    end
}

async fn read_slowly(
    url: &str,
    id: DocumentId,
    manner: Manner,
    witness: &DocHandle,
    progress: &Progress,
) -> End {
    let mut peer = match RawPeer::try_connect_with_small_buffer(url).await {
        Ok(peer) => peer,
        Err(error) => return End::CouldNotStart(error),
    };
    if let Err(error) = peer.try_join().await {
        return End::CouldNotStart(error);
    }
    let mut follower = Follower {
        peer,
        id,
        doc: Automerge::new(),
        state: sync::State::new(),
        progress,
    };
    follower.request().await;
    match manner {
        Manner::Trickle => {
            let until = Instant::now() + TRICKLE_FOR;
            while Instant::now() < until {
                if let Some(end) = follower.step(WAIT_FOR_FRAME).await {
                    return end;
                }
                tokio::time::sleep(TRICKLE_PAUSE).await;
            }
        }
        Manner::ShortStall => tokio::time::sleep(SHORT_STALL).await,
        Manner::LongStall => {
            tokio::time::sleep(LONG_STALL).await;
            progress.reading_again.add();
            return follower.read_to_end().await;
        }
    }
    progress.reading_again.add();
    let target = witness.heads();
    let deadline = Instant::now() + CATCH_UP_WITHIN;
    loop {
        if follower.holds(&target) {
            return End::CaughtUp;
        }
        if Instant::now() >= deadline {
            return End::NotCaughtUp;
        }
        if let Some(end) = follower.step(WAIT_FOR_FRAME).await {
            return end;
        }
    }
}

/// A raw peer that follows one document as a well-behaved peer would, one frame at a time.
struct Follower<'a> {
    peer: RawPeer,
    id: DocumentId,
    doc: Automerge,
    state: sync::State,
    progress: &'a Progress,
}

impl Follower<'_> {
    async fn request(&mut self) {
        let Some(hello) = self.doc.generate_sync_message(&mut self.state) else {
            return;
        };
        let message = match self.peer.sync_message(self.id, hello.encode()) {
            Message::Sync(body) => Message::Request(body),
            other => other,
        };
        self.peer.send(&message).await;
    }

    /// Reads what the server sent before it let go of this peer, then its farewell or the end of
    /// the connection; a connection that stays open and quiet was kept.
    async fn read_to_end(&mut self) -> End {
        let deadline = Instant::now() + CATCH_UP_WITHIN;
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline {
            let frames = self.progress.frames.get();
            if let Some(end) = self.step(WAIT_FOR_FRAME).await {
                return end;
            }
            if self.progress.frames.get() > frames {
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() >= KEPT_OPEN_AFTER {
                return End::KeptOpen;
            }
        }
        End::KeptOpen
    }

    fn holds(&self, heads: &[ChangeHash]) -> bool {
        heads
            .iter()
            .all(|head| self.doc.get_change_by_hash(head).is_some())
    }

    /// Reads one frame (waiting at most `wait`) and answers it; `Some` when the visit ended.
    async fn step(&mut self, wait: Duration) -> Option<End> {
        let received = self.peer.recv_within(wait).await;
        if let Received::Message(_) = received {
            self.progress.frames.add();
        }
        match received {
            Received::Message(Message::Sync(body)) => {
                let message = match sync::Message::decode(&body.data) {
                    Ok(message) => message,
                    Err(error) => {
                        return Some(End::Broken(format!("an undecodable sync: {error}")))
                    }
                };
                if let Err(error) = self.doc.receive_sync_message(&mut self.state, message) {
                    return Some(End::Broken(format!("a sync that does not apply: {error}")));
                }
                if let Some(reply) = self.doc.generate_sync_message(&mut self.state) {
                    let reply = self.peer.sync_message(self.id, reply.encode());
                    self.peer.send(&reply).await;
                }
                None
            }
            Received::Message(Message::Error { message }) => Some(End::Closed(Some(message))),
            Received::Message(Message::DocUnavailable { .. }) => Some(End::Broken(
                "doc-unavailable for a document that exists".to_owned(),
            )),
            Received::Message(_) | Received::Nothing => None,
            Received::Closed(code) => Some(End::Dropped(code, self.peer.read_error.take())),
            Received::Undecodable(_) => Some(End::Broken("an undecodable frame".to_owned())),
        }
    }
}
