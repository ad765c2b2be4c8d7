//! `/api/skills/*`: a candidate's skills gaps against an O*NET occupation.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::services::careers;

pub static ROUTES: &[Route] = &[GAPS];

pub const GAPS: Route = Route {
    name: "skills-gaps",
    method: "GET",
    path: "/api/skills/gaps",
    access: Candidate,
    summary: "The skills an O*NET occupation (code or job title) lists that you do not have, most useful first, each with why it matters",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(gaps),
};
async fn gaps(app: App, req: Req, Query(q): Query<careers::GapsQuery>) -> Result<Json<careers::SkillGaps>, AppError> {
    Ok(Json(careers::gaps(&app.deps, &req.candidate()?.user_id, &q).await?))
}
