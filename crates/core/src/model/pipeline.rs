//! An organisation's hiring pipeline: its ordered, configurable stages, the stage at which
//! reviewers see who a candidate is, and each application's history through them.

use crate::keys;
use crate::model::ApplicationStatus;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What kind of step a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StageType {
    Screening,
    Interview,
    Assessment,
    Reference,
    Offer,
    Final,
}

/// A condition under which the pipeline *suggests* moving an application on. It never moves
/// one by itself: a person confirms every move (the suggestion is shown on the application's
/// `suggestion` and in the kanban overview).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoAdvance {
    /// The AI score (0–100) at or above which the move is suggested.
    #[schema(minimum = 0, maximum = 100)]
    pub min_score: Option<u8>,
    /// Suggest only when no required skill is missing.
    #[serde(default)]
    pub no_required_missing: bool,
}

/// One stage of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStage {
    /// Stable id (lower-case letters, digits and `_`), kept when the stage is renamed.
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: StageType,
    /// The application status of applications in this stage (`new`, `reviewing`,
    /// `phone_screen`, `technical_interview`, `final_interview` or `offer`).
    pub status: ApplicationStatus,
    /// An inactive stage takes no new applications; those in it may still move out.
    pub active: bool,
    pub auto_advance: Option<AutoAdvance>,
}

/// The organisation's pipeline. A new organisation has the default stages until an admin
/// saves its own (version 0 means "never saved").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pipeline {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub stages: Vec<PipelineStage>,
    /// From this stage on, reviewers see who the candidate is; before it every staff view is
    /// blind unless someone with `applications:reveal` reveals one application, with a reason.
    /// `null`: identity is revealed only one application at a time.
    pub reveal_at_stage: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Record for Pipeline {
    const ENTITY: &'static str = "Pipeline";
    fn key(&self) -> Key {
        keys::pipeline(&self.org_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

fn stage(id: &str, name: &str, kind: StageType, status: ApplicationStatus, description: &str) -> PipelineStage {
    PipelineStage {
        id: id.into(),
        name: name.into(),
        description: Some(description.into()),
        kind,
        status,
        active: true,
        auto_advance: None,
    }
}

impl Pipeline {
    /// Applied, AI Screening, Phone Screen, Technical Interview, Final Interview, Offer;
    /// identity revealed from Final Interview.
    pub fn default_for(org: &OrgId) -> Self {
        use ApplicationStatus as S;
        use StageType as T;
        let mut screening =
            stage("ai_screening", "AI Screening", T::Screening, S::Reviewing, "The explained score and bias check");
        screening.auto_advance = Some(AutoAdvance { min_score: Some(80), no_required_missing: true });
        Self {
            org_id: org.clone(),
            stages: vec![
                stage("applied", "Applied", T::Screening, S::New, "The application arrived"),
                screening,
                stage("phone_screen", "Phone Screen", T::Interview, S::PhoneScreen, "A first call"),
                stage(
                    "technical_interview",
                    "Technical Interview",
                    T::Assessment,
                    S::TechnicalInterview,
                    "Skills, assessed",
                ),
                stage("final_interview", "Final Interview", T::Interview, S::FinalInterview, "The last round"),
                stage("offer", "Offer", T::Offer, S::Offer, "An offer is out"),
            ],
            reveal_at_stage: Some("final_interview".into()),
            updated_at: None,
            version: 0,
        }
    }

    pub fn position(&self, stage: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.id == stage)
    }

    pub fn stage(&self, stage: &str) -> Option<&PipelineStage> {
        self.stages.iter().find(|s| s.id == stage)
    }

    /// The first active stage, where applications arrive.
    pub fn first(&self) -> Option<&PipelineStage> {
        self.stages.iter().find(|s| s.active)
    }

    /// The next active stage after `stage`; `None` after the last one (advancing from there hires).
    pub fn next_after(&self, stage: &str) -> Option<&PipelineStage> {
        let at = self.position(stage)?;
        self.stages.iter().skip(at + 1).find(|s| s.active)
    }

    /// Whether an application in `stage` is at or past the reveal stage.
    pub fn reveals_at(&self, stage: &str) -> bool {
        match (&self.reveal_at_stage, self.position(stage)) {
            (Some(reveal), Some(at)) => self.position(reveal).is_some_and(|r| at >= r),
            _ => false,
        }
    }
}

/// How a stage was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// On to a later stage (or hired, from the last one).
    Advanced,
    /// Back to an earlier stage.
    MovedBack,
    Rejected,
    Withdrawn,
    /// Taken out of the pipeline by staff (the application was deleted).
    Removed,
    /// Put on hold in its stage (a `hold` entry; the stage is not left).
    OnHold,
    /// Taken off hold, back in play in the same stage (a `hold` entry).
    Resumed,
}

impl Outcome {
    /// The ways a stage is left (a hold does not leave it).
    pub const EXITS: [Outcome; 5] =
        [Outcome::Advanced, Outcome::MovedBack, Outcome::Rejected, Outcome::Withdrawn, Outcome::Removed];
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Advanced => "advanced",
            Outcome::MovedBack => "moved_back",
            Outcome::Rejected => "rejected",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Removed => "removed",
            Outcome::OnHold => "on_hold",
            Outcome::Resumed => "resumed",
        }
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// The application left a stage (its time there, and where it went).
    Stage,
    /// A person revealed who the candidate is, with a reason.
    Reveal,
    /// A person put the application on hold, or took it off hold (outcome `on_hold` or
    /// `resumed`); the stage is not left.
    Hold,
}

/// One entry of an application's history: a stage it was in (entered, exited, how long, who
/// moved it, why), or a reveal of the candidate's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub id: String,
    pub application_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub job_id: JobId,
    pub kind: HistoryKind,
    /// The stage it was in.
    pub stage: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub entered_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Seconds in the stage (a stage entry); 0 for a reveal.
    pub duration_seconds: i64,
    /// Where it went (a stage id), if it stayed in the pipeline.
    pub to_stage: Option<String>,
    pub outcome: Option<Outcome>,
    /// The status it had afterwards.
    pub status: ApplicationStatus,
    /// The staff member (or the candidate, for a withdrawal) who did it.
    pub by: String,
    /// The note given with a move, or the reason for a reveal.
    pub note: Option<String>,
    /// A rejection's reason code.
    pub reason_code: Option<String>,
}

impl Record for HistoryEntry {
    const ENTITY: &'static str = "History";
    fn key(&self) -> Key {
        keys::history(&self.org_id, &self.application_id, &self.id)
    }
    fn version(&self) -> u64 {
        1
    }
}
