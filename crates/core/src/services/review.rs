//! Staff review of applications: blind by default, moves through the pipeline (one at a time or
//! in bulk), edits, deletion, and the audited reveal of who a candidate is.
//!
//! Blind review: before the organisation's reveal stage, every staff view of an application
//! (lists, the application, bulk results, the candidate, the resume) withholds the candidate's
//! name, contact details, cover letter and file name; the resume is the anonymised text the
//! scorer read. Someone with `applications:reveal` may reveal one application, with a reason;
//! the reveal is recorded in the application's history, the audit trail and the pipeline
//! statistics. Scoring and the bias audit never read any of this: they read the anonymised
//! profile and the sealed self-identification, as before.

use super::applications::{load_in_org, parse_source, source_schema};
use super::pipeline::{self, Move, NOTE, REJECTION_REASONS, Target, note_schema, stage_id_schema};
use super::{Actor, Caller, Listed, check_version};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys;
use crate::model::application::{Hold, Reveal, SalaryRange};
use crate::model::pipeline::{HistoryEntry, HistoryKind, Outcome, Pipeline};
use crate::model::{Application, ApplicationStatus, Candidate};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, Item, PageToken, Query};
use crate::record::{self, Record};
use crate::values::{JobId, TextRule, UserId, choice_schema, opt_choice_schema};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::Object;

/// Who the candidate is: shown to staff only at or after the reveal stage, or after a reveal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    pub location: Option<String>,
    pub headline: Option<String>,
}

impl Identity {
    fn of(c: &Candidate) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.as_str().to_owned(),
            phone: c.phone.clone(),
            location: c.location.clone(),
            headline: c.headline.clone(),
        }
    }
}

/// A move the pipeline suggests (an auto-advance condition holds); a person confirms it with
/// `advance-stage`. Nothing moves by itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub to_stage: String,
    pub reason: String,
}

/// An application as staff (and its candidate) see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationView {
    #[serde(flatten)]
    pub application: Application,
    /// True when the candidate's identity is withheld from this reader (blind review): no
    /// cover letter, no file name, no `identity`.
    pub blind: bool,
    /// Name and contact details, when not blind (staff only).
    pub identity: Option<Identity>,
    /// The stage's auto-advance suggestion, if its condition holds.
    pub suggestion: Option<Suggestion>,
}

fn suggestion(pipeline: &Pipeline, app: &Application) -> Option<Suggestion> {
    if app.status.is_final() {
        return None;
    }
    let stage = pipeline.stage(&app.stage_id)?;
    let rule = stage.auto_advance.as_ref()?;
    if app.alternative_review.is_some() {
        return None;
    }
    let ai = app.ai.as_ref()?;
    if rule.min_score.is_some_and(|m| ai.score < m) || (rule.no_required_missing && ai.required_missing > 0) {
        return None;
    }
    let next = pipeline.next_after(&stage.id)?;
    let mut why = Vec::new();
    if let Some(m) = rule.min_score {
        why.push(format!("AI score {} ≥ {m}", ai.score));
    }
    if rule.no_required_missing {
        why.push("no required skill missing".to_owned());
    }
    Some(Suggestion {
        to_stage: next.id.clone(),
        reason: format!("{} (a suggestion: a person confirms every move)", why.join(" and ")),
    })
}

/// Whether staff of the application's organisation see who the candidate is.
pub fn identity_visible(pipeline: &Pipeline, app: &Application) -> bool {
    app.revealed.is_some() || pipeline.reveals_at(&app.stage_id)
}

/// The staff view of an application: blind unless revealed.
pub async fn staff_view(deps: &Deps, pipeline: &Pipeline, app: Application) -> AppResult<ApplicationView> {
    let suggestion = suggestion(pipeline, &app);
    if identity_visible(pipeline, &app) {
        let c: Option<Candidate> = record::get(deps.store.as_ref(), &keys::candidate(&app.candidate_id)).await?;
        return Ok(ApplicationView {
            identity: c.as_ref().map(Identity::of),
            application: app,
            blind: false,
            suggestion,
        });
    }
    let mut blind = app;
    blind.cover_letter = None;
    if let Some(r) = blind.resume.as_mut() {
        r.file_name = None;
    }
    Ok(ApplicationView { application: blind, blind: true, identity: None, suggestion })
}

/// A candidate's view of their own application: as it is, without staff notes or reveals.
fn own_view(mut app: Application) -> ApplicationView {
    app.notes = None;
    app.revealed = None;
    ApplicationView { application: app, blind: false, identity: None, suggestion: None }
}

/// The view of an application for whoever asked: a candidate sees their own as it is.
pub async fn view_for(deps: &Deps, caller: &Caller, app: Application) -> AppResult<ApplicationView> {
    match caller {
        Caller::Staff(actor) => staff_view(deps, &pipeline::load(deps, actor.org()).await?, app).await,
        Caller::Candidate(_) => Ok(own_view(app)),
    }
}

/// [`view_for`] of a list (the pipeline read once).
pub async fn views_for(deps: &Deps, caller: &Caller, apps: Vec<Application>) -> AppResult<Vec<ApplicationView>> {
    match caller {
        Caller::Staff(actor) => staff_views(deps, actor, apps).await,
        Caller::Candidate(_) => Ok(apps.into_iter().map(own_view).collect()),
    }
}

pub async fn staff_views(deps: &Deps, actor: &Actor, apps: Vec<Application>) -> AppResult<Vec<ApplicationView>> {
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let mut out = Vec::with_capacity(apps.len());
    for a in apps {
        out.push(staff_view(deps, &pipeline, a).await?);
    }
    Ok(out)
}

/// `GET /api/applications` filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    /// Applications to this job only.
    #[param(schema_with = crate::values::id_schema)]
    pub job_id: Option<String>,
    /// In this pipeline stage (with `jobId`, one kanban column).
    #[param(value_type = Option<String>, pattern = "^[a-z][a-z0-9_]{0,39}$", min_length = 1, max_length = 40)]
    pub stage: Option<String>,
    pub status: Option<ApplicationStatus>,
    /// `linkedin`, `indeed`, `referral`, `company_website` or `other`.
    #[param(value_type = Option<String>, schema_with = source_param_schema)]
    pub source: Option<String>,
    /// Lowest AI score (0–100); unscored applications are left out when a score bound is given.
    #[param(minimum = 0, maximum = 100)]
    pub min_score: Option<u8>,
    #[param(minimum = 0, maximum = 100)]
    pub max_score: Option<u8>,
    /// Applied on or after this day (UTC, `YYYY-MM-DD`).
    #[param(value_type = Option<String>, format = Date)]
    pub applied_from: Option<String>,
    /// Applied on or before this day (UTC).
    #[param(value_type = Option<String>, format = Date)]
    pub applied_to: Option<String>,
    /// `newest` (default) or `oldest` first.
    #[param(inline)]
    pub sort: Option<SortOrder>,
    /// Page size (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

fn source_param_schema() -> Object {
    choice_schema(crate::model::application::SOURCES)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Newest,
    Oldest,
}

/// The filters of a list, parsed.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub job: Option<JobId>,
    pub stage: Option<String>,
    pub status: Option<ApplicationStatus>,
    pub source: Option<String>,
    pub min_score: Option<u8>,
    pub max_score: Option<u8>,
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    pub oldest_first: bool,
}

fn day(field: &str, s: &str) -> Result<time::Date, FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt).map_err(|_| FieldError::new(field, "must be a date, YYYY-MM-DD"))
}

impl Filters {
    pub fn parse(q: &ListQuery) -> AppResult<Self> {
        let mut c = crate::values::Checks::default();
        let job = match q.job_id.as_deref() {
            Some(s) => c.take(JobId::parse(s.trim()).ok_or_else(|| FieldError::new("jobId", "is not a job id"))),
            None => None,
        };
        if let Some(s) = &q.stage
            && !pipeline::stage_id_ok(s)
        {
            c.push("stage", "must be a stage id: 1–40 lower-case letters, digits or _, starting with a letter");
        }
        let source = c.take(parse_source("source", q.source.as_deref()));
        if q.min_score.is_some_and(|m| m > 100) {
            c.push("minScore", "must be 0 to 100");
        }
        if q.max_score.is_some_and(|m| m > 100) {
            c.push("maxScore", "must be 0 to 100");
        }
        let from = q.applied_from.as_deref().and_then(|s| c.take(day("appliedFrom", s)));
        let to = q.applied_to.as_deref().and_then(|s| c.take(day("appliedTo", s)));
        c.finish()?;
        Ok(Self {
            job,
            stage: q.stage.clone(),
            status: q.status,
            source: source.flatten(),
            min_score: q.min_score,
            max_score: q.max_score,
            from,
            to,
            oldest_first: q.sort == Some(SortOrder::Oldest),
        })
    }

    fn keeps(&self, a: &Application) -> bool {
        let score = a.ai.as_ref().map(|s| s.score);
        self.job.as_ref().is_none_or(|j| &a.job_id == j)
            && self.stage.as_ref().is_none_or(|s| &a.stage_id == s)
            && self.status.is_none_or(|s| a.status == s)
            && self.source.as_ref().is_none_or(|s| a.source.as_ref() == Some(s))
            && self.min_score.is_none_or(|m| score.is_some_and(|s| s >= m))
            && self.max_score.is_none_or(|m| score.is_some_and(|s| s <= m))
            && self.from.is_none_or(|d| a.created_at.date() >= d)
            && self.to.is_none_or(|d| a.created_at.date() <= d)
    }
}

/// How many stored applications one page may examine before it answers (a short page with a
/// cursor, as DynamoDB's filtered queries do).
pub const MAX_EXAMINED: usize = 1000;

/// A page of the organisation's applications matching the filters. With a job the query reads
/// that job's index partition (with a stage, one prefix of it); otherwise the organisation's
/// applications, newest first. Other filters are applied to what the query reads.
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    f: &Filters,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<ApplicationView>> {
    let (mut q, index) = match &f.job {
        Some(job) => {
            let mut q = Query::index(Index::Gsi1, keys::application_by_job_pk(actor.org(), job));
            if let Some(s) = &f.stage {
                q = q.prefix(keys::application_stage_prefix(s));
            }
            (q, Some(Index::Gsi1))
        }
        None => (Query::table(keys::org_pk(actor.org())).prefix(keys::APP_PREFIX), None),
    };
    if !f.oldest_first {
        q = q.descending();
    }
    q.limit = limit.max(25);
    let mut out = Vec::new();
    let mut examined = 0;
    let mut cursor = after;
    let next = loop {
        let page = deps.store.query(&q.clone().after(cursor.take())).await?;
        let mut stop = None;
        for item in page.items {
            examined += 1;
            let token = PageToken::at(&item, index);
            let app = Application::from_item(item)?;
            if f.keeps(&app) {
                out.push(app);
            }
            if out.len() == limit || examined >= MAX_EXAMINED {
                stop = Some(token);
                break;
            }
        }
        match (stop, page.next) {
            (Some(t), _) => break Some(t),
            (None, Some(n)) => cursor = Some(n),
            (None, None) => break None,
        }
    };
    Ok(Listed { items: staff_views(deps, actor, out).await?, next })
}

const AVAILABILITY: TextRule = TextRule::new(1, 200);

fn availability_schema() -> Object {
    AVAILABILITY.opt_schema()
}

/// `PUT /api/applications/{id}`: the fields staff keep on an application (all replaced).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateInput {
    /// Staff notes; never shown to the candidate or scored.
    #[schema(schema_with = note_schema)]
    pub notes: Option<String>,
    pub salary_expectation: Option<SalaryRange>,
    #[schema(schema_with = availability_schema)]
    pub availability: Option<String>,
    #[schema(schema_with = source_schema)]
    pub source: Option<String>,
}

/// Checks a salary range (`salaryExpectation`).
pub fn check_salary(c: &mut crate::values::Checks, s: &SalaryRange) {
    if s.currency.len() != 3 || !s.currency.chars().all(|c| c.is_ascii_uppercase()) {
        c.push("salaryExpectation.currency", "must be an ISO 4217 code such as USD");
    }
    if s.min.is_some_and(|m| m > 100_000_000) || s.max.is_some_and(|m| m > 100_000_000) {
        c.push("salaryExpectation", "must be at most 100000000");
    }
    if let (Some(lo), Some(hi)) = (s.min, s.max)
        && lo > hi
    {
        c.push("salaryExpectation.min", "must not be above max");
    }
}

pub async fn update(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    input: UpdateInput,
) -> AppResult<ApplicationView> {
    let mut c = crate::values::Checks::default();
    let notes = c.take(NOTE.parse_opt("notes", input.notes.as_deref())).flatten();
    let availability = c.take(AVAILABILITY.parse_opt("availability", input.availability.as_deref())).flatten();
    if let Some(s) = &input.salary_expectation {
        check_salary(&mut c, s);
    }
    let source = c.take(parse_source("source", input.source.as_deref()));
    c.finish()?;
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, true)?;
    let mut after = before.clone();
    after.notes = notes;
    after.availability = availability;
    after.salary_expectation = input.salary_expectation;
    after.source = source.flatten();
    after.version += 1;
    after.updated_at = deps.clock.now();
    super::save_versioned(deps, actor.who(), actor.org(), "application.update", ("application", id), &before, &after)
        .await?;
    staff_view(deps, &pipeline::load(deps, actor.org()).await?, after).await
}

/// Takes an application out of the organisation's pipeline (audited; its history stays).
pub async fn delete(deps: &Deps, actor: &Actor, id: &str, if_match: Option<u64>) -> AppResult<()> {
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let mv = Move { target: Target::Remove, note: None, reason_code: None };
    pipeline::apply_move(deps, &pipeline, actor.who(), &before, mv, "application.delete", &|_| {}).await?;
    Ok(())
}

/// `POST /api/applications/{id}/advance-stage`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdvanceInput {
    /// A later (or earlier) stage; default the next active one. Advancing from the last
    /// stage hires.
    #[schema(schema_with = opt_stage_schema)]
    pub to_stage: Option<String>,
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
}

fn opt_stage_schema() -> Object {
    let mut o = stage_id_schema();
    o.schema_type =
        utoipa::openapi::schema::SchemaType::from_iter([utoipa::openapi::Type::String, utoipa::openapi::Type::Null]);
    o
}

fn reason_code_schema() -> Object {
    choice_schema(REJECTION_REASONS)
}

/// `POST /api/applications/{id}/reject`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RejectInput {
    /// Why, as a code analytics can group (the candidate's email never says it).
    #[schema(schema_with = reason_code_schema)]
    pub reason_code: String,
    /// An internal note; never sent to the candidate.
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
}

/// `POST /api/pipeline/move-candidate`: any stage to any stage (a kanban drag).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MoveInput {
    #[schema(schema_with = crate::values::id_schema)]
    pub application_id: String,
    #[schema(schema_with = stage_id_schema)]
    pub to_stage: String,
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
}

fn parse_note(note: Option<&str>) -> AppResult<Option<String>> {
    NOTE.parse_opt("note", note).map_err(|e| AppError::Validation(vec![e]))
}

fn parse_reason_code(code: &str) -> AppResult<String> {
    REJECTION_REASONS
        .contains(&code)
        .then(|| code.to_owned())
        .ok_or_else(|| AppError::field("reasonCode", format!("must be one of {}", REJECTION_REASONS.join(", "))))
}

/// One move of one application, by staff.
pub async fn move_one(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    mv: Move,
    action: &str,
) -> AppResult<ApplicationView> {
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let after = pipeline::apply_move(deps, &pipeline, actor.who(), &before, mv, action, &|_| {}).await?;
    staff_view(deps, &pipeline, after).await
}

pub async fn advance(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    input: AdvanceInput,
) -> AppResult<ApplicationView> {
    let note = parse_note(input.note.as_deref())?;
    let target = match input.to_stage {
        Some(s) => Target::Stage(s),
        None => Target::Next,
    };
    move_one(deps, actor, id, if_match, Move { target, note, reason_code: None }, "application.advance").await
}

pub async fn reject(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    input: RejectInput,
) -> AppResult<ApplicationView> {
    let note = parse_note(input.note.as_deref())?;
    let code = parse_reason_code(&input.reason_code)?;
    let mv = Move { target: Target::Reject, note, reason_code: Some(code) };
    move_one(deps, actor, id, if_match, mv, "application.reject").await
}

pub async fn move_to(deps: &Deps, actor: &Actor, input: MoveInput) -> AppResult<ApplicationView> {
    let note = parse_note(input.note.as_deref())?;
    let id = input.application_id.trim();
    if JobId::parse(id).is_none() {
        return Err(AppError::NotFound("application"));
    }
    let mv = Move { target: Target::Stage(input.to_stage), note, reason_code: None };
    move_one(deps, actor, id, None, mv, "application.move").await
}

const REVEAL_REASON: TextRule = TextRule::new(10, 1000);

fn reveal_reason_schema() -> Object {
    REVEAL_REASON.schema()
}

/// `POST /api/applications/{id}/reveal`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevealInput {
    /// Why the identity is needed before the reveal stage (recorded, shown in the history).
    #[schema(schema_with = reveal_reason_schema)]
    pub reason: String,
}

/// Reveals who the candidate of one application is, before the reveal stage, with a reason:
/// recorded in the application, its history, the audit trail and the reveal statistics.
pub async fn reveal(deps: &Deps, actor: &Actor, id: &str, input: RevealInput) -> AppResult<ApplicationView> {
    let reason = REVEAL_REASON.parse("reason", &input.reason).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load_in_org(deps, actor.org(), id).await?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    if identity_visible(&pipeline, &before) {
        // Already visible (revealed, or at the reveal stage): nothing new is disclosed.
        return staff_view(deps, &pipeline, before).await;
    }
    let now = deps.clock.now();
    let mut after = before.clone();
    after.revealed = Some(Reveal { by: actor.user.id.clone(), reason: reason.clone(), at: now });
    after.version += 1;
    after.updated_at = now;
    let entry = HistoryEntry {
        id: deps.ids.new_id().to_string(),
        application_id: before.id.clone(),
        org_id: before.org_id.clone(),
        job_id: before.job_id.clone(),
        kind: HistoryKind::Reveal,
        stage: before.stage_id.clone(),
        entered_at: before.entered_stage_at(),
        at: now,
        duration_seconds: 0,
        to_stage: None,
        outcome: None,
        status: before.status,
        by: actor.user.id.to_string(),
        note: Some(reason),
        reason_code: None,
    };
    let extra = vec![entry.tx_put("history", Condition::NotExists)?, pipeline::reveal_stat(&before, now)];
    let target = ("application", before.id.as_str());
    super::save_versioned_with(deps, actor.who(), actor.org(), "application.reveal", target, &before, &after, extra)
        .await?;
    staff_view(deps, &pipeline, after).await
}

/// `POST /api/applications/{id}/hold`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldInput {
    /// Why it waits (internal, shown in the history; never sent to the candidate).
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
}

/// Puts an application on hold: it keeps its stage and status, its stage counter does not move,
/// and the history records an `on_hold` entry (who, when, the note, the time in the stage so
/// far). Closed applications and ones already on hold answer 409.
pub async fn hold(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    input: HoldInput,
) -> AppResult<ApplicationView> {
    let note = parse_note(input.note.as_deref())?;
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("this application is {} and cannot be put on hold", before.status.as_str()),
        ));
    }
    if before.on_hold.is_some() {
        return Err(AppError::conflict("already-on-hold", "this application is already on hold"));
    }
    let now = deps.clock.now();
    let mut after = before.clone();
    after.on_hold = Some(Hold { by: actor.user.id.clone(), note: note.clone(), since: now });
    let entered = before.entered_stage_at();
    let entry = hold_entry(deps, actor, &before, Outcome::OnHold, entered, now, note);
    save_hold(deps, actor, "application.hold", before, after, entry).await
}

/// Takes an application off hold: back in play in the same stage; the history records a
/// `resumed` entry with how long it was held. One not on hold is answered as it is.
pub async fn release_hold(deps: &Deps, actor: &Actor, id: &str, if_match: Option<u64>) -> AppResult<ApplicationView> {
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    let Some(hold) = before.on_hold.clone() else {
        // Already off hold: nothing to do (a repeated DELETE answers the same).
        let pipeline = pipeline::load(deps, actor.org()).await?;
        return staff_view(deps, &pipeline, before).await;
    };
    let now = deps.clock.now();
    let mut after = before.clone();
    after.on_hold = None;
    let entry = hold_entry(deps, actor, &before, Outcome::Resumed, hold.since, now, None);
    save_hold(deps, actor, "application.release_hold", before, after, entry).await
}

fn hold_entry(
    deps: &Deps,
    actor: &Actor,
    app: &Application,
    outcome: Outcome,
    from: time::OffsetDateTime,
    now: time::OffsetDateTime,
    note: Option<String>,
) -> HistoryEntry {
    HistoryEntry {
        id: deps.ids.new_id().to_string(),
        application_id: app.id.clone(),
        org_id: app.org_id.clone(),
        job_id: app.job_id.clone(),
        kind: HistoryKind::Hold,
        stage: app.stage_id.clone(),
        entered_at: from,
        at: now,
        duration_seconds: (now - from).whole_seconds().max(0),
        to_stage: None,
        outcome: Some(outcome),
        status: app.status,
        by: actor.user.id.to_string(),
        note,
        reason_code: None,
    }
}

async fn save_hold(
    deps: &Deps,
    actor: &Actor,
    action: &str,
    before: Application,
    mut after: Application,
    entry: HistoryEntry,
) -> AppResult<ApplicationView> {
    after.version += 1;
    after.updated_at = entry.at;
    let extra = vec![entry.tx_put("history", Condition::NotExists)?];
    let target = ("application", before.id.as_str());
    super::save_versioned_with(deps, actor.who(), actor.org(), action, target, &before, &after, extra).await?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    staff_view(deps, &pipeline, after).await
}

/// `GET /api/applications/{id}/history`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub application_id: String,
    /// Oldest first: every stage it left (entered, exited, duration, who, note, outcome) and
    /// every reveal.
    pub items: Vec<HistoryEntry>,
    /// Where it is now, since when.
    pub current_stage: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub current_since: time::OffsetDateTime,
    pub status: ApplicationStatus,
}

pub async fn history(deps: &Deps, actor: &Actor, id: &str) -> AppResult<History> {
    let app = load_in_org(deps, actor.org(), id).await?;
    let items = pipeline::history(deps, &app).await?;
    Ok(History {
        application_id: app.id.clone(),
        items,
        current_since: app.entered_stage_at(),
        current_stage: app.stage_id,
        status: app.status,
    })
}

/// The resume as a blind reviewer reads it: the anonymised text and profile the scorer read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlindResume {
    pub application_id: String,
    /// The resume text with names, contact details, links, dates, organisations and other
    /// identifiers replaced by `[category]` markers.
    pub text: String,
    pub skills: Vec<String>,
    pub total_experience_years: f64,
    /// What was redacted (categories and counts, never values).
    #[schema(value_type = Vec<Object>)]
    pub redactions: serde_json::Value,
    /// The original file's id, for download, once the identity is visible; null while blind.
    pub file_id: Option<String>,
}

pub async fn blind_resume(deps: &Deps, actor: &Actor, id: &str) -> AppResult<BlindResume> {
    let app = load_in_org(deps, actor.org(), id).await?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let Some(run) = app.processing.run_id.as_deref() else {
        return Err(AppError::conflict("no-resume", "this application has no resume yet"));
    };
    let stored: Option<crate::model::StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(&app.org_id, &app.id, "anonymized")).await?;
    let Some(body) = stored.filter(|r| r.run_id == run).map(|r| r.body) else {
        return Err(AppError::conflict("not-ready", "the resume has not been anonymised yet"));
    };
    Ok(BlindResume {
        application_id: app.id.clone(),
        text: body["text"].as_str().unwrap_or_default().to_owned(),
        skills: serde_json::from_value(body["skills"].clone()).unwrap_or_default(),
        total_experience_years: body["total_experience_years"].as_f64().unwrap_or(0.0),
        redactions: body["redactions"].clone(),
        file_id: identity_visible(&pipeline, &app).then(|| app.resume.as_ref().map(|r| r.file_id.clone())).flatten(),
    })
}

/// Whether staff may download the original file of an application (it carries the identity).
pub async fn original_file_visible(deps: &Deps, actor: &Actor, application_id: &str) -> AppResult<bool> {
    let app = load_in_org(deps, actor.org(), application_id).await?;
    Ok(identity_visible(&pipeline::load(deps, actor.org()).await?, &app))
}

pub const MAX_BULK: usize = 100;
const SUBJECT: TextRule = TextRule::new(1, 200);
const BODY: TextRule = TextRule::new(1, 5000);

fn subject_schema() -> Object {
    SUBJECT.schema()
}
fn body_schema() -> Object {
    BODY.schema()
}
fn bulk_action_schema() -> Object {
    choice_schema(["advance", "reject", "move", "email"])
}
fn application_ids_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::values::id_schema())
        .min_items(Some(1))
        .max_items(Some(MAX_BULK))
        .build()
}

fn opt_reason_code_schema() -> Object {
    opt_choice_schema(REJECTION_REASONS)
}

/// A message to candidates (bulk `email`): plain words from staff, sent as they are.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkMessage {
    #[schema(schema_with = subject_schema)]
    pub subject: String,
    #[schema(schema_with = body_schema)]
    pub body: String,
}

/// `POST /api/applications/bulk-action`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkInput {
    /// `advance` (to the next stage, or `toStage`), `reject` (`reasonCode`), `move` (`toStage`)
    /// or `email` (`message`).
    #[schema(schema_with = bulk_action_schema)]
    pub action: String,
    /// 1 to 100 application ids; each is done or refused on its own, never half-done.
    #[schema(schema_with = application_ids_schema)]
    pub application_ids: Vec<String>,
    #[schema(schema_with = opt_stage_schema)]
    pub to_stage: Option<String>,
    #[schema(schema_with = opt_reason_code_schema)]
    pub reason_code: Option<String>,
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
    pub message: Option<BulkMessage>,
}

/// What happened to one application of a bulk action.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkItem {
    pub application_id: String,
    /// `done` or `refused`.
    pub result: String,
    /// Why it was refused (the problem type's slug and its detail).
    pub problem: Option<String>,
    pub reason: Option<String>,
    /// The application afterwards (blind like every staff view), when done.
    pub application: Option<ApplicationView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    pub action: String,
    pub done: usize,
    pub refused: usize,
    pub items: Vec<BulkItem>,
}

/// A refused item's problem type and its detail, in words.
fn refusal(e: &AppError) -> (String, String) {
    let detail = match e {
        AppError::Validation(errors) => {
            errors.iter().map(|f| format!("{} {}", f.field, f.reason)).collect::<Vec<_>>().join("; ")
        }
        AppError::Conflict { detail, .. } => detail.clone(),
        other => other.to_string(),
    };
    (e.slug().to_owned(), detail)
}

/// Applies one action to up to 100 applications, each on its own transaction, with a result
/// per item. The whole answer is replayed for a retry with the same `Idempotency-Key`.
pub async fn bulk(deps: &Deps, actor: &Actor, input: BulkInput) -> AppResult<BulkResult> {
    let mut c = crate::values::Checks::default();
    if input.application_ids.is_empty() || input.application_ids.len() > MAX_BULK {
        c.push("applicationIds", format!("must hold 1 to {MAX_BULK} ids"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, id) in input.application_ids.iter().enumerate() {
        if JobId::parse(id.trim()).is_none() {
            c.push(format!("applicationIds[{i}]"), "is not an application id");
        } else if !seen.insert(id.trim()) {
            c.push(format!("applicationIds[{i}]"), "appears twice");
        }
    }
    let note = c.take(NOTE.parse_opt("note", input.note.as_deref())).flatten();
    let action = input.action.as_str();
    match action {
        "advance" => {}
        "move" if input.to_stage.is_none() => c.push("toStage", "is required to move"),
        "move" => {}
        "reject" => match input.reason_code.as_deref() {
            None => c.push("reasonCode", "is required to reject"),
            Some(code) if !REJECTION_REASONS.contains(&code) => {
                c.push("reasonCode", format!("must be one of {}", REJECTION_REASONS.join(", ")))
            }
            Some(_) => {}
        },
        "email" => match &input.message {
            None => c.push("message", "is required to email"),
            Some(m) => {
                c.take(SUBJECT.parse("message.subject", &m.subject));
                c.take(BODY.parse("message.body", &m.body));
            }
        },
        _ => c.push("action", "must be advance, reject, move or email"),
    }
    c.finish()?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let mut items = Vec::new();
    for id in input.application_ids.iter().map(|s| s.trim().to_owned()) {
        let id = &id;
        let outcome = bulk_one(deps, actor, &pipeline, id, action, &input, note.clone()).await;
        items.push(match outcome {
            Ok(view) => BulkItem {
                application_id: id.clone(),
                result: "done".into(),
                problem: None,
                reason: None,
                application: Some(view),
            },
            // A dependency failing stops the batch: what was done stays done, and a retry with
            // the same Idempotency-Key is not replayed (errors are not stored), so it resumes.
            Err(AppError::Unavailable(m)) => return Err(AppError::Unavailable(m)),
            Err(AppError::Internal(m)) => return Err(AppError::Internal(m)),
            Err(e) => {
                let (slug, detail) = refusal(&e);
                BulkItem {
                    application_id: id.clone(),
                    result: "refused".into(),
                    problem: Some(slug),
                    reason: Some(detail),
                    application: None,
                }
            }
        });
    }
    let done = items.iter().filter(|i| i.result == "done").count();
    Ok(BulkResult { action: input.action.clone(), done, refused: items.len() - done, items })
}

async fn bulk_one(
    deps: &Deps,
    actor: &Actor,
    pipeline: &Pipeline,
    id: &str,
    action: &str,
    input: &BulkInput,
    note: Option<String>,
) -> AppResult<ApplicationView> {
    if JobId::parse(id).is_none() {
        return Err(AppError::NotFound("application"));
    }
    let before = load_in_org(deps, actor.org(), id).await?;
    let target = match action {
        "advance" => input.to_stage.clone().map_or(Target::Next, Target::Stage),
        "move" => Target::Stage(input.to_stage.clone().unwrap_or_default()),
        "reject" => Target::Reject,
        _ => {
            let m = input.message.as_ref().ok_or_else(|| AppError::field("message", "is required"))?;
            if before.status == ApplicationStatus::Withdrawn {
                return Err(AppError::conflict("application-closed", "the candidate withdrew this application"));
            }
            deps.events
                .publish(&message_event(deps, actor, &before, m))
                .await
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            return staff_view(deps, pipeline, before).await;
        }
    };
    let reason_code = (target == Target::Reject).then(|| input.reason_code.clone().unwrap_or_else(|| "other".into()));
    let mv = Move { target, note, reason_code };
    let after =
        pipeline::apply_move(deps, pipeline, actor.who(), &before, mv, &format!("application.bulk_{action}"), &|_| {})
            .await?;
    staff_view(deps, pipeline, after).await
}

fn message_event(deps: &Deps, actor: &Actor, app: &Application, m: &BulkMessage) -> DomainEvent {
    DomainEvent {
        id: deps.ids.new_id().to_string(),
        kind: "application.message".into(),
        org_id: app.org_id.to_string(),
        subject_id: app.id.clone(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({
            "candidateId": app.candidate_id,
            "jobTitle": app.job_title,
            "subject": m.subject.trim(),
            "body": m.body.trim(),
            "sentBy": actor.user.id,
        }),
        correlation_id: None,
    }
}

/// `POST /api/employers/{id}/select-candidate` (the seed's route).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectInput {
    #[schema(schema_with = crate::values::id_schema)]
    pub candidate_id: String,
    #[schema(schema_with = crate::values::id_schema)]
    pub job_id: String,
    /// The score the reviewer saw when selecting (recorded in the note; the AI score itself is
    /// never overwritten).
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<f64>,
}

/// Selects a candidate's application to a job for interview: moves it to the first interview
/// stage after where it is (the candidate is told by email). Unknown candidate or job: 404.
pub async fn select_for_interview(deps: &Deps, actor: &Actor, input: SelectInput) -> AppResult<ApplicationView> {
    let job = JobId::parse(input.job_id.trim()).ok_or(AppError::NotFound("job"))?;
    let candidate = UserId::parse(input.candidate_id.trim()).ok_or(AppError::NotFound("candidate"))?;
    if let Some(s) = input.score
        && !(0.0..=100.0).contains(&s)
    {
        return Err(AppError::field("score", "must be 0 to 100"));
    }
    record::get::<crate::model::Job>(deps.store.as_ref(), &keys::job(actor.org(), &job))
        .await?
        .ok_or(AppError::NotFound("job"))?;
    let marker: Option<Item> = deps.store.get(&keys::applied_marker(actor.org(), &job, &candidate)).await?;
    let app_id = marker
        .and_then(|m| m.data["applicationId"].as_str().map(str::to_owned))
        .ok_or(AppError::NotFound("candidate"))?;
    let before = load_in_org(deps, actor.org(), &app_id).await?;
    let pipeline = pipeline::load(deps, actor.org()).await?;
    let from = pipeline.position(&before.stage_id).unwrap_or(0);
    let interview = pipeline
        .stages
        .iter()
        .enumerate()
        .find(|(i, s)| *i > from && s.active && s.kind == crate::model::pipeline::StageType::Interview)
        .map(|(_, s)| s.id.clone());
    let Some(to) = interview else {
        return Err(AppError::conflict(
            "no-interview-stage",
            "the application is past the pipeline's last interview stage (or the pipeline has none)",
        ));
    };
    let note = input.score.map(|s| format!("selected for interview at score {s}"));
    move_one(
        deps,
        actor,
        &app_id,
        None,
        Move { target: Target::Stage(to), note, reason_code: None },
        "application.select",
    )
    .await
}

/// Applications to the organisation's jobs (staff see their own tenant's only).
pub async fn for_org(
    deps: &Deps,
    actor: &Actor,
    org: &str,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<ApplicationView>> {
    actor.own_org(org)?;
    list(deps, actor, &Filters::default(), limit, after).await
}

pub use super::talent::CandidateView;
