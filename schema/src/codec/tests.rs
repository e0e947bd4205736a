use super::*;

fn doc_id() -> DocumentId {
    "3nXBsJCGGTmtwfc3JGzExMECCGuK".parse().unwrap()
}

fn sample_messages() -> Vec<Message> {
    let body = DocumentMessage {
        sender_id: PeerId::new("peer-a"),
        target_id: PeerId::new("server"),
        document_id: doc_id(),
        data: vec![0x42, 1, 2, 3],
    };
    vec![
        Message::Join(JoinMessage {
            sender_id: PeerId::new("peer-a"),
            peer_metadata: PeerMetadata {
                storage_id: Some("s-1".into()),
                is_ephemeral: false,
            },
            supported_protocol_versions: Some(vec!["1".into()]),
        }),
        Message::Peer(PeerMessage {
            sender_id: PeerId::new("server"),
            target_id: PeerId::new("peer-a"),
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: true,
            },
            selected_protocol_version: "1".into(),
        }),
        Message::Error {
            message: "unsupported protocol version".into(),
        },
        Message::Request(body.clone()),
        Message::Sync(body),
        Message::DocUnavailable {
            sender_id: PeerId::new("server"),
            target_id: PeerId::new("peer-a"),
            document_id: doc_id(),
        },
        Message::Ephemeral(EphemeralMessage {
            sender_id: PeerId::new("peer-a"),
            target_id: PeerId::new("server"),
            document_id: doc_id(),
            session_id: "1ayuasvtvy".into(),
            count: 7,
            data: vec![0xa1, 0x61, 0x78, 0x01],
        }),
    ]
}

#[test]
fn every_message_round_trips() {
    for message in sample_messages() {
        assert_eq!(decode(&encode(&message)).unwrap(), message);
    }
}

/// A frame written the way cbor-x writes it: a 16-bit map header, keys in the order the JS
/// object was built, the count as a float, `storageId: undefined`, and an unknown key.
#[test]
fn reads_what_cbor_x_writes() {
    let mut e = Encoder::new(Vec::new());
    e.map(7).unwrap(); // replaced below by the 16-bit form
    e.str("data").unwrap().bytes(&[1, 2]).unwrap();
    e.str("count").unwrap().f64(3.0).unwrap();
    e.str("sessionId").unwrap().str("s").unwrap();
    e.str("documentId")
        .unwrap()
        .str("3nXBsJCGGTmtwfc3JGzExMECCGuK")
        .unwrap();
    e.str("unknownKey")
        .unwrap()
        .array(2)
        .unwrap()
        .u8(1)
        .unwrap()
        .null()
        .unwrap();
    e.str("targetId").unwrap().str("server").unwrap();
    e.str("type").unwrap().str("ephemeral").unwrap();
    let mut frame = vec![0xb9, 0x00, 0x08];
    frame.extend_from_slice(&e.into_writer()[1..]);
    let mut tail = Encoder::new(Vec::new());
    tail.str("senderId").unwrap().str("peer-x").unwrap();
    frame.extend_from_slice(&tail.into_writer());

    let Message::Ephemeral(m) = decode(&frame).unwrap() else {
        panic!("not ephemeral")
    };
    assert_eq!(m.count, 3);
    assert_eq!(m.sender_id.as_str(), "peer-x");
    assert_eq!(m.data, vec![1, 2]);

    let mut join = Encoder::new(Vec::new());
    join.begin_map().unwrap();
    join.str("type").unwrap().str("join").unwrap();
    join.str("senderId").unwrap().str("peer-j").unwrap();
    join.str("peerMetadata").unwrap().map(2).unwrap();
    join.str("storageId").unwrap().undefined().unwrap();
    join.str("isEphemeral").unwrap().bool(true).unwrap();
    join.end().unwrap();
    let Message::Join(j) = decode(&join.into_writer()).unwrap() else {
        panic!("not join")
    };
    assert_eq!(
        j.peer_metadata,
        PeerMetadata {
            storage_id: None,
            is_ephemeral: true
        }
    );
    assert_eq!(j.supported_protocol_versions, None);
}

#[test]
fn accepts_binary_document_ids() {
    let mut e = Encoder::new(Vec::new());
    e.map(4).unwrap();
    e.str("type").unwrap().str("doc-unavailable").unwrap();
    e.str("senderId").unwrap().str("a").unwrap();
    e.str("targetId").unwrap().str("b").unwrap();
    e.str("documentId")
        .unwrap()
        .bytes(doc_id().as_bytes())
        .unwrap();
    let Message::DocUnavailable { document_id, .. } = decode(&e.into_writer()).unwrap() else {
        panic!()
    };
    assert_eq!(document_id, doc_id());
}

#[test]
fn refuses_malformed_frames_with_a_reason() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty frame", vec![]),
        ("CBOR null", vec![0xf6]),
        ("an integer", vec![0x01]),
        ("truncated map", vec![0xa2, 0x64, b't', b'y']),
        ("map with no type", vec![0xa0]),
        (
            "trailing bytes",
            [
                encode(&Message::Error {
                    message: "x".into(),
                }),
                vec![0],
            ]
            .concat(),
        ),
        ("invalid UTF-8 key", vec![0xa1, 0x62, 0xff, 0xfe, 0x01]),
        ("reserved byte", vec![0xa1, 0x61, b'a', 0x1c]),
    ];
    for (what, frame) in cases {
        assert!(decode(&frame).is_err(), "{what} was accepted");
    }
}

#[test]
fn names_unknown_types_and_bad_fields() {
    let frame = |kind: &str| {
        let mut e = Encoder::new(Vec::new());
        e.map(1).unwrap().str("type").unwrap().str(kind).unwrap();
        e.into_writer()
    };
    assert_eq!(
        decode(&frame("gossip")),
        Err(DecodeError::UnknownType("gossip".into()))
    );
    assert_eq!(
        decode(&frame("remote-heads-changed")),
        Ok(Message::Ignored {
            kind: "remote-heads-changed".into()
        })
    );
    assert_eq!(
        decode(&frame("sync")),
        Err(DecodeError::MissingField("senderId"))
    );

    let mut sync = Message::Sync(DocumentMessage {
        sender_id: PeerId::new("a"),
        target_id: PeerId::new("b"),
        document_id: doc_id(),
        data: vec![1],
    });
    let mut bytes = encode(&sync);
    // Corrupt the document id's checksum: the last character of the id.
    let id = doc_id().to_string();
    let at = bytes
        .windows(id.len())
        .position(|w| w == id.as_bytes())
        .unwrap()
        + id.len()
        - 1;
    bytes[at] = b'z';
    assert_eq!(
        decode(&bytes),
        Err(DecodeError::BadDocumentId(DocumentIdError::NotBs58Check))
    );

    if let Message::Sync(body) = &mut sync {
        body.data.clear();
    }
    assert_eq!(decode(&encode(&sync)), Err(DecodeError::Empty("data")));
}

#[test]
fn deep_nesting_in_unknown_fields_is_skipped_without_recursion() {
    let depth = 1_000_000;
    let mut frame = vec![0xa2, 0x64];
    frame.extend_from_slice(b"type");
    frame.extend_from_slice(&[0x65]);
    frame.extend_from_slice(b"error");
    frame.extend_from_slice(&[0x61, b'x']);
    frame.extend(std::iter::repeat_n(0x81, depth));
    frame.push(0x00);
    assert_eq!(
        decode(&frame),
        Ok(Message::Error {
            message: String::new()
        })
    );
    frame.pop();
    assert!(decode(&frame).is_err());
}

/// A float count of 2^64 is one past `u64::MAX` and was once read as `u64::MAX`; the largest
/// float below it is a count like any other.
#[test]
fn a_float_count_of_two_to_the_64_is_refused() {
    let frame = |count: f64| {
        let mut e = Encoder::new(Vec::new());
        e.map(7).unwrap();
        e.str("type").unwrap().str("ephemeral").unwrap();
        e.str("senderId").unwrap().str("a").unwrap();
        e.str("targetId").unwrap().str("b").unwrap();
        e.str("documentId")
            .unwrap()
            .str(&doc_id().to_string())
            .unwrap();
        e.str("sessionId").unwrap().str("s").unwrap();
        e.str("count").unwrap().f64(count).unwrap();
        e.str("data").unwrap().bytes(&[1]).unwrap();
        e.into_writer()
    };
    assert_eq!(
        decode(&frame(18_446_744_073_709_551_616.0)),
        Err(DecodeError::WrongType("count"))
    );
    let Ok(Message::Ephemeral(m)) = decode(&frame(18_446_744_073_709_549_568.0)) else {
        panic!("2^64 - 2048 refused")
    };
    assert_eq!(m.count, u64::MAX - 2047);
}
