//! Searching an Agora server over its JSON API (`/api/search`), as the token's account: what
//! that account may read, nothing else.

use crate::error::ClientError;

/// One place that matched: a section of a document.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Hit {
    pub document: String,
    pub section: u64,
    pub title: String,
    pub heading: String,
    /// HTML: escaped text with the matched words in `<b>`.
    pub snippet: String,
}

impl Hit {
    /// The hit's place on the server: the document, opened at the section.
    pub fn link(&self, web_base: &str) -> String {
        match self.section {
            0 => format!("{web_base}/d/{}", self.document),
            section => format!("{web_base}/d/{}#section-{section}", self.document),
        }
    }
}

/// How many matching sections carry one facet value (`team` `Nachtdienst`: 3).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct FacetCount {
    /// `kind`, `area`, `team`, `author` or `year`.
    pub facet: String,
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SearchResults {
    pub hits: Vec<Hit>,
    pub total: usize,
    pub facets: Vec<FacetCount>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery<'a> {
    pub text: &'a str,
    /// Facet values a hit must carry: `("team", "Nachtdienst")`, `("year", "2026")`.
    pub filters: Vec<(&'a str, &'a str)>,
    pub newest_first: bool,
}

/// The server's web address for its sync endpoint: `ws://host/sync` → `http://host`.
pub fn web_base(sync_url: &str) -> String {
    let base = sync_url
        .replacen("wss://", "https://", 1)
        .replacen("ws://", "http://", 1);
    base.strip_suffix("/sync")
        .unwrap_or(&base)
        .trim_end_matches('/')
        .to_owned()
}

pub async fn search(
    sync_url: &str,
    token: &str,
    query: &SearchQuery<'_>,
) -> Result<SearchResults, ClientError> {
    let mut parameters = vec![("q", query.text)];
    parameters.extend(query.filters.iter().copied());
    if query.newest_first {
        parameters.push(("sort", "date"));
    }
    let response = reqwest::Client::new()
        .get(format!("{}/api/search", web_base(sync_url)))
        .query(&parameters)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|error| ClientError::Http(error.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(ClientError::Http(format!("the server answered {status}")));
    }
    response
        .json()
        .await
        .map_err(|error| ClientError::Http(error.to_string()))
}

/// A snippet for a terminal: tags gone, entities read, matched words in «guillemets».
pub fn plain_snippet(html: &str) -> String {
    html.replace("<b>", "«")
        .replace("</b>", "»")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_address_comes_from_the_sync_address() {
        assert_eq!(
            web_base("ws://127.0.0.1:8080/sync"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            web_base("wss://agora.example.org/sync"),
            "https://agora.example.org"
        );
    }

    #[test]
    fn snippets_read_plainly() {
        assert_eq!(
            plain_snippet("Die &lt;b&gt; <b>Kund*innen</b> &amp; mehr"),
            "Die <b> «Kund*innen» & mehr"
        );
    }
}
