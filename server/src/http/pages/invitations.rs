//! Accepting an invitation link: signed in, with one click; otherwise by creating an account
//! on the spot. A document invitation makes an external reviewer, who joins no organisation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;

use super::{render, Feedback, Page};
use crate::auth::SESSION_COOKIE;
use crate::directory::{DirectoryError, Invitation, InvitationKind, NewAccount};
use crate::http::context::{CsrfForm, Visitor};
use crate::http::error::{HttpError, HttpResult};
use crate::http::security::{cookie, ANON_COOKIE};
use crate::AppState;

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    page: Page,
    secret: String,
    invitation: Option<Invitation>,
    description: String,
}

fn describe(page: &Page, invitation: &Invitation) -> String {
    match invitation.kind {
        InvitationKind::Member { role, .. } => page.tr.t_with(
            "invitation-member",
            &[
                ("organisation", &invitation.organisation_name),
                ("role", &page.t(&format!("org-role-{role}"))),
            ],
        ),
        InvitationKind::Document { role, .. } => page.tr.t_with(
            "invitation-document",
            &[
                ("organisation", &invitation.organisation_name),
                ("title", invitation.document_title.as_deref().unwrap_or("")),
                ("role", &page.t(&format!("role-{role}"))),
            ],
        ),
    }
}

/// Secrets are URL-safe base64 with a prefix; anything else cannot name an invitation.
fn plausible_secret(secret: &str) -> bool {
    secret.len() <= 100
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(secret): Path<String>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let invitation = if plausible_secret(&secret) {
        state
            .directory
            .invitation(&secret)
            .await?
            .filter(Invitation::is_open)
    } else {
        None
    };
    let page = Page::of(&visitor, feedback);
    let description = invitation
        .as_ref()
        .map(|i| describe(&page, i))
        .unwrap_or_default();
    let status = if invitation.is_some() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::GONE
    };
    let html = render(&InvitationPage {
        page,
        secret: if invitation.is_some() {
            secret
        } else {
            String::new()
        },
        invitation,
        description,
    })?;
    Ok((status, html).into_response())
}

#[derive(serde::Deserialize)]
pub struct AcceptForm {
    display_name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

pub async fn accept(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Path(secret): Path<String>,
    CsrfForm(form): CsrfForm<AcceptForm>,
) -> HttpResult<Response> {
    let back = format!("/invitations/{secret}");
    if !plausible_secret(&secret) {
        return Err(HttpError::NotFound);
    }
    let open = state
        .directory
        .invitation(&secret)
        .await?
        .is_some_and(|i| i.is_open());
    if !open {
        return Ok(super::back_to(&back, Err("invitation-not-open")));
    }
    let (account, jar) = match visitor.principal {
        Some(principal) => (principal.account, jar),
        None => {
            let new = NewAccount {
                email: form.email.as_deref().unwrap_or(""),
                display_name: form.display_name.as_deref().unwrap_or(""),
                password: form.password.as_deref().unwrap_or(""),
                is_instance_admin: false,
            };
            let account = match state.directory.create_account(new).await {
                Ok(account) => account,
                Err(DirectoryError::Conflict) => {
                    return Ok(super::back_to(&back, Err("error-email-taken")))
                }
                Err(DirectoryError::Invalid(key)) => return Ok(super::back_to(&back, Err(key))),
                Err(error) => return Err(error.into()),
            };
            let session = state.directory.create_session(account.account_id).await?;
            let jar = jar
                .add(cookie(SESSION_COOKIE, session, &state.web))
                .remove(Cookie::build(ANON_COOKIE).path("/"));
            (account, jar)
        }
    };
    let invitation = match state.directory.accept_invitation(&secret, &account).await {
        Ok(invitation) => invitation,
        Err(DirectoryError::Invalid(key)) => return Ok(super::back_to(&back, Err(key))),
        Err(error) => return Err(error.into()),
    };
    let target = match invitation.kind {
        InvitationKind::Document { document, .. } => format!("/d/{document}"),
        InvitationKind::Member { .. } => "/?notice=notice-joined".to_owned(),
    };
    Ok((jar, Redirect::to(&target)).into_response())
}
