//! The connection task: the only owner of the socket. It keeps one `automerge::sync::State`
//! per open document for the current connection, turns local changes and incoming `sync`
//! messages into outgoing sync messages, relays ephemeral messages, and reconnects. Frames that
//! are already there when it reads are handled together: each document's sync messages among
//! them are applied at once and answered once, so a client that fell behind catches up with
//! one walk of automerge over each document rather than one per message.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use agora_schema::{DocumentId, DocumentMessage, EphemeralMessage, Message, PeerId};
use automerge::sync;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite;

use crate::document::DocState;
use crate::ephemeral::EphemeralDedup;
use crate::handshake::{connect_and_join, Joined, Socket};
use crate::shared::{OutgoingEphemeral, Shared, Status};
use crate::ClientError;

type Sink = SplitSink<Socket, tungstenite::Message>;

/// Frames read and handled together at most.
const FRAMES_AT_ONCE: usize = 64;

enum SessionEnd {
    Shutdown,
    Lost(String),
}

/// Serves `first`, then reconnects as the options say, until shutdown.
pub(crate) async fn run(
    shared: Arc<Shared>,
    first: Joined,
    mut ephemeral_rx: mpsc::Receiver<OutgoingEphemeral>,
) {
    let mut shutdown = shared.shutdown.subscribe();
    // Kept across connections: the server may relay the same message again after a reconnect.
    let mut dedup = EphemeralDedup::default();
    let mut joined = first;
    loop {
        shared.set_server_peer_id(joined.server_peer_id.clone());
        for doc in shared.all_docs() {
            doc.forget_server();
        }
        shared.status.send_replace(Status::Connected);
        let session = Session {
            shared: &shared,
            server: joined.server_peer_id,
            sync_states: HashMap::new(),
            last_sent: HashMap::new(),
            deferred_until: None,
        };
        let end = session
            .serve(joined.socket, &mut shutdown, &mut ephemeral_rx, &mut dedup)
            .await;
        match end {
            SessionEnd::Shutdown => break,
            SessionEnd::Lost(reason) => {
                tracing::warn!(url = %shared.url, %reason, "connection lost");
            }
        }
        if !shared.options.reconnect {
            break;
        }
        shared.status.send_replace(Status::Reconnecting);
        match rejoin(&shared, &mut shutdown).await {
            Some(next) => joined = next,
            None => break,
        }
    }
    shared.status.send_replace(Status::Closed);
}

/// Retries with capped exponential backoff until joined again or shut down.
async fn rejoin(shared: &Shared, shutdown: &mut watch::Receiver<bool>) -> Option<Joined> {
    let options = &shared.options;
    let mut delay = options.reconnect_min_delay;
    let urls: Vec<&str> = std::iter::once(shared.url.as_str())
        .chain(options.other_urls.iter().map(String::as_str))
        .collect();
    for url in urls.iter().cycle() {
        tokio::select! {
            _ = shut_down(shutdown) => return None,
            _ = tokio::time::sleep(delay) => {}
        }
        let attempt = tokio::select! {
            _ = shut_down(shutdown) => return None,
            attempt = connect_and_join(url, options.token.as_deref(), &shared.peer_id, options.connect_timeout) => attempt,
        };
        match attempt {
            Ok(joined) => {
                tracing::info!(url, "reconnected");
                return Some(joined);
            }
            Err(ClientError::Rejected(message)) => {
                tracing::warn!(%message, "the server refused our join");
                shared.record_server_error(message);
            }
            Err(error) => tracing::debug!(url, %error, "reconnect attempt failed"),
        }
        delay = (delay * 2).min(options.reconnect_max_delay);
    }
    unreachable!("the URLs go round forever")
}

/// A document's sync state, tied to the one `DocState` it was made for: a document that was
/// forgotten (a failed `find`) and opened again starts afresh, so it asks the server again
/// instead of waiting on an answer meant for its predecessor.
struct DocSync {
    doc: Weak<DocState>,
    state: sync::State,
}

/// One connection's worth of state.
struct Session<'a> {
    shared: &'a Shared,
    server: PeerId,
    /// Fresh per connection: the server forgets what it knew about an ephemeral peer.
    sync_states: HashMap<DocumentId, DocSync>,
    /// When each document last had a sync message sent, for `ClientOptions::sync_throttle`.
    last_sent: HashMap<DocumentId, Instant>,
    /// When documents held back by `ClientOptions::sync_throttle` are due.
    deferred_until: Option<Instant>,
}

impl Session<'_> {
    async fn serve(
        mut self,
        socket: Socket,
        shutdown: &mut watch::Receiver<bool>,
        ephemeral_rx: &mut mpsc::Receiver<OutgoingEphemeral>,
        dedup: &mut EphemeralDedup,
    ) -> SessionEnd {
        let (mut sink, stream) = socket.split();
        let mut stream = stream.ready_chunks(FRAMES_AT_ONCE);
        self.shared.mark_all_dirty();
        loop {
            let step = tokio::select! {
                _ = shut_down(shutdown) => {
                    // Best effort: the server learns we left; we do not wait for its reply.
                    let _ = sink.send(tungstenite::Message::Close(None)).await;
                    return SessionEnd::Shutdown;
                }
                frames = stream.next() => match frames {
                    Some(frames) => self.on_frames(frames, &mut sink, dedup).await,
                    None => Err("the server closed the connection".to_owned()),
                },
                _ = self.shared.wake.notified() => self.flush_dirty(&mut sink).await,
                _ = sleep_until_some(self.deferred_until), if self.deferred_until.is_some() => {
                    self.deferred_until = None;
                    self.flush_dirty(&mut sink).await
                }
                Some(out) = ephemeral_rx.recv() => self.send_ephemeral(out, &mut sink).await,
            };
            if let Err(reason) = step {
                return SessionEnd::Lost(reason);
            }
        }
    }

    /// Handles the frames read at once, in order; what came before a close is still handled.
    async fn on_frames(
        &mut self,
        frames: Vec<Result<tungstenite::Message, tungstenite::Error>>,
        sink: &mut Sink,
        dedup: &mut EphemeralDedup,
    ) -> Result<(), String> {
        let mut received = Received::default();
        let mut end = Ok(());
        for frame in frames {
            match frame {
                Ok(tungstenite::Message::Binary(bytes)) => {
                    self.shared
                        .messages_received
                        .fetch_add(1, Ordering::Relaxed);
                    self.on_frame(&bytes, &mut received, dedup);
                }
                Ok(tungstenite::Message::Close(_)) => {
                    end = Err("the server closed the connection".to_owned());
                    break;
                }
                // tungstenite answers pings itself; the protocol has no text frames.
                Ok(_) => {}
                Err(error) => {
                    end = Err(error.to_string());
                    break;
                }
            }
        }
        self.apply_received(&mut received);
        end?;
        for doc in received.applied {
            self.send_sync(&doc, sink).await?;
        }
        Ok(())
    }

    fn on_frame(&mut self, bytes: &[u8], received: &mut Received, dedup: &mut EphemeralDedup) {
        let message = match agora_schema::decode(bytes) {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(%error, "ignoring an undecodable frame from the server");
                return;
            }
        };
        match message {
            Message::Sync(body) | Message::Request(body) => {
                if !self.is_for_us(&body.sender_id, &body.target_id) {
                    return;
                }
                // With `sharePolicy` "don't announce", servers only send documents we opened.
                let Some(doc) = self.shared.doc(&body.document_id) else {
                    tracing::debug!(document = %body.document_id, "sync for a document we did not open");
                    return;
                };
                received.push(doc, body.data);
            }
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            } => {
                if self.is_for_us(&sender_id, &target_id) {
                    if let Some(doc) = self.shared.doc(&document_id) {
                        // After whatever came before it.
                        self.apply_received(received);
                        doc.mark_unavailable();
                    }
                }
            }
            Message::Ephemeral(m) => {
                if m.target_id == self.shared.peer_id
                    && m.sender_id != self.shared.peer_id
                    && dedup.is_new(&m.sender_id, &m.session_id, m.count)
                {
                    if let Some(doc) = self.shared.doc(&m.document_id) {
                        // No subscriber is fine: ephemeral data is not kept.
                        let _ = doc.ephemeral.send((m.sender_id, m.data));
                    }
                }
            }
            Message::Error { message } => {
                // The server closes the socket after this; the read loop sees that next.
                tracing::warn!(%message, "the server reported an error");
                self.shared.record_server_error(message);
            }
            Message::Join(_) | Message::Peer(_) | Message::Ignored { .. } => {}
        }
    }

    /// Applies the sync messages received so far, each document's at once.
    fn apply_received(&mut self, received: &mut Received) {
        for (doc, data) in std::mem::take(&mut received.waiting) {
            let state = self.sync_state(&doc);
            for error in doc.receive_sync(state, data) {
                tracing::warn!(document = %doc.id, %error, "ignoring a bad sync message");
            }
            if !received.applied.iter().any(|applied| applied.id == doc.id) {
                received.applied.push(doc);
            }
        }
    }

    /// Messages are addressed by peer id; anything else is a confused server, not for us.
    fn is_for_us(&self, sender: &PeerId, target: &PeerId) -> bool {
        let ok = *sender == self.server && *target == self.shared.peer_id;
        if !ok {
            tracing::debug!(%sender, %target, "ignoring a message not addressed to us");
        }
        ok
    }

    async fn flush_dirty(&mut self, sink: &mut Sink) -> Result<(), String> {
        let now = Instant::now();
        let mut deferred = Vec::new();
        for id in self.shared.take_dirty() {
            let Some(doc) = self.shared.doc(&id) else {
                self.sync_states.remove(&id);
                self.last_sent.remove(&id);
                continue;
            };
            let in_flight = self.sync_state(&doc).in_flight;
            let throttle = self.shared.options.sync_throttle;
            let due = self.last_sent.get(&id).map(|sent| *sent + throttle);
            match due {
                Some(due) if in_flight && now < due => {
                    deferred.push(id);
                    self.deferred_until = Some(self.deferred_until.map_or(due, |d| d.min(due)));
                }
                _ => self.send_sync(&doc, sink).await?,
            }
        }
        self.shared.defer_dirty(deferred);
        Ok(())
    }

    /// The sync state for this incarnation of the document.
    fn sync_state(&mut self, doc: &Arc<DocState>) -> &mut sync::State {
        let current = Arc::downgrade(doc);
        let entry = self.sync_states.entry(doc.id).or_insert_with(|| DocSync {
            doc: current.clone(),
            state: sync::State::new(),
        });
        if !entry.doc.ptr_eq(&current) {
            *entry = DocSync {
                doc: current,
                state: sync::State::new(),
            };
        }
        &mut entry.state
    }

    async fn send_sync(&mut self, doc: &Arc<DocState>, sink: &mut Sink) -> Result<(), String> {
        let state = self.sync_state(doc);
        let Some((data, has_changes)) = doc.generate_sync(state) else {
            return Ok(());
        };
        let body = DocumentMessage {
            sender_id: self.shared.peer_id.clone(),
            target_id: self.server.clone(),
            document_id: doc.id,
            data,
        };
        self.last_sent.insert(doc.id, Instant::now());
        // `request` asks the server to say `doc-unavailable` if it lacks the document too.
        let message = if has_changes {
            Message::Sync(body)
        } else {
            Message::Request(body)
        };
        send(self.shared, sink, &message).await
    }

    async fn send_ephemeral(
        &mut self,
        out: OutgoingEphemeral,
        sink: &mut Sink,
    ) -> Result<(), String> {
        let message = Message::Ephemeral(EphemeralMessage {
            sender_id: self.shared.peer_id.clone(),
            target_id: self.server.clone(),
            document_id: out.document_id,
            session_id: self.shared.session_id.clone(),
            count: out.count,
            data: out.data,
        });
        send(self.shared, sink, &message).await
    }
}

/// Sync messages from the frames at hand, per document, in the order they came.
#[derive(Default)]
struct Received {
    waiting: Vec<(Arc<DocState>, Vec<Vec<u8>>)>,
    /// Documents whose messages were applied: each is answered once all frames are handled.
    applied: Vec<Arc<DocState>>,
}

impl Received {
    fn push(&mut self, doc: Arc<DocState>, data: Vec<u8>) {
        match self
            .waiting
            .iter_mut()
            .find(|(waiting, _)| waiting.id == doc.id)
        {
            Some((_, messages)) => messages.push(data),
            None => self.waiting.push((doc, vec![data])),
        }
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// Resolves once shutdown is asked for. (A helper so no watch guard lives across an await.)
async fn shut_down(shutdown: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which only happens with `Shared`: shut down too.
    let _ = shutdown.wait_for(|closed| *closed).await;
}

async fn send(shared: &Shared, sink: &mut Sink, message: &Message) -> Result<(), String> {
    let frame = tungstenite::Message::Binary(agora_schema::encode(message).into());
    sink.send(frame).await.map_err(|e| e.to_string())?;
    shared.messages_sent.fetch_add(1, Ordering::Relaxed);
    Ok(())
}
