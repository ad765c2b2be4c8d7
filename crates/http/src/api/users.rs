//! `/api/users/*`: the organisation's staff, their profiles and permissions.

use super::{Page, PageQuery, page, page_of, user_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, NoContent, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::User;
use clearview_core::rbac::Permission as P;
use clearview_core::rbac::Role;
use clearview_core::services::{platform, users};

const INVITE_ADMIN: &[&str] = &["AdminCreateUser", "AdminAddUserToGroup", "AdminDeleteUser"];
const DISABLE_ADMIN: &[&str] = &["AdminDisableUser", "AdminUserGlobalSignOut"];

pub static ROUTES: &[Route] =
    &[LIST, CREATE, GET, UPDATE, DELETE, PERMISSIONS_GET, PERMISSIONS_PUT, PROFILE_GET, PROFILE_PUT, ROLES_GRANT];

/// Every platform role: a platform user's own profile is open to any of them.
const ANY_PLATFORM: &[Role] = &Role::PLATFORM;

pub const PROFILE_GET: Route = Route {
    name: "users-profile-get",
    method: "GET",
    path: "/api/users/me/profile",
    access: Platform(ANY_PLATFORM),
    summary: "Your own platform profile, with the sensitive fields (date of birth, address, gender) that only you ever see",
    idempotent: false,
    grants: &[TableRead, SealingKey],
    handler: handler!(profile_get),
};
async fn profile_get(app: App, req: Req, _: ()) -> Result<Tagged<platform::OwnProfile>, AppError> {
    let p = platform::own_profile(&app.deps, req.candidate()?).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}

pub const PROFILE_PUT: Route = Route {
    name: "users-profile-put",
    method: "PUT",
    path: "/api/users/me/profile",
    access: Platform(ANY_PLATFORM),
    summary: "Replace your own platform profile (If-Match required); date of birth, address and gender are sealed at rest and never reach scoring",
    idempotent: false,
    grants: &[TableRead, TableWrite, SealingKey],
    handler: handler!(profile_put),
};
async fn profile_put(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<platform::ProfileInput>),
) -> Result<Tagged<platform::OwnProfile>, AppError> {
    let p = platform::update_profile(&app.deps, req.candidate()?, version, input).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}

pub const ROLES_GRANT: Route = Route {
    name: "users-roles-grant",
    method: "POST",
    path: "/api/users/{id}/roles",
    access: Platform(&[Role::PlatformAdmin]),
    summary: "Give a platform user another platform role (platform admins only; this is how platform admins are made)",
    idempotent: false,
    grants: &[TableRead, TableWrite, UserPoolAdmin(&["AdminAddUserToGroup"])],
    handler: handler!(roles_grant),
};
async fn roles_grant(
    app: App,
    req: Req,
    Json(input): Json<platform::GrantRoleInput>,
) -> Result<Json<platform::OwnProfile>, AppError> {
    Ok(Json(platform::grant_role(&app.deps, &user_id(&req, "id")?, input).await?))
}

pub const LIST: Route = Route {
    name: "users-list",
    method: "GET",
    path: "/api/users",
    access: Staff(Some(P::UsersRead)),
    summary: "List the organisation's staff",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<User>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("users-list:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = users::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |u| u)))
}

pub const CREATE: Route = Route {
    name: "users-create",
    method: "POST",
    path: "/api/users",
    access: Staff(Some(P::UsersManage)),
    summary: "Invite a staff member (a temporary password is emailed)",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(INVITE_ADMIN)],
    handler: handler!(create),
};
async fn create(app: App, req: Req, Json(input): Json<users::InviteInput>) -> Result<Created<User>, AppError> {
    let user = users::invite(&app.deps, req.actor()?, input).await?;
    let (location, version) = (format!("/api/users/{}", user.id), Some(user.version));
    Ok(Created { body: user, location, version })
}

pub const GET: Route = Route {
    name: "users-get",
    method: "GET",
    path: "/api/users/{id}",
    access: Staff(Some(P::UsersRead)),
    summary: "A staff member",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<User>, AppError> {
    let user = users::get(&app.deps, req.actor()?, &user_id(&req, "id")?).await?;
    let v = user.version;
    Ok(Tagged(user, v))
}

pub const UPDATE: Route = Route {
    name: "users-update",
    method: "PUT",
    path: "/api/users/{id}",
    access: Staff(Some(P::UsersManage)),
    summary: "Update a staff member's profile (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<users::UpdateUserInput>),
) -> Result<Tagged<User>, AppError> {
    let user = users::update(&app.deps, req.actor()?, &user_id(&req, "id")?, version, input).await?;
    let v = user.version;
    Ok(Tagged(user, v))
}

pub const DELETE: Route = Route {
    name: "users-delete",
    method: "DELETE",
    path: "/api/users/{id}",
    access: Staff(Some(P::UsersManage)),
    summary: "Remove a staff member: sign-in disabled, sessions revoked, record kept for the audit trail",
    idempotent: false,
    grants: &[TableRead, TableWrite, UserPoolAdmin(DISABLE_ADMIN)],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, OptionalIfMatch(version): OptionalIfMatch) -> Result<NoContent, AppError> {
    users::remove(&app.deps, req.actor()?, &user_id(&req, "id")?, version).await?;
    Ok(NoContent)
}

pub const PERMISSIONS_GET: Route = Route {
    name: "users-permissions-get",
    method: "GET",
    path: "/api/users/{id}/permissions",
    access: Staff(Some(P::UsersRead)),
    summary: "A staff member's role, overrides and effective permissions",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(permissions_get),
};
async fn permissions_get(app: App, req: Req, _: ()) -> Result<Tagged<users::UserPermissions>, AppError> {
    let p = users::get_permissions(&app.deps, req.actor()?, &user_id(&req, "id")?).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}

pub const PERMISSIONS_PUT: Route = Route {
    name: "users-permissions-put",
    method: "PUT",
    path: "/api/users/{id}/permissions",
    access: Staff(Some(P::RolesManage)),
    summary: "Grant or deny single permissions on top of the role (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(permissions_put),
};
async fn permissions_put(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<users::PermissionsInput>),
) -> Result<Tagged<users::UserPermissions>, AppError> {
    let p = users::set_permissions(&app.deps, req.actor()?, &user_id(&req, "id")?, version, input).await?;
    let v = p.version;
    Ok(Tagged(p, v))
}
