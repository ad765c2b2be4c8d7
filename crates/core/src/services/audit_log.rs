//! `GET /api/audit` and its CSV export: the organisation's audit trail for those who hold
//! `audit:read` (admins). Each record says who did what to which resource, before and after,
//! when, from which address and user agent.
//!
//! Every read is a Query on one key range: a resource's records (gsi1), an actor's (gsi2) or the
//! organisation's (the table), newest first, within the time range. Action and resource-type
//! filters apply to what that Query reads, so a filtered page may hold fewer records than asked
//! for and still carry a cursor, as DynamoDB's filter expressions do.

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::AuditRecord;
use crate::ports::Deps;
use crate::ports::store::{Index, PageToken, Query};
use crate::record;
use crate::values::Checks;
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most records one export holds (narrow the range for more).
pub const MAX_EXPORT: usize = 10_000;

/// The filters (query parameters of both routes).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Page size (default 25; the list only).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page (the list only).
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
    /// `job`, `application`, `user` … (with `resourceId`: one resource's records).
    #[param(max_length = 40)]
    pub resource_type: Option<String>,
    /// Needs `resourceType`.
    #[param(max_length = 100)]
    pub resource_id: Option<String>,
    /// A user id (`system` for automated work).
    #[param(max_length = 100)]
    pub actor: Option<String>,
    /// `job.create`, `user.role_change` … (exact).
    #[param(max_length = 60)]
    pub action: Option<String>,
    /// From this instant (RFC 3339, inclusive).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Until this instant (RFC 3339, inclusive).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
}

fn instant(c: &mut Checks, field: &str, v: &Option<String>) -> Option<OffsetDateTime> {
    let v = v.as_deref()?.trim();
    match OffsetDateTime::parse(v, &Rfc3339) {
        Ok(t) => Some(t),
        Err(_) => {
            c.push(field, "must be an RFC 3339 instant such as 2026-11-29T12:00:00Z");
            None
        }
    }
}

fn short(c: &mut Checks, field: &str, v: &Option<String>, max: usize) -> Option<String> {
    let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max || v.contains('#') {
        c.push(field, format!("at most {max} characters, without #"));
        return None;
    }
    Some(v.to_owned())
}

/// The Query a filter reads, and the filters left to apply to what it reads.
fn plan(actor: &Actor, f: &AuditFilter) -> AppResult<(Query, Option<String>, Option<String>)> {
    let mut c = Checks::default();
    let rtype = short(&mut c, "resourceType", &f.resource_type, 40);
    let rid = short(&mut c, "resourceId", &f.resource_id, 100);
    let who = short(&mut c, "actor", &f.actor, 100);
    let action = short(&mut c, "action", &f.action, 60);
    let from = instant(&mut c, "from", &f.from);
    let to = instant(&mut c, "to", &f.to);
    if rid.is_some() && rtype.is_none() {
        c.push("resourceId", "needs resourceType");
    }
    if rid.is_some() && who.is_some() {
        c.push("actor", "filter by a resource or by an actor, not both");
    }
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        c.push("to", "is before from");
    }
    c.finish()?;
    let low = from.map(|t| t.format(&Rfc3339).unwrap_or_default()).unwrap_or_default();
    let high = to.map(|t| format!("{}#~", t.format(&Rfc3339).unwrap_or_default())).unwrap_or_else(|| "~".into());
    let org = actor.org();
    let (q, type_filter) = match (&rtype, &rid, &who) {
        (Some(t), Some(id), _) => (Query::index(Index::Gsi1, keys::audit_by_target_pk(org, t, id)), None),
        (_, _, Some(w)) => (Query::index(Index::Gsi2, keys::audit_by_actor_pk(org, w)), rtype.clone()),
        _ => (Query::table(keys::audit_pk(org)), rtype.clone()),
    };
    Ok((q.between(low, high).descending(), type_filter, action))
}

fn keep(r: &AuditRecord, rtype: &Option<String>, action: &Option<String>) -> bool {
    rtype.as_ref().is_none_or(|t| &r.target_type == t) && action.as_ref().is_none_or(|a| &r.action == a)
}

pub async fn list(
    deps: &Deps,
    actor: &Actor,
    f: &AuditFilter,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<AuditRecord>> {
    let (q, rtype, action) = plan(actor, f)?;
    let (items, page) = record::query::<AuditRecord>(deps.store.as_ref(), &q.limit(limit).after(after)).await?;
    Ok(Listed { items: items.into_iter().filter(|r| keep(r, &rtype, &action)).collect(), next: page.next })
}

/// The filtered records as RFC 4180 CSV (UTF-8, a header row, one row per record; before and
/// after as JSON), newest first, at most [`MAX_EXPORT`] records.
pub async fn export_csv(deps: &Deps, actor: &Actor, f: &AuditFilter) -> AppResult<String> {
    let (q, rtype, action) = plan(actor, f)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "at",
        "id",
        "actorId",
        "actorEmail",
        "action",
        "resourceType",
        "resourceId",
        "ip",
        "userAgent",
        "before",
        "after",
    ];
    w.write_record(header).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut after = None;
    let mut rows = 0;
    'pages: loop {
        let (items, page) =
            record::query::<AuditRecord>(deps.store.as_ref(), &q.clone().limit(500).after(after)).await?;
        for r in items.into_iter().filter(|r| keep(r, &rtype, &action)) {
            if rows == MAX_EXPORT {
                break 'pages;
            }
            let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
            w.write_record([
                r.at.format(&Rfc3339).unwrap_or_default(),
                r.id.clone(),
                r.actor_id.clone(),
                r.actor_email.clone().unwrap_or_default(),
                r.action.clone(),
                r.target_type.clone(),
                r.target_id.clone(),
                r.ip.clone().unwrap_or_default(),
                r.user_agent.clone().unwrap_or_default(),
                json(&r.before),
                json(&r.after),
            ])
            .map_err(|e| AppError::Internal(e.to_string()))?;
            rows += 1;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let bytes = w.into_inner().map_err(|e| AppError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
}
