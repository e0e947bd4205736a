//! A peer that speaks the protocol frame by frame, so tests can send exactly what a broken or
//! hostile client would.

use std::time::Duration;

use agora_schema::{
    decode, encode, DocumentId, DocumentMessage, JoinMessage, Message, PeerId, PeerMetadata,
};
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Frame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What arrived, as a test sees it.
#[derive(Debug)]
pub enum Received {
    Message(Message),
    /// A frame that is not a protocol message (the test decides whether that is wrong).
    Undecodable(Vec<u8>),
    Closed(Option<u16>),
    Nothing,
}

pub struct RawPeer {
    socket: Socket,
    pub peer_id: PeerId,
    pub server_peer: Option<PeerId>,
    /// Why the socket failed, when `recv` said `Closed(None)` because of an error.
    pub read_error: Option<String>,
}

impl RawPeer {
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket connect");
        Self::from_socket(socket)
    }

    /// Wraps a socket the test opened itself (e.g. with a session cookie).
    pub fn from_socket(socket: Socket) -> Self {
        Self {
            socket,
            peer_id: PeerId::random("raw"),
            server_peer: None,
            read_error: None,
        }
    }

    /// Connects with a tiny TCP receive buffer, so that a peer that stops reading makes the
    /// server's sends block after a few kilobytes instead of several megabytes.
    pub async fn connect_with_small_buffer(url: &str) -> Self {
        Self::try_connect_with_small_buffer(url)
            .await
            .expect("connect with a small receive buffer")
    }

    /// Like `connect_with_small_buffer`, for callers that expect the server may be away.
    pub async fn try_connect_with_small_buffer(url: &str) -> Result<Self, String> {
        let addr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .ok_or("no host:port in the URL")?;
        let addr = addr.parse().map_err(|e| format!("socket address: {e}"))?;
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        socket
            .set_recv_buffer_size(4096)
            .map_err(|e| format!("receive buffer: {e}"))?;
        let stream = socket
            .connect(addr)
            .await
            .map_err(|e| format!("TCP connect: {e}"))?;
        let (socket, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .map_err(|e| format!("WebSocket handshake: {e}"))?;
        Ok(Self {
            socket,
            peer_id: PeerId::random("raw"),
            server_peer: None,
            read_error: None,
        })
    }

    /// Connects and completes the handshake.
    pub async fn joined(url: &str) -> Self {
        let mut peer = Self::connect(url).await;
        peer.join().await;
        peer
    }

    pub async fn join(&mut self) {
        self.try_join().await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// Like `join`, for callers that expect the server may go away meanwhile.
    pub async fn try_join(&mut self) -> Result<(), String> {
        self.send(&Message::Join(JoinMessage {
            sender_id: self.peer_id.clone(),
            peer_metadata: PeerMetadata::default(),
            supported_protocol_versions: Some(vec!["1".into()]),
        }))
        .await;
        match self.recv().await {
            Received::Message(Message::Peer(peer)) => {
                self.server_peer = Some(peer.sender_id);
                Ok(())
            }
            other => Err(format!("expected `peer`, got {other:?}")),
        }
    }

    pub async fn send(&mut self, message: &Message) {
        self.send_frame(encode(message)).await;
    }

    /// Sends a binary frame; errors are ignored because the server may close first.
    pub async fn send_frame(&mut self, frame: Vec<u8>) {
        let _ = self.socket.send(Frame::Binary(frame.into())).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        let _ = self.socket.send(Frame::Text(text.into())).await;
    }

    /// The next protocol frame (pings are skipped), waiting at most 5 s.
    pub async fn recv(&mut self) -> Received {
        self.recv_within(Duration::from_secs(5)).await
    }

    pub async fn recv_within(&mut self, timeout: Duration) -> Received {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let next = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return Received::Nothing,
                Ok(next) => next,
            };
            match next {
                Some(Ok(Frame::Binary(bytes))) => {
                    return match decode(&bytes) {
                        Ok(message) => Received::Message(message),
                        Err(_) => Received::Undecodable(bytes.to_vec()),
                    }
                }
                Some(Ok(Frame::Close(frame))) => {
                    return Received::Closed(frame.map(|f| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => {
                    self.read_error = Some(error.to_string());
                    return Received::Closed(None);
                }
                None => return Received::Closed(None),
            }
        }
    }

    /// Expects an `error` message followed by the server closing the connection; returns the
    /// error's text.
    pub async fn expect_error_and_close(&mut self) -> String {
        let text = match self.recv().await {
            Received::Message(Message::Error { message }) => message,
            other => panic!("expected `error`, got {other:?}"),
        };
        match self.recv().await {
            Received::Closed(_) => text,
            other => panic!("expected the server to close after `error`, got {other:?}"),
        }
    }

    /// A `sync` message for `document` carrying `data`, from this peer to the server.
    pub fn sync_message(&self, document: DocumentId, data: Vec<u8>) -> Message {
        Message::Sync(DocumentMessage {
            sender_id: self.peer_id.clone(),
            target_id: self.server_peer.clone().expect("joined"),
            document_id: document,
            data,
        })
    }

    /// A `request` message for `document` carrying `data`, from this peer to the server.
    pub fn request_message(&self, document: DocumentId, data: Vec<u8>) -> Message {
        Message::Request(DocumentMessage {
            sender_id: self.peer_id.clone(),
            target_id: self.server_peer.clone().expect("joined"),
            document_id: document,
            data,
        })
    }

    /// Syncs `doc` with the server until neither side has more to say.
    pub async fn sync_doc(
        &mut self,
        document: DocumentId,
        doc: &mut Automerge,
        state: &mut sync::State,
    ) {
        let mut wait = Duration::from_millis(500);
        if let Some(message) = doc.generate_sync_message(state) {
            self.send(&self.sync_message(document, message.encode()))
                .await;
            // The first answer may be slow on a busy machine; later ones follow quickly.
            wait = Duration::from_secs(5);
        }
        loop {
            let received = self.recv_within(wait).await;
            wait = Duration::from_millis(500);
            match received {
                Received::Message(Message::Sync(body)) => {
                    let message = sync::Message::decode(&body.data).expect("server sync message");
                    doc.receive_sync_message(state, message)
                        .expect("apply server sync");
                    if let Some(reply) = doc.generate_sync_message(state) {
                        self.send(&self.sync_message(document, reply.encode()))
                            .await;
                    }
                }
                Received::Nothing => return,
                other => panic!("unexpected during sync: {other:?}"),
            }
        }
    }
}
