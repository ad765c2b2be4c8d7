//! A candidate: a person who applies. Not tenant-owned; staff see a candidate only through an
//! application to one of their jobs.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{Email, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    #[schema(value_type = String)]
    pub id: UserId,
    #[schema(value_type = String)]
    pub email: Email,
    pub name: String,
    pub phone: Option<String>,
    /// City, region or country; used only for the location criterion.
    pub location: Option<String>,
    pub headline: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Candidate {
    const ENTITY: &'static str = "Candidate";
    fn key(&self) -> Key {
        keys::candidate(&self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
