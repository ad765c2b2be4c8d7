//! `SecretVault` over AWS Secrets Manager: one secret per value, named
//! `<prefix>/<name>` (the prefix is the deployment's table name, so two stacks in one account
//! never share a secret and the IAM grant can name exactly this deployment's integration
//! secrets), tagged with its owner. Values are written once: a new value is a new secret (see
//! `clearview_core::ports::secrets`), and deleting skips the recovery window, since the item that
//! pointed at it is gone or points elsewhere.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::types::Tag;
use clearview_core::ports::secrets::{SecretError, SecretRef, SecretVault};

/// The tag naming a secret's owner (an integration id); `get` checks it.
pub const OWNER_TAG: &str = "clearview:owner";

#[derive(Debug, Clone)]
pub struct SecretsManagerVault {
    client: Client,
    prefix: String,
}

impl SecretsManagerVault {
    /// Secrets are named `<prefix>/<name>`; the AWS family passes its table name.
    pub fn new(client: Client, prefix: impl Into<String>) -> Self {
        Self { client, prefix: prefix.into() }
    }

    /// The full name of the secret at `name`.
    pub fn full_name(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }
}

fn code_of<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

fn vault_error<E, R>(what: &str, err: SdkError<E, R>) -> SecretError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let detail = aws_sdk_secretsmanager::error::DisplayErrorContext(&err).to_string();
    match code_of(&err) {
        Some("ResourceNotFoundException") => SecretError::NotFound(what.to_owned()),
        Some("DecryptionFailure" | "InvalidRequestException") => SecretError::Unreadable(format!("{what}: {detail}")),
        _ => SecretError::Unavailable(format!("{what}: {detail}")),
    }
}

fn arn_of(secret: &SecretRef) -> Result<&str, SecretError> {
    match secret {
        SecretRef::Managed { secret_arn } => Ok(secret_arn),
        SecretRef::Sealed(_) => Err(SecretError::Unavailable(
            "the value is sealed into its item: this process has no sealing key for integration secrets".into(),
        )),
    }
}

#[async_trait]
impl SecretVault for SecretsManagerVault {
    async fn put(&self, owner: &str, name: &str, value: &[u8]) -> Result<SecretRef, SecretError> {
        let full = self.full_name(name);
        let text = std::str::from_utf8(value).map_err(|e| SecretError::Unreadable(e.to_string()))?;
        let owner_tag = Tag::builder().key(OWNER_TAG).value(owner).build();
        let created = self
            .client
            .create_secret()
            .name(&full)
            .description("ClearView integration secret (written by the API; never returned by it)")
            .secret_string(text)
            .tags(owner_tag)
            .send()
            .await;
        let arn = match created {
            Ok(out) => out.arn,
            // A retry after a crash between this write and the item's: nothing points at it yet.
            Err(e) if code_of(&e) == Some("ResourceExistsException") => {
                self.client
                    .put_secret_value()
                    .secret_id(&full)
                    .secret_string(text)
                    .send()
                    .await
                    .map_err(|e| vault_error(&full, e))?
                    .arn
            }
            Err(e) => return Err(vault_error(&full, e)),
        };
        let secret_arn =
            arn.ok_or_else(|| SecretError::Unavailable(format!("{full}: Secrets Manager returned no ARN")))?;
        Ok(SecretRef::Managed { secret_arn })
    }

    async fn get(&self, owner: &str, secret: &SecretRef) -> Result<Vec<u8>, SecretError> {
        let arn = arn_of(secret)?;
        let out = self.client.get_secret_value().secret_id(arn).send().await.map_err(|e| vault_error(arn, e))?;
        // The owner is in the name (`…/integrations/<owner>/…`): a reference copied onto another
        // integration's item does not open there.
        if !out.name().is_some_and(|n| n.split('/').any(|part| part == owner)) {
            return Err(SecretError::Unreadable(format!("{arn} is not a secret of {owner}")));
        }
        out.secret_string.map(String::into_bytes).ok_or_else(|| SecretError::Unreadable(format!("{arn} holds no text")))
    }

    async fn delete(&self, secret: &SecretRef) -> Result<(), SecretError> {
        let SecretRef::Managed { secret_arn } = secret else { return Ok(()) };
        match self.client.delete_secret().secret_id(secret_arn).force_delete_without_recovery(true).send().await {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(vault_error(secret_arn, e)),
        }
    }
}
