//! The job's criteria as the scorer reads them.

use crate::model::{EducationLevel, Job};
use clearview_screening::score::{EducationRequirement, Location, ScoringCriteria, Weights};
use clearview_screening::structure::EducationLevel as Level;

fn level(l: EducationLevel) -> Level {
    match l {
        EducationLevel::None => Level::None,
        EducationLevel::HighSchool => Level::HighSchool,
        EducationLevel::Associate => Level::Associate,
        EducationLevel::Bachelor => Level::Bachelor,
        EducationLevel::Master => Level::Master,
        EducationLevel::Doctorate => Level::Doctorate,
    }
}

/// "City", "City, Country" or "City, Region, Country".
pub fn location(s: &str) -> Location {
    let parts: Vec<String> = s.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect();
    let (city, region, country) = match parts.as_slice() {
        [c] => (Some(c.clone()), None, None),
        [c, k] => (Some(c.clone()), None, Some(k.clone())),
        [c, r, k, ..] => (Some(c.clone()), Some(r.clone()), Some(k.clone())),
        [] => (None, None, None),
    };
    Location { city, region, country, remote: false }
}

pub fn scoring_criteria(job: &Job) -> ScoringCriteria {
    let c = &job.criteria;
    ScoringCriteria {
        weights: Weights {
            skills: c.weights.skills,
            experience: c.weights.experience,
            education: c.weights.education,
            location: c.weights.location,
        },
        required_skills: c.required_skills.clone(),
        preferred_skills: c.preferred_skills.clone(),
        minimum_experience_years: f64::from(c.minimum_experience),
        education_requirement: EducationRequirement {
            level: level(c.education_requirements.minimum_level),
            fields: c.education_requirements.fields_of_study.clone(),
        },
        job_location: job.location.as_deref().map(location),
        is_remote: job.is_remote,
        auto_reject_below: c.auto_reject_threshold,
        auto_advance_at: c.auto_approve_threshold,
        related_skill_credit: c.related_skill_credit,
    }
}
