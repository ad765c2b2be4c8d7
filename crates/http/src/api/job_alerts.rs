//! `/api/job-alerts/*`: a candidate's job alerts (skills, title words, locations); matching
//! jobs arrive by email, in one digest a day at most.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, NoContent, Query, Route};
use clearview_core::AppError;
use clearview_core::model::JobAlert;
use clearview_core::services::job_alerts;

pub static ROUTES: &[Route] = &[LIST, CREATE, DELETE];

pub const LIST: Route = Route {
    name: "job-alerts-list",
    method: "GET",
    path: "/api/job-alerts",
    access: Candidate,
    summary: "Your job alerts, oldest first",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<JobAlert>>, AppError> {
    let candidate = req.candidate()?;
    let scope = format!("job-alerts:{}", candidate.user_id);
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = job_alerts::list(&app.deps, candidate, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |a| a)))
}

pub const CREATE: Route = Route {
    name: "job-alerts-create",
    method: "POST",
    path: "/api/job-alerts",
    access: Candidate,
    summary: "Subscribe to jobs by skills, title words and locations (at most 10 alerts, 10 terms per list); matches come in one email digest a day at most",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<job_alerts::JobAlertInput>,
) -> Result<Created<JobAlert>, AppError> {
    let alert = job_alerts::create(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/job-alerts/{}", alert.id), Some(alert.version));
    Ok(Created { body: alert, location, version })
}

pub const DELETE: Route = Route {
    name: "job-alerts-delete",
    method: "DELETE",
    path: "/api/job-alerts/{id}",
    access: Candidate,
    summary: "Delete one of your job alerts",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    job_alerts::delete(&app.deps, req.candidate()?, &uuid_id(&req, "job alert")?).await?;
    Ok(NoContent)
}
