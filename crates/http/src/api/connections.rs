//! `/api/network/connect` and `/api/network/connections/*`: asking someone on the platform to
//! connect, their accept or decline, a block, and the caller's list. An unknown id and a person
//! who blocked the caller answer the same 404.

use super::{Page, PageQuery, page, page_of, user_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, NoContent, Query, Route};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::connections::{self, Answer, ConnectInput, Connection};

pub static ROUTES: &[Route] = &[CONNECT, LIST, ACCEPT, DECLINE, BLOCK];

/// Everyone who signs in outside an employer: candidates and the platform's roles.
const PEOPLE: &[Role] = &Role::PLATFORM;

pub const CONNECT: Route = Route {
    name: "network-connect",
    method: "POST",
    path: "/api/network/connect",
    access: Platform(PEOPLE),
    summary: "Ask someone on the platform to connect (one pending request per pair: asking again answers the same request; 404 for an unknown id and for a person who blocked you alike; 409 request-waiting when they asked you first)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(connect),
};
async fn connect(app: App, req: Req, Json(input): Json<ConnectInput>) -> Result<Created<Connection>, AppError> {
    let c = connections::connect(&app.deps, &req.candidate()?.user_id, input).await?;
    Ok(Created { body: c, location: "/api/network/connections".into(), version: None })
}

pub const LIST: Route = Route {
    name: "network-connections",
    method: "GET",
    path: "/api/network/connections",
    access: Platform(PEOPLE),
    summary: "Your connections, requests you sent (requested), requests to you (incoming) and people you blocked",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Connection>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("connections:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = connections::list(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const ACCEPT: Route = Route {
    name: "network-connection-accept",
    method: "POST",
    path: "/api/network/connections/{userId}/accept",
    access: Platform(PEOPLE),
    summary: "Accept a person's pending request to connect with you (404 when there is none)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(accept),
};
async fn accept(app: App, req: Req, _: ()) -> Result<Json<Connection>, AppError> {
    let other = user_id(&req, "userId")?;
    let me = &req.candidate()?.user_id;
    connections::answer(&app.deps, me, &other, Answer::Accept)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("connection request"))
}

pub const DECLINE: Route = Route {
    name: "network-connection-decline",
    method: "POST",
    path: "/api/network/connections/{userId}/decline",
    access: Platform(PEOPLE),
    summary: "Decline a person's pending request to connect with you; it leaves both lists (404 when there is none)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(decline),
};
async fn decline(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    let other = user_id(&req, "userId")?;
    connections::answer(&app.deps, &req.candidate()?.user_id, &other, Answer::Decline).await?;
    Ok(NoContent)
}

pub const BLOCK: Route = Route {
    name: "network-connection-block",
    method: "POST",
    path: "/api/network/connections/{userId}/block",
    access: Platform(PEOPLE),
    summary: "Block a person: any request or connection between you ends and their further requests answer 404, as for an unknown id",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(block),
};
async fn block(app: App, req: Req, _: ()) -> Result<Json<Connection>, AppError> {
    let other = user_id(&req, "userId")?;
    Ok(Json(connections::block(&app.deps, &req.candidate()?.user_id, &other).await?))
}
