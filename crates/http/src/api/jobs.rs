//! `/api/jobs/*`: jobs, their lifecycle and screening criteria, their applications and bias audit.

use super::{Page, job_id, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{
    Access::*, Created, Csv, Grant::*, IfMatch, Json, NoContent, OptionalIfMatch, Query, Route, Tagged,
};
use clearview_core::AppError;
use clearview_core::model::job::JobTransition;
use clearview_core::model::{Job, JobStatus, JobTemplate, JobVersion};
use clearview_core::rbac::Permission as P;
use clearview_core::services::job_import::{self, ImportReport};
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::services::{applications, job_templates, job_versions, jobs};
use clearview_screening::bias::language::LanguageReport;
use serde::{Deserialize, Serialize};

pub static ROUTES: &[Route] = &[
    ANALYTICS,
    TALENT_POOL,
    LIST,
    CREATE,
    IMPORT,
    MATCHES,
    GET,
    UPDATE,
    DELETE,
    PUBLISH,
    PAUSE,
    CLOSE,
    CRITERIA,
    BIAS_AUDIT,
    APPLICATIONS,
    VERSIONS,
    VERSION,
    RESTORE,
    SAVE_AS_TEMPLATE,
];

/// A job as the API shows it: its fields and the job ad's coded-language report
/// (masculine/feminine-coded words, age-coded phrases), computed from the current text.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    #[serde(flatten)]
    pub job: Job,
    pub ad_language: LanguageReport,
}

/// How many jobs' ad-language reports [`JobView::of`] keeps (a few MB at most).
const AD_LANGUAGE_KEPT: usize = 2048;

/// The ad-language reports of the job texts read lately, by the text itself: the report is a
/// function of the text alone, so a job list answers from here instead of analysing every ad
/// on every read, and an edited job (a new version, a new text) can never get an old report.
static AD_LANGUAGE: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, LanguageReport>>> =
    std::sync::LazyLock::new(Default::default);

/// The job's ad-language report, from [`AD_LANGUAGE`] when its text was analysed before.
pub fn ad_language(job: &Job) -> LanguageReport {
    ad_language_of(clearview_chain::job_ad_text(job))
}

fn ad_language_of(text: String) -> LanguageReport {
    if let Some(report) = AD_LANGUAGE.lock().ok().and_then(|m| m.get(&text).cloned()) {
        return report;
    }
    let report = clearview_screening::bias::language::analyze_job_ad(&text);
    if let Ok(mut m) = AD_LANGUAGE.lock() {
        if m.len() >= AD_LANGUAGE_KEPT {
            m.clear();
        }
        m.insert(text, report.clone());
    }
    report
}

impl JobView {
    pub fn of(job: Job) -> Self {
        Self { ad_language: ad_language(&job), job }
    }

    /// 201 with the job's location and version.
    pub fn created(job: Job) -> Created<JobView> {
        let (location, version) = (format!("/api/jobs/{}", job.id), Some(job.version));
        Created { body: JobView::of(job), location, version }
    }

    /// 200 with the job's version as the ETag.
    pub fn tagged(job: Job) -> Tagged<JobView> {
        let v = job.version;
        Tagged(JobView::of(job), v)
    }
}

/// `GET /api/jobs` query: a page, optionally of one status.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JobListQuery {
    /// Only jobs in this status.
    pub status: Option<JobStatus>,
    /// Page size (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

pub const LIST: Route = Route {
    name: "jobs-list",
    method: "GET",
    path: "/api/jobs",
    access: Staff(Some(P::JobsRead)),
    summary: "List jobs, newest first, optionally of one status",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<JobListQuery>) -> Result<Json<Page<JobView>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("jobs-list:{}:{}", actor.org(), q.status.map(JobStatus::as_str).unwrap_or("*"));
    let (limit, after) = page(&app, &scope, &super::PageQuery { limit: q.limit, cursor: q.cursor })?;
    let listed = jobs::list(&app.deps, actor, q.status, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, JobView::of)))
}

pub const CREATE: Route = Route {
    name: "jobs-create",
    method: "POST",
    path: "/api/jobs",
    access: Staff(Some(P::JobsWrite)),
    summary: "Create a job (as a draft)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create),
};
async fn create(app: App, req: Req, Json(input): Json<jobs::JobInput>) -> Result<Created<JobView>, AppError> {
    Ok(JobView::created(jobs::create(&app.deps, req.actor()?, input).await?))
}

pub const GET: Route = Route {
    name: "jobs-get",
    method: "GET",
    path: "/api/jobs/{id}",
    access: Staff(Some(P::JobsRead)),
    summary: "A job (with its ETag)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<JobView>, AppError> {
    Ok(JobView::tagged(jobs::get(&app.deps, req.actor()?, &job_id(&req)?).await?))
}

pub const UPDATE: Route = Route {
    name: "jobs-update",
    method: "PUT",
    path: "/api/jobs/{id}",
    access: Staff(Some(P::JobsWrite)),
    summary: "Replace a job's editable fields (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<jobs::JobInput>),
) -> Result<Tagged<JobView>, AppError> {
    Ok(JobView::tagged(jobs::update(&app.deps, req.actor()?, &job_id(&req)?, version, input).await?))
}

pub const DELETE: Route = Route {
    name: "jobs-delete",
    method: "DELETE",
    path: "/api/jobs/{id}",
    access: Staff(Some(P::JobsDelete)),
    summary: "Delete a draft; a job that was published is cancelled instead",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, OptionalIfMatch(version): OptionalIfMatch) -> Result<NoContent, AppError> {
    jobs::delete(&app.deps, req.actor()?, &job_id(&req)?, version).await?;
    Ok(NoContent)
}

async fn transition(app: App, req: Req, version: Option<u64>, t: JobTransition) -> Result<Tagged<JobView>, AppError> {
    Ok(JobView::tagged(jobs::transition(&app.deps, req.actor()?, &job_id(&req)?, version, t).await?))
}

pub const PUBLISH: Route = Route {
    name: "jobs-publish",
    method: "POST",
    path: "/api/jobs/{id}/publish",
    access: Staff(Some(P::JobsPublish)),
    summary: "Publish a draft or paused job (candidates whose job alerts it matches hear of it in their daily digest)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(publish),
};
async fn publish(app: App, req: Req, OptionalIfMatch(v): OptionalIfMatch) -> Result<Tagged<JobView>, AppError> {
    transition(app, req, v, JobTransition::Publish).await
}

pub const PAUSE: Route = Route {
    name: "jobs-pause",
    method: "POST",
    path: "/api/jobs/{id}/pause",
    access: Staff(Some(P::JobsPublish)),
    summary: "Pause an active job",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(pause),
};
async fn pause(app: App, req: Req, OptionalIfMatch(v): OptionalIfMatch) -> Result<Tagged<JobView>, AppError> {
    transition(app, req, v, JobTransition::Pause).await
}

pub const CLOSE: Route = Route {
    name: "jobs-close",
    method: "POST",
    path: "/api/jobs/{id}/close",
    access: Staff(Some(P::JobsPublish)),
    summary: "Close an active or paused job",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(close),
};
async fn close(app: App, req: Req, OptionalIfMatch(v): OptionalIfMatch) -> Result<Tagged<JobView>, AppError> {
    transition(app, req, v, JobTransition::Close).await
}

pub const CRITERIA: Route = Route {
    name: "jobs-criteria",
    method: "PUT",
    path: "/api/jobs/{id}/ai-criteria",
    access: Staff(Some(P::JobsCriteria)),
    summary: "Set the screening criteria (weights sum to 100; If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(criteria),
};
async fn criteria(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<jobs::CriteriaInput>),
) -> Result<Tagged<JobView>, AppError> {
    Ok(JobView::tagged(jobs::set_criteria(&app.deps, req.actor()?, &job_id(&req)?, version, input).await?))
}

pub const BIAS_AUDIT: Route = Route {
    name: "jobs-bias-audit",
    method: "GET",
    path: "/api/jobs/{id}/bias-audit",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "NYC Local Law 144 bias audit of the job's applicants: selection and scoring rates, impact ratios, four-fifths flags",
    idempotent: false,
    grants: &[TableRead, SealingKey],
    handler: handler!(bias_audit),
};
async fn bias_audit(app: App, req: Req, _: ()) -> Result<Json<clearview_chain::audit::JobBiasAudit>, AppError> {
    Ok(Json(clearview_chain::audit::job_bias_audit(&app.deps, req.actor()?, &job_id(&req)?).await?))
}

pub const APPLICATIONS: Route = Route {
    name: "jobs-applications",
    method: "GET",
    path: "/api/jobs/{id}/applications",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "A job's applications, blind, by pipeline stage",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(applications_list),
};
async fn applications_list(
    app: App,
    req: Req,
    Query(q): Query<super::PageQuery>,
) -> Result<Json<Page<ApplicationView>>, AppError> {
    let actor = req.actor()?;
    let job = job_id(&req)?;
    let scope = format!("job-apps:{}:{}", actor.org(), job);
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = applications::list_for_job(&app.deps, actor, &job, limit, after).await?;
    let items = review::staff_views(&app.deps, actor, listed.items).await?;
    let listed = clearview_core::services::Listed { items, next: listed.next };
    Ok(Json(page_of(&app, &scope, listed, |a| a)))
}

pub const IMPORT: Route = Route {
    name: "jobs-import",
    method: "POST",
    path: "/api/jobs/import",
    access: Staff(Some(P::JobsWrite)),
    summary: "Import draft jobs from CSV (at most 500 rows, 1 MiB): a report per row — created, refused (each field and why) or a duplicate of an open job with the same title, location and department",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(import),
};
async fn import(app: App, req: Req, Csv(body): Csv) -> Result<Json<ImportReport>, AppError> {
    Ok(Json(job_import::import(&app.deps, req.actor()?, &body).await?))
}

/// A version number from the path; anything else names no version.
fn version_no(req: &Req) -> Result<u64, AppError> {
    req.id("version", |s| s.parse::<u64>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit())), "job version")
}

pub const VERSIONS: Route = Route {
    name: "jobs-versions",
    method: "GET",
    path: "/api/jobs/{id}/versions",
    access: Staff(Some(P::JobsRead)),
    summary: "A job's earlier versions, newest first (a deleted job's stay readable)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(versions),
};
async fn versions(app: App, req: Req, Query(q): Query<super::PageQuery>) -> Result<Json<Page<JobVersion>>, AppError> {
    let actor = req.actor()?;
    let job = job_id(&req)?;
    let scope = format!("job-versions:{}:{}", actor.org(), job);
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = job_versions::list(&app.deps, actor, &job, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |v| v)))
}

pub const VERSION: Route = Route {
    name: "jobs-version",
    method: "GET",
    path: "/api/jobs/{id}/versions/{version}",
    access: Staff(Some(P::JobsRead)),
    summary: "One earlier version of a job",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(version),
};
async fn version(app: App, req: Req, _: ()) -> Result<Json<JobVersion>, AppError> {
    Ok(Json(job_versions::get(&app.deps, req.actor()?, &job_id(&req)?, version_no(&req)?).await?))
}

pub const RESTORE: Route = Route {
    name: "jobs-version-restore",
    method: "POST",
    path: "/api/jobs/{id}/versions/{version}/restore",
    access: Staff(Some(P::JobsWrite)),
    summary: "Restore an earlier version's content as a new version (If-Match: the current version, or a deleted job's last); a deleted or cancelled job comes back as a draft",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(restore),
};
async fn restore(app: App, req: Req, IfMatch(if_match): IfMatch) -> Result<Tagged<JobView>, AppError> {
    let job = job_versions::restore(&app.deps, req.actor()?, &job_id(&req)?, version_no(&req)?, if_match).await?;
    Ok(JobView::tagged(job))
}

pub const SAVE_AS_TEMPLATE: Route = Route {
    name: "jobs-save-as-template",
    method: "POST",
    path: "/api/jobs/{id}/save-as-template",
    access: Staff(Some(P::JobsWrite)),
    summary: "Save the job's content (without its deadline) as a template of the organisation",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(save_as_template),
};
async fn save_as_template(
    app: App,
    req: Req,
    Json(input): Json<job_templates::SaveAsTemplate>,
) -> Result<Created<JobTemplate>, AppError> {
    let t = job_templates::save_from_job(&app.deps, req.actor()?, &job_id(&req)?, input).await?;
    let (location, version) = (format!("/api/job-templates/{}", t.id), Some(t.version));
    Ok(Created { body: t, location, version })
}

/// `GET /api/jobs/{id}/talent-pool`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoolQuery {
    /// How many to return, best first (default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

pub const TALENT_POOL: Route = Route {
    name: "jobs-talent-pool",
    method: "GET",
    path: "/api/jobs/{id}/talent-pool",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Earlier candidates of your organisation who match this job (by its skills), ranked by the same explained scorer on their anonymised resumes, blind",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(talent_pool),
};
async fn talent_pool(
    app: App,
    req: Req,
    Query(q): Query<PoolQuery>,
) -> Result<Json<clearview_core::services::talent::TalentPool>, AppError> {
    let limit = match q.limit {
        None => 20,
        Some(n @ 1..=50) => n as usize,
        Some(_) => return Err(AppError::field("limit", "must be a number from 1 to 50")),
    };
    let pool = clearview_core::services::talent::talent_pool(&app.deps, req.actor()?, &job_id(&req)?, limit).await?;
    Ok(Json(pool))
}

pub const ANALYTICS: Route = Route {
    name: "jobs-analytics",
    method: "GET",
    path: "/api/jobs/{id}/analytics",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "One job's funnel (views to hire), sources, time to hire, offer acceptance and AI agreement over a date range",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(job_analytics),
};
async fn job_analytics(
    app: App,
    req: Req,
    Query(q): Query<clearview_core::services::analytics::DateRange>,
) -> Result<Json<clearview_core::services::analytics::JobAnalytics>, AppError> {
    let id = req.path("id")?.to_owned();
    Ok(Json(clearview_core::services::analytics::job_analytics(&app.deps, req.actor()?, &id, q).await?))
}

pub const MATCHES: Route = Route {
    name: "jobs-matches",
    method: "GET",
    path: "/api/jobs/matches",
    access: Candidate,
    summary: "Open jobs ranked for you by the scorer employers use, on the anonymised profile of your latest resume: one page of the job board (newest first, `limit` jobs) scored and sorted best first, each with what matches and what is missing",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(matches),
};
async fn matches(
    app: App,
    req: Req,
    Query(q): Query<super::PageQuery>,
) -> Result<Json<clearview_core::services::careers::JobMatches>, AppError> {
    let candidate = req.candidate()?;
    let scope = format!("jobs-matches:{}", candidate.user_id);
    let (limit, after) = page(&app, &scope, &q)?;
    let (mut out, next) =
        clearview_core::services::careers::matches(&app.deps, &candidate.user_id, limit, after).await?;
    out.next_cursor = next.as_ref().map(|t| app.cursors.seal(&scope, t));
    Ok(Json(out))
}

#[cfg(test)]
mod ad_language_tests {
    use super::*;
    use clearview_screening::bias::language::{GenderLean, analyze_job_ad};

    #[test]
    fn a_remembered_report_is_the_fresh_analysis_and_a_new_text_gets_its_own() {
        let neutral = "Engineer\nWe build payroll software.".to_owned();
        assert_eq!(ad_language_of(neutral.clone()), analyze_job_ad(&neutral));
        assert_eq!(ad_language_of(neutral.clone()), analyze_job_ad(&neutral), "answered from the cache");
        let edited = "Engineer\nAn aggressive, competitive, dominant ninja who leads.".to_owned();
        let report = ad_language_of(edited.clone());
        assert_eq!(report, analyze_job_ad(&edited));
        assert_eq!(report.lean, GenderLean::MasculineCoded);
        assert_ne!(report, ad_language_of(neutral));
    }

    #[test]
    fn the_report_cache_stays_bounded() {
        for i in 0..=AD_LANGUAGE_KEPT {
            ad_language_of(format!("Role {i}\nSupportive and collaborative."));
        }
        assert!(AD_LANGUAGE.lock().unwrap().len() <= AD_LANGUAGE_KEPT);
    }
}
