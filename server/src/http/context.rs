//! What every page handler needs to know about the visitor: who they are, which language they
//! read, and the CSRF token their forms must carry.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum_extra::extract::CookieJar;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use super::error::HttpError;
use super::security::{request_origin_allowed, ANON_COOKIE, LANGUAGE_COOKIE};
use crate::auth::{authenticate, Accept, Credential, Principal, SESSION_COOKIE};
use crate::directory::Account;
use crate::i18n::{Locale, Tr};
use crate::AppState;

/// The visitor of a page: maybe signed in, always with a language and a CSRF token.
pub struct Visitor {
    pub principal: Option<Principal>,
    pub tr: Tr,
    pub csrf: String,
}

/// A visitor who must be signed in; pages redirect others to sign-in.
pub struct SignedIn {
    pub principal: Principal,
    pub tr: Tr,
    pub csrf: String,
}

impl SignedIn {
    pub fn account(&self) -> &Account {
        &self.principal.account
    }
}

/// The language for a request: the visitor's chosen language (a cookie set at sign-in and in
/// settings), else the browser's preference, else the server's default.
pub fn locale_of(headers: &axum::http::HeaderMap, default: Locale) -> Locale {
    let jar = CookieJar::from_headers(headers);
    jar.get(LANGUAGE_COOKIE)
        .and_then(|c| Locale::from_code(c.value()))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or(default)
}

/// The page visitor's principal, found once per request: extractors that run after the first
/// (a `SignedIn` and then a `CsrfForm`) reuse it rather than ask the database again.
#[derive(Clone)]
struct PagePrincipal(Option<Principal>);

async fn page_principal(
    state: &AppState,
    parts: &mut Parts,
) -> Result<Option<Principal>, HttpError> {
    if let Some(PagePrincipal(principal)) = parts.extensions.get::<PagePrincipal>() {
        return Ok(principal.clone());
    }
    let principal = authenticate(&state.directory, parts, Accept::Cookie).await?;
    parts.extensions.insert(PagePrincipal(principal.clone()));
    Ok(principal)
}

/// The CSRF token of whatever identifies this browser: its session, or before sign-in, its
/// anonymous cookie. An attacker's page can neither read it nor compute it.
fn csrf_token(key: &[u8], binding: &[u8]) -> String {
    use base64::Engine;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"agora-csrf:");
    mac.update(binding);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn csrf_binding(parts: &Parts, principal: Option<&Principal>) -> Option<Vec<u8>> {
    if let Some(Principal {
        credential: Credential::Session(hash),
        ..
    }) = principal
    {
        return Some(hash.clone());
    }
    let jar = CookieJar::from_headers(&parts.headers);
    jar.get(ANON_COOKIE)
        .map(|c| c.value().as_bytes().to_vec())
        .or_else(|| {
            // Issued by the security layer on this very request.
            parts
                .extensions
                .get::<super::security::NewAnonCookie>()
                .map(|c| c.0.as_bytes().to_vec())
        })
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = page_principal(state, parts).await?;
        let tr = Tr::new(locale_of(&parts.headers, state.web.default_language));
        let csrf = csrf_binding(parts, principal.as_ref())
            .map(|binding| csrf_token(&state.web.csrf_key, &binding))
            .unwrap_or_default();
        Ok(Self {
            principal,
            tr,
            csrf,
        })
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.principal {
            Some(principal) => Ok(Self {
                principal,
                tr: visitor.tr,
                csrf: visitor.csrf,
            }),
            None => Err(HttpError::SignInRequired),
        }
    }
}

/// A form posted from one of our own pages: same origin, with the right CSRF token.
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Forms are small; anything larger is refused before it is parsed.
const MAX_FORM_BYTES: usize = 64 * 1024;

impl<T, S> FromRequest<S> for CsrfForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (mut parts, body) = request.into_parts();
        if parts.method != Method::POST || !request_origin_allowed(&parts, &state.web) {
            return Err(HttpError::CsrfRefused);
        }
        let principal = page_principal(&state, &mut parts).await?;
        let expected = csrf_binding(&parts, principal.as_ref())
            .map(|binding| csrf_token(&state.web.csrf_key, &binding))
            .ok_or(HttpError::CsrfRefused)?;
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| HttpError::Invalid("error-form-too-large"))?;
        let field: CsrfField =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| HttpError::CsrfRefused)?;
        if !constant_time_eq(field.csrf.as_bytes(), expected.as_bytes()) {
            return Err(HttpError::CsrfRefused);
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| HttpError::Invalid("error-form-invalid"))?;
        Ok(Self(form))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie's value, if the browser sent one (for sign-out).
pub fn session_cookie_value(headers: &axum::http::HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}
