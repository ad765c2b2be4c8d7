//! Career development for candidates (issue 14): their skills (latest parsed resume, profile,
//! own assessment, each with its source and whether the resume shows it), skills gaps against an
//! O*NET occupation (with related skills they already have), career paths, open jobs ranked for
//! them by the employers' own scorer, and goals with progress. The occupations, related skills
//! and the ranking are in [`clearview_screening::careers`].

use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Candidate;
use crate::model::{Proficiency, SkillOrigin};
use crate::ports::Deps;
use crate::ports::store::{Condition, Index, PageToken, Query};
use crate::record;
use crate::record::Record;
use crate::values::UserId;
use clearview_screening::AnonymizedProfile;
use clearview_screening::careers::{Occupation, Occupations};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// An O*NET occupation, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Against a job: true when the job requires the skill, false when it prefers it; null
    /// against an occupation.
    pub required_by_job: Option<bool>,
    /// O*NET Hot Technology for the occupation.
    pub hot: bool,
    /// O*NET In Demand for the occupation.
    pub in_demand: bool,
    /// How many O*NET occupations list the skill.
    pub occupations: u32,
    /// Postings published on ClearView this month that list the skill; null when that cell is
    /// suppressed (fewer than 5 postings or 3 employers).
    pub platform_postings: Option<i64>,
    pub why: String,
    /// Skills you have that are close to this one (O*NET lists them for many of the same
    /// occupations), closest first: the shortest way to it.
    pub close_to: Vec<String>,
}

/// `GET /api/skills/gaps`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillGaps {
    /// The target occupation; for a job, the occupation O*NET resolves its title to (null when
    /// O*NET does not know the title).
    pub occupation: Option<OccupationRef>,
    /// The target job, when the gaps are against one.
    pub job: Option<JobRef>,
    /// The candidate's skills that the target lists.
    pub matched: Vec<String>,
    /// Most useful first: for a job, its required skills before its preferred ones; then Hot
    /// Technology, In Demand, this month's postings on the platform, how many occupations list it.
    pub gaps: Vec<GapView>,
}

/// A job of the board, as gaps and recommendations name it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GapsQuery {
    /// An O*NET-SOC code (`15-1252.00`) or a job title O*NET knows (`Software Engineer`); or
    /// instead `jobId`.
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    pub target: Option<String>,
    /// A job on the board (its id); or instead `target`.
    #[param(min_length = 1, max_length = 100)]
    pub job_id: Option<String>,
}

/// The candidate's skills: their profile's, their latest resume's and their own assessment's.
pub(crate) async fn skills_of(deps: &Deps, candidate: &UserId) -> AppResult<(Candidate, BTreeSet<String>)> {
    let c: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let career = career_of(deps, candidate).await?;
    let skills = merged_skills(&c, career.as_ref()).into_iter().map(|s| s.name).collect();
    Ok((c, skills))
}

/// The skills vocabulary's canonical name of a skill (as typed, spaces collapsed, when unknown).
pub fn canonical(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    clearview_screening::Taxonomy::global().canonical_name(&s).map(str::to_owned).unwrap_or(s)
}

// ------------------------------------------------------------------ the career record

/// A skill the candidate assessed themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillAssessment {
    pub skill: String,
    pub proficiency: Proficiency,
    pub years: u8,
    #[serde(with = "time::serde::rfc3339")]
    pub assessed_at: OffsetDateTime,
}

/// A career goal: a target occupation and milestones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    pub id: String,
    pub target: OccupationRef,
    /// Milestone: these skills gained.
    pub skills: Vec<String>,
    /// Milestone: this many applications made after the goal was set.
    pub applications: u32,
    /// The applications counter when the goal was set (progress counts from it).
    pub applications_baseline: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The candidate's feedback on the roadmap, given once it is complete.
    #[serde(default)]
    pub feedback: Option<RoadmapFeedback>,
}

/// A candidate's feedback on a completed goal's roadmap (their accepted mentors read it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoadmapFeedback {
    pub goal_id: String,
    pub target: OccupationRef,
    /// 1 (not useful) to 5 (very useful).
    pub rating: u8,
    pub comment: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub given_at: OffsetDateTime,
}

/// `POST /api/careers/goals/{id}/feedback`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoadmapFeedbackInput {
    /// 1 (not useful) to 5 (very useful).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u32,
    #[schema(schema_with = comment_schema)]
    pub comment: Option<String>,
}

fn comment_schema() -> utoipa::openapi::schema::Object {
    crate::values::TextRule::new(1, 2000).opt_schema()
}

/// A skill the candidate learned by completing a course (`POST /api/learning/progress`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LearnedSkill {
    pub skill: String,
    pub course_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub learned_at: OffsetDateTime,
}

/// One item per candidate: their assessed skills, their goals and the skills their completed
/// courses taught.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CareerRecord {
    pub candidate_id: UserId,
    pub assessments: Vec<SkillAssessment>,
    pub goals: Vec<Goal>,
    #[serde(default)]
    pub learned: Vec<LearnedSkill>,
    pub version: u64,
}

impl Record for CareerRecord {
    const ENTITY: &'static str = "CareerRecord";
    fn key(&self) -> crate::ports::store::Key {
        keys::career(&self.candidate_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// At most this many assessed skills and goals a candidate.
pub const MAX_ASSESSMENTS: usize = 200;
pub const MAX_GOALS: usize = 10;

pub(crate) async fn career_of(deps: &Deps, candidate: &UserId) -> AppResult<Option<CareerRecord>> {
    Ok(record::get(deps.store.as_ref(), &keys::career(candidate)).await?)
}

/// Reads and changes the career record: the changed record and its write, conditional on the
/// version read (for a transaction with other writes; its label is `career`).
pub(crate) async fn career_change(
    deps: &Deps,
    candidate: &UserId,
    change: impl FnOnce(&mut CareerRecord) -> AppResult<()>,
) -> AppResult<(CareerRecord, crate::ports::store::TxWrite)> {
    let before = career_of(deps, candidate).await?;
    let mut after = before.clone().unwrap_or(CareerRecord {
        candidate_id: candidate.clone(),
        assessments: Vec::new(),
        goals: Vec::new(),
        learned: Vec::new(),
        version: 0,
    });
    change(&mut after)?;
    after.version += 1;
    let condition = match &before {
        Some(b) => Condition::VersionIs(b.version),
        None => Condition::NotExists,
    };
    let write = after.tx_put("career", condition)?;
    Ok((after, write))
}

/// Reads, changes and writes the career record under its version (a lost race answers 409).
async fn update_career(
    deps: &Deps,
    candidate: &UserId,
    change: impl FnOnce(&mut CareerRecord) -> AppResult<()>,
) -> AppResult<CareerRecord> {
    let (after, write) = career_change(deps, candidate, change).await?;
    let crate::ports::store::TxOp::Put { item, condition } = write.op else {
        return Err(AppError::Internal("a career write is a put".into()));
    };
    match deps.store.put(item, condition).await {
        Ok(()) => Ok(after),
        Err(crate::ports::store::StoreError::ConditionFailed { .. }) => Err(AppError::Conflict {
            kind: "concurrent-update",
            detail: "your career record changed at the same time; send it again".into(),
        }),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ skills

/// Where a skill of the candidate's comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillSource {
    /// Found by the parser in the latest resume.
    Resume,
    /// On the profile (entered, or filled from the resume and confirmed).
    Profile,
    /// Imported from LinkedIn onto the profile.
    Linkedin,
    /// The candidate's own assessment (`POST /api/skills/assess`).
    Assessment,
    /// Taught by a course the candidate completed (`POST /api/learning/progress`); not verified
    /// until a resume shows it.
    Learned,
}

/// One of the candidate's skills, from every source that names it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillView {
    /// The taxonomy's canonical name (as typed when the taxonomy does not know it).
    pub name: String,
    pub sources: Vec<SkillSource>,
    /// True when the latest parsed resume shows the skill.
    pub verified: bool,
    /// The candidate's own assessment, else the profile's.
    pub proficiency: Option<Proficiency>,
    pub years: Option<u8>,
}

/// `GET /api/skills`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillsView {
    /// By name.
    pub skills: Vec<SkillView>,
}

fn merged_skills(c: &Candidate, career: Option<&CareerRecord>) -> Vec<SkillView> {
    fn entry<'a>(by: &'a mut BTreeMap<String, SkillView>, name: &str) -> &'a mut SkillView {
        let name = canonical(name);
        by.entry(name.to_lowercase()).or_insert_with(|| SkillView {
            name,
            sources: Vec::new(),
            verified: false,
            proficiency: None,
            years: None,
        })
    }
    let mut by: BTreeMap<String, SkillView> = BTreeMap::new();
    for s in &c.resume_skills {
        let v = entry(&mut by, s);
        v.verified = true;
        v.sources.push(SkillSource::Resume);
    }
    for s in &c.skills {
        let v = entry(&mut by, &s.name);
        v.sources.push(match s.origin {
            SkillOrigin::Linkedin => SkillSource::Linkedin,
            SkillOrigin::Resume | SkillOrigin::Manual => SkillSource::Profile,
        });
        v.proficiency = v.proficiency.or(s.proficiency);
        v.years = v.years.or(s.years);
    }
    for a in career.map(|c| c.assessments.as_slice()).unwrap_or_default() {
        let v = entry(&mut by, &a.skill);
        v.sources.push(SkillSource::Assessment);
        v.proficiency = Some(a.proficiency);
        v.years = Some(a.years);
    }
    for l in career.map(|c| c.learned.as_slice()).unwrap_or_default() {
        entry(&mut by, &l.skill).sources.push(SkillSource::Learned);
    }
    let mut out: Vec<SkillView> = by.into_values().collect();
    for v in &mut out {
        v.sources.sort();
        v.sources.dedup();
    }
    out.sort_by_key(|a| a.name.to_lowercase());
    out
}

pub async fn skills(deps: &Deps, candidate: &UserId) -> AppResult<SkillsView> {
    let c: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let career = career_of(deps, candidate).await?;
    Ok(SkillsView { skills: merged_skills(&c, career.as_ref()) })
}

/// `POST /api/skills/assess`: how well the candidate says they know a skill.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssessInput {
    /// A skill (matched to the taxonomy's canonical name when it knows it).
    #[schema(min_length = 1, max_length = 100)]
    pub skill: String,
    pub proficiency: Proficiency,
    /// Years of use, 0–60.
    #[schema(minimum = 0, maximum = 60)]
    pub years: u32,
}

/// Records (or replaces) the candidate's assessment of one skill; answers all their skills.
pub async fn assess(deps: &Deps, candidate: &UserId, input: AssessInput) -> AppResult<SkillsView> {
    let mut checks = crate::values::Checks::default();
    let raw = input.skill.split_whitespace().collect::<Vec<_>>().join(" ");
    if raw.is_empty() || raw.chars().count() > 100 {
        checks.push("skill", "name a skill in 1 to 100 characters");
    }
    if input.years > 60 {
        checks.push("years", "must be a number from 0 to 60");
    }
    checks.finish()?;
    let c: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let skill = canonical(&raw);
    let now = deps.clock.now();
    let career = update_career(deps, candidate, |r| {
        r.assessments.retain(|a| !a.skill.eq_ignore_ascii_case(&skill));
        if r.assessments.len() >= MAX_ASSESSMENTS {
            return Err(AppError::field("skill", format!("you have assessed {MAX_ASSESSMENTS} skills, the most kept")));
        }
        r.assessments.push(SkillAssessment {
            skill: skill.clone(),
            proficiency: input.proficiency,
            years: input.years as u8,
            assessed_at: now,
        });
        r.assessments.sort_by_key(|a| a.skill.to_lowercase());
        Ok(())
    })
    .await?;
    Ok(SkillsView { skills: merged_skills(&c, Some(&career)) })
}

pub(crate) fn resolve<'a>(field: &str, raw: Option<&str>) -> AppResult<&'a Occupation> {
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

/// As [`resolve`] for a query parameter: a well-formed name of no occupation names nothing, and
/// answers 404 like an id of nothing.
fn resolve_query<'a>(field: &str, raw: Option<&str>) -> AppResult<&'a Occupation> {
    resolve(field, raw).map_err(|e| match (&e, raw.map(str::trim)) {
        (AppError::Validation(_), Some(r)) if !r.is_empty() && r.chars().count() <= 200 => {
            AppError::NotFound("occupation")
        }
        _ => e,
    })
}

/// What gaps are measured against: an occupation or a job of the board.
pub(crate) enum GapTarget<'a> {
    Occupation(&'a Occupation),
    Job(Box<crate::model::Job>),
}

impl GapsQuery {
    /// Exactly one of `target` and `jobId`; a well-formed name of nothing answers 404.
    pub(crate) async fn target(&self, deps: &Deps) -> AppResult<GapTarget<'static>> {
        match (&self.target, &self.job_id) {
            (Some(_), Some(_)) => {
                Err(AppError::field("jobId", "name an occupation (target) or a job (jobId), not both"))
            }
            (None, None) => Err(AppError::field("target", "name an occupation (target) or a job (jobId)")),
            (Some(t), None) => Ok(GapTarget::Occupation(resolve_query("target", Some(t))?)),
            (None, Some(j)) => {
                let id = crate::values::JobId::parse(j.trim()).ok_or(AppError::NotFound("job"))?;
                Ok(GapTarget::Job(Box::new(super::jobs::public_job(deps, &id).await?)))
            }
        }
    }
}

pub async fn gaps(deps: &Deps, candidate: &UserId, q: &GapsQuery) -> AppResult<SkillGaps> {
    let target = q.target(deps).await?;
    let (_, have) = skills_of(deps, candidate).await?;
    gaps_of(deps, &have, &target).await
}

/// The gaps of `have` against `target`, most useful first.
pub(crate) async fn gaps_of(deps: &Deps, have: &BTreeSet<String>, target: &GapTarget<'_>) -> AppResult<SkillGaps> {
    let have_lower: BTreeSet<String> = have.iter().map(|s| s.to_lowercase()).collect();
    let postings = super::market::skill_postings_this_month(deps).await?;
    let view = |g: clearview_screening::careers::Gap, required_by_job: Option<bool>| {
        let platform_postings = postings.get(&g.skill.to_lowercase()).copied();
        let mut why = g.why;
        if let Some(n) = platform_postings {
            why.push_str(&format!("; listed in {n} postings on ClearView this month"));
        }
        GapView {
            skill: g.skill,
            required_by_job,
            hot: g.hot,
            in_demand: g.in_demand,
            occupations: g.occupations,
            platform_postings,
            why,
            close_to: g.close_to,
        }
    };
    let (occupation, job, matched, mut gaps) = match target {
        GapTarget::Occupation(o) => {
            let gaps: Vec<GapView> = Occupations::global().gaps(have, o).into_iter().map(|g| view(g, None)).collect();
            let matched = o.skills.iter().filter(|s| have_lower.contains(&s.to_lowercase())).cloned().collect();
            (Some(*o), None, matched, gaps)
        }
        GapTarget::Job(job) => {
            let occupation = Occupations::global().resolve(&job.title);
            let c = &job.criteria;
            let mut matched = Vec::new();
            let mut gaps = Vec::new();
            let mut seen = BTreeSet::new();
            for (skill, required) in
                c.required_skills.iter().map(|s| (s, true)).chain(c.preferred_skills.iter().map(|s| (s, false)))
            {
                let name = canonical(skill);
                if !seen.insert(name.to_lowercase()) {
                    continue;
                }
                if have_lower.contains(&name.to_lowercase()) {
                    matched.push(name);
                    continue;
                }
                let g = job_gap(&name, required, occupation, have);
                gaps.push(view(g, Some(required)));
            }
            (occupation, Some(JobRef { id: job.id.to_string(), title: job.title.clone() }), matched, gaps)
        }
    };
    // Stable: O*NET's (or the job's) order holds among skills the platform's postings do not
    // tell apart.
    gaps.sort_by(|a, b| {
        (b.required_by_job, b.hot, b.in_demand, b.platform_postings.unwrap_or(0)).cmp(&(
            a.required_by_job,
            a.hot,
            a.in_demand,
            a.platform_postings.unwrap_or(0),
        ))
    });
    Ok(SkillGaps { occupation: occupation.map(OccupationRef::of), job, matched, gaps })
}

/// A skill a job asks for that the candidate lacks, with why it matters.
fn job_gap(
    skill: &str,
    required: bool,
    occupation: Option<&Occupation>,
    have: &BTreeSet<String>,
) -> clearview_screening::careers::Gap {
    let occupations = clearview_screening::Taxonomy::global().normalize(skill).map(|c| c.occupations).unwrap_or(0);
    let hot = occupation.is_some_and(|o| o.hot.contains(skill));
    let in_demand = occupation.is_some_and(|o| o.in_demand.contains(skill));
    let mut why = vec![if required { "required by this job" } else { "preferred by this job" }.to_owned()];
    if let (true, Some(o)) = (hot, occupation) {
        why.push(format!("a Hot Technology for {} in O*NET", o.title));
    }
    if in_demand {
        why.push("in demand in employers' postings (O*NET In Demand)".to_owned());
    }
    why.push(format!("listed for {occupations} occupations in O*NET"));
    let close_to: Vec<String> = clearview_screening::careers::RelatedSkills::global()
        .close_to(skill, have)
        .into_iter()
        .map(|(h, _)| h)
        .take(3)
        .collect();
    if let Some(first) = close_to.first() {
        why.push(format!("you have {first}; {skill} is close (O*NET lists them for many of the same occupations)"));
    }
    clearview_screening::careers::Gap {
        skill: skill.to_owned(),
        hot,
        in_demand,
        occupations,
        why: why.join("; "),
        close_to,
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PathsQuery {
    /// Where the path starts: an O*NET-SOC code or a job title; absent: the title of the
    /// candidate's latest job on their profile (422 on `from` when O*NET does not know it).
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
        Some(raw) => resolve_query("from", Some(raw))?,
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

// ------------------------------------------------------------------ job matching

/// One open job, scored for the candidate by the scorer employers use.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobMatch {
    /// Apply with `POST /api/applications` and this id.
    pub job_id: String,
    pub employer_id: String,
    pub title: String,
    pub location: Option<String>,
    pub is_remote: bool,
    /// 0–100, the overall score the employer's screening would give this resume.
    #[schema(minimum = 0, maximum = 100)]
    pub score: u8,
    pub sub_scores: clearview_screening::score::SubScores,
    /// The job's skills your resume shows.
    pub matched: Vec<String>,
    /// The job's required skills your resume does not show.
    pub missing_required: Vec<String>,
    /// The job's preferred skills your resume does not show.
    pub missing_preferred: Vec<String>,
    /// Why, criterion by criterion, in the scorer's words.
    pub why: Vec<String>,
}

/// `GET /api/jobs/matches`: one page of the board's active jobs (newest first, as the board
/// pages them), ranked within the page by score.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobMatches {
    /// Best first.
    pub items: Vec<JobMatch>,
    /// The resume scored (the latest on your profile); null while no resume of yours has been
    /// read (then there are no items, and `notice` says what to do).
    pub resume_file_id: Option<String>,
    pub notice: Option<String>,
    /// How many of the board's jobs this page read (at most the page size).
    pub jobs_read: usize,
    /// Pass as `?cursor=` for the board's next page of jobs; null on the last page.
    pub next_cursor: Option<String>,
}

/// The candidate's anonymised profile: the anonymiser's output for their latest resume.
async fn latest_profile(deps: &Deps, c: &Candidate) -> AppResult<(String, AnonymizedProfile)> {
    let no_profile = || AppError::Conflict {
        kind: "no-screened-resume",
        detail: "no resume of yours has been read yet: upload one with an application, then ask again".into(),
    };
    let latest = c.resumes.iter().max_by_key(|r| r.added_at).ok_or_else(no_profile)?;
    let r: crate::model::StageResult =
        record::get(deps.store.as_ref(), &keys::stage_result(&latest.org_id, &latest.application_id, "anonymized"))
            .await?
            .ok_or_else(no_profile)?;
    let profile = serde_json::from_value(r.body).map_err(|e| AppError::Internal(format!("stored profile: {e}")))?;
    Ok((latest.file_id.clone(), profile))
}

/// Scores one page (`limit` jobs after `after`) of the board's active jobs on the candidate's
/// anonymised profile: the bound is the page, never the whole board.
pub async fn matches(
    deps: &Deps,
    candidate: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<(JobMatches, Option<PageToken>)> {
    let c: Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let (resume_file_id, profile) = match latest_profile(deps, &c).await {
        Ok(p) => p,
        Err(AppError::Conflict { detail, .. }) => {
            let none = JobMatches {
                items: Vec::new(),
                resume_file_id: None,
                notice: Some(detail),
                jobs_read: 0,
                next_cursor: None,
            };
            return Ok((none, None));
        }
        Err(e) => return Err(e),
    };
    let q = Query::index(Index::Gsi2, keys::ACTIVE_JOBS_PK).limit(limit).after(after).descending();
    let (jobs, page) = record::query::<crate::model::Job>(deps.store.as_ref(), &q).await?;
    let jobs_read = jobs.len();
    let mut items: Vec<JobMatch> = jobs
        .into_iter()
        .map(|job| {
            let r = clearview_screening::score(&profile, &super::criteria::scoring_criteria(&job));
            let e = r.explanation;
            let mut matched = e.skills.required_matched.clone();
            matched.extend(e.skills.preferred_matched.iter().cloned());
            JobMatch {
                job_id: job.id.to_string(),
                employer_id: job.org_id.to_string(),
                title: job.title,
                location: job.location,
                is_remote: job.is_remote,
                score: r.overall,
                sub_scores: r.sub_scores,
                matched,
                missing_required: e.skills.required_missing,
                missing_preferred: e.skills.preferred_missing,
                why: vec![e.skills.reasoning, e.experience.reasoning, e.education.reasoning, e.location],
            }
        })
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.job_id.cmp(&b.job_id)));
    Ok((
        JobMatches { items, resume_file_id: Some(resume_file_id), notice: None, jobs_read, next_cursor: None },
        page.next,
    ))
}

// ------------------------------------------------------------------ goals and progress

/// `POST /api/careers/goals`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalInput {
    /// The target occupation: an O*NET-SOC code or a job title O*NET knows (422 on `target` when
    /// it names no occupation).
    #[schema(min_length = 1, max_length = 200)]
    pub target: String,
    /// Milestone: skills to gain (1–20; default: the target's five most useful gaps).
    #[schema(max_items = 20)]
    pub skills: Option<Vec<String>>,
    /// Milestone: applications to make from now (0–200, default 0).
    #[schema(minimum = 0, maximum = 200)]
    pub applications: Option<u32>,
}

/// A milestone's state.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillsMilestone {
    pub wanted: Vec<String>,
    /// Of those, the ones you have now (resume, profile or assessment).
    pub gained: Vec<String>,
    pub remaining: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationsMilestone {
    pub wanted: u32,
    /// Applications made since the goal was set (counted as they are received).
    pub made: u32,
}

/// A goal and how far along it is, from what the platform knows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoalProgress {
    pub id: String,
    pub target: OccupationRef,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub skills: SkillsMilestone,
    pub applications: ApplicationsMilestone,
    /// Of the target occupation's skills, the share you have (0..1).
    pub occupation_coverage: f64,
    /// Milestones met ÷ milestone steps (each wanted skill and each wanted application), 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub percent: u8,
}

/// `GET /api/careers/progress`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CareerProgress {
    /// Newest first.
    pub goals: Vec<GoalProgress>,
    /// Applications you have made on the platform (all time).
    pub applications_made: u32,
}

async fn applications_made(deps: &Deps, candidate: &UserId) -> AppResult<i64> {
    Ok(deps.store.get(&keys::career_applied(candidate)).await?.and_then(|i| i.data["count"].as_i64()).unwrap_or(0))
}

fn progress_of(g: &Goal, have: &BTreeSet<String>, applied: i64) -> GoalProgress {
    let have_lower: BTreeSet<String> = have.iter().map(|s| s.to_lowercase()).collect();
    let (gained, remaining): (Vec<String>, Vec<String>) =
        g.skills.iter().cloned().partition(|s| have_lower.contains(&s.to_lowercase()));
    let made = u32::try_from((applied - g.applications_baseline).max(0)).unwrap_or(u32::MAX);
    let coverage = Occupations::global()
        .by_code(&g.target.code)
        .filter(|o| !o.skills.is_empty())
        .map(|o| {
            let n = o.skills.iter().filter(|s| have_lower.contains(&s.to_lowercase())).count();
            (n as f64 / o.skills.len() as f64 * 1000.0).round() / 1000.0
        })
        .unwrap_or(0.0);
    let steps = g.skills.len() as u32 + g.applications;
    let met = gained.len() as u32 + made.min(g.applications);
    let percent = (met * 100).checked_div(steps).map_or(100, |p| p as u8);
    GoalProgress {
        id: g.id.clone(),
        target: g.target.clone(),
        created_at: g.created_at,
        skills: SkillsMilestone { wanted: g.skills.clone(), gained, remaining },
        applications: ApplicationsMilestone { wanted: g.applications, made },
        occupation_coverage: coverage,
        percent,
    }
}

pub async fn create_goal(deps: &Deps, candidate: &UserId, input: GoalInput) -> AppResult<GoalProgress> {
    let target = resolve("target", Some(&input.target))?;
    let mut checks = crate::values::Checks::default();
    let applications = input.applications.unwrap_or(0);
    if applications > 200 {
        checks.push("applications", "must be a number from 0 to 200");
    }
    let (_, have) = skills_of(deps, candidate).await?;
    let skills: Vec<String> = match &input.skills {
        Some(list) if list.is_empty() || list.len() > 20 => {
            checks.push("skills", "name 1 to 20 skills");
            Vec::new()
        }
        Some(list) => {
            let mut out: Vec<String> = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let s = canonical(s);
                if s.is_empty() || s.chars().count() > 100 {
                    checks.push(format!("skills[{i}]"), "name a skill in 1 to 100 characters");
                } else if !out.iter().any(|x| x.eq_ignore_ascii_case(&s)) {
                    out.push(s);
                }
            }
            out
        }
        None => Occupations::global().gaps(&have, target).into_iter().take(5).map(|g| g.skill).collect(),
    };
    checks.finish()?;
    let applied = applications_made(deps, candidate).await?;
    let goal = Goal {
        id: deps.ids.new_id().to_string(),
        target: OccupationRef::of(target),
        skills,
        applications,
        applications_baseline: applied,
        created_at: deps.clock.now(),
        feedback: None,
    };
    update_career(deps, candidate, |r| {
        if r.goals.len() >= MAX_GOALS {
            return Err(AppError::Conflict {
                kind: "too-many-goals",
                detail: format!("you have {MAX_GOALS} goals, the most kept"),
            });
        }
        r.goals.push(goal.clone());
        Ok(())
    })
    .await?;
    Ok(progress_of(&goal, &have, applied))
}

pub async fn progress(deps: &Deps, candidate: &UserId) -> AppResult<CareerProgress> {
    let (_, have) = skills_of(deps, candidate).await?;
    let career = career_of(deps, candidate).await?;
    let applied = applications_made(deps, candidate).await?;
    let mut goals: Vec<GoalProgress> =
        career.iter().flat_map(|c| c.goals.iter()).map(|g| progress_of(g, &have, applied)).collect();
    goals.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(CareerProgress { goals, applications_made: u32::try_from(applied.max(0)).unwrap_or(u32::MAX) })
}

/// The candidate's feedback on a goal whose milestones are all met (409 `goal-not-complete`
/// before); giving it again replaces it.
pub async fn give_feedback(
    deps: &Deps,
    candidate: &UserId,
    goal: &str,
    input: RoadmapFeedbackInput,
) -> AppResult<RoadmapFeedback> {
    let mut checks = crate::values::Checks::default();
    if !(1..=5).contains(&input.rating) {
        checks.push("rating", "must be a number from 1 to 5");
    }
    let comment =
        checks.take(crate::values::TextRule::new(1, 2000).parse_opt("comment", input.comment.as_deref())).flatten();
    checks.finish()?;
    let (_, have) = skills_of(deps, candidate).await?;
    let applied = applications_made(deps, candidate).await?;
    let career = career_of(deps, candidate).await?;
    let g = career.iter().flat_map(|c| c.goals.iter()).find(|g| g.id == goal).ok_or(AppError::NotFound("goal"))?;
    if progress_of(g, &have, applied).percent < 100 {
        return Err(AppError::conflict("goal-not-complete", "give feedback once every milestone of the goal is met"));
    }
    let feedback = RoadmapFeedback {
        goal_id: g.id.clone(),
        target: g.target.clone(),
        rating: input.rating as u8,
        comment,
        given_at: deps.clock.now(),
    };
    update_career(deps, candidate, |r| {
        let g = r.goals.iter_mut().find(|g| g.id == goal).ok_or(AppError::NotFound("goal"))?;
        g.feedback = Some(feedback.clone());
        Ok(())
    })
    .await?;
    Ok(feedback)
}

/// A candidate's roadmap feedback, newest first.
pub(crate) async fn feedback_of(deps: &Deps, candidate: &UserId) -> AppResult<Vec<RoadmapFeedback>> {
    let career = career_of(deps, candidate).await?;
    let mut out: Vec<RoadmapFeedback> =
        career.iter().flat_map(|c| c.goals.iter()).filter_map(|g| g.feedback.clone()).collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.given_at));
    Ok(out)
}
