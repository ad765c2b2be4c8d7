//! Mentors (issue 14): career mentors' profiles (skills from the skills vocabulary, indexed by
//! skill; capacity), matching a candidate's gaps against them with bounded reads, candidates'
//! requests and the mentor's answer. Capacity holds under races: an acceptance writes the
//! request and the mentor's profile (its `accepted` counter) in one transaction conditional on
//! the profile's version, and re-reads on a lost race, so two acceptances never both take the
//! last place.

use super::Listed;
use super::careers::{GapTarget, GapsQuery, gaps_of, skills_of};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::ports::Deps;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError, TxWrite};
use crate::principal::Principal;
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// At most this many skills a mentor offers.
pub const MAX_MENTOR_SKILLS: usize = 10;
/// At most this many mentees a mentor takes.
pub const MAX_CAPACITY: u32 = 50;
/// Gaps matched against mentors and courses: the candidate's most useful ones.
pub const TOP_GAPS: usize = 5;

fn skills_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(TextRule::new(1, 100).schema())
        .min_items(Some(1))
        .max_items(Some(MAX_MENTOR_SKILLS))
        .build()
}
fn bio_schema() -> utoipa::openapi::schema::Object {
    TextRule::new(1, 2000).opt_schema()
}

/// A career mentor's profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentorProfile {
    #[schema(value_type = String)]
    pub id: UserId,
    pub name: String,
    pub bio: Option<String>,
    /// Skills they mentor: canonical names of the skills vocabulary.
    pub skills: Vec<String>,
    /// How many mentees they take.
    pub capacity: u32,
    /// Mentees accepted (never above the capacity at the time of each acceptance).
    pub accepted: u32,
    pub version: u64,
}

impl Record for MentorProfile {
    const ENTITY: &'static str = "MentorProfile";
    fn key(&self) -> crate::ports::store::Key {
        keys::mentor(&self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// One entry of the skill index of mentors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MentorBySkill {
    pub skill: String,
    pub mentor_id: UserId,
}

impl Record for MentorBySkill {
    const ENTITY: &'static str = "MentorBySkill";
    fn key(&self) -> crate::ports::store::Key {
        keys::mentor_by_skill(&self.skill, &self.mentor_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// `PUT /api/network/mentors/me`: the caller's mentor profile, replaced.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MentorInput {
    /// 1–10 skills you mentor, each one the skills vocabulary knows.
    #[schema(schema_with = skills_schema, example = json!(["PostgreSQL", "Python"]))]
    pub skills: Vec<String>,
    /// How many mentees you take, 0–50 (lowering it below those accepted takes no new ones).
    #[schema(minimum = 0, maximum = 50)]
    pub capacity: u32,
    #[schema(schema_with = bio_schema)]
    pub bio: Option<String>,
}

pub async fn load_mentor(deps: &Deps, id: &UserId) -> AppResult<Option<MentorProfile>> {
    Ok(record::get(deps.store.as_ref(), &keys::mentor(id)).await?)
}

/// Creates or replaces the caller's mentor profile and its skill index entries (one transaction).
pub async fn set_profile(
    deps: &Deps,
    p: &Principal,
    if_match: Option<u64>,
    input: MentorInput,
) -> AppResult<MentorProfile> {
    let mut c = Checks::default();
    let skills = super::learning::vocabulary_skills(&mut c, "skills", &input.skills, MAX_MENTOR_SKILLS);
    if input.capacity > MAX_CAPACITY {
        c.push("capacity", format!("must be a number from 0 to {MAX_CAPACITY}"));
    }
    let bio = c.take(TextRule::new(1, 2000).parse_opt("bio", input.bio.as_deref())).flatten();
    c.finish()?;
    let user = super::platform::load_user(deps, &p.user_id).await?;
    let before = load_mentor(deps, &p.user_id).await?;
    if let Some(b) = &before {
        super::check_version(if_match, b.version, false)?;
    }
    let after = MentorProfile {
        id: p.user_id.clone(),
        name: user.name(),
        bio,
        skills,
        capacity: input.capacity,
        accepted: before.as_ref().map_or(0, |b| b.accepted),
        version: before.as_ref().map_or(1, |b| b.version + 1),
    };
    let condition = before.as_ref().map_or(Condition::NotExists, |b| Condition::VersionIs(b.version));
    let mut writes = vec![after.tx_put("version", condition)?];
    for old in before.iter().flat_map(|b| b.skills.iter()) {
        if !after.skills.iter().any(|s| s.eq_ignore_ascii_case(old)) {
            writes.push(TxWrite::delete("skill-index", keys::mentor_by_skill(old, &after.id), Condition::None));
        }
    }
    for s in &after.skills {
        let entry = MentorBySkill { skill: s.clone(), mentor_id: after.id.clone() };
        writes.push(entry.tx_put("skill-index", Condition::None)?);
    }
    deps.store.transact(writes).await.map_err(super::lost_update(before.map_or(0, |b| b.version)))?;
    Ok(after)
}

/// A mentor who can help with some of the candidate's gaps.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentorMatch {
    #[schema(value_type = String)]
    pub mentor_id: UserId,
    pub name: String,
    pub bio: Option<String>,
    pub skills: Vec<String>,
    /// Places left (capacity − accepted), at least 1.
    pub places_left: u32,
    /// The candidate's gaps this mentor covers, most useful first.
    pub closes: Vec<String>,
}

/// `GET /api/network/mentors`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MentorMatches {
    /// The gaps matched (your most useful five against the target).
    pub gaps: Vec<String>,
    /// Most gaps covered first, then most places left.
    pub mentors: Vec<MentorMatch>,
}

/// The target of a candidate's matching: the query's, else their newest goal's occupation.
pub(crate) async fn target_or_goal(deps: &Deps, candidate: &UserId, q: &GapsQuery) -> AppResult<GapTarget<'static>> {
    if q.target.is_some() || q.job_id.is_some() {
        return q.target(deps).await;
    }
    let career = super::careers::career_of(deps, candidate).await?;
    let newest = career.as_ref().and_then(|c| c.goals.iter().max_by_key(|g| g.created_at));
    let code = newest.map(|g| g.target.code.clone()).ok_or_else(|| {
        AppError::field("target", "name an occupation (target) or a job (jobId), or set a goal first")
    })?;
    let o = clearview_screening::careers::Occupations::global()
        .by_code(&code)
        .ok_or_else(|| AppError::Internal(format!("goal occupation {code} is not in O*NET")))?;
    Ok(GapTarget::Occupation(o))
}

/// Mentors for the candidate's top gaps: one bounded query of the skill index a gap (at most
/// ten mentors a skill), then each mentor found read once.
pub async fn mentors(deps: &Deps, candidate: &UserId, q: &GapsQuery) -> AppResult<MentorMatches> {
    let target = target_or_goal(deps, candidate, q).await?;
    let (_, have) = skills_of(deps, candidate).await?;
    let gaps: Vec<String> =
        gaps_of(deps, &have, &target).await?.gaps.into_iter().take(TOP_GAPS).map(|g| g.skill).collect();
    let found = mentors_for(deps, &gaps, Some(candidate)).await?;
    Ok(MentorMatches { gaps, mentors: found })
}

/// Mentors with room who cover any of `gaps` (never the candidate themself), best first.
pub(crate) async fn mentors_for(deps: &Deps, gaps: &[String], except: Option<&UserId>) -> AppResult<Vec<MentorMatch>> {
    let mut closes: BTreeMap<UserId, Vec<String>> = BTreeMap::new();
    for g in gaps {
        let q = Query::table(keys::mentor_by_skill_pk(g)).limit(10);
        let (entries, _) = record::query::<MentorBySkill>(deps.store.as_ref(), &q).await?;
        for e in entries {
            closes.entry(e.mentor_id).or_default().push(g.clone());
        }
    }
    let mut out = Vec::new();
    for (id, closes) in closes {
        if except == Some(&id) {
            continue;
        }
        let Some(m) = load_mentor(deps, &id).await? else { continue };
        let places_left = m.capacity.saturating_sub(m.accepted);
        if places_left == 0 {
            continue;
        }
        out.push(MentorMatch { mentor_id: m.id, name: m.name, bio: m.bio, skills: m.skills, places_left, closes });
    }
    out.sort_by(|a, b| {
        (b.closes.len(), b.places_left).cmp(&(a.closes.len(), a.places_left)).then(a.mentor_id.cmp(&b.mentor_id))
    });
    Ok(out)
}

// ------------------------------------------------------------------ requests

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MentorRequestStatus)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Declined,
    /// The candidate withdrew it while it was pending.
    Withdrawn,
}

/// A candidate's request to be mentored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenteeRequest {
    #[schema(value_type = String)]
    pub mentor_id: UserId,
    pub mentor_name: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    pub candidate_name: String,
    pub message: Option<String>,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<OffsetDateTime>,
    /// When the candidate withdrew it (status `withdrawn`).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub withdrawn_at: Option<OffsetDateTime>,
    pub version: u64,
}

impl Record for MenteeRequest {
    const ENTITY: &'static str = "MenteeRequest";
    fn key(&self) -> crate::ports::store::Key {
        keys::mentee_request(&self.mentor_id, &self.candidate_id)
    }
    /// gsi1: the candidate's requests.
    fn gsi1(&self) -> Option<crate::ports::store::Key> {
        Some(keys::mentee_request_by_candidate(&self.candidate_id, &self.mentor_id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `POST /api/network/mentors/{id}/requests`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestInput {
    /// What you hope to learn (optional).
    #[schema(schema_with = bio_schema)]
    pub message: Option<String>,
}

/// A candidate asks a mentor; asking again answers the first request (unless it was withdrawn:
/// then the new request replaces it, pending again).
pub async fn request(
    deps: &Deps,
    candidate: &UserId,
    mentor: &UserId,
    input: RequestInput,
) -> AppResult<MenteeRequest> {
    let message = TextRule::new(1, 2000)
        .parse_opt("message", input.message.as_deref())
        .map_err(|e| AppError::Validation(vec![e]))?;
    let m = load_mentor(deps, mentor).await?.ok_or(AppError::NotFound("mentor"))?;
    if &m.id == candidate {
        return Err(AppError::conflict("own-mentor", "you cannot be your own mentee"));
    }
    let c: crate::model::Candidate =
        record::get(deps.store.as_ref(), &keys::candidate(candidate)).await?.ok_or(AppError::NotFound("candidate"))?;
    let r = MenteeRequest {
        mentor_id: m.id.clone(),
        mentor_name: m.name.clone(),
        candidate_id: candidate.clone(),
        candidate_name: c.name.clone(),
        message,
        status: RequestStatus::Pending,
        requested_at: deps.clock.now(),
        answered_at: None,
        withdrawn_at: None,
        version: 1,
    };
    match deps.store.put(r.to_item()?, Condition::NotExists).await {
        Ok(()) => Ok(r),
        Err(StoreError::ConditionFailed { .. }) => {
            let first: MenteeRequest =
                record::get(deps.store.as_ref(), &r.key()).await?.ok_or(AppError::NotFound("request"))?;
            if first.status != RequestStatus::Withdrawn {
                return Ok(first);
            }
            let again = MenteeRequest { version: first.version + 1, ..r };
            deps.store
                .put(again.to_item()?, Condition::VersionIs(first.version))
                .await
                .map_err(super::lost_update(first.version))?;
            Ok(again)
        }
        Err(e) => Err(e.into()),
    }
}

/// The candidate withdraws a pending request (409 `not-pending` once the mentor has answered;
/// withdrawing again answers the withdrawn request). A pending request holds none of the
/// mentor's places (a place is taken only by an acceptance, in its own transaction), so there
/// is no place to give back; the write is conditional on the request's version, so a mentor's
/// acceptance racing it either lands first (and the withdrawal answers 409) or fails.
pub async fn withdraw(deps: &Deps, candidate: &UserId, mentor: &UserId) -> AppResult<MenteeRequest> {
    for _ in 0..5 {
        let before: MenteeRequest = record::get(deps.store.as_ref(), &keys::mentee_request(mentor, candidate))
            .await?
            .ok_or(AppError::NotFound("request"))?;
        match before.status {
            RequestStatus::Withdrawn => return Ok(before),
            RequestStatus::Pending => {}
            answered => {
                return Err(AppError::conflict(
                    "not-pending",
                    format!("the mentor has answered this request ({answered:?}); only a pending request is withdrawn"),
                ));
            }
        }
        let mut after = before.clone();
        after.status = RequestStatus::Withdrawn;
        after.withdrawn_at = Some(deps.clock.now());
        after.version += 1;
        match deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await {
            Ok(()) => return Ok(after),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the request kept changing; withdraw again"))
}

/// A mentor's requests (oldest first), or a candidate's.
pub async fn requests_to(
    deps: &Deps,
    mentor: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<MenteeRequest>> {
    let q = Query::table(keys::mentor(mentor).pk).prefix(keys::MENTEE_REQUEST_PREFIX).limit(limit).after(after);
    let (items, page) = record::query::<MenteeRequest>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn requests_of(
    deps: &Deps,
    candidate: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<MenteeRequest>> {
    let q = Query::index(Index::Gsi1, keys::mentee_requests_pk(candidate)).limit(limit).after(after);
    let (items, page) = record::query::<MenteeRequest>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// The mentor accepts (taking a place, never beyond the capacity) or declines a pending request.
/// Answering a request the same way again changes nothing.
pub async fn answer(deps: &Deps, mentor: &UserId, candidate: &UserId, accept: bool) -> AppResult<MenteeRequest> {
    let wanted = if accept { RequestStatus::Accepted } else { RequestStatus::Declined };
    for _ in 0..25 {
        let before: MenteeRequest = record::get(deps.store.as_ref(), &keys::mentee_request(mentor, candidate))
            .await?
            .ok_or(AppError::NotFound("request"))?;
        if before.status == wanted {
            return Ok(before);
        }
        if before.status == RequestStatus::Withdrawn {
            return Err(AppError::conflict("withdrawn", "the candidate withdrew this request"));
        }
        if before.status != RequestStatus::Pending {
            return Err(AppError::conflict("already-answered", "you answered this request already"));
        }
        let mut after = before.clone();
        after.status = wanted;
        after.answered_at = Some(deps.clock.now());
        after.version += 1;
        let mut writes = vec![after.tx_put("request", Condition::VersionIs(before.version))?];
        if accept {
            let m = load_mentor(deps, mentor).await?.ok_or(AppError::NotFound("mentor"))?;
            if m.accepted >= m.capacity {
                return Err(AppError::conflict(
                    "mentor-at-capacity",
                    format!("you have accepted {} mentees, your capacity: raise it to accept more", m.accepted),
                ));
            }
            let mut taken = m.clone();
            taken.accepted += 1;
            taken.version += 1;
            writes.push(taken.tx_put("mentor", Condition::VersionIs(m.version))?);
        }
        match deps.store.transact(writes).await {
            Ok(()) => return Ok(after),
            Err(StoreError::TransactionCanceled { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "your mentor profile kept changing; answer again"))
}

/// `GET /api/network/mentees/{candidateId}/feedback`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MenteeFeedback {
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    pub candidate_name: String,
    /// Newest first.
    pub feedback: Vec<super::careers::RoadmapFeedback>,
}

/// A mentor reads the roadmap feedback of a candidate whose request they accepted (anyone else's
/// answers 404).
pub async fn mentee_feedback(deps: &Deps, mentor: &UserId, candidate: &UserId) -> AppResult<MenteeFeedback> {
    let r: MenteeRequest = record::get::<MenteeRequest>(deps.store.as_ref(), &keys::mentee_request(mentor, candidate))
        .await?
        .filter(|r| r.status == RequestStatus::Accepted)
        .ok_or(AppError::NotFound("mentee"))?;
    Ok(MenteeFeedback {
        candidate_id: r.candidate_id,
        candidate_name: r.candidate_name,
        feedback: super::careers::feedback_of(deps, candidate).await?,
    })
}
