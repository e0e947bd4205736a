//! One suite of store checks that every database backend must pass alike: the end-to-end tests
//! run it on SQLite and on a real PostgreSQL.

use std::future::Future;

use agora_schema::DocumentId;
use agora_server::database::{Database, Location};
use agora_server::store::{SqlStore, Store};
use futures_util::future::join_all;

/// Opens a store on the backend under test; each call is a new connection pool on the same
/// database, as a second instance (or a restart) would open it.
pub trait OpenStore {
    fn open(&self) -> impl Future<Output = SqlStore>;
}

impl OpenStore for Location {
    async fn open(&self) -> SqlStore {
        SqlStore::new(Database::open(self).await.expect("open the database"))
    }
}

/// Runs every check, naming the one that fails.
pub async fn run(backend: &impl OpenStore) {
    let store = backend.open().await;
    appends_load_in_order_and_compaction_folds_them(&store).await;
    a_compaction_beyond_the_log_is_refused_and_changes_nothing(&store).await;
    loading_since_a_sequence_returns_what_came_after(&store).await;
    changed_since_names_the_documents_stored_to(&store).await;
    concurrent_appends_get_distinct_sequence_numbers(&store, &store).await;
    appends_that_arrive_together_share_a_commit(&store).await;
    a_failing_append_does_not_fail_the_others_of_its_group(&store).await;
    let again = backend.open().await;
    concurrent_appends_get_distinct_sequence_numbers(&store, &again).await;
    the_storage_id_is_stable_across_reopening(&store, &again).await;
    store.close().await;
    again.close().await;
}

async fn appends_load_in_order_and_compaction_folds_them(store: &SqlStore) {
    let id = DocumentId::random();
    assert_eq!(store.load(id).await.unwrap(), None);
    assert!(!store.contains(id).await.unwrap());
    assert_eq!(store.append(id, b"one").await.unwrap(), 1);
    assert_eq!(store.append(id, b"two").await.unwrap(), 2);
    assert!(store.contains(id).await.unwrap());
    let loaded = store.load(id).await.unwrap().unwrap();
    assert_eq!(
        loaded.chunks,
        vec![(1, b"one".to_vec()), (2, b"two".to_vec())]
    );
    assert_eq!(loaded.last_seq(), 2);

    store.compact(id, b"snap", 2).await.unwrap();
    assert_eq!(store.append(id, b"three").await.unwrap(), 3);
    let loaded = store.load(id).await.unwrap().unwrap();
    assert_eq!(loaded.snapshot.as_deref(), Some(&b"snap"[..]));
    assert_eq!(loaded.snapshot_seq, 2);
    assert_eq!(loaded.chunks, vec![(3, b"three".to_vec())]);
    assert!(store.document_ids().await.unwrap().contains(&id));
}

async fn a_compaction_beyond_the_log_is_refused_and_changes_nothing(store: &SqlStore) {
    let id = DocumentId::random();
    store.append(id, b"one").await.unwrap();
    assert!(store.compact(id, b"snap", 5).await.is_err());
    assert!(store
        .compact(DocumentId::random(), b"snap", 1)
        .await
        .is_err());
    let loaded = store.load(id).await.unwrap().unwrap();
    assert_eq!(loaded.snapshot, None);
    assert_eq!(loaded.chunks, vec![(1, b"one".to_vec())]);
}

async fn loading_since_a_sequence_returns_what_came_after(store: &SqlStore) {
    let id = DocumentId::random();
    for chunk in [b"a", b"b", b"c", b"d"] {
        store.append(id, chunk).await.unwrap();
    }
    let since = store.load_since(id, 2).await.unwrap().unwrap();
    assert_eq!(since.snapshot, None);
    assert_eq!(since.chunks, vec![(3, b"c".to_vec()), (4, b"d".to_vec())]);
    assert_eq!(since.last_seq(), 4);
    let nothing_new = store.load_since(id, 4).await.unwrap().unwrap();
    assert!(nothing_new.chunks.is_empty());
    assert_eq!(nothing_new.last_seq(), 4);

    // Another instance folded chunks 1 to 3: a reader at 2 gets the snapshot and chunk 4.
    store.compact(id, b"abc", 3).await.unwrap();
    let behind = store.load_since(id, 2).await.unwrap().unwrap();
    assert_eq!(behind.snapshot.as_deref(), Some(&b"abc"[..]));
    assert_eq!(behind.chunks, vec![(4, b"d".to_vec())]);
    // A reader past the snapshot needs only the chunks.
    let ahead = store.load_since(id, 3).await.unwrap().unwrap();
    assert_eq!(ahead.snapshot, None);
    assert_eq!(ahead.chunks, vec![(4, b"d".to_vec())]);
    assert_eq!(
        store.load_since(DocumentId::random(), 0).await.unwrap(),
        None
    );
}

async fn changed_since_names_the_documents_stored_to(store: &SqlStore) {
    let before = now_ms();
    let id = DocumentId::random();
    store.append(id, b"new").await.unwrap();
    assert!(store.changed_since(before).await.unwrap().contains(&id));
    assert!(!store
        .changed_since(now_ms() + 60_000)
        .await
        .unwrap()
        .contains(&id));
}

/// Appends from two stores (the same one twice, or two instances) at once.
async fn concurrent_appends_get_distinct_sequence_numbers(one: &SqlStore, other: &SqlStore) {
    let id = DocumentId::random();
    let tasks: Vec<_> = (0..20u8)
        .map(|i| {
            let store = if i % 2 == 0 {
                one.clone()
            } else {
                other.clone()
            };
            tokio::spawn(async move { store.append(id, &[i]).await.unwrap() })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
    let loaded = other.load(id).await.unwrap().unwrap();
    assert_eq!(loaded.chunks.len(), 20);
}

/// Appends to many documents at once are stored in a few transactions, each in its own log.
async fn appends_that_arrive_together_share_a_commit(store: &SqlStore) {
    let ids: Vec<DocumentId> = (0..100).map(|_| DocumentId::random()).collect();
    let commits_before = store.append_commits();
    let appends = ids
        .iter()
        .enumerate()
        .map(|(i, id)| async move { store.append(*id, format!("chunk of {i}").as_bytes()).await });
    for (i, stored) in join_all(appends).await.into_iter().enumerate() {
        assert_eq!(stored.unwrap(), 1, "append {i}");
    }
    let commits = store.append_commits() - commits_before;
    assert!(
        commits <= 10,
        "100 appends that arrived together took {commits} commits"
    );
    for (i, id) in ids.iter().enumerate() {
        let loaded = store.load(*id).await.unwrap().unwrap();
        assert_eq!(
            loaded.chunks,
            vec![(1, format!("chunk of {i}").into_bytes())]
        );
    }
}

/// An append that cannot be stored fails alone: the others that arrived with it are stored.
async fn a_failing_append_does_not_fail_the_others_of_its_group(store: &SqlStore) {
    let broken = DocumentId::random();
    // A chunk numbered beyond its document's counter, as only damage could leave it: the next
    // append's chunk collides with it.
    let pool = store.database().pool();
    sqlx::query("insert into document (document_id, created_at, updated_at) values ($1, 0, 0)")
        .bind(broken.to_string())
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("insert into document_chunk (document_id, seq, data) values ($1, 1, $2)")
        .bind(broken.to_string())
        .bind(&b"already here"[..])
        .execute(pool)
        .await
        .unwrap();
    let others: Vec<DocumentId> = (0..20).map(|_| DocumentId::random()).collect();
    let everyone = std::iter::once(broken).chain(others.iter().copied());
    let results = join_all(everyone.map(|id| store.append(id, b"new"))).await;
    assert!(results[0].is_err(), "the colliding append must fail");
    for stored in &results[1..] {
        assert_eq!(stored.as_ref().unwrap(), &1);
    }
    let loaded = store.load(broken).await.unwrap().unwrap();
    assert_eq!(loaded.chunks, vec![(1, b"already here".to_vec())]);
    for id in others {
        let loaded = store.load(id).await.unwrap().unwrap();
        assert_eq!(loaded.chunks, vec![(1, b"new".to_vec())]);
    }
}

async fn the_storage_id_is_stable_across_reopening(one: &SqlStore, other: &SqlStore) {
    let id = one.storage_id().await.unwrap();
    assert_eq!(one.storage_id().await.unwrap(), id);
    assert_eq!(other.storage_id().await.unwrap(), id);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
