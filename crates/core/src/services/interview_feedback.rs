//! Interviewers' feedback (scorecards): a rating 1–5, a recommendation, a rating per attribute
//! of the job's criteria, and comments.
//!
//! **Independent evaluation.** An interviewer sees the others' feedback on an interview only
//! once their own is in, so nobody anchors on a colleague's verdict; staff who did not interview
//! see every scorecard. **Amendments are recorded**: a changed scorecard keeps what it said
//! before, when, and why (a reason is required), and the change is audited.

use super::interviews::{load, person_bookings};
use super::{Actor, check_version, save_versioned};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Job;
use crate::model::interview::{
    CriterionRating, FeedbackAmendment, Interview, InterviewFeedback, InterviewStatus, Recommendation,
};
use crate::ports::Deps;
use crate::ports::store::{Condition, Query};
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use time::Duration;
use utoipa::openapi::schema::Object;

const COMMENTS: TextRule = TextRule::new(1, 5000);
const REASON: TextRule = TextRule::new(1, 1000);
pub const MAX_CRITERIA: usize = 30;
/// The attributes every job's scorecard has besides its skills.
pub const GENERAL_CRITERIA: [&str; 2] = ["experience", "education"];

fn comments_schema() -> Object {
    COMMENTS.opt_schema()
}
fn reason_schema() -> Object {
    REASON.opt_schema()
}

/// `POST /api/interviews/{id}/feedback`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedbackInput {
    /// Overall, 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
    pub recommendation: Recommendation,
    /// A rating per attribute of the job's criteria: its required and preferred skills,
    /// `experience` and `education`.
    #[schema(max_items = 30)]
    pub criteria: Option<Vec<CriterionRating>>,
    #[schema(schema_with = comments_schema)]
    pub comments: Option<String>,
    /// Required when changing feedback already sent: why it changed (kept with the old version).
    #[schema(schema_with = reason_schema)]
    pub amendment_reason: Option<String>,
}

/// `POST /api/employers/{id}/feedback` (the seed route): a staff member's rating of a candidate
/// after an interview; it is the scorecard of the caller's latest interview of that candidate.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmployerFeedbackInput {
    #[schema(schema_with = crate::values::id_schema)]
    pub candidate_id: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
    #[schema(schema_with = comments_schema)]
    pub comments: Option<String>,
    /// `hire` when absent for ratings of 4 and 5, `no_hire` otherwise.
    pub recommendation: Option<Recommendation>,
    #[schema(schema_with = reason_schema)]
    pub amendment_reason: Option<String>,
}

/// The feedback on an interview, as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackView {
    pub interview_id: String,
    /// The caller's own scorecard, if they sent one.
    pub own: Option<InterviewFeedback>,
    /// The others' scorecards; empty while `othersHidden`.
    pub others: Vec<InterviewFeedback>,
    /// True while the caller owes a scorecard on this candidate: they interview them here or in
    /// another of the candidate's interviews and have not sent their own yet (independent
    /// evaluation: no one reads the others' views of a candidate before giving theirs).
    pub others_hidden: bool,
    /// The candidate's interviews (this one included) the caller still owes a scorecard for.
    pub pending_interview_ids: Vec<String>,
    /// How many scorecards are in.
    pub submitted: usize,
    /// How many interviewers there are.
    pub interviewers: usize,
}

fn allowed_criteria(job: Option<&Job>) -> Option<Vec<String>> {
    let job = job?;
    let mut out: Vec<String> =
        job.criteria.required_skills.iter().chain(&job.criteria.preferred_skills).map(|s| s.to_lowercase()).collect();
    out.extend(GENERAL_CRITERIA.iter().map(|s| (*s).to_owned()));
    Some(out)
}

pub async fn submit(
    deps: &Deps,
    actor: &Actor,
    interview_id: &str,
    expected: Option<u64>,
    input: FeedbackInput,
) -> AppResult<InterviewFeedback> {
    let interview = load(deps, actor.org(), interview_id).await?;
    if !interview.interviewers.contains(&actor.user.id) {
        return Err(AppError::Forbidden("only the interview's interviewers send feedback on it".into()));
    }
    if matches!(interview.status, InterviewStatus::Cancelled | InterviewStatus::NoShow) {
        return Err(AppError::conflict("interview-closed", format!("the interview is {}", interview.status.as_str())));
    }
    if interview.starts_at > deps.clock.now() {
        return Err(AppError::conflict("interview-not-started", "feedback opens when the interview starts"));
    }
    let job: Option<Job> = match &interview.job_id {
        Some(j) => record::get(deps.store.as_ref(), &keys::job(actor.org(), j)).await?,
        None => None,
    };
    let allowed = allowed_criteria(job.as_ref());
    let mut checks = Checks::default();
    if !(1..=5).contains(&input.rating) {
        checks.push("rating", "must be 1 to 5");
    }
    let criteria = input.criteria.clone().unwrap_or_default();
    if criteria.len() > MAX_CRITERIA {
        checks.push("criteria", format!("at most {MAX_CRITERIA} ratings"));
    }
    let mut seen = Vec::new();
    let mut rated = Vec::new();
    for (i, c) in criteria.iter().enumerate() {
        let name = c.criterion.trim().to_lowercase();
        if !(1..=5).contains(&c.rating) {
            checks.push(format!("criteria[{i}].rating"), "must be 1 to 5");
        }
        if name.is_empty() || name.chars().count() > 100 {
            checks.push(format!("criteria[{i}].criterion"), "must be 1 to 100 characters");
        } else if seen.contains(&name) {
            checks.push(format!("criteria[{i}].criterion"), "is rated twice");
        } else if let Some(a) = &allowed
            && !a.contains(&name)
        {
            checks.push(format!("criteria[{i}].criterion"), format!("is not in the job's criteria ({})", a.join(", ")));
        }
        seen.push(name.clone());
        rated.push(CriterionRating { criterion: name, rating: c.rating });
    }
    let comments = checks.take(COMMENTS.parse_opt("comments", input.comments.as_deref())).flatten();
    let reason = checks.take(REASON.parse_opt("amendmentReason", input.amendment_reason.as_deref())).flatten();
    checks.finish()?;

    let key = keys::interview_feedback(actor.org(), &interview.id, &actor.user.id);
    let now = deps.clock.now();
    let before: Option<InterviewFeedback> = record::get(deps.store.as_ref(), &key).await?;
    let Some(before) = before else {
        let fb = InterviewFeedback {
            interview_id: interview.id.clone(),
            org_id: actor.org().clone(),
            interviewer_id: actor.user.id.clone(),
            candidate_id: interview.candidate_id.clone(),
            job_id: interview.job_id.clone(),
            rating: input.rating,
            recommendation: Some(input.recommendation),
            criteria: rated,
            comments,
            amendments: Vec::new(),
            submitted_at: now,
            updated_at: now,
            version: 1,
        };
        let audit = actor.audit(
            deps,
            super::Change {
                action: "interview.feedback",
                target_type: "interview",
                target_id: &interview.id,
                before: None,
                after: Some(super::snapshot(&fb)?),
            },
        )?;
        deps.store.transact(vec![fb.tx_put("feedback", Condition::NotExists)?, audit]).await.map_err(|e| match e {
            crate::ports::store::StoreError::TransactionCanceled { ref failed }
                if failed.iter().any(|l| l == "feedback") =>
            {
                AppError::conflict(
                    "concurrent-update",
                    "your feedback was sent by another request; read it and amend it",
                )
            }
            other => other.into(),
        })?;
        return Ok(fb);
    };
    check_version(expected, before.version, false)?;
    let Some(reason) = reason else {
        return Err(AppError::field("amendmentReason", "your feedback is already in: say why you change it"));
    };
    let mut after = before.clone();
    after.amendments.push(FeedbackAmendment {
        amended_at: now,
        previous_rating: before.rating,
        previous_recommendation: before.recommendation,
        previous_criteria: before.criteria.clone(),
        previous_comments: before.comments.clone(),
        reason,
    });
    after.rating = input.rating;
    after.recommendation = Some(input.recommendation);
    after.criteria = rated;
    after.comments = comments;
    after.updated_at = now;
    after.version = before.version + 1;
    save_versioned(
        deps,
        actor.who(),
        actor.org(),
        "interview.feedback_amend",
        ("interview", &interview.id),
        &before,
        &after,
    )
    .await?;
    Ok(after)
}

/// The scorecards of an interview: the caller's own, and the others' once the caller's is in
/// (staff who did not interview see them all).
pub async fn list(deps: &Deps, actor: &Actor, interview_id: &str) -> AppResult<FeedbackView> {
    let interview = load(deps, actor.org(), interview_id).await?;
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::interview_feedback_prefix(&interview.id)).limit(100);
    let (all, _) = record::query::<InterviewFeedback>(deps.store.as_ref(), &q).await?;
    let submitted = all.len();
    let (own, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|f| f.interviewer_id == actor.user.id);
    let own = own.into_iter().next();
    let mut pending = Vec::new();
    if interview.interviewers.contains(&actor.user.id) && own.is_none() {
        pending.push(interview.id.clone());
    }
    pending.extend(owed_elsewhere(deps, actor, &interview).await?);
    let hidden = !pending.is_empty();
    Ok(FeedbackView {
        interview_id: interview.id.clone(),
        own,
        others: if hidden { Vec::new() } else { others },
        others_hidden: hidden,
        pending_interview_ids: pending,
        submitted,
        interviewers: interview.interviewers.len(),
    })
}

/// The candidate's other interviews in the organisation (not cancelled, not a no-show) that the
/// caller sits on and has sent no scorecard for: one query of the candidate's bookings, one read
/// per such interview.
async fn owed_elsewhere(deps: &Deps, actor: &Actor, interview: &Interview) -> AppResult<Vec<String>> {
    let (from, to) = (time::OffsetDateTime::UNIX_EPOCH + Duration::days(2), deps.clock.now() + Duration::days(800));
    let bookings = person_bookings(deps, actor.org(), &interview.candidate_id, from, to).await?;
    let mut owed = Vec::new();
    for b in bookings {
        if b.interview_id == interview.id
            || !b.interviewers.contains(&actor.user.id)
            || matches!(b.status, InterviewStatus::Cancelled | InterviewStatus::NoShow)
        {
            continue;
        }
        let key = keys::interview_feedback(actor.org(), &b.interview_id, &actor.user.id);
        if deps.store.get(&key).await?.is_none() {
            owed.push(b.interview_id);
        }
    }
    Ok(owed)
}

/// The seed route: the caller's scorecard of their latest interview (in the last 92 days, already
/// started) of the candidate. No such interview: 404.
pub async fn from_employer(deps: &Deps, actor: &Actor, input: EmployerFeedbackInput) -> AppResult<InterviewFeedback> {
    let candidate = UserId::parse(input.candidate_id.trim()).ok_or(AppError::NotFound("candidate"))?;
    let now = deps.clock.now();
    let bookings = person_bookings(deps, actor.org(), &candidate, now - Duration::days(92), now).await?;
    let latest = bookings
        .iter()
        .filter(|b| b.interviewers.contains(&actor.user.id) && b.starts_at <= now)
        .max_by_key(|b| b.starts_at)
        .ok_or(AppError::NotFound("interview"))?;
    let interview: Interview = load(deps, actor.org(), &latest.interview_id).await?;
    let recommendation =
        input.recommendation.unwrap_or(if input.rating >= 4 { Recommendation::Hire } else { Recommendation::NoHire });
    submit(
        deps,
        actor,
        &interview.id,
        None,
        FeedbackInput {
            rating: input.rating,
            recommendation,
            criteria: None,
            comments: input.comments,
            amendment_reason: input.amendment_reason,
        },
    )
    .await
}

/// Shares an anonymised summary of the interview's feedback with the candidate (audited).
pub async fn share(deps: &Deps, actor: &Actor, interview_id: &str) -> AppResult<Interview> {
    let before = load(deps, actor.org(), interview_id).await?;
    if before.feedback_shared {
        return Ok(before);
    }
    let mut after = before.clone();
    after.feedback_shared = true;
    after.version = before.version + 1;
    after.updated_at = deps.clock.now();
    save_versioned(
        deps,
        actor.who(),
        actor.org(),
        "interview.share_feedback",
        ("interview", &before.id),
        &before,
        &after,
    )
    .await?;
    Ok(after)
}

/// One attribute's average across the scorecards.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CriterionSummary {
    pub criterion: String,
    pub average_rating: f64,
}

/// What a candidate sees of their interview's feedback, when the employer shares it: averages
/// only — no interviewer, no recommendation, no comments (internal notes).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandidateFeedbackSummary {
    pub interview_id: String,
    pub scorecards: usize,
    pub average_rating: Option<f64>,
    pub criteria: Vec<CriterionSummary>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The candidate's anonymised summary; not shared (or not theirs): 404.
pub async fn summary_for_candidate(
    deps: &Deps,
    candidate: &UserId,
    interview_id: &str,
) -> AppResult<CandidateFeedbackSummary> {
    let interview = super::interviews::own(deps, candidate, interview_id).await?;
    if !interview.feedback_shared {
        return Err(AppError::NotFound("shared feedback"));
    }
    let q =
        Query::table(keys::org_pk(&interview.org_id)).prefix(keys::interview_feedback_prefix(&interview.id)).limit(100);
    let (all, _) = record::query::<InterviewFeedback>(deps.store.as_ref(), &q).await?;
    let n = all.len();
    let average_rating = (n > 0).then(|| round2(all.iter().map(|f| f64::from(f.rating)).sum::<f64>() / n as f64));
    let mut by: std::collections::BTreeMap<String, (f64, u32)> = std::collections::BTreeMap::new();
    for c in all.iter().flat_map(|f| &f.criteria) {
        let e = by.entry(c.criterion.clone()).or_default();
        e.0 += f64::from(c.rating);
        e.1 += 1;
    }
    Ok(CandidateFeedbackSummary {
        interview_id: interview.id,
        scorecards: n,
        average_rating,
        criteria: by
            .into_iter()
            .map(|(criterion, (sum, k))| CriterionSummary { criterion, average_rating: round2(sum / f64::from(k)) })
            .collect(),
    })
}
