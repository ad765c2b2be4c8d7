//! `LocalIdentity`: a Cognito-like user pool in SQLite that issues RS256 JWTs of Cognito's claim shape.
//!
//! Accounts, one-time codes and refresh tokens live in their own tables (`idp_*`) in the data
//! dir's database. Passwords are argon2id hashes; codes and refresh tokens are kept only as
//! SHA-256 digests. Codes and temporary passwords travel by mail through the `Mailer` port, so
//! locally they land in the outbox.

mod accounts;
mod codes;
pub mod hosted;
mod passwords;
mod tokens;

pub use accounts::AccountStatus;
use accounts::{Account, find};
use codes::{Purpose, new_code, store_code, use_code};
pub use passwords::TEMPORARY_PASSWORD_LABEL;
use passwords::temporary_password;
use tokens::{find_refresh_token, revoke_all};

use crate::keys::SigningKey;
use crate::store::open_connection;
use clearview_core::ports::clock::Clock;
use clearview_core::ports::identity::{IdentityError, IdentityProvider, NewAccount, Subject, Tokens};
use clearview_core::ports::mail::{Mailer, OutgoingEmail};
use clearview_core::rbac::Role;
use clearview_core::values::{Email, OrgId, Password};
use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use time::Duration;

const INCORRECT: &str = "Incorrect username or password.";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS idp_users (
    sub TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    org_id TEXT,
    groups TEXT NOT NULL,
    temp_expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idp_codes (
    sub TEXT NOT NULL REFERENCES idp_users(sub) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (sub, purpose)
);
CREATE TABLE IF NOT EXISTS idp_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    sub TEXT NOT NULL REFERENCES idp_users(sub) ON DELETE CASCADE,
    auth_time INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS idp_refresh_tokens_sub ON idp_refresh_tokens (sub);
";

/// Lifetimes and names; the defaults are Cognito's.
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// `iss` of every token; the dev server serves the JWKS at `<issuer>/.well-known/jwks.json`.
    pub issuer: String,
    /// The app client id: `aud` of ID tokens, `client_id` of access tokens.
    pub client_id: String,
    pub token_ttl: Duration,
    pub refresh_ttl: Duration,
    pub sign_up_code_ttl: Duration,
    pub reset_code_ttl: Duration,
    pub temporary_password_ttl: Duration,
    /// Cheap argon2 parameters (tests only: hashes stay verifiable, just weak).
    pub fast_hashing: bool,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            issuer: "http://localhost:3000/local-idp".into(),
            client_id: "clearview-local".into(),
            token_ttl: Duration::hours(1),
            refresh_ttl: Duration::days(30),
            sign_up_code_ttl: Duration::hours(24),
            reset_code_ttl: Duration::hours(1),
            temporary_password_ttl: Duration::days(7),
            fast_hashing: false,
        }
    }
}

/// The local user pool and token issuer.
#[derive(Clone)]
pub struct LocalIdentity {
    conn: Arc<Mutex<Connection>>,
    key: Arc<SigningKey>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    config: Arc<IdentityConfig>,
    dummy_hash: Arc<OnceLock<String>>,
}

impl std::fmt::Debug for LocalIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalIdentity").field("issuer", &self.config.issuer).finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Unavailable(e.to_string())
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl LocalIdentity {
    /// Opens the user pool in this database file (`None`: a private in-memory one).
    pub fn open(
        db: Option<&Path>,
        key: SigningKey,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        config: IdentityConfig,
    ) -> Result<Self, IdentityError> {
        let conn = open_connection(db).map_err(unavailable)?;
        Self::on(Arc::new(Mutex::new(conn)), key, mailer, clock, config)
    }

    /// The user pool on a shared connection (see [`crate::store::SharedConnection`]).
    pub fn on(
        conn: crate::store::SharedConnection,
        key: SigningKey,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        config: IdentityConfig,
    ) -> Result<Self, IdentityError> {
        {
            let c = conn.lock().map_err(|_| unavailable("identity lock poisoned"))?;
            c.execute_batch(SCHEMA).map_err(unavailable)?;
            c.execute_batch(hosted::SCHEMA).map_err(unavailable)?;
        }
        Ok(Self {
            conn,
            key: Arc::new(key),
            mailer,
            clock,
            config: Arc::new(config),
            dummy_hash: Arc::new(OnceLock::new()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    pub fn client_id(&self) -> &str {
        &self.config.client_id
    }

    pub fn config(&self) -> &IdentityConfig {
        &self.config
    }

    /// The account's status and whether it may sign in (`None`: no such account).
    pub async fn status(&self, email: &Email) -> Result<Option<(AccountStatus, bool)>, IdentityError> {
        let email = email.as_str().to_owned();
        self.db(move |c| Ok(find(c, &email)?.map(|a| (a.status, a.enabled)))).await
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Runs `f` on the connection, on the calling task's thread (see [`crate::store::on_connection`]).
    async fn db<T, F>(&self, f: F) -> Result<T, IdentityError>
    where
        F: FnOnce(&mut Connection) -> Result<T, IdentityError>,
    {
        crate::store::on_connection(&self.conn, || unavailable("identity lock poisoned"), f)
    }

    async fn send(&self, to: &str, subject: &str, text: String) -> Result<(), IdentityError> {
        self.mailer
            .send(OutgoingEmail {
                to: to.to_owned(),
                subject: subject.to_owned(),
                text_body: text,
                html_body: None,
                dedupe_key: None,
                calendar: None,
            })
            .await
            .map(|_| ())
            .map_err(|e| IdentityError::Unavailable(format!("could not send mail: {e}")))
    }
}

#[async_trait::async_trait]
impl IdentityProvider for LocalIdentity {
    async fn sign_up(&self, account: NewAccount) -> Result<Subject, IdentityError> {
        let sub = uuid::Uuid::new_v4().to_string();
        let code = new_code();
        let email = account.email.as_str().to_owned();
        let new = Account {
            sub: sub.clone(),
            email: email.clone(),
            password_hash: self.hash(account.password.expose().to_owned()).await?,
            status: AccountStatus::Unconfirmed,
            enabled: true,
            org_id: account.org_id.map(|o| o.as_str().to_owned()),
            groups: vec![account.role.group().to_owned()],
            temp_expires_at: None,
        };
        self.create(new, Some((code.clone(), self.now() + self.config.sign_up_code_ttl.whole_seconds()))).await?;
        let text = format!(
            "Welcome to ClearView.\n\nYour verification code is {code}\n\nIt expires in {} hours. If you did not sign up, ignore this message.\n",
            self.config.sign_up_code_ttl.whole_hours()
        );
        if let Err(e) = self.send(&email, "Your ClearView verification code", text).await {
            // Without the code the account could never be confirmed: undo it so sign-up can be retried.
            self.remove(&sub).await?;
            return Err(e);
        }
        Ok(sub)
    }

    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<(), IdentityError> {
        let email = email.as_str().to_owned();
        let code = code.to_owned();
        let now = self.now();
        self.db(move |c| {
            // Unknown accounts answer like a wrong code: callers must not learn who signed up.
            let account = find(c, &email)?.ok_or(IdentityError::CodeMismatch)?;
            if account.status != AccountStatus::Unconfirmed {
                return Err(IdentityError::NotAuthorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    account.status.as_str()
                )));
            }
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            let used = use_code(&tx, &account.sub, Purpose::SignUp, &code, now);
            if used.is_ok() {
                tx.execute(
                    "UPDATE idp_users SET status = 'CONFIRMED', updated_at = ?2 WHERE sub = ?1",
                    params![account.sub, now],
                )
                .map_err(unavailable)?;
            }
            // Committed either way: a wrong guess must count.
            tx.commit().map_err(unavailable)?;
            used
        })
        .await
    }

    async fn login(&self, email: &Email, password: &str) -> Result<Tokens, IdentityError> {
        let account = self.account(email).await?;
        if !self.password_matches(account.as_ref(), password).await? {
            return Err(IdentityError::NotAuthorized(INCORRECT.into()));
        }
        let Some(account) = account else {
            return Err(IdentityError::NotAuthorized(INCORRECT.into()));
        };
        if !account.enabled {
            return Err(IdentityError::NotAuthorized("User is disabled.".into()));
        }
        match account.status {
            AccountStatus::Unconfirmed => Err(IdentityError::UserNotConfirmed),
            AccountStatus::ForceChangePassword => {
                if account.temp_expires_at.is_some_and(|t| self.now() > t) {
                    Err(IdentityError::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator.".into(),
                    ))
                } else {
                    Err(IdentityError::NewPasswordRequired)
                }
            }
            AccountStatus::Confirmed => self.issue(&account, self.now(), true).await,
        }
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError> {
        let hash = sha256_hex(refresh_token);
        let now = self.now();
        let (account, auth_time) = self.db(move |c| find_refresh_token(c, &hash, now)).await?;
        if !account.enabled {
            return Err(IdentityError::NotAuthorized("User is disabled.".into()));
        }
        if account.status != AccountStatus::Confirmed {
            return Err(IdentityError::NotAuthorized("Invalid Refresh Token".into()));
        }
        self.issue(&account, auth_time, false).await
    }

    async fn logout(&self, email: &Email, _refresh_token: &str) -> Result<(), IdentityError> {
        // Global sign-out, as Cognito's AdminUserGlobalSignOut: every session of the user ends.
        self.update(email, |c, a, now| revoke_all(c, &a.sub, now)).await
    }

    async fn forgot_password(&self, email: &Email) -> Result<(), IdentityError> {
        let Some(account) = self.account(email).await? else {
            return Ok(());
        };
        if !account.enabled || account.status != AccountStatus::Confirmed {
            return Ok(());
        }
        let code = new_code();
        let (sub, stored, expires) =
            (account.sub.clone(), code.clone(), self.now() + self.config.reset_code_ttl.whole_seconds());
        self.db(move |c| store_code(c, &sub, Purpose::Reset, &stored, expires)).await?;
        let text = format!(
            "Someone asked to reset your ClearView password.\n\nYour password reset code is {code}\n\nIt expires in {} minutes. If this was not you, ignore this message.\n",
            self.config.reset_code_ttl.whole_minutes()
        );
        self.send(&account.email, "Your ClearView password reset code", text).await
    }

    async fn reset_password(&self, email: &Email, code: &str, new_password: &Password) -> Result<(), IdentityError> {
        let Some(account) = self.account(email).await? else {
            return Err(IdentityError::CodeMismatch);
        };
        let hash = self.hash(new_password.expose().to_owned()).await?;
        let code = code.to_owned();
        let now = self.now();
        self.db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            let used = use_code(&tx, &account.sub, Purpose::Reset, &code, now);
            if used.is_ok() {
                tx.execute(
                    "UPDATE idp_users SET password_hash = ?2, updated_at = ?3 WHERE sub = ?1",
                    params![account.sub, hash, now],
                )
                .map_err(unavailable)?;
                // A reset password means the old one may be known: end every session.
                revoke_all(&tx, &account.sub, now)?;
            }
            tx.commit().map_err(unavailable)?;
            used
        })
        .await
    }

    async fn invite(&self, email: &Email, org_id: &OrgId, role: Role) -> Result<Subject, IdentityError> {
        let sub = uuid::Uuid::new_v4().to_string();
        let temporary = temporary_password();
        Password::parse("temporary_password", &temporary).map_err(|e| IdentityError::Invalid(e.reason))?;
        let new = Account {
            sub: sub.clone(),
            email: email.as_str().to_owned(),
            password_hash: self.hash(temporary.clone()).await?,
            status: AccountStatus::ForceChangePassword,
            enabled: true,
            org_id: Some(org_id.as_str().to_owned()),
            groups: vec![role.group().to_owned()],
            temp_expires_at: Some(self.now() + self.config.temporary_password_ttl.whole_seconds()),
        };
        self.create(new, None).await?;
        let text = format!(
            "You have been invited to ClearView.\n\nSign in as: {email}\n{TEMPORARY_PASSWORD_LABEL} {temporary}\n\nYou will choose your own password when you first sign in. The temporary password expires in {} days.\n",
            self.config.temporary_password_ttl.whole_days()
        );
        if let Err(e) = self.send(email.as_str(), "You are invited to ClearView", text).await {
            self.remove(&sub).await?;
            return Err(e);
        }
        Ok(sub)
    }

    async fn complete_invite(
        &self,
        email: &Email,
        temporary_password: &str,
        new_password: &Password,
    ) -> Result<Tokens, IdentityError> {
        let account = self.account(email).await?;
        if !self.password_matches(account.as_ref(), temporary_password).await? {
            return Err(IdentityError::NotAuthorized(INCORRECT.into()));
        }
        let Some(mut account) = account else {
            return Err(IdentityError::NotAuthorized(INCORRECT.into()));
        };
        if !account.enabled {
            return Err(IdentityError::NotAuthorized("User is disabled.".into()));
        }
        if account.status != AccountStatus::ForceChangePassword {
            return Err(IdentityError::NotAuthorized("No new password is required; sign in instead.".into()));
        }
        let now = self.now();
        if account.temp_expires_at.is_some_and(|t| now > t) {
            return Err(IdentityError::NotAuthorized(
                "Temporary password has expired and must be reset by an administrator.".into(),
            ));
        }
        let hash = self.hash(new_password.expose().to_owned()).await?;
        let sub = account.sub.clone();
        self.db(move |c| {
            // The status guard makes a concurrent second completion fail instead of winning twice.
            let n = c
                .execute(
                    "UPDATE idp_users SET password_hash = ?2, status = 'CONFIRMED', temp_expires_at = NULL, updated_at = ?3
                     WHERE sub = ?1 AND status = 'FORCE_CHANGE_PASSWORD'",
                    params![sub, hash, now],
                )
                .map_err(unavailable)?;
            if n == 1 { Ok(()) } else { Err(IdentityError::NotAuthorized("Invitation already completed.".into())) }
        })
        .await?;
        account.status = AccountStatus::Confirmed;
        self.issue(&account, now, true).await
    }

    async fn set_role(&self, email: &Email, role: Role) -> Result<(), IdentityError> {
        let groups = serde_json::to_string(&[role.group()]).map_err(unavailable)?;
        self.update(email, move |c, a, now| {
            c.execute("UPDATE idp_users SET groups = ?2, updated_at = ?3 WHERE sub = ?1", params![a.sub, groups, now])
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn add_role(&self, email: &Email, role: Role) -> Result<(), IdentityError> {
        self.update(email, move |c, a, now| {
            let mut groups = a.groups.clone();
            if !groups.iter().any(|g| g == role.group()) {
                groups.push(role.group().to_owned());
            }
            let groups = serde_json::to_string(&groups).map_err(unavailable)?;
            c.execute("UPDATE idp_users SET groups = ?2, updated_at = ?3 WHERE sub = ?1", params![a.sub, groups, now])
                .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn disable(&self, email: &Email) -> Result<(), IdentityError> {
        self.update(email, |c, a, now| {
            c.execute("UPDATE idp_users SET enabled = 0, updated_at = ?2 WHERE sub = ?1", params![a.sub, now])
                .map_err(unavailable)?;
            revoke_all(c, &a.sub, now)
        })
        .await
    }

    async fn delete(&self, email: &Email) -> Result<(), IdentityError> {
        self.update(email, |c, a, _| {
            c.execute("DELETE FROM idp_users WHERE sub = ?1", params![a.sub]).map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn put_org_provider(
        &self,
        provider: &clearview_core::ports::identity::OrgIdentityProvider,
    ) -> Result<(), IdentityError> {
        self.put_provider(provider).await
    }

    async fn delete_org_provider(&self, name: &str) -> Result<(), IdentityError> {
        self.delete_provider(name).await
    }

    async fn join_org(&self, email: &Email, org: &OrgId, role: Role) -> Result<(), IdentityError> {
        let (org, groups) = (org.as_str().to_owned(), serde_json::to_string(&[role.group()]).map_err(unavailable)?);
        self.update(email, move |c, a, now| {
            c.execute(
                "UPDATE idp_users SET org_id = ?2, groups = ?3, updated_at = ?4 WHERE sub = ?1",
                params![a.sub, org, groups, now],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalFamily;
    use clearview_core::ports::clock::FixedClock;

    const PW: &str = "Local!Pass1";

    fn family() -> (LocalFamily, Arc<FixedClock>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::at(time::OffsetDateTime::now_utc()));
        let f = LocalFamily::in_memory_for_tests_with_clock(dir.path(), clock.clone()).unwrap();
        (f, clock, dir)
    }

    fn email(s: &str) -> Email {
        Email::parse("email", s).unwrap()
    }

    async fn confirmed(f: &LocalFamily, e: &Email) {
        let account = NewAccount {
            email: e.clone(),
            password: Password::parse("p", PW).unwrap(),
            org_id: None,
            role: Role::Candidate,
        };
        f.identity.sign_up(account).await.unwrap();
        let code = f.outbox.find_code(e.as_str()).unwrap();
        f.identity.confirm_sign_up(e, &code).await.unwrap();
    }

    #[tokio::test]
    async fn refresh_token_expires_after_thirty_days() {
        let (f, clock, _dir) = family();
        let e = email("r@example.com");
        confirmed(&f, &e).await;
        let rt = f.identity.login(&e, PW).await.unwrap().refresh_token.unwrap();
        clock.advance(Duration::days(29));
        f.identity.refresh(&rt).await.unwrap();
        clock.advance(Duration::days(1) + Duration::seconds(1));
        assert!(matches!(f.identity.refresh(&rt).await, Err(IdentityError::NotAuthorized(_))));
    }

    #[tokio::test]
    async fn reset_code_expires_after_an_hour_and_is_single_use() {
        let (f, clock, _dir) = family();
        let e = email("reset@example.com");
        confirmed(&f, &e).await;
        let new = Password::parse("p", "Newer!Pass2").unwrap();
        f.identity.forgot_password(&e).await.unwrap();
        let code = f.outbox.find_code(e.as_str()).unwrap();
        clock.advance(Duration::minutes(61));
        assert_eq!(f.identity.reset_password(&e, &code, &new).await, Err(IdentityError::CodeExpired));
        f.identity.forgot_password(&e).await.unwrap();
        let code = f.outbox.find_code(e.as_str()).unwrap();
        f.identity.reset_password(&e, &code, &new).await.unwrap();
        assert_eq!(f.identity.reset_password(&e, &code, &new).await, Err(IdentityError::CodeMismatch));
    }

    #[tokio::test]
    async fn reset_ends_every_session() {
        let (f, _clock, _dir) = family();
        let e = email("sessions@example.com");
        confirmed(&f, &e).await;
        let rt = f.identity.login(&e, PW).await.unwrap().refresh_token.unwrap();
        f.identity.forgot_password(&e).await.unwrap();
        let code = f.outbox.find_code(e.as_str()).unwrap();
        f.identity.reset_password(&e, &code, &Password::parse("p", "Newer!Pass2").unwrap()).await.unwrap();
        assert!(matches!(f.identity.refresh(&rt).await, Err(IdentityError::NotAuthorized(_))));
    }

    #[tokio::test]
    async fn five_wrong_codes_lock_the_code() {
        let (f, _clock, _dir) = family();
        let e = email("guess@example.com");
        let account = NewAccount {
            email: e.clone(),
            password: Password::parse("p", PW).unwrap(),
            org_id: None,
            role: Role::Candidate,
        };
        f.identity.sign_up(account).await.unwrap();
        let code = f.outbox.find_code(e.as_str()).unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_eq!(f.identity.confirm_sign_up(&e, wrong).await, Err(IdentityError::CodeMismatch));
        }
        assert!(matches!(f.identity.confirm_sign_up(&e, &code).await, Err(IdentityError::LimitExceeded(_))));
    }

    #[tokio::test]
    async fn temporary_password_expires_after_seven_days() {
        let (f, clock, _dir) = family();
        let e = email("late@example.com");
        f.identity.invite(&e, &OrgId::new(uuid::Uuid::new_v4()), Role::Viewer).await.unwrap();
        let temp = f.outbox.find_temporary_password(e.as_str()).unwrap();
        clock.advance(Duration::days(7) + Duration::seconds(1));
        assert!(matches!(f.identity.login(&e, &temp).await, Err(IdentityError::NotAuthorized(_))));
        let new = Password::parse("p", "Newer!Pass2").unwrap();
        assert!(matches!(f.identity.complete_invite(&e, &temp, &new).await, Err(IdentityError::NotAuthorized(_))));
    }

    #[tokio::test]
    async fn accounts_and_key_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let e = email("durable@example.com");
        let open = || {
            crate::LocalFamily::open_with(
                dir.path(),
                crate::LocalOptions {
                    identity: IdentityConfig { fast_hashing: true, ..IdentityConfig::default() },
                    signing_key: Some(crate::keys::shared_test_key().unwrap()),
                    ..crate::LocalOptions::default()
                },
            )
            .unwrap()
        };
        let rt = {
            let f = open();
            confirmed(&f, &e).await;
            f.identity.login(&e, PW).await.unwrap().refresh_token.unwrap()
        };
        let f = open();
        let t = f.identity.refresh(&rt).await.unwrap();
        let claims = f.verifier.verify(&t.id_token).unwrap();
        assert_eq!(claims["email"], "durable@example.com");
        assert_eq!(f.identity.status(&e).await.unwrap(), Some((AccountStatus::Confirmed, true)));
    }

    #[tokio::test]
    async fn token_header_names_the_key_and_rs256_only() {
        let (f, _clock, _dir) = family();
        let e = email("hdr@example.com");
        confirmed(&f, &e).await;
        let t = f.identity.login(&e, PW).await.unwrap();
        let h = jsonwebtoken::decode_header(&t.id_token).unwrap();
        assert_eq!(h.alg, jsonwebtoken::Algorithm::RS256);
        assert_eq!(h.kid.as_deref(), Some(f.jwks()["keys"][0]["kid"].as_str().unwrap()));
        let access = f.verifier.verify_at(&t.access_token, f.clock.now()).unwrap();
        assert_eq!(access["scope"], "aws.cognito.signin.user.admin");
        assert_eq!(access["username"], access["sub"]);
    }
}
