//! The local issuer's RS256 signing key: generated once, kept as PEM in the data dir, published as JWKS.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::Path;

/// File name of the private key inside the keys folder.
pub const KEY_FILE: &str = "signing-key.pem";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("signing key is unusable: {0}; delete it to have a new one generated")]
    Invalid(String),
}

/// An RSA key pair with its key id (the RFC 7638 thumbprint of the public key).
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    n: String,
    e: String,
    pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new 2048-bit key (slow unoptimised: about a second).
    pub fn generate() -> Result<Self, KeyError> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Self::from_rsa(&key)
    }

    /// Reads a PKCS#1 PEM private key.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| KeyError::Invalid(e.to_string()))?;
        Self::from_rsa(&key)
    }

    fn from_rsa(key: &RsaPrivateKey) -> Result<Self, KeyError> {
        let der = key.to_pkcs1_der().map_err(|e| KeyError::Invalid(e.to_string()))?;
        let pem = key.to_pkcs1_pem(LineEnding::LF).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        // RFC 7638: members in lexicographic order, no whitespace.
        let thumbprint = Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#).as_bytes());
        Ok(Self {
            kid: URL_SAFE_NO_PAD.encode(thumbprint),
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            n,
            e,
            pem: pem.to_string(),
        })
    }

    /// Loads `<dir>/signing-key.pem`, or generates it (owner-only permissions) when absent.
    pub fn load_or_generate(dir: &Path) -> Result<Self, KeyError> {
        let path = dir.join(KEY_FILE);
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match fs::read_to_string(&path) {
            Ok(pem) => return Self::from_pem(&pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let key = Self::generate()?;
        key.save(dir).map_err(io)?;
        tracing::info!(kid = %key.kid, path = %path.display(), "generated a new token signing key");
        Ok(key)
    }

    /// Writes the key to `<dir>/signing-key.pem` unless one is there (write temp, then link).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        let path = dir.join(KEY_FILE);
        let tmp = dir.join(format!(".{KEY_FILE}.{}.tmp", uuid::Uuid::new_v4()));
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(self.pem.as_bytes())?;
        f.sync_all()?;
        // hard_link fails if another process saved first; then its key wins and we load it.
        let linked = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }

    /// The public key as one JWK.
    pub fn jwk(&self) -> Value {
        json!({"kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": self.n, "e": self.e})
    }

    /// The JWKS document (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> Value {
        json!({"keys": [self.jwk()]})
    }
}

/// One key per test binary: RSA generation is too slow to repeat in every test.
pub fn shared_test_key() -> Result<SigningKey, KeyError> {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    if let Some(k) = KEY.get() {
        return Ok(k.clone());
    }
    let k = SigningKey::generate()?;
    Ok(KEY.get_or_init(|| k).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_generated_once_and_reloaded_with_the_same_kid() {
        let dir = tempfile::tempdir().unwrap();
        let a = SigningKey::load_or_generate(dir.path()).unwrap();
        let b = SigningKey::load_or_generate(dir.path()).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks()["keys"][0]["alg"], "RS256");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
