//! Scheduled reports: a staff member with `reports:manage` asks for a report on a cron in their
//! time zone (`POST /api/reports/schedule`), for the organisation's staff who may read analytics.
//! The `reports` schedule (every minute, EventBridge in AWS, the local cron in `make run`) finds
//! the schedules that have come due through 16 gsi1 shards ordered by next run, so a firing reads
//! only what is due, never every schedule.
//!
//! A firing is at-least-once and makes one report: its id is derived from the schedule and the
//! run time, the generation request (message id `report:<id>`) is queued first, then one
//! transaction stores the report (`attribute_not_exists`) and moves the schedule to its next run
//! (`version = :read`). A redelivered firing finds the schedule no longer due; a crash between
//! the two leaves the schedule due, and the next firing queues the same report id again.

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{User, UserStatus};
use crate::ports::Deps;
use crate::ports::queue::WorkMessage;
use crate::ports::store::{Condition, Key, PageToken, Query, TxWrite};
use crate::rbac::{self, Permission};
use crate::record::{self, Record};
use crate::services::reports::{self, Report};
use crate::values::{Checks, JobId, OrgId, UserId};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Schedules an organisation may keep.
pub const MAX_SCHEDULES: usize = 20;
/// People a scheduled report is mailed to (besides its owner).
pub const MAX_RECIPIENTS: usize = 20;
/// The longest period a scheduled report covers.
pub const MAX_RANGE_DAYS: u16 = 366;

fn type_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(reports::TYPES)
}
fn format_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(reports::FORMATS)
}

/// `POST /api/reports/schedule`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ReportScheduleInput)]
pub struct ScheduleInput {
    #[serde(rename = "type")]
    #[schema(schema_with = type_schema)]
    pub kind: String,
    #[schema(schema_with = format_schema)]
    pub format: String,
    /// Five cron fields (minute hour day-of-month month day-of-week), read in `timeZone`:
    /// `0 8 * * MON` is Mondays at 08:00. Times are kept to the minute.
    #[schema(example = "0 8 * * MON", max_length = 100)]
    pub cron: String,
    /// IANA time zone the cron is read in (default UTC); daylight-saving changes follow it.
    #[schema(example = "Europe/Berlin", max_length = 64)]
    pub time_zone: Option<String>,
    /// Days each report covers, ending the day before it runs (default 7).
    #[schema(minimum = 1, maximum = 366)]
    pub range_days: Option<u16>,
    /// Staff of the organisation who may read analytics, mailed the link with the owner.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub recipient_ids: Vec<String>,
    /// Only these jobs (default every job).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub job_ids: Vec<String>,
}

/// A report schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSchedule {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    pub cron: String,
    pub time_zone: String,
    pub range_days: u16,
    #[schema(value_type = Vec<String>)]
    pub recipient_ids: Vec<UserId>,
    pub job_ids: Vec<String>,
    /// Who made it: reports are made with their permissions at each run.
    #[schema(value_type = String)]
    pub owner: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub next_run_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_run_at: Option<OffsetDateTime>,
    /// The report its last run made.
    pub last_report_id: Option<String>,
    pub runs: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

fn due_sort_key(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl Record for ReportSchedule {
    const ENTITY: &'static str = "ReportSchedule";
    fn key(&self) -> Key {
        keys::report_schedule(&self.org_id, &self.id)
    }
    /// Its shard's queue of schedules by next run.
    fn gsi1(&self) -> Option<Key> {
        Some(keys::report_schedule_due(&self.id, &due_sort_key(self.next_run_at), &self.org_id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Parses five cron fields (minutes, hours, day of month, month, day of week; names allowed).
pub fn parse_cron(s: &str) -> Result<Cron, String> {
    let s = s.trim();
    if s.len() > 100 {
        return Err("at most 100 characters".into());
    }
    if s.split_whitespace().count() != 5 {
        return Err("five fields: minute hour day-of-month month day-of-week, e.g. `0 8 * * MON`".into());
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(s)
        .map_err(|e| format!("not a cron expression: {e}"))
}

/// The first run strictly after `after`, with the cron read in `zone`.
pub fn next_run(cron: &Cron, zone: chrono_tz::Tz, after: OffsetDateTime) -> Option<OffsetDateTime> {
    let start = chrono::DateTime::from_timestamp(after.unix_timestamp(), 0)?.with_timezone(&zone);
    let next = cron.find_next_occurrence(&start, false).ok()?;
    OffsetDateTime::from_unix_timestamp(next.timestamp()).ok()
}

/// A staff member of `org` a report may go to: active, with analytics:read.
async fn reader(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<Option<User>> {
    let user: Option<User> = record::get(deps.store.as_ref(), &keys::user(org, id)).await?;
    Ok(user.filter(|u| {
        u.status != UserStatus::Disabled && rbac::effective(u.role, &u.overrides).contains(&Permission::AnalyticsRead)
    }))
}

pub async fn create(deps: &Deps, actor: &Actor, input: ScheduleInput) -> AppResult<ReportSchedule> {
    let mut c = Checks::default();
    if !reports::TYPES.contains(&input.kind.as_str()) {
        c.push("type", format!("must be one of {}", reports::TYPES.join(", ")));
    }
    if !reports::FORMATS.contains(&input.format.as_str()) {
        c.push("format", "must be pdf, csv or json");
    }
    let cron = match parse_cron(&input.cron) {
        Ok(cron) => Some(cron),
        Err(e) => {
            c.push("cron", e);
            None
        }
    };
    let zone_name = input.time_zone.as_deref().map(str::trim).filter(|z| !z.is_empty()).unwrap_or("UTC");
    let zone = c.take(crate::calendar::parse_zone("timeZone", zone_name));
    let range_days = input.range_days.unwrap_or(7);
    if !(1..=MAX_RANGE_DAYS).contains(&range_days) {
        c.push("rangeDays", format!("must be 1 to {MAX_RANGE_DAYS}"));
    }
    if input.job_ids.len() > reports::MAX_JOBS {
        c.push("jobIds", format!("at most {} jobs", reports::MAX_JOBS));
    }
    let mut jobs = Vec::new();
    for (i, j) in input.job_ids.iter().enumerate() {
        match JobId::parse(j.trim()) {
            Some(j) if !jobs.contains(&j) => jobs.push(j),
            Some(_) => c.push(format!("jobIds[{i}]"), "appears twice"),
            None => c.push(format!("jobIds[{i}]"), "is not a job id"),
        }
    }
    if input.recipient_ids.len() > MAX_RECIPIENTS {
        c.push("recipientIds", format!("at most {MAX_RECIPIENTS} people"));
    }
    let mut recipients = Vec::new();
    for (i, r) in input.recipient_ids.iter().enumerate() {
        match UserId::parse(r.trim()) {
            Some(u) if !recipients.contains(&u) => recipients.push(u),
            Some(_) => c.push(format!("recipientIds[{i}]"), "appears twice"),
            None => c.push(format!("recipientIds[{i}]"), "is not a user id"),
        }
    }
    let next = match (&cron, zone) {
        (Some(cron), Some(zone)) => {
            let next = next_run(cron, zone, deps.clock.now());
            if next.is_none() {
                c.push("cron", "never runs");
            }
            next
        }
        _ => None,
    };
    c.finish()?;
    let (Some(next), Some(_)) = (next, zone) else { unreachable!("checked above") };
    for (i, r) in recipients.iter().enumerate() {
        if reader(deps, actor.org(), r).await?.is_none() {
            return Err(AppError::field(
                format!("recipientIds[{i}]"),
                "is not a member of this organisation who may read analytics",
            ));
        }
    }
    for j in &jobs {
        record::get::<crate::model::Job>(deps.store.as_ref(), &keys::job(actor.org(), j))
            .await?
            .ok_or(AppError::NotFound("job"))?;
    }
    let now = deps.clock.now();
    let schedule = ReportSchedule {
        id: deps.ids.new_id().to_string(),
        org_id: actor.org().clone(),
        kind: input.kind,
        format: input.format,
        cron: input.cron.split_whitespace().collect::<Vec<_>>().join(" "),
        time_zone: zone_name.to_owned(),
        range_days,
        recipient_ids: recipients,
        job_ids: jobs.iter().map(ToString::to_string).collect(),
        owner: actor.user.id.clone(),
        next_run_at: next,
        last_run_at: None,
        last_report_id: None,
        runs: 0,
        created_at: now,
        version: 1,
    };
    // The organisation's schedule count, kept in the same transaction (no count by scan).
    let count = keys::report_schedule_count(actor.org());
    let counted = deps.store.get(&count).await?;
    let n = counted.as_ref().and_then(|i| i.data["n"].as_u64()).unwrap_or(0);
    if n as usize >= MAX_SCHEDULES {
        return Err(AppError::conflict(
            "too-many-schedules",
            format!("an organisation keeps at most {MAX_SCHEDULES} report schedules: delete one first"),
        ));
    }
    let counter = count_item(count, n + 1, counted.as_ref().map_or(0, |i| i.version) + 1);
    let cond = counted.as_ref().map_or(Condition::NotExists, |i| Condition::VersionIs(i.version));
    deps.store
        .transact(vec![schedule.tx_put("schedule", Condition::NotExists)?, TxWrite::put("count", counter, cond)])
        .await
        .map_err(super::lost_update(n))?;
    Ok(schedule)
}

fn count_item(key: Key, n: u64, version: u64) -> crate::ports::store::Item {
    crate::ports::store::Item {
        key,
        gsi1: None,
        gsi2: None,
        entity: "ReportScheduleCount".into(),
        version,
        expires_at: None,
        data: serde_json::json!({ "n": n }),
    }
}

pub async fn list(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<ReportSchedule>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::REPORT_SCHEDULE_PREFIX).limit(limit).after(after);
    let (items, page) = record::query::<ReportSchedule>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// Removes a schedule: its owner, or anyone who manages reports in the organisation.
pub async fn delete(deps: &Deps, actor: &Actor, id: &str) -> AppResult<()> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("report schedule"));
    }
    let key = keys::report_schedule(actor.org(), id);
    let s: ReportSchedule =
        record::get(deps.store.as_ref(), &key).await?.ok_or(AppError::NotFound("report schedule"))?;
    let count = keys::report_schedule_count(actor.org());
    let counted = deps.store.get(&count).await?;
    let n = counted.as_ref().and_then(|i| i.data["n"].as_u64()).unwrap_or(1);
    let mut writes = vec![TxWrite::delete("schedule", key, Condition::VersionIs(s.version))];
    if let Some(c) = counted {
        writes.push(TxWrite::put(
            "count",
            count_item(count, n.saturating_sub(1), c.version + 1),
            Condition::VersionIs(c.version),
        ));
    }
    deps.store.transact(writes).await.map_err(super::lost_update(s.version))?;
    Ok(())
}

/// Every schedule due at `now`, across the shards.
pub async fn due(deps: &Deps, now: OffsetDateTime) -> AppResult<Vec<ReportSchedule>> {
    let upper = format!("{}#~", due_sort_key(now));
    super::due_in_shards(deps, keys::REPORT_SCHEDULE_SHARDS, keys::report_schedule_due_pk, &upper).await
}

/// The report id of a schedule's run at `at`: a UUIDv7 (time-ordered like every report id,
/// so the newest still lists first) whose other bits come from the schedule and the run, so
/// a repeated firing makes the same report, not a second one.
pub fn run_report_id(schedule: &str, at: OffsetDateTime) -> String {
    let digest = Sha256::digest(format!("{schedule}@{}", at.unix_timestamp()));
    let mut bytes = [0u8; 10];
    bytes.copy_from_slice(&digest[..10]);
    let ms = u64::try_from(at.unix_timestamp()).unwrap_or(0) * 1000;
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid().to_string()
}

/// What a firing did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Fired {
    /// Reports queued.
    pub queued: usize,
    /// Schedules whose owner may no longer make reports: moved on without a report.
    pub skipped: usize,
}

/// Queues a report for every due schedule and moves each to its next run. One schedule's
/// failure does not hold the others back; it is returned after the rest are done.
pub async fn fire_due(deps: &Deps, now: OffsetDateTime) -> AppResult<Fired> {
    let mut fired = Fired::default();
    let mut failed = None;
    for s in due(deps, now).await? {
        match fire_one(deps, &s, now).await {
            Ok(true) => fired.queued += 1,
            Ok(false) => fired.skipped += 1,
            Err(e) => {
                tracing::warn!(schedule = %s.id, error = %e, "scheduled report not queued");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(fired),
    }
}

async fn fire_one(deps: &Deps, s: &ReportSchedule, now: OffsetDateTime) -> AppResult<bool> {
    let cron = parse_cron(&s.cron).map_err(|e| AppError::Internal(format!("schedule {}: {e}", s.id)))?;
    let zone: chrono_tz::Tz = s.time_zone.parse().unwrap_or(chrono_tz::UTC);
    // A schedule that fell behind (an outage) runs once, not once per missed time.
    let next = next_run(&cron, zone, now.max(s.next_run_at)).unwrap_or(now + time::Duration::days(3650));
    let owner = reader(deps, &s.org_id, &s.owner).await?;
    let mut moved = s.clone();
    moved.next_run_at = next;
    moved.last_run_at = Some(s.next_run_at);
    moved.version += 1;
    let Some(owner) = owner.filter(|u| rbac::effective(u.role, &u.overrides).contains(&Permission::ReportsManage))
    else {
        // The owner left or may no longer make reports: nothing is made in their name.
        deps.store
            .put(moved.to_item()?, Condition::VersionIs(s.version))
            .await
            .map_err(super::lost_update(s.version))?;
        tracing::warn!(schedule = %s.id, "scheduled report skipped: its owner may no longer make reports");
        return Ok(false);
    };
    let mut recipients = Vec::new();
    for r in &s.recipient_ids {
        if let Some(u) = reader(deps, &s.org_id, r).await? {
            recipients.push(u.email.to_string());
        }
    }
    let run_day = crate::calendar::local_date(s.next_run_at, &s.time_zone);
    let to = run_day.previous_day().unwrap_or(run_day);
    let from = to - time::Duration::days(i64::from(s.range_days) - 1);
    let id = run_report_id(&s.id, s.next_run_at);
    let report = Report {
        id: id.clone(),
        org_id: s.org_id.clone(),
        kind: s.kind.clone(),
        format: s.format.clone(),
        from: from.to_string(),
        to: to.to_string(),
        job_ids: s.job_ids.clone(),
        status: "processing".into(),
        error: None,
        requested_by: owner.id.clone(),
        requested_email: owner.email.to_string(),
        recipients,
        schedule_id: Some(s.id.clone()),
        object_key: None,
        size: None,
        pages: None,
        created_at: now,
        completed_at: None,
        version: 1,
    };
    moved.last_report_id = Some(id.clone());
    moved.runs += 1;
    // Queued first: if the transaction below is lost, the schedule stays due and the next
    // firing queues the same report id (the consumer waits for a report it does not see yet).
    let message = WorkMessage {
        id: format!("report:{id}"),
        kind: "report-requested".into(),
        body: serde_json::json!({"orgId": s.org_id, "reportId": id}),
    };
    deps.queues.send(reports::QUEUE, &message).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    let writes = vec![
        report.tx_put("report", Condition::NotExists)?,
        moved.tx_put("schedule", Condition::VersionIs(s.version))?,
    ];
    match deps.store.transact(writes).await {
        Ok(()) => Ok(true),
        // Another firing made this run's report and moved the schedule on first.
        Err(crate::ports::store::StoreError::TransactionCanceled { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_weekly_cron_runs_at_local_time_across_a_daylight_saving_change() {
        let cron = parse_cron("0 8 * * MON").unwrap();
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        // Monday 23 March 2026 08:00 CET is 07:00 UTC; after the change (29 March) 08:00 CEST is 06:00 UTC.
        let first = next_run(&cron, berlin, datetime!(2026-03-20 12:00 UTC)).unwrap();
        assert_eq!(first, datetime!(2026-03-23 07:00 UTC));
        let second = next_run(&cron, berlin, first).unwrap();
        assert_eq!(second, datetime!(2026-03-30 06:00 UTC));
    }

    #[test]
    fn crons_with_seconds_or_years_or_nonsense_are_refused() {
        assert!(parse_cron("0 0 8 * * MON").is_err());
        assert!(parse_cron("61 * * * *").is_err());
        assert!(parse_cron("every day").is_err());
        assert!(parse_cron("*/15 9-17 * * MON-FRI").is_ok());
    }

    #[test]
    fn a_run_has_one_report_id_and_it_sorts_by_time() {
        let a = run_report_id("s1", datetime!(2026-03-23 07:00 UTC));
        assert_eq!(a, run_report_id("s1", datetime!(2026-03-23 07:00 UTC)));
        assert_ne!(a, run_report_id("s2", datetime!(2026-03-23 07:00 UTC)));
        let later = run_report_id("s1", datetime!(2026-03-30 06:00 UTC));
        assert!(later > a, "{later} sorts after {a}");
        assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 7);
    }
}
