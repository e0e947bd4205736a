//! The WebSocket upgrade to `/sync`: only for a signed-in account (session cookie or API
//! token) from an allowed origin.

use axum::extract::{State, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::HttpError;
use super::security::request_origin_allowed;
use crate::auth::{authenticate, Accept};
use crate::metrics::{metrics, Limit};
use crate::AppState;

/// Bytes each connection reads into at a time. The WebSocket library allocates and fills this
/// buffer up front for every connection and keeps it (128 KiB by default), so it is most of an
/// idle peer's memory. A sync message while typing is a few hundred bytes; a larger frame gets
/// a buffer of its own size and arrives whole, in more reads.
const READ_BUFFER_BYTES: usize = 1024;
/// Bytes of outgoing frames gathered before they are written. The library keeps its write
/// buffer at the largest size it ever reached, for as long as the connection lasts; at zero
/// every frame is written as it comes, so the buffer holds one frame, not a burst's worth
/// (128 KiB by default).
const WRITE_BUFFER_BYTES: usize = 0;

pub async fn sync(
    State(state): State<AppState>,
    parts: Parts,
    upgrade: WebSocketUpgrade,
) -> Response {
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
    let limit = hub.limits.max_frame_bytes;
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move {
            // Boxed, so the connection's state is one allocation of its own size and not also
            // laid out again inside the upgrade task's future.
            Box::pin(crate::sync::serve_connection(socket, hub, principal)).await;
            drop(admitted);
        })
}
