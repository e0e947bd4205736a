//! Protections every response gets: security headers, the same-origin rule for forms and the
//! WebSocket upgrade, the anonymous cookie that CSRF tokens bind to before sign-in, and error
//! pages in the visitor's language that never carry internal text.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;

use super::context::locale_of;
use super::error::ErrorMessage;
use super::pages::error_page;
use super::throttle::LoginThrottle;
use crate::i18n::{Locale, Tr};
use crate::AppState;

/// Before sign-in, CSRF tokens bind to this random cookie.
pub const ANON_COOKIE: &str = "agora_anon";
/// The visitor's chosen language.
pub const LANGUAGE_COOKIE: &str = "agora_lang";

/// The web side's settings and secrets, shared by every request.
pub struct WebContext {
    /// Keys CSRF tokens; the same for every instance sharing the database.
    pub csrf_key: Vec<u8>,
    pub default_language: Locale,
    /// `scheme://host[:port]` users reach us at, if configured.
    pub public_origin: Option<String>,
    /// Cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Client addresses come from `X-Forwarded-For`.
    pub trust_proxy: bool,
    pub login_throttle: LoginThrottle,
    /// While the installation has no account: the secret part of the link that creates the
    /// first administrator (printed in the log at start-up). Taken once used.
    pub setup_code: std::sync::Mutex<Option<String>>,
}

/// A new anonymous cookie value issued on this request (the handler's CSRF token binds to it).
#[derive(Clone)]
pub struct NewAnonCookie(pub String);

/// Whether a browser request comes from our own pages: its `Origin` (sent by browsers on every
/// POST and WebSocket upgrade) names us, and `Sec-Fetch-Site` does not say another site.
/// Requests without these headers come from scripts, not from another site's page.
pub fn request_origin_allowed(parts: &Parts, web: &WebContext) -> bool {
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        if site.as_bytes() == b"cross-site" {
            return false;
        }
    }
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    if let Some(public) = &web.public_origin {
        if origin.eq_ignore_ascii_case(public) {
            return true;
        }
    }
    // Same origin as the address the browser used for this request.
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(host), Some(origin_host)) if host.eq_ignore_ascii_case(origin_host))
}

/// Content-Security-Policy: our own scripts, styles and sockets only; no framing. Compiling
/// WebAssembly (automerge in the browser client) is allowed; `eval` is not.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                   img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
                   base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if state.web.secure_cookies {
        // Served over TLS (the public URL is https): browsers keep to https from now on.
        headers.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        // Invitation links carry their secret in the path: never pass it to another site.
        // (Not `no-referrer`: with it, browsers send `Origin: null` on form posts, and our own
        // forms would fail the same-origin check.)
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Gives a browser without an anonymous cookie one, so the sign-in form's CSRF token has
/// something to bind to.
pub async fn anonymous_cookie(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    // Also when a session cookie is present: it may have expired, and its holder must still be
    // able to sign in again.
    let needs_cookie = request.method() == Method::GET
        && jar.get(ANON_COOKIE).is_none()
        && !request.uri().path().starts_with("/api/")
        && !request.uri().path().starts_with("/static/")
        && !matches!(request.uri().path(), "/sync" | "/healthz" | "/readyz");
    if !needs_cookie {
        return next.run(request).await;
    }
    let value = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>())
    };
    request
        .extensions_mut()
        .insert(NewAnonCookie(value.clone()));
    let response = next.run(request).await;
    let jar = CookieJar::new().add(cookie(ANON_COOKIE, value, &state.web));
    (jar, response).into_response()
}

/// Turns error responses into pages in the visitor's language (JSON under `/api/`). Whatever
/// went wrong inside, the body says only what the visitor may know.
pub async fn render_errors(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Scripts (the API, the WebSocket upgrade) get JSON and plain 401s, never redirects.
    let api = request.uri().path().starts_with("/api/") || request.uri().path() == "/sync";
    let locale = locale_of(request.headers(), state.web.default_language);
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let key = response
        .extensions()
        .get::<ErrorMessage>()
        .map(|m| m.key)
        .unwrap_or(match status.as_u16() {
            404 => "error-not-found",
            405 => "error-method",
            413 => "error-form-too-large",
            400..=499 => "error-bad-request",
            _ => "error-internal",
        });
    let tr = Tr::new(locale);
    let mut headers = response.headers().clone();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    if api {
        let body = serde_json::json!({ "error": key, "message": tr.t(key) });
        return (status, headers, axum::Json(body)).into_response();
    }
    if status == axum::http::StatusCode::UNAUTHORIZED {
        // Pages send the visitor to sign in, and back here afterwards.
        let next = percent_encode(&path_and_query);
        return axum::response::Redirect::to(&format!("/login?next={next}")).into_response();
    }
    (status, headers, error_page(tr, status, key)).into_response()
}

/// The client's address: the socket's peer, or the proxy's `X-Forwarded-For` when trusted.
pub fn client_address(parts: &Parts, web: &WebContext) -> String {
    if web.trust_proxy {
        if let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next_back())
        {
            return forwarded.trim().to_owned();
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default()
}

/// Escapes a path for a query parameter.
pub fn percent_encode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// A `next` parameter is followed only to our own paths, never to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => {
            next.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// A cookie as all of ours are: HttpOnly, SameSite=Lax, whole site, Secure behind TLS.
pub fn cookie(name: &'static str, value: String, web: &WebContext) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(web.secure_cookies)
        .build()
}

/// The base address of links we hand out (invitations): the configured public URL, else the
/// address this request came to.
pub fn public_base(parts: &Parts, web: &WebContext) -> String {
    if let Some(origin) = &web.public_origin {
        return origin.clone();
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = match parts.headers.get("x-forwarded-proto") {
        Some(proto) if web.trust_proxy && proto.as_bytes() == b"https" => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
