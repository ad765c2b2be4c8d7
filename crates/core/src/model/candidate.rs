//! A candidate: a person who applies, or whom an organisation's staff added (a sourced
//! candidate, who has no account). Not tenant-owned: staff see a candidate through an
//! application to one of their jobs or through their organisation's talent record
//! ([`super::talent::TalentRecord`]).

use crate::keys;
use crate::model::application::SalaryRange;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{Email, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How well a candidate says they know a skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proficiency {
    Beginner,
    Intermediate,
    Advanced,
    Expert,
}

/// Where a profile skill came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillOrigin {
    /// Found by the parser in the candidate's resume.
    Resume,
    /// Imported from LinkedIn.
    Linkedin,
    /// Entered by the candidate (or the staff member who sourced them).
    Manual,
}

/// A structured skill on a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSkill {
    pub name: String,
    pub proficiency: Option<Proficiency>,
    /// Years of use, 0–60.
    pub years: Option<u8>,
    /// True when the candidate's latest parsed resume shows the skill (set by the server).
    pub verified: bool,
    pub origin: SkillOrigin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Education {
    pub institution: String,
    pub degree: Option<String>,
    pub field: Option<String>,
    pub end_year: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Experience {
    pub company: String,
    pub title: String,
    /// `YYYY-MM` (or `YYYY`).
    pub start: Option<String>,
    pub end: Option<String>,
    pub current: bool,
}

/// A resume kept on the profile: a file of one of the candidate's applications, chosen again
/// (by `fileId`) when applying elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileResume {
    pub file_id: String,
    pub file_name: Option<String>,
    pub content_type: String,
    /// The application the file was uploaded with (its blob stays under that application).
    pub application_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: OffsetDateTime,
}

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
    #[serde(default)]
    pub linkedin_url: Option<String>,
    #[serde(default)]
    pub portfolio_url: Option<String>,
    #[serde(default)]
    pub current_title: Option<String>,
    #[serde(default)]
    pub current_company: Option<String>,
    /// 0–60.
    #[serde(default)]
    pub years_experience: Option<u8>,
    #[serde(default)]
    pub salary_expectation: Option<SalaryRange>,
    #[serde(default)]
    pub availability: Option<String>,
    /// `linkedin`, `indeed`, `referral`, `company_website` or `other`.
    #[serde(default)]
    pub source: Option<String>,
    /// Who referred the candidate, in words.
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default)]
    pub skills: Vec<ProfileSkill>,
    #[serde(default)]
    pub education: Vec<Education>,
    #[serde(default)]
    pub experience: Vec<Experience>,
    #[serde(default)]
    pub resumes: Vec<ProfileResume>,
    /// Skills the parser found in the latest resume (what `verified` is checked against).
    #[serde(default)]
    pub resume_skills: Vec<String>,
    /// False while skills, education and experience are as the parser filled them; the
    /// candidate confirms (or corrects) them with `PUT /api/candidates/{id}`.
    #[serde(default)]
    pub profile_confirmed: bool,
    /// Set for a candidate an organisation's staff added (referral, job fair): no account,
    /// visible to that organisation only.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub sourced_by: Option<OrgId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Candidate {
    /// A new profile with only the sign-up fields.
    pub fn new(id: UserId, email: Email, name: String, now: OffsetDateTime) -> Self {
        Self {
            id,
            email,
            name,
            phone: None,
            location: None,
            headline: None,
            linkedin_url: None,
            portfolio_url: None,
            current_title: None,
            current_company: None,
            years_experience: None,
            salary_expectation: None,
            availability: None,
            source: None,
            referrer: None,
            skills: Vec::new(),
            education: Vec::new(),
            experience: Vec::new(),
            resumes: Vec::new(),
            resume_skills: Vec::new(),
            profile_confirmed: false,
            sourced_by: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Recomputes each skill's `verified` flag from the latest parsed resume.
    pub fn verify_skills(&mut self) {
        let found: std::collections::BTreeSet<String> =
            self.resume_skills.iter().map(|s| s.trim().to_lowercase()).collect();
        for s in &mut self.skills {
            s.verified = found.contains(&s.name.trim().to_lowercase());
        }
    }
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
