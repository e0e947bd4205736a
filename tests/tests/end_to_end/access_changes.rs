//! Access changes reach connections that are already open: a revoked reader stops hearing
//! the document, a demoted editor can no longer write, a granted reader is answered, and a
//! revoked token or an ended session closes the socket.

use std::time::Duration;

use agora_schema::Message;
use agora_server::directory::{DocRole, DocumentInfo, GrantSubject};
use agora_tests::editing::text_of;
use agora_tests::people::{Cast, Role};
use agora_tests::raw_peer::Received;
use agora_tests::{RawPeer, TestServer};
use automerge::sync;
use automerge::Automerge;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const WAIT: Duration = Duration::from_secs(5);

/// Waits for the next message that is not a sync message.
pub async fn next_non_sync(peer: &mut RawPeer) -> Received {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match peer.recv_within(left).await {
            Received::Message(Message::Sync(_)) => continue,
            other => return other,
        }
    }
}

/// The reader's peer, with the statement synced.
pub async fn synced_reader(server: &TestServer, cast: &Cast) -> RawPeer {
    let mut reader = RawPeer::joined(&cast.sync_url(server, Role::Reader)).await;
    let mut doc = Automerge::new();
    reader
        .sync_doc(cast.statement, &mut doc, &mut sync::State::new())
        .await;
    assert_eq!(text_of(&doc), cast.statement_text);
    reader
}

/// Revokes the reader's grant on the statement, as its owner, and waits for the reader to be
/// told; returns the statement's directory entry.
pub async fn revoke_reader(server: &TestServer, cast: &Cast, reader: &mut RawPeer) -> DocumentInfo {
    let directory = &server.state.directory;
    let info = directory
        .document_info(cast.statement)
        .await
        .unwrap()
        .unwrap();
    directory
        .revoke_grant(&info, cast.reader_grant, &cast.person(Role::Owner).account)
        .await
        .unwrap();
    match next_non_sync(reader).await {
        Received::Message(Message::DocUnavailable { document_id, .. }) => {
            assert_eq!(document_id, cast.statement)
        }
        other => panic!("expected doc-unavailable after the revocation, got {other:?}"),
    }
    info
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_reader_stops_hearing_the_document_at_once() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let mut reader = synced_reader(&server, &cast).await;
    revoke_reader(&server, &cast, &mut reader).await;

    // The owner writes; the former reader hears nothing of it.
    let owner = cast.client(&server, Role::Owner).await;
    let handle = owner.find(cast.statement).await.unwrap();
    handle.append_text(" Geheim.").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    assert!(
        matches!(
            reader.recv_within(Duration::from_millis(500)).await,
            Received::Nothing
        ),
        "the revoked reader still hears the document"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_editor_can_no_longer_write_and_a_new_reader_is_answered() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let directory = &server.state.directory;
    let info = directory
        .document_info(cast.statement)
        .await
        .unwrap()
        .unwrap();
    let owner = &cast.person(Role::Owner).account;

    // The editor writes once, is demoted, and the same open connection's next change is refused.
    let editor = cast.client(&server, Role::Editor).await;
    let handle = editor.find(cast.statement).await.unwrap();
    handle.append_text(" Erstens.").unwrap();
    handle.wait_synced(WAIT).await.unwrap();
    let editor_id = cast.person(Role::Editor).account.account_id;
    directory
        .grant(
            &info,
            GrantSubject::Account(editor_id),
            DocRole::Reader,
            owner,
        )
        .await
        .unwrap();
    handle.append_text(" Zweitens.").unwrap();
    assert!(
        handle.wait_synced(Duration::from_secs(2)).await.is_err(),
        "a demoted editor's change was acknowledged"
    );
    let owner_client = cast.client(&server, Role::Owner).await;
    let seen = owner_client.find(cast.statement).await.unwrap();
    assert!(seen.text().ends_with(" Erstens."), "{}", seen.text());

    // Someone of the organisation without access asks, is refused, is granted access, and the
    // same request is answered on the same connection.
    let outsider_id = cast.person(Role::OtherOrganisation).account.account_id;
    let mut outsider = RawPeer::joined(&cast.sync_url(&server, Role::OtherOrganisation)).await;
    let mut doc = Automerge::new();
    let mut state = sync::State::new();
    let hello = automerge::sync::SyncDoc::generate_sync_message(&doc, &mut state).unwrap();
    let request = outsider.request_message(cast.statement, hello.encode());
    outsider.send(&request).await;
    assert!(matches!(
        next_non_sync(&mut outsider).await,
        Received::Message(Message::DocUnavailable { .. })
    ));
    directory
        .grant(
            &info,
            GrantSubject::Account(outsider_id),
            DocRole::Reader,
            owner,
        )
        .await
        .unwrap();
    match outsider.recv_within(WAIT).await {
        Received::Message(Message::Sync(body)) => {
            let message = sync::Message::decode(&body.data).unwrap();
            automerge::sync::SyncDoc::receive_sync_message(&mut doc, &mut state, message).unwrap();
        }
        other => panic!("expected the document once access was granted, got {other:?}"),
    }
    outsider
        .sync_doc(cast.statement, &mut doc, &mut state)
        .await;
    assert_eq!(text_of(&doc), seen.text());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_and_an_ended_session_close_their_connections() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let directory = &server.state.directory;

    let editor = cast.person(Role::Editor);
    let mut by_token = RawPeer::joined(&cast.sync_url(&server, Role::Editor)).await;
    directory
        .revoke_token(editor.account.account_id, editor.token_id)
        .await
        .unwrap();
    let reason = by_token.expect_error_and_close().await;
    assert!(reason.contains("sign-in has ended"), "{reason}");
    // The token no longer opens a socket.
    let again = tokio_tungstenite::connect_async(cast.sync_url(&server, Role::Editor)).await;
    assert!(
        matches!(again, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401)
    );

    // A browser's socket, made with its session cookie, closes when the session ends.
    let reader = cast.person(Role::Reader);
    let mut request = format!("ws://{}/sync", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        format!("agora_session={}", reader.session).parse().unwrap(),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut by_session = RawPeer::from_socket(socket);
    by_session.join().await;
    let session = directory.session(&reader.session).await.unwrap().unwrap();
    directory.end_session(&session.session_hash).await.unwrap();
    let reason = by_session.expect_error_and_close().await;
    assert!(reason.contains("sign-in has ended"), "{reason}");
    server.stop().await;
}
