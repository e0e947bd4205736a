//! A writer that owns a region of a shared text and types one agent's keystrokes into it, so
//! that many writers on one document make meaningful edits that never reach out of bounds.
//!
//! Each region starts after a marker (e.g. "\n[3] ") that nobody deletes; the writer finds it
//! on every keystroke through an automerge cursor on the marker's last character, so text the
//! others insert before it only moves it. A trace position is read as a move of the agent's
//! caret (typing at 120 right after typing at 119 keeps the caret where it is; a backspace
//! moves it back one), replayed on the writer's own caret and clamped to its region.
//!
//! Nobody else edits inside a region: a writer inserts only after its marker or after its own
//! characters, and in automerge's text a newer insertion after a character comes before the
//! older ones there, such as the next marker. So the writer's copy of its region stays exact and
//! every keystroke becomes one change.

use std::sync::Arc;

use agora_client::trace::TracePatch;
use agora_client::{text_object, DocHandle};
use anyhow::Context;
use automerge::transaction::Transactable;
use automerge::{Automerge, ChangeHash, Cursor, ReadDoc};

use super::keystrokes::Script;

/// The marker that opens region `n`; its last character holds the region's anchor.
pub fn marker(n: usize) -> String {
    format!("\n[{n}] ")
}

/// Appends the markers of `count` regions to `handle`'s text in one change, and returns each
/// region's anchor.
pub fn write_regions(handle: &DocHandle, count: usize) -> anyhow::Result<Vec<Cursor>> {
    let mut ends = Vec::with_capacity(count);
    let text: String = (0..count)
        .map(|n| {
            let marker = marker(n);
            let start = ends.last().copied().unwrap_or(0);
            ends.push(start + marker.encode_utf16().count());
            marker
        })
        .collect();
    let before = handle.text_len();
    handle.append_text(&text)?;
    handle.with_doc(|doc| {
        let text = text_object(doc).context("the document has no text")?;
        ends.iter()
            .map(|end| {
                doc.get_cursor(&text, before + end - 1, None)
                    .context("a cursor on a marker")
            })
            .collect()
    })
}

pub struct Typist {
    script: Arc<Script>,
    /// The next keystroke of the script to play (it wraps round at the end).
    next: usize,
    /// The last character of this writer's marker.
    anchor: Cursor,
    /// The region's text as this writer typed it, in code points, as the trace counts.
    region: Vec<char>,
    /// Where the writer's caret is in `region`.
    caret: usize,
    /// Where the agent's caret was in the trace after its previous keystroke.
    trace_caret: usize,
}

impl Typist {
    pub fn new(script: Arc<Script>, start: usize, anchor: Cursor) -> Self {
        let next = start % script.keystrokes.len().max(1);
        Self {
            script,
            next,
            anchor,
            region: Vec::new(),
            caret: 0,
            trace_caret: 0,
        }
    }

    /// Types the next keystroke that changes the region, as one change; returns its hash.
    pub fn type_next(&mut self, handle: &DocHandle) -> anyhow::Result<ChangeHash> {
        // A deletion in an empty region changes nothing; some keystroke ahead inserts.
        for _ in 0..self.script.keystrokes.len() {
            let script = self.script.clone();
            let keystroke = &script.keystrokes[self.next];
            self.next = (self.next + 1) % self.script.keystrokes.len();
            let splices: Vec<Splice> = keystroke.iter().filter_map(|p| self.edit(p)).collect();
            if splices.is_empty() {
                continue;
            }
            let anchor = self.anchor.clone();
            handle.try_change(|tx| -> anyhow::Result<()> {
                let text = text_object(tx).context("the document has no text")?;
                let start = tx.get_cursor_position(&text, &anchor, None)? + 1;
                for splice in &splices {
                    // Exact by construction; clamped anyway so a mistake cannot panic.
                    let len = tx.length(&text);
                    let pos = (start + splice.pos).min(len);
                    let del = splice.del.min(len - pos) as isize;
                    tx.splice_text(&text, pos, del, &splice.insert)?;
                }
                Ok(())
            })?;
            return handle
                .with_doc(newest_own_change)
                .context("the keystroke made no change");
        }
        anyhow::bail!("{} changes nothing in an empty region", self.script.name)
    }

    /// Applies one trace patch to the region as a move of the caret, and returns it in UTF-16
    /// units from the region's start; `None` when it changes nothing.
    fn edit(&mut self, TracePatch(pos, del, insert): &TracePatch) -> Option<Splice> {
        let moved = self.caret as i64 + *pos as i64 - self.trace_caret as i64;
        let at = moved.clamp(0, self.region.len() as i64) as usize;
        let end = (at + del).min(self.region.len());
        let inserted: Vec<char> = insert.chars().collect();
        self.trace_caret = pos + inserted.len();
        if at == end && inserted.is_empty() {
            return None;
        }
        let splice = Splice {
            pos: utf16_len(&self.region[..at]),
            del: utf16_len(&self.region[at..end]),
            insert: insert.clone(),
        };
        self.caret = at + inserted.len();
        self.region.splice(at..end, inserted);
        Some(splice)
    }

    /// The region's text as this writer typed it.
    pub fn region(&self) -> String {
        self.region.iter().collect()
    }
}

/// The hash of this replica's newest change. It is one of the heads unless a change that
/// depends on it has arrived already; the heads' metadata is cheap to read, while the last
/// local change is built from the operations.
fn newest_own_change(doc: &Automerge) -> Option<ChangeHash> {
    let me = doc.get_actor();
    doc.get_heads()
        .into_iter()
        .find(|head| {
            doc.get_change_meta_by_hash(head)
                .is_some_and(|change| *change.actor == *me)
        })
        .or_else(|| doc.get_last_local_change().map(|change| change.hash()))
}

/// One edit of the region, in UTF-16 units from its start.
struct Splice {
    pos: usize,
    del: usize,
    insert: String,
}

fn utf16_len(chars: &[char]) -> usize {
    chars.iter().map(|c| c.len_utf16()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_client::new_text_document;

    fn typist() -> Typist {
        let mut doc = new_text_document();
        let text = text_object(&doc).expect("a text document");
        let mut tx = doc.transaction();
        tx.splice_text(&text, 0, 0, "#").expect("an insertion");
        tx.commit();
        let anchor = doc.get_cursor(&text, 0, None).expect("a cursor");
        let script = Arc::new(Script {
            name: "test".to_owned(),
            keystrokes: Vec::new(),
        });
        Typist::new(script, 0, anchor)
    }

    fn patch(pos: usize, del: usize, insert: &str) -> TracePatch {
        TracePatch(pos, del, insert.to_owned())
    }

    #[test]
    fn trace_positions_move_the_caret_within_the_region() {
        let mut typist = typist();
        // Typing at 500, 501, 502 in the trace: three characters in a row.
        for (n, c) in ["a", "b", "c"].iter().enumerate() {
            typist.edit(&patch(500 + n, 0, c));
        }
        assert_eq!(typist.region(), "abc");
        // A backspace at 502 deletes the "c"; a jump far back lands at the region's start.
        typist.edit(&patch(502, 1, ""));
        typist.edit(&patch(3, 0, "X"));
        assert_eq!(typist.region(), "Xab");
        // A deletion reaching past the end is cut there; one at the end changes nothing.
        typist.edit(&patch(4, 10, ""));
        assert_eq!(typist.region(), "X");
        assert!(typist.edit(&patch(4, 1, "")).is_none());
    }

    #[test]
    fn positions_are_utf16_units() {
        let mut typist = typist();
        typist.edit(&patch(0, 0, "😀"));
        let splice = typist.edit(&patch(1, 0, "a")).expect("an insertion");
        assert_eq!((splice.pos, splice.del), (2, 0));
        let splice = typist.edit(&patch(2, 0, "")).map(|s| s.pos);
        assert_eq!(splice, None);
    }
}
