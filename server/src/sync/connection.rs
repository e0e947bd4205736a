//! One task pair per WebSocket: a reader that checks every frame and routes it, and a writer
//! that owns the socket's sending half, pings, and closes with a reason when asked.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_schema::{
    decode, encode, DocumentId, JoinMessage, Message, PeerId, PeerMessage, PeerMetadata,
    PROTOCOL_VERSION,
};
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use super::actor::{ConnectionId, DocumentCommand, Kick, PeerLink};
use super::admission::MessageRate;
use super::{close_code, SyncHub};
use crate::auth::Principal;
use crate::directory::{AccessChange, DocRole};
use crate::metrics::{metrics, Direction, GaugeGuard, Limit};

mod access;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// How long the last words to a departing peer (an `error`, a close frame) may take.
const FAREWELL_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the reader stopped.
enum Ending {
    /// The peer left or the server is shutting down: close quietly.
    Quiet,
    /// The peer broke the protocol: tell it why, then close.
    Refused { reason: String, code: u16 },
}

/// Serves one authenticated peer until it leaves, breaks the protocol, loses its access, or the
/// server shuts down.
pub async fn serve_connection(socket: WebSocket, hub: Arc<SyncHub>, principal: Principal) {
    let _tracked = hub.connections.token();
    let _counted = GaugeGuard::new(&metrics().connections);
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let (sink, mut stream) = socket.split();
    let (outbox, outbox_rx) = mpsc::channel(hub.limits.send_queue);
    let kick = Kick::default();
    let done = CancellationToken::new();
    let heard = Arc::new(Mutex::new(Instant::now()));
    let writer = tokio::spawn(write_loop(
        sink,
        outbox_rx,
        kick.clone(),
        done.clone(),
        heard.clone(),
        hub.clone(),
    ));

    let mut reader = Reader {
        hub: &hub,
        changes: hub.directory.subscribe(),
        principal,
        roles: HashMap::new(),
        denied_requests: HashMap::new(),
        connection,
        outbox,
        kick: kick.clone(),
        heard,
        peer: None,
        documents: HashSet::new(),
    };
    let ending = tokio::select! {
        ending = reader.read_all(&mut stream) => ending,
        _ = done.cancelled() => Ending::Quiet,
    };
    match ending {
        Ending::Quiet => done.cancel(),
        Ending::Refused { reason, code } => {
            tracing::debug!(connection, %reason, "closing a connection that broke the protocol");
            kick.kick_with_code(reason, code);
        }
    }
    for id in std::mem::take(&mut reader.documents) {
        hub.documents
            .dispatch(id, DocumentCommand::Leave { connection })
            .await;
    }
    let _ = writer.await;
}

struct Reader<'a> {
    hub: &'a SyncHub,
    principal: Principal,
    /// Access changes anywhere; the ones that concern this connection are re-checked at once.
    changes: broadcast::Receiver<AccessChange>,
    /// The account's role on each document it asked for (`None`: denied), until a change says
    /// otherwise.
    roles: HashMap<DocumentId, Option<DocRole>>,
    /// `request`s answered `doc-unavailable`, kept to be answered properly if access comes.
    denied_requests: HashMap<DocumentId, Vec<u8>>,
    connection: ConnectionId,
    outbox: mpsc::Sender<Vec<u8>>,
    kick: Kick,
    /// When the peer was last heard from (any frame, pongs included).
    heard: Arc<Mutex<Instant>>,
    peer: Option<PeerId>,
    /// Documents this connection has sent messages for; each gets a `Leave` at the end.
    documents: HashSet<DocumentId>,
}

impl Reader<'_> {
    /// Handling a message may wait on the directory and the document, through large futures;
    /// they are boxed while they run, so that the state every idle connection keeps stays small.
    async fn read_all(&mut self, stream: &mut SplitStream<WebSocket>) -> Ending {
        let limits = &self.hub.limits;
        let rate = MessageRate::new(
            NonZeroU32::new(limits.max_messages_per_second).unwrap_or(NonZeroU32::MIN),
        );
        let join_deadline = tokio::time::Instant::now() + limits.join_timeout;
        loop {
            let next = if self.peer.is_none() {
                match tokio::time::timeout_at(join_deadline, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        return refused("no `join` arrived in time", close_code::PROTOCOL_ERROR)
                    }
                }
            } else {
                tokio::select! {
                    next = stream.next() => next,
                    change = self.changes.recv() => {
                        if let Err(ending) = Box::pin(self.access_changed(change)).await {
                            return ending;
                        }
                        continue;
                    }
                    _ = self.hub.shutdown.cancelled() => return Ending::Quiet,
                }
            };
            *self.heard.lock().expect("heard lock") = Instant::now();
            let frame = match next {
                None | Some(Ok(Frame::Close(_))) => return Ending::Quiet,
                Some(Ok(Frame::Binary(bytes))) => bytes,
                Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => continue,
                Some(Ok(Frame::Text(_))) => {
                    return refused(
                        "text frames are not part of the protocol; send binary CBOR",
                        close_code::PROTOCOL_ERROR,
                    )
                }
                Some(Err(error)) => return read_error(error, limits.max_frame_bytes),
            };
            // Access changes announced before this frame arrived apply to it: a demoted
            // peer's next change is judged by its new role.
            if let Err(ending) = Box::pin(self.apply_pending_access_changes()).await {
                return ending;
            }
            metrics().count_message(Direction::In);
            if !rate.allow() {
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
            if let Err(ending) = Box::pin(self.handle(message)).await {
                return ending;
            }
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
                    message,
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
        // The queue is empty before `peer`, so this cannot fail for want of room.
        if self.outbox.try_send(answer).is_err() {
            return Err(Ending::Quiet);
        }
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
            return self.send_unavailable(id).await;
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
            kick: self.kick.clone(),
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

    async fn send_unavailable(&mut self, id: DocumentId) -> Result<(), Ending> {
        let frame = encode(&Message::DocUnavailable {
            sender_id: self.hub.server_peer.clone(),
            target_id: self.peer.clone().expect("joined"),
            document_id: id,
        });
        self.outbox.send(frame).await.map_err(|_| Ending::Quiet)
    }
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

fn read_error(error: axum::Error, max_frame_bytes: usize) -> Ending {
    // axum hides the WebSocket library's error type; its text is all we get. An oversized frame
    // reads "Space limit exceeded: Message too long: <size> > <max>".
    let text = error.to_string();
    if text.contains("Message too long") || text.contains("Space limit") {
        refused(
            format!("frames may hold at most {max_frame_bytes} bytes"),
            close_code::TOO_BIG,
        )
    } else {
        tracing::debug!(%text, "connection read failed");
        Ending::Quiet
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Frame>,
    mut outbox: mpsc::Receiver<Vec<u8>>,
    kick: Kick,
    done: CancellationToken,
    heard: Arc<Mutex<Instant>>,
    hub: Arc<SyncHub>,
) {
    let limits = hub.limits.clone();
    let mut ping = tokio::time::interval(limits.ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.tick().await;
    let (code, reason) = loop {
        tokio::select! {
            biased;
            (reason, code) = kick.kicked_with_code() => {
                let farewell = encode(&Message::Error { message: reason.clone() });
                let _ = tokio::time::timeout(FAREWELL_TIMEOUT, sink.send(Frame::Binary(farewell.into()))).await;
                break (code, reason);
            }
            // Before `done`: at shutdown the reader ends too, and the peer must still hear
            // "going away" (so it reconnects), not a normal close.
            _ = hub.shutdown.cancelled() => break (close_code::GOING_AWAY, "the server is shutting down".to_owned()),
            _ = done.cancelled() => break (close_code::NORMAL, String::new()),
            frame = outbox.recv() => {
                let Some(frame) = frame else { break (close_code::NORMAL, String::new()) };
                // A peer that does not read for the whole lag limit is gone for our purposes.
                match tokio::time::timeout(limits.lag_limit, sink.send(Frame::Binary(frame.into()))).await {
                    Ok(Ok(())) => metrics().count_message(Direction::Out),
                    Ok(Err(_)) => break (close_code::NORMAL, String::new()),
                    Err(_) => {
                        kick.kick("you did not read your messages; reconnect to resync");
                        break (close_code::GOING_AWAY, "too slow".to_owned());
                    }
                }
            }
            _ = ping.tick() => {
                let silent_for = heard.lock().expect("heard lock").elapsed();
                if silent_for > limits.pong_timeout {
                    kick.kick("no answer to pings");
                    break (close_code::GOING_AWAY, "no answer to pings".to_owned());
                }
                let ping = tokio::time::timeout(FAREWELL_TIMEOUT, sink.send(Frame::Ping(Default::default())));
                if !matches!(ping.await, Ok(Ok(()))) {
                    kick.kick("the connection stalled");
                    break (close_code::GOING_AWAY, "stalled".to_owned());
                }
            }
        }
    };
    // Stop the reader too, whichever side ended first.
    done.cancel();
    let reason: String = reason.chars().take(100).collect();
    let close = Frame::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    let _ = tokio::time::timeout(FAREWELL_TIMEOUT, async {
        sink.send(close).await?;
        sink.close().await
    })
    .await;
}
