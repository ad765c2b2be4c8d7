//! Career development for candidates (issue 14): skills gaps against an O*NET occupation and
//! career paths from one, on the candidate's own skills (their profile's, and what the parser
//! found in their latest resume). The occupations and the ranking are in
//! [`clearview_screening::careers`].

use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Candidate;
use crate::ports::Deps;
use crate::record;
use crate::values::UserId;
use clearview_screening::careers::{Occupation, Occupations};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An O*NET occupation, as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OccupationRef {
    /// O*NET-SOC code, e.g. `15-1252.00`.
    pub code: String,
    pub title: String,
    /// 1 (little preparation) to 5 (extensive).
    pub job_zone: u8,
}

impl OccupationRef {
    fn of(o: &Occupation) -> Self {
        Self { code: o.code.clone(), title: o.title.clone(), job_zone: o.job_zone }
    }
}

/// A skill the target occupation lists that the candidate does not have.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GapView {
    pub skill: String,
    /// O*NET Hot Technology for the occupation.
    pub hot: bool,
    /// O*NET In Demand for the occupation.
    pub in_demand: bool,
    /// How many O*NET occupations list the skill.
    pub occupations: u32,
    pub why: String,
}

/// `GET /api/skills/gaps`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillGaps {
    pub occupation: OccupationRef,
    /// The candidate's skills that the occupation lists.
    pub matched: Vec<String>,
    /// Most useful first: Hot Technology, then In Demand, then how many occupations list it.
    pub gaps: Vec<GapView>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GapsQuery {
    /// An O*NET-SOC code (`15-1252.00`) or a job title O*NET knows (`Software Engineer`).
    #[param(min_length = 1, max_length = 200)]
    pub target: Option<String>,
}

/// The candidate's skills: their profile's and their latest resume's.
async fn skills_of(deps: &Deps, candidate: &UserId) -> AppResult<(Candidate, BTreeSet<String>)> {
    let c: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let tax = clearview_screening::Taxonomy::global();
    let skills = c
        .skills
        .iter()
        .map(|s| s.name.as_str())
        .chain(c.resume_skills.iter().map(String::as_str))
        .map(|s| tax.canonical_name(s).unwrap_or(s).to_owned())
        .collect();
    Ok((c, skills))
}

fn resolve<'a>(field: &str, raw: Option<&str>) -> AppResult<&'a Occupation> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
        AppError::field(field, "name an occupation: an O*NET-SOC code such as 15-1252.00 or a job title")
    })?;
    if raw.chars().count() > 200 {
        return Err(AppError::field(field, "at most 200 characters"));
    }
    Occupations::global().resolve(raw).ok_or_else(|| {
        AppError::field(field, format!("{raw:?} is neither an O*NET-SOC code nor a job title O*NET knows"))
    })
}

pub async fn gaps(deps: &Deps, candidate: &UserId, q: &GapsQuery) -> AppResult<SkillGaps> {
    let target = resolve("target", q.target.as_deref())?;
    let (_, have) = skills_of(deps, candidate).await?;
    let have_lower: BTreeSet<String> = have.iter().map(|s| s.to_lowercase()).collect();
    Ok(SkillGaps {
        occupation: OccupationRef::of(target),
        matched: target.skills.iter().filter(|s| have_lower.contains(&s.to_lowercase())).cloned().collect(),
        gaps: Occupations::global()
            .gaps(&have, target)
            .into_iter()
            .map(|g| GapView {
                skill: g.skill,
                hot: g.hot,
                in_demand: g.in_demand,
                occupations: g.occupations,
                why: g.why,
            })
            .collect(),
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsQuery {
    /// Where the path starts: an O*NET-SOC code or a job title; absent: the title of the
    /// candidate's latest job on their profile.
    #[param(min_length = 1, max_length = 200)]
    pub from: Option<String>,
    /// How many steps (1–50, default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// One step of a career path, with what this candidate still lacks for it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PathStepView {
    pub occupation: OccupationRef,
    /// Shared skills ÷ the skills of either occupation (0..1).
    pub similarity: f64,
    pub shared_skills: usize,
    /// Skills the step adds to the starting occupation's.
    pub adds: Vec<String>,
    /// Of those, the ones the candidate does not have yet.
    pub you_lack: Vec<String>,
    /// Typical preparation for the step's job zone (O*NET SVP ranges), in months.
    pub typical_months_min: u32,
    /// Null: more than four years.
    pub typical_months_max: Option<u32>,
}

/// `GET /api/careers/paths`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CareerPaths {
    pub from: OccupationRef,
    /// Same job zone or one higher, most alike first.
    pub steps: Vec<PathStepView>,
}

pub async fn paths(deps: &Deps, candidate: &UserId, q: &PathsQuery) -> AppResult<CareerPaths> {
    let limit = match q.limit {
        None => 10,
        Some(n @ 1..=50) => n as usize,
        Some(_) => return Err(AppError::field("limit", "must be a number from 1 to 50")),
    };
    let (c, have) = skills_of(deps, candidate).await?;
    let from = match q.from.as_deref() {
        Some(raw) => resolve("from", Some(raw))?,
        None => {
            let latest = c.experience.iter().find(|e| e.current).or_else(|| c.experience.first());
            let title = latest.map(|e| e.title.clone());
            resolve("from", title.as_deref()).map_err(|_| {
                AppError::field("from", "your profile's latest job title is not one O*NET knows: name an occupation")
            })?
        }
    };
    let have_lower: BTreeSet<String> = have.iter().map(|s| s.to_lowercase()).collect();
    let steps = Occupations::global()
        .paths(from, 1, limit)
        .into_iter()
        .filter_map(|p| {
            let to = Occupations::global().by_code(&p.code)?;
            let you_lack = p.adds.iter().filter(|s| !have_lower.contains(&s.to_lowercase())).cloned().collect();
            Some(PathStepView {
                occupation: OccupationRef::of(to),
                similarity: p.similarity,
                shared_skills: p.shared_skills,
                adds: p.adds,
                you_lack,
                typical_months_min: p.typical_months_min,
                typical_months_max: p.typical_months_max,
            })
        })
        .collect();
    Ok(CareerPaths { from: OccupationRef::of(from), steps })
}
