//! A job's history: every change keeps the version it replaced as its own item, written in the
//! same transaction as the change; a deletion keeps the last one, so it can be undone.

use crate::keys;
use crate::model::Job;
use crate::ports::store::Key;
use crate::record::Record;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobVersion {
    /// The job's version number while it looked like this (its ETag then).
    pub version: u64,
    /// The job as it was.
    pub job: Job,
    /// When a change replaced it.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub replaced_at: OffsetDateTime,
    /// Who made that change.
    pub replaced_by: String,
    /// What the change was (`job.update`, `job.publish`, `job.delete`, `job.restore` …).
    pub change: String,
}

impl Record for JobVersion {
    const ENTITY: &'static str = "JobVersion";
    fn key(&self) -> Key {
        keys::job_version(&self.job.org_id, &self.job.id, self.version)
    }
    /// Versions are written once and never edited: the item's lock version is always 1.
    fn version(&self) -> u64 {
        1
    }
}
