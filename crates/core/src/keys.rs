//! The single-table key design, in one place. docs/data-model.md lists the access patterns.
//!
//! Every tenant-owned key starts with `ORG#<org>`, so an IAM `dynamodb:LeadingKeys` condition
//! can fence a tenant. Ids are UUIDv7, so `…#<id>` sort keys sort by creation time.

use crate::ports::store::Key;
use crate::values::{JobId, OrgId, UserId};

pub fn org_pk(org: &OrgId) -> String {
    format!("ORG#{org}")
}

pub fn org(org: &OrgId) -> Key {
    Key::new(org_pk(org), "ORG")
}

pub const USER_PREFIX: &str = "USER#";
pub fn user(org: &OrgId, user: &UserId) -> Key {
    Key::new(org_pk(org), format!("{USER_PREFIX}{user}"))
}

pub const JOB_PREFIX: &str = "JOB#";
pub fn job(org: &OrgId, job: &JobId) -> Key {
    Key::new(org_pk(org), format!("{JOB_PREFIX}{job}"))
}

/// gsi1: a tenant's jobs by status, newest first when queried descending.
pub fn job_by_status(org: &OrgId, status: &str, job: &JobId) -> Key {
    Key::new(format!("ORG#{org}#JOBSTATUS#{status}"), format!("JOB#{job}"))
}
pub fn job_by_status_pk(org: &OrgId, status: &str) -> String {
    format!("ORG#{org}#JOBSTATUS#{status}")
}

/// gsi2: the public board of active jobs across tenants (what candidates browse).
pub const ACTIVE_JOBS_PK: &str = "JOBBOARD#active";
pub fn job_on_board(published_at: &str, org: &OrgId, job: &JobId) -> Key {
    Key::new(ACTIVE_JOBS_PK, format!("{published_at}#{org}#{job}"))
}

/// Audit trail: a tenant's own partition, sorted by time.
pub fn audit_pk(org: &OrgId) -> String {
    format!("ORG#{org}#AUDIT")
}
pub fn audit(org: &OrgId, at: &str, id: &str) -> Key {
    Key::new(audit_pk(org), format!("{at}#{id}"))
}

/// Idempotency records, scoped to the caller (tenant and user) or, for public routes, global.
pub fn idempotency(scope: &str, route: &str, key: &str) -> Key {
    Key::new(format!("{scope}#IDEM"), format!("{route}#{key}"))
}

/// A candidate's profile (not tenant-owned).
pub fn candidate(id: &UserId) -> Key {
    Key::new(format!("CANDIDATE#{id}"), "PROFILE")
}

/// Where a job lives, by id alone (candidates apply with a job id).
pub fn job_locator(job: &JobId) -> Key {
    Key::new(format!("JOBREF#{job}"), "JOBREF")
}

pub const APP_PREFIX: &str = "APP#";
pub fn application(org: &OrgId, app: &str) -> Key {
    Key::new(org_pk(org), format!("{APP_PREFIX}{app}"))
}

/// gsi1: a job's applications, by pipeline stage (a kanban column is one prefix).
pub fn application_by_job(org: &OrgId, job: &JobId, stage: &str, app: &str) -> Key {
    Key::new(application_by_job_pk(org, job), format!("{}{APP_PREFIX}{app}", application_stage_prefix(stage)))
}
pub fn application_stage_prefix(stage: &str) -> String {
    format!("STAGE#{stage}#")
}
pub fn application_by_job_pk(org: &OrgId, job: &JobId) -> String {
    format!("ORG#{org}#JOB#{job}#APPS")
}

/// gsi2: a candidate's applications, across employers.
pub fn application_by_candidate(candidate: &UserId, app: &str) -> Key {
    Key::new(application_by_candidate_pk(candidate), format!("{APP_PREFIX}{app}"))
}
pub fn application_by_candidate_pk(candidate: &UserId) -> String {
    format!("CANDIDATE#{candidate}#APPS")
}

/// One application per candidate and job.
pub fn applied_marker(org: &OrgId, job: &JobId, candidate: &UserId) -> Key {
    Key::new(org_pk(org), format!("APPLIED#{job}#{candidate}"))
}

/// A stage's output for an application (`parsed`, `anonymized`, `score`, `bias`).
pub fn stage_result(org: &OrgId, app: &str, stage: &str) -> Key {
    Key::new(org_pk(org), format!("RESULT#{app}#{}", stage.to_ascii_uppercase()))
}

/// Sealed voluntary self-identification, apart from the profile; gsi1 groups a job's for audits.
pub fn self_identification(org: &OrgId, app: &str) -> Key {
    Key::new(org_pk(org), format!("EEO#{app}"))
}
pub fn self_identification_by_job_pk(org: &OrgId, job: &JobId) -> String {
    format!("ORG#{org}#JOB#{job}#EEO")
}

/// An emailed event, so a redelivered event sends nothing twice.
pub fn email_sent(event_id: &str) -> Key {
    Key::new(format!("EMAILED#{event_id}"), "EMAILED")
}

/// A stage's work on one message, so a redelivered message changes nothing twice.
pub fn processed(org: &OrgId, consumer: &str, message_id: &str) -> Key {
    Key::new(format!("ORG#{org}#DONE#{consumer}"), message_id.to_owned())
}

pub fn file(org: &OrgId, file: &str) -> Key {
    Key::new(org_pk(org), format!("FILE#{file}"))
}
pub fn file_by_candidate(candidate: &UserId, file: &str) -> Key {
    Key::new(format!("CANDIDATE#{candidate}#FILES"), format!("FILE#{file}"))
}

/// The blob key of an uploaded resume: the parse consumer reads org, application and file from it.
pub fn resume_object(org: &OrgId, app: &str, file: &str) -> String {
    format!("uploads/{org}/{app}/{file}")
}

/// (org, application, file) of a resume object key, if it is one.
pub fn parse_resume_object(key: &str) -> Option<(OrgId, String, String)> {
    let mut parts = key.strip_prefix("uploads/")?.split('/');
    let (org, app, file) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((OrgId::parse(org)?, app.to_owned(), file.to_owned()))
}

/// An organisation's pipeline (its stages and reveal stage).
pub fn pipeline(org: &OrgId) -> Key {
    Key::new(org_pk(org), "PIPELINE")
}

/// An application's history (stage exits and reveals), in time order (ids are UUIDv7).
pub fn history(org: &OrgId, app: &str, id: &str) -> Key {
    Key::new(org_pk(org), format!("{}{id}", history_prefix(app)))
}
pub fn history_prefix(app: &str) -> String {
    format!("HIST#{app}#")
}

/// Counters of the kanban: open applications per job and stage, closed ones per job and
/// status. One partition per tenant, so the overview is one query.
pub fn counts_pk(org: &OrgId) -> String {
    format!("ORG#{org}#COUNTS")
}
pub fn stage_count(org: &OrgId, job: &JobId, stage: &str) -> Key {
    Key::new(counts_pk(org), format!("JOB#{job}#STAGE#{stage}"))
}
pub fn status_count(org: &OrgId, job: &JobId, status: &str) -> Key {
    Key::new(counts_pk(org), format!("JOB#{job}#STATUS#{status}"))
}

/// Daily pipeline statistics (entries, exits by outcome, time-in-stage buckets, rejection
/// reasons, reveals) per job and stage, kept in the same transaction as each move; a date range
/// is one range query.
pub fn stats_pk(org: &OrgId) -> String {
    format!("ORG#{org}#PIPESTATS")
}
pub fn stat(org: &OrgId, day: &str, job: &JobId, stage: &str, metric: &str) -> Key {
    Key::new(stats_pk(org), format!("{day}#JOB#{job}#STAGE#{stage}#{metric}"))
}
