//! Tokens: Cognito-shaped ID and access tokens signed RS256 with the pool's key, refresh
//! tokens (stored only as SHA-256 digests, revocable), and the JWKS that verifies them.

use super::accounts::{Account, find_by_sub};
use super::{LocalIdentity, sha256_hex, unavailable};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clearview_core::ports::identity::{IdentityError, Tokens};
use rand::RngCore;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

/// The account and its original sign-in time for a refresh token that is known, unrevoked and
/// unexpired at `now`.
pub(super) fn find_refresh_token(conn: &Connection, hash: &str, now: i64) -> Result<(Account, i64), IdentityError> {
    let row: Option<(String, i64, i64, Option<i64>)> = conn
        .query_row(
            "SELECT sub, auth_time, expires_at, revoked_at FROM idp_refresh_tokens WHERE token_hash = ?1",
            params![hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(unavailable)?;
    let Some((sub, auth_time, expires_at, revoked_at)) = row else {
        return Err(IdentityError::NotAuthorized("Invalid Refresh Token".into()));
    };
    if revoked_at.is_some() {
        return Err(IdentityError::NotAuthorized("Refresh Token has been revoked".into()));
    }
    if now > expires_at {
        return Err(IdentityError::NotAuthorized("Refresh Token has expired".into()));
    }
    let account =
        find_by_sub(conn, &sub)?.ok_or_else(|| IdentityError::NotAuthorized("Invalid Refresh Token".into()))?;
    Ok((account, auth_time))
}

pub(super) fn revoke_all(conn: &Connection, sub: &str, now: i64) -> Result<(), IdentityError> {
    conn.execute(
        "UPDATE idp_refresh_tokens SET revoked_at = ?2 WHERE sub = ?1 AND revoked_at IS NULL",
        params![sub, now],
    )
    .map_err(unavailable)?;
    Ok(())
}

impl LocalIdentity {
    /// The JWKS document that verifies this issuer's tokens.
    pub fn jwks(&self) -> Value {
        self.key.jwks()
    }

    /// A verifier for this issuer's tokens.
    pub fn verifier(&self) -> Result<crate::verify::JwtVerifier, crate::verify::VerifyError> {
        crate::verify::JwtVerifier::new(&self.jwks(), self.issuer(), self.client_id())
    }

    fn sign(&self, claims: &Map<String, Value>) -> Result<String, IdentityError> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some(self.key.kid().to_owned());
        header.typ = None; // Cognito's header carries only kid and alg.
        jsonwebtoken::encode(&header, claims, self.key.encoding_key())
            .map_err(|e| IdentityError::Invalid(e.to_string()))
    }

    /// Cognito-shaped ID and access tokens, and a refresh token when `refresh` (a login).
    pub(super) async fn issue(
        &self,
        account: &Account,
        auth_time: i64,
        refresh: bool,
    ) -> Result<Tokens, IdentityError> {
        let now = self.now();
        let exp = now + self.config.token_ttl.whole_seconds();
        let groups = json!(account.groups);
        let mut id = Map::new();
        id.insert("sub".into(), json!(account.sub));
        id.insert("email".into(), json!(account.email));
        id.insert("email_verified".into(), json!(true));
        id.insert("cognito:groups".into(), groups.clone());
        let (username, identities) = self.federation_of(&account.sub).await?;
        id.insert("cognito:username".into(), json!(username));
        if let Some(identities) = identities {
            // Cognito's claim of a federated user: the providers they signed in with.
            id.insert("identities".into(), identities);
        }
        if let Some(org) = &account.org_id {
            id.insert("custom:org_id".into(), json!(org));
        }
        id.insert("token_use".into(), json!("id"));
        id.insert("aud".into(), json!(self.config.client_id));
        id.insert("iss".into(), json!(self.config.issuer));
        id.insert("auth_time".into(), json!(auth_time));
        id.insert("iat".into(), json!(now));
        id.insert("exp".into(), json!(exp));
        id.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));

        let mut access = Map::new();
        access.insert("sub".into(), json!(account.sub));
        access.insert("cognito:groups".into(), groups);
        access.insert("token_use".into(), json!("access"));
        access.insert("client_id".into(), json!(self.config.client_id));
        access.insert("scope".into(), json!("aws.cognito.signin.user.admin"));
        access.insert("username".into(), json!(username));
        access.insert("iss".into(), json!(self.config.issuer));
        access.insert("auth_time".into(), json!(auth_time));
        access.insert("iat".into(), json!(now));
        access.insert("exp".into(), json!(exp));
        access.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));

        let refresh_token = if refresh {
            let mut bytes = [0u8; 48];
            OsRng.fill_bytes(&mut bytes);
            let token = URL_SAFE_NO_PAD.encode(bytes);
            let (hash, sub, expires) =
                (sha256_hex(&token), account.sub.clone(), now + self.config.refresh_ttl.whole_seconds());
            self.db(move |c| {
                c.execute(
                    "INSERT INTO idp_refresh_tokens (token_hash, sub, auth_time, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![hash, sub, auth_time, expires],
                )
                .map_err(unavailable)?;
                Ok(())
            })
            .await?;
            Some(token)
        } else {
            None
        };
        Ok(Tokens {
            id_token: self.sign(&id)?,
            access_token: self.sign(&access)?,
            refresh_token,
            expires_in: u64::try_from(self.config.token_ttl.whole_seconds()).unwrap_or(3600),
            token_type: "Bearer".into(),
        })
    }
}
