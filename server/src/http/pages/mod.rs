//! Server-rendered pages (askama). Every page extends `base.html`; every form carries the CSRF
//! token; every text comes from the Fluent files.

pub mod account;
pub mod admin;
pub mod documents;
pub mod editor;
pub mod invitations;
pub mod organisations;
pub mod search;
pub mod setup;
pub mod sharing;
pub mod sign_in;

use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::context::{SignedIn, Visitor};
use super::error::{HttpError, HttpResult};
use crate::directory::{Account, DocRole, OrgRole};
use crate::i18n::{Locale, Tr};

/// What the layout needs on every page.
pub struct Page {
    pub tr: Tr,
    pub account: Option<Account>,
    pub csrf: String,
    /// A one-off notice or error after a form, by Fluent key (`?notice=` / `?error=`).
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The `?notice=` and `?error=` of a page after a form was sent.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Feedback {
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Page {
    pub fn new(tr: Tr, account: Option<Account>, csrf: String, feedback: Feedback) -> Self {
        // Only known message keys are shown; anything else in the URL is ignored.
        let known = |key: Option<String>| key.filter(|key| Tr::has(key));
        Self {
            tr,
            account,
            csrf,
            notice: known(feedback.notice),
            error: known(feedback.error),
        }
    }

    pub fn of(visitor: &Visitor, feedback: Feedback) -> Self {
        Self::new(
            visitor.tr,
            visitor.principal.as_ref().map(|p| p.account.clone()),
            visitor.csrf.clone(),
            feedback,
        )
    }

    pub fn signed_in(visitor: &SignedIn, feedback: Feedback) -> Self {
        Self::new(
            visitor.tr,
            Some(visitor.principal.account.clone()),
            visitor.csrf.clone(),
            feedback,
        )
    }

    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.tr.t1(key, name, value)
    }

    pub fn role_name(&self, role: &DocRole) -> String {
        self.tr.t(&format!("role-{role}"))
    }

    pub fn org_role_name(&self, role: &OrgRole) -> String {
        self.tr.t(&format!("org-role-{role}"))
    }

    pub fn language_name(&self, locale: &Locale) -> String {
        self.tr.t(&format!("language-{}", locale.code()))
    }

    /// An audit action (`grant.set`) in words.
    pub fn audit_action(&self, action: &str) -> String {
        self.tr.t(&format!("audit-{}", action.replace('.', "-")))
    }

    pub fn lang(&self) -> &'static str {
        self.tr.locale.code()
    }

    pub fn locales(&self) -> [Locale; 3] {
        Locale::ALL
    }

    pub fn is_instance_admin(&self) -> bool {
        self.account.as_ref().is_some_and(|a| a.is_instance_admin.0)
    }
}

pub fn render(template: &impl Template) -> HttpResult<Response> {
    Ok(Html(template.render()?).into_response())
}

/// A redirect after a form, with a notice or an error for the next page.
pub fn back_to(path: &str, feedback: Result<&str, &str>) -> Response {
    let (name, key) = match feedback {
        Ok(key) => ("notice", key),
        Err(key) => ("error", key),
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    axum::response::Redirect::to(&format!("{path}{separator}{name}={key}")).into_response()
}

/// Runs a form action and redirects back to `path` with its notice, or with the error key when
/// the visitor can fix the input. Other errors propagate.
pub fn after_form(path: &str, result: HttpResult<&'static str>) -> HttpResult<Response> {
    match result {
        Ok(notice) => Ok(back_to(path, Ok(notice))),
        Err(HttpError::Invalid(key)) => Ok(back_to(path, Err(key))),
        Err(HttpError::Conflict) => Ok(back_to(path, Err("error-conflict"))),
        Err(other) => Err(other),
    }
}

/// Redirects back to `path` after a directory change: with `notice` when it worked, with the
/// error's message when the visitor can fix the input.
pub fn form_done<T>(
    path: &str,
    result: crate::directory::DirectoryResult<T>,
    notice: &'static str,
) -> HttpResult<Response> {
    after_form(path, result.map(|_| notice).map_err(Into::into))
}

/// A page for an error: the status and a plain message, never internal detail.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    status: u16,
    message: String,
}

pub fn error_page(tr: Tr, status: StatusCode, key: &str) -> Response {
    let page = ErrorPage {
        page: Page::new(tr, None, String::new(), Feedback::default()),
        status: status.as_u16(),
        message: tr.t(key),
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => "Error".into_response(),
    }
}

/// The one stylesheet, compiled into the binary.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../assets/agora.css"),
    )
        .into_response()
}

/// Formats unix milliseconds as a date and time for lists.
pub fn when(ms: &i64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis((*ms).max(0) as u64);
    let text = humantime::format_rfc3339_seconds(time).to_string();
    text.replacen('T', " ", 1).trim_end_matches('Z').to_owned() + " UTC"
}
