//! Health for orchestrators and load balancers: `/healthz` says the process lives and its
//! database answers (restart it otherwise); `/readyz` says it takes traffic now: not before it
//! serves, not once it is shutting down, not while its database does not answer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Whether the server takes traffic; shared by the server's lifecycle and `/readyz`.
#[derive(Default)]
pub struct Readiness(AtomicBool);

impl Readiness {
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// An orchestrator's probe gives up after a few seconds; so do we, and say why.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

async fn database_answers(state: &AppState) -> Result<(), String> {
    match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer within {PING_TIMEOUT:?}")),
    }
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match database_answers(&state).await {
        Ok(()) => "ok\n".into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.readiness.is_ready() {
        return (StatusCode::SERVICE_UNAVAILABLE, "not serving\n").into_response();
    }
    match database_answers(&state).await {
        Ok(()) => "ready\n".into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response(),
    }
}
