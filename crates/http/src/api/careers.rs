//! `/api/careers/*`: career paths from an O*NET occupation.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::services::careers;

pub static ROUTES: &[Route] = &[PATHS];

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
