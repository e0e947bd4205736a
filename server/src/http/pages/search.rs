//! The search page, and searching on someone's behalf (the documents they may read, then the
//! query off the async threads), which the JSON API shares.

use agora_schema::DocumentId;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{render, Feedback, Page};
use crate::directory::AccountId;
use crate::http::context::SignedIn;
use crate::http::error::{HttpError, HttpResult};
use crate::search::{Results, SearchRequest, Sort};
use crate::AppState;

/// Most hits one page of results holds.
const PAGE_OF_HITS: usize = 20;

/// A search as the page's form and the API's query string give it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct SearchParameters {
    #[serde(default)]
    pub q: String,
    pub kind: Option<String>,
    pub year: Option<i32>,
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<usize>,
}

pub async fn search_for(
    state: &AppState,
    account: AccountId,
    parameters: &SearchParameters,
) -> HttpResult<Results> {
    let readable: Vec<DocumentId> = state
        .directory
        .documents_for(account)
        .await?
        .into_iter()
        .map(|listed| listed.info.document_id)
        .collect();
    let index = state.search.clone();
    let parameters = parameters.clone();
    tokio::task::spawn_blocking(move || {
        index.search(&SearchRequest {
            text: &parameters.q,
            readable: &readable,
            kind: parameters.kind.as_deref().filter(|kind| !kind.is_empty()),
            year: parameters.year,
            sort: parameters.sort,
            limit: parameters.limit.unwrap_or(PAGE_OF_HITS),
        })
    })
    .await
    .map_err(|error| HttpError::Internal(error.to_string()))?
    .map_err(|error| HttpError::Internal(error.to_string()))
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    page: Page,
    asked: SearchParameters,
    results: Results,
    /// `(label, query string, count, chosen)` for each facet value.
    kinds: Vec<FacetLink>,
    years: Vec<FacetLink>,
}

struct FacetLink {
    label: String,
    href: String,
    count: u64,
    chosen: bool,
}

pub async fn show(
    State(state): State<AppState>,
    visitor: SignedIn,
    Query(asked): Query<SearchParameters>,
) -> HttpResult<Response> {
    let results = search_for(&state, visitor.account().account_id, &asked).await?;
    let page = Page::signed_in(&visitor, Feedback::default());
    let link = |kind: Option<&str>, year: Option<i32>| {
        let mut query = vec![("q", asked.q.clone())];
        if let Some(kind) = kind {
            query.push(("kind", kind.to_owned()));
        }
        if let Some(year) = year {
            query.push(("year", year.to_string()));
        }
        if asked.sort == Sort::Date {
            query.push(("sort", "date".to_owned()));
        }
        format!(
            "/search?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    };
    let mut kinds = Vec::new();
    let mut years = Vec::new();
    for (facet, count) in &results.facets {
        if let Some(kind) = facet.strip_prefix("/kind/") {
            let chosen = asked.kind.as_deref() == Some(kind);
            kinds.push(FacetLink {
                label: page.t(&format!("kind-{kind}")),
                href: link((!chosen).then_some(kind), asked.year),
                count: *count,
                chosen,
            });
        } else if let Some(year) = facet.strip_prefix("/year/").and_then(|y| y.parse().ok()) {
            let chosen = asked.year == Some(year);
            years.push(FacetLink {
                label: year.to_string(),
                href: link(asked.kind.as_deref(), (!chosen).then_some(year)),
                count: *count,
                chosen,
            });
        }
    }
    render(&SearchPage {
        page,
        asked,
        results,
        kinds,
        years,
    })
}
