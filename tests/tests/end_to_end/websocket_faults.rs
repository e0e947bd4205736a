//! The WebSocket layer of `/sync` spoken by hand over TCP: upgrade requests that ask for no
//! WebSocket are answered with what is wrong; frames the protocol forbids get an `error` with
//! the reason and a close code; fragments, pings and a close are handled as RFC 6455 says; and
//! the server carries on for everyone else.

use std::time::Duration;

use agora_schema::{decode, encode, JoinMessage, Message, PeerId, PeerMetadata};
use agora_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MASK: [u8; 4] = [0xa1, 0x07, 0x5c, 0xe3];
const WAIT: Duration = Duration::from_secs(10);

/// A masked frame, as a client sends it.
fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first_byte];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&MASK);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    frame
}

fn upgrade_request(server: &TestServer, key: &str, version: &str) -> String {
    format!(
        "GET /sync?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: {version}\r\n\r\n",
        server.token, server.addr
    )
}

/// Everything the server sends until it closes the connection.
async fn read_to_end(tcp: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .expect("read");
    all
}

/// A WebSocket opened by hand, its answer checked.
async fn opened(server: &TestServer) -> TcpStream {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(upgrade_request(server, "dGhlIHNhbXBsZSBub25jZQ==", "13").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
            .await
            .expect("an answer")
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    // RFC 6455, section 1.3: the answer to this key.
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    tcp
}

/// The server's frames (never masked): opcode and payload.
fn server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    while bytes.len() >= 2 {
        assert_eq!(bytes[1] & 0x80, 0, "server frames are not masked");
        let (length, at) = match bytes[1] & 0x7f {
            126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize,
                10,
            ),
            short => (short as usize, 2),
        };
        frames.push((bytes[0] & 0x0f, bytes[at..at + length].to_vec()));
        bytes = &bytes[at + length..];
    }
    assert!(bytes.is_empty(), "a whole number of frames");
    frames
}

/// The `error` message and the close code the server ended the connection with.
fn refusal(bytes: &[u8]) -> (String, u16) {
    let frames = server_frames(bytes);
    let error = frames
        .iter()
        .find_map(|(opcode, payload)| match (opcode, decode(payload)) {
            (2, Ok(Message::Error { message })) => Some(message),
            _ => None,
        })
        .expect("an error message");
    let (opcode, close) = frames.last().expect("a close frame");
    assert_eq!(*opcode, 8);
    (error, u16::from_be_bytes([close[0], close[1]]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_requests_that_ask_for_no_websocket_are_told_what_is_wrong() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    for (key, version, status) in [
        ("", "13", "400"),
        ("c2hvcnQ=", "13", "400"),
        ("dGhlIHNhbXBsZSBub25jZQ==", "8", "426"),
    ] {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        let request = upgrade_request(&server, key, version);
        tcp.write_all(request.replace("Sec-WebSocket-Key: \r\n", "").as_bytes())
            .await
            .unwrap();
        let mut answer = vec![0u8; 4096];
        let n = tokio::time::timeout(WAIT, tcp.read(&mut answer))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
        assert!(
            answer.starts_with(&format!("http/1.1 {status}")),
            "{answer}"
        );
        // The page lists what the handshake needs.
        assert!(answer.contains("error-websocket-handshake"), "{answer}");
        assert!(answer.contains("sec-websocket-key"), "{answer}");
        if status == "426" {
            assert!(answer.contains("sec-websocket-version: 13"), "{answer}");
        }
    }
    let plain = reqwest::get(format!("http://{}/sync", server.addr))
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_the_protocol_forbids_are_refused_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--max-frame-bytes", "65536"]).await;
    let mut oversized = vec![0x82, 0x80 | 127];
    oversized.extend_from_slice(&(1u64 << 40).to_be_bytes());
    oversized.extend_from_slice(&MASK);
    let mut unmasked = frame(0x82, b"x");
    unmasked[1] &= 0x7f;
    unmasked.truncate(2);
    unmasked.push(b'x');
    let cases: [(Vec<u8>, &str, u16); 7] = [
        (unmasked, "without a mask", 1002),
        (frame(0xc2, b"x"), "reserved bits", 1002),
        (frame(0x83, b"x"), "unknown opcode", 1002),
        (frame(0x89, &[0; 126]), "longer than 125", 1002),
        (frame(0x80, b"x"), "no message to continue", 1002),
        (frame(0x88, &999u16.to_be_bytes()), "close code", 1002),
        // Only the header: refused by the length it claims, before any payload.
        (oversized, "at most 65536 bytes", 1009),
    ];
    for (bytes, says, code) in cases {
        let mut tcp = opened(&server).await;
        tcp.write_all(&bytes).await.unwrap();
        let (error, closed_with) = refusal(&read_to_end(&mut tcp).await);
        assert!(error.contains(says), "{says}: {error}");
        assert_eq!(closed_with, code, "{says}");
    }
    // The server carries on.
    let client = agora_client::Client::connect(&server.sync_url())
        .await
        .unwrap();
    let handle = client.create().await.unwrap();
    handle.append_text("weiter").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragments_pings_and_a_close_are_answered_as_the_protocol_says() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut tcp = opened(&server).await;
    let join = encode(&Message::Join(JoinMessage {
        sender_id: PeerId::new("by-hand"),
        peer_metadata: PeerMetadata::default(),
        supported_protocol_versions: Some(vec!["1".into()]),
    }));
    // `join` in three fragments, a ping between them, in pieces of three bytes.
    let third = join.len() / 3;
    let mut wire = frame(0x02, &join[..third]);
    wire.extend(frame(0x89, b"da?"));
    wire.extend(frame(0x00, &join[third..2 * third]));
    wire.extend(frame(0x80, &join[2 * third..]));
    for piece in wire.chunks(3) {
        tcp.write_all(piece).await.unwrap();
    }
    tcp.write_all(&frame(0x88, &1000u16.to_be_bytes()))
        .await
        .unwrap();
    let frames = server_frames(&read_to_end(&mut tcp).await);
    assert_eq!(frames[0], (0xA, b"da?".to_vec()), "the pong, first");
    assert!(matches!(decode(&frames[1].1), Ok(Message::Peer(_))));
    let (opcode, close) = frames.last().unwrap();
    assert_eq!((*opcode, close[..2].to_vec()), (8, vec![0x03, 0xe8]));
    drop(tcp);
    server.stop().await;
}
