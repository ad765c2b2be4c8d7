//! `/api/nonprofits/*`: non-profit profiles (npo users), their members and offerings.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::model::platform::{Nonprofit, Offering};
use clearview_core::rbac::Role;
use clearview_core::services::platform;

pub static ROUTES: &[Route] =
    &[CREATE, GET, UPDATE, MEMBERS_ADD, OFFERINGS_CREATE, OFFERINGS_LIST, OFFERINGS_RESOURCE_ADD, TRAINING_SEND];

const ANY_PLATFORM: &[Role] = &Role::PLATFORM;

pub const CREATE: Route = Route {
    name: "nonprofits-create",
    method: "POST",
    path: "/api/nonprofits",
    access: Platform(&[Role::Npo]),
    summary: "Create a non-profit profile (npo role): status PENDING until it has an offering",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<platform::NonprofitInput>,
) -> Result<Created<Nonprofit>, AppError> {
    let n = platform::create_nonprofit(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/nonprofits/{}", n.id), Some(n.version));
    Ok(Created { body: n, location, version })
}

pub const GET: Route = Route {
    name: "nonprofits-get",
    method: "GET",
    path: "/api/nonprofits/{id}",
    access: Platform(ANY_PLATFORM),
    summary: "A non-profit: its profile, status, members, community and leader",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<Nonprofit>, AppError> {
    let n = platform::load_nonprofit(&app.deps, &uuid_id(&req, "non-profit")?).await?;
    let v = n.version;
    Ok(Tagged(n, v))
}

pub const UPDATE: Route = Route {
    name: "nonprofits-update",
    method: "PUT",
    path: "/api/nonprofits/{id}",
    access: Platform(&[Role::Npo]),
    summary: "Replace a non-profit's profile (members only; If-Match required)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<platform::NonprofitInput>),
) -> Result<Tagged<Nonprofit>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let n = platform::update_nonprofit(&app.deps, req.candidate()?, &id, version, input).await?;
    let v = n.version;
    Ok(Tagged(n, v))
}

pub const MEMBERS_ADD: Route = Route {
    name: "nonprofits-members-add",
    method: "POST",
    path: "/api/nonprofits/{id}/members",
    access: Platform(&[Role::Npo]),
    summary: "Add another npo user as a member (the creator only; adding a member twice changes nothing)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(members_add),
};
async fn members_add(
    app: App,
    req: Req,
    Json(input): Json<platform::MemberInput>,
) -> Result<Tagged<Nonprofit>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let n = platform::add_member(&app.deps, req.candidate()?, &id, input).await?;
    let v = n.version;
    Ok(Tagged(n, v))
}

pub const OFFERINGS_CREATE: Route = Route {
    name: "nonprofits-offerings-create",
    method: "POST",
    path: "/api/nonprofits/{id}/offerings",
    access: Platform(&[Role::Npo]),
    summary: "Create an offering (members only): its category decides the fields of its document; publishes offering.created, which completes a PENDING non-profit's onboarding and assigns it a community leader",
    idempotent: true,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(offerings_create),
};
async fn offerings_create(
    app: App,
    req: Req,
    Json(input): Json<platform::OfferingInput>,
) -> Result<Created<Offering>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let o = platform::create_offering(&app.deps, req.candidate()?, &id, input).await?;
    let (location, version) = (format!("/api/nonprofits/{id}/offerings"), Some(o.version));
    Ok(Created { body: o, location, version })
}

pub const OFFERINGS_LIST: Route = Route {
    name: "nonprofits-offerings-list",
    method: "GET",
    path: "/api/nonprofits/{id}/offerings",
    access: Platform(ANY_PLATFORM),
    summary: "A non-profit's offerings",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(offerings_list),
};
async fn offerings_list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Offering>>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let scope = format!("npo-offerings:{id}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = platform::nonprofit_offerings(&app.deps, &id, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |o| o)))
}

pub const OFFERINGS_RESOURCE_ADD: Route = Route {
    name: "nonprofits-offerings-resource-add",
    method: "POST",
    path: "/api/nonprofits/{id}/offerings/{offeringId}/resources",
    access: Platform(&[Role::Npo]),
    summary: "Add a downloadable resource to an offering (members only): answers the resource and a presigned PUT for its file (15 minutes, 20 MB at most)",
    idempotent: true,
    grants: &[TableRead, TableWrite, ResourcesWrite],
    handler: handler!(resource_add),
};
async fn resource_add(
    app: App,
    req: Req,
    Json(input): Json<platform::ResourceInput>,
) -> Result<Created<platform::ResourceUpload>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let offering =
        req.id("offeringId", |s| clearview_core::values::JobId::parse(s).map(|_| s.to_owned()), "offering")?;
    let r = platform::add_resource(&app.deps, req.candidate()?, &id, &offering, input).await?;
    let location = format!("/api/offerings/{offering}/resources/{}", r.resource.id);
    Ok(Created { body: r, location, version: None })
}

pub const TRAINING_SEND: Route = Route {
    name: "nonprofits-training-send",
    method: "POST",
    path: "/api/nonprofits/{id}/training",
    access: Platform(&[Role::CommunityLeader]),
    summary: "The non-profit's community leader sends role-based training to its members by email (202: the platform manager mails each member once)",
    idempotent: true,
    grants: &[TableRead, PublishEvents],
    handler: handler!(training_send),
};
async fn training_send(
    app: App,
    req: Req,
    Json(input): Json<platform::TrainingInput>,
) -> Result<crate::routes::Accepted<platform::TrainingSent>, AppError> {
    let id = uuid_id(&req, "non-profit")?;
    let sent = platform::send_training(&app.deps, req.candidate()?, &id, input).await?;
    Ok(crate::routes::Accepted(sent, None))
}
