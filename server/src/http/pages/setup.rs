//! The first start: while the installation has no account, the link printed in the server's
//! log opens a form that creates the first administrator and their organisation. The link
//! works once; afterwards, and with a wrong code, the page does not exist.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;

use super::{render, Feedback, Page};
use crate::auth::SESSION_COOKIE;
use crate::directory::{DirectoryError, NewAccount};
use crate::http::context::{CsrfForm, Visitor};
use crate::http::error::{HttpError, HttpResult};
use crate::http::security::{cookie, ANON_COOKIE};
use crate::AppState;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    page: Page,
    code: String,
}

/// `NotFound` unless `code` is the setup code (which exists only while there is no account).
fn check_code(state: &AppState, code: &str) -> HttpResult<()> {
    let expected = state.web.setup_code.lock().expect("setup lock").clone();
    match expected {
        Some(expected) if expected == code => Ok(()),
        _ => Err(HttpError::NotFound),
    }
}

pub async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    check_code(&state, &code)?;
    // Accounts made meanwhile on the command line end the setup too.
    if state.directory.account_count().await? > 0 {
        return Err(HttpError::NotFound);
    }
    render(&SetupPage {
        page: Page::of(&visitor, feedback),
        code,
    })
}

#[derive(serde::Deserialize)]
pub struct SetupForm {
    organisation: String,
    display_name: String,
    email: String,
    password: String,
}

pub async fn create_first_administrator(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> HttpResult<Response> {
    // Taken before anything is created, so two forms sent at once cannot both succeed.
    let taken = {
        let mut setup_code = state.web.setup_code.lock().expect("setup lock");
        match setup_code.as_deref() {
            Some(expected) if expected == code => setup_code.take(),
            _ => None,
        }
    };
    if taken.is_none() || state.directory.account_count().await? > 0 {
        return Err(HttpError::NotFound);
    }
    // Input the operator can correct gives the link back.
    let retry = |key: &'static str| {
        *state.web.setup_code.lock().expect("setup lock") = taken.clone();
        super::back_to(&format!("/setup/{code}"), Err(key))
    };
    if form.organisation.trim().is_empty() {
        return Ok(retry("invalid-name"));
    }
    let new = NewAccount {
        email: &form.email,
        display_name: &form.display_name,
        password: &form.password,
        is_instance_admin: true,
    };
    let account = match state.directory.create_account(new).await {
        Ok(account) => account,
        Err(DirectoryError::Invalid(key)) => return Ok(retry(key)),
        Err(error) => return Err(error.into()),
    };
    state
        .directory
        .create_organisation(&form.organisation, Some(account.account_id), Some(&account))
        .await?;
    let session = state.directory.create_session(account.account_id).await?;
    let jar = jar
        .add(cookie(SESSION_COOKIE, session, &state.web))
        .remove(Cookie::build(ANON_COOKIE).path("/"));
    Ok((jar, Redirect::to("/?notice=notice-set-up")).into_response())
}
