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
/// buffer up front for every connection and keeps it (128 KiB by default), so it is a large
/// part of an idle peer's memory. A `request` or an acknowledgement is a few hundred bytes; a
/// larger frame grows the buffer to its own size and arrives whole, in more reads.
const READ_BUFFER_BYTES: usize = 512;
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
    let session = Box::new((hub, principal, admitted));
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| {
            // The connection's state is one allocation of its own size; the upgrade task that
            // runs it for the connection's life keeps only pointers.
            let (hub, principal, admitted) = *session;
            let serving = Box::pin(crate::sync::serve_connection(socket, hub, principal));
            async move {
                serving.await;
                drop(admitted);
            }
        })
}
