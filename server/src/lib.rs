//! The Agora server.
//!
//! Layout:
//! - `config`: the command line and `AGORA_*` environment, validated at start-up.
//! - `allocator`: glibc's allocator set to hand freed memory back.
//! - `admin`: `agora admin …`: accounts, organisations and tokens from the command line.
//! - `auth`: who is asking: session cookie or API token.
//! - `backup`: `agora backup` and `agora restore`: the whole database in one SQLite file.
//! - `cluster`: several instances on one PostgreSQL: changes and access notices between them.
//! - `database`: the SQL database (SQLite in the data folder, or PostgreSQL) and its migrations.
//! - `directory`: accounts, organisations, teams, roles, grants, invitations, audit log.
//! - `http`: pages (askama), the JSON API, health, and the `/sync` WebSocket upgrade.
//! - `i18n`: German, Danish and English texts (Fluent).
//! - `metrics`: Prometheus metrics, served on an address of their own.
//! - `search`: the search index (tantivy): analysis per language, access-filtered queries.
//! - `secret_files`: `AGORA_*_FILE`: secrets handed over as files (Docker, Kubernetes).
//! - `statements`: the shape of statement documents.
//! - `store`: durable documents (snapshot + chunk log) behind the `Store` interface; SQLite.
//! - `sync`: the automerge-repo protocol: connection tasks, one actor per open document.
//! - `websocket`: the server's side of a WebSocket: handshake and frames, no idle buffers.
//! - `web_client`: the browser client (`client/web`), built by `build.rs` and embedded.
//!
//! `main.rs` is thin: it parses the configuration and calls [`run`], which tests call too, on a
//! port-0 listener with their own shutdown signal.

pub mod admin;
pub mod allocator;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod config;
pub mod database;
pub mod directory;
pub mod http;
pub mod i18n;
pub mod metrics;
pub mod search;
pub mod secret_files;
pub mod statements;
pub mod store;
pub mod sync;
pub mod web_client;
pub mod websocket;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::cluster::{Cluster, ClusterListener};
use crate::config::ServeConfig;
use crate::database::{Database, Location};
use crate::directory::Directory;
use crate::http::health::Readiness;
use crate::http::security::WebContext;
use crate::http::throttle::LoginThrottle;
use crate::search::indexer::Indexer;
use crate::search::SearchIndex;
use crate::store::{ChangedDocuments, SqlStore, Store, WatchedStore};
use crate::sync::SyncHub;
use agora_schema::PeerId;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub directory: Directory,
    pub sync: Arc<SyncHub>,
    pub web: Arc<WebContext>,
    pub search: SearchIndex,
    /// Whether `/readyz` says this instance takes traffic.
    pub readiness: Arc<Readiness>,
}

/// How long shutdown waits for connections to say goodbye.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// An opened server: its store is ready and its state can be inspected before and while it
/// serves.
pub struct Server {
    state: AppState,
    stop: CancellationToken,
    /// Documents whose content changed, for the search indexer.
    changed: Arc<ChangedDocuments>,
    /// The search index was created afresh and must be filled from the store.
    search_is_new: bool,
    /// On PostgreSQL: what the other instances store and change, heard here.
    cluster: Option<ClusterListener>,
    /// Where `/metrics` is served, if anywhere (bound at open, so a wrong address fails early).
    metrics: Option<TcpListener>,
}

/// The search index's folder inside the data folder.
pub const SEARCH_FOLDER: &str = "search";

impl Server {
    /// Validates the configuration and opens the store.
    pub async fn open(config: &ServeConfig) -> anyhow::Result<Self> {
        let limits = config.limits.validate().map_err(anyhow::Error::msg)?;
        let public_origin = config.web.public_origin().map_err(anyhow::Error::msg)?;
        let attempts = std::num::NonZeroU32::new(config.web.login_attempts_per_minute)
            .ok_or_else(|| anyhow::anyhow!("--login-attempts-per-minute must be at least 1"))?;
        let location = config.storage.database();
        let database = Database::open(&location).await?;
        let directory = Directory::new(&database);
        let changed = Arc::new(ChangedDocuments::default());
        let sql = SqlStore::new(database);
        let instance = sql.instance().to_owned();
        let store: Arc<dyn Store> = Arc::new(WatchedStore::new(Arc::new(sql), changed.clone()));
        let metrics = match config.metrics_listen {
            Some(address) => Some(TcpListener::bind(address).await.map_err(|error| {
                anyhow::anyhow!("cannot listen for metrics on {address}: {error}")
            })?),
            None => None,
        };
        let search_folder = config.storage.data.join(SEARCH_FOLDER);
        let (search, search_is_new) = SearchIndex::open(&search_folder)?;
        admin::create_first_admin(&directory, &config.web).await?;
        // A new installation without an administrator is set up in the browser, through a link
        // only the operator sees (in the log).
        let setup_code = (directory.account_count().await? == 0).then(|| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
        });
        let web = WebContext {
            csrf_key: directory.installation_secret("csrf").await?,
            default_language: config.web.default_language,
            secure_cookies: public_origin
                .as_deref()
                .is_some_and(|o| o.starts_with("https://")),
            public_origin,
            trust_proxy: config.web.trust_proxy,
            login_throttle: LoginThrottle::new(attempts),
            setup_code: std::sync::Mutex::new(setup_code),
        };
        let storage_id = store.storage_id().await?;
        let server_peer = match &location {
            // Stable across restarts, so reconnecting peers see the same server.
            Location::Sqlite { .. } => format!("agora-{}", &storage_id[..8.min(storage_id.len())]),
            // Instances share the storage id; each needs a peer id of its own.
            Location::Postgres { .. } => format!(
                "agora-{}-{:08x}",
                &storage_id[..8.min(storage_id.len())],
                rand::random::<u32>()
            ),
        };
        let stop = CancellationToken::new();
        let sync = Arc::new(SyncHub::new(
            store.clone(),
            directory.clone(),
            limits,
            PeerId::new(server_peer),
            storage_id,
            stop.clone(),
        ));
        let cluster = match &location {
            Location::Sqlite { .. } => None,
            Location::Postgres { url } => {
                let cluster = Cluster {
                    instance,
                    documents: sync.documents.clone(),
                    directory: directory.clone(),
                    store: store.clone(),
                    changed: changed.clone(),
                };
                Some(ClusterListener::connect(url, cluster).await?)
            }
        };
        Ok(Self {
            state: AppState {
                store,
                directory,
                sync,
                web: Arc::new(web),
                search,
                readiness: Arc::default(),
            },
            stop,
            changed,
            search_is_new,
            cluster,
            metrics,
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
        let address = listener.local_addr()?;
        tracing::info!(%address, "Agora is listening");
        let setup_code = self
            .state
            .web
            .setup_code
            .lock()
            .expect("setup lock")
            .clone();
        if let Some(code) = setup_code {
            let base = match &self.state.web.public_origin {
                Some(origin) => origin.clone(),
                None => format!("http://{address}"),
            };
            tracing::warn!(
                "no account exists yet: create the first administrator at {base}/setup/{code}"
            );
        }
        let rebuild = if self.search_is_new {
            Some(self.state.store.document_ids().await?)
        } else {
            None
        };
        let indexer = Indexer {
            index: self.state.search.clone(),
            store: self.state.store.clone(),
            changed: self.changed.clone(),
            documents: self.state.sync.documents.clone(),
            directory: self.state.directory.clone(),
        };
        let indexer = tokio::spawn(indexer.run(rebuild, self.stop.clone()));
        if let Some(cluster) = self.cluster {
            tokio::spawn(cluster.run(self.stop.clone()));
        }
        if let Some(listener) = self.metrics {
            tracing::info!(address = %listener.local_addr()?, "metrics at /metrics");
            tokio::spawn(metrics::serve(listener, self.stop.clone()));
        }
        let stop = self.stop.clone();
        let readiness = self.state.readiness.clone();
        let app = http::router(self.state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        readiness.set(true);
        // Sync messages are small and each one is awaited by someone: without this, a message
        // after an unacknowledged one waits for the peer's delayed ACK (tens of milliseconds).
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "could not turn off Nagle's algorithm");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                readiness.set(false);
                stop.cancel();
            })
            .await?;

        // Connections close themselves once `stop` is cancelled; every change they delivered
        // was stored before it was acknowledged.
        let connections = &self.state.sync.connections;
        connections.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
            .await
            .is_err()
        {
            tracing::warn!("some connections did not close in time");
        }
        // The indexer writes what it has gathered before it stops.
        if tokio::time::timeout(SHUTDOWN_GRACE, indexer).await.is_err() {
            tracing::warn!("the search index did not finish its last batch in time");
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
    tracing::info!(data = %config.storage.data.display(), "opening the data folder");
    Server::open(&config).await?.serve(listener, shutdown).await
}
