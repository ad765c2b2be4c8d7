//! `/api/candidates/*`: candidate sign-up, profiles and their applications.

use super::{Page, PageQuery, page, page_of, user_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::Candidate;
use clearview_core::rbac::Permission as P;
use clearview_core::services::review::{self, ApplicationView, CandidateView};
use clearview_core::services::{applications, candidates};

pub static ROUTES: &[Route] = &[REGISTER, GET, UPDATE, APPLICATIONS];

pub const REGISTER: Route = Route {
    name: "candidates-register",
    method: "POST",
    path: "/api/candidates",
    access: Public,
    summary: "Candidate sign-up (email verification follows, as for employers)",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(super::SIGNUP_ADMIN)],
    handler: handler!(register),
};
async fn register(
    app: App,
    _: Req,
    Json(input): Json<candidates::RegisterCandidate>,
) -> Result<Created<Candidate>, AppError> {
    let c = candidates::register(&app.deps, input).await?;
    let (location, version) = (format!("/api/candidates/{}", c.id), Some(c.version));
    Ok(Created { body: c, location, version })
}

pub const GET: Route = Route {
    name: "candidates-get",
    method: "GET",
    path: "/api/candidates/{id}",
    access: Member(Some(P::ApplicationsRead)),
    summary: "A candidate: yourself, or (staff, blind until revealed) someone who applied to one of your jobs",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<CandidateView>, AppError> {
    let caller = req.caller()?;
    let c = candidates::get(&app.deps, &caller, &user_id(&req, "id")?).await?;
    let v = c.version;
    Ok(Tagged(review::candidate_view(&app.deps, &caller, c).await?, v))
}

pub const UPDATE: Route = Route {
    name: "candidates-update",
    method: "PUT",
    path: "/api/candidates/{id}",
    access: Candidate,
    summary: "Update your profile (If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<candidates::UpdateCandidate>),
) -> Result<Tagged<Candidate>, AppError> {
    let c = candidates::update(&app.deps, &req.caller()?, &user_id(&req, "id")?, version, input).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}

pub const APPLICATIONS: Route = Route {
    name: "candidates-applications",
    method: "GET",
    path: "/api/candidates/{id}/applications",
    access: Member(Some(P::ApplicationsRead)),
    summary: "A candidate's applications (staff see those to their own jobs)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(applications_list),
};
async fn applications_list(
    app: App,
    req: Req,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<ApplicationView>>, AppError> {
    let caller = req.caller()?;
    let candidate = user_id(&req, "id")?;
    let scope = format!("candidate-apps:{}:{}", caller.id(), candidate);
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = applications::list_for_candidate(&app.deps, &caller, &candidate, limit, after).await?;
    let items = review::views_for(&app.deps, &caller, listed.items).await?;
    let listed = clearview_core::services::Listed { items, next: listed.next };
    Ok(Json(page_of(&app, &scope, listed, |a| a)))
}
