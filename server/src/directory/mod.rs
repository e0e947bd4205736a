//! People, organisations and access: the relational side of Agora.
//!
//! Layout:
//! - `ids`, `roles`: typed ids and the role enums every permission decision matches on.
//! - `accounts`: accounts and passwords (Argon2id).
//! - `sessions`, `tokens`: login sessions and API tokens, stored as hashes.
//! - `organisations`: organisations, memberships, teams.
//! - `documents`: owning organisation, grants, and the effective role of an account.
//! - `invitations`: single-use, expiring links into an organisation or onto a document.
//! - `audit`: the append-only record of who granted, changed or used which permission.
//! - `changes`: notices to open connections that access has changed, on every instance.

mod accounts;
mod audit;
mod changes;
mod documents;
mod ids;
mod invitations;
mod organisations;
mod roles;
mod sessions;
mod tokens;

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Any, AnyPool, Transaction};
use tokio::sync::broadcast;

pub use accounts::{normalise_email, Account, NewAccount};
pub use audit::{AuditEvent, AuditRecord};
pub use changes::{AccessChange, ACCESS_CHANNEL};

use crate::database::{Backend, Database};
pub use documents::{
    DocumentGrant, DocumentInfo, DocumentPeople, GrantSubject, ListedDocument, NewDocument,
};
pub use ids::{AccountId, OrganisationId, TeamId, TokenId};
pub use invitations::{Invitation, InvitationKind, NewInvitation, INVITATION_LIFETIME};
pub use organisations::{Member, Organisation, Team};
pub use roles::{DocRole, OrgRole};
pub use sessions::{Session, SESSION_LIFETIME};
pub use tokens::ApiToken;

/// The directory's handle: the database, and the channel that tells open connections about
/// access changes. Cheap to clone.
#[derive(Clone)]
pub struct Directory {
    pool: AnyPool,
    backend: Backend,
    changes: broadcast::Sender<AccessChange>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A request that breaks a rule the user can fix (shown to them as it is).
    #[error("{0}")]
    Invalid(&'static str),
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
}

pub type DirectoryResult<T> = Result<T, DirectoryError>;

/// How many access changes an open connection may fall behind on before it re-checks all its
/// documents at once.
const CHANGE_BACKLOG: usize = 1024;

impl Directory {
    pub fn new(database: &Database) -> Self {
        let (changes, _) = broadcast::channel(CHANGE_BACKLOG);
        Self {
            pool: database.pool().clone(),
            backend: database.backend(),
            changes,
        }
    }

    /// Access changes from now on, for one open connection.
    pub fn subscribe(&self) -> broadcast::Receiver<AccessChange> {
        self.changes.subscribe()
    }

    /// Tells this instance's open connections (a notice from another instance arrives here).
    pub fn announce_here(&self, change: AccessChange) {
        // Nobody listening is fine: no connection is open.
        let _ = self.changes.send(change);
    }

    /// Commits `tx` and tells open connections of the changes, on this instance and, through
    /// PostgreSQL, on every other: the notices go out in the same transaction, so they reach the
    /// others exactly when the change does.
    async fn commit_and_announce(
        &self,
        mut tx: Transaction<'_, Any>,
        changes: &[AccessChange],
    ) -> DirectoryResult<()> {
        if self.backend == Backend::Postgres {
            for change in changes {
                sqlx::query("select pg_notify($1, $2)")
                    .bind(ACCESS_CHANNEL)
                    .bind(change.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        for change in changes {
            self.announce_here(change.clone());
        }
        Ok(())
    }

    /// A secret of this installation (made on first use, then the same for every instance
    /// that shares the database), e.g. the key of CSRF tokens.
    pub async fn installation_secret(&self, name: &str) -> DirectoryResult<Vec<u8>> {
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let fresh = engine.encode(rand::random::<[u8; 32]>());
        let key = format!("secret:{name}");
        sqlx::query("insert into server_meta (key, value) values ($1, $2) on conflict do nothing")
            .bind(&key)
            .bind(fresh)
            .execute(&self.pool)
            .await?;
        let stored: String = sqlx::query_scalar("select value from server_meta where key = $1")
            .bind(&key)
            .fetch_one(&self.pool)
            .await?;
        engine
            .decode(stored)
            .map_err(|_| DirectoryError::Invalid("damaged-secret"))
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> DirectoryResult<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Maps a unique-constraint violation to `Conflict`, everything else to `Database`.
fn conflict_or(error: sqlx::Error) -> DirectoryError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => DirectoryError::Conflict,
        _ => DirectoryError::Database(error),
    }
}

/// A new random secret (for a cookie, a token or an invitation link) and the hash we store.
fn new_secret(prefix: &str) -> (String, Vec<u8>) {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    let secret = format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_secret(&secret);
    (secret, hash)
}

/// What the database keeps of a secret: its SHA-256.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).to_vec()
}
