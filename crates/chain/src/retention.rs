//! Retention (issue 12): the `retention-index` consumer keeps the "due" index from the
//! application events (rejections by time, each candidate's last activity), and the daily
//! `retention` schedule enforces every organisation's rules from it
//! (`clearview_core::services::retention`).

use clearview_core::AppError;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, Scheduled, WorkMessage, WorkQueue};
use clearview_core::services::retention;
use time::OffsetDateTime;

pub const QUEUE: WorkQueue = retention::QUEUE;
pub const EVENTS: &[&str] = retention::EVENTS;

pub struct RetentionIndexConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for RetentionIndexConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event: DomainEvent = match serde_json::from_value(m.body.clone()) {
            Ok(e) => e,
            Err(e) => return Outcome::Poison(format!("not an application event: {e}")),
        };
        match retention::index_event(&self.0, &event).await {
            Ok(_) => Outcome::Done,
            Err(e @ (AppError::Validation(_) | AppError::Malformed(_) | AppError::Internal(_))) => {
                Outcome::Poison(format!("event {}: {e}", event.id))
            }
            Err(e) => Outcome::Retry(format!("indexing {}: {e}", event.id)),
        }
    }
}

/// The daily run.
pub struct RetentionJob(pub Deps);

#[async_trait::async_trait]
impl Scheduled for RetentionJob {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        let now = self.0.clock.now().max(scheduled_at);
        match retention::enforce(&self.0, now).await {
            Ok(s) => {
                tracing::info!(
                    schedule = "retention",
                    organisations = s.organisations,
                    resumes_deleted = s.resumes_deleted,
                    object_versions_deleted = s.object_versions_deleted,
                    candidates_erased = s.candidates_erased,
                    stale_dropped = s.stale_dropped,
                    exports_expired = s.exports_expired,
                    "retention rules enforced"
                );
                Outcome::Done
            }
            Err(e @ (AppError::Validation(_) | AppError::Malformed(_) | AppError::Internal(_))) => {
                Outcome::Poison(format!("enforcing retention: {e}"))
            }
            Err(e) => Outcome::Retry(format!("enforcing retention: {e}")),
        }
    }
}
