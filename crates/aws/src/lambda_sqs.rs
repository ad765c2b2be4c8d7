//! Lambda glue for SQS-triggered consumers: turns an `SqsEvent` into `WorkMessage`s, runs the
//! [`Consumer`], and reports partial batch failures.
//!
//! Per record: `Done` → deleted by Lambda; `Retry` → listed in `batchItemFailures`, so SQS
//! delivers it again after the visibility timeout (and moves it to the DLQ after
//! `maxReceiveCount`); `Poison` and unreadable bodies → sent to the dead-letter queue with the
//! reason, then reported as done (if that send fails, the record is reported failed instead, so
//! nothing is lost). Records are independent: one failure never fails the others. The event
//! source mapping must set `FunctionResponseTypes: [ReportBatchItemFailures]`.
//!
//! Body shapes accepted, on any queue (what feeds a queue is the asynchronous-work table's
//! business; the body says what it is):
//! - an S3 event notification (each `ObjectCreated` record → [`ObjectCreated::message`]; the
//!   `s3:TestEvent` → nothing);
//! - a `DomainEvent` inside an SNS envelope (or raw) → a message of kind
//!   [`APPLICATION_EVENT_KIND`] with the event's id;
//! - a `WorkMessage` (sent by a function, or redriven from the DLQ).

use crate::{s3_event, sns_envelope};
use aws_lambda_events::event::sqs::SqsMessage;
pub use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, Queues, WorkMessage, WorkQueue};
use std::sync::Arc;
use tracing::Instrument;

/// `WorkMessage::kind` of a domain event delivered to the email queue.
pub const APPLICATION_EVENT_KIND: &str = "application-event";
/// `WorkMessage::kind` of an unreadable body sent to the dead-letter queue (the body is the raw
/// SQS body as a JSON string).
pub const UNREADABLE_KIND: &str = "unreadable";

/// Why a record's body could not be turned into work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable {queue} message: {reason}")]
pub struct BodyError {
    pub queue: &'static str,
    pub reason: String,
}

/// The work a record's body holds, for a consumer of `queue`. The shape is read from the body
/// itself, so a queue's feed (the asynchronous-work table's `Feed`) needs no second list here.
pub fn messages_from_body(queue: WorkQueue, body: &str) -> Result<Vec<WorkMessage>, BodyError> {
    let error = |reason: String| BodyError { queue: queue.name(), reason };
    if s3_event::is_s3_notification(body) {
        return Ok(s3_event::object_created_records(body)
            .map_err(|e| error(e.to_string()))?
            .iter()
            .map(|created| created.message())
            .collect());
    }
    let inner = sns_envelope::unwrap(body);
    if let Ok(event) = serde_json::from_str::<DomainEvent>(&inner) {
        return Ok(vec![domain_event_message(&event)]);
    }
    work_message(&inner).map(|m| vec![m]).map_err(error)
}

/// A domain event as email-queue work: kind [`APPLICATION_EVENT_KIND`], id = the event's id.
pub fn domain_event_message(event: &DomainEvent) -> WorkMessage {
    WorkMessage {
        id: event.id.clone(),
        kind: APPLICATION_EVENT_KIND.to_owned(),
        body: serde_json::to_value(event).unwrap_or_default(),
    }
}

fn work_message(body: &str) -> Result<WorkMessage, String> {
    let message: WorkMessage = serde_json::from_str(body).map_err(|e| format!("not a work message: {e}"))?;
    if message.id.is_empty() {
        return Err("work message has an empty id".into());
    }
    Ok(message)
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RecordResult {
    Done,
    Failed,
}

async fn dead_letter(queues: &dyn Queues, queue: WorkQueue, message: &WorkMessage, reason: &str) -> RecordResult {
    match queues.dead_letter(queue, message, reason).await {
        Ok(()) => {
            tracing::warn!(queue = queue.name(), id = %message.id, kind = %message.kind, reason, "dead-lettered");
            RecordResult::Done
        }
        Err(e) => {
            tracing::error!(queue = queue.name(), id = %message.id, reason, error = %e,
                "could not dead-letter; leaving the message to be delivered again");
            RecordResult::Failed
        }
    }
}

async fn handle_record(consumer: &dyn Consumer, queues: &dyn Queues, record: &SqsMessage) -> RecordResult {
    let queue = consumer.queue();
    let message_id = record.message_id.as_deref().unwrap_or_default();
    let body = record.body.as_deref().unwrap_or_default();
    let messages = match messages_from_body(queue, body) {
        Ok(messages) => messages,
        Err(e) => {
            let raw = WorkMessage {
                id: message_id.to_owned(),
                kind: UNREADABLE_KIND.to_owned(),
                body: serde_json::Value::String(body.to_owned()),
            };
            return dead_letter(queues, queue, &raw, &e.to_string()).await;
        }
    };
    let mut result = RecordResult::Done;
    for message in &messages {
        let span = clearview_observe::correlation::message_span(queue.name(), message);
        if handle_message(consumer, queues, message_id, message).instrument(span).await == RecordResult::Failed {
            result = RecordResult::Failed;
        }
    }
    result
}

/// One message of a record, in its span (queue, id, correlation id), recording the stage's
/// duration.
async fn handle_message(
    consumer: &dyn Consumer,
    queues: &dyn Queues,
    message_id: &str,
    message: &WorkMessage,
) -> RecordResult {
    let queue = consumer.queue();
    let started = std::time::Instant::now();
    let outcome = consumer.handle(message).await;
    clearview_observe::metrics::stage(queue.name(), started.elapsed());
    match outcome {
        Outcome::Done => {
            tracing::debug!(queue = queue.name(), id = %message.id, kind = %message.kind, "done");
            RecordResult::Done
        }
        Outcome::Retry(reason) => {
            tracing::warn!(queue = queue.name(), sqs_message_id = message_id, id = %message.id, %reason,
                "retry: the message will be delivered again");
            RecordResult::Failed
        }
        Outcome::Poison(reason) => dead_letter(queues, queue, message, &reason).await,
    }
}

/// Handles one SQS batch for `consumer`, dead-lettering through `queues`. The answer lists the
/// records to deliver again; a record without a message id that fails is reported with an empty
/// identifier, which Lambda treats as a failure of the whole batch (redelivery, never loss).
pub async fn handle_batch(consumer: &dyn Consumer, queues: &dyn Queues, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in &event.records {
        if handle_record(consumer, queues, record).await == RecordResult::Failed {
            response.add_failure(record.message_id.clone().unwrap_or_default());
        }
    }
    response
}

/// Runs the Lambda runtime loop, handling every SQS batch with [`handle_batch`]. Await it from
/// `main` (`lambda_runtime`'s loop future is not `Send`, so it cannot be `tokio::spawn`ed).
pub async fn run(consumer: Arc<dyn Consumer>, queues: Arc<dyn Queues>) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<SqsEvent>| {
        let consumer = consumer.clone();
        let queues = queues.clone();
        async move { Ok::<_, lambda_runtime::Error>(handle_batch(&*consumer, &*queues, event.payload).await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use clearview_core::ports::queue::{ObjectCreated, QueueError};
    use std::sync::Mutex;

    const MOTO_S3: &str = include_str!("../tests/fixtures/sqs_s3_moto.json");
    const AWS_S3: &str = include_str!("../tests/fixtures/sqs_s3_aws.json");
    const SNS_ENVELOPE: &str = include_str!("../tests/fixtures/sqs_sns_envelope.json");
    const PLAIN: &str = include_str!("../tests/fixtures/sqs_plain.json");

    fn event(json: &str) -> SqsEvent {
        serde_json::from_str(json).unwrap()
    }

    /// Answers by message id: ids containing "retry" → Retry, "poison" → Poison, else Done.
    struct Recorder {
        queue: WorkQueue,
        seen: Mutex<Vec<WorkMessage>>,
    }

    impl Recorder {
        fn new(queue: WorkQueue) -> Self {
            Self { queue, seen: Mutex::new(Vec::new()) }
        }
        fn seen(&self) -> Vec<WorkMessage> {
            self.seen.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl Consumer for Recorder {
        fn queue(&self) -> WorkQueue {
            self.queue
        }
        async fn handle(&self, message: &WorkMessage) -> Outcome {
            self.seen.lock().unwrap().push(message.clone());
            if message.id.contains("retry") {
                Outcome::Retry("store throttled".into())
            } else if message.id.contains("poison") {
                Outcome::Poison("resume is not a PDF, DOCX or TXT".into())
            } else {
                Outcome::Done
            }
        }
    }

    #[derive(Default)]
    struct FakeQueues {
        dead: Mutex<Vec<(WorkQueue, WorkMessage, String)>>,
        broken: bool,
    }

    #[async_trait]
    impl Queues for FakeQueues {
        async fn send(&self, _: WorkQueue, _: &WorkMessage) -> Result<(), QueueError> {
            Ok(())
        }
        async fn dead_letter(&self, queue: WorkQueue, message: &WorkMessage, reason: &str) -> Result<(), QueueError> {
            if self.broken {
                return Err(QueueError::Unavailable("SQS is down".into()));
            }
            self.dead.lock().unwrap().push((queue, message.clone(), reason.to_owned()));
            Ok(())
        }
    }

    #[tokio::test]
    async fn moto_shaped_s3_notification_becomes_object_created() {
        let consumer = Recorder::new(WorkQueue::PARSE);
        let queues = FakeQueues::default();
        let response = handle_batch(&consumer, &queues, event(MOTO_S3)).await;
        assert!(response.batch_item_failures.is_empty());
        let created = ObjectCreated {
            key: "uploads/org-1/app-7/Ana López CV.pdf".into(),
            size: 48213,
            version: Some("9b2cf535f27731c974343645a3985328".into()),
        };
        assert_eq!(consumer.seen(), vec![created.message()]);
    }

    #[tokio::test]
    async fn aws_shaped_s3_notification_uses_the_version_id_and_skips_the_test_event() {
        let consumer = Recorder::new(WorkQueue::PARSE);
        let queues = FakeQueues::default();
        let response = handle_batch(&consumer, &queues, event(AWS_S3)).await;
        assert!(response.batch_item_failures.is_empty());
        let seen = consumer.seen();
        assert_eq!(seen.len(), 1, "the test event is no work: {seen:?}");
        assert_eq!(seen[0].kind, ObjectCreated::KIND);
        let body: ObjectCreated = serde_json::from_value(seen[0].body.clone()).unwrap();
        assert_eq!(body.key, "uploads/org-1/app-7/Ana López CV (2).pdf");
        assert_eq!(body.version.as_deref(), Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"));
        assert_eq!(seen[0].id, "uploads/org-1/app-7/Ana López CV (2).pdf@3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
        assert!(queues.dead.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn sns_envelope_on_the_email_queue_becomes_an_application_event() {
        let consumer = Recorder::new(WorkQueue::EMAIL);
        let queues = FakeQueues::default();
        let response = handle_batch(&consumer, &queues, event(SNS_ENVELOPE)).await;
        assert!(response.batch_item_failures.is_empty());
        let seen = consumer.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].id, "evt-01HQ3V");
        assert_eq!(seen[0].kind, APPLICATION_EVENT_KIND);
        let event: DomainEvent = serde_json::from_value(seen[0].body.clone()).unwrap();
        assert_eq!((event.kind.as_str(), event.org_id.as_str()), ("application.received", "org-1"));
        assert_eq!(event.data, serde_json::json!({"jobId": "job-3"}));
    }

    #[tokio::test]
    async fn plain_work_messages_and_an_unreadable_body_is_dead_lettered_not_retried() {
        let consumer = Recorder::new(WorkQueue::SCORE);
        let queues = FakeQueues::default();
        let response = handle_batch(&consumer, &queues, event(PLAIN)).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
        let ids: Vec<String> = consumer.seen().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["app-7@v1", "app-8@v1"]);
        let dead = queues.dead.lock().unwrap();
        assert_eq!(dead.len(), 1);
        let (queue, message, reason) = &dead[0];
        assert_eq!(*queue, WorkQueue::SCORE);
        assert_eq!(message.id, "a1b2c3d4-0000-4000-8000-000000000003");
        assert_eq!(message.kind, UNREADABLE_KIND);
        assert_eq!(message.body, serde_json::json!("this is not json"));
        assert!(reason.contains("unreadable score message"), "{reason}");
    }

    fn plain_batch(ids: &[&str]) -> SqsEvent {
        let mut event = SqsEvent::default();
        for (n, id) in ids.iter().enumerate() {
            let mut record = SqsMessage::default();
            record.message_id = Some(format!("sqs-{n}"));
            record.body = Some(serde_json::json!({"id": id, "kind": "parsed", "body": {}}).to_string());
            event.records.push(record);
        }
        event
    }

    #[tokio::test]
    async fn only_the_failing_record_is_reported() {
        let consumer = Recorder::new(WorkQueue::BIAS);
        let queues = FakeQueues::default();
        let response = handle_batch(&consumer, &queues, plain_batch(&["ok-1", "retry-1", "ok-2", "poison-1"])).await;
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["sqs-1"]);
        // What Lambda reads back (ReportBatchItemFailures).
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "sqs-1"}]})
        );
        assert_eq!(consumer.seen().len(), 4, "a failure does not stop the batch");
        let dead = queues.dead.lock().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].1.id, "poison-1");
        assert_eq!(dead[0].2, "resume is not a PDF, DOCX or TXT");
    }

    #[tokio::test]
    async fn poison_that_cannot_be_dead_lettered_is_retried_not_lost() {
        let consumer = Recorder::new(WorkQueue::BIAS);
        let queues = FakeQueues { broken: true, ..FakeQueues::default() };
        let mut batch = plain_batch(&["poison-1", "ok-1"]);
        let mut unreadable = SqsMessage::default();
        unreadable.message_id = Some("sqs-2".into());
        unreadable.body = Some("{".into());
        batch.records.push(unreadable);
        let response = handle_batch(&consumer, &queues, batch).await;
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["sqs-0", "sqs-2"]);
    }

    #[test]
    fn parse_queue_accepts_a_redriven_work_message() {
        let created = ObjectCreated { key: "uploads/a b.pdf".into(), size: 3, version: Some("v1".into()) };
        let body = serde_json::to_string(&created.message()).unwrap();
        assert_eq!(messages_from_body(WorkQueue::PARSE, &body).unwrap(), vec![created.message()]);
        assert!(messages_from_body(WorkQueue::PARSE, r#"{"id":"","kind":"x","body":null}"#).is_err());
    }

    #[test]
    fn email_queue_accepts_raw_delivery_too() {
        let raw = r#"{"id":"evt-9","kind":"application.status_changed","orgId":"o","subjectId":"a","occurredAt":"2025-03-01T10:00:00Z","data":{}}"#;
        let messages = messages_from_body(WorkQueue::EMAIL, raw).unwrap();
        assert_eq!((messages[0].id.as_str(), messages[0].kind.as_str()), ("evt-9", APPLICATION_EVENT_KIND));
    }
}
