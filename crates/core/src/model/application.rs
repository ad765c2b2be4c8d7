//! An application of a candidate to a job, its hiring status, and where its resume is in the
//! processing chain (uploaded → parsed → anonymized → scored → checked, or failed with a reason).

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The hiring status (the scope's list). An open application's status is its pipeline
/// stage's; `hired`, `rejected` and `withdrawn` close it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    #[serde(alias = "applied")]
    New,
    #[serde(alias = "screening")]
    Reviewing,
    #[serde(alias = "interview")]
    PhoneScreen,
    TechnicalInterview,
    FinalInterview,
    Offer,
    Hired,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 9] = [
        ApplicationStatus::New,
        ApplicationStatus::Reviewing,
        ApplicationStatus::PhoneScreen,
        ApplicationStatus::TechnicalInterview,
        ApplicationStatus::FinalInterview,
        ApplicationStatus::Offer,
        ApplicationStatus::Hired,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::New => "new",
            ApplicationStatus::Reviewing => "reviewing",
            ApplicationStatus::PhoneScreen => "phone_screen",
            ApplicationStatus::TechnicalInterview => "technical_interview",
            ApplicationStatus::FinalInterview => "final_interview",
            ApplicationStatus::Offer => "offer",
            ApplicationStatus::Hired => "hired",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
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

/// Where a candidate heard of the job (the scope's sources).
pub const SOURCES: [&str; 5] = ["linkedin", "indeed", "referral", "company_website", "other"];

/// A salary expectation, as a range in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SalaryRange {
    #[schema(minimum = 0, maximum = 100000000)]
    pub min: Option<u64>,
    #[schema(minimum = 0, maximum = 100000000)]
    pub max: Option<u64>,
    /// ISO 4217 code (three capital letters).
    #[schema(pattern = "^[A-Z]{3}$", min_length = 3, max_length = 3)]
    pub currency: String,
}

/// The score's headline, kept on the application for lists, filters and stage suggestions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiSummary {
    /// 0–100.
    pub score: u8,
    /// `advance`, `review` or `reject`: a recommendation; a person decides.
    pub recommendation: String,
    /// How many required skills the resume lacks.
    pub required_missing: u32,
}

/// Who revealed a candidate's identity on an application before the reveal stage, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reveal {
    #[schema(value_type = String)]
    pub by: UserId,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// An application put on hold by staff: it stays in its stage, out of the way, until a person
/// takes it off hold or moves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    #[schema(value_type = String)]
    pub by: UserId,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
}

/// How a candidate asks to be assessed without the automated tool: the public job posting and
/// the application-received email both say it (NYC Local Law 144's notice).
pub const ALTERNATIVE_REVIEW_NOTICE: &str = "To be assessed by a person without the automated tool, ask for an \
     alternative review from your application (POST /api/applications/{id}/alternative-review): your application \
     then gets no automated score or recommendation.";

/// The candidate asked to be assessed without the automated tool (NYC Local Law 144: a notice
/// must say how to ask for an alternative selection process). From then on the application gets
/// no automated score or recommendation: the chain stops before scoring, and staff decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlternativeReview {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    /// What the candidate said, if anything (an accommodation they need, say).
    pub reason: Option<String>,
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
    /// The pipeline stage it is in (the last one it was in, once closed).
    #[serde(default = "first_stage")]
    pub stage_id: String,
    /// When it entered that stage.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub stage_entered_at: Option<OffsetDateTime>,
    /// `linkedin`, `indeed`, `referral`, `company_website` or `other`.
    #[serde(default)]
    pub source: Option<String>,
    /// Staff notes (never shown to the candidate, never scored).
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub salary_expectation: Option<SalaryRange>,
    /// When the candidate can start, in their words.
    #[serde(default)]
    pub availability: Option<String>,
    /// The machine's score of the current run, once scored (the explanation is at `ai-score`).
    #[serde(default)]
    pub ai: Option<AiSummary>,
    /// Set when someone revealed the candidate's identity before the reveal stage.
    #[serde(default)]
    pub revealed: Option<Reveal>,
    /// Set while staff hold the application (it keeps its stage); cleared by taking it off hold
    /// or by any move.
    #[serde(default)]
    pub on_hold: Option<Hold>,
    /// Set when the candidate asked for review without the automated tool.
    #[serde(default)]
    pub alternative_review: Option<AlternativeReview>,
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

fn first_stage() -> String {
    "applied".into()
}

impl Application {
    /// When it entered its current stage.
    pub fn entered_stage_at(&self) -> OffsetDateTime {
        self.stage_entered_at.unwrap_or(self.created_at)
    }
}

impl Record for Application {
    const ENTITY: &'static str = "Application";
    fn key(&self) -> Key {
        keys::application(&self.org_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(keys::application_by_job(&self.org_id, &self.job_id, &self.stage_id, &self.id))
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
