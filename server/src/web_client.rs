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
    let accepts = |coding: &str| {
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|part| {
                let mut fields = part.split(';');
                let name = fields.next().unwrap_or("").trim();
                let refused = fields.any(|f| matches!(f.trim(), "q=0" | "q=0.0" | "q=0.00"));
                name.eq_ignore_ascii_case(coding) && !refused
            })
    };
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

#[cfg(test)]
mod tests {
    use super::*;

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
