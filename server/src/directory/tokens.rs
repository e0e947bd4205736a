//! API tokens for the CLI client and scripts. The token is shown once at creation; the
//! database keeps its hash, its name and when it was last used.

use super::{
    hash_secret, new_secret, now_ms, AccessChange, Account, AccountId, Directory, DirectoryError,
    DirectoryResult, TokenId,
};

/// Every token starts with this, so secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "agora_";

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct ApiToken {
    pub token_id: TokenId,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// `last_used_at` is written at most this often per token, so busy scripts do not turn every
/// request into a write.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

impl Directory {
    /// Creates a token; returns it in clear, the only time it exists outside its holder.
    pub async fn create_token(
        &self,
        account: AccountId,
        name: &str,
    ) -> DirectoryResult<(TokenId, String)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DirectoryError::Invalid("invalid-token-name"));
        }
        let (secret, hash) = new_secret(TOKEN_PREFIX);
        let id: TokenId = sqlx::query_scalar(
            "insert into api_token (account_id, name, token_hash, created_at)
             values ($1, $2, $3, $4) returning token_id",
        )
        .bind(account)
        .bind(name)
        .bind(hash)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await?;
        Ok((id, secret))
    }

    /// The account a live token belongs to.
    pub async fn token_account(&self, token: &str) -> DirectoryResult<Option<(TokenId, Account)>> {
        let hash = hash_secret(token);
        let row: Option<(TokenId, AccountId, Option<i64>)> = sqlx::query_as(
            "select token_id, account_id, last_used_at from api_token
             where token_hash = $1 and revoked_at is null",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((token_id, account_id, last_used)) = row else {
            return Ok(None);
        };
        let now = now_ms();
        if last_used.is_none_or(|at| now - at > LAST_USED_RESOLUTION_MS) {
            sqlx::query("update api_token set last_used_at = $1 where token_id = $2")
                .bind(now)
                .bind(token_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((token_id, self.account(account_id).await?)))
    }

    /// Whether a token is still live (for open connections re-checking their credential).
    pub async fn token_is_live(&self, token: TokenId) -> DirectoryResult<bool> {
        let live: Option<i64> = sqlx::query_scalar(
            "select 1 from api_token where token_id = $1 and revoked_at is null",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        Ok(live.is_some())
    }

    pub async fn tokens(&self, account: AccountId) -> DirectoryResult<Vec<ApiToken>> {
        Ok(sqlx::query_as(
            "select token_id, name, created_at, last_used_at, revoked_at from api_token
             where account_id = $1 order by revoked_at is not null, created_at desc",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Revokes one of the account's own tokens; connections made with it close.
    pub async fn revoke_token(&self, account: AccountId, token: TokenId) -> DirectoryResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "update api_token set revoked_at = $1
             where token_id = $2 and account_id = $3 and revoked_at is null",
        )
        .bind(now_ms())
        .bind(token)
        .bind(account)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(DirectoryError::NotFound);
        }
        self.commit_and_announce(tx, &[AccessChange::Account(account)])
            .await
    }
}
