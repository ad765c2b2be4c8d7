//! `/api/analytics/*`: hiring figures read from the aggregates the `analytics` consumer keeps
//! (never a recount), and the client events a career site reports.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::rbac::Role;
use clearview_core::services::analytics::{
    self, AiPerformance, ClientEventInput, ClientEventReceipt, Dashboard, DateRange, PipelineConversion,
    PlatformMetrics, PlatformReport, PlatformReportQuery, RangeQuery, RecruitmentMetrics,
};

pub static ROUTES: &[Route] =
    &[EVENT, DASHBOARD, RECRUITMENT_METRICS, PIPELINE_CONVERSION, AI_PERFORMANCE, PLATFORM_METRICS, PLATFORM_REPORTS];

pub const EVENT: Route = Route {
    name: "analytics-event",
    method: "POST",
    path: "/api/analytics/event",
    access: Public,
    summary: "A career site's client event (job_viewed, apply_started) for a job: counted in the job's daily figures, once per eventId",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(event),
};
async fn event(
    app: App,
    _req: Req,
    Json(input): Json<ClientEventInput>,
) -> Result<Accepted<ClientEventReceipt>, AppError> {
    Ok(Accepted(analytics::client_event(&app.deps, input).await?, None))
}

pub const DASHBOARD: Route = Route {
    name: "analytics-dashboard",
    method: "GET",
    path: "/api/analytics/dashboard",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "Headline hiring figures over a date range: jobs, views, applications, interviews, offers, hires, time to hire, offer acceptance, AI agreement",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(dashboard),
};
async fn dashboard(app: App, req: Req, Query(q): Query<RangeQuery>) -> Result<Json<Dashboard>, AppError> {
    Ok(Json(analytics::dashboard(&app.deps, req.actor()?, q).await?))
}

pub const RECRUITMENT_METRICS: Route = Route {
    name: "analytics-recruitment-metrics",
    method: "GET",
    path: "/api/analytics/recruitment-metrics",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "Time to hire, time to fill, applications per job, source effectiveness and offer acceptance over a date range",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(recruitment_metrics),
};
async fn recruitment_metrics(
    app: App,
    req: Req,
    Query(q): Query<RangeQuery>,
) -> Result<Json<RecruitmentMetrics>, AppError> {
    Ok(Json(analytics::recruitment_metrics(&app.deps, req.actor()?, q).await?))
}

pub const PIPELINE_CONVERSION: Route = Route {
    name: "analytics-pipeline-conversion",
    method: "GET",
    path: "/api/analytics/pipeline-conversion",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The funnel from job view to hire (each status counted once per application) and each pipeline stage's conversion over a date range",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(pipeline_conversion),
};
async fn pipeline_conversion(
    app: App,
    req: Req,
    Query(q): Query<RangeQuery>,
) -> Result<Json<PipelineConversion>, AppError> {
    Ok(Json(analytics::pipeline_conversion(&app.deps, req.actor()?, q).await?))
}

pub const AI_PERFORMANCE: Route = Route {
    name: "analytics-ai-performance",
    method: "GET",
    path: "/api/analytics/ai-performance",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The tool's recommendations against people's decisions: confusion matrix, agreement rate, Cohen's kappa, overrides by reason, scores by outcome, counterfactual flag rate; overall, per model version and per job",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(ai_performance),
};
async fn ai_performance(app: App, req: Req, Query(q): Query<RangeQuery>) -> Result<Json<AiPerformance>, AppError> {
    Ok(Json(analytics::ai_performance(&app.deps, req.actor()?, q).await?))
}

pub const PLATFORM_METRICS: Route = Route {
    name: "analytics-platform-metrics",
    method: "GET",
    path: "/api/analytics/metrics",
    access: Platform(&[Role::PlatformAdmin]),
    summary: "Platform admins: the hiring figures of every organisation together over a date range (jobs, views, applications, the funnel, offers, hires, time to hire and fill, sources, the tool's agreement with people per model version), from platform-wide counters",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(platform_metrics),
};
async fn platform_metrics(app: App, _req: Req, Query(q): Query<DateRange>) -> Result<Json<PlatformMetrics>, AppError> {
    Ok(Json(analytics::platform_metrics(&app.deps, q).await?))
}

pub const PLATFORM_REPORTS: Route = Route {
    name: "analytics-platform-reports",
    method: "GET",
    path: "/api/analytics/reports",
    access: Platform(&[Role::PlatformAdmin]),
    summary: "Platform admins: the platform's hiring figures period by period (day, ISO week or month) over a date range, every period present",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(platform_reports),
};
async fn platform_reports(
    app: App,
    _req: Req,
    Query(q): Query<PlatformReportQuery>,
) -> Result<Json<PlatformReport>, AppError> {
    Ok(Json(analytics::platform_report(&app.deps, q).await?))
}
