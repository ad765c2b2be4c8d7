//! `JwtVerifier`: checks a Cognito-shaped RS256 token against a JWKS, the way API Gateway's JWT authorizer does.
//!
//! Works for the local issuer and for Cognito (or its emulator) alike: give it the JWKS, the
//! issuer and the app client id. ID tokens must name the client in `aud`, access tokens in
//! `client_id`. The claims come back as a JSON map, ready for `Principal::from_claims`.
//!
//! A token that verified once is remembered (by its SHA-256, with its claims) until its `exp`,
//! so the RSA check runs once per token rather than once per request. Nothing else about a
//! token can change while it lives: its signature, issuer, audience and subject are fixed by
//! its bytes, and `exp` is checked on every hit against the caller's `now`, so a remembered
//! token is refused at exactly the second a fresh verification would refuse it. Revocation is
//! not the verifier's business, with or without the cache (as with API Gateway's JWT
//! authorizer): a global sign-out revokes refresh tokens, and a removed or demoted staff member
//! is refused by the staff-record check every request makes after verification.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the JWKS document is unusable: {0}")]
    BadJwks(String),
    #[error("not a well-formed JWT: {0}")]
    Malformed(String),
    #[error("token is signed with an unknown key or algorithm")]
    UnknownKey,
    #[error("token signature does not verify")]
    BadSignature,
    #[error("token has expired")]
    Expired,
    #[error("token was issued by {0:?}, not by the expected issuer")]
    WrongIssuer(String),
    #[error("token was issued to another client")]
    WrongAudience,
    #[error("token_use must be \"id\" or \"access\", got {0:?}")]
    WrongTokenUse(String),
}

/// How many verified tokens the verifier remembers at most (a few MB of claims at most).
pub const VERIFIED_TOKENS_KEPT: usize = 4096;

/// Tokens that verified, by the SHA-256 of the token: their `exp` and claims.
#[derive(Default)]
struct Verified {
    by_digest: HashMap<[u8; 32], (i64, Map<String, Value>)>,
}

impl Verified {
    /// The remembered claims of a token still unexpired at `now`; an expired entry is dropped.
    fn get(&mut self, digest: &[u8; 32], now: i64) -> Option<Map<String, Value>> {
        match self.by_digest.get(digest) {
            Some((exp, claims)) if now < *exp => Some(claims.clone()),
            Some(_) => {
                self.by_digest.remove(digest);
                None
            }
            None => None,
        }
    }

    /// Remembers a verified token; when full, expired entries go first, and if none has
    /// expired, everything (the next requests verify again: correct, only slower).
    fn put(&mut self, digest: [u8; 32], exp: i64, claims: Map<String, Value>, now: i64) {
        if self.by_digest.len() >= VERIFIED_TOKENS_KEPT {
            self.by_digest.retain(|_, (e, _)| now < *e);
            if self.by_digest.len() >= VERIFIED_TOKENS_KEPT {
                self.by_digest.clear();
            }
        }
        self.by_digest.insert(digest, (exp, claims));
    }
}

/// Verifies tokens of one issuer and app client. Clones share the verified-token cache.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: HashMap<String, DecodingKey>,
    issuer: String,
    client_id: String,
    verified: Arc<Mutex<Verified>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish()
    }
}

impl JwtVerifier {
    /// From a JWKS document (`{"keys": [...]}`); keys other than RSA signing keys are skipped.
    pub fn new(jwks: &Value, issuer: impl Into<String>, client_id: impl Into<String>) -> Result<Self, VerifyError> {
        let list = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| VerifyError::BadJwks("no \"keys\" array".into()))?;
        let mut keys = HashMap::new();
        for k in list {
            let s = |name: &str| k.get(name).and_then(Value::as_str);
            if s("kty") != Some("RSA") || s("use").is_some_and(|u| u != "sig") {
                continue;
            }
            let (Some(kid), Some(n), Some(e)) = (s("kid"), s("n"), s("e")) else {
                return Err(VerifyError::BadJwks("an RSA key lacks kid, n or e".into()));
            };
            let key = DecodingKey::from_rsa_components(n, e).map_err(|e| VerifyError::BadJwks(e.to_string()))?;
            keys.insert(kid.to_owned(), key);
        }
        if keys.is_empty() {
            return Err(VerifyError::BadJwks("no RSA signing key".into()));
        }
        Ok(Self { keys, issuer: issuer.into(), client_id: client_id.into(), verified: Arc::default() })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Verifies against the system clock.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, VerifyError> {
        self.verify_at(token, OffsetDateTime::now_utc())
    }

    /// Verifies as of `now` (tests move time; the dev server passes its clock). A token that
    /// verified before and has not expired at `now` answers from the cache.
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Map<String, Value>, VerifyError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now_s = now.unix_timestamp();
        if let Some(claims) = self.verified.lock().ok().and_then(|mut v| v.get(&digest, now_s)) {
            return Ok(claims);
        }
        let claims = self.verify_uncached(token, now)?;
        if let (Some(exp), Ok(mut v)) = (claims.get("exp").and_then(Value::as_i64), self.verified.lock()) {
            v.put(digest, exp, claims.clone(), now_s);
        }
        Ok(claims)
    }

    /// How many verified tokens are remembered now.
    pub fn remembered(&self) -> usize {
        self.verified.lock().map_or(0, |v| v.by_digest.len())
    }

    /// The full check: signature, `exp` against `now`, issuer, audience, token use, subject.
    fn verify_uncached(&self, token: &str, now: OffsetDateTime) -> Result<Map<String, Value>, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(VerifyError::UnknownKey);
        }
        let key = header.kid.as_deref().and_then(|kid| self.keys.get(kid)).ok_or(VerifyError::UnknownKey)?;
        // Signature only; every claim is checked below, against `now` rather than the system clock.
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => VerifyError::BadSignature,
            _ => VerifyError::Malformed(e.to_string()),
        })?;
        let claims = data.claims;
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| VerifyError::Malformed("no exp".into()))?;
        if now.unix_timestamp() >= exp {
            return Err(VerifyError::Expired);
        }
        let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
        if iss != self.issuer {
            return Err(VerifyError::WrongIssuer(iss.to_owned()));
        }
        let token_use = claims.get("token_use").and_then(Value::as_str).unwrap_or_default();
        let client = match token_use {
            "id" => match claims.get("aud") {
                Some(Value::String(a)) => a == &self.client_id,
                Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(&self.client_id)),
                _ => false,
            },
            "access" => claims.get("client_id").and_then(Value::as_str) == Some(&self.client_id),
            other => return Err(VerifyError::WrongTokenUse(other.to_owned())),
        };
        if !client {
            return Err(VerifyError::WrongAudience);
        }
        if claims.get("sub").and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(VerifyError::Malformed("no sub".into()));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalFamily;
    use clearview_core::ports::identity::{IdentityProvider, NewAccount};
    use clearview_core::rbac::Role;
    use clearview_core::values::{Email, Password};

    async fn token() -> (LocalFamily, tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let f = LocalFamily::in_memory_for_tests(dir.path()).unwrap();
        let email = Email::parse("e", "v@example.com").unwrap();
        let password = Password::parse("p", "Verify!Pass1").unwrap();
        let account = NewAccount { email: email.clone(), password, org_id: None, role: Role::Admin };
        f.identity.sign_up(account).await.unwrap();
        let code = f.outbox.find_code(email.as_str()).unwrap();
        f.identity.confirm_sign_up(&email, &code).await.unwrap();
        let t = f.identity.login(&email, "Verify!Pass1").await.unwrap();
        (f, dir, t.id_token)
    }

    #[tokio::test]
    async fn hs256_token_keyed_with_the_public_key_is_refused() {
        let (f, _dir, id) = token().await;
        let claims = f.verifier.verify(&id).unwrap();
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = f.jwks()["keys"][0]["kid"].as_str().map(str::to_owned);
        let n = f.jwks()["keys"][0]["n"].as_str().unwrap().to_owned();
        let forged =
            jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(n.as_bytes())).unwrap();
        assert_eq!(f.verifier.verify(&forged), Err(VerifyError::UnknownKey));
    }

    #[tokio::test]
    async fn token_for_another_client_is_refused() {
        let (f, _dir, id) = token().await;
        let other = JwtVerifier::new(&f.jwks(), f.identity.issuer(), "another-client").unwrap();
        assert_eq!(other.verify(&id), Err(VerifyError::WrongAudience));
        let other = JwtVerifier::new(&f.jwks(), "https://elsewhere", f.identity.client_id()).unwrap();
        assert!(matches!(other.verify(&id), Err(VerifyError::WrongIssuer(_))));
    }

    #[tokio::test]
    async fn token_expires_at_exp() {
        let (f, _dir, id) = token().await;
        let exp = f.verifier.verify(&id).unwrap()["exp"].as_i64().unwrap();
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap();
        assert!(f.verifier.verify_at(&id, at(exp - 1)).is_ok());
        assert_eq!(f.verifier.verify_at(&id, at(exp)), Err(VerifyError::Expired));
    }

    #[tokio::test]
    async fn remembered_token_still_expires_at_exp() {
        let (f, _dir, id) = token().await;
        let exp = f.verifier.verify(&id).unwrap()["exp"].as_i64().unwrap();
        assert_eq!(f.verifier.remembered(), 1);
        let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).unwrap();
        // Answered from the cache up to the last second, refused at exp as a fresh check would be.
        assert_eq!(f.verifier.verify_at(&id, at(exp - 1)).unwrap()["exp"], exp);
        assert_eq!(f.verifier.remembered(), 1);
        assert_eq!(f.verifier.verify_at(&id, at(exp)), Err(VerifyError::Expired));
        assert_eq!(f.verifier.remembered(), 0, "an expired entry is dropped");
        assert_eq!(f.verifier.verify_at(&id, at(exp + 3600)), Err(VerifyError::Expired));
    }

    #[tokio::test]
    async fn remembered_claims_are_the_verified_ones_and_a_tampered_token_is_checked_afresh() {
        let (f, _dir, id) = token().await;
        let first = f.verifier.verify(&id).unwrap();
        assert_eq!(f.verifier.verify(&id).unwrap(), first);
        // Same header and signature, another payload: a different token, verified in full.
        let parts: Vec<&str> = id.split('.').collect();
        let mut claims = first.clone();
        claims.insert("cognito:groups".into(), serde_json::json!(["platform_admin"]));
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            serde_json::to_vec(&claims).unwrap(),
        );
        let forged = format!("{}.{payload}.{}", parts[0], parts[2]);
        assert_eq!(f.verifier.verify(&forged), Err(VerifyError::BadSignature));
        assert_eq!(f.verifier.remembered(), 1, "a refused token is not remembered");
    }

    #[tokio::test]
    async fn the_cache_is_bounded_and_only_a_full_cache_drops_unexpired_tokens() {
        let mut v = Verified::default();
        let claims = Map::new();
        for i in 0..VERIFIED_TOKENS_KEPT {
            let mut d = [0u8; 32];
            d[..8].copy_from_slice(&(i as u64).to_le_bytes());
            // Half of them expire at 100.
            v.put(d, if i % 2 == 0 { 100 } else { 1000 }, claims.clone(), 50);
        }
        assert_eq!(v.by_digest.len(), VERIFIED_TOKENS_KEPT);
        v.put([0xff; 32], 1000, claims.clone(), 200);
        assert_eq!(v.by_digest.len(), VERIFIED_TOKENS_KEPT / 2 + 1, "the expired half made room");
        assert!(v.get(&[0xff; 32], 200).is_some());
    }

    #[test]
    fn jwks_without_rsa_keys_is_refused() {
        assert!(matches!(JwtVerifier::new(&serde_json::json!({"keys": []}), "i", "c"), Err(VerifyError::BadJwks(_))));
        assert!(matches!(JwtVerifier::new(&serde_json::json!({}), "i", "c"), Err(VerifyError::BadJwks(_))));
    }
}
