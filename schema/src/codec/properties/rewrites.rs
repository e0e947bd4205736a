//! Rewrites a peer may legally choose: other encodings of the same message, which `decode`
//! must read as that message.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::cbor::{self, text, Cbor, NULL, UNDEFINED};
use super::messages::hostile_text;
use super::values::{any_value, deep_value, KNOWN_KEYS};
use crate::wire::{Message, PeerMetadata};

/// A different encoding of the same message, of the kinds cbor-x and other peers write.
#[derive(Debug, Clone)]
pub(super) struct Rewrite {
    /// Each entry in turn trades places with the one its index picks.
    swaps: Vec<Index>,
    /// Header forms, as `cbor::write` takes them.
    forms: Vec<u8>,
    /// Unknown fields, each inserted where its index says.
    unknown: Vec<(Index, Cbor, Cbor)>,
    /// An earlier entry with the same key and another value of the same type, which the
    /// original, coming later, overrides.
    decoys: Vec<(Index, String, Vec<u8>, u64)>,
    /// `count` as a float32 (true) or float64 where that holds it exactly.
    float_count: Option<bool>,
    binary_document_id: bool,
    /// `metadata`, the spelling of the protocol's written spec, for `peerMetadata`.
    metadata_alias: bool,
    /// No `storageId` said out loud: `undefined` or `null`.
    no_storage_id_as: Option<Cbor>,
    /// Metadata with nothing in it left out (`None`), or sent as `undefined` or `null`.
    empty_metadata_as: Option<Option<Cbor>>,
    /// An `error` whose message is empty says nothing instead.
    empty_message_left_out: bool,
}

pub(super) fn rewrite() -> BoxedStrategy<Rewrite> {
    let unknown_key = prop_oneof![
        hostile_text()
            .prop_filter("an unknown key", |k| !KNOWN_KEYS.contains(&k.as_str()))
            .prop_map(Cbor::Text),
        any_value().prop_filter("not text", |k| !matches!(k, Cbor::Text(_))),
    ];
    let unknown_value = prop_oneof![4 => any_value(), 1 => deep_value(Just(true))];
    let nothing = prop_oneof![Just(UNDEFINED), Just(NULL)];
    (
        (
            vec(any::<Index>(), 0..8),
            vec(any::<u8>(), 0..8),
            vec((any::<Index>(), unknown_key, unknown_value), 0..4),
            vec(
                (
                    any::<Index>(),
                    hostile_text(),
                    vec(any::<u8>(), 0..8),
                    any::<u64>(),
                ),
                0..3,
            ),
        ),
        (
            proptest::option::of(any::<bool>()),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(nothing.clone()),
            proptest::option::of(proptest::option::of(nothing)),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (swaps, forms, unknown, decoys),
                (
                    float_count,
                    binary_document_id,
                    metadata_alias,
                    no_storage_id_as,
                    empty_metadata_as,
                    empty_message_left_out,
                ),
            )| Rewrite {
                swaps,
                forms,
                unknown,
                decoys,
                float_count,
                binary_document_id,
                metadata_alias,
                no_storage_id_as,
                empty_metadata_as,
                empty_message_left_out,
            },
        )
        .boxed()
}

/// `message` encoded as `rewrite` says; `decode` must read it as `message`.
pub(super) fn rewritten(message: &Message, rewrite: &Rewrite) -> Vec<u8> {
    let mut entries = cbor::entries(message);
    let metadata = match message {
        Message::Join(join) => Some(&join.peer_metadata),
        Message::Peer(peer) => Some(&peer.peer_metadata),
        _ => None,
    };
    for (key, value) in &mut entries {
        let Cbor::Text(name) = key else { continue };
        match (name.as_str(), &*value) {
            ("count", Cbor::Unsigned(n)) => {
                if let Some(exact) = rewrite.float_count.and_then(|f32| as_float(*n, f32)) {
                    *value = exact;
                }
            }
            ("documentId", Cbor::Text(id)) if rewrite.binary_document_id => {
                let id: crate::ids::DocumentId = id.parse().expect("a valid id");
                *value = Cbor::Bytes(id.as_bytes().to_vec());
            }
            ("peerMetadata", _) => {
                let metadata = metadata.expect("only join and peer have metadata");
                *value = metadata_rewritten(metadata, rewrite);
                if rewrite.metadata_alias {
                    *key = text("metadata");
                }
            }
            _ => {}
        }
    }
    if matches!(rewrite.empty_metadata_as, Some(None)) && metadata == Some(&PeerMetadata::default())
    {
        entries.retain(|(key, _)| *key != text("peerMetadata") && *key != text("metadata"));
    }
    if rewrite.empty_message_left_out {
        entries.retain(|(key, value)| *key != text("message") || *value != text(""));
    }
    for (i, with) in rewrite.swaps.iter().enumerate() {
        let len = entries.len();
        entries.swap(i % len, with.index(len));
    }
    for (at, name, bytes, n) in &rewrite.decoys {
        let at = at.index(entries.len());
        let decoy = match &entries[at].1 {
            Cbor::Text(_) => Cbor::Text(name.clone()),
            Cbor::Bytes(_) => Cbor::Bytes(bytes.clone()),
            Cbor::Unsigned(_) => Cbor::Unsigned(*n),
            Cbor::Array(_) => Cbor::Array(vec![text("1"); bytes.len()]),
            Cbor::Map(_) => cbor::metadata(&PeerMetadata::default()),
            other => other.clone(),
        };
        let key = entries[at].0.clone();
        entries.insert(at, (key, decoy));
    }
    for (at, key, value) in &rewrite.unknown {
        let at = at.index(entries.len() + 1);
        entries.insert(at, (key.clone(), value.clone()));
    }
    cbor::write(&Cbor::Map(entries), &rewrite.forms)
}

fn metadata_rewritten(metadata: &PeerMetadata, rewrite: &Rewrite) -> Cbor {
    if *metadata == PeerMetadata::default() {
        if let Some(Some(nothing)) = &rewrite.empty_metadata_as {
            return nothing.clone();
        }
    }
    let Cbor::Map(mut entries) = cbor::metadata(metadata) else {
        unreachable!("metadata is a map")
    };
    if let (None, Some(nothing)) = (&metadata.storage_id, &rewrite.no_storage_id_as) {
        entries.insert(0, (text("storageId"), nothing.clone()));
    }
    Cbor::Map(entries)
}

/// `n` as a float of the chosen width, if that width holds it exactly.
fn as_float(n: u64, f32: bool) -> Option<Cbor> {
    if f32 {
        let x = n as f32;
        (x as u128 == u128::from(n)).then_some(Cbor::F32(x))
    } else {
        let x = n as f64;
        (x as u128 == u128::from(n)).then_some(Cbor::F64(x))
    }
}
