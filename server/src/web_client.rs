//! The browser client, built from `client/web` by the build script and embedded in the binary:
//! its files under `/app/`, and the names of its entry script and stylesheets for the pages
//! that load it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

use crate::http::error::HttpError;

/// One built file, with its compressed copies where compressing paid off.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub brotli: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Where the pages load the client from.
pub const PREFIX: &str = "/app/";

/// The URL of the client's entry script.
pub fn script_url() -> String {
    format!("{PREFIX}{ENTRY_SCRIPT}")
}

/// The URLs of the client's stylesheets.
pub fn style_urls() -> Vec<String> {
    ENTRY_STYLES
        .iter()
        .map(|path| format!("{PREFIX}{path}"))
        .collect()
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

/// `GET /app/{*path}`: a file of the client, compressed when the browser takes it.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, HttpError> {
    let asset = find(&path).ok_or(HttpError::NotFound)?;
    let accepts = |coding| accepts_encoding(&headers, coding);
    let (body, encoding) = match (asset.brotli, asset.gzip) {
        (Some(brotli), _) if accepts("br") => (brotli, Some("br")),
        (_, Some(gzip)) if accepts("gzip") => (gzip, Some("gzip")),
        _ => (asset.body, None),
    };
    // Built files carry a content hash in their name, so a browser may keep them for good.
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::VARY, "Accept-Encoding"),
        ],
        body,
    )
        .into_response();
    if let Some(encoding) = encoding {
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    Ok(response)
}

/// Whether `Accept-Encoding` takes `coding` (named, and not with a weight of zero).
fn accepts_encoding(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| {
            let mut fields = part.split(';');
            let name = fields.next().unwrap_or("").trim();
            let refused = fields.any(|field| {
                field
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|weight| weight.parse::<f32>().ok())
                    .is_some_and(|weight| weight <= 0.0)
            });
            name.eq_ignore_ascii_case(coding) && !refused
        })
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::StatusCode;

    use super::*;

    async fn fetch(path: &str, accept_encoding: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(value) = accept_encoding {
            headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        }
        match serve(Path(path.to_owned()), headers).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    }

    #[tokio::test]
    async fn the_smallest_encoding_the_browser_takes_is_sent() {
        let wasm = ASSETS
            .iter()
            .find(|asset| asset.path.ends_with(".wasm"))
            .expect("automerge's wasm");
        for (accepted, expected, body) in [
            (Some("gzip, deflate, br, zstd"), Some("br"), wasm.brotli),
            (Some("gzip"), Some("gzip"), wasm.gzip),
            (Some("br;q=0, gzip;q=0.5"), Some("gzip"), wasm.gzip),
            (Some("br;q=0.0"), None, Some(wasm.body)),
            (None, None, Some(wasm.body)),
        ] {
            let response = fetch(wasm.path, accepted).await;
            assert_eq!(response.status(), StatusCode::OK);
            let headers = response.headers().clone();
            assert_eq!(
                headers
                    .get(header::CONTENT_ENCODING)
                    .map(|v| v.to_str().unwrap()),
                expected,
                "{accepted:?}"
            );
            assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
            assert_eq!(headers[header::VARY], "Accept-Encoding");
            assert!(headers[header::CACHE_CONTROL]
                .to_str()
                .unwrap()
                .contains("immutable"));
            let sent = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            assert_eq!(&sent[..], body.unwrap(), "{accepted:?}");
        }
    }

    #[tokio::test]
    async fn anything_else_under_app_is_not_found() {
        for path in [
            "",
            "assets/",
            "../Cargo.toml",
            ".vite/manifest.json",
            "assets/nope.js",
        ] {
            assert_eq!(
                fetch(path, None).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }

    #[test]
    fn the_entry_and_the_automerge_wasm_are_embedded() {
        assert!(
            find(ENTRY_SCRIPT).is_some(),
            "{ENTRY_SCRIPT} is not embedded"
        );
        for style in ENTRY_STYLES {
            assert!(find(style).is_some(), "{style} is not embedded");
        }
        let wasm = ASSETS
            .iter()
            .find(|asset| asset.path.ends_with(".wasm"))
            .expect("automerge's wasm is embedded");
        assert_eq!(wasm.content_type, "application/wasm");
        assert!(wasm.brotli.is_some() && wasm.gzip.is_some());
    }
}
