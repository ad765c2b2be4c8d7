//! `/api/meetings`: a platform user's meeting schedule (introductions, community meetings).

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::model::platform::Meeting;
use clearview_core::rbac::Role;
use clearview_core::services::communities;

pub static ROUTES: &[Route] = &[LIST];

pub const LIST: Route = Route {
    name: "meetings-list",
    method: "GET",
    path: "/api/meetings",
    access: Platform(&Role::PLATFORM),
    summary: "Your meeting schedule by start time: introductory meetings with your community leader (or non-profits) and monthly community meetings (with their RRULE)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Meeting>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("meetings:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = communities::meetings(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |m| m)))
}
