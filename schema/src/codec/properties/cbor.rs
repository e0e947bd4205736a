//! A small CBOR value model, to build the frames our encoder never writes but a peer may: wider
//! length headers than needed, indefinite lengths, other key orders, values of the wrong type,
//! unknown keys, and raw bytes (a lone header claiming more than follows) in place of a value.

use crate::wire::{Message, PeerMetadata};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cbor {
    Unsigned(u64),
    /// The integer `-1 - n`.
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Cbor>),
    Map(Vec<(Cbor, Cbor)>),
    Tag(u64, Box<Cbor>),
    /// Major type 7 with this argument: 20 false, 21 true, 22 null, 23 undefined.
    Simple(u8),
    F32(f32),
    F64(f64),
    /// Written as it stands: a value that may not be well-formed CBOR at all.
    Raw(Vec<u8>),
}

pub(super) const FALSE: Cbor = Cbor::Simple(20);
pub(super) const TRUE: Cbor = Cbor::Simple(21);
pub(super) const NULL: Cbor = Cbor::Simple(22);
pub(super) const UNDEFINED: Cbor = Cbor::Simple(23);

const UNSIGNED: u8 = 0;
const NEGATIVE: u8 = 1;
const BYTES: u8 = 2;
const TEXT: u8 = 3;
const ARRAY: u8 = 4;
const MAP: u8 = 5;
const TAG: u8 = 6;
const BREAK: u8 = 0xff;

pub(super) fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

/// The map `encode` writes for `message`, entry by entry in the same order.
pub(super) fn entries(message: &Message) -> Vec<(Cbor, Cbor)> {
    let mut entries = vec![(text("type"), text(message.kind()))];
    let mut add = |key: &str, value: Cbor| entries.push((text(key), value));
    match message {
        Message::Join(join) => {
            add("senderId", text(join.sender_id.as_str()));
            add("peerMetadata", metadata(&join.peer_metadata));
            if let Some(versions) = &join.supported_protocol_versions {
                let versions = versions.iter().map(|v| text(v)).collect();
                add("supportedProtocolVersions", Cbor::Array(versions));
            }
        }
        Message::Peer(peer) => {
            add("senderId", text(peer.sender_id.as_str()));
            add("targetId", text(peer.target_id.as_str()));
            add("peerMetadata", metadata(&peer.peer_metadata));
            add(
                "selectedProtocolVersion",
                text(&peer.selected_protocol_version),
            );
        }
        Message::Error { message } => add("message", text(message)),
        Message::Request(body) | Message::Sync(body) => {
            add("senderId", text(body.sender_id.as_str()));
            add("targetId", text(body.target_id.as_str()));
            add("documentId", text(&body.document_id.to_string()));
            add("data", Cbor::Bytes(body.data.clone()));
        }
        Message::DocUnavailable {
            sender_id,
            target_id,
            document_id,
        } => {
            add("senderId", text(sender_id.as_str()));
            add("targetId", text(target_id.as_str()));
            add("documentId", text(&document_id.to_string()));
        }
        Message::Ephemeral(m) => {
            add("senderId", text(m.sender_id.as_str()));
            add("targetId", text(m.target_id.as_str()));
            add("documentId", text(&m.document_id.to_string()));
            add("sessionId", text(&m.session_id));
            add("count", Cbor::Unsigned(m.count));
            add("data", Cbor::Bytes(m.data.clone()));
        }
        Message::Ignored { .. } => {}
    }
    entries
}

pub(super) fn metadata(metadata: &PeerMetadata) -> Cbor {
    let mut entries = Vec::new();
    if let Some(storage_id) = &metadata.storage_id {
        entries.push((text("storageId"), text(storage_id)));
    }
    let is_ephemeral = if metadata.is_ephemeral { TRUE } else { FALSE };
    entries.push((text("isEphemeral"), is_ephemeral));
    Cbor::Map(entries)
}

/// Writes `value`, each header in the form the next of `forms` picks (cycling; none: the
/// shortest form throughout, as `encode` writes). A form's low three bits pick the header's
/// width: 0 shortest, then 1, 2, 4 or 8 argument bytes where the argument fits; its top bit
/// makes an array or map indefinite.
pub(super) fn write(value: &Cbor, forms: &[u8]) -> Vec<u8> {
    let mut writer = Writer {
        out: Vec::new(),
        forms,
        next: 0,
    };
    writer.value(value);
    writer.out
}

struct Writer<'a> {
    out: Vec<u8>,
    forms: &'a [u8],
    next: usize,
}

impl Writer<'_> {
    fn form(&mut self) -> u8 {
        let Some(&form) = self.forms.get(self.next % self.forms.len().max(1)) else {
            return 0;
        };
        self.next += 1;
        form
    }

    fn value(&mut self, value: &Cbor) {
        match value {
            Cbor::Unsigned(n) => self.header(UNSIGNED, *n),
            Cbor::Negative(n) => self.header(NEGATIVE, *n),
            Cbor::Bytes(bytes) => {
                self.header(BYTES, bytes.len() as u64);
                self.out.extend_from_slice(bytes);
            }
            Cbor::Text(text) => {
                self.header(TEXT, text.len() as u64);
                self.out.extend_from_slice(text.as_bytes());
            }
            Cbor::Array(items) => {
                let indefinite = self.container(ARRAY, items.len());
                for item in items {
                    self.value(item);
                }
                if indefinite {
                    self.out.push(BREAK);
                }
            }
            Cbor::Map(entries) => {
                let indefinite = self.container(MAP, entries.len());
                for (key, value) in entries {
                    self.value(key);
                    self.value(value);
                }
                if indefinite {
                    self.out.push(BREAK);
                }
            }
            Cbor::Tag(tag, inner) => {
                self.header(TAG, *tag);
                self.value(inner);
            }
            Cbor::Simple(n) if *n < 24 => self.out.push(0xe0 | n),
            Cbor::Simple(n) => self.out.extend_from_slice(&[0xf8, *n]),
            Cbor::F32(x) => {
                self.out.push(0xfa);
                self.out.extend_from_slice(&x.to_be_bytes());
            }
            Cbor::F64(x) => {
                self.out.push(0xfb);
                self.out.extend_from_slice(&x.to_be_bytes());
            }
            Cbor::Raw(bytes) => self.out.extend_from_slice(bytes),
        }
    }

    /// Returns whether the container was opened with indefinite length, so needs a break.
    fn container(&mut self, major: u8, len: usize) -> bool {
        let form = self.form();
        if form & 0x80 != 0 {
            self.out.push(major << 5 | 31);
            return true;
        }
        self.header_in_form(major, len as u64, form);
        false
    }

    fn header(&mut self, major: u8, argument: u64) {
        let form = self.form();
        self.header_in_form(major, argument, form);
    }

    fn header_in_form(&mut self, major: u8, argument: u64, form: u8) {
        self.out
            .extend_from_slice(&header_bytes(major, argument, form & 0x07));
    }
}

/// A header of major type `major` with `argument`, in the shortest form that fits and is at
/// least as wide as `width` asks (0 shortest, 1..=4 for 1, 2, 4 or 8 argument bytes).
pub(super) fn header_bytes(major: u8, argument: u64, width: u8) -> Vec<u8> {
    let needed = match argument {
        0..=23 => 0,
        24..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xffff_ffff => 3,
        _ => 4,
    };
    let initial = major << 5;
    match needed.max(width.min(4)) {
        0 => vec![initial | argument as u8],
        1 => vec![initial | 24, argument as u8],
        2 => [&[initial | 25][..], &(argument as u16).to_be_bytes()].concat(),
        3 => [&[initial | 26][..], &(argument as u32).to_be_bytes()].concat(),
        _ => [&[initial | 27][..], &argument.to_be_bytes()].concat(),
    }
}
