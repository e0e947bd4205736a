//! Editors and readers: people at work. An editor types into its documents at human speed,
//! words from the corpus at random places and deletions here and there; a reader follows a few
//! documents. Each stays for a random while, then leaves (once the server has all it wrote) and
//! someone new takes its place.

use std::sync::Arc;
use std::time::Duration;

use agora_client::DocHandle;
use automerge::transaction::Transactable;
use automerge::ReadDoc;
use rand::rngs::StdRng;
use rand::Rng;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::member::Member;
use super::tally::Topic;
use super::workload::Workload;
use crate::editing::utf16_offset;

/// How long a leaving client waits for the server to acknowledge what it wrote; if the server
/// is away that long, it stays and tries again a little later.
const SYNC_BEFORE_LEAVING: Duration = Duration::from_secs(5);
const RETRY_LEAVING_AFTER: Duration = Duration::from_secs(5);
/// Above this many characters a document is mostly deleted from, so it stays a readable size.
const MAX_TEXT_CHARS: usize = 4000;

/// Types until `stop`; returns the member at work then, or `None` if it could not come back
/// after leaving (reported as a problem).
pub async fn editor(
    work: Arc<Workload>,
    index: usize,
    mut rng: StdRng,
    stop: CancellationToken,
) -> Option<Member> {
    let documents = work.editor_documents(index);
    let mut member = join(&work, &work.proxied_url, &documents).await?;
    let mut leave_at = Instant::now() + stay(&work, &mut rng);
    let mut current = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Some(member),
            _ = tokio::time::sleep(human_pause(&mut rng)) => {}
        }
        if Instant::now() >= leave_at {
            member = match take_turns(&work, member, &documents).await? {
                Turn::Replaced(member) => {
                    work.tally.editors_replaced.add();
                    leave_at = Instant::now() + stay(&work, &mut rng);
                    member
                }
                Turn::Stayed(member) => {
                    leave_at = Instant::now() + RETRY_LEAVING_AFTER;
                    member
                }
            };
            continue;
        }
        // People mostly stay in one document for a while.
        if rng.random_bool(0.1) {
            current = rng.random_range(0..member.handles.len());
        }
        let handle = &member.handles[current];
        type_once(&work, handle, &mut rng);
    }
}

/// Follows a few documents until `stop`, leaving and being replaced now and then.
pub async fn reader(
    work: Arc<Workload>,
    mut rng: StdRng,
    stop: CancellationToken,
) -> Option<Member> {
    let count = rng.random_range(2..=4).min(work.documents.len());
    let documents: Vec<_> = rand::seq::index::sample(&mut rng, work.documents.len(), count)
        .into_iter()
        .map(|i| work.documents[i])
        .collect();
    let mut member = join(&work, &work.proxied_url, &documents).await?;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Some(member),
            _ = tokio::time::sleep(stay(&work, &mut rng)) => {}
        }
        member = match take_turns(&work, member, &documents).await? {
            Turn::Replaced(member) => {
                work.tally.readers_replaced.add();
                member
            }
            Turn::Stayed(member) => member,
        };
    }
}

enum Turn {
    Replaced(Member),
    Stayed(Member),
}

/// The member leaves once the server has what it wrote, and a new client joins in its place.
async fn take_turns(
    work: &Workload,
    member: Member,
    documents: &[agora_client::DocumentId],
) -> Option<Turn> {
    if member.sync(SYNC_BEFORE_LEAVING).await.is_err() {
        work.tally.leaves_postponed.add();
        return Some(Turn::Stayed(member));
    }
    member.leave(&work.copies, &work.tally).await;
    join(work, &work.proxied_url, documents)
        .await
        .map(Turn::Replaced)
}

async fn join(
    work: &Workload,
    url: &str,
    documents: &[agora_client::DocumentId],
) -> Option<Member> {
    match Member::join(url, documents, &work.tally).await {
        Ok(member) => Some(member),
        Err(error) => {
            work.tally
                .problem(Topic::Clients, format!("a client {error}"));
            None
        }
    }
}

/// A random while, exponentially distributed around the mean stay.
fn stay(work: &Workload, rng: &mut StdRng) -> Duration {
    let draw: f64 = rng.random_range(f64::EPSILON..1.0);
    work.options
        .mean_stay
        .mul_f64(-draw.ln())
        .min(work.options.mean_stay * 4)
}

/// A word or two every second or so, and now and then a pause to think.
fn human_pause(rng: &mut StdRng) -> Duration {
    if rng.random_bool(0.04) {
        Duration::from_millis(rng.random_range(2000..6000))
    } else {
        Duration::from_millis(rng.random_range(250..1200))
    }
}

/// One edit: words from the corpus at a random place, or a few characters deleted. The text
/// is read inside the edit's own transaction, so a remote change cannot move the positions.
pub fn type_once(work: &Workload, handle: &DocHandle, rng: &mut StdRng) {
    let language = work.language_of(handle.id());
    let edited = handle.try_change(|tx| {
        let Some(body) = agora_client::text_object(tx) else {
            return Ok(None);
        };
        let text = tx.text(&body)?;
        let chars = text.chars().count();
        let delete_share = if chars > MAX_TEXT_CHARS { 0.7 } else { 0.25 };
        if chars > 0 && rng.random_bool(delete_share) {
            let at = rng.random_range(0..chars);
            let len = rng.random_range(1..=12).min(chars - at);
            let start = utf16_offset(&text, at);
            let end = utf16_offset(&text, at + len);
            tx.splice_text(&body, start, (end - start) as isize, "")?;
            Ok(Some(false))
        } else {
            let at = utf16_offset(&text, rng.random_range(0..=chars));
            let words = work.phrases.fragment(language, rng);
            tx.splice_text(&body, at, 0, &words)?;
            Ok(Some(true))
        }
    });
    match edited {
        Ok(Some(inserted)) => {
            work.ledger.record_last_local(handle);
            if inserted {
                work.tally.inserts.add();
            } else {
                work.tally.deletes.add();
            }
        }
        Ok(None) => {}
        Err::<_, automerge::AutomergeError>(error) => work.tally.problem(
            Topic::Clients,
            format!("an edit of {} failed: {error}", handle.id()),
        ),
    }
}
