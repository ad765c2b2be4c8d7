//! Job postings: create, edit (version-checked), the status state machine, and criteria.

use super::{Actor, Change, Listed, check_version, lost_update, snapshot};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys;
use crate::model::job::{EducationRequirement, EmploymentType, ExperienceLevel, JobTransition};
use crate::model::{Criteria, Job, JobStatus, JobType, JobVersion, Weights};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, Item, PageToken, Query, TxWrite};
use crate::record::{self, Record};
use crate::richtext::{self, DescriptionFormat};
use crate::values::{Checks, JobId, TextRule};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use time::Date;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

const TITLE: TextRule = TextRule::new(3, 200);
/// Department, location, hiring manager.
const SHORT: TextRule = TextRule::new(1, 200);
/// Description, requirements, nice-to-have.
const LONG: TextRule = TextRule::new(1, 20_000);
/// A skill or a field of study.
const SKILL: TextRule = TextRule::new(1, 80);
const MAX_SKILLS: usize = 50;
const MAX_EXPERIENCE_YEARS: f64 = 60.0;

fn title_schema() -> Object {
    TITLE.schema()
}
fn short_schema() -> Object {
    SHORT.opt_schema()
}
fn location_schema() -> Object {
    let mut s = SHORT.opt_schema();
    s.description = Some("Required (not blank) unless isRemote is true".into());
    s
}
fn description_schema() -> Object {
    let mut s = LONG.schema();
    s.description = Some(
        "In descriptionFormat (text, html or markdown). HTML and Markdown are stored sanitised, as HTML: \
         scripts, styles, images, event handlers and javascript: URLs are removed, and some text must remain"
            .into(),
    );
    s
}
fn opt_long_schema() -> Object {
    LONG.opt_schema()
}
fn currency_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some("^[A-Z]{3}$"))
        .description(Some("ISO 4217 code in capitals; absent or null means USD"))
        .build()
}
/// A list of skills (or fields of study): case-insensitive duplicates are merged.
pub fn skills_schema() -> Array {
    ArrayBuilder::new().items(SKILL.schema()).max_items(Some(MAX_SKILLS)).build()
}

/// The editable fields of a job (create and full update).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JobInput {
    #[schema(schema_with = title_schema, example = "Senior Backend Engineer")]
    pub title: String,
    #[schema(schema_with = short_schema)]
    pub department: Option<String>,
    #[schema(schema_with = location_schema)]
    pub location: Option<String>,
    pub job_type: JobType,
    pub employment_type: Option<EmploymentType>,
    /// Must not exceed salaryMax when both are given.
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub salary_min: Option<u32>,
    #[schema(minimum = 0, maximum = 4294967295_u64)]
    pub salary_max: Option<u32>,
    #[schema(schema_with = currency_schema, example = "USD")]
    pub salary_currency: Option<String>,
    #[schema(schema_with = description_schema)]
    pub description: String,
    /// `text` (default), `html` or `markdown`.
    pub description_format: Option<DescriptionFormat>,
    #[schema(schema_with = opt_long_schema)]
    pub requirements: Option<String>,
    #[schema(schema_with = opt_long_schema)]
    pub nice_to_have: Option<String>,
    /// Must not be in the past (today, UTC, is allowed).
    #[schema(value_type = Option<String>, format = Date)]
    pub deadline: Option<Date>,
    #[serde(default)]
    pub is_remote: bool,
    pub experience_level: Option<ExperienceLevel>,
    #[schema(schema_with = short_schema)]
    pub hiring_manager: Option<String>,
    /// Only on create; afterwards use `PUT /api/jobs/{id}/ai-criteria` (an update that sends
    /// criteria is refused).
    pub criteria: Option<CriteriaInput>,
}

/// Screening criteria as sent by a client; omitted parts take the defaults
/// (weights 40/30/15/15).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CriteriaInput {
    /// The four weights must sum to 100.
    pub weights: Option<Weights>,
    #[serde(default)]
    #[schema(schema_with = skills_schema)]
    pub required_skills: Vec<String>,
    #[serde(default)]
    #[schema(schema_with = skills_schema)]
    pub preferred_skills: Vec<String>,
    /// Years.
    #[schema(minimum = 0, maximum = 60)]
    pub minimum_experience: Option<f64>,
    pub education_requirements: Option<EducationRequirement>,
    /// Must be below autoApproveThreshold when both are given.
    #[schema(minimum = 0, maximum = 100)]
    pub auto_reject_threshold: Option<u8>,
    #[schema(minimum = 0, maximum = 100)]
    pub auto_approve_threshold: Option<u8>,
    /// Give explained partial credit for a missing skill when the candidate has a related one
    /// (O*NET adjacency: half its closeness). Default false.
    pub related_skill_credit: Option<bool>,
}

fn skills(c: &mut Checks, field: &str, list: Vec<String>) -> Vec<String> {
    if list.len() > MAX_SKILLS {
        c.push(field, format!("at most {MAX_SKILLS} skills"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, s) in list.into_iter().enumerate() {
        if let Some(s) = c.take(SKILL.parse(&format!("{field}[{i}]"), &s))
            && !out.iter().any(|o| o.eq_ignore_ascii_case(&s))
        {
            out.push(s);
        }
    }
    out
}

pub fn parse_criteria(c: &mut Checks, input: CriteriaInput, prefix: &str) -> Criteria {
    let f = |name: &str| if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") };
    let weights = input.weights.unwrap_or_default();
    if weights.sum() != 100 {
        c.push(f("weights"), format!("must sum to 100 (they sum to {})", weights.sum()));
    }
    let required_skills = skills(c, &f("requiredSkills"), input.required_skills);
    let preferred_skills = skills(c, &f("preferredSkills"), input.preferred_skills);
    // Checked as sent (f64), stored as f32: a value just above the limit must not round into it.
    let years = input.minimum_experience.unwrap_or(0.0);
    if !(0.0..=MAX_EXPERIENCE_YEARS).contains(&years) {
        c.push(f("minimumExperience"), "must be between 0 and 60 years");
    }
    let minimum_experience = years as f32;
    let education_requirements = input.education_requirements.unwrap_or_default();
    let fields = skills(c, &f("educationRequirements.fieldsOfStudy"), education_requirements.fields_of_study);
    for (name, t) in
        [("autoRejectThreshold", input.auto_reject_threshold), ("autoApproveThreshold", input.auto_approve_threshold)]
    {
        if t.is_some_and(|t| t > 100) {
            c.push(f(name), "must be between 0 and 100");
        }
    }
    if let (Some(r), Some(a)) = (input.auto_reject_threshold, input.auto_approve_threshold)
        && r >= a
    {
        c.push(f("autoRejectThreshold"), "must be below autoApproveThreshold");
    }
    Criteria {
        weights,
        required_skills,
        preferred_skills,
        minimum_experience,
        education_requirements: EducationRequirement {
            minimum_level: education_requirements.minimum_level,
            fields_of_study: fields,
        },
        auto_reject_threshold: input.auto_reject_threshold,
        auto_approve_threshold: input.auto_approve_threshold,
        related_skill_credit: input.related_skill_credit.unwrap_or(false),
    }
}

/// The validated editable fields, applied onto `job`.
fn apply_input(c: &mut Checks, job: &mut Job, input: JobInput, today: Date) {
    if let Some(t) = c.take(TITLE.parse("title", &input.title)) {
        job.title = t;
    }
    job.department = c.take(SHORT.parse_opt("department", input.department.as_deref())).flatten();
    job.location = c.take(SHORT.parse_opt("location", input.location.as_deref())).flatten();
    job.job_type = input.job_type;
    job.employment_type = input.employment_type;
    if let (Some(min), Some(max)) = (input.salary_min, input.salary_max)
        && min > max
    {
        c.push("salaryMin", "must not exceed salaryMax");
    }
    job.salary_min = input.salary_min;
    job.salary_max = input.salary_max;
    let currency = input.salary_currency.unwrap_or_else(|| "USD".into());
    if currency.len() != 3 || !currency.chars().all(|ch| ch.is_ascii_uppercase()) {
        c.push("salaryCurrency", "must be an ISO 4217 code such as USD");
    }
    job.salary_currency = currency;
    if let Some(d) = c.take(LONG.parse("description", &input.description)) {
        let stored = richtext::store(input.description_format.unwrap_or_default(), &d);
        if stored.text.as_deref().is_some_and(|t| t.trim().is_empty()) {
            c.push("description", "has no text once sanitised (scripts, styles and images are removed)");
        }
        job.description = stored.description;
        job.description_format = stored.format;
        job.description_text = stored.text;
    }
    job.requirements = c.take(LONG.parse_opt("requirements", input.requirements.as_deref())).flatten();
    job.nice_to_have = c.take(LONG.parse_opt("niceToHave", input.nice_to_have.as_deref())).flatten();
    if input.deadline.is_some_and(|d| d < today) {
        c.push("deadline", "must not be in the past");
    }
    job.deadline = input.deadline;
    job.is_remote = input.is_remote;
    job.experience_level = input.experience_level;
    job.hiring_manager = c.take(SHORT.parse_opt("hiringManager", input.hiring_manager.as_deref())).flatten();
    if !job.is_remote && job.location.is_none() {
        c.push("location", "is required unless the job is remote");
    }
}

/// A new draft from `input`, validated with every rule of `POST /api/jobs`; all refused fields
/// at once.
pub(crate) fn draft(deps: &Deps, actor: &Actor, mut input: JobInput) -> Result<Job, Vec<FieldError>> {
    let mut c = Checks::default();
    let criteria = input.criteria.take().map(|ci| parse_criteria(&mut c, ci, "criteria")).unwrap_or_default();
    let mut job = blank(deps, actor);
    job.criteria = criteria;
    let today = job.created_at.date();
    apply_input(&mut c, &mut job, input, today);
    if c.0.is_empty() { Ok(job) } else { Err(c.0) }
}

/// A new, empty draft of the actor's organisation (its content is filled in by the caller).
pub(crate) fn blank(deps: &Deps, actor: &Actor) -> Job {
    let now = deps.clock.now();
    Job {
        id: JobId::new(deps.ids.new_id()),
        org_id: actor.org().clone(),
        title: String::new(),
        department: None,
        location: None,
        job_type: JobType::FullTime,
        employment_type: None,
        salary_min: None,
        salary_max: None,
        salary_currency: String::new(),
        description: String::new(),
        description_format: DescriptionFormat::Text,
        description_text: None,
        requirements: None,
        nice_to_have: None,
        deadline: None,
        status: JobStatus::Draft,
        is_remote: false,
        experience_level: None,
        hiring_manager: None,
        criteria: Criteria::default(),
        created_by: actor.user.id.clone(),
        created_at: now,
        updated_at: now,
        published_at: None,
        version: 1,
    }
}

/// The writes that create `job` (with its locator and identity marker) and audit it as `action`.
pub(crate) fn creation_writes(deps: &Deps, actor: &Actor, job: &Job, action: &str) -> AppResult<Vec<TxWrite>> {
    let audit = actor.audit(
        deps,
        Change { action, target_type: "job", target_id: job.id.as_str(), before: None, after: Some(snapshot(job)?) },
    )?;
    Ok(vec![
        job.tx_put("job", Condition::NotExists)?,
        TxWrite::put("job-locator", locator(job), Condition::NotExists),
        identity_marker(job),
        audit,
    ])
}

/// Candidates apply with a job id alone: the locator says which tenant holds it.
pub(crate) fn locator(job: &Job) -> Item {
    Item {
        key: keys::job_locator(&job.id),
        gsi1: None,
        gsi2: None,
        entity: "JobLocator".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"orgId": job.org_id}),
    }
}

/// A short hash of [`Job::identity`] (what keys the duplicate rule).
pub fn identity_hash(job: &Job) -> String {
    Sha256::digest(job.identity().as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The put of the marker that files `job` under its identity.
pub(crate) fn identity_marker(job: &Job) -> TxWrite {
    let item = Item {
        key: keys::job_identity(&job.org_id, &identity_hash(job), &job.id),
        gsi1: None,
        gsi2: None,
        entity: "JobIdentity".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"jobId": job.id}),
    };
    TxWrite::put("job-identity", item, Condition::None)
}

/// Files the job under its identity after a change (a put every time, so a job written before
/// markers existed gets one), and takes the old marker away when the identity changed.
fn identity_moves(before: &Job, after: Option<&Job>) -> Vec<TxWrite> {
    let old = identity_hash(before);
    let remove_old =
        || TxWrite::delete("job-identity-old", keys::job_identity(&before.org_id, &old, &before.id), Condition::None);
    match after {
        Some(a) if identity_hash(a) == old => vec![identity_marker(a)],
        Some(a) => vec![remove_old(), identity_marker(a)],
        None => vec![remove_old()],
    }
}

pub async fn create(deps: &Deps, actor: &Actor, input: JobInput) -> AppResult<Job> {
    let job = draft(deps, actor, input).map_err(AppError::Validation)?;
    deps.store.transact(creation_writes(deps, actor, &job, "job.create")?).await?;
    Ok(job)
}

/// `POST /api/employers/{id}/job-postings`: the same, with the employer named in the path.
pub async fn create_for_employer(deps: &Deps, actor: &Actor, org_in_path: &str, input: JobInput) -> AppResult<Job> {
    actor.own_org(org_in_path)?;
    create(deps, actor, input).await
}

pub async fn get(deps: &Deps, actor: &Actor, id: &JobId) -> AppResult<Job> {
    record::get(deps.store.as_ref(), &keys::job(actor.org(), id)).await?.ok_or(AppError::NotFound("job"))
}

pub async fn list(
    deps: &Deps,
    actor: &Actor,
    status: Option<JobStatus>,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Job>> {
    let q = match status {
        Some(s) => Query::index(Index::Gsi1, keys::job_by_status_pk(actor.org(), s.as_str())),
        None => Query::table(keys::org_pk(actor.org())).prefix(keys::JOB_PREFIX),
    };
    let q = q.limit(limit).after(after).descending();
    let (items, page) = record::query::<Job>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// The previous version, kept as its own item when a change replaces it.
pub(crate) fn previous_version(deps: &Deps, actor: &Actor, action: &str, before: &Job) -> AppResult<TxWrite> {
    let v = JobVersion {
        version: before.version,
        job: before.clone(),
        replaced_at: deps.clock.now(),
        replaced_by: actor.user.id.to_string(),
        change: action.to_owned(),
    };
    Ok(v.tx_put("job-version", Condition::NotExists)?)
}

/// Writes `after` over `before` (only if `before` is still the stored version), keeps `before`
/// as a version of its own and audits the change, all in one transaction; a lost race is 409.
pub(crate) async fn save_as(
    deps: &Deps,
    actor: &Actor,
    action: &str,
    before: &Job,
    after: &Job,
    audit_after: serde_json::Value,
) -> AppResult<()> {
    let audit = actor.audit(
        deps,
        Change {
            action,
            target_type: "job",
            target_id: after.id.as_str(),
            before: Some(snapshot(before)?),
            after: Some(audit_after),
        },
    )?;
    let mut writes = vec![
        after.tx_put("version", Condition::VersionIs(before.version))?,
        previous_version(deps, actor, action, before)?,
        audit,
    ];
    writes.extend(identity_moves(before, Some(after)));
    deps.store.transact(writes).await.map_err(lost_update(before.version))
}

async fn save(deps: &Deps, actor: &Actor, action: &str, before: &Job, after: &Job) -> AppResult<()> {
    save_as(deps, actor, action, before, after, snapshot(after)?).await
}

pub async fn update(deps: &Deps, actor: &Actor, id: &JobId, if_match: Option<u64>, input: JobInput) -> AppResult<Job> {
    let before = get(deps, actor, id).await?;
    check_version(if_match, before.version, true)?;
    if !before.status.is_open() {
        return Err(AppError::conflict(
            "job-not-editable",
            format!("a {} job cannot be edited", before.status.as_str()),
        ));
    }
    let mut c = Checks::default();
    if input.criteria.is_some() {
        c.push("criteria", "change criteria with PUT /api/jobs/{id}/ai-criteria");
    }
    let now = deps.clock.now();
    let mut after = before.clone();
    apply_input(&mut c, &mut after, input, now.date());
    c.finish()?;
    after.version += 1;
    after.updated_at = now;
    save(deps, actor, "job.update", &before, &after).await?;
    Ok(after)
}

pub async fn set_criteria(
    deps: &Deps,
    actor: &Actor,
    id: &JobId,
    if_match: Option<u64>,
    input: CriteriaInput,
) -> AppResult<Job> {
    let mut c = Checks::default();
    let criteria = parse_criteria(&mut c, input, "");
    c.finish()?;
    let before = get(deps, actor, id).await?;
    check_version(if_match, before.version, true)?;
    if !before.status.is_open() {
        return Err(AppError::conflict(
            "job-not-editable",
            format!("a {} job cannot be edited", before.status.as_str()),
        ));
    }
    let mut after = before.clone();
    after.criteria = criteria;
    after.version += 1;
    after.updated_at = deps.clock.now();
    save(deps, actor, "job.criteria", &before, &after).await?;
    Ok(after)
}

pub async fn transition(
    deps: &Deps,
    actor: &Actor,
    id: &JobId,
    if_match: Option<u64>,
    t: JobTransition,
) -> AppResult<Job> {
    let before = get(deps, actor, id).await?;
    check_version(if_match, before.version, false)?;
    let Some(status) = before.status.apply(t) else {
        return Err(AppError::conflict(
            "invalid-transition",
            format!("a {} job cannot be {}", before.status.as_str(), transition_word(t)),
        ));
    };
    let now = deps.clock.now();
    if t == JobTransition::Publish && before.deadline.is_some_and(|d| d < now.date()) {
        return Err(AppError::field("deadline", "is in the past: move it before publishing"));
    }
    let mut after = before.clone();
    after.status = status;
    if status == JobStatus::Active && after.published_at.is_none() {
        after.published_at = Some(now);
    }
    after.version += 1;
    after.updated_at = now;
    save(deps, actor, &format!("job.{}", transition_word(t)), &before, &after).await?;
    match t {
        JobTransition::Publish => announce_published(deps, &after).await,
        JobTransition::Pause => announce(deps, &after, "job.paused").await,
        JobTransition::Close | JobTransition::Cancel if before.published_at.is_some() => {
            announce(deps, &after, "job.closed").await
        }
        _ => {}
    }
    Ok(after)
}

/// `job.published`, for the job-alert matcher. Its id names the job's version, so a redelivery
/// is recognised. The job is already published when this runs: if the topic does not answer,
/// the alerts for this publication are lost (logged), not the publication.
async fn announce_published(deps: &Deps, job: &Job) {
    let event = DomainEvent {
        id: format!("job.published:{}:{}", job.id, job.version),
        kind: "job.published".into(),
        org_id: job.org_id.to_string(),
        subject_id: job.id.to_string(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({"jobId": job.id, "title": job.title, "version": job.version}),
        correlation_id: None,
    };
    if let Err(e) = deps.events.publish(&event).await {
        tracing::error!(job = %job.id, error = %e, "job.published could not be announced; no alerts for it");
    }
}

/// `job.paused` or `job.closed` (closed or cancelled after it was published): the job boards
/// take it off or mark it paused at once (`integrations::on_job_status`), not at the next sync.
/// Its id names the job's version. Like `job.published`, a topic that does not answer loses the
/// announcement (logged), not the change; the next sync corrects the boards.
async fn announce(deps: &Deps, job: &Job, kind: &str) {
    let event = DomainEvent {
        id: format!("{kind}:{}:{}", job.id, job.version),
        kind: kind.into(),
        org_id: job.org_id.to_string(),
        subject_id: job.id.to_string(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({"jobId": job.id, "title": job.title, "version": job.version, "status": job.status.as_str()}),
        correlation_id: None,
    };
    if let Err(e) = deps.events.publish(&event).await {
        tracing::error!(job = %job.id, error = %e, kind, "a job status change could not be announced; the next sync corrects the boards");
    }
}

fn transition_word(t: JobTransition) -> &'static str {
    match t {
        JobTransition::Publish => "publish",
        JobTransition::Pause => "pause",
        JobTransition::Close => "close",
        JobTransition::Cancel => "cancel",
    }
}

/// A draft is deleted outright; a job that was ever published is cancelled instead, so the
/// applications and audit trail that refer to it stay meaningful.
pub async fn delete(deps: &Deps, actor: &Actor, id: &JobId, if_match: Option<u64>) -> AppResult<()> {
    let before = get(deps, actor, id).await?;
    check_version(if_match, before.version, false)?;
    if before.status != JobStatus::Draft {
        if before.status == JobStatus::Cancelled {
            return Ok(());
        }
        transition(deps, actor, id, Some(before.version), JobTransition::Cancel).await?;
        return Ok(());
    }
    let audit = actor.audit(
        deps,
        Change {
            action: "job.delete",
            target_type: "job",
            target_id: id.as_str(),
            before: Some(snapshot(&before)?),
            after: None,
        },
    )?;
    // The deleted draft's last version stays, so the deletion can be undone (restore).
    let mut writes = vec![
        TxWrite::delete("version", before.key(), Condition::VersionIs(before.version)),
        previous_version(deps, actor, "job.delete", &before)?,
        audit,
    ];
    writes.extend(identity_moves(&before, None));
    deps.store.transact(writes).await.map_err(lost_update(before.version))
}

/// An active job by id alone (the public board's job page and JSON-LD): drafts, paused and
/// closed jobs answer 404, as do ids of no job.
pub async fn public_job(deps: &Deps, id: &JobId) -> AppResult<Job> {
    let locator = deps.store.get(&keys::job_locator(id)).await?.ok_or(AppError::NotFound("job"))?;
    let org = locator.data["orgId"].as_str().map(crate::values::OrgId::trusted).ok_or(AppError::NotFound("job"))?;
    let job: Job = record::get(deps.store.as_ref(), &keys::job(&org, id)).await?.ok_or(AppError::NotFound("job"))?;
    if job.status != JobStatus::Active || job.published_at.is_none() {
        return Err(AppError::NotFound("job"));
    }
    Ok(job)
}
