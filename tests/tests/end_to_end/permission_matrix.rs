//! Every HTTP route × every role → the expected answer, table-driven. The table must name every
//! route the server has: a route added without a row fails `every_route_has_a_row`.

use std::collections::BTreeSet;

use agora_tests::browser::{Browser, Page};
use agora_tests::people::{copy_data_folder, Cast, Role, PASSWORD, ROLES};
use agora_tests::TestServer;
use reqwest::StatusCode;

/// What a role gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served, or the form did its work (2xx, or a redirect that is not to sign-in).
    A,
    /// Sign in first (pages redirect to `/login?next=`, the API and `/sync` answer 401).
    L,
    /// As if it did not exist (404).
    N,
    /// Visible, but this role may not (403).
    F,
    /// The form was refused with a message for the user (a redirect with `error=`).
    R,
}
use Expect::*;

#[derive(Clone, Copy)]
enum Body {
    None,
    Form(&'static [(&'static str, &'static str)]),
    Json(&'static str),
}

struct Row {
    method: &'static str,
    path: &'static str,
    body: Body,
    /// In the order of `ROLES`: anonymous, other organisation, reviewer, reader, commenter,
    /// editor, owner, admin.
    expect: [Expect; 8],
}

const fn row(method: &'static str, path: &'static str, body: Body, expect: [Expect; 8]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

const EVERYONE: [Expect; 8] = [A, A, A, A, A, A, A, A];
const SIGNED_IN: [Expect; 8] = [L, A, A, A, A, A, A, A];
const READERS: [Expect; 8] = [L, N, A, A, A, A, A, A];
const SHARERS: [Expect; 8] = [L, N, F, F, F, F, A, A];
const ORG_ADMINS: [Expect; 8] = [L, N, N, F, F, F, F, A];

fn rows() -> Vec<Row> {
    use Body::{Form, Json, None};
    vec![
        row("GET", "/healthz", None, EVERYONE),
        row("GET", "/readyz", None, EVERYONE),
        row("GET", "/static/agora.css", None, EVERYONE),
        row("GET", "/app/{*path}", None, EVERYONE),
        row("GET", "/sync", None, SIGNED_IN),
        row("GET", "/login", None, EVERYONE),
        row(
            "POST",
            "/login",
            Form(&[("email", "{owner_email}"), ("password", "{password}")]),
            EVERYONE,
        ),
        row("POST", "/logout", Form(&[]), EVERYONE),
        row("POST", "/language", Form(&[("language", "da")]), EVERYONE),
        // The installation has accounts, so no setup code opens these.
        row("GET", "/setup/{code}", None, [N; 8]),
        row(
            "POST",
            "/setup/{code}",
            Form(&[
                ("organisation", "Übernahme"),
                ("display_name", "Mallory"),
                ("email", "mallory@example.test"),
                ("password", "{password}"),
            ]),
            [N; 8],
        ),
        row("GET", "/", None, SIGNED_IN),
        row(
            "POST",
            "/documents",
            Form(&[
                ("title", "Leitbild"),
                ("language", "de"),
                ("organisation", "{org}"),
            ]),
            [L, R, R, A, A, A, A, A],
        ),
        row("GET", "/d/{id}", None, READERS),
        row("GET", "/d/{id}/meeting", None, READERS),
        row("GET", "/search", None, SIGNED_IN),
        row("GET", "/d/{id}/share", None, SHARERS),
        row(
            "POST",
            "/d/{id}/share",
            Form(&[("email", "{reader_email}"), ("role", "editor")]),
            SHARERS,
        ),
        row("POST", "/d/{id}/share/{grant}/revoke", Form(&[]), SHARERS),
        row(
            "POST",
            "/d/{id}/invitations",
            Form(&[("note", "Gutachterin"), ("role", "commenter")]),
            SHARERS,
        ),
        row("GET", "/organisations", None, SIGNED_IN),
        row("GET", "/organisations/{org}", None, ORG_ADMINS),
        row(
            "POST",
            "/organisations/{org}/invitations",
            Form(&[("note", "Neu"), ("role", "member"), ("team", "")]),
            ORG_ADMINS,
        ),
        row(
            "POST",
            "/organisations/{org}/invitations/{invitation}/revoke",
            Form(&[]),
            ORG_ADMINS,
        ),
        row(
            "POST",
            "/organisations/{org}/members/{account}/role",
            Form(&[("role", "admin")]),
            ORG_ADMINS,
        ),
        row(
            "POST",
            "/organisations/{org}/members/{account}/remove",
            Form(&[]),
            ORG_ADMINS,
        ),
        row(
            "POST",
            "/organisations/{org}/teams",
            Form(&[("name", "Nachtdienst")]),
            ORG_ADMINS,
        ),
        row("GET", "/organisations/{org}/teams/{team}", None, ORG_ADMINS),
        row(
            "POST",
            "/organisations/{org}/teams/{team}/members",
            Form(&[("account", "{reader_id}")]),
            ORG_ADMINS,
        ),
        row(
            "POST",
            "/organisations/{org}/teams/{team}/members/{account}/remove",
            Form(&[]),
            ORG_ADMINS,
        ),
        row("GET", "/organisations/{org}/audit", None, ORG_ADMINS),
        row("GET", "/invitations/{secret}", None, EVERYONE),
        row(
            "POST",
            "/invitations/{secret}",
            Form(&[
                ("display_name", "Neue Kollegin"),
                ("email", "neu@wohnverbund.test"),
                ("password", "{password}"),
            ]),
            EVERYONE,
        ),
        row("GET", "/account", None, SIGNED_IN),
        row(
            "POST",
            "/account/password",
            Form(&[
                ("current", "{password}"),
                ("new", "ein neues langes Passwort"),
            ]),
            SIGNED_IN,
        ),
        row("GET", "/account/tokens", None, SIGNED_IN),
        row(
            "POST",
            "/account/tokens",
            Form(&[("name", "Skript")]),
            SIGNED_IN,
        ),
        row(
            "POST",
            "/account/tokens/{token}/revoke",
            Form(&[]),
            [L, N, N, N, N, N, A, N],
        ),
        row("GET", "/admin", None, [L, N, N, N, N, N, N, A]),
        row(
            "POST",
            "/admin/organisations",
            Form(&[("name", "Neue Stiftung"), ("admin_email", "{reader_email}")]),
            [L, N, N, N, N, N, N, A],
        ),
        row("GET", "/api/me", None, SIGNED_IN),
        row("GET", "/api/documents", None, SIGNED_IN),
        row(
            "POST",
            "/api/documents",
            Json(r#"{"title": "Grundsätze"}"#),
            SIGNED_IN,
        ),
        row("GET", "/api/documents/{id}", None, READERS),
        row("GET", "/api/search", None, SIGNED_IN),
    ]
}

#[test]
fn every_route_has_a_row() {
    let served: BTreeSet<(String, String)> = agora_server::http::routes()
        .into_iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let tabled: BTreeSet<(String, String)> = rows()
        .into_iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&tabled).collect();
    let stale: Vec<_> = tabled.difference(&served).collect();
    assert!(missing.is_empty(), "routes without a row: {missing:?}");
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );
}

/// Fills a path or form value's placeholders from the cast.
fn fill(text: &str, cast: &Cast) -> String {
    let reader = cast.person(Role::Reader);
    let owner = cast.person(Role::Owner);
    text.replace("{id}", &cast.statement.to_string())
        .replace("{grant}", &cast.reader_grant.to_string())
        .replace("{org}", &cast.organisation_a.organisation_id.to_string())
        .replace("{team}", &cast.team.team_id.to_string())
        // The commenter is in the team and in organisation A.
        .replace(
            "{account}",
            &cast.person(Role::Commenter).account.account_id.to_string(),
        )
        .replace("{invitation}", &cast.invitation.to_string())
        .replace("{secret}", &cast.invitation_secret)
        .replace("{token}", &owner.token_id.to_string())
        .replace("{owner_email}", &owner.account.email)
        .replace("{reader_email}", &reader.account.email)
        .replace("{reader_id}", &reader.account.account_id.to_string())
        .replace("{password}", PASSWORD)
        .replace("{code}", "a-guessed-setup-code")
        .replace("{*path}", agora_server::web_client::ENTRY_SCRIPT)
}

fn browser(server: &TestServer, cast: &Cast, role: Role) -> Browser {
    let base = server.base_url();
    match role {
        Role::Anonymous => Browser::new(&base),
        role => Browser::signed_in(&base, &cast.person(role).session),
    }
}

async fn request(server: &TestServer, cast: &Cast, role: Role, row: &Row) -> Page {
    let path = fill(row.path, cast);
    let mut browser = browser(server, cast, role);
    match (row.method, row.body) {
        ("GET", _) => browser.get(&path).await,
        ("POST", Body::Form(fields)) => {
            let filled: Vec<(String, String)> = fields
                .iter()
                .map(|(k, v)| (k.to_string(), fill(v, cast)))
                .collect();
            let fields: Vec<(&str, &str)> = filled
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            browser.post(&path, &fields).await
        }
        ("POST", Body::Json(json)) => {
            browser
                .post_json(&path, &serde_json::from_str(json).unwrap())
                .await
        }
        (method, _) => panic!("no way to send {method} {path}"),
    }
}

fn outcome(page: &Page) -> Expect {
    match page.status {
        StatusCode::UNAUTHORIZED => L,
        StatusCode::NOT_FOUND => N,
        StatusCode::FORBIDDEN => F,
        status if status.is_redirection() => {
            let location = page.location.as_deref().unwrap_or("");
            if location.starts_with("/login?next=") {
                L
            } else if location.contains("error=") {
                R
            } else {
                A
            }
        }
        status if status.is_success() => A,
        status => panic!("unexpected status {status}: {}", page.body),
    }
}

/// The WebSocket upgrade: 401 without credentials, a working socket with them.
async fn sync_outcome(server: &TestServer, cast: &Cast, role: Role) -> Expect {
    match tokio_tungstenite::connect_async(cast.sync_url(server, role)).await {
        Ok(_) => A,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401 => L,
        Err(other) => panic!("unexpected upgrade failure: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_the_table_says() {
    let template = tempfile::tempdir().unwrap();
    let server = TestServer::start(template.path()).await;
    let cast = Cast::assemble(&server).await;
    server.stop().await;

    let shared_data = tempfile::tempdir().unwrap();
    copy_data_folder(template.path(), shared_data.path());
    let shared = TestServer::start(shared_data.path()).await;

    let mut wrong = Vec::new();
    for row in rows() {
        for (role, expected) in ROLES.into_iter().zip(row.expect) {
            let changes_state = row.method == "POST" && matches!(expected, A | R);
            let got = if row.path == "/sync" {
                sync_outcome(&shared, &cast, role).await
            } else if changes_state {
                // A request that does its work gets a fresh copy of the cast to do it on.
                let data = tempfile::tempdir().unwrap();
                copy_data_folder(template.path(), data.path());
                let fresh = TestServer::start(data.path()).await;
                let page = request(&fresh, &cast, role, &row).await;
                fresh.stop().await;
                outcome(&page)
            } else {
                outcome(&request(&shared, &cast, role, &row).await)
            };
            if got != expected {
                wrong.push(format!(
                    "{} {} as {role:?}: expected {expected:?}, got {got:?}",
                    row.method, row.path
                ));
            }
        }
    }
    shared.stop().await;
    assert!(
        wrong.is_empty(),
        "{} answers differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
