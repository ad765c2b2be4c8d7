//! `/api/careers/*`: career paths from an O*NET occupation, goals and progress.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::services::careers;

pub static ROUTES: &[Route] = &[PATHS, GOALS, PROGRESS, FEEDBACK];

pub const PATHS: Route = Route {
    name: "careers-paths",
    method: "GET",
    path: "/api/careers/paths",
    access: Candidate,
    summary: "Career paths from an occupation (default: your latest job's title): O*NET occupations of the same or the next job zone, most alike first, with the skills each adds, what you lack and the typical preparation",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(paths),
};
async fn paths(
    app: App,
    req: Req,
    Query(q): Query<careers::PathsQuery>,
) -> Result<Json<careers::CareerPaths>, AppError> {
    Ok(Json(careers::paths(&app.deps, &req.candidate()?.user_id, &q).await?))
}

pub const GOALS: Route = Route {
    name: "careers-goals-create",
    method: "POST",
    path: "/api/careers/goals",
    access: Candidate,
    summary: "Set a career goal: a target occupation (O*NET code or job title) with milestones (skills to gain, default the target's five most useful gaps; applications to make). At most 10 goals",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create_goal),
};
async fn create_goal(
    app: App,
    req: Req,
    Json(input): Json<careers::GoalInput>,
) -> Result<Created<careers::GoalProgress>, AppError> {
    let goal = careers::create_goal(&app.deps, &req.candidate()?.user_id, input).await?;
    Ok(Created { body: goal, location: "/api/careers/progress".into(), version: None })
}

pub const PROGRESS: Route = Route {
    name: "careers-progress",
    method: "GET",
    path: "/api/careers/progress",
    access: Candidate,
    summary: "Progress on your goals from what the platform knows: the milestone skills you now have (resume, profile, assessment), applications made since each goal was set, and your coverage of the target occupation's skills",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(progress),
};
async fn progress(app: App, req: Req, _: ()) -> Result<Json<careers::CareerProgress>, AppError> {
    Ok(Json(careers::progress(&app.deps, &req.candidate()?.user_id).await?))
}

pub const FEEDBACK: Route = Route {
    name: "careers-goals-feedback",
    method: "POST",
    path: "/api/careers/goals/{id}/feedback",
    access: Candidate,
    summary: "Give feedback on a completed goal's roadmap (a rating 1-5 and a comment; 409 goal-not-complete before every milestone is met); your accepted mentors read it",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(feedback),
};
async fn feedback(
    app: App,
    req: Req,
    Json(input): Json<careers::RoadmapFeedbackInput>,
) -> Result<Json<careers::RoadmapFeedback>, AppError> {
    let goal = super::uuid_id(&req, "goal")?;
    Ok(Json(careers::give_feedback(&app.deps, &req.candidate()?.user_id, &goal, input).await?))
}
