//! `/api/ai-models/*`: the models in use, and the only way to switch the scoring model — a shadow
//! run (computed by the `model-shadow-run` consumer) read by an admin before activation.

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::ai_models::{self, ActivateInput, ActiveModel, AiModels, ShadowRun, ShadowRunInput};

pub static ROUTES: &[Route] = &[LIST, SHADOW_RUN, SHADOW_RUNS, SHADOW_RUN_GET, ACTIVATE];

pub const LIST: Route = Route {
    name: "ai-models-list",
    method: "GET",
    path: "/api/ai-models",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The AI models by type (resume_parsing, candidate_scoring, bias_detection, text_analysis) with version, provider, configuration, whether this organisation uses it, and each scoring version's performance against people's decisions over the last 90 days",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<AiModels>, AppError> {
    Ok(Json(ai_models::list(&app.deps, req.actor()?).await?))
}

pub const SHADOW_RUN: Route = Route {
    name: "ai-models-shadow-runs-create",
    method: "POST",
    path: "/api/ai-models/shadow-runs",
    access: Staff(Some(P::ModelsManage)),
    summary: "Admins: score the applications of up to 20 jobs with a candidate scoring version beside the active one, without effect on them (202; the comparison is computed by a consumer, at most 500 applications)",
    idempotent: true,
    grants: &[TableRead, TableWrite, SendQueue("model-shadow-runs")],
    handler: handler!(shadow_run),
};
async fn shadow_run(app: App, req: Req, Json(input): Json<ShadowRunInput>) -> Result<Accepted<ShadowRun>, AppError> {
    let r = ai_models::start_shadow_run(&app.deps, req.actor()?, input).await?;
    let v = r.version;
    Ok(Accepted(r, Some(v)))
}

pub const SHADOW_RUNS: Route = Route {
    name: "ai-models-shadow-runs-list",
    method: "GET",
    path: "/api/ai-models/shadow-runs",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The organisation's shadow runs, newest first, with their comparison once completed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(shadow_runs),
};
async fn shadow_runs(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<ShadowRun>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("shadow-runs:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = ai_models::list_shadow_runs(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const SHADOW_RUN_GET: Route = Route {
    name: "ai-models-shadow-runs-get",
    method: "GET",
    path: "/api/ai-models/shadow-runs/{id}",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "A shadow run: processing, failed with the reason, or completed with the comparison (agreement between the versions, score shifts, LL144 impact ratios and counterfactual checks under each, categories newly below four-fifths)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(shadow_run_get),
};
async fn shadow_run_get(app: App, req: Req, _: ()) -> Result<Json<ShadowRun>, AppError> {
    let id = req.path("id")?.to_owned();
    Ok(Json(ai_models::get_shadow_run(&app.deps, req.actor()?, &id).await?))
}

pub const ACTIVATE: Route = Route {
    name: "ai-models-activate",
    method: "POST",
    path: "/api/ai-models/activate",
    access: Staff(Some(P::ModelsManage)),
    summary: "Admins: switch the organisation's scoring model to a version whose completed shadow run (at most 30 days old, against the version in use) they name; categories newly below four-fifths must be acknowledged; audited",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(activate),
};
async fn activate(app: App, req: Req, Json(input): Json<ActivateInput>) -> Result<Json<ActiveModel>, AppError> {
    Ok(Json(ai_models::activate(&app.deps, req.actor()?, input).await?))
}
