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
use crate::search::{FacetName, Filters, Results, SearchRequest, Sort};
use crate::AppState;

/// Most hits one page of results holds.
const PAGE_OF_HITS: usize = 20;

/// A search as the page's form and the API's query string give it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct SearchParameters {
    #[serde(default)]
    pub q: String,
    pub kind: Option<String>,
    pub area: Option<String>,
    pub team: Option<String>,
    pub author: Option<String>,
    pub year: Option<String>,
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<usize>,
}

impl SearchParameters {
    pub fn filters(&self) -> Filters {
        Filters::new([
            (FacetName::Kind, self.kind.clone()),
            (FacetName::Area, self.area.clone()),
            (FacetName::Team, self.team.clone()),
            (FacetName::Author, self.author.clone()),
            (FacetName::Year, self.year.clone()),
        ])
    }
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
            filters: &parameters.filters(),
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
    /// The chosen filters, as the form carries them on.
    chosen: Vec<(&'static str, String)>,
    results: Results,
    facets: Vec<FacetGroup>,
}

/// One facet's values, each a link that chooses it (or, when chosen, lets it go).
struct FacetGroup {
    title: String,
    links: Vec<FacetLink>,
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
    let filters = asked.filters();
    let link = |filters: &Filters| {
        let mut query = vec![("q", asked.q.clone())];
        query.extend(
            filters
                .iter()
                .map(|(name, value)| (name.name(), value.to_owned())),
        );
        if asked.sort == Sort::Date {
            query.push(("sort", "date".to_owned()));
        }
        format!(
            "/search?{}",
            serde_urlencoded::to_string(query).unwrap_or_default()
        )
    };
    let facets = FacetName::ALL
        .into_iter()
        .map(|name| FacetGroup {
            title: page.t(&format!("search-facet-{}", name.name())),
            links: results
                .facets
                .iter()
                .filter(|count| count.facet == name)
                .map(|count| {
                    let chosen = filters.get(name) == Some(count.value.as_str());
                    let toggled = filters.with(name, (!chosen).then(|| count.value.clone()));
                    FacetLink {
                        label: match name {
                            FacetName::Kind => page.t(&format!("kind-{}", count.value)),
                            _ => count.value.clone(),
                        },
                        href: link(&toggled),
                        count: count.count,
                        chosen,
                    }
                })
                .collect(),
        })
        .filter(|group| !group.links.is_empty())
        .collect();
    let chosen = filters
        .iter()
        .map(|(name, value)| (name.name(), value.to_owned()))
        .collect();
    render(&SearchPage {
        page,
        asked,
        chosen,
        results,
        facets,
    })
}
