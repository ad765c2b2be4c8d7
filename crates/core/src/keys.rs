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
/// gsi1 of an audit record: one resource's records, by time.
pub fn audit_by_target_pk(org: &OrgId, target_type: &str, target_id: &str) -> String {
    format!("ORG#{org}#AUDIT#{target_type}#{target_id}")
}
/// gsi2 of an audit record: one actor's records, by time.
pub fn audit_by_actor_pk(org: &OrgId, actor: &str) -> String {
    format!("ORG#{org}#AUDITBY#{actor}")
}
pub fn audit(org: &OrgId, at: &str, id: &str) -> Key {
    Key::new(audit_pk(org), format!("{at}#{id}"))
}

/// The employer's published NYC LL144 bias-audit summary (the latest; public).
pub fn bias_audit_summary(org: &OrgId) -> Key {
    Key::new(org_pk(org), "BIASAUDIT#SUMMARY")
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

/// A job's earlier versions, one item per version (the job as it was before the change that
/// replaced it), in the tenant's partition; they outlive the job, so a deletion can be undone.
pub fn job_version(org: &OrgId, job: &JobId, version: u64) -> Key {
    Key::new(org_pk(org), format!("{}{version:020}", job_version_prefix(job)))
}
pub fn job_version_prefix(job: &JobId) -> String {
    format!("JOBVER#{job}#")
}

pub const JOB_TEMPLATE_PREFIX: &str = "JOBTPL#";
pub fn job_template(org: &OrgId, template: &str) -> Key {
    Key::new(org_pk(org), format!("{JOB_TEMPLATE_PREFIX}{template}"))
}

/// One marker per job under a hash of its identity (title, location, department,
/// case-insensitive), so the jobs that share an identity are one `begins_with` query.
pub fn job_identity(org: &OrgId, identity_hash: &str, job: &JobId) -> Key {
    Key::new(org_pk(org), format!("{}{job}", job_identity_prefix(identity_hash)))
}
pub fn job_identity_prefix(identity_hash: &str) -> String {
    format!("JOBIDENT#{identity_hash}#")
}
/// Claimed (version-checked) by every import row of an identity, so two imports running at
/// once cannot both create the same job.
pub fn job_import_claim(org: &OrgId, identity_hash: &str) -> Key {
    Key::new(org_pk(org), format!("JOBIMPORT#{identity_hash}"))
}

/// A candidate's job alert (saved search).
pub const JOB_ALERT_PREFIX: &str = "JOBALERT#";
pub fn job_alert(candidate: &UserId, alert: &str) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), format!("{JOB_ALERT_PREFIX}{alert}"))
}
/// The index entries of an alert, one per normalised token (`skill:rust`, `title:backend`,
/// `location:berlin`); gsi1 groups every alert that waits for a token.
pub fn job_alert_token(candidate: &UserId, alert: &str, token: &str) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), format!("{}{token}", job_alert_token_prefix(alert)))
}
pub fn job_alert_token_prefix(alert: &str) -> String {
    format!("ALERTTOKEN#{alert}#")
}
pub fn job_alert_token_index(token: &str, alert: &str) -> Key {
    Key::new(job_alert_token_index_pk(token), alert.to_owned())
}
pub fn job_alert_token_index_pk(token: &str) -> String {
    format!("ALERTTOKEN#{token}")
}
/// A job that matched one of a candidate's alerts (kept after its digest went out, so a
/// redelivered `job.published` event matches nothing twice).
pub fn job_alert_match(candidate: &UserId, job: &JobId) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), format!("ALERTMATCH#{job}"))
}
/// gsi1 of a match not yet mailed: 16 shards by the candidate id's last hex digit, each sorted
/// by candidate, so the daily digest reads every candidate's pending matches together.
pub const JOB_ALERT_PENDING_SHARDS: &[char] =
    &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];
pub fn job_alert_pending(candidate: &UserId, job: &JobId) -> Key {
    let shard = candidate.as_str().chars().last().filter(char::is_ascii_hexdigit).unwrap_or('0');
    Key::new(job_alert_pending_pk(shard.to_ascii_lowercase()), format!("{candidate}#{job}"))
}
pub fn job_alert_pending_pk(shard: char) -> String {
    format!("ALERTPENDING#{shard}")
}
/// The digest mailed to a candidate on a day (`YYYY-MM-DD`): at most one.
pub fn job_alert_digest(candidate: &UserId, day: &str) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), format!("ALERTDIGEST#{day}"))
}

/// An organisation's record of a candidate (applied or added by its staff).
pub const TALENT_PREFIX: &str = "TALENT#";
pub fn talent(org: &OrgId, candidate: &UserId) -> Key {
    Key::new(org_pk(org), format!("{TALENT_PREFIX}{candidate}"))
}
/// gsi2: the organisations holding a record of a candidate.
pub fn talent_by_candidate(candidate: &UserId, org: &OrgId) -> Key {
    Key::new(talent_by_candidate_pk(candidate), format!("ORG#{org}"))
}
pub fn talent_by_candidate_pk(candidate: &UserId) -> String {
    format!("CANDIDATE#{candidate}#TALENT")
}

/// The organisation's candidate search index: one item per (field, normalised token,
/// candidate) in one partition per organisation, so an exact token or a prefix (name and email
/// prefixes, skill and title words) is one `begins_with` query.
pub fn candidate_index_pk(org: &OrgId) -> String {
    format!("ORG#{org}#CANDIDX")
}
pub fn candidate_index(org: &OrgId, token: &str, candidate: &UserId) -> Key {
    Key::new(candidate_index_pk(org), format!("{token}#{candidate}"))
}

/// A follow-up reminder on an application; gsi1 orders every pending reminder by due time in
/// one of 16 shards, so the schedule reads only what is due.
pub fn reminder(org: &OrgId, app: &str, id: &str) -> Key {
    Key::new(org_pk(org), format!("{}{id}", reminder_prefix(app)))
}
pub fn reminder_prefix(app: &str) -> String {
    format!("REMIND#{app}#")
}
pub const REMINDER_SHARDS: &[char] = JOB_ALERT_PENDING_SHARDS;
pub fn reminder_due(id: &str, due: &str) -> Key {
    let shard = id.chars().last().filter(char::is_ascii_hexdigit).unwrap_or('0');
    Key::new(reminder_due_pk(shard.to_ascii_lowercase()), format!("{due}#{id}"))
}
pub fn reminder_due_pk(shard: char) -> String {
    format!("REMINDDUE#{shard}")
}

/// An organisation's override of a candidate email (`received`, `rejected` …).
pub const EMAIL_TEMPLATE_PREFIX: &str = "EMAILTPL#";
pub fn email_template(org: &OrgId, kind: &str) -> Key {
    Key::new(org_pk(org), format!("{EMAIL_TEMPLATE_PREFIX}{kind}"))
}

/// An interview. gsi1 lists the organisation's interviews by start time, gsi2 a job's.
pub const INTERVIEW_PREFIX: &str = "INTERVIEW#";
pub fn interview(org: &OrgId, interview: &str) -> Key {
    Key::new(org_pk(org), format!("{INTERVIEW_PREFIX}{interview}"))
}
pub fn interviews_by_time_pk(org: &OrgId) -> String {
    format!("ORG#{org}#INTERVIEWS")
}
pub fn interviews_by_job_pk(org: &OrgId, job: &JobId) -> String {
    format!("ORG#{org}#JOB#{job}#INTERVIEWS")
}

/// A person's (interviewer's or candidate's) bookings of one UTC day (`YYYY-MM-DD`) in an
/// organisation. Every booking rewrites the days it touches with `version = :expected` (or
/// `attribute_not_exists`), so two overlapping bookings of one person cannot both commit; the
/// partition is also that person's calendar.
pub fn schedule_pk(org: &OrgId, person: &UserId) -> String {
    format!("ORG#{org}#SCHED#{person}")
}
pub fn schedule_day(org: &OrgId, person: &UserId, day: &str) -> Key {
    Key::new(schedule_pk(org, person), day.to_owned())
}

/// An interviewer's feedback on an interview (one per interviewer; amendments kept inside).
pub fn interview_feedback(org: &OrgId, interview: &str, interviewer: &UserId) -> Key {
    Key::new(org_pk(org), format!("{}{interviewer}", interview_feedback_prefix(interview)))
}
pub fn interview_feedback_prefix(interview: &str) -> String {
    format!("FEEDBACK#{interview}#")
}

/// Interviews whose feedback falls due in an hour (`YYYY-MM-DDTHH`, UTC: 24 hours after they
/// end), across tenants, for the hourly feedback-reminder schedule; sk `<org>#<interviewId>`.
pub fn feedback_due_pk(hour: &str) -> String {
    format!("FEEDBACKDUE#{hour}")
}
pub fn feedback_due(hour: &str, org: &OrgId, interview: &str) -> Key {
    Key::new(feedback_due_pk(hour), format!("{org}#{interview}"))
}

/// A staff member's private calendar feed: the hash of its current secret token, and the
/// token's locator (by hash, so the public feed URL finds its owner without a tenant).
pub fn calendar_feed(org: &OrgId, user: &UserId) -> Key {
    Key::new(org_pk(org), format!("CALFEED#{user}"))
}
pub fn calendar_feed_token(token_hash: &str) -> Key {
    Key::new(format!("CALFEEDTOKEN#{token_hash}"), "CALFEEDTOKEN")
}

/// Counters of candidates' anonymous feedback on the hiring experience, per organisation and
/// job (`ORG#RESPONSES`, `ORG#RATING#<n>`, `ORG#THEME#<theme>`, `JOB#<job>#…`): no response is
/// stored, only what it adds to the counts.
pub fn experience_stats_pk(org: &OrgId) -> String {
    format!("ORG#{org}#XPSTATS")
}
pub fn experience_stat(org: &OrgId, sk: String) -> Key {
    Key::new(experience_stats_pk(org), sk)
}
/// That a candidate answered for an interview, in the candidate's own partition under a hash
/// (no staff route reads it): one answer per interview.
pub fn experience_answered(candidate: &UserId, hash: &str) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), format!("XPFEEDBACK#{hash}"))
}

/// A message thread between an organisation's staff and a DEI consultant. gsi1 lists the
/// organisation's threads, gsi2 one consultant's, both by latest message.
pub const THREAD_PREFIX: &str = "THREAD#";
pub fn thread(org: &OrgId, thread: &str) -> Key {
    Key::new(org_pk(org), format!("{THREAD_PREFIX}{thread}"))
}
pub fn threads_pk(org: &OrgId) -> String {
    format!("ORG#{org}#THREADS")
}
pub fn consultant_threads_pk(org: &OrgId, consultant: &UserId) -> String {
    format!("ORG#{org}#CONSULTANT#{consultant}#THREADS")
}
/// A thread's messages, oldest first (`MSG#<sentAt>#<id>`).
pub fn thread_messages_pk(org: &OrgId, thread: &str) -> String {
    format!("ORG#{org}#THREAD#{thread}")
}
pub fn thread_message(org: &OrgId, thread: &str, sent_at: &str, id: &str) -> Key {
    Key::new(thread_messages_pk(org, thread), format!("MSG#{sent_at}#{id}"))
}
/// The message an `Idempotency-Key` produced (so a retry stores nothing twice).
pub fn message_once(org: &OrgId, hash: &str) -> Key {
    Key::new(org_pk(org), format!("MSGONCE#{hash}"))
}
/// Unread messages for a side of the conversations: `staff`, or a consultant's id (a counter).
pub fn unread_messages(org: &OrgId, side: &str) -> Key {
    Key::new(org_pk(org), format!("MSGUNREAD#{side}"))
}

/// Analytics aggregates (issue 11): per day, job and metric, added to by the `analytics` consumer
/// of the application events and by client events; a date range is one range query.
pub fn analytics_pk(org: &OrgId) -> String {
    format!("ORG#{org}#ANALYTICS")
}
pub fn analytics_stat(org: &OrgId, day: &str, job: &JobId, metric: &str) -> Key {
    Key::new(analytics_pk(org), format!("{day}#JOB#{job}#{metric}"))
}
/// Firsts the aggregates count once (an application reaching a status, a job's first hire or
/// publication, a client event id), written in the same transaction as the counts.
pub fn analytics_seen(org: &OrgId, what: &str) -> Key {
    Key::new(format!("ORG#{org}#ANALYTICS#SEEN"), what.to_owned())
}

/// Platform-wide analytics (platform admins): the same daily counters as an organisation's, summed
/// over every organisation without the job dimension, in 4 partitions (an event's shard is fixed
/// by its id) so the busiest counters are not one hot item.
pub const PLATFORM_ANALYTICS_SHARDS: u8 = 4;
pub fn platform_analytics_pk(shard: u8) -> String {
    format!("PLATFORM#ANALYTICS#{shard}")
}
pub fn platform_analytics_stat(shard: u8, day: &str, metric: &str) -> Key {
    Key::new(platform_analytics_pk(shard), format!("{day}#{metric}"))
}

/// The AI model version an organisation uses, per model type (absent: the default version).
pub fn active_model(org: &OrgId, model_type: &str) -> Key {
    Key::new(org_pk(org), format!("AIMODEL#ACTIVE#{model_type}"))
}
/// A shadow run of a candidate model version, in the tenant's partition; ids are UUIDv7, so a
/// descending query lists the newest first.
pub const SHADOW_RUN_PREFIX: &str = "SHADOWRUN#";
pub fn shadow_run(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{SHADOW_RUN_PREFIX}{id}"))
}

/// A generated report (its request, status and object), in the tenant's partition; ids are
/// UUIDv7, so a descending query lists the newest first.
pub const REPORT_PREFIX: &str = "REPORT#";
pub fn report(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{REPORT_PREFIX}{id}"))
}
/// A report schedule, in the tenant's partition; gsi1 orders every schedule by its next run in
/// one of 16 shards (sk `<nextRun>#<org>#<id>`), so the `reports` schedule reads only what is due.
pub const REPORT_SCHEDULE_PREFIX: &str = "REPSCHED#";
pub fn report_schedule(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{REPORT_SCHEDULE_PREFIX}{id}"))
}
pub const REPORT_SCHEDULE_SHARDS: &[char] = JOB_ALERT_PENDING_SHARDS;
pub fn report_schedule_due(id: &str, due: &str, org: &OrgId) -> Key {
    let shard = id.chars().last().filter(char::is_ascii_hexdigit).unwrap_or('0');
    Key::new(report_schedule_due_pk(shard.to_ascii_lowercase()), format!("{due}#{org}#{id}"))
}
pub fn report_schedule_due_pk(shard: char) -> String {
    format!("REPSCHEDDUE#{shard}")
}
/// How many report schedules an organisation keeps (kept in the same transactions).
pub fn report_schedule_count(org: &OrgId) -> Key {
    Key::new(org_pk(org), "REPSCHEDCOUNT".to_owned())
}
/// The object of a generated report.
pub fn report_object(org: &OrgId, id: &str, ext: &str) -> String {
    format!("reports/{org}/{id}.{ext}")
}

/// Onboarding: templates (and their count), new hires (one per application, by marker), a
/// locator per task (task id → new hire; gsi1 orders open, unreported tasks by due date in one of
/// 16 shards, sk `<dueDate>#<org>#<taskId>`), and counters per template (`ONBSTAT#<template>#<metric>`).
pub const ONBOARDING_TEMPLATE_PREFIX: &str = "ONBTPL#";
pub fn onboarding_template(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{ONBOARDING_TEMPLATE_PREFIX}{id}"))
}
pub fn onboarding_template_count(org: &OrgId) -> Key {
    Key::new(org_pk(org), "ONBTPLCOUNT".to_owned())
}
pub const NEW_HIRE_PREFIX: &str = "NEWHIRE#";
pub fn new_hire(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{NEW_HIRE_PREFIX}{id}"))
}
pub fn new_hire_of_application(org: &OrgId, app: &str) -> Key {
    Key::new(org_pk(org), format!("NEWHIREAPP#{app}"))
}
pub fn onboarding_task(org: &OrgId, task: &str) -> Key {
    Key::new(org_pk(org), format!("ONBTASK#{task}"))
}
pub const ONBOARDING_TASK_SHARDS: &[char] = JOB_ALERT_PENDING_SHARDS;
pub fn onboarding_task_due(task: &str, due: &str, org: &OrgId) -> Key {
    let shard = task.chars().last().filter(char::is_ascii_hexdigit).unwrap_or('0');
    Key::new(onboarding_task_due_pk(shard.to_ascii_lowercase()), format!("{due}#{org}#{task}"))
}
pub fn onboarding_task_due_pk(shard: char) -> String {
    format!("ONBDUE#{shard}")
}
pub const ONBOARDING_STAT_PREFIX: &str = "ONBSTAT#";
pub fn onboarding_stat(org: &OrgId, template: &str, metric: &str) -> Key {
    Key::new(org_pk(org), format!("{ONBOARDING_STAT_PREFIX}{template}#{metric}"))
}

/// A candidate's career record: self-assessed skills and goals (issue 14).
pub fn career(candidate: &UserId) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), "CAREER")
}

/// Counter: applications the candidate has made (kept by the `career-market` consumer).
pub fn career_applied(candidate: &UserId) -> Key {
    Key::new(format!("CANDIDATE#{candidate}"), "CAREER#APPLIED")
}

/// Market insight counters of one dimension (`skill`, `occupation`, `location`) and month
/// (`YYYY-MM`): one query reads a month; sort key `<value>#<measure>` (P postings, E employers,
/// A applications). Cross-tenant aggregates: never shown below the suppression minimums.
pub fn market_demand_pk(dimension: &str, month: &str) -> String {
    format!("MARKET#{dimension}#{month}")
}
pub fn market_demand(dimension: &str, month: &str, value: &str, measure: &str) -> Key {
    Key::new(market_demand_pk(dimension, month), format!("{value}#{measure}"))
}

/// Posted-salary counters of one occupation; sort key `<location>#<currency>#<measure>` (N
/// postings, E employers, LO sum of lows, HI sum of highs).
pub fn market_salary_pk(occupation: &str) -> String {
    format!("MARKET#SALARY#{occupation}")
}
pub fn market_salary(occupation: &str, location: &str, currency: &str, measure: &str) -> Key {
    Key::new(market_salary_pk(occupation), format!("{location}#{currency}#{measure}"))
}

/// Marks a first (a job counted, an employer counted in a cell) for the market consumer.
pub fn market_seen(what: &str) -> Key {
    Key::new(format!("MARKET#SEEN#{what}"), "SEEN")
}

// Platform users, non-profits and communities (issue 13): not tenant-owned.

pub fn platform_user(id: &UserId) -> Key {
    Key::new(format!("PUSER#{id}"), "PROFILE")
}
/// gsi1: a platform user by (lowercased) email.
pub fn platform_user_by_email(email: &str) -> Key {
    Key::new(format!("PUSEREMAIL#{}", email.to_lowercase()), "PUSER")
}
/// gsi2: the platform admins.
pub const PLATFORM_ADMINS_PK: &str = "PLATFORMADMINS";
pub fn platform_admin(id: &UserId) -> Key {
    Key::new(PLATFORM_ADMINS_PK, id.as_str())
}
pub fn nonprofit(id: &str) -> Key {
    Key::new(format!("NPO#{id}"), "NPO")
}
/// The platform manager's record that an offering belongs to a non-profit.
pub fn nonprofit_offering_map(nonprofit: &str, offering: &str) -> Key {
    Key::new(format!("NPO#{nonprofit}"), format!("MAP#OFFERING#{offering}"))
}
pub fn assignment(nonprofit: &str) -> Key {
    Key::new(format!("NPO#{nonprofit}"), "ASSIGNMENT")
}
/// gsi1: a leader's assigned non-profits.
pub fn assignment_by_leader_pk(leader: &UserId) -> String {
    format!("LEADERNPOS#{leader}")
}
pub fn assignment_by_leader(leader: &UserId, nonprofit: &str) -> Key {
    Key::new(assignment_by_leader_pk(leader), nonprofit)
}
pub fn offering(id: &str) -> Key {
    Key::new(format!("OFFERING#{id}"), "OFFERING")
}
/// gsi1: a non-profit's offerings.
pub fn offering_by_nonprofit_pk(nonprofit: &str) -> String {
    format!("NPOOFFERINGS#{nonprofit}")
}
pub fn offering_by_nonprofit(nonprofit: &str, offering: &str) -> Key {
    Key::new(offering_by_nonprofit_pk(nonprofit), offering)
}
/// gsi2: the offering catalogue; `<category>#` is one category.
pub const OFFERINGS_PK: &str = "OFFERINGS";
pub fn offering_in_catalogue(category: &str, offering: &str) -> Key {
    Key::new(OFFERINGS_PK, format!("{category}#{offering}"))
}
/// The skill index of offerings: one item per skill an offering is tagged with (written in the
/// offering's creating transaction), so a gap finds its offerings with one bounded query.
pub fn offering_by_skill_pk(skill: &str) -> String {
    format!("OFFERINGSKILL#{}", skill.to_lowercase())
}
pub fn offering_by_skill(skill: &str, offering: &str) -> Key {
    Key::new(offering_by_skill_pk(skill), offering)
}
/// The counter of an offering's enrolments (moved in the enrolment's transaction).
pub fn offering_enrolled(offering: &str) -> Key {
    Key::new(format!("OFFERING#{offering}"), "ENROLLED")
}
pub fn enrolment(offering: &str, candidate: &UserId) -> Key {
    Key::new(format!("OFFERING#{offering}"), format!("ENROL#{candidate}"))
}
/// gsi1: a candidate's enrolments.
pub fn enrolment_by_candidate(candidate: &UserId, offering: &str) -> Key {
    Key::new(format!("ENROLMENTS#{candidate}"), offering)
}
pub fn community(id: &str) -> Key {
    Key::new(format!("COMMUNITY#{id}"), "COMMUNITY")
}
/// gsi1: every community.
pub const COMMUNITIES_PK: &str = "COMMUNITIES";
pub fn community_in_list(id: &str) -> Key {
    Key::new(COMMUNITIES_PK, id)
}
/// A community's turn counter (round robin: turn `t` is leader `t mod n`'s).
pub fn community_turns(community: &str) -> Key {
    Key::new(format!("COMMUNITY#{community}"), "TURNS")
}
/// A community's wait line: zero-padded positions sort in arrival order.
pub fn community_wait(community: &str, seq: u64) -> Key {
    Key::new(format!("COMMUNITY#{community}"), format!("WAIT#{seq:012}"))
}
pub fn leader_load(leader: &UserId) -> Key {
    Key::new(format!("LEADER#{leader}"), "LOAD")
}
pub fn platform_settings() -> Key {
    Key::new("PLATFORM", "SETTINGS")
}
/// A person's meeting schedule, by start time.
pub fn meetings_pk(user: &UserId) -> String {
    format!("MEETINGS#{user}")
}
pub fn meeting(user: &UserId, starts: &str, id: &str) -> Key {
    Key::new(meetings_pk(user), format!("{starts}#{id}"))
}

/// An organisation's outbound webhook subscriptions (at most a few dozen: one page).
pub const WEBHOOK_PREFIX: &str = "WEBHOOK#";
pub fn webhook(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{WEBHOOK_PREFIX}{id}"))
}
/// A subscription's delivery log: one item per attempt under `AT#<epoch ms>#…` (newest first
/// with a descending query), and one `DONE#<delivery>#<attempt>` marker per attempt made, so a
/// redelivered message does not post twice. Both expire after 30 days.
pub fn webhook_log_pk(org: &OrgId, subscription: &str) -> String {
    format!("{}#WHLOG#{subscription}", org_pk(org))
}
pub const WEBHOOK_ATTEMPT_PREFIX: &str = "AT#";
pub fn webhook_attempt(org: &OrgId, subscription: &str, at_ms: i64, delivery: &str, attempt: u32) -> Key {
    Key::new(webhook_log_pk(org, subscription), format!("{WEBHOOK_ATTEMPT_PREFIX}{at_ms:013}#{delivery}#{attempt:03}"))
}
pub fn webhook_attempt_done(org: &OrgId, subscription: &str, delivery: &str, attempt: u32) -> Key {
    Key::new(webhook_log_pk(org, subscription), format!("DONE#{delivery}#{attempt:03}"))
}

/// An organisation's integrations (at most a few dozen: one page).
pub const INTEGRATION_PREFIX: &str = "INTEGRATION#";
pub fn integration(org: &OrgId, id: &str) -> Key {
    Key::new(org_pk(org), format!("{INTEGRATION_PREFIX}{id}"))
}
/// Where an integration lives, by id alone (the public inbound webhook names only the id).
pub fn integration_locator(id: &str) -> Key {
    Key::new(format!("INTEGRATIONREF#{id}"), "INTEGRATIONREF")
}
/// An inbound delivery id seen on an integration inside the replay window (expires after it).
pub fn inbound_seen(id: &str, delivery: &str) -> Key {
    Key::new(format!("INTEGRATIONREF#{id}"), format!("SEEN#{delivery}"))
}
/// gsi1 of every job-board integration, across tenants (the hourly sync schedule reads it).
pub const JOB_BOARDS_PK: &str = "JOBBOARDS";
pub fn job_board_in_list(org: &OrgId, id: &str) -> Key {
    Key::new(JOB_BOARDS_PK, format!("{org}#{id}"))
}
/// A job board's state per job (`JOB#<jobId>`) and its sync runs (`RUN#<epoch ms>#<runId>`).
pub fn board_pk(org: &OrgId, integration: &str) -> String {
    format!("{}#BOARD#{integration}", org_pk(org))
}
pub fn board_job(org: &OrgId, integration: &str, job: &str) -> Key {
    Key::new(board_pk(org, integration), format!("JOB#{job}"))
}
pub fn board_run(org: &OrgId, integration: &str, at_ms: i64, run: &str) -> Key {
    Key::new(board_pk(org, integration), format!("RUN#{at_ms:013}#{run}"))
}

/// A personal-data request (export or erasure): ids and status only, found by id.
pub fn privacy_request(id: &str) -> Key {
    Key::new(format!("PRIVACYREQ#{id}"), "REQUEST")
}
/// gsi1 of a personal-data request: the candidate's requests.
pub fn privacy_requests_of_pk(candidate: &UserId) -> String {
    format!("CANDIDATE#{candidate}#PRIVACY")
}

/// An organisation setting (`system_settings`), one item per known key.
pub const SETTING_PREFIX: &str = "SETTING#";
pub fn setting(org: &OrgId, key: &str) -> Key {
    Key::new(org_pk(org), format!("{SETTING_PREFIX}{key}"))
}

/// gsi1 of the `retention.rules` setting: every organisation with retention rules (the daily
/// retention run reads this partition, one item per organisation).
pub const RETENTION_ORGS_PK: &str = "RETENTION#ORGS";
/// Retention's "due" index (issue 12): a rejection, by when it happened, so the daily run reads
/// the rejections older than the rule by sort-key range.
pub const RETAIN_REJECTED_PREFIX: &str = "RETAIN#REJECTED#";
pub fn retain_rejected(org: &OrgId, at: &str, application: &str) -> Key {
    Key::new(org_pk(org), format!("{RETAIN_REJECTED_PREFIX}{at}#{application}"))
}
/// A candidate's last activity in an organisation (one item per pair) …
pub fn retain_activity(org: &OrgId, candidate: &UserId) -> Key {
    Key::new(org_pk(org), format!("RETAIN#ACTIVE#{candidate}"))
}
/// … and its gsi1, sorted by that time (`{at}#{candidate}`): who has been inactive since when.
pub fn retain_activity_by_time_pk(org: &OrgId) -> String {
    format!("ORG#{org}#RETAIN#ACTIVE")
}

// ------------------------------------------------------------------ learning and mentors (issue 14)

/// A course of the learning catalogue.
pub fn course(id: &str) -> Key {
    Key::new(format!("COURSE#{id}"), "COURSE")
}
/// gsi1: the course catalogue, oldest first (ids are UUIDv7).
pub const COURSES_PK: &str = "COURSES";
pub fn course_in_catalogue(id: &str) -> Key {
    Key::new(COURSES_PK, id)
}
/// The skill index of courses: one item per skill a course teaches (written in the course's
/// transaction), so a gap finds its courses with one bounded query.
pub fn course_by_skill_pk(skill: &str) -> String {
    format!("COURSESKILL#{}", skill.to_lowercase())
}
pub fn course_by_skill(skill: &str, course: &str) -> Key {
    Key::new(course_by_skill_pk(skill), course)
}
/// The counter of a course's enrolments (moved in the enrolment's transaction).
pub fn course_enrolled(course: &str) -> Key {
    Key::new(format!("COURSE#{course}"), "ENROLLED")
}
/// A candidate's enrolment in a course, with their progress; the candidate's partition lists them.
pub fn learner_pk(candidate: &UserId) -> String {
    format!("LEARNER#{candidate}")
}
pub fn learning(candidate: &UserId, course: &str) -> Key {
    Key::new(learner_pk(candidate), format!("COURSE#{course}"))
}

/// A career mentor's profile: skills, capacity and the mentees accepted (the capacity counter).
pub fn mentor(id: &UserId) -> Key {
    Key::new(format!("MENTOR#{id}"), "PROFILE")
}
/// The skill index of mentors: one item per skill a mentor offers (rewritten with the profile).
pub fn mentor_by_skill_pk(skill: &str) -> String {
    format!("MENTORSKILL#{}", skill.to_lowercase())
}
pub fn mentor_by_skill(skill: &str, mentor: &UserId) -> Key {
    Key::new(mentor_by_skill_pk(skill), mentor.as_str())
}
/// A candidate's request to a mentor (the mentor's partition lists them).
pub const MENTEE_REQUEST_PREFIX: &str = "REQ#";
pub fn mentee_request(mentor: &UserId, candidate: &UserId) -> Key {
    Key::new(format!("MENTOR#{mentor}"), format!("{MENTEE_REQUEST_PREFIX}{candidate}"))
}
/// gsi1 of a request: the candidate's requests.
pub fn mentee_requests_pk(candidate: &UserId) -> String {
    format!("MENTEE#{candidate}")
}
pub fn mentee_request_by_candidate(candidate: &UserId, mentor: &UserId) -> Key {
    Key::new(mentee_requests_pk(candidate), mentor.as_str())
}

// ------------------------------------------------------------------ employer single sign-on (issue 13)

/// An organisation's own identity provider (one per organisation).
pub fn sso_connection(org: &OrgId) -> Key {
    Key::new(org_pk(org), "SSO")
}

/// Which organisation a user-pool provider name belongs to (a first sign-in reads it).
pub fn sso_provider(name: &str) -> Key {
    Key::new(format!("SSOPROVIDER#{name}"), "SSOPROVIDER")
}

/// An email domain claimed by one organisation's provider (no other may claim it).
pub fn sso_domain(domain: &str) -> Key {
    Key::new(format!("SSODOMAIN#{domain}"), "SSODOMAIN")
}

// ------------------------------------------------------------------ connections, events, content (issue 14)

/// The state of a connection between two people, one item per pair (lower id first), so one
/// conditional write decides between racing requests.
pub fn connection_pair(a: &UserId, b: &UserId) -> Key {
    let (lo, hi) = if a.as_str() <= b.as_str() { (a, b) } else { (b, a) };
    Key::new(format!("CONNPAIR#{lo}#{hi}"), "PAIR")
}
/// A person's side of their connections (pending both ways, connected, blocked by them).
pub fn connections_pk(owner: &UserId) -> String {
    format!("CONNS#{owner}")
}
pub fn connection(owner: &UserId, other: &UserId) -> Key {
    Key::new(connections_pk(owner), other.as_str())
}
/// A community event and, in its partition, the RSVPs (`RSVP#<user>`).
pub fn community_event(id: &str) -> Key {
    Key::new(format!("EVENT#{id}"), "EVENT")
}
pub fn event_rsvp(event: &str, user: &UserId) -> Key {
    Key::new(format!("EVENT#{event}"), format!("RSVP#{user}"))
}
pub const EVENT_RSVP_PREFIX: &str = "RSVP#";
/// gsi1: every community's events by start (UTC RFC 3339, so text order is time order).
pub const EVENTS_PK: &str = "EVENTS";
pub fn event_by_start(starts: &str, id: &str) -> Key {
    Key::new(EVENTS_PK, format!("{starts}#{id}"))
}
/// gsi2: one community's events by start.
pub fn community_events_pk(community: &str) -> String {
    format!("EVENTS#COMMUNITY#{community}")
}
pub fn community_event_by_start(community: &str, starts: &str, id: &str) -> Key {
    Key::new(community_events_pk(community), format!("{starts}#{id}"))
}
/// An article or resource of the content library.
pub fn content(id: &str) -> Key {
    Key::new(format!("CONTENT#{id}"), "CONTENT")
}
/// gsi1: the library by status (`published`, `draft`), oldest first (ids are UUIDv7).
pub fn contents_pk(status: &str) -> String {
    format!("CONTENTS#{status}")
}
pub fn content_by_status(status: &str, id: &str) -> Key {
    Key::new(contents_pk(status), id)
}
/// The tag index of published content: one item per skill (`skill`) and O*NET code
/// (`occupation`) a published item carries, written in the item's own transaction.
pub fn content_tag_pk(kind: &str, value: &str) -> String {
    format!("CONTENTTAG#{kind}#{}", value.to_lowercase())
}
pub fn content_tag(kind: &str, value: &str, id: &str) -> Key {
    Key::new(content_tag_pk(kind, value), id)
}
