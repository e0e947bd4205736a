//! Group commit: appends that arrive while a commit is under way share the next transaction.
//!
//! Every commit waits for the disk (an fsync on SQLite with `synchronous = full`, a WAL flush on
//! PostgreSQL), and SQLite takes one writer at a time. Committed one by one, busy documents'
//! appends would queue behind each other's fsyncs (and SQLite's lock, whose waiters sleep); in
//! one transaction, one fsync makes them all durable. A single committer task takes whatever
//! has queued, writes it in one transaction, and answers each append once it is committed.
//!
//! The queue needs no bound of its own: each document actor waits for its append before it
//! sends another, so it holds at most one append per open document.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use agora_schema::DocumentId;
use tokio::sync::{mpsc, oneshot};

use super::sql::append_in;
use super::{Seq, StoreError};
use crate::database::Database;
use crate::metrics::metrics;

/// Appends one transaction takes at most, so a commit's size (and each waiter's delay) stays
/// bounded when thousands of documents write at once.
const MAX_GROUP: usize = 512;

/// One append waiting for its commit.
struct Pending {
    id: DocumentId,
    changes: Vec<u8>,
    stored: oneshot::Sender<Result<Seq, StoreError>>,
}

/// Hands appends to the committer task, which starts with the first append. Clones share it.
#[derive(Clone, Default)]
pub struct GroupCommit {
    queue: Arc<OnceLock<mpsc::UnboundedSender<Pending>>>,
    commits: Arc<AtomicU64>,
}

impl GroupCommit {
    /// Appends `changes` to the document's log; returns the chunk's sequence number once the
    /// transaction holding it is committed.
    pub async fn append(
        &self,
        db: &Database,
        instance: &str,
        id: DocumentId,
        changes: &[u8],
    ) -> Result<Seq, StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (queue, pending) = mpsc::unbounded_channel();
            let committer = Committer {
                db: db.clone(),
                instance: instance.to_owned(),
                commits: self.commits.clone(),
            };
            tokio::spawn(committer.run(pending));
            queue
        });
        let (stored, answer) = oneshot::channel();
        let pending = Pending {
            id,
            changes: changes.to_vec(),
            stored,
        };
        if queue.send(pending).is_err() {
            return Err(committer_gone());
        }
        answer.await.unwrap_or_else(|_| Err(committer_gone()))
    }

    /// Transactions committed for appends so far; fewer than the appends when they share.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

fn committer_gone() -> StoreError {
    StoreError::Database(sqlx::Error::PoolClosed)
}

struct Committer {
    db: Database,
    instance: String,
    commits: Arc<AtomicU64>,
}

impl Committer {
    /// Commits whatever has queued, one transaction at a time, until every sender is gone.
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Pending>) {
        let mut group = Vec::new();
        while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
            // Each append locks its document's row until commit. Taken in one order everywhere,
            // two instances' groups on PostgreSQL wait for each other instead of deadlocking.
            group.sort_unstable_by_key(|pending| pending.id);
            match self.commit(&group).await {
                Ok(seqs) => {
                    for (pending, seq) in group.drain(..).zip(seqs) {
                        let _ = pending.stored.send(Ok(seq));
                    }
                }
                // A failed transaction stored none of them. Each is tried alone, so one
                // append's trouble is not every document's, and each waiter hears its own
                // outcome.
                Err(_) => {
                    for pending in group.drain(..) {
                        let alone = self.commit(std::slice::from_ref(&pending)).await;
                        let _ = pending.stored.send(alone.map(|seqs| seqs[0]));
                    }
                }
            }
        }
    }

    async fn commit(&self, group: &[Pending]) -> Result<Vec<Seq>, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let mut seqs = Vec::with_capacity(group.len());
        for pending in group {
            let seq = append_in(
                &mut tx,
                &self.db,
                &self.instance,
                pending.id,
                &pending.changes,
            );
            seqs.push(seq.await?);
        }
        tx.commit().await?;
        self.commits.fetch_add(1, Ordering::Relaxed);
        metrics().log_commits.inc();
        Ok(seqs)
    }
}
