//! Bulk job import from CSV (`POST /api/jobs/import`): each row is validated with the rules of
//! `POST /api/jobs` and answered on its own — created (the new draft), refused (each field and
//! why) or a duplicate of an open job with the same title, location and department
//! (case-insensitive). Each row's job, its audit record and its identity marker are one
//! transaction, so nothing is half-created; a second run of the same file creates nothing twice,
//! because every row it created is now a duplicate.

use super::Actor;
use super::jobs::{self, CriteriaInput, JobInput};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys;
use crate::model::Job;
use crate::ports::Deps;
use crate::ports::store::{Condition, Item, Query, StoreError};
use crate::record;
use crate::richtext::DescriptionFormat;
use crate::values::JobId;
use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 500;
/// Largest file, in bytes.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Identities imported at once (rows of one identity go one after another).
const CONCURRENCY: usize = 8;
/// Skill lists are separated by these in a cell.
const SKILL_SEPARATORS: [char; 2] = [';', '|'];

/// The columns a file may have (header names are matched ignoring case, spaces, `_` and `-`),
/// named as the fields of `POST /api/jobs`.
pub const COLUMNS: &[&str] = &[
    "title",
    "jobType",
    "description",
    "descriptionFormat",
    "department",
    "location",
    "isRemote",
    "employmentType",
    "experienceLevel",
    "salaryMin",
    "salaryMax",
    "salaryCurrency",
    "requirements",
    "niceToHave",
    "deadline",
    "hiringManager",
    "requiredSkills",
    "preferredSkills",
    "minimumExperience",
];
/// Columns every file must have.
pub const REQUIRED_COLUMNS: &[&str] = &["title", "jobType", "description"];

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RowOutcome {
    Created,
    Refused,
    Duplicate,
}

/// A refused field of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The field (column) at fault, named as in `POST /api/jobs`; empty for the row itself.
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportRow {
    /// 1 for the first row after the header.
    pub row: usize,
    /// The line of the file where the row starts.
    pub line: u64,
    pub outcome: RowOutcome,
    /// The job created, or the open job this row duplicates.
    pub job_id: Option<String>,
    /// Why the row was refused (empty otherwise).
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    pub created: usize,
    pub refused: usize,
    pub duplicates: usize,
    /// One entry per row, in file order.
    pub results: Vec<ImportRow>,
}

fn file_error(field: impl Into<String>, reason: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, reason)])
}

/// Header name → column, ignoring case, spaces, `_` and `-`.
fn column(name: &str) -> Option<&'static str> {
    let squash = |s: &str| s.chars().filter(|c| !matches!(c, ' ' | '_' | '-')).collect::<String>().to_lowercase();
    let n = squash(name.trim_start_matches('\u{feff}'));
    if n == "remote" {
        return Some("isRemote");
    }
    COLUMNS.iter().copied().find(|c| squash(c) == n)
}

/// A row as read: its place in the file and its cells by column.
struct RawRow {
    row: usize,
    line: u64,
    cells: Result<BTreeMap<&'static str, String>, RowError>,
}

fn read(body: &[u8]) -> AppResult<Vec<RawRow>> {
    if body.len() > MAX_BYTES {
        return Err(AppError::PayloadTooLarge { limit: MAX_BYTES });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::Malformed(vec![FieldError::new("", "a CSV body with a header row is required")]));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(body);
    let header = reader
        .byte_headers()
        .map_err(|e| AppError::Malformed(vec![FieldError::new("", format!("the header row cannot be read: {e}"))]))?
        .clone();
    let mut columns = Vec::with_capacity(header.len());
    for (i, name) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(name);
        let Some(c) = column(&name) else {
            let shown: String = name.chars().take(60).collect();
            return Err(file_error(
                format!("header[{i}]"),
                format!("unknown column {shown:?}: the columns are {}", COLUMNS.join(", ")),
            ));
        };
        if columns.contains(&c) {
            return Err(file_error(format!("header[{i}]"), format!("column {c} appears twice")));
        }
        columns.push(c);
    }
    for required in REQUIRED_COLUMNS {
        if !columns.contains(required) {
            return Err(file_error("header", format!("the {required} column is required")));
        }
    }
    let mut rows = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let record =
            record.map_err(|e| AppError::Malformed(vec![FieldError::new("", format!("row {}: {e}", i + 1))]))?;
        if i >= MAX_ROWS {
            return Err(file_error("", format!("a file may hold at most {MAX_ROWS} rows: split it")));
        }
        let line = record.position().map_or(0, |p| p.line());
        let cells = if record.len() != columns.len() {
            Err(RowError {
                field: String::new(),
                reason: format!("has {} fields; the header has {}", record.len(), columns.len()),
            })
        } else {
            columns
                .iter()
                .zip(record.iter())
                .map(|(c, v)| match std::str::from_utf8(v) {
                    Ok(v) => Ok((*c, v.to_owned())),
                    Err(_) => Err(RowError { field: (*c).to_owned(), reason: "is not UTF-8 text".into() }),
                })
                .collect()
        };
        rows.push(RawRow { row: i + 1, line, cells });
    }
    Ok(rows)
}

/// A row's cells as the body of `POST /api/jobs`; cell-level refusals on the way.
fn input(cells: &BTreeMap<&'static str, String>, errors: &mut Vec<FieldError>) -> JobInput {
    let text = |c: &str| cells.get(c).filter(|v| !v.trim().is_empty()).cloned();
    fn choice<T: DeserializeOwned>(
        cells: &BTreeMap<&'static str, String>,
        c: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<T> {
        let v = cells.get(c).map(|v| v.trim()).filter(|v| !v.is_empty())?;
        match serde_json::from_value(serde_json::Value::String(v.to_owned())) {
            Ok(t) => Some(t),
            Err(e) => {
                let reason = e.to_string();
                errors.push(FieldError::new(c, reason.replace("unknown variant", "unknown value")));
                None
            }
        }
    }
    let number = |c: &str, errors: &mut Vec<FieldError>| -> Option<u32> {
        let v = text(c)?;
        let parsed = v.trim().parse::<u32>().ok();
        if parsed.is_none() {
            errors.push(FieldError::new(c, "must be a whole number from 0 to 4294967295"));
        }
        parsed
    };
    let salary_min = number("salaryMin", errors);
    let salary_max = number("salaryMax", errors);
    let is_remote = match text("isRemote").map(|v| v.trim().to_ascii_lowercase()) {
        None => false,
        Some(v) if matches!(v.as_str(), "true" | "yes" | "y" | "1") => true,
        Some(v) if matches!(v.as_str(), "false" | "no" | "n" | "0") => false,
        Some(_) => {
            errors.push(FieldError::new("isRemote", "must be true or false (or yes/no, 1/0)"));
            false
        }
    };
    let deadline = text("deadline").and_then(|v| {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let d = time::Date::parse(v.trim(), format).ok();
        if d.is_none() {
            errors.push(FieldError::new("deadline", "must be a date such as 2030-01-31"));
        }
        d
    });
    let skills = |c: &str| -> Vec<String> {
        text(c)
            .map(|v| v.split(SKILL_SEPARATORS).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let minimum_experience = text("minimumExperience").and_then(|v| {
        let years = v.trim().parse::<f64>().ok().filter(|y| y.is_finite());
        if years.is_none() {
            errors.push(FieldError::new("criteria.minimumExperience", "must be a number of years"));
        }
        years
    });
    let (required_skills, preferred_skills) = (skills("requiredSkills"), skills("preferredSkills"));
    let criteria = (!required_skills.is_empty() || !preferred_skills.is_empty() || minimum_experience.is_some())
        .then_some(CriteriaInput {
            weights: None,
            required_skills,
            preferred_skills,
            minimum_experience,
            education_requirements: None,
            auto_reject_threshold: None,
            auto_approve_threshold: None,
            related_skill_credit: None,
        });
    let job_type = choice(cells, "jobType", errors);
    if job_type.is_none() && !errors.iter().any(|e| e.field == "jobType") {
        errors.push(FieldError::new("jobType", "is required"));
    }
    JobInput {
        title: cells.get("title").cloned().unwrap_or_default(),
        department: text("department"),
        location: text("location"),
        job_type: job_type.unwrap_or(crate::model::JobType::FullTime),
        employment_type: choice(cells, "employmentType", errors),
        salary_min,
        salary_max,
        salary_currency: text("salaryCurrency").map(|c| c.trim().to_owned()),
        description: cells.get("description").cloned().unwrap_or_default(),
        description_format: choice::<DescriptionFormat>(cells, "descriptionFormat", errors),
        requirements: text("requirements"),
        nice_to_have: text("niceToHave"),
        deadline,
        is_remote,
        experience_level: choice(cells, "experienceLevel", errors),
        hiring_manager: text("hiringManager"),
        criteria,
    }
}

/// A validated row: the draft it would create, or why it cannot.
fn validate(deps: &Deps, actor: &Actor, raw: &RawRow) -> Result<Job, Vec<RowError>> {
    let cells = raw.cells.as_ref().map_err(|e| vec![e.clone()])?;
    let mut errors = Vec::new();
    let input = input(cells, &mut errors);
    let to_rows = |errors: Vec<FieldError>| -> Vec<RowError> {
        errors.into_iter().map(|e| RowError { field: e.field, reason: e.reason }).collect()
    };
    match jobs::draft(deps, actor, input) {
        Ok(job) if errors.is_empty() => Ok(job),
        Ok(_) => Err(to_rows(errors)),
        Err(rules) => {
            // A cell that could not be read is reported once, not again by the rule it then broke.
            for e in rules {
                if !errors.iter().any(|c| c.field == e.field) {
                    errors.push(e);
                }
            }
            Err(to_rows(errors))
        }
    }
}

/// The open job `job` would duplicate, if any.
async fn open_duplicate(deps: &Deps, job: &Job, hash: &str) -> AppResult<Option<JobId>> {
    let q = Query::table(keys::org_pk(&job.org_id)).prefix(keys::job_identity_prefix(hash)).limit(100);
    let page = deps.store.query(&q).await?;
    for marker in page.items {
        let Some(id) = marker.data["jobId"].as_str().and_then(JobId::parse) else { continue };
        if id == job.id {
            continue;
        }
        let existing: Option<Job> = record::get(deps.store.as_ref(), &keys::job(&job.org_id, &id)).await?;
        if let Some(existing) = existing
            && existing.status.is_open()
            && existing.identity() == job.identity()
        {
            return Ok(Some(existing.id));
        }
    }
    Ok(None)
}

/// Creates the row's job unless an open job has its identity; returns the outcome and the job.
async fn import_one(deps: &Deps, actor: &Actor, job: &Job) -> AppResult<(RowOutcome, JobId)> {
    let hash = jobs::identity_hash(job);
    let claim_key = keys::job_import_claim(&job.org_id, &hash);
    for _ in 0..3 {
        let claim = deps.store.get(&claim_key).await?;
        if let Some(existing) = open_duplicate(deps, job, &hash).await? {
            return Ok((RowOutcome::Duplicate, existing));
        }
        let (version, condition) = match &claim {
            Some(c) => (c.version + 1, Condition::VersionIs(c.version)),
            None => (1, Condition::NotExists),
        };
        let claim = Item {
            key: claim_key.clone(),
            gsi1: None,
            gsi2: None,
            entity: "JobImportClaim".into(),
            version,
            expires_at: None,
            data: serde_json::json!({"jobId": job.id}),
        };
        let mut writes = jobs::creation_writes(deps, actor, job, "job.import")?;
        writes.push(crate::ports::store::TxWrite::put("import-claim", claim, condition));
        match deps.store.transact(writes).await {
            Ok(()) => return Ok((RowOutcome::Created, job.id.clone())),
            // Another import of the same identity won the race: look again (now a duplicate).
            Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "import-claim") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "other imports of the same jobs are running: run this one again"))
}

/// Imports a CSV file.
pub async fn import(deps: &Deps, actor: &Actor, body: &[u8]) -> AppResult<ImportReport> {
    let rows = read(body)?;
    let mut results: Vec<ImportRow> = Vec::with_capacity(rows.len());
    // Rows that may be created, grouped by identity (in file order within a group), so the
    // first of several identical rows is the one created.
    let mut groups: BTreeMap<String, Vec<(usize, Job)>> = BTreeMap::new();
    for raw in &rows {
        let at = results.len();
        results.push(ImportRow {
            row: raw.row,
            line: raw.line,
            outcome: RowOutcome::Refused,
            job_id: None,
            errors: Vec::new(),
        });
        match validate(deps, actor, raw) {
            Ok(job) => groups.entry(jobs::identity_hash(&job)).or_default().push((at, job)),
            Err(errors) => results[at].errors = errors,
        }
    }
    let outcomes: Vec<AppResult<Vec<(usize, RowOutcome, JobId)>>> = futures::stream::iter(groups.into_values())
        .map(|group| async move {
            let mut done = Vec::with_capacity(group.len());
            for (at, job) in group {
                let (outcome, id) = import_one(deps, actor, &job).await?;
                done.push((at, outcome, id));
            }
            Ok(done)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for group in outcomes {
        for (at, outcome, id) in group? {
            results[at].outcome = outcome;
            results[at].job_id = Some(id.to_string());
        }
    }
    let count = |o: RowOutcome| results.iter().filter(|r| r.outcome == o).count();
    Ok(ImportReport {
        rows: results.len(),
        created: count(RowOutcome::Created),
        refused: count(RowOutcome::Refused),
        duplicates: count(RowOutcome::Duplicate),
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_ignore_case_spaces_underscores_and_dashes() {
        assert_eq!(column("Job Type"), Some("jobType"));
        assert_eq!(column("salary_min"), Some("salaryMin"));
        assert_eq!(column("\u{feff}TITLE"), Some("title"));
        assert_eq!(column("nice-to-have"), Some("niceToHave"));
        assert_eq!(column("remote"), Some("isRemote"));
        assert_eq!(column("salary"), None);
    }

    #[test]
    fn a_file_is_refused_whole_for_its_header_or_its_size() {
        let e = read(b"title,jobType\nx,full-time\n").err().unwrap();
        assert!(matches!(e, AppError::Validation(ref f) if f[0].reason.contains("description")), "{e:?}");
        let e = read(b"title,jobType,description,title\n").err().unwrap();
        assert!(matches!(e, AppError::Validation(ref f) if f[0].field == "header[3]"), "{e:?}");
        assert!(matches!(read(b"  \n"), Err(AppError::Malformed(_))));
        let rows = read(b"title,jobType,description\n\"a, b\",full-time,\"x\"\"y\"\nshort\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].cells.as_ref().unwrap()["title"], "a, b");
        assert_eq!(rows[0].cells.as_ref().unwrap()["description"], "x\"y");
        assert_eq!(rows[1].line, 3);
        assert!(rows[1].cells.is_err());
    }

    #[test]
    fn the_report_uses_camel_case_keys() {
        let report = ImportReport {
            rows: 1,
            created: 0,
            refused: 1,
            duplicates: 0,
            results: vec![ImportRow {
                row: 1,
                line: 2,
                outcome: RowOutcome::Refused,
                job_id: None,
                errors: vec![RowError { field: "title".into(), reason: "is required".into() }],
            }],
        };
        let v = serde_json::to_value(report).unwrap();
        assert_eq!(v["results"][0]["outcome"], "refused");
        assert!(v["results"][0].get("jobId").is_some());
    }
}
