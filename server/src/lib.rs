//! The Agora server.
//!
//! Layout:
//! - `config`: the command line and `AGORA_*` environment, validated at start-up.
//! - `http`: the router: health and the `/sync` WebSocket upgrade.
//! - `store`: durable documents (snapshot + chunk log) behind the `Store` interface; SQLite.
//! - `sync`: the automerge-repo protocol: connection tasks, one actor per open document.
//!
//! `main.rs` is thin: it parses the configuration and calls [`run`], which tests call too, on a
//! port-0 listener with their own shutdown signal.

pub mod config;
pub mod http;
pub mod store;
pub mod sync;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::ServeConfig;
use crate::store::{SqliteStore, Store};
use crate::sync::SyncHub;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub sync: SyncHub,
}

/// How long shutdown waits for connections to say goodbye.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An opened server: its store is ready and its state can be inspected before and while it
/// serves.
pub struct Server {
    state: AppState,
    stop: CancellationToken,
}

impl Server {
    /// Validates the configuration and opens the store.
    pub async fn open(config: &ServeConfig) -> anyhow::Result<Self> {
        let limits = config.limits.validate().map_err(anyhow::Error::msg)?;
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(&config.data, config.sqlite_synchronous).await?);
        let storage_id = store.storage_id().await?;
        let stop = CancellationToken::new();
        let sync = SyncHub::new(store.clone(), limits, storage_id, stop.clone());
        Ok(Self {
            state: AppState { store, sync },
            stop,
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves on `listener` until `shutdown` resolves, then closes every connection.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %listener.local_addr()?, "Agora is listening");
        let stop = self.stop.clone();
        axum::serve(listener, http::router(self.state.clone()))
            .with_graceful_shutdown(async move {
                shutdown.await;
                stop.cancel();
            })
            .await?;

        // Connections close themselves once `stop` is cancelled; every change they delivered
        // was stored before it was acknowledged, so there is nothing else to flush.
        let connections = &self.state.sync.connections;
        connections.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        self.state.store.close().await;
        Ok(())
    }
}

/// Opens the store and serves on `listener` until `shutdown` resolves.
pub async fn run(
    config: ServeConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tracing::info!(data = %config.data.display(), "opening the data folder");
    Server::open(&config).await?.serve(listener, shutdown).await
}
