//! `/api/files/*`: presigned resume uploads and short-lived download links.

use super::uuid_id;
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, Route};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::applications;

pub static ROUTES: &[Route] = &[UPLOAD, GET];

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
