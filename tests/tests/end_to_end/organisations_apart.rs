//! Two organisations: no request of either lists, reads or syncs the other's documents, and an
//! external reviewer sees exactly what was shared with them.

use std::time::Duration;

use agora_schema::{DocumentId, Message};
use agora_tests::browser::Browser;
use agora_tests::people::{Cast, Role};
use agora_tests::raw_peer::Received;
use agora_tests::{RawPeer, TestServer};
use automerge::sync::{self, SyncDoc};
use automerge::Automerge;
use reqwest::StatusCode;

/// Whether a `request` over `/sync` gets the document.
async fn syncs(server: &TestServer, cast: &Cast, role: Role, id: DocumentId) -> bool {
    let mut peer = RawPeer::joined(&cast.sync_url(server, role)).await;
    let mut state = sync::State::new();
    let hello = Automerge::new().generate_sync_message(&mut state).unwrap();
    let request = peer.request_message(id, hello.encode());
    peer.send(&request).await;
    match peer.recv_within(Duration::from_secs(5)).await {
        Received::Message(Message::Sync(_)) => true,
        Received::Message(Message::DocUnavailable { .. }) => false,
        other => panic!("unexpected answer: {other:?}"),
    }
}

/// Everything a role can learn about a document over HTTP and sync, as one verdict.
async fn sees(server: &TestServer, cast: &Cast, role: Role, id: DocumentId) -> bool {
    let person = cast.person(role);
    let mut browser = Browser::signed_in(&server.base_url(), &person.session);
    let listed_on_page = browser.get("/").await.body.contains(&id.to_string());
    let page = browser.get(&format!("/d/{id}")).await.status;
    let api = reqwest::Client::new();
    let listed_by_api = api
        .get(format!("{}/api/documents", server.base_url()))
        .bearer_auth(&person.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains(&id.to_string());
    let by_api = api
        .get(format!("{}/api/documents/{id}", server.base_url()))
        .bearer_auth(&person.token)
        .send()
        .await
        .unwrap()
        .status();
    let by_sync = syncs(server, cast, role, id).await;
    let verdicts = [
        listed_on_page,
        page == StatusCode::OK,
        listed_by_api,
        by_api == StatusCode::OK,
        by_sync,
    ];
    assert!(
        verdicts.iter().all(|v| *v == verdicts[0]),
        "{role:?} on {id}: page list, page, API list, API, sync disagree: {verdicts:?}"
    );
    if !verdicts[0] {
        assert_eq!(page, StatusCode::NOT_FOUND);
        assert_eq!(by_api, StatusCode::NOT_FOUND);
    }
    verdicts[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn neither_organisation_sees_the_other() {
    let (_data, server, cast) = Cast::on_new_server().await;
    // An internal document of A that nobody shared.
    let internal = agora_server::statements::create(
        &server.state,
        &cast.person(Role::Owner).account,
        cast.organisation_a.organisation_id,
        "Interne Notizen",
        "de",
    )
    .await
    .unwrap()
    .document_id;

    for role in [
        Role::Admin,
        Role::Owner,
        Role::Editor,
        Role::Commenter,
        Role::Reader,
    ] {
        assert!(sees(&server, &cast, role, cast.statement).await, "{role:?}");
        assert!(
            !sees(&server, &cast, role, cast.statement_b).await,
            "{role:?} sees B"
        );
    }
    assert!(sees(&server, &cast, Role::Owner, internal).await);
    assert!(sees(&server, &cast, Role::Admin, internal).await);
    assert!(!sees(&server, &cast, Role::Reader, internal).await);

    // B's administrator sees B's statement and nothing of A.
    assert!(sees(&server, &cast, Role::OtherOrganisation, cast.statement_b).await);
    for id in [cast.statement, internal] {
        assert!(!sees(&server, &cast, Role::OtherOrganisation, id).await);
    }

    // The reviewer (of B) sees the one statement shared with them, nothing else of A, and
    // nothing of B that was not shared with them.
    assert!(sees(&server, &cast, Role::Reviewer, cast.statement).await);
    for id in [internal, cast.statement_b] {
        assert!(!sees(&server, &cast, Role::Reviewer, id).await);
    }

    // Organisation pages and audit logs stay within their organisation.
    let a = cast.organisation_a.organisation_id;
    let b = cast.organisation_b.organisation_id;
    for (role, other) in [
        (Role::Admin, b),
        (Role::OtherOrganisation, a),
        (Role::Reviewer, a),
    ] {
        let mut browser = Browser::signed_in(&server.base_url(), &cast.person(role).session);
        for path in [
            format!("/organisations/{other}"),
            format!("/organisations/{other}/audit"),
        ] {
            assert_eq!(
                browser.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{role:?} {path}"
            );
        }
    }
    let mut b_admin = Browser::signed_in(
        &server.base_url(),
        &cast.person(Role::OtherOrganisation).session,
    );
    let audit_b = b_admin.get(&format!("/organisations/{b}/audit")).await.body;
    for id in [cast.statement, internal] {
        assert!(
            !audit_b.contains(&id.to_string()),
            "B's audit log names A's document"
        );
    }
    server.stop().await;
}
