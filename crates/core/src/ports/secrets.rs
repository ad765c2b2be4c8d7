//! Secrets an organisation hands us for its integrations (API keys and tokens, a job board's
//! inbound-webhook signing key). In AWS each one is a Secrets Manager secret of its own, named
//! under the deployment's table name (`<table>/integrations/<id>/<slot>/v<version>`), its reads
//! in CloudTrail and its IAM grant limited to the functions that need it; the table item keeps
//! only the secret's ARN. In the embedded default (and wherever no vault is configured) the value
//! is sealed with the process's key (AES-256-GCM, bound to its owner's id) into the item itself.
//!
//! A secret is never changed in place: a new value is a new secret (the next version's name),
//! the item is pointed at it, and the old one is deleted. So an item never points at a value a
//! refused or failed update wrote, and a retried write meets only a secret nobody points at.

use super::crypto::{Sealed, Sealer};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The names of integrations' secrets start with this (under the deployment's prefix).
pub const INTEGRATION_SECRETS: &str = "integrations/";

/// Where a secret lives, as the owning item stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SecretRef {
    /// A Secrets Manager secret.
    Managed {
        #[serde(rename = "secretArn")]
        secret_arn: String,
    },
    /// Sealed into the item (the embedded default; also every item written before the vault).
    Sealed(Sealed),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("no such secret: {0}")]
    NotFound(String),
    #[error("the secret cannot be read: {0}")]
    Unreadable(String),
    #[error("secret store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait SecretVault: Send + Sync {
    /// Stores `value` as a new secret of `owner` (an integration id) at `name` (a path under the
    /// deployment's prefix, unique per version). Writing a name that already exists (a retry
    /// after a crash) replaces its value: nothing points at it yet.
    async fn put(&self, owner: &str, name: &str, value: &[u8]) -> Result<SecretRef, SecretError>;
    /// The value `secret` holds; `owner` must be the one it was stored for.
    async fn get(&self, owner: &str, secret: &SecretRef) -> Result<Vec<u8>, SecretError>;
    /// Deletes it for good, without a recovery window; an absent secret is not an error.
    async fn delete(&self, secret: &SecretRef) -> Result<(), SecretError>;
}

/// The embedded default's vault: values sealed into the item with the process's sealer.
pub struct SealedVault(pub Arc<dyn Sealer>);

#[async_trait]
impl SecretVault for SealedVault {
    async fn put(&self, owner: &str, _name: &str, value: &[u8]) -> Result<SecretRef, SecretError> {
        self.0.seal(value, owner.as_bytes()).map(SecretRef::Sealed).map_err(|e| SecretError::Unavailable(e.to_string()))
    }

    async fn get(&self, owner: &str, secret: &SecretRef) -> Result<Vec<u8>, SecretError> {
        match secret {
            SecretRef::Sealed(sealed) => {
                self.0.open(sealed, owner.as_bytes()).map_err(|e| SecretError::Unreadable(e.to_string()))
            }
            SecretRef::Managed { secret_arn } => Err(SecretError::Unavailable(format!(
                "{secret_arn} is in Secrets Manager and this process has no Secrets Manager client"
            ))),
        }
    }

    async fn delete(&self, _secret: &SecretRef) -> Result<(), SecretError> {
        // A sealed value goes with its item.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::crypto::AesGcmSealer;

    #[test]
    fn a_sealed_value_written_before_the_vault_still_reads_as_a_sealed_reference() {
        let old = serde_json::json!({"keyId": "local-1", "blob": "AAAA"});
        let r: SecretRef = serde_json::from_value(old.clone()).unwrap();
        assert!(matches!(r, SecretRef::Sealed(ref s) if s.key_id == "local-1"));
        assert_eq!(serde_json::to_value(&r).unwrap(), old);
        let managed = serde_json::json!({"secretArn": "arn:aws:secretsmanager:us-east-1:1:secret:t/x-AbCdEf"});
        let r: SecretRef = serde_json::from_value(managed.clone()).unwrap();
        assert!(matches!(r, SecretRef::Managed { .. }));
        assert_eq!(serde_json::to_value(&r).unwrap(), managed);
    }

    #[tokio::test]
    async fn the_sealed_vault_opens_only_for_the_owner_it_sealed_for() {
        let vault = SealedVault(Arc::new(AesGcmSealer::new("k1", &[7u8; 32])));
        let r = vault.put("owner-a", "integrations/owner-a/credentials/v1", b"{\"apiKey\":\"s3cret\"}").await.unwrap();
        let SecretRef::Sealed(sealed) = &r else { panic!("sealed expected") };
        assert!(!sealed.blob.contains("s3cret"));
        assert_eq!(vault.get("owner-a", &r).await.unwrap(), b"{\"apiKey\":\"s3cret\"}");
        assert!(matches!(vault.get("owner-b", &r).await, Err(SecretError::Unreadable(_))));
        let managed = SecretRef::Managed { secret_arn: "arn:x".into() };
        assert!(matches!(vault.get("owner-a", &managed).await, Err(SecretError::Unavailable(_))));
    }
}
