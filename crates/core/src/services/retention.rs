//! Retention (issue 12): each organisation's `retention.rules` setting enforced by a daily run,
//! with a dry run that lists what the next run would remove and why.
//!
//! The run never scans. The facts that start a rule's clock are indexed when they happen, by
//! the `retention-index` consumer from the application events:
//! - a rejection: one item per rejected application under `RETAIN#REJECTED#{at}#{app}` in the
//!   organisation's partition, so the rejections older than N days are one sort-key range;
//! - a candidate's last activity in the organisation (applied, moved, rejected …): one item per
//!   candidate, its gsi1 sorted by that time, so the candidates inactive for N months are one
//!   range of `ORG#{org}#RETAIN#ACTIVE`.
//!
//! The organisations with rules are the gsi1 partition `RETENTION#ORGS` of their settings. The
//! run removes through the existing code: `DELETE /api/files/{id}`'s file removal (every object
//! version, the derived results) for resumes, the privacy erasure (scope: the organisation) for
//! inactive candidates; both audited with the actor `system:retention`. Each index item is
//! deleted once its work is done, and the work is safe to repeat: a redelivered or retried run
//! finds less to do, never does it twice.

use super::{Who, applications, privacy};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Application;
use crate::model::application::ApplicationStatus;
use crate::ports::Deps;
use crate::ports::queue::{DomainEvent, WorkQueue};
use crate::ports::store::{Condition, Index, Key, Query, StoreError};
use crate::record::{self, Record};
use crate::values::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The queue the `retention-index` consumer reads (application events).
pub const QUEUE: WorkQueue = WorkQueue::named("retention-index");
/// The application events that start or restart a rule's clock.
pub const EVENTS: &[&str] = &["application.received", "application.status_changed"];
/// Who the run's audit records name.
pub const SYSTEM_ACTOR: &str = "system:retention";
/// A month of `inactiveCandidateMonths`, in days.
pub const DAYS_PER_MONTH: i64 = 30;
/// Most entries of each kind the dry run lists (it says when there are more).
pub const PREVIEW_LIMIT: usize = 200;

/// An organisation's rules, as `retention.rules` stores them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    /// Delete the resumes of rejected applications this many days after the rejection.
    pub rejected_resume_days: Option<i64>,
    /// Erase (from this organisation) candidates with no activity for this many months of 30 days.
    pub inactive_candidate_months: Option<i64>,
}

/// A rejection, indexed by when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedDue {
    pub org_id: OrgId,
    pub application_id: String,
    pub candidate_id: UserId,
    /// The `RETAIN#REJECTED#` sort-key time (RFC 3339, UTC, whole seconds).
    pub rejected_at: String,
}

impl Record for RejectedDue {
    const ENTITY: &'static str = "RetentionRejected";
    fn key(&self) -> Key {
        keys::retain_rejected(&self.org_id, &self.rejected_at, &self.application_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// A candidate's last activity in an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastActivity {
    pub org_id: OrgId,
    pub candidate_id: UserId,
    /// RFC 3339, UTC, whole seconds (sorts as text).
    pub last_active_at: String,
    /// The event that set it.
    pub event_id: String,
    pub version: u64,
}

impl Record for LastActivity {
    const ENTITY: &'static str = "RetentionActivity";
    fn key(&self) -> Key {
        keys::retain_activity(&self.org_id, &self.candidate_id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(Key::new(
            keys::retain_activity_by_time_pk(&self.org_id),
            format!("{}#{}", self.last_active_at, self.candidate_id),
        ))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A time as the index keys hold it: RFC 3339 in UTC, whole seconds (`2026-11-30T07:00:00Z`).
pub fn stamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).unwrap_or_default()
}

fn parse_stamp(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// The `retention-index` consumer's work for one application event: a rejection gets its due
/// item; every event moves the candidate's last activity forward (never back). Redeliveries
/// write the same items again. Answers whether the event was indexed.
pub async fn index_event(deps: &Deps, event: &DomainEvent) -> AppResult<bool> {
    if !EVENTS.contains(&event.kind.as_str()) {
        return Ok(false);
    }
    let org =
        OrgId::parse(&event.org_id).ok_or_else(|| AppError::Internal("an event without an organisation id".into()))?;
    let candidate = event.data["candidateId"]
        .as_str()
        .and_then(UserId::parse)
        .ok_or_else(|| AppError::Internal("an application event without a candidateId".into()))?;
    let at = stamp(event.occurred_at);
    if event.kind == "application.status_changed" && event.data["to"] == "rejected" {
        let due = RejectedDue {
            org_id: org.clone(),
            application_id: event.subject_id.clone(),
            candidate_id: candidate.clone(),
            rejected_at: at.clone(),
        };
        deps.store.put(due.to_item()?, Condition::None).await?;
    }
    // The last activity: a conditional write, retried on a lost race (another event of the
    // same candidate in the same batch).
    for _ in 0..5 {
        let key = keys::retain_activity(&org, &candidate);
        let before: Option<LastActivity> = record::get(deps.store.as_ref(), &key).await?;
        if before.as_ref().is_some_and(|b| b.last_active_at >= at) {
            return Ok(true);
        }
        let after = LastActivity {
            org_id: org.clone(),
            candidate_id: candidate.clone(),
            last_active_at: at.clone(),
            event_id: event.id.clone(),
            version: before.as_ref().map(|b| b.version + 1).unwrap_or(1),
        };
        let cond = match &before {
            Some(b) => Condition::VersionIs(b.version),
            None => Condition::NotExists,
        };
        match deps.store.put(after.to_item()?, cond).await {
            Ok(()) => return Ok(true),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unavailable("the candidate's last activity kept changing; retry".into()))
}

/// What a rule would remove (or removed): one entry of the dry run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionEntry {
    /// `delete_resume`: the rejected application's resume files (every stored version) and
    /// what was derived from them; `erase_candidate`: everything this organisation holds of the
    /// candidate (the privacy erasure, scope: the organisation).
    pub action: RetentionAction,
    /// The rule that calls for it: `rejectedResumeDays` or `inactiveCandidateMonths`.
    pub rule: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    /// The rejected application (`delete_resume`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// When the rule's clock started: the rejection, or the candidate's last activity here.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
    /// When the rule made it due (`since` plus the rule's period).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: OffsetDateTime,
    /// Why, in words.
    pub reason: String,
    /// Resume files that go (`delete_resume`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    DeleteResume,
    EraseCandidate,
}

/// `GET /api/privacy/retention/preview`: what the daily run would remove now, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetentionPreview {
    /// The rules in force (`retention.rules`; none set: nothing is removed).
    pub rules: Rules,
    /// The time the preview was computed for.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub as_of: OffsetDateTime,
    pub items: Vec<RetentionEntry>,
    /// Whether a kind had more than the listed entries (at most 200 of each are listed).
    pub truncated: bool,
}

/// What one run did, over every organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub organisations: u32,
    pub resumes_deleted: u32,
    pub object_versions_deleted: u32,
    pub candidates_erased: u32,
    /// Index items whose fact no longer holds (the application moved on, was deleted, or the
    /// candidate is gone): dropped without removing anything.
    pub stale_dropped: u32,
    /// Export archives deleted after their lifetime (`privacy::expire_exports`).
    pub exports_expired: u32,
}

/// The organisation's rules (none set: all absent).
pub async fn rules_of(deps: &Deps, org: &OrgId) -> AppResult<Rules> {
    let item = deps.store.get(&keys::setting(org, super::settings::RETENTION_RULES)).await?;
    Ok(item.and_then(|i| serde_json::from_value(i.data["value"].clone()).ok()).unwrap_or_default())
}

/// The rejections of `org` before `cutoff`, up to `limit` (every page when `None`).
async fn rejected_before(
    deps: &Deps,
    org: &OrgId,
    cutoff: &str,
    limit: Option<usize>,
) -> AppResult<(Vec<RejectedDue>, bool)> {
    let q = Query::table(keys::org_pk(org))
        .between(keys::RETAIN_REJECTED_PREFIX, format!("{}{cutoff}", keys::RETAIN_REJECTED_PREFIX));
    page_all(deps, q, limit).await
}

/// The candidates of `org` last active before `cutoff`.
async fn inactive_before(
    deps: &Deps,
    org: &OrgId,
    cutoff: &str,
    limit: Option<usize>,
) -> AppResult<(Vec<LastActivity>, bool)> {
    let q = Query::index(Index::Gsi1, keys::retain_activity_by_time_pk(org)).between("0", cutoff);
    page_all(deps, q, limit).await
}

async fn page_all<R: Record>(deps: &Deps, q: Query, limit: Option<usize>) -> AppResult<(Vec<R>, bool)> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = deps.store.query(&q.clone().limit(200).after(after)).await?;
        for item in page.items {
            if limit.is_some_and(|l| out.len() >= l) {
                return Ok((out, true));
            }
            out.push(R::from_item(item)?);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok((out, false)),
        }
    }
}

/// A rejection's work, if it still holds: the application is still rejected and has files.
async fn rejected_work(
    deps: &Deps,
    due: &RejectedDue,
) -> AppResult<Option<Vec<crate::model::application::FileRecord>>> {
    let app: Option<Application> =
        record::get(deps.store.as_ref(), &keys::application(&due.org_id, &due.application_id)).await?;
    let Some(app) = app.filter(|a| a.status == ApplicationStatus::Rejected) else { return Ok(None) };
    let scope = privacy::Scope::Org(due.org_id.clone());
    let files: Vec<_> = privacy::files_of(deps, &app.candidate_id, &scope)
        .await?
        .into_iter()
        .filter(|f| f.application_id == app.id)
        .collect();
    Ok(Some(files))
}

/// A rule's period and the time before which its facts are due (as the index keys hold it).
type Cutoff = Option<(i64, String)>;

fn cutoffs(rules: &Rules, now: OffsetDateTime) -> (Cutoff, Cutoff) {
    let rejected = rules.rejected_resume_days.map(|d| (d, stamp(now - time::Duration::days(d))));
    let inactive = rules.inactive_candidate_months.map(|m| (m, stamp(now - time::Duration::days(m * DAYS_PER_MONTH))));
    (rejected, inactive)
}

/// The dry run for one organisation at `now`: what its rules would remove, and why.
pub async fn preview(deps: &Deps, org: &OrgId, now: OffsetDateTime) -> AppResult<RetentionPreview> {
    let rules = rules_of(deps, org).await?;
    let (rejected, inactive) = cutoffs(&rules, now);
    let mut items = Vec::new();
    let mut truncated = false;
    if let Some((days, cutoff)) = rejected {
        let (due, more) = rejected_before(deps, org, &cutoff, Some(PREVIEW_LIMIT)).await?;
        truncated |= more;
        for d in due {
            let Some(files) = rejected_work(deps, &d).await? else { continue };
            if files.is_empty() {
                continue;
            }
            let since = parse_stamp(&d.rejected_at).unwrap_or(now);
            items.push(RetentionEntry {
                action: RetentionAction::DeleteResume,
                rule: "rejectedResumeDays".into(),
                candidate_id: d.candidate_id,
                application_id: Some(d.application_id),
                since,
                due_at: since + time::Duration::days(days),
                reason: format!("rejected on {}; resumes of rejected applicants are kept {days} days", d.rejected_at),
                files: Some(files.len() as u32),
            });
        }
    }
    if let Some((months, cutoff)) = inactive {
        let (due, more) = inactive_before(deps, org, &cutoff, Some(PREVIEW_LIMIT)).await?;
        truncated |= more;
        for a in due {
            if !privacy::holds_data_of(deps, org, &a.candidate_id).await? {
                continue;
            }
            let since = parse_stamp(&a.last_active_at).unwrap_or(now);
            items.push(RetentionEntry {
                action: RetentionAction::EraseCandidate,
                rule: "inactiveCandidateMonths".into(),
                candidate_id: a.candidate_id,
                application_id: None,
                since,
                due_at: since + time::Duration::days(months * DAYS_PER_MONTH),
                reason: format!(
                    "no activity since {}; candidates inactive for {months} months (of {DAYS_PER_MONTH} days) are erased",
                    a.last_active_at
                ),
                files: None,
            });
        }
    }
    Ok(RetentionPreview { rules, as_of: now, items, truncated })
}

/// `GET /api/privacy/retention/preview` for the caller's organisation (`privacy:manage`).
pub async fn preview_for(deps: &Deps, actor: &super::Actor) -> AppResult<RetentionPreview> {
    preview(deps, actor.org(), deps.clock.now()).await
}

/// The daily run at `now`: every organisation with rules (from their index), each rule's due
/// range, removed through the file removal and the erasure, each index item deleted after its
/// work.
pub async fn enforce(deps: &Deps, now: OffsetDateTime) -> AppResult<RunSummary> {
    let mut s = RunSummary { exports_expired: privacy::expire_exports(deps, now).await?, ..RunSummary::default() };
    let (orgs, _) =
        page_all::<super::settings::Setting>(deps, Query::index(Index::Gsi1, keys::RETENTION_ORGS_PK), None).await?;
    let who = Who { id: SYSTEM_ACTOR, email: None };
    for setting in orgs {
        let org = setting.org_id.clone();
        let rules: Rules = serde_json::from_value(setting.value).unwrap_or_default();
        let (rejected, inactive) = cutoffs(&rules, now);
        if rejected.is_none() && inactive.is_none() {
            continue;
        }
        s.organisations += 1;
        if let Some((_, cutoff)) = rejected {
            for d in rejected_before(deps, &org, &cutoff, None).await?.0 {
                match rejected_work(deps, &d).await? {
                    Some(files) if !files.is_empty() => {
                        for f in files {
                            let done = applications::remove_file(deps, who, f, "retention.resume_delete").await?;
                            s.object_versions_deleted += done.object_versions_deleted;
                        }
                        s.resumes_deleted += 1;
                    }
                    _ => s.stale_dropped += 1,
                }
                deps.store.delete(&d.key(), Condition::None).await?;
            }
        }
        if let Some((_, cutoff)) = inactive {
            for a in inactive_before(deps, &org, &cutoff, None).await?.0 {
                if privacy::holds_data_of(deps, &org, &a.candidate_id).await? {
                    privacy::erase(deps, &a.candidate_id, &privacy::Scope::Org(org.clone()), SYSTEM_ACTOR).await?;
                    s.candidates_erased += 1;
                } else {
                    s.stale_dropped += 1;
                }
                // Only if no new activity came meanwhile (then the candidate is no longer due).
                match deps.store.delete(&a.key(), Condition::VersionIs(a.version)).await {
                    Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(s)
}
