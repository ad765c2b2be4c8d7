//! The `analytics` consumer: adds each application event's contribution to the organisation's
//! daily analytics counters, once (`clearview_core::services::analytics::record_event`: the
//! event's marker is written in the same transaction as the counter ADDs).

use clearview_core::AppError;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::analytics;

pub const QUEUE: WorkQueue = WorkQueue::named("analytics");

pub struct AnalyticsConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for AnalyticsConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event: DomainEvent = match serde_json::from_value(m.body.clone()) {
            Ok(e) => e,
            Err(e) => return Outcome::Poison(format!("not an application event: {e}")),
        };
        match analytics::record_event(&self.0, &event).await {
            Ok(counted) => {
                tracing::info!(event = %event.id, kind = %event.kind, counted, "analytics counted");
                Outcome::Done
            }
            Err(e @ (AppError::Validation(_) | AppError::Malformed(_) | AppError::Internal(_))) => {
                Outcome::Poison(format!("event {}: {e}", event.id))
            }
            Err(e) => Outcome::Retry(format!("counting {}: {e}", event.id)),
        }
    }
}
