//! The official npm client (`@automerge/automerge-repo` 2.5.6 with the WebSocket adapter) and
//! the Rust client share documents and ephemeral messages through an Agora server.

use std::time::Duration;

use agora_client::{Client, DocHandle, DocumentId};
use agora_tests::npm_peer::NpmPeer;
use agora_tests::TestServer;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// The npm client's `create` returns before it has synced the document to the server, so the
/// Rust side asks again until the document is there.
async fn find_soon(client: &Client, id: DocumentId) -> DocHandle {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match client.find(id).await {
            Ok(handle) => return handle,
            Err(error) if tokio::time::Instant::now() > deadline => {
                panic!("{id} never became available: {error}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_and_rust_clients_read_each_others_writes() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut npm = NpmPeer::start(&server.sync_url()).await;
    let rust = Client::connect(&server.sync_url()).await.unwrap();

    // npm creates, Rust reads.
    let created = npm
        .ok(json!({"cmd": "create", "text": "Hallo aus npm 🙂 – Grüße"}))
        .await;
    let url = created["url"].as_str().unwrap().to_owned();
    let id = DocumentId::parse_url_or_id(&url).unwrap();
    let handle = find_soon(&rust, id).await;
    assert_eq!(handle.text(), "Hallo aus npm 🙂 – Grüße");

    // Rust writes, npm reads.
    handle.append_text(" und aus Rust ✓").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    npm.ok(json!({"cmd": "waitText", "url": url, "equals": "Hallo aus npm 🙂 – Grüße und aus Rust ✓", "timeoutMs": 10000}))
        .await;

    // npm writes again; Rust sees it live.
    npm.ok(json!({"cmd": "append", "url": url, "text": " Æ Ø Å"}))
        .await;
    handle
        .wait_for(WAIT, |doc| {
            agora_tests::editing::text_of(doc).ends_with(" Æ Ø Å")
        })
        .await
        .unwrap();

    // Rust creates, npm reads.
    let from_rust = rust.create().await.unwrap();
    from_rust
        .append_text("Leitbild: Am Individuum orientieren")
        .unwrap();
    from_rust.wait_synced(WAIT).await.unwrap();
    let found = npm.ok(json!({"cmd": "find", "url": from_rust.url()})).await;
    assert_eq!(found["text"], json!("Leitbild: Am Individuum orientieren"));

    npm.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_client_is_told_an_unknown_document_is_unavailable() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut npm = NpmPeer::start(&server.sync_url()).await;
    let unknown = DocumentId::random().url();
    let answer = npm
        .command(json!({"cmd": "find", "url": unknown, "timeoutMs": 8000}))
        .await;
    assert_eq!(answer["ok"], json!(false));
    assert!(
        answer["error"].as_str().unwrap().contains("unavailable"),
        "{answer}"
    );
    // The server did not create it by being asked.
    let rust = Client::connect(&server.sync_url()).await.unwrap();
    assert!(rust
        .find(DocumentId::parse_url_or_id(&unknown).unwrap())
        .await
        .is_err());
    npm.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_messages_pass_between_npm_and_rust() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let mut npm = NpmPeer::start(&server.sync_url()).await;
    let rust = Client::connect(&server.sync_url()).await.unwrap();

    let created = npm.ok(json!({"cmd": "create", "text": "Presence"})).await;
    let url = created["url"].as_str().unwrap().to_owned();
    let handle = find_soon(&rust, DocumentId::parse_url_or_id(&url).unwrap()).await;
    let mut incoming = handle.ephemeral();

    // npm → Rust: the payload is CBOR of the app's value.
    npm.ok(json!({"cmd": "broadcast", "url": url, "message": {"user": "Ana", "cursor": 5}}))
        .await;
    let (_, data) = tokio::time::timeout(WAIT, incoming.recv())
        .await
        .unwrap()
        .unwrap();
    let value = cbor_text_values(&data);
    assert!(value.contains(&"Ana".to_owned()), "{value:?}");

    // Rust → npm.
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(2).unwrap();
    e.str("user").unwrap().str("Bjørn").unwrap();
    e.str("cursor").unwrap().u32(7).unwrap();
    handle.broadcast(e.into_writer()).unwrap();
    let received = npm
        .ok(json!({"cmd": "waitEphemeral", "url": url, "timeoutMs": 10000}))
        .await;
    assert_eq!(received["message"], json!({"user": "Bjørn", "cursor": 7}));

    npm.stop().await;
    server.stop().await;
}

/// The text values of a flat CBOR map.
fn cbor_text_values(data: &[u8]) -> Vec<String> {
    let mut d = minicbor::Decoder::new(data);
    let len = d.map().unwrap().unwrap_or(0);
    let mut values = Vec::new();
    for _ in 0..len {
        d.str().unwrap();
        match d.datatype().unwrap() {
            minicbor::data::Type::String => values.push(d.str().unwrap().to_owned()),
            _ => d.skip().unwrap(),
        }
    }
    values
}

/// A reader's npm client edits its local copy: the change never reaches the server's store or
/// another peer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readers_npm_client_cannot_change_the_document() {
    use agora_tests::people::{Cast, Role};

    let (_data, server, cast) = Cast::on_new_server().await;
    let url = cast.statement.url();
    let mut reader = NpmPeer::start(&cast.sync_url(&server, Role::Reader)).await;
    let found = reader
        .ok(json!({"cmd": "find", "url": url, "timeoutMs": 10000}))
        .await;
    assert_eq!(found["text"], cast.statement_text.as_str());

    let owner = cast.client(&server, Role::Owner).await;
    let watched = owner.find(cast.statement).await.unwrap();
    let local = reader
        .ok(json!({"cmd": "append", "url": url, "text": " Vom Leser geändert."}))
        .await;
    assert!(local["text"]
        .as_str()
        .unwrap()
        .ends_with("Vom Leser geändert."));

    // Give the change every chance to travel, then look everywhere it must not be.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        watched.text(),
        cast.statement_text,
        "another peer got the reader's change"
    );
    let fresh = cast.client(&server, Role::Editor).await;
    let stored = fresh.find(cast.statement).await.unwrap();
    assert_eq!(
        stored.text(),
        cast.statement_text,
        "the server stored the reader's change"
    );

    reader.stop().await;
    server.stop().await;
}
