//! Who is asking: a login session (browser cookie) or an API token (scripts and the CLI
//! client, in the `Authorization` header or, for WebSocket clients that cannot set headers, in
//! the `token` query parameter).

use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum_extra::extract::CookieJar;

use crate::directory::{Account, Directory, DirectoryResult, TokenId};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "agora_session";

/// A signed-in account and how it signed in.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Account,
    pub credential: Credential,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session, by its stored hash.
    Session(Vec<u8>),
    Token(TokenId),
}

impl Credential {
    /// How the account signed in, for the audit log.
    pub fn describe(&self) -> String {
        match self {
            Self::Session(_) => "session".to_owned(),
            Self::Token(id) => format!("token:{id}"),
        }
    }
}

/// The bearer token in an `Authorization` header, if any.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The `token` query parameter, if any.
fn query_token(parts: &Parts) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(parts.uri.query()?).ok()?;
    pairs
        .into_iter()
        .find_map(|(key, value)| (key == "token").then_some(value))
}

/// Where a request may carry its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Session cookie only: pages, whose forms CSRF protection covers.
    Cookie,
    /// Cookie or `Authorization: Bearer`: the JSON API.
    CookieOrHeader,
    /// Also `?token=`: the WebSocket upgrade, since browser-style clients cannot set headers.
    Anything,
}

/// Finds the principal of a request. A credential that is present but not valid is treated as
/// absent: the caller answers as for an anonymous request.
pub async fn authenticate(
    directory: &Directory,
    parts: &Parts,
    accept: Accept,
) -> DirectoryResult<Option<Principal>> {
    if accept != Accept::Cookie {
        let token = bearer_token(&parts.headers).map(str::to_owned).or_else(|| {
            (accept == Accept::Anything)
                .then(|| query_token(parts))
                .flatten()
        });
        if let Some(token) = token {
            return Ok(directory
                .token_account(&token)
                .await?
                .map(|(id, account)| Principal {
                    account,
                    credential: Credential::Token(id),
                }));
        }
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    Ok(directory
        .session(cookie.value())
        .await?
        .map(|session| Principal {
            account: session.account,
            credential: Credential::Session(session.session_hash),
        }))
}

/// Whether the credential still lets its holder in (sign-out and revocation end it).
pub async fn credential_is_live(
    directory: &Directory,
    credential: &Credential,
) -> DirectoryResult<bool> {
    match credential {
        Credential::Session(hash) => Ok(directory.session_by_hash(hash).await?.is_some()),
        Credential::Token(id) => directory.token_is_live(*id).await,
    }
}
