//! Sequential editing traces (josephg/editing-traces): parse one, turn its positions into the
//! UTF-16 code units the documents use, and replay it onto a document, one change per
//! transaction (a keystroke) or per batch of them.
//!
//! File format: gzipped JSON `{startContent, endContent, txns: [{time, patches: [[pos, delLen,
//! insText]]}]}`, positions and lengths in Unicode code points, patches applied in order.

use std::io::Read;
use std::path::Path;

use automerge::transaction::{Transactable, Transaction};
use automerge::{Automerge, ObjId};
use serde::Deserialize;

use crate::document::new_text_document;
use crate::handle::text_object;
use crate::{ClientError, DocHandle};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    pub start_content: String,
    pub end_content: String,
    pub txns: Vec<TraceTxn>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TraceTxn {
    pub patches: Vec<TracePatch>,
}

/// `[pos, delLen, insText]`, counted in code points.
#[derive(Debug, Clone, Deserialize)]
pub struct TracePatch(pub usize, pub usize, pub String);

/// One edit in the units of the document: UTF-16 code units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub pos: usize,
    pub del: usize,
    pub insert: String,
}

/// What a replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayReport {
    /// Trace transactions (keystrokes).
    pub txns: usize,
    /// Automerge changes committed.
    pub changes: usize,
}

impl Trace {
    /// Reads a gzipped JSON trace.
    pub fn load(path: &Path) -> Result<Trace, ClientError> {
        let file = std::fs::File::open(path)
            .map_err(|e| ClientError::Trace(format!("{}: {e}", path.display())))?;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut json)
            .map_err(|e| ClientError::Trace(format!("{}: not gzip: {e}", path.display())))?;
        Self::from_json(&json).map_err(|e| ClientError::Trace(format!("{}: {e}", path.display())))
    }

    pub fn from_json(json: &[u8]) -> Result<Trace, ClientError> {
        serde_json::from_slice(json).map_err(|e| ClientError::Trace(e.to_string()))
    }

    pub fn patch_count(&self) -> usize {
        self.txns.iter().map(|txn| txn.patches.len()).sum()
    }

    /// The transactions with positions in UTF-16 code units, found by replaying the trace on a
    /// mirror of the text. Fails on a patch that reaches past the end of the text.
    pub fn utf16_txns(&self) -> Result<Vec<Vec<Splice>>, ClientError> {
        let patches = || self.txns.iter().flat_map(|txn| &txn.patches);
        // Below U+10000 a code point is one UTF-16 unit, so most traces need no mirror at all.
        let needs_mirror = has_astral(&self.start_content) || patches().any(|p| has_astral(&p.2));
        let mut mirror = Mirror::new(&self.start_content, needs_mirror);
        let mut out = Vec::with_capacity(self.txns.len());
        for (n, txn) in self.txns.iter().enumerate() {
            let mut splices = Vec::with_capacity(txn.patches.len());
            for TracePatch(pos, del, insert) in &txn.patches {
                let splice = mirror.splice(*pos, *del, insert).ok_or_else(|| {
                    ClientError::Trace(format!(
                        "transaction {n}: patch [{pos}, {del}] reaches past the end of the text ({} code points)",
                        mirror.len
                    ))
                })?;
                splices.push(splice);
            }
            out.push(splices);
        }
        Ok(out)
    }
}

/// Replays the trace onto `handle`'s root text: `batch` transactions per change (1 = one
/// change per keystroke). A non-empty `startContent` goes in first as its own change.
pub fn replay(
    trace: &Trace,
    handle: &DocHandle,
    batch: usize,
) -> Result<ReplayReport, ClientError> {
    let txns = trace.utf16_txns()?;
    let mut changes = 0;
    let mut apply = |splices: &[&Splice]| {
        handle.try_change(|tx| apply_splices(tx, splices))?;
        changes += 1;
        Ok::<(), ClientError>(())
    };
    let start = start_splice(trace);
    if let Some(start) = &start {
        apply(&[start])?;
    }
    for chunk in txns.chunks(batch.max(1)) {
        let splices: Vec<&Splice> = chunk.iter().flatten().collect();
        apply(&splices)?;
    }
    Ok(ReplayReport {
        txns: txns.len(),
        changes,
    })
}

/// Replays the trace onto a new local document, no server involved (tests, benchmarks).
pub fn replay_local(trace: &Trace, batch: usize) -> Result<Automerge, ClientError> {
    let txns = trace.utf16_txns()?;
    let mut doc = new_text_document();
    let mut apply = |splices: &[&Splice]| {
        let mut tx = doc.transaction();
        apply_splices(&mut tx, splices)?;
        tx.commit();
        Ok::<(), ClientError>(())
    };
    if let Some(start) = &start_splice(trace) {
        apply(&[start])?;
    }
    for chunk in txns.chunks(batch.max(1)) {
        let splices: Vec<&Splice> = chunk.iter().flatten().collect();
        apply(&splices)?;
    }
    Ok(doc)
}

fn start_splice(trace: &Trace) -> Option<Splice> {
    (!trace.start_content.is_empty()).then(|| Splice {
        pos: 0,
        del: 0,
        insert: trace.start_content.clone(),
    })
}

fn apply_splices(tx: &mut Transaction<'_>, splices: &[&Splice]) -> Result<(), ClientError> {
    let text: ObjId = text_object(tx)
        .ok_or_else(|| ClientError::Trace("the document has no root text".to_owned()))?;
    for splice in splices {
        // Deletions are bounded by the text length, far below isize::MAX.
        let del = isize::try_from(splice.del)
            .map_err(|_| ClientError::Trace("deletion too long".to_owned()))?;
        tx.splice_text(&text, splice.pos, del, &splice.insert)?;
    }
    Ok(())
}

fn has_astral(text: &str) -> bool {
    text.chars().any(|c| c.len_utf16() == 2)
}

/// The text as it stands during conversion. Without astral characters only its length matters.
struct Mirror {
    chars: Option<Vec<char>>,
    len: usize,
}

impl Mirror {
    fn new(start: &str, keep_chars: bool) -> Self {
        let chars: Vec<char> = start.chars().collect();
        Self {
            len: chars.len(),
            chars: keep_chars.then_some(chars),
        }
    }

    /// Applies a code-point patch; returns it in UTF-16 units, or `None` when out of range.
    fn splice(&mut self, pos: usize, del: usize, insert: &str) -> Option<Splice> {
        let end = pos.checked_add(del).filter(|end| *end <= self.len)?;
        let inserted = insert.chars().count();
        self.len = self.len - del + inserted;
        let Some(chars) = &mut self.chars else {
            return Some(Splice {
                pos,
                del,
                insert: insert.to_owned(),
            });
        };
        let utf16_pos = utf16_len(&chars[..pos]);
        let utf16_del = utf16_len(&chars[pos..end]);
        chars.splice(pos..end, insert.chars());
        Some(Splice {
            pos: utf16_pos,
            del: utf16_del,
            insert: insert.to_owned(),
        })
    }
}

fn utf16_len(chars: &[char]) -> usize {
    chars.iter().map(|c| c.len_utf16()).sum()
}

#[cfg(test)]
mod tests;
