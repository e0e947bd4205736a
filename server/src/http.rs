//! The HTTP surface: health and the WebSocket upgrade to `/sync`.

use axum::extract::{State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/sync", get(sync))
        .with_state(state)
}

async fn home() -> &'static str {
    "Agora is running. Sync endpoint: /sync (automerge-repo protocol 1).\n"
}

/// Healthy when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ok\n".into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Bytes each connection reads into at a time. The WebSocket library allocates this buffer up
/// front for every connection (128 KiB by default), which dominated the memory of idle peers;
/// larger frames still arrive whole, in more reads.
const READ_BUFFER_BYTES: usize = 8 * 1024;

async fn sync(upgrade: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let hub = state.sync.clone();
    let limit = hub.limits.max_frame_bytes;
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| crate::sync::serve_connection(socket, hub))
}
