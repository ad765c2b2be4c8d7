//! `/api/employers/*`: registering an employer, its staff's roles, its job postings.

use super::jobs::JobView;
use super::user_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::{Interview, InterviewFeedback, User};
use clearview_core::rbac::Permission as P;
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::services::{employers, interview_feedback, interviews, jobs, users};

const ROLE_ADMIN: &[&str] = &["AdminListGroupsForUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"];

pub static ROUTES: &[Route] = &[
    REGISTER,
    USERS_ROLE,
    JOB_POSTINGS_CREATE,
    SELECT_CANDIDATE,
    APPLICATIONS,
    SCHEDULE_INTERVIEW,
    FEEDBACK,
    ANALYTICS,
    REPORTS,
];

pub const FEEDBACK: Route = Route {
    name: "employers-feedback",
    method: "POST",
    path: "/api/employers/{id}/feedback",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "A staff member's rating of a candidate after an interview (the seed route): the scorecard of the caller's latest interview of the candidate; none: 404. Candidates' feedback on the hiring experience is not this route",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(feedback),
};
async fn feedback(
    app: App,
    req: Req,
    Json(input): Json<interview_feedback::EmployerFeedbackInput>,
) -> Result<Tagged<InterviewFeedback>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let fb = interview_feedback::from_employer(&app.deps, actor, input).await?;
    let v = fb.version;
    Ok(Tagged(fb, v))
}

pub const SCHEDULE_INTERVIEW: Route = Route {
    name: "employers-schedule-interview",
    method: "POST",
    path: "/api/employers/{id}/schedule-interview",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Schedule an interview of a candidate with the caller (the seed route; POST /api/interviews takes a panel): 200 when scheduled, 409 when the slot is taken, 404 for another organisation or an unknown candidate",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(schedule_interview),
};
async fn schedule_interview(
    app: App,
    req: Req,
    Json(input): Json<interviews::ScheduleInput>,
) -> Result<Tagged<Interview>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let i = interviews::create(&app.deps, actor, input.into()).await?;
    let v = i.version;
    Ok(Tagged(i, v))
}

pub const SELECT_CANDIDATE: Route = Route {
    name: "employers-select-candidate",
    method: "POST",
    path: "/api/employers/{id}/select-candidate",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Select a candidate's application to a job for interview (moved to the next interview stage; the candidate is emailed). Unknown candidate or job: 404",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(select_candidate),
};
async fn select_candidate(
    app: App,
    req: Req,
    Json(input): Json<review::SelectInput>,
) -> Result<Tagged<ApplicationView>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let v = review::select_for_interview(&app.deps, actor, input).await?;
    let version = v.application.version;
    Ok(Tagged(v, version))
}

pub const APPLICATIONS: Route = Route {
    name: "employers-applications",
    method: "GET",
    path: "/api/employers/{id}/applications",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Application tracking for the employer's jobs, newest first, blind (the filtered list is GET /api/applications)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(applications),
};
async fn applications(
    app: App,
    req: Req,
    Query(q): Query<super::PageQuery>,
) -> Result<Json<super::Page<ApplicationView>>, AppError> {
    let actor = req.actor()?;
    let org = req.path("id")?;
    let scope = format!("employer-apps:{}", actor.org());
    let (limit, after) = super::page(&app, &scope, &q)?;
    let listed = review::for_org(&app.deps, actor, org, limit, after).await?;
    Ok(Json(super::page_of(&app, &scope, listed, |v| v)))
}

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

pub const ANALYTICS: Route = Route {
    name: "employers-analytics",
    method: "GET",
    path: "/api/employers/{id}/analytics",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The employer's figures in the seed's shape (jobPostings: total, active, applications; candidateEngagement: viewRate, interviewRate) over a date range; another organisation's id: 404",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(employer_analytics),
};
async fn employer_analytics(
    app: App,
    req: Req,
    Query(q): Query<clearview_core::services::analytics::DateRange>,
) -> Result<Json<clearview_core::services::analytics::EmployerAnalytics>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    Ok(Json(clearview_core::services::analytics::employer_analytics(&app.deps, actor, q).await?))
}

pub const REPORTS: Route = Route {
    name: "employers-reports",
    method: "GET",
    path: "/api/employers/{id}/reports",
    access: Staff(Some(P::AnalyticsRead)),
    summary: "The employer's reports, newest first (as GET /api/reports); another organisation's id: 404",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(employer_reports),
};
async fn employer_reports(
    app: App,
    req: Req,
    Query(q): Query<super::PageQuery>,
) -> Result<Json<super::Page<clearview_core::services::reports::Report>>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let scope = format!("reports:{}", actor.org());
    let (limit, after) = super::page(&app, &scope, &q)?;
    let listed = clearview_core::services::reports::list(&app.deps, actor, limit, after).await?;
    Ok(Json(super::page_of(&app, &scope, listed, |r| r)))
}
