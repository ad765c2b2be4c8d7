//! The resume processing chain over the core ports: one [`Consumer`] per queue — parse,
//! anonymize, score, bias, email — each idempotent (keyed on the object version or the run),
//! recording where the application is so a person can see it, and failing into a retry or a
//! dead letter with a reason, never into silence. Also the screening use cases the API serves:
//! the job-ad language report and the NYC LL144 cohort audit.

pub mod alerts;
pub mod analytics;
pub mod audit;
pub mod consumers;
pub mod criteria;
pub mod email;
pub mod interviews;
pub mod reminders;
pub mod report_render;
pub mod reports;
pub mod table;

pub use consumers::{AnonymizeConsumer, BiasConsumer, EmailConsumer, ParseConsumer, ScoreConsumer, all};

use clearview_core::model::Job;
use clearview_screening::bias::language::{LanguageReport, analyze_job_ad};

/// The job ad's coded language (Gaucher, Friesen & Kay 2011; age-coded phrases), reported
/// whenever a job is saved or read, and with its scores.
pub fn job_ad_language(job: &Job) -> LanguageReport {
    let mut text = job.title.clone();
    let description = job.plain_description().to_owned();
    for part in [Some(&description), job.requirements.as_ref(), job.nice_to_have.as_ref()].into_iter().flatten() {
        text.push('\n');
        text.push_str(part);
    }
    analyze_job_ad(&text)
}
