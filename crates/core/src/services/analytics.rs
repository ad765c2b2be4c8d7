//! Hiring analytics that never scan. The `analytics` consumer of the application events adds
//! each event's contribution to daily counters per job (`keys::analytics_stat`), once: the
//! event's marker is written in the same transaction as the counter ADDs, so a redelivered
//! event counts nothing twice. Client events (`POST /api/analytics/event`) add to the same
//! counters. Every view is one range query over an organisation's counters for the date range
//! (plus, for the stage table, the pipeline's own daily statistics, which it reuses).

use super::Actor;
use super::pipeline::{self, AnalyticsQuery, StageFigures, date_range};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Application, Job};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, Item, Query, StoreError, TxWrite};
use crate::record;
use crate::values::{JobId, OrgId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The consumer's name (its dedupe markers' scope).
pub const CONSUMER: &str = "analytics";
/// Event kinds the consumer counts (the queue's subscription filter).
pub const EVENT_PREFIXES: &[&str] = &["application.", "job.published"];
/// The recommendation and decision labels, in confusion-matrix order.
pub const LABELS: [&str; 3] = ["advance", "review", "reject"];
/// The statuses the funnel follows, after `applied`.
pub const FUNNEL_STATUSES: [&str; 5] = ["phone_screen", "technical_interview", "final_interview", "offer", "hired"];
const INTERVIEW_STATUSES: [&str; 3] = ["phone_screen", "technical_interview", "final_interview"];
const FINAL: [&str; 3] = ["hired", "rejected", "withdrawn"];
/// Client events `POST /api/analytics/event` accepts.
pub const CLIENT_EVENTS: [&str; 2] = ["job_viewed", "apply_started"];

fn clean(s: &str) -> String {
    s.chars().map(|c| if c == '#' { '_' } else { c }).collect()
}

/// An override reason as it is grouped: lower case, single spaces, at most 60 characters.
pub fn reason_label(reason: &str) -> String {
    let words: Vec<String> = reason.split_whitespace().map(str::to_lowercase).collect();
    clean(&words.join(" ").chars().take(60).collect::<String>())
}

/// The score bucket (`0-9` … `90-100`).
pub fn score_bucket(score: u64) -> String {
    let b = (score / 10).min(9);
    if b == 9 { "90-100".to_owned() } else { format!("{}-{}", b * 10, b * 10 + 9) }
}

fn time_of(v: &serde_json::Value) -> Option<OffsetDateTime> {
    v.as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

/// What one event adds: counters always, and counters that count only the first time
/// (guarded by a marker).
#[derive(Debug, Default, PartialEq)]
pub struct Contribution {
    pub day: String,
    pub job: Option<JobId>,
    pub adds: Vec<(String, i64)>,
    pub firsts: Vec<(String, Vec<(String, i64)>)>,
}

async fn model_of(deps: &Deps, org: &OrgId, app: &str) -> AppResult<String> {
    let r: Option<crate::model::StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(org, app, "score")).await?;
    Ok(r.and_then(|r| r.body["modelVersion"].as_str().map(clean)).unwrap_or_else(|| "unknown".into()))
}

/// The counters an event adds to (reading only the items it names: the job, the score result).
pub async fn contribution(deps: &Deps, org: &OrgId, e: &DomainEvent) -> AppResult<Contribution> {
    let d = &e.data;
    let at = time_of(&d["at"]).unwrap_or(e.occurred_at);
    let mut c = Contribution { day: at.date().to_string(), ..Default::default() };
    let job = match d["jobId"].as_str().and_then(JobId::parse) {
        Some(j) => Some(j),
        None if e.kind.starts_with("application.") => {
            record::get::<Application>(deps.store.as_ref(), &keys::application(org, &e.subject_id))
                .await?
                .map(|a| a.job_id)
        }
        None => None,
    };
    let Some(job) = job else { return Ok(c) };
    let app = e.subject_id.as_str();
    let source = clean(d["source"].as_str().unwrap_or("unspecified"));
    match e.kind.as_str() {
        "application.received" => {
            c.adds.push(("APPLIED".into(), 1));
            c.adds.push((format!("SRC#{source}#APPLIED"), 1));
        }
        "application.status_changed" => {
            let (from, to) = (d["from"].as_str().unwrap_or(""), d["to"].as_str().unwrap_or(""));
            if from == to || to.is_empty() {
                c.job = Some(job);
                return Ok(c);
            }
            if FUNNEL_STATUSES.contains(&to) {
                c.firsts.push((format!("APP#{app}#{to}"), vec![(format!("REACHED#{to}"), 1)]));
            }
            if INTERVIEW_STATUSES.contains(&to) {
                c.firsts.push((format!("APP#{app}#interview"), vec![("REACHED#interview".into(), 1)]));
            }
            if FINAL.contains(&to) {
                let mut once = vec![(format!("CLOSED#{to}"), 1)];
                if let Some(score) = d["score"].as_u64() {
                    let model = model_of(deps, org, app).await?;
                    once.push((format!("AI#{model}#SCORE#{to}#{}", score_bucket(score)), 1));
                }
                if to == "hired" {
                    if let Some(created) = time_of(&d["createdAt"]) {
                        once.push(("TTH#SECONDS".into(), (at - created).whole_seconds().max(0)));
                        once.push(("TTH#N".into(), 1));
                    }
                    once.push((format!("SRC#{source}#HIRED"), 1));
                }
                if from == "offer" {
                    once.push((if to == "hired" { "OFFER#accepted" } else { "OFFER#declined" }.into(), 1));
                }
                c.firsts.push((format!("APP#{app}#final"), once));
                if to == "hired" {
                    let posted = record::get::<Job>(deps.store.as_ref(), &keys::job(org, &job)).await?;
                    if let Some(published) = posted.and_then(|j| j.published_at) {
                        c.firsts.push((
                            format!("JOB#{job}#filled"),
                            vec![("TTF#SECONDS".into(), (at - published).whole_seconds().max(0)), ("TTF#N".into(), 1)],
                        ));
                    }
                }
            }
        }
        "application.decided" => {
            let model = clean(d["modelVersion"].as_str().unwrap_or("unknown"));
            let decision = d["decision"].as_str().unwrap_or("");
            match d["recommendation"].as_str() {
                Some(rec) if LABELS.contains(&rec) && LABELS.contains(&decision) => {
                    c.adds.push((format!("AI#{model}#CM#{rec}#{decision}"), 1));
                    if rec != decision {
                        let reason = reason_label(d["reason"].as_str().unwrap_or(""));
                        c.adds.push((format!("AI#{model}#OVR#{reason}"), 1));
                    }
                }
                _ => c.adds.push((format!("AI#{model}#NOREC"), 1)),
            }
        }
        "application.screened" => {
            let model = clean(d["modelVersion"].as_str().unwrap_or("unknown"));
            c.adds.push((format!("AI#{model}#SCREENED"), 1));
            if d["biasFlagged"].as_bool() == Some(true) {
                c.adds.push((format!("AI#{model}#FLAGGED"), 1));
            }
        }
        "job.published" => {
            c.firsts.push((format!("JOB#{job}#published"), vec![("PUBLISHED".into(), 1)]));
        }
        _ => {}
    }
    c.job = Some(job);
    Ok(c)
}

fn add(org: &OrgId, day: &str, job: &JobId, metric: &str, n: i64) -> TxWrite {
    TxWrite::add(format!("add-{metric}"), keys::analytics_stat(org, day, job, metric), "AnalyticsStat", None, n)
}

/// The platform-wide counter an organisation's counter is summed into (same metric and day).
fn add_platform(shard: u8, day: &str, metric: &str, n: i64) -> TxWrite {
    TxWrite::add(
        format!("platform-{metric}"),
        keys::platform_analytics_stat(shard, day, metric),
        "PlatformAnalyticsStat",
        None,
        n,
    )
}

/// An event's platform shard: fixed by its id, so a redelivery (counted once anyway) and its
/// first delivery pick the same item.
fn platform_shard(id: &str) -> u8 {
    use sha2::Digest;
    sha2::Sha256::digest(id.as_bytes())[0] % keys::PLATFORM_ANALYTICS_SHARDS
}

fn marker(key: crate::ports::store::Key, entity: &str, expires_at: Option<i64>) -> Item {
    Item { key, gsi1: None, gsi2: None, entity: entity.into(), version: 1, expires_at, data: serde_json::json!({}) }
}

/// Counts one event, once. `Ok(false)`: already counted (a redelivery) or nothing to count.
/// A race with another event over the same first answers `Unavailable` (deliver it again).
pub async fn record_event(deps: &Deps, e: &DomainEvent) -> AppResult<bool> {
    let Some(org) = OrgId::parse(&e.org_id) else {
        return Err(AppError::Validation(vec![crate::FieldError::new("orgId", "is not an organisation id")]));
    };
    let done_key = keys::processed(&org, CONSUMER, &e.id);
    if deps.store.get(&done_key).await?.is_some() {
        return Ok(false);
    }
    let c = contribution(deps, &org, e).await?;
    // Kept a year: redeliveries come within days.
    let expires = Some(deps.clock.now().unix_timestamp() + 400 * 24 * 3600);
    let mut writes = vec![TxWrite::put("event", marker(done_key, "AnalyticsDone", expires), Condition::NotExists)];
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for (m, n) in &c.adds {
        *sums.entry(m.clone()).or_default() += n;
    }
    for (what, adds) in &c.firsts {
        let key = keys::analytics_seen(&org, what);
        if deps.store.get(&key).await?.is_some() {
            continue;
        }
        writes.push(TxWrite::put(format!("first-{what}"), marker(key, "AnalyticsFirst", None), Condition::NotExists));
        for (m, n) in adds {
            *sums.entry(m.clone()).or_default() += n;
        }
    }
    if let Some(job) = &c.job {
        writes.extend(sums.iter().map(|(m, n)| add(&org, &c.day, job, m, *n)));
        let shard = platform_shard(&e.id);
        writes.extend(sums.iter().map(|(m, n)| add_platform(shard, &c.day, m, *n)));
    }
    match deps.store.transact(writes).await {
        Ok(()) => Ok(!sums.is_empty()),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "event") => Ok(false),
        Err(StoreError::TransactionCanceled { failed }) => {
            Err(AppError::Unavailable(format!("another event counted {failed:?} first; count again")))
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ client events

/// `POST /api/analytics/event`: what a career site reports.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientEventInput {
    /// `job_viewed` or `apply_started`.
    #[serde(rename = "type")]
    #[schema(schema_with = client_event_schema)]
    pub kind: String,
    #[schema(schema_with = crate::values::id_schema)]
    pub job_id: String,
    /// The client's id of the event (8–64 letters, digits, `-`, `_`): sent again, it counts once.
    #[schema(pattern = "^[A-Za-z0-9_-]{8,64}$", min_length = 8, max_length = 64)]
    pub event_id: Option<String>,
}

fn client_event_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(CLIENT_EVENTS)
}

/// What became of a client event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientEventReceipt {
    /// False when this event id was counted before.
    pub counted: bool,
}

pub async fn client_event(deps: &Deps, input: ClientEventInput) -> AppResult<ClientEventReceipt> {
    let mut c = crate::values::Checks::default();
    if !CLIENT_EVENTS.contains(&input.kind.as_str()) {
        c.push("type", "must be job_viewed or apply_started");
    }
    let job = JobId::parse(input.job_id.trim());
    if job.is_none() {
        c.push("jobId", "is not a job id");
    }
    if let Some(id) = &input.event_id
        && !(8..=64).contains(&id.len()) | !id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        c.push("eventId", "must be 8 to 64 letters, digits, - or _");
    }
    c.finish()?;
    let job = job.unwrap_or_else(|| JobId::trusted(""));
    // A body field naming nothing is refused on the field (the route has no path id to 404 on).
    let no_job = || AppError::field("jobId", "names no job");
    let locator = deps.store.get(&keys::job_locator(&job)).await?.ok_or_else(no_job)?;
    let org = locator.data["orgId"].as_str().and_then(OrgId::parse).ok_or_else(no_job)?;
    let metric = if input.kind == "job_viewed" { "VIEW" } else { "APPLY_STARTED" };
    let day = deps.clock.now().date().to_string();
    let shard = platform_shard(input.event_id.as_deref().unwrap_or(job.as_str()));
    let mut writes = vec![add(&org, &day, &job, metric, 1), add_platform(shard, &day, metric, 1)];
    if let Some(id) = &input.event_id {
        let key = keys::analytics_seen(&org, &format!("CLIENT#{job}#{id}"));
        let expires = Some(deps.clock.now().unix_timestamp() + 30 * 24 * 3600);
        writes.push(TxWrite::put("event", marker(key, "AnalyticsClientEvent", expires), Condition::NotExists));
    }
    match deps.store.transact(writes).await {
        Ok(()) => Ok(ClientEventReceipt { counted: true }),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "event") => {
            Ok(ClientEventReceipt { counted: false })
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ reading the counters

/// The counters of one job over a range: metric → sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally(pub BTreeMap<String, i64>);

impl Tally {
    pub fn get(&self, m: &str) -> i64 {
        *self.0.get(m).unwrap_or(&0)
    }
    fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_default() += v;
        }
    }
}

/// Reads every counter of partition `pk` whose sort key falls in `[from, to]` (days; one range
/// query, paged), handing each sort key and count to `add`.
async fn read_range(
    deps: &Deps,
    pk: String,
    from: time::Date,
    to: time::Date,
    mut add: impl FnMut(&str, i64),
) -> AppResult<()> {
    let mut after = None;
    loop {
        let q = Query::table(pk.clone()).between(from.to_string(), format!("{to}~")).limit(1000).after(after);
        let page = deps.store.query(&q).await?;
        for item in &page.items {
            add(&item.key.sk, item.data["count"].as_i64().unwrap_or(0));
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(()),
        }
    }
}

/// `<day>#JOB#<job>#<metric>` → (day, job, metric).
fn job_counter(sk: &str) -> Option<(&str, &str, &str)> {
    let mut parts = sk.splitn(4, '#');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(day), Some("JOB"), Some(job), Some(metric)) => Some((day, job, metric)),
        _ => None,
    }
}

/// The counters of the organisation over `[from, to]`, per job (one range query, paged).
pub async fn tallies(deps: &Deps, org: &OrgId, from: time::Date, to: time::Date) -> AppResult<BTreeMap<JobId, Tally>> {
    let mut out: BTreeMap<JobId, Tally> = BTreeMap::new();
    read_range(deps, keys::analytics_pk(org), from, to, |sk, n| {
        if let Some((_, job, metric)) = job_counter(sk) {
            *out.entry(JobId::trusted(job)).or_default().0.entry(metric.to_owned()).or_default() += n;
        }
    })
    .await?;
    Ok(out)
}

/// One metric per day over `[from, to]` (every day, 0 when nothing happened), all jobs or some.
pub async fn daily(
    deps: &Deps,
    org: &OrgId,
    from: time::Date,
    to: time::Date,
    metric: &str,
    jobs: &[JobId],
) -> AppResult<Vec<(String, i64)>> {
    let mut by_day: BTreeMap<String, i64> = BTreeMap::new();
    let mut d = from;
    loop {
        by_day.insert(d.to_string(), 0);
        match d.next_day() {
            Some(n) if n <= to => d = n,
            _ => break,
        }
    }
    read_range(deps, keys::analytics_pk(org), from, to, |sk, n| {
        if let Some((day, job, m)) = job_counter(sk)
            && m == metric
            && (jobs.is_empty() || jobs.iter().any(|j| j.as_str() == job))
        {
            *by_day.entry(day.to_owned()).or_default() += n;
        }
    })
    .await?;
    Ok(by_day.into_iter().collect())
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// A mean duration.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeanDays {
    /// How many durations it averages.
    pub count: i64,
    /// Mean in days (null when none).
    pub mean_days: Option<f64>,
}

fn mean_days(t: &Tally, prefix: &str) -> MeanDays {
    let n = t.get(&format!("{prefix}#N"));
    MeanDays { count: n, mean_days: ratio(t.get(&format!("{prefix}#SECONDS")), n).map(|s| s / 86400.0) }
}

/// One source's applications and hires.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceFigures {
    /// `linkedin`, `indeed`, `referral`, `company_website`, `other` or `unspecified`.
    pub source: String,
    pub applications: i64,
    pub hires: i64,
    /// hires ÷ applications.
    pub hire_rate: Option<f64>,
}

fn sources(t: &Tally) -> Vec<SourceFigures> {
    let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (k, v) in &t.0 {
        if let Some(rest) = k.strip_prefix("SRC#") {
            if let Some(s) = rest.strip_suffix("#APPLIED") {
                by.entry(s.to_owned()).or_default().0 += v;
            } else if let Some(s) = rest.strip_suffix("#HIRED") {
                by.entry(s.to_owned()).or_default().1 += v;
            }
        }
    }
    by.into_iter()
        .map(|(source, (applications, hires))| SourceFigures {
            source,
            applications,
            hires,
            hire_rate: ratio(hires, applications),
        })
        .collect()
}

/// Offers made and how they ended.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferFigures {
    /// Applications that reached an offer.
    pub extended: i64,
    /// Offer → hired.
    pub accepted: i64,
    /// Offer → rejected or withdrawn.
    pub declined: i64,
    /// accepted ÷ (accepted + declined).
    pub acceptance_rate: Option<f64>,
}

fn offers(t: &Tally) -> OfferFigures {
    let (a, d) = (t.get("OFFER#accepted"), t.get("OFFER#declined"));
    OfferFigures { extended: t.get("REACHED#offer"), accepted: a, declined: d, acceptance_rate: ratio(a, a + d) }
}

/// One step of the funnel.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FunnelStep {
    /// `job_viewed`, `apply_started`, `applied`, then the statuses reached.
    pub step: String,
    pub count: i64,
    /// count ÷ the previous step's count.
    pub from_previous: Option<f64>,
    /// count ÷ applied (null for the steps before applying).
    pub from_applied: Option<f64>,
}

fn funnel(t: &Tally) -> Vec<FunnelStep> {
    let applied = t.get("APPLIED");
    let mut steps =
        vec![("job_viewed".to_owned(), t.get("VIEW"), false), ("apply_started".into(), t.get("APPLY_STARTED"), false)];
    steps.push(("applied".into(), applied, true));
    for s in FUNNEL_STATUSES {
        steps.push((s.to_owned(), t.get(&format!("REACHED#{s}")), true));
    }
    let mut prev: Option<i64> = None;
    steps
        .into_iter()
        .map(|(step, count, after_apply)| {
            let from_previous = prev.and_then(|p| ratio(count, p));
            prev = Some(count);
            FunnelStep {
                step,
                count,
                from_previous,
                from_applied: if after_apply { ratio(count, applied) } else { None },
            }
        })
        .collect()
}

/// The confusion matrix of the tool's recommendation (rows) against the person's decision
/// (columns), in `labels` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfusionMatrix {
    pub labels: Vec<String>,
    pub counts: Vec<Vec<i64>>,
}

/// How the tool's recommendations fared with the people deciding.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiFigures {
    /// Decisions on an application with a recommendation.
    pub decisions: i64,
    /// Decisions on an application without one (not scored yet).
    pub decisions_without_recommendation: i64,
    pub confusion_matrix: ConfusionMatrix,
    /// Decisions that followed the recommendation ÷ decisions.
    pub agreement_rate: Option<f64>,
    /// Cohen's kappa: agreement beyond chance (null when chance alone explains all of it).
    pub cohens_kappa: Option<f64>,
    pub overrides: i64,
    /// Overrides by their reason (lower case, first 60 characters).
    pub overrides_by_reason: BTreeMap<String, i64>,
    /// Scores (buckets of 10) of closed applications, by how they closed.
    pub score_distribution_by_outcome: BTreeMap<String, BTreeMap<String, i64>>,
    /// Scored applications whose counterfactual check ran.
    pub screened: i64,
    pub counterfactual_flagged: i64,
    pub counterfactual_flag_rate: Option<f64>,
}

/// Cohen's kappa of a square matrix (rows one rater, columns the other).
pub fn cohens_kappa(m: &[Vec<i64>]) -> Option<f64> {
    let n: i64 = m.iter().flatten().sum();
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let po = (0..m.len()).map(|i| m[i][i]).sum::<i64>() as f64 / n;
    let pe = (0..m.len())
        .map(|i| {
            let row: i64 = m[i].iter().sum();
            let col: i64 = m.iter().map(|r| r[i]).sum();
            row as f64 * col as f64
        })
        .sum::<f64>()
        / (n * n);
    (pe < 1.0).then(|| (po - pe) / (1.0 - pe))
}

/// The AI figures of a tally, for one model version or (None) all together.
pub fn ai_figures(t: &Tally, model: Option<&str>) -> AiFigures {
    let mut m = vec![vec![0i64; 3]; 3];
    let mut overrides_by_reason = BTreeMap::new();
    let mut dist: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let (mut norec, mut screened, mut flagged) = (0, 0, 0);
    for (k, v) in &t.0 {
        let Some(rest) = k.strip_prefix("AI#") else { continue };
        let Some((version, metric)) = rest.split_once('#') else { continue };
        if model.is_some_and(|m| m != version) {
            continue;
        }
        let parts: Vec<&str> = metric.split('#').collect();
        match parts.as_slice() {
            ["CM", rec, dec] => {
                if let (Some(i), Some(j)) = (LABELS.iter().position(|l| l == rec), LABELS.iter().position(|l| l == dec))
                {
                    m[i][j] += v;
                }
            }
            ["OVR", ..] => {
                *overrides_by_reason.entry(metric["OVR#".len()..].to_owned()).or_default() += v;
            }
            ["SCORE", outcome, bucket] => {
                *dist.entry((*outcome).to_owned()).or_default().entry((*bucket).to_owned()).or_default() += v;
            }
            ["NOREC"] => norec += v,
            ["SCREENED"] => screened += v,
            ["FLAGGED"] => flagged += v,
            _ => {}
        }
    }
    let decisions: i64 = m.iter().flatten().sum();
    let agree: i64 = (0..3).map(|i| m[i][i]).sum();
    AiFigures {
        decisions,
        decisions_without_recommendation: norec,
        agreement_rate: ratio(agree, decisions),
        cohens_kappa: cohens_kappa(&m),
        confusion_matrix: ConfusionMatrix { labels: LABELS.iter().map(|s| (*s).to_owned()).collect(), counts: m },
        overrides: decisions - agree,
        overrides_by_reason,
        score_distribution_by_outcome: dist,
        screened,
        counterfactual_flagged: flagged,
        counterfactual_flag_rate: ratio(flagged, screened),
    }
}

fn model_versions(t: &Tally) -> Vec<String> {
    let mut v: Vec<String> =
        t.0.keys()
            .filter_map(|k| k.strip_prefix("AI#").and_then(|r| r.split_once('#')).map(|(m, _)| m.to_owned()))
            .collect();
    v.dedup();
    v
}

/// The AI figures of each model version in `t`.
fn by_model(t: &Tally) -> Vec<ModelFigures> {
    model_versions(t).into_iter().map(|m| ModelFigures { figures: ai_figures(t, Some(&m)), model_version: m }).collect()
}

/// Every job's counters summed.
pub fn total(per_job: &BTreeMap<JobId, Tally>) -> Tally {
    let mut t = Tally::default();
    for j in per_job.values() {
        t.merge(j);
    }
    t
}

/// Query of the organisation-wide figures: `from`, `to` (days, inclusive) and optionally one job.
pub type RangeQuery = AnalyticsQuery;

/// `from`/`to` for one job's or the employer's figures.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DateRange {
    /// First day (UTC, `YYYY-MM-DD`, inclusive; not after `to`); default 90 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, inclusive); default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
}

struct Scope {
    from: time::Date,
    to: time::Date,
    per_job: BTreeMap<JobId, Tally>,
}

async fn scope(deps: &Deps, org: &OrgId, from: Option<&str>, to: Option<&str>, job: Option<&str>) -> AppResult<Scope> {
    let (from, to) = date_range(deps, from, to)?;
    let only = match job {
        Some(s) => Some(JobId::parse(s.trim()).ok_or_else(|| AppError::field("jobId", "is not a job id"))?),
        None => None,
    };
    let mut per_job = tallies(deps, org, from, to).await?;
    if let Some(j) = only {
        per_job.retain(|k, _| k == &j);
    }
    Ok(Scope { from, to, per_job })
}

/// `GET /api/analytics/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// Jobs first published in the range.
    pub jobs_published: i64,
    /// Jobs active now.
    pub active_jobs: i64,
    pub job_views: i64,
    pub applications: i64,
    /// Applications that reached an interview stage.
    pub interviews: i64,
    pub offers: i64,
    pub hires: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    /// applications ÷ job views.
    pub view_to_apply_rate: Option<f64>,
    /// interviews ÷ applications.
    pub interview_rate: Option<f64>,
    pub time_to_hire: MeanDays,
    pub offer_acceptance_rate: Option<f64>,
    /// How often people followed the tool's recommendation.
    pub ai_agreement_rate: Option<f64>,
    pub counterfactual_flag_rate: Option<f64>,
}

/// Jobs active now (one query of the status index; no scan).
async fn active_jobs(deps: &Deps, org: &OrgId) -> AppResult<i64> {
    let mut n = 0;
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::job_by_status_pk(org, "active")).limit(1000).after(after);
        let page = deps.store.query(&q).await?;
        n += page.items.len() as i64;
        match page.next {
            Some(p) => after = Some(p),
            None => return Ok(n),
        }
    }
}

pub async fn dashboard(deps: &Deps, actor: &Actor, q: RangeQuery) -> AppResult<Dashboard> {
    let s = scope(deps, actor.org(), q.from.as_deref(), q.to.as_deref(), q.job_id.as_deref()).await?;
    let t = total(&s.per_job);
    let ai = ai_figures(&t, None);
    let applications = t.get("APPLIED");
    Ok(Dashboard {
        from: s.from.to_string(),
        to: s.to.to_string(),
        jobs_published: t.get("PUBLISHED"),
        active_jobs: active_jobs(deps, actor.org()).await?,
        job_views: t.get("VIEW"),
        applications,
        interviews: t.get("REACHED#interview"),
        offers: t.get("REACHED#offer"),
        hires: t.get("CLOSED#hired"),
        rejected: t.get("CLOSED#rejected"),
        withdrawn: t.get("CLOSED#withdrawn"),
        view_to_apply_rate: ratio(applications, t.get("VIEW")),
        interview_rate: ratio(t.get("REACHED#interview"), applications),
        time_to_hire: mean_days(&t, "TTH"),
        offer_acceptance_rate: offers(&t).acceptance_rate,
        ai_agreement_rate: ai.agreement_rate,
        counterfactual_flag_rate: ai.counterfactual_flag_rate,
    })
}

/// One job's application count.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobApplications {
    pub job_id: String,
    pub applications: i64,
}

/// Applications per job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationsPerJob {
    /// Jobs with applications in the range.
    pub jobs: Vec<JobApplications>,
    /// Mean over those jobs.
    pub mean: Option<f64>,
}

/// `GET /api/analytics/recruitment-metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecruitmentMetrics {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// Application to hire, over the hires in the range.
    pub time_to_hire: MeanDays,
    /// Job publication to its first hire, over the jobs filled in the range.
    pub time_to_fill: MeanDays,
    pub applications_per_job: ApplicationsPerJob,
    pub source_effectiveness: Vec<SourceFigures>,
    pub offer_acceptance: OfferFigures,
}

pub async fn recruitment_metrics(deps: &Deps, actor: &Actor, q: RangeQuery) -> AppResult<RecruitmentMetrics> {
    let s = scope(deps, actor.org(), q.from.as_deref(), q.to.as_deref(), q.job_id.as_deref()).await?;
    let t = total(&s.per_job);
    let jobs: Vec<JobApplications> = s
        .per_job
        .iter()
        .filter(|(_, t)| t.get("APPLIED") > 0)
        .map(|(j, t)| JobApplications { job_id: j.to_string(), applications: t.get("APPLIED") })
        .collect();
    let mean = ratio(jobs.iter().map(|j| j.applications).sum(), jobs.len() as i64);
    Ok(RecruitmentMetrics {
        from: s.from.to_string(),
        to: s.to.to_string(),
        time_to_hire: mean_days(&t, "TTH"),
        time_to_fill: mean_days(&t, "TTF"),
        applications_per_job: ApplicationsPerJob { jobs, mean },
        source_effectiveness: sources(&t),
        offer_acceptance: offers(&t),
    })
}

/// `GET /api/analytics/pipeline-conversion`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineConversion {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// Views, started and sent applications, then each status reached (once per application).
    pub funnel: Vec<FunnelStep>,
    /// The organisation's own stages: entries, exits, conversion and drop-off (the pipeline's
    /// daily statistics, as `GET /api/pipeline/analytics` reports them).
    pub by_stage: Vec<StageFigures>,
}

pub async fn pipeline_conversion(deps: &Deps, actor: &Actor, q: RangeQuery) -> AppResult<PipelineConversion> {
    let s = scope(deps, actor.org(), q.from.as_deref(), q.to.as_deref(), q.job_id.as_deref()).await?;
    let t = total(&s.per_job);
    let stages = pipeline::analytics(deps, actor, q).await?;
    Ok(PipelineConversion {
        from: s.from.to_string(),
        to: s.to.to_string(),
        funnel: funnel(&t),
        by_stage: stages.overall,
    })
}

/// The AI figures of one model version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelFigures {
    pub model_version: String,
    pub figures: AiFigures,
}

/// The AI figures of one job.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAiFigures {
    pub job_id: String,
    pub figures: AiFigures,
}

/// `GET /api/analytics/ai-performance`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiPerformance {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub overall: AiFigures,
    pub by_model_version: Vec<ModelFigures>,
    pub by_job: Vec<JobAiFigures>,
}

pub async fn ai_performance(deps: &Deps, actor: &Actor, q: RangeQuery) -> AppResult<AiPerformance> {
    let s = scope(deps, actor.org(), q.from.as_deref(), q.to.as_deref(), q.job_id.as_deref()).await?;
    let t = total(&s.per_job);
    Ok(AiPerformance {
        from: s.from.to_string(),
        to: s.to.to_string(),
        overall: ai_figures(&t, None),
        by_model_version: by_model(&t),
        by_job: s
            .per_job
            .iter()
            .filter(|(_, t)| t.0.keys().any(|k| k.starts_with("AI#")))
            .map(|(j, t)| JobAiFigures { job_id: j.to_string(), figures: ai_figures(t, None) })
            .collect(),
    })
}

/// `GET /api/jobs/{id}/analytics`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAnalytics {
    pub job_id: String,
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub funnel: Vec<FunnelStep>,
    pub source_effectiveness: Vec<SourceFigures>,
    pub time_to_hire: MeanDays,
    pub offer_acceptance: OfferFigures,
    pub ai: AiFigures,
}

pub async fn job_analytics(deps: &Deps, actor: &Actor, id: &str, q: DateRange) -> AppResult<JobAnalytics> {
    let job = JobId::parse(id).ok_or(AppError::NotFound("job"))?;
    record::get::<Job>(deps.store.as_ref(), &keys::job(actor.org(), &job)).await?.ok_or(AppError::NotFound("job"))?;
    let s = scope(deps, actor.org(), q.from.as_deref(), q.to.as_deref(), Some(job.as_str())).await?;
    let t = total(&s.per_job);
    Ok(JobAnalytics {
        job_id: job.to_string(),
        from: s.from.to_string(),
        to: s.to.to_string(),
        funnel: funnel(&t),
        source_effectiveness: sources(&t),
        time_to_hire: mean_days(&t, "TTH"),
        offer_acceptance: offers(&t),
        ai: ai_figures(&t, None),
    })
}

/// The seed's job postings figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobPostings {
    /// Jobs first published in the range.
    pub total: i64,
    /// Jobs active now.
    pub active: i64,
    /// Applications received in the range.
    pub applications: i64,
}

/// The seed's engagement figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CandidateEngagement {
    /// Applications ÷ job views (null without views).
    pub view_rate: Option<f64>,
    /// Applications that reached an interview ÷ applications.
    pub interview_rate: Option<f64>,
}

/// `GET /api/employers/{id}/analytics` (the seed's shape).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmployerAnalytics {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub job_postings: JobPostings,
    pub candidate_engagement: CandidateEngagement,
}

pub async fn employer_analytics(deps: &Deps, actor: &Actor, q: DateRange) -> AppResult<EmployerAnalytics> {
    let d = dashboard(deps, actor, RangeQuery { from: q.from, to: q.to, job_id: None }).await?;
    Ok(EmployerAnalytics {
        from: d.from,
        to: d.to,
        job_postings: JobPostings { total: d.jobs_published, active: d.active_jobs, applications: d.applications },
        candidate_engagement: CandidateEngagement { view_rate: d.view_to_apply_rate, interview_rate: d.interview_rate },
    })
}

// ------------------------------------------------------------------ platform-wide (platform admins)

/// The platform's counters over `[from, to]`, per day (one range query per shard, paged).
pub async fn platform_tallies(deps: &Deps, from: time::Date, to: time::Date) -> AppResult<BTreeMap<String, Tally>> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for shard in 0..keys::PLATFORM_ANALYTICS_SHARDS {
        read_range(deps, keys::platform_analytics_pk(shard), from, to, |sk, n| {
            if let Some((day, metric)) = sk.split_once('#') {
                *out.entry(day.to_owned()).or_default().0.entry(metric.to_owned()).or_default() += n;
            }
        })
        .await?;
    }
    Ok(out)
}

/// `GET /api/analytics/metrics`: the hiring figures of every organisation together.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformMetrics {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// Jobs first published in the range, every organisation.
    pub jobs_published: i64,
    pub job_views: i64,
    pub apply_starts: i64,
    pub applications: i64,
    /// Applications that reached an interview stage.
    pub interviews: i64,
    pub offers: OfferFigures,
    pub hires: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    /// applications ÷ job views.
    pub view_to_apply_rate: Option<f64>,
    /// interviews ÷ applications.
    pub interview_rate: Option<f64>,
    pub time_to_hire: MeanDays,
    pub time_to_fill: MeanDays,
    pub sources: Vec<SourceFigures>,
    pub funnel: Vec<FunnelStep>,
    /// The tool against people's decisions, every organisation.
    pub ai: AiFigures,
    pub ai_by_model_version: Vec<ModelFigures>,
}

pub async fn platform_metrics(deps: &Deps, q: DateRange) -> AppResult<PlatformMetrics> {
    let (from, to) = date_range(deps, q.from.as_deref(), q.to.as_deref())?;
    let mut t = Tally::default();
    for day in platform_tallies(deps, from, to).await?.values() {
        t.merge(day);
    }
    let applications = t.get("APPLIED");
    Ok(PlatformMetrics {
        from: from.to_string(),
        to: to.to_string(),
        jobs_published: t.get("PUBLISHED"),
        job_views: t.get("VIEW"),
        apply_starts: t.get("APPLY_STARTED"),
        applications,
        interviews: t.get("REACHED#interview"),
        offers: offers(&t),
        hires: t.get("CLOSED#hired"),
        rejected: t.get("CLOSED#rejected"),
        withdrawn: t.get("CLOSED#withdrawn"),
        view_to_apply_rate: ratio(applications, t.get("VIEW")),
        interview_rate: ratio(t.get("REACHED#interview"), applications),
        time_to_hire: mean_days(&t, "TTH"),
        time_to_fill: mean_days(&t, "TTF"),
        sources: sources(&t),
        funnel: funnel(&t),
        ai: ai_figures(&t, None),
        ai_by_model_version: by_model(&t),
    })
}

pub const PERIODS: [&str; 3] = ["day", "week", "month"];

/// `GET /api/analytics/reports`: a date range and the length of each period.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformReportQuery {
    /// First day (UTC, `YYYY-MM-DD`, inclusive; not after `to`); default 90 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, inclusive); default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// `day`, `week` (ISO weeks, from Monday) or `month` (default).
    #[param(schema_with = period_schema)]
    pub period: Option<String>,
}

fn period_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(PERIODS)
}

/// One period's platform figures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeriodFigures {
    /// The period's first day within the range.
    #[schema(value_type = String, format = Date)]
    pub start: String,
    /// Its last day within the range.
    #[schema(value_type = String, format = Date)]
    pub end: String,
    pub jobs_published: i64,
    pub job_views: i64,
    pub applications: i64,
    pub interviews: i64,
    pub offers: i64,
    pub hires: i64,
    /// interviews ÷ applications.
    pub interview_rate: Option<f64>,
    pub ai_agreement_rate: Option<f64>,
    pub counterfactual_flag_rate: Option<f64>,
}

/// `GET /api/analytics/reports`: the platform's figures period by period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformReport {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub period: String,
    /// Oldest first; every period of the range, zeros where nothing happened.
    pub periods: Vec<PeriodFigures>,
}

/// The first day of the period holding `d`.
fn period_start(d: time::Date, period: &str) -> time::Date {
    match period {
        "day" => d,
        "week" => d - time::Duration::days(i64::from(d.weekday().number_days_from_monday())),
        _ => d.replace_day(1).unwrap_or(d),
    }
}

pub async fn platform_report(deps: &Deps, q: PlatformReportQuery) -> AppResult<PlatformReport> {
    let period = q.period.as_deref().map(str::trim).unwrap_or("month").to_owned();
    if !PERIODS.contains(&period.as_str()) {
        return Err(AppError::field("period", "must be day, week or month"));
    }
    let (from, to) = date_range(deps, q.from.as_deref(), q.to.as_deref())?;
    if period == "day" && to - from > time::Duration::days(366) {
        return Err(AppError::field("period", "days are reported for at most a year; ask for weeks or months"));
    }
    let days = platform_tallies(deps, from, to).await?;
    // Every period of the range in order, then each day's counters added to its period.
    let mut periods: BTreeMap<time::Date, (time::Date, Tally)> = BTreeMap::new();
    let mut d = from;
    loop {
        periods.entry(period_start(d, &period)).or_insert_with(|| (d, Tally::default())).0 = d;
        match d.next_day() {
            Some(n) if n <= to => d = n,
            _ => break,
        }
    }
    for (day, t) in &days {
        let Ok(day) = time::Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")) else {
            continue;
        };
        if let Some((_, sum)) = periods.get_mut(&period_start(day, &period)) {
            sum.merge(t);
        }
    }
    let periods = periods
        .into_iter()
        .map(|(start, (end, t))| {
            let ai = ai_figures(&t, None);
            PeriodFigures {
                start: start.max(from).to_string(),
                end: end.to_string(),
                jobs_published: t.get("PUBLISHED"),
                job_views: t.get("VIEW"),
                applications: t.get("APPLIED"),
                interviews: t.get("REACHED#interview"),
                offers: t.get("REACHED#offer"),
                hires: t.get("CLOSED#hired"),
                interview_rate: ratio(t.get("REACHED#interview"), t.get("APPLIED")),
                ai_agreement_rate: ai.agreement_rate,
                counterfactual_flag_rate: ai.counterfactual_flag_rate,
            }
        })
        .collect();
    Ok(PlatformReport { from: from.to_string(), to: to.to_string(), period, periods })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_on_the_day_the_monday_and_the_first_of_the_month() {
        let d = time::macros::date!(2026 - 11 - 26); // a Thursday
        assert_eq!(period_start(d, "day"), d);
        assert_eq!(period_start(d, "week"), time::macros::date!(2026 - 11 - 23));
        assert_eq!(period_start(d, "month"), time::macros::date!(2026 - 11 - 01));
        let monday = time::macros::date!(2026 - 11 - 30);
        assert_eq!(period_start(monday, "week"), monday);
    }

    #[test]
    fn kappa_is_one_for_perfect_agreement_zero_for_chance_and_none_when_undefined() {
        assert_eq!(cohens_kappa(&[vec![5, 0, 0], vec![0, 3, 0], vec![0, 0, 2]]), Some(1.0));
        // Rows and columns independent: observed = expected agreement.
        let k = cohens_kappa(&[vec![1, 1, 0], vec![1, 1, 0], vec![0, 0, 0]]).unwrap();
        assert!(k.abs() < 1e-12, "{k}");
        // The textbook example (Cohen 1960 style): 2×2 embedded, po = 0.7, pe = 0.5 → 0.4.
        let k = cohens_kappa(&[vec![20, 5, 0], vec![10, 15, 0], vec![0, 0, 0]]).unwrap();
        assert!((k - 0.4).abs() < 1e-12, "{k}");
        assert_eq!(cohens_kappa(&[vec![0; 3], vec![0; 3], vec![0; 3]]), None);
        assert_eq!(cohens_kappa(&[vec![4, 0, 0], vec![0, 0, 0], vec![0, 0, 0]]), None);
    }

    #[test]
    fn scores_fall_in_buckets_of_ten_and_reasons_group_case_and_space_blind() {
        assert_eq!(score_bucket(0), "0-9");
        assert_eq!(score_bucket(59), "50-59");
        assert_eq!(score_bucket(90), "90-100");
        assert_eq!(score_bucket(100), "90-100");
        assert_eq!(reason_label("  Strong   Portfolio#1 "), "strong portfolio_1");
    }

    #[test]
    fn ai_figures_split_by_model_version_and_sum_overall() {
        let mut t = Tally::default();
        for (k, v) in [
            ("AI#m1#CM#advance#advance", 3),
            ("AI#m1#CM#advance#reject", 1),
            ("AI#m1#OVR#gap in history", 1),
            ("AI#m2#CM#reject#reject", 2),
            ("AI#m2#SCREENED", 4),
            ("AI#m2#FLAGGED", 1),
            ("AI#m2#SCORE#hired#80-89", 1),
        ] {
            t.0.insert(k.into(), v);
        }
        let all = ai_figures(&t, None);
        assert_eq!(all.decisions, 6);
        assert_eq!(all.overrides, 1);
        assert_eq!(all.agreement_rate, Some(5.0 / 6.0));
        assert_eq!(all.overrides_by_reason["gap in history"], 1);
        assert_eq!(all.counterfactual_flag_rate, Some(0.25));
        let m1 = ai_figures(&t, Some("m1"));
        assert_eq!(m1.confusion_matrix.counts[0], vec![3, 0, 1]);
        assert_eq!(m1.screened, 0);
        assert_eq!(model_versions(&t), vec!["m1".to_owned(), "m2".to_owned()]);
        assert_eq!(ai_figures(&t, Some("m2")).score_distribution_by_outcome["hired"]["80-89"], 1);
    }

    #[test]
    fn the_funnel_divides_by_the_previous_step_and_by_applications() {
        let mut t = Tally::default();
        for (k, v) in
            [("VIEW", 10), ("APPLY_STARTED", 5), ("APPLIED", 4), ("REACHED#phone_screen", 2), ("REACHED#hired", 1)]
        {
            t.0.insert(k.into(), v);
        }
        let f = funnel(&t);
        assert_eq!(f[0].step, "job_viewed");
        assert_eq!(f[1].from_previous, Some(0.5));
        assert_eq!(f[2].from_applied, Some(1.0));
        assert_eq!(f[3].from_applied, Some(0.5));
        assert_eq!(f[4].from_previous, Some(0.0));
        assert_eq!(f[7].count, 1);
        assert_eq!(f[7].from_previous, None);
    }
}
