//! The HTTP surface: pages, the JSON API, health, and the WebSocket upgrade to `/sync`.
//!
//! Layout:
//! - `route_book`: the router that remembers its routes (for the permission matrix test).
//! - `context`: the visitor (session, language, CSRF token) and CSRF-checked forms.
//! - `security`: security headers, same-origin checks, cookies, error pages.
//! - `throttle`: sign-in rate limits.
//! - `error`: the one error type; internal detail never reaches a response.
//! - `health`: `/healthz` and `/readyz`.
//! - `pages`: server-rendered pages (askama); `api`: JSON; `sync_upgrade`: `/sync`.

pub mod api;
pub mod context;
pub mod error;
pub mod health;
pub mod pages;
pub mod route_book;
pub mod security;
pub mod sync_upgrade;
pub mod throttle;

use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use self::pages::{
    account, admin, documents, invitations, organisations, search, setup, sharing, sign_in,
};
pub use self::route_book::Route;
use self::route_book::RouteBook;
use crate::AppState;

/// Every route, in one table.
fn route_book() -> RouteBook {
    RouteBook::default()
        .get("/healthz", get(health::healthz))
        .get("/readyz", get(health::readyz))
        .get("/static/agora.css", get(pages::stylesheet))
        .get("/app/{*path}", get(crate::web_client::serve))
        .get("/sync", get(sync_upgrade::sync))
        // Signing in and out, language.
        .get("/login", get(sign_in::login_page))
        .post("/login", post(sign_in::login))
        .post("/logout", post(sign_in::logout))
        .post("/language", post(sign_in::set_language))
        .get("/setup/{code}", get(setup::show))
        .post("/setup/{code}", post(setup::create_first_administrator))
        // Documents.
        .get("/", get(documents::list))
        .post("/documents", post(documents::create))
        .get("/d/{id}", get(documents::view))
        .get("/d/{id}/meeting", get(documents::meeting))
        .get("/d/{id}/share", get(sharing::show))
        .post("/d/{id}/share", post(sharing::grant))
        .post("/d/{id}/share/{grant}/revoke", post(sharing::revoke))
        .post("/d/{id}/invitations", post(sharing::invite_reviewer))
        .get("/search", get(search::show))
        // Organisations, members, teams, audit.
        .get("/organisations", get(organisations::list))
        .get("/organisations/{org}", get(organisations::show))
        .post(
            "/organisations/{org}/invitations",
            post(organisations::invite),
        )
        .post(
            "/organisations/{org}/invitations/{invitation}/revoke",
            post(organisations::revoke_invitation),
        )
        .post(
            "/organisations/{org}/members/{account}/role",
            post(organisations::set_role),
        )
        .post(
            "/organisations/{org}/members/{account}/remove",
            post(organisations::remove_member),
        )
        .post(
            "/organisations/{org}/teams",
            post(organisations::create_team),
        )
        .get(
            "/organisations/{org}/teams/{team}",
            get(organisations::show_team),
        )
        .post(
            "/organisations/{org}/teams/{team}/members",
            post(organisations::add_team_member),
        )
        .post(
            "/organisations/{org}/teams/{team}/members/{account}/remove",
            post(organisations::remove_team_member),
        )
        .get("/organisations/{org}/audit", get(organisations::audit))
        // Invitations.
        .get("/invitations/{secret}", get(invitations::show))
        .post("/invitations/{secret}", post(invitations::accept))
        // The account.
        .get("/account", get(account::show))
        .post("/account/password", post(account::change_password))
        .get("/account/tokens", get(account::tokens))
        .post("/account/tokens", post(account::create_token))
        .post(
            "/account/tokens/{token}/revoke",
            post(account::revoke_token),
        )
        // The instance administrator.
        .get("/admin", get(admin::show))
        .post("/admin/organisations", post(admin::create_organisation))
        // JSON API.
        .get("/api/me", get(api::me))
        .get("/api/documents", get(api::documents))
        .post("/api/documents", post(api::create_document))
        .get("/api/documents/{id}", get(api::document))
        .get("/api/search", get(api::search))
}

/// Every route the router serves, for the permission matrix test.
pub fn routes() -> Vec<Route> {
    route_book().finish().1
}

pub fn router(state: AppState) -> Router {
    let (router, _) = route_book().finish();
    router
        .fallback(not_found)
        .layer(from_fn_with_state(
            state.clone(),
            security::anonymous_cookie,
        ))
        .layer(from_fn_with_state(state.clone(), security::render_errors))
        .layer(from_fn_with_state(
            state.clone(),
            security::security_headers,
        ))
        .with_state(state)
}

async fn not_found() -> Response {
    error::HttpError::NotFound.into_response()
}
