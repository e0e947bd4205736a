//! Which organisation owns a document, who has which role on it, and the effective role of an
//! account: the highest of its own grant, its teams' grants, and owner for the organisation's
//! admins.

use agora_schema::DocumentId;
use sqlx::FromRow;

use super::audit::{record, AuditRecord};
use super::{
    now_ms, AccessChange, Account, AccountId, Directory, DirectoryError, DirectoryResult, DocRole,
    OrganisationId, TeamId,
};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct DocumentInfo {
    #[sqlx(try_from = "String")]
    pub document_id: DocumentId,
    pub organisation_id: OrganisationId,
    pub title: String,
    pub kind: String,
    pub language: Option<String>,
    pub created_at: i64,
}

/// Who a document belongs with, as search narrows by it: the person who created it and the
/// teams it is shared with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentPeople {
    pub author: Option<String>,
    pub teams: Vec<String>,
}

pub struct NewDocument<'a> {
    pub id: DocumentId,
    pub organisation: OrganisationId,
    pub title: &'a str,
    pub language: Option<&'a str>,
}

/// A document in someone's list, with their role on it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedDocument {
    #[serde(flatten)]
    pub info: DocumentInfo,
    pub organisation_name: String,
    pub role: DocRole,
}

/// Who a grant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSubject {
    Account(AccountId),
    Team(TeamId),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentGrant {
    pub grant_id: i64,
    pub role: DocRole,
    pub account_id: Option<AccountId>,
    pub team_id: Option<TeamId>,
    /// The account's name and email, or the team's name.
    pub label: String,
    /// An account outside the document's organisation: an external reviewer.
    pub external: bool,
}

#[derive(FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    info: DocumentInfo,
    organisation_name: String,
    role: String,
}

#[derive(FromRow)]
struct GrantRow {
    grant_id: i64,
    role: String,
    account_id: Option<AccountId>,
    team_id: Option<TeamId>,
    label: String,
    external: i64,
}

/// Titles longer than this are refused.
const MAX_TITLE_CHARS: usize = 300;
/// The languages documents are written in.
pub const DOCUMENT_LANGUAGES: [&str; 3] = ["de", "da", "en"];

fn doc_role(text: &str) -> DirectoryResult<DocRole> {
    text.parse()
        .map_err(|_| DirectoryError::Invalid("damaged-role"))
}

impl Directory {
    /// Registers a new document of `new.organisation`, owned by `by`, who must be a member.
    pub async fn create_document(
        &self,
        new: NewDocument<'_>,
        by: &Account,
    ) -> DirectoryResult<DocumentInfo> {
        let title = new.title.trim();
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(DirectoryError::Invalid("title-too-long"));
        }
        if new
            .language
            .is_some_and(|l| !DOCUMENT_LANGUAGES.contains(&l))
        {
            return Err(DirectoryError::Invalid("unknown-language"));
        }
        if self
            .org_role(by.account_id, new.organisation)
            .await?
            .is_none()
        {
            return Err(DirectoryError::Invalid("not-a-member"));
        }
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "insert into document_info
                 (document_id, organisation_id, title, kind, language, created_by, created_at)
             values ($1, $2, $3, 'statement', $4, $5, $6) on conflict do nothing",
        )
        .bind(new.id.to_string())
        .bind(new.organisation)
        .bind(title)
        .bind(new.language)
        .bind(by.account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(DirectoryError::Conflict);
        }
        sqlx::query(
            "insert into document_grant (document_id, account_id, role, granted_by, granted_at)
             values ($1, $2, 'owner', $3, $4)",
        )
        .bind(new.id.to_string())
        .bind(by.account_id)
        .bind(by.account_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            AuditRecord::new("document.created", Some(by))
                .in_organisation(new.organisation)
                .on_document(new.id)
                .about(format!("account:{}", by.account_id))
                .detail("owner".to_owned()),
        )
        .await?;
        // Connections that asked for this id before it existed may now be allowed to have it.
        self.commit_and_announce(tx, &[AccessChange::Document(new.id)])
            .await?;
        self.document_info(new.id)
            .await?
            .ok_or(DirectoryError::NotFound)
    }

    /// The organisation a document created over `/sync` belongs to: the creator's first.
    pub async fn home_organisation(
        &self,
        account: AccountId,
    ) -> DirectoryResult<Option<OrganisationId>> {
        Ok(sqlx::query_scalar(
            "select organisation_id from membership where account_id = $1
             order by organisation_id limit 1",
        )
        .bind(account)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn document_info(&self, id: DocumentId) -> DirectoryResult<Option<DocumentInfo>> {
        Ok(sqlx::query_as(
            "select document_id, organisation_id, title, kind, language, created_at
             from document_info where document_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn document_people(&self, id: DocumentId) -> DirectoryResult<DocumentPeople> {
        let author = sqlx::query_scalar(
            "select account.display_name from document_info
             join account on account.account_id = document_info.created_by
             where document_info.document_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let teams = sqlx::query_scalar(
            "select team.name from document_grant
             join team on team.team_id = document_grant.team_id
             where document_grant.document_id = $1 order by team.name",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(DocumentPeople { author, teams })
    }

    /// The account's effective role on the document; `None` when it may not even know that the
    /// document exists.
    pub async fn document_role(
        &self,
        account: AccountId,
        id: DocumentId,
    ) -> DirectoryResult<Option<DocRole>> {
        let roles: Vec<String> = sqlx::query_scalar(
            "select g.role from document_grant g
             where g.document_id = $1 and g.account_id = $2
             union all
             select g.role from document_grant g
             join team_member tm on tm.team_id = g.team_id
             where g.document_id = $1 and tm.account_id = $2
             union all
             select 'owner' from document_info d
             join membership m on m.organisation_id = d.organisation_id
             where d.document_id = $1 and m.account_id = $2 and m.role = 'admin'",
        )
        .bind(id.to_string())
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        let mut best = None;
        for role in roles {
            best = best.max(Some(doc_role(&role)?));
        }
        Ok(best)
    }

    /// Every document the account may read, newest first.
    pub async fn documents_for(&self, account: AccountId) -> DirectoryResult<Vec<ListedDocument>> {
        let rows: Vec<ListedRow> = sqlx::query_as(
            "with reachable (document_id, role) as (
                 select g.document_id, g.role from document_grant g where g.account_id = $1
                 union all
                 select g.document_id, g.role from document_grant g
                 join team_member tm on tm.team_id = g.team_id where tm.account_id = $1
                 union all
                 select d.document_id, 'owner' from document_info d
                 join membership m on m.organisation_id = d.organisation_id
                 where m.account_id = $1 and m.role = 'admin')
             select d.document_id, d.organisation_id, d.title, d.kind, d.language, d.created_at,
                    o.name as organisation_name, r.role
             from reachable r
             join document_info d on d.document_id = r.document_id
             join organisation o on o.organisation_id = d.organisation_id",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        let mut best: std::collections::HashMap<DocumentId, ListedDocument> = Default::default();
        for row in rows {
            let role = doc_role(&row.role)?;
            match best.get_mut(&row.info.document_id) {
                Some(listed) => listed.role = listed.role.max(role),
                None => {
                    best.insert(
                        row.info.document_id,
                        ListedDocument {
                            info: row.info,
                            organisation_name: row.organisation_name,
                            role,
                        },
                    );
                }
            }
        }
        let mut listed: Vec<ListedDocument> = best.into_values().collect();
        listed.sort_by_key(|listed| std::cmp::Reverse(listed.info.created_at));
        Ok(listed)
    }

    /// Everyone with a grant on the document.
    pub async fn grants(&self, id: DocumentId) -> DirectoryResult<Vec<DocumentGrant>> {
        let rows: Vec<GrantRow> = sqlx::query_as(
            "select g.grant_id, g.role, g.account_id, g.team_id,
                        coalesce(a.display_name || ' <' || a.email || '>', t.name) as label,
                        case when g.account_id is not null and not exists (
                            select 1 from membership m
                            where m.account_id = g.account_id
                              and m.organisation_id = d.organisation_id) then 1 else 0 end
                            as external
                 from document_grant g
                 join document_info d on d.document_id = g.document_id
                 left join account a on a.account_id = g.account_id
                 left join team t on t.team_id = g.team_id
                 where g.document_id = $1 order by g.team_id is null, 5",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(DocumentGrant {
                    grant_id: row.grant_id,
                    role: doc_role(&row.role)?,
                    account_id: row.account_id,
                    team_id: row.team_id,
                    label: row.label,
                    external: row.external != 0,
                })
            })
            .collect()
    }

    /// Gives `subject` `role` on the document, replacing any role it had. A team must belong to
    /// the document's organisation; an account may be anyone (an external reviewer).
    pub async fn grant(
        &self,
        document: &DocumentInfo,
        subject: GrantSubject,
        role: DocRole,
        by: &Account,
    ) -> DirectoryResult<()> {
        let id = document.document_id.to_string();
        let mut tx = self.pool.begin().await?;
        let (account, team) = match subject {
            GrantSubject::Account(account) => (Some(account), None),
            GrantSubject::Team(team) => {
                let owner: Option<OrganisationId> =
                    sqlx::query_scalar("select organisation_id from team where team_id = $1")
                        .bind(team)
                        .fetch_optional(&mut *tx)
                        .await?;
                if owner != Some(document.organisation_id) {
                    return Err(DirectoryError::Invalid("team-of-another-organisation"));
                }
                (None, Some(team))
            }
        };
        let previous: Option<String> = sqlx::query_scalar(
            "select role from document_grant
             where document_id = $1 and account_id is not distinct from $2 and team_id is not distinct from $3",
        )
        .bind(&id)
        .bind(account)
        .bind(team)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query(
            "delete from document_grant where document_id = $1 and account_id is not distinct from $2 and team_id is not distinct from $3",
        )
        .bind(&id)
        .bind(account)
        .bind(team)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "insert into document_grant (document_id, account_id, team_id, role, granted_by, granted_at)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(account)
        .bind(team)
        .bind(role.as_str())
        .bind(by.account_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            AuditRecord::new("grant.set", Some(by))
                .in_organisation(document.organisation_id)
                .on_document(document.document_id)
                .about(subject_label(subject))
                .detail(match previous {
                    Some(previous) => format!("{previous} -> {role}"),
                    None => role.to_string(),
                }),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Document(document.document_id)])
            .await?;
        Ok(())
    }

    /// Takes one grant away.
    pub async fn revoke_grant(
        &self,
        document: &DocumentInfo,
        grant_id: i64,
        by: &Account,
    ) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(Option<AccountId>, Option<TeamId>, String)> = sqlx::query_as(
            "delete from document_grant where grant_id = $1 and document_id = $2
             returning account_id, team_id, role",
        )
        .bind(grant_id)
        .bind(document.document_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account, team, role)) = row else {
            return Err(DirectoryError::NotFound);
        };
        let subject = match (account, team) {
            (Some(account), _) => GrantSubject::Account(account),
            (None, Some(team)) => GrantSubject::Team(team),
            (None, None) => return Err(DirectoryError::Invalid("damaged-grant")),
        };
        record(
            &mut tx,
            AuditRecord::new("grant.revoked", Some(by))
                .in_organisation(document.organisation_id)
                .on_document(document.document_id)
                .about(subject_label(subject))
                .detail(role),
        )
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Document(document.document_id)])
            .await?;
        Ok(())
    }
}

fn subject_label(subject: GrantSubject) -> String {
    match subject {
        GrantSubject::Account(account) => format!("account:{account}"),
        GrantSubject::Team(team) => format!("team:{team}"),
    }
}
