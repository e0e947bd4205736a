//! Login sessions. Signing in always makes a new session with a new id, so an id planted
//! before sign-in (session fixation) never becomes a signed-in one.

use std::time::Duration;

use super::{
    hash_secret, new_secret, now_ms, AccessChange, Account, AccountId, Directory, DirectoryResult,
};

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(14 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    /// The stored hash: what identifies the session without the cookie's value.
    pub session_hash: Vec<u8>,
    pub expires_at: i64,
}

impl Directory {
    /// Starts a session; returns the cookie value, which is not stored anywhere.
    pub async fn create_session(&self, account: AccountId) -> DirectoryResult<String> {
        let (secret, hash) = new_secret("s_");
        let now = now_ms();
        sqlx::query(
            "insert into login_session (session_hash, account_id, created_at, expires_at)
             values ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(account)
        .bind(now)
        .bind(now + SESSION_LIFETIME.as_millis() as i64)
        .execute(&self.pool)
        .await?;
        // Expired sessions of anyone are swept now and then, here, where sessions grow.
        sqlx::query("delete from login_session where expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(secret)
    }

    /// The live session a cookie value names, if any.
    pub async fn session(&self, cookie_value: &str) -> DirectoryResult<Option<Session>> {
        let hash = hash_secret(cookie_value);
        self.session_by_hash(&hash).await
    }

    pub async fn session_by_hash(&self, hash: &[u8]) -> DirectoryResult<Option<Session>> {
        let row: Option<(AccountId, i64)> = sqlx::query_as(
            "select account_id, expires_at from login_session
             where session_hash = $1 and expires_at > $2",
        )
        .bind(hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        let Some((account_id, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Session {
            account: self.account(account_id).await?,
            session_hash: hash.to_vec(),
            expires_at,
        }))
    }

    /// Ends one session (sign-out); open connections made with it close.
    pub async fn end_session(&self, session_hash: &[u8]) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let account: Option<AccountId> = sqlx::query_scalar(
            "delete from login_session where session_hash = $1 returning account_id",
        )
        .bind(session_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let changes: Vec<AccessChange> = account.map(AccessChange::Account).into_iter().collect();
        self.commit_and_announce(tx, &changes).await
    }
}
