//! The audit trail: who changed what, before and after, when. Written in the same transaction as
//! the change it records.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::OrgId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// The acting user's id (`system` for automated work).
    pub actor_id: String,
    pub actor_email: Option<String>,
    /// `job.create`, `user.role_change` …
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// The resource before the change (null when it was created).
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The resource after the change (null when it was deleted).
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The caller's address (none for automated work).
    #[serde(default)]
    pub ip: Option<String>,
    /// The caller's user agent.
    #[serde(default)]
    pub user_agent: Option<String>,
}

impl AuditRecord {
    fn sort_key(&self) -> String {
        let at = self.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        format!("{at}#{}", self.id)
    }
}

impl Record for AuditRecord {
    const ENTITY: &'static str = "Audit";
    fn key(&self) -> Key {
        let at = self.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        keys::audit(&self.org_id, &at, &self.id)
    }
    /// The records of one resource, by time.
    fn gsi1(&self) -> Option<Key> {
        Some(Key::new(keys::audit_by_target_pk(&self.org_id, &self.target_type, &self.target_id), self.sort_key()))
    }
    /// The records of one actor, by time.
    fn gsi2(&self) -> Option<Key> {
        Some(Key::new(keys::audit_by_actor_pk(&self.org_id, &self.actor_id), self.sort_key()))
    }
    fn version(&self) -> u64 {
        1
    }
}
