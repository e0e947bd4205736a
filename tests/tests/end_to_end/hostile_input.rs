//! Hostile input on the pages: scripts in every text field come back escaped, forms without a
//! valid token or from another site are refused, a planted session never becomes a signed-in
//! one, a server error tells nothing of its insides, and password guessing is slowed.

use agora_tests::browser::Browser;
use agora_tests::people::{Cast, Role, PASSWORD};
use agora_tests::TestServer;
use reqwest::StatusCode;

const SCRIPT: &str = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";

fn assert_escaped(body: &str, where_: &str) {
    assert!(
        !body.contains("<script>alert(1)"),
        "{where_}: a script came back raw"
    );
    assert!(
        !body.contains("<img src=x"),
        "{where_}: markup came back raw"
    );
    // askama writes numeric character references.
    assert!(
        body.contains("&#60;script&#62;alert(1)") || body.contains("&lt;script&gt;alert(1)"),
        "{where_}: the payload is not shown escaped: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_in_every_text_field_are_shown_escaped() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let org = cast.organisation_a.organisation_id;
    let mut admin = Browser::signed_in(&base, &cast.person(Role::Admin).session);

    // Organisation name, team name, invitation note, token name, document title.
    admin
        .post(
            "/admin/organisations",
            &[("name", SCRIPT), ("admin_email", "ada@wohnverbund.test")],
        )
        .await;
    admin
        .post(&format!("/organisations/{org}/teams"), &[("name", SCRIPT)])
        .await;
    let invited = admin
        .post(
            &format!("/organisations/{org}/invitations"),
            &[("note", SCRIPT), ("role", "member"), ("team", "")],
        )
        .await;
    assert_eq!(invited.status, StatusCode::OK);
    admin.post("/account/tokens", &[("name", SCRIPT)]).await;
    let created = admin
        .post(
            "/documents",
            &[
                ("title", SCRIPT),
                ("language", "de"),
                ("organisation", &org.to_string()),
            ],
        )
        .await;
    let document_path = created.location.expect("redirect to the new document");

    // A display name, by accepting the invitation as a new account.
    let link = invited
        .body
        .split("value=\"")
        .find_map(|part| {
            part.split('"')
                .next()
                .filter(|v| v.contains("/invitations/"))
        })
        .expect("the invitation link")
        .to_owned();
    let secret = link.rsplit('/').next().unwrap();
    let mut newcomer = Browser::new(&base);
    let joined = newcomer
        .post(
            &format!("/invitations/{secret}"),
            &[
                ("display_name", SCRIPT),
                ("email", "neu@wohnverbund.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(joined.status.is_redirection(), "{}", joined.body);

    // Document text, written over sync.
    let id =
        agora_schema::DocumentId::parse_url_or_id(document_path.trim_start_matches("/d/")).unwrap();
    let client = cast.client(&server, Role::Admin).await;
    let handle = client.find(id).await.unwrap();
    handle.append_text(SCRIPT).unwrap();
    handle
        .wait_synced(std::time::Duration::from_secs(10))
        .await
        .unwrap();

    let teams = server.state.directory.teams(org).await.unwrap();
    let team = teams.iter().find(|t| t.name == SCRIPT).unwrap().team_id;
    for path in [
        "/".to_owned(),
        document_path.clone(),
        "/admin".to_owned(),
        "/account/tokens".to_owned(),
        format!("/organisations/{org}"),
        format!("/organisations/{org}/teams/{team}"),
        format!("/organisations/{org}/audit"),
    ] {
        let page = admin.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_escaped(&page.body, &path);
        for header in [
            "content-security-policy",
            "x-content-type-options",
            "x-frame-options",
        ] {
            assert!(page.headers.contains_key(header), "{path} lacks {header}");
        }
        // `no-referrer` would make browsers send `Origin: null` with our own forms.
        assert_eq!(page.headers["referrer-policy"], "same-origin");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    }

    // The search page shows the text in a hit's snippet once it is indexed: escaped too.
    let mut hit = None;
    for _ in 0..100 {
        let page = admin.get("/search?q=alert").await;
        if page.body.contains("class=\"snippet\"") {
            hit = Some(page);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let page = hit.expect("the search page finds the document text");
    assert_escaped(&page.body, "/search");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_without_a_valid_token_or_from_another_site_are_refused() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let owner = cast.person(Role::Owner);
    let org = cast.organisation_a.organisation_id.to_string();
    let fields = [
        ("title", "Untergeschoben"),
        ("language", "de"),
        ("organisation", org.as_str()),
    ];
    let before = server
        .state
        .directory
        .documents_for(owner.account.account_id)
        .await
        .unwrap()
        .len();

    // No token.
    let mut browser = Browser::signed_in(&base, &owner.session);
    assert_eq!(
        browser.post_raw("/documents", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    // Another session's token.
    let mut other = Browser::signed_in(&base, &cast.person(Role::Reader).session);
    let foreign = other.csrf_token().await;
    let mut with_foreign = vec![("csrf", foreign.as_str())];
    with_foreign.extend_from_slice(&fields);
    assert_eq!(
        browser.post_raw("/documents", &with_foreign).await.status,
        StatusCode::FORBIDDEN
    );
    // The right token, sent from another site's page.
    let mut elsewhere =
        Browser::signed_in(&base, &owner.session).with_origin("https://evil.example");
    assert_eq!(
        elsewhere.post("/documents", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    let api = elsewhere
        .post_json(
            "/api/documents",
            &serde_json::json!({"title": "Untergeschoben"}),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    // A WebSocket from another site's page, with the victim's cookie.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{}/sync",
            server.addr
        ))
        .unwrap();
    request.headers_mut().insert(
        "cookie",
        format!("agora_session={}", owner.session).parse().unwrap(),
    );
    request
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert!(matches!(
        tokio_tungstenite::connect_async(request).await,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403
    ));

    let after = server
        .state
        .directory
        .documents_for(owner.account.account_id)
        .await
        .unwrap()
        .len();
    assert_eq!(before, after, "a refused form created a document");
    // The same form with its own token works.
    assert!(browser
        .post("/documents", &fields)
        .await
        .status
        .is_redirection());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_session_never_becomes_a_signed_in_one() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let owner = cast.person(Role::Owner);

    // An attacker plants their own valid session, then a made-up one, in the victim's browser.
    let attacker_session = cast.person(Role::OtherOrganisation).session.clone();
    for planted in [attacker_session.as_str(), "s_made-up-by-the-attacker"] {
        let mut victim = Browser::new(&base);
        victim.set_cookie("agora_session", planted);
        let signed_in = victim
            .post(
                "/login",
                &[
                    ("email", &owner.account.email),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            signed_in.location.as_deref(),
            Some("/"),
            "{} {}",
            signed_in.status,
            signed_in.body
        );
        let now = victim
            .cookie("agora_session")
            .expect("a session cookie")
            .to_owned();
        assert_ne!(now, planted, "the session id was not rotated at sign-in");
        assert!(server
            .state
            .directory
            .session(planted)
            .await
            .unwrap()
            .is_none());
        let session = server.state.directory.session(&now).await.unwrap().unwrap();
        assert_eq!(session.account.account_id, owner.account.account_id);
        let cookie_header = signed_in
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|v| v.starts_with("agora_session="))
            .unwrap();
        assert!(cookie_header.contains("HttpOnly") && cookie_header.contains("SameSite=Lax"));
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_tells_nothing_of_its_insides() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start(data.path()).await;
    let cast = Cast::assemble(&server).await;
    // Break the database under the running server: the audit log disappears.
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.path().join("agora.sqlite3").display()
    ))
    .await
    .unwrap();
    sqlx::query("drop table audit_event")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let mut browser = Browser::signed_in(&server.base_url(), &cast.person(Role::Owner).session);
    let page = browser.get(&format!("/d/{}", cast.statement)).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let shared = browser
        .post(
            &format!("/d/{}/share", cast.statement),
            &[("email", "ole@plejecenter.test"), ("role", "reader")],
        )
        .await;
    assert_eq!(shared.status, StatusCode::INTERNAL_SERVER_ERROR);
    for body in [&page.body, &shared.body] {
        let lower = body.to_lowercase();
        for secret in [
            "audit_event",
            "sqlx",
            "sqlite",
            "no such table",
            "database error",
            "panicked",
        ] {
            assert!(
                !lower.contains(secret),
                "a 5xx body shows `{secret}`: {body}"
            );
        }
        assert!(
            body.contains("Something went wrong on the server"),
            "{body}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_passwords_is_slowed_down() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(data.path(), &["--login-attempts-per-minute", "5"]).await;
    let cast = Cast::assemble(&server).await;
    let email = cast.person(Role::Owner).account.email.clone();
    let mut attacker = Browser::new(&server.base_url());
    let mut throttled = 0;
    for guess in 0..12 {
        let page = attacker
            .post(
                "/login",
                &[
                    ("email", &email),
                    ("password", &format!("guess number {guess}")),
                ],
            )
            .await;
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(page.headers.contains_key("retry-after"));
            throttled += 1;
        } else {
            assert_eq!(
                page.status,
                StatusCode::OK,
                "a wrong password shows the form again"
            );
            assert!(page.body.contains("not right"));
        }
    }
    assert!(
        throttled >= 6,
        "only {throttled} of 12 rapid guesses were slowed down"
    );
    // While throttled, even the right password waits: guessing cannot be sped up by luck.
    let right = attacker
        .post("/login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    server.stop().await;
}
