//! `/api/settings/*`: organisation settings (`system_settings`), one validated value per known
//! key with a public flag; admins read and write them (audited), anyone reads the public ones.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, OptionalIfMatch, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::settings::{self, PublicSettings, Setting, SettingInput, Settings};
use clearview_core::values::OrgId;

pub static ROUTES: &[Route] = &[LIST, PUT, PUBLIC];

pub const LIST: Route = Route {
    name: "settings-list",
    method: "GET",
    path: "/api/settings",
    access: Staff(Some(P::SettingsManage)),
    summary: "Your organisation's settings and the keys it may set (reveal stage, default screening thresholds, retention rules, notices)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<Settings>, AppError> {
    Ok(Json(settings::list(&app.deps, req.actor()?).await?))
}

pub const PUT: Route = Route {
    name: "settings-put",
    method: "PUT",
    path: "/api/settings/{key}",
    access: Staff(Some(P::SettingsManage)),
    summary: "Set one setting (validated by its key's rule; If-Match optional; audited with before and after)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(put),
};
async fn put(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<SettingInput>),
) -> Result<Tagged<Setting>, AppError> {
    let s = settings::put(&app.deps, req.actor()?, req.path("key")?, version, input).await?;
    let v = s.version;
    Ok(Tagged(s, v))
}

pub const PUBLIC: Route = Route {
    name: "settings-public",
    method: "GET",
    path: "/api/settings/public/{orgId}",
    access: Public,
    summary: "An organisation's public settings (its notices to candidates, its retention rules)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(public),
};
async fn public(app: App, req: Req, _: ()) -> Result<Json<PublicSettings>, AppError> {
    let org = req.id("orgId", OrgId::parse, "organisation")?;
    Ok(Json(settings::public(&app.deps, &org).await?))
}
