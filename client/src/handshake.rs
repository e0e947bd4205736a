//! Opening a socket and the `join` → `peer` handshake of protocol "1".

use std::time::Duration;

use agora_schema::{JoinMessage, Message, PeerId, PeerMetadata, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::ClientError;

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A socket on which the server has accepted our `join`.
pub(crate) struct Joined {
    pub socket: Socket,
    pub server_peer_id: PeerId,
}

/// Bytes a connection reads into at a time. The WebSocket library allocates this buffer up
/// front (128 KiB by default), which adds up for programs that hold many connections.
const READ_BUFFER_BYTES: usize = 8 * 1024;

/// Connects and joins, all within `timeout`.
pub(crate) async fn connect_and_join(
    url: &str,
    token: Option<&str>,
    peer_id: &PeerId,
    timeout: Duration,
) -> Result<Joined, ClientError> {
    let invalid = |reason: String| ClientError::InvalidUrl {
        url: url.to_owned(),
        reason,
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| invalid(e.to_string()))?;
    if let Some(token) = token {
        // In a header rather than the URL, so proxies and logs never see it.
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| invalid("the token holds characters a header cannot carry".into()))?;
        request.headers_mut().insert("authorization", value);
    }
    let attempt = async {
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
        // Nagle off, as browsers have it: a keystroke is a small frame that must go at once, not
        // wait for the server's delayed ACK of the previous one (up to 40 ms on Linux).
        let disable_nagle = true;
        let (socket, _response) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), disable_nagle)
                .await
                .map_err(|e| ClientError::Connect {
                    url: url.to_owned(),
                    reason: connect_failure(&e),
                })?;
        join(socket, peer_id).await
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ClientError::Timeout {
            after: timeout,
            what: "the server to accept our join",
        })?
}

/// Why the server would not open the socket, in words that say what to do.
fn connect_failure(error: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match error {
        Error::Http(response) if response.status() == 401 => {
            "the server wants a valid API token (--token or AGORA_TOKEN)".to_owned()
        }
        Error::Http(response) if response.status() == 403 => {
            "the server refused this origin".to_owned()
        }
        other => other.to_string(),
    }
}

async fn join(mut socket: Socket, peer_id: &PeerId) -> Result<Joined, ClientError> {
    let join = Message::Join(JoinMessage {
        sender_id: peer_id.clone(),
        // No storage: the server should not keep sync state for us between connections.
        peer_metadata: PeerMetadata {
            storage_id: None,
            is_ephemeral: true,
        },
        supported_protocol_versions: Some(vec![PROTOCOL_VERSION.to_owned()]),
    });
    socket
        .send(tungstenite::Message::Binary(
            agora_schema::encode(&join).into(),
        ))
        .await
        .map_err(|e| ClientError::Protocol(format!("sending join: {e}")))?;

    // The reply is the first binary frame; pings before it are answered by tungstenite.
    while let Some(frame) = socket.next().await {
        let frame = frame.map_err(|e| ClientError::Protocol(format!("during handshake: {e}")))?;
        let bytes = match frame {
            tungstenite::Message::Binary(bytes) => bytes,
            tungstenite::Message::Close(_) => break,
            _ => continue,
        };
        return match agora_schema::decode(&bytes) {
            Ok(Message::Peer(peer)) if peer.selected_protocol_version != PROTOCOL_VERSION => Err(
                ClientError::UnsupportedVersion(peer.selected_protocol_version),
            ),
            Ok(Message::Peer(peer)) if peer.target_id != *peer_id => Err(ClientError::Protocol(
                format!("the `peer` reply is addressed to {}", peer.target_id),
            )),
            Ok(Message::Peer(peer)) => Ok(Joined {
                socket,
                server_peer_id: peer.sender_id,
            }),
            Ok(Message::Error { message }) => Err(ClientError::Rejected(message)),
            Ok(other) => Err(ClientError::Protocol(format!(
                "expected `peer`, got `{}`",
                other.kind()
            ))),
            Err(e) => Err(ClientError::Protocol(format!("undecodable reply: {e}"))),
        };
    }
    Err(ClientError::Protocol(
        "the server closed the connection during the handshake".to_owned(),
    ))
}
