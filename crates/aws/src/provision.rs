//! Creates the processing chain's resources on an emulator like template.yaml declares them (tests, local runs).
//!
//! A versioned bucket; each work queue with a dead-letter queue and a redrive policy; the
//! application-events topic with the email queue subscribed (raw delivery off); and the bucket
//! notification `s3:ObjectCreated:*` under the uploads prefix → parse queue. Creating again with
//! the same names is harmless (the create calls are idempotent), so local setups can re-run it.

use crate::config::AwsClients;
use crate::sqs::QueueUrls;
use aws_sdk_s3::types as s3t;
use aws_sdk_sqs::types::QueueAttributeName;
use clearview_chain::table::{APPLICATION_EVENTS, Feed, QUEUES};
use clearview_core::ports::queue::WorkQueue;
use std::collections::BTreeMap;
use std::time::Duration;

/// The bucket notification's key prefix (template.yaml): only uploads feed the parse queue.
pub const UPLOADS_PREFIX: &str = clearview_chain::table::bucket::UPLOADS;

/// Names and retry settings of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    /// Prefix of every name: the bucket is `<name>`, queues `<name>-<queue>[-dlq]`, the topic
    /// `<name>-application-events`. Lower-case letters, digits and `-` (S3's rules).
    pub name: String,
    pub visibility_timeout: Duration,
    pub max_receive_count: u32,
}

impl ChainSpec {
    /// The deployed settings (template.yaml: 5 receives; visibility 180 s).
    pub fn deployed(name: impl Into<String>) -> Self {
        Self { name: name.into(), visibility_timeout: Duration::from_secs(180), max_receive_count: 5 }
    }
}

/// What [`create_chain`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainResources {
    pub bucket: String,
    pub queue_urls: BTreeMap<WorkQueue, QueueUrls>,
    pub queue_arns: BTreeMap<WorkQueue, String>,
    pub topic_arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {step}: {reason}")]
pub struct ProvisionError {
    pub step: String,
    pub reason: String,
}

fn failed(step: impl Into<String>) -> impl FnOnce(String) -> ProvisionError {
    let step = step.into();
    move |reason| ProvisionError { step, reason }
}

/// Creates (or re-creates idempotently) the chain named by `spec`.
pub async fn create_chain(clients: &AwsClients, spec: &ChainSpec) -> Result<ChainResources, ProvisionError> {
    let (s3, sqs, sns) = (&clients.s3, &clients.sqs, &clients.sns);
    let bucket = spec.name.clone();
    if let Err(e) = s3.create_bucket().bucket(&bucket).send().await {
        let owned = e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you());
        if !owned {
            return Err(failed(format!("create bucket {bucket}"))(
                aws_sdk_s3::error::DisplayErrorContext(&e).to_string(),
            ));
        }
    }
    let versioning = s3t::VersioningConfiguration::builder().status(s3t::BucketVersioningStatus::Enabled).build();
    s3.put_bucket_versioning().bucket(&bucket).versioning_configuration(versioning).send().await.map_err(|e| {
        failed(format!("enable versioning on {bucket}"))(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
    })?;

    // Every queue of the asynchronous-work table, each with its dead-letter queue.
    let mut queue_urls = BTreeMap::new();
    let mut queue_arns = BTreeMap::new();
    for def in QUEUES {
        let queue = def.queue();
        let dlq_url = create_queue(sqs, &format!("{}-{}-dlq", spec.name, queue.name()), &[]).await?;
        let dlq_arn = queue_arn(sqs, &dlq_url).await?;
        let redrive =
            serde_json::json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}).to_string();
        let visibility = spec.visibility_timeout.as_secs().to_string();
        let attributes =
            [(QueueAttributeName::VisibilityTimeout, visibility), (QueueAttributeName::RedrivePolicy, redrive)];
        let url = create_queue(sqs, &format!("{}-{}", spec.name, queue.name()), &attributes).await?;
        queue_arns.insert(queue, queue_arn(sqs, &url).await?);
        queue_urls.insert(queue, QueueUrls { queue: url, dead_letter: dlq_url });
    }

    let topic_arn = sns
        .create_topic()
        .name(format!("{}-{APPLICATION_EVENTS}", spec.name))
        .send()
        .await
        .map_err(|e| failed("create the topic")(aws_sdk_sns::error::DisplayErrorContext(&e).to_string()))?
        .topic_arn()
        .unwrap_or_default()
        .to_owned();
    let mut notifications = Vec::new();
    for def in QUEUES {
        let arn = queue_arns.get(&def.queue()).cloned().unwrap_or_default();
        match def.feed {
            Feed::Functions => {}
            Feed::Topic(topic, kinds) => {
                debug_assert_eq!(topic, APPLICATION_EVENTS, "the chain declares one topic");
                let mut subscribe = sns.subscribe().topic_arn(&topic_arn).protocol("sqs").endpoint(&arn);
                if !kinds.is_empty() {
                    subscribe = subscribe.attributes("FilterPolicy", filter_policy(kinds));
                }
                subscribe.send().await.map_err(|e| {
                    failed(format!("subscribe the {} queue", def.name))(
                        aws_sdk_sns::error::DisplayErrorContext(&e).to_string(),
                    )
                })?;
            }
            Feed::ObjectCreated(prefix) => {
                let rule = s3t::FilterRule::builder().name(s3t::FilterRuleName::Prefix).value(prefix).build();
                let filter = s3t::NotificationConfigurationFilter::builder()
                    .key(s3t::S3KeyFilter::builder().filter_rules(rule).build())
                    .build();
                notifications.push(
                    s3t::QueueConfiguration::builder()
                        .id(format!("object-created-to-{}", def.name))
                        .queue_arn(arn)
                        .events(s3t::Event::S3ObjectCreated)
                        .filter(filter)
                        .build()
                        .map_err(|e| failed("build the bucket notification")(e.to_string()))?,
                );
            }
        }
    }
    let notification = s3t::NotificationConfiguration::builder().set_queue_configurations(Some(notifications)).build();
    s3.put_bucket_notification_configuration()
        .bucket(&bucket)
        .notification_configuration(notification)
        .send()
        .await
        .map_err(|e| {
            failed("configure the bucket notification")(aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
        })?;

    Ok(ChainResources { bucket, queue_urls, queue_arns, topic_arn })
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: &[(QueueAttributeName, String)],
) -> Result<String, ProvisionError> {
    let mut request = sqs.create_queue().queue_name(name);
    for (attribute, value) in attributes {
        request = request.attributes(attribute.clone(), value);
    }
    let out = request
        .send()
        .await
        .map_err(|e| failed(format!("create queue {name}"))(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()))?;
    out.queue_url().map(str::to_owned).ok_or_else(|| failed(format!("create queue {name}"))("no URL returned".into()))
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, ProvisionError> {
    let out =
        sqs.get_queue_attributes().queue_url(url).attribute_names(QueueAttributeName::QueueArn).send().await.map_err(
            |e| failed(format!("read the ARN of {url}"))(aws_sdk_sqs::error::DisplayErrorContext(&e).to_string()),
        )?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| failed(format!("read the ARN of {url}"))("no QueueArn attribute".into()))
}

/// The SNS filter policy delivering events whose `kind` attribute starts with one of `kinds`.
pub fn filter_policy(kinds: &[&str]) -> String {
    let prefixes: Vec<serde_json::Value> = kinds.iter().map(|k| serde_json::json!({ "prefix": k })).collect();
    serde_json::json!({ crate::sqs::attribute::KIND: prefixes }).to_string()
}
