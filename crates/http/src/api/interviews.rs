//! `/api/interviews/*`: scheduling (clashes refused atomically), the calendar by interviewer,
//! candidate or job, reschedules and cancellations (each mails an RFC 5545 invite), the
//! candidate's reschedule request, interviewers' feedback, and private calendar feeds.

use super::{Page, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, CalendarText, Created, Grant::*, IfMatch, Json, OptionalIfMatch, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::Interview;
use clearview_core::model::InterviewFeedback;
use clearview_core::rbac::Permission as P;
use clearview_core::services::{interview_feedback, interviews};

pub static ROUTES: &[Route] = &[
    LIST,
    CREATE,
    CALENDAR,
    GET,
    UPDATE,
    CANCEL,
    RESCHEDULE_REQUEST,
    ACCEPT_PROPOSAL,
    FEEDBACK_SUBMIT,
    FEEDBACK_LIST,
    FEEDBACK_SHARE,
    FEEDBACK_SUMMARY,
    FEED_ROTATE,
    FEED,
];

fn interview_id(req: &Req) -> Result<String, AppError> {
    uuid_id(req, "interview")
}

fn tagged(i: Interview) -> Tagged<Interview> {
    let v = i.version;
    Tagged(i, v)
}

pub const LIST: Route = Route {
    name: "interviews-list",
    method: "GET",
    path: "/api/interviews",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "The organisation's interviews (or one job's) starting in a time range, by start time (cursor pages)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<interviews::ListQuery>) -> Result<Json<Page<Interview>>, AppError> {
    let actor = req.actor()?;
    let scope = format!("interviews:{}:{:?}:{:?}:{:?}", actor.org(), q.from, q.to, q.job_id);
    let (limit, after) = page(&app, &scope, &super::PageQuery { limit: q.limit, cursor: q.cursor.clone() })?;
    let listed = interviews::list(&app.deps, actor, &q, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |i| i)))
}

pub const CREATE: Route = Route {
    name: "interviews-create",
    method: "POST",
    path: "/api/interviews",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Schedule an interview (one interviewer or a panel); a clash of the candidate or an interviewer answers 409 naming the clashing interview. The candidate and each interviewer are mailed an RFC 5545 invite",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<interviews::InterviewInput>,
) -> Result<Created<Interview>, AppError> {
    let i = interviews::create(&app.deps, req.actor()?, input).await?;
    let (location, version) = (format!("/api/interviews/{}", i.id), Some(i.version));
    Ok(Created { body: i, location, version })
}

pub const CALENDAR: Route = Route {
    name: "interviews-calendar",
    method: "GET",
    path: "/api/interviews/calendar",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Interviews in a time range (at most 92 days): the organisation's, or one interviewer's, candidate's or job's",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(calendar),
};
async fn calendar(
    app: App,
    req: Req,
    Query(q): Query<interviews::CalendarQuery>,
) -> Result<Json<interviews::CalendarView>, AppError> {
    Ok(Json(interviews::calendar(&app.deps, req.actor()?, &q).await?))
}

pub const GET: Route = Route {
    name: "interviews-get",
    method: "GET",
    path: "/api/interviews/{id}",
    access: Member(Some(P::ApplicationsRead)),
    summary: "An interview (staff of its organisation, or its candidate)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<Interview>, AppError> {
    Ok(tagged(interviews::get(&app.deps, &req.caller()?, &interview_id(&req)?).await?))
}

pub const UPDATE: Route = Route {
    name: "interviews-update",
    method: "PUT",
    path: "/api/interviews/{id}",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Reschedule or change an interview (If-Match required): a new time, duration, place or panel mails the invite again with the same UID and a higher SEQUENCE; a clash answers 409",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<interviews::InterviewUpdate>),
) -> Result<Tagged<Interview>, AppError> {
    Ok(tagged(interviews::update(&app.deps, req.actor()?, &interview_id(&req)?, version, input).await?))
}

pub const CANCEL: Route = Route {
    name: "interviews-cancel",
    method: "DELETE",
    path: "/api/interviews/{id}",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Cancel an interview: its time is freed and everyone is mailed METHOD:CANCEL (same UID, higher SEQUENCE). The interview stays, cancelled",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(cancel),
};
async fn cancel(app: App, req: Req, OptionalIfMatch(version): OptionalIfMatch) -> Result<Tagged<Interview>, AppError> {
    Ok(tagged(interviews::cancel(&app.deps, req.actor()?, &interview_id(&req)?, version).await?))
}

pub const RESCHEDULE_REQUEST: Route = Route {
    name: "interviews-reschedule-request",
    method: "POST",
    path: "/api/interviews/{id}/reschedule-request",
    access: Candidate,
    summary: "The candidate asks to move their interview, proposing one to five start times; staff accept one",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(reschedule_request),
};
async fn reschedule_request(
    app: App,
    req: Req,
    Json(input): Json<interviews::RescheduleRequestInput>,
) -> Result<Tagged<Interview>, AppError> {
    let who = &req.candidate()?.user_id;
    Ok(tagged(interviews::request_reschedule(&app.deps, who, &interview_id(&req)?, input).await?))
}

pub const ACCEPT_PROPOSAL: Route = Route {
    name: "interviews-accept-proposal",
    method: "POST",
    path: "/api/interviews/{id}/accept-proposal",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Accept one of the candidate's proposed times: the interview moves and the invite goes out again (same UID, higher SEQUENCE); a clash answers 409",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(accept_proposal),
};
async fn accept_proposal(
    app: App,
    req: Req,
    Json(input): Json<interviews::AcceptProposalInput>,
) -> Result<Tagged<Interview>, AppError> {
    Ok(tagged(interviews::accept_proposal(&app.deps, req.actor()?, &interview_id(&req)?, input).await?))
}

pub const FEEDBACK_SUBMIT: Route = Route {
    name: "interviews-feedback-submit",
    method: "POST",
    path: "/api/interviews/{id}/feedback",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "An interviewer's scorecard: rating 1-5, recommendation, a rating per attribute of the job's criteria, comments. Sending it again amends it, with a reason, and keeps the earlier version",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(feedback_submit),
};
async fn feedback_submit(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<interview_feedback::FeedbackInput>),
) -> Result<Tagged<InterviewFeedback>, AppError> {
    let fb = interview_feedback::submit(&app.deps, req.actor()?, &interview_id(&req)?, version, input).await?;
    let v = fb.version;
    Ok(Tagged(fb, v))
}

pub const FEEDBACK_LIST: Route = Route {
    name: "interviews-feedback-list",
    method: "GET",
    path: "/api/interviews/{id}/feedback",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "The scorecards of an interview: your own, and the others' only once yours is in (independent evaluation); staff who did not interview see them all",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(feedback_list),
};
async fn feedback_list(app: App, req: Req, _: ()) -> Result<Json<interview_feedback::FeedbackView>, AppError> {
    Ok(Json(interview_feedback::list(&app.deps, req.actor()?, &interview_id(&req)?).await?))
}

pub const FEED_ROTATE: Route = Route {
    name: "interviews-calendar-feed-rotate",
    method: "POST",
    path: "/api/interviews/calendar-feed",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Make (or replace) your private calendar feed: an .ics subscription URL with a secret token listing your interviews. The old URL stops working",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(feed_rotate),
};
async fn feed_rotate(app: App, req: Req, _: ()) -> Result<Created<interviews::FeedLink>, AppError> {
    let link = interviews::rotate_feed(&app.deps, req.actor()?).await?;
    let location = link.url.clone();
    Ok(Created { body: link, location, version: None })
}

pub const FEED: Route = Route {
    name: "interviews-calendar-feed",
    method: "GET",
    path: "/api/interviews/feed/{token}",
    access: Public,
    summary: "A staff member's private interview feed (text/calendar, RFC 5545): the secret token is the credential; an unknown or rotated one answers 404",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(feed),
};
async fn feed(app: App, req: Req, _: ()) -> Result<CalendarText, AppError> {
    Ok(CalendarText(interviews::feed(&app.deps, req.path("token")?).await?))
}

pub const FEEDBACK_SHARE: Route = Route {
    name: "interviews-feedback-share",
    method: "POST",
    path: "/api/interviews/{id}/share-feedback",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Share an anonymised summary of the interview's feedback with the candidate (averages only: no interviewer names, recommendations or comments)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(feedback_share),
};
async fn feedback_share(app: App, req: Req, _: ()) -> Result<Tagged<Interview>, AppError> {
    Ok(tagged(interview_feedback::share(&app.deps, req.actor()?, &interview_id(&req)?).await?))
}

pub const FEEDBACK_SUMMARY: Route = Route {
    name: "interviews-feedback-summary",
    method: "GET",
    path: "/api/interviews/{id}/feedback-summary",
    access: Candidate,
    summary: "The candidate's anonymised summary of their interview's feedback, once the employer shares it (404 before)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(feedback_summary),
};
async fn feedback_summary(
    app: App,
    req: Req,
    _: (),
) -> Result<Json<interview_feedback::CandidateFeedbackSummary>, AppError> {
    let who = &req.candidate()?.user_id;
    Ok(Json(interview_feedback::summary_for_candidate(&app.deps, who, &interview_id(&req)?).await?))
}
