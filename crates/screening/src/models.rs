//! The versions of the scoring model. A version is a fixed set of parameters of the explained
//! scorer ([`crate::score::score_with`]); a score records the version that made it, so every
//! score can be reproduced, and an organisation switches versions only after a shadow run has
//! compared the candidate version with the active one on the same applications.
//!
//! Versions are never edited once released: a change of any parameter is a new version.
//!
//! Related-skill partial credit ([`crate::score::ScoringCriteria::related_skill_credit`]) is
//! part of the job's criteria, not of a version: it applies under every released version, is
//! off unless the job switches it on, and when off the scorer's output (score, explanation and
//! fingerprint) is byte for byte what it was before the switch existed, so no released version
//! changes. When on, the criteria's JSON (and so the fingerprint) says so, and the credit rule
//! ([`crate::score::RELATED_CREDIT_FACTOR`] × the O*NET closeness compiled into the crate) is
//! fixed: a change to it would be a new version.

use serde::Serialize;

/// How experience below the job's minimum earns credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExperienceCurve {
    /// years ÷ minimum.
    Linear,
    /// √(years ÷ minimum): a near miss loses less than a large gap.
    SquareRoot,
}

/// The parameters of one scoring model version (sub-scores out of 100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoringParams {
    /// Share of the skills sub-score carried by required skills (the rest: preferred skills).
    pub required_skill_share: f64,
    pub experience_curve: ExperienceCurve,
    /// Education one level below the requirement.
    pub education_one_level_below: f64,
    /// Education at the required level, not in a listed field.
    pub education_other_field: f64,
    /// In the job's region, not its city.
    pub location_same_region: u8,
    /// In the job's country, not its region.
    pub location_same_country: u8,
    /// Outside the job's country.
    pub location_elsewhere: u8,
    /// Location unknown, or remote asked for an on-site role (neutral; a person checks).
    pub location_neutral: u8,
}

/// A released version of the scoring model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoringModel {
    pub version: &'static str,
    /// `YYYY-MM-DD`.
    pub released: &'static str,
    pub summary: &'static str,
    pub params: ScoringParams,
}

/// The first release: what every score before model versions were selectable was made with.
pub const CV_SCORE_1_0_0: ScoringModel = ScoringModel {
    version: "cv-score-1.0.0",
    released: "2026-11-01",
    summary: "Weighted skills (required 75%, preferred 25%), experience in proportion to the minimum, \
              education level and field, distance tiers for location.",
    params: ScoringParams {
        required_skill_share: 0.75,
        experience_curve: ExperienceCurve::Linear,
        education_one_level_below: 50.0,
        education_other_field: 70.0,
        location_same_region: 70,
        location_same_country: 40,
        location_elsewhere: 10,
        location_neutral: 50,
    },
};

/// A candidate release: gentler on near misses in experience and education and on distance
/// within the job's country (commutes and relocation within a country are common).
pub const CV_SCORE_1_1_0: ScoringModel = ScoringModel {
    version: "cv-score-1.1.0",
    released: "2026-11-30",
    summary: "As 1.0.0, but experience below the minimum earns √(years ÷ minimum), one education level \
              below earns 60, and the job's region and country earn 80 and 50.",
    params: ScoringParams {
        required_skill_share: 0.75,
        experience_curve: ExperienceCurve::SquareRoot,
        education_one_level_below: 60.0,
        education_other_field: 70.0,
        location_same_region: 80,
        location_same_country: 50,
        location_elsewhere: 10,
        location_neutral: 50,
    },
};

/// Every released version, oldest first.
pub const SCORING_MODELS: &[ScoringModel] = &[CV_SCORE_1_0_0, CV_SCORE_1_1_0];

/// The version an organisation uses until an admin activates another.
pub fn default_scoring_model() -> &'static ScoringModel {
    scoring_model(crate::MODEL_VERSION).unwrap_or(&SCORING_MODELS[0])
}

/// A released version by name.
pub fn scoring_model(version: &str) -> Option<&'static ScoringModel> {
    SCORING_MODELS.iter().find(|m| m.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_unique_and_the_default_is_the_first_release() {
        let mut names: Vec<&str> = SCORING_MODELS.iter().map(|m| m.version).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCORING_MODELS.len());
        assert_eq!(default_scoring_model().version, crate::MODEL_VERSION);
        assert_eq!(scoring_model("cv-score-1.1.0"), Some(&CV_SCORE_1_1_0));
        assert_eq!(scoring_model("cv-score-9"), None);
    }
}
