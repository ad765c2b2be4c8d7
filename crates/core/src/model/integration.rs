//! An organisation's integration with another system (a job board, an ATS, email, a calendar, a
//! background-check provider): its credentials and, for a job board, the inbound-webhook
//! signing secret, both sealed (bound to the integration id) and never returned by the API.

use crate::keys;
use crate::ports::crypto::Sealed;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::OrgId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntegrationType {
    JobBoard,
    Ats,
    Email,
    Calendar,
    BackgroundCheck,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub id: String,
    pub org_id: OrgId,
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    pub name: String,
    /// The other system (`indeed`, `linkedin`, `greenhouse` …).
    pub provider: String,
    /// Settings that are not secret (a board's account id, a calendar id …).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Credentials (API keys, tokens), sealed.
    pub credentials: Option<Sealed>,
    /// A job board's inbound-webhook signing secret, sealed.
    pub inbound_secret: Option<Sealed>,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Integration {
    const ENTITY: &'static str = "Integration";
    fn key(&self) -> Key {
        keys::integration(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
