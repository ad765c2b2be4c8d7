//! `/api/privacy/*`: personal-data requests (issue 12). A candidate exports or erases
//! everything held about them; an organisation's staff with `privacy:manage` do the same for
//! the data their organisation holds, on the candidate's request. The `privacy` consumer does
//! the work; the status route answers how it went and, for an export, a short-lived link.

use super::uuid_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Grant::*, Json, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::privacy::{self, NewPrivacyRequest, PrivacyRequest, PrivacyRequestView, RequestKind};
use clearview_core::services::retention::{self, RetentionPreview};

pub static ROUTES: &[Route] = &[EXPORT, ERASE, STATUS, RETENTION_PREVIEW];

pub const EXPORT: Route = Route {
    name: "privacy-export",
    method: "POST",
    path: "/api/privacy/exports",
    access: Member(Some(P::PrivacyManage)),
    summary: "Ask for an export of everything held about a candidate (yourself; or, staff, `candidateId`: what your organisation holds): 202 with the request; poll its status for a zip of JSON and the original files",
    idempotent: true,
    grants: &[TableRead, TableWrite, SendQueue("privacy")],
    handler: handler!(export),
};
async fn export(
    app: App,
    req: Req,
    Json(input): Json<NewPrivacyRequest>,
) -> Result<Accepted<PrivacyRequest>, AppError> {
    let r = privacy::request(&app.deps, &req.caller()?, RequestKind::Export, input).await?;
    let v = r.version;
    Ok(Accepted(r, Some(v)))
}

pub const ERASE: Route = Route {
    name: "privacy-erase",
    method: "POST",
    path: "/api/privacy/erasures",
    access: Member(Some(P::PrivacyManage)),
    summary: "Ask for erasure (yourself: your profile, account, applications, files with every stored version, and held mail everywhere; staff, `candidateId`: what your organisation holds): 202 with the request; an audit tombstone with ids only stays",
    idempotent: true,
    grants: &[TableRead, TableWrite, SendQueue("privacy")],
    handler: handler!(erase),
};
async fn erase(app: App, req: Req, Json(input): Json<NewPrivacyRequest>) -> Result<Accepted<PrivacyRequest>, AppError> {
    let r = privacy::request(&app.deps, &req.caller()?, RequestKind::Erasure, input).await?;
    let v = r.version;
    Ok(Accepted(r, Some(v)))
}

pub const STATUS: Route = Route {
    name: "privacy-request-status",
    method: "GET",
    path: "/api/privacy/requests/{id}",
    access: Member(Some(P::PrivacyManage)),
    summary: "A personal-data request's status (the requester's, or your organisation's); a completed export carries a download link valid for 15 minutes",
    idempotent: false,
    grants: &[TableRead, ExportsRead],
    handler: handler!(status),
};
async fn status(app: App, req: Req, _: ()) -> Result<Json<PrivacyRequestView>, AppError> {
    let id = uuid_id(&req, "request")?;
    Ok(Json(privacy::status(&app.deps, &req.caller()?, &id).await?))
}

pub const RETENTION_PREVIEW: Route = Route {
    name: "privacy-retention-preview",
    method: "GET",
    path: "/api/privacy/retention/preview",
    access: Staff(Some(P::PrivacyManage)),
    summary: "Dry run of your organisation's retention rules (the retention.rules setting): what the daily run would remove now (resumes of applications rejected longer ago than rejectedResumeDays, candidates inactive longer than inactiveCandidateMonths), each with the rule, when its clock started and why; nothing is removed",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(retention_preview),
};
async fn retention_preview(app: App, req: Req, _: ()) -> Result<Json<RetentionPreview>, AppError> {
    Ok(Json(retention::preview_for(&app.deps, req.actor()?).await?))
}
