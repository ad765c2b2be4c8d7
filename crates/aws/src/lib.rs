//! AWS adapters for ClearView's ports: DynamoDB store, Cognito identity, SES mail, JWKS fetch,
//! S3 blobs, SQS work queues, SNS domain events, Secrets Manager integration secrets, and the
//! Lambda glue for SQS consumers.
//!
//! Every adapter takes an SDK client built once per process from one `SdkConfig`
//! ([`config::AwsConfig`]), so a Lambda's composition root is a few lines:
//!
//! ```no_run
//! # async fn f() -> Result<(), clearview_aws::config::ConfigError> {
//! let config = clearview_aws::config::AwsConfig::from_env()?;
//! let adapters = clearview_aws::config::Adapters::connect(&config).await;
//! # let _ = adapters; Ok(()) }
//! ```
//!
//! The `testing` feature adds [`testing::Moto`], which runs one local AWS emulator per test
//! process so the same adapters are tested over real HTTP with the real SDK.

pub mod cognito;
pub mod config;
pub mod dynamo;
pub mod guardduty;
pub mod jwks;
pub mod lambda_sqs;
pub mod provision;
pub mod s3;
pub mod s3_event;
pub mod secrets;
pub mod ses;
pub mod sns;
pub mod sns_envelope;
pub mod sqs;
pub mod table;
#[cfg(feature = "testing")]
pub mod testing;
pub mod textract;

pub use cognito::CognitoIdentity;
pub use config::{Adapters, AwsClients, AwsConfig, ConfigError};
pub use dynamo::DynamoStore;
pub use guardduty::GuardDutyVerdicts;
pub use jwks::{JwksError, fetch_jwks};
pub use s3::S3BlobStore;
pub use secrets::SecretsManagerVault;
pub use ses::SesMailer;
pub use sns::SnsEvents;
pub use sqs::{QueueUrls, SqsQueues};
pub use table::{TableDefinition, create_table, table_definition};
