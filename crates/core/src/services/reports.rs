//! Reports: a staff member asks for one (`POST /api/reports/generate`); the request is stored
//! with status `processing` and queued; the `report-generate` consumer (clearview-chain) renders
//! it (PDF, CSV or JSON), stores the object, marks it `completed` (or `failed` with the reason)
//! and mails the requester a link. `GET /api/reports/{id}/download` answers a short-lived
//! presigned URL.

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::ports::Deps;
use crate::ports::queue::{WorkMessage, WorkQueue};
use crate::ports::store::{Condition, PageToken, Query};
use crate::record::{self, Record};
use crate::values::{Checks, JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The queue the generation requests go to.
pub const QUEUE: WorkQueue = WorkQueue::named("report-requests");
pub const TYPES: [&str; 6] =
    ["recruitment", "ai_performance", "candidate_analytics", "pipeline", "bias_audit", "custom"];
pub const FORMATS: [&str; 3] = ["pdf", "csv", "json"];
pub const MAX_JOBS: usize = 20;
/// How long a download link lives.
pub const DOWNLOAD_TTL: time::Duration = time::Duration::minutes(15);
/// The domain event of a made report, for the organisations' webhooks (`report.ready`).
pub const READY_EVENT: &str = "report.ready";

/// `report.ready` of a completed report: ids, what it is, and the route that gives a download
/// link (no link itself, no person: not the requester's email, not the recipients). Its id is
/// the report's, so a redelivered or republished event is delivered once per subscription.
pub fn ready_event(report: &Report, at: OffsetDateTime) -> crate::ports::queue::DomainEvent {
    crate::ports::queue::DomainEvent {
        id: format!("{READY_EVENT}:{}", report.id),
        kind: READY_EVENT.into(),
        org_id: report.org_id.to_string(),
        subject_id: report.id.clone(),
        occurred_at: at,
        data: serde_json::json!({
            "reportId": report.id,
            "type": report.kind,
            "format": report.format,
            "from": report.from,
            "to": report.to,
            "scheduleId": report.schedule_id,
            "size": report.size,
            "downloadRoute": format!("/api/reports/{}/download", report.id),
        }),
        correlation_id: None,
    }
}

fn type_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(TYPES)
}
fn format_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(FORMATS)
}

/// `POST /api/reports/generate`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenerateInput {
    #[serde(rename = "type")]
    #[schema(schema_with = type_schema)]
    pub kind: String,
    #[schema(schema_with = format_schema)]
    pub format: String,
    /// First day (UTC, inclusive; not after `to`); default 90 days before `to`.
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, inclusive); default today.
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Only these jobs (the bias audit: these jobs' audits; default every job with applications).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub job_ids: Vec<String>,
}

/// A report: what was asked, and how its generation went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[serde(rename = "type")]
    pub kind: String,
    pub format: String,
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub job_ids: Vec<String>,
    /// `processing`, `completed` or `failed`.
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    #[schema(value_type = String)]
    pub requested_by: UserId,
    /// Where the link is mailed.
    pub requested_email: String,
    /// Also mailed the link (a scheduled report's recipients).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// The schedule that made it.
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// The stored object (once completed).
    #[serde(default)]
    pub object_key: Option<String>,
    /// Its size in bytes (once completed).
    #[serde(default)]
    pub size: Option<u64>,
    /// PDF pages (a PDF, once completed).
    #[serde(default)]
    pub pages: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Record for Report {
    const ENTITY: &'static str = "Report";
    fn key(&self) -> crate::ports::store::Key {
        keys::report(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl Report {
    pub fn extension(&self) -> &'static str {
        match self.format.as_str() {
            "pdf" => "pdf",
            "csv" => "csv",
            _ => "json",
        }
    }
    pub fn content_type(&self) -> &'static str {
        match self.format.as_str() {
            "pdf" => "application/pdf",
            "csv" => "text/csv; charset=utf-8",
            _ => "application/json",
        }
    }
    pub fn file_name(&self) -> String {
        format!("clearview-{}-{}-{}.{}", self.kind.replace('_', "-"), self.from, self.to, self.extension())
    }
}

pub async fn generate(deps: &Deps, actor: &Actor, input: GenerateInput) -> AppResult<Report> {
    let mut c = Checks::default();
    if !TYPES.contains(&input.kind.as_str()) {
        c.push("type", format!("must be one of {}", TYPES.join(", ")));
    }
    if !FORMATS.contains(&input.format.as_str()) {
        c.push("format", "must be pdf, csv or json");
    }
    if input.job_ids.len() > MAX_JOBS {
        c.push("jobIds", format!("at most {MAX_JOBS} jobs"));
    }
    let mut jobs = Vec::new();
    for (i, j) in input.job_ids.iter().enumerate() {
        match JobId::parse(j.trim()) {
            Some(j) if !jobs.contains(&j) => jobs.push(j),
            Some(_) => c.push(format!("jobIds[{i}]"), "appears twice"),
            None => c.push(format!("jobIds[{i}]"), "is not a job id"),
        }
    }
    let range = super::pipeline::date_range(deps, input.from.as_deref(), input.to.as_deref());
    let (from, to) = match range {
        Ok(r) => r,
        Err(AppError::Validation(errors)) => {
            for e in errors {
                c.push(e.field, e.reason);
            }
            c.finish()?;
            unreachable!("the checks hold an error")
        }
        Err(e) => return Err(e),
    };
    c.finish()?;
    for j in &jobs {
        record::get::<crate::model::Job>(deps.store.as_ref(), &keys::job(actor.org(), j))
            .await?
            .ok_or(AppError::NotFound("job"))?;
    }
    let report = Report {
        id: deps.ids.new_id().to_string(),
        org_id: actor.org().clone(),
        kind: input.kind,
        format: input.format,
        from: from.to_string(),
        to: to.to_string(),
        job_ids: jobs.iter().map(ToString::to_string).collect(),
        status: "processing".into(),
        error: None,
        requested_by: actor.user.id.clone(),
        requested_email: actor.user.email.to_string(),
        recipients: vec![],
        schedule_id: None,
        object_key: None,
        size: None,
        pages: None,
        created_at: deps.clock.now(),
        completed_at: None,
        version: 1,
    };
    deps.store.put(report.to_item()?, Condition::NotExists).await?;
    let message = WorkMessage {
        id: format!("report:{}", report.id),
        kind: "report-requested".into(),
        body: serde_json::json!({"orgId": report.org_id, "reportId": report.id}),
    };
    deps.queues.send(QUEUE, &message).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(report)
}

pub async fn list(deps: &Deps, actor: &Actor, limit: usize, after: Option<PageToken>) -> AppResult<Listed<Report>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::REPORT_PREFIX).limit(limit).after(after).descending();
    let (items, page) = record::query::<Report>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn get(deps: &Deps, org: &OrgId, id: &str) -> AppResult<Report> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("report"));
    }
    record::get(deps.store.as_ref(), &keys::report(org, id)).await?.ok_or(AppError::NotFound("report"))
}

/// A download link.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Download {
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub file_name: String,
    pub content_type: String,
}

/// A short-lived link to a completed report; one still processing or failed answers 409.
pub async fn download(deps: &Deps, actor: &Actor, id: &str) -> AppResult<Download> {
    let r = get(deps, actor.org(), id).await?;
    download_of(deps, &r, DOWNLOAD_TTL).await
}

pub async fn download_of(deps: &Deps, r: &Report, ttl: time::Duration) -> AppResult<Download> {
    let key = match (&r.object_key, r.status.as_str()) {
        (Some(k), "completed") => k.clone(),
        _ => {
            let why = r.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
            return Err(AppError::conflict("report-not-ready", format!("the report is {}{why}", r.status)));
        }
    };
    let name = r.file_name();
    let (url, expires_at) = deps
        .blobs
        .presign_get(&key, ttl.unsigned_abs(), Some(&name))
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(Download { url, expires_at, file_name: name, content_type: r.content_type().into() })
}
