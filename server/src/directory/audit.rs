//! The audit log: who granted, changed or used which permission. Each record is written in the
//! transaction of the change it describes, so a change never happens unrecorded.

use agora_schema::DocumentId;
use sqlx::AnyConnection;

use super::{Account, AccountId, Directory, DirectoryResult, DocRole, OrganisationId};

/// One thing to record.
pub struct AuditRecord<'a> {
    /// `None` for the server's own command line (`agora admin`).
    pub actor: Option<&'a Account>,
    pub organisation: Option<OrganisationId>,
    pub document: Option<DocumentId>,
    /// What happened, e.g. `grant.set`; a fixed vocabulary, translated on the audit page.
    pub action: &'static str,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

impl<'a> AuditRecord<'a> {
    pub fn new(action: &'static str, actor: Option<&'a Account>) -> Self {
        Self {
            actor,
            organisation: None,
            document: None,
            action,
            subject: None,
            detail: None,
        }
    }

    pub fn in_organisation(mut self, organisation: impl Into<Option<OrganisationId>>) -> Self {
        self.organisation = organisation.into();
        self
    }

    pub fn on_document(mut self, document: impl Into<Option<DocumentId>>) -> Self {
        self.document = document.into();
        self
    }

    pub fn about(mut self, subject: impl Into<Option<String>>) -> Self {
        self.subject = subject.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<Option<String>>) -> Self {
        self.detail = detail.into();
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditEvent {
    pub event_id: i64,
    pub at: i64,
    pub actor_id: Option<AccountId>,
    pub actor_email: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub document_id: Option<String>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

pub(super) async fn record(
    connection: &mut AnyConnection,
    record: AuditRecord<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into audit_event
             (at, actor_id, actor_email, organisation_id, document_id, action, subject, detail)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(super::now_ms())
    .bind(record.actor.map(|a| a.account_id))
    .bind(record.actor.map(|a| a.email.as_str()))
    .bind(record.organisation)
    .bind(record.document.map(|d| d.to_string()))
    .bind(record.action)
    .bind(record.subject)
    .bind(record.detail)
    .execute(connection)
    .await?;
    Ok(())
}

impl Directory {
    /// Records something that changes nothing else (a document opened, a sign-in).
    pub async fn record(&self, record: AuditRecord<'_>) -> DirectoryResult<()> {
        let mut connection = self.pool.acquire().await?;
        self::record(&mut connection, record).await?;
        Ok(())
    }

    /// Records that `account` opened a document in `role` (`via`: a page, a session, a token),
    /// under the document's organisation, in one statement.
    pub async fn record_opened(
        &self,
        account: &Account,
        document: DocumentId,
        role: DocRole,
        via: &str,
    ) -> DirectoryResult<()> {
        sqlx::query(
            "insert into audit_event
                 (at, actor_id, actor_email, organisation_id, document_id, action, subject, detail)
             values ($1, $2, $3, (select organisation_id from document_info where document_id = $4),
                     $5, 'document.opened', $6, $7)",
        )
        .bind(super::now_ms())
        .bind(account.account_id)
        .bind(&account.email)
        .bind(document.to_string())
        .bind(document.to_string())
        .bind(format!("account:{}", account.account_id))
        .bind(format!("{role} via {via}"))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The organisation's most recent events, newest first.
    pub async fn audit_events(
        &self,
        organisation: OrganisationId,
        limit: i64,
    ) -> DirectoryResult<Vec<AuditEvent>> {
        Ok(sqlx::query_as(
            "select event_id, at, actor_id, actor_email, organisation_id, document_id, action,
                    subject, detail
             from audit_event where organisation_id = $1 order by event_id desc limit $2",
        )
        .bind(organisation)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
