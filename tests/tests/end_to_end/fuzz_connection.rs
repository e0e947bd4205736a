//! The whole connection handler under arbitrary input: property tests (proptest) send a real
//! server sequences of arbitrary bytes, hostile but well-formed messages, and valid messages
//! with bytes flipped or cut off, through a WebSocket library or framed by hand (any first
//! byte, a missing mask, stray fragments, pings between them, written in small pieces). After
//! every sequence no task of the server has panicked, a bystander document is unchanged, and a
//! new client still edits and syncs.
//!
//! `PROPTEST_CASES=100000 cargo nextest run -p agora-tests -E 'test(/fuzz_connection/)'` runs
//! it for long; a failing case is saved under `proptest-regressions/` and replayed first from
//! then on (commit that file: it is the regression test).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use agora_client::Client;
use agora_schema::{
    encode, DocumentId, DocumentMessage, EphemeralMessage, JoinMessage, Message, PeerId,
    PeerMetadata,
};
use agora_tests::raw_peer::Received;
use agora_tests::{raw_socket, RawPeer, TestServer};
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Cases per run when `PROPTEST_CASES` does not say: enough to cover every kind of frame each
/// run, few enough for the suite.
const CASES_IN_THE_SUITE: u32 = 48;
const SETTLE: Duration = Duration::from_secs(10);

static PANICKED: AtomicBool = AtomicBool::new(false);

/// How the fuzzing peer puts its frames on the wire.
#[derive(Debug, Clone)]
enum Wire {
    /// Through a WebSocket library: well-formed frames, one message each.
    Library { join_first: bool },
    /// Framed by hand over TCP, each frame with its own first byte (FIN, reserved bits,
    /// opcode) and mask bit, all of it written in pieces of `piece` bytes.
    ByHand {
        join_first: bool,
        framings: Vec<(u8, bool)>,
        piece: usize,
    },
}

fn wire() -> impl Strategy<Value = Wire> {
    let first_byte = prop_oneof![
        6 => Just(0x82u8), // a whole binary frame
        1 => Just(0x02),   // the first of several fragments
        1 => Just(0x00),   // a middle fragment
        1 => Just(0x80),   // the last fragment
        1 => Just(0x89),   // a ping
        1 => Just(0x8A),   // a pong
        1 => Just(0x88),   // a close
        1 => Just(0x81),   // text
        1 => any::<u8>(),
    ];
    prop_oneof![
        any::<bool>().prop_map(|join_first| Wire::Library { join_first }),
        (
            any::<bool>(),
            prop::collection::vec((first_byte, prop::bool::weighted(0.95)), 1..12),
            1usize..64,
        )
            .prop_map(|(join_first, framings, piece)| Wire::ByHand {
                join_first,
                framings,
                piece,
            }),
    ]
}

/// One frame the fuzzing peer sends.
#[derive(Debug, Clone)]
enum Frame {
    Bytes(Vec<u8>),
    Message(Message),
    /// A valid message's encoding with bytes replaced, and perhaps cut short.
    Mutated {
        message: Message,
        flips: Vec<(usize, u8)>,
        cut: Option<usize>,
    },
}

fn peer_id() -> impl Strategy<Value = PeerId> {
    prop_oneof![
        Just(PeerId::new("fuzz")),
        "[a-z0-9-]{0,12}".prop_map(PeerId::new),
        any::<String>().prop_map(PeerId::new),
    ]
}

fn document_id(known: DocumentId) -> impl Strategy<Value = DocumentId> {
    prop_oneof![
        Just(known),
        any::<[u8; 16]>().prop_map(|bytes| DocumentId::from_bytes(&bytes).expect("16 bytes")),
    ]
}

fn document_message(known: DocumentId) -> impl Strategy<Value = DocumentMessage> {
    (
        peer_id(),
        peer_id(),
        document_id(known),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(
            |(sender_id, target_id, document_id, data)| DocumentMessage {
                sender_id,
                target_id,
                document_id,
                data,
            },
        )
}

fn message(known: DocumentId) -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            peer_id(),
            proptest::option::of(prop::collection::vec("[0-9]{1,2}", 0..3))
        )
            .prop_map(|(sender_id, versions)| Message::Join(JoinMessage {
                sender_id,
                peer_metadata: PeerMetadata {
                    storage_id: None,
                    is_ephemeral: true,
                },
                supported_protocol_versions: versions,
            })),
        document_message(known).prop_map(Message::Request),
        document_message(known).prop_map(Message::Sync),
        (peer_id(), peer_id(), document_id(known)).prop_map(
            |(sender_id, target_id, document_id)| Message::DocUnavailable {
                sender_id,
                target_id,
                document_id,
            }
        ),
        (document_message(known), any::<String>(), any::<u64>()).prop_map(
            |(body, session_id, count)| {
                Message::Ephemeral(EphemeralMessage {
                    sender_id: body.sender_id,
                    target_id: body.target_id,
                    document_id: body.document_id,
                    session_id,
                    count,
                    data: body.data,
                })
            }
        ),
        any::<String>().prop_map(|message| Message::Error { message }),
        "[a-z-]{0,24}".prop_map(|kind| Message::Ignored { kind }),
    ]
}

fn frame(known: DocumentId) -> impl Strategy<Value = Frame> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256).prop_map(Frame::Bytes),
        message(known).prop_map(Frame::Message),
        (
            message(known),
            prop::collection::vec((any::<usize>(), any::<u8>()), 1..5),
            proptest::option::of(any::<usize>()),
        )
            .prop_map(|(message, flips, cut)| Frame::Mutated {
                message,
                flips,
                cut
            }),
    ]
}

fn bytes_of(frame: &Frame) -> Vec<u8> {
    match frame {
        Frame::Bytes(bytes) => bytes.clone(),
        Frame::Message(message) => encode(message),
        Frame::Mutated {
            message,
            flips,
            cut,
        } => {
            let mut bytes = encode(message);
            for (at, value) in flips {
                let len = bytes.len();
                bytes[at % len] = *value;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            bytes
        }
    }
}

async fn send_through_a_library(server: &TestServer, join_first: bool, frames: &[Frame]) {
    let mut peer = if join_first {
        RawPeer::joined(&server.sync_url()).await
    } else {
        RawPeer::connect(&server.sync_url()).await
    };
    for frame in frames {
        peer.send_frame(bytes_of(frame)).await;
    }
    // Whatever the server answers, until it closes or falls silent.
    for _ in 0..64 {
        match peer.recv_within(Duration::from_millis(100)).await {
            Received::Closed(_) | Received::Nothing => break,
            _ => {}
        }
    }
}

async fn send_by_hand(
    server: &TestServer,
    join_first: bool,
    framings: &[(u8, bool)],
    piece: usize,
    frames: &[Frame],
) {
    let mut tcp = raw_socket::open(server).await;
    let mut wire = Vec::new();
    if join_first {
        let join = encode(&Message::Join(JoinMessage {
            sender_id: PeerId::new("fuzz-by-hand"),
            peer_metadata: PeerMetadata::default(),
            supported_protocol_versions: None,
        }));
        wire.extend(raw_socket::frame(0x82, &join, true));
    }
    for (frame, (first_byte, masked)) in frames.iter().zip(framings.iter().cycle()) {
        wire.extend(raw_socket::frame(*first_byte, &bytes_of(frame), *masked));
    }
    for piece in wire.chunks(piece) {
        // The server may have closed already: what it refused is not sent on.
        if tcp.write_all(piece).await.is_err() {
            break;
        }
    }
    // Whatever the server answers, until it closes or falls silent.
    let mut answer = [0u8; 4096];
    for _ in 0..64 {
        match tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut answer)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => break,
        }
    }
}

#[test]
fn arbitrary_frames_never_crash_the_server_or_touch_another_document() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES_IN_THE_SUITE);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::SeqCst);
        default_hook(info);
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let (server, bystander, text) = runtime.block_on(async {
        let server = TestServer::start(data.path()).await;
        let client = Client::connect(&server.sync_url()).await.unwrap();
        let handle = client.create().await.unwrap();
        handle
            .append_text("Leitbild: Wir begegnen einander mit Respekt.")
            .unwrap();
        handle.wait_synced(SETTLE).await.unwrap();
        let text = handle.text();
        client.close().await;
        (server, handle.id(), text)
    });

    let mut runner = TestRunner::new(Config {
        cases,
        // Failing cases are kept beside this file and tried first in every later run.
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    });
    let sequences = (wire(), prop::collection::vec(frame(bystander), 1..12));
    let outcome = runner.run(&sequences, |(wire, frames)| {
        runtime.block_on(async {
            match wire {
                Wire::Library { join_first } => {
                    send_through_a_library(&server, join_first, &frames).await
                }
                Wire::ByHand {
                    join_first,
                    framings,
                    piece,
                } => send_by_hand(&server, join_first, &framings, piece, &frames).await,
            }
        });
        prop_assert!(
            !PANICKED.load(Ordering::SeqCst),
            "a task of the server panicked"
        );
        let (stored, fresh) = runtime.block_on(async {
            let stored = server.state.sync.documents.save(bystander).await;
            let client = Client::connect(&server.sync_url()).await.unwrap();
            let handle = client.create().await.unwrap();
            handle.append_text("noch da").unwrap();
            let fresh = handle.wait_synced(SETTLE).await;
            client.close().await;
            (stored, fresh)
        });
        let stored = automerge::Automerge::load(&stored.expect("the bystander exists")).unwrap();
        prop_assert_eq!(agora_tests::editing::text_of(&stored), text.clone());
        prop_assert!(fresh.is_ok(), "a new client could not sync: {:?}", fresh);
        Ok(())
    });
    runtime.block_on(server.stop());
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
