use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use axum::http::{header, Method, Request, StatusCode, Version};
use axum::response::IntoResponse;
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::frames::{self, FrameError, FrameReader, Incoming};
use super::handshake::{accept, accept_key, HandshakeError};
use super::{ReadError, WebSocket};

const LIMIT: usize = 64 * 1024;
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as a client sends it: masked, with the shortest length field.
fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![(u8::from(fin) << 7) | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    frame
}

/// Everything `bytes` holds, pushed in pieces of `step` bytes.
fn read_all(bytes: &[u8], step: usize) -> Result<Vec<Incoming>, FrameError> {
    let mut reader = FrameReader::new(LIMIT);
    let mut found = Vec::new();
    for piece in bytes.chunks(step.max(1)) {
        if let Some(incoming) = reader.push(piece)? {
            found.push(incoming);
        }
        while let Some(incoming) = reader.next_kept()? {
            found.push(incoming);
        }
    }
    Ok(found)
}

fn first_error(bytes: &[u8]) -> FrameError {
    read_all(bytes, bytes.len()).expect_err("refused")
}

#[test]
fn messages_and_control_frames_read_the_same_however_the_bytes_arrive() {
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
    let mut wire = client_frame(true, frames::BINARY, b"ein Satz");
    wire.extend(client_frame(false, frames::BINARY, b"Teil 1, "));
    wire.extend(client_frame(true, frames::PING, b"?"));
    wire.extend(client_frame(false, frames::CONTINUATION, b"Teil 2, "));
    wire.extend(client_frame(true, frames::CONTINUATION, b"Ende"));
    wire.extend(client_frame(true, frames::BINARY, &big[..300]));
    wire.extend(client_frame(true, frames::PONG, b""));
    wire.extend(client_frame(true, frames::BINARY, b""));
    let expected = vec![
        Incoming::Binary(b"ein Satz".to_vec()),
        Incoming::Ping(b"?".to_vec()),
        Incoming::Binary(b"Teil 1, Teil 2, Ende".to_vec()),
        Incoming::Binary(big[..300].to_vec()),
        Incoming::Pong,
        Incoming::Binary(Vec::new()),
    ];
    for step in 1..=wire.len() {
        assert_eq!(read_all(&wire, step).unwrap(), expected, "step {step}");
    }
    // Lengths in 16 and 64 bits.
    let mut wire = client_frame(true, frames::BINARY, &big[..LIMIT]);
    wire.extend(client_frame(true, frames::BINARY, &big[..126]));
    for step in [1, 7, 4096, wire.len()] {
        let found = read_all(&wire, step).unwrap();
        assert_eq!(found[0], Incoming::Binary(big[..LIMIT].to_vec()));
        assert_eq!(found[1], Incoming::Binary(big[..126].to_vec()));
    }
    let mut long = vec![0x82, 0x80 | 127];
    long.extend_from_slice(&300u64.to_be_bytes());
    long.extend_from_slice(&MASK);
    long.extend(big[..300].iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    assert_eq!(
        read_all(&long, 3).unwrap(),
        vec![Incoming::Binary(big[..300].to_vec())]
    );
}

#[test]
fn close_frames_give_their_code_and_reason() {
    let mut payload = 1000u16.to_be_bytes().to_vec();
    payload.extend_from_slice("tschüss".as_bytes());
    assert_eq!(
        read_all(&client_frame(true, frames::CLOSE, &payload), 1).unwrap(),
        vec![Incoming::Close(Some((1000, "tschüss".into())))]
    );
    assert_eq!(
        read_all(&client_frame(true, frames::CLOSE, b""), 1).unwrap(),
        vec![Incoming::Close(None)]
    );
    assert_eq!(
        read_all(&client_frame(true, frames::TEXT, b"hallo"), 2).unwrap(),
        vec![Incoming::Text]
    );
}

#[test]
fn what_the_protocol_forbids_is_refused_with_the_reason() {
    let malformed = |bytes: &[u8]| match first_error(bytes) {
        FrameError::Malformed(why) => why,
        other => panic!("expected a malformed frame, got {other:?}"),
    };
    let mut reserved = client_frame(true, frames::BINARY, b"x");
    reserved[0] |= 0x40;
    assert!(malformed(&reserved).contains("reserved bits"));
    let mut unmasked = client_frame(true, frames::BINARY, b"x");
    unmasked[1] &= 0x7F;
    assert!(malformed(&unmasked).contains("without a mask"));
    for opcode in [0x3, 0x7, 0xB, 0xF] {
        assert!(malformed(&client_frame(true, opcode, b"x")).contains("unknown opcode"));
    }
    assert!(malformed(&client_frame(false, frames::PING, b"x")).contains("fragmented control"));
    assert!(malformed(&client_frame(true, frames::PING, &[0; 126])).contains("longer than 125"));
    assert!(malformed(&client_frame(true, frames::CONTINUATION, b"x")).contains("no message"));
    let mut interrupted = client_frame(false, frames::BINARY, b"x");
    interrupted.extend(client_frame(true, frames::BINARY, b"y"));
    assert!(malformed(&interrupted).contains("before the last one ended"));
    assert!(malformed(&client_frame(true, frames::CLOSE, &[3])).contains("one-byte"));
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
        let frame = client_frame(true, frames::CLOSE, &code.to_be_bytes());
        assert!(malformed(&frame).contains("close code"), "{code}");
    }
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend_from_slice(&[0xff, 0xfe]);
    assert!(malformed(&client_frame(true, frames::CLOSE, &bad_reason)).contains("UTF-8"));
    let mut top_bit = vec![0x82, 0x80 | 127];
    top_bit.extend_from_slice(&u64::MAX.to_be_bytes());
    assert!(malformed(&top_bit).contains("top bit"));
}

#[test]
fn an_oversized_frame_is_refused_by_its_header_before_its_payload_is_kept() {
    // The header alone claims 2^40 bytes: refused with nothing of the payload read.
    let mut claim = vec![0x82, 0x80 | 127];
    claim.extend_from_slice(&(1u64 << 40).to_be_bytes());
    let mut reader = FrameReader::new(LIMIT);
    assert_eq!(reader.push(&claim[..4]).unwrap(), None, "incomplete header");
    assert_eq!(
        reader.push(&claim[4..]),
        Err(FrameError::TooBig { limit: LIMIT })
    );
    assert!(reader.held_bytes() < 64);
    // One byte over the limit in a single frame, and in fragments.
    let over = vec![0u8; LIMIT + 1];
    assert_eq!(
        first_error(&client_frame(true, frames::BINARY, &over)),
        FrameError::TooBig { limit: LIMIT }
    );
    let mut fragments = client_frame(false, frames::BINARY, &over[..LIMIT / 2]);
    fragments.extend(client_frame(
        true,
        frames::CONTINUATION,
        &over[..LIMIT / 2 + 1],
    ));
    assert_eq!(first_error(&fragments), FrameError::TooBig { limit: LIMIT });
}

#[test]
fn the_reader_holds_nothing_between_messages() {
    let mut reader = FrameReader::new(LIMIT);
    let frame = client_frame(true, frames::BINARY, &[7; 2000]);
    assert_eq!(reader.push(&frame[..1000]).unwrap(), None);
    assert!(reader.held_bytes() >= 1000);
    assert!(!reader.is_between_messages());
    assert_eq!(
        reader.push(&frame[1000..]).unwrap(),
        Some(Incoming::Binary(vec![7; 2000]))
    );
    assert_eq!(reader.held_bytes(), 0);
    assert!(reader.is_between_messages());
}

#[test]
fn server_frames_use_the_shortest_length_and_no_mask() {
    for (length, header) in [
        (0, vec![0x82, 0]),
        (125, vec![0x82, 125]),
        (126, vec![0x82, 126, 0, 126]),
        (65_535, vec![0x82, 126, 0xff, 0xff]),
        (65_536, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let payload = vec![9u8; length];
        let mut out = Vec::new();
        frames::write_frame(frames::BINARY, &payload, &mut out);
        assert_eq!(out[..header.len()], header[..], "length {length}");
        assert_eq!(out[header.len()..], payload[..]);
    }
}

#[test]
fn close_reasons_are_cut_to_fit_a_control_frame_on_a_character_boundary() {
    let reason = "ü".repeat(100);
    let payload = frames::close_payload(1008, &reason);
    assert!(payload.len() <= 125);
    assert_eq!(payload[..2], 1008u16.to_be_bytes());
    let kept = std::str::from_utf8(&payload[2..]).unwrap();
    assert!(reason.starts_with(kept) && kept.len() >= 120);
}

proptest! {
    #[test]
    fn any_bytes_are_read_or_refused_and_hold_at_most_a_frame(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        step in 1usize..600,
    ) {
        let limit = 1024;
        let mut reader = FrameReader::new(limit);
        for piece in bytes.chunks(step) {
            let mut result = reader.push(piece);
            while let Ok(Some(_)) = result {
                result = reader.next_kept();
            }
            if result.is_err() {
                break;
            }
            prop_assert!(reader.held_bytes() <= 2 * (limit + 14 + step) + 64);
        }
    }

    #[test]
    fn valid_frames_cut_anywhere_read_as_whole(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..8),
        fragment_at in proptest::collection::vec(any::<bool>(), 8),
        step in 1usize..200,
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for (payload, fragment) in payloads.iter().zip(fragment_at) {
            if fragment && payload.len() > 1 {
                let (head, tail) = payload.split_at(payload.len() / 2);
                wire.extend(client_frame(false, frames::BINARY, head));
                wire.extend(client_frame(true, frames::PING, b"p"));
                wire.extend(client_frame(true, frames::CONTINUATION, tail));
                expected.push(Incoming::Ping(b"p".to_vec()));
            } else {
                wire.extend(client_frame(true, frames::BINARY, payload));
            }
            expected.push(Incoming::Binary(payload.clone()));
        }
        prop_assert_eq!(read_all(&wire, step).unwrap(), expected);
    }
}

#[tokio::test]
async fn a_socket_reads_and_writes_frames_and_holds_no_buffer_while_idle() {
    let (server_side, mut client) = tokio::io::duplex(256);
    let mut socket = WebSocket::new(server_side, LIMIT);
    let talk = tokio::spawn(async move {
        // A message larger than the pipe, so it arrives in many reads.
        client
            .write_all(&client_frame(true, frames::BINARY, &[5; 5000]))
            .await
            .unwrap();
        client
            .write_all(&client_frame(true, frames::PING, b"hi"))
            .await
            .unwrap();
        let mut answer = vec![0u8; 10 + 70_000 + 4];
        client.read_exact(&mut answer).await.unwrap();
        client
            .write_all(&client_frame(true, frames::CLOSE, &1000u16.to_be_bytes()))
            .await
            .unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        client.shutdown().await.unwrap();
        (answer, rest)
    });
    assert_eq!(
        socket.receive().await.unwrap().unwrap(),
        Incoming::Binary(vec![5; 5000])
    );
    assert_eq!(
        socket.receive().await.unwrap().unwrap(),
        Incoming::Ping(b"hi".to_vec())
    );
    assert_eq!(socket.held_bytes(), 0);
    // Larger than one write batch, then a small frame after it.
    socket.feed(frames::BINARY, &[6; 70_000]).await.unwrap();
    socket.feed(frames::PONG, b"hi").await.unwrap();
    socket.flush().await.unwrap();
    assert_eq!(socket.held_bytes(), 0);
    assert_eq!(
        socket.receive().await.unwrap().unwrap(),
        Incoming::Close(Some((1000, String::new())))
    );
    tokio::time::timeout(Duration::from_secs(5), socket.close(1000, "bye"))
        .await
        .expect("the close completes once the peer closes")
        .unwrap();
    let (answer, rest) = talk.await.unwrap();
    assert_eq!(answer[..4], [0x82, 127, 0, 0]);
    assert_eq!(answer[10..10 + 70_000], [6; 70_000]);
    assert_eq!(answer[70_010..], [0x8A, 2, b'h', b'i']);
    assert_eq!(rest, [0x88, 5, 0x03, 0xE8, b'b', b'y', b'e']);
}

#[tokio::test]
async fn a_connection_cut_inside_a_frame_is_an_error_and_between_frames_an_end() {
    let (server_side, mut client) = tokio::io::duplex(1024);
    let mut socket = WebSocket::new(server_side, LIMIT);
    let frame = client_frame(true, frames::BINARY, b"halb");
    client.write_all(&frame[..5]).await.unwrap();
    drop(client);
    assert!(matches!(
        socket.receive().await,
        Some(Err(ReadError::Truncated))
    ));

    let (server_side, mut client) = tokio::io::duplex(1024);
    let mut socket = WebSocket::new(server_side, LIMIT);
    client.write_all(&frame).await.unwrap();
    drop(client);
    assert!(matches!(
        socket.receive().await,
        Some(Ok(Incoming::Binary(_)))
    ));
    assert!(socket.receive().await.is_none());
}

/// Counts its wakes.
#[derive(Default)]
struct WakeCount(AtomicUsize);

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_resting_socket_is_woken_by_its_peer_and_loses_no_byte() {
    let (server_side, mut client) = tokio::io::duplex(1024);
    let mut socket = WebSocket::new(server_side, LIMIT);
    let count = Arc::new(WakeCount::default());
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    assert!(!socket.poll_rest(&mut cx), "nothing came yet");
    assert_eq!(count.0.load(Ordering::SeqCst), 0);

    client
        .write_all(&client_frame(true, frames::BINARY, b"wach"))
        .await
        .unwrap();
    assert_eq!(count.0.load(Ordering::SeqCst), 1);
    assert!(socket.poll_rest(&mut cx), "the frame is there");
    assert!(!socket.is_idle(), "its first byte is in hand");
    assert!(socket.poll_rest(&mut cx), "still in hand");
    assert_eq!(
        socket.receive().await.unwrap().unwrap(),
        Incoming::Binary(b"wach".to_vec())
    );
    assert!(socket.is_idle());

    // A first byte the protocol forbids is refused when read, as without the rest.
    client.write_all(&[0xF2, 0x80]).await.unwrap();
    assert!(socket.poll_rest(&mut cx));
    assert!(matches!(
        socket.receive().await,
        Some(Err(ReadError::Frame(FrameError::Malformed(_))))
    ));

    let (server_side, client) = tokio::io::duplex(1024);
    let mut socket = WebSocket::new(server_side, LIMIT);
    assert!(!socket.poll_rest(&mut cx));
    drop(client);
    assert!(socket.poll_rest(&mut cx), "an end wakes the socket");
    assert!(socket.receive().await.is_none(), "and is read as one");
}

fn upgrade_request() -> axum::http::request::Builder {
    Request::builder()
        .method(Method::GET)
        .uri("/sync")
        .version(Version::HTTP_11)
        .header(header::HOST, "127.0.0.1")
        .header(header::CONNECTION, "keep-alive, Upgrade")
        .header(header::UPGRADE, "WebSocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
}

fn handshake_error(request: axum::http::request::Builder) -> HandshakeError {
    let (mut parts, ()) = request.body(()).unwrap().into_parts();
    accept(&mut parts).err().expect("refused")
}

#[test]
fn the_accept_key_is_the_one_the_rfc_gives() {
    // RFC 6455, section 1.3.
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn handshakes_that_do_not_ask_for_a_websocket_are_refused_with_what_is_wrong() {
    let without = |name: header::HeaderName| {
        let mut request = upgrade_request();
        request.headers_mut().unwrap().remove(name);
        request
    };
    assert_eq!(
        handshake_error(upgrade_request().method(Method::POST)),
        HandshakeError::NotGet
    );
    assert_eq!(
        handshake_error(upgrade_request().version(Version::HTTP_10)),
        HandshakeError::NotGet
    );
    assert_eq!(
        handshake_error(without(header::CONNECTION)),
        HandshakeError::NoConnectionUpgrade
    );
    assert_eq!(
        handshake_error(without(header::UPGRADE)),
        HandshakeError::NotWebSocket
    );
    assert_eq!(
        handshake_error(without(header::UPGRADE).header(header::UPGRADE, "h2c")),
        HandshakeError::NotWebSocket
    );
    let mut version = without(header::SEC_WEBSOCKET_VERSION);
    version = version.header(header::SEC_WEBSOCKET_VERSION, "8");
    assert_eq!(handshake_error(version), HandshakeError::UnsupportedVersion);
    assert_eq!(
        handshake_error(without(header::SEC_WEBSOCKET_KEY)),
        HandshakeError::BadKey
    );
    let short_key =
        without(header::SEC_WEBSOCKET_KEY).header(header::SEC_WEBSOCKET_KEY, "c2hvcnQ=");
    assert_eq!(handshake_error(short_key), HandshakeError::BadKey);
    // Well formed, but not on a connection hyper can hand over.
    assert_eq!(
        handshake_error(upgrade_request()),
        HandshakeError::NotUpgradable
    );

    let refused = HandshakeError::UnsupportedVersion.into_response();
    assert_eq!(refused.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(refused.headers()[header::SEC_WEBSOCKET_VERSION], "13");
    assert_eq!(
        HandshakeError::NotGet.into_response().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        HandshakeError::NotWebSocket.into_response().status(),
        StatusCode::BAD_REQUEST
    );
}
