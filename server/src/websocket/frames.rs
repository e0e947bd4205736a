//! WebSocket frames (RFC 6455, section 5) as the server reads and writes them, without I/O.
//!
//! [`FrameReader`] takes bytes as they arrive and gives back whole messages and control
//! frames. It keeps bytes only while a frame or a fragmented message is incomplete, so between
//! messages it holds no buffer at all. A frame's declared length is checked against the limit
//! as soon as its header is complete, before any of its payload is kept.

/// Opcodes (section 5.2).
pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// The longest header the server writes: two bytes and a 64-bit length, no mask.
pub const MAX_SERVER_HEADER: usize = 10;

/// A buffer of more than this many bytes is shrunk when little of it is left in use.
const SHRINK_ABOVE: usize = 4096;

/// Control frames carry at most this many payload bytes and are never fragmented.
const MAX_CONTROL_PAYLOAD: u64 = 125;

/// A message or control frame from the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Binary(Vec<u8>),
    /// A text frame: not part of the protocol, so its content is not kept.
    Text,
    Ping(Vec<u8>),
    Pong,
    /// The peer's close frame: its status code and reason, if it gave one.
    Close(Option<(u16, String)>),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame or message longer than {limit} bytes")]
    TooBig { limit: usize },
    #[error("malformed WebSocket frame: {0}")]
    Malformed(&'static str),
}

/// Reads frames from the bytes a peer sends.
#[derive(Debug)]
pub struct FrameReader {
    /// Bytes of a frame not yet complete (and any after it); empty and unallocated between
    /// frames.
    pending: Vec<u8>,
    /// The payload so far of a binary message sent in fragments.
    fragments: Option<Vec<u8>>,
    /// The most bytes one frame, or one fragmented message, may hold.
    limit: usize,
}

impl FrameReader {
    pub fn new(limit: usize) -> Self {
        Self {
            pending: Vec::new(),
            fragments: None,
            limit,
        }
    }

    /// True between messages: nothing of a frame or a fragmented message is waiting.
    pub fn is_between_messages(&self) -> bool {
        self.pending.is_empty() && self.fragments.is_none()
    }

    /// Bytes held for an incomplete frame or message.
    pub fn held_bytes(&self) -> usize {
        self.pending.capacity() + self.fragments.as_ref().map_or(0, Vec::capacity)
    }

    /// Takes bytes just received and returns the first whole message or control frame in them
    /// (after any bytes kept from before). What follows it is kept for [`Self::next_kept`].
    pub fn push(&mut self, input: &[u8]) -> Result<Option<Incoming>, FrameError> {
        if !self.pending.is_empty() {
            self.pending.extend_from_slice(input);
            return self.next_kept();
        }
        // The common case, whole frames in one read: read straight from the input, and keep
        // only what follows the message.
        let (used, found) = take_message(&mut self.fragments, self.limit, input)?;
        self.pending.extend_from_slice(&input[used..]);
        Ok(found)
    }

    /// The next whole message or control frame in the bytes kept so far, if they hold one.
    pub fn next_kept(&mut self) -> Result<Option<Incoming>, FrameError> {
        let (used, found) = take_message(&mut self.fragments, self.limit, &self.pending)?;
        if used == self.pending.len() {
            // Nothing left: let the buffer go, so an idle connection holds none.
            self.pending = Vec::new();
        } else if used > 0 {
            self.pending.drain(..used);
            // A large frame's buffer is not kept for the small rest of a read after it.
            if self.pending.capacity() > SHRINK_ABOVE && self.pending.len() < SHRINK_ABOVE {
                self.pending.shrink_to_fit();
            }
        }
        Ok(found)
    }
}

/// Reads whole frames from the start of `bytes` until one finishes a message or control frame,
/// or the next is incomplete: the bytes those frames took, and what they finished.
fn take_message(
    fragments: &mut Option<Vec<u8>>,
    limit: usize,
    bytes: &[u8],
) -> Result<(usize, Option<Incoming>), FrameError> {
    let mut used = 0;
    while used < bytes.len() {
        let Some((length, found)) = take_frame(fragments, limit, &bytes[used..])? else {
            break;
        };
        used += length;
        if found.is_some() {
            return Ok((used, found));
        }
    }
    Ok((used, None))
}

/// A frame header as read.
struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    /// Bytes of the header itself.
    length: usize,
    payload: u64,
}

/// Reads one frame from the start of `bytes`: `None` while it is incomplete, else the bytes it
/// took and the message it finished (a fragment of a longer message finishes none). Errors as
/// soon as the bytes at hand show the frame is not acceptable.
fn take_frame(
    fragments: &mut Option<Vec<u8>>,
    limit: usize,
    bytes: &[u8],
) -> Result<Option<(usize, Option<Incoming>)>, FrameError> {
    let Some(header) = read_header(bytes, limit)? else {
        return Ok(None);
    };
    // Fits in usize: `read_header` checked it against the limit.
    let end = header.length + header.payload as usize;
    if bytes.len() < end {
        return Ok(None);
    }
    let mut payload = bytes[header.length..end].to_vec();
    unmask(&mut payload, header.mask);
    let incoming = match header.opcode {
        CONTINUATION => {
            let Some(message) = fragments.as_mut() else {
                return Err(FrameError::Malformed(
                    "a continuation frame with no message to continue",
                ));
            };
            if message.len() + payload.len() > limit {
                return Err(FrameError::TooBig { limit });
            }
            message.extend_from_slice(&payload);
            if header.fin {
                fragments.take().map(Incoming::Binary)
            } else {
                None
            }
        }
        TEXT | BINARY if fragments.is_some() => {
            return Err(FrameError::Malformed(
                "a new message began before the last one ended",
            ));
        }
        TEXT => Some(Incoming::Text),
        BINARY if header.fin => Some(Incoming::Binary(payload)),
        BINARY => {
            *fragments = Some(payload);
            None
        }
        CLOSE => Some(Incoming::Close(read_close(&payload)?)),
        PING => Some(Incoming::Ping(payload)),
        PONG => Some(Incoming::Pong),
        _ => unreachable!("read_header refuses unknown opcodes"),
    };
    Ok(Some((end, incoming)))
}

/// Reads a frame header, refusing what section 5 forbids a client to send as soon as the bytes
/// at hand show it.
fn read_header(bytes: &[u8], limit: usize) -> Result<Option<Header>, FrameError> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & 0x70 != 0 {
        return Err(FrameError::Malformed(
            "reserved bits set, but no extension was agreed",
        ));
    }
    let fin = first & 0x80 != 0;
    let opcode = first & 0x0F;
    let control = opcode >= CLOSE;
    if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
        return Err(FrameError::Malformed("an unknown opcode"));
    }
    if control && !fin {
        return Err(FrameError::Malformed("a fragmented control frame"));
    }
    if second & 0x80 == 0 {
        return Err(FrameError::Malformed("a client frame without a mask"));
    }
    let (payload, at) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(b) => {
                let length = u64::from_be_bytes(b.try_into().expect("eight bytes"));
                if length >> 63 != 0 {
                    return Err(FrameError::Malformed(
                        "a 64-bit length with its top bit set",
                    ));
                }
                (length, 10)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    if control && payload > MAX_CONTROL_PAYLOAD {
        return Err(FrameError::Malformed(
            "a control frame longer than 125 bytes",
        ));
    }
    if payload > limit as u64 {
        return Err(FrameError::TooBig { limit });
    }
    let Some(mask) = bytes.get(at..at + 4) else {
        return Ok(None);
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask: mask.try_into().expect("four bytes"),
        length: at + 4,
        payload,
    }))
}

/// A close frame's payload: nothing, or a status code and a UTF-8 reason (section 5.5.1).
fn read_close(payload: &[u8]) -> Result<Option<(u16, String)>, FrameError> {
    match payload {
        [] => Ok(None),
        [_] => Err(FrameError::Malformed(
            "a close frame with a one-byte payload",
        )),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            if !close_code_may_be_sent(code) {
                return Err(FrameError::Malformed("a close code that may not be sent"));
            }
            let reason = std::str::from_utf8(reason)
                .map_err(|_| FrameError::Malformed("a close reason that is not UTF-8"))?;
            Ok(Some((code, reason.to_owned())))
        }
    }
}

/// The codes an endpoint may put in a close frame (section 7.4): those defined for the
/// protocol, less the ones reserved for reporting, and the ranges for libraries and
/// applications.
fn close_code_may_be_sent(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

/// Appends one whole, unmasked frame (a server's frames are never masked) to `out`.
pub fn write_frame(opcode: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(MAX_SERVER_HEADER + payload.len());
    out.push(0x80 | opcode);
    match payload.len() {
        short @ 0..=125 => out.push(short as u8),
        medium @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(medium as u16).to_be_bytes());
        }
        long => {
            out.push(127);
            out.extend_from_slice(&(long as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// A close frame's payload: the status code, then the reason cut to fit a control frame.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    let room = MAX_CONTROL_PAYLOAD as usize - payload.len();
    let mut cut = reason.len().min(room);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..cut]);
    payload
}
