//! The resume processing chain over the core ports: one [`Consumer`] per queue — parse,
//! anonymize, score, bias, email — each idempotent (keyed on the object version or the run),
//! recording where the application is so a person can see it, and failing into a retry or a
//! dead letter with a reason, never into silence. Also the screening use cases the API serves:
//! the job-ad language report and the NYC LL144 cohort audit.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod community_events;
pub mod consumers;
pub mod criteria;
pub mod email;
pub mod integrations;
pub mod interviews;
pub mod market;
pub mod messages;
pub mod models;
pub mod onboarding;
pub mod platform;
pub mod privacy;
pub mod reminders;
pub mod report_render;
pub mod reports;
pub mod retention;
pub mod scan;
pub mod table;
pub mod webhooks;

pub use consumers::{AnonymizeConsumer, BiasConsumer, EmailConsumer, ParseConsumer, ScoreConsumer, all};

use clearview_core::model::Job;
use clearview_screening::bias::language::{LanguageReport, analyze_job_ad};

/// The job ad's coded language (Gaucher, Friesen & Kay 2011; age-coded phrases), reported
/// whenever a job is saved or read, and with its scores.
pub fn job_ad_language(job: &Job) -> LanguageReport {
    analyze_job_ad(&job_ad_text(job))
}

/// The text [`job_ad_language`] analyses: title, plain description, requirements and
/// nice-to-haves, one per line. The report is a function of this text alone.
pub fn job_ad_text(job: &Job) -> String {
    let mut text = job.title.clone();
    let description = job.plain_description();
    for part in [Some(description), job.requirements.as_deref(), job.nice_to_have.as_deref()].into_iter().flatten() {
        text.push('\n');
        text.push_str(part);
    }
    text
}

/// The domain event a topic-fed message carries: `Ok(None)` when it is not of a kind this
/// consumer handles (its subscription filter lets it through; nothing to do), `Err` with a
/// poison outcome when it cannot be read.
pub(crate) fn event_of(
    m: &clearview_core::ports::queue::WorkMessage,
    handles: impl Fn(&str) -> bool,
) -> Result<Option<clearview_core::ports::queue::DomainEvent>, clearview_core::ports::queue::Outcome> {
    let event: clearview_core::ports::queue::DomainEvent = serde_json::from_value(m.body.clone())
        .map_err(|e| clearview_core::ports::queue::Outcome::Poison(format!("unreadable {} message: {e}", m.kind)))?;
    Ok(handles(&event.kind).then_some(event))
}

/// How a failed step ends: retried when it may pass later (unavailable, throttled, a lost
/// race), dead-lettered with the reason otherwise.
pub(crate) fn outcome_of(what: &str, e: clearview_core::AppError) -> clearview_core::ports::queue::Outcome {
    use clearview_core::AppError;
    use clearview_core::ports::queue::Outcome;
    match e {
        AppError::Unavailable(_) | AppError::TooManyRequests(_) | AppError::Conflict { .. } => {
            Outcome::Retry(format!("{what}: {e}"))
        }
        other => Outcome::Poison(format!("{what}: {other}")),
    }
}
