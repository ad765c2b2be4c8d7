//! The daily `onboarding-overdue` schedule: tells the assignee of every onboarding task that has
//! passed its due date, once per task (clearview_core::services::onboarding::notify_overdue).

use clearview_core::Deps;
use clearview_core::error::AppError;
use clearview_core::ports::queue::{Outcome, Scheduled};
use time::OffsetDateTime;

pub struct OnboardingOverdue(pub Deps);

#[async_trait::async_trait]
impl Scheduled for OnboardingOverdue {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        let today = self.0.clock.now().max(scheduled_at).date();
        match clearview_core::services::onboarding::notify_overdue(&self.0, today).await {
            Ok(n) => {
                tracing::info!(schedule = "onboarding-overdue", told = n, "overdue onboarding tasks reported");
                Outcome::Done
            }
            Err(e @ (AppError::Unavailable(_) | AppError::TooManyRequests(_) | AppError::Conflict { .. })) => {
                Outcome::Retry(format!("reporting overdue onboarding tasks: {e}"))
            }
            Err(e) => Outcome::Poison(format!("reporting overdue onboarding tasks: {e}")),
        }
    }
}
