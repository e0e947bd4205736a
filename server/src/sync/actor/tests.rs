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

/// What the peer of `link` says: a `sync` with `message`, under a role that may write or not.
fn sync_from(link: &PeerLink, message: &sync::Message, may_write: bool) -> DocumentCommand {
    DocumentCommand::Sync {
        from: link.clone(),
        data: message.clone().encode(),
        is_request: false,
        may_write,
    }
}

/// The sync messages the actor put in `outbox`, in order.
fn sync_messages_in(outbox: &Outbox) -> Vec<sync::Message> {
    let mut sent = Vec::new();
    while let Some(frame) = outbox.pop() {
        if let Ok(Message::Sync(body)) = decode(&frame) {
            sent.push(sync::Message::decode(&body.data).unwrap());
        }
    }
    sent
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
        sync_from(&self.link, message, true)
    }

    /// The sync messages the actor sent, in order.
    fn sent(&mut self) -> Vec<sync::Message> {
        sync_messages_in(&self.frames)
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
    assert!(
        h.actor
            .handle_batch(vec![sync_from(&watcher, &hello, true)])
            .await
    );
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
    let read_only = |message: &sync::Message| sync_from(&reader, message, false);
    // The reader catches up ...
    for _ in 0..4 {
        let Some(message) = reader_doc.generate_sync_message(&mut reader_state) else {
            break;
        };
        assert!(h.actor.handle_batch(vec![read_only(&message)]).await);
        for answer in sync_messages_in(&reader_frames) {
            reader_doc
                .receive_sync_message(&mut reader_state, answer)
                .unwrap();
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

/// A document whose text was typed one change per character, as in the editor: long enough a
/// history that a keystroke travels as a change, not as the whole document.
fn document_typed(text: &str) -> Automerge {
    let mut doc = Automerge::new();
    let body = doc
        .transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put_object(ROOT, "text", ObjType::Text)
        })
        .unwrap()
        .result;
    for (at, letter) in text.chars().enumerate() {
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.splice_text(&body, at, 0, &letter.to_string())
        })
        .unwrap();
    }
    doc
}

/// A peer of the actor with a document of its own.
struct Writer {
    link: PeerLink,
    frames: Arc<Outbox>,
    doc: Automerge,
    state: sync::State,
}

impl Writer {
    fn new(connection: ConnectionId, doc: Automerge) -> Self {
        let (link, frames) = link(connection);
        Writer {
            link,
            frames,
            doc,
            state: sync::State::new(),
        }
    }

    fn says(&self, message: &sync::Message, may_write: bool) -> DocumentCommand {
        sync_from(&self.link, message, may_write)
    }

    /// Applies what the actor sent; false if it sent nothing.
    fn hear(&mut self) -> bool {
        let messages = sync_messages_in(&self.frames);
        let heard = !messages.is_empty();
        for message in messages {
            self.doc
                .receive_sync_message(&mut self.state, message)
                .unwrap();
        }
        heard
    }

    fn type_at_start(&mut self, text: &str) {
        let mut tx = self.doc.transaction();
        let body = tx.get(ROOT, "text").unwrap().unwrap().1;
        tx.splice_text(&body, 0, 0, text).unwrap();
        tx.commit();
    }

    fn text(&self) -> String {
        let body = self.doc.get(ROOT, "text").unwrap().unwrap().1;
        self.doc.text(&body).unwrap()
    }
}

/// Exchanges messages, one at a time, until no writer and no answer has anything to say.
async fn sync_all(h: &mut Harness, writers: &mut [Writer]) {
    for _ in 0..20 {
        let mut quiet = true;
        for writer in writers.iter_mut() {
            if let Some(message) = writer.doc.generate_sync_message(&mut writer.state) {
                assert!(
                    h.actor
                        .handle_batch(vec![writer.says(&message, true)])
                        .await
                );
                quiet = false;
            }
            quiet &= !writer.hear();
        }
        if quiet {
            return;
        }
    }
    panic!("the writers and the actor did not settle");
}

/// Writers that each start from `base`, in sync with the actor.
async fn writers(h: &mut Harness, base: &Automerge, count: u64) -> Vec<Writer> {
    let mut writers: Vec<Writer> = (0..count)
        .map(|n| Writer::new(10 + n, base.fork()))
        .collect();
    sync_all(h, &mut writers).await;
    writers
}

/// Keystrokes of several writers that arrive in one batch are applied together; each is
/// stored and reaches the others, also that of a writer who leaves within the same batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keystrokes_of_one_batch_are_all_stored_and_heard() {
    let mut h = harness().await;
    let mut writers = writers(&mut h, &document_typed("Qualitätsentwicklung"), 3).await;
    let mut batch = Vec::new();
    for (writer, key) in writers.iter_mut().zip(["a", "b", "c"]) {
        writer.type_at_start(key);
        let message = writer.doc.generate_sync_message(&mut writer.state).unwrap();
        batch.push(writer.says(&message, true));
    }
    batch.insert(
        2,
        DocumentCommand::Leave {
            connection: writers[1].link.connection,
        },
    );
    assert!(h.actor.handle_batch(batch).await);

    assert_eq!(h.actor.doc.get_heads().len(), 3);
    let stored = h.store.load(h.actor.id).await.unwrap().unwrap();
    assert_eq!(
        stored.decode().unwrap().get_heads(),
        h.actor.doc.get_heads()
    );
    let left = writers.remove(1);
    sync_all(&mut h, &mut writers).await;
    for writer in &writers {
        assert_eq!(writer.doc.get_heads(), h.actor.doc.get_heads());
        let text = writer.text();
        assert!(
            text.ends_with("Qualitätsentwicklung") && text.len() == "abcQualitätsentwicklung".len(),
            "{text}"
        );
    }
    assert!(
        left.frames.pop().is_none(),
        "a peer that left was sent more"
    );
}

/// A message is applied with the role its sender had when it came, even when a later
/// message of the same batch comes with another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_before_a_role_change_in_one_batch_is_stored() {
    let mut h = harness().await;
    let mut writers = writers(&mut h, &document_typed("Leitbild der Einrichtung"), 1).await;
    let writer = &mut writers[0];
    writer.type_at_start("Unser ");
    let with_change = writer.doc.generate_sync_message(&mut writer.state).unwrap();
    let heads_only = sync::Message {
        changes: sync::ChunkList::empty(),
        ..with_change.clone()
    };
    let batch = vec![
        writer.says(&with_change, true),
        writer.says(&heads_only, false),
    ];
    assert!(h.actor.handle_batch(batch).await);

    assert!(writer.link.outbox.kicked().is_none());
    assert_eq!(h.actor.doc.get_heads(), writer.doc.get_heads());
    let stored = h.store.load(h.actor.id).await.unwrap().unwrap();
    assert_eq!(stored.decode().unwrap().get_heads(), writer.doc.get_heads());
}
