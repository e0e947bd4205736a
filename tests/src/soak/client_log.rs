//! What the clients in this process log: a tracing layer that counts the `agora_client` crate's
//! events by level and message, so the run can tell expected complaints (a connection lost while
//! the server restarts) from unexpected ones, as it does for the server's log.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use super::tally::lock;

const CLIENT_CRATE: &str = "agora_client";

/// A kind of event: its level and message.
pub type Kind = (Level, String);

#[derive(Default)]
pub struct ClientLog {
    counts: Mutex<BTreeMap<Kind, u64>>,
    /// The fields of the first event of each kind, to show with an unexplained one.
    examples: Mutex<BTreeMap<Kind, String>>,
}

static CLIENT_LOG: OnceLock<Result<&'static ClientLog, String>> = OnceLock::new();

impl ClientLog {
    /// The counting layer, installed as this process's tracing subscriber on first use.
    pub fn installed() -> anyhow::Result<&'static ClientLog> {
        let log = CLIENT_LOG.get_or_init(|| {
            let log: &'static ClientLog = Box::leak(Box::default());
            let filter = Targets::new().with_target(CLIENT_CRATE, Level::DEBUG);
            let subscriber = tracing_subscriber::registry().with(Counting(log).with_filter(filter));
            tracing::subscriber::set_global_default(subscriber)
                .map(|()| log)
                .map_err(|e| format!("cannot count the clients' log lines: {e}"))
        });
        log.clone().map_err(anyhow::Error::msg)
    }

    pub fn counts(&self) -> BTreeMap<Kind, u64> {
        lock(&self.counts).clone()
    }

    pub fn example(&self, kind: &Kind) -> Option<String> {
        lock(&self.examples).get(kind).cloned()
    }
}

/// Counts since an earlier `counts()`.
pub fn since(now: &BTreeMap<Kind, u64>, before: &BTreeMap<Kind, u64>) -> BTreeMap<Kind, u64> {
    now.iter()
        .map(|(kind, count)| (kind.clone(), count - before.get(kind).copied().unwrap_or(0)))
        .filter(|(_, count)| *count > 0)
        .collect()
}

struct Counting(&'static ClientLog);

impl<S: Subscriber> Layer<S> for Counting {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let kind = (*event.metadata().level(), fields.message);
        *lock(&self.0.counts).entry(kind.clone()).or_default() += 1;
        lock(&self.0.examples).entry(kind).or_insert(fields.rest);
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            let _ = write!(self.rest, "{}={value:?} ", field.name());
        }
    }
}
