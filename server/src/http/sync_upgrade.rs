//! The WebSocket upgrade to `/sync`: only for a signed-in account (session cookie or API
//! token) from an allowed origin.

use axum::extract::State;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;

use super::error::{ErrorMessage, HttpError};
use super::security::request_origin_allowed;
use crate::auth::{authenticate, Accept};
use crate::metrics::{metrics, Limit};
use crate::websocket::handshake::{self, HandshakeError};
use crate::websocket::WebSocket;
use crate::AppState;

pub async fn sync(State(state): State<AppState>, mut parts: Parts) -> Response {
    // A request that is no WebSocket upgrade learns that before anything else.
    let accepted = match handshake::accept(&mut parts) {
        Ok(accepted) => accepted,
        Err(refused) => return refuse_handshake(refused),
    };
    if !request_origin_allowed(&parts, &state.web) {
        return HttpError::CsrfRefused.into_response();
    }
    let principal = match authenticate(&state.directory, &parts, Accept::Anything).await {
        Ok(Some(principal)) => principal,
        Ok(None) => return HttpError::SignInRequired.into_response(),
        Err(error) => return HttpError::from(error).into_response(),
    };
    let hub = state.sync.clone();
    let account = principal.account.account_id;
    let Some(admitted) = hub
        .per_account
        .admit(account, hub.limits.max_connections_per_account)
    else {
        metrics().count_refusal(Limit::ConnectionsPerAccount);
        return HttpError::TooManyConnections.into_response();
    };
    // The connection runs in a task of its own. What the task captures stays in it for the
    // connection's life, so it captures one pointer; the state is built from it once upgraded.
    let session = Box::new((accepted.upgrade, hub, principal, admitted));
    tokio::spawn(async move {
        let (upgrade, hub, principal, admitted) = *session;
        match upgrade.await {
            Ok(upgraded) => {
                let limit = hub.limits.max_frame_bytes;
                let socket = WebSocket::new(TokioIo::new(upgraded), limit);
                crate::sync::serve_connection(socket, hub, principal, admitted).await;
            }
            Err(error) => tracing::debug!(%error, "the WebSocket upgrade failed"),
        }
    });
    accepted.response
}

/// Answers a request that asks for no WebSocket; the page lists what the handshake needs.
fn refuse_handshake(refused: HandshakeError) -> Response {
    tracing::debug!(%refused, "not a WebSocket upgrade");
    let mut response = refused.into_response();
    response.extensions_mut().insert(ErrorMessage {
        key: "error-websocket-handshake",
    });
    response
}
