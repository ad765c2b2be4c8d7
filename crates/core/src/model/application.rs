//! An application of a candidate to a job, its hiring status, and where its resume is in the
//! processing chain (uploaded → parsed → anonymized → scored → checked, or failed with a reason).

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Applied,
    Screening,
    Interview,
    Offer,
    Hired,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Applied => "applied",
            ApplicationStatus::Screening => "screening",
            ApplicationStatus::Interview => "interview",
            ApplicationStatus::Offer => "offer",
            ApplicationStatus::Hired => "hired",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn is_final(self) -> bool {
        matches!(self, ApplicationStatus::Hired | ApplicationStatus::Rejected | ApplicationStatus::Withdrawn)
    }
}

/// Where the resume is in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    AwaitingResume,
    Uploaded,
    Parsed,
    Anonymized,
    Scored,
    Checked,
    Failed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::AwaitingResume => "awaiting_resume",
            Stage::Uploaded => "uploaded",
            Stage::Parsed => "parsed",
            Stage::Anonymized => "anonymized",
            Stage::Scored => "scored",
            Stage::Checked => "checked",
            Stage::Failed => "failed",
        }
    }

    /// A screening run is under way (the chain has not finished or failed).
    pub fn in_progress(self) -> bool {
        matches!(self, Stage::Uploaded | Stage::Parsed | Stage::Anonymized | Stage::Scored)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResumeFile {
    /// The file id (also the processing run of this upload).
    pub file_id: String,
    pub key: String,
    pub content_type: String,
    pub file_name: Option<String>,
    pub size: Option<u64>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Processing {
    pub stage: Stage,
    /// Why it failed, in words a recruiter can act on.
    pub reason: Option<String>,
    /// Machine code of the failure (`encrypted_pdf`, `zip_bomb` …).
    pub failure_code: Option<String>,
    /// The run the chain is working on: a new upload or a reprocess starts a new run, and
    /// messages of an older run are ignored.
    pub run_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// The decision a person made on the machine's recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HumanDecision {
    /// `advance`, `review` or `reject`.
    pub decision: String,
    pub reason: String,
    #[schema(value_type = String)]
    pub decided_by: UserId,
    /// The recommendation it confirmed or overruled.
    pub recommendation: Option<String>,
    pub overrode_recommendation: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub decided_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub job_id: JobId,
    pub job_title: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    pub status: ApplicationStatus,
    pub cover_letter: Option<String>,
    pub resume: Option<ResumeFile>,
    pub processing: Processing,
    pub decision: Option<HumanDecision>,
    /// Whether the candidate gave voluntary self-identification (the values are sealed apart).
    pub self_identified: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Application {
    const ENTITY: &'static str = "Application";
    fn key(&self) -> Key {
        keys::application(&self.org_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(keys::application_by_job(&self.org_id, &self.job_id, &self.id))
    }
    fn gsi2(&self) -> Option<Key> {
        Some(keys::application_by_candidate(&self.candidate_id, &self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A stage's output for one run (parsed resume, anonymized profile, score, bias report), stored
/// beside the application as JSON produced by `clearview-screening`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageResult {
    pub application_id: String,
    #[serde(rename = "orgId")]
    pub org_id: OrgId,
    /// `parsed`, `anonymized`, `score`, `bias`.
    pub stage: String,
    pub run_id: String,
    pub produced_by: String,
    pub body: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Record for StageResult {
    const ENTITY: &'static str = "StageResult";
    fn key(&self) -> Key {
        keys::stage_result(&self.org_id, &self.application_id, &self.stage)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// The body of an Anonymize, Score or Bias message: which application and which run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainStep {
    pub org_id: String,
    pub application_id: String,
    pub run_id: String,
}

impl ChainStep {
    pub const KIND: &'static str = "chain-step";

    pub fn message(&self, queue: crate::ports::queue::WorkQueue) -> crate::ports::queue::WorkMessage {
        crate::ports::queue::WorkMessage {
            id: format!("{}:{}:{}", queue.name(), self.application_id, self.run_id),
            kind: Self::KIND.to_owned(),
            body: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// A resume file as the API shows it, found by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileRecord {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub application_id: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    pub key: String,
    pub content_type: String,
    pub file_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl Record for FileRecord {
    const ENTITY: &'static str = "File";
    fn key(&self) -> Key {
        keys::file(&self.org_id, &self.id)
    }
    fn gsi2(&self) -> Option<Key> {
        Some(keys::file_by_candidate(&self.candidate_id, &self.id))
    }
    fn version(&self) -> u64 {
        1
    }
}
