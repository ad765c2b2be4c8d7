//! The managed-login half of the local user pool: what Cognito's hosted UI does behind
//! `/oauth2/authorize` and `/oauth2/token` — one-time authorization codes bound to the client,
//! the redirect URI and a PKCE challenge (RFC 7636, S256 only, as Cognito), and federated
//! accounts for social providers (Google, Facebook, Sign in with Apple).
//!
//! A federated account is keyed by (provider, the provider's user id) and gets Cognito's
//! username shape `<Provider>_<id>`. When a native account already has the email, the provider
//! is linked to it (Cognito's `AdminLinkProviderForUser`): one person, one `sub`, their groups.
//! A new federated account has no group until the person chooses their roles
//! (`POST /api/auth/federated/register`).

use super::accounts::{Account, AccountStatus, find, find_by_sub};
use super::{LocalIdentity, sha256_hex, unavailable};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearview_core::ports::identity::{IdentityError, Tokens};
use rand::RngCore;
use rand::rngs::OsRng;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS idp_auth_codes (
    code_hash TEXT PRIMARY KEY,
    sub TEXT NOT NULL REFERENCES idp_users(sub) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE TABLE IF NOT EXISTS idp_federated (
    provider TEXT NOT NULL,
    provider_user_id TEXT NOT NULL,
    sub TEXT NOT NULL REFERENCES idp_users(sub) ON DELETE CASCADE,
    username TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (provider, provider_user_id)
);
CREATE INDEX IF NOT EXISTS idp_federated_sub ON idp_federated (sub);
CREATE TABLE IF NOT EXISTS idp_providers (
    name TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    protocol TEXT NOT NULL,
    details TEXT NOT NULL,
    domains TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
";

/// An organisation's provider as the stand-in offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgProvider {
    pub name: String,
    pub org_id: String,
    pub protocol: String,
    pub domains: Vec<String>,
}

/// Cognito's authorization codes live five minutes.
pub const AUTH_CODE_TTL_SECONDS: i64 = 300;

/// Password hash of a federated account: never a valid PHC string, so no password signs in.
const NO_PASSWORD: &str = "!federated";

/// The social providers the stand-in offers, by Cognito's provider names.
pub const SOCIAL_PROVIDERS: [&str; 3] = ["Google", "Facebook", "SignInWithApple"];

/// What an authorization code was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// BASE64URL(SHA-256(code_verifier)), no padding.
    pub code_challenge: String,
    pub scope: String,
}

/// A token-endpoint refusal, in RFC 6749 §5.2's terms (`error` of the JSON answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Unknown, used, expired code; wrong verifier, client or redirect URI.
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// What a federated sign-in resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedAccount {
    pub sub: String,
    /// `<Provider>_<provider user id>`, Cognito's username of a federated user.
    pub username: String,
    /// A new account (no roles yet: the person chooses them next).
    pub created: bool,
    /// Linked to a native account that already had the email.
    pub linked: bool,
}

/// BASE64URL(SHA-256(verifier)): the S256 code challenge of a PKCE verifier.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
pub fn is_valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A challenge is what S256 produces: 43 base64url characters.
pub fn is_valid_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl LocalIdentity {
    /// Checks a password the way `login` does and answers the account's subject, for the
    /// hosted UI's sign-in form. The refusals are `login`'s.
    pub async fn authenticate(
        &self,
        email: &clearview_core::values::Email,
        password: &str,
    ) -> Result<String, IdentityError> {
        let account = self.account(email).await?;
        if !self.password_matches(account.as_ref(), password).await? {
            return Err(IdentityError::NotAuthorized(super::INCORRECT.into()));
        }
        let Some(account) = account else {
            return Err(IdentityError::NotAuthorized(super::INCORRECT.into()));
        };
        if !account.enabled {
            return Err(IdentityError::NotAuthorized("User is disabled.".into()));
        }
        match account.status {
            AccountStatus::Confirmed => Ok(account.sub),
            AccountStatus::Unconfirmed => Err(IdentityError::UserNotConfirmed),
            AccountStatus::ForceChangePassword => Err(IdentityError::NewPasswordRequired),
        }
    }

    /// The account a social provider's user signs in to: theirs if they came before, the native
    /// account with the same (provider-verified) email linked, or a new federated account.
    pub async fn federated_sign_in(
        &self,
        provider: &str,
        provider_user_id: &str,
        email: &clearview_core::values::Email,
    ) -> Result<FederatedAccount, IdentityError> {
        // An organisation's provider vouches only for its own domains, and links only an
        // account of the same organisation; a social provider links any account of the email.
        let org = if SOCIAL_PROVIDERS.contains(&provider) {
            None
        } else {
            let Some(p) = self.org_provider(provider).await? else {
                return Err(IdentityError::Invalid(format!("unknown identity provider {provider}")));
            };
            let domain = email.as_str().rsplit('@').next().unwrap_or_default().to_lowercase();
            if !p.domains.contains(&domain) {
                return Err(IdentityError::NotAuthorized(format!(
                    "{provider} signs in addresses at {} only",
                    p.domains.join(", ")
                )));
            }
            Some(p.org_id)
        };
        let (provider, id, email) = (provider.to_owned(), provider_user_id.to_owned(), email.as_str().to_owned());
        let now = self.now();
        self.db(move |c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
            let known: Option<(String, String)> = tx
                .query_row(
                    "SELECT sub, username FROM idp_federated WHERE provider = ?1 AND provider_user_id = ?2",
                    params![provider, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(unavailable)?;
            if let Some((sub, username)) = known {
                let account = find_by_sub(&tx, &sub)?.ok_or(IdentityError::UserNotFound)?;
                if !account.enabled {
                    return Err(IdentityError::NotAuthorized("User is disabled.".into()));
                }
                return Ok(FederatedAccount { sub, username, created: false, linked: false });
            }
            let username = format!("{provider}_{id}");
            let (sub, created, linked) = match find(&tx, &email)? {
                Some(native) => {
                    if org.as_ref().is_some_and(|o| native.org_id.as_ref() != Some(o)) {
                        return Err(IdentityError::NotAuthorized(
                            "an account with this email exists outside the provider's organisation".into(),
                        ));
                    }
                    if !native.enabled {
                        return Err(IdentityError::NotAuthorized("User is disabled.".into()));
                    }
                    // The provider vouches for the email: an unconfirmed sign-up is confirmed by it.
                    tx.execute(
                        "UPDATE idp_users SET status = 'CONFIRMED', updated_at = ?2 WHERE sub = ?1 AND status = 'UNCONFIRMED'",
                        params![native.sub, now],
                    )
                    .map_err(unavailable)?;
                    (native.sub, false, true)
                }
                None => {
                    let sub = uuid::Uuid::new_v4().to_string();
                    tx.execute(
                        "INSERT INTO idp_users (sub, email, password_hash, status, enabled, org_id, groups, temp_expires_at, created_at, updated_at)
                         VALUES (?1, ?2, ?3, 'CONFIRMED', 1, NULL, '[]', NULL, ?4, ?4)",
                        params![sub, email, NO_PASSWORD, now],
                    )
                    .map_err(unavailable)?;
                    (sub, true, false)
                }
            };
            tx.execute(
                "INSERT INTO idp_federated (provider, provider_user_id, sub, username, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![provider, id, sub, username, now],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(FederatedAccount { sub, username, created, linked })
        })
        .await
    }

    /// An organisation's provider by name.
    pub async fn org_provider(&self, name: &str) -> Result<Option<OrgProvider>, IdentityError> {
        let name = name.to_owned();
        self.db(move |c| {
            c.query_row(
                "SELECT name, org_id, protocol, domains FROM idp_providers WHERE name = ?1",
                params![name],
                |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
                },
            )
            .optional()
            .map_err(unavailable)?
            .map(|(name, org_id, protocol, domains)| {
                let domains = serde_json::from_str(&domains).map_err(unavailable)?;
                Ok(OrgProvider { name, org_id, protocol, domains })
            })
            .transpose()
        })
        .await
    }

    /// The organisation provider an email domain routes to (`idp_identifier`).
    pub async fn org_provider_for_domain(&self, domain: &str) -> Result<Option<OrgProvider>, IdentityError> {
        let domain = domain.to_lowercase();
        let names: Vec<String> = self
            .db(move |c| {
                let mut st =
                    c.prepare_cached("SELECT name, domains FROM idp_providers ORDER BY name").map_err(unavailable)?;
                let rows = st
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .map_err(unavailable)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(unavailable)?;
                Ok(rows
                    .into_iter()
                    .filter(|(_, d)| serde_json::from_str::<Vec<String>>(d).is_ok_and(|d| d.contains(&domain)))
                    .map(|(n, _)| n)
                    .collect())
            })
            .await?;
        match names.first() {
            Some(n) => self.org_provider(n).await,
            None => Ok(None),
        }
    }

    pub(super) async fn put_provider(
        &self,
        p: &clearview_core::ports::identity::OrgIdentityProvider,
    ) -> Result<(), IdentityError> {
        let protocol = match p.protocol {
            clearview_core::ports::identity::SsoProtocol::Saml => "SAML",
            clearview_core::ports::identity::SsoProtocol::Oidc => "OIDC",
        };
        let (name, org, details, domains, now) = (
            p.name.clone(),
            p.org_id.as_str().to_owned(),
            serde_json::to_string(&p.details).map_err(unavailable)?,
            serde_json::to_string(&p.domains).map_err(unavailable)?,
            self.now(),
        );
        self.db(move |c| {
            c.execute(
                "INSERT INTO idp_providers (name, org_id, protocol, details, domains, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(name) DO UPDATE SET org_id = ?2, protocol = ?3, details = ?4, domains = ?5, updated_at = ?6",
                params![name, org, protocol, details, domains, now],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    pub(super) async fn delete_provider(&self, name: &str) -> Result<(), IdentityError> {
        let name = name.to_owned();
        self.db(move |c| {
            c.execute("DELETE FROM idp_providers WHERE name = ?1", params![name]).map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    /// Cognito's username and `identities` claim of `sub`, in one read: `<Provider>_<id>` for an
    /// account made by a social sign-in (else the sub), and the providers it signed in with
    /// (`None` for a native-only account).
    pub(super) async fn federation_of(&self, sub: &str) -> Result<(String, Option<serde_json::Value>), IdentityError> {
        let owned = sub.to_owned();
        let rows: Vec<(String, String, i64, String, bool)> = self
            .db(move |c| {
                let mut st = c
                    .prepare_cached(
                        "SELECT f.provider, f.provider_user_id, f.created_at, f.username, u.password_hash = ?2
                         FROM idp_federated f JOIN idp_users u ON u.sub = f.sub
                         WHERE f.sub = ?1 ORDER BY f.created_at",
                    )
                    .map_err(unavailable)?;
                let rows = st
                    .query_map(params![owned, NO_PASSWORD], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .map_err(unavailable)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(unavailable)?;
                Ok(rows)
            })
            .await?;
        let username = match rows.first() {
            Some((_, _, _, username, true)) => username.clone(),
            _ => sub.to_owned(),
        };
        if rows.is_empty() {
            return Ok((username, None));
        }
        let list: Vec<serde_json::Value> = rows
            .iter()
            .enumerate()
            .map(|(i, (provider, id, at, _, _))| {
                serde_json::json!({
                    "userId": id,
                    "providerName": provider,
                    "providerType": provider,
                    "issuer": null,
                    "primary": if i == 0 { "true" } else { "false" },
                    "dateCreated": (at * 1000).to_string(),
                })
            })
            .collect();
        Ok((username, Some(serde_json::Value::Array(list))))
    }

    /// Issues a one-time authorization code for `sub`, bound to the client, the redirect URI
    /// and the PKCE challenge; it lives [`AUTH_CODE_TTL_SECONDS`].
    pub async fn issue_code(&self, sub: &str, request: CodeRequest) -> Result<String, IdentityError> {
        let code = random_token();
        let (hash, sub, expires) = (sha256_hex(&code), sub.to_owned(), self.now() + AUTH_CODE_TTL_SECONDS);
        self.db(move |c| {
            c.execute(
                "INSERT INTO idp_auth_codes (code_hash, sub, client_id, redirect_uri, code_challenge, scope, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![hash, sub, request.client_id, request.redirect_uri, request.code_challenge, request.scope, expires],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await?;
        Ok(code)
    }

    /// The token endpoint's `authorization_code` grant: the code is used once (a second
    /// redemption fails, as RFC 6749 §4.1.2 asks), within its lifetime, by the client and
    /// redirect URI it was issued to, with the verifier whose S256 is its challenge.
    pub async fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
    ) -> Result<Tokens, GrantError> {
        if !is_valid_verifier(code_verifier) {
            return Err(GrantError::InvalidGrant("code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~"));
        }
        let hash = sha256_hex(code);
        let now = self.now();
        let (client_id, redirect_uri, challenge) =
            (client_id.to_owned(), redirect_uri.to_owned(), s256_challenge(code_verifier));
        let account: Result<Account, GrantError> = self
            .db(move |c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(unavailable)?;
                let row: Option<(String, String, String, String, i64, Option<i64>)> = tx
                    .query_row(
                        "SELECT sub, client_id, redirect_uri, code_challenge, expires_at, used_at FROM idp_auth_codes WHERE code_hash = ?1",
                        params![hash],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                let Some((sub, cid, uri, stored_challenge, expires_at, used_at)) = row else {
                    return Ok(Err(GrantError::InvalidGrant("unknown authorization code")));
                };
                // Whatever happens next, the code is spent: a guessed verifier does not get a
                // second try, and a replayed code finds it used.
                tx.execute("UPDATE idp_auth_codes SET used_at = ?2 WHERE code_hash = ?1", params![hash, now])
                    .map_err(unavailable)?;
                tx.commit().map_err(unavailable)?;
                let verdict = if used_at.is_some() {
                    Err(GrantError::InvalidGrant("the authorization code was used already"))
                } else if now > expires_at {
                    Err(GrantError::InvalidGrant("the authorization code expired"))
                } else if cid != client_id {
                    Err(GrantError::InvalidGrant("the code was issued to another client"))
                } else if uri != redirect_uri {
                    Err(GrantError::InvalidGrant("redirect_uri differs from the authorization request's"))
                } else if stored_challenge != challenge {
                    Err(GrantError::InvalidGrant("code_verifier does not match the code_challenge"))
                } else {
                    match find_by_sub(c, &sub)? {
                        Some(a) if a.enabled => Ok(a),
                        _ => Err(GrantError::InvalidGrant("the account is gone or disabled")),
                    }
                };
                Ok(verdict)
            })
            .await
            .map_err(|e| GrantError::Unavailable(e.to_string()))?;
        let account = account?;
        self.issue(&account, now, true).await.map_err(|e| GrantError::Unavailable(e.to_string()))
    }

    /// The subject behind an access token's `sub`, with the claims `/oauth2/userInfo` answers.
    pub async fn user_info(&self, sub: &str) -> Result<Option<serde_json::Value>, IdentityError> {
        let owned = sub.to_owned();
        let Some(account) = self.db(move |c| find_by_sub(c, &owned)).await? else {
            return Ok(None);
        };
        let (username, identities) = self.federation_of(&account.sub).await?;
        let mut info = serde_json::json!({
            "sub": account.sub,
            "email": account.email,
            "email_verified": "true",
            "username": username,
        });
        if let Some(ids) = identities {
            info["identities"] = serde_json::Value::String(ids.to_string());
        }
        Ok(Some(info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_gives_its_challenge() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_valid_verifier(verifier));
        assert_eq!(s256_challenge(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(is_valid_challenge(&s256_challenge(verifier)));
    }

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    async fn signed_up(f: &crate::LocalFamily) -> String {
        use clearview_core::ports::identity::{IdentityProvider, NewAccount};
        let email = clearview_core::values::Email::parse("e", "code@example.com").unwrap();
        let password = clearview_core::values::Password::parse("p", "Local!Pass1").unwrap();
        let role = clearview_core::rbac::Role::Candidate;
        f.identity.sign_up(NewAccount { email: email.clone(), password, org_id: None, role }).await.unwrap();
        let code = f.outbox.find_code(email.as_str()).unwrap();
        f.identity.confirm_sign_up(&email, &code).await.unwrap();
        f.identity.authenticate(&email, "Local!Pass1").await.unwrap()
    }

    fn request(f: &crate::LocalFamily) -> CodeRequest {
        CodeRequest {
            client_id: f.identity.client_id().to_owned(),
            redirect_uri: "http://localhost:5173/auth/callback".into(),
            code_challenge: s256_challenge(VERIFIER),
            scope: "openid email".into(),
        }
    }

    #[tokio::test]
    async fn a_code_expires_after_five_minutes_and_answers_only_its_client_and_redirect() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(clearview_core::ports::clock::FixedClock::at(time::OffsetDateTime::now_utc()));
        let f = crate::LocalFamily::in_memory_for_tests_with_clock(dir.path(), clock.clone()).unwrap();
        let sub = signed_up(&f).await;
        let (cid, uri) = (f.identity.client_id().to_owned(), "http://localhost:5173/auth/callback");

        let late = f.identity.issue_code(&sub, request(&f)).await.unwrap();
        clock.advance(time::Duration::seconds(AUTH_CODE_TTL_SECONDS + 1));
        let err = f.identity.redeem_code(&late, &cid, uri, VERIFIER).await.unwrap_err();
        assert_eq!(err, GrantError::InvalidGrant("the authorization code expired"));

        let other_client = f.identity.issue_code(&sub, request(&f)).await.unwrap();
        let err = f.identity.redeem_code(&other_client, "another-client", uri, VERIFIER).await.unwrap_err();
        assert_eq!(err, GrantError::InvalidGrant("the code was issued to another client"));

        let other_uri = f.identity.issue_code(&sub, request(&f)).await.unwrap();
        let err = f.identity.redeem_code(&other_uri, &cid, "clearview://auth/callback", VERIFIER).await.unwrap_err();
        assert_eq!(err, GrantError::InvalidGrant("redirect_uri differs from the authorization request's"));

        let good = f.identity.issue_code(&sub, request(&f)).await.unwrap();
        clock.advance(time::Duration::seconds(AUTH_CODE_TTL_SECONDS - 1));
        let tokens = f.identity.redeem_code(&good, &cid, uri, VERIFIER).await.unwrap();
        let claims = f.verifier.verify_at(&tokens.id_token, f.clock.now()).unwrap();
        assert_eq!(claims["sub"], sub.as_str());
    }

    #[tokio::test]
    async fn a_disabled_account_cannot_sign_in_with_its_provider() {
        use clearview_core::ports::identity::IdentityProvider;
        let dir = tempfile::tempdir().unwrap();
        let f = crate::LocalFamily::in_memory_for_tests(dir.path()).unwrap();
        let email = clearview_core::values::Email::parse("e", "gone@gmail.example").unwrap();
        let first = f.identity.federated_sign_in("Google", "1234", &email).await.unwrap();
        assert!(first.created && !first.linked && first.username == "Google_1234");
        let again = f.identity.federated_sign_in("Google", "1234", &email).await.unwrap();
        assert_eq!((again.sub, again.created), (first.sub, false));
        f.identity.disable(&email).await.unwrap();
        assert!(f.identity.federated_sign_in("Google", "1234", &email).await.is_err());
        assert!(f.identity.federated_sign_in("Myspace", "1", &email).await.is_err());
    }

    #[test]
    fn short_or_odd_verifiers_are_refused() {
        assert!(!is_valid_verifier("short"));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(!is_valid_challenge("not a challenge"));
    }
}
