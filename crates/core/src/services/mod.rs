//! Use cases: each takes the ports it needs through [`crate::Deps`] and, for staff routes, the
//! authorised [`Actor`]. Inputs arrive as loosely typed DTOs and are parsed into value types here,
//! collecting every field error at once.

pub mod ai_models;
pub mod analytics;
pub mod applications;
pub mod audit_log;
pub mod auth;
pub mod availability;
pub mod candidates;
pub mod careers;
pub mod communities;
pub mod connections;
pub mod content;
pub mod criteria;
pub mod email_templates;
pub mod employers;
pub mod events;
pub mod experience;
pub mod integrations;
pub mod interview_feedback;
pub mod interviews;
pub mod job_alerts;
pub mod job_import;
pub mod job_templates;
pub mod job_versions;
pub mod jobs;
pub mod learning;
pub mod market;
pub mod messages;
pub mod network;
pub mod onboarding;
pub mod parsed_resume;
pub mod pipeline;
pub mod platform;
pub mod privacy;
pub mod reminders;
pub mod report_schedules;
pub mod reports;
pub mod retention;
pub mod review;
pub mod settings;
pub mod sso;
pub mod talent;
pub mod users;
pub mod webhooks;

use crate::error::{AppError, AppResult};
use crate::model::{AuditRecord, User, UserStatus};
use crate::ports::Deps;
use crate::ports::store::{Condition, PageToken, StoreError, TxWrite};
use crate::principal::Principal;
use crate::rbac::{self, Permission};
use crate::record::{self, Record};
use crate::{keys, values::OrgId};
use serde::Serialize;
use std::collections::BTreeSet;

/// A signed-in staff member, loaded from the store on every request so that a role change, a
/// permission override or a removal takes effect at once, not when the token expires.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub permissions: BTreeSet<Permission>,
}

impl Actor {
    pub fn org(&self) -> &OrgId {
        &self.user.org_id
    }
    pub fn can(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }
    /// An employer id from a path (`/api/employers/{id}/…`) must be the caller's own: the
    /// tenant comes from the token, and another tenant's id is simply not found.
    pub fn own_org(&self, org_in_path: &str) -> AppResult<()> {
        if org_in_path == self.org().as_str() { Ok(()) } else { Err(AppError::NotFound("employer")) }
    }
}

/// Who is calling a route open to both staff and candidates.
#[derive(Debug, Clone)]
pub enum Caller {
    Staff(Actor),
    Candidate(Principal),
}

impl Caller {
    pub fn id(&self) -> &crate::values::UserId {
        match self {
            Caller::Staff(a) => &a.user.id,
            Caller::Candidate(p) => &p.user_id,
        }
    }
}

/// Resolves the caller to a staff member of its tenant and checks `needed`.
pub async fn authorize(deps: &Deps, principal: &Principal, needed: Option<Permission>) -> AppResult<Actor> {
    let not_staff = || AppError::Forbidden("this route is for employer staff accounts".into());
    let org = principal.org_id.as_ref().ok_or_else(not_staff)?;
    let user: User =
        record::get(deps.store.as_ref(), &keys::user(org, &principal.user_id)).await?.ok_or_else(not_staff)?;
    if user.status == UserStatus::Disabled {
        return Err(AppError::Forbidden("this account has been removed".into()));
    }
    let permissions = rbac::effective(user.role, &user.overrides);
    if let Some(p) = needed
        && !permissions.contains(&p)
    {
        return Err(AppError::Forbidden(format!("your role ({}) does not allow {p}", user.role)));
    }
    Ok(Actor { user, permissions })
}

/// Serialises a before/after snapshot for the audit trail.
pub fn snapshot<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// Who made a change, for the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub id: &'a str,
    pub email: Option<&'a str>,
}

/// What a change did, for the audit trail.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The audit record of a change, to write in the same transaction as the change.
pub fn audit_write(deps: &Deps, who: Who<'_>, org: &OrgId, change: Change<'_>) -> AppResult<TxWrite> {
    let rec = AuditRecord {
        id: deps.ids.new_id().to_string(),
        org_id: org.clone(),
        actor_id: who.id.to_owned(),
        actor_email: who.email.map(str::to_owned),
        action: change.action.to_owned(),
        target_type: change.target_type.to_owned(),
        target_id: change.target_id.to_owned(),
        before: change.before,
        after: change.after,
        at: deps.clock.now(),
        ip: None,
        user_agent: None,
    };
    let rec = match crate::context::current() {
        Some(c) => AuditRecord { ip: c.ip, user_agent: c.user_agent, ..rec },
        None => rec,
    };
    Ok(rec.tx_put("audit", Condition::NotExists)?)
}

/// Writes `after` over `before` only if `before` is still the stored version, together with the
/// audit record of the change; a lost race answers like a stale If-Match (412).
pub async fn save_versioned<R: Record>(
    deps: &Deps,
    who: Who<'_>,
    org: &OrgId,
    action: &str,
    target: (&str, &str),
    before: &R,
    after: &R,
) -> AppResult<()> {
    save_versioned_with(deps, who, org, action, target, before, after, Vec::new()).await
}

/// [`save_versioned`], with `extra` writes in the same transaction (a history entry, a copy).
#[allow(clippy::too_many_arguments)]
pub async fn save_versioned_with<R: Record>(
    deps: &Deps,
    who: Who<'_>,
    org: &OrgId,
    action: &str,
    target: (&str, &str),
    before: &R,
    after: &R,
    extra: Vec<TxWrite>,
) -> AppResult<()> {
    let audit = audit_write(
        deps,
        who,
        org,
        Change {
            action,
            target_type: target.0,
            target_id: target.1,
            before: Some(snapshot(before)?),
            after: Some(snapshot(after)?),
        },
    )?;
    let mut writes = vec![after.tx_put("version", Condition::VersionIs(before.version()))?, audit];
    writes.extend(extra);
    deps.store.transact(writes).await.map_err(lost_update(before.version()))
}

impl Actor {
    pub fn who(&self) -> Who<'_> {
        Who { id: self.user.id.as_str(), email: Some(self.user.email.as_str()) }
    }
    /// The audit write for a change this actor made.
    pub fn audit(&self, deps: &Deps, change: Change<'_>) -> AppResult<TxWrite> {
        audit_write(deps, self.who(), self.org(), change)
    }
}

/// One page of a list, with where to resume.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next: Option<PageToken>,
}

/// Compares a client's If-Match version with the stored one.
pub fn check_version(expected: Option<u64>, current: u64, required: bool) -> AppResult<()> {
    match expected {
        Some(e) if e != current => Err(AppError::PreconditionFailed { expected: e, current }),
        None if required => Err(AppError::PreconditionRequired(
            "send If-Match with the ETag from your last read, so a concurrent change is not overwritten".into(),
        )),
        _ => Ok(()),
    }
}

/// A conditional write lost a race with another writer between this request's read and its
/// write: 409, whether or not the client sent If-Match (its If-Match, if any, matched the read).
pub fn lost_update(read: u64) -> impl FnOnce(StoreError) -> AppError {
    move |e| {
        let changed = |now: Option<u64>| {
            let now = now.map(|v| format!(" (now version {v})")).unwrap_or_default();
            AppError::conflict(
                "concurrent-update",
                format!("it changed while this request ran, from version {read}{now}: read it again and retry"),
            )
        };
        match e {
            StoreError::ConditionFailed { current } => changed(current.map(|c| c.version)),
            StoreError::TransactionCanceled { ref failed } if failed.iter().any(|l| l == "version") => changed(None),
            other => other.into(),
        }
    }
}

#[cfg(test)]
mod api_types_tests;

/// Every record of a sharded due queue (gsi1, one partition per shard) whose sort key is at most
/// `upper`, shard by shard, page by page: what a schedule reads of what has come due.
pub(crate) async fn due_in_shards<R: Record>(
    deps: &Deps,
    shards: &[char],
    pk: fn(char) -> String,
    upper: &str,
) -> AppResult<Vec<R>> {
    let mut out = Vec::new();
    for shard in shards {
        let mut after = None;
        loop {
            let q = crate::ports::store::Query::index(crate::ports::store::Index::Gsi1, pk(*shard))
                .between(String::new(), upper.to_owned())
                .limit(100)
                .after(after);
            let (items, page) = record::query::<R>(deps.store.as_ref(), &q).await?;
            out.extend(items);
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    Ok(out)
}
