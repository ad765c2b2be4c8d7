//! `/api/email-templates/*`: the organisation's own wording of the candidate emails.

use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, NoContent, OptionalIfMatch, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Permission as P;
use clearview_core::services::email_templates::{self, EmailTemplate, Templates};

pub static ROUTES: &[Route] = &[LIST, PUT, DELETE];

pub const LIST: Route = Route {
    name: "email-templates-list",
    method: "GET",
    path: "/api/email-templates",
    access: Staff(Some(P::EmailTemplatesManage)),
    summary: "The organisation's overrides of the candidate emails, the kinds that may be overridden and the variables a template may use",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, _: ()) -> Result<Json<Templates>, AppError> {
    Ok(Json(email_templates::list(&app.deps, req.actor()?).await?))
}

pub const PUT: Route = Route {
    name: "email-templates-put",
    method: "PUT",
    path: "/api/email-templates/{kind}",
    access: Staff(Some(P::EmailTemplatesManage)),
    summary: "Word one candidate email your own way (MiniJinja syntax over candidateName, jobTitle, stageName, companyName; checked when saved; audited)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(put),
};
async fn put(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<email_templates::TemplateInput>),
) -> Result<Tagged<EmailTemplate>, AppError> {
    let t = email_templates::put(&app.deps, req.actor()?, req.path("kind")?, version, input).await?;
    let v = t.version;
    Ok(Tagged(t, v))
}

pub const DELETE: Route = Route {
    name: "email-templates-delete",
    method: "DELETE",
    path: "/api/email-templates/{kind}",
    access: Staff(Some(P::EmailTemplatesManage)),
    summary: "Go back to the default wording of one candidate email (audited)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(delete),
};
async fn delete(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    email_templates::delete(&app.deps, req.actor()?, req.path("kind")?).await?;
    Ok(NoContent)
}
