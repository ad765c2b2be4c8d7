//! `/api/skills/*`: a candidate's skills (resume, profile, own assessment) and their gaps
//! against an O*NET occupation.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::services::careers;

pub static ROUTES: &[Route] = &[LIST, ASSESS, GAPS, RECOMMENDATIONS];

pub const LIST: Route = Route {
    name: "skills-list",
    method: "GET",
    path: "/api/skills",
    access: Candidate,
    summary: "Your skills from your latest parsed resume, your profile and your own assessment, each with its sources and whether the resume shows it (verified)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<careers::SkillsView>, AppError> {
    Ok(Json(careers::skills(&app.deps, &req.candidate()?.user_id).await?))
}

pub const ASSESS: Route = Route {
    name: "skills-assess",
    method: "POST",
    path: "/api/skills/assess",
    access: Candidate,
    summary: "Assess one of your skills (proficiency and years); a second assessment of the same skill replaces the first. Answers all your skills",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(assess),
};
async fn assess(
    app: App,
    req: Req,
    Json(input): Json<careers::AssessInput>,
) -> Result<Json<careers::SkillsView>, AppError> {
    Ok(Json(careers::assess(&app.deps, &req.candidate()?.user_id, input).await?))
}

pub const GAPS: Route = Route {
    name: "skills-gaps",
    method: "GET",
    path: "/api/skills/gaps",
    access: Candidate,
    summary: "The skills an O*NET occupation (code or job title) or a job on the board (jobId) lists that you do not have, most useful first, each with why it matters and which of your skills is close to it",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(gaps),
};
async fn gaps(app: App, req: Req, Query(q): Query<careers::GapsQuery>) -> Result<Json<careers::SkillGaps>, AppError> {
    Ok(Json(careers::gaps(&app.deps, &req.candidate()?.user_id, &q).await?))
}

pub const RECOMMENDATIONS: Route = Route {
    name: "skills-recommendations",
    method: "GET",
    path: "/api/skills/recommendations",
    access: Candidate,
    summary: "Courses and career mentors that close your five most useful gaps against an occupation (target), a job (jobId) or, by default, your newest goal; each with the gap it closes",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(recommendations),
};
async fn recommendations(
    app: App,
    req: Req,
    Query(q): Query<careers::GapsQuery>,
) -> Result<Json<clearview_core::services::learning::Recommendations>, AppError> {
    Ok(Json(clearview_core::services::learning::recommendations(&app.deps, &req.candidate()?.user_id, &q).await?))
}
