//! A staff member of an organisation (candidates are their own entity).

use crate::keys;
use crate::ports::store::Key;
use crate::rbac::{Overrides, Role};
use crate::record::Record;
use crate::values::{Email, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Created by an admin; has not set a password yet.
    Invited,
    /// Self-registered; email not verified yet.
    Unverified,
    Active,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[schema(value_type = String)]
    pub id: UserId,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String, format = Email)]
    pub email: Email,
    pub name: Option<String>,
    #[schema(example = "recruiter")]
    pub role: Role,
    pub status: UserStatus,
    #[serde(default)]
    pub overrides: Overrides,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for User {
    const ENTITY: &'static str = "User";
    fn key(&self) -> Key {
        keys::user(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
