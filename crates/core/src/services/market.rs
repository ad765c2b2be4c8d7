//! Market insight from the platform's own postings and applications (issue 14), kept as
//! counters by the `career-market` consumer of `job.published` and `application.received`
//! (each event's marker is written in the same transaction as its counter ADDs, so a
//! redelivery counts nothing twice). Views read one partition (a month of a dimension, an
//! occupation's salaries) or a few items by key; none scans.
//!
//! Cells: postings by skill, occupation (the job title resolved through O*NET's titles) and
//! location per month (`P`), the distinct employers behind them (`E`) and the applications to
//! those postings (`A`); posted salaries by occupation and location (all time, per currency).
//! A cell built from fewer than [`MIN_POSTINGS`] postings or [`MIN_EMPLOYERS`] employers is
//! never shown, so no single employer's figures can be read off.

use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::{Application, Job};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Item, Query, StoreError, TxWrite};
use crate::record;
use crate::values::{JobId, OrgId, UserId};
use clearview_screening::careers::Occupations;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The consumer's name (its dedupe markers' scope).
pub const CONSUMER: &str = "career-market";
/// Event kinds the consumer counts (the queue's subscription filter).
pub const EVENTS: &[&str] = &["job.published", "application.received"];
/// A cell needs at least this many postings …
pub const MIN_POSTINGS: i64 = 5;
/// … from at least this many employers to be shown.
pub const MIN_EMPLOYERS: i64 = 3;
/// The skills of a posting counted (required first, then preferred).
pub const MAX_SKILLS_COUNTED: usize = 10;
/// The salary cells' location for "every location".
pub const ALL_LOCATIONS: &str = "All locations";

pub const DIMENSIONS: [&str; 3] = ["skill", "occupation", "location"];

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace('#', "_")
}

/// `YYYY-MM` (UTC).
pub fn month_of(at: OffsetDateTime) -> String {
    let d = at.to_offset(time::UtcOffset::UTC).date();
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// A posting's location cell: `Remote` for a remote job without a place, else the place in
/// title case ("berlin,  germany" → "Berlin, Germany").
pub fn location_of(job: &Job) -> Option<String> {
    location_cell(job.location.as_deref(), job.is_remote)
}

fn location_cell(place: Option<&str>, remote: bool) -> Option<String> {
    let place = place.map(clean).filter(|s| !s.is_empty());
    match place {
        Some(p) => Some(
            p.split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().chain(c.flat_map(char::to_lowercase)).collect())
                        .unwrap_or_default()
                })
                .collect::<Vec<String>>()
                .join(" "),
        ),
        None if remote => Some("Remote".to_owned()),
        None => None,
    }
}

/// The O*NET occupation code a job title resolves to.
pub fn occupation_of(job: &Job) -> Option<String> {
    Occupations::global().resolve(&job.title).map(|o| o.code.clone())
}

/// The canonical skills a posting counts for (required first), at most [`MAX_SKILLS_COUNTED`].
pub fn skills_of(job: &Job) -> Vec<String> {
    let tax = clearview_screening::Taxonomy::global();
    let mut out: Vec<String> = Vec::new();
    for s in job.criteria.required_skills.iter().chain(&job.criteria.preferred_skills) {
        let s = clean(tax.canonical_name(s).unwrap_or(s));
        if !s.is_empty() && !out.iter().any(|x| x.eq_ignore_ascii_case(&s)) && out.len() < MAX_SKILLS_COUNTED {
            out.push(s);
        }
    }
    out
}

/// The demand cells (dimension, value) a posting belongs to.
pub fn cells_of(job: &Job) -> Vec<(&'static str, String)> {
    let mut cells: Vec<(&'static str, String)> = skills_of(job).into_iter().map(|s| ("skill", s)).collect();
    cells.extend(occupation_of(job).map(|o| ("occupation", o)));
    cells.extend(location_of(job).map(|l| ("location", l)));
    cells
}

fn marker(key: crate::ports::store::Key, entity: &str, expires_at: Option<i64>) -> Item {
    Item { key, gsi1: None, gsi2: None, entity: entity.into(), version: 1, expires_at, data: serde_json::json!({}) }
}

fn add(label: String, key: crate::ports::store::Key, n: i64) -> TxWrite {
    TxWrite::add(label, key, "MarketStat", None, n)
}

/// Writes of a first (a marker that must not exist, and what it adds), unless already seen.
/// `Ok(false)`: seen before.
async fn first(deps: &Deps, what: String, adds: Vec<TxWrite>, writes: &mut Vec<TxWrite>) -> AppResult<bool> {
    let key = keys::market_seen(&what);
    if deps.store.get(&key).await?.is_some() {
        return Ok(false);
    }
    writes.push(TxWrite::put(format!("first-{what}"), marker(key, "MarketFirst", None), Condition::NotExists));
    writes.extend(adds);
    Ok(true)
}

async fn posting_writes(deps: &Deps, org: &OrgId, job: &Job, at: OffsetDateTime) -> AppResult<Vec<TxWrite>> {
    // The job counts once, however often it is paused and published again.
    let mut writes = Vec::new();
    if !first(deps, format!("job#{}", job.id), Vec::new(), &mut writes).await? {
        return Ok(Vec::new());
    }
    let month = month_of(job.published_at.unwrap_or(at));
    let adds = &mut writes;
    for (dim, value) in cells_of(job) {
        adds.push(add(format!("p-{dim}-{value}"), keys::market_demand(dim, &month, &value, "P"), 1));
        let e = add(format!("e-{dim}-{value}"), keys::market_demand(dim, &month, &value, "E"), 1);
        first(deps, format!("{dim}#{month}#{value}#{org}"), vec![e], adds).await?;
    }
    if let (Some(occ), lo @ Some(_), hi) | (Some(occ), lo, hi @ Some(_)) =
        (occupation_of(job), job.salary_min, job.salary_max)
    {
        let (lo, hi) = (lo.or(hi).unwrap_or(0), hi.or(lo).unwrap_or(0));
        let currency = clean(&job.salary_currency.to_uppercase());
        let mut places = vec![ALL_LOCATIONS.to_owned()];
        places.extend(location_of(job));
        for place in places {
            let k = |m: &str| keys::market_salary(&occ, &place, &currency, m);
            adds.push(add(format!("n-{place}"), k("N"), 1));
            adds.push(add(format!("lo-{place}"), k("LO"), i64::from(lo)));
            adds.push(add(format!("hi-{place}"), k("HI"), i64::from(hi)));
            let e = add(format!("se-{place}"), k("E"), 1);
            first(deps, format!("salary#{occ}#{place}#{currency}#{org}"), vec![e], adds).await?;
        }
    }
    Ok(writes)
}

async fn application_writes(deps: &Deps, org: &OrgId, e: &DomainEvent) -> AppResult<Vec<TxWrite>> {
    let d = &e.data;
    let app = match d["jobId"].as_str().and_then(JobId::parse) {
        Some(j) => Some((j, d["candidateId"].as_str().and_then(UserId::parse))),
        None => record::get::<Application>(deps.store.as_ref(), &keys::application(org, &e.subject_id))
            .await?
            .map(|a| (a.job_id, Some(a.candidate_id))),
    };
    let Some((job_id, candidate)) = app else { return Ok(Vec::new()) };
    let mut writes = Vec::new();
    if let Some(c) = candidate {
        writes.push(TxWrite::add("applied", keys::career_applied(&c), "CareerCounter", None, 1));
    }
    if let Some(job) = record::get::<Job>(deps.store.as_ref(), &keys::job(org, &job_id)).await? {
        let month = month_of(e.occurred_at);
        for (dim, value) in cells_of(&job) {
            writes.push(add(format!("a-{dim}-{value}"), keys::market_demand(dim, &month, &value, "A"), 1));
        }
    }
    Ok(writes)
}

/// Counts one event, once. `Ok(false)`: counted before (a redelivery) or nothing to count.
pub async fn record_event(deps: &Deps, e: &DomainEvent) -> AppResult<bool> {
    let Some(org) = OrgId::parse(&e.org_id) else {
        return Err(AppError::Validation(vec![crate::FieldError::new("orgId", "is not an organisation id")]));
    };
    let done_key = keys::processed(&org, CONSUMER, &e.id);
    if deps.store.get(&done_key).await?.is_some() {
        return Ok(false);
    }
    let counts = match e.kind.as_str() {
        "job.published" => match JobId::parse(&e.subject_id) {
            Some(id) => match record::get::<Job>(deps.store.as_ref(), &keys::job(&org, &id)).await? {
                Some(job) => posting_writes(deps, &org, &job, e.occurred_at).await?,
                None => Vec::new(),
            },
            None => Vec::new(),
        },
        "application.received" => application_writes(deps, &org, e).await?,
        _ => Vec::new(),
    };
    let counted = !counts.is_empty();
    let expires = Some(deps.clock.now().unix_timestamp() + 400 * 24 * 3600);
    let mut writes = vec![TxWrite::put("event", marker(done_key, "MarketDone", expires), Condition::NotExists)];
    writes.extend(counts);
    match deps.store.transact(writes).await {
        Ok(()) => Ok(counted),
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "event") => Ok(false),
        Err(StoreError::TransactionCanceled { failed }) => {
            Err(AppError::Unavailable(format!("another event counted {failed:?} first; count again")))
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------------ views

fn shown(postings: i64, employers: i64) -> bool {
    postings >= MIN_POSTINGS && employers >= MIN_EMPLOYERS
}

/// Reads a whole partition of counters: (sort key, count). A month of one dimension holds a
/// few items per value; the read stops at `MAX_ITEMS`.
async fn counters(deps: &Deps, pk: String) -> AppResult<Vec<(String, i64)>> {
    const MAX_ITEMS: usize = 6000;
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = deps.store.query(&Query::table(pk.clone()).limit(1000).after(after)).await?;
        out.extend(page.items.into_iter().map(|i| (i.key.sk, i.data["count"].as_i64().unwrap_or(0))));
        match page.next {
            Some(n) if out.len() < MAX_ITEMS => after = Some(n),
            _ => return Ok(out),
        }
    }
}

fn parse_month(field: &str, raw: Option<&str>, now: OffsetDateTime) -> AppResult<String> {
    match raw.map(str::trim) {
        None => Ok(month_of(now)),
        Some(m) => {
            let ok = m.len() == 7
                && m.as_bytes()[4] == b'-'
                && m[..4].parse::<u16>().is_ok_and(|y| (2000..=2100).contains(&y))
                && m[5..].parse::<u8>().is_ok_and(|x| (1..=12).contains(&x));
            if ok { Ok(m.to_owned()) } else { Err(AppError::field(field, "must be a month YYYY-MM (2000-2100)")) }
        }
    }
}

fn parse_dimension(raw: Option<&str>) -> AppResult<&'static str> {
    let raw = raw.unwrap_or("");
    DIMENSIONS
        .iter()
        .find(|d| **d == raw)
        .copied()
        .ok_or_else(|| AppError::field("dimension", "must be skill, occupation or location"))
}

fn occupation_title(dim: &str, value: &str) -> Option<String> {
    (dim == "occupation").then(|| Occupations::global().by_code(value).map(|o| o.title.clone())).flatten()
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DemandQuery {
    /// `skill`, `occupation` or `location`.
    #[param(pattern = "^(skill|occupation|location)$")]
    pub dimension: String,
    /// `YYYY-MM` (2000-01 to 2100-12); default: this month.
    #[param(pattern = "^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$")]
    pub month: Option<String>,
}

/// One cell of demand: postings published that month, from how many employers, and the
/// applications those postings received that month.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DemandCell {
    /// A skill, an O*NET-SOC code or a location.
    pub value: String,
    /// The occupation's title (occupation cells).
    pub title: Option<String>,
    pub postings: i64,
    pub employers: i64,
    pub applications: i64,
}

/// `GET /api/market/demand`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Demand {
    pub dimension: String,
    pub month: String,
    /// Most postings first; only cells of at least `minPostings` postings and `minEmployers`
    /// employers.
    pub cells: Vec<DemandCell>,
    /// Cells left out because they are built from too few postings or employers.
    pub suppressed: usize,
    pub min_postings: i64,
    pub min_employers: i64,
}

fn demand_cells(dim: &str, items: Vec<(String, i64)>) -> (Vec<DemandCell>, usize) {
    let mut by: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for (sk, n) in items {
        let Some((value, measure)) = sk.rsplit_once('#') else { continue };
        let c = by.entry(value.to_owned()).or_default();
        match measure {
            "P" => c.0 += n,
            "E" => c.1 += n,
            "A" => c.2 += n,
            _ => {}
        }
    }
    let total = by.len();
    let mut cells: Vec<DemandCell> = by
        .into_iter()
        .filter(|(_, (p, e, _))| shown(*p, *e))
        .map(|(value, (postings, employers, applications))| DemandCell {
            title: occupation_title(dim, &value),
            value,
            postings,
            employers,
            applications,
        })
        .collect();
    cells.sort_by(|a, b| b.postings.cmp(&a.postings).then(a.value.cmp(&b.value)));
    let suppressed = total - cells.len();
    (cells, suppressed)
}

/// This month's postings per skill (lowercased canonical name), only of the cells shown.
pub async fn skill_postings_this_month(deps: &Deps) -> AppResult<BTreeMap<String, i64>> {
    let month = month_of(deps.clock.now());
    let items = counters(deps, keys::market_demand_pk("skill", &month)).await?;
    let (cells, _) = demand_cells("skill", items);
    Ok(cells.into_iter().map(|c| (c.value.to_lowercase(), c.postings)).collect())
}

pub async fn demand(deps: &Deps, q: &DemandQuery) -> AppResult<Demand> {
    let dim = parse_dimension(Some(&q.dimension));
    let month = parse_month("month", q.month.as_deref(), deps.clock.now());
    let (dim, month) = match (dim, month) {
        (Ok(d), Ok(m)) => (d, m),
        (d, m) => {
            let mut errors = Vec::new();
            for e in [d.err(), m.err()].into_iter().flatten() {
                if let AppError::Validation(v) = e {
                    errors.extend(v);
                }
            }
            return Err(AppError::Validation(errors));
        }
    };
    let items = counters(deps, keys::market_demand_pk(dim, &month)).await?;
    let (cells, suppressed) = demand_cells(dim, items);
    Ok(Demand {
        dimension: dim.to_owned(),
        month,
        cells,
        suppressed,
        min_postings: MIN_POSTINGS,
        min_employers: MIN_EMPLOYERS,
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrendsQuery {
    /// `skill`, `occupation` or `location`.
    #[param(pattern = "^(skill|occupation|location)$")]
    pub dimension: String,
    /// The skill, location, or occupation (an O*NET-SOC code or a job title O*NET knows).
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    pub value: String,
    /// How many months back from this one (1–24, default 6).
    #[param(minimum = 1, maximum = 24)]
    pub months: Option<u32>,
}

/// One month of a trend; figures are null when the month's cell is suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub month: String,
    pub suppressed: bool,
    pub postings: Option<i64>,
    pub employers: Option<i64>,
    pub applications: Option<i64>,
    /// Postings against the month before, in percent (both months shown).
    pub postings_change_percent: Option<f64>,
}

/// `GET /api/market/trends`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Trends {
    pub dimension: String,
    pub value: String,
    pub title: Option<String>,
    /// Oldest first, ending with this month.
    pub months: Vec<TrendPoint>,
    pub min_postings: i64,
    pub min_employers: i64,
}

fn month_back(month: &str, back: u32) -> String {
    let y: i32 = month[..4].parse().unwrap_or(2000);
    let m: i32 = month[5..].parse().unwrap_or(1);
    let idx = y * 12 + (m - 1) - back as i32;
    format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
}

pub async fn trends(deps: &Deps, q: &TrendsQuery) -> AppResult<Trends> {
    let mut c = crate::values::Checks::default();
    let dim =
        parse_dimension(Some(&q.dimension)).map_err(|_| c.push("dimension", "must be skill, occupation or location"));
    let months = q.months.unwrap_or(6);
    if !(1..=24).contains(&months) {
        c.push("months", "must be a number from 1 to 24");
    }
    let raw = clean(&q.value);
    if raw.is_empty() || raw.chars().count() > 200 {
        c.push("value", "name a skill, occupation or location (1 to 200 characters)");
    }
    let value = match dim {
        // A well-formed name of no occupation names nothing: 404, like an id of nothing.
        Ok("occupation") if !raw.is_empty() => match Occupations::global().resolve(&raw) {
            Some(o) => o.code.clone(),
            None => return Err(AppError::NotFound("occupation")),
        },
        Ok("skill") => clean(clearview_screening::Taxonomy::global().canonical_name(&raw).unwrap_or(&raw)),
        Ok("location") => location_cell(Some(&raw), false).unwrap_or(raw.clone()),
        _ => raw.clone(),
    };
    c.finish()?;
    let dim = dim.unwrap_or("skill");
    let now = month_of(deps.clock.now());
    let mut points: Vec<TrendPoint> = Vec::new();
    for back in (0..months).rev() {
        let month = month_back(&now, back);
        let get = |m: &'static str| {
            let key = keys::market_demand(dim, &month, &value, m);
            async move { deps.store.get(&key).await.map(|i| i.and_then(|i| i.data["count"].as_i64()).unwrap_or(0)) }
        };
        let (p, e, a) = (get("P").await?, get("E").await?, get("A").await?);
        let ok = shown(p, e);
        let change = match points.last() {
            Some(TrendPoint { postings: Some(before), .. }) if ok && *before > 0 => {
                Some(((p - before) as f64 / *before as f64 * 1000.0).round() / 10.0)
            }
            _ => None,
        };
        points.push(TrendPoint {
            month,
            suppressed: !ok,
            postings: ok.then_some(p),
            employers: ok.then_some(e),
            applications: ok.then_some(a),
            postings_change_percent: change,
        });
    }
    Ok(Trends {
        dimension: dim.to_owned(),
        title: occupation_title(dim, &value),
        value,
        months: points,
        min_postings: MIN_POSTINGS,
        min_employers: MIN_EMPLOYERS,
    })
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SalariesQuery {
    /// An O*NET-SOC code or a job title O*NET knows.
    #[param(min_length = 1, max_length = 200, pattern = "\\S")]
    pub occupation: String,
}

/// Posted salaries of one occupation in one location and currency.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SalaryCell {
    /// A location, or `All locations`.
    pub location: String,
    /// ISO 4217.
    pub currency: String,
    /// Postings with a salary.
    pub postings: i64,
    pub employers: i64,
    /// The mean of the postings' lows (a posting with one figure counts it as both).
    pub average_min: i64,
    /// The mean of the postings' highs.
    pub average_max: i64,
}

/// `GET /api/market/salaries`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Salaries {
    pub occupation: super::careers::OccupationRef,
    /// Most postings first.
    pub cells: Vec<SalaryCell>,
    pub suppressed: usize,
    pub min_postings: i64,
    pub min_employers: i64,
}

pub async fn salaries(deps: &Deps, q: &SalariesQuery) -> AppResult<Salaries> {
    let raw = clean(&q.occupation);
    if raw.is_empty() || raw.chars().count() > 200 {
        return Err(AppError::field("occupation", "name an O*NET-SOC code or a job title (1 to 200 characters)"));
    }
    // A well-formed name of no occupation names nothing: 404, like an id of nothing.
    let occ = Occupations::global().resolve(&raw).ok_or(AppError::NotFound("occupation"))?;
    let items = counters(deps, keys::market_salary_pk(&occ.code)).await?;
    let mut by: BTreeMap<(String, String), BTreeMap<String, i64>> = BTreeMap::new();
    for (sk, n) in items {
        let mut parts = sk.rsplitn(3, '#');
        let (Some(m), Some(cur), Some(place)) = (parts.next(), parts.next(), parts.next()) else { continue };
        *by.entry((place.to_owned(), cur.to_owned())).or_default().entry(m.to_owned()).or_default() += n;
    }
    let total = by.len();
    let mut cells: Vec<SalaryCell> = by
        .into_iter()
        .filter_map(|((location, currency), m)| {
            let n = m.get("N").copied().unwrap_or(0);
            let e = m.get("E").copied().unwrap_or(0);
            shown(n, e).then(|| SalaryCell {
                location,
                currency,
                postings: n,
                employers: e,
                average_min: m.get("LO").copied().unwrap_or(0) / n,
                average_max: m.get("HI").copied().unwrap_or(0) / n,
            })
        })
        .collect();
    cells.sort_by(|a, b| b.postings.cmp(&a.postings).then(a.location.cmp(&b.location)));
    let suppressed = total - cells.len();
    Ok(Salaries {
        occupation: super::careers::OccupationRef {
            code: occ.code.clone(),
            title: occ.title.clone(),
            job_zone: occ.job_zone,
        },
        cells,
        suppressed,
        min_postings: MIN_POSTINGS,
        min_employers: MIN_EMPLOYERS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_a_year_and_locations_read_the_same_however_typed() {
        assert_eq!(month_back("2026-02", 0), "2026-02");
        assert_eq!(month_back("2026-02", 2), "2025-12");
        assert_eq!(month_back("2026-01", 13), "2024-12");
        assert_eq!(location_cell(Some("  berlin,   GERMANY "), false).as_deref(), Some("Berlin, Germany"));
        assert_eq!(location_cell(None, true).as_deref(), Some("Remote"));
        assert_eq!(location_cell(Some(" "), false), None);
        assert!(shown(MIN_POSTINGS, MIN_EMPLOYERS) && !shown(MIN_POSTINGS - 1, 9) && !shown(9, MIN_EMPLOYERS - 1));
    }
}
