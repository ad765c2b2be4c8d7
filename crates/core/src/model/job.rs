//! A job posting, its screening criteria, and the status state machine.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::richtext::{self, DescriptionFormat};
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum JobType {
    FullTime,
    PartTime,
    Contract,
    Internship,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    Permanent,
    FixedTerm,
    Temporary,
    Seasonal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceLevel {
    Entry,
    Mid,
    Senior,
    Lead,
    Executive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Draft,
    Active,
    Paused,
    Closed,
    Cancelled,
}

/// What a status change is called in the API (`POST /api/jobs/{id}/publish` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobTransition {
    Publish,
    Pause,
    Close,
    Cancel,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Draft => "draft",
            JobStatus::Active => "active",
            JobStatus::Paused => "paused",
            JobStatus::Closed => "closed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// The state machine: draft → active ⇄ paused → closed; anything open can be cancelled.
    pub fn apply(self, t: JobTransition) -> Option<JobStatus> {
        use JobStatus::*;
        use JobTransition::*;
        match (self, t) {
            (Draft | Paused, Publish) => Some(Active),
            (Active, Pause) => Some(Paused),
            (Active | Paused, Close) => Some(Closed),
            (Draft | Active | Paused, Cancel) => Some(Cancelled),
            _ => None,
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, JobStatus::Draft | JobStatus::Active | JobStatus::Paused)
    }
}

/// The share of the overall score each criterion carries, in percent; they must sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    #[schema(minimum = 0, maximum = 100)]
    pub skills: u8,
    #[schema(minimum = 0, maximum = 100)]
    pub experience: u8,
    #[schema(minimum = 0, maximum = 100)]
    pub education: u8,
    #[schema(minimum = 0, maximum = 100)]
    pub location: u8,
}

impl Default for Weights {
    fn default() -> Self {
        Self { skills: 40, experience: 30, education: 15, location: 15 }
    }
}

impl Weights {
    pub fn sum(&self) -> u32 {
        [self.skills, self.experience, self.education, self.location].iter().map(|w| u32::from(*w)).sum()
    }
}

/// Highest education completed or in progress, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    #[default]
    None,
    HighSchool,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EducationRequirement {
    pub minimum_level: EducationLevel,
    /// Accepted fields of study; empty means any.
    #[serde(default)]
    #[schema(schema_with = crate::services::jobs::skills_schema)]
    pub fields_of_study: Vec<String>,
}

/// The job's screening criteria (`job_ai_criteria`): what the scorer weighs and how the
/// recommendation is cut. Thresholds only recommend; a person confirms every rejection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Criteria {
    pub weights: Weights,
    pub required_skills: Vec<String>,
    pub preferred_skills: Vec<String>,
    /// Years.
    pub minimum_experience: f32,
    pub education_requirements: EducationRequirement,
    /// Overall scores below this are recommended for rejection (pending a person's confirmation).
    pub auto_reject_threshold: Option<u8>,
    /// Overall scores at or above this are recommended to advance.
    pub auto_approve_threshold: Option<u8>,
    /// Explained partial credit for a missing skill when the candidate has a related one
    /// ("you have MySQL; PostgreSQL is close"); off unless the job switches it on.
    #[serde(default)]
    pub related_skill_credit: bool,
}

impl Default for Criteria {
    fn default() -> Self {
        Self {
            weights: Weights::default(),
            required_skills: Vec::new(),
            preferred_skills: Vec::new(),
            minimum_experience: 0.0,
            education_requirements: EducationRequirement::default(),
            auto_reject_threshold: None,
            auto_approve_threshold: None,
            related_skill_credit: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    #[schema(value_type = String)]
    pub id: JobId,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub job_type: JobType,
    pub employment_type: Option<EmploymentType>,
    pub salary_min: Option<u32>,
    pub salary_max: Option<u32>,
    /// ISO 4217.
    pub salary_currency: String,
    /// Plain text, or sanitised HTML when `descriptionFormat` is `html`.
    pub description: String,
    /// `text` or `html` (Markdown is stored as the sanitised HTML it renders to).
    #[serde(default)]
    pub description_format: DescriptionFormat,
    /// The plain text of an HTML description (what screening and the ad-language report read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_text: Option<String>,
    pub requirements: Option<String>,
    pub nice_to_have: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<Date>,
    pub status: JobStatus,
    pub is_remote: bool,
    pub experience_level: Option<ExperienceLevel>,
    pub hiring_manager: Option<String>,
    pub criteria: Criteria,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Job {
    /// The description as plain text, whatever its format.
    pub fn plain_description(&self) -> &str {
        match (self.description_format, &self.description_text) {
            (DescriptionFormat::Text, _) | (_, None) => &self.description,
            (_, Some(text)) => text,
        }
    }

    /// The description as sanitised HTML, whatever its format.
    pub fn description_html(&self) -> String {
        match self.description_format {
            DescriptionFormat::Text => richtext::text_to_html(&self.description),
            _ => self.description.clone(),
        }
    }

    /// Title, location and department, case-insensitive with whitespace collapsed: two open
    /// jobs that agree on these are the same posting (the CSV import's duplicate rule).
    pub fn identity(&self) -> String {
        let norm = |s: Option<&str>| s.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        format!(
            "{}\u{1f}{}\u{1f}{}",
            norm(Some(&self.title)),
            norm(self.location.as_deref()),
            norm(self.department.as_deref())
        )
    }
}

/// What a person edits in a job (everything but its id, owner, status and timestamps): what a
/// template keeps and what restoring a version brings back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobContent {
    pub title: String,
    pub department: Option<String>,
    pub location: Option<String>,
    pub job_type: JobType,
    pub employment_type: Option<EmploymentType>,
    pub salary_min: Option<u32>,
    pub salary_max: Option<u32>,
    pub salary_currency: String,
    pub description: String,
    #[serde(default)]
    pub description_format: DescriptionFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_text: Option<String>,
    pub requirements: Option<String>,
    pub nice_to_have: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<Date>,
    pub is_remote: bool,
    pub experience_level: Option<ExperienceLevel>,
    pub hiring_manager: Option<String>,
    pub criteria: Criteria,
}

impl JobContent {
    pub fn of(job: &Job) -> Self {
        let j = job.clone();
        JobContent {
            title: j.title,
            department: j.department,
            location: j.location,
            job_type: j.job_type,
            employment_type: j.employment_type,
            salary_min: j.salary_min,
            salary_max: j.salary_max,
            salary_currency: j.salary_currency,
            description: j.description,
            description_format: j.description_format,
            description_text: j.description_text,
            requirements: j.requirements,
            nice_to_have: j.nice_to_have,
            deadline: j.deadline,
            is_remote: j.is_remote,
            experience_level: j.experience_level,
            hiring_manager: j.hiring_manager,
            criteria: j.criteria,
        }
    }

    /// Writes this content over `job`'s (its id, owner, status and timestamps stay).
    pub fn apply(self, job: &mut Job) {
        job.title = self.title;
        job.department = self.department;
        job.location = self.location;
        job.job_type = self.job_type;
        job.employment_type = self.employment_type;
        job.salary_min = self.salary_min;
        job.salary_max = self.salary_max;
        job.salary_currency = self.salary_currency;
        job.description = self.description;
        job.description_format = self.description_format;
        job.description_text = self.description_text;
        job.requirements = self.requirements;
        job.nice_to_have = self.nice_to_have;
        job.deadline = self.deadline;
        job.is_remote = self.is_remote;
        job.experience_level = self.experience_level;
        job.hiring_manager = self.hiring_manager;
        job.criteria = self.criteria;
    }
}

impl Record for Job {
    const ENTITY: &'static str = "Job";
    fn key(&self) -> Key {
        keys::job(&self.org_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(keys::job_by_status(&self.org_id, self.status.as_str(), &self.id))
    }
    fn gsi2(&self) -> Option<Key> {
        let published = self.published_at?;
        (self.status == JobStatus::Active).then(|| {
            let at = published.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            keys::job_on_board(&at, &self.org_id, &self.id)
        })
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[cfg(test)]
mod tests {
    use super::JobStatus::*;
    use super::JobTransition::*;

    #[test]
    fn draft_publishes_to_active_and_pauses_back() {
        assert_eq!(Draft.apply(Publish), Some(Active));
        assert_eq!(Active.apply(Pause), Some(Paused));
        assert_eq!(Paused.apply(Publish), Some(Active));
    }

    #[test]
    fn closed_job_cannot_be_reopened_or_cancelled() {
        assert_eq!(Closed.apply(Publish), None);
        assert_eq!(Closed.apply(Cancel), None);
        assert_eq!(Draft.apply(Close), None);
    }

    #[test]
    fn default_weights_sum_to_one_hundred() {
        assert_eq!(super::Weights::default().sum(), 100);
    }
}
