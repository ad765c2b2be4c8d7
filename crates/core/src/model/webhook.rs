//! Outbound webhooks for customers: an organisation's subscriptions to event types, and the
//! log of each delivery attempt (time, answer, latency).

use crate::keys;
use crate::ports::crypto::Sealed;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A subscription as stored: its signing secret sealed (bound to the subscription id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSubscription {
    pub id: String,
    pub org_id: OrgId,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub secret: Sealed,
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for WebhookSubscription {
    const ENTITY: &'static str = "WebhookSubscription";
    fn key(&self) -> Key {
        keys::webhook(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed; another attempt is queued (`nextAttemptAt`).
    Retrying,
    /// It failed for the last time, or can never succeed: the delivery went to the dead-letter queue.
    DeadLettered,
}

/// One delivery attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttempt {
    /// The delivery (the `ClearView-Webhook-Id` header): the same for every attempt of one event.
    pub delivery_id: String,
    pub subscription_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// `ping`, `application.created` …
    pub event_type: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub attempted_at: OffsetDateTime,
    /// The receiver's HTTP status (absent when no answer came: refused target, timeout, connection error).
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    /// The start of the receiver's answer (at most 512 bytes of text).
    pub response_body: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub outcome: AttemptOutcome,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<OffsetDateTime>,
}

/// The delivery log keeps attempts this long.
pub const ATTEMPT_RETENTION_DAYS: i64 = 30;

impl Record for WebhookAttempt {
    const ENTITY: &'static str = "WebhookAttempt";
    fn key(&self) -> Key {
        let ms = i64::try_from(self.attempted_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        keys::webhook_attempt(&self.org_id, &self.subscription_id, ms, &self.delivery_id, self.attempt)
    }
    fn version(&self) -> u64 {
        1
    }
    fn expires_at(&self) -> Option<i64> {
        Some((self.attempted_at + time::Duration::days(ATTEMPT_RETENTION_DAYS)).unix_timestamp())
    }
}
