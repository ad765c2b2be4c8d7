//! `/api/applications/*`: applying, the resume upload, the explained score, reprocessing, and
//! the human decision that overrules the machine.

use super::uuid_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Created, Grant::*, Json, OptionalIfMatch, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::Application;
use clearview_core::rbac::Permission as P;
use clearview_core::services::applications;

pub static ROUTES: &[Route] = &[CREATE, GET, WITHDRAW, RESUME_UPLOAD_URL, AI_SCORE, REPROCESS_AI, DECISION];

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
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<Application>, AppError> {
    Ok(tagged(applications::load(&app.deps, &req.caller()?, &app_id(&req)?).await?))
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
async fn ai_score(app: App, req: Req, _: ()) -> Result<Json<applications::AiScore>, AppError> {
    Ok(Json(applications::ai_score(&app.deps, req.actor()?, &app_id(&req)?).await?))
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
async fn reprocess_ai(app: App, req: Req, _: ()) -> Result<Accepted<Application>, AppError> {
    let a = applications::reprocess(&app.deps, req.actor()?, &app_id(&req)?).await?;
    let v = a.version;
    Ok(Accepted(a, Some(v)))
}

pub const DECISION: Route = Route {
    name: "applications-decision",
    method: "POST",
    path: "/api/applications/{id}/decision",
    access: Staff(Some(P::ApplicationsOverride)),
    summary: "A person's decision (advance, review, reject) with a reason; it overrules the machine",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(decision),
};
async fn decision(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<applications::DecisionInput>),
) -> Result<Tagged<Application>, AppError> {
    Ok(tagged(applications::decide(&app.deps, req.actor()?, &app_id(&req)?, version, input).await?))
}
