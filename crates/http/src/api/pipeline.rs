//! `/api/pipeline/*`: the organisation's stages, kanban moves, the overview read from counters,
//! and stage analytics read from daily counters.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::Pipeline;
use clearview_core::rbac::Permission as P;
use clearview_core::services::pipeline;
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::values::JobId;
use serde::Deserialize;

pub static ROUTES: &[Route] = &[STAGES_GET, STAGES_PUT, MOVE_CANDIDATE, OVERVIEW, ANALYTICS];

pub const STAGES_GET: Route = Route {
    name: "pipeline-stages-get",
    method: "GET",
    path: "/api/pipeline/stages",
    access: Staff(Some(P::JobsRead)),
    summary: "The organisation's pipeline: ordered stages (the defaults until an admin saves its own) and the reveal stage",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(stages_get),
};
async fn stages_get(app: App, req: Req, _: ()) -> Result<Tagged<Pipeline>, AppError> {
    let p = pipeline::load(&app.deps, req.actor()?.org()).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}

pub const STAGES_PUT: Route = Route {
    name: "pipeline-stages-put",
    method: "PUT",
    path: "/api/pipeline/stages",
    access: Staff(Some(P::UsersManage)),
    summary: "Save the ordered stages and the reveal stage; a removed stage holding applications is refused with the count unless moveApplications says where they go",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(stages_put),
};
async fn stages_put(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<pipeline::StagesInput>),
) -> Result<Tagged<Pipeline>, AppError> {
    let p = pipeline::save(&app.deps, req.actor()?, version, input).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}

pub const MOVE_CANDIDATE: Route = Route {
    name: "pipeline-move-candidate",
    method: "POST",
    path: "/api/pipeline/move-candidate",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Move an application from any stage to any active stage (a kanban drag), with a note",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(move_candidate),
};
async fn move_candidate(
    app: App,
    req: Req,
    Json(input): Json<review::MoveInput>,
) -> Result<Tagged<ApplicationView>, AppError> {
    let v = review::move_to(&app.deps, req.actor()?, input).await?;
    let version = v.application.version;
    Ok(Tagged(v, version))
}

/// `GET /api/pipeline/overview` query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OverviewQuery {
    /// One job only.
    #[param(schema_with = clearview_core::values::id_schema)]
    pub job_id: Option<String>,
}

pub const OVERVIEW: Route = Route {
    name: "pipeline-overview",
    method: "GET",
    path: "/api/pipeline/overview",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Per job, open applications per stage and closed ones per outcome (a kanban summary), read from counters kept with each move",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(overview),
};
async fn overview(app: App, req: Req, Query(q): Query<OverviewQuery>) -> Result<Json<pipeline::Overview>, AppError> {
    let job = match q.job_id.as_deref() {
        Some(s) => Some(JobId::parse(s.trim()).ok_or_else(|| AppError::field("jobId", "is not a job id"))?),
        None => None,
    };
    Ok(Json(pipeline::overview(&app.deps, req.actor()?, job.as_ref()).await?))
}

pub const ANALYTICS: Route = Route {
    name: "pipeline-analytics",
    method: "GET",
    path: "/api/pipeline/analytics",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "Stage conversion, time in stage (median and p90 buckets), drop-off by stage and reason, reveals, per job and overall, over a date range",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(analytics),
};
async fn analytics(
    app: App,
    req: Req,
    Query(q): Query<pipeline::AnalyticsQuery>,
) -> Result<Json<pipeline::Analytics>, AppError> {
    Ok(Json(pipeline::analytics(&app.deps, req.actor()?, q).await?))
}
