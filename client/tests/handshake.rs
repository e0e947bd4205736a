//! How `Client::connect` fails: refused joins, wrong versions, silent and absent servers.
//! A scripted in-process server plays the other side.

use std::time::Duration;

use agora_client::{Client, ClientError, ClientOptions, PeerId};
use agora_schema::{Message, PeerMessage, PeerMetadata};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite;

/// Accepts one connection, reads the `join`, answers with `reply(joiner)` (if any), then keeps
/// the socket open until the client goes.
async fn scripted_server(reply: fn(PeerId) -> Option<Message>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/sync", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let Some(Ok(tungstenite::Message::Binary(frame))) = socket.next().await else {
            return;
        };
        let Ok(Message::Join(join)) = agora_schema::decode(&frame) else {
            panic!("the first frame is not a join");
        };
        assert_eq!(join.supported_protocol_versions, Some(vec!["1".to_owned()]));
        if let Some(reply) = reply(join.sender_id) {
            let frame = agora_schema::encode(&reply);
            socket
                .send(tungstenite::Message::Binary(frame.into()))
                .await
                .unwrap();
        }
        while let Some(Ok(_)) = socket.next().await {}
    });
    url
}

fn quick() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_millis(500),
        ..ClientOptions::default()
    }
}

#[tokio::test]
async fn an_error_reply_fails_the_connect_with_its_message() {
    let url = scripted_server(|_| {
        Some(Message::Error {
            message: "unsupported protocol version".to_owned(),
        })
    })
    .await;
    match Client::connect_with(&url, quick()).await {
        Err(ClientError::Rejected(message)) => assert_eq!(message, "unsupported protocol version"),
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn another_protocol_version_is_refused() {
    let url = scripted_server(|joiner| {
        Some(Message::Peer(PeerMessage {
            sender_id: PeerId::new("server"),
            target_id: joiner,
            peer_metadata: PeerMetadata::default(),
            selected_protocol_version: "2".to_owned(),
        }))
    })
    .await;
    match Client::connect_with(&url, quick()).await {
        Err(ClientError::UnsupportedVersion(version)) => assert_eq!(version, "2"),
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let url = scripted_server(|_| None).await;
    match Client::connect_with(&url, quick()).await {
        Err(ClientError::Timeout { .. }) => {}
        other => panic!("expected Timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_peer_reply_connects() {
    let url = scripted_server(|joiner| {
        Some(Message::Peer(PeerMessage {
            sender_id: PeerId::new("server"),
            target_id: joiner,
            peer_metadata: PeerMetadata::default(),
            selected_protocol_version: "1".to_owned(),
        }))
    })
    .await;
    let options = ClientOptions {
        peer_id: Some(PeerId::new("me")),
        ..quick()
    };
    let client = Client::connect_with(&url, options).await.unwrap();
    assert_eq!(client.peer_id().as_str(), "me");
    assert_eq!(client.server_peer_id().as_str(), "server");
    assert!(client.is_connected());
    client.close().await;
    assert!(!client.is_connected());
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    // Bind and drop, so the port is very likely free.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ws://127.0.0.1:{port}/sync");
    match Client::connect_with(&url, quick()).await {
        Err(ClientError::Connect { .. }) => {}
        other => panic!("expected Connect, got {other:?}"),
    }
    assert!(matches!(
        Client::connect("not a url").await,
        Err(ClientError::InvalidUrl { .. })
    ));
}
