//! Valid messages of every kind with hostile field values: whatever a peer may legally send,
//! so the codec must carry it unchanged.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

use super::super::IGNORED_TYPES;
use crate::ids::{DocumentId, PeerId};
use crate::wire::{
    DocumentMessage, EphemeralMessage, JoinMessage, Message, PeerMessage, PeerMetadata,
};

/// Lengths where a CBOR header changes width (23 → 24 → 256 → 65 536), and either side of them.
const LENGTH_BOUNDARIES: [usize; 9] = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 70_000];

/// Numbers at the edges of CBOR's argument widths, of JS's exact integers, and of `u64`.
const NUMBER_BOUNDARIES: [u64; 14] = [
    0,
    1,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    u32::MAX as u64,
    u32::MAX as u64 + 1,
    1 << 53,
    (1 << 53) + 1,
    u64::MAX - 1,
    u64::MAX,
];

/// Text no peer should send but any may: control characters, bidirectional overrides,
/// combining marks alone, non-characters, emoji, and lengths at every header boundary.
pub(super) fn hostile_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => any::<String>(),
        2 => "[\\x00-\\x1f\\x7f\u{80}-\u{9f}a]{0,24}",
        2 => "[a-z \u{200e}\u{200f}\u{202a}-\u{202e}\u{2066}-\u{2069}\u{61c}\u{5d0}-\u{5ea}]{0,24}",
        1 => "[\u{300}-\u{36f}\u{200b}-\u{200d}\u{feff}\u{fffd}\u{fffe}\u{ffff}\u{1f600}-\u{1f64f}\u{10ffff}]{0,24}",
        1 => vec(any::<char>(), 0..2_000).prop_map(String::from_iter),
        1 => (select(&LENGTH_BOUNDARIES[..]), any::<char>()).prop_map(|(len, c)| {
            // Exactly `len` bytes: the character as often as it fits, then ASCII.
            let mut text = c.to_string().repeat(len / c.len_utf8());
            text.push_str(&"a".repeat(len - text.len()));
            text
        }),
    ]
    .boxed()
}

fn peer_id() -> BoxedStrategy<PeerId> {
    prop_oneof![
        1 => Just(PeerId::new("server")),
        4 => hostile_text().prop_map(PeerId::new),
    ]
    .boxed()
}

fn document_id() -> BoxedStrategy<DocumentId> {
    prop_oneof![
        4 => any::<[u8; 16]>(),
        1 => Just([0; 16]),
        1 => Just([0xff; 16]),
    ]
    .prop_map(|bytes| DocumentId::from_bytes(&bytes).expect("16 bytes"))
    .boxed()
}

/// A `data` field: never empty (the protocol refuses that), sometimes at a header boundary,
/// sometimes a megabyte.
fn payload() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => vec(any::<u8>(), 1..64),
        2 => (select(&LENGTH_BOUNDARIES[1..]), any::<u8>()).prop_map(|(len, byte)| vec![byte; len]),
        1 => vec(any::<u8>(), 1..8_192),
        1 => Just(vec![0x43; 1 << 20]),
    ]
    .boxed()
}

fn count() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), select(&NUMBER_BOUNDARIES[..])]
}

fn peer_metadata() -> BoxedStrategy<PeerMetadata> {
    (option::of(hostile_text()), any::<bool>())
        .prop_map(|(storage_id, is_ephemeral)| PeerMetadata {
            storage_id,
            is_ephemeral,
        })
        .boxed()
}

fn protocol_version() -> BoxedStrategy<String> {
    prop_oneof![Just("1".to_owned()), hostile_text()].boxed()
}

fn document_message() -> BoxedStrategy<DocumentMessage> {
    (peer_id(), peer_id(), document_id(), payload())
        .prop_map(
            |(sender_id, target_id, document_id, data)| DocumentMessage {
                sender_id,
                target_id,
                document_id,
                data,
            },
        )
        .boxed()
}

/// Any message of any kind that `decode` accepts, every optional field present or absent.
pub(super) fn message() -> BoxedStrategy<Message> {
    prop_oneof![
        (
            peer_id(),
            peer_metadata(),
            // More than 16 versions is refused as hostile.
            option::of(vec(protocol_version(), 0..=16)),
        )
            .prop_map(|(sender_id, peer_metadata, supported_protocol_versions)| {
                Message::Join(JoinMessage {
                    sender_id,
                    peer_metadata,
                    supported_protocol_versions,
                })
            }),
        (peer_id(), peer_id(), peer_metadata(), protocol_version()).prop_map(
            |(sender_id, target_id, peer_metadata, selected_protocol_version)| {
                Message::Peer(PeerMessage {
                    sender_id,
                    target_id,
                    peer_metadata,
                    selected_protocol_version,
                })
            }
        ),
        hostile_text().prop_map(|message| Message::Error { message }),
        document_message().prop_map(Message::Request),
        document_message().prop_map(Message::Sync),
        (peer_id(), peer_id(), document_id()).prop_map(|(sender_id, target_id, document_id)| {
            Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            }
        }),
        (document_message(), hostile_text(), count()).prop_map(|(body, session_id, count)| {
            Message::Ephemeral(EphemeralMessage {
                sender_id: body.sender_id,
                target_id: body.target_id,
                document_id: body.document_id,
                session_id,
                count,
                data: body.data,
            })
        }),
        select(&IGNORED_TYPES[..]).prop_map(|kind| Message::Ignored {
            kind: kind.to_owned()
        }),
    ]
    .boxed()
}
