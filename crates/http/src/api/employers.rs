//! `/api/employers/*`: registering an employer, its staff's roles, its job postings.

use super::jobs::JobView;
use super::user_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::message::{Message, Thread};
use clearview_core::model::{Interview, InterviewFeedback, User};
use clearview_core::rbac::Permission as P;
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::services::{employers, interview_feedback, interviews, jobs, messages, users};
use serde::Serialize;

const ROLE_ADMIN: &[&str] = &["AdminListGroupsForUser", "AdminRemoveUserFromGroup", "AdminAddUserToGroup"];

pub static ROUTES: &[Route] = &[
    REGISTER,
    USERS_ROLE,
    JOB_POSTINGS_CREATE,
    SELECT_CANDIDATE,
    APPLICATIONS,
    SCHEDULE_INTERVIEW,
    FEEDBACK,
    MESSAGES_SEND,
    MESSAGES_LIST,
    MESSAGES_THREAD,
    MESSAGES_READ,
    BIAS_AUDIT_PUBLISH,
    BIAS_AUDIT_SUMMARY,
    ANALYTICS,
    REPORTS,
];

pub const BIAS_AUDIT_PUBLISH: Route = Route {
    name: "employers-bias-audit-publish",
    method: "POST",
    path: "/api/employers/{id}/bias-audit",
    access: Staff(Some(P::AuditPublish)),
    summary: "Run the NYC Local Law 144 bias audit over every job's applicants and publish it as the employer's summary",
    idempotent: false,
    grants: &[TableRead, TableWrite, SealingKey],
    handler: handler!(bias_audit_publish),
};
async fn bias_audit_publish(
    app: App,
    req: Req,
    Json(input): Json<clearview_chain::audit::PublishAuditInput>,
) -> Result<Json<clearview_chain::audit::EmployerAuditSummary>, AppError> {
    let summary =
        clearview_chain::audit::publish_employer_audit(&app.deps, req.actor()?, req.path("id")?, input).await?;
    Ok(Json(summary))
}

pub const BIAS_AUDIT_SUMMARY: Route = Route {
    name: "employers-bias-audit",
    method: "GET",
    path: "/api/employers/{id}/bias-audit",
    access: Public,
    summary: "The employer's published LL144 bias-audit summary: audit and distribution dates, impact ratios by sex, race/ethnicity and both, unknown counts",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(bias_audit_summary),
};
async fn bias_audit_summary(
    app: App,
    req: Req,
    _: (),
) -> Result<Json<clearview_chain::audit::EmployerAuditSummary>, AppError> {
    Ok(Json(clearview_chain::audit::employer_audit_summary(&app.deps, req.path("id")?).await?))
}

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

pub const MESSAGES_SEND: Route = Route {
    name: "employers-messages-send",
    method: "POST",
    path: "/api/employers/{id}/messages",
    access: Staff(Some(P::MessagesSend)),
    summary: "Write to a DEI consultant (staff) or to the organisation (a consultant): a new thread, or a reply with threadId; optionally about a job or its bias audit. Stored once per Idempotency-Key; the other side is emailed",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(messages_send),
};
async fn messages_send(
    app: App,
    req: Req,
    Json(input): Json<messages::SendInput>,
) -> Result<Created<messages::Sent>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let key = req.headers.get(crate::idempotency::HEADER).and_then(|v| v.to_str().ok()).map(str::trim);
    let (sent, _) = messages::send(&app.deps, actor, input, key).await?;
    let location = format!("/api/employers/{}/messages/{}", actor.org(), sent.thread.id);
    Ok(Created { body: sent, location, version: None })
}

/// The caller's conversations, latest activity first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inbox {
    pub items: Vec<Thread>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Messages the caller's side has not read, across all its threads.
    pub unread: u64,
}

pub const MESSAGES_LIST: Route = Route {
    name: "employers-messages-list",
    method: "GET",
    path: "/api/employers/{id}/messages",
    access: Staff(Some(P::MessagesSend)),
    summary: "The caller's message threads with DEI consultants (a consultant: their own), latest first, with unread counts",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(messages_list),
};
async fn messages_list(app: App, req: Req, Query(q): Query<super::PageQuery>) -> Result<Json<Inbox>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let scope = format!("messages-list:{}:{}", actor.org(), actor.user.id);
    let (limit, after) = super::page(&app, &scope, &q)?;
    let (listed, unread) = messages::list(&app.deps, actor, limit, after).await?;
    let page = super::page_of(&app, &scope, listed, |t| t);
    Ok(Json(Inbox { items: page.items, next_cursor: page.next_cursor, unread }))
}

/// One thread and a page of its messages, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreadMessages {
    pub thread: Thread,
    pub items: Vec<Message>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

pub const MESSAGES_THREAD: Route = Route {
    name: "employers-messages-thread",
    method: "GET",
    path: "/api/employers/{id}/messages/{threadId}",
    access: Staff(Some(P::MessagesSend)),
    summary: "A thread's messages, oldest first (POST .../read marks them read)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(messages_thread),
};
async fn messages_thread(
    app: App,
    req: Req,
    Query(q): Query<super::PageQuery>,
) -> Result<Json<ThreadMessages>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    let thread_id = req.path("threadId")?.to_owned();
    let scope = format!("messages-thread:{}:{thread_id}", actor.org());
    let (limit, after) = super::page(&app, &scope, &q)?;
    let (thread, listed) = messages::read(&app.deps, actor, &thread_id, limit, after).await?;
    let page = super::page_of(&app, &scope, listed, |m| m);
    Ok(Json(ThreadMessages { thread, items: page.items, next_cursor: page.next_cursor }))
}

pub const MESSAGES_READ: Route = Route {
    name: "employers-messages-read",
    method: "POST",
    path: "/api/employers/{id}/messages/{threadId}/read",
    access: Staff(Some(P::MessagesSend)),
    summary: "Mark the caller's side's messages in a thread read (the unread counts go down); already read: unchanged",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(messages_read),
};
async fn messages_read(app: App, req: Req, _: ()) -> Result<Json<Thread>, AppError> {
    let actor = req.actor()?;
    actor.own_org(req.path("id")?)?;
    Ok(Json(messages::mark_read(&app.deps, actor, req.path("threadId")?).await?))
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
