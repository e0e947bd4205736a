//! Property tests (proptest) of `decode` and `encode`. Any bytes are read or refused, quickly
//! and with memory in proportion to the frame, never to what the frame claims. Every valid
//! message survives the round trip byte for byte, and the other encodings a peer may legally
//! choose read as the same message. Valid frames broken on purpose (cut, flipped, retyped,
//! duplicated, lengthened, nested deep) are refused, or read as a message that is itself stable.
//!
//! `PROPTEST_CASES=200000 cargo test -p agora-schema --release` runs them for long; a failing
//! case is saved under `schema/proptest-regressions/` and replayed first from then on (commit
//! that file: it is the regression test).

mod cbor;
mod messages;
mod mutations;
mod rewrites;
mod values;

use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseError;

use self::cbor::{header_bytes, Cbor};
use super::{decode, encode, DecodeError};
use crate::ids::{DocumentId, PeerId};
use crate::wire::{EphemeralMessage, Message};

/// Memory decoding may hold at once per byte of frame. The decoder keeps a stack of open
/// containers while it skips a nested value: at most about one 16-byte entry per byte, in a
/// vector of up to twice that capacity, briefly beside the old one as it grows (48). The
/// message's own copies of text and data add at most one more.
const ALLOCATION_PER_FRAME_BYTE: u64 = 64;
/// ... plus error texts and small vectors, whatever the frame.
const ALLOCATION_FLOOR: u64 = 16 * 1024;
/// Far more than any frame here takes, even in a debug build on a busy machine: only work that
/// follows a claimed length, or grows faster than the frame, comes near it.
const DECODE_TIME_LIMIT: Duration = Duration::from_secs(2);

/// Cases for a property when `PROPTEST_CASES` does not say: each property's own number keeps
/// the crate's tests to a few seconds in a debug build.
fn cases(in_the_suite: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(in_the_suite);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Decodes `frame` and checks what must hold for any input: a bounded peak of memory and time,
/// and a message that, if accepted, survives re-encoding unchanged. A panic fails the case.
fn decode_checked(frame: &[u8]) -> Result<Result<Message, DecodeError>, TestCaseError> {
    let started = Instant::now();
    let mut decoded = None;
    let allocated = allocation_counter::measure(|| decoded = Some(decode(frame)));
    let took = started.elapsed();
    let decoded = decoded.expect("decode ran");

    let budget = ALLOCATION_FLOOR + ALLOCATION_PER_FRAME_BYTE * frame.len() as u64;
    prop_assert!(
        allocated.bytes_max <= budget,
        "decoding {} bytes held {} bytes at once",
        frame.len(),
        allocated.bytes_max
    );
    prop_assert!(
        took < DECODE_TIME_LIMIT,
        "decoding {} bytes took {:?}",
        frame.len(),
        took
    );
    if let Ok(message) = &decoded {
        let bytes = encode(message);
        match decode(&bytes) {
            Ok(again) => {
                prop_assert!(again == *message, "read as {message:?}, then as {again:?}");
                prop_assert!(encode(&again) == bytes, "{message:?} encodes two ways");
            }
            Err(error) => prop_assert!(false, "read as {message:?}, then refused: {error}"),
        }
    }
    Ok(decoded)
}

/// Bytes of every length from none to a megabyte; some start as a map, even with a `type`, so
/// that the decoder gets past its first byte.
fn any_frame() -> BoxedStrategy<Vec<u8>> {
    let map_start = prop_oneof![
        (0xa0..=0xbfu8).prop_map(|header| vec![header]),
        (
            0xa1..=0xa7u8,
            select(&["join", "peer", "sync", "ephemeral", "leave"][..])
        )
            .prop_map(|(header, kind)| {
                let mut start = vec![header, 0x64];
                start.extend_from_slice(b"type");
                start.extend(header_bytes(3, kind.len() as u64, 0));
                start.extend_from_slice(kind.as_bytes());
                start
            }),
    ];
    prop_oneof![
        4 => vec(any::<u8>(), 0..16),
        4 => vec(any::<u8>(), 0..256),
        2 => vec(any::<u8>(), 0..4_096),
        1 => vec(any::<u8>(), 0..(1 << 20)),
        4 => (map_start, vec(any::<u8>(), 0..512)).prop_map(|(start, rest)| [start, rest].concat()),
    ]
    .boxed()
}

/// Where to cut a frame of `len` bytes: everywhere when short; near both ends and at 256
/// points between when long, since each cut costs a decode.
fn cut_points(len: usize) -> Vec<usize> {
    if len <= 4_096 {
        return (0..len).collect();
    }
    let mut cuts: Vec<usize> = (0..1_024).chain(len - 1_024..len).collect();
    cuts.extend((1..256).map(|i| len * i / 256));
    cuts
}

/// Floats a peer might send for a count: whole or not, at the edges of `u64` and of exact
/// integers, negative, infinite, not a number.
fn float_count() -> BoxedStrategy<Cbor> {
    let edges = [
        0.0,
        -0.0,
        0.5,
        1.0,
        -1.0,
        9_007_199_254_740_992.0,      // 2^53
        9_223_372_036_854_775_808.0,  // 2^63
        18_446_744_073_709_549_568.0, // 2^64 - 2048, the largest float below 2^64
        18_446_744_073_709_551_616.0, // 2^64
        36_893_488_147_419_103_232.0, // 2^65
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    prop_oneof![
        select(edges.to_vec()).prop_map(Cbor::F64),
        any::<u64>().prop_map(|n| Cbor::F64(n as f64)),
        any::<f64>().prop_map(Cbor::F64),
        any::<u32>().prop_map(|n| Cbor::F32(n as f32)),
        any::<f32>().prop_map(Cbor::F32),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(cases(256))]

    /// Any bytes at all are read or refused.
    #[test]
    fn any_bytes_are_read_or_refused(frame in any_frame()) {
        let _ = decode_checked(&frame)?;
    }

    /// Every valid message reads back as itself and encodes to the same bytes again; `encode`
    /// writes exactly the shortest-form map the CBOR model describes.
    #[test]
    fn valid_messages_round_trip(message in messages::message()) {
        let bytes = encode(&message);
        prop_assert!(bytes == cbor::write(&Cbor::Map(cbor::entries(&message)), &[]));
        let decoded = decode(&bytes);
        prop_assert!(decoded.as_ref() == Ok(&message), "read back as {decoded:?}");
        prop_assert!(encode(&decoded.unwrap()) == bytes);
    }

    /// Any key order, wider or indefinite-length headers, unknown fields (nested deep, too), an
    /// earlier copy of a field that the later one overrides, a count as an exact float, a
    /// binary document id, `metadata` for `peerMetadata`, `undefined` or `null` for nothing:
    /// all read as the same message.
    #[test]
    fn other_legal_encodings_read_as_the_same_message(
        message in messages::message(),
        rewrite in rewrites::rewrite(),
    ) {
        let frame = rewrites::rewritten(&message, &rewrite);
        prop_assert_eq!(decode_checked(&frame)?, Ok(message));
    }

    /// The two limits `encode` does not enforce: an empty `data`, and more than 16 versions.
    #[test]
    fn empty_data_and_too_many_versions_are_refused(
        message in messages::message(),
        extra_versions in vec("[0-9]", 17..40),
    ) {
        let mut message = message;
        let refusal = match &mut message {
            Message::Request(body) | Message::Sync(body) => {
                body.data.clear();
                DecodeError::Empty("data")
            }
            Message::Ephemeral(m) => {
                m.data.clear();
                DecodeError::Empty("data")
            }
            Message::Join(join) => {
                join.supported_protocol_versions = Some(extra_versions);
                DecodeError::WrongType("supportedProtocolVersions")
            }
            _ => return Ok(()),
        };
        prop_assert_eq!(decode_checked(&encode(&message))?, Err(refusal));
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// A valid frame cut short anywhere is refused: CBOR is self-delimiting, so no proper
    /// prefix of a frame is a whole message.
    #[test]
    fn every_cut_of_a_valid_frame_is_refused(message in messages::message()) {
        let bytes = encode(&message);
        for cut in cut_points(bytes.len()) {
            prop_assert!(decode_checked(&bytes[..cut])?.is_err(), "cut at {}", cut);
        }
    }
}

proptest! {
    #![proptest_config(cases(512))]

    /// Structured mutations (entries removed, duplicated, retyped, re-keyed, tagged, inserted,
    /// lengthened, nested deep, given another major type, also inside `peerMetadata`), then
    /// byte mutations (bits flipped, bytes set, inserted, deleted, runs repeated, the frame
    /// cut): refused, or read as a stable message.
    #[test]
    fn mutated_frames_are_refused_or_read_stably(
        message in messages::message(),
        structured in vec(mutations::mutation(), 0..4),
        forms in vec(any::<u8>(), 0..4),
        bytes in vec(mutations::byte_mutation(), 0..4),
    ) {
        let mut entries = cbor::entries(&message);
        for mutation in &structured {
            mutations::apply(&mut entries, mutation);
        }
        let mut frame = cbor::write(&Cbor::Map(entries), &forms);
        for mutation in &bytes {
            mutations::apply_to_bytes(&mut frame, mutation);
        }
        let _ = decode_checked(&frame)?;
    }

    /// A length or count that claims more than any frame holds, for the message's map, any
    /// field's value or one inside `peerMetadata`, is refused at once, with no memory to
    /// match the claim.
    #[test]
    fn huge_claimed_lengths_are_refused_at_once(
        message in messages::message(),
        at in proptest::option::of((any::<Index>(), any::<bool>())),
        claim in values::huge_claim(),
    ) {
        let frame = match at {
            None => {
                // The encoder's map header is one byte: no message has 24 fields.
                let bytes = encode(&message);
                [header_bytes(5, claim.claimed, 0), bytes[1..].to_vec()].concat()
            }
            Some((at, inside)) => {
                let value = claim.value();
                let mut entries = cbor::entries(&message);
                let at = at.index(entries.len());
                match &mut entries[at].1 {
                    Cbor::Map(inner) if inside => {
                        inner[0].1 = value;
                    }
                    slot => *slot = value,
                }
                cbor::write(&Cbor::Map(entries), &[])
            }
        };
        prop_assert!(decode_checked(&frame)?.is_err());
    }

    /// A count sent as a float is read as exactly that whole number, or refused.
    #[test]
    fn float_counts_are_read_exactly_or_refused(count in float_count()) {
        let message = Message::Ephemeral(EphemeralMessage {
            sender_id: PeerId::new("peer-a"),
            target_id: PeerId::new("server"),
            document_id: DocumentId::from_bytes(&[7; 16]).expect("16 bytes"),
            session_id: "s".into(),
            count: 0,
            data: vec![1],
        });
        let mut entries = cbor::entries(&message);
        let slot = entries
            .iter_mut()
            .find(|(key, _)| *key == cbor::text("count"))
            .expect("an ephemeral message has a count");
        slot.1 = count.clone();
        let x = match count {
            Cbor::F32(x) => f64::from(x),
            Cbor::F64(x) => x,
            _ => unreachable!("a float"),
        };
        let exact = x.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&x);
        match decode_checked(&cbor::write(&Cbor::Map(entries), &[]))? {
            Ok(Message::Ephemeral(read)) => {
                prop_assert!(exact, "{x} read as {}", read.count);
                prop_assert_eq!(u128::from(read.count), x as u128);
            }
            Ok(other) => prop_assert!(false, "read as {other:?}"),
            Err(error) => {
                prop_assert!(!exact, "{x} refused: {error}");
                prop_assert_eq!(error, DecodeError::WrongType("count"));
            }
        }
    }
}
