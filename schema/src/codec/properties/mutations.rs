//! Mutations that break a valid frame, in structured ways (on its map's entries, before
//! encoding) or byte by byte (after): the decoder must hold whatever comes of them.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};

use super::cbor::{self, header_bytes, text, Cbor, NULL};
use super::messages::hostile_text;
use super::values::{any_value, deep_value, huge_claim, KNOWN_KEYS};

/// A structured change to one entry of a message's map, or of a map inside it.
#[derive(Debug, Clone)]
pub(super) enum Mutation {
    Remove(Index),
    /// The entry at `from` once more, at `to`.
    Duplicate {
        from: Index,
        to: Index,
    },
    Value {
        at: Index,
        value: Cbor,
    },
    Key {
        at: Index,
        key: Cbor,
    },
    Insert {
        to: Index,
        key: Cbor,
        value: Cbor,
    },
    Tag {
        at: Index,
        tag: u64,
    },
    /// The value's first byte with another major type, its argument and content kept.
    MajorType {
        at: Index,
        major: u8,
    },
    /// The value's length or count claims `extra` more than follows.
    Lengthen {
        at: Index,
        extra: u64,
    },
    /// A mutation of the map that is the value at `at` (`peerMetadata`); else nothing.
    Inside {
        at: Index,
        mutation: Box<Mutation>,
    },
}

fn wrong_value() -> BoxedStrategy<Cbor> {
    prop_oneof![
        6 => any_value(),
        1 => deep_value(any::<bool>()),
        1 => huge_claim().prop_map(|claim| claim.value()),
        1 => vec(any::<u8>(), 0..6).prop_map(Cbor::Raw),
    ]
    .boxed()
}

fn key() -> BoxedStrategy<Cbor> {
    prop_oneof![
        select(&KNOWN_KEYS[..]).prop_map(text),
        hostile_text().prop_map(Cbor::Text),
        any_value(),
    ]
    .boxed()
}

pub(super) fn mutation() -> BoxedStrategy<Mutation> {
    let flat = prop_oneof![
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), any::<Index>()).prop_map(|(from, to)| Mutation::Duplicate { from, to }),
        (any::<Index>(), wrong_value()).prop_map(|(at, value)| Mutation::Value { at, value }),
        (any::<Index>(), key()).prop_map(|(at, key)| Mutation::Key { at, key }),
        (any::<Index>(), key(), wrong_value()).prop_map(|(to, key, value)| Mutation::Insert {
            to,
            key,
            value
        }),
        (any::<Index>(), any::<u64>()).prop_map(|(at, tag)| Mutation::Tag { at, tag }),
        (any::<Index>(), 0..8u8).prop_map(|(at, major)| Mutation::MajorType { at, major }),
        (
            any::<Index>(),
            prop_oneof![1..4u64, Just(1 << 40), Just(u64::MAX / 2)]
        )
            .prop_map(|(at, extra)| Mutation::Lengthen { at, extra }),
    ];
    prop_oneof![
        4 => flat.clone(),
        1 => (any::<Index>(), flat).prop_map(|(at, mutation)| Mutation::Inside {
            at,
            mutation: Box::new(mutation),
        }),
    ]
    .boxed()
}

pub(super) fn apply(entries: &mut Vec<(Cbor, Cbor)>, mutation: &Mutation) {
    let len = entries.len();
    let pick = |index: &Index| (len > 0).then(|| index.index(len));
    match mutation {
        Mutation::Remove(at) => {
            if let Some(at) = pick(at) {
                entries.remove(at);
            }
        }
        Mutation::Duplicate { from, to } => {
            if let Some(from) = pick(from) {
                let entry = entries[from].clone();
                entries.insert(to.index(len + 1), entry);
            }
        }
        Mutation::Value { at, value } => {
            if let Some(at) = pick(at) {
                entries[at].1 = value.clone();
            }
        }
        Mutation::Key { at, key } => {
            if let Some(at) = pick(at) {
                entries[at].0 = key.clone();
            }
        }
        Mutation::Insert { to, key, value } => {
            entries.insert(to.index(len + 1), (key.clone(), value.clone()));
        }
        Mutation::Tag { at, tag } => {
            if let Some(at) = pick(at) {
                let value = std::mem::replace(&mut entries[at].1, NULL);
                entries[at].1 = Cbor::Tag(*tag, Box::new(value));
            }
        }
        Mutation::MajorType { at, major } => {
            if let Some(at) = pick(at) {
                let mut bytes = cbor::write(&entries[at].1, &[]);
                if let Some(first) = bytes.first_mut() {
                    *first = major << 5 | (*first & 0x1f);
                }
                entries[at].1 = Cbor::Raw(bytes);
            }
        }
        Mutation::Lengthen { at, extra } => {
            if let Some(at) = pick(at) {
                let value = &entries[at].1;
                if let Some(lengthened) = lengthen(value, *extra) {
                    entries[at].1 = lengthened;
                }
            }
        }
        Mutation::Inside { at, mutation } => {
            if let Some(at) = pick(at) {
                if let Cbor::Map(inner) = &mut entries[at].1 {
                    apply(inner, mutation);
                }
            }
        }
    }
}

/// `value` written with a length header `extra` larger than its content.
fn lengthen(value: &Cbor, extra: u64) -> Option<Cbor> {
    let (major, len) = match value {
        Cbor::Bytes(bytes) => (2, bytes.len()),
        Cbor::Text(text) => (3, text.len()),
        Cbor::Array(items) => (4, items.len()),
        Cbor::Map(entries) => (5, entries.len()),
        _ => return None,
    };
    let written = cbor::write(value, &[]);
    let header_len = header_bytes(major, len as u64, 0).len();
    let claimed = (len as u64).saturating_add(extra);
    Some(Cbor::Raw(
        [
            header_bytes(major, claimed, 0),
            written[header_len..].to_vec(),
        ]
        .concat(),
    ))
}

/// A change to the encoded bytes.
#[derive(Debug, Clone)]
pub(super) enum ByteMutation {
    FlipBit(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    /// The byte's top three bits, the major type if it starts a header, replaced.
    MajorType(Index, u8),
    /// A run of the frame copied to another place.
    Repeat {
        from: Index,
        len: usize,
        to: Index,
    },
}

pub(super) fn byte_mutation() -> BoxedStrategy<ByteMutation> {
    prop_oneof![
        (any::<Index>(), 0..8u8).prop_map(|(at, bit)| ByteMutation::FlipBit(at, bit)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| ByteMutation::Set(at, byte)),
        (any::<Index>(), vec(any::<u8>(), 1..9))
            .prop_map(|(at, bytes)| ByteMutation::Insert(at, bytes)),
        (any::<Index>(), 1..16usize).prop_map(|(at, len)| ByteMutation::Delete(at, len)),
        any::<Index>().prop_map(ByteMutation::Truncate),
        (any::<Index>(), 0..8u8).prop_map(|(at, major)| ByteMutation::MajorType(at, major)),
        (any::<Index>(), 1..64usize, any::<Index>())
            .prop_map(|(from, len, to)| ByteMutation::Repeat { from, len, to }),
    ]
    .boxed()
}

pub(super) fn apply_to_bytes(bytes: &mut Vec<u8>, mutation: &ByteMutation) {
    let len = bytes.len();
    if len == 0 {
        return;
    }
    match mutation {
        ByteMutation::FlipBit(at, bit) => bytes[at.index(len)] ^= 1 << bit,
        ByteMutation::Set(at, byte) => bytes[at.index(len)] = *byte,
        ByteMutation::Insert(at, inserted) => {
            let at = at.index(len + 1);
            bytes.splice(at..at, inserted.iter().copied());
        }
        ByteMutation::Delete(at, n) => {
            let at = at.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        ByteMutation::Truncate(at) => bytes.truncate(at.index(len)),
        ByteMutation::MajorType(at, major) => {
            let at = at.index(len);
            bytes[at] = major << 5 | (bytes[at] & 0x1f);
        }
        ByteMutation::Repeat { from, len: n, to } => {
            let from = from.index(len);
            let run = bytes[from..(from + n).min(len)].to_vec();
            let to = to.index(len + 1);
            bytes.splice(to..to, run);
        }
    }
}
