//! Sign-in, sign-out and the choice of language.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::Cookie;
use axum_extra::extract::CookieJar;

use super::{render, Feedback, Page};
use crate::auth::{Credential, SESSION_COOKIE};
use crate::directory::AuditRecord;
use crate::http::context::{session_cookie_value, CsrfForm, Visitor};
use crate::http::error::{HttpError, HttpResult};
use crate::http::security::{client_address, cookie, safe_next, ANON_COOKIE, LANGUAGE_COOKIE};
use crate::i18n::Locale;
use crate::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    next: String,
    email: String,
}

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    #[serde(flatten)]
    feedback: Feedback,
}

pub async fn login_page(visitor: Visitor, Query(query): Query<LoginQuery>) -> HttpResult<Response> {
    let next = safe_next(query.next.as_deref());
    if visitor.principal.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    render(&LoginPage {
        page: Page::of(&visitor, query.feedback),
        next,
        email: String::new(),
    })
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    visitor: Visitor,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> HttpResult<Response> {
    let address = client_address(&parts, &state.web);
    if let Err(wait) = state.web.login_throttle.attempt(&form.email, &address) {
        return Err(HttpError::TooManyRequests {
            retry_after_secs: wait.as_secs().max(1),
        });
    }
    let next = safe_next(form.next.as_deref());
    let Some(account) = state
        .directory
        .verify_password(&form.email, &form.password)
        .await?
    else {
        let page = LoginPage {
            page: Page::of(
                &visitor,
                Feedback {
                    error: Some("error-wrong-credentials".into()),
                    notice: None,
                },
            ),
            next,
            email: form.email,
        };
        return render(&page);
    };
    // A new session every time: whatever session id the browser held before is ended, so an
    // id planted by someone else never becomes a signed-in one.
    if let Some(Credential::Session(old)) = visitor.principal.map(|p| p.credential) {
        state.directory.end_session(&old).await?;
    }
    let session = state.directory.create_session(account.account_id).await?;
    state
        .directory
        .record(AuditRecord::new("account.signed-in", Some(&account)))
        .await?;
    let mut session_cookie = cookie(SESSION_COOKIE, session, &state.web);
    session_cookie.set_max_age(Some(time_duration(crate::directory::SESSION_LIFETIME)));
    let mut jar = jar
        .add(session_cookie)
        .remove(Cookie::build(ANON_COOKIE).path("/"));
    if let Some(locale) = account.locale.as_deref().and_then(Locale::from_code) {
        jar = jar.add(cookie(
            LANGUAGE_COOKIE,
            locale.code().to_owned(),
            &state.web,
        ));
    }
    Ok((jar, Redirect::to(&next)).into_response())
}

fn time_duration(duration: std::time::Duration) -> time::Duration {
    time::Duration::seconds(duration.as_secs() as i64)
}

#[derive(serde::Deserialize)]
pub struct EmptyForm {}

pub async fn logout(
    State(state): State<AppState>,
    parts: Parts,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> HttpResult<Response> {
    if let Some(value) = session_cookie_value(&parts.headers) {
        if let Some(session) = state.directory.session(&value).await? {
            state.directory.end_session(&session.session_hash).await?;
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(serde::Deserialize)]
pub struct LanguageForm {
    language: String,
}

pub async fn set_language(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> HttpResult<Response> {
    let locale =
        Locale::from_code(&form.language).ok_or(HttpError::Invalid("error-form-invalid"))?;
    let jar = jar.add(cookie(
        LANGUAGE_COOKIE,
        locale.code().to_owned(),
        &state.web,
    ));
    let back = match &visitor.principal {
        Some(principal) => {
            state
                .directory
                .set_locale(principal.account.account_id, Some(locale.code()))
                .await?;
            "/account"
        }
        None => "/login",
    };
    Ok((jar, Redirect::to(back)).into_response())
}
