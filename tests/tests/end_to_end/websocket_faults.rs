//! The WebSocket layer of `/sync` spoken by hand over TCP: upgrade requests that ask for no
//! WebSocket are answered with what is wrong; frames the protocol forbids get an `error` with
//! the reason and a close code; fragments, pings and a close are handled as RFC 6455 says; and
//! the server carries on for everyone else.

use std::time::Duration;

use agora_schema::{decode, encode, JoinMessage, Message, PeerId, PeerMetadata};
use agora_tests::raw_socket::{self, read_to_end, server_frames, upgrade_request, MASK};
use agora_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(10);

/// A masked frame, as a client sends it.
fn frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    raw_socket::frame(first_byte, payload, true)
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
    let unmasked = raw_socket::frame(0x82, b"x", false);
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
        let mut tcp = raw_socket::open(&server).await;
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
    let mut tcp = raw_socket::open(&server).await;
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
