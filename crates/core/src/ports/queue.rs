//! Work queues and domain events: SQS queues (each with a dead-letter queue) and an SNS topic in
//! AWS; durable queues in the embedded store locally.
//!
//! Delivery is at least once. A consumer answers [`Outcome`]s: `Retry` leaves the message to be
//! delivered again (after the queue's maximum receives it lands in the dead-letter queue), and
//! `Poison` moves it to the dead-letter queue at once with the reason.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A work queue, by name: an SQS queue (with its dead-letter queue) in AWS, a durable local
/// queue in the embedded default. The queues that exist are the asynchronous-work table's
/// (`clearview_chain::table`); these constants name the processing chain's for the code that
/// sends to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkQueue(&'static str);

impl WorkQueue {
    /// Object-created notifications of uploaded resumes.
    pub const PARSE: WorkQueue = WorkQueue("parse");
    pub const ANONYMIZE: WorkQueue = WorkQueue("anonymize");
    pub const SCORE: WorkQueue = WorkQueue("score");
    pub const BIAS: WorkQueue = WorkQueue("bias");
    /// Application events (SNS subscription in AWS).
    pub const EMAIL: WorkQueue = WorkQueue("email");

    /// A queue by its table name (lowercase letters and `-`).
    pub const fn named(name: &'static str) -> Self {
        WorkQueue(name)
    }

    pub fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for WorkQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// What feeds a queue besides functions sending to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Only functions (a `SendTo` grant).
    Functions,
    /// Object-created notifications for keys under this prefix of the bucket.
    ObjectCreated(&'static str),
    /// A subscription to this topic (SNS envelope, not raw), delivering only events whose
    /// `kind` starts with one of these prefixes (an SNS filter policy; empty: every event).
    Topic(&'static str, &'static [&'static str]),
}

/// A queue of the asynchronous-work table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDef {
    pub name: &'static str,
    pub feed: Feed,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

impl QueueDef {
    pub fn queue(&self) -> WorkQueue {
        WorkQueue(self.name)
    }

    /// Whether a topic subscription of this queue delivers an event of `kind`.
    pub fn accepts_event(&self, kind: &str) -> bool {
        match self.feed {
            Feed::Topic(_, kinds) => kinds.is_empty() || kinds.iter().any(|k| kind.starts_with(k)),
            _ => false,
        }
    }
}

/// One unit of work. `id` is stable across redeliveries and is what consumers dedupe on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkMessage {
    pub id: String,
    /// What the body holds (`object-created`, `parsed`, `application-event` …).
    pub kind: String,
    pub body: serde_json::Value,
}

/// A fact that happened to an application, fanned out to whoever listens (email, later analytics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainEvent {
    /// Unique; consumers dedupe on it.
    pub id: String,
    /// `application.received`, `application.status_changed`, `application.parse_failed` …
    pub kind: String,
    pub org_id: String,
    pub subject_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub data: serde_json::Value,
    /// The correlation id of the work that caused it (the resume chain's run id), so the email
    /// it sends logs the same id as the upload and every stage before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

/// The longest delay a message may be sent with (SQS's `DelaySeconds` limit, 15 minutes).
pub const MAX_SEND_DELAY: std::time::Duration = std::time::Duration::from_secs(900);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("invalid message: {0}")]
    Invalid(String),
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Queues: Send + Sync {
    async fn send(&self, queue: WorkQueue, message: &WorkMessage) -> Result<(), QueueError>;
    /// Sends a message that becomes receivable only after `delay` (at most
    /// [`MAX_SEND_DELAY`]: SQS's `DelaySeconds`). A retry with backoff re-sends its work this way,
    /// with a growing attempt count in the body. Adapters that cannot delay refuse.
    async fn send_delayed(
        &self,
        queue: WorkQueue,
        message: &WorkMessage,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        let _ = (queue, message, delay);
        Err(QueueError::Unavailable("this queue adapter cannot delay a message".into()))
    }
    /// Moves a message that can never succeed to `queue`'s dead-letter queue, with the reason.
    async fn dead_letter(&self, queue: WorkQueue, message: &WorkMessage, reason: &str) -> Result<(), QueueError>;
}

#[async_trait]
pub trait Events: Send + Sync {
    /// Publishes to the application-events topic (which feeds the email queue).
    async fn publish(&self, event: &DomainEvent) -> Result<(), QueueError>;
}

/// What a consumer made of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// A transient fault: deliver it again later.
    Retry(String),
    /// It can never succeed: dead-letter it now, with this reason.
    Poison(String),
}

/// A scheduled consumer: run by an EventBridge schedule in AWS and by the embedded default's cron.
#[async_trait]
pub trait Scheduled: Send + Sync {
    /// Runs the job for the schedule's firing at `scheduled_at`. Must be idempotent: a retried
    /// firing (same time) changes nothing twice.
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome;
}

/// A queue consumer: the same handler runs under the Lambda SQS glue and the embedded workers.
#[async_trait]
pub trait Consumer: Send + Sync {
    fn queue(&self) -> WorkQueue;
    /// Handles one message. Must be idempotent: a redelivered message changes nothing twice.
    async fn handle(&self, message: &WorkMessage) -> Outcome;
}

/// The body of a `Parse` message: an object arrived in the blob store (S3 ObjectCreated, or the
/// embedded store's upload endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectCreated {
    /// Always URL-decoded.
    pub key: String,
    pub size: u64,
    /// S3 version id or ETag; locally a content hash. Parse dedupes on (key, version).
    pub version: Option<String>,
}

impl ObjectCreated {
    pub const KIND: &'static str = "object-created";

    pub fn message(&self) -> WorkMessage {
        WorkMessage {
            id: format!("{}@{}", self.key, self.version.as_deref().unwrap_or("-")),
            kind: Self::KIND.to_owned(),
            body: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}
