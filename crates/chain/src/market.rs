//! The `career-market` consumer: adds each `job.published` and `application.received` event's
//! contribution to the market-insight counters and the candidate's applications counter, once
//! (`clearview_core::services::market::record_event`: the event's marker is written in the same
//! transaction as the counter ADDs).

use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::market;

pub const QUEUE: WorkQueue = WorkQueue::named("career-market");

pub struct MarketConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for MarketConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event = match crate::event_of(m, |k| market::EVENTS.contains(&k)) {
            Ok(Some(e)) => e,
            Ok(None) => return Outcome::Done,
            Err(poison) => return poison,
        };
        match market::record_event(&self.0, &event).await {
            Ok(counted) => {
                tracing::info!(event = %event.id, kind = %event.kind, counted, "market counted");
                Outcome::Done
            }
            Err(e) => crate::outcome_of(&format!("counting {}", event.id), e),
        }
    }
}
