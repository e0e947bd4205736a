//! The opening handshake (RFC 6455, section 4.2): a request that asks for a WebSocket is
//! answered `101 Switching Protocols`; anything else is refused with what was wrong.

use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use hyper::upgrade::OnUpgrade;
use sha1::{Digest, Sha1};

/// Appended to the client's key before hashing (section 1.3).
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Why a request cannot become a WebSocket.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("a WebSocket is opened with GET over HTTP/1.1")]
    NotGet,
    #[error("the Connection header must include `upgrade`")]
    NoConnectionUpgrade,
    #[error("the Upgrade header must be `websocket`")]
    NotWebSocket,
    #[error("only WebSocket version 13 is supported")]
    UnsupportedVersion,
    #[error("Sec-WebSocket-Key must be 16 bytes in base64")]
    BadKey,
    #[error("this connection cannot be upgraded")]
    NotUpgradable,
}

impl IntoResponse for HandshakeError {
    fn into_response(self) -> Response {
        let status = match self {
            Self::NotGet => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedVersion | Self::NotUpgradable => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut response = status.into_response();
        if self == Self::UnsupportedVersion {
            // Section 4.4: the answer names the versions the server speaks.
            response.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
        }
        response
    }
}

/// An accepted handshake: the answer to send, and the connection once it is sent.
pub struct Accepted {
    pub response: Response,
    pub upgrade: OnUpgrade,
}

/// Checks that `parts` asks for a WebSocket, and prepares the answer.
pub fn accept(parts: &mut Parts) -> Result<Accepted, HandshakeError> {
    if parts.method != Method::GET || parts.version != Version::HTTP_11 {
        return Err(HandshakeError::NotGet);
    }
    let headers = &parts.headers;
    if !has_token(headers, header::CONNECTION, "upgrade") {
        return Err(HandshakeError::NoConnectionUpgrade);
    }
    if !has_token(headers, header::UPGRADE, "websocket") {
        return Err(HandshakeError::NotWebSocket);
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|key| key_is_valid(key.as_bytes()))
        .ok_or(HandshakeError::BadKey)?;
    let accept = accept_key(key.as_bytes());
    let upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(HandshakeError::NotUpgradable)?;
    let response = (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (
                header::SEC_WEBSOCKET_ACCEPT,
                HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
            ),
        ],
    )
        .into_response();
    Ok(Accepted { response, upgrade })
}

/// True if one of the `name` headers lists `token` (comma-separated, any case).
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// A key is 16 random bytes in base64 (section 4.1).
fn key_is_valid(key: &[u8]) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .is_ok_and(|bytes| bytes.len() == 16)
}

/// `Sec-WebSocket-Accept` for a client's key (section 4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}
