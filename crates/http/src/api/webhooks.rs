//! `/api/webhooks/*`: outbound webhook subscriptions (signed deliveries of the organisation's
//! events to its own systems) and each subscription's delivery log. Admins only
//! (`integrations:manage`): a subscription sends candidate data to another system.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Created, Grant::*, Json, NoContent, Query, Route};
use clearview_core::AppError;
use clearview_core::model::webhook::WebhookAttempt;
use clearview_core::rbac::Permission as P;
use clearview_core::services::webhooks::{self, WebhookCreated, WebhookInput, Webhooks};

pub static ROUTES: &[Route] = &[LIST, CREATE, DELETE, DELIVERIES];

pub const LIST: Route = Route {
    name: "webhooks-list",
    method: "GET",
    path: "/api/webhooks",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "The organisation's webhook subscriptions (URL, event types; never the secret)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<Webhooks>, AppError> {
    Ok(Json(webhooks::list(&app.deps, req.actor()?).await?))
}

pub const CREATE: Route = Route {
    name: "webhooks-create",
    method: "POST",
    path: "/api/webhooks",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Subscribe a URL to event types (application.created, application.stage_changed, application.hired, interview.scheduled, interview.cancelled, job.published, candidate.erased): answers the signing secret once, and a ping is delivered at once",
    idempotent: true,
    grants: &[TableRead, TableWrite, SendQueue("webhooks"), SealingKey],
    handler: handler!(create),
};
async fn create(app: App, req: Req, Json(input): Json<WebhookInput>) -> Result<Created<WebhookCreated>, AppError> {
    let w = webhooks::create(&app.deps, req.actor()?, input).await?;
    let (location, version) = (format!("/api/webhooks/{}", w.id), Some(w.version));
    Ok(Created { body: w, location, version })
}

pub const DELETE: Route = Route {
    name: "webhooks-delete",
    method: "DELETE",
    path: "/api/webhooks/{id}",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Remove a webhook subscription: nothing more is delivered to it (its log expires after 30 days)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    webhooks::delete(&app.deps, req.actor()?, &uuid_id(&req, "webhook")?).await?;
    Ok(NoContent)
}

pub const DELIVERIES: Route = Route {
    name: "webhooks-deliveries",
    method: "GET",
    path: "/api/webhooks/{id}/deliveries",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "A subscription's delivery log, newest first: each attempt's time, HTTP status, latency, the start of the answer, and whether it was delivered, will be retried (when) or was dead-lettered",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(deliveries),
};
async fn deliveries(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<WebhookAttempt>>, AppError> {
    let actor = req.actor()?;
    let id = uuid_id(&req, "webhook")?;
    let scope = format!("webhook-deliveries:{}:{id}", actor.org());
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = webhooks::deliveries(&app.deps, actor, &id, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |a| a)))
}
