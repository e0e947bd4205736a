//! Bytes in, messages out, and back: the CBOR encoding of the automerge-repo protocol.
//!
//! Decoding follows what the npm client (cbor-x) actually sends: maps in any length form and
//! any key order, unknown keys skipped, integers that may arrive as floats, `storageId` that may
//! be `undefined`, document ids as text (or raw bytes, as some Rust peers send). It never panics
//! and never recurses on input, so any byte string is safe to hand it.

use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

use crate::ids::{DocumentId, DocumentIdError, PeerId};
use crate::wire::{
    DocumentMessage, EphemeralMessage, JoinMessage, Message, PeerMessage, PeerMetadata,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the frame is not valid CBOR: {0}")]
    NotCbor(String),
    #[error("a message is a CBOR map, this frame holds something else")]
    NotAMap,
    #[error("the frame has bytes after its message")]
    TrailingBytes,
    #[error("the message has no `{0}` field")]
    MissingField(&'static str),
    #[error("the field `{0}` has the wrong type")]
    WrongType(&'static str),
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    #[error("`documentId`: {0}")]
    BadDocumentId(DocumentIdError),
    #[error("unknown message type `{0}`")]
    UnknownType(String),
}

impl From<minicbor::decode::Error> for DecodeError {
    fn from(error: minicbor::decode::Error) -> Self {
        DecodeError::NotCbor(error.to_string())
    }
}

/// Message types of the protocol that we read but do not act on.
const IGNORED_TYPES: [&str; 3] = [
    "leave",
    "remote-subscription-change",
    "remote-heads-changed",
];

/// The fields any message may carry, gathered before we know which message it is.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<&'a str>,
    sender_id: Option<&'a str>,
    target_id: Option<&'a str>,
    document_id: Option<Result<DocumentId, DocumentIdError>>,
    data: Option<&'a [u8]>,
    session_id: Option<&'a str>,
    count: Option<u64>,
    message: Option<&'a str>,
    peer_metadata: Option<PeerMetadata>,
    supported_versions: Option<Vec<String>>,
    selected_version: Option<&'a str>,
}

/// Decodes one frame. Errors name the problem in words fit to send back to the peer.
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    let mut d = Decoder::new(frame);
    if d.datatype()? != Type::Map && d.datatype()? != Type::MapIndef {
        return Err(DecodeError::NotAMap);
    }
    let mut fields = Fields::default();
    for_each_entry(&mut d, |d, key| read_field(d, key, &mut fields))?;
    if d.position() != frame.len() {
        return Err(DecodeError::TrailingBytes);
    }
    build(fields)
}

/// Calls `on_entry` for each key of the map at the decoder's position; `on_entry` must consume
/// the value.
fn for_each_entry<'b>(
    d: &mut Decoder<'b>,
    mut on_entry: impl FnMut(&mut Decoder<'b>, &'b str) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let mut remaining = d.map()?;
    loop {
        match remaining {
            Some(0) => return Ok(()),
            Some(ref mut n) => *n -= 1,
            None if d.datatype()? == Type::Break => {
                d.skip()?;
                return Ok(());
            }
            None => {}
        }
        match d.datatype()? {
            Type::String => {
                let key = d.str()?;
                on_entry(d, key)?;
            }
            // Keys that are not text mean nothing to us; skip key and value.
            _ => {
                d.skip()?;
                d.skip()?;
            }
        }
    }
}

fn read_field<'b>(d: &mut Decoder<'b>, key: &str, f: &mut Fields<'b>) -> Result<(), DecodeError> {
    match key {
        "type" => f.kind = Some(text(d, "type")?),
        "senderId" => f.sender_id = Some(text(d, "senderId")?),
        "targetId" => f.target_id = Some(text(d, "targetId")?),
        "documentId" => f.document_id = Some(document_id(d)?),
        "data" => f.data = Some(d.bytes().map_err(|_| DecodeError::WrongType("data"))?),
        "sessionId" => f.session_id = Some(text(d, "sessionId")?),
        "count" => f.count = Some(whole_number(d, "count")?),
        "message" => f.message = Some(text(d, "message")?),
        "peerMetadata" | "metadata" => f.peer_metadata = Some(peer_metadata(d)?),
        "supportedProtocolVersions" => f.supported_versions = Some(text_list(d)?),
        "selectedProtocolVersion" => f.selected_version = Some(text(d, "selectedProtocolVersion")?),
        _ => d.skip()?,
    }
    Ok(())
}

fn text<'b>(d: &mut Decoder<'b>, field: &'static str) -> Result<&'b str, DecodeError> {
    d.str().map_err(|_| DecodeError::WrongType(field))
}

/// cbor-x writes integer-valued JS numbers either as integers or as floats.
fn whole_number(d: &mut Decoder<'_>, field: &'static str) -> Result<u64, DecodeError> {
    let value = match d.datatype()? {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => d.u64()?,
        Type::F32 | Type::F64 => {
            let x = d.f64()?;
            // `u64::MAX as f64` rounds up to 2^64, one past the largest count: the range must
            // stop short of it, or 2^64 would be read as `u64::MAX`.
            if x.fract() != 0.0 || !(0.0..u64::MAX as f64).contains(&x) {
                return Err(DecodeError::WrongType(field));
            }
            x as u64
        }
        _ => return Err(DecodeError::WrongType(field)),
    };
    Ok(value)
}

fn document_id(d: &mut Decoder<'_>) -> Result<Result<DocumentId, DocumentIdError>, DecodeError> {
    match d.datatype()? {
        Type::String => Ok(d.str()?.parse()),
        Type::Bytes => Ok(DocumentId::from_bytes(d.bytes()?)),
        _ => Err(DecodeError::WrongType("documentId")),
    }
}

fn text_list(d: &mut Decoder<'_>) -> Result<Vec<String>, DecodeError> {
    const FIELD: &str = "supportedProtocolVersions";
    let len = d.array().map_err(|_| DecodeError::WrongType(FIELD))?;
    let mut items = Vec::new();
    let mut remaining = len;
    loop {
        match remaining {
            Some(0) => break,
            Some(ref mut n) => *n -= 1,
            None if d.datatype()? == Type::Break => {
                d.skip()?;
                break;
            }
            None => {}
        }
        // A handful of versions is all any peer has; more is hostile.
        if items.len() >= 16 {
            return Err(DecodeError::WrongType(FIELD));
        }
        items.push(text(d, FIELD)?.to_owned());
    }
    Ok(items)
}

fn peer_metadata(d: &mut Decoder<'_>) -> Result<PeerMetadata, DecodeError> {
    match d.datatype()? {
        Type::Map | Type::MapIndef => {}
        // Some peers send `undefined` or `null` for "no metadata".
        Type::Undefined | Type::Null => {
            d.skip()?;
            return Ok(PeerMetadata::default());
        }
        _ => return Err(DecodeError::WrongType("peerMetadata")),
    }
    let mut metadata = PeerMetadata::default();
    for_each_entry(d, |d, key| {
        match key {
            "storageId" => match d.datatype()? {
                Type::String => metadata.storage_id = Some(d.str()?.to_owned()),
                Type::Undefined | Type::Null => d.skip()?,
                _ => return Err(DecodeError::WrongType("storageId")),
            },
            "isEphemeral" => {
                metadata.is_ephemeral = d
                    .bool()
                    .map_err(|_| DecodeError::WrongType("isEphemeral"))?
            }
            _ => d.skip()?,
        }
        Ok(())
    })?;
    Ok(metadata)
}

fn build(f: Fields<'_>) -> Result<Message, DecodeError> {
    let kind = f.kind.ok_or(DecodeError::MissingField("type"))?;
    let sender = || required(f.sender_id, "senderId").map(PeerId::new);
    let target = || required(f.target_id, "targetId").map(PeerId::new);
    let document = || match &f.document_id {
        None => Err(DecodeError::MissingField("documentId")),
        Some(Ok(id)) => Ok(*id),
        Some(Err(e)) => Err(DecodeError::BadDocumentId(e.clone())),
    };
    let data = || {
        let data = f.data.ok_or(DecodeError::MissingField("data"))?;
        if data.is_empty() {
            return Err(DecodeError::Empty("data"));
        }
        Ok(data.to_vec())
    };
    let message = match kind {
        "join" => Message::Join(JoinMessage {
            sender_id: sender()?,
            peer_metadata: f.peer_metadata.clone().unwrap_or_default(),
            supported_protocol_versions: f.supported_versions.clone(),
        }),
        "peer" => Message::Peer(PeerMessage {
            sender_id: sender()?,
            target_id: target()?,
            peer_metadata: f.peer_metadata.clone().unwrap_or_default(),
            selected_protocol_version: required(f.selected_version, "selectedProtocolVersion")?
                .to_owned(),
        }),
        "error" => Message::Error {
            message: f.message.unwrap_or_default().to_owned(),
        },
        "request" | "sync" => {
            let body = DocumentMessage {
                sender_id: sender()?,
                target_id: target()?,
                document_id: document()?,
                data: data()?,
            };
            if kind == "request" {
                Message::Request(body)
            } else {
                Message::Sync(body)
            }
        }
        "doc-unavailable" => Message::DocUnavailable {
            sender_id: sender()?,
            target_id: target()?,
            document_id: document()?,
        },
        "ephemeral" => Message::Ephemeral(EphemeralMessage {
            sender_id: sender()?,
            target_id: target()?,
            document_id: document()?,
            session_id: required(f.session_id, "sessionId")?.to_owned(),
            count: f.count.ok_or(DecodeError::MissingField("count"))?,
            data: data()?,
        }),
        other if IGNORED_TYPES.contains(&other) => Message::Ignored {
            kind: other.to_owned(),
        },
        other => {
            let shown: String = other.chars().take(64).collect();
            return Err(DecodeError::UnknownType(shown));
        }
    };
    Ok(message)
}

fn required<'a>(value: Option<&'a str>, field: &'static str) -> Result<&'a str, DecodeError> {
    value.ok_or(DecodeError::MissingField(field))
}

/// Encodes one message as the npm client would: a definite-length map, text keys, byte strings
/// without tags.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    write(&mut e, message).expect("writing to a Vec cannot fail");
    e.into_writer()
}

type EncodeResult = Result<(), minicbor::encode::Error<core::convert::Infallible>>;

fn write(e: &mut Encoder<Vec<u8>>, message: &Message) -> EncodeResult {
    match message {
        Message::Join(join) => {
            let versions = join.supported_protocol_versions.as_deref();
            e.map(3 + u64::from(versions.is_some()))?;
            e.str("type")?.str("join")?;
            e.str("senderId")?.str(join.sender_id.as_str())?;
            e.str("peerMetadata")?;
            write_metadata(e, &join.peer_metadata)?;
            if let Some(versions) = versions {
                e.str("supportedProtocolVersions")?
                    .array(versions.len() as u64)?;
                for v in versions {
                    e.str(v)?;
                }
            }
        }
        Message::Peer(peer) => {
            e.map(5)?;
            e.str("type")?.str("peer")?;
            e.str("senderId")?.str(peer.sender_id.as_str())?;
            e.str("targetId")?.str(peer.target_id.as_str())?;
            e.str("peerMetadata")?;
            write_metadata(e, &peer.peer_metadata)?;
            e.str("selectedProtocolVersion")?
                .str(&peer.selected_protocol_version)?;
        }
        Message::Error { message } => {
            e.map(2)?;
            e.str("type")?.str("error")?;
            e.str("message")?.str(message)?;
        }
        Message::Request(body) | Message::Sync(body) => {
            e.map(5)?;
            e.str("type")?.str(message.kind())?;
            e.str("senderId")?.str(body.sender_id.as_str())?;
            e.str("targetId")?.str(body.target_id.as_str())?;
            e.str("documentId")?.str(&body.document_id.to_string())?;
            e.str("data")?.bytes(&body.data)?;
        }
        Message::DocUnavailable {
            sender_id,
            target_id,
            document_id,
        } => {
            e.map(4)?;
            e.str("type")?.str("doc-unavailable")?;
            e.str("senderId")?.str(sender_id.as_str())?;
            e.str("targetId")?.str(target_id.as_str())?;
            e.str("documentId")?.str(&document_id.to_string())?;
        }
        Message::Ephemeral(m) => {
            e.map(7)?;
            e.str("type")?.str("ephemeral")?;
            e.str("senderId")?.str(m.sender_id.as_str())?;
            e.str("targetId")?.str(m.target_id.as_str())?;
            e.str("documentId")?.str(&m.document_id.to_string())?;
            e.str("sessionId")?.str(&m.session_id)?;
            e.str("count")?.u64(m.count)?;
            e.str("data")?.bytes(&m.data)?;
        }
        Message::Ignored { kind } => {
            e.map(1)?;
            e.str("type")?.str(kind)?;
        }
    }
    Ok(())
}

fn write_metadata(e: &mut Encoder<Vec<u8>>, metadata: &PeerMetadata) -> EncodeResult {
    e.map(1 + u64::from(metadata.storage_id.is_some()))?;
    if let Some(storage_id) = &metadata.storage_id {
        e.str("storageId")?.str(storage_id)?;
    }
    e.str("isEphemeral")?.bool(metadata.is_ephemeral)?;
    Ok(())
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
