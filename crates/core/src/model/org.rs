//! An employer organisation: the tenant.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{Email, OrgId, Phone};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    #[schema(value_type = String)]
    pub id: OrgId,
    pub company_name: String,
    #[schema(value_type = String)]
    pub contact_number: Phone,
    #[schema(value_type = String)]
    pub contact_email: Email,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Organization {
    const ENTITY: &'static str = "Organization";
    fn key(&self) -> Key {
        keys::org(&self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
