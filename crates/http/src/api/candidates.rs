//! `/api/candidates/*`: candidate sign-up, profiles and their applications.

use super::{Page, PageQuery, page, page_of, user_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, NoContent, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::Candidate;
use clearview_core::rbac::Permission as P;
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::services::talent::{self, CandidateView, Duplicate};
use clearview_core::services::{applications, candidates};
use serde::Serialize;

pub static ROUTES: &[Route] =
    &[REGISTER, LIST, SEARCH, SOURCED, GET, UPDATE, DELETE, APPLICATIONS, DO_NOT_HIRE, DUPLICATES, MERGE];

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
    summary: "A candidate: yourself, or (staff, blind until revealed) a candidate of your organisation, with its do-not-hire flag and merges",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<CandidateView>, AppError> {
    let c = talent::get(&app.deps, &req.caller()?, &user_id(&req, "id")?).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}

pub const UPDATE: Route = Route {
    name: "candidates-update",
    method: "PUT",
    path: "/api/candidates/{id}",
    access: Candidate,
    summary: "Update your profile (If-Match required): contact details, links, current role, salary, availability, source; skills, education and experience confirm or correct what the parser filled",
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
    // A record with others merged into it lists their applications too (one page).
    if let clearview_core::services::Caller::Staff(actor) = &caller
        && let Some(apps) = talent::applications_for_staff(&app.deps, actor, &candidate).await?
    {
        let items = review::views_for(&app.deps, &caller, apps).await?;
        return Ok(Json(Page { items, next_cursor: None }));
    }
    let scope = format!("candidate-apps:{}:{}", caller.id(), candidate);
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = applications::list_for_candidate(&app.deps, &caller, &candidate, limit, after).await?;
    let items = review::views_for(&app.deps, &caller, listed.items).await?;
    let listed = clearview_core::services::Listed { items, next: listed.next };
    Ok(Json(page_of(&app, &scope, listed, |a| a)))
}

pub const LIST: Route = Route {
    name: "candidates-list",
    method: "GET",
    path: "/api/candidates",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Your organisation's candidates (applied to one of its jobs or added by its staff), blind until revealed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<CandidateView>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("candidates:{}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = talent::list(&app.deps, actor, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const SEARCH: Route = Route {
    name: "candidates-search",
    method: "GET",
    path: "/api/candidates/search",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Search your organisation's candidates: free text over name, email, title, company, skills and location (identity fields only where the identity is revealed); filters on skill, minimum years, job, stage and source",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(search),
};
async fn search(
    app: App,
    req: Req,
    Query(q): Query<talent::SearchQuery>,
) -> Result<Json<Page<CandidateView>>, AppError> {
    let actor = req.actor()?;
    let s = talent::Search::parse(&q)?;
    let scope = format!(
        "candidate-search:{}:{:?}",
        actor.org(),
        (&s.terms, &s.skill, s.min_years, &s.job, &s.stage, &s.source)
    );
    let (limit, after) = page(&app, &scope, &PageQuery { limit: q.limit, cursor: q.cursor.clone() })?;
    let listed = talent::search(&app.deps, actor, &s, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const SOURCED: Route = Route {
    name: "candidates-add-sourced",
    method: "POST",
    path: "/api/candidates/sourced",
    access: Staff(Some(P::CandidatesWrite)),
    summary: "Add a sourced candidate (a referral, someone met at a job fair): no account, visible to your organisation only; an email already in your organisation answers 409",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(sourced),
};
async fn sourced(
    app: App,
    req: Req,
    Json(input): Json<talent::SourceInput>,
) -> Result<Created<CandidateView>, AppError> {
    let c = talent::add_sourced(&app.deps, req.actor()?, input).await?;
    let (location, version) = (format!("/api/candidates/{}", c.id), Some(c.version));
    Ok(Created { body: c, location, version })
}

pub const DELETE: Route = Route {
    name: "candidates-delete",
    method: "DELETE",
    path: "/api/candidates/{id}",
    access: Member(Some(P::CandidatesDelete)),
    summary: "Remove a candidate: yourself (your profile, account and every application), or (staff) your organisation's record and its applications there",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents, UserPoolAdmin(super::SIGNUP_ADMIN)],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    talent::delete(&app.deps, &req.caller()?, &user_id(&req, "id")?).await?;
    Ok(NoContent)
}

pub const DO_NOT_HIRE: Route = Route {
    name: "candidates-do-not-hire",
    method: "PUT",
    path: "/api/candidates/{id}/do-not-hire",
    access: Staff(Some(P::CandidatesWrite)),
    summary: "Mark (or unmark) a candidate do-not-hire with a written reason; audited, shown with its author, never scored",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(do_not_hire),
};
async fn do_not_hire(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<talent::DoNotHireInput>),
) -> Result<Tagged<CandidateView>, AppError> {
    let c = talent::set_do_not_hire(&app.deps, req.actor()?, &user_id(&req, "id")?, version, input).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}

/// Likely duplicates of a candidate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Duplicates {
    pub items: Vec<Duplicate>,
}

pub const DUPLICATES: Route = Route {
    name: "candidates-duplicates",
    method: "GET",
    path: "/api/candidates/{id}/duplicates",
    access: Staff(Some(P::CandidatesWrite)),
    summary: "Likely duplicates of a candidate in your organisation: same email or phone, or a near-identical name and the same location",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(duplicates),
};
async fn duplicates(app: App, req: Req, _: ()) -> Result<Json<Duplicates>, AppError> {
    let items = talent::duplicates(&app.deps, req.actor()?, &user_id(&req, "id")?).await?;
    Ok(Json(Duplicates { items }))
}

pub const MERGE: Route = Route {
    name: "candidates-merge",
    method: "POST",
    path: "/api/candidates/{id}/merge",
    access: Staff(Some(P::CandidatesDelete)),
    summary: "Merge another record of your organisation into this one: its applications, files, notes and flags show here, it leaves a pointer; audited",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(merge),
};
async fn merge(app: App, req: Req, Json(input): Json<talent::MergeInput>) -> Result<Tagged<CandidateView>, AppError> {
    let c = talent::merge(&app.deps, req.actor()?, &user_id(&req, "id")?, input).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}
