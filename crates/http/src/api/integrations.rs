//! `/api/integrations/*`: the organisation's integrations (job boards, ATSs, email, calendars,
//! background checks; credentials sealed, never returned) for admins (`integrations:manage`),
//! and the public, signed inbound webhook through which a job board posts applications.

use super::uuid_id;
use crate::App;
use crate::extract::FromRequest;
use crate::handler;
use crate::request::Req;
use crate::routes::Accepted;
use crate::routes::{
    Access::*, Created, Defs, Grant::*, Json, NoContent, OperationDoc, OptionalIfMatch, Route, Tagged,
};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::integrations::{
    self, DELIVERY_HEADER, InboundAccepted, InboundApplication, IntegrationCreated, IntegrationInput,
    IntegrationStatus, IntegrationView, Integrations, SIGNATURE_HEADER, SyncQueued,
};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

pub static ROUTES: &[Route] = &[LIST, CREATE, UPDATE, DELETE, SYNC, STATUS, INBOUND];

pub const LIST: Route = Route {
    name: "integrations-list",
    method: "GET",
    path: "/api/integrations",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "The organisation's integrations (type, provider, settings, whether credentials are stored; never the credentials)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<Integrations>, AppError> {
    Ok(Json(integrations::list(&app.deps, req.actor()?).await?))
}

pub const CREATE: Route = Route {
    name: "integrations-create",
    method: "POST",
    path: "/api/integrations",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Add an integration (job_board, ats, email, calendar or background_check): credentials are sealed and never shown again; a job board's answer holds its inbound-webhook signing secret, shown once",
    idempotent: true,
    grants: &[TableRead, TableWrite, IntegrationSecretsWrite],
    handler: handler!(create),
};
async fn create(
    app: App,
    req: Req,
    Json(input): Json<IntegrationInput>,
) -> Result<Created<IntegrationCreated>, AppError> {
    let i = integrations::create(&app.deps, req.actor()?, input).await?;
    let (location, version) = (format!("/api/integrations/{}", i.integration.id), Some(i.integration.version));
    Ok(Created { body: i, location, version })
}

pub const UPDATE: Route = Route {
    name: "integrations-update",
    method: "PUT",
    path: "/api/integrations/{id}",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Replace an integration's name, provider, settings and switch (its type stays); credentials when given, else the stored ones stay",
    idempotent: false,
    grants: &[TableRead, TableWrite, IntegrationSecretsWrite],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<IntegrationInput>),
) -> Result<Tagged<IntegrationView>, AppError> {
    let id = uuid_id(&req, "integration")?;
    let v = integrations::update(&app.deps, req.actor()?, &id, input, version).await?;
    let version = v.version;
    Ok(Tagged(v, version))
}

pub const DELETE: Route = Route {
    name: "integrations-delete",
    method: "DELETE",
    path: "/api/integrations/{id}",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Remove an integration and its sealed credentials; a job board's inbound webhook then answers 404",
    idempotent: false,
    grants: &[TableRead, TableWrite, IntegrationSecretsWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    integrations::delete(&app.deps, req.actor()?, &uuid_id(&req, "integration")?).await?;
    Ok(NoContent)
}

pub const SYNC: Route = Route {
    name: "integrations-sync",
    method: "POST",
    path: "/api/integrations/{id}/sync",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "Sync an integration now: 202 with the run queued; the integration-sync consumer records a job board's state per job and the run's outcome (see the status route). Other types record a skipped run",
    idempotent: false,
    grants: &[TableRead, SendQueue("integration-sync")],
    handler: handler!(sync),
};
async fn sync(app: App, req: Req, _: ()) -> Result<Accepted<SyncQueued>, AppError> {
    let q = integrations::request_sync(&app.deps, req.actor()?, &uuid_id(&req, "integration")?).await?;
    Ok(Accepted(q, None))
}

pub const STATUS: Route = Route {
    name: "integrations-status",
    method: "GET",
    path: "/api/integrations/{id}/status",
    access: Staff(Some(P::IntegrationsManage)),
    summary: "An integration's last 10 sync runs (trigger, outcome, counts, error) and, for a job board, each job's state on it (pending, active, paused, failed with the reason)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(status),
};
async fn status(app: App, req: Req, _: ()) -> Result<Json<IntegrationStatus>, AppError> {
    Ok(Json(integrations::status(&app.deps, req.actor()?, &uuid_id(&req, "integration")?).await?))
}

/// A JSON body signed by a job board: the body as `T`, with the signature and delivery id
/// headers (checked by the service against the raw bytes).
pub struct Signed<T>(pub T);

impl<T: serde::de::DeserializeOwned + utoipa::ToSchema> FromRequest for Signed<T> {
    const BODY: Option<crate::extract::BodySpec> = <Json<T> as FromRequest>::BODY;
    fn from_request(req: &Req) -> Result<Self, AppError> {
        Json::<T>::from_request(req).map(|Json(t)| Signed(t))
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        <Json<T> as FromRequest>::describe(doc, defs);
        let header = |name: &str, why: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(utoipa::openapi::Required::True)
                .description(Some(why.to_owned()))
                .schema(Some(RefOr::T(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(512))
                        .build()
                        .into(),
                )))
                .build()
        };
        doc.params.push(header(
            SIGNATURE_HEADER,
            "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" keyed with the integration's inbound secret>",
        ));
        doc.params.push(header(
            DELIVERY_HEADER,
            "a unique id per delivery (1 to 128 visible ASCII characters); a repeat inside 5 minutes answers 409",
        ));
        doc.errors.extend([
            (401, "the signature is missing, does not match the body, or its timestamp is more than 5 minutes off"),
            (409, "this delivery id was already received (a replay), or the candidate already applied to the job"),
        ]);
    }
}

pub const INBOUND: Route = Route {
    name: "integrations-inbound",
    method: "POST",
    path: "/api/integrations/{id}/inbound",
    access: Public,
    summary: "A job board posts an application (signed: HMAC-SHA256 over the timestamp and body, a 5-minute replay window): the candidate (found by email in the organisation, or created) and the application, sourced from the board. A bad signature is 401, a replayed delivery 409; both are logged",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents, IntegrationSecretsRead],
    handler: handler!(inbound),
};
async fn inbound(
    app: App,
    req: Req,
    Signed(input): Signed<InboundApplication>,
) -> Result<Created<InboundAccepted>, AppError> {
    let id = req.path("id")?.to_owned();
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let accepted =
        integrations::inbound(&app.deps, &id, header(SIGNATURE_HEADER), header(DELIVERY_HEADER), &req.body, input)
            .await?;
    let location = format!("/api/applications/{}", accepted.application_id);
    Ok(Created { body: accepted, location, version: None })
}
