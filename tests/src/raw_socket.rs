//! A WebSocket opened and framed by hand over TCP, for what a WebSocket library would never
//! send: unmasked frames, reserved bits, stray fragments, lengths that lie.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::TestServer;

/// The mask every frame from here carries.
pub const MASK: [u8; 4] = [0xa1, 0x07, 0x5c, 0xe3];
/// The key of RFC 6455's example (section 1.3), and the answer it must get.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pplmbitxaq9kygzzhzrbk+xoo=";
const WAIT: Duration = Duration::from_secs(10);

/// A frame with the given first byte (FIN, reserved bits, opcode) and the shortest length
/// field, masked as a client's must be unless `masked` is false.
pub fn frame(first_byte: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut frame = vec![first_byte];
    match payload.len() {
        n @ 0..=125 => frame.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            frame.push(mask_bit | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(mask_bit | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        frame.extend_from_slice(&MASK);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        frame.extend_from_slice(payload);
    }
    frame
}

/// The upgrade request for `/sync`, with the key and version given.
pub fn upgrade_request(server: &TestServer, key: &str, version: &str) -> String {
    format!(
        "GET /sync?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\n\
         Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: {version}\r\n\r\n",
        server.token, server.addr
    )
}

/// A WebSocket to `/sync` opened by hand; the answer is checked, accept key included.
pub async fn open(server: &TestServer) -> TcpStream {
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(upgrade_request(server, KEY, "13").as_bytes())
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        tokio::time::timeout(WAIT, tcp.read_exact(&mut byte))
            .await
            .expect("an answer to the upgrade")
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains(&format!("sec-websocket-accept: {ACCEPT}")),
        "{head}"
    );
    tcp
}

/// Everything the server sends until it closes the connection.
pub async fn read_to_end(tcp: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    tokio::time::timeout(WAIT, tcp.read_to_end(&mut all))
        .await
        .expect("the server closes the connection")
        .expect("read");
    all
}

/// The server's frames (never masked) in `bytes`: opcode and payload.
pub fn server_frames(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
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
