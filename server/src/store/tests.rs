//! A stored document reads back whole, however its log was cut into chunks.

use automerge::transaction::Transactable;
use automerge::{ActorId, ChangeHash, ObjType, ReadDoc, ROOT};

use super::*;

/// Types `words` into the text of `doc`, one change per word, and returns each change as the
/// actor stores it: what came after the heads stored before.
fn type_words(doc: &mut Automerge, words: &[&str]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let text = match doc.get(ROOT, "text").unwrap() {
        Some((_, text)) => text,
        None => {
            let mut tx = doc.transaction();
            let text = tx.put_object(ROOT, "text", ObjType::Text).unwrap();
            tx.commit();
            chunks.push(doc.save_after(&[]));
            text
        }
    };
    for word in words {
        let stored: Vec<ChangeHash> = doc.get_heads();
        let mut tx = doc.transaction();
        let end = tx.length(&text);
        tx.splice_text(&text, end, 0, word).unwrap();
        tx.commit();
        chunks.push(doc.save_after(&stored));
    }
    chunks
}

fn text_of(doc: &Automerge) -> String {
    let (_, text) = doc.get(ROOT, "text").unwrap().unwrap();
    doc.text(&text).unwrap()
}

fn log(chunks: Vec<Vec<u8>>, after: Seq) -> Vec<(Seq, Vec<u8>)> {
    (after + 1..).zip(chunks).collect()
}

#[test]
fn a_snapshot_and_a_long_log_of_two_writers_decode_to_the_document() {
    let mut ada = Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit);
    ada.set_actor(ActorId::random());
    let mut chunks = type_words(&mut ada, &["Qualität ", "entsteht "]);
    let snapshot = ada.save();
    chunks.clear();
    let mut bo = ada.fork();
    let words: Vec<String> = (0..300).map(|n| format!("ord{n} ")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    // Two writers, each storing its own changes: the log interleaves concurrent chunks.
    for pair in words.chunks(2) {
        chunks.extend(type_words(&mut ada, &pair[..1]));
        chunks.extend(type_words(&mut bo, &pair[1..]));
    }
    ada.merge(&mut bo).unwrap();

    let stored = StoredDocument {
        snapshot: Some(snapshot),
        snapshot_seq: 2,
        chunks: log(chunks, 2),
    };
    let doc = stored.decode().unwrap();
    assert_eq!(doc.get_heads(), ada.get_heads());
    assert_eq!(text_of(&doc), text_of(&ada));
}

#[test]
fn a_log_without_a_snapshot_decodes_and_an_empty_one_is_an_empty_document() {
    let mut doc = Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit);
    let chunks = type_words(&mut doc, &["Vi ", "lærer ", "sammen."]);
    let stored = StoredDocument {
        snapshot: None,
        snapshot_seq: 0,
        chunks: log(chunks, 0),
    };
    let decoded = stored.decode().unwrap();
    assert_eq!(text_of(&decoded), "Vi lærer sammen.");
    assert!(StoredDocument::default()
        .decode()
        .unwrap()
        .get_heads()
        .is_empty());
}

#[test]
fn a_damaged_chunk_fails_the_whole_decode() {
    let mut doc = Automerge::new_with_encoding(TextEncoding::Utf16CodeUnit);
    let mut chunks = type_words(&mut doc, &["We ", "start ", "here."]);
    let middle = chunks[1].len() / 2;
    chunks[1][middle] ^= 0xff;
    let stored = StoredDocument {
        snapshot: None,
        snapshot_seq: 0,
        chunks: log(chunks, 0),
    };
    assert!(stored.decode().is_err());
}
