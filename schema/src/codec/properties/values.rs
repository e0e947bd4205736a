//! CBOR values a peer may put where the codec expects something else: any value a few
//! levels deep, a value nested far deeper, and a header claiming more than any frame holds.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use super::cbor::{header_bytes, text, Cbor};
use super::messages::hostile_text;

/// Every key `decode` reads, in any message or in `peerMetadata`.
pub(super) const KNOWN_KEYS: [&str; 14] = [
    "type",
    "senderId",
    "targetId",
    "documentId",
    "data",
    "sessionId",
    "count",
    "message",
    "peerMetadata",
    "metadata",
    "supportedProtocolVersions",
    "selectedProtocolVersion",
    "storageId",
    "isEphemeral",
];

/// Any well-formed CBOR value a few levels deep: wrong field types, unknown fields and keys.
pub(super) fn any_value() -> BoxedStrategy<Cbor> {
    let leaf = prop_oneof![
        prop_oneof![any::<u64>(), 0..30u64].prop_map(Cbor::Unsigned),
        any::<u64>().prop_map(Cbor::Negative),
        vec(any::<u8>(), 0..24).prop_map(Cbor::Bytes),
        hostile_text().prop_map(Cbor::Text),
        select(&KNOWN_KEYS[..]).prop_map(text),
        prop_oneof![0..24u8, 32..=255u8].prop_map(Cbor::Simple),
        any::<f32>().prop_map(Cbor::F32),
        any::<f64>().prop_map(Cbor::F64),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Cbor::Array),
            vec((inner.clone(), inner.clone()), 0..4).prop_map(Cbor::Map),
            (any::<u64>(), inner).prop_map(|(tag, value)| Cbor::Tag(tag, Box::new(value))),
        ]
    })
    .boxed()
}

/// A value nested up to 100 000 deep, as raw bytes: a tree that deep would overflow the stack
/// of any recursive writer. Left open when `closed` is false.
pub(super) fn deep_value(closed: impl Strategy<Value = bool> + 'static) -> BoxedStrategy<Cbor> {
    // Each level's opening bytes, and the bytes that close it.
    const LEVELS: [(&[u8], &[u8]); 6] = [
        (&[0x81], &[]),                 // [x]
        (&[0x9f], &[0xff]),             // [_ x]
        (&[0xa1, 0x60], &[]),           // {"": x}
        (&[0xbf, 0x60], &[0xff]),       // {_ "": x}
        (&[0xc6], &[]),                 // tag 6 (x)
        (&[0x82, 0x9f], &[0xff, 0x00]), // [[_ x], 0]
    ];
    (
        vec(select(&LEVELS[..]), 1..4),
        prop_oneof![1..64usize, 1..100_000usize],
        closed,
    )
        .prop_map(|(pattern, depth, closed)| {
            let mut bytes = Vec::new();
            for level in 0..depth {
                bytes.extend_from_slice(pattern[level % pattern.len()].0);
            }
            bytes.push(0x00);
            if closed {
                for level in (0..depth).rev() {
                    bytes.extend_from_slice(pattern[level % pattern.len()].1);
                }
            }
            Cbor::Raw(bytes)
        })
        .boxed()
}

/// A header claiming at least 2^31 bytes or items, which no frame holds, and a little content.
#[derive(Debug, Clone)]
pub(super) struct Claim {
    pub(super) major: u8,
    pub(super) claimed: u64,
    content: Vec<u8>,
}

impl Claim {
    pub(super) fn value(&self) -> Cbor {
        Cbor::Raw(
            [
                header_bytes(self.major, self.claimed, 0),
                self.content.clone(),
            ]
            .concat(),
        )
    }
}

pub(super) fn huge_claim() -> BoxedStrategy<Claim> {
    let claims = [1 << 31, 1 << 32, 1 << 60, u64::MAX - 1, u64::MAX];
    (
        select(&[2u8, 3, 4, 5][..]),
        select(claims.to_vec()),
        vec(any::<u8>(), 0..8),
    )
        .prop_map(|(major, claimed, content)| Claim {
            major,
            claimed,
            content,
        })
        .boxed()
}
