//! `/api/onboarding/*`: templates of onboarding tasks, new hires made from hired applications
//! with their tasks, task completion, and the onboarding figures (counters, never a recount).

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::onboarding::{
    self, NewHireInput, NewHireUpdate, NewHireView, OnboardingAnalytics, Template, TemplateInput, Templates,
};

pub static ROUTES: &[Route] =
    &[HIRES_LIST, HIRES_CREATE, HIRES_GET, HIRES_UPDATE, TEMPLATES_LIST, TEMPLATES_CREATE, TASK_COMPLETE, ANALYTICS];

fn tagged(v: NewHireView) -> Tagged<NewHireView> {
    let version = v.hire.version;
    Tagged(v, version)
}

fn uuid_path(req: &Req, name: &str, what: &'static str) -> Result<String, AppError> {
    req.id(name, |s| clearview_core::values::JobId::parse(s).map(|_| s.to_owned()), what)
}

pub const HIRES_LIST: Route = Route {
    name: "onboarding-new-hires-list",
    method: "GET",
    path: "/api/onboarding/new-hires",
    access: Staff(Some(P::OnboardingManage)),
    summary: "New hires, newest first, each with its status (pre_boarding, first_week, first_month, completed), completion and overdue tasks",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(hires_list),
};
async fn hires_list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<NewHireView>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("new-hires:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = onboarding::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |h| h)))
}

pub const HIRES_CREATE: Route = Route {
    name: "onboarding-new-hires-create",
    method: "POST",
    path: "/api/onboarding/new-hires",
    access: Staff(Some(P::OnboardingManage)),
    summary: "Make a hired application a new hire (start date, manager, department): the template matching department and level instantiates its tasks, due from the start date, assigned by role (one new hire per application)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(hires_create),
};
async fn hires_create(app: App, req: Req, Json(input): Json<NewHireInput>) -> Result<Created<NewHireView>, AppError> {
    let h = onboarding::create(&app.deps, req.actor()?, input).await?;
    let location = format!("/api/onboarding/new-hires/{}", h.hire.id);
    let version = Some(h.hire.version);
    Ok(Created { body: h, location, version })
}

pub const HIRES_GET: Route = Route {
    name: "onboarding-new-hires-get",
    method: "GET",
    path: "/api/onboarding/new-hires/{id}",
    access: Staff(None),
    summary: "A new hire with their tasks (HR, or the new hire's manager)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(hires_get),
};
async fn hires_get(app: App, req: Req, _: ()) -> Result<Tagged<NewHireView>, AppError> {
    let id = uuid_path(&req, "id", "new hire")?;
    Ok(tagged(onboarding::get(&app.deps, req.actor()?, &id).await?))
}

pub const HIRES_UPDATE: Route = Route {
    name: "onboarding-new-hires-update",
    method: "PUT",
    path: "/api/onboarding/new-hires/{id}",
    access: Staff(Some(P::OnboardingManage)),
    summary: "Change a new hire's start date (open tasks move with it), manager (their open tasks follow) or department (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(hires_update),
};
async fn hires_update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<NewHireUpdate>),
) -> Result<Tagged<NewHireView>, AppError> {
    let id = uuid_path(&req, "id", "new hire")?;
    Ok(tagged(onboarding::update(&app.deps, req.actor()?, &id, input, version).await?))
}

pub const TEMPLATES_LIST: Route = Route {
    name: "onboarding-templates-list",
    method: "GET",
    path: "/api/onboarding/templates",
    access: Staff(Some(P::OnboardingManage)),
    summary: "The organisation's onboarding templates (at most 50)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(templates_list),
};
async fn templates_list(app: App, req: Req, _: ()) -> Result<Json<Templates>, AppError> {
    Ok(Json(Templates { items: onboarding::templates(&app.deps, req.actor()?).await? }))
}

pub const TEMPLATES_CREATE: Route = Route {
    name: "onboarding-templates-create",
    method: "POST",
    path: "/api/onboarding/templates",
    access: Staff(Some(P::OnboardingManage)),
    summary: "An onboarding template for a department and level: ordered tasks (document, training, meeting, system_access, compliance) with priority, due days from the start, assignee role and whether required",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(templates_create),
};
async fn templates_create(app: App, req: Req, Json(input): Json<TemplateInput>) -> Result<Created<Template>, AppError> {
    let t = onboarding::create_template(&app.deps, req.actor()?, input).await?;
    let location = format!("/api/onboarding/templates/{}", t.id);
    let version = Some(t.version);
    Ok(Created { body: t, location, version })
}

pub const TASK_COMPLETE: Route = Route {
    name: "onboarding-tasks-complete",
    method: "PUT",
    path: "/api/onboarding/tasks/{id}/complete",
    access: Staff(None),
    summary: "Mark an onboarding task done (HR, or the new hire's manager); done again changes nothing",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(task_complete),
};
async fn task_complete(app: App, req: Req, _: ()) -> Result<Tagged<NewHireView>, AppError> {
    let id = uuid_path(&req, "id", "task")?;
    Ok(tagged(onboarding::complete_task(&app.deps, req.actor()?, &id).await?))
}

pub const ANALYTICS: Route = Route {
    name: "onboarding-analytics",
    method: "GET",
    path: "/api/onboarding/analytics",
    access: Staff(Some(P::OnboardingManage)),
    summary: "Per template: completion rate, overdue tasks, median days from start to the last required task (counters kept with every change)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(analytics),
};
async fn analytics(app: App, req: Req, _: ()) -> Result<Json<OnboardingAnalytics>, AppError> {
    Ok(Json(onboarding::analytics(&app.deps, req.actor()?).await?))
}
