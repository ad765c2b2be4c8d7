//! A follow-up reminder a staff member sets on an application (employer use case 12): emailed
//! to them when due by the `follow-up-reminders` schedule.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reminder {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub application_id: String,
    #[schema(value_type = String)]
    pub job_id: JobId,
    pub job_title: String,
    #[schema(value_type = String)]
    pub set_by: UserId,
    pub set_by_email: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub due_at: OffsetDateTime,
    pub note: String,
    /// When the reminder was emailed (absent while pending).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

/// A due time as a sort key: zero-padded Unix seconds, so a range query reads what is due.
pub fn due_sort_key(at: OffsetDateTime) -> String {
    format!("{:012}", at.unix_timestamp().max(0))
}

impl Record for Reminder {
    const ENTITY: &'static str = "Reminder";
    fn key(&self) -> Key {
        keys::reminder(&self.org_id, &self.application_id, &self.id)
    }
    /// gsi1 while pending: the shard's queue of reminders by due time.
    fn gsi1(&self) -> Option<Key> {
        self.sent_at.is_none().then(|| keys::reminder_due(&self.id, &due_sort_key(self.due_at)))
    }
    fn version(&self) -> u64 {
        self.version
    }
}
