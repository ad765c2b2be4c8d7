//! Scheduling interviews: create, read, list, a calendar by interviewer, candidate or job,
//! reschedule, cancel, and the candidate's request to move one.
//!
//! **Clashes are refused atomically.** Each person (the candidate and every interviewer) has
//! one item per UTC day listing their bookings (`ScheduleDay`). A booking reads the days it
//! touches, refuses an overlap (409 `interview-conflict`, naming the clashing interview), and
//! writes those days back with `version = :expected` (`attribute_not_exists` for a new day) in
//! the same transaction as the interview and its audit record. Of two concurrent overlapping
//! bookings one transaction is refused; it is retried from a fresh read, which then sees the
//! clash. The day items are also each person's calendar, so a calendar is one query.
//!
//! Every change that affects the invite raises its `SEQUENCE` and publishes an `interview.*`
//! event; the `interview-invites` consumer mails the RFC 5545 invite (or cancellation).

use super::{Actor, Caller, Listed, audit_write, check_version, lost_update, snapshot};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys;
use crate::model::interview::{
    Booking, FeedbackDue, Interview, InterviewStatus, InterviewType, ProposedTime, RescheduleRequest, ScheduleDay,
    feedback_due_hour, utc_day, utc_key,
};
use crate::model::{Candidate, Job, User, UserStatus};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError, TxWrite};
use crate::record::{self, Record};
use crate::values::{Checks, JobId, OrgId, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use utoipa::openapi::schema::Object;

pub const MIN_MINUTES: u32 = 15;
pub const MAX_MINUTES: u32 = 480;
pub const MAX_INTERVIEWERS: usize = 10;
pub const DEFAULT_MINUTES: u32 = 60;
/// How far back an interview may be recorded, and how far ahead it may be booked.
pub const MAX_PAST_DAYS: i64 = 30;
pub const MAX_AHEAD_DAYS: i64 = 366;
/// The longest calendar range one request reads.
pub const MAX_RANGE_DAYS: i64 = 92;
/// Fresh reads after a booking lost a race (the next read sees the winner and answers 409).
const BOOKING_ATTEMPTS: usize = 6;

const LOCATION: TextRule = TextRule::new(1, 300);
const LINK: TextRule = TextRule::new(1, 2000);
const REASON: TextRule = TextRule::new(1, 1000);

fn location_schema() -> Object {
    LOCATION.opt_schema()
}
fn link_schema() -> Object {
    LINK.opt_schema()
}
fn reason_schema() -> Object {
    REASON.opt_schema()
}
fn date_time_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
        .description(Some("RFC 3339 with an offset, such as 2026-03-02T10:00:00+01:00; stored in UTC"))
        .build()
}
fn zone_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .max_length(Some(64))
        .description(Some("The organiser's IANA time zone (Europe/Berlin); UTC when absent"))
        .build()
}

/// `POST /api/interviews`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InterviewInput {
    #[schema(schema_with = crate::values::id_schema)]
    pub candidate_id: String,
    /// The job it is for; absent: the candidate's latest application to the organisation.
    #[schema(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
    /// `video` when absent.
    #[serde(rename = "type")]
    pub kind: Option<InterviewType>,
    #[schema(schema_with = date_time_schema)]
    pub starts_at: String,
    /// 15 to 480 minutes; 60 when absent.
    #[schema(minimum = 15, maximum = 480)]
    pub duration_minutes: Option<u32>,
    #[schema(schema_with = zone_schema)]
    pub time_zone: Option<String>,
    /// One interviewer or a panel (at most 10 staff of the organisation); the caller when absent.
    #[schema(max_items = 10)]
    pub interviewer_ids: Option<Vec<String>>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = link_schema)]
    pub meeting_link: Option<String>,
}

/// `PUT /api/interviews/{id}`: what changes (absent fields stay). A new time, duration or panel
/// is a reschedule: the invite goes out again with the same `UID` and a higher `SEQUENCE`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InterviewUpdate {
    #[serde(rename = "type")]
    pub kind: Option<InterviewType>,
    #[schema(schema_with = date_time_schema)]
    pub starts_at: Option<String>,
    #[schema(minimum = 15, maximum = 480)]
    pub duration_minutes: Option<u32>,
    #[schema(schema_with = zone_schema)]
    pub time_zone: Option<String>,
    #[schema(max_items = 10)]
    pub interviewer_ids: Option<Vec<String>>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = link_schema)]
    pub meeting_link: Option<String>,
    /// `in_progress`, `completed`, `no_show` (or `cancelled`, like DELETE).
    pub status: Option<InterviewStatus>,
}

/// `POST /api/employers/{id}/schedule-interview` (the seed route): the caller interviews.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleInput {
    #[schema(schema_with = crate::values::id_schema)]
    pub candidate_id: String,
    #[schema(schema_with = date_time_schema)]
    pub interview_time: String,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
    #[schema(minimum = 15, maximum = 480)]
    pub duration_minutes: Option<u32>,
    #[schema(schema_with = zone_schema)]
    pub time_zone: Option<String>,
}

impl From<ScheduleInput> for InterviewInput {
    fn from(s: ScheduleInput) -> Self {
        let kind = Some(if s.location.as_deref().is_some_and(|l| !l.trim().is_empty()) {
            InterviewType::InPerson
        } else {
            InterviewType::Video
        });
        InterviewInput {
            candidate_id: s.candidate_id,
            job_id: s.job_id,
            kind,
            starts_at: s.interview_time,
            duration_minutes: s.duration_minutes,
            time_zone: s.time_zone,
            interviewer_ids: None,
            location: s.location,
            meeting_link: None,
        }
    }
}

/// `POST /api/interviews/{id}/reschedule-request` (the candidate).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescheduleRequestInput {
    /// One to five start times the candidate can do (the duration stays).
    #[schema(min_items = 1, max_items = 5)]
    pub proposed_times: Vec<String>,
    #[schema(schema_with = reason_schema)]
    pub reason: Option<String>,
}

/// `POST /api/interviews/{id}/accept-proposal` (staff): one of the proposed times.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AcceptProposalInput {
    #[schema(schema_with = date_time_schema)]
    pub starts_at: String,
}

fn parse_time(field: &str, s: &str) -> Result<OffsetDateTime, FieldError> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| {
        FieldError::new(field, "must be an RFC 3339 date-time with an offset, such as 2026-03-02T10:00:00Z")
    })?;
    if t.second() != 0 || t.nanosecond() != 0 {
        return Err(FieldError::new(field, "must be on a whole minute"));
    }
    Ok(t.to_offset(time::UtcOffset::UTC))
}

fn check_window(deps: &Deps, field: &str, t: OffsetDateTime) -> Result<(), FieldError> {
    let now = deps.clock.now();
    if t < now - Duration::days(MAX_PAST_DAYS) {
        return Err(FieldError::new(field, format!("must be at most {MAX_PAST_DAYS} days in the past")));
    }
    if t > now + Duration::days(MAX_AHEAD_DAYS) {
        return Err(FieldError::new(field, format!("must be at most {MAX_AHEAD_DAYS} days ahead")));
    }
    Ok(())
}

fn parse_minutes(field: &str, m: Option<u32>) -> Result<u32, FieldError> {
    match m.unwrap_or(DEFAULT_MINUTES) {
        m if (MIN_MINUTES..=MAX_MINUTES).contains(&m) => Ok(m),
        _ => Err(FieldError::new(field, format!("must be {MIN_MINUTES} to {MAX_MINUTES} minutes"))),
    }
}

fn parse_zone(field: &str, z: Option<&str>) -> Result<String, FieldError> {
    match z.map(str::trim).filter(|z| !z.is_empty()) {
        None => Ok("UTC".to_owned()),
        Some(z) => crate::calendar::parse_zone(field, z).map(|tz| tz.name().to_owned()),
    }
}

/// The interviewers named: staff of the organisation who read applications, not removed, each once.
async fn load_interviewers(deps: &Deps, org: &OrgId, ids: &[String], checks: &mut Checks) -> AppResult<Vec<UserId>> {
    if ids.is_empty() {
        checks.push("interviewerIds", "name at least one interviewer");
    }
    if ids.len() > MAX_INTERVIEWERS {
        checks.push("interviewerIds", format!("at most {MAX_INTERVIEWERS} interviewers"));
        return Ok(Vec::new());
    }
    let mut out: Vec<UserId> = Vec::new();
    for (i, raw) in ids.iter().enumerate() {
        let field = format!("interviewerIds[{i}]");
        let Some(id) = UserId::parse(raw.trim()) else {
            checks.push(field, "is not a staff member's id");
            continue;
        };
        if out.contains(&id) {
            checks.push(field, "is named twice");
            continue;
        }
        let user: Option<User> = record::get(deps.store.as_ref(), &keys::user(org, &id)).await?;
        match user {
            // Interviewers read the candidate's application: a DEI consultant (or anyone denied
            // applications:read) cannot sit on a panel.
            Some(u) if u.status != UserStatus::Disabled => {
                if crate::rbac::effective(u.role, &u.overrides).contains(&crate::rbac::Permission::ApplicationsRead) {
                    out.push(id)
                } else {
                    checks.push(field, "may not read applications, so cannot interview")
                }
            }
            _ => checks.push(field, "is not a staff member of this organisation"),
        }
    }
    Ok(out)
}

/// The candidate and, when no job is named, their latest application to the organisation (a
/// candidate who never applied to it is not found).
async fn resolve_candidate(
    deps: &Deps,
    org: &OrgId,
    candidate: &str,
    job: Option<&str>,
) -> AppResult<(UserId, Option<JobId>, Option<String>)> {
    let id = UserId::parse(candidate.trim()).ok_or(AppError::NotFound("candidate"))?;
    record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&id))
        .await?
        .ok_or(AppError::NotFound("candidate"))?;
    if let Some(j) = job {
        let job = JobId::parse(j.trim()).ok_or(AppError::NotFound("job"))?;
        let found: Job =
            record::get(deps.store.as_ref(), &keys::job(org, &job)).await?.ok_or(AppError::NotFound("job"))?;
        deps.store.get(&keys::applied_marker(org, &job, &id)).await?.ok_or(AppError::NotFound("candidate"))?;
        return Ok((id, Some(job), Some(found.title)));
    }
    let app = super::talent::apps_in_org(deps, org, &id)
        .await?
        .into_iter()
        .max_by_key(|a| a.created_at)
        .ok_or(AppError::NotFound("candidate"))?;
    Ok((id, Some(app.job_id.clone()), Some(app.job_title.clone())))
}

/// Reads the days `before` and `after` touch, takes `before`'s bookings off them, refuses a
/// clash of `after` with anyone's other bookings, and returns the version-checked writes.
async fn schedule_writes(deps: &Deps, before: Option<&Interview>, after: &Interview) -> AppResult<Vec<TxWrite>> {
    let org = &after.org_id;
    let mut touched: BTreeSet<(UserId, String)> = BTreeSet::new();
    for i in before.into_iter().filter(|i| i.holds_time()).chain(Some(after).filter(|a| a.holds_time())) {
        for p in i.people() {
            for d in i.days() {
                touched.insert((p.clone(), d));
            }
        }
    }
    let mut writes = Vec::new();
    for (person, day) in touched {
        let stored: Option<ScheduleDay> =
            record::get(deps.store.as_ref(), &keys::schedule_day(org, &person, &day)).await?;
        let mut d = stored.unwrap_or(ScheduleDay {
            org_id: org.clone(),
            person_id: person.clone(),
            day: day.clone(),
            bookings: Vec::new(),
            version: 0,
        });
        let read = d.version;
        d.bookings.retain(|b| b.interview_id != after.id);
        if after.holds_time() && after.people().contains(&person) && after.days().contains(&day) {
            if let Some(clash) = d.bookings.iter().find(|b| after.overlaps(b.starts_at, b.ends_at)) {
                let who = if person == after.candidate_id {
                    "the candidate".to_owned()
                } else {
                    format!("interviewer {person}")
                };
                return Err(AppError::conflict(
                    "interview-conflict",
                    format!(
                        "{who} is already booked from {} to {} in interview {}",
                        utc_key(clash.starts_at),
                        utc_key(clash.ends_at),
                        clash.interview_id
                    ),
                ));
            }
            d.bookings.push(Booking::of(after));
            d.bookings.sort_by_key(|b| b.starts_at);
        }
        d.version = read + 1;
        let condition = if read == 0 { Condition::NotExists } else { Condition::VersionIs(read) };
        writes.push(d.tx_put(format!("schedule:{person}:{day}"), condition)?);
    }
    Ok(writes)
}

/// The feedback-reminder marker moves with the interview's end; a cancelled one has none.
fn due_writes(before: Option<&Interview>, after: &Interview) -> AppResult<Vec<TxWrite>> {
    let mut out = Vec::new();
    let old = before.filter(|b| b.holds_time()).map(|b| feedback_due_hour(b.ends_at));
    let new = after.holds_time().then(|| feedback_due_hour(after.ends_at));
    if old == new {
        return Ok(out);
    }
    if let Some(h) = old {
        out.push(TxWrite::delete("due", keys::feedback_due(&h, &after.org_id, &after.id), Condition::None));
    }
    if let Some(hour) = new {
        let due = FeedbackDue { hour, org_id: after.org_id.clone(), interview_id: after.id.clone() };
        out.push(due.tx_put("due", Condition::None)?);
    }
    Ok(out)
}

/// Commits a change of an interview (a new one when `before` is `None`): the interview, its
/// audit record, the feedback-due marker and its people's days, retried from a fresh read of
/// the days when a concurrent booking got there first.
async fn commit(
    deps: &Deps,
    actor: &Actor,
    action: &str,
    before: Option<&Interview>,
    after: &Interview,
) -> AppResult<()> {
    let audit = audit_write(
        deps,
        actor.who(),
        actor.org(),
        super::Change {
            action,
            target_type: "interview",
            target_id: &after.id,
            before: before.map(snapshot).transpose()?,
            after: Some(snapshot(after)?),
        },
    )?;
    let condition = before.map_or(Condition::NotExists, |b| Condition::VersionIs(b.version));
    let mut base = vec![after.tx_put("version", condition)?, audit];
    base.extend(due_writes(before, after)?);
    for attempt in 1..=BOOKING_ATTEMPTS {
        let mut writes = base.clone();
        writes.extend(schedule_writes(deps, before, after).await?);
        match deps.store.transact(writes).await {
            Ok(()) => return Ok(()),
            Err(StoreError::TransactionCanceled { failed })
                if attempt < BOOKING_ATTEMPTS && failed.iter().all(|l| l.starts_with("schedule:")) =>
            {
                tracing::info!(interview = %after.id, attempt, "a concurrent booking changed a day; reading it again");
            }
            Err(StoreError::Throttled(m)) if attempt < BOOKING_ATTEMPTS => {
                tracing::info!(interview = %after.id, attempt, "booking contended ({m}); retrying");
            }
            Err(e) => return Err(lost_update(before.map_or(0, |b| b.version))(e)),
        }
    }
    Err(AppError::TooManyRequests("the calendar is busy with concurrent bookings; retry".into()))
}

/// The event that mails the invite: `interview.scheduled`, `interview.updated` (a reschedule or
/// a change of place) or `interview.cancelled`, with the interview as it is now and anyone taken
/// off the panel (who get a cancellation).
fn event(deps: &Deps, kind: &str, i: &Interview, removed: &[UserId]) -> DomainEvent {
    DomainEvent {
        id: format!("{kind}:{}:{}:{}", i.id, i.sequence, i.version),
        kind: kind.to_owned(),
        org_id: i.org_id.to_string(),
        subject_id: i.id.clone(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({"interview": i, "removedInterviewers": removed}),
        correlation_id: None,
    }
}

async fn publish(deps: &Deps, e: DomainEvent) -> AppResult<()> {
    deps.events.publish(&e).await.map_err(|e| AppError::Unavailable(e.to_string()))
}

pub async fn create(deps: &Deps, actor: &Actor, input: InterviewInput) -> AppResult<Interview> {
    let org = actor.org().clone();
    let mut checks = Checks::default();
    let starts_at = checks.take(parse_time("startsAt", &input.starts_at));
    if let Some(t) = starts_at {
        checks.take(check_window(deps, "startsAt", t));
    }
    let minutes = checks.take(parse_minutes("durationMinutes", input.duration_minutes));
    let zone = checks.take(parse_zone("timeZone", input.time_zone.as_deref()));
    let location = checks.take(LOCATION.parse_opt("location", input.location.as_deref())).flatten();
    let meeting_link = checks.take(LINK.parse_opt("meetingLink", input.meeting_link.as_deref())).flatten();
    if let Some(l) = &meeting_link
        && !(l.starts_with("https://") || l.starts_with("http://"))
    {
        checks.push("meetingLink", "must be an http(s) URL");
    }
    let ids = input.interviewer_ids.clone().unwrap_or_else(|| vec![actor.user.id.to_string()]);
    let interviewers = load_interviewers(deps, &org, &ids, &mut checks).await?;
    checks.finish()?;
    let (Some(starts_at), Some(minutes), Some(zone)) = (starts_at, minutes, zone) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let (candidate_id, job_id, job_title) =
        resolve_candidate(deps, &org, &input.candidate_id, input.job_id.as_deref()).await?;
    if interviewers.contains(&candidate_id) {
        return Err(AppError::field("interviewerIds", "the candidate cannot interview themself"));
    }
    let now = deps.clock.now();
    let id = deps.ids.new_id().to_string();
    let kind = input.kind.unwrap_or(if interviewers.len() > 1 { InterviewType::Panel } else { InterviewType::Video });
    let interview = Interview {
        ical_uid: format!("{id}@interviews.clearview"),
        id,
        org_id: org,
        job_id,
        job_title,
        candidate_id,
        kind,
        starts_at,
        ends_at: starts_at + Duration::minutes(i64::from(minutes)),
        duration_minutes: minutes,
        time_zone: zone,
        interviewers,
        organizer_id: actor.user.id.clone(),
        location,
        meeting_link,
        status: InterviewStatus::Scheduled,
        sequence: 0,
        reschedule_request: None,
        feedback_shared: false,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    commit(deps, actor, "interview.create", None, &interview).await?;
    publish(deps, event(deps, "interview.scheduled", &interview, &[])).await?;
    Ok(interview)
}

pub async fn load(deps: &Deps, org: &OrgId, id: &str) -> AppResult<Interview> {
    record::get(deps.store.as_ref(), &keys::interview(org, id)).await?.ok_or(AppError::NotFound("interview"))
}

/// A staff member reads their organisation's interviews; a candidate their own (found through
/// the organisation named on their applications: the id alone is not enough).
pub async fn get(deps: &Deps, caller: &Caller, id: &str) -> AppResult<Interview> {
    match caller {
        Caller::Staff(a) => load(deps, a.org(), id).await,
        Caller::Candidate(p) => own(deps, &p.user_id, id).await,
    }
}

pub async fn own(deps: &Deps, candidate: &UserId, id: &str) -> AppResult<Interview> {
    let orgs: BTreeSet<_> =
        super::talent::applications_of(deps, candidate).await?.into_iter().map(|a| a.org_id).collect();
    for org in orgs {
        if let Some(i) = record::get::<Interview>(deps.store.as_ref(), &keys::interview(&org, id)).await?
            && &i.candidate_id == candidate
        {
            return Ok(i);
        }
    }
    Err(AppError::NotFound("interview"))
}

/// `GET /api/interviews` and the calendar's range.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// From this time (RFC 3339); now when absent.
    pub from: Option<String>,
    /// Until this time; `from` plus 30 days when absent (at most 92 days after `from`).
    pub to: Option<String>,
    /// One job's interviews.
    #[param(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

/// `GET /api/interviews/calendar`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarQuery {
    /// From this time (RFC 3339); now when absent.
    pub from: Option<String>,
    /// Until this time; `from` plus 30 days when absent (at most 92 days after `from`).
    pub to: Option<String>,
    /// One interviewer's calendar.
    #[param(schema_with = crate::values::id_schema)]
    pub interviewer_id: Option<String>,
    /// One candidate's.
    #[param(schema_with = crate::values::id_schema)]
    pub candidate_id: Option<String>,
    /// One job's.
    #[param(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
}

/// The range a list or calendar reads.
pub fn range(deps: &Deps, from: Option<&str>, to: Option<&str>) -> AppResult<(OffsetDateTime, OffsetDateTime)> {
    let mut checks = Checks::default();
    let from = match from {
        Some(f) => checks.take(
            OffsetDateTime::parse(f.trim(), &Rfc3339)
                .map_err(|_| FieldError::new("from", "must be an RFC 3339 date-time, such as 2026-03-02T00:00:00Z")),
        ),
        None => Some(deps.clock.now()),
    };
    let to = match to {
        Some(t) => checks.take(
            OffsetDateTime::parse(t.trim(), &Rfc3339)
                .map_err(|_| FieldError::new("to", "must be an RFC 3339 date-time, such as 2026-03-09T00:00:00Z")),
        ),
        None => from.map(|f| f + Duration::days(30)),
    };
    checks.finish()?;
    let (Some(from), Some(to)) = (from, to) else { return Err(AppError::Internal("range missing".into())) };
    if to <= from {
        return Err(AppError::field("to", "must be after from"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(AppError::field("to", format!("must be at most {MAX_RANGE_DAYS} days after from")));
    }
    Ok((from, to))
}

fn parse_query_id<T>(field: &str, v: Option<&str>, parse: fn(&str) -> Option<T>) -> AppResult<Option<T>> {
    v.map(|s| parse(s.trim()).ok_or_else(|| AppError::field(field, "is not an id"))).transpose()
}

/// The organisation's interviews (or one job's) starting in a range, by start time.
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    q: &ListQuery,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Interview>> {
    let (from, to) = range(deps, q.from.as_deref(), q.to.as_deref())?;
    let job = parse_query_id("jobId", q.job_id.as_deref(), JobId::parse)?;
    let (index, pk) = match &job {
        Some(j) => (Index::Gsi2, keys::interviews_by_job_pk(actor.org(), j)),
        None => (Index::Gsi1, keys::interviews_by_time_pk(actor.org())),
    };
    let query = Query::index(index, pk).between(utc_key(from), format!("{}~", utc_key(to))).limit(limit).after(after);
    let (items, page) = record::query::<Interview>(deps.store.as_ref(), &query).await?;
    Ok(Listed { items: items.into_iter().filter(|i| i.starts_at < to).collect(), next: page.next })
}

/// A calendar: the bookings in a range.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarView {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    /// Whose calendar: `organization`, `interviewer`, `candidate` or `job`.
    pub scope: String,
    pub items: Vec<Booking>,
}

/// A person's bookings overlapping a range: one query of their days.
pub async fn person_bookings(
    deps: &Deps,
    org: &OrgId,
    person: &UserId,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> AppResult<Vec<Booking>> {
    let mut out: BTreeMap<(OffsetDateTime, String), Booking> = BTreeMap::new();
    let mut after = None;
    loop {
        let q = Query::table(keys::schedule_pk(org, person))
            .between(utc_day(from - Duration::days(1)), utc_day(to))
            .limit(200)
            .after(after);
        let (days, page) = record::query::<ScheduleDay>(deps.store.as_ref(), &q).await?;
        for b in days.into_iter().flat_map(|d| d.bookings) {
            if b.starts_at < to && from < b.ends_at {
                out.insert((b.starts_at, b.interview_id.clone()), b);
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out.into_values().collect()),
        }
    }
}

pub async fn calendar(deps: &Deps, actor: &Actor, q: &CalendarQuery) -> AppResult<CalendarView> {
    let (from, to) = range(deps, q.from.as_deref(), q.to.as_deref())?;
    let interviewer = parse_query_id("interviewerId", q.interviewer_id.as_deref(), UserId::parse)?;
    let candidate = parse_query_id("candidateId", q.candidate_id.as_deref(), UserId::parse)?;
    let job = parse_query_id("jobId", q.job_id.as_deref(), JobId::parse)?;
    if [interviewer.is_some(), candidate.is_some(), job.is_some()].iter().filter(|b| **b).count() > 1 {
        return Err(AppError::field("interviewerId", "name at most one of interviewerId, candidateId and jobId"));
    }
    let (scope, items) = match (interviewer, candidate) {
        (Some(p), _) => ("interviewer", person_bookings(deps, actor.org(), &p, from, to).await?),
        (_, Some(p)) => ("candidate", person_bookings(deps, actor.org(), &p, from, to).await?),
        _ => {
            // Interviews started before `from` may still run into the range: read from the
            // longest interview before it.
            let (index, pk, scope) = match &job {
                Some(j) => (Index::Gsi2, keys::interviews_by_job_pk(actor.org(), j), "job"),
                None => (Index::Gsi1, keys::interviews_by_time_pk(actor.org()), "organization"),
            };
            let mut items = Vec::new();
            let mut after = None;
            loop {
                let query = Query::index(index, pk.clone())
                    .between(utc_key(from - Duration::minutes(i64::from(MAX_MINUTES))), format!("{}~", utc_key(to)))
                    .limit(500)
                    .after(after);
                let (found, page) = record::query::<Interview>(deps.store.as_ref(), &query).await?;
                items.extend(found.iter().filter(|i| i.holds_time() && i.overlaps(from, to)).map(Booking::of));
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            (scope, items)
        }
    };
    Ok(CalendarView { from, to, scope: scope.to_owned(), items })
}

fn changes_invite(before: &Interview, after: &Interview) -> bool {
    before.starts_at != after.starts_at
        || before.ends_at != after.ends_at
        || before.interviewers != after.interviewers
        || before.location != after.location
        || before.meeting_link != after.meeting_link
        || before.kind != after.kind
        || before.time_zone != after.time_zone
}

/// Saves a change and mails what it calls for: a new invite (same `UID`, `SEQUENCE` + 1) when
/// the time, place or panel changed, a cancellation to anyone taken off the panel.
async fn save_change(
    deps: &Deps,
    actor: &Actor,
    action: &str,
    before: &Interview,
    mut after: Interview,
) -> AppResult<Interview> {
    let invite = changes_invite(before, &after);
    if invite {
        after.sequence = before.sequence + 1;
    }
    after.version = before.version + 1;
    after.updated_at = deps.clock.now();
    commit(deps, actor, action, Some(before), &after).await?;
    if invite {
        let removed: Vec<UserId> =
            before.interviewers.iter().filter(|p| !after.interviewers.contains(p)).cloned().collect();
        publish(deps, event(deps, "interview.updated", &after, &removed)).await?;
    }
    Ok(after)
}

pub async fn update(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    expected: Option<u64>,
    input: InterviewUpdate,
) -> AppResult<Interview> {
    let before = load(deps, actor.org(), id).await?;
    check_version(expected, before.version, true)?;
    if input.status == Some(InterviewStatus::Cancelled) {
        return cancel(deps, actor, id, expected).await;
    }
    if matches!(before.status, InterviewStatus::Cancelled | InterviewStatus::Completed) {
        return Err(AppError::conflict(
            "interview-closed",
            format!("the interview is {}; schedule a new one instead", before.status.as_str()),
        ));
    }
    let mut checks = Checks::default();
    let mut after = before.clone();
    if let Some(s) = &input.starts_at
        && let Some(t) = checks.take(parse_time("startsAt", s))
    {
        checks.take(check_window(deps, "startsAt", t));
        after.starts_at = t;
    }
    if input.duration_minutes.is_some()
        && let Some(m) = checks.take(parse_minutes("durationMinutes", input.duration_minutes))
    {
        after.duration_minutes = m;
    }
    after.ends_at = after.starts_at + Duration::minutes(i64::from(after.duration_minutes));
    if input.time_zone.is_some()
        && let Some(z) = checks.take(parse_zone("timeZone", input.time_zone.as_deref()))
    {
        after.time_zone = z;
    }
    if let Some(l) = &input.location {
        after.location = checks.take(LOCATION.parse_opt("location", Some(l))).flatten();
    }
    if let Some(l) = &input.meeting_link {
        after.meeting_link = checks.take(LINK.parse_opt("meetingLink", Some(l))).flatten();
    }
    if let Some(k) = input.kind {
        after.kind = k;
    }
    if let Some(ids) = &input.interviewer_ids {
        after.interviewers = load_interviewers(deps, actor.org(), ids, &mut checks).await?;
    }
    if let Some(s) = input.status {
        after.status = s;
    }
    checks.finish()?;
    if after.starts_at != before.starts_at {
        after.reschedule_request = None;
    }
    save_change(deps, actor, "interview.update", &before, after).await
}

/// Cancels an interview: its people's time is freed, the feedback reminder dropped, and
/// everyone receives `METHOD:CANCEL` with the same `UID` and a higher `SEQUENCE`.
pub async fn cancel(deps: &Deps, actor: &Actor, id: &str, expected: Option<u64>) -> AppResult<Interview> {
    let before = load(deps, actor.org(), id).await?;
    check_version(expected, before.version, false)?;
    if before.status == InterviewStatus::Cancelled {
        return Ok(before);
    }
    let mut after = before.clone();
    after.status = InterviewStatus::Cancelled;
    after.sequence = before.sequence + 1;
    after.version = before.version + 1;
    after.updated_at = deps.clock.now();
    after.reschedule_request = None;
    commit(deps, actor, "interview.cancel", Some(&before), &after).await?;
    publish(deps, event(deps, "interview.cancelled", &after, &[])).await?;
    Ok(after)
}

/// The candidate asks to move their interview, proposing times; staff see the request on the
/// interview and accept one of them.
pub async fn request_reschedule(
    deps: &Deps,
    candidate: &UserId,
    id: &str,
    input: RescheduleRequestInput,
) -> AppResult<Interview> {
    let before = own(deps, candidate, id).await?;
    if before.status != InterviewStatus::Scheduled {
        return Err(AppError::conflict("interview-closed", format!("the interview is {}", before.status.as_str())));
    }
    let mut checks = Checks::default();
    if input.proposed_times.is_empty() || input.proposed_times.len() > 5 {
        checks.push("proposedTimes", "propose one to five start times");
    }
    let mut proposed = Vec::new();
    for (i, t) in input.proposed_times.iter().enumerate() {
        let field = format!("proposedTimes[{i}]");
        if let Some(t) = checks.take(parse_time(&field, t)) {
            if t <= deps.clock.now() {
                checks.push(field, "must be in the future");
            } else {
                proposed.push(ProposedTime { starts_at: t });
            }
        }
    }
    let reason = checks.take(REASON.parse_opt("reason", input.reason.as_deref())).flatten();
    checks.finish()?;
    let mut after = before.clone();
    after.reschedule_request = Some(RescheduleRequest { proposed, reason, requested_at: deps.clock.now() });
    after.version = before.version + 1;
    after.updated_at = deps.clock.now();
    super::save_versioned(
        deps,
        super::Who { id: candidate.as_str(), email: None },
        &before.org_id,
        "interview.reschedule_request",
        ("interview", &before.id),
        &before,
        &after,
    )
    .await?;
    Ok(after)
}

/// Staff accept one of the candidate's proposed times: a reschedule (the invite goes out again).
pub async fn accept_proposal(deps: &Deps, actor: &Actor, id: &str, input: AcceptProposalInput) -> AppResult<Interview> {
    let before = load(deps, actor.org(), id).await?;
    let t = parse_time("startsAt", &input.starts_at).map_err(|e| AppError::Validation(vec![e]))?;
    let Some(request) = &before.reschedule_request else {
        return Err(AppError::conflict("no-reschedule-request", "the candidate has not asked to reschedule"));
    };
    if !request.proposed.iter().any(|p| p.starts_at == t) {
        return Err(AppError::field("startsAt", "must be one of the times the candidate proposed"));
    }
    let mut after = before.clone();
    after.starts_at = t;
    after.ends_at = t + Duration::minutes(i64::from(before.duration_minutes));
    after.reschedule_request = None;
    save_change(deps, actor, "interview.accept_proposal", &before, after).await
}

/// A private calendar feed's address; the token is shown only here, once per rotation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedLink {
    /// Subscribe to this in a calendar app (a path under the API's address).
    pub url: String,
    /// The secret in the URL: anyone who has it reads the feed, so rotate it if it leaks.
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub rotated_at: OffsetDateTime,
}

/// How far back and ahead a feed lists interviews.
pub const FEED_PAST_DAYS: i64 = 30;
pub const FEED_AHEAD_DAYS: i64 = 366;

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes the caller's feed token, or replaces it: the old URL stops working at once.
pub async fn rotate_feed(deps: &Deps, actor: &Actor) -> AppResult<FeedLink> {
    use crate::model::interview::{CalendarFeed, CalendarFeedToken};
    use base64::Engine;
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    let hash = token_hash(&token);
    let now = deps.clock.now();
    let before: Option<CalendarFeed> =
        record::get(deps.store.as_ref(), &keys::calendar_feed(actor.org(), &actor.user.id)).await?;
    let after = CalendarFeed {
        org_id: actor.org().clone(),
        user_id: actor.user.id.clone(),
        token_hash: hash.clone(),
        rotated_at: now,
        version: before.as_ref().map_or(1, |b| b.version + 1),
    };
    let condition = before.as_ref().map_or(Condition::NotExists, |b| Condition::VersionIs(b.version));
    let locator = CalendarFeedToken { token_hash: hash, org_id: actor.org().clone(), user_id: actor.user.id.clone() };
    let mut writes = vec![
        after.tx_put("version", condition)?,
        locator.tx_put("token", Condition::NotExists)?,
        actor.audit(
            deps,
            super::Change {
                action: "calendar_feed.rotate",
                target_type: "user",
                target_id: actor.user.id.as_str(),
                before: None,
                after: None,
            },
        )?,
    ];
    if let Some(b) = &before {
        writes.push(TxWrite::delete("old-token", keys::calendar_feed_token(&b.token_hash), Condition::None));
    }
    deps.store.transact(writes).await.map_err(lost_update(before.map_or(0, |b| b.version)))?;
    Ok(FeedLink { url: format!("/api/interviews/feed/{token}"), token, rotated_at: now })
}

/// The feed behind a token: its owner's interviews from 30 days back to a year ahead. An
/// unknown or rotated token names nothing (404).
pub async fn feed(deps: &Deps, token: &str) -> AppResult<String> {
    use crate::model::interview::CalendarFeedToken;
    if token.is_empty() || token.len() > 128 {
        return Err(AppError::NotFound("calendar feed"));
    }
    let locator: CalendarFeedToken = record::get(deps.store.as_ref(), &keys::calendar_feed_token(&token_hash(token)))
        .await?
        .ok_or(AppError::NotFound("calendar feed"))?;
    let user: Option<User> = record::get(deps.store.as_ref(), &keys::user(&locator.org_id, &locator.user_id)).await?;
    if user.is_none_or(|u| u.status == UserStatus::Disabled) {
        return Err(AppError::NotFound("calendar feed"));
    }
    let now = deps.clock.now();
    let bookings = person_bookings(
        deps,
        &locator.org_id,
        &locator.user_id,
        now - Duration::days(FEED_PAST_DAYS),
        now + Duration::days(FEED_AHEAD_DAYS),
    )
    .await?;
    Ok(crate::calendar::feed("ClearView interviews", &bookings, now))
}
