//! Personal data (issue 12): a candidate's export (everything held about them, as a zip of JSON
//! and the original files behind a short-lived link) and erasure (every table item, every
//! version of every object, the account, held mail), both run by the `privacy` consumer from a
//! request record that the status route reads.
//!
//! What an erasure keeps is what the law allows: counters and aggregates (they hold no person),
//! and per organisation one audit tombstone (`candidate.erased`, ids only). The audit records
//! that held the person's data keep their ids, action and time with their snapshots, email,
//! address and user agent removed.

use super::{Caller, Change, Who, talent};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::application::FileRecord;
use crate::model::audit::AuditRecord;
use crate::model::interview::{Interview, ScheduleDay};
use crate::model::{Application, Candidate};
use crate::ports::Deps;
use crate::ports::identity::IdentityError;
use crate::ports::queue::{DomainEvent, WorkMessage, WorkQueue};
use crate::ports::store::{Condition, Index, Item, Key, Query};
use crate::record::{self, Record};
use crate::values::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;
use time::OffsetDateTime;

/// The queue the `privacy` consumer reads (one message per request).
pub const QUEUE: WorkQueue = WorkQueue::named("privacy");
/// The domain event of an erasure (ids only), for the organisations' webhooks.
pub const ERASED_EVENT: &str = "candidate.erased";
/// Where export archives go in the bucket (a lifecycle rule may expire them).
pub const EXPORTS_PREFIX: &str = "exports/";
/// How long an export's download link lives.
pub const EXPORT_LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// How long an export archive is kept (each status read within it gets a fresh 15-minute link);
/// then the bucket's lifecycle rule (AWS) and the daily `retention` run (both families) delete
/// it and the status says `expired`.
pub const EXPORT_DAYS: u32 = 1;
/// gsi2 of a completed export whose archive is still stored, by completion time: the daily run
/// reads the expired ones by range.
pub const EXPORT_ARCHIVES_PK: &str = "EXPORTS#ARCHIVES";
/// Largest original file put into an export.
const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Export,
    Erasure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PrivacyRequestStatus)]
pub enum RequestStatus {
    Queued,
    Completed,
    Failed,
    /// A completed export whose archive has been deleted after its lifetime (1 day).
    Expired,
}

/// What one erasure removed (counts only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErasureSummary {
    /// Table items deleted.
    pub items_deleted: u32,
    /// Object versions (and delete markers) deleted.
    pub object_versions_deleted: u32,
    /// Audit records whose personal data was removed (ids, action and time stay).
    pub audit_records_redacted: u32,
    /// Held mail removed (the embedded outbox; SES cannot recall mail already sent).
    pub mails_removed: u32,
    /// Whether the sign-in account was deleted.
    pub account_deleted: bool,
    /// Organisations that held data of the candidate (each got a tombstone and an event).
    pub organisations: u32,
}

/// A personal-data request: who asked, about whom, and how it went. Ids only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyRequest {
    pub id: String,
    pub kind: RequestKind,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    /// Set when an organisation's staff asked: the request covers that organisation's data.
    /// Absent when the candidate asked: everything, everywhere.
    #[schema(value_type = Option<String>)]
    pub org_id: Option<OrgId>,
    #[schema(value_type = String)]
    pub requested_by: UserId,
    pub status: RequestStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub erasure: Option<ErasureSummary>,
    /// The archive's key in the bucket (exports; removed when an erasure deletes it).
    #[serde(default)]
    pub object_key: Option<String>,
    /// Bytes of the archive (exports).
    #[serde(default)]
    pub archive_bytes: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    /// When a completed export's archive stops being available (exports).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub archive_expires_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Record for PrivacyRequest {
    const ENTITY: &'static str = "PrivacyRequest";
    fn key(&self) -> Key {
        keys::privacy_request(&self.id)
    }
    /// The candidate's requests, by time (an erasure finds their export archives).
    fn gsi1(&self) -> Option<Key> {
        Some(Key::new(keys::privacy_requests_of_pk(&self.candidate_id), self.id.clone()))
    }
    /// Completed exports with their archive still stored, by when it expires.
    fn gsi2(&self) -> Option<Key> {
        match (self.kind, self.status, &self.object_key, self.archive_expires_at) {
            (RequestKind::Export, RequestStatus::Completed, Some(_), Some(at)) => {
                Some(Key::new(EXPORT_ARCHIVES_PK, format!("{}#{}", super::retention::stamp(at), self.id)))
            }
            _ => None,
        }
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A request as the status route shows it: with a fresh download link once an export is ready.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyRequestView {
    #[serde(flatten)]
    pub request: PrivacyRequest,
    /// A short-lived link to the archive (completed exports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub download_expires_at: Option<OffsetDateTime>,
}

/// Body of `POST /api/privacy/exports` and `/erasures`: staff name the candidate; a candidate
/// sends nothing (or their own id).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPrivacyRequest {
    pub candidate_id: Option<String>,
}

/// Checks who may ask about whom, stores the request and queues it for the consumer.
pub async fn request(
    deps: &Deps,
    caller: &Caller,
    kind: RequestKind,
    input: NewPrivacyRequest,
) -> AppResult<PrivacyRequest> {
    let named = match input.candidate_id.as_deref() {
        Some(s) => {
            Some(UserId::parse(s).ok_or_else(|| AppError::field("candidateId", "must be a candidate id (a UUID)"))?)
        }
        None => None,
    };
    let (candidate, org) = match caller {
        Caller::Candidate(p) => {
            if named.as_ref().is_some_and(|n| n != &p.user_id) {
                return Err(AppError::NotFound("candidate"));
            }
            record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&p.user_id))
                .await?
                .ok_or(AppError::NotFound("candidate"))?;
            (p.user_id.clone(), None)
        }
        Caller::Staff(actor) => {
            if !actor.can(crate::rbac::Permission::PrivacyManage) {
                return Err(AppError::Forbidden("your role does not allow privacy:manage".into()));
            }
            let c = named.ok_or_else(|| AppError::field("candidateId", "staff must name the candidate"))?;
            if !holds_data_of(deps, actor.org(), &c).await? {
                return Err(AppError::NotFound("candidate"));
            }
            (c, Some(actor.org().clone()))
        }
    };
    let req = PrivacyRequest {
        id: deps.ids.new_id().to_string(),
        kind,
        candidate_id: candidate,
        org_id: org,
        requested_by: caller.id().clone(),
        status: RequestStatus::Queued,
        reason: None,
        erasure: None,
        object_key: None,
        archive_bytes: None,
        requested_at: deps.clock.now(),
        completed_at: None,
        archive_expires_at: None,
        version: 1,
    };
    deps.store.put(req.to_item()?, Condition::NotExists).await?;
    let message =
        WorkMessage { id: req.id.clone(), kind: "privacy-request".into(), body: serde_json::json!({"id": req.id}) };
    deps.queues.send(QUEUE, &message).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(req)
}

/// Whether the organisation holds a record or an application of the candidate.
pub(crate) async fn holds_data_of(deps: &Deps, org: &OrgId, candidate: &UserId) -> AppResult<bool> {
    if deps.store.get(&keys::talent(org, candidate)).await?.is_some() {
        return Ok(true);
    }
    Ok(talent::applications_of(deps, candidate).await?.iter().any(|a| &a.org_id == org))
}

/// `GET /api/privacy/requests/{id}`: the requester, or staff with `privacy:manage` of the
/// organisation it was made to; anyone else gets 404.
pub async fn status(deps: &Deps, caller: &Caller, id: &str) -> AppResult<PrivacyRequestView> {
    let req: PrivacyRequest =
        record::get(deps.store.as_ref(), &keys::privacy_request(id)).await?.ok_or(AppError::NotFound("request"))?;
    let allowed = match caller {
        Caller::Candidate(p) => req.requested_by == p.user_id && req.org_id.is_none(),
        Caller::Staff(a) => req.org_id.as_ref() == Some(a.org()) && a.can(crate::rbac::Permission::PrivacyManage),
    };
    if !allowed {
        return Err(AppError::NotFound("request"));
    }
    let mut view = PrivacyRequestView { request: req, download_url: None, download_expires_at: None };
    // Past its lifetime an archive is expired, whether or not the daily run has deleted it yet.
    if view.request.status == RequestStatus::Completed
        && view.request.archive_expires_at.is_some_and(|at| at <= deps.clock.now())
    {
        view.request.status = RequestStatus::Expired;
        view.request.object_key = None;
    }
    if let (RequestStatus::Completed, Some(key)) = (view.request.status, view.request.object_key.as_deref()) {
        let name = format!("clearview-export-{}.zip", view.request.id);
        let (url, expires) = deps
            .blobs
            .presign_get(key, EXPORT_LINK_TTL, Some(&name))
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        view.download_url = Some(url);
        view.download_expires_at = Some(expires);
    }
    Ok(view)
}

/// The consumer's work for one request; a redelivery of a finished request changes nothing.
pub async fn run(deps: &Deps, id: &str) -> AppResult<()> {
    let Some(mut req) = record::get::<PrivacyRequest>(deps.store.as_ref(), &keys::privacy_request(id)).await? else {
        return Ok(());
    };
    if req.status != RequestStatus::Queued {
        return Ok(());
    }
    let scope = match &req.org_id {
        Some(o) => Scope::Org(o.clone()),
        None => Scope::Everywhere,
    };
    match req.kind {
        RequestKind::Erasure => {
            let summary = erase(deps, &req.candidate_id, &scope, req.requested_by.as_str()).await?;
            req.erasure = Some(summary);
        }
        RequestKind::Export => {
            let bytes = export(deps, &req.candidate_id, &scope).await?;
            let key = format!("{EXPORTS_PREFIX}{}.zip", req.id);
            req.archive_bytes = Some(bytes.len() as u64);
            deps.blobs.put(&key, bytes, "application/zip").await.map_err(|e| AppError::Unavailable(e.to_string()))?;
            req.object_key = Some(key);
            req.archive_expires_at = Some(deps.clock.now() + time::Duration::days(EXPORT_DAYS.into()));
        }
    }
    req.status = RequestStatus::Completed;
    req.completed_at = Some(deps.clock.now());
    let read = req.version;
    req.version += 1;
    match deps.store.put(req.to_item()?, Condition::VersionIs(read)).await {
        Ok(()) => Ok(()),
        // Another delivery finished it first.
        Err(crate::ports::store::StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The daily run's part for exports (both families; in AWS the bucket's lifecycle rule has
/// usually deleted the object already): every export archive past its lifetime is deleted with
/// every stored version, and its request marked `expired`. Reads the expired ones by range
/// (gsi2 `EXPORTS#ARCHIVES`), never scans; safe to run again. Answers how many expired.
pub async fn expire_exports(deps: &Deps, now: OffsetDateTime) -> AppResult<u32> {
    let q = Query::index(Index::Gsi2, EXPORT_ARCHIVES_PK).between("0", super::retention::stamp(now));
    let mut n = 0;
    for item in items_of(deps, q).await? {
        let mut r = PrivacyRequest::from_item(item)?;
        if let Some(key) = r.object_key.take() {
            deps.blobs.delete_all_versions(&key).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
        }
        r.status = RequestStatus::Expired;
        let read = r.version;
        r.version += 1;
        match deps.store.put(r.to_item()?, Condition::VersionIs(read)).await {
            Ok(()) => n += 1,
            // Changed meanwhile (an erasure took the archive): the next run sees it again.
            Err(crate::ports::store::StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// Whose data an erasure or export covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The candidate's own request: every organisation, the profile, the account, the mail.
    Everywhere,
    /// An organisation's: its applications, record, files, interviews and audit records (and
    /// the profile of a candidate it sourced, who has no account).
    Org(OrgId),
}

impl Scope {
    fn covers(&self, org: &OrgId) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Org(o) => o == org,
        }
    }
}

/// Every item of a partition (or under a sort-key prefix), every page.
async fn items_of(deps: &Deps, q: Query) -> AppResult<Vec<Item>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = deps.store.query(&q.clone().limit(200).after(after)).await?;
        out.extend(page.items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

async fn delete_all(deps: &Deps, keys: impl IntoIterator<Item = Key>, s: &mut ErasureSummary) -> AppResult<()> {
    for k in keys {
        if deps.store.delete(&k, Condition::None).await?.is_some() {
            s.items_deleted += 1;
        }
    }
    Ok(())
}

async fn delete_items(deps: &Deps, q: Query, s: &mut ErasureSummary) -> AppResult<()> {
    let found = items_of(deps, q).await?;
    delete_all(deps, found.into_iter().map(|i| i.key), s).await
}

async fn delete_object(deps: &Deps, key: &str, s: &mut ErasureSummary) -> AppResult<()> {
    let n = deps.blobs.delete_all_versions(key).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    s.object_versions_deleted += n;
    Ok(())
}

/// The candidate's files (by their index), in scope.
pub(crate) async fn files_of(deps: &Deps, candidate: &UserId, scope: &Scope) -> AppResult<Vec<FileRecord>> {
    let mut out = Vec::new();
    for item in items_of(deps, Query::index(Index::Gsi2, format!("CANDIDATE#{candidate}#FILES"))).await? {
        let f = FileRecord::from_item(item)?;
        if scope.covers(&f.org_id) {
            out.push(f);
        }
    }
    Ok(out)
}

/// The organisations in scope holding an application or a record of the candidate.
async fn orgs_of(deps: &Deps, candidate: &UserId, apps: &[Application], scope: &Scope) -> AppResult<BTreeSet<OrgId>> {
    let mut orgs: BTreeSet<OrgId> = apps.iter().map(|a| a.org_id.clone()).collect();
    for item in items_of(deps, Query::index(Index::Gsi2, keys::talent_by_candidate_pk(candidate))).await? {
        if let Some(org) = item.data.get("orgId").and_then(|v| v.as_str()).and_then(OrgId::parse) {
            orgs.insert(org);
        }
    }
    orgs.retain(|o| scope.covers(o));
    Ok(orgs)
}

/// The candidate's interviews in an organisation, from their own calendar partition.
async fn interviews_of(deps: &Deps, org: &OrgId, candidate: &UserId) -> AppResult<(Vec<Interview>, Vec<Key>)> {
    let days = items_of(deps, Query::table(keys::schedule_pk(org, candidate))).await?;
    let mut ids = BTreeSet::new();
    let mut day_keys = Vec::new();
    for item in days {
        day_keys.push(item.key.clone());
        if let Ok(d) = ScheduleDay::from_item(item) {
            ids.extend(d.bookings.into_iter().map(|b| b.interview_id));
        }
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(i) = record::get::<Interview>(deps.store.as_ref(), &keys::interview(org, &id)).await? {
            out.push(i);
        }
    }
    Ok((out, day_keys))
}

/// Erases the candidate's personal data in `scope`; safe to run again (each step finds what is
/// left and removes it).
/// `by` is who asked (a user id, or `system:retention` for the retention run).
/// What an accepted mentor request shows in place of an erased candidate's name.
pub const ERASED_NAME: &str = "(erased)";

pub async fn erase(deps: &Deps, candidate: &UserId, scope: &Scope, by: &str) -> AppResult<ErasureSummary> {
    let mut s = ErasureSummary::default();
    let store = deps.store.as_ref();
    let profile: Option<Candidate> = record::get(store, &keys::candidate(candidate)).await?;
    let apps: Vec<Application> =
        talent::applications_of(deps, candidate).await?.into_iter().filter(|a| scope.covers(&a.org_id)).collect();
    let orgs = orgs_of(deps, candidate, &apps, scope).await?;
    s.organisations = orgs.len() as u32;

    // Files: every version of every object, then their items.
    for f in files_of(deps, candidate, scope).await? {
        delete_object(deps, &f.key, &mut s).await?;
        delete_all(deps, [f.key()], &mut s).await?;
    }
    let mut audit_targets: Vec<(OrgId, &'static str, String)> = Vec::new();
    for app in &apps {
        let org = &app.org_id;
        if let Some(r) = &app.resume {
            delete_object(deps, &r.key, &mut s).await?;
        }
        let pk = keys::org_pk(org);
        for prefix in [format!("RESULT#{}#", app.id), keys::history_prefix(&app.id), keys::reminder_prefix(&app.id)] {
            delete_items(deps, Query::table(pk.clone()).prefix(prefix), &mut s).await?;
        }
        if let Some(marker) = deps.store.get(&keys::new_hire_of_application(org, &app.id)).await? {
            if let Some(hire) = marker.data.get("newHireId").and_then(|v| v.as_str()) {
                delete_all(deps, [keys::new_hire(org, hire)], &mut s).await?;
            }
            delete_all(deps, [marker.key], &mut s).await?;
        }
        delete_all(deps, [keys::self_identification(org, &app.id)], &mut s).await?;
        audit_targets.push((org.clone(), "application", app.id.clone()));
    }
    // Export archives made for the scope (they are copies of the person's data).
    for item in items_of(deps, Query::index(Index::Gsi1, keys::privacy_requests_of_pk(candidate))).await? {
        let mut r = PrivacyRequest::from_item(item)?;
        let covered = match (&r.org_id, scope) {
            (_, Scope::Everywhere) => true,
            (Some(o), Scope::Org(mine)) => o == mine,
            (None, Scope::Org(_)) => false,
        };
        if let (true, Some(key)) = (covered, r.object_key.take()) {
            delete_object(deps, &key, &mut s).await?;
            let read = r.version;
            r.version += 1;
            deps.store.put(r.to_item()?, Condition::VersionIs(read)).await?;
        }
    }
    // Interviews: the items, their feedback, and their bookings in everyone's calendar.
    for org in &orgs {
        let (interviews, candidate_days) = interviews_of(deps, org, candidate).await?;
        for i in interviews {
            delete_items(deps, Query::table(keys::org_pk(org)).prefix(keys::interview_feedback_prefix(&i.id)), &mut s)
                .await?;
            for person in i.people() {
                if &person == candidate {
                    continue;
                }
                for day in i.days() {
                    let key = keys::schedule_day(org, &person, &day);
                    if let Some(mut d) = record::get::<ScheduleDay>(store, &key).await? {
                        let read = d.version;
                        d.bookings.retain(|b| b.interview_id != i.id);
                        d.version += 1;
                        deps.store.put(d.to_item()?, Condition::VersionIs(read)).await?;
                    }
                }
            }
            delete_all(deps, [i.key()], &mut s).await?;
            audit_targets.push((org.clone(), "interview", i.id.clone()));
        }
        delete_all(deps, candidate_days, &mut s).await?;
    }
    // Applications (through the pipeline, so the counters stay right) and the organisations'
    // records with their search-index entries.
    let who = Who { id: by, email: None };
    for org in &orgs {
        talent::remove_in_org(deps, who, org, candidate).await?;
        audit_targets.push((org.clone(), "candidate", candidate.to_string()));
    }
    // Audit records: the candidate's own actions, and every record about them.
    for (org, target_type, target_id) in &audit_targets {
        let q = Query::index(Index::Gsi1, keys::audit_by_target_pk(org, target_type, target_id));
        s.audit_records_redacted += redact_audit(deps, q).await?;
    }
    for org in &orgs {
        let q = Query::index(Index::Gsi2, keys::audit_by_actor_pk(org, candidate.as_str()));
        s.audit_records_redacted += redact_audit(deps, q).await?;
    }

    let sourced_here = profile.as_ref().is_some_and(|p| p.sourced_by.as_ref().is_some_and(|o| scope.covers(o)));
    if *scope == Scope::Everywhere {
        // The candidate's own partitions: alerts (with their index entries), matches, digests,
        // career record, answered-feedback markers, idempotency records (they hold responses).
        let pk = format!("CANDIDATE#{candidate}");
        for q in
            [Query::table(pk.clone()), Query::table(format!("{pk}#IDEM")), Query::table(keys::meetings_pk(candidate))]
        {
            let found = items_of(deps, q).await?;
            let keep = keys::candidate(candidate);
            delete_all(deps, found.into_iter().map(|i| i.key).filter(|k| *k != keep), &mut s).await?;
        }
        if let Some(p) = record::get::<crate::model::platform::PlatformUser>(store, &keys::platform_user(candidate))
            .await
            .ok()
            .flatten()
        {
            delete_all(deps, [keys::platform_user_by_email(&p.email)], &mut s).await?;
        }
        delete_all(deps, [keys::platform_user(candidate)], &mut s).await?;
        let enrolments = items_of(deps, Query::index(Index::Gsi1, format!("ENROLMENTS#{candidate}"))).await?;
        delete_all(deps, enrolments.into_iter().map(|i| i.key), &mut s).await?;
        // Connections: their side, the other person's side of each (it shows their name) and
        // the pair's state; their requests to mentors (the mentor's copy names them).
        for c in items_of(deps, Query::table(keys::connections_pk(candidate))).await? {
            let other = UserId::trusted(c.key.sk.clone());
            let pair = [keys::connection(&other, candidate), keys::connection_pair(candidate, &other), c.key];
            delete_all(deps, pair, &mut s).await?;
        }
        // An accepted request holds one of the mentor's places (their `accepted` count): it stays,
        // without the name or message; the others go.
        for item in items_of(deps, Query::index(Index::Gsi1, keys::mentee_requests_pk(candidate))).await? {
            let key = item.key.clone();
            match crate::services::network::MenteeRequest::from_item(item) {
                Ok(mut r) if r.status == crate::services::network::RequestStatus::Accepted => {
                    r.candidate_name = ERASED_NAME.to_owned();
                    r.message = None;
                    r.version += 1;
                    store.put(r.to_item()?, Condition::VersionIs(r.version - 1)).await?;
                }
                _ => delete_all(deps, [key], &mut s).await?,
            }
        }
    }
    if let Some(p) = &profile
        && (*scope == Scope::Everywhere || sourced_here)
    {
        if p.sourced_by.is_none() {
            match deps.identity.delete(&p.email).await {
                Ok(()) => s.account_deleted = true,
                Err(IdentityError::UserNotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let mut mentions = vec![p.name.clone(), p.email.to_string()];
        mentions.extend(p.phone.clone());
        let removed = deps.mail.forget(p.email.as_str(), &mentions).await;
        s.mails_removed += removed.map_err(|e| AppError::Unavailable(e.to_string()))? as u32;
    }
    // One tombstone per organisation (ids only), and the event its webhooks forward.
    for org in &orgs {
        let change = Change {
            action: ERASED_EVENT,
            target_type: "candidate",
            target_id: candidate.as_str(),
            before: None,
            after: None,
        };
        let tomb = super::audit_write(deps, who, org, change)?;
        deps.store.transact(vec![tomb]).await?;
        let event = DomainEvent {
            id: format!("{ERASED_EVENT}:{org}:{candidate}"),
            kind: ERASED_EVENT.into(),
            org_id: org.to_string(),
            subject_id: candidate.to_string(),
            occurred_at: deps.clock.now(),
            data: serde_json::json!({"candidateId": candidate, "requestedBy": by}),
            correlation_id: None,
        };
        deps.events.publish(&event).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    }
    if profile.is_some() && (*scope == Scope::Everywhere || sourced_here) {
        delete_all(deps, [keys::candidate(candidate)], &mut s).await?;
    }
    Ok(s)
}

/// Removes the personal data from the audit records a query finds: the snapshots, the actor's
/// email, the caller's address and user agent. Ids, action and time stay. Answers how many
/// records changed.
async fn redact_audit(deps: &Deps, q: Query) -> AppResult<u32> {
    let mut n = 0;
    for item in items_of(deps, q).await? {
        let mut rec = AuditRecord::from_item(item)?;
        if rec.before.is_none()
            && rec.after.is_none()
            && rec.actor_email.is_none()
            && rec.ip.is_none()
            && rec.user_agent.is_none()
        {
            continue;
        }
        rec.before = None;
        rec.after = None;
        rec.actor_email = None;
        rec.ip = None;
        rec.user_agent = None;
        deps.store.put(rec.to_item()?, Condition::Exists).await?;
        n += 1;
    }
    Ok(n)
}

/// Everything held about the candidate in `scope`, as a zip: `profile.json`,
/// `applications.json` (with each application's stage results and history),
/// `interviews.json`, `candidate-records.json` (alerts, career record …) and the original
/// files under `files/`.
pub async fn export(deps: &Deps, candidate: &UserId, scope: &Scope) -> AppResult<Vec<u8>> {
    let store = deps.store.as_ref();
    let profile: Option<Candidate> = record::get(store, &keys::candidate(candidate)).await?;
    let apps: Vec<Application> =
        talent::applications_of(deps, candidate).await?.into_iter().filter(|a| scope.covers(&a.org_id)).collect();
    let orgs = orgs_of(deps, candidate, &apps, scope).await?;
    let mut applications = Vec::new();
    for app in &apps {
        let pk = keys::org_pk(&app.org_id);
        let results = items_of(deps, Query::table(pk.clone()).prefix(format!("RESULT#{}#", app.id))).await?;
        let history = items_of(deps, Query::table(pk).prefix(keys::history_prefix(&app.id))).await?;
        applications.push(serde_json::json!({
            "application": app,
            "stageResults": results.into_iter().map(|i| i.data).collect::<Vec<_>>(),
            "history": history.into_iter().map(|i| i.data).collect::<Vec<_>>(),
        }));
    }
    let mut interviews = Vec::new();
    let mut talent_records = Vec::new();
    for org in &orgs {
        interviews.extend(interviews_of(deps, org, candidate).await?.0);
        if let Some(r) = deps.store.get(&keys::talent(org, candidate)).await? {
            talent_records.push(r.data);
        }
    }
    let own = if *scope == Scope::Everywhere {
        items_of(deps, Query::table(format!("CANDIDATE#{candidate}")))
            .await?
            .into_iter()
            .filter(|i| i.key != keys::candidate(candidate))
            .map(|i| serde_json::json!({"type": i.entity, "record": i.data}))
            .collect()
    } else {
        Vec::new()
    };
    let files = files_of(deps, candidate, scope).await?;

    let mut out = std::io::Cursor::new(Vec::new());
    let zip_err = |e: zip::result::ZipError| AppError::Internal(format!("export archive: {e}"));
    let io_err = |e: std::io::Error| AppError::Internal(format!("export archive: {e}"));
    {
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let generated = deps.clock.now().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let readme = serde_json::json!({
            "candidateId": candidate,
            "generatedAt": generated,
            "scope": match scope { Scope::Everywhere => "everything held about you".to_owned(), Scope::Org(o) => format!("organisation {o}") },
            "contents": ["profile.json", "applications.json", "interviews.json", "organisation-records.json", "candidate-records.json", "files/"],
        });
        let json_files: [(&str, serde_json::Value); 6] = [
            ("manifest.json", readme),
            ("profile.json", serde_json::to_value(&profile).unwrap_or_default()),
            ("applications.json", serde_json::Value::Array(applications)),
            ("interviews.json", serde_json::to_value(&interviews).unwrap_or_default()),
            ("organisation-records.json", serde_json::Value::Array(talent_records)),
            ("candidate-records.json", serde_json::Value::Array(own)),
        ];
        for (name, value) in json_files {
            zip.start_file(name, opts).map_err(zip_err)?;
            let body = serde_json::to_vec_pretty(&value).map_err(|e| AppError::Internal(e.to_string()))?;
            zip.write_all(&body).map_err(io_err)?;
        }
        let mut seen = BTreeSet::new();
        for f in &files {
            if !seen.insert(f.key.clone()) {
                continue;
            }
            let blob = match deps.blobs.get(&f.key, MAX_FILE_BYTES).await {
                Ok(b) => b,
                Err(crate::ports::blobs::BlobError::NotFound(_)) => continue,
                Err(e) => return Err(AppError::Unavailable(e.to_string())),
            };
            let name = f.file_name.as_deref().map(safe_name).unwrap_or_else(|| "resume".into());
            zip.start_file(format!("files/{}-{name}", f.id), opts).map_err(zip_err)?;
            zip.write_all(&blob.bytes).map_err(io_err)?;
        }
        zip.finish().map_err(zip_err)?;
    }
    Ok(out.into_inner())
}

/// A file name safe inside an archive: no folders, no control characters.
fn safe_name(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_control() || c == '/' || c == '\\' || c == ':' { '_' } else { c }).collect();
    let s = s.trim_start_matches('.').to_owned();
    if s.is_empty() { "file".into() } else { s }
}
