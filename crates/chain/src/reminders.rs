//! The `follow-up-reminders` schedule: emails every follow-up reminder that has come due.

use clearview_core::Deps;
use clearview_core::error::AppError;
use clearview_core::ports::queue::{Outcome, Scheduled};
use time::OffsetDateTime;

pub struct FollowUpReminders(pub Deps);

#[async_trait::async_trait]
impl Scheduled for FollowUpReminders {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        // A late firing still sends everything due by now, not only by when it was meant to run.
        let now = self.0.clock.now().max(scheduled_at);
        match clearview_core::services::reminders::send_due(&self.0, now).await {
            Ok(n) => {
                tracing::info!(schedule = "follow-up-reminders", sent = n, "follow-up reminders done");
                Outcome::Done
            }
            Err(e @ (AppError::Unavailable(_) | AppError::TooManyRequests(_) | AppError::Conflict { .. })) => {
                Outcome::Retry(format!("sending follow-up reminders: {e}"))
            }
            Err(e) => Outcome::Poison(format!("sending follow-up reminders: {e}")),
        }
    }
}
