//! The scheduled `reports` consumer. For now it records each run (one item per firing, so a
//! retried firing records nothing twice); the reports themselves have their own issue.

use async_trait::async_trait;
use clearview_core::Deps;
use clearview_core::ports::queue::{Outcome, Scheduled};
use clearview_core::ports::store::{Condition, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Partition of the schedule's run records (not tenant data: it holds no tenant's fields).
pub const RUNS_PK: &str = "SCHEDULE#reports";

/// The key of the run for the firing at `scheduled_at` (sorts by time).
pub fn run_key(scheduled_at: OffsetDateTime) -> Key {
    let at = scheduled_at.format(&Rfc3339).unwrap_or_default();
    Key::new(RUNS_PK, format!("RUN#{at}"))
}

/// What a run record holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRun {
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub status: String,
}

pub struct ReportsJob(pub Deps);

#[async_trait]
impl Scheduled for ReportsJob {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        let run = ReportRun { scheduled_at, started_at: self.0.clock.now(), status: "recorded".into() };
        let item = Item {
            key: run_key(scheduled_at),
            gsi1: None,
            gsi2: None,
            entity: "ReportRun".into(),
            version: 1,
            // Kept 400 days from when it ran (a replayed old firing still gets its record).
            expires_at: Some(run.started_at.unix_timestamp() + 400 * 24 * 3600),
            data: serde_json::to_value(&run).unwrap_or_default(),
        };
        match self.0.store.put(item, Condition::NotExists).await {
            Ok(()) => {
                tracing::info!(schedule = "reports", scheduled_at = %run.started_at, "report run recorded");
                Outcome::Done
            }
            // The same firing delivered again: already recorded.
            Err(StoreError::ConditionFailed { .. }) => Outcome::Done,
            Err(e @ (StoreError::Unavailable(_) | StoreError::Throttled(_))) => Outcome::Retry(e.to_string()),
            Err(e) => Outcome::Poison(e.to_string()),
        }
    }
}
