//! Accounts in the pool's `idp_users` table: their status, lookups by email or subject, and
//! the inserts, updates and deletes the flows run in one transaction.

use super::codes::{Purpose, store_code};
use super::{LocalIdentity, unavailable};
use clearview_core::ports::identity::IdentityError;
use clearview_core::values::Email;
use rusqlite::{Connection, OptionalExtension, params};

/// Cognito's user statuses that matter here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
}

impl AccountStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Unconfirmed => "UNCONFIRMED",
            AccountStatus::Confirmed => "CONFIRMED",
            AccountStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
        }
    }
    fn parse(s: &str) -> Result<Self, IdentityError> {
        match s {
            "UNCONFIRMED" => Ok(AccountStatus::Unconfirmed),
            "CONFIRMED" => Ok(AccountStatus::Confirmed),
            "FORCE_CHANGE_PASSWORD" => Ok(AccountStatus::ForceChangePassword),
            other => Err(IdentityError::Invalid(format!("stored account status {other:?}"))),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Account {
    pub(super) sub: String,
    pub(super) email: String,
    pub(super) password_hash: String,
    pub(super) status: AccountStatus,
    pub(super) enabled: bool,
    pub(super) org_id: Option<String>,
    pub(super) groups: Vec<String>,
    pub(super) temp_expires_at: Option<i64>,
}

fn read_account(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Account, String, String)> {
    let groups: String = row.get(6)?;
    let status: String = row.get(3)?;
    Ok((
        Account {
            sub: row.get(0)?,
            email: row.get(1)?,
            password_hash: row.get(2)?,
            status: AccountStatus::Unconfirmed,
            enabled: row.get::<_, i64>(4)? != 0,
            org_id: row.get(5)?,
            groups: Vec::new(),
            temp_expires_at: row.get(7)?,
        },
        status,
        groups,
    ))
}

pub(super) fn find(conn: &Connection, email: &str) -> Result<Option<Account>, IdentityError> {
    let row = conn
        .query_row(
            "SELECT sub, email, password_hash, status, enabled, org_id, groups, temp_expires_at FROM idp_users WHERE email = ?1",
            params![email],
            read_account,
        )
        .optional()
        .map_err(unavailable)?;
    row.map(|(mut a, status, groups)| {
        a.status = AccountStatus::parse(&status)?;
        a.groups = serde_json::from_str(&groups)
            .map_err(|e| IdentityError::Invalid(format!("stored groups of {}: {e}", a.email)))?;
        Ok(a)
    })
    .transpose()
}

pub(super) fn find_by_sub(conn: &Connection, sub: &str) -> Result<Option<Account>, IdentityError> {
    let email: Option<String> = conn
        .query_row("SELECT email FROM idp_users WHERE sub = ?1", params![sub], |r| r.get(0))
        .optional()
        .map_err(unavailable)?;
    match email {
        Some(e) => find(conn, &e),
        None => Ok(None),
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

impl LocalIdentity {
    pub(super) async fn account(&self, email: &Email) -> Result<Option<Account>, IdentityError> {
        let email = email.as_str().to_owned();
        self.db(move |c| find(c, &email)).await
    }

    /// Inserts a new account and its sign-up code (if any); a taken email is UsernameExists.
    pub(super) async fn create(&self, account: Account, code: Option<(String, i64)>) -> Result<(), IdentityError> {
        let now = self.now();
        self.db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            tx.execute(
                "INSERT INTO idp_users (sub, email, password_hash, status, enabled, org_id, groups, temp_expires_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?8)",
                params![
                    account.sub,
                    account.email,
                    account.password_hash,
                    account.status.as_str(),
                    account.org_id,
                    serde_json::to_string(&account.groups).map_err(unavailable)?,
                    account.temp_expires_at,
                    now
                ],
            )
            .map_err(|e| if is_unique_violation(&e) { IdentityError::UsernameExists } else { unavailable(e) })?;
            if let Some((code, expires_at)) = code {
                store_code(&tx, &account.sub, Purpose::SignUp, &code, expires_at)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    pub(super) async fn remove(&self, sub: &str) -> Result<(), IdentityError> {
        let sub = sub.to_owned();
        self.db(move |c| {
            c.execute("DELETE FROM idp_users WHERE sub = ?1", params![sub]).map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    pub(super) async fn update<F>(&self, email: &Email, f: F) -> Result<(), IdentityError>
    where
        F: FnOnce(&Connection, &Account, i64) -> Result<(), IdentityError> + Send + 'static,
    {
        let email = email.as_str().to_owned();
        let now = self.now();
        self.db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            let account = find(&tx, &email)?.ok_or(IdentityError::UserNotFound)?;
            f(&tx, &account, now)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }
}
