//! `/api/offerings/*`: the catalogue of non-profits' offerings candidates browse, and enrolment.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::model::platform::{Offering, OfferingCategory};
use clearview_core::rbac::Role;
use clearview_core::services::platform;
use clearview_core::values::choice_schema;
use serde::Deserialize;

pub static ROUTES: &[Route] = &[LIST, ENROL, RESOURCE_GET];

fn category_schema() -> utoipa::openapi::schema::Object {
    choice_schema(OfferingCategory::ALL.iter().map(|c| c.slug()))
}

/// `GET /api/offerings?category=&limit=&cursor=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogueQuery {
    /// Only this category.
    #[param(schema_with = category_schema)]
    pub category: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

pub const LIST: Route = Route {
    name: "offerings-list",
    method: "GET",
    path: "/api/offerings",
    access: Platform(&Role::PLATFORM),
    summary: "Browse the non-profits' offerings, optionally one category",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, _: Req, Query(q): Query<CatalogueQuery>) -> Result<Json<Page<Offering>>, AppError> {
    let category = match q.category.as_deref() {
        None => None,
        Some(s) => Some(
            OfferingCategory::ALL
                .into_iter()
                .find(|c| c.slug() == s.trim())
                .ok_or_else(|| AppError::field("category", "must be one of the offering categories"))?,
        ),
    };
    let scope = format!("offerings:{}", category.map_or("all", |c| c.slug()));
    let (limit, after) = page(&app, &scope, &PageQuery { limit: q.limit, cursor: q.cursor })?;
    let listed = platform::catalogue(&app.deps, category, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |o| o)))
}

pub const ENROL: Route = Route {
    name: "offerings-enrol",
    method: "POST",
    path: "/api/offerings/{id}/enrol",
    access: Platform(&[Role::Candidate]),
    summary: "Enrol in an offering (candidates; enrolling again answers the same enrolment and counts once)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(enrol),
};
async fn enrol(app: App, req: Req, _: ()) -> Result<Json<platform::Enrolled>, AppError> {
    let id = uuid_id(&req, "offering")?;
    Ok(Json(platform::enrol(&app.deps, req.candidate()?, &id).await?))
}

pub const RESOURCE_GET: Route = Route {
    name: "offerings-resource-get",
    method: "GET",
    path: "/api/offerings/{id}/resources/{resourceId}",
    access: Platform(&Role::PLATFORM),
    summary: "Where to download an offering's resource: a presigned URL valid for five minutes (404 until its file is uploaded)",
    idempotent: false,
    grants: &[TableRead, ResourcesRead],
    handler: handler!(resource_get),
};
async fn resource_get(app: App, req: Req, _: ()) -> Result<Json<platform::ResourceDownload>, AppError> {
    let id = uuid_id(&req, "offering")?;
    let resource =
        req.id("resourceId", |s| clearview_core::values::JobId::parse(s).map(|_| s.to_owned()), "resource")?;
    Ok(Json(platform::resource_download(&app.deps, &id, &resource).await?))
}
