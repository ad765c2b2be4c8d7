//! `/api/network/*`: career mentors (their profile, matching a candidate's gaps against mentors'
//! skills and places left, requests and the mentor's answer).

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::careers::GapsQuery;
use clearview_core::services::network::{self, MenteeRequest, MentorProfile};
use clearview_core::values::UserId;

pub static ROUTES: &[Route] = &[
    MENTORS,
    MENTOR_PROFILE,
    MENTOR_REQUEST,
    MY_REQUESTS,
    MY_REQUEST_WITHDRAW,
    MENTEE_REQUESTS,
    MENTEE_ACCEPT,
    MENTEE_DECLINE,
    MENTEE_FEEDBACK,
];

pub const MENTORS: Route = Route {
    name: "network-mentors",
    method: "GET",
    path: "/api/network/mentors",
    access: Candidate,
    summary: "Career mentors for your five most useful gaps against an occupation (target), a job (jobId) or, by default, your newest goal: mentors with places left, most gaps covered first",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentors),
};
async fn mentors(app: App, req: Req, Query(q): Query<GapsQuery>) -> Result<Json<network::MentorMatches>, AppError> {
    Ok(Json(network::mentors(&app.deps, &req.candidate()?.user_id, &q).await?))
}

pub const MENTOR_PROFILE: Route = Route {
    name: "network-mentor-profile",
    method: "PUT",
    path: "/api/network/mentors/me",
    access: Platform(&[Role::CareerMentor]),
    summary: "Create or replace your mentor profile (career mentors): the skills you mentor (names of the skills vocabulary) and how many mentees you take; If-Match optional",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(set_profile),
};
async fn set_profile(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<network::MentorInput>),
) -> Result<Tagged<MentorProfile>, AppError> {
    let m = network::set_profile(&app.deps, req.candidate()?, version, input).await?;
    let v = m.version;
    Ok(Tagged(m, v))
}

pub const MENTOR_REQUEST: Route = Route {
    name: "network-mentor-request",
    method: "POST",
    path: "/api/network/mentors/{id}/requests",
    access: Candidate,
    summary: "Ask a mentor to mentor you (asking again answers the first request)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(request),
};
async fn request(
    app: App,
    req: Req,
    Json(input): Json<network::RequestInput>,
) -> Result<Json<MenteeRequest>, AppError> {
    let mentor = super::user_id(&req, "id")?;
    Ok(Json(network::request(&app.deps, &req.candidate()?.user_id, &mentor, input).await?))
}

pub const MY_REQUESTS: Route = Route {
    name: "network-mentor-requests",
    method: "GET",
    path: "/api/network/mentor-requests",
    access: Candidate,
    summary: "Your requests to mentors and their answers",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(my_requests),
};
async fn my_requests(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<MenteeRequest>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("mentor-requests:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = network::requests_of(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const MY_REQUEST_WITHDRAW: Route = Route {
    name: "network-mentor-request-withdraw",
    method: "POST",
    path: "/api/network/mentor-requests/{mentorId}/withdraw",
    access: Candidate,
    summary: "Withdraw your pending request to a mentor (409 not-pending once the mentor has answered; withdrawing again answers the withdrawn request; asking the mentor again later makes a new request)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(withdraw),
};
async fn withdraw(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let mentor = super::user_id(&req, "mentorId")?;
    Ok(Json(network::withdraw(&app.deps, &req.candidate()?.user_id, &mentor).await?))
}

pub const MENTEE_REQUESTS: Route = Route {
    name: "network-mentee-requests",
    method: "GET",
    path: "/api/network/mentee-requests",
    access: Platform(&[Role::CareerMentor]),
    summary: "Candidates' requests to you (career mentors), pending and answered",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentee_requests),
};
async fn mentee_requests(
    app: App,
    req: Req,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<MenteeRequest>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("mentee-requests:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = network::requests_to(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

fn candidate_id(req: &Req) -> Result<UserId, AppError> {
    super::user_id(req, "candidateId")
}

pub const MENTEE_ACCEPT: Route = Route {
    name: "network-mentee-accept",
    method: "POST",
    path: "/api/network/mentee-requests/{candidateId}/accept",
    access: Platform(&[Role::CareerMentor]),
    summary: "Accept a candidate's request (takes one of your places; 409 mentor-at-capacity when none is left)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(accept),
};
async fn accept(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::answer(&app.deps, &req.candidate()?.user_id, &candidate, true).await?))
}

pub const MENTEE_DECLINE: Route = Route {
    name: "network-mentee-decline",
    method: "POST",
    path: "/api/network/mentee-requests/{candidateId}/decline",
    access: Platform(&[Role::CareerMentor]),
    summary: "Decline a candidate's request",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(decline),
};
async fn decline(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::answer(&app.deps, &req.candidate()?.user_id, &candidate, false).await?))
}

pub const MENTEE_FEEDBACK: Route = Route {
    name: "network-mentee-feedback",
    method: "GET",
    path: "/api/network/mentees/{candidateId}/feedback",
    access: Platform(&[Role::CareerMentor]),
    summary: "The roadmap feedback of a candidate whose request you accepted (career mentors; anyone else's answers 404)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentee_feedback),
};
async fn mentee_feedback(app: App, req: Req, _: ()) -> Result<Json<network::MenteeFeedback>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::mentee_feedback(&app.deps, &req.candidate()?.user_id, &candidate).await?))
}
