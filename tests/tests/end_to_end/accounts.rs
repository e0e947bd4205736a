//! Accounts from the first start to invitations: the first administrator, invitation links
//! (single use, expiring, revocable), external reviewers, password changes, tokens, the audit
//! log, and pages in the visitor's language.

use std::time::Duration;

use agora_server::directory::{DocRole, InvitationKind, NewInvitation, OrgRole};
use agora_tests::browser::Browser;
use agora_tests::people::{Cast, Role, PASSWORD};
use agora_tests::TestServer;
use reqwest::StatusCode;

fn invitation_secret(body: &str) -> String {
    body.split("value=\"")
        .filter_map(|part| part.split('"').next())
        .find(|value| value.contains("/invitations/"))
        .and_then(|link| link.rsplit('/').next())
        .expect("an invitation link on the page")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_comes_from_the_environment_once() {
    let data = tempfile::tempdir().unwrap();
    let password = data.path().join("admin-password");
    std::fs::write(&password, "ein sehr geheimes Passwort\n").unwrap();
    let args = [
        "--admin-email",
        "chefin@wohnverbund.test",
        "--admin-password-file",
        password.to_str().unwrap(),
    ];
    let server = TestServer::start_with(data.path(), &args).await;
    let admin = server
        .state
        .directory
        .verify_password("chefin@wohnverbund.test", "ein sehr geheimes Passwort")
        .await
        .unwrap()
        .expect("the administrator signs in with the file's first line");
    assert!(admin.is_instance_admin.0);
    server.stop().await;
    // Later starts with other values change nothing: accounts exist.
    std::fs::write(&password, "ein anderes Passwort hier").unwrap();
    let server = TestServer::start_with(data.path(), &args).await;
    let again = server
        .state
        .directory
        .verify_password("chefin@wohnverbund.test", "ein sehr geheimes Passwort")
        .await
        .unwrap();
    assert!(again.is_some());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_installation_is_set_up_in_the_browser_through_a_link_that_works_once() {
    let data = tempfile::tempdir().unwrap();
    let server = TestServer::start_empty(data.path()).await;
    let code = server
        .state
        .web
        .setup_code
        .lock()
        .unwrap()
        .clone()
        .expect("a new installation has a setup code");
    let base = server.base_url();
    let mut guesser = Browser::new(&base);
    assert_eq!(
        guesser.get("/setup/guessed").await.status,
        StatusCode::NOT_FOUND
    );

    let mut operator = Browser::new(&base);
    let form = operator.get(&format!("/setup/{code}")).await;
    assert_eq!(form.status, StatusCode::OK);
    // A mistake can be corrected: the link still works after it.
    let short = operator
        .post(
            &format!("/setup/{code}"),
            &[
                ("organisation", "Wohnverbund Nord"),
                ("display_name", "Ada Admin"),
                ("email", "ada@wohnverbund.test"),
                ("password", "kurz"),
            ],
        )
        .await;
    assert!(short.location.unwrap().contains("error=password-too-short"));
    assert_eq!(
        operator.get(&format!("/setup/{code}")).await.status,
        StatusCode::OK
    );
    let done = operator
        .post(
            &format!("/setup/{code}"),
            &[
                ("organisation", "Wohnverbund Nord"),
                ("display_name", "Ada Admin"),
                ("email", "ada@wohnverbund.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/?notice=notice-set-up"));
    // Signed in at once, as administrator of the new organisation and of the installation.
    let home = operator.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Ada Admin"));
    assert_eq!(operator.get("/admin").await.status, StatusCode::OK);
    let directory = &server.state.directory;
    let ada = directory
        .account_by_email("ada@wohnverbund.test")
        .await
        .unwrap()
        .unwrap();
    let memberships = directory.memberships(ada.account_id).await.unwrap();
    assert_eq!(memberships.len(), 1);
    assert_eq!(memberships[0].1, OrgRole::Admin);

    // The link is spent.
    let mut late = Browser::new(&base);
    assert_eq!(
        late.get(&format!("/setup/{code}")).await.status,
        StatusCode::NOT_FOUND
    );
    let again = late
        .post(
            &format!("/setup/{code}"),
            &[
                ("organisation", "Übernahme"),
                ("display_name", "Mallory"),
                ("email", "mallory@example.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(directory.account_count().await.unwrap(), 1);
    server.stop().await;
    // A restart with accounts offers no setup link.
    let server = TestServer::start(data.path()).await;
    assert!(server.state.web.setup_code.lock().unwrap().is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_link_works_once_and_not_after_it_expires_or_is_withdrawn() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let org = cast.organisation_a.organisation_id;
    let mut admin = Browser::signed_in(&base, &cast.person(Role::Admin).session);
    let page = admin
        .post(
            &format!("/organisations/{org}/invitations"),
            &[
                ("note", "Mia"),
                ("role", "member"),
                ("team", &cast.team.team_id.to_string()),
            ],
        )
        .await;
    let secret = invitation_secret(&page.body);

    let mut newcomer = Browser::new(&base);
    let shown = newcomer.get(&format!("/invitations/{secret}")).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("Wohnverbund Nord"));
    let joined = newcomer
        .post(
            &format!("/invitations/{secret}"),
            &[
                ("display_name", "Mia Muster"),
                ("email", "mia@wohnverbund.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(joined.location.as_deref(), Some("/?notice=notice-joined"));
    let directory = &server.state.directory;
    let mia = directory
        .account_by_email("mia@wohnverbund.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        directory.org_role(mia.account_id, org).await.unwrap(),
        Some(OrgRole::Member)
    );
    let team_members = directory.team_members(cast.team.team_id).await.unwrap();
    assert!(team_members.iter().any(|m| m.account_id == mia.account_id));
    // Through the team, Mia comments on the statement.
    assert_eq!(
        directory
            .document_role(mia.account_id, cast.statement)
            .await
            .unwrap(),
        Some(DocRole::Commenter)
    );

    // The same link again, by someone else: gone.
    let mut second = Browser::new(&base);
    assert_eq!(
        second.get(&format!("/invitations/{secret}")).await.status,
        StatusCode::GONE
    );
    let reused = second
        .post(
            &format!("/invitations/{secret}"),
            &[
                ("display_name", "Max"),
                ("email", "max@wohnverbund.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(reused
        .location
        .unwrap()
        .contains("error=invitation-not-open"));
    assert!(directory
        .account_by_email("max@wohnverbund.test")
        .await
        .unwrap()
        .is_none());

    // Expired and withdrawn links are refused the same way.
    let admin_account = &cast.person(Role::Admin).account;
    let member = |note| NewInvitation {
        organisation: org,
        kind: InvitationKind::Member {
            role: OrgRole::Admin,
            team: None,
        },
        note,
    };
    let (_, expired) = directory
        .create_invitation(member("abgelaufen"), Duration::ZERO, admin_account)
        .await
        .unwrap();
    let (withdrawn, withdrawn_secret) = directory
        .create_invitation(
            member("zurückgezogen"),
            Duration::from_secs(3600),
            admin_account,
        )
        .await
        .unwrap();
    admin
        .post(
            &format!(
                "/organisations/{org}/invitations/{}/revoke",
                withdrawn.invitation_id
            ),
            &[],
        )
        .await;
    let reader = cast.person(Role::Reader);
    for secret in [expired, withdrawn_secret] {
        let mut signed_in = Browser::signed_in(&base, &reader.session);
        assert_eq!(
            signed_in
                .get(&format!("/invitations/{secret}"))
                .await
                .status,
            StatusCode::GONE
        );
        signed_in.post(&format!("/invitations/{secret}"), &[]).await;
        assert_eq!(
            directory
                .org_role(reader.account.account_id, org)
                .await
                .unwrap(),
            Some(OrgRole::Member),
            "a dead link made the reader an admin"
        );
    }
    // Made-up secrets, hostile ones included, are simply unknown.
    for secret in ["i_nope", "..%2F..%2Fetc", "%3Cscript%3E"] {
        let status = Browser::new(&base)
            .get(&format!("/invitations/{secret}"))
            .await
            .status;
        assert!(
            matches!(status, StatusCode::GONE | StatusCode::NOT_FOUND),
            "{secret}: {status}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_external_reviewer_joins_one_document_and_no_organisation() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let mut owner = Browser::signed_in(&base, &cast.person(Role::Owner).session);
    let page = owner
        .post(
            &format!("/d/{}/invitations", cast.statement),
            &[("note", "Gutachterin"), ("role", "commenter")],
        )
        .await;
    let secret = invitation_secret(&page.body);
    // B's administrator, already signed in, accepts.
    let outsider = cast.person(Role::OtherOrganisation);
    let mut reviewer = Browser::signed_in(&base, &outsider.session);
    let accepted = reviewer.post(&format!("/invitations/{secret}"), &[]).await;
    assert_eq!(accepted.location, Some(format!("/d/{}", cast.statement)));
    let directory = &server.state.directory;
    let id = outsider.account.account_id;
    assert_eq!(
        directory.document_role(id, cast.statement).await.unwrap(),
        Some(DocRole::Commenter)
    );
    assert_eq!(
        directory
            .org_role(id, cast.organisation_a.organisation_id)
            .await
            .unwrap(),
        None
    );
    let share = owner
        .get(&format!("/d/{}/share", cast.statement))
        .await
        .body;
    assert!(share.contains("Ole Ørsted") && share.contains("external reviewer"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_other_sessions_and_tokens_are_the_owners_to_revoke() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let editor = cast.person(Role::Editor);
    let directory = &server.state.directory;
    let other_session = directory
        .create_session(editor.account.account_id)
        .await
        .unwrap();

    let mut browser = Browser::signed_in(&base, &editor.session);
    let wrong = browser
        .post(
            "/account/password",
            &[("current", "falsch"), ("new", "ein neues langes Passwort")],
        )
        .await;
    assert!(wrong
        .location
        .unwrap()
        .contains("error=error-wrong-password"));
    let short = browser
        .post(
            "/account/password",
            &[("current", PASSWORD), ("new", "kurz")],
        )
        .await;
    assert!(short.location.unwrap().contains("error=password-too-short"));
    let changed = browser
        .post(
            "/account/password",
            &[("current", PASSWORD), ("new", "ein neues langes Passwort")],
        )
        .await;
    assert!(changed
        .location
        .unwrap()
        .contains("notice=notice-password-changed"));
    assert!(
        directory.session(&editor.session).await.unwrap().is_some(),
        "this session stays"
    );
    assert!(
        directory.session(&other_session).await.unwrap().is_none(),
        "other sessions end"
    );
    assert!(directory
        .verify_password(&editor.account.email, "ein neues langes Passwort")
        .await
        .unwrap()
        .is_some());

    // A token is shown once, listed by name, and revoked by its owner.
    let created = browser
        .post("/account/tokens", &[("name", "Nachtskript")])
        .await;
    let token = created
        .body
        .split("value=\"")
        .filter_map(|p| p.split('"').next())
        .find(|v| v.starts_with("agora_"))
        .expect("the new token on the page")
        .to_owned();
    let listed = browser.get("/account/tokens").await.body;
    assert!(listed.contains("Nachtskript") && !listed.contains(&token));
    let api = reqwest::Client::new();
    let me = api
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let tokens = directory.tokens(editor.account.account_id).await.unwrap();
    let id = tokens
        .iter()
        .find(|t| t.name == "Nachtskript")
        .unwrap()
        .token_id;
    // Another account cannot revoke it.
    let mut reader = Browser::signed_in(&base, &cast.person(Role::Reader).session);
    let foreign = reader
        .post(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    browser
        .post(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    let after = api
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_records_who_granted_changed_and_used_access() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let base = server.base_url();
    let mut owner = Browser::signed_in(&base, &cast.person(Role::Owner).session);
    let share = format!("/d/{}/share", cast.statement);
    owner
        .post(
            &share,
            &[("email", "ole@plejecenter.test"), ("role", "reader")],
        )
        .await;
    owner
        .post(
            &share,
            &[("email", "ole@plejecenter.test"), ("role", "editor")],
        )
        .await;
    owner
        .post(&format!("{share}/{}/revoke", cast.reader_grant), &[])
        .await;
    // The reviewer opens the statement over sync with a token.
    let reviewer = cast.client(&server, Role::Reviewer).await;
    reviewer.find(cast.statement).await.unwrap();

    let events = server
        .state
        .directory
        .audit_events(cast.organisation_a.organisation_id, 100)
        .await
        .unwrap();
    let find = |action: &str, detail: &str| {
        events.iter().any(|e| {
            e.action == action
                && e.detail.as_deref().is_some_and(|d| d.contains(detail))
                && e.document_id.as_deref() == Some(cast.statement.to_string().as_str())
        })
    };
    assert!(find("grant.set", "reader"), "{events:#?}");
    assert!(find("grant.set", "reader -> editor"), "{events:#?}");
    assert!(find("grant.revoked", "reader"), "{events:#?}");
    assert!(
        find("document.opened", "commenter via token:"),
        "{events:#?}"
    );
    let by_owner = events
        .iter()
        .filter(|e| e.action.starts_with("grant."))
        .all(|e| e.actor_email.as_deref() == Some("olga@wohnverbund.test"));
    assert!(by_owner);
    let mut admin = Browser::signed_in(&base, &cast.person(Role::Admin).session);
    let page = admin
        .get(&format!(
            "/organisations/{}/audit",
            cast.organisation_a.organisation_id
        ))
        .await;
    assert!(page.body.contains("Access withdrawn") && page.body.contains("olga@wohnverbund.test"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_speak_the_visitors_language() {
    let (_data, server, cast) = Cast::on_new_server().await;
    let client = reqwest::Client::new();
    let login = |language: &'static str| {
        client
            .get(format!("{}/login", server.base_url()))
            .header("accept-language", language)
            .send()
    };
    for (language, lang, expected) in [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "Anmelden"),
        ("da-DK,da;q=0.9", "da", "Log ind"),
        ("fr-FR,en;q=0.3", "en", "Sign in"),
    ] {
        let body = login(language).await.unwrap().text().await.unwrap();
        assert!(
            body.contains(&format!("<html lang=\"{lang}\">")),
            "{language}"
        );
        assert!(body.contains(expected), "{language}: {body}");
    }
    // The account's choice wins over the browser's.
    let mut reader = Browser::signed_in(&server.base_url(), &cast.person(Role::Reader).session);
    reader.post("/language", &[("language", "da")]).await;
    let page = reader.get("/").await;
    assert!(page.body.contains("<html lang=\"da\">"), "{}", page.body);
    let stored = server
        .state
        .directory
        .account(cast.person(Role::Reader).account.account_id)
        .await
        .unwrap();
    assert_eq!(stored.locale.as_deref(), Some("da"));
    server.stop().await;
}

/// Documents stored before accounts existed have no owner and nobody can open them, until
/// `agora admin adopt-documents` gives them to an organisation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_from_before_accounts_are_adopted_from_the_command_line() {
    let (data, server, cast) = Cast::on_new_server().await;
    let id = agora_schema::DocumentId::random();
    let old = agora_tests::editing::document_with_text("Aus der Zeit vor den Konten");
    server.state.store.append(id, &old.save()).await.unwrap();
    let owner = cast.client(&server, Role::Owner).await;
    assert!(
        owner.find(id).await.is_err(),
        "an unowned document was served"
    );
    server.stop().await;

    let binary = agora_tests::server::agora_binary();
    let adopt = |email: &str| {
        std::process::Command::new(&binary)
            .args(["admin", "adopt-documents", "--data"])
            .arg(data.path())
            .args([
                "--organisation",
                &cast.organisation_a.organisation_id.to_string(),
            ])
            .args(["--owner-email", email])
            .output()
            .unwrap()
    };
    // Only a member of the organisation can own its documents.
    let refused = adopt("ole@plejecenter.test");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a member"));
    let adopted = adopt("olga@wohnverbund.test");
    assert!(
        adopted.status.success(),
        "{}",
        String::from_utf8_lossy(&adopted.stderr)
    );
    assert!(String::from_utf8_lossy(&adopted.stdout).starts_with("1 unowned document(s)"));

    let server = TestServer::start(data.path()).await;
    let owner = cast.client(&server, Role::Owner).await;
    let found = owner.find(id).await.expect("the adopted document opens");
    assert_eq!(found.text(), "Aus der Zeit vor den Konten");
    let reader = cast.client(&server, Role::Reader).await;
    assert!(
        reader.find(id).await.is_err(),
        "adoption shared it with everyone"
    );
    server.stop().await;
}
