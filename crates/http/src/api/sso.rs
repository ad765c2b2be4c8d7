//! `/api/sso`: an organisation's own identity provider (SAML or OIDC) for its staff's single
//! sign-on through the hosted UI; admins connect, change and disconnect it (audited). The first
//! sign-in through it joins the organisation: `POST /api/auth/sso/join` (in `auth.rs`).

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, IfMatchToReplace, Json, NoContent, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::sso::{self, SsoConnection, SsoInput};

pub static ROUTES: &[Route] = &[GET, PUT, DELETE];

/// Creating the pool's provider and offering it on the app client (which must be read whole
/// to be updated), or removing it.
const PROVIDER_ADMIN: &[&str] = &[
    "CreateIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
];

pub const GET: Route = Route {
    name: "sso-get",
    method: "GET",
    path: "/api/sso",
    access: Staff(Some(P::SettingsManage)),
    summary: "Your organisation's single sign-on connection (its identity provider, domains and the role a first sign-in gets)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<SsoConnection>, AppError> {
    let c = sso::get(&app.deps, req.actor()?).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}

pub const PUT: Route = Route {
    name: "sso-put",
    method: "PUT",
    path: "/api/sso",
    access: Staff(Some(P::SettingsManage)),
    summary: "Connect or change your organisation's identity provider (SAML metadata URL, or OIDC issuer, client id and secret) and the email domains it signs in; If-Match when one exists; audited",
    idempotent: false,
    grants: &[TableRead, TableWrite, UserPoolAdmin(PROVIDER_ADMIN)],
    handler: handler!(put),
};
async fn put(
    app: App,
    req: Req,
    (IfMatchToReplace(version), Json(input)): (IfMatchToReplace, Json<SsoInput>),
) -> Result<Tagged<SsoConnection>, AppError> {
    let c = sso::put(&app.deps, req.actor()?, version, input).await?;
    let v = c.version;
    Ok(Tagged(c, v))
}

pub const DELETE: Route = Route {
    name: "sso-delete",
    method: "DELETE",
    path: "/api/sso",
    access: Staff(Some(P::SettingsManage)),
    summary: "Disconnect your organisation's identity provider (people who joined through it keep their accounts); audited",
    idempotent: false,
    grants: &[TableRead, TableWrite, UserPoolAdmin(PROVIDER_ADMIN)],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    sso::delete(&app.deps, req.actor()?).await?;
    Ok(NoContent)
}
