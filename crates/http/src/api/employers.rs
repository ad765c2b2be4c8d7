//! `/api/employers/*`: registering an employer, its staff's roles, its job postings.

use super::jobs::JobView;
use super::user_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, OptionalIfMatch, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::User;
use clearview_core::rbac::Permission as P;
use clearview_core::services::{employers, jobs, users};

const ROLE_ADMIN: &[&str] = &["AdminListGroupsForUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"];

pub static ROUTES: &[Route] = &[REGISTER, USERS_ROLE, JOB_POSTINGS_CREATE];

pub const REGISTER: Route = Route {
    name: "employers-register",
    method: "POST",
    path: "/api/employers/register",
    access: Public,
    summary: "Register an employer: its organisation and first admin (email verification follows)",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(super::SIGNUP_ADMIN)],
    handler: handler!(register),
};
async fn register(
    app: App,
    _: Req,
    Json(input): Json<employers::RegisterEmployer>,
) -> Result<Created<employers::Registered>, AppError> {
    let out = employers::register(&app.deps, input).await?;
    let location = format!("/api/users/{}", out.user.id);
    Ok(Created { body: out, location, version: None })
}

pub const USERS_ROLE: Route = Route {
    name: "employers-users-role",
    method: "PATCH",
    path: "/api/employers/{id}/users/{userId}",
    access: Staff(Some(P::RolesManage)),
    summary: "Change a staff member's role (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite, UserPoolAdmin(ROLE_ADMIN)],
    handler: handler!(users_role),
};
async fn users_role(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<users::RoleInput>),
) -> Result<Tagged<User>, AppError> {
    let user =
        users::change_role(&app.deps, req.actor()?, req.path("id")?, &user_id(&req, "userId")?, version, input).await?;
    let v = user.version;
    Ok(Tagged(user, v))
}

pub const JOB_POSTINGS_CREATE: Route = Route {
    name: "employers-job-postings-create",
    method: "POST",
    path: "/api/employers/{id}/job-postings",
    access: Staff(Some(P::JobsWrite)),
    summary: "Create a job for the named employer (your own)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(job_postings_create),
};
async fn job_postings_create(
    app: App,
    req: Req,
    Json(input): Json<jobs::JobInput>,
) -> Result<Created<JobView>, AppError> {
    let job = jobs::create_for_employer(&app.deps, req.actor()?, req.path("id")?, input).await?;
    Ok(JobView::created(job))
}
