//! The registry's promise that no command is lost while an idle actor stops.

use std::time::Duration;

use super::*;
use crate::config::LimitsConfig;
use crate::database::{Database, Location, Synchronous};
use crate::store::SqlStore;

/// A command whose sender took its inbox slot just before the actor decided it was idle, and
/// put the command in only after the actor closed its inbox, still reaches an actor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sent_while_an_idle_actor_stops_reaches_the_next_actor() {
    let data = tempfile::tempdir().unwrap();
    let location = Location::new(data.path(), None, Synchronous::Normal);
    let store = Arc::new(SqlStore::new(Database::open(&location).await.unwrap()));
    let limits = SyncLimits {
        idle_unload: Duration::from_millis(20),
        ..LimitsConfig::defaults()
    };
    let registry = DocumentRegistry::new(store, Arc::new(limits), PeerId::new("server"));
    let id = DocumentId::random();

    let inbox = registry.inbox(id);
    let slot = inbox.reserve().await.unwrap();
    // The actor sees an empty inbox, gives up its entry and closes its inbox.
    for _ in 0..500 {
        if registry.open_count() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(registry.open_count(), 0, "the idle actor never stopped");

    let (reply, answer) = oneshot::channel();
    slot.send(DocumentCommand::Read {
        read: Box::new(move |doc: Option<&Automerge>| {
            let _ = reply.send(doc.is_none());
        }),
    });
    let answered = tokio::time::timeout(Duration::from_secs(10), answer).await;
    assert!(
        matches!(answered, Ok(Ok(true))),
        "the command was lost: {answered:?}"
    );
}
