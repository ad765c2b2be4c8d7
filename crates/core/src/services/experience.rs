//! Candidates' feedback on the hiring experience, anonymous to the employer.
//!
//! A candidate who was interviewed rates the process (1–5) and picks themes. Nothing links an
//! answer to them: no response item is stored at all, only what it adds to counters of the
//! organisation and the job (in the same transaction as a marker, in the candidate's own
//! partition under a hash, that allows one answer per interview). There is no audit record,
//! on purpose: it would name the candidate. Staff see the counts of a scope only once it holds
//! at least [`MIN_RESPONSES`] answers, so a single answer cannot be told apart.

use super::Actor;
use super::interviews::own;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::InterviewStatus;
use crate::ports::Deps;
use crate::ports::store::{Condition, Item, Query, StoreError, TxWrite};
use crate::values::{Checks, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fewest answers a scope shows.
pub const MIN_RESPONSES: i64 = 5;
/// The themes a candidate may pick.
pub const THEMES: [&str; 8] = [
    "clear_communication",
    "poor_communication",
    "well_organised",
    "scheduling_trouble",
    "respectful_interviewers",
    "unfair_questions",
    "timely_updates",
    "slow_process",
];

fn themes_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::values::choice_schema(THEMES))
        .max_items(Some(THEMES.len()))
        .description(Some("What stood out (each at most once)"))
        .build()
}

/// `POST /api/feedback/experience` (a candidate).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ExperienceFeedbackInput)]
pub struct ExperienceInput {
    /// The interview it is about (yours, already started).
    #[schema(schema_with = crate::values::id_schema)]
    pub interview_id: String,
    /// 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
    #[serde(default)]
    #[schema(schema_with = themes_schema)]
    pub themes: Vec<String>,
}

/// What the candidate is told: counted, anonymously.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceReceipt {
    pub message: String,
}

pub async fn submit(deps: &Deps, candidate: &UserId, input: ExperienceInput) -> AppResult<ExperienceReceipt> {
    let mut checks = Checks::default();
    if !(1..=5).contains(&input.rating) {
        checks.push("rating", "must be 1 to 5");
    }
    let mut themes: Vec<&str> = Vec::new();
    for (i, t) in input.themes.iter().enumerate() {
        match THEMES.iter().find(|x| **x == t.trim()) {
            Some(x) if !themes.contains(x) => themes.push(x),
            Some(_) => checks.push(format!("themes[{i}]"), "is named twice"),
            None => checks.push(format!("themes[{i}]"), format!("must be one of {}", THEMES.join(", "))),
        }
    }
    checks.finish()?;
    let interview = own(deps, candidate, input.interview_id.trim()).await?;
    if interview.status == InterviewStatus::Cancelled || interview.starts_at > deps.clock.now() {
        return Err(AppError::conflict("interview-not-held", "tell us about an interview once it has taken place"));
    }
    let hash = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(format!("{}#{}", interview.org_id, interview.id).as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let marker = Item {
        key: keys::experience_answered(candidate, &hash),
        gsi1: None,
        gsi2: None,
        entity: "ExperienceAnswered".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({}),
    };
    let org = &interview.org_id;
    let mut scopes = vec!["ORG".to_owned()];
    if let Some(j) = &interview.job_id {
        scopes.push(format!("JOB#{j}"));
    }
    let mut writes = vec![TxWrite::put("answered", marker, Condition::NotExists)];
    for scope in &scopes {
        let mut add = |sk: String| {
            writes.push(TxWrite::add(
                format!("count-{sk}"),
                keys::experience_stat(org, sk),
                "ExperienceCount",
                None,
                1,
            ));
        };
        add(format!("{scope}#RESPONSES"));
        add(format!("{scope}#RATING#{}", input.rating));
        for t in &themes {
            add(format!("{scope}#THEME#{t}"));
        }
    }
    deps.store.transact(writes).await.map_err(|e| match e {
        StoreError::TransactionCanceled { ref failed } if failed.iter().any(|l| l == "answered") => {
            AppError::conflict("experience-feedback-sent", "you have already told us about this interview")
        }
        other => other.into(),
    })?;
    Ok(ExperienceReceipt {
        message: "Thank you. Your answer is counted anonymously: the employer sees only totals, once at least 5 people have answered.".into(),
    })
}

/// The counts of one scope, or why they are withheld.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceSummary {
    /// `null` for the organisation.
    pub job_id: Option<String>,
    /// True while fewer than 5 candidates answered: nothing else is shown.
    pub withheld: bool,
    pub responses: Option<i64>,
    /// Answers per rating (`"1"` … `"5"`).
    pub ratings: Option<BTreeMap<String, i64>>,
    pub average_rating: Option<f64>,
    /// Answers naming each theme.
    pub themes: Option<BTreeMap<String, i64>>,
}

/// `GET /api/feedback/experience`: the organisation's and each job's aggregates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceReport {
    pub minimum_responses: i64,
    pub organization: ExperienceSummary,
    pub jobs: Vec<ExperienceSummary>,
}

fn summary(job: Option<String>, counts: &BTreeMap<String, i64>) -> ExperienceSummary {
    let responses = counts.get("RESPONSES").copied().unwrap_or(0);
    if responses < MIN_RESPONSES {
        return ExperienceSummary { job_id: job, withheld: true, ..Default::default() };
    }
    let ratings: BTreeMap<String, i64> =
        (1..=5).map(|n| (n.to_string(), counts.get(&format!("RATING#{n}")).copied().unwrap_or(0))).collect();
    let total: i64 = ratings.iter().map(|(k, v)| k.parse::<i64>().unwrap_or(0) * v).sum();
    let themes =
        THEMES.iter().map(|t| ((*t).to_owned(), counts.get(&format!("THEME#{t}")).copied().unwrap_or(0))).collect();
    ExperienceSummary {
        job_id: job,
        withheld: false,
        responses: Some(responses),
        average_rating: Some((total as f64 / responses as f64 * 100.0).round() / 100.0),
        ratings: Some(ratings),
        themes: Some(themes),
    }
}

/// The aggregates: one query of the organisation's counters.
pub async fn report(deps: &Deps, actor: &Actor) -> AppResult<ExperienceReport> {
    let mut scopes: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut after = None;
    loop {
        let q = Query::table(keys::experience_stats_pk(actor.org())).limit(1000).after(after);
        let page = deps.store.query(&q).await?;
        for item in &page.items {
            let n = item.data["count"].as_i64().unwrap_or(0);
            let (scope, metric) = match item.key.sk.strip_prefix("ORG#") {
                Some(m) => ("ORG".to_owned(), m.to_owned()),
                None => {
                    let rest = item.key.sk.strip_prefix("JOB#").unwrap_or(&item.key.sk);
                    let (job, metric) = rest.split_once('#').unwrap_or((rest, ""));
                    (job.to_owned(), metric.to_owned())
                }
            };
            scopes.entry(scope).or_default().insert(metric, n);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let org = scopes.remove("ORG").unwrap_or_default();
    Ok(ExperienceReport {
        minimum_responses: MIN_RESPONSES,
        organization: summary(None, &org),
        jobs: scopes.into_iter().map(|(job, c)| summary(Some(job), &c)).collect(),
    })
}
