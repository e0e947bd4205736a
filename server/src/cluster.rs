//! Several instances on one PostgreSQL database, behind one load balancer.
//!
//! Every append notifies `document-id:seq:instance` on [`CHUNK_CHANNEL`], and every access change its
//! notice on [`ACCESS_CHANNEL`], in the transaction that makes it. This task listens on one
//! connection of its own and hands both on: an open document reads the log from its last
//! sequence and syncs its peers, the search index rereads the document, and open connections
//! re-check access as they do for changes made here.
//!
//! Notifications are not stored: while the listening connection is down they are lost. So after
//! it is back, the instance catches up: every open document reads whatever the log holds beyond
//! its sequence, every connection re-checks access, and every document stored to since the link
//! dropped is reindexed. A lost notification therefore delays an edit, never loses it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use agora_schema::DocumentId;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio_util::sync::CancellationToken;

use crate::directory::{now_ms, AccessChange, Directory, ACCESS_CHANNEL};
use crate::metrics::{metrics, Channel};
use crate::store::{ChangedDocuments, Seq, Store, CHUNK_CHANNEL};
use crate::sync::DocumentRegistry;

/// The listening connection's `application_name`, so operators (and tests) can tell it apart.
pub const LISTENER_NAME: &str = "agora-listener";
/// Instances' clocks differ a little; documents stored this long before the link dropped are
/// reindexed too.
const CLOCK_MARGIN_MS: i64 = 60_000;
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MOST: Duration = Duration::from_secs(5);

/// Whom the notices concern on this instance.
pub struct Cluster {
    /// This instance's tag in chunk notices ([`crate::store::SqlStore::instance`]): its own
    /// appends are known here already.
    pub instance: String,
    pub documents: DocumentRegistry,
    pub directory: Directory,
    pub store: Arc<dyn Store>,
    pub changed: Arc<ChangedDocuments>,
}

pub struct ClusterListener {
    listener: PgListener,
    cluster: Cluster,
}

impl ClusterListener {
    /// Connects and listens; call it before the instance serves, so that nothing stored after
    /// the instance read a document can pass unheard.
    pub async fn connect(url: &str, cluster: Cluster) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.application_name(LISTENER_NAME);
        // The pool is how the listener reconnects: one connection, no idle timeouts.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen_all([CHUNK_CHANNEL, ACCESS_CHANNEL]).await?;
        Ok(Self { listener, cluster })
    }

    /// Hands notices on until `stop`.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut lost_since: Option<i64> = None;
        let mut retry = RETRY_FIRST;
        loop {
            let received = tokio::select! {
                received = self.listener.try_recv() => received,
                () = stop.cancelled() => return,
            };
            match received {
                Ok(Some(notice)) => {
                    retry = RETRY_FIRST;
                    self.handle(notice.channel(), notice.payload());
                }
                // The connection dropped and the listener has made a new one.
                Ok(None) => {
                    let since = lost_since.take().unwrap_or_else(now_ms);
                    tracing::warn!("the link to the other instances was lost; catching up");
                    self.catch_up(since).await;
                }
                Err(error) => {
                    tracing::warn!(%error, "the link to the other instances failed; retrying");
                    lost_since.get_or_insert_with(now_ms);
                    tokio::select! {
                        () = tokio::time::sleep(retry) => {}
                        () = stop.cancelled() => return,
                    }
                    retry = (retry * 2).min(RETRY_MOST);
                    // Listening again reconnects if the connection is gone, so the catch-up
                    // follows the reconnect at once rather than the next notice.
                    if self.listener.listen(CHUNK_CHANNEL).await.is_ok() {
                        if let Some(since) = lost_since.take() {
                            tracing::info!("the link to the other instances is back; catching up");
                            self.catch_up(since).await;
                        }
                    }
                }
            }
        }
    }

    fn handle(&self, channel: &str, payload: &str) {
        if channel == CHUNK_CHANNEL {
            metrics().count_notice(Channel::Chunk);
            match parse_chunk(payload) {
                // This instance's own append: its actor and its indexer know of it already.
                Some((_, _, from)) if from == self.cluster.instance => {}
                Some((id, seq, _)) => {
                    self.cluster.documents.tell_stored(id, Some(seq));
                    self.cluster.changed.mark(id);
                }
                None => tracing::warn!(payload, "a chunk notice that makes no sense"),
            }
        } else if channel == ACCESS_CHANNEL {
            metrics().count_notice(Channel::Access);
            match payload.parse::<AccessChange>() {
                Ok(change) => self.cluster.directory.announce_here(change),
                Err(error) => tracing::warn!(%error, "an access notice that makes no sense"),
            }
        }
    }

    async fn catch_up(&self, lost_at: i64) {
        metrics().cluster_catch_ups.inc();
        self.cluster.documents.tell_all_stored();
        self.cluster
            .directory
            .announce_here(AccessChange::Everything);
        match self
            .cluster
            .store
            .changed_since(lost_at - CLOCK_MARGIN_MS)
            .await
        {
            Ok(ids) => {
                for id in ids {
                    self.cluster.changed.mark(id);
                }
            }
            Err(error) => tracing::error!(%error, "cannot tell which documents to reindex"),
        }
    }
}

/// `document-id:seq:instance`.
fn parse_chunk(payload: &str) -> Option<(DocumentId, Seq, &str)> {
    let mut parts = payload.splitn(3, ':');
    let (id, seq, from) = (parts.next()?, parts.next()?, parts.next()?);
    Some((id.parse().ok()?, seq.parse().ok()?, from))
}
