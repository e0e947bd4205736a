//! The instance administrator's page: creating organisations. Instance administrators manage
//! the installation; they see no organisation's documents unless granted like anyone else.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::response::Response;

use super::{after_form, render, Feedback, Page};
use crate::directory::{InvitationKind, NewInvitation, OrgRole, Organisation, INVITATION_LIFETIME};
use crate::http::context::{CsrfForm, SignedIn};
use crate::http::error::{HttpError, HttpResult};
use crate::http::security::public_base;
use crate::AppState;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    page: Page,
    organisations: Vec<Organisation>,
    new_link: Option<String>,
}

fn instance_admin(visitor: &SignedIn) -> HttpResult<()> {
    if visitor.account().is_instance_admin.0 {
        Ok(())
    } else {
        Err(HttpError::NotFound)
    }
}

pub async fn show(
    State(state): State<AppState>,
    visitor: SignedIn,
    Query(feedback): Query<Feedback>,
) -> HttpResult<Response> {
    instance_admin(&visitor)?;
    render(&AdminPage {
        organisations: state.directory.all_organisations().await?,
        page: Page::signed_in(&visitor, feedback),
        new_link: None,
    })
}

#[derive(serde::Deserialize)]
pub struct NewOrganisationForm {
    name: String,
    admin_email: String,
}

/// Creates an organisation. An existing account becomes its admin at once; for anyone else the
/// page shows an admin invitation link to pass on.
pub async fn create_organisation(
    State(state): State<AppState>,
    parts: Parts,
    visitor: SignedIn,
    CsrfForm(form): CsrfForm<NewOrganisationForm>,
) -> HttpResult<Response> {
    instance_admin(&visitor)?;
    let admin = state.directory.account_by_email(&form.admin_email).await?;
    if admin.is_none() {
        if let Err(error) = crate::directory::normalise_email(&form.admin_email) {
            return after_form("/admin", Err(error.into()));
        }
    }
    let created = state
        .directory
        .create_organisation(
            &form.name,
            admin.as_ref().map(|a| a.account_id),
            Some(visitor.account()),
        )
        .await;
    let organisation = match created {
        Ok(organisation) => organisation,
        Err(error) => return after_form("/admin", Err(error.into())),
    };
    if admin.is_some() {
        return after_form("/admin", Ok("notice-saved"));
    }
    let new = NewInvitation {
        organisation: organisation.organisation_id,
        kind: InvitationKind::Member {
            role: OrgRole::Admin,
            team: None,
        },
        note: &form.admin_email,
    };
    let (_, secret) = state
        .directory
        .create_invitation(new, INVITATION_LIFETIME, visitor.account())
        .await?;
    render(&AdminPage {
        organisations: state.directory.all_organisations().await?,
        page: Page::signed_in(&visitor, Feedback::default()),
        new_link: Some(format!(
            "{}/invitations/{secret}",
            public_base(&parts, &state.web)
        )),
    })
}
