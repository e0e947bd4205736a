//! The share dialog: who has which role on a document, granting and revoking, and invitation
//! links for external reviewers. Owners only (organisation admins are owners).

use agora_schema::DocumentId;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;

use super::documents::{parse_id, role_on};
use super::{after_form, render, Feedback, Page};
use crate::directory::{
    DocRole, DocumentGrant, DocumentInfo, GrantSubject, InvitationKind, NewInvitation, Team,
    TeamId, INVITATION_LIFETIME,
};
use crate::http::context::{CsrfForm, SignedIn};
use crate::http::error::{HttpError, HttpResult};
use crate::http::security::public_base;
use crate::AppState;

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    page: Page,
    id: DocumentId,
    title: String,
    organisation: String,
    grants: Vec<DocumentGrant>,
    teams: Vec<Team>,
    roles: [DocRole; 4],
    new_link: Option<String>,
}

/// The document, if the visitor may share it: `NotFound` without access, `Forbidden` for roles
/// that may not share.
async fn shareable(state: &AppState, visitor: &SignedIn, id: &str) -> HttpResult<DocumentInfo> {
    let id = parse_id(id)?;
    if !role_on(state, visitor, id).await?.can_share() {
        return Err(HttpError::Forbidden);
    }
    state
        .directory
        .document_info(id)
        .await?
        .ok_or(HttpError::NotFound)
}

async fn share_page(
    state: &AppState,
    visitor: &SignedIn,
    info: DocumentInfo,
    feedback: Feedback,
    new_link: Option<String>,
) -> HttpResult<Response> {
    let page = Page::signed_in(visitor, feedback);
    let organisation = state.directory.organisation(info.organisation_id).await?;
    render(&SharePage {
        id: info.document_id,
        title: if info.title.is_empty() {
            page.t("untitled")
        } else {
            info.title
        },
        organisation: organisation.name,
        grants: state.directory.grants(info.document_id).await?,
        teams: state.directory.teams(info.organisation_id).await?,
        roles: DocRole::ALL,
        new_link,
        page,
    })
}

pub async fn show(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<String>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let info = shareable(&state, &visitor, &id).await?;
    share_page(&state, &visitor, info, feedback, None).await
}

#[derive(serde::Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    team: Option<TeamId>,
    role: DocRole,
}

pub async fn grant(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<GrantForm>,
) -> HttpResult<Response> {
    let info = shareable(&state, &visitor, &id).await?;
    let back = format!("/d/{}/share", info.document_id);
    let result = async {
        let subject = match form.team {
            Some(team) => GrantSubject::Team(team),
            None => {
                let account = state
                    .directory
                    .account_by_email(&form.email)
                    .await?
                    .ok_or(HttpError::Invalid("error-no-such-account"))?;
                GrantSubject::Account(account.account_id)
            }
        };
        state
            .directory
            .grant(&info, subject, form.role, visitor.account())
            .await?;
        Ok("notice-shared")
    }
    .await;
    after_form(&back, result)
}

pub async fn revoke(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, grant)): Path<(String, i64)>,
    CsrfForm(_): CsrfForm<super::sign_in::EmptyForm>,
) -> HttpResult<Response> {
    let info = shareable(&state, &visitor, &id).await?;
    let back = format!("/d/{}/share", info.document_id);
    let result = async {
        state
            .directory
            .revoke_grant(&info, grant, visitor.account())
            .await?;
        Ok("notice-revoked")
    }
    .await;
    after_form(&back, result)
}

#[derive(serde::Deserialize)]
pub struct ReviewerInvitationForm {
    #[serde(default)]
    note: String,
    role: DocRole,
}

/// Creates a reviewer's invitation link and shows it once, on the share page itself.
pub async fn invite_reviewer(
    State(state): State<AppState>,
    parts: Parts,
    visitor: SignedIn,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ReviewerInvitationForm>,
) -> HttpResult<Response> {
    let info = shareable(&state, &visitor, &id).await?;
    let new = NewInvitation {
        organisation: info.organisation_id,
        kind: InvitationKind::Document {
            document: info.document_id,
            role: form.role,
        },
        note: &form.note,
    };
    let created = state
        .directory
        .create_invitation(new, INVITATION_LIFETIME, visitor.account())
        .await;
    match created {
        Ok((_, secret)) => {
            let link = format!("{}/invitations/{secret}", public_base(&parts, &state.web));
            share_page(&state, &visitor, info, Feedback::default(), Some(link)).await
        }
        Err(crate::directory::DirectoryError::Invalid(key)) => Ok(super::back_to(
            &format!("/d/{}/share", info.document_id),
            Err(key),
        )),
        Err(error) => Err(error.into()),
    }
}
