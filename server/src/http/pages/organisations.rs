//! Organisations: members and their roles, teams, invitation links and the audit log.
//! Everything here but the list is for the organisation's admins.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::request::Parts;
use axum::response::Response;

use super::{after_form, form_done, render, Feedback, Page};
use crate::directory::{
    Account, AccountId, AuditEvent, Invitation, InvitationKind, Member, NewInvitation, OrgRole,
    Organisation, OrganisationId, Team, TeamId, INVITATION_LIFETIME,
};
use crate::http::context::{CsrfForm, SignedIn};
use crate::http::error::{HttpError, HttpResult};
use crate::http::pages::sign_in::EmptyForm;
use crate::http::security::public_base;
use crate::AppState;

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    page: Page,
    memberships: Vec<(Organisation, OrgRole)>,
}

pub async fn list(
    State(state): State<AppState>,
    visitor: SignedIn,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let memberships = state
        .directory
        .memberships(visitor.account().account_id)
        .await?;
    render(&OrganisationsPage {
        page: Page::signed_in(&visitor, feedback),
        memberships,
    })
}

/// The organisation, if the visitor administers it: `NotFound` for outsiders, `Forbidden` for
/// members.
async fn administered(
    state: &AppState,
    visitor: &SignedIn,
    id: OrganisationId,
) -> HttpResult<Organisation> {
    match state
        .directory
        .org_role(visitor.account().account_id, id)
        .await?
    {
        Some(OrgRole::Admin) => state.directory.organisation(id).await.map_err(Into::into),
        Some(OrgRole::Member) => Err(HttpError::Forbidden),
        None => Err(HttpError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    page: Page,
    organisation: Organisation,
    members: Vec<Member>,
    teams: Vec<Team>,
    invitations: Vec<Invitation>,
    new_link: Option<String>,
}

impl OrganisationPage {
    fn invitation_role(&self, invitation: &Invitation) -> String {
        match invitation.kind {
            InvitationKind::Member { role, .. } => self.page.t(&format!("org-role-{role}")),
            InvitationKind::Document { role, .. } => self.page.t(&format!("role-{role}")),
        }
    }
}

async fn organisation_page(
    state: &AppState,
    visitor: &SignedIn,
    organisation: Organisation,
    feedback: Feedback,
    new_link: Option<String>,
) -> HttpResult<Response> {
    let id = organisation.organisation_id;
    render(&OrganisationPage {
        page: Page::signed_in(visitor, feedback),
        members: state.directory.members(id).await?,
        teams: state.directory.teams(id).await?,
        invitations: state.directory.open_invitations(id).await?,
        organisation,
        new_link,
    })
}

pub async fn show(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<OrganisationId>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let organisation = administered(&state, &visitor, id).await?;
    organisation_page(&state, &visitor, organisation, feedback, None).await
}

#[derive(serde::Deserialize)]
pub struct MemberInvitationForm {
    #[serde(default)]
    note: String,
    role: OrgRole,
    #[serde(default)]
    team: String,
}

pub async fn invite(
    State(state): State<AppState>,
    parts: Parts,
    visitor: SignedIn,
    Path(id): Path<OrganisationId>,
    CsrfForm(form): CsrfForm<MemberInvitationForm>,
) -> HttpResult<Response> {
    let organisation = administered(&state, &visitor, id).await?;
    let team = match form.team.trim() {
        "" => None,
        team => Some(TeamId(
            team.parse()
                .map_err(|_| HttpError::Invalid("error-form-invalid"))?,
        )),
    };
    let new = NewInvitation {
        organisation: id,
        kind: InvitationKind::Member {
            role: form.role,
            team,
        },
        note: &form.note,
    };
    let back = format!("/organisations/{id}");
    match state
        .directory
        .create_invitation(new, INVITATION_LIFETIME, visitor.account())
        .await
    {
        Ok((_, secret)) => {
            let link = format!("{}/invitations/{secret}", public_base(&parts, &state.web));
            organisation_page(
                &state,
                &visitor,
                organisation,
                Feedback::default(),
                Some(link),
            )
            .await
        }
        Err(error) => after_form(&back, Err(error.into())),
    }
}

pub async fn revoke_invitation(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, invitation)): Path<(OrganisationId, i64)>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> HttpResult<Response> {
    administered(&state, &visitor, id).await?;
    let result = state
        .directory
        .revoke_invitation(id, invitation, visitor.account())
        .await;
    form_done(&format!("/organisations/{id}"), result, "notice-revoked")
}

#[derive(serde::Deserialize)]
pub struct RoleForm {
    role: OrgRole,
}

/// Changes the role of an existing member (never adds one: that is what invitations are for).
pub async fn set_role(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, account)): Path<(OrganisationId, AccountId)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> HttpResult<Response> {
    administered(&state, &visitor, id).await?;
    if state.directory.org_role(account, id).await?.is_none() {
        return Err(HttpError::NotFound);
    }
    let result = state
        .directory
        .set_member_role(id, account, form.role, Some(visitor.account()))
        .await;
    form_done(&format!("/organisations/{id}"), result, "notice-saved")
}

pub async fn remove_member(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, account)): Path<(OrganisationId, AccountId)>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> HttpResult<Response> {
    administered(&state, &visitor, id).await?;
    let result = state
        .directory
        .remove_member(id, account, Some(visitor.account()))
        .await;
    form_done(&format!("/organisations/{id}"), result, "notice-removed")
}

#[derive(serde::Deserialize)]
pub struct TeamForm {
    name: String,
}

pub async fn create_team(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<OrganisationId>,
    CsrfForm(form): CsrfForm<TeamForm>,
) -> HttpResult<Response> {
    administered(&state, &visitor, id).await?;
    let result = state
        .directory
        .create_team(id, &form.name, Some(visitor.account()))
        .await;
    form_done(&format!("/organisations/{id}"), result, "notice-saved")
}

/// A team of an organisation the visitor administers.
async fn administered_team(
    state: &AppState,
    visitor: &SignedIn,
    id: OrganisationId,
    team: TeamId,
) -> HttpResult<(Organisation, Team)> {
    let organisation = administered(state, visitor, id).await?;
    let team = state.directory.team(team).await?;
    if team.organisation_id != id {
        return Err(HttpError::NotFound);
    }
    Ok((organisation, team))
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage {
    page: Page,
    organisation: Organisation,
    team: Team,
    team_members: Vec<Account>,
    organisation_members: Vec<Member>,
}

pub async fn show_team(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, team)): Path<(OrganisationId, TeamId)>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let (organisation, team) = administered_team(&state, &visitor, id, team).await?;
    render(&TeamPage {
        page: Page::signed_in(&visitor, feedback),
        team_members: state.directory.team_members(team.team_id).await?,
        organisation_members: state.directory.members(id).await?,
        organisation,
        team,
    })
}

#[derive(serde::Deserialize)]
pub struct TeamMemberForm {
    account: AccountId,
}

pub async fn add_team_member(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, team)): Path<(OrganisationId, TeamId)>,
    CsrfForm(form): CsrfForm<TeamMemberForm>,
) -> HttpResult<Response> {
    let (_, team) = administered_team(&state, &visitor, id, team).await?;
    let result = state
        .directory
        .add_team_member(&team, form.account, Some(visitor.account()))
        .await;
    let back = format!("/organisations/{id}/teams/{}", team.team_id);
    form_done(&back, result, "notice-saved")
}

pub async fn remove_team_member(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path((id, team, account)): Path<(OrganisationId, TeamId, AccountId)>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> HttpResult<Response> {
    let (_, team) = administered_team(&state, &visitor, id, team).await?;
    let result = state
        .directory
        .remove_team_member(&team, account, Some(visitor.account()))
        .await;
    let back = format!("/organisations/{id}/teams/{}", team.team_id);
    form_done(&back, result, "notice-removed")
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: Page,
    organisation: Organisation,
    events: Vec<AuditEvent>,
}

/// How many events the audit page shows.
const AUDIT_PAGE_EVENTS: i64 = 500;

pub async fn audit(
    State(state): State<AppState>,
    visitor: SignedIn,
    Path(id): Path<OrganisationId>,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    let organisation = administered(&state, &visitor, id).await?;
    render(&AuditPage {
        page: Page::signed_in(&visitor, feedback),
        events: state.directory.audit_events(id, AUDIT_PAGE_EVENTS).await?,
        organisation,
    })
}
