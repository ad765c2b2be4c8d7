//! `Events` over SNS: publishes each `DomainEvent` as JSON to the application-events topic.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use clearview_core::ports::queue::{DomainEvent, Events, QueueError};

/// The topic's subscribers (the email queue) receive the event JSON in an SNS envelope unless
/// raw delivery is on; a `kind` message attribute carries the event kind for filter policies.
#[derive(Debug, Clone)]
pub struct SnsEvents {
    client: Client,
    topic_arn: String,
}

impl SnsEvents {
    pub fn new(client: Client, topic_arn: impl Into<String>) -> Self {
        Self { client, topic_arn: topic_arn.into() }
    }

    pub fn topic_arn(&self) -> &str {
        &self.topic_arn
    }
}

fn events_error<E, R>(err: SdkError<E, R>) -> QueueError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = format!("{code}: {}", e.message().unwrap_or_default());
            match code {
                "InvalidParameter" | "InvalidParameterValue" | "ValidationError" => QueueError::Invalid(message),
                _ => QueueError::Unavailable(message),
            }
        }
        _ => QueueError::Unavailable(aws_sdk_sns::error::DisplayErrorContext(&err).to_string()),
    }
}

#[async_trait]
impl Events for SnsEvents {
    async fn publish(&self, event: &DomainEvent) -> Result<(), QueueError> {
        let message = serde_json::to_string(event).map_err(|e| QueueError::Invalid(e.to_string()))?;
        let kind = if event.kind.is_empty() { "-" } else { event.kind.as_str() };
        let kind = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(kind)
            .build()
            .map_err(|e| QueueError::Invalid(e.to_string()))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .message_attributes(crate::sqs::attribute::KIND, kind)
            .send()
            .await
            .map_err(events_error)?;
        Ok(())
    }
}
