//! The staff side of candidates: an organisation's talent records (who applied or was added),
//! the search index kept in the table, sourced candidates, do-not-hire, duplicates and merges,
//! and removal.
//!
//! Search scales without a scan: every talent record is indexed under its normalised tokens
//! (name and email for prefixes, phone digits, title, company, skill and location words), one
//! item per (field, token, candidate) in one partition per organisation
//! ([`keys::candidate_index`]). A term is one `begins_with` query per field; the record keeps the
//! tokens it was indexed with, so a profile change re-indexes only the difference, in the same
//! transaction as the change. docs/data-model.md gives the cost per page.
//!
//! Blind review holds here too: name, email, phone and company only match, and are only shown,
//! for candidates whose identity the caller's organisation sees (an application revealed or at
//! the reveal stage, or a candidate its staff added themselves).

use super::pipeline;
use super::review::identity_visible;
use super::{Actor, Caller, Change, Listed, check_version, lost_update, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::application::SalaryRange;
use crate::model::pipeline::Pipeline;
use crate::model::{
    Application, Candidate, DoNotHire, Education, Experience, ProfileResume, ProfileSkill, TalentRecord,
};
use crate::ports::Deps;
use crate::ports::store::{Condition, Index, Item, PageToken, Query, TxWrite};
use crate::record::{self, Record};
use crate::values::{OrgId, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;
use utoipa::openapi::schema::Object;

/// Fields whose tokens identify a person: matched and shown only when the identity is visible.
pub const IDENTITY_FIELDS: [&str; 4] = ["name", "email", "phone", "company"];
/// Fields anyone with `applications:read` may search.
pub const OPEN_FIELDS: [&str; 3] = ["title", "skill", "loc"];
/// Most tokens one candidate is indexed under (identity first, then title, skills, location).
pub const MAX_TOKENS: usize = 80;
/// Most index entries one search term reads per field.
pub const MAX_POSTINGS: usize = 200;
/// Most candidates one search or list page examines before answering (with a cursor).
pub const MAX_EXAMINED: usize = 200;

/// Lower case, diacritics folded (`José` → `jose`).
pub fn fold(s: &str) -> String {
    s.nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).collect::<String>().to_lowercase()
}

/// Words of `s`, folded; `+`, `#` and `.` stay inside words (c++, c#, node.js).
pub fn words(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '+' | '#' | '.')))
        .map(|w| w.trim_matches('.').to_owned())
        .filter(|w| !w.is_empty())
        .collect()
}

/// A token as it sits in a sort key (`#` separates key parts, so it is escaped).
fn enc(t: &str) -> String {
    t.replace('%', "%25").replace('#', "%23")
}

fn push(out: &mut Vec<String>, field: &str, token: &str) {
    let t = format!("{field}#{}", enc(token));
    if !token.is_empty() && !out.contains(&t) && out.len() < MAX_TOKENS {
        out.push(t);
    }
}

/// The tokens a profile is indexed under (`field#token`), most identifying first.
pub fn tokens_of(c: &Candidate) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(&c.name) {
        push(&mut out, "name", &w);
    }
    push(&mut out, "email", &c.email.as_str().to_lowercase());
    if let Some(p) = &c.phone {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 7 {
            push(&mut out, "phone", &digits);
        }
    }
    for w in c.current_company.iter().flat_map(|s| words(s)) {
        push(&mut out, "company", &w);
    }
    for w in c.current_title.iter().chain(c.headline.iter()).flat_map(|s| words(s)) {
        if w.len() > 1 {
            push(&mut out, "title", &w);
        }
    }
    for s in &c.skills {
        push(&mut out, "skill", &words(&s.name).join(" "));
    }
    for w in c.location.iter().flat_map(|s| words(s)) {
        push(&mut out, "loc", &w);
    }
    out
}

fn index_item(org: &OrgId, token: &str, candidate: &UserId) -> Item {
    Item {
        key: keys::candidate_index(org, token, candidate),
        gsi1: None,
        gsi2: None,
        entity: "CandidateIndex".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({ "candidateId": candidate }),
    }
}

/// The index writes that move a record from `old` tokens to `new`.
fn index_diff(org: &OrgId, candidate: &UserId, old: &[String], new: &[String]) -> Vec<TxWrite> {
    let (old_set, new_set): (BTreeSet<&String>, BTreeSet<&String>) = (old.iter().collect(), new.iter().collect());
    let mut out = Vec::new();
    for t in new_set.difference(&old_set) {
        out.push(TxWrite::put("index", index_item(org, t, candidate), Condition::None));
    }
    for t in old_set.difference(&new_set) {
        out.push(TxWrite::delete("index", keys::candidate_index(org, t, candidate), Condition::None));
    }
    out
}

/// A new talent record of `candidate` in `org`, indexed.
fn new_record(
    deps: &Deps,
    org: &OrgId,
    candidate: &Candidate,
    source: Option<String>,
    added_by: Option<UserId>,
) -> (TalentRecord, Vec<TxWrite>) {
    let now = deps.clock.now();
    let tokens = tokens_of(candidate);
    let writes = index_diff(org, &candidate.id, &[], &tokens);
    let rec = TalentRecord {
        org_id: org.clone(),
        candidate_id: candidate.id.clone(),
        source: source.or_else(|| candidate.source.clone()),
        referrer: candidate.referrer.clone(),
        added_by,
        do_not_hire: None,
        merged_into: None,
        merged: Vec::new(),
        notes: None,
        tokens,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    (rec, writes)
}

/// The writes that give a candidate a talent record in `org` on their first application there
/// (none when they already have one). The record is put only if absent (label `talent`), so of
/// two first applications at once one fails and is retried.
pub async fn first_contact_writes(
    deps: &Deps,
    org: &OrgId,
    candidate: &UserId,
    source: Option<String>,
) -> AppResult<Vec<TxWrite>> {
    if deps.store.get(&keys::talent(org, candidate)).await?.is_some() {
        return Ok(Vec::new());
    }
    let Some(profile) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(candidate)).await? else {
        return Ok(Vec::new());
    };
    let (rec, mut writes) = new_record(deps, org, &profile, source, None);
    writes.insert(0, rec.tx_put("talent", Condition::NotExists)?);
    Ok(writes)
}

/// Saves a changed profile and re-indexes it in every organisation that holds a record of the
/// candidate, in one transaction when it fits (DynamoDB takes 100 writes), else one per
/// organisation after the profile. Each record is diffed against the tokens it holds, so a
/// retry after a partial failure repairs the index.
pub async fn save_profile(deps: &Deps, before: &Candidate, after: &Candidate, extra: Vec<TxWrite>) -> AppResult<()> {
    let tokens = tokens_of(after);
    let mut per_org: Vec<Vec<TxWrite>> = Vec::new();
    let now = deps.clock.now();
    let mut next = None;
    loop {
        let q = Query::index(Index::Gsi2, keys::talent_by_candidate_pk(&after.id)).limit(100).after(next);
        let (records, page) = record::query::<TalentRecord>(deps.store.as_ref(), &q).await?;
        for rec in records {
            if rec.merged_into.is_some() || rec.tokens == tokens {
                continue;
            }
            let mut writes = index_diff(&rec.org_id, &rec.candidate_id, &rec.tokens, &tokens);
            let mut updated = rec.clone();
            updated.tokens = tokens.clone();
            updated.version += 1;
            updated.updated_at = now;
            writes.insert(0, updated.tx_put("talent", Condition::VersionIs(rec.version))?);
            per_org.push(writes);
        }
        match page.next {
            Some(n) => next = Some(n),
            None => break,
        }
    }
    let mut first = vec![after.tx_put("version", Condition::VersionIs(before.version))?];
    first.extend(extra);
    let mut rest = Vec::new();
    for w in per_org {
        if rest.is_empty() && first.len() + w.len() <= 100 {
            first.extend(w);
        } else {
            rest.push(w);
        }
    }
    deps.store.transact(first).await.map_err(lost_update(before.version))?;
    for w in rest {
        deps.store.transact(w).await.map_err(|e| {
            AppError::Unavailable(format!("the profile is saved; re-indexing it failed ({e}); send it again"))
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Views

/// A candidate as the caller sees them. Staff see identity fields (name, contact details,
/// links, company, institutions, referrer) only when the identity is visible to their
/// organisation; otherwise `blind` is true and those fields are absent. Staff also see their
/// organisation's facts (source, do-not-hire, merges); a candidate sees their whole profile.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandidateView {
    #[schema(value_type = String)]
    pub id: UserId,
    pub blind: bool,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub headline: Option<String>,
    pub linkedin_url: Option<String>,
    pub portfolio_url: Option<String>,
    pub current_title: Option<String>,
    pub current_company: Option<String>,
    pub years_experience: Option<u8>,
    pub salary_expectation: Option<SalaryRange>,
    pub availability: Option<String>,
    pub source: Option<String>,
    pub referrer: Option<String>,
    pub skills: Vec<ProfileSkill>,
    /// Blind: institution and end year withheld.
    pub education: Vec<EducationView>,
    /// Blind: company and dates withheld.
    pub experience: Vec<ExperienceView>,
    /// The candidate's own resumes (the candidate only).
    pub resumes: Option<Vec<ProfileResume>>,
    pub profile_confirmed: bool,
    /// Added by the organisation's staff (no account).
    pub sourced: bool,
    /// Staff only: the organisation's do-not-hire flag, with its reason and author.
    pub do_not_hire: Option<DoNotHire>,
    /// Staff only: set when this record was merged into another.
    #[schema(value_type = Option<String>)]
    pub merged_into: Option<UserId>,
    /// Staff only: records merged into this one.
    #[schema(value_type = Vec<String>)]
    pub merged: Vec<UserId>,
    /// Staff only: notes about the person.
    pub notes: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: time::OffsetDateTime,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EducationView {
    pub institution: Option<String>,
    pub degree: Option<String>,
    pub field: Option<String>,
    pub end_year: Option<u16>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperienceView {
    pub company: Option<String>,
    pub title: String,
    pub start: Option<String>,
    pub end: Option<String>,
    pub current: bool,
}

/// Builds the view; `visible` says whether identity fields are shown, `own` whether the
/// reader is the candidate.
pub fn view(c: Candidate, visible: bool, own: bool, rec: Option<&TalentRecord>) -> CandidateView {
    let shown = |v: Option<String>| if visible { v } else { None };
    let education = c
        .education
        .into_iter()
        .map(|e: Education| EducationView {
            institution: visible.then_some(e.institution),
            degree: e.degree,
            field: e.field,
            end_year: if visible { e.end_year } else { None },
        })
        .collect();
    let experience = c
        .experience
        .into_iter()
        .map(|e: Experience| ExperienceView {
            company: visible.then_some(e.company),
            title: e.title,
            start: if visible { e.start } else { None },
            end: if visible { e.end } else { None },
            current: e.current,
        })
        .collect();
    CandidateView {
        blind: !visible,
        name: shown(Some(c.name)),
        email: shown(Some(c.email.as_str().to_owned())),
        phone: shown(c.phone),
        location: shown(c.location),
        headline: shown(c.headline),
        linkedin_url: shown(c.linkedin_url),
        portfolio_url: shown(c.portfolio_url),
        current_title: c.current_title,
        current_company: shown(c.current_company),
        years_experience: c.years_experience,
        salary_expectation: c.salary_expectation,
        availability: c.availability,
        source: rec.and_then(|r| r.source.clone()).or(c.source),
        referrer: shown(rec.and_then(|r| r.referrer.clone()).or(c.referrer)),
        skills: c.skills,
        education,
        experience,
        resumes: own.then_some(c.resumes),
        profile_confirmed: c.profile_confirmed,
        sourced: c.sourced_by.is_some(),
        do_not_hire: rec.and_then(|r| r.do_not_hire.clone()),
        merged_into: rec.and_then(|r| r.merged_into.clone()),
        merged: rec.map(|r| r.merged.clone()).unwrap_or_default(),
        notes: rec.and_then(|r| r.notes.clone()),
        id: c.id,
        created_at: c.created_at,
        updated_at: c.updated_at,
        version: c.version,
    }
}

/// Whether staff of `org` see who `c` is: their own sourced candidate, or an application there
/// revealed or at the reveal stage.
pub async fn identity_visible_in(deps: &Deps, org: &OrgId, pipeline: &Pipeline, c: &Candidate) -> AppResult<bool> {
    if c.sourced_by.as_ref() == Some(org) {
        return Ok(true);
    }
    Ok(visible_among(org, pipeline, c, &apps_in_org(deps, org, &c.id).await?))
}

/// [`identity_visible_in`] from the candidate's applications in `org`, already read.
fn visible_among(org: &OrgId, pipeline: &Pipeline, c: &Candidate, apps: &[Application]) -> bool {
    c.sourced_by.as_ref() == Some(org) || apps.iter().any(|a| identity_visible(pipeline, a))
}

async fn record_of(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<Option<TalentRecord>> {
    Ok(record::get(deps.store.as_ref(), &keys::talent(org, id)).await?)
}

async fn profile(deps: &Deps, id: &UserId) -> AppResult<Candidate> {
    record::get(deps.store.as_ref(), &keys::candidate(id)).await?.ok_or(AppError::NotFound("candidate"))
}

/// The organisation's record of a candidate and the profile, or 404.
async fn load(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<(TalentRecord, Candidate)> {
    let rec = record_of(deps, actor.org(), id).await?.ok_or(AppError::NotFound("candidate"))?;
    Ok((rec, profile(deps, id).await?))
}

/// `GET /api/candidates/{id}`: yourself, or (staff) a candidate of your organisation.
pub async fn get(deps: &Deps, caller: &Caller, id: &UserId) -> AppResult<CandidateView> {
    match caller {
        Caller::Candidate(p) if &p.user_id == id => Ok(view(profile(deps, id).await?, true, true, None)),
        Caller::Candidate(_) => Err(AppError::NotFound("candidate")),
        Caller::Staff(actor) => {
            let (rec, c) = load(deps, actor, id).await?;
            let pipeline = pipeline::load(deps, actor.org()).await?;
            let visible = identity_visible_in(deps, actor.org(), &pipeline, &c).await?;
            Ok(view(c, visible, false, Some(&rec)))
        }
    }
}

async fn views(deps: &Deps, actor: &Actor, records: Vec<TalentRecord>) -> AppResult<Vec<CandidateView>> {
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let mut out = Vec::with_capacity(records.len());
    for rec in records {
        let Some(c) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&rec.candidate_id)).await? else {
            continue;
        };
        let visible = identity_visible_in(deps, actor.org(), &pipeline, &c).await?;
        out.push(view(c, visible, false, Some(&rec)));
    }
    Ok(out)
}

/// `GET /api/candidates`: the organisation's candidates (applied or added), oldest record
/// first; merged records are left out (their survivor lists them).
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<CandidateView>> {
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::TALENT_PREFIX).limit(limit).after(after);
    let (records, page) = record::query::<TalentRecord>(deps.store.as_ref(), &q).await?;
    let records = records.into_iter().filter(|r| r.merged_into.is_none()).collect();
    Ok(Listed { items: views(deps, actor, records).await?, next: page.next })
}

// ---------------------------------------------------------------------------------------------
// Search

/// `GET /api/candidates/search`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchQuery {
    /// Free text: every word must match the start of a word of the name, email, phone, title,
    /// company, a skill or the location (name, email, phone and company only for candidates
    /// whose identity you see).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Has this skill (exact, case- and accent-insensitive).
    #[param(max_length = 100)]
    pub skill: Option<String>,
    /// At least this many years of experience.
    #[param(minimum = 0, maximum = 60)]
    pub min_years: Option<u8>,
    /// Applied to this job.
    #[param(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
    /// Has an application in this pipeline stage (stage id).
    #[param(max_length = 64)]
    pub stage: Option<String>,
    /// Came from this source.
    #[param(schema_with = super::applications::source_schema)]
    pub source: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[param(max_length = 2000)]
    pub cursor: Option<String>,
}

/// What a search was asked, checked.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub terms: Vec<String>,
    pub skill: Option<String>,
    pub min_years: Option<u8>,
    pub job: Option<crate::values::JobId>,
    pub stage: Option<String>,
    pub source: Option<String>,
}

impl Search {
    pub fn parse(q: &SearchQuery) -> AppResult<Self> {
        let mut c = crate::values::Checks::default();
        let text = q.q.as_deref().unwrap_or("");
        if text.chars().count() > 200 {
            c.push("q", "must be at most 200 characters");
        }
        let mut terms: Vec<String> = words(text).into_iter().map(|w| enc(&w)).collect();
        terms.dedup();
        if terms.len() > 8 {
            c.push("q", "must have at most 8 words");
        }
        let skill = q.skill.as_deref().map(|s| words(s).join(" ")).filter(|s| !s.is_empty());
        if q.skill.as_deref().is_some_and(|s| s.chars().count() > 100) {
            c.push("skill", "must be at most 100 characters");
        }
        if q.min_years.is_some_and(|y| y > 60) {
            c.push("minYears", "must be from 0 to 60");
        }
        let job = match q.job_id.as_deref() {
            Some(j) => match crate::values::JobId::parse(j) {
                Some(j) => Some(j),
                None => {
                    c.push("jobId", "is not a job id");
                    None
                }
            },
            None => None,
        };
        if q.stage.as_deref().is_some_and(|s| !pipeline::stage_id_ok(s)) {
            c.push("stage", "is not a stage id (letters, digits, - and _; at most 64)");
        }
        let source = c.take(super::applications::parse_source("source", q.source.as_deref())).flatten();
        c.finish()?;
        Ok(Self { terms, skill, min_years: q.min_years, job, stage: q.stage.clone(), source })
    }
}

/// Candidate ids under index entries that start with `prefix` (`field#term`).
/// The organisation's candidate with this email, if it holds one (the search index's email posting).
pub async fn find_by_email(deps: &Deps, org: &OrgId, email: &crate::values::Email) -> AppResult<Option<UserId>> {
    Ok(postings(deps, org, &format!("email#{}#", enc(&email.as_str().to_lowercase()))).await?.into_iter().next())
}

async fn postings(deps: &Deps, org: &OrgId, prefix: &str) -> AppResult<Vec<UserId>> {
    let q = Query::table(keys::candidate_index_pk(org)).prefix(prefix.to_owned()).limit(MAX_POSTINGS);
    let page = deps.store.query(&q).await?;
    Ok(page.items.iter().filter_map(|i| i.data["candidateId"].as_str().map(UserId::trusted)).collect())
}

fn token_matches(tokens: &[String], fields: &[&str], term: &str) -> bool {
    tokens.iter().any(|t| {
        t.split_once('#').is_some_and(|(f, v)| fields.contains(&f) && v.split(' ').any(|w| w.starts_with(term)))
    })
}

/// `GET /api/candidates/search`: candidates of the organisation matching every term and
/// filter, in candidate-id order, blind where the caller's organisation does not see who
/// they are. Examines at most [`MAX_EXAMINED`] candidates per call; `next` resumes.
pub async fn search(
    deps: &Deps,
    actor: &Actor,
    s: &Search,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<CandidateView>> {
    let org = actor.org();
    let resume_after = after.as_ref().and_then(|t| t.0.get("after").cloned());
    // Candidate ids to examine: from the most selective index entry the query names.
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut from_index = true;
    if let Some(term) = s.terms.iter().max_by_key(|t| t.len()) {
        for field in IDENTITY_FIELDS.iter().chain(OPEN_FIELDS.iter()) {
            for id in postings(deps, org, &format!("{field}#{term}")).await? {
                ids.insert(id.as_str().to_owned());
            }
        }
    } else if let Some(skill) = &s.skill {
        for id in postings(deps, org, &format!("skill#{}#", enc(skill))).await? {
            ids.insert(id.as_str().to_owned());
        }
    } else {
        from_index = false;
    }
    let pipeline = pipeline::load(deps, org).await?;
    let mut items = Vec::new();
    let mut examined = 0;
    let mut last: Option<String> = None;
    // Without a term or skill, walk the talent records themselves, a page at a time.
    let key_token = |id: &str| {
        let k = keys::talent(org, &UserId::trusted(id));
        PageToken(BTreeMap::from([
            (crate::ports::store::attr::PK.to_owned(), k.pk),
            (crate::ports::store::attr::SK.to_owned(), k.sk),
        ]))
    };
    let mut walk_after = if from_index { None } else { resume_after.as_deref().map(key_token) };
    let mut walking = !from_index;
    let mut candidates: std::collections::VecDeque<String> = if from_index {
        ids.into_iter().filter(|id| resume_after.as_ref().is_none_or(|a| id > a)).collect()
    } else {
        Default::default()
    };
    let mut more = true;
    loop {
        if walking && candidates.is_empty() {
            let q = Query::table(keys::org_pk(org)).prefix(keys::TALENT_PREFIX).limit(50).after(walk_after.take());
            let page = deps.store.query(&q).await?;
            candidates = page.items.iter().filter_map(|i| i.data["candidateId"].as_str().map(str::to_owned)).collect();
            walk_after = page.next;
            walking = walk_after.is_some();
        }
        if candidates.is_empty() {
            more = false;
            break;
        }
        if items.len() >= limit || examined >= MAX_EXAMINED {
            break;
        }
        let Some(id) = candidates.pop_front() else { break };
        examined += 1;
        last = Some(id.clone());
        let uid = UserId::trusted(id);
        let Some(rec) = record_of(deps, org, &uid).await? else { continue };
        if rec.merged_into.is_some() {
            continue;
        }
        if s.source.as_ref().is_some_and(|src| rec.source.as_ref() != Some(src)) {
            continue;
        }
        if let Some(skill) = &s.skill
            && !rec.tokens.contains(&format!("skill#{}", enc(skill)))
        {
            continue;
        }
        let Some(c) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&uid)).await? else {
            continue;
        };
        if s.min_years.is_some_and(|m| c.years_experience.unwrap_or(0) < m) {
            continue;
        }
        // One read of their applications serves the job and stage filters and the identity check.
        let apps = apps_in_org(deps, org, &uid).await?;
        if (s.job.is_some() || s.stage.is_some())
            && !apps.iter().any(|a| {
                s.job.as_ref().is_none_or(|j| &a.job_id == j) && s.stage.as_ref().is_none_or(|st| &a.stage_id == st)
            })
        {
            continue;
        }
        let visible = visible_among(org, &pipeline, &c, &apps);
        let fields: Vec<&str> = if visible {
            IDENTITY_FIELDS.iter().chain(OPEN_FIELDS.iter()).copied().collect()
        } else {
            OPEN_FIELDS.to_vec()
        };
        if !s.terms.iter().all(|t| token_matches(&rec.tokens, &fields, t)) {
            continue;
        }
        items.push(view(c, visible, false, Some(&rec)));
    }
    let next = match (more, last) {
        (true, Some(l)) => Some(PageToken(BTreeMap::from([("after".to_owned(), l)]))),
        _ => None,
    };
    Ok(Listed { items, next })
}

/// The candidate's applications in `org` (their own index, filtered to the organisation).
pub async fn apps_in_org(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<Vec<Application>> {
    Ok(applications_of(deps, id).await?.into_iter().filter(|a| &a.org_id == org).collect())
}

/// Every application of a candidate, across organisations (their own index, every page).
pub async fn applications_of(deps: &Deps, id: &UserId) -> AppResult<Vec<Application>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi2, keys::application_by_candidate_pk(id)).limit(100).after(after);
        let (apps, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
        out.extend(apps);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sourced candidates

const NOTES: TextRule = TextRule::new(1, 5000);
const REASON: TextRule = TextRule::new(10, 2000);

fn notes_schema() -> Object {
    NOTES.opt_schema()
}
fn reason_schema() -> Object {
    REASON.schema()
}

/// `POST /api/candidates/sourced`: a candidate staff add (a referral, someone met at a job
/// fair). They get no account; the record is visible to this organisation only.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceInput {
    #[schema(schema_with = crate::values::Email::schema)]
    pub email: String,
    #[schema(schema_with = super::candidates::name_schema, example = "Sam Rivera")]
    pub name: String,
    #[schema(schema_with = crate::values::Phone::opt_schema)]
    pub phone: Option<String>,
    #[schema(schema_with = super::candidates::location_schema)]
    pub location: Option<String>,
    #[schema(schema_with = super::candidates::headline_schema)]
    pub headline: Option<String>,
    #[schema(schema_with = super::candidates::url_schema)]
    pub linkedin_url: Option<String>,
    #[schema(schema_with = super::candidates::url_schema)]
    pub portfolio_url: Option<String>,
    #[schema(schema_with = super::candidates::short_schema)]
    pub current_title: Option<String>,
    #[schema(schema_with = super::candidates::short_schema)]
    pub current_company: Option<String>,
    #[schema(minimum = 0, maximum = 60)]
    pub years_experience: Option<u8>,
    /// How they came: `referral` for a referral; `other` for a job fair.
    #[schema(schema_with = super::applications::source_schema)]
    pub source: Option<String>,
    /// Who referred them, in words.
    #[schema(schema_with = super::candidates::short_schema)]
    pub referrer: Option<String>,
    #[schema(max_items = 100)]
    pub skills: Option<Vec<super::candidates::SkillInput>>,
    /// Notes about the person (staff only).
    #[schema(schema_with = notes_schema)]
    pub notes: Option<String>,
}

impl SourceInput {
    fn profile(&self) -> super::candidates::UpdateCandidate {
        super::candidates::UpdateCandidate {
            name: self.name.clone(),
            phone: self.phone.clone(),
            location: self.location.clone(),
            headline: self.headline.clone(),
            linkedin_url: self.linkedin_url.clone(),
            portfolio_url: self.portfolio_url.clone(),
            current_title: self.current_title.clone(),
            current_company: self.current_company.clone(),
            years_experience: self.years_experience,
            source: self.source.clone(),
            referrer: self.referrer.clone(),
            skills: self.skills.clone(),
            ..Default::default()
        }
    }
}

pub async fn add_sourced(deps: &Deps, actor: &Actor, input: SourceInput) -> AppResult<CandidateView> {
    let mut c = crate::values::Checks::default();
    let email = c.take(crate::values::Email::parse("email", &input.email));
    let notes = c.take(NOTES.parse_opt("notes", input.notes.as_deref())).flatten();
    let id = UserId::trusted(deps.ids.new_id().to_string());
    let now = deps.clock.now();
    let mut cand = Candidate::new(id.clone(), crate::values::Email::trusted(""), String::new(), now);
    super::candidates::apply_profile(&mut c, &input.profile(), &mut cand);
    c.finish()?;
    let Some(email) = email else { return Err(AppError::Internal("validated email missing".into())) };
    let org = actor.org();
    let same = postings(deps, org, &format!("email#{}#", enc(&email.as_str().to_lowercase()))).await?;
    if let Some(existing) = same.first() {
        return Err(AppError::conflict(
            "duplicate-candidate",
            format!("a candidate with this email is already in your organisation: {existing}"),
        ));
    }
    cand.email = email;
    cand.sourced_by = Some(org.clone());
    let (mut rec, index) = new_record(deps, org, &cand, cand.source.clone(), Some(actor.user.id.clone()));
    rec.notes = notes;
    let mut writes = vec![
        cand.tx_put("candidate", Condition::NotExists)?,
        rec.tx_put("talent", Condition::NotExists)?,
        actor.audit(
            deps,
            Change {
                action: "candidate.source",
                target_type: "candidate",
                target_id: id.as_str(),
                before: None,
                after: Some(snapshot(&rec)?),
            },
        )?,
    ];
    writes.extend(index);
    deps.store.transact(writes).await?;
    Ok(view(cand, true, false, Some(&rec)))
}

// ---------------------------------------------------------------------------------------------
// Do not hire

/// `PUT /api/candidates/{id}/do-not-hire`: mark or unmark, always with a written reason.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DoNotHireInput {
    /// True to mark, false to remove the mark.
    pub do_not_hire: bool,
    /// Why (10–2000 characters); shown to staff with your name, audited.
    #[schema(schema_with = reason_schema)]
    pub reason: String,
}

pub async fn set_do_not_hire(
    deps: &Deps,
    actor: &Actor,
    id: &UserId,
    if_match: Option<u64>,
    input: DoNotHireInput,
) -> AppResult<CandidateView> {
    let flag = input.do_not_hire;
    let reason = REASON.parse("reason", &input.reason).map_err(|e| AppError::Validation(vec![e]))?;
    let (before, c) = load(deps, actor, id).await?;
    if before.merged_into.is_some() {
        return Err(AppError::conflict("merged", "this record was merged; act on the record it was merged into"));
    }
    check_version(if_match, before.version, false)?;
    let mut after = before.clone();
    after.do_not_hire = flag.then(|| DoNotHire {
        reason: reason.clone(),
        by: actor.user.id.clone(),
        by_email: Some(actor.user.email.as_str().to_owned()),
        at: deps.clock.now(),
    });
    if !flag && before.do_not_hire.is_none() {
        return Err(AppError::conflict("not-flagged", "this candidate is not marked do-not-hire"));
    }
    after.version += 1;
    after.updated_at = deps.clock.now();
    let action = if flag { "candidate.do_not_hire" } else { "candidate.do_not_hire_removed" };
    // The removal's reason is kept in the audit record (the flag itself is gone).
    let mut audited = after.clone();
    if !flag {
        audited.notes = Some(format!("do-not-hire removed: {reason}"));
    }
    let audit = actor.audit(
        deps,
        Change {
            action,
            target_type: "candidate",
            target_id: id.as_str(),
            before: Some(snapshot(&before)?),
            after: Some(snapshot(&audited)?),
        },
    )?;
    deps.store
        .transact(vec![after.tx_put("version", Condition::VersionIs(before.version))?, audit])
        .await
        .map_err(lost_update(before.version))?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let visible = identity_visible_in(deps, actor.org(), &pipeline, &c).await?;
    Ok(view(c, visible, false, Some(&after)))
}

// ---------------------------------------------------------------------------------------------
// Duplicates and merges

/// A record that looks like the same person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Duplicate {
    pub candidate: CandidateView,
    /// `same_email`, `same_phone`, `similar_name_and_location`.
    pub reasons: Vec<String>,
}

/// Name similarity (Jaro–Winkler over folded names) above which two records with the same (or
/// no) location are likely one person.
pub const NAME_SIMILARITY: f64 = 0.92;

fn same_place(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => strsim::jaro_winkler(&words(a).join(" "), &words(b).join(" ")) >= 0.9,
        _ => true,
    }
}

/// `GET /api/candidates/{id}/duplicates`: the organisation's other records with the same email
/// or phone, or a near-identical name and the same location. Index lookups only: one query for
/// the email, one for the phone, one per name word.
pub async fn duplicates(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<Vec<Duplicate>> {
    let org = actor.org();
    let (_, c) = load(deps, actor, id).await?;
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut note = |who: &UserId, why: &str| {
        if who != id {
            let r = reasons.entry(who.as_str().to_owned()).or_default();
            if !r.iter().any(|x| x == why) {
                r.push(why.to_owned());
            }
        }
    };
    for who in postings(deps, org, &format!("email#{}#", enc(&c.email.as_str().to_lowercase()))).await? {
        note(&who, "same_email");
    }
    let digits: String = c.phone.iter().flat_map(|p| p.chars()).filter(char::is_ascii_digit).collect();
    if digits.len() >= 7 {
        for who in postings(deps, org, &format!("phone#{digits}#")).await? {
            note(&who, "same_phone");
        }
    }
    let name = words(&c.name).join(" ");
    let mut by_name = BTreeSet::new();
    for w in words(&c.name).into_iter().filter(|w| w.chars().count() > 1) {
        for who in postings(deps, org, &format!("name#{}#", enc(&w))).await? {
            by_name.insert(who);
        }
    }
    for who in by_name {
        if &who == id {
            continue;
        }
        let Some(other) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&who)).await? else {
            continue;
        };
        if strsim::jaro_winkler(&name, &words(&other.name).join(" ")) >= NAME_SIMILARITY
            && same_place(c.location.as_deref(), other.location.as_deref())
        {
            note(&who, "similar_name_and_location");
        }
    }
    let pipeline = pipeline::load(deps, org).await?;
    let mut out = Vec::new();
    for (who, why) in reasons {
        let who = UserId::trusted(who);
        let Some(rec) = record_of(deps, org, &who).await? else { continue };
        if rec.merged_into.is_some() {
            continue;
        }
        let Some(other) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&who)).await? else {
            continue;
        };
        let visible = identity_visible_in(deps, org, &pipeline, &other).await?;
        out.push(Duplicate { candidate: view(other, visible, false, Some(&rec)), reasons: why });
    }
    Ok(out)
}

/// `POST /api/candidates/{id}/merge`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeInput {
    /// The record to merge into this one (it then points here).
    #[schema(schema_with = crate::values::id_schema)]
    pub candidate_id: String,
    #[schema(schema_with = notes_schema)]
    pub note: Option<String>,
}

/// Merges another record of the organisation into this one, in one transaction: this record
/// takes the other's applications and files (listed with its own), notes, merged records and
/// do-not-hire flag; the other leaves the search index and keeps a pointer here. The
/// candidates' own accounts and profiles are untouched: a merge is the organisation's view.
pub async fn merge(deps: &Deps, actor: &Actor, id: &UserId, input: MergeInput) -> AppResult<CandidateView> {
    let other_id = UserId::parse(input.candidate_id.trim())
        .ok_or_else(|| AppError::field("candidateId", "is not a candidate id"))?;
    let note = NOTES.parse_opt("note", input.note.as_deref()).map_err(|e| AppError::Validation(vec![e]))?;
    if &other_id == id {
        return Err(AppError::field("candidateId", "must be another candidate"));
    }
    let (primary, c) = load(deps, actor, id).await?;
    let other = record_of(deps, actor.org(), &other_id).await?.ok_or(AppError::NotFound("candidate"))?;
    if primary.merged_into.is_some() || other.merged_into.is_some() {
        return Err(AppError::conflict("merged", "one of these records was already merged into another"));
    }
    let now = deps.clock.now();
    let mut after = primary.clone();
    after.merged.push(other_id.clone());
    after.merged.extend(other.merged.iter().cloned());
    after.notes = match (primary.notes.clone(), other.notes.clone()) {
        (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
        (a, b) => a.or(b),
    };
    if after.do_not_hire.is_none() {
        after.do_not_hire = other.do_not_hire.clone();
    }
    if after.source.is_none() {
        after.source = other.source.clone();
    }
    after.version += 1;
    after.updated_at = now;
    let mut gone = other.clone();
    gone.merged_into = Some(id.clone());
    gone.merged = Vec::new();
    gone.tokens = Vec::new();
    gone.version += 1;
    gone.updated_at = now;
    let mut writes = vec![
        after.tx_put("version", Condition::VersionIs(primary.version))?,
        gone.tx_put("merged", Condition::VersionIs(other.version))?,
    ];
    writes.extend(index_diff(actor.org(), &other_id, &other.tokens, &[]));
    for m in &other.merged {
        if let Some(r) = record_of(deps, actor.org(), m).await? {
            let mut r2 = r.clone();
            r2.merged_into = Some(id.clone());
            r2.version += 1;
            writes.push(r2.tx_put("merged", Condition::VersionIs(r.version))?);
        }
    }
    writes.push(actor.audit(
        deps,
        Change {
            action: "candidate.merge",
            target_type: "candidate",
            target_id: id.as_str(),
            before: Some(serde_json::json!({ "into": snapshot(&primary)?, "merged": snapshot(&other)?, "note": note })),
            after: Some(snapshot(&after)?),
        },
    )?);
    deps.store.transact(writes).await.map_err(lost_update(primary.version))?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let visible = identity_visible_in(deps, actor.org(), &pipeline, &c).await?;
    Ok(view(c, visible, false, Some(&after)))
}

/// Staff reading a candidate's applications: with those of the records merged into it.
pub async fn applications_for_staff(deps: &Deps, actor: &Actor, id: &UserId) -> AppResult<Option<Vec<Application>>> {
    let Some(rec) = record_of(deps, actor.org(), id).await? else { return Ok(None) };
    if rec.merged.is_empty() {
        return Ok(None);
    }
    let mut out = apps_in_org(deps, actor.org(), id).await?;
    for m in &rec.merged {
        out.extend(apps_in_org(deps, actor.org(), m).await?);
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Some(out))
}

// ---------------------------------------------------------------------------------------------
// Removal

pub(crate) async fn remove_in_org(deps: &Deps, who: super::Who<'_>, org: &OrgId, id: &UserId) -> AppResult<()> {
    let pipeline = pipeline::load(deps, org).await?;
    for app in apps_in_org(deps, org, id).await? {
        let mv = pipeline::Move { target: pipeline::Target::Remove, note: None, reason_code: None };
        pipeline::apply_move(deps, &pipeline, who, &app, mv, "application.delete", &|_| {}).await?;
    }
    if let Some(rec) = record_of(deps, org, id).await? {
        let mut writes = vec![TxWrite::delete("talent", rec.key(), Condition::VersionIs(rec.version))];
        writes.extend(index_diff(org, id, &rec.tokens, &[]));
        writes.push(super::audit_write(
            deps,
            who,
            org,
            Change {
                action: "candidate.delete",
                target_type: "candidate",
                target_id: id.as_str(),
                before: Some(snapshot(&rec)?),
                after: None,
            },
        )?);
        deps.store.transact(writes).await.map_err(lost_update(rec.version))?;
    }
    Ok(())
}

/// `DELETE /api/candidates/{id}`. Staff (with `candidates:delete`): the organisation's record,
/// the records merged into it, and their applications there (a sourced candidate's profile
/// too). The candidate themself: every organisation's record and application, the profile and
/// the account. (Erasure across every store — files, logs, backups — is the compliance issue's.)
pub async fn delete(deps: &Deps, caller: &Caller, id: &UserId) -> AppResult<()> {
    match caller {
        Caller::Staff(actor) => {
            let (rec, c) = load(deps, actor, id).await?;
            if rec.merged_into.is_some() {
                return Err(AppError::conflict(
                    "merged",
                    "this record was merged; delete the record it was merged into",
                ));
            }
            for m in &rec.merged {
                remove_in_org(deps, actor.who(), actor.org(), m).await?;
            }
            remove_in_org(deps, actor.who(), actor.org(), id).await?;
            if c.sourced_by.as_ref() == Some(actor.org()) {
                deps.store.delete(&c.key(), Condition::None).await?;
            }
            Ok(())
        }
        Caller::Candidate(p) if &p.user_id == id => {
            let c = profile(deps, id).await?;
            let who = super::Who { id: id.as_str(), email: Some(c.email.as_str()) };
            let mut orgs: BTreeSet<OrgId> = applications_of(deps, id).await?.into_iter().map(|a| a.org_id).collect();
            let mut next = None;
            loop {
                let q = Query::index(Index::Gsi2, keys::talent_by_candidate_pk(id)).limit(100).after(next);
                let (records, page) = record::query::<TalentRecord>(deps.store.as_ref(), &q).await?;
                orgs.extend(records.into_iter().map(|r| r.org_id));
                match page.next {
                    Some(n) => next = Some(n),
                    None => break,
                }
            }
            for org in &orgs {
                remove_in_org(deps, who, org, id).await?;
            }
            deps.store.delete(&c.key(), Condition::None).await?;
            match deps.identity.delete(&c.email).await {
                Ok(()) => Ok(()),
                Err(crate::ports::identity::IdentityError::UserNotFound) => Ok(()),
                Err(e) => Err(e.into()),
            }
        }
        Caller::Candidate(_) => Err(AppError::NotFound("candidate")),
    }
}

// ---------------------------------------------------------------------------------------------
// Talent pool

/// One earlier candidate ranked for a job, blind.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolEntry {
    /// Always blind: the pool is ranked and read without identities.
    pub candidate: CandidateView,
    /// The application whose anonymised resume was scored.
    pub based_on_application_id: String,
    /// The same explained scorer as the chain, against this job's criteria.
    pub score: clearview_screening::ScoreResult,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TalentPool {
    #[schema(value_type = String)]
    pub job_id: crate::values::JobId,
    pub items: Vec<PoolEntry>,
    /// How many earlier candidates were scored (at most [`MAX_EXAMINED`]).
    pub examined: usize,
}

/// `GET /api/jobs/{id}/talent-pool`: the organisation's earlier candidates who match a job —
/// found through the search index by the job's required and preferred skills (or its title
/// words), never a scan — each scored by the chain's scorer on the anonymised resume of their
/// latest application, best first, blind. Those who already applied to the job are left out.
pub async fn talent_pool(
    deps: &Deps,
    actor: &Actor,
    job_id: &crate::values::JobId,
    limit: usize,
) -> AppResult<TalentPool> {
    let org = actor.org();
    let job: crate::model::Job =
        record::get(deps.store.as_ref(), &keys::job(org, job_id)).await?.ok_or(AppError::NotFound("job"))?;
    let criteria = super::criteria::scoring_criteria(&job);
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let skills: Vec<&String> =
        job.criteria.required_skills.iter().chain(job.criteria.preferred_skills.iter()).collect();
    if skills.is_empty() {
        for w in words(&job.title).into_iter().filter(|w| w.len() > 2) {
            for id in postings(deps, org, &format!("title#{}#", enc(&w))).await? {
                ids.insert(id.as_str().to_owned());
            }
        }
    } else {
        for s in skills {
            for id in postings(deps, org, &format!("skill#{}#", enc(&words(s).join(" ")))).await? {
                ids.insert(id.as_str().to_owned());
            }
        }
    }
    let mut items = Vec::new();
    let mut examined = 0;
    for id in ids.into_iter().take(MAX_EXAMINED) {
        let uid = UserId::trusted(id);
        let Some(rec) = record_of(deps, org, &uid).await? else { continue };
        if rec.merged_into.is_some() {
            continue;
        }
        let apps = apps_in_org(deps, org, &uid).await?;
        if apps.iter().any(|a| &a.job_id == job_id) {
            continue;
        }
        // The latest application with an anonymised resume.
        let mut profile = None;
        for a in apps.iter().rev() {
            if let Some(r) = record::get::<crate::model::StageResult>(
                deps.store.as_ref(),
                &keys::stage_result(org, &a.id, "anonymized"),
            )
            .await?
                && let Ok(p) = serde_json::from_value::<clearview_screening::AnonymizedProfile>(r.body)
            {
                profile = Some((a.id.clone(), p));
                break;
            }
        }
        let Some((app_id, anonymized)) = profile else { continue };
        let Some(c) = record::get::<Candidate>(deps.store.as_ref(), &keys::candidate(&uid)).await? else { continue };
        examined += 1;
        let score = clearview_screening::score(&anonymized, &criteria);
        items.push(PoolEntry { candidate: view(c, false, false, Some(&rec)), based_on_application_id: app_id, score });
    }
    items.sort_by(|a, b| {
        b.score.overall.cmp(&a.score.overall).then(a.candidate.id.as_str().cmp(b.candidate.id.as_str()))
    });
    items.truncate(limit);
    Ok(TalentPool { job_id: job_id.clone(), items, examined })
}
