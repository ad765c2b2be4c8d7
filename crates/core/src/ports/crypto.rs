//! Sealing sensitive fields at rest (voluntary self-identification): AES-256-GCM with a random
//! nonce per value, the key id stored beside the ciphertext so keys can rotate.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sealed {
    pub key_id: String,
    /// base64(nonce ‖ ciphertext ‖ tag)
    pub blob: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("sealing is not configured for this process")]
    Unconfigured,
    #[error("sealed value is unreadable: {0}")]
    Corrupt(String),
    #[error("sealed with key {0}, which this process does not hold")]
    UnknownKey(String),
}

pub trait Sealer: Send + Sync {
    /// `aad` binds the ciphertext to its context (e.g. the application id), so a sealed value
    /// copied onto another record does not open.
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, SealError>;
    fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, SealError>;
}

pub struct AesGcmSealer {
    key_id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for AesGcmSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AesGcmSealer({})", self.key_id)
    }
}

impl AesGcmSealer {
    /// A 32-byte key and a name for it.
    pub fn new(key_id: impl Into<String>, key: &[u8; 32]) -> Self {
        Self { key_id: key_id.into(), cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)) }
    }

    /// From base64 text (an environment variable or a secret).
    pub fn from_base64(key_id: impl Into<String>, b64: &str) -> Result<Self, String> {
        let bytes = B64.decode(b64.trim()).map_err(|e| format!("not base64: {e}"))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "the key must be 32 bytes".to_owned())?;
        Ok(Self::new(key_id, &key))
    }
}

impl Sealer for AesGcmSealer {
    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, SealError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher
            .encrypt(&nonce, aes_gcm::aead::Payload { msg: plaintext, aad })
            .map_err(|e| SealError::Corrupt(e.to_string()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(Sealed { key_id: self.key_id.clone(), blob: B64.encode(out) })
    }

    fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.key_id != self.key_id {
            return Err(SealError::UnknownKey(sealed.key_id.clone()));
        }
        let raw = B64.decode(&sealed.blob).map_err(|e| SealError::Corrupt(e.to_string()))?;
        if raw.len() < 12 {
            return Err(SealError::Corrupt("too short".into()));
        }
        let (nonce, ct) = raw.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), aes_gcm::aead::Payload { msg: ct, aad })
            .map_err(|_| SealError::Corrupt("authentication failed".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_value_opens_only_in_its_context() {
        let s = AesGcmSealer::new("k1", &[9u8; 32]);
        let sealed = s.seal(b"female", b"app-1").unwrap();
        assert!(!sealed.blob.contains("female"));
        assert_eq!(s.open(&sealed, b"app-1").unwrap(), b"female");
        assert!(s.open(&sealed, b"app-2").is_err());
        assert_ne!(s.seal(b"female", b"app-1").unwrap().blob, sealed.blob, "a fresh nonce each time");
    }
}
