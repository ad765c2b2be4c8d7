//! A job template: a job's content saved under a name, to start new jobs from. Per organisation.

use crate::keys;
use crate::model::job::JobContent;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobTemplate {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub name: String,
    /// The job it was saved from.
    pub source_job_id: Option<String>,
    /// What a job made from it starts with (a template keeps no deadline).
    pub content: JobContent,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for JobTemplate {
    const ENTITY: &'static str = "JobTemplate";
    fn key(&self) -> Key {
        keys::job_template(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
