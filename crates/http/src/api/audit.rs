//! `/api/audit`: the organisation's audit trail (who, what, before and after, when, from where),
//! filtered and paged, and as a CSV export. Admins only (`audit:read`).

use super::{Page, PageQuery, page, page_of};
use crate::App;
use crate::handler;
use crate::reply::CsvText;
use crate::request::Req;
use crate::routes::{Access::*, Grant::*, Json, Query, Route};
use clearview_core::AppError;
use clearview_core::model::AuditRecord;
use clearview_core::rbac::Permission as P;
use clearview_core::services::audit_log::{self, AuditFilter};

pub static ROUTES: &[Route] = &[LIST, EXPORT];

pub const LIST: Route = Route {
    name: "audit-list",
    method: "GET",
    path: "/api/audit",
    access: Staff(Some(P::AuditRead)),
    summary: "The audit trail, newest first: by resource (type and id), actor, action and time range; each record with before/after, IP and user agent (cursor pages; a filtered page may be short and still have a cursor)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(f): Query<AuditFilter>) -> Result<Json<Page<AuditRecord>>, AppError> {
    let actor = req.actor()?;
    // The cursor is bound to the list and its filters.
    let scope = format!(
        "audit:{}:{:?}:{:?}:{:?}:{:?}:{:?}:{:?}",
        actor.org(),
        f.resource_type,
        f.resource_id,
        f.actor,
        f.action,
        f.from,
        f.to
    );
    let (limit, after) = page(&app, &scope, &PageQuery { limit: f.limit, cursor: f.cursor.clone() })?;
    let listed = audit_log::list(&app.deps, actor, &f, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const EXPORT: Route = Route {
    name: "audit-export",
    method: "GET",
    path: "/api/audit/export",
    access: Staff(Some(P::AuditRead)),
    summary: "The filtered audit trail as CSV (RFC 4180, UTF-8, a header row; before/after as JSON), newest first, at most 10,000 records",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(export),
};
async fn export(app: App, req: Req, Query(f): Query<AuditFilter>) -> Result<CsvText, AppError> {
    if f.limit.is_some() || f.cursor.is_some() {
        return Err(AppError::field("limit", "the export takes no limit or cursor: narrow the time range instead"));
    }
    Ok(CsvText(audit_log::export_csv(&app.deps, req.actor()?, &f).await?))
}
