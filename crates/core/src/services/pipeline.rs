//! The hiring pipeline: an organisation's configurable stages, and every move of an application
//! through them. A move is one transaction: the application, its history entry, the audit
//! record, the kanban counters and the day's statistics. So the overview and the analytics read
//! counters and never count applications.

use super::{Actor, Change, Who, audit_write, check_version, lost_update, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::pipeline::{AutoAdvance, HistoryEntry, HistoryKind, Outcome, Pipeline, PipelineStage, StageType};
use crate::model::{Application, ApplicationStatus};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Query, TxWrite};
use crate::record::{self, Record};
use crate::values::{Checks, JobId, OrgId, TextRule, opt_choice_schema};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;
use utoipa::openapi::schema::Object;

pub const MAX_STAGES: usize = 20;
const STAGE_NAME: TextRule = TextRule::new(1, 60);
const STAGE_DESCRIPTION: TextRule = TextRule::new(1, 500);
pub const NOTE: TextRule = TextRule::new(1, 2000);
/// A stage id: what `PUT /api/pipeline/stages` accepts and keeps.
pub const STAGE_ID_PATTERN: &str = "^[a-z][a-z0-9_]{0,39}$";
/// Rejection reason codes: what drop-off analytics group by. Free text goes in the note, which
/// the candidate never sees.
pub const REJECTION_REASONS: [&str; 9] = [
    "not_qualified",
    "skills_mismatch",
    "experience_mismatch",
    "failed_assessment",
    "position_filled",
    "salary_mismatch",
    "location_mismatch",
    "candidate_unresponsive",
    "other",
];
/// Upper bounds (hours) of the time-in-stage buckets the statistics keep; past the last is
/// "longer". Medians and p90s are reported as the bucket they fall in.
pub const DURATION_BUCKETS_HOURS: [i64; 14] = [1, 4, 12, 24, 48, 72, 120, 168, 240, 336, 504, 720, 1440, 2160];

pub fn stage_id_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(STAGE_ID_PATTERN))
        .min_length(Some(1))
        .max_length(Some(40))
        .build()
}
fn opt_stage_id_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            utoipa::openapi::schema::Type::String,
            utoipa::openapi::schema::Type::Null,
        ]))
        .pattern(Some(STAGE_ID_PATTERN))
        .min_length(Some(1))
        .max_length(Some(40))
        .build()
}
fn stage_name_schema() -> Object {
    STAGE_NAME.schema()
}
fn stage_description_schema() -> Object {
    STAGE_DESCRIPTION.opt_schema()
}
pub fn note_schema() -> Object {
    NOTE.opt_schema()
}
fn open_status_schema() -> Object {
    opt_choice_schema(ApplicationStatus::ALL.iter().filter(|s| !s.is_final()).map(|s| s.as_str()))
}

pub fn stage_id_ok(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && s.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One stage as an admin sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StageInput {
    /// Keep a stage's id to keep its applications and statistics; a new stage may leave it out
    /// (it is made from the name).
    #[schema(schema_with = opt_stage_id_schema)]
    pub id: Option<String>,
    #[schema(schema_with = stage_name_schema)]
    pub name: String,
    #[schema(schema_with = stage_description_schema)]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: StageType,
    /// The status of applications in this stage (default: `new` for the first stage,
    /// `offer` for an offer stage, otherwise `reviewing`).
    #[schema(schema_with = open_status_schema)]
    pub status: Option<String>,
    /// Default true.
    pub active: Option<bool>,
    pub auto_advance: Option<AutoAdvance>,
}

/// `PUT /api/pipeline/stages`: the whole ordered list.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StagesInput {
    #[schema(min_items = 1, max_items = 20)]
    pub stages: Vec<StageInput>,
    /// The stage from which reviewers see identities (`null`: only by an audited reveal).
    #[schema(schema_with = opt_stage_id_schema)]
    pub reveal_at_stage: Option<String>,
    /// For each removed stage that still holds applications, the stage to move them to
    /// (otherwise the removal is refused with the count).
    #[serde(default)]
    pub move_applications: BTreeMap<String, String>,
}

/// The pipeline stored for the organisation, or the default one.
pub async fn load(deps: &Deps, org: &OrgId) -> AppResult<Pipeline> {
    Ok(record::get(deps.store.as_ref(), &keys::pipeline(org)).await?.unwrap_or_else(|| Pipeline::default_for(org)))
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            s.push(c);
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let s = s.trim_end_matches('_').to_owned();
    let s = if s.starts_with(|c: char| c.is_ascii_lowercase()) { s } else { format!("stage_{s}") };
    s.chars().take(40).collect::<String>().trim_end_matches('_').to_owned()
}

fn parse_stages(input: &StagesInput) -> AppResult<(Vec<PipelineStage>, Option<String>)> {
    let mut c = Checks::default();
    if input.stages.is_empty() || input.stages.len() > MAX_STAGES {
        c.push("stages", format!("must hold 1 to {MAX_STAGES} stages"));
    }
    let mut ids = BTreeSet::new();
    let mut out = Vec::new();
    for (i, s) in input.stages.iter().enumerate() {
        let f = |name: &str| format!("stages[{i}].{name}");
        let name = c.take(STAGE_NAME.parse(&f("name"), &s.name));
        let description = c.take(STAGE_DESCRIPTION.parse_opt(&f("description"), s.description.as_deref())).flatten();
        let id = match &s.id {
            Some(id) if !stage_id_ok(id) => {
                c.push(f("id"), "must be 1–40 lower-case letters, digits or _, starting with a letter");
                continue;
            }
            Some(id) => id.clone(),
            None => slug(name.as_deref().unwrap_or("stage")),
        };
        if !ids.insert(id.clone()) {
            c.push(f("id"), format!("{id} appears twice"));
        }
        let status = match s.status.as_deref() {
            None if i == 0 => ApplicationStatus::New,
            None if s.kind == StageType::Offer => ApplicationStatus::Offer,
            None => ApplicationStatus::Reviewing,
            Some(v) => match ApplicationStatus::parse(v).filter(|st| !st.is_final()) {
                Some(st) => st,
                None => {
                    c.push(
                        f("status"),
                        "must be new, reviewing, phone_screen, technical_interview, final_interview or offer",
                    );
                    continue;
                }
            },
        };
        if let Some(a) = &s.auto_advance
            && a.min_score.is_some_and(|m| m > 100)
        {
            c.push(f("autoAdvance.minScore"), "must be 0 to 100");
        }
        out.push(PipelineStage {
            id,
            name: name.unwrap_or_default(),
            description,
            kind: s.kind,
            status,
            active: s.active.unwrap_or(true),
            auto_advance: s.auto_advance.clone(),
        });
    }
    if !out.is_empty() && !out.iter().any(|s| s.active) {
        c.push("stages", "at least one stage must be active");
    }
    let reveal = match &input.reveal_at_stage {
        Some(r) if !ids.contains(r) => {
            c.push("revealAtStage", format!("{r} is not one of the stages"));
            None
        }
        other => other.clone(),
    };
    c.finish()?;
    Ok((out, reveal))
}

/// Open applications per stage, all jobs together (from the counters).
async fn open_counts_by_stage(deps: &Deps, org: &OrgId) -> AppResult<BTreeMap<String, BTreeMap<JobId, i64>>> {
    let mut out: BTreeMap<String, BTreeMap<JobId, i64>> = BTreeMap::new();
    for c in counters(deps, org).await? {
        if let Counter::Stage { job, stage, count } = c
            && count > 0
        {
            out.entry(stage).or_default().insert(job, count);
        }
    }
    Ok(out)
}

/// Saves the organisation's stages. A removed stage that still holds applications is refused
/// with their count, unless `moveApplications` names where they go (each is moved like any move,
/// with its history).
pub async fn save(deps: &Deps, actor: &Actor, if_match: Option<u64>, input: StagesInput) -> AppResult<Pipeline> {
    let (stages, reveal) = parse_stages(&input)?;
    let before = load(deps, actor.org()).await?;
    check_version(if_match, before.version, false)?;
    let kept: BTreeSet<&str> = stages.iter().map(|s| s.id.as_str()).collect();
    let held = open_counts_by_stage(deps, actor.org()).await?;
    let mut moves = Vec::new();
    let mut errors = Checks::default();
    for old in &before.stages {
        if kept.contains(old.id.as_str()) {
            continue;
        }
        let count: i64 = held.get(&old.id).map(|jobs| jobs.values().sum()).unwrap_or(0);
        if count == 0 {
            continue;
        }
        match input.move_applications.get(&old.id) {
            Some(to) if kept.contains(to.as_str()) => moves.push((old.id.clone(), to.clone())),
            Some(to) => {
                errors.push(format!("moveApplications.{}", old.id), format!("{to} is not one of the new stages"))
            }
            None => {
                return Err(AppError::conflict(
                    "stage-not-empty",
                    format!(
                        "stage {} holds {count} application(s): move them first, or name a stage in moveApplications.{}",
                        old.id, old.id
                    ),
                ));
            }
        }
    }
    errors.finish()?;
    let now = deps.clock.now();
    let after = Pipeline {
        org_id: actor.org().clone(),
        stages,
        reveal_at_stage: reveal,
        updated_at: Some(now),
        version: before.version + 1,
    };
    // Move the applications of removed stages first, positioned in the new pipeline.
    for (from, to) in moves {
        for job in held.get(&from).map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            loop {
                let q = Query::index(crate::ports::store::Index::Gsi1, keys::application_by_job_pk(actor.org(), &job))
                    .prefix(keys::application_stage_prefix(&from))
                    .limit(100);
                let (apps, _) = record::query::<Application>(deps.store.as_ref(), &q).await?;
                let open: Vec<_> = apps.into_iter().filter(|a| !a.status.is_final()).collect();
                if open.is_empty() {
                    break;
                }
                for app in open {
                    let note = format!("stage {from} was removed from the pipeline");
                    let mv = Move { target: Target::Stage(to.clone()), note: Some(note), reason_code: None };
                    apply_move(deps, &after, actor.who(), &app, mv, "application.move", &|_| {}).await?;
                }
            }
        }
    }
    let condition = if before.version == 0 { Condition::NotExists } else { Condition::VersionIs(before.version) };
    let audit = actor.audit(
        deps,
        Change {
            action: "pipeline.update",
            target_type: "pipeline",
            target_id: actor.org().as_str(),
            before: Some(snapshot(&before)?),
            after: Some(snapshot(&after)?),
        },
    )?;
    deps.store.transact(vec![after.tx_put("version", condition)?, audit]).await.map_err(lost_update(before.version))?;
    Ok(after)
}

/// Where a move takes an application.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The next active stage (from the last one: hired).
    Next,
    /// A named stage, forward or back.
    Stage(String),
    Reject,
    Withdraw,
    /// Staff took it out (deleted).
    Remove,
}

#[derive(Debug, Clone)]
pub struct Move {
    pub target: Target,
    pub note: Option<String>,
    pub reason_code: Option<String>,
}

fn bucket_label(seconds: i64) -> String {
    let hours = seconds.max(0) as f64 / 3600.0;
    DURATION_BUCKETS_HOURS
        .iter()
        .find(|&&b| hours <= b as f64)
        .map(|b| format!("{b:05}"))
        .unwrap_or_else(|| "99999".to_owned())
}

fn day(at: OffsetDateTime) -> String {
    at.date().to_string()
}

fn stat(deps_org: &OrgId, at: OffsetDateTime, job: &JobId, stage: &str, metric: &str) -> TxWrite {
    TxWrite::add(
        format!("stat-{stage}-{metric}"),
        keys::stat(deps_org, &day(at), job, stage, metric),
        "PipelineStat",
        None,
        1,
    )
}

fn counter(key: crate::ports::store::Key, delta: i64) -> TxWrite {
    TxWrite::add(format!("count-{}", key.sk), key, "PipelineCount", None, delta)
}

/// The counter and statistics writes of an application arriving in `stage` (a new application).
pub fn arrival_writes(app: &Application) -> Vec<TxWrite> {
    vec![
        counter(keys::stage_count(&app.org_id, &app.job_id, &app.stage_id), 1),
        stat(&app.org_id, app.created_at, &app.job_id, &app.stage_id, "ENTERED"),
    ]
}

/// The application after the move, its history entry, and the writes that record it all.
pub fn plan_move(
    deps: &Deps,
    pipeline: &Pipeline,
    by: Who<'_>,
    before: &Application,
    mv: &Move,
    action: &str,
    edit: &(dyn Fn(&mut Application) + Sync),
) -> AppResult<(Application, Vec<TxWrite>)> {
    let audit = |after: Option<&Application>| -> AppResult<TxWrite> {
        audit_write(
            deps,
            by,
            &before.org_id,
            Change {
                action,
                target_type: "application",
                target_id: &before.id,
                before: Some(snapshot(before)?),
                after: after.map(snapshot).transpose()?,
            },
        )
    };
    if before.status.is_final() && mv.target == Target::Remove {
        // A closed application leaves its status's counter; its stage statistics stay history.
        let (org, job) = (&before.org_id, &before.job_id);
        return Ok((
            before.clone(),
            vec![
                TxWrite::delete("version", before.key(), Condition::VersionIs(before.version)),
                TxWrite::delete(
                    "applied-marker",
                    keys::applied_marker(org, job, &before.candidate_id),
                    Condition::None,
                ),
                counter(keys::status_count(org, job, before.status.as_str()), -1),
                audit(None)?,
            ],
        ));
    }
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("this application is {} and cannot move", before.status.as_str()),
        ));
    }
    let now = deps.clock.now();
    let from = pipeline.position(&before.stage_id);
    let (to_stage, status, outcome): (Option<&PipelineStage>, ApplicationStatus, Outcome) = match &mv.target {
        Target::Next => {
            match pipeline.next_after(&before.stage_id).or_else(|| from.is_none().then(|| pipeline.first()).flatten()) {
                Some(s) => (Some(s), s.status, Outcome::Advanced),
                None => (None, ApplicationStatus::Hired, Outcome::Advanced),
            }
        }
        Target::Stage(id) => {
            let s = pipeline
                .stage(id)
                .ok_or_else(|| AppError::field("toStage", format!("{id} is not a stage of this pipeline")))?;
            if s.id == before.stage_id {
                return Err(AppError::conflict("same-stage", format!("the application is already in {}", s.name)));
            }
            if !s.active {
                return Err(AppError::conflict("stage-inactive", format!("stage {} is not active", s.name)));
            }
            let forward = match (from, pipeline.position(&s.id)) {
                (Some(f), Some(t)) => t > f,
                _ => true,
            };
            (Some(s), s.status, if forward { Outcome::Advanced } else { Outcome::MovedBack })
        }
        Target::Reject => (None, ApplicationStatus::Rejected, Outcome::Rejected),
        Target::Withdraw => (None, ApplicationStatus::Withdrawn, Outcome::Withdrawn),
        Target::Remove => (None, before.status, Outcome::Removed),
    };
    let entered = before.entered_stage_at();
    let duration = (now - entered).whole_seconds().max(0);
    let mut after = before.clone();
    after.status = status;
    if let Some(s) = to_stage {
        after.stage_id = s.id.clone();
        after.stage_entered_at = Some(now);
    }
    after.version += 1;
    after.updated_at = now;
    // Any move takes an application off hold.
    after.on_hold = None;
    edit(&mut after);
    let entry = HistoryEntry {
        id: deps.ids.new_id().to_string(),
        application_id: before.id.clone(),
        org_id: before.org_id.clone(),
        job_id: before.job_id.clone(),
        kind: HistoryKind::Stage,
        stage: before.stage_id.clone(),
        entered_at: entered,
        at: now,
        duration_seconds: duration,
        to_stage: to_stage.map(|s| s.id.clone()),
        outcome: Some(outcome),
        status,
        by: by.id.to_owned(),
        note: mv.note.clone(),
        reason_code: mv.reason_code.clone(),
    };
    let (org, job) = (&before.org_id, &before.job_id);
    let mut writes = vec![
        entry.tx_put("history", Condition::NotExists)?,
        counter(keys::stage_count(org, job, &before.stage_id), -1),
        stat(org, now, job, &before.stage_id, &format!("EXIT#{}", outcome.as_str())),
        stat(org, now, job, &before.stage_id, &format!("DUR#{}", bucket_label(duration))),
        audit((outcome != Outcome::Removed).then_some(&after))?,
    ];
    if outcome != Outcome::Removed {
        writes.push(after.tx_put("version", Condition::VersionIs(before.version))?);
    } else {
        writes.push(TxWrite::delete("version", before.key(), Condition::VersionIs(before.version)));
        writes.push(TxWrite::delete(
            "applied-marker",
            keys::applied_marker(org, job, &before.candidate_id),
            Condition::None,
        ));
    }
    match to_stage {
        Some(s) => {
            writes.push(counter(keys::stage_count(org, job, &s.id), 1));
            writes.push(stat(org, now, job, &s.id, "ENTERED"));
        }
        None if outcome != Outcome::Removed => {
            writes.push(counter(keys::status_count(org, job, status.as_str()), 1));
        }
        None => {}
    }
    if outcome == Outcome::Rejected {
        let code = mv.reason_code.as_deref().unwrap_or("other");
        writes.push(stat(org, now, job, &before.stage_id, &format!("REJECT#{code}")));
    }
    Ok((after, writes))
}

/// The domain event of a move: the email consumer tells the candidate (never the note).
pub fn moved_event(deps: &Deps, pipeline: &Pipeline, before: &Application, after: &Application) -> DomainEvent {
    let stage_name = pipeline.stage(&after.stage_id).map(|s| s.name.clone());
    DomainEvent {
        id: format!("application.status_changed:{}:{}", after.id, after.version),
        kind: "application.status_changed".into(),
        org_id: after.org_id.to_string(),
        subject_id: after.id.clone(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({
            "candidateId": after.candidate_id,
            "jobTitle": after.job_title,
            "from": before.status.as_str(),
            "to": after.status.as_str(),
            "fromStage": before.stage_id,
            "toStage": after.stage_id,
            "stageName": stage_name,
            "jobId": after.job_id,
            "source": after.source,
            "createdAt": after.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
            "at": after.entered_stage_at().format(&time::format_description::well_known::Rfc3339).ok(),
            "score": after.ai.as_ref().map(|a| a.score),
        }),
        correlation_id: None,
    }
}

/// Plans, writes and announces one move. A lost race answers 409 `concurrent-update`.
pub async fn apply_move(
    deps: &Deps,
    pipeline: &Pipeline,
    by: Who<'_>,
    before: &Application,
    mv: Move,
    action: &str,
    edit: &(dyn Fn(&mut Application) + Sync),
) -> AppResult<Application> {
    let (after, writes) = plan_move(deps, pipeline, by, before, &mv, action, edit)?;
    deps.store.transact(writes).await.map_err(lost_update(before.version))?;
    if mv.target != Target::Remove && (after.status != before.status || after.stage_id != before.stage_id) {
        deps.events
            .publish(&moved_event(deps, pipeline, before, &after))
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
    }
    Ok(after)
}

/// An application's history, oldest first.
pub async fn history(deps: &Deps, app: &Application) -> AppResult<Vec<HistoryEntry>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let q = Query::table(keys::org_pk(&app.org_id)).prefix(keys::history_prefix(&app.id)).limit(200).after(after);
        let (items, page) = record::query::<HistoryEntry>(deps.store.as_ref(), &q).await?;
        out.extend(items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// One counter of the kanban.
#[derive(Debug, Clone, PartialEq)]
pub enum Counter {
    Stage { job: JobId, stage: String, count: i64 },
    Status { job: JobId, status: String, count: i64 },
}

/// Every kanban counter of the organisation (one query, paged).
pub async fn counters(deps: &Deps, org: &OrgId) -> AppResult<Vec<Counter>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let q = Query::table(keys::counts_pk(org)).limit(1000).after(after);
        let page = deps.store.query(&q).await?;
        for item in &page.items {
            let count = item.data["count"].as_i64().unwrap_or(0);
            let Some(rest) = item.key.sk.strip_prefix("JOB#") else { continue };
            let mut parts = rest.splitn(3, '#');
            let (Some(job), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let job = JobId::trusted(job);
            match kind {
                "STAGE" => out.push(Counter::Stage { job, stage: name.to_owned(), count }),
                "STATUS" => out.push(Counter::Status { job, status: name.to_owned(), count }),
                _ => {}
            }
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// One column of a job's kanban.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageCount {
    pub stage_id: String,
    pub name: String,
    pub count: i64,
}

/// A job's kanban summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobOverview {
    pub job_id: String,
    pub job_title: Option<String>,
    /// Open applications per stage, in pipeline order (stages no longer in the pipeline last).
    pub stages: Vec<StageCount>,
    /// Closed applications: `hired`, `rejected`, `withdrawn`.
    pub closed: BTreeMap<String, i64>,
    pub open: i64,
}

/// `GET /api/pipeline/overview`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub stages: Vec<PipelineStage>,
    pub jobs: Vec<JobOverview>,
}

/// A job's open counts by stage and closed counts by status.
type Columns = (BTreeMap<String, i64>, BTreeMap<String, i64>);

/// The kanban summary of every job with applications, read from the counters.
pub async fn overview(deps: &Deps, actor: &Actor, job: Option<&JobId>) -> AppResult<Overview> {
    let pipeline = load(deps, actor.org()).await?;
    let mut by_job: BTreeMap<JobId, Columns> = BTreeMap::new();
    for c in counters(deps, actor.org()).await? {
        match c {
            Counter::Stage { job, stage, count } => {
                by_job.entry(job).or_default().0.insert(stage, count);
            }
            Counter::Status { job, status, count } => {
                by_job.entry(job).or_default().1.insert(status, count);
            }
        }
    }
    let mut jobs = Vec::new();
    for (id, (stages, closed)) in by_job {
        if job.is_some_and(|j| j != &id) {
            continue;
        }
        let title =
            record::get::<crate::model::Job>(deps.store.as_ref(), &keys::job(actor.org(), &id)).await?.map(|j| j.title);
        let mut columns: Vec<StageCount> = pipeline
            .stages
            .iter()
            .map(|s| StageCount {
                stage_id: s.id.clone(),
                name: s.name.clone(),
                count: *stages.get(&s.id).unwrap_or(&0),
            })
            .collect();
        for (stage, count) in &stages {
            if pipeline.stage(stage).is_none() && *count != 0 {
                columns.push(StageCount { stage_id: stage.clone(), name: stage.clone(), count: *count });
            }
        }
        let open = columns.iter().map(|c| c.count).sum();
        let closed = ["hired", "rejected", "withdrawn"]
            .into_iter()
            .map(|s| (s.to_owned(), *closed.get(s).unwrap_or(&0)))
            .collect();
        jobs.push(JobOverview { job_id: id.to_string(), job_title: title, stages: columns, closed, open });
    }
    Ok(Overview { stages: pipeline.stages, jobs })
}

/// `GET /api/pipeline/analytics` query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalyticsQuery {
    /// First day (UTC, `YYYY-MM-DD`, inclusive; not after `to`); default 90 days before `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last day (UTC, inclusive); default today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// One job only.
    #[param(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
}

/// One stage's figures over the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageFigures {
    pub stage_id: String,
    /// Applications that entered the stage in the range.
    pub entered: i64,
    /// Applications that left it, by how (`advanced`, `moved_back`, `rejected`, `withdrawn`, `removed`).
    pub exited: BTreeMap<String, i64>,
    /// advanced ÷ exited (null when none left).
    pub conversion_rate: Option<f64>,
    /// (rejected + withdrawn) ÷ exited.
    pub drop_off_rate: Option<f64>,
    /// Rejections by reason code.
    pub rejections_by_reason: BTreeMap<String, i64>,
    /// The time-in-stage bucket (upper bound, hours) holding the median of those that left;
    /// null when none left, or past the last bucket.
    pub median_hours_at_most: Option<i64>,
    pub p90_hours_at_most: Option<i64>,
    /// Exits per time-in-stage bucket (upper bound in hours; `longer` past the last).
    pub time_in_stage: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobFigures {
    pub job_id: String,
    pub stages: Vec<StageFigures>,
    /// Identity reveals before the reveal stage.
    pub reveals: i64,
}

/// `GET /api/pipeline/analytics`: per job and overall, over a date range.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Analytics {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub overall: Vec<StageFigures>,
    pub jobs: Vec<JobFigures>,
    /// How the figures are kept: daily counters written with each move (never a recount).
    pub method: String,
}

fn parse_day(field: &str, s: &str) -> AppResult<time::Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|_| AppError::field(field, "must be a date, YYYY-MM-DD"))
}

/// The inclusive day range of a figures query: `to` defaults to today, `from` to 90 days
/// before it; at most two years.
pub fn date_range(deps: &Deps, from: Option<&str>, to: Option<&str>) -> AppResult<(time::Date, time::Date)> {
    let today = deps.clock.now().date();
    let to = to.map(|s| parse_day("to", s)).transpose()?.unwrap_or(today);
    let from = from.map(|s| parse_day("from", s)).transpose()?.unwrap_or(to - time::Duration::days(90));
    if from > to {
        return Err(AppError::field("from", "must not be after to"));
    }
    if to - from > time::Duration::days(731) {
        return Err(AppError::field("from", "the range is at most two years"));
    }
    Ok((from, to))
}

#[derive(Default)]
struct Tally {
    entered: i64,
    exited: BTreeMap<String, i64>,
    rejections: BTreeMap<String, i64>,
    buckets: BTreeMap<String, i64>,
}

impl Tally {
    fn add(&mut self, metric: &str, n: i64) {
        if metric == "ENTERED" {
            self.entered += n;
        } else if let Some(o) = metric.strip_prefix("EXIT#") {
            *self.exited.entry(o.to_owned()).or_default() += n;
        } else if let Some(r) = metric.strip_prefix("REJECT#") {
            *self.rejections.entry(r.to_owned()).or_default() += n;
        } else if let Some(b) = metric.strip_prefix("DUR#") {
            *self.buckets.entry(b.to_owned()).or_default() += n;
        }
    }

    fn figures(&self, stage: &str) -> StageFigures {
        let exited: i64 = self.exited.values().sum();
        let rate = |n: i64| (exited > 0).then(|| n as f64 / exited as f64);
        let get = |k: &str| *self.exited.get(k).unwrap_or(&0);
        let quantile = |q: f64| -> Option<i64> {
            let total: i64 = self.buckets.values().sum();
            if total == 0 {
                return None;
            }
            // The smallest bucket whose cumulative count reaches ceil(q × total).
            let rank = ((q * total as f64).ceil() as i64).max(1);
            let mut seen = 0;
            for (label, n) in &self.buckets {
                seen += n;
                if seen >= rank {
                    return label.parse::<i64>().ok().filter(|h| *h != 99999);
                }
            }
            None
        };
        StageFigures {
            stage_id: stage.to_owned(),
            entered: self.entered,
            exited: self.exited.clone(),
            conversion_rate: rate(get("advanced")),
            drop_off_rate: rate(get("rejected") + get("withdrawn")),
            rejections_by_reason: self.rejections.clone(),
            median_hours_at_most: quantile(0.5),
            p90_hours_at_most: quantile(0.9),
            time_in_stage: self
                .buckets
                .iter()
                .map(|(k, v)| {
                    let label = k.parse::<i64>().map(|h| if h == 99999 { "longer".to_owned() } else { h.to_string() });
                    (label.unwrap_or_else(|_| k.clone()), *v)
                })
                .collect(),
        }
    }
}

/// Stage statistics over a date range, from the daily counters (a range query; no recount).
pub async fn analytics(deps: &Deps, actor: &Actor, q: AnalyticsQuery) -> AppResult<Analytics> {
    let (from, to) = date_range(deps, q.from.as_deref(), q.to.as_deref())?;
    let only = match q.job_id.as_deref() {
        Some(s) => Some(JobId::parse(s.trim()).ok_or_else(|| AppError::field("jobId", "is not a job id"))?),
        None => None,
    };
    let pipeline = load(deps, actor.org()).await?;
    let mut per_job: BTreeMap<JobId, BTreeMap<String, Tally>> = BTreeMap::new();
    let mut overall: BTreeMap<String, Tally> = BTreeMap::new();
    let mut reveals: BTreeMap<JobId, i64> = BTreeMap::new();
    let mut after = None;
    loop {
        let query = Query::table(keys::stats_pk(actor.org()))
            .between(from.to_string(), format!("{to}~"))
            .limit(1000)
            .after(after);
        let page = deps.store.query(&query).await?;
        for item in &page.items {
            let n = item.data["count"].as_i64().unwrap_or(0);
            // <day>#JOB#<job>#STAGE#<stage>#<metric…>
            let mut parts = item.key.sk.splitn(6, '#');
            let (_, Some("JOB"), Some(job), Some("STAGE"), Some(stage), Some(metric)) =
                (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let job = JobId::trusted(job);
            if only.as_ref().is_some_and(|o| o != &job) {
                continue;
            }
            if metric == "REVEAL" {
                *reveals.entry(job).or_default() += n;
                continue;
            }
            per_job.entry(job).or_default().entry(stage.to_owned()).or_default().add(metric, n);
            overall.entry(stage.to_owned()).or_default().add(metric, n);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let order = |stages: &BTreeMap<String, Tally>| -> Vec<StageFigures> {
        let mut out: Vec<StageFigures> =
            pipeline.stages.iter().filter_map(|s| stages.get(&s.id).map(|t| t.figures(&s.id))).collect();
        out.extend(stages.iter().filter(|(id, _)| pipeline.stage(id).is_none()).map(|(id, t)| t.figures(id)));
        out
    };
    let mut jobs: Vec<JobFigures> = per_job
        .iter()
        .map(|(job, stages)| JobFigures {
            job_id: job.to_string(),
            stages: order(stages),
            reveals: *reveals.get(job).unwrap_or(&0),
        })
        .collect();
    for (job, n) in &reveals {
        if !per_job.contains_key(job) {
            jobs.push(JobFigures { job_id: job.to_string(), stages: vec![], reveals: *n });
        }
    }
    Ok(Analytics {
        from: from.to_string(),
        to: to.to_string(),
        overall: order(&overall),
        jobs,
        method: "daily counters written in the same transaction as each move; time in stage in buckets (upper bounds, hours)".into(),
    })
}

/// The statistics write of a reveal (reveals per job, by day).
pub fn reveal_stat(app: &Application, at: OffsetDateTime) -> TxWrite {
    stat(&app.org_id, at, &app.job_id, &app.stage_id, "REVEAL")
}
