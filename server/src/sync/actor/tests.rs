//! The actor's promises, checked against the real store on SQLite.

use super::*;
use crate::database::{Database, Location, Synchronous};
use crate::store::{SqlStore, StoredDocument};
use agora_schema::decode;
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::StoreError;

/// The real store, with a switch that makes appends fail as a full disk would.
struct FailingStore {
    inner: SqlStore,
    fail_appends: AtomicBool,
}

#[async_trait::async_trait]
impl Store for FailingStore {
    async fn load_since(
        &self,
        id: DocumentId,
        after: Seq,
    ) -> Result<Option<StoredDocument>, StoreError> {
        self.inner.load_since(id, after).await
    }
    async fn append(&self, id: DocumentId, changes: &[u8]) -> Result<Seq, StoreError> {
        if self.fail_appends.load(Ordering::SeqCst) {
            return Err(StoreError::DataFolder(std::io::Error::other("disk full")));
        }
        self.inner.append(id, changes).await
    }
    async fn compact(
        &self,
        id: DocumentId,
        snapshot: &[u8],
        covers: Seq,
    ) -> Result<(), StoreError> {
        self.inner.compact(id, snapshot, covers).await
    }
    async fn document_ids(&self) -> Result<Vec<DocumentId>, StoreError> {
        self.inner.document_ids().await
    }

    async fn changed_since(&self, since: i64) -> Result<Vec<DocumentId>, StoreError> {
        self.inner.changed_since(since).await
    }
    async fn storage_id(&self) -> Result<String, StoreError> {
        self.inner.storage_id().await
    }
    async fn contains(&self, id: DocumentId) -> Result<bool, StoreError> {
        self.inner.contains(id).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn close(&self) {
        self.inner.close().await
    }
}

struct Harness {
    actor: DocumentActor,
    store: Arc<FailingStore>,
    link: PeerLink,
    frames: Arc<Outbox>,
    _data: tempfile::TempDir,
}

fn link(connection: ConnectionId) -> (PeerLink, Arc<Outbox>) {
    let outbox = Outbox::new(16);
    let peer_id = PeerId::new(format!("peer-{connection}"));
    (
        PeerLink {
            connection,
            peer_id,
            outbox: outbox.clone(),
        },
        outbox,
    )
}

async fn harness() -> Harness {
    let data = tempfile::tempdir().unwrap();
    let location = Location::new(data.path(), None, Synchronous::Normal);
    let inner = SqlStore::new(Database::open(&location).await.unwrap());
    let store = Arc::new(FailingStore {
        inner,
        fail_appends: AtomicBool::new(false),
    });
    let actor = DocumentActor::new(
        DocumentId::random(),
        store.clone(),
        Arc::new(crate::config::LimitsConfig::defaults()),
        PeerId::new("server"),
    );
    let (link, frames) = link(1);
    Harness {
        actor,
        store,
        link,
        frames,
        _data: data,
    }
}

fn document_with_text(text: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    let body = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
    tx.splice_text(&body, 0, 0, text).unwrap();
    tx.commit();
    doc
}

impl Harness {
    fn sync(&self, message: &sync::Message) -> DocumentCommand {
        DocumentCommand::Sync {
            from: self.link.clone(),
            data: message.clone().encode(),
            is_request: false,
            may_write: true,
        }
    }

    /// The sync messages the actor sent, in order.
    fn sent(&mut self) -> Vec<sync::Message> {
        let mut sent = Vec::new();
        while let Some(frame) = self.frames.pop() {
            if let Ok(Message::Sync(body)) = decode(&frame) {
                sent.push(sync::Message::decode(&body.data).unwrap());
            }
        }
        sent
    }
}

/// A peer learns that its changes are stored only from our heads. When its message with
/// changes and one that merely states the same heads arrive in one batch, automerge
/// concludes the peer knows everything; the actor must tell it all the same.
/// Introduces `doc` to the actor and returns the message that carries its changes.
async fn changes_for_actor(
    h: &mut Harness,
    doc: &mut Automerge,
    state: &mut sync::State,
) -> sync::Message {
    // The first message only introduces our heads; the actor answers with what it needs.
    let hello = doc.generate_sync_message(state).unwrap();
    assert!(h.actor.handle_batch(vec![h.sync(&hello)]).await);
    for answer in h.sent() {
        doc.receive_sync_message(state, answer).unwrap();
    }
    let with_changes = doc.generate_sync_message(state).unwrap();
    assert!(!with_changes.changes.is_empty());
    with_changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_hears_our_heads_after_its_changes_even_within_one_batch() {
    let mut h = harness().await;
    let mut doc = document_with_text("Grundsätze");
    let mut state = sync::State::new();
    let with_changes = changes_for_actor(&mut h, &mut doc, &mut state).await;
    let heads_only = sync::Message {
        changes: sync::ChunkList::empty(),
        ..with_changes.clone()
    };

    let batch = vec![h.sync(&with_changes), h.sync(&heads_only)];
    assert!(h.actor.handle_batch(batch).await);
    let sent = h.sent();
    assert!(
        sent.iter().any(|message| message.heads == doc.get_heads()),
        "the actor never told the peer its heads: {sent:?}"
    );
}

/// When the store cannot take a change, no peer hears of it, every peer is told to
/// reconnect (their own copies still hold their changes), and the actor stops so the next
/// one starts from what is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_store_refuses_reaches_no_peer() {
    let mut h = harness().await;
    let (watcher, watcher_frames) = link(2);
    let watcher_doc = Automerge::new();
    let mut watcher_state = sync::State::new();
    let hello = watcher_doc
        .generate_sync_message(&mut watcher_state)
        .unwrap();
    let join = DocumentCommand::Sync {
        from: watcher.clone(),
        data: hello.encode(),
        is_request: false,
        may_write: true,
    };
    assert!(h.actor.handle_batch(vec![join]).await);
    while watcher_frames.pop().is_some() {}

    let mut doc = document_with_text("Personal");
    let mut state = sync::State::new();
    let with_changes = changes_for_actor(&mut h, &mut doc, &mut state).await;
    h.store.fail_appends.store(true, Ordering::SeqCst);
    assert!(
        !h.actor.handle_batch(vec![h.sync(&with_changes)]).await,
        "the actor must stop"
    );

    assert!(
        h.sent().is_empty(),
        "the author heard of an unstored change"
    );
    assert!(
        watcher_frames.pop().is_none(),
        "a watcher heard of an unstored change"
    );
    for outbox in [&h.link.outbox, &watcher.outbox] {
        let (reason, _) = outbox.kicked().expect("the peer was told to reconnect");
        assert!(reason.contains("reconnect"), "{reason}");
    }
    assert_eq!(h.store.load(h.actor.id).await.unwrap(), None);
}

/// A peer whose role only allows reading gets a read-only sync state; a change it sends is
/// refused with a policy-violation close, never stored and never relayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_peer_cannot_change_the_document() {
    let mut h = harness().await;
    let mut doc = document_with_text("Leitbild");
    let mut state = sync::State::new();
    let with_changes = changes_for_actor(&mut h, &mut doc, &mut state).await;
    assert!(h.actor.handle_batch(vec![h.sync(&with_changes)]).await);
    let stored_before = h.store.load(h.actor.id).await.unwrap();

    let (reader, reader_frames) = link(2);
    let mut reader_doc = Automerge::new();
    let mut reader_state = sync::State::new();
    let read_only = |message: &sync::Message| DocumentCommand::Sync {
        from: reader.clone(),
        data: message.clone().encode(),
        is_request: false,
        may_write: false,
    };
    // The reader catches up ...
    for _ in 0..4 {
        let Some(message) = reader_doc.generate_sync_message(&mut reader_state) else {
            break;
        };
        assert!(h.actor.handle_batch(vec![read_only(&message)]).await);
        while let Some(frame) = reader_frames.pop() {
            if let Ok(Message::Sync(body)) = decode(&frame) {
                let answer = sync::Message::decode(&body.data).unwrap();
                reader_doc
                    .receive_sync_message(&mut reader_state, answer)
                    .unwrap();
            }
        }
    }
    assert_eq!(reader_doc.get_heads(), doc.get_heads());
    // ... then edits locally and sends the change.
    let mut tx = reader_doc.transaction();
    let text = tx.get(ROOT, "text").unwrap().unwrap().1;
    tx.splice_text(&text, 0, 0, "Nicht erlaubt: ").unwrap();
    tx.commit();
    // The server's messages carry the read-only flag, so an automerge peer that honours it
    // sends no changes; a client that ignores the flag (or a hostile one) sends them anyway.
    let honest = reader_doc.generate_sync_message(&mut reader_state).unwrap();
    assert!(
        honest.changes.is_empty(),
        "automerge sent changes to a read-only peer"
    );
    let change = reader_doc
        .get_last_local_change()
        .unwrap()
        .raw_bytes()
        .to_vec();
    let edit = sync::Message {
        heads: reader_doc.get_heads(),
        changes: sync::ChunkList::from(vec![change]),
        ..honest
    };
    h.sent();
    assert!(h.actor.handle_batch(vec![read_only(&edit)]).await);

    let (reason, code) = reader.outbox.kicked().expect("the reader was closed");
    assert_eq!(code, super::close_code::POLICY_VIOLATION, "{reason}");
    assert!(reason.contains("only read"), "{reason}");
    assert_eq!(h.store.load(h.actor.id).await.unwrap(), stored_before);
    assert!(
        h.sent().is_empty(),
        "the writer heard of the refused change"
    );
    assert_eq!(h.actor.doc.get_heads(), doc.get_heads());
}
