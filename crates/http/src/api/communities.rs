//! `/api/communities/*`: communities, their leaders (by skills and expertise), the platform's
//! cap on a leader's non-profits, and removing an assignment (which frees room for the next).

use super::{Page, PageQuery, page, page_of, user_id, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, NoContent, Query, Route};
use clearview_core::AppError;
use clearview_core::model::platform::{Community, PlatformSettings};
use clearview_core::rbac::Role;
use clearview_core::services::communities;

pub static ROUTES: &[Route] = &[CREATE, LIST, CAP_GET, CAP_PUT, LEADERS_ADD, LEADERS_LIST, ASSIGNMENT_DELETE];

const ADMIN: &[Role] = &[Role::PlatformAdmin];

pub const CREATE: Route = Route {
    name: "communities-create",
    method: "POST",
    path: "/api/communities",
    access: Platform(ADMIN),
    summary: "Define a community by the skills, services and expertise it is about (platform admins)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create),
};
async fn create(
    app: App,
    _: Req,
    Json(input): Json<communities::CommunityInput>,
) -> Result<Created<Community>, AppError> {
    let c = communities::create(&app.deps, input).await?;
    let (location, version) = (format!("/api/communities/{}/leaders", c.id), Some(c.version));
    Ok(Created { body: c, location, version })
}

pub const LIST: Route = Route {
    name: "communities-list",
    method: "GET",
    path: "/api/communities",
    access: Platform(ADMIN),
    summary: "The communities, with their leaders in turn order, cursor and wait line (platform admins)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, _: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Community>>, AppError> {
    let scope = "communities";
    let (limit, after) = page(&app, scope, &q)?;
    let listed = communities::list(&app.deps, limit, after).await?;
    Ok(Json(page_of(&app, scope, listed, |c| c)))
}

pub const CAP_GET: Route = Route {
    name: "communities-leader-cap-get",
    method: "GET",
    path: "/api/communities/leader-cap",
    access: Platform(ADMIN),
    summary: "The most non-profits one community leader may have (platform admins)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(cap_get),
};
async fn cap_get(app: App, _: Req, _: ()) -> Result<Json<PlatformSettings>, AppError> {
    Ok(Json(communities::get_cap(&app.deps).await?))
}

pub const CAP_PUT: Route = Route {
    name: "communities-leader-cap-put",
    method: "PUT",
    path: "/api/communities/leader-cap",
    access: Platform(ADMIN),
    summary: "Set the cap on a leader's non-profits; a raised cap assigns waiting non-profits at once (platform admins)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(cap_put),
};
async fn cap_put(
    app: App,
    _: Req,
    Json(input): Json<communities::CapInput>,
) -> Result<Json<PlatformSettings>, AppError> {
    Ok(Json(communities::set_cap(&app.deps, input).await?))
}

pub const LEADERS_ADD: Route = Route {
    name: "communities-leaders-add",
    method: "POST",
    path: "/api/communities/{id}/leaders",
    access: Platform(ADMIN),
    summary: "Make a community leader (whose expertise matches the community's tags) one of its leaders; waiting non-profits get the new room (platform admins)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(leaders_add),
};
async fn leaders_add(
    app: App,
    req: Req,
    Json(input): Json<communities::LeaderInput>,
) -> Result<Json<Community>, AppError> {
    let id = uuid_id(&req, "community")?;
    Ok(Json(communities::add_leader(&app.deps, &id, input).await?))
}

pub const LEADERS_LIST: Route = Route {
    name: "communities-leaders-list",
    method: "GET",
    path: "/api/communities/{id}/leaders",
    access: Platform(ADMIN),
    summary: "A community's leaders in turn order, with how many non-profits each has and the cap (platform admins)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(leaders_list),
};
async fn leaders_list(app: App, req: Req, _: ()) -> Result<Json<Vec<communities::LeaderView>>, AppError> {
    let id = uuid_id(&req, "community")?;
    Ok(Json(communities::leaders(&app.deps, &id).await?))
}

pub const ASSIGNMENT_DELETE: Route = Route {
    name: "communities-assignment-delete",
    method: "DELETE",
    path: "/api/communities/{id}/leaders/{leaderId}/assignments/{nonprofitId}",
    access: Platform(ADMIN),
    summary: "Remove a leader's assignment of a non-profit; the room goes to the first waiting non-profit (platform admins)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(assignment_delete),
};
async fn assignment_delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    let id = uuid_id(&req, "community")?;
    let leader = user_id(&req, "leaderId")?;
    let npo = req.id("nonprofitId", |s| clearview_core::values::JobId::parse(s).map(|_| s.to_owned()), "assignment")?;
    communities::release(&app.deps, &id, &leader, &npo).await?;
    Ok(NoContent)
}
