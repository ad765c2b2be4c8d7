//! `/api/files/*`: presigned resume uploads and short-lived download links.

use super::uuid_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::{applications, parsed_resume};

pub static ROUTES: &[Route] = &[UPLOAD, PARSE_RESUME, GET, PREVIEW, DELETE];

pub const UPLOAD: Route = Route {
    name: "files-upload",
    method: "POST",
    path: "/api/files/upload",
    access: Candidate,
    summary: "The same presigned resume upload, naming the application in the body",
    idempotent: false,
    grants: &[TableRead, TableWrite, ResumesWrite],
    handler: handler!(upload),
};
async fn upload(
    app: App,
    req: Req,
    Json(input): Json<applications::FileUploadInput>,
) -> Result<Created<applications::UploadGrant>, AppError> {
    let id = input.application_id.trim().to_owned();
    let upload = applications::UploadInput { content_type: input.content_type, file_name: input.file_name };
    let grant = applications::upload_url(&app.deps, req.candidate()?, &id, upload).await?;
    Ok(Created { body: grant, location: format!("/api/applications/{id}"), version: None })
}

pub const GET: Route = Route {
    name: "files-get",
    method: "GET",
    path: "/api/files/{id}",
    access: Member(Some(P::ApplicationsRead)),
    summary: "A short-lived download URL for a resume",
    idempotent: false,
    grants: &[TableRead, ResumesRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Json<applications::DownloadGrant>, AppError> {
    let id = uuid_id(&req, "file")?;
    Ok(Json(applications::download_url(&app.deps, &req.caller()?, &id).await?))
}

pub const PREVIEW: Route = Route {
    name: "files-preview",
    method: "GET",
    path: "/api/files/{id}/preview",
    access: Member(Some(P::ApplicationsRead)),
    summary: "A resume's text for a browser to show: the extracted text, or for blind reviewers the anonymised one",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(preview),
};
async fn preview(app: App, req: Req, _: ()) -> Result<Json<parsed_resume::FilePreview>, AppError> {
    let id = uuid_id(&req, "file")?;
    Ok(Json(parsed_resume::preview(&app.deps, &req.caller()?, &id).await?))
}

pub const PARSE_RESUME: Route = Route {
    name: "files-parse-resume",
    method: "POST",
    path: "/api/files/parse-resume",
    access: Staff(Some(P::ApplicationsRead)),
    summary: "Parse a stored resume file again with today's parser and return the structured result (blind in blind review; nothing is stored)",
    idempotent: false,
    grants: &[TableRead, ResumesRead, ResumeScanTags, Ocr],
    handler: handler!(parse_resume),
};
async fn parse_resume(
    app: App,
    req: Req,
    Json(input): Json<parsed_resume::ParseFileInput>,
) -> Result<Json<parsed_resume::ParsedResumeView>, AppError> {
    Ok(Json(parsed_resume::parse_file(&app.deps, req.actor()?, input).await?))
}

pub const DELETE: Route = Route {
    name: "files-delete",
    method: "DELETE",
    path: "/api/files/{id}",
    access: Member(Some(P::ApplicationsDelete)),
    summary: "Delete a resume file with every stored version of it and the results derived from it (parsed, anonymised, score, bias check); yours, or (staff with applications:delete) one of your organisation's",
    idempotent: false,
    grants: &[TableRead, TableWrite, ResumesDelete],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<Json<applications::FileDeleted>, AppError> {
    let id = uuid_id(&req, "file")?;
    Ok(Json(applications::delete_file(&app.deps, &req.caller()?, &id).await?))
}
