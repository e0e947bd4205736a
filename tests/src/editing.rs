//! Random editing for convergence tests: inserts and deletes of whole characters (umlauts,
//! emoji, ZWJ sequences included), at positions given in UTF-16 code units.

use agora_client::DocHandle;
use automerge::transaction::Transactable;
use automerge::{Automerge, ReadDoc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Pieces of text a typist inserts: plain letters, umlauts, Danish letters, emoji, gender forms.
const PIECES: &[&str] = &[
    "a",
    "e",
    " ",
    "ä",
    "ö",
    "ü",
    "ß",
    "æ",
    "ø",
    "å",
    "🙂",
    "👩‍⚕️",
    "Kund*innen",
    "Grundsätze ",
    "plejefamilie ",
    "\n",
];

pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// UTF-16 offset of the `chars`-th character of `text`.
pub fn utf16_offset(text: &str, chars: usize) -> usize {
    text.chars().take(chars).map(char::len_utf16).sum()
}

/// One random edit: mostly inserts, sometimes a delete of one to three characters. The text is
/// read inside the edit's own transaction, so a remote change arriving meanwhile cannot move
/// the positions.
pub fn random_edit(handle: &DocHandle, rng: &mut StdRng) {
    handle
        .try_change(|tx| {
            let body = agora_client::text_object(tx).expect("the document has a root text");
            let text = tx.text(&body)?;
            let chars = text.chars().count();
            if chars > 0 && rng.random_bool(0.3) {
                let at = rng.random_range(0..chars);
                let len = rng.random_range(1..=3).min(chars - at);
                let start = utf16_offset(&text, at);
                let end = utf16_offset(&text, at + len);
                tx.splice_text(&body, start, (end - start) as isize, "")
            } else {
                let at = utf16_offset(&text, rng.random_range(0..=chars));
                let piece = PIECES[rng.random_range(0..PIECES.len())];
                tx.splice_text(&body, at, 0, piece)
            }
        })
        .expect("an edit inside the current text");
}

/// Appends a block with `words` to the root text, in the shape the browser's editor writes
/// (`{type, parents, attrs}`); headings are of level 2.
pub fn append_block(
    tx: &mut automerge::transaction::Transaction<'_>,
    text: &automerge::ObjId,
    kind: &str,
    words: &str,
) -> Result<(), automerge::AutomergeError> {
    let at = tx.length(text);
    let marker = tx.split_block(text, at)?;
    tx.put(&marker, "type", kind)?;
    tx.put_object(&marker, "parents", automerge::ObjType::List)?;
    let attrs = tx.put_object(&marker, "attrs", automerge::ObjType::Map)?;
    if kind == "heading" {
        tx.put(&attrs, "level", 2)?;
    }
    tx.splice_text(text, at + 1, 0, words)?;
    Ok(())
}

/// A new document whose root text holds `text`, made as the client makes documents.
pub fn document_with_text(text: &str) -> Automerge {
    let mut doc = agora_client::new_text_document();
    let mut tx = doc.transaction();
    let body = agora_client::text_object(&tx).expect("a new document has a root text");
    tx.splice_text(&body, 0, 0, text)
        .expect("insert into an empty text");
    tx.commit();
    doc
}

/// The root text of a document (`""` when it has none).
pub fn text_of(doc: &Automerge) -> String {
    agora_client::text_object(doc)
        .and_then(|text| doc.text(&text).ok())
        .unwrap_or_default()
}

/// The hash of every change a document holds.
pub fn change_hashes(doc: &Automerge) -> std::collections::HashSet<automerge::ChangeHash> {
    doc.get_changes(&[]).iter().map(|c| c.hash()).collect()
}
