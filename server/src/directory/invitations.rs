//! Invitation links: single use, expiring, revocable. A member invitation brings someone into an
//! organisation (and optionally a team); a document invitation gives an external reviewer one
//! role on one document and nothing else.

use std::time::Duration;

use agora_schema::DocumentId;

use super::audit::{record, AuditRecord};
use super::{
    hash_secret, new_secret, now_ms, AccessChange, Account, Directory, DirectoryError,
    DirectoryResult, DocRole, OrgRole, OrganisationId, TeamId,
};

/// How long an invitation link stays valid unless its creator says otherwise.
pub const INVITATION_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum InvitationKind {
    Member { role: OrgRole, team: Option<TeamId> },
    Document { document: DocumentId, role: DocRole },
}

pub struct NewInvitation<'a> {
    pub organisation: OrganisationId,
    pub kind: InvitationKind,
    pub note: &'a str,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Invitation {
    pub invitation_id: i64,
    pub organisation_id: OrganisationId,
    pub organisation_name: String,
    #[serde(flatten)]
    pub kind: InvitationKind,
    /// The document's title, for document invitations.
    pub document_title: Option<String>,
    pub note: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Invitation {
    /// Whether the link can still be accepted.
    pub fn is_open(&self) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now_ms()
    }
}

type InvitationRow = (
    i64,
    OrganisationId,
    String,
    String,
    String,
    Option<TeamId>,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

const INVITATION_SELECT: &str = "select i.invitation_id, i.organisation_id, o.name, i.kind, i.role,
        i.team_id, i.document_id, d.title, i.note, i.created_at, i.expires_at, i.accepted_at,
        i.revoked_at
    from invitation i
    join organisation o on o.organisation_id = i.organisation_id
    left join document_info d on d.document_id = i.document_id";

fn from_row(row: InvitationRow) -> DirectoryResult<Invitation> {
    let (
        invitation_id,
        organisation_id,
        organisation_name,
        kind,
        role,
        team,
        document,
        document_title,
        note,
        created_at,
        expires_at,
        accepted_at,
        revoked_at,
    ) = row;
    let damaged = || DirectoryError::Invalid("damaged-invitation");
    let kind = match (kind.as_str(), document) {
        ("member", None) => InvitationKind::Member {
            role: role.parse().map_err(|_| damaged())?,
            team,
        },
        ("document", Some(document)) => InvitationKind::Document {
            document: document.parse().map_err(|_| damaged())?,
            role: role.parse().map_err(|_| damaged())?,
        },
        _ => return Err(damaged()),
    };
    Ok(Invitation {
        invitation_id,
        organisation_id,
        organisation_name,
        kind,
        document_title,
        note,
        created_at,
        expires_at,
        accepted_at,
        revoked_at,
    })
}

impl Directory {
    /// Creates an invitation; returns it and the secret for its link.
    pub async fn create_invitation(
        &self,
        new: NewInvitation<'_>,
        lifetime: Duration,
        by: &Account,
    ) -> DirectoryResult<(Invitation, String)> {
        let note = new.note.trim();
        if note.chars().count() > 300 {
            return Err(DirectoryError::Invalid("note-too-long"));
        }
        let (kind, role, team, document) = match new.kind {
            InvitationKind::Member { role, team } => ("member", role.as_str(), team, None),
            InvitationKind::Document { document, role } => {
                ("document", role.as_str(), None, Some(document.to_string()))
            }
        };
        if let Some(team) = team {
            if self.team(team).await?.organisation_id != new.organisation {
                return Err(DirectoryError::Invalid("team-of-another-organisation"));
            }
        }
        let (secret, hash) = new_secret("i_");
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into invitation (token_hash, kind, organisation_id, role, team_id, document_id,
                                     note, created_by, created_at, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning invitation_id",
        )
        .bind(hash)
        .bind(kind)
        .bind(new.organisation)
        .bind(role)
        .bind(team)
        .bind(&document)
        .bind(note)
        .bind(by.account_id)
        .bind(now)
        .bind(now + lifetime.as_millis() as i64)
        .fetch_one(&mut *tx)
        .await?;
        record(
            &mut tx,
            AuditRecord::new("invitation.created", Some(by))
                .in_organisation(new.organisation)
                .on_document(match new.kind {
                    InvitationKind::Document { document, .. } => Some(document),
                    InvitationKind::Member { .. } => None,
                })
                .about(format!("invitation:{id}"))
                .detail(format!("{kind} {role}")),
        )
        .await?;
        tx.commit().await?;
        let invitation = self.invitation_by_id(id).await?;
        Ok((invitation, secret))
    }

    async fn invitation_by_id(&self, id: i64) -> DirectoryResult<Invitation> {
        let row: InvitationRow =
            sqlx::query_as(&format!("{INVITATION_SELECT} where i.invitation_id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(DirectoryError::NotFound)?;
        from_row(row)
    }

    /// The invitation a link's secret names, whatever its state.
    pub async fn invitation(&self, secret: &str) -> DirectoryResult<Option<Invitation>> {
        let row: Option<InvitationRow> =
            sqlx::query_as(&format!("{INVITATION_SELECT} where i.token_hash = $1"))
                .bind(hash_secret(secret))
                .fetch_optional(&self.pool)
                .await?;
        row.map(from_row).transpose()
    }

    /// The organisation's invitations that can still be accepted.
    pub async fn open_invitations(
        &self,
        organisation: OrganisationId,
    ) -> DirectoryResult<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(&format!(
            "{INVITATION_SELECT} where i.organisation_id = $1 and i.accepted_at is null
             and i.revoked_at is null and i.expires_at > $2 order by i.created_at desc"
        ))
        .bind(organisation)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// Accepts an invitation for `account`, once: a second use, an expired or revoked link is
    /// refused.
    pub async fn accept_invitation(
        &self,
        secret: &str,
        account: &Account,
    ) -> DirectoryResult<Invitation> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "update invitation set accepted_at = $1, accepted_by = $2
             where token_hash = $3 and accepted_at is null and revoked_at is null and expires_at > $4
             returning invitation_id",
        )
        .bind(now)
        .bind(account.account_id)
        .bind(hash_secret(secret))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            return Err(DirectoryError::Invalid("invitation-not-open"));
        };
        let row: InvitationRow =
            sqlx::query_as(&format!("{INVITATION_SELECT} where i.invitation_id = $1"))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let invitation = from_row(row)?;
        match invitation.kind {
            InvitationKind::Member { role, team } => {
                // An existing member keeps a higher role than the link offers.
                sqlx::query(
                    "insert into membership (organisation_id, account_id, role, created_at)
                     values ($1, $2, $3, $4) on conflict (organisation_id, account_id) do update
                     set role = case when membership.role = 'admin' then 'admin' else excluded.role end",
                )
                .bind(invitation.organisation_id)
                .bind(account.account_id)
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if let Some(team) = team {
                    sqlx::query(
                        "insert into team_member (team_id, account_id) values ($1, $2)
                         on conflict do nothing",
                    )
                    .bind(team)
                    .bind(account.account_id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            InvitationKind::Document { document, role } => {
                let current: Option<String> = sqlx::query_scalar(
                    "select role from document_grant where document_id = $1 and account_id = $2",
                )
                .bind(document.to_string())
                .bind(account.account_id)
                .fetch_optional(&mut *tx)
                .await?;
                let current: Option<DocRole> = current.and_then(|r| r.parse().ok());
                if current.is_none_or(|current| current < role) {
                    sqlx::query(
                        "insert into document_grant
                             (document_id, account_id, role, granted_by, granted_at)
                         values ($1, $2, $3, null, $4)
                         on conflict (document_id, account_id) where account_id is not null
                         do update set role = excluded.role",
                    )
                    .bind(document.to_string())
                    .bind(account.account_id)
                    .bind(role.as_str())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        record(
            &mut tx,
            AuditRecord::new("invitation.accepted", Some(account))
                .in_organisation(invitation.organisation_id)
                .on_document(match invitation.kind {
                    InvitationKind::Document { document, .. } => Some(document),
                    InvitationKind::Member { .. } => None,
                })
                .about(format!("invitation:{id}")),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Account(account.account_id)])
            .await?;
        Ok(invitation)
    }

    pub async fn revoke_invitation(
        &self,
        organisation: OrganisationId,
        id: i64,
        by: &Account,
    ) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "update invitation set revoked_at = $1
             where invitation_id = $2 and organisation_id = $3 and accepted_at is null
               and revoked_at is null",
        )
        .bind(now_ms())
        .bind(id)
        .bind(organisation)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DirectoryError::NotFound);
        }
        record(
            &mut tx,
            AuditRecord::new("invitation.revoked", Some(by))
                .in_organisation(organisation)
                .about(format!("invitation:{id}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
