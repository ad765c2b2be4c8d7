//! Configuration from named environment variables, and the SDK clients built once from it.

use crate::sqs::QueueUrls;
use crate::{CognitoIdentity, DynamoStore, S3BlobStore, SecretsManagerVault, SesMailer, SnsEvents, SqsQueues};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use clearview_core::ports::queue::WorkQueue;
use std::collections::BTreeMap;

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

    /// Optional: the bucket for resumes and reports (functions that presign or read blobs).
    pub const RESUME_BUCKET: &str = "RESUME_BUCKET";
    /// Optional: the application-events SNS topic ARN (functions that publish domain events).
    pub const EVENTS_TOPIC_ARN: &str = "EVENTS_TOPIC_ARN";
    /// Optional, in pairs: each work queue's URL and its dead-letter queue's URL, named after
    /// the queue (`parse` → `PARSE_QUEUE_URL`, `PARSE_DLQ_URL`); the asynchronous-work table
    /// says which functions get which.
    pub const QUEUE_URL_SUFFIX: &str = "_QUEUE_URL";
    pub const DLQ_URL_SUFFIX: &str = "_DLQ_URL";

    /// Variables that must be set.
    pub const REQUIRED: [&str; 4] = [TABLE_NAME, USER_POOL_ID, USER_POOL_CLIENT_ID, MAIL_FROM];

    fn stem(queue: super::WorkQueue) -> String {
        queue.name().to_uppercase().replace('-', "_")
    }

    /// The variable holding `queue`'s URL.
    pub fn queue_url(queue: super::WorkQueue) -> String {
        format!("{}{QUEUE_URL_SUFFIX}", stem(queue))
    }

    /// The variable holding `queue`'s dead-letter queue URL.
    pub fn dlq_url(queue: super::WorkQueue) -> String {
        format!("{}{DLQ_URL_SUFFIX}", stem(queue))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set (or is empty); set it to configure the AWS adapters")]
    Missing(String),
    #[error("environment variable {var} is invalid: {reason}")]
    Invalid { var: String, reason: String },
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
    /// `RESUME_BUCKET`, when this function uses blobs.
    pub resume_bucket: Option<String>,
    /// The work queues this function was given (both URLs of each).
    pub queues: BTreeMap<WorkQueue, QueueUrls>,
    /// `EVENTS_TOPIC_ARN`, when this function publishes domain events.
    pub events_topic_arn: Option<String>,
}

impl AwsConfig {
    /// Reads the process environment.
    /// Reads the process environment; every `<QUEUE>_QUEUE_URL` set names a queue.
    pub fn from_env() -> Result<Self, ConfigError> {
        let queues = std::env::vars()
            .filter_map(|(k, _)| {
                k.strip_suffix(env::QUEUE_URL_SUFFIX).map(|stem| stem.to_lowercase().replace('_', "-"))
            })
            .filter(|name| !name.is_empty())
            // A queue name lives for the whole process; a function has a handful.
            .map(|name| WorkQueue::named(Box::leak(name.into_boxed_str())))
            .collect();
        Self::read(|name| std::env::var(name).ok(), queues)
    }

    /// Reads variables through `lookup` (tests pass a map), with every queue of the
    /// asynchronous-work table.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let queues = clearview_chain::table::QUEUES.iter().map(|q| q.queue()).collect();
        Self::read(lookup, queues)
    }

    fn read(lookup: impl Fn(&str) -> Option<String>, queue_names: Vec<WorkQueue>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let need = |name: &'static str| get(name).ok_or_else(|| ConfigError::Missing(name.into()));
        let table_name = need(env::TABLE_NAME)?;
        let user_pool_id = need(env::USER_POOL_ID)?;
        let user_pool_client_id = need(env::USER_POOL_CLIENT_ID)?;
        let mail_from = need(env::MAIL_FROM)?;
        if !mail_from.contains('@') {
            return Err(ConfigError::Invalid { var: env::MAIL_FROM.into(), reason: "must be an email address".into() });
        }
        let region = get(env::AWS_REGION).unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint_url = get(env::AWS_ENDPOINT_URL);
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                var: env::AWS_ENDPOINT_URL.into(),
                reason: format!("must start with http:// or https:// (got {url:?})"),
            });
        }
        let issuer = get(env::JWT_ISSUER).unwrap_or_else(|| cognito_issuer(&region, &user_pool_id));
        let jwks_url = get(env::JWKS_URL).unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
        let resume_bucket = get(env::RESUME_BUCKET);
        let mut queues = BTreeMap::new();
        for queue in queue_names {
            let (queue_var, dlq_var) = (env::queue_url(queue), env::dlq_url(queue));
            match (get(&queue_var), get(&dlq_var)) {
                (None, None) => {}
                (Some(_), None) => return Err(ConfigError::Missing(dlq_var)),
                (None, Some(_)) => return Err(ConfigError::Missing(queue_var)),
                (Some(url), Some(dead_letter)) => {
                    for (var, value) in [(&queue_var, &url), (&dlq_var, &dead_letter)] {
                        if !(value.starts_with("http://") || value.starts_with("https://")) {
                            return Err(ConfigError::Invalid {
                                var: var.clone(),
                                reason: format!("must be a queue URL (https://sqs.…), got {value:?}"),
                            });
                        }
                    }
                    queues.insert(queue, QueueUrls { queue: url, dead_letter });
                }
            }
        }
        let events_topic_arn = get(env::EVENTS_TOPIC_ARN);
        if let Some(arn) = &events_topic_arn
            && !arn.starts_with("arn:")
        {
            return Err(ConfigError::Invalid {
                var: env::EVENTS_TOPIC_ARN.into(),
                reason: format!("must be a topic ARN (arn:aws:sns:…), got {arn:?}"),
            });
        }
        Ok(Self {
            table_name,
            user_pool_id,
            user_pool_client_id,
            mail_from,
            region,
            endpoint_url,
            jwks_url,
            issuer,
            resume_bucket,
            queues,
            events_topic_arn,
        })
    }

    /// The bucket, or an error naming `RESUME_BUCKET` (for a function's start-up).
    pub fn require_bucket(&self) -> Result<&str, ConfigError> {
        self.resume_bucket.as_deref().ok_or_else(|| ConfigError::Missing(env::RESUME_BUCKET.into()))
    }

    /// `queue`'s URLs, or an error naming its variable (for a function's start-up).
    pub fn require_queue(&self, queue: WorkQueue) -> Result<&QueueUrls, ConfigError> {
        self.queues.get(&queue).ok_or_else(|| ConfigError::Missing(env::queue_url(queue)))
    }

    /// The topic ARN, or an error naming `EVENTS_TOPIC_ARN` (for a function's start-up).
    pub fn require_events_topic(&self) -> Result<&str, ConfigError> {
        self.events_topic_arn.as_deref().ok_or_else(|| ConfigError::Missing(env::EVENTS_TOPIC_ARN.into()))
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

/// The SDK clients, built once from one `SdkConfig`. (SDK clients connect lazily: building
/// one a function never uses costs nothing on the network.)
#[derive(Debug, Clone)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub ses: aws_sdk_sesv2::Client,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
    pub textract: aws_sdk_textract::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl AwsClients {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
            s3: s3_client(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            textract: aws_sdk_textract::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
        }
    }
}

/// An S3 client; path-style addressing when an endpoint URL is set (emulators serve
/// `http://host:port/bucket/key`, not bucket subdomains).
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    let mut builder = aws_sdk_s3::config::Builder::from(sdk);
    if sdk.endpoint_url().is_some() {
        builder = builder.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// The adapters a composition root hands to `clearview_core::ports::Deps`. The chain's
/// adapters (blobs, queues, events) come from methods that fail naming the missing variable.
#[derive(Clone)]
pub struct Adapters {
    pub store: DynamoStore,
    pub identity: CognitoIdentity,
    pub mail: SesMailer,
    pub clients: AwsClients,
    pub config: AwsConfig,
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
            config: config.clone(),
        }
    }

    /// The S3 blob store over `RESUME_BUCKET`.
    pub fn blobs(&self) -> Result<S3BlobStore, ConfigError> {
        Ok(S3BlobStore::new(self.clients.s3.clone(), self.config.require_bucket()?))
    }

    /// GuardDuty Malware Protection's verdicts on the objects of `RESUME_BUCKET` (their tags).
    pub fn malware(&self) -> Result<crate::GuardDutyVerdicts, ConfigError> {
        Ok(crate::GuardDutyVerdicts::new(self.clients.s3.clone(), self.config.require_bucket()?))
    }

    /// SQS queues for every configured work queue; fails naming the variable of any of
    /// `needed` that is not configured.
    pub fn queues(&self, needed: &[WorkQueue]) -> Result<SqsQueues, ConfigError> {
        for queue in needed {
            self.config.require_queue(*queue)?;
        }
        Ok(SqsQueues::new(self.clients.sqs.clone(), self.config.queues.clone()))
    }

    /// Integration secrets in Secrets Manager, named under the table's name (`<table>/…`).
    pub fn secrets(&self) -> SecretsManagerVault {
        SecretsManagerVault::new(self.clients.secrets.clone(), &self.config.table_name)
    }

    /// SNS events on `EVENTS_TOPIC_ARN`.
    /// The OCR port: Amazon Textract (no setting of its own: the function's region).
    pub fn ocr(&self) -> crate::textract::TextractOcr {
        crate::textract::TextractOcr::new(self.clients.textract.clone())
    }

    pub fn events(&self) -> Result<SnsEvents, ConfigError> {
        Ok(SnsEvents::new(self.clients.sns.clone(), self.config.require_events_topic()?))
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
            assert_eq!(AwsConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing(skip.into())));
            let msg = ConfigError::Missing(skip.into()).to_string();
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
    fn chain_settings_are_optional_and_named_when_required() {
        let c = AwsConfig::from_lookup(lookup(&BASE)).unwrap();
        assert_eq!(c.resume_bucket, None);
        assert!(c.queues.is_empty());
        assert_eq!(c.require_bucket(), Err(ConfigError::Missing("RESUME_BUCKET".into())));
        assert_eq!(c.require_events_topic(), Err(ConfigError::Missing("EVENTS_TOPIC_ARN".into())));
        assert_eq!(c.require_queue(WorkQueue::SCORE), Err(ConfigError::Missing("SCORE_QUEUE_URL".into())));

        let mut vars = BASE.to_vec();
        vars.extend([
            ("RESUME_BUCKET", "resumes"),
            ("EVENTS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:application-events"),
            ("PARSE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/parse"),
            ("PARSE_DLQ_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/parse-dlq"),
        ]);
        let c = AwsConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(c.require_bucket(), Ok("resumes"));
        assert_eq!(c.require_events_topic(), Ok("arn:aws:sns:us-east-1:123456789012:application-events"));
        let parse = c.require_queue(WorkQueue::PARSE).unwrap();
        assert_eq!(parse.dead_letter, "https://sqs.us-east-1.amazonaws.com/123456789012/parse-dlq");
        assert_eq!(c.require_queue(WorkQueue::EMAIL), Err(ConfigError::Missing("EMAIL_QUEUE_URL".into())));
    }

    #[test]
    fn a_queue_without_its_dead_letter_queue_is_refused() {
        let mut vars = BASE.to_vec();
        vars.push(("SCORE_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/score"));
        assert_eq!(AwsConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing("SCORE_DLQ_URL".into())));
        let mut vars = BASE.to_vec();
        vars.push(("BIAS_DLQ_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/bias-dlq"));
        assert_eq!(AwsConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing("BIAS_QUEUE_URL".into())));
        let mut vars = BASE.to_vec();
        vars.extend([("EMAIL_QUEUE_URL", "email"), ("EMAIL_DLQ_URL", "https://sqs/email-dlq")]);
        assert!(matches!(
            AwsConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid { var, .. }) if var == "EMAIL_QUEUE_URL"
        ));
        let mut vars = BASE.to_vec();
        vars.push(("EVENTS_TOPIC_ARN", "application-events"));
        assert!(matches!(
            AwsConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid { var, .. }) if var == "EVENTS_TOPIC_ARN"
        ));
    }

    #[test]
    fn queue_variables_are_named_after_the_queue() {
        assert_eq!(env::queue_url(WorkQueue::named("skills-sync")), "SKILLS_SYNC_QUEUE_URL");
        assert_eq!(env::dlq_url(WorkQueue::PARSE), "PARSE_DLQ_URL");
    }

    #[test]
    fn endpoint_without_scheme_is_refused() {
        let mut vars = BASE.to_vec();
        vars.push(("AWS_ENDPOINT_URL", "localhost:5000"));
        assert!(matches!(
            AwsConfig::from_lookup(lookup(&vars)),
            Err(ConfigError::Invalid { var, .. }) if var == "AWS_ENDPOINT_URL"
        ));
    }
}
