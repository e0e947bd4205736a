//! One task per WebSocket: it reads every frame, checks it and routes it, sends what the
//! document actors queued in its outbox, pings, and closes with a reason when asked.
//!
//! One task and one small outbox, nothing split or spawned: most connections are idle most of
//! the time, and what an idle connection holds is what thousands of them cost. A connection
//! quiet for a while rests without any task (`resting`) until something wakes it.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agora_schema::{
    decode, encode, DocumentId, JoinMessage, Message, PeerId, PeerMessage, PeerMetadata,
    PROTOCOL_VERSION,
};
use tokio::sync::broadcast;
use tokio::time::{Instant, Sleep};
use tokio_util::task::task_tracker::TaskTrackerToken;

use super::actor::{ConnectionId, DocumentCommand, PeerLink};
use super::admission::{Admitted, MessageRate};
use super::outbox::Outbox;
use super::{close_code, SyncHub};
use crate::auth::Principal;
use crate::directory::{AccessChange, DocRole};
use crate::metrics::{metrics, Direction, GaugeGuard, Limit};
use crate::websocket::frames::{self, FrameError, Incoming};
use crate::websocket::{ReadError, WebSocket};

mod access;
mod resting;

pub use resting::RestingConnections;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// How long the last words to a departing peer (an `error`, a close frame) may take.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);

/// Why serving stops.
enum Ending {
    /// Not an end: the peer has been quiet for `rest_after`, and the connection rests without
    /// its task until something wakes it.
    Rest,
    /// The peer left: close normally.
    Quiet,
    /// The peer broke the protocol or was asked to go: tell it why, then close.
    Refused { reason: String, code: u16 },
    /// The server gives up on the peer (or shuts down); the peer may come back.
    GoingAway(&'static str),
}

/// Serves one authenticated peer until it leaves, breaks the protocol, loses its access, or the
/// server shuts down.
///
/// Not an `async fn`: the state is built first and moved into the future whole, so the future
/// holds one copy of it rather than the arguments and the state made from them.
pub fn serve_connection(
    socket: WebSocket,
    hub: Arc<SyncHub>,
    principal: Principal,
    admitted: Admitted,
) -> impl Future<Output = ()> + Send {
    let outbox = Outbox::new(hub.limits.send_queue);
    let limits = &hub.limits;
    let now = Instant::now();
    let peer = PeerConnection {
        _tracked: hub.connections.token(),
        _counted: GaugeGuard::new(&metrics().connections),
        _admitted: admitted,
        rate: MessageRate::new(
            NonZeroU32::new(limits.max_messages_per_second).unwrap_or(NonZeroU32::MIN),
        ),
        heard: now,
        ping_due: now + limits.ping_every,
        changes: hub.directory.subscribe(),
        hub,
        principal,
        roles: HashMap::new(),
        denied_requests: HashMap::new(),
        connection: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
        outbox,
        peer: None,
        documents: HashSet::new(),
    };
    peer.run(socket)
}

/// Tells the peer why the connection ends, as far as it still listens.
async fn say_goodbye(socket: &mut WebSocket, connection: ConnectionId, ending: Ending) {
    let (code, reason) = match ending {
        Ending::Quiet | Ending::Rest => (close_code::NORMAL, String::new()),
        Ending::Refused { reason, code } => {
            tracing::debug!(connection, %reason, "closing a connection");
            let farewell = encode(&Message::Error {
                message: reason.clone(),
            });
            let sent = socket.send(frames::BINARY, &farewell);
            let _ = tokio::time::timeout(FAREWELL_TIMEOUT, sent).await;
            (code, reason)
        }
        Ending::GoingAway(reason) => (close_code::GOING_AWAY, reason.to_owned()),
    };
    let _ = tokio::time::timeout(FAREWELL_TIMEOUT, socket.close(code, &reason)).await;
}

/// What the connection task knows of its peer.
struct PeerConnection {
    /// Keeps the server's shutdown waiting for this connection to close.
    _tracked: TaskTrackerToken,
    _counted: GaugeGuard,
    /// Counts the connection against its account's limit.
    _admitted: Admitted,
    rate: MessageRate,
    /// When the peer was last heard from (any frame, pongs included).
    heard: Instant,
    ping_due: Instant,
    hub: Arc<SyncHub>,
    principal: Principal,
    /// Access changes anywhere; the ones that concern this connection are re-checked at once.
    changes: broadcast::Receiver<AccessChange>,
    /// The account's role on each document it asked for (`None`: denied), until a change says
    /// otherwise.
    roles: HashMap<DocumentId, Option<DocRole>>,
    /// `request`s answered `doc-unavailable`, kept to be answered properly if access comes.
    denied_requests: HashMap<DocumentId, Vec<u8>>,
    connection: ConnectionId,
    outbox: Arc<Outbox>,
    peer: Option<PeerId>,
    /// Documents this connection has sent messages for; each gets a `Leave` at the end.
    documents: HashSet<DocumentId>,
}

impl PeerConnection {
    /// Serves the peer, then lets go of its documents and says goodbye. What runs only at the
    /// end is boxed, so the state every idle connection keeps is the serving loop's alone.
    #[allow(clippy::manual_async_fn)] // An `async fn` would hold its arguments twice.
    fn run(mut self, mut socket: WebSocket) -> impl Future<Output = ()> + Send {
        async move {
            let ending = self.serve(&mut socket).await;
            if let Ending::Rest = ending {
                return resting::rest(self, socket);
            }
            self.outbox.close();
            Box::pin(self.leave_documents()).await;
            Box::pin(say_goodbye(&mut socket, self.connection, ending)).await;
        }
    }

    async fn leave_documents(&mut self) {
        let connection = self.connection;
        for id in std::mem::take(&mut self.documents) {
            self.hub
                .documents
                .dispatch(id, DocumentCommand::Leave { connection })
                .await;
        }
    }

    /// Serves the peer until the connection ends, or rests once the peer has been quiet for
    /// `rest_after`. Handling a message may wait on the directory and the document, and sending
    /// may wait on the peer, through large futures; they are boxed while they run, so that the
    /// state a connection keeps between messages stays small.
    async fn serve(&mut self, socket: &mut WebSocket) -> Ending {
        let hub = self.hub.clone();
        let limits = &hub.limits;
        let mut join_timer = self
            .peer
            .is_none()
            .then(|| Box::pin(tokio::time::sleep(limits.join_timeout)));
        let mut ping = tokio::time::interval_at(self.ping_due, limits.ping_every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let rest = tokio::time::sleep(limits.rest_after);
        tokio::pin!(rest);
        loop {
            if self.peer.is_some() {
                join_timer = None;
            }
            // Every turn of the loop is something done: the rest waits for quiet after it.
            rest.as_mut().reset(Instant::now() + limits.rest_after);
            // Checked first: the boxed send is only made when there is something to send.
            if self.outbox.has_news() {
                let sent = Box::pin(send_queued(&self.outbox, limits.lag_limit, socket)).await;
                if let Err(ending) = sent {
                    return ending;
                }
            }
            let next = tokio::select! {
                biased;
                _ = self.hub.shutdown.cancelled() => {
                    return Ending::GoingAway("the server is shutting down");
                }
                _ = ping.tick() => {
                    self.ping_due = Instant::now() + limits.ping_every;
                    if self.heard.elapsed() > limits.pong_timeout {
                        return give_up("no answer to pings");
                    }
                    let ping = socket.send(frames::PING, &[]);
                    let sent = Box::pin(tokio::time::timeout(FAREWELL_TIMEOUT, ping)).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        return give_up("stalled");
                    }
                    continue;
                }
                _ = expiry(&mut join_timer), if self.peer.is_none() => {
                    return refused("no `join` arrived in time", close_code::PROTOCOL_ERROR);
                }
                next = socket.receive() => next,
                change = self.changes.recv(), if self.peer.is_some() => {
                    if let Err(ending) = Box::pin(self.access_changed(change)).await {
                        return ending;
                    }
                    continue;
                }
                _ = self.outbox.ready() => continue,
                _ = &mut rest, if self.peer.is_some() => {
                    if socket.is_idle() && !self.outbox.has_news() {
                        return Ending::Rest;
                    }
                    continue;
                }
            };
            self.heard = Instant::now();
            let frame = match next {
                None | Some(Ok(Incoming::Close(_))) => return Ending::Quiet,
                Some(Ok(Incoming::Binary(bytes))) => bytes,
                Some(Ok(Incoming::Pong)) => continue,
                Some(Ok(Incoming::Ping(payload))) => {
                    let pong = socket.send(frames::PONG, &payload);
                    let sent = Box::pin(tokio::time::timeout(FAREWELL_TIMEOUT, pong)).await;
                    if !matches!(sent, Ok(Ok(()))) {
                        return give_up("stalled");
                    }
                    continue;
                }
                Some(Ok(Incoming::Text)) => {
                    return refused(
                        "text frames are not part of the protocol; send binary CBOR",
                        close_code::PROTOCOL_ERROR,
                    )
                }
                Some(Err(error)) => return read_error(error),
            };
            // Access changes announced before this frame arrived apply to it: a demoted
            // peer's next change is judged by its new role.
            if let Err(ending) = Box::pin(self.apply_pending_access_changes()).await {
                return ending;
            }
            metrics().count_message(Direction::In);
            if !self.rate.allow() {
                metrics().count_refusal(Limit::MessagesPerSecond);
                return refused(
                    format!(
                        "you sent more than {} messages per second; slow down, then reconnect",
                        limits.max_messages_per_second
                    ),
                    close_code::TRY_AGAIN_LATER,
                );
            }
            let message = match decode(&frame) {
                Ok(message) => message,
                Err(error) => {
                    return refused(
                        format!("malformed message: {error}"),
                        close_code::PROTOCOL_ERROR,
                    )
                }
            };
            // Handling may wait for a busy document; frames queued meanwhile (from other
            // documents, or this one's answer to an earlier message) go out without waiting.
            let outbox = self.outbox.clone();
            let lag_limit = limits.lag_limit;
            let mut handling = Box::pin(self.handle(message));
            loop {
                tokio::select! {
                    handled = &mut handling => match handled {
                        Ok(()) => break,
                        Err(ending) => return ending,
                    },
                    _ = outbox.ready() => {
                        if let Err(ending) = Box::pin(send_queued(&outbox, lag_limit, socket)).await {
                            return ending;
                        }
                    }
                }
            }
            drop(handling);
            // Time spent handling (waiting on a busy document, say) is not the peer's silence.
            self.heard = Instant::now();
        }
    }

    async fn handle(&mut self, message: Message) -> Result<(), Ending> {
        let Some(peer) = self.peer.clone() else {
            return match message {
                Message::Join(join) => self.join(join),
                other => Err(refused(
                    format!("the first message must be `join`, not `{}`", other.kind()),
                    close_code::PROTOCOL_ERROR,
                )),
            };
        };
        match message {
            Message::Request(body) | Message::Sync(body) if body.sender_id != peer => {
                Err(wrong_sender(&body.sender_id))
            }
            Message::Request(body) => {
                self.route_to_document(body.document_id, true, body.data)
                    .await
            }
            Message::Sync(body) => {
                self.route_to_document(body.document_id, false, body.data)
                    .await
            }
            Message::Ephemeral(message) => {
                // automerge-repo clients pass on other peers' ephemeral messages under their
                // original sender. We relayed the original already; a copy is dropped quietly
                // (closing would cut the client off every presence heartbeat).
                if message.sender_id != peer {
                    return Ok(());
                }
                let id = message.document_id;
                // Presence is for those who may read the document; others are not told why.
                if self.role(id, None).await?.is_none() {
                    return Ok(());
                }
                let command = DocumentCommand::Ephemeral {
                    from: self.connection,
                    message: Box::new(message),
                };
                self.hub.documents.dispatch(id, command).await;
                Ok(())
            }
            // The peer lacks a document we never offered it: nothing to do.
            Message::DocUnavailable { .. } => Ok(()),
            Message::Error { message } => {
                tracing::debug!(connection = self.connection, %message, "peer reported an error");
                Err(Ending::Quiet)
            }
            Message::Ignored { kind } if kind == "leave" => Err(Ending::Quiet),
            Message::Ignored { .. } => Ok(()),
            Message::Join(_) => Err(refused(
                "this connection has already joined",
                close_code::PROTOCOL_ERROR,
            )),
            Message::Peer(_) => Err(refused(
                "`peer` is the server's message",
                close_code::PROTOCOL_ERROR,
            )),
        }
    }

    fn join(&mut self, join: JoinMessage) -> Result<(), Ending> {
        let supported = join
            .supported_protocol_versions
            .as_ref()
            .is_none_or(|versions| versions.iter().any(|v| v == PROTOCOL_VERSION));
        if !supported {
            return Err(refused(
                "unsupported protocol version",
                close_code::PROTOCOL_ERROR,
            ));
        }
        let answer = encode(&Message::Peer(PeerMessage {
            sender_id: self.hub.server_peer.clone(),
            target_id: join.sender_id.clone(),
            peer_metadata: PeerMetadata {
                storage_id: Some(self.hub.storage_id.clone()),
                is_ephemeral: false,
            },
            selected_protocol_version: PROTOCOL_VERSION.to_owned(),
        }));
        self.outbox.push(answer);
        tracing::debug!(connection = self.connection, peer = %join.sender_id, "peer joined");
        self.peer = Some(join.sender_id);
        Ok(())
    }

    async fn route_to_document(
        &mut self,
        id: DocumentId,
        is_request: bool,
        data: Vec<u8>,
    ) -> Result<(), Ending> {
        let creating = (!is_request).then_some(data.as_slice());
        let Some(role) = self.role(id, creating).await? else {
            if is_request
                && self.denied_requests.len() < self.hub.limits.max_documents_per_connection
            {
                // Answered once access is granted (or the document is created) while the
                // peer is still here, as automerge-repo peers expect of a `request`.
                self.denied_requests.insert(id, data);
            }
            // Indistinguishable from a document that does not exist.
            self.send_unavailable(id);
            return Ok(());
        };
        if !self.documents.contains(&id) {
            if self.documents.len() >= self.hub.limits.max_documents_per_connection {
                metrics().count_refusal(Limit::DocumentsPerConnection);
                return Err(refused(
                    format!(
                        "this connection has {} documents open, the most allowed",
                        self.documents.len()
                    ),
                    close_code::PROTOCOL_ERROR,
                ));
            }
            self.documents.insert(id);
        }
        let from = PeerLink {
            connection: self.connection,
            peer_id: self.peer.clone().expect("joined"),
            outbox: self.outbox.clone(),
        };
        let command = DocumentCommand::Sync {
            from,
            data,
            is_request,
            may_write: role.can_edit(),
        };
        self.hub.documents.dispatch(id, command).await;
        Ok(())
    }

    fn send_unavailable(&self, id: DocumentId) {
        let frame = encode(&Message::DocUnavailable {
            sender_id: self.hub.server_peer.clone(),
            target_id: self.peer.clone().expect("joined"),
            document_id: id,
        });
        self.outbox.push(frame);
    }
}

/// Sends everything queued in the outbox, or ends the connection if it was kicked. A peer that
/// does not take its frames within the lag limit is gone for our purposes.
async fn send_queued(
    outbox: &Outbox,
    lag_limit: Duration,
    socket: &mut WebSocket,
) -> Result<(), Ending> {
    loop {
        if let Some((reason, code)) = outbox.kicked() {
            return Err(Ending::Refused { reason, code });
        }
        let Some(first) = outbox.pop() else {
            return Ok(());
        };
        // What is queued goes out under one lag timeout; at most a full queue's worth, so the
        // limit judges the peer's reading, not the size of a burst.
        let burst = async {
            let mut frame = Some(first);
            let mut fed = 0;
            while let Some(bytes) = frame {
                socket.feed(frames::BINARY, &bytes).await?;
                metrics().count_message(Direction::Out);
                fed += 1;
                frame = if fed < outbox.capacity() {
                    outbox.pop()
                } else {
                    None
                };
            }
            socket.flush().await
        };
        match tokio::time::timeout(lag_limit, burst).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(Ending::Quiet),
            Err(_) => return Err(give_up("too slow")),
        }
    }
}

/// Waits for the timer, or forever once it is gone.
async fn expiry(timer: &mut Option<Pin<Box<Sleep>>>) {
    match timer {
        Some(timer) => timer.await,
        None => std::future::pending().await,
    }
}

/// Ends a connection whose peer stopped listening; it resyncs when it comes back.
fn give_up(reason: &'static str) -> Ending {
    tracing::info!(reason, "dropping an unresponsive peer");
    Ending::GoingAway(reason)
}

fn refused(reason: impl Into<String>, code: u16) -> Ending {
    Ending::Refused {
        reason: reason.into(),
        code,
    }
}

fn wrong_sender(sender: &PeerId) -> Ending {
    let shown: String = sender.as_str().chars().take(64).collect();
    refused(
        format!("senderId `{shown}` is not the peer that joined this connection"),
        close_code::PROTOCOL_ERROR,
    )
}

fn read_error(error: ReadError) -> Ending {
    match error {
        ReadError::Frame(FrameError::TooBig { limit }) => refused(
            format!("frames may hold at most {limit} bytes"),
            close_code::TOO_BIG,
        ),
        ReadError::Frame(malformed) => refused(malformed.to_string(), close_code::PROTOCOL_ERROR),
        ReadError::Truncated | ReadError::Io(_) => {
            tracing::debug!(%error, "connection read failed");
            Ending::Quiet
        }
    }
}
