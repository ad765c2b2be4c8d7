//! `Queues` over SQS: one queue and one dead-letter queue per [`WorkQueue`], JSON bodies.
//!
//! A message's body is the JSON of its [`WorkMessage`], with a `kind` message attribute. A
//! dead-lettered message also carries `reason` (truncated to [`MAX_REASON_BYTES`]),
//! `source-queue` and `dead-lettered-at`, so an operator reading the DLQ sees why it is there.
//! (Messages SQS itself moves after `maxReceiveCount` receives carry no reason: their consumer
//! answered `Retry` every time.)

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::MessageAttributeValue;
use clearview_core::ports::queue::{QueueError, Queues, WorkMessage, WorkQueue};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest `reason` attribute written to a dead-letter queue, in bytes (longer ones are cut at a
/// character boundary and end with `…`).
pub const MAX_REASON_BYTES: usize = 1024;

/// Message attribute names (also what the pump and operators read).
pub mod attribute {
    pub const KIND: &str = "kind";
    pub const REASON: &str = "reason";
    pub const SOURCE_QUEUE: &str = "source-queue";
    pub const DEAD_LETTERED_AT: &str = "dead-lettered-at";
}

/// Where one work queue lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueUrls {
    pub queue: String,
    pub dead_letter: String,
}

/// SQS work queues, for the [`WorkQueue`]s this process was configured with.
#[derive(Debug, Clone)]
pub struct SqsQueues {
    client: Client,
    urls: BTreeMap<WorkQueue, QueueUrls>,
}

impl SqsQueues {
    pub fn new(client: Client, urls: impl IntoIterator<Item = (WorkQueue, QueueUrls)>) -> Self {
        Self { client, urls: urls.into_iter().collect() }
    }

    pub fn urls(&self, queue: WorkQueue) -> Option<&QueueUrls> {
        self.urls.get(&queue)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn configured(&self, queue: WorkQueue) -> Result<&QueueUrls, QueueError> {
        self.urls.get(&queue).ok_or_else(|| {
            QueueError::Unavailable(format!(
                "no URL configured for the {} queue (set {} and {})",
                queue.name(),
                crate::config::env::queue_url(queue),
                crate::config::env::dlq_url(queue)
            ))
        })
    }

    async fn send_to(&self, url: &str, message: &WorkMessage, attributes: &[(&str, String)]) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(|e| QueueError::Invalid(e.to_string()))?;
        let mut request = self.client.send_message().queue_url(url).message_body(body);
        for (name, value) in attributes {
            request = request.message_attributes(*name, string_attribute(value)?);
        }
        request.send().await.map_err(queue_error)?;
        Ok(())
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, QueueError> {
    // SQS refuses empty attribute values.
    let value = if value.is_empty() { "-" } else { value };
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| QueueError::Invalid(e.to_string()))
}

/// `reason` made safe for an SQS attribute: characters SQS refuses become `?`, and it is cut to
/// at most [`MAX_REASON_BYTES`] bytes at a character boundary.
pub fn safe_reason(reason: &str) -> String {
    let allowed =
        |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    let clean: String = reason.chars().map(|c| if allowed(c) { c } else { '?' }).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        return "(no reason given)".to_owned();
    }
    if clean.len() <= MAX_REASON_BYTES {
        return clean.to_owned();
    }
    const ELLIPSIS: &str = "…";
    let mut end = MAX_REASON_BYTES - ELLIPSIS.len();
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ELLIPSIS}", &clean[..end])
}

/// Maps an SDK error: a refused message → `Invalid`; everything else (throttling, 5xx, a
/// missing queue, transport) → `Unavailable`, so the caller retries rather than drops.
pub(crate) fn queue_error<E, R>(err: SdkError<E, R>) -> QueueError
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
                "InvalidParameterValue"
                | "InvalidParameter"
                | "InvalidMessageContents"
                | "MessageTooLong"
                | "InvalidAttributeValue"
                | "InvalidAttributeName"
                | "ValidationError" => QueueError::Invalid(message),
                _ => QueueError::Unavailable(message),
            }
        }
        _ => QueueError::Unavailable(aws_sdk_sqs::error::DisplayErrorContext(&err).to_string()),
    }
}

#[async_trait]
impl Queues for SqsQueues {
    async fn send(&self, queue: WorkQueue, message: &WorkMessage) -> Result<(), QueueError> {
        let urls = self.configured(queue)?;
        self.send_to(&urls.queue, message, &[(attribute::KIND, message.kind.clone())]).await
    }

    async fn send_delayed(
        &self,
        queue: WorkQueue,
        message: &WorkMessage,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        if delay > clearview_core::ports::queue::MAX_SEND_DELAY {
            return Err(QueueError::Invalid(format!("a message is delayed at most 15 minutes, not {delay:?}")));
        }
        let urls = self.configured(queue)?;
        let body = serde_json::to_string(message).map_err(|e| QueueError::Invalid(e.to_string()))?;
        let seconds = i32::try_from(delay.as_secs()).unwrap_or(900);
        self.client
            .send_message()
            .queue_url(&urls.queue)
            .message_body(body)
            .delay_seconds(seconds)
            .message_attributes(attribute::KIND, string_attribute(&message.kind)?)
            .send()
            .await
            .map_err(queue_error)?;
        Ok(())
    }

    async fn dead_letter(&self, queue: WorkQueue, message: &WorkMessage, reason: &str) -> Result<(), QueueError> {
        let urls = self.configured(queue)?;
        let now = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
        let attributes = [
            (attribute::KIND, message.kind.clone()),
            (attribute::REASON, safe_reason(reason)),
            (attribute::SOURCE_QUEUE, queue.name().to_owned()),
            (attribute::DEAD_LETTERED_AT, now),
        ];
        self.send_to(&urls.dead_letter, message, &attributes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_at_a_character_boundary() {
        let long = "é".repeat(2000);
        let cut = safe_reason(&long);
        assert!(cut.len() <= MAX_REASON_BYTES, "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert_eq!(safe_reason("short"), "short");
        assert_eq!(safe_reason(""), "(no reason given)");
        assert_eq!(safe_reason("a\u{0}b\u{FFFF}"), "a?b?");
    }
}
