//! `/api/reports/*`: reports generated on request by the `report-generate` consumer (PDF with
//! charts, CSV, JSON) and their short-lived download links.

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Created, Grant::*, Json, NoContent, Query, Route, WhenReady};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::report_schedules::{self, ReportSchedule, ScheduleInput};
use clearview_core::services::reports::{self, Download, GenerateInput, Report};

pub static ROUTES: &[Route] = &[LIST, GENERATE, DOWNLOAD, SCHEDULE, SCHEDULES, UNSCHEDULE];

pub const LIST: Route = Route {
    name: "reports-list",
    method: "GET",
    path: "/api/reports",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The organisation's reports, newest first, with their status (processing, completed, failed with the reason)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Report>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("reports:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = reports::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const GENERATE: Route = Route {
    name: "reports-generate",
    method: "POST",
    path: "/api/reports/generate",
    access: Staff(Some(P::ReportsManage)),
    summary: "Ask for a report (recruitment, ai_performance, candidate_analytics, pipeline, bias_audit or custom; pdf, csv or json; a date range; jobs): 202 with the report processing; the requester is mailed a link when it is made",
    idempotent: true,
    grants: &[TableRead, TableWrite, SendQueue("report-requests")],
    handler: handler!(generate),
};
async fn generate(app: App, req: Req, Json(input): Json<GenerateInput>) -> Result<Accepted<Report>, AppError> {
    let r = reports::generate(&app.deps, req.actor()?, input).await?;
    let v = r.version;
    Ok(Accepted(r, Some(v)))
}

pub const DOWNLOAD: Route = Route {
    name: "reports-download",
    method: "GET",
    path: "/api/reports/{id}/download",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "A download link of a completed report, valid for 15 minutes; a report still processing or failed answers 409 with its status",
    idempotent: false,
    grants: &[TableRead, ReportsRead],
    handler: handler!(download),
};
async fn download(app: App, req: Req, _: ()) -> Result<WhenReady<Download>, AppError> {
    let id = req.path("id")?.to_owned();
    Ok(WhenReady(reports::download(&app.deps, req.actor()?, &id).await?))
}

pub const SCHEDULE: Route = Route {
    name: "reports-schedule",
    method: "POST",
    path: "/api/reports/schedule",
    access: Staff(Some(P::ReportsManage)),
    summary: "Schedule a report on a cron in a time zone (`0 8 * * MON`, Europe/Berlin), covering the days before each run, mailed to you and to staff who may read analytics (at most 20 schedules per organisation)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(schedule),
};
async fn schedule(app: App, req: Req, Json(input): Json<ScheduleInput>) -> Result<Created<ReportSchedule>, AppError> {
    let s = report_schedules::create(&app.deps, req.actor()?, input).await?;
    let location = format!("/api/reports/schedules/{}", s.id);
    let version = Some(s.version);
    Ok(Created { body: s, location, version })
}

pub const SCHEDULES: Route = Route {
    name: "reports-schedules-list",
    method: "GET",
    path: "/api/reports/schedules",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The organisation's report schedules with their next run and last report",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(schedules),
};
async fn schedules(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<ReportSchedule>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("report-schedules:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = report_schedules::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const UNSCHEDULE: Route = Route {
    name: "reports-schedules-delete",
    method: "DELETE",
    path: "/api/reports/schedules/{id}",
    access: Staff(Some(P::ReportsManage)),
    summary: "Stop a report schedule (reports it already made stay)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(unschedule),
};
async fn unschedule(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    let id = req.path("id")?.to_owned();
    report_schedules::delete(&app.deps, req.actor()?, &id).await?;
    Ok(NoContent)
}
