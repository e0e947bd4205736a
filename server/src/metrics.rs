//! Prometheus metrics: what an operator watches. One set per process, served at `/metrics` on
//! an address of its own (`--metrics-listen`), so it never faces the public.

use std::sync::OnceLock;
use std::time::Instant;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// An enum of label values, written in lower case as Prometheus labels are.
macro_rules! label_values {
    ($name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        #[derive(Clone, Debug, Hash, PartialEq, Eq)]
        pub enum $name {
            $($variant),*
        }

        impl EncodeLabelValue for $name {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                let text = match self {
                    $(Self::$variant => $text),*
                };
                EncodeLabelValue::encode(&text, encoder)
            }
        }
    };
}

label_values!(Direction { In => "in", Out => "out" });
label_values!(Limit {
    ConnectionsPerAccount => "connections_per_account",
    MessagesPerSecond => "messages_per_second",
    DocumentsPerConnection => "documents_per_connection",
});
label_values!(Channel { Chunk => "chunk", Access => "access" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DirectionLabel {
    pub direction: Direction,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LimitLabel {
    pub limit: Limit,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabel {
    pub channel: Channel,
}

pub struct Metrics {
    /// Open `/sync` connections.
    pub connections: Gauge,
    /// Open `/sync` connections resting without a task.
    pub resting_connections: Gauge,
    /// Documents held in memory by an actor.
    pub open_documents: Gauge,
    /// Protocol messages read from and written to peers. Each labelled counter is looked up
    /// once, here, not on every message.
    sync_messages: Family<DirectionLabel, Counter>,
    messages_in: Counter,
    messages_out: Counter,
    /// Chunks appended to the change log, and how long each append took to be durable.
    pub log_appends: Counter,
    pub log_append_seconds: Histogram,
    /// Transactions that stored appends; appends that arrive together share one.
    pub log_commits: Counter,
    /// How long a document actor took for one batch of messages, storing included.
    pub sync_batch_seconds: Histogram,
    pub search_seconds: Histogram,
    /// Notices heard from other instances, and catch-ups after the link to them was lost.
    cluster_notices: Family<ChannelLabel, Counter>,
    chunk_notices: Counter,
    access_notices: Counter,
    pub cluster_catch_ups: Counter,
    /// Requests and connections refused because a limit was reached.
    pub refused: Family<LimitLabel, Counter>,
    registry: Registry,
}

/// Seconds from 0.1 ms to about 6.5 s, in doublings.
fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0001, 2.0, 17)
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("agora");
        let sync_messages = Family::<DirectionLabel, Counter>::default();
        let counter = |direction| {
            sync_messages
                .get_or_create(&DirectionLabel { direction })
                .clone()
        };
        let (messages_in, messages_out) = (counter(Direction::In), counter(Direction::Out));
        let cluster_notices = Family::<ChannelLabel, Counter>::default();
        let counter = |channel| {
            cluster_notices
                .get_or_create(&ChannelLabel { channel })
                .clone()
        };
        let (chunk_notices, access_notices) = (counter(Channel::Chunk), counter(Channel::Access));
        let metrics = Self {
            connections: Gauge::default(),
            resting_connections: Gauge::default(),
            open_documents: Gauge::default(),
            sync_messages,
            messages_in,
            messages_out,
            log_appends: Counter::default(),
            log_append_seconds: Histogram::new(latency_buckets()),
            log_commits: Counter::default(),
            sync_batch_seconds: Histogram::new(latency_buckets()),
            search_seconds: Histogram::new(latency_buckets()),
            cluster_notices,
            chunk_notices,
            access_notices,
            cluster_catch_ups: Counter::default(),
            refused: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connections",
            "Open sync connections",
            metrics.connections.clone(),
        );
        registry.register(
            "resting_connections",
            "Open sync connections resting without a task until their peer or a message wakes them",
            metrics.resting_connections.clone(),
        );
        registry.register(
            "open_documents",
            "Documents held in memory",
            metrics.open_documents.clone(),
        );
        registry.register(
            "sync_messages",
            "Protocol messages from and to peers",
            metrics.sync_messages.clone(),
        );
        registry.register(
            "log_appends",
            "Chunks appended to the change log",
            metrics.log_appends.clone(),
        );
        registry.register(
            "log_append_seconds",
            "Time for an append to become durable",
            metrics.log_append_seconds.clone(),
        );
        registry.register(
            "log_commits",
            "Transactions that stored appended chunks; appends that arrive together share one",
            metrics.log_commits.clone(),
        );
        registry.register(
            "sync_batch_seconds",
            "Time a document took for one batch of messages, storing included",
            metrics.sync_batch_seconds.clone(),
        );
        registry.register(
            "search_seconds",
            "Time to answer a search",
            metrics.search_seconds.clone(),
        );
        registry.register(
            "cluster_notices",
            "Notices heard from other instances",
            metrics.cluster_notices.clone(),
        );
        registry.register(
            "cluster_catch_ups",
            "Catch-ups after the link to other instances was lost",
            metrics.cluster_catch_ups.clone(),
        );
        registry.register(
            "refused",
            "Requests and connections refused at a limit",
            metrics.refused.clone(),
        );
        Self {
            registry,
            ..metrics
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    pub fn count_message(&self, direction: Direction) {
        match direction {
            Direction::In => self.messages_in.inc(),
            Direction::Out => self.messages_out.inc(),
        };
    }

    pub fn count_notice(&self, channel: Channel) {
        match channel {
            Channel::Chunk => self.chunk_notices.inc(),
            Channel::Access => self.access_notices.inc(),
        };
    }

    pub fn count_refusal(&self, limit: Limit) {
        self.refused.get_or_create(&LimitLabel { limit }).inc();
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Seconds since `started`, for a histogram.
pub fn seconds_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Counts itself in a gauge while it lives.
pub struct GaugeGuard(&'static Gauge);

impl GaugeGuard {
    pub fn new(gauge: &'static Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Serves `/metrics` until `stop`.
pub async fn serve(listener: TcpListener, stop: CancellationToken) {
    let app = Router::new().route(
        "/metrics",
        get(|| async {
            (
                [(
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                metrics().encode(),
            )
                .into_response()
        }),
    );
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
    {
        tracing::error!(%error, "the metrics endpoint failed");
    }
}
