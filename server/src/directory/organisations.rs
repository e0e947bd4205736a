//! Organisations, their members and teams.

use sqlx::FromRow;

use super::audit::{record, AuditRecord};
use super::{
    conflict_or, now_ms, AccessChange, Account, AccountId, Directory, DirectoryError,
    DirectoryResult, OrgRole, OrganisationId, TeamId,
};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Organisation {
    pub organisation_id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Member {
    pub account_id: AccountId,
    pub email: String,
    pub display_name: String,
    pub role: OrgRole,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Team {
    pub team_id: TeamId,
    pub organisation_id: OrganisationId,
    pub name: String,
}

fn org_role(text: &str) -> DirectoryResult<OrgRole> {
    text.parse()
        .map_err(|_| DirectoryError::Invalid("damaged-role"))
}

fn check_name(name: &str) -> DirectoryResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        Err(DirectoryError::Invalid("invalid-name"))
    } else {
        Ok(name)
    }
}

impl Directory {
    /// Creates an organisation with `admin` as its first administrator; without one, the
    /// creator hands out an admin invitation next.
    pub async fn create_organisation(
        &self,
        name: &str,
        admin: Option<AccountId>,
        by: Option<&Account>,
    ) -> DirectoryResult<Organisation> {
        let name = check_name(name)?;
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let id: OrganisationId = sqlx::query_scalar(
            "insert into organisation (name, created_at) values ($1, $2) returning organisation_id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(admin) = admin {
            sqlx::query(
                "insert into membership (organisation_id, account_id, role, created_at)
                 values ($1, $2, 'admin', $3)",
            )
            .bind(id)
            .bind(admin)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        record(
            &mut tx,
            AuditRecord::new("organisation.created", by)
                .in_organisation(id)
                .about(admin.map(|admin| format!("account:{admin}")))
                .detail(name.to_owned()),
        )
        .await?;
        let changes: Vec<AccessChange> = admin.map(AccessChange::Account).into_iter().collect();
        self.commit_and_announce(tx, &changes).await?;
        Ok(Organisation {
            organisation_id: id,
            name: name.to_owned(),
        })
    }

    pub async fn organisation(&self, id: OrganisationId) -> DirectoryResult<Organisation> {
        sqlx::query_as("select organisation_id, name from organisation where organisation_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DirectoryError::NotFound)
    }

    pub async fn all_organisations(&self) -> DirectoryResult<Vec<Organisation>> {
        Ok(
            sqlx::query_as("select organisation_id, name from organisation order by name")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The organisations the account belongs to, with its role in each.
    pub async fn memberships(
        &self,
        account: AccountId,
    ) -> DirectoryResult<Vec<(Organisation, OrgRole)>> {
        let rows: Vec<(OrganisationId, String, String)> = sqlx::query_as(
            "select o.organisation_id, o.name, m.role from membership m
             join organisation o on o.organisation_id = m.organisation_id
             where m.account_id = $1 order by o.organisation_id",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(organisation_id, name, role)| {
                Ok((
                    Organisation {
                        organisation_id,
                        name,
                    },
                    org_role(&role)?,
                ))
            })
            .collect()
    }

    pub async fn org_role(
        &self,
        account: AccountId,
        organisation: OrganisationId,
    ) -> DirectoryResult<Option<OrgRole>> {
        let role: Option<String> = sqlx::query_scalar(
            "select role from membership where account_id = $1 and organisation_id = $2",
        )
        .bind(account)
        .bind(organisation)
        .fetch_optional(&self.pool)
        .await?;
        role.as_deref().map(org_role).transpose()
    }

    pub async fn members(&self, organisation: OrganisationId) -> DirectoryResult<Vec<Member>> {
        let rows: Vec<(AccountId, String, String, String)> = sqlx::query_as(
            "select a.account_id, a.email, a.display_name, m.role from membership m
             join account a on a.account_id = m.account_id
             where m.organisation_id = $1 order by a.display_name, a.email",
        )
        .bind(organisation)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(account_id, email, display_name, role)| {
                Ok(Member {
                    account_id,
                    email,
                    display_name,
                    role: org_role(&role)?,
                })
            })
            .collect()
    }

    /// Adds a member, or changes the role of one; an organisation always keeps an admin.
    pub async fn set_member_role(
        &self,
        organisation: OrganisationId,
        account: AccountId,
        role: OrgRole,
        by: Option<&Account>,
    ) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "insert into membership (organisation_id, account_id, role, created_at)
             values ($1, $2, $3, $4)
             on conflict (organisation_id, account_id) do update set role = excluded.role",
        )
        .bind(organisation)
        .bind(account)
        .bind(role.as_str())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        ensure_an_admin(&mut tx, organisation).await?;
        record(
            &mut tx,
            AuditRecord::new("member.role-set", by)
                .in_organisation(organisation)
                .about(format!("account:{account}"))
                .detail(role.as_str().to_owned()),
        )
        .await?;
        self.commit_and_announce(
            tx,
            &[
                AccessChange::Organisation(organisation),
                AccessChange::Account(account),
            ],
        )
        .await?;

        Ok(())
    }

    /// Removes a member with their teams and their grants on the organisation's documents.
    pub async fn remove_member(
        &self,
        organisation: OrganisationId,
        account: AccountId,
        by: Option<&Account>,
    ) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let removed =
            sqlx::query("delete from membership where organisation_id = $1 and account_id = $2")
                .bind(organisation)
                .bind(account)
                .execute(&mut *tx)
                .await?;
        if removed.rows_affected() == 0 {
            return Err(DirectoryError::NotFound);
        }
        ensure_an_admin(&mut tx, organisation).await?;
        sqlx::query(
            "delete from team_member where account_id = $1
             and team_id in (select team_id from team where organisation_id = $2)",
        )
        .bind(account)
        .bind(organisation)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "delete from document_grant where account_id = $1
             and document_id in (select document_id from document_info where organisation_id = $2)",
        )
        .bind(account)
        .bind(organisation)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            AuditRecord::new("member.removed", by)
                .in_organisation(organisation)
                .about(format!("account:{account}")),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Account(account)])
            .await?;
        Ok(())
    }

    pub async fn teams(&self, organisation: OrganisationId) -> DirectoryResult<Vec<Team>> {
        Ok(sqlx::query_as(
            "select team_id, organisation_id, name from team where organisation_id = $1 order by name",
        )
        .bind(organisation)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn team(&self, team: TeamId) -> DirectoryResult<Team> {
        sqlx::query_as("select team_id, organisation_id, name from team where team_id = $1")
            .bind(team)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(DirectoryError::NotFound)
    }

    pub async fn create_team(
        &self,
        organisation: OrganisationId,
        name: &str,
        by: Option<&Account>,
    ) -> DirectoryResult<Team> {
        let name = check_name(name)?;
        let mut tx = self.pool.begin().await?;
        let team_id: TeamId = sqlx::query_scalar(
            "insert into team (organisation_id, name, created_at) values ($1, $2, $3) returning team_id",
        )
        .bind(organisation)
        .bind(name)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_or)?;
        record(
            &mut tx,
            AuditRecord::new("team.created", by)
                .in_organisation(organisation)
                .about(format!("team:{team_id}"))
                .detail(name.to_owned()),
        )
        .await?;
        tx.commit().await?;
        Ok(Team {
            team_id,
            organisation_id: organisation,
            name: name.to_owned(),
        })
    }

    /// The team's members (each also a member of the team's organisation).
    pub async fn team_members(&self, team: TeamId) -> DirectoryResult<Vec<Account>> {
        Ok(sqlx::query_as(
            "select a.account_id, a.email, a.display_name, a.locale, a.is_instance_admin
             from team_member tm join account a on a.account_id = tm.account_id
             where tm.team_id = $1 order by a.display_name",
        )
        .bind(team)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Adds an organisation member to one of the organisation's teams.
    pub async fn add_team_member(
        &self,
        team: &Team,
        account: AccountId,
        by: Option<&Account>,
    ) -> DirectoryResult<()> {
        if self
            .org_role(account, team.organisation_id)
            .await?
            .is_none()
        {
            return Err(DirectoryError::Invalid("not-a-member"));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "insert into team_member (team_id, account_id) values ($1, $2) on conflict do nothing",
        )
        .bind(team.team_id)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            AuditRecord::new("team.member-added", by)
                .in_organisation(team.organisation_id)
                .about(format!("account:{account}"))
                .detail(format!("team:{}", team.team_id)),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Account(account)])
            .await?;
        Ok(())
    }

    pub async fn remove_team_member(
        &self,
        team: &Team,
        account: AccountId,
        by: Option<&Account>,
    ) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("delete from team_member where team_id = $1 and account_id = $2")
            .bind(team.team_id)
            .bind(account)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(DirectoryError::NotFound);
        }
        record(
            &mut tx,
            AuditRecord::new("team.member-removed", by)
                .in_organisation(team.organisation_id)
                .about(format!("account:{account}"))
                .detail(format!("team:{}", team.team_id)),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Account(account)])
            .await?;
        Ok(())
    }
}

async fn ensure_an_admin(
    tx: &mut sqlx::AnyConnection,
    organisation: OrganisationId,
) -> DirectoryResult<()> {
    let admins: i64 = sqlx::query_scalar(
        "select count(*) from membership where organisation_id = $1 and role = 'admin'",
    )
    .bind(organisation)
    .fetch_one(&mut *tx)
    .await?;
    if admins == 0 {
        Err(DirectoryError::Invalid("last-admin"))
    } else {
        Ok(())
    }
}
