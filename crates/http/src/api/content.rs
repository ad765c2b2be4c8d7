//! `/api/content/*`: the content library: editors (platform admins, non-profit members) create
//! and change articles and resources (drafts, then published), with media uploaded by presigned
//! PUT; everyone signed in lists what is published, by skill or occupation through the tag index.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::content::{
    self, ContentInput, ContentItem, ContentQuery, ContentSaved, ContentUpdate, EDITORS,
};
use clearview_core::services::platform::ResourceDownload;

pub static ROUTES: &[Route] = &[CREATE, RESOURCES, UPDATE, GET, MEDIA];

/// Everyone who signs in outside an employer: candidates and the platform's roles.
const PEOPLE: &[Role] = &Role::PLATFORM;

pub const CREATE: Route = Route {
    name: "content-create",
    method: "POST",
    path: "/api/content/create",
    access: Platform(&EDITORS),
    summary: "Write an article or add a resource (platform admins, non-profit members): a draft or published, tagged by skill (the skills vocabulary) and occupation (O*NET); a media file is uploaded through the presigned PUT in the answer",
    idempotent: true,
    grants: &[TableRead, TableWrite, ResourcesWrite],
    handler: handler!(create),
};
async fn create(app: App, req: Req, Json(input): Json<ContentInput>) -> Result<Created<ContentSaved>, AppError> {
    let saved = content::create(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/content/{}", saved.content.id), Some(saved.content.version));
    Ok(Created { body: saved, location, version })
}

pub const RESOURCES: Route = Route {
    name: "content-resources",
    method: "GET",
    path: "/api/content/resources",
    access: Platform(PEOPLE),
    summary: "Published articles and resources, oldest first, or those tagged with a skill or an occupation (O*NET code or title); editors list drafts with status=draft",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(resources),
};
async fn resources(app: App, req: Req, Query(q): Query<ContentQuery>) -> Result<Json<Page<ContentItem>>, AppError> {
    let p = req.candidate()?;
    let scope = format!(
        "content:{}:{}:{:?}:{}",
        q.skill.as_deref().unwrap_or(""),
        q.occupation.as_deref().unwrap_or(""),
        q.status,
        p.user_id
    );
    let (limit, after) = page(&app, &scope, &PageQuery { limit: q.limit, cursor: q.cursor.clone() })?;
    let listed = content::list(&app.deps, p, &q, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const UPDATE: Route = Route {
    name: "content-update",
    method: "PUT",
    path: "/api/content/update",
    access: Platform(&EDITORS),
    summary: "Change an article or resource named by its id (its author or a platform admin; If-Match required): publishing a draft lists it; new media answers a presigned PUT",
    idempotent: false,
    grants: &[TableRead, TableWrite, ResourcesWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<ContentUpdate>),
) -> Result<Tagged<ContentSaved>, AppError> {
    let saved = content::update(&app.deps, req.candidate()?, version, input).await?;
    let v = saved.content.version;
    Ok(Tagged(saved, v))
}

pub const GET: Route = Route {
    name: "content-get",
    method: "GET",
    path: "/api/content/{id}",
    access: Platform(PEOPLE),
    summary: "One article or resource (a draft is 404 to all but its author and platform admins)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<ContentItem>, AppError> {
    let item = content::load_for(&app.deps, req.candidate()?, &uuid_id(&req, "content")?).await?;
    let v = item.version;
    Ok(Tagged(item, v))
}

pub const MEDIA: Route = Route {
    name: "content-media",
    method: "GET",
    path: "/api/content/{id}/media",
    access: Platform(PEOPLE),
    summary: "Where to download an item's media file: a presigned URL valid for five minutes (404 until it is uploaded)",
    idempotent: false,
    grants: &[TableRead, ResourcesRead],
    handler: handler!(media),
};
async fn media(app: App, req: Req, _: ()) -> Result<Json<ResourceDownload>, AppError> {
    let id = uuid_id(&req, "content")?;
    Ok(Json(content::media_download(&app.deps, req.candidate()?, &id).await?))
}
