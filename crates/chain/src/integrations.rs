//! The `integration-sync` consumer and its hourly schedule: job boards' state per job and each
//! sync run's outcome (`clearview_core::services::integrations::run_sync`). A sync is asked for
//! on demand (`POST /api/integrations/{id}/sync`), by the schedule, and by `job.published`;
//! `job.paused` and `job.closed` move each board's state of the job at once.

use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, Scheduled, WorkMessage, WorkQueue};
use clearview_core::services::integrations::{self, SyncRequest};
use time::OffsetDateTime;

pub const QUEUE: WorkQueue = integrations::SYNC_QUEUE;
pub const EVENTS: &[&str] = integrations::SYNC_EVENTS;

pub struct IntegrationSyncConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for IntegrationSyncConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }

    async fn handle(&self, m: &WorkMessage) -> Outcome {
        if m.kind == integrations::SYNC_KIND {
            let req: SyncRequest = match serde_json::from_value(m.body.clone()) {
                Ok(r) => r,
                Err(e) => return Outcome::Poison(format!("unreadable sync request: {e}")),
            };
            return match integrations::run_sync(&self.0, &req).await {
                Ok(Some(run)) => {
                    tracing::info!(integration = %req.integration_id, run = %run.id, outcome = %run.outcome, active = run.active, paused = run.paused, removed = run.removed, "integration synced");
                    Outcome::Done
                }
                Ok(None) => Outcome::Done,
                Err(e) => Outcome::Retry(format!("sync {}: {e}", req.run_id)),
            };
        }
        let event: DomainEvent = match serde_json::from_value(m.body.clone()) {
            Ok(e) => e,
            Err(e) => return Outcome::Poison(format!("not an application event: {e}")),
        };
        match integrations::on_job_event(&self.0, &event).await {
            Ok(_) => Outcome::Done,
            Err(e) => Outcome::Retry(format!("{} {}: {e}", event.kind, event.id)),
        }
    }
}

pub struct IntegrationSyncSchedule(pub Deps);

#[async_trait::async_trait]
impl Scheduled for IntegrationSyncSchedule {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        match integrations::queue_scheduled_syncs(&self.0, scheduled_at).await {
            Ok(n) => {
                tracing::info!(queued = n, "job-board syncs queued");
                Outcome::Done
            }
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}
