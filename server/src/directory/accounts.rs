//! Accounts and their passwords. Hashing runs off the async threads: Argon2id is slow on
//! purpose.

use sqlx::FromRow;

use super::{
    conflict_or, now_ms, AccessChange, AccountId, Directory, DirectoryError, DirectoryResult,
};

/// Passwords shorter than this are refused.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longer input is refused before it reaches the hash function.
const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Account {
    pub account_id: AccountId,
    pub email: String,
    pub display_name: String,
    pub locale: Option<String>,
    #[sqlx(try_from = "i64")]
    pub is_instance_admin: AdminFlag,
}

/// SQLite has no booleans; this reads its 0/1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct AdminFlag(pub bool);

impl From<i64> for AdminFlag {
    fn from(value: i64) -> Self {
        Self(value != 0)
    }
}

pub struct NewAccount<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub is_instance_admin: bool,
}

const ACCOUNT_COLUMNS: &str = "account_id, email, display_name, locale, is_instance_admin";

/// Checks an email address enough to catch typing mistakes; delivery is not our business.
pub fn normalise_email(email: &str) -> DirectoryResult<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(email.to_owned())
    } else {
        Err(DirectoryError::Invalid("invalid-email"))
    }
}

pub fn check_password_rules(password: &str) -> DirectoryResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DirectoryError::Invalid("password-too-short"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(DirectoryError::Invalid("password-too-long"));
    }
    Ok(())
}

async fn hash_password(password: &str) -> DirectoryResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|_| DirectoryError::Invalid("password-hash-failed"))
}

impl Directory {
    pub async fn create_account(&self, new: NewAccount<'_>) -> DirectoryResult<Account> {
        let email = normalise_email(new.email)?;
        let name = new.display_name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DirectoryError::Invalid("invalid-name"));
        }
        check_password_rules(new.password)?;
        let hash = hash_password(new.password).await?;
        let id: AccountId = sqlx::query_scalar(
            "insert into account (email, display_name, password_hash, is_instance_admin, created_at)
             values ($1, $2, $3, $4, $5) returning account_id",
        )
        .bind(&email)
        .bind(name)
        .bind(hash)
        .bind(new.is_instance_admin as i64)
        .bind(now_ms())
        .fetch_one(&self.pool)
        .await
        .map_err(conflict_or)?;
        self.account(id).await
    }

    pub async fn account(&self, id: AccountId) -> DirectoryResult<Account> {
        sqlx::query_as(&format!(
            "select {ACCOUNT_COLUMNS} from account where account_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(DirectoryError::NotFound)
    }

    pub async fn account_by_email(&self, email: &str) -> DirectoryResult<Option<Account>> {
        Ok(sqlx::query_as(&format!(
            "select {ACCOUNT_COLUMNS} from account where lower(email) = lower($1)"
        ))
        .bind(email.trim())
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn account_count(&self) -> DirectoryResult<i64> {
        Ok(sqlx::query_scalar("select count(*) from account")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The account whose email and password these are. Unknown emails cost as much time as
    /// wrong passwords, so the answer's timing does not reveal who has an account.
    pub async fn verify_password(
        &self,
        email: &str,
        password: &str,
    ) -> DirectoryResult<Option<Account>> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Ok(None);
        }
        let row: Option<(AccountId, String)> = sqlx::query_as(
            "select account_id, password_hash from account where lower(email) = lower($1)",
        )
        .bind(email.trim())
        .fetch_optional(&self.pool)
        .await?;
        let (id, hash) = match row {
            Some((id, hash)) => (Some(id), hash),
            None => (None, decoy_hash().await),
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            password_auth::verify_password(password, &hash).is_ok()
        })
        .await
        .unwrap_or(false);
        match (id, matches) {
            (Some(id), true) => Ok(Some(self.account(id).await?)),
            _ => Ok(None),
        }
    }

    /// Sets a new password and ends every session and token of the account but `keep_session`.
    pub async fn change_password(
        &self,
        id: AccountId,
        new_password: &str,
        keep_session: Option<&[u8]>,
    ) -> DirectoryResult<()> {
        check_password_rules(new_password)?;
        let hash = hash_password(new_password).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("update account set password_hash = $1 where account_id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "delete from login_session where account_id = $1 and session_hash is distinct from $2",
        )
        .bind(id)
        .bind(keep_session)
        .execute(&mut *tx)
        .await?;
        self.commit_and_announce(tx, &[AccessChange::Account(id)])
            .await?;
        Ok(())
    }

    pub async fn set_locale(&self, id: AccountId, locale: Option<&str>) -> DirectoryResult<()> {
        sqlx::query("update account set locale = $1 where account_id = $2")
            .bind(locale)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A hash of a random password, made once, to verify against when the email is unknown.
async fn decoy_hash() -> String {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                password_auth::generate_hash(rand::random::<u64>().to_string())
            })
            .await
            .unwrap_or_default()
        })
        .await
        .clone()
}
