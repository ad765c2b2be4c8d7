//! `JwtVerifier`: checks a Cognito-shaped RS256 token against a JWKS, the way API Gateway's JWT authorizer does.
//!
//! Works for the local issuer and for Cognito (or its emulator) alike: give it the JWKS, the
//! issuer and the app client id. ID tokens must name the client in `aud`, access tokens in
//! `client_id`. The claims come back as a JSON map, ready for `Principal::from_claims`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashMap;
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

/// Verifies tokens of one issuer and app client.
#[derive(Clone)]
pub struct JwtVerifier {
    keys: HashMap<String, DecodingKey>,
    issuer: String,
    client_id: String,
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
        Ok(Self { keys, issuer: issuer.into(), client_id: client_id.into() })
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

    /// Verifies as of `now` (tests move time; the dev server passes its clock).
    pub fn verify_at(&self, token: &str, now: OffsetDateTime) -> Result<Map<String, Value>, VerifyError> {
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

    #[test]
    fn jwks_without_rsa_keys_is_refused() {
        assert!(matches!(JwtVerifier::new(&serde_json::json!({"keys": []}), "i", "c"), Err(VerifyError::BadJwks(_))));
        assert!(matches!(JwtVerifier::new(&serde_json::json!({}), "i", "c"), Err(VerifyError::BadJwks(_))));
    }
}
