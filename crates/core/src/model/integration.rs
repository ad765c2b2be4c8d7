//! An organisation's integration with another system (a job board, an ATS, email, a calendar, a
//! background-check provider): its credentials and, for a job board, the inbound-webhook
//! signing secret, both kept in the secret vault (Secrets Manager in AWS, sealed into the item in
//! the embedded default; see `ports::secrets`) and never returned by the API.

use crate::keys;
use crate::ports::secrets::SecretRef;
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
    /// Where the credentials (API keys, tokens) are kept.
    pub credentials: Option<SecretRef>,
    /// Where a job board's inbound-webhook signing secret is kept.
    pub inbound_secret: Option<SecretRef>,
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
    /// Job boards only: every one across tenants, for the scheduled sync.
    fn gsi1(&self) -> Option<Key> {
        (self.kind == IntegrationType::JobBoard).then(|| keys::job_board_in_list(&self.org_id, &self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A job's state on one job board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardState {
    /// Published, not yet in a sync's feed.
    Pending,
    /// In the board's feed.
    Active,
    /// Paused: out of the feed until it is active again.
    Paused,
    /// The job could not be put in the feed (`reason`).
    Failed,
}

/// One job on one board, as the last sync (or job event) left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardJob {
    pub integration_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub job_id: String,
    pub title: String,
    pub state: BoardState,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl Record for BoardJob {
    const ENTITY: &'static str = "BoardJob";
    fn key(&self) -> Key {
        keys::board_job(&self.org_id, &self.integration_id, &self.job_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// One sync of a job board: what it published, paused and took off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncRun {
    pub id: String,
    pub integration_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// `on_demand`, `schedule` or `job.published`.
    pub trigger: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: OffsetDateTime,
    /// `succeeded`, `failed`, or `skipped` (an integration with nothing to sync, or switched off).
    pub outcome: String,
    /// Jobs in the board's feed after the run.
    pub active: u32,
    pub paused: u32,
    /// Jobs taken off the board (closed, cancelled or deleted since).
    pub removed: u32,
    pub failed: u32,
    pub error: Option<String>,
}

/// Sync runs are kept this long.
pub const SYNC_RUN_DAYS: i64 = 90;

impl Record for SyncRun {
    const ENTITY: &'static str = "SyncRun";
    fn key(&self) -> Key {
        let ms = i64::try_from(self.requested_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        keys::board_run(&self.org_id, &self.integration_id, ms, &self.id)
    }
    fn version(&self) -> u64 {
        1
    }
    fn expires_at(&self) -> Option<i64> {
        Some((self.requested_at + time::Duration::days(SYNC_RUN_DAYS)).unix_timestamp())
    }
}
