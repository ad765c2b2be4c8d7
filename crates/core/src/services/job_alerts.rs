//! Job alerts: candidates subscribe to skills, title words and locations; a published job is
//! matched against the alerts indexed under its own tokens (never all of them) and recorded as a
//! pending match per candidate; a daily digest mails each candidate's pending matches once.

use super::Listed;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::job_alert::{JobAlertMatch, JobTokens, is_word_char, normalise};
use crate::model::{Job, JobAlert, JobStatus, Organization};
use crate::ports::Deps;
use crate::ports::store::{Condition, Index, Item, PageToken, Query, StoreError, TxWrite};
use crate::principal::Principal;
use crate::record::{self, Record};
use crate::values::{Checks, JobId, OrgId, TextRule, UserId};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::openapi::schema::{Array, ArrayBuilder};

const SKILL: TextRule = TextRule::new(1, 80);
const TITLE_WORDS: TextRule = TextRule::new(1, 80);
const LOCATION: TextRule = TextRule::new(1, 100);
/// Terms per group.
pub const MAX_TERMS: usize = 10;
/// Alerts per candidate.
pub const MAX_ALERTS: usize = 10;

/// A character class of the word characters of [`is_word_char`] (ECMA-262 and Python syntax).
const WORD_CLASS: &str =
    "[^\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000!-\"$-*,-/:-@\\[-`{-~]";

fn list_schema(rule: TextRule, description: &str) -> Array {
    let mut item = rule.schema();
    item.description = Some(description.to_owned());
    ArrayBuilder::new().items(item).max_items(Some(MAX_TERMS)).build()
}
fn skills_schema() -> Array {
    list_schema(SKILL, "a skill, matched case-insensitively against a job's required and preferred skills")
}
fn title_words_schema() -> Array {
    let mut item = TITLE_WORDS.schema();
    // At least one word character, as the parser requires.
    item.pattern = item.pattern.map(|p| p.replacen('^', &format!("^(?=[\\s\\S]*{WORD_CLASS})"), 1));
    item.description = Some("words that must all be in a job's title (letters, digits, + and #)".into());
    ArrayBuilder::new().items(item).max_items(Some(MAX_TERMS)).build()
}
fn locations_schema() -> Array {
    list_schema(LOCATION, "a job's location or a comma-separated part of it; `remote` for remote jobs")
}

/// `POST /api/job-alerts`: at least one term in all.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobAlertInput {
    /// Any of these skills (at least one term across skills, titleWords and locations).
    #[serde(default)]
    #[schema(schema_with = skills_schema)]
    pub skills: Vec<String>,
    /// Any of these in the title; a term of several words needs them all.
    #[serde(default)]
    #[schema(schema_with = title_words_schema)]
    pub title_words: Vec<String>,
    /// Any of these locations.
    #[serde(default)]
    #[schema(schema_with = locations_schema)]
    pub locations: Vec<String>,
}

fn terms(c: &mut Checks, field: &str, rule: TextRule, list: Vec<String>, words_needed: bool) -> Vec<String> {
    if list.len() > MAX_TERMS {
        c.push(field, format!("at most {MAX_TERMS} terms"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, t) in list.into_iter().enumerate() {
        let Some(t) = c.take(rule.parse(&format!("{field}[{i}]"), &t)) else { continue };
        if words_needed && !t.chars().any(is_word_char) {
            c.push(format!("{field}[{i}]"), "must contain a letter or digit");
            continue;
        }
        if !out.iter().any(|o| normalise(o) == normalise(&t)) {
            out.push(t);
        }
    }
    out
}

fn index_item(alert: &JobAlert, token: &str) -> AppResult<Item> {
    Ok(Item {
        key: keys::job_alert_token(&alert.candidate_id, &alert.id, token),
        gsi1: Some(keys::job_alert_token_index(token, &alert.id)),
        gsi2: None,
        entity: "JobAlertToken".into(),
        version: 1,
        expires_at: None,
        // The whole alert, so a match needs no second read.
        data: serde_json::to_value(alert).map_err(|e| AppError::Internal(e.to_string()))?,
    })
}

pub async fn create(deps: &Deps, candidate: &Principal, input: JobAlertInput) -> AppResult<JobAlert> {
    let mut c = Checks::default();
    let skills = terms(&mut c, "skills", SKILL, input.skills, false);
    let title_words = terms(&mut c, "titleWords", TITLE_WORDS, input.title_words, true);
    let locations = terms(&mut c, "locations", LOCATION, input.locations, false);
    if c.0.is_empty() && skills.is_empty() && title_words.is_empty() && locations.is_empty() {
        c.push("skills", "name at least one skill, title word or location");
    }
    c.finish()?;
    let existing = list(deps, candidate, MAX_ALERTS + 1, None).await?;
    if existing.items.len() >= MAX_ALERTS {
        return Err(AppError::conflict(
            "too-many-alerts",
            format!("you have {MAX_ALERTS} alerts already: delete one first"),
        ));
    }
    let alert = JobAlert {
        id: deps.ids.new_id().to_string(),
        candidate_id: candidate.user_id.clone(),
        skills,
        title_words,
        locations,
        created_at: deps.clock.now(),
        version: 1,
    };
    let mut writes = vec![alert.tx_put("alert", Condition::NotExists)?];
    for token in alert.index_tokens() {
        writes.push(TxWrite::put(format!("token:{token}"), index_item(&alert, &token)?, Condition::None));
    }
    deps.store.transact(writes).await?;
    Ok(alert)
}

/// The candidate's alerts, oldest first.
pub async fn list(
    deps: &Deps,
    candidate: &Principal,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<JobAlert>> {
    let q = Query::table(format!("CANDIDATE#{}", candidate.user_id))
        .prefix(keys::JOB_ALERT_PREFIX)
        .limit(limit)
        .after(after);
    let (items, page) = record::query::<JobAlert>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn delete(deps: &Deps, candidate: &Principal, id: &str) -> AppResult<()> {
    let key = keys::job_alert(&candidate.user_id, id);
    let alert: JobAlert = record::get(deps.store.as_ref(), &key).await?.ok_or(AppError::NotFound("job alert"))?;
    let q = Query::table(format!("CANDIDATE#{}", candidate.user_id))
        .prefix(keys::job_alert_token_prefix(&alert.id))
        .limit(MAX_TERMS * 2);
    let tokens = deps.store.query(&q).await?;
    let mut writes = vec![TxWrite::delete("alert", key, Condition::VersionIs(alert.version))];
    for t in tokens.items {
        writes.push(TxWrite::delete(format!("token:{}", t.key.sk), t.key, Condition::None));
    }
    deps.store.transact(writes).await.map_err(|e| match e {
        StoreError::TransactionCanceled { .. } => AppError::NotFound("job alert"),
        other => other.into(),
    })
}

/// Matches a just-published job against the alerts indexed under its tokens and records a
/// pending match per candidate (once: a redelivery finds the match recorded). Returns how many
/// candidates were newly matched. A job that is no longer active matches nobody.
pub async fn record_matches(deps: &Deps, org: &OrgId, job_id: &JobId) -> AppResult<usize> {
    let Some(job) = record::get::<Job>(deps.store.as_ref(), &keys::job(org, job_id)).await? else {
        return Ok(0);
    };
    if job.status != JobStatus::Active {
        return Ok(0);
    }
    let tokens = JobTokens::of(&job);
    let mut matched: BTreeMap<UserId, BTreeSet<String>> = BTreeMap::new();
    for token in tokens.index_tokens() {
        let mut after = None;
        loop {
            let q = Query::index(Index::Gsi1, keys::job_alert_token_index_pk(&token)).limit(100).after(after);
            let page = deps.store.query(&q).await?;
            for item in page.items {
                let Ok(alert) = serde_json::from_value::<JobAlert>(item.data) else { continue };
                if alert.matches(&tokens) {
                    matched.entry(alert.candidate_id.clone()).or_default().insert(alert.id);
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    if matched.is_empty() {
        return Ok(0);
    }
    let company_name = record::get::<Organization>(deps.store.as_ref(), &keys::org(org))
        .await?
        .map(|o| o.company_name)
        .unwrap_or_default();
    let mut recorded = 0;
    for (candidate_id, alert_ids) in matched {
        let m = JobAlertMatch {
            candidate_id,
            job_id: job.id.clone(),
            org_id: job.org_id.clone(),
            title: job.title.clone(),
            company_name: company_name.clone(),
            location: job.location.clone(),
            is_remote: job.is_remote,
            alert_ids: alert_ids.into_iter().collect(),
            matched_at: deps.clock.now(),
            mailed: None,
        };
        match deps.store.put(m.to_item()?, Condition::NotExists).await {
            Ok(()) => recorded += 1,
            Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(recorded)
}

/// Every pending match, grouped by candidate (each shard is read whole: it holds one day's
/// matches at most).
pub async fn pending(deps: &Deps) -> AppResult<BTreeMap<UserId, Vec<JobAlertMatch>>> {
    let mut out: BTreeMap<UserId, Vec<JobAlertMatch>> = BTreeMap::new();
    for shard in keys::JOB_ALERT_PENDING_SHARDS {
        let mut after = None;
        loop {
            let q = Query::index(Index::Gsi1, keys::job_alert_pending_pk(*shard)).limit(500).after(after);
            let (items, page) = record::query::<JobAlertMatch>(deps.store.as_ref(), &q).await?;
            for m in items {
                out.entry(m.candidate_id.clone()).or_default().push(m);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    Ok(out)
}

/// The ids of a candidate's current alerts.
pub async fn alert_ids(deps: &Deps, candidate: &UserId) -> AppResult<BTreeSet<String>> {
    let q = Query::table(format!("CANDIDATE#{candidate}")).prefix(keys::JOB_ALERT_PREFIX).limit(MAX_ALERTS * 10);
    let (items, _) = record::query::<JobAlert>(deps.store.as_ref(), &q).await?;
    Ok(items.into_iter().map(|a| a.id).collect())
}

/// Whether a match is still worth mailing: its job is active and one of its alerts still exists.
pub async fn still_wanted(deps: &Deps, m: &JobAlertMatch, alerts: &BTreeSet<String>) -> AppResult<bool> {
    if !m.alert_ids.iter().any(|a| alerts.contains(a)) {
        return Ok(false);
    }
    let job = record::get::<Job>(deps.store.as_ref(), &keys::job(&m.org_id, &m.job_id)).await?;
    Ok(job.is_some_and(|j| j.status == JobStatus::Active))
}

/// Takes a match off the pending index, noting the day it was mailed (or `skipped`).
pub async fn mark_mailed(deps: &Deps, m: &JobAlertMatch, mailed: &str) -> AppResult<()> {
    let mut done = m.clone();
    done.mailed = Some(mailed.to_owned());
    deps.store.put(done.to_item()?, Condition::None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_word_class_of_the_schema_is_the_parsers() {
        let re = regex::Regex::new(&format!("^{WORD_CLASS}$")).unwrap();
        for c in (0u32..0x3100).filter_map(char::from_u32).chain(['\u{feff}', '\u{1f600}']) {
            assert_eq!(re.is_match(&c.to_string()), is_word_char(c), "{c:?} (U+{:04X})", c as u32);
        }
        let schema = serde_json::to_value(title_words_schema()).unwrap();
        let pattern = schema["items"]["pattern"].as_str().unwrap();
        assert!(pattern.starts_with(&format!("^(?=[\\s\\S]*{WORD_CLASS})")), "{pattern}");
        assert_eq!(schema["maxItems"], MAX_TERMS);
    }

    #[test]
    fn alert_bodies_use_camel_case_keys() {
        let alert = JobAlert {
            id: "a".into(),
            candidate_id: UserId::trusted("c"),
            skills: vec![],
            title_words: vec!["x".into()],
            locations: vec![],
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            version: 1,
        };
        let v = serde_json::to_value(alert).unwrap();
        assert!(v.get("titleWords").is_some() && v.get("candidateId").is_some() && v.get("createdAt").is_some());
    }
}
