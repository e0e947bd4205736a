//! Editors: connections that each type into a region of a shared document (see `typist`).
//! Opening them over documents made with regions, typing at a steady pace, and waiting until
//! the replicas of each document agree.

use std::collections::HashMap;
use std::time::Duration;

use agora_client::{Client, DocHandle, DocumentId};
use automerge::Cursor;
use futures_util::future::join_all;
use tokio::time::{Instant, MissedTickBehavior};

use super::arrivals::Sent;
use super::keystrokes::Scripts;
use super::open::{close_all, eager_client_options, open_readers_with, Target};
use super::typist::{write_regions, Typist};

/// How often `wait_converged` looks at the replicas' heads.
const CONVERGE_POLL: Duration = Duration::from_millis(50);

/// One connection with one document open and a region of it to type in.
pub struct Editor {
    /// Numbers the editors of a workload: document d's editors are d·per_document + slot.
    pub id: usize,
    /// Which of the workload's documents it edits.
    pub document: usize,
    pub client: Client,
    pub handle: DocHandle,
    pub typist: Typist,
}

/// The editors that opened, and how long opening took.
pub struct Team {
    pub editors: Vec<Editor>,
    pub opened_in: Duration,
}

/// Fills a new document with the markers of `regions` regions; the anchors, for `open_team`.
pub fn regions(regions: usize) -> impl Fn(usize, &DocHandle) -> anyhow::Result<Vec<Cursor>> {
    move |_, handle| write_regions(handle, regions)
}

/// Opens `per_document` editors on each document in `documents` (each made by `regions`),
/// every editor its own connection sending each keystroke at once, within `deadline`. Fails, with the opened ones closed,
/// unless all open.
pub async fn open_team(
    url: &str,
    documents: &[(Target, Vec<Cursor>)],
    per_document: usize,
    scripts: &Scripts,
    deadline: Duration,
) -> anyhow::Result<Team> {
    let targets: Vec<Target> = documents.iter().map(|(target, _)| target.clone()).collect();
    let count = documents.len() * per_document;
    let options = eager_client_options();
    let opened = open_readers_with(&[url.to_owned()], count, &targets, deadline, &options).await;
    if let Some(why) = opened.shortfall(deadline) {
        let open = opened.readers.len();
        close_all(opened.readers.into_iter().map(|r| r.client).collect()).await;
        anyhow::bail!("{open} of {count} editors opened in {deadline:?}: {why}");
    }
    // Connections finish opening in any order; each takes the next free region of its document.
    let index: HashMap<DocumentId, usize> = targets
        .iter()
        .enumerate()
        .map(|(n, target)| (target.id, n))
        .collect();
    let mut next_slot = vec![0; documents.len()];
    let mut editors = Vec::with_capacity(count);
    for reader in opened.readers {
        let document = index[&reader.handle.id()];
        let slot = next_slot[document];
        next_slot[document] += 1;
        let id = document * per_document + slot;
        let (script, start) = scripts.cue(id, count);
        let anchor = documents[document].1[slot].clone();
        editors.push(Editor {
            id,
            document,
            client: reader.client,
            handle: reader.handle,
            typist: Typist::new(script, start, anchor),
        });
    }
    editors.sort_by_key(|editor| editor.id);
    Ok(Team {
        editors,
        opened_in: opened.elapsed,
    })
}

impl Team {
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.editors.iter().map(|editor| &editor.client)
    }

    /// Every editor types one keystroke per `every` from `start` until `until`, editor i of n
    /// first at `start + every·i/n` so that keystrokes spread evenly over time. The changes
    /// they committed, in no particular order.
    pub async fn type_steadily(
        &mut self,
        every: Duration,
        start: Instant,
        until: Instant,
    ) -> anyhow::Result<Vec<Sent>> {
        let n = self.editors.len().max(1) as u32;
        let typing = self.editors.iter_mut().enumerate().map(|(i, editor)| {
            let first = start + every * i as u32 / n;
            type_until(editor, every, first, until)
        });
        let mut sent = Vec::new();
        for typed in join_all(typing).await {
            sent.extend(typed?);
        }
        Ok(sent)
    }

    /// Waits until the editors of each document have identical heads, up to `timeout`.
    /// Returns the documents whose editors still differ.
    pub async fn wait_converged(&self, documents: usize, timeout: Duration) -> Vec<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let differ = self.documents_that_differ(documents);
            if differ.is_empty() || Instant::now() >= deadline {
                return differ;
            }
            tokio::time::sleep(CONVERGE_POLL).await;
        }
    }

    fn documents_that_differ(&self, documents: usize) -> Vec<usize> {
        let mut heads = vec![None; documents];
        let mut differ = vec![false; documents];
        for editor in &self.editors {
            let theirs = editor.handle.heads();
            match &heads[editor.document] {
                None => heads[editor.document] = Some(theirs),
                Some(first) => differ[editor.document] |= *first != theirs,
            }
        }
        (0..documents).filter(|&d| differ[d]).collect()
    }

    pub async fn close(self) {
        close_all(self.editors.into_iter().map(|e| e.client).collect()).await;
    }
}

/// One editor's typing: a keystroke at `first`, then one every `every`, until `until`.
async fn type_until(
    editor: &mut Editor,
    every: Duration,
    first: Instant,
    until: Instant,
) -> anyhow::Result<Vec<Sent>> {
    let mut sent = Vec::new();
    let mut ticks = tokio::time::interval_at(first, every);
    // A bench that falls behind types late rather than in bursts, as a person would.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    while ticks.tick().await < until {
        let hash = editor
            .typist
            .type_next(&editor.handle)
            .map_err(|e| e.context(format!("editor {}", editor.id)))?;
        sent.push(Sent {
            hash,
            at: Instant::now(),
            writer: editor.id,
        });
    }
    Ok(sent)
}
