//! `/api/job-templates/*`: an organisation's job templates, and jobs started from them.

use super::jobs::JobView;
use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, NoContent, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::JobTemplate;
use clearview_core::rbac::Permission as P;
use clearview_core::services::job_templates;

pub static ROUTES: &[Route] = &[LIST, GET, DELETE, CREATE_JOB];

pub const LIST: Route = Route {
    name: "job-templates-list",
    method: "GET",
    path: "/api/job-templates",
    access: Staff(Some(P::JobsRead)),
    summary: "The organisation's job templates, newest first",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<JobTemplate>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("job-templates:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = job_templates::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |t| t)))
}

pub const GET: Route = Route {
    name: "job-templates-get",
    method: "GET",
    path: "/api/job-templates/{id}",
    access: Staff(Some(P::JobsRead)),
    summary: "A job template",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<JobTemplate>, AppError> {
    let t = job_templates::get(&app.deps, req.actor()?, &uuid_id(&req, "job template")?).await?;
    let v = t.version;
    Ok(Tagged(t, v))
}

pub const DELETE: Route = Route {
    name: "job-templates-delete",
    method: "DELETE",
    path: "/api/job-templates/{id}",
    access: Staff(Some(P::JobsWrite)),
    summary: "Delete a job template (jobs made from it stay)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    job_templates::delete(&app.deps, req.actor()?, &uuid_id(&req, "job template")?).await?;
    Ok(NoContent)
}

pub const CREATE_JOB: Route = Route {
    name: "job-templates-create-job",
    method: "POST",
    path: "/api/job-templates/{id}/jobs",
    access: Staff(Some(P::JobsWrite)),
    summary: "Create a draft job from a template",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create_job),
};
async fn create_job(app: App, req: Req, _: ()) -> Result<Created<JobView>, AppError> {
    let job = job_templates::create_job(&app.deps, req.actor()?, &uuid_id(&req, "job template")?).await?;
    Ok(JobView::created(job))
}
