//! My documents: the list, creating a statement, and opening one in the editor (the everyday
//! page and the meeting view).

use agora_schema::DocumentId;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::editor::{Editor, View};
use super::{render, Feedback, Page};
use crate::directory::{DocRole, ListedDocument, Organisation, OrganisationId};
use crate::http::context::{CsrfForm, SignedIn};
use crate::http::error::{HttpError, HttpResult};
use crate::statements;
use crate::AppState;

#[derive(Template)]
#[template(path = "documents.html")]
struct DocumentsPage {
    page: Page,
    documents: Vec<ListedDocument>,
    /// Where the visitor may create documents.
    organisations: Vec<Organisation>,
}

pub async fn list(
    State(state): State<AppState>,
    visitor: SignedIn,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let account = visitor.account().account_id;
    let documents = state.directory.documents_for(account).await?;
    let organisations = state
        .directory
        .memberships(account)
        .await?
        .into_iter()
        .map(|(organisation, _)| organisation)
        .collect();
    render(&DocumentsPage {
        page: Page::signed_in(&visitor, feedback),
        documents,
        organisations,
    })
}

#[derive(serde::Deserialize)]
pub struct NewStatementForm {
    title: String,
    language: String,
    organisation: OrganisationId,
}

pub async fn create(
    State(state): State<AppState>,
    visitor: SignedIn,
    CsrfForm(form): CsrfForm<NewStatementForm>,
) -> HttpResult<Response> {
    if form.title.trim().is_empty() {
        return Ok(super::back_to("/", Err("error-title-missing")));
    }
    let created = statements::create(
        &state,
        visitor.account(),
        form.organisation,
        &form.title,
        &form.language,
    )
    .await;
    match created {
        Ok(info) => Ok(Redirect::to(&format!("/d/{}", info.document_id)).into_response()),
        Err(statements::CreateError::Directory(crate::directory::DirectoryError::Invalid(key))) => {
            Ok(super::back_to("/", Err(key)))
        }
        Err(error) => Err(HttpError::Internal(error.to_string())),
    }
}

#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage {
    page: Page,
    document: OpenedDocument,
    editor: Editor,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    page: Page,
    document: OpenedDocument,
    editor: Editor,
}

/// A document as its pages show it.
struct OpenedDocument {
    id: DocumentId,
    title: String,
    organisation: String,
    language: String,
    role: DocRole,
    can_share: bool,
    /// The text as the server last knew it, shown until the editor has loaded.
    paragraphs: Vec<String>,
}

/// A document id from a path: malformed ids are as unknown as missing ones.
pub fn parse_id(text: &str) -> HttpResult<DocumentId> {
    DocumentId::parse_url_or_id(text).map_err(|_| HttpError::NotFound)
}

/// The visitor's role on a document, or `NotFound` when it has none.
pub async fn role_on(state: &AppState, visitor: &SignedIn, id: DocumentId) -> HttpResult<DocRole> {
    state
        .directory
        .document_role(visitor.account().account_id, id)
        .await?
        .ok_or(HttpError::NotFound)
}

pub async fn view(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<String>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let page = Page::signed_in(&visitor, feedback);
    let (document, editor) = open(&state, &visitor, &page, &id, View::Page).await?;
    render(&DocumentPage {
        page,
        document,
        editor,
    })
}

/// The meeting view: the same document for a projector.
pub async fn meeting(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<String>,
) -> HttpResult<Response> {
    let page = Page::signed_in(&visitor, Feedback::default());
    let (document, editor) = open(&state, &visitor, &page, &id, View::Meeting).await?;
    render(&MeetingPage {
        page,
        document,
        editor,
    })
}

/// Loads a document the visitor may read for the editor in `view`, and records that they
/// opened it.
async fn open(
    state: &AppState,
    visitor: &SignedIn,
    page: &Page,
    id: &str,
    view: View,
) -> HttpResult<(OpenedDocument, Editor)> {
    let id = parse_id(id)?;
    let role = role_on(state, visitor, id).await?;
    let info = state
        .directory
        .document_info(id)
        .await?
        .ok_or(HttpError::NotFound)?;
    let organisation = state.directory.organisation(info.organisation_id).await?;
    state
        .directory
        .record_opened(visitor.account(), id, role, view.as_str())
        .await?;
    let title = if info.title.is_empty() {
        page.t("untitled")
    } else {
        info.title
    };
    let document = OpenedDocument {
        id,
        title,
        organisation: organisation.name,
        language: info.language.unwrap_or_default(),
        role,
        can_share: role.can_share(),
        paragraphs: statements::paragraphs(state, id).await,
    };
    let editor = Editor::new(id, role, view, visitor.account(), page.tr);
    Ok((document, editor))
}
