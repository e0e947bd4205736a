//! One error type for every handler. Its response carries a status and a message key; the
//! `render_errors` layer turns that into a page in the visitor's language (or JSON for the API).
//! Internal errors are logged here and never shown: the visitor sees a plain message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::directory::DirectoryError;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Missing, or not visible to this visitor: the two are never told apart.
    #[error("not found")]
    NotFound,
    /// Visible, but the visitor's role does not allow this.
    #[error("forbidden")]
    Forbidden,
    /// Pages redirect to sign-in; the API answers 401.
    #[error("sign-in required")]
    SignInRequired,
    /// The form's CSRF token is missing or wrong, or it came from another site.
    #[error("the form has expired")]
    CsrfRefused,
    /// Input the visitor can correct; the key names the message.
    #[error("invalid input: {0}")]
    Invalid(&'static str),
    #[error("already exists")]
    Conflict,
    #[error("too many attempts")]
    TooManyRequests { retry_after_secs: u64 },
    /// The account has as many `/sync` connections open as it may.
    #[error("too many open connections")]
    TooManyConnections,
    /// Anything else; the text goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the error layer needs to render an error response; attached to the response.
#[derive(Debug, Clone)]
pub struct ErrorMessage {
    /// The Fluent key of the message shown.
    pub key: &'static str,
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::SignInRequired => StatusCode::UNAUTHORIZED,
            Self::CsrfRefused => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } | Self::TooManyConnections => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message_key(&self) -> &'static str {
        match self {
            Self::NotFound => "error-not-found",
            Self::Forbidden => "error-forbidden",
            Self::SignInRequired => "error-sign-in-required",
            Self::CsrfRefused => "error-csrf",
            Self::Invalid(key) => key,
            Self::Conflict => "error-conflict",
            Self::TooManyRequests { .. } => "error-too-many-attempts",
            Self::TooManyConnections => "error-too-many-connections",
            Self::Internal(_) => "error-internal",
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let mut response = (self.status(), self.message_key()).into_response();
        if let Self::TooManyRequests { retry_after_secs } = self {
            if let Ok(value) = retry_after_secs.to_string().parse() {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response.extensions_mut().insert(ErrorMessage {
            key: self.message_key(),
        });
        response
    }
}

impl From<DirectoryError> for HttpError {
    fn from(error: DirectoryError) -> Self {
        match error {
            DirectoryError::Invalid(key) => Self::Invalid(key),
            DirectoryError::NotFound => Self::NotFound,
            DirectoryError::Conflict => Self::Conflict,
            DirectoryError::Database(error) => Self::Internal(error.to_string()),
        }
    }
}

impl From<askama::Error> for HttpError {
    fn from(error: askama::Error) -> Self {
        Self::Internal(format!("template: {error}"))
    }
}

impl From<crate::store::StoreError> for HttpError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Internal(error.to_string())
    }
}

pub type HttpResult<T> = Result<T, HttpError>;
