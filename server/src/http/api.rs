//! The JSON API for scripts and the CLI client: an API token in `Authorization: Bearer`, or the
//! browser's session. Errors are JSON too (the error layer renders them).

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::Json;
use serde_json::{json, Value};

use super::error::{HttpError, HttpResult};
use super::pages::documents::parse_id;
use super::pages::search::{search_for, SearchParameters};
use super::security::request_origin_allowed;
use crate::auth::{authenticate, Accept, Principal};
use crate::directory::OrganisationId;
use crate::search::Results;
use crate::statements;
use crate::AppState;

/// The caller of an API route; anonymous calls are answered 401.
pub struct ApiCaller(pub Principal);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !request_origin_allowed(parts, &state.web) {
            return Err(HttpError::CsrfRefused);
        }
        authenticate(&state.directory, parts, Accept::CookieOrHeader)
            .await?
            .map(Self)
            .ok_or(HttpError::SignInRequired)
    }
}

pub async fn me(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> HttpResult<Json<Value>> {
    let organisations: Vec<Value> = state
        .directory
        .memberships(caller.account.account_id)
        .await?
        .into_iter()
        .map(|(organisation, role)| {
            json!({ "organisation_id": organisation.organisation_id, "name": organisation.name, "role": role })
        })
        .collect();
    Ok(Json(
        json!({ "account": caller.account, "organisations": organisations }),
    ))
}

pub async fn documents(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
) -> HttpResult<Json<Value>> {
    let documents = state
        .directory
        .documents_for(caller.account.account_id)
        .await?;
    Ok(Json(json!({ "documents": documents })))
}

#[derive(serde::Deserialize)]
pub struct NewStatement {
    title: String,
    #[serde(default = "default_language")]
    language: String,
    /// The caller's first organisation when absent.
    organisation: Option<OrganisationId>,
}

fn default_language() -> String {
    "de".to_owned()
}

pub async fn create_document(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Json(new): Json<NewStatement>,
) -> HttpResult<(axum::http::StatusCode, Json<Value>)> {
    if new.title.trim().is_empty() {
        return Err(HttpError::Invalid("error-title-missing"));
    }
    let organisation = match new.organisation {
        Some(organisation) => organisation,
        None => state
            .directory
            .home_organisation(caller.account.account_id)
            .await?
            .ok_or(HttpError::Invalid("not-a-member"))?,
    };
    let info = statements::create(
        &state,
        &caller.account,
        organisation,
        &new.title,
        &new.language,
    )
    .await
    .map_err(|error| match error {
        statements::CreateError::Directory(error) => HttpError::from(error),
        statements::CreateError::Store(error) => HttpError::from(error),
    })?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "document": info, "url": info.document_id.url() })),
    ))
}

pub async fn document(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> HttpResult<Json<Value>> {
    let id = parse_id(&id)?;
    let role = state
        .directory
        .document_role(caller.account.account_id, id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let info = state
        .directory
        .document_info(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let paragraphs = statements::paragraphs(&state, id).await;
    Ok(Json(
        json!({ "document": info, "role": role, "paragraphs": paragraphs }),
    ))
}

/// `GET /api/search?q=…&kind=…&year=…&sort=relevance|date`: sections of the documents the
/// caller may read, with snippets and facet counts over those documents only.
pub async fn search(
    State(state): State<AppState>,
    ApiCaller(caller): ApiCaller,
    Query(parameters): Query<SearchParameters>,
) -> HttpResult<Json<Results>> {
    Ok(Json(
        search_for(&state, caller.account.account_id, &parameters).await?,
    ))
}
