//! Configuration from named environment variables, and the SDK clients built once from it.

use crate::{CognitoIdentity, DynamoStore, SesMailer};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// The environment variables the AWS adapters read (one place for code, template and docs).
pub mod env {
    /// DynamoDB single table name. Required.
    pub const TABLE_NAME: &str = "TABLE_NAME";
    /// Cognito user pool id (`us-east-1_AbCdEf`). Required.
    pub const USER_POOL_ID: &str = "USER_POOL_ID";
    /// Cognito app client id (public client, no secret). Required.
    pub const USER_POOL_CLIENT_ID: &str = "USER_POOL_CLIENT_ID";
    /// Verified SES sender address. Required.
    pub const MAIL_FROM: &str = "MAIL_FROM";
    /// Region; Lambda always sets it. Defaults to `us-east-1`.
    pub const AWS_REGION: &str = "AWS_REGION";
    /// Optional: send every SDK call to this endpoint (a local emulator).
    pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
    /// Optional: where to fetch the pool's JWKS (defaults to Cognito's public URL).
    pub const JWKS_URL: &str = "JWKS_URL";
    /// Optional: the `iss` tokens carry (defaults to Cognito's issuer for the pool).
    pub const JWT_ISSUER: &str = "JWT_ISSUER";

    /// Variables that must be set.
    pub const REQUIRED: [&str; 4] = [TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID, MAIL_FROM];
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set (or is empty); set it to configure the AWS adapters")]
    Missing(&'static str),
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

/// Settings of the AWS adapters, read from [`env`] variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsConfig {
    pub table_name: String,
    pub user_pool_id: String,
    pub user_pool_client_id: String,
    pub mail_from: String,
    pub region: String,
    /// Set for emulators: every client talks to it, with dummy credentials if none are set.
    pub endpoint_url: Option<String>,
    pub jwks_url: String,
    pub issuer: String,
}

impl AwsConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let need = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let table_name = need(env::TABLE_NAME)?;
        let user_pool_id = need(env::USER_POOL_ID)?;
        let user_pool_client_id = need(env::USER_POOL_CLIENT_ID)?;
        let mail_from = need(env::MAIL_FROM)?;
        if !mail_from.contains('@') {
            return Err(ConfigError::Invalid { var: env::MAIL_FROM, reason: "must be an email address".into() });
        }
        let region = get(env::AWS_REGION).unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint_url = get(env::AWS_ENDPOINT_URL);
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                var: env::AWS_ENDPOINT_URL,
                reason: format!("must start with http:// or https:// (got {url:?})"),
            });
        }
        let issuer = get(env::JWT_ISSUER).unwrap_or_else(|| cognito_issuer(&region, &user_pool_id));
        let jwks_url = get(env::JWKS_URL).unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        Ok(Self { table_name, user_pool_id, user_pool_client_id, mail_from, region, endpoint_url, jwks_url, issuer })
    }

    /// One `SdkConfig` for every client. With an emulator endpoint and no credentials in the
    /// environment, static dummy credentials are used (emulators accept any).
    pub async fn sdk_config(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(self.region.clone()));
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.credentials_provider(Credentials::new("testing", "testing", None, None, "emulator"));
            }
        }
        loader.load().await
    }
}

/// The issuer Cognito puts in `iss` for a pool.
pub fn cognito_issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

/// The SDK clients, built once from one `SdkConfig`.
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl AwsClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
        }
    }
}

/// The adapters a composition root hands to `clearview_core::ports::Deps`.
#[derive(Clone)]
pub struct Adapters {
    pub store: DynamoStore,
    pub identity: CognitoIdentity,
    pub mail: SesMailer,
    pub clients: AwsClients,
}

impl Adapters {
    /// Builds the SDK clients once and the adapters over them.
    pub async fn connect(config: &AwsConfig) -> Self {
        let clients = AwsClients::new(&config.sdk_config().await);
        Self::from_clients(config, clients)
    }

    pub fn from_clients(config: &AwsConfig, clients: AwsClients) -> Self {
        Self {
            store: DynamoStore::new(clients.dynamodb.clone(), &config.table_name),
            identity: CognitoIdentity::new(clients.cognito.clone(), &config.user_pool_id, &config.user_pool_client_id),
            mail: SesMailer::new(clients.ses.clone(), &config.mail_from),
            clients,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |k| map.get(k).cloned()
    }

    const BASE: [(&str, &str); 4] = [
        ("TABLE_NAME", "clearview"),
        ("USER_POOL_ID", "us-east-1_abc"),
        ("USER_POOL_CLIENT_ID", "client"),
        ("MAIL_FROM", "no-reply@clearview.example"),
    ];

    #[test]
    fn missing_variable_is_named() {
        for skip in env::REQUIRED {
            let vars: Vec<_> = BASE.iter().copied().filter(|(k, _)| *k != skip).collect();
            assert_eq!(AwsConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing(skip)));
            let msg = ConfigError::Missing(skip).to_string();
            assert!(msg.contains(skip), "{msg}");
        }
    }

    #[test]
    fn issuer_and_jwks_default_to_cognito_for_the_pool() {
        let c = AwsConfig::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.issuer, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc");
        assert_eq!(c.jwks_url, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json");
        assert_eq!(c.endpoint_url, None);
    }

    #[test]
    fn emulator_endpoint_and_jwks_url_are_configured_separately() {
        let mut vars = BASE.to_vec();
        vars.push(("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"));
        vars.push(("JWKS_URL", "http://127.0.0.1:5000/us-east-1_abc/.well-known/jwks.json"));
        let c = AwsConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.jwks_url, "http://127.0.0.1:5000/us-east-1_abc/.well-known/jwks.json");
        assert_eq!(c.issuer, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc");
    }

    #[test]
    fn endpoint_without_scheme_is_refused() {
        let mut vars = BASE.to_vec();
        vars.push(("AWS_ENDPOINT_URL", "localhost:5000"));
        assert!(matches!(
            AwsConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid { var: "AWS_ENDPOINT_URL", .. })
        ));
    }
}
