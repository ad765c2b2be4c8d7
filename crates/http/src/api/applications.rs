//! `/api/applications/*`: applying, the resume upload, the explained score, reprocessing, and
//! the human decision that overrules the machine.

use super::{Page, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{
    Accepted, Access::*, Created, Grant::*, IfMatch, Json, NoContent, OptionalIfMatch, Query, Route, Tagged, WhenReady,
};
use clearview_core::AppError;
use clearview_core::model::Application;
use clearview_core::rbac::Permission as P;
use clearview_core::services::review::{self, ApplicationView};
use clearview_core::services::{applications, pipeline};

pub static ROUTES: &[Route] = &[
    CREATE,
    LIST,
    BULK_ACTION,
    GET,
    UPDATE,
    DELETE,
    WITHDRAW,
    ALTERNATIVE_REVIEW,
    RESUME_UPLOAD_URL,
    AI_SCORE,
    REPROCESS_AI,
    DECISION,
    ADVANCE_STAGE,
    REJECT,
    HISTORY,
    REVEAL,
    HOLD,
    RELEASE_HOLD,
    RESUME,
    PARSED_RESUME,
    REMINDERS_CREATE,
    REMINDERS_LIST,
    REMINDERS_DELETE,
];

fn tagged_view(v: ApplicationView) -> Tagged<ApplicationView> {
    let version = v.application.version;
    Tagged(v, version)
}

fn app_id(req: &Req) -> Result<String, AppError> {
    uuid_id(req, "application")
}

fn tagged(a: Application) -> Tagged<Application> {
    let v = a.version;
    Tagged(a, v)
}

pub const CREATE: Route = Route {
    name: "applications-create",
    method: "POST",
    path: "/api/applications",
    access: Candidate,
    summary: "Apply to an active job (once; voluntary self-identification is sealed apart and never shown to staff)",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents, SealingKey],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<applications::ApplyInput>,
) -> Result<Created<Application>, AppError> {
    let a = applications::apply(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/applications/{}", a.id), Some(a.version));
    Ok(Created { body: a, location, version })
}

pub const GET: Route = Route {
    name: "applications-get",
    method: "GET",
    path: "/api/applications/{id}",
    access: Member(Some(P::ApplicationsRead)),
    summary: "An application, with where its resume is in the processing chain",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<ApplicationView>, AppError> {
    let caller = req.caller()?;
    let a = applications::load(&app.deps, &caller, &app_id(&req)?).await?;
    Ok(tagged_view(review::view_for(&app.deps, &caller, a).await?))
}

pub const LIST: Route = Route {
    name: "applications-list",
    method: "GET",
    path: "/api/applications",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "The organisation's applications, blind, filtered by job, stage, status, source, AI score and applied date (cursor pages; a filtered page may be short and still have a cursor)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<review::ListQuery>) -> Result<Json<Page<ApplicationView>>, AppError> {
    let actor = req.actor()?;
    let filters = review::Filters::parse(&q)?;
    // The cursor is bound to the list and its filters.
    let scope = format!(
        "apps:{}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}:{}",
        actor.org(),
        filters.job,
        filters.stage,
        filters.status,
        filters.source,
        filters.min_score,
        filters.max_score,
        filters.from,
        filters.to,
        filters.oldest_first
    );
    let (limit, after) = page(&app, &scope, &super::PageQuery { limit: q.limit, cursor: q.cursor.clone() })?;
    let listed = review::list(&app.deps, actor, &filters, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |v| v)))
}

pub const UPDATE: Route = Route {
    name: "applications-update",
    method: "PUT",
    path: "/api/applications/{id}",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Staff fields of an application: notes, salary expectation, availability, source (all replaced; If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<review::UpdateInput>),
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::update(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}

pub const DELETE: Route = Route {
    name: "applications-delete",
    method: "DELETE",
    path: "/api/applications/{id}",
    access: Staff(Some(P::ApplicationsDelete)),
    summary: "Take an application out of the organisation's pipeline (audited; its history stays)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, OptionalIfMatch(version): OptionalIfMatch) -> Result<NoContent, AppError> {
    review::delete(&app.deps, req.actor()?, &app_id(&req)?, version).await?;
    Ok(NoContent)
}

pub const ADVANCE_STAGE: Route = Route {
    name: "applications-advance-stage",
    method: "POST",
    path: "/api/applications/{id}/advance-stage",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Move an application to the next stage (or a named one), with a note; from the last stage, hire",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(advance_stage),
};
async fn advance_stage(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<review::AdvanceInput>),
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::advance(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}

pub const REJECT: Route = Route {
    name: "applications-reject",
    method: "POST",
    path: "/api/applications/{id}/reject",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Reject with a reason code and an internal note (the candidate's email is kind and never shows the note)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(reject),
};
async fn reject(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<review::RejectInput>),
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::reject(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}

pub const BULK_ACTION: Route = Route {
    name: "applications-bulk-action",
    method: "POST",
    path: "/api/applications/bulk-action",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Advance, reject, move or email up to 100 applications: a result per item, each done whole or refused (send Idempotency-Key to retry safely)",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(bulk_action),
};
async fn bulk_action(
    app: App,
    req: Req,
    Json(input): Json<review::BulkInput>,
) -> Result<Json<review::BulkResult>, AppError> {
    Ok(Json(review::bulk(&app.deps, req.actor()?, input).await?))
}

pub const HISTORY: Route = Route {
    name: "applications-history",
    method: "GET",
    path: "/api/applications/{id}/history",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Every stage the application was in (entered, exited, duration, who moved it, note, outcome) and every reveal",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(history),
};
async fn history(app: App, req: Req, _: ()) -> Result<Json<review::History>, AppError> {
    Ok(Json(review::history(&app.deps, req.actor()?, &app_id(&req)?).await?))
}

pub const REVEAL: Route = Route {
    name: "applications-reveal",
    method: "POST",
    path: "/api/applications/{id}/reveal",
    access: Staff(Some(P::ApplicationsReveal)),
    summary: "Reveal who the candidate is before the reveal stage, with a reason (recorded in the history, the audit log and the pipeline analytics)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(reveal),
};
async fn reveal(
    app: App,
    req: Req,
    Json(input): Json<review::RevealInput>,
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::reveal(&app.deps, req.actor()?, &app_id(&req)?, input).await?))
}

pub const PARSED_RESUME: Route = Route {
    name: "applications-parsed-resume",
    method: "GET",
    path: "/api/applications/{id}/parsed-resume",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "What the parser read from the application's resume (skills, experience, education, contact, confidence, parser version); blind until revealed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(parsed_resume),
};
async fn parsed_resume(
    app: App,
    req: Req,
    _: (),
) -> Result<WhenReady<clearview_core::services::parsed_resume::ApplicationParse>, AppError> {
    Ok(WhenReady(
        clearview_core::services::parsed_resume::of_application(&app.deps, req.actor()?, &app_id(&req)?).await?,
    ))
}

pub const HOLD: Route = Route {
    name: "applications-hold",
    method: "POST",
    path: "/api/applications/{id}/hold",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Put an application on hold in its stage, with an internal note (an on_hold entry in its history; no counter moves)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(hold),
};
async fn hold(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<review::HoldInput>),
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::hold(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}

pub const RELEASE_HOLD: Route = Route {
    name: "applications-release-hold",
    method: "DELETE",
    path: "/api/applications/{id}/hold",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Take an application off hold (a resumed entry in its history, with how long it was held); any move also does",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(release_hold),
};
async fn release_hold(
    app: App,
    req: Req,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(review::release_hold(&app.deps, req.actor()?, &app_id(&req)?, version).await?))
}

pub const RESUME: Route = Route {
    name: "applications-resume",
    method: "GET",
    path: "/api/applications/{id}/resume",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "The resume as blind reviewers read it: the anonymised text and profile the scorer read",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(resume),
};
async fn resume(app: App, req: Req, _: ()) -> Result<WhenReady<review::BlindResume>, AppError> {
    Ok(WhenReady(review::blind_resume(&app.deps, req.actor()?, &app_id(&req)?).await?))
}

pub const WITHDRAW: Route = Route {
    name: "applications-withdraw",
    method: "POST",
    path: "/api/applications/{id}/withdraw",
    access: Candidate,
    summary: "Withdraw your application",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(withdraw),
};
async fn withdraw(app: App, req: Req, _: ()) -> Result<Tagged<Application>, AppError> {
    Ok(tagged(applications::withdraw(&app.deps, req.candidate()?, &app_id(&req)?).await?))
}

pub const ALTERNATIVE_REVIEW: Route = Route {
    name: "applications-alternative-review",
    method: "POST",
    path: "/api/applications/{id}/alternative-review",
    access: Candidate,
    summary: "Ask to be reviewed by a person without the automated tool (NYC Local Law 144): no score, no recommendation; audited",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(alternative_review),
};
async fn alternative_review(
    app: App,
    req: Req,
    Json(input): Json<applications::AlternativeReviewInput>,
) -> Result<Tagged<Application>, AppError> {
    let mut a = applications::request_alternative_review(&app.deps, req.candidate()?, &app_id(&req)?, input).await?;
    // The candidate's own view: staff notes and reveals are not theirs to read.
    a.notes = None;
    a.revealed = None;
    Ok(tagged(a))
}

pub const RESUME_UPLOAD_URL: Route = Route {
    name: "applications-resume-upload-url",
    method: "POST",
    path: "/api/applications/{id}/resume-upload-url",
    access: Candidate,
    summary: "A presigned PUT for your resume (PDF, DOCX or text; 10 MB; 15 minutes)",
    idempotent: false,
    grants: &[TableRead, TableWrite, ResumesWrite],
    handler: handler!(resume_upload_url),
};
async fn resume_upload_url(
    app: App,
    req: Req,
    Json(input): Json<applications::UploadInput>,
) -> Result<Created<applications::UploadGrant>, AppError> {
    let id = app_id(&req)?;
    let grant = applications::upload_url(&app.deps, req.candidate()?, &id, input).await?;
    // The resume chain's correlation id is this upload's run id (its file id): this line joins
    // the request's own correlation id to it.
    tracing::info!(application = %id, chain_correlation_id = %grant.file_id, "resume upload URL issued");
    Ok(Created { body: grant, location: format!("/api/applications/{id}"), version: None })
}

pub const AI_SCORE: Route = Route {
    name: "applications-ai-score",
    method: "GET",
    path: "/api/applications/{id}/ai-score",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "The score with its explanation, the counterfactual bias check, and any human decision",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(ai_score),
};
async fn ai_score(app: App, req: Req, _: ()) -> Result<WhenReady<applications::AiScore>, AppError> {
    Ok(WhenReady(applications::ai_score(&app.deps, req.actor()?, &app_id(&req)?).await?))
}

pub const REPROCESS_AI: Route = Route {
    name: "applications-reprocess-ai",
    method: "POST",
    path: "/api/applications/{id}/reprocess-ai",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Score the resume again (for example after the criteria changed)",
    idempotent: false,
    grants: &[TableRead, TableWrite, SendQueue("score")],
    handler: handler!(reprocess_ai),
};
async fn reprocess_ai(app: App, req: Req, _: ()) -> Result<Accepted<ApplicationView>, AppError> {
    let actor = req.actor()?;
    let a = applications::reprocess(&app.deps, actor, &app_id(&req)?).await?;
    let v = a.version;
    let view = review::staff_view(&app.deps, &pipeline::load(&app.deps, actor.org()).await?, a).await?;
    Ok(Accepted(view, Some(v)))
}

pub const DECISION: Route = Route {
    name: "applications-decision",
    method: "POST",
    path: "/api/applications/{id}/decision",
    access: Staff(Some(P::ApplicationsOverride)),
    summary: "A person's decision (advance: to the next stage; review: stay; reject) with a reason; it overrules the machine",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(decision),
};
async fn decision(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<applications::DecisionInput>),
) -> Result<Tagged<ApplicationView>, AppError> {
    Ok(tagged_view(applications::decide(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}

pub const REMINDERS_CREATE: Route = Route {
    name: "applications-reminders-create",
    method: "POST",
    path: "/api/applications/{id}/reminders",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Set a follow-up reminder on an application: emailed to you when due (at most 20 pending per application)",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(reminders_create),
};
async fn reminders_create(
    app: App,
    req: Req,
    Json(input): Json<clearview_core::services::reminders::ReminderInput>,
) -> Result<Created<clearview_core::model::Reminder>, AppError> {
    let id = app_id(&req)?;
    let r = clearview_core::services::reminders::create(&app.deps, req.actor()?, &id, input).await?;
    let location = format!("/api/applications/{id}/reminders/{}", r.id);
    let version = Some(r.version);
    Ok(Created { body: r, location, version })
}

pub const REMINDERS_LIST: Route = Route {
    name: "applications-reminders-list",
    method: "GET",
    path: "/api/applications/{id}/reminders",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "An application's follow-up reminders, pending and sent",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(reminders_list),
};
async fn reminders_list(
    app: App,
    req: Req,
    _: (),
) -> Result<Json<clearview_core::services::reminders::Reminders>, AppError> {
    Ok(Json(clearview_core::services::reminders::list(&app.deps, req.actor()?, &app_id(&req)?).await?))
}

pub const REMINDERS_DELETE: Route = Route {
    name: "applications-reminders-delete",
    method: "DELETE",
    path: "/api/applications/{id}/reminders/{reminderId}",
    access: Staff(Some(P::ApplicationsWrite)),
    summary: "Remove a reminder (its author, or an admin or HR manager)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(reminders_delete),
};
async fn reminders_delete(
    app: App,
    req: Req,
    OptionalIfMatch(version): OptionalIfMatch,
) -> Result<NoContent, AppError> {
    let reminder = uuid_id_named(&req, "reminderId", "reminder")?;
    clearview_core::services::reminders::delete(&app.deps, req.actor()?, &app_id(&req)?, &reminder, version).await?;
    Ok(NoContent)
}

fn uuid_id_named(req: &Req, name: &str, what: &'static str) -> Result<String, AppError> {
    req.id(name, |s| clearview_core::values::JobId::parse(s).map(|_| s.to_owned()), what)
}
