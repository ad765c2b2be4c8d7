//! Scoring an anonymized profile against a job's criteria, with an explanation a person can
//! check and a fingerprint that proves the same inputs give the same score.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::anonymize::AnonymizedProfile;
use crate::models::{ExperienceCurve, ScoringModel, ScoringParams};
pub use crate::structure::{EducationLevel, Location};
use crate::taxonomy::Taxonomy;

/// Percent weights of the four criteria; they must sum to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weights {
    pub skills: u8,
    pub experience: u8,
    pub education: u8,
    pub location: u8,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { skills: 40, experience: 30, education: 15, location: 15 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CriteriaError {
    #[error("weights must sum to 100, these sum to {0}")]
    WeightsSum(u32),
    #[error("auto_reject_below ({reject}) must be lower than auto_advance_at ({advance})")]
    Thresholds { reject: u8, advance: u8 },
    #[error("{field} must be at most 100")]
    OutOfRange { field: &'static str },
}

impl Weights {
    pub fn validate(&self) -> Result<(), CriteriaError> {
        let sum =
            u32::from(self.skills) + u32::from(self.experience) + u32::from(self.education) + u32::from(self.location);
        if sum == 100 { Ok(()) } else { Err(CriteriaError::WeightsSum(sum)) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EducationRequirement {
    pub level: EducationLevel,
    /// Accepted fields of study; empty means any field.
    #[serde(default)]
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScoringCriteria {
    #[serde(default)]
    pub weights: Weights,
    #[serde(default)]
    pub required_skills: Vec<String>,
    #[serde(default)]
    pub preferred_skills: Vec<String>,
    #[serde(default)]
    pub minimum_experience_years: f64,
    #[serde(default)]
    pub education_requirement: EducationRequirement,
    #[serde(default)]
    pub job_location: Option<Location>,
    #[serde(default)]
    pub is_remote: bool,
    #[serde(default)]
    pub auto_reject_below: Option<u8>,
    #[serde(default)]
    pub auto_advance_at: Option<u8>,
    /// Explained partial credit for a missing skill when the candidate has a related one
    /// ([`crate::careers::RelatedSkills`]): switched on per job, off by default. Left out of the
    /// JSON (and so of the fingerprint) when off, so scores made before the switch existed keep
    /// their fingerprints.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub related_skill_credit: bool,
}

impl ScoringCriteria {
    pub fn validate(&self) -> Result<(), CriteriaError> {
        self.weights.validate()?;
        for (field, v) in [("auto_reject_below", self.auto_reject_below), ("auto_advance_at", self.auto_advance_at)] {
            if v.is_some_and(|v| v > 100) {
                return Err(CriteriaError::OutOfRange { field });
            }
        }
        if let (Some(reject), Some(advance)) = (self.auto_reject_below, self.auto_advance_at)
            && reject >= advance
        {
            return Err(CriteriaError::Thresholds { reject, advance });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    Advance,
    Review,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubScores {
    pub skills: u8,
    pub experience: u8,
    pub education: u8,
    pub location: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillsExplanation {
    pub required_matched: Vec<String>,
    pub required_missing: Vec<String>,
    pub preferred_matched: Vec<String>,
    pub preferred_missing: Vec<String>,
    /// Partial credit for missing skills the candidate has a related skill for (only when the
    /// job switches it on); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_credit: Vec<RelatedCredit>,
    pub reasoning: String,
}

/// Whether a skill was required or preferred by the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillKind {
    Required,
    Preferred,
}

/// Partial credit for one missing skill: "you have MySQL; PostgreSQL is close".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RelatedCredit {
    /// The job's skill the candidate lacks.
    pub skill: String,
    pub kind: SkillKind,
    /// The candidate's skill closest to it.
    pub related: String,
    /// Jaccard of the O*NET occupations listing each (0..1).
    pub closeness: f64,
    /// Share of one matched skill given: 0.5 × closeness, two decimals (`RELATED_CREDIT_FACTOR`).
    pub credit: f64,
    pub reasoning: String,
}

/// A related skill earns this share of its closeness as credit: MySQL for PostgreSQL
/// (closeness 0.47) earns 0.24 of a match. Half, so a related skill never counts as much as
/// the skill itself (the closest pairs in the O*NET adjacency are about 0.7 → 0.35).
pub const RELATED_CREDIT_FACTOR: f64 = 0.5;

/// The partial credit for each of `missing`, from the candidate's skills `have` (canonical).
fn related_credits(missing: &[String], kind: SkillKind, have: &BTreeSet<String>) -> Vec<RelatedCredit> {
    let related = crate::careers::RelatedSkills::global();
    missing
        .iter()
        .filter_map(|skill| {
            let (near, closeness) = related.close_to(skill, have).into_iter().next()?;
            let credit = (RELATED_CREDIT_FACTOR * closeness * 100.0).round() / 100.0;
            (credit > 0.0).then(|| RelatedCredit {
                reasoning: format!(
                    "you have {near}; {skill} is close ({:.0}% of the O*NET occupations listing either list both): \
                     {credit:.2} of a match",
                    closeness * 100.0
                ),
                skill: skill.clone(),
                kind,
                related: near,
                closeness,
                credit,
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceExplanation {
    pub candidate_years: f64,
    pub minimum_years: f64,
    pub reasoning: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EducationExplanation {
    pub candidate_level: EducationLevel,
    pub required_level: EducationLevel,
    pub field_matched: Option<bool>,
    pub reasoning: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WeightedContribution {
    pub criterion: String,
    pub sub_score: u8,
    pub weight_percent: u8,
    /// sub_score × weight / 100, in points of the overall score.
    pub contribution: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub skills: SkillsExplanation,
    pub experience: ExperienceExplanation,
    pub education: EducationExplanation,
    pub location: String,
    pub contributions: Vec<WeightedContribution>,
    pub recommendation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreResult {
    pub sub_scores: SubScores,
    pub overall: u8,
    /// 0..1: how much to trust the score (parse quality, unknowns).
    pub confidence: f64,
    pub explanation: Explanation,
    pub recommendation: Recommendation,
    /// Always true for Reject: a rejection is never final without a person.
    pub requires_human_confirmation: bool,
    pub model_version: String,
    /// SHA-256 (hex) of the model version, anonymized profile and criteria as JSON.
    pub input_fingerprint: String,
}

fn canonical_set(names: &[String]) -> Vec<(String, String)> {
    // (canonical-or-as-typed, as typed), deduplicated by canonical, sorted.
    let t = Taxonomy::global();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in names {
        let c = t.canonical_name(n).map(str::to_owned).unwrap_or_else(|| n.trim().to_owned());
        if !c.is_empty() && seen.insert(c.to_lowercase()) {
            out.push((c, n.clone()));
        }
    }
    out.sort();
    out
}

fn score_skills(p: &AnonymizedProfile, c: &ScoringCriteria, m: &ScoringParams) -> (u8, SkillsExplanation) {
    let have: BTreeSet<String> = p.skills.iter().map(|s| s.to_lowercase()).collect();
    let split = |list: &[String]| {
        let mut matched = Vec::new();
        let mut missing = Vec::new();
        for (canon, _) in canonical_set(list) {
            if have.contains(&canon.to_lowercase()) {
                matched.push(canon);
            } else {
                missing.push(canon);
            }
        }
        (matched, missing)
    };
    let (rm, rmiss) = split(&c.required_skills);
    let (pm, pmiss) = split(&c.preferred_skills);
    let related_credit = if c.related_skill_credit {
        // The candidate's skills by canonical name, as the adjacency names them.
        let t = Taxonomy::global();
        let named: BTreeSet<String> = p
            .skills
            .iter()
            .map(|s| t.canonical_name(s).map(str::to_owned).unwrap_or_else(|| s.trim().to_owned()))
            .collect();
        let mut out = related_credits(&rmiss, SkillKind::Required, &named);
        out.extend(related_credits(&pmiss, SkillKind::Preferred, &named));
        out
    } else {
        Vec::new()
    };
    let credit = |kind: SkillKind| related_credit.iter().filter(|r| r.kind == kind).map(|r| r.credit).sum::<f64>();
    let (r_credit, p_credit) = (credit(SkillKind::Required), credit(SkillKind::Preferred));
    let ratio = |m: usize, extra: f64, total: usize| (total > 0).then(|| (m as f64 + extra) / total as f64);
    let req = ratio(rm.len(), r_credit, rm.len() + rmiss.len());
    let pref = ratio(pm.len(), p_credit, pm.len() + pmiss.len());
    let found = |m: usize, extra: f64| if extra > 0.0 { format!("{m} (+{extra:.2} related)") } else { m.to_string() };
    let (score, mut reasoning) = match (req, pref) {
        (None, None) => (100.0, "No skills were specified for this job.".to_owned()),
        (Some(r), None) => {
            (100.0 * r, format!("{} of {} required skills found.", found(rm.len(), r_credit), rm.len() + rmiss.len()))
        }
        (None, Some(q)) => {
            (100.0 * q, format!("{} of {} preferred skills found.", found(pm.len(), p_credit), pm.len() + pmiss.len()))
        }
        (Some(r), Some(q)) => (
            100.0 * (m.required_skill_share * r + (1.0 - m.required_skill_share) * q),
            format!(
                "{} of {} required skills ({:.0}% of this score) and {} of {} preferred skills ({:.0}%) found.",
                found(rm.len(), r_credit),
                rm.len() + rmiss.len(),
                100.0 * m.required_skill_share,
                found(pm.len(), p_credit),
                pm.len() + pmiss.len(),
                100.0 * (1.0 - m.required_skill_share)
            ),
        ),
    };
    for r in &related_credit {
        reasoning.push_str(&format!(" Related-skill credit: {}.", r.reasoning));
    }
    (
        to_u8(score),
        SkillsExplanation {
            required_matched: rm,
            required_missing: rmiss,
            preferred_matched: pm,
            preferred_missing: pmiss,
            related_credit,
            reasoning,
        },
    )
}

fn score_experience(p: &AnonymizedProfile, c: &ScoringCriteria, m: &ScoringParams) -> (u8, ExperienceExplanation) {
    let years = p.total_experience_years;
    let min = c.minimum_experience_years.max(0.0);
    let (score, reasoning) = if min <= 0.0 {
        (100.0, format!("No minimum experience required; {years:.1} years found."))
    } else if years >= min {
        (100.0, format!("{years:.1} years found, meeting the {min:.1}-year minimum."))
    } else {
        match m.experience_curve {
            ExperienceCurve::Linear => (
                100.0 * years / min,
                format!("{years:.1} years found, below the {min:.1}-year minimum (score in proportion)."),
            ),
            ExperienceCurve::SquareRoot => (
                100.0 * (years.max(0.0) / min).sqrt(),
                format!("{years:.1} years found, below the {min:.1}-year minimum (score √(years ÷ minimum))."),
            ),
        }
    };
    (to_u8(score), ExperienceExplanation { candidate_years: years, minimum_years: min, reasoning })
}

fn field_matches(have: &str, wanted: &[String]) -> bool {
    let have = have.to_lowercase();
    wanted.iter().any(|w| {
        let w = w.to_lowercase();
        !w.is_empty() && (have.contains(&w) || w.contains(&have))
    })
}

fn score_education(p: &AnonymizedProfile, c: &ScoringCriteria, m: &ScoringParams) -> (u8, EducationExplanation) {
    let req = &c.education_requirement;
    let have = p.highest_education;
    let fields_given = !req.fields.is_empty();
    let field_ok = fields_given.then(|| {
        p.education
            .iter()
            .filter(|e| e.level >= req.level)
            .filter_map(|e| e.field.as_deref())
            .any(|f| field_matches(f, &req.fields))
    });
    let (score, reasoning) = if req.level == EducationLevel::None && !fields_given {
        (100.0, "No education requirement.".to_owned())
    } else if have >= req.level {
        match field_ok {
            Some(false) => (
                m.education_other_field,
                format!("{have:?} meets the {:?} level, but not in a listed field of study.", req.level),
            ),
            _ => (100.0, format!("{have:?} meets the {:?} requirement.", req.level)),
        }
    } else {
        let gap = req.level as i32 - have as i32;
        let s = if gap == 1 { m.education_one_level_below } else { 0.0 };
        (s, format!("{have:?} is below the required {:?}.", req.level))
    };
    (
        to_u8(score),
        EducationExplanation { candidate_level: have, required_level: req.level, field_matched: field_ok, reasoning },
    )
}

fn same(a: &Option<String>, b: &Option<String>) -> bool {
    matches!((a, b), (Some(x), Some(y)) if x.eq_ignore_ascii_case(y))
}

fn score_location(p: &AnonymizedProfile, c: &ScoringCriteria, m: &ScoringParams) -> (u8, String, bool) {
    if c.is_remote {
        return (100, "The role is remote; location does not matter.".to_owned(), false);
    }
    let Some(job) = &c.job_location else {
        return (100, "No job location given.".to_owned(), false);
    };
    let Some(cand) = &p.location else {
        return (m.location_neutral, "Candidate location unknown; neutral score, please check.".to_owned(), true);
    };
    if cand.remote {
        return (
            m.location_neutral,
            "Candidate asks for remote work for an on-site role; neutral score, please check.".to_owned(),
            false,
        );
    }
    if same(&cand.city, &job.city) && (job.region.is_none() || same(&cand.region, &job.region)) {
        (100, "Candidate is in the job's city.".to_owned(), false)
    } else if job.region.is_some() && same(&cand.region, &job.region) {
        (m.location_same_region, "Candidate is in the job's region, not its city.".to_owned(), false)
    } else if job.country.is_some() && same(&cand.country, &job.country) {
        (m.location_same_country, "Candidate is in the job's country, not its region.".to_owned(), false)
    } else {
        (m.location_elsewhere, "Candidate is outside the job's country; relocation would be needed.".to_owned(), false)
    }
}

fn to_u8(x: f64) -> u8 {
    x.round().clamp(0.0, 100.0) as u8
}

/// SHA-256 over the model version and the JSON of both inputs: equal fingerprints mean
/// equal inputs, and the scoring is a pure function of them.
pub fn fingerprint(profile: &AnonymizedProfile, criteria: &ScoringCriteria) -> String {
    fingerprint_with(crate::MODEL_VERSION, profile, criteria)
}

/// [`fingerprint`] for a given model version.
pub fn fingerprint_with(version: &str, profile: &AnonymizedProfile, criteria: &ScoringCriteria) -> String {
    let mut h = Sha256::new();
    h.update(version.as_bytes());
    h.update([0]);
    // Serializing these types cannot fail (no maps with non-string keys); fall back to
    // Debug so a fingerprint is always produced.
    h.update(serde_json::to_vec(profile).unwrap_or_else(|_| format!("{profile:?}").into_bytes()));
    h.update([0]);
    h.update(serde_json::to_vec(criteria).unwrap_or_else(|_| format!("{criteria:?}").into_bytes()));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Scores a profile with the default model version ([`crate::MODEL_VERSION`]). Pure: the same
/// profile and criteria always give the same result.
pub fn score(profile: &AnonymizedProfile, criteria: &ScoringCriteria) -> ScoreResult {
    score_with(crate::models::default_scoring_model(), profile, criteria)
}

/// Scores a profile with a given model version. Pure, like [`score`].
pub fn score_with(model: &ScoringModel, profile: &AnonymizedProfile, criteria: &ScoringCriteria) -> ScoreResult {
    let m = &model.params;
    // Invalid weights (should have been refused at input) fall back to the defaults, and the
    // explanation says so.
    let (weights, weight_note) = match criteria.weights.validate() {
        Ok(()) => (criteria.weights, None),
        Err(e) => (Weights::default(), Some(format!("{e}; default weights used"))),
    };
    let (s_skills, skills) = score_skills(profile, criteria, m);
    let (s_exp, experience) = score_experience(profile, criteria, m);
    let (s_edu, education) = score_education(profile, criteria, m);
    let (s_loc, location, location_unknown) = score_location(profile, criteria, m);
    let parts = [
        ("skills", s_skills, weights.skills),
        ("experience", s_exp, weights.experience),
        ("education", s_edu, weights.education),
        ("location", s_loc, weights.location),
    ];
    let contributions: Vec<WeightedContribution> = parts
        .iter()
        .map(|(name, s, w)| WeightedContribution {
            criterion: (*name).to_owned(),
            sub_score: *s,
            weight_percent: *w,
            contribution: f64::from(*s) * f64::from(*w) / 100.0,
        })
        .collect();
    let overall = to_u8(contributions.iter().map(|c| c.contribution).sum());

    let (recommendation, mut why) = match (criteria.auto_advance_at, criteria.auto_reject_below) {
        (Some(a), _) if overall >= a => {
            (Recommendation::Advance, format!("Overall {overall} is at or above the advance threshold {a}."))
        }
        (_, Some(r)) if overall < r => (
            Recommendation::Reject,
            format!(
                "Overall {overall} is below the reject threshold {r}. A person must confirm \
                 before the candidate is rejected."
            ),
        ),
        _ => (Recommendation::Review, format!("Overall {overall} is between the thresholds; a person should review.")),
    };
    if let Some(note) = weight_note {
        why.push(' ');
        why.push_str(&note);
    }
    let mut confidence = profile.parse_confidence;
    if location_unknown {
        confidence *= 0.9;
    }
    if profile.experience.is_empty() && criteria.minimum_experience_years > 0.0 {
        confidence *= 0.8;
    }
    let confidence = (confidence.clamp(0.0, 1.0) * 100.0).round() / 100.0;

    ScoreResult {
        sub_scores: SubScores { skills: s_skills, experience: s_exp, education: s_edu, location: s_loc },
        overall,
        confidence,
        explanation: Explanation { skills, experience, education, location, contributions, recommendation: why },
        recommendation,
        requires_human_confirmation: recommendation != Recommendation::Advance,
        model_version: model.version.to_owned(),
        input_fingerprint: fingerprint_with(model.version, profile, criteria),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::{AnonymizedEducation, AnonymizedExperience};

    fn profile() -> AnonymizedProfile {
        AnonymizedProfile {
            parser_version: crate::PARSER_VERSION.into(),
            parse_confidence: 0.9,
            summary: None,
            experience: vec![AnonymizedExperience { title: Some("Engineer".into()), months: 48, current: true }],
            total_experience_years: 4.0,
            education: vec![AnonymizedEducation {
                level: EducationLevel::Bachelor,
                degree: Some("B.S.".into()),
                field: Some("Computer Science".into()),
            }],
            highest_education: EducationLevel::Bachelor,
            skills: vec!["Go".into(), "Kubernetes".into(), "PostgreSQL".into()],
            certifications: vec![],
            languages: vec![],
            location: Some(Location {
                city: Some("Austin".into()),
                region: Some("TX".into()),
                country: Some("USA".into()),
                remote: false,
            }),
            text: String::new(),
            redactions: vec![],
        }
    }

    fn criteria() -> ScoringCriteria {
        ScoringCriteria {
            required_skills: vec!["golang".into(), "k8s".into()],
            preferred_skills: vec!["Postgres".into(), "Terraform".into()],
            minimum_experience_years: 5.0,
            education_requirement: EducationRequirement {
                level: EducationLevel::Bachelor,
                fields: vec!["Computer Science".into()],
            },
            job_location: Some(Location {
                city: Some("Dallas".into()),
                region: Some("TX".into()),
                country: Some("USA".into()),
                remote: false,
            }),
            auto_reject_below: Some(40),
            auto_advance_at: Some(85),
            ..ScoringCriteria::default()
        }
    }

    #[test]
    fn explained_weighted_score_matches_hand_computation() {
        let r = score(&profile(), &criteria());
        // skills: 75×2/2 + 25×1/2 = 87.5 → 88; experience 4/5 → 80; education 100;
        // location same region → 70. Overall: .4×88 + .3×80 + .15×100 + .15×70 = 84.7 → 85.
        assert_eq!(r.sub_scores, SubScores { skills: 88, experience: 80, education: 100, location: 70 });
        assert_eq!(r.overall, 85);
        assert_eq!(r.recommendation, Recommendation::Advance);
        assert_eq!(r.explanation.skills.required_matched, ["Go", "Kubernetes"]);
        assert_eq!(r.explanation.skills.preferred_missing, ["Terraform"]);
        assert_eq!(r.explanation.contributions.len(), 4);
        assert_eq!(r.model_version, crate::MODEL_VERSION);
    }

    #[test]
    fn the_candidate_model_version_scores_by_its_own_parameters_and_says_which_it_is() {
        let v1 = crate::models::CV_SCORE_1_0_0;
        let v11 = crate::models::CV_SCORE_1_1_0;
        assert_eq!(score_with(&v1, &profile(), &criteria()), score(&profile(), &criteria()));
        let r = score_with(&v11, &profile(), &criteria());
        // skills as 1.0.0 (88); experience √(4/5) = 0.894 → 89; education 100; same region → 80.
        // Overall: .4×88 + .3×89 + .15×100 + .15×80 = 88.9 → 89.
        assert_eq!(r.sub_scores, SubScores { skills: 88, experience: 89, education: 100, location: 80 });
        assert_eq!(r.overall, 89);
        assert_eq!(r.model_version, "cv-score-1.1.0");
        assert!(r.explanation.experience.reasoning.contains('√'), "{}", r.explanation.experience.reasoning);
        assert_ne!(r.input_fingerprint, score(&profile(), &criteria()).input_fingerprint);
    }

    #[test]
    fn related_skill_credit_is_off_by_default_and_explained_when_on() {
        let mut p = profile();
        p.skills = vec!["Go".into(), "Kubernetes".into(), "MySQL".into()];
        let mut c = criteria();
        c.preferred_skills = vec!["PostgreSQL".into(), "Terraform".into()];
        let off = score(&p, &c);
        // skills: 75×2/2 + 25×0/2 = 75.
        assert_eq!(off.sub_scores.skills, 75);
        assert!(off.explanation.skills.related_credit.is_empty());
        // Off leaves the criteria's JSON (and so every earlier fingerprint) as it was.
        assert!(!serde_json::to_string(&c).unwrap().contains("related"));
        c.related_skill_credit = true;
        let on = score(&p, &c);
        // MySQL→PostgreSQL closeness 0.47 → credit 0.5×0.47 = 0.235 → 0.24 (two decimals);
        // Kubernetes→Terraform 0.50 → 0.25. skills: 75 + 25×(0.24+0.25)/2 = 81.1 → 81.
        assert_eq!(on.sub_scores.skills, 81);
        let r = &on.explanation.skills.related_credit;
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            (r[0].skill.as_str(), r[0].related.as_str(), r[0].kind),
            ("PostgreSQL", "MySQL", SkillKind::Preferred)
        );
        assert_eq!((r[0].closeness, r[0].credit), (0.47, 0.24));
        assert!(r[0].reasoning.contains("you have MySQL; PostgreSQL is close"), "{}", r[0].reasoning);
        assert_eq!((r[1].skill.as_str(), r[1].related.as_str(), r[1].credit), ("Terraform", "Kubernetes", 0.25));
        let why = &on.explanation.skills.reasoning;
        assert!(why.contains("0 (+0.49 related) of 2 preferred"), "{why}");
        // Still a miss: the lists say what is missing, the credit says how much it earned.
        assert_eq!(on.explanation.skills.preferred_missing, ["PostgreSQL", "Terraform"]);
        assert_ne!(on.input_fingerprint, off.input_fingerprint);
        // A candidate with the skill itself still scores more than one with a related skill.
        p.skills.push("PostgreSQL".into());
        assert!(score(&p, &c).sub_scores.skills > on.sub_scores.skills);
    }

    #[test]
    fn rejection_always_requires_a_person() {
        let mut c = criteria();
        c.auto_reject_below = Some(90);
        c.auto_advance_at = Some(95);
        let r = score(&profile(), &c);
        assert_eq!(r.recommendation, Recommendation::Reject);
        assert!(r.requires_human_confirmation);
    }

    #[test]
    fn same_inputs_give_same_score_and_fingerprint() {
        let a = score(&profile(), &criteria());
        let b = score(&profile(), &criteria());
        assert_eq!(a, b);
        assert_eq!(a.input_fingerprint.len(), 64);
        let mut c = criteria();
        c.minimum_experience_years = 6.0;
        assert_ne!(score(&profile(), &c).input_fingerprint, a.input_fingerprint);
    }

    #[test]
    fn weights_must_sum_to_100() {
        assert!(Weights::default().validate().is_ok());
        let w = Weights { skills: 50, experience: 30, education: 15, location: 15 };
        assert_eq!(w.validate(), Err(CriteriaError::WeightsSum(110)));
        let mut c = criteria();
        c.auto_reject_below = Some(90);
        c.auto_advance_at = Some(80);
        assert!(c.validate().is_err());
    }

    #[test]
    fn unknown_location_is_neutral_and_lowers_confidence() {
        let mut p = profile();
        p.location = None;
        let r = score(&p, &criteria());
        assert_eq!(r.sub_scores.location, 50);
        assert!(r.confidence < 0.9);
    }
}
