//! The visitor's own account: password and API tokens.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{after_form, render, Feedback, Page};
use crate::auth::Credential;
use crate::directory::{ApiToken, TokenId};
use crate::http::context::{CsrfForm, SignedIn};
use crate::http::error::{HttpError, HttpResult};
use crate::http::pages::sign_in::EmptyForm;
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    page: Page,
}

pub async fn show(visitor: SignedIn, Query(feedback): Query<Feedback>) -> HttpResult<Response> {
    render(&AccountPage {
        page: Page::signed_in(&visitor, feedback),
    })
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

/// Changes the password; every other session and nothing else ends (tokens are for scripts
/// and are revoked on their own page).
pub async fn change_password(
    State(state): State<AppState>,
    visitor: SignedIn,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> HttpResult<Response> {
    let account = visitor.account();
    let result = async {
        let verified = state
            .directory
            .verify_password(&account.email, &form.current)
            .await?;
        if verified.is_none() {
            return Err(HttpError::Invalid("error-wrong-password"));
        }
        let keep = match &visitor.principal.credential {
            Credential::Session(hash) => Some(hash.as_slice()),
            Credential::Token(_) => None,
        };
        state
            .directory
            .change_password(account.account_id, &form.new, keep)
            .await?;
        Ok("notice-password-changed")
    }
    .await;
    after_form("/account", result)
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    page: Page,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
}

pub async fn tokens(
    State(state): State<AppState>,
    visitor: SignedIn,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    render(&TokensPage {
        tokens: state.directory.tokens(visitor.account().account_id).await?,
        page: Page::signed_in(&visitor, feedback),
        new_token: None,
    })
}

#[derive(serde::Deserialize)]
pub struct TokenForm {
    name: String,
}

/// Creates a token and shows it this once.
pub async fn create_token(
    State(state): State<AppState>,
    visitor: SignedIn,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> HttpResult<Response> {
    let account = visitor.account().account_id;
    match state.directory.create_token(account, &form.name).await {
        Ok((_, token)) => render(&TokensPage {
            tokens: state.directory.tokens(account).await?,
            page: Page::signed_in(&visitor, Feedback::default()),
            new_token: Some(token),
        }),
        Err(error) => after_form("/account/tokens", Err(error.into())),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(token): Path<TokenId>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> HttpResult<Response> {
    state
        .directory
        .revoke_token(visitor.account().account_id, token)
        .await?;
    after_form("/account/tokens", Ok("notice-revoked"))
}
