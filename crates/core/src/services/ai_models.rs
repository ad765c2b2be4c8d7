//! The AI models an organisation uses (backend scope `ai_models`), and the one way to change the
//! scoring model: a **shadow run** first. The candidate version scores the same applications as
//! the active one without effect (nothing is stored on the applications, nobody is mailed), the
//! comparison (agreement between the versions, score shifts, LL144 impact ratios under each, the
//! counterfactual checks under each) is shown, and only then may an admin activate it, naming
//! the shadow run they read. Activation is audited; the chain's score and bias consumers read
//! the organisation's active version for every run after it.
//!
//! The shadow run itself is computed by the `model-shadow-run` consumer
//! (`clearview_chain::models`), so a large comparison never holds a request open.

use super::analytics::{self, AiFigures, ConfusionMatrix};
use super::{Actor, Change, Listed, audit_write};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Job;
use crate::ports::Deps;
use crate::ports::queue::{WorkMessage, WorkQueue};
use crate::ports::store::{Condition, PageToken, Query, TxWrite};
use crate::record::{self, Record};
use crate::values::{Checks, JobId, OrgId, UserId};
use clearview_screening::bias::audit::AuditReport;
use clearview_screening::models::{SCORING_MODELS, ScoringModel, default_scoring_model, scoring_model};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub const MODEL_TYPES: [&str; 4] = ["resume_parsing", "candidate_scoring", "bias_detection", "text_analysis"];
/// The one model type with selectable versions.
pub const SCORING: &str = "candidate_scoring";
/// The shadow runs' work queue (read by the `model-shadow-run` consumer).
pub const QUEUE: WorkQueue = WorkQueue::named("model-shadow-runs");
/// Jobs one shadow run compares.
pub const MAX_JOBS: usize = 20;
/// Applications one shadow run scores (the most recent of each job first, in job order).
pub const MAX_APPLICATIONS: usize = 500;
/// A shadow run older than this no longer allows activation: run it again on today's data.
pub const SHADOW_RUN_VALID_DAYS: i64 = 30;
/// Who made the built-in models.
pub const PROVIDER: &str = "ClearView (built in, deterministic, runs inside the consumers)";

/// The version an organisation uses for a model type, when an admin switched it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiveModel {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub model_type: String,
    pub model_version: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub activated_at: OffsetDateTime,
    #[schema(value_type = String)]
    pub activated_by: UserId,
    /// The shadow run the admin read before switching.
    pub shadow_run_id: String,
    pub version: u64,
}

impl Record for ActiveModel {
    const ENTITY: &'static str = "ActiveModel";
    fn key(&self) -> crate::ports::store::Key {
        keys::active_model(&self.org_id, &self.model_type)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// The scoring model version the organisation's chain uses now.
pub async fn active_scoring_model(deps: &Deps, org: &OrgId) -> AppResult<&'static ScoringModel> {
    let active: Option<ActiveModel> = record::get(deps.store.as_ref(), &keys::active_model(org, SCORING)).await?;
    Ok(match active {
        Some(a) => scoring_model(&a.model_version).unwrap_or_else(|| {
            tracing::warn!(version = %a.model_version, "active scoring model is not released here; using the default");
            default_scoring_model()
        }),
        None => default_scoring_model(),
    })
}

// ------------------------------------------------------------------ the list

/// One model (a type and version).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiModel {
    /// `resume_parsing`, `candidate_scoring`, `bias_detection` or `text_analysis`.
    pub model_type: String,
    pub version: String,
    pub provider: String,
    pub summary: String,
    /// Its parameters, as the code runs them.
    #[schema(value_type = Object)]
    pub configuration: serde_json::Value,
    /// In use by this organisation.
    pub active: bool,
    /// Release day (`YYYY-MM-DD`), for versioned models.
    pub released: Option<String>,
    /// The tool against people's decisions for scores made by this version, over `from`..`to`
    /// (scoring model versions only).
    pub performance: Option<AiFigures>,
    /// When this organisation switched to it (the active scoring version, once switched).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub activated_at: Option<OffsetDateTime>,
}

/// `GET /api/ai-models`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiModels {
    /// The range of the performance figures (the last 90 days).
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// By type, then version.
    pub models: Vec<AiModel>,
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

pub async fn list(deps: &Deps, actor: &Actor) -> AppResult<AiModels> {
    let org = actor.org();
    let to = deps.clock.now().date();
    let from = to - time::Duration::days(90);
    let per_job = analytics::tallies(deps, org, from, to).await?;
    let total = analytics::total(&per_job);
    let active: Option<ActiveModel> = record::get(deps.store.as_ref(), &keys::active_model(org, SCORING)).await?;
    let active_version =
        active.as_ref().map(|a| a.model_version.as_str()).unwrap_or(clearview_screening::MODEL_VERSION);
    let mut models = vec![AiModel {
        model_type: "resume_parsing".into(),
        version: clearview_screening::PARSER_VERSION.into(),
        provider: PROVIDER.into(),
        summary: "Text extraction from PDF, DOCX and plain text, then sections, contact details, experience, \
                  education, skills (against the skills taxonomy) and languages."
            .into(),
        configuration: serde_json::json!({
            "maxResumeBytes": clearview_screening::MAX_RESUME_BYTES,
            "formats": crate::services::applications::RESUME_CONTENT_TYPES,
            "taxonomySkills": clearview_screening::Taxonomy::global().len(),
        }),
        active: true,
        released: None,
        performance: None,
        activated_at: None,
    }];
    for m in SCORING_MODELS {
        let is_active = m.version == active_version;
        models.push(AiModel {
            model_type: SCORING.into(),
            version: m.version.into(),
            provider: PROVIDER.into(),
            summary: m.summary.into(),
            configuration: json(&m.params),
            active: is_active,
            released: Some(m.released.into()),
            performance: Some(analytics::ai_figures(&total, Some(m.version))),
            activated_at: if is_active { active.as_ref().map(|a| a.activated_at) } else { None },
        });
    }
    models.push(AiModel {
        model_type: "bias_detection".into(),
        version: clearview_screening::bias::BIAS_VERSION.into(),
        provider: PROVIDER.into(),
        summary: "Counterfactual re-scoring with names, pronouns and age markers swapped (the score must not \
                  move), and the NYC Local Law 144 cohort audit: selection and scoring rates, impact ratios \
                  by sex, race/ethnicity and their intersection, with the EEOC four-fifths flag."
            .into(),
        configuration: serde_json::json!({
            "audit": clearview_screening::bias::audit::AuditOptions::default(),
            "minimumPublicCellCount": clearview_screening::bias::audit::MIN_CELL_COUNT,
        }),
        active: true,
        released: None,
        performance: None,
        activated_at: None,
    });
    models.push(AiModel {
        model_type: "text_analysis".into(),
        version: clearview_screening::bias::TEXT_VERSION.into(),
        provider: PROVIDER.into(),
        summary: "Anonymisation of resumes for blind review and scoring (names, contact details, links, \
                  pronouns, age and other protected markers redacted), and the job ad's coded-language check."
            .into(),
        configuration: serde_json::json!({
            "redactionCategories": clearview_screening::RedactionCategory::ALL,
        }),
        active: true,
        released: None,
        performance: None,
        activated_at: None,
    });
    Ok(AiModels { from: from.to_string(), to: to.to_string(), models })
}

// ------------------------------------------------------------------ shadow runs

/// The released scoring versions.
fn scoring_version_schema() -> utoipa::openapi::schema::Object {
    crate::values::choice_schema(SCORING_MODELS.iter().map(|m| m.version))
}

fn job_ids_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(crate::values::id_schema())
        .min_items(Some(1))
        .max_items(Some(MAX_JOBS))
        .build()
}

/// `POST /api/ai-models/shadow-runs`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShadowRunInput {
    /// The version to try (a released `candidate_scoring` version other than the active one:
    /// the version in use is refused on this field).
    #[schema(schema_with = scoring_version_schema)]
    pub candidate_version: String,
    /// The jobs whose applications it scores (1–20, the organisation's).
    #[schema(schema_with = job_ids_schema)]
    pub job_ids: Vec<String>,
}

/// How scores moved from the active version to the candidate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoreShift {
    /// Mean of candidate − active overall score.
    pub mean: Option<f64>,
    pub mean_absolute: Option<f64>,
    pub max_absolute: u8,
    pub raised: u64,
    pub lowered: u64,
    pub unchanged: u64,
    /// Applications by shift band (`-100..-20`, `-19..-10`, `-9..-1`, `0`, `1..9`, `10..19`, `20..100`).
    pub bands: BTreeMap<String, u64>,
}

/// One LL144 category whose impact ratio falls below four-fifths under the candidate version but
/// not under the active one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewFourFifthsFlag {
    /// `sex`, `race_ethnicity` or `intersectional`.
    pub dimension: String,
    pub category: String,
    pub active_selection_impact_ratio: Option<f64>,
    pub candidate_selection_impact_ratio: Option<f64>,
}

/// What the shadow run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShadowComparison {
    /// Applications scored by both versions.
    pub applications: u64,
    /// Applications left out: no anonymised profile yet, or review without the tool asked for.
    pub skipped: u64,
    /// More than the run's limit were there; the first ones (by job, newest first) were compared.
    pub truncated: bool,
    /// Rows: the active version's recommendation; columns: the candidate's.
    pub recommendations: ConfusionMatrix,
    /// Share of applications given the same recommendation by both.
    pub agreement_rate: Option<f64>,
    pub cohens_kappa: Option<f64>,
    pub score_shift: ScoreShift,
    /// LL144 figures with "selected" = recommended to advance, under each version (exact figures;
    /// small cells withheld from readers without audit:read).
    pub active_audit: AuditReport,
    pub candidate_audit: AuditReport,
    pub new_four_fifths_flags: Vec<NewFourFifthsFlag>,
    /// Applications whose counterfactual check (names, pronouns, age markers swapped) moved the
    /// score, under each version.
    pub active_counterfactual_flagged: u64,
    pub candidate_counterfactual_flagged: u64,
}

/// A shadow run and, once completed, its comparison.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShadowRun {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub model_type: String,
    /// The version in use when the run was asked for.
    pub active_version: String,
    pub candidate_version: String,
    pub job_ids: Vec<String>,
    /// `processing`, `completed` or `failed`.
    pub status: String,
    pub error: Option<String>,
    #[schema(value_type = String)]
    pub requested_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<OffsetDateTime>,
    pub comparison: Option<ShadowComparison>,
    pub version: u64,
}

impl Record for ShadowRun {
    const ENTITY: &'static str = "ShadowRun";
    fn key(&self) -> crate::ports::store::Key {
        keys::shadow_run(&self.org_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl ShadowRun {
    /// Small LL144 cells withheld for a reader without audit:read.
    fn for_reader(mut self, actor: &Actor) -> ShadowRun {
        if !actor.can(crate::rbac::Permission::AuditRead)
            && let Some(c) = self.comparison.as_mut()
        {
            let min = clearview_screening::bias::audit::MIN_CELL_COUNT;
            c.active_audit = c.active_audit.clone().suppress_small_cells(min);
            c.candidate_audit = c.candidate_audit.clone().suppress_small_cells(min);
        }
        self
    }
}

pub async fn start_shadow_run(deps: &Deps, actor: &Actor, input: ShadowRunInput) -> AppResult<ShadowRun> {
    let org = actor.org();
    let active = active_scoring_model(deps, org).await?;
    let mut c = Checks::default();
    let wanted = input.candidate_version.trim();
    match scoring_model(wanted) {
        None => c.push(
            "candidateVersion",
            format!(
                "is not a released scoring version ({})",
                SCORING_MODELS.iter().map(|m| m.version).collect::<Vec<_>>().join(", ")
            ),
        ),
        Some(m) if m.version == active.version => c.push("candidateVersion", "is the version in use already"),
        Some(_) => {}
    }
    if input.job_ids.is_empty() || input.job_ids.len() > MAX_JOBS {
        c.push("jobIds", format!("name 1 to {MAX_JOBS} jobs"));
    }
    let mut jobs: Vec<JobId> = Vec::new();
    for (i, j) in input.job_ids.iter().enumerate().take(MAX_JOBS) {
        match JobId::parse(j.trim()) {
            Some(j) if jobs.contains(&j) => c.push(format!("jobIds[{i}]"), "appears twice"),
            Some(j) => jobs.push(j),
            None => c.push(format!("jobIds[{i}]"), "is not a job id"),
        }
    }
    c.finish()?;
    for j in &jobs {
        record::get::<Job>(deps.store.as_ref(), &keys::job(org, j)).await?.ok_or(AppError::NotFound("job"))?;
    }
    let run = ShadowRun {
        id: deps.ids.new_id().to_string(),
        org_id: org.clone(),
        model_type: SCORING.into(),
        active_version: active.version.into(),
        candidate_version: wanted.into(),
        job_ids: jobs.iter().map(ToString::to_string).collect(),
        status: "processing".into(),
        error: None,
        requested_by: actor.user.id.clone(),
        created_at: deps.clock.now(),
        completed_at: None,
        comparison: None,
        version: 1,
    };
    deps.store.put(run.to_item()?, Condition::NotExists).await?;
    let message = WorkMessage {
        id: format!("shadow-run:{}", run.id),
        kind: "shadow-run-requested".into(),
        body: serde_json::json!({"orgId": run.org_id, "runId": run.id}),
    };
    if let Err(e) = deps.queues.send(QUEUE, &message).await {
        // Nothing will compute it: take it back rather than leave it processing for ever.
        let _ = deps.store.delete(&run.key(), Condition::VersionIs(1)).await;
        return Err(AppError::Unavailable(e.to_string()));
    }
    Ok(run)
}

pub async fn get_shadow_run(deps: &Deps, actor: &Actor, id: &str) -> AppResult<ShadowRun> {
    Ok(load_run(deps, actor.org(), id).await?.for_reader(actor))
}

pub async fn load_run(deps: &Deps, org: &OrgId, id: &str) -> AppResult<ShadowRun> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("shadow run"));
    }
    record::get(deps.store.as_ref(), &keys::shadow_run(org, id)).await?.ok_or(AppError::NotFound("shadow run"))
}

pub async fn list_shadow_runs(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<ShadowRun>> {
    let q =
        Query::table(keys::org_pk(actor.org())).prefix(keys::SHADOW_RUN_PREFIX).limit(limit).after(after).descending();
    let (items, page) = record::query::<ShadowRun>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items: items.into_iter().map(|r| r.for_reader(actor)).collect(), next: page.next })
}

/// Stores a shadow run's outcome (the consumer's last step). A run no longer processing is left
/// as it is (a redelivery after completion).
pub async fn finish_shadow_run(
    deps: &Deps,
    mut run: ShadowRun,
    outcome: Result<ShadowComparison, String>,
) -> AppResult<ShadowRun> {
    if run.status != "processing" {
        return Ok(run);
    }
    let read = run.version;
    match outcome {
        Ok(c) => {
            run.status = "completed".into();
            run.comparison = Some(c);
        }
        Err(e) => {
            run.status = "failed".into();
            run.error = Some(e);
        }
    }
    run.completed_at = Some(deps.clock.now());
    run.version += 1;
    deps.store.put(run.to_item()?, Condition::VersionIs(read)).await.map_err(super::lost_update(read))?;
    Ok(run)
}

// ------------------------------------------------------------------ activation

/// `POST /api/ai-models/activate`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivateInput {
    /// The scoring version to use from now on.
    #[schema(schema_with = scoring_version_schema)]
    pub version: String,
    /// The completed shadow run of that version the admin read (at most 30 days old, against
    /// the version in use; a run of another version is refused on this field).
    #[schema(schema_with = crate::values::id_schema)]
    pub shadow_run_id: String,
    /// Required (true) when the shadow run found a category newly below four-fifths: the admin
    /// confirms they read it.
    #[serde(default)]
    pub acknowledge_four_fifths: bool,
}

pub async fn activate(deps: &Deps, actor: &Actor, input: ActivateInput) -> AppResult<ActiveModel> {
    let org = actor.org();
    let version = input.version.trim();
    let Some(model) = scoring_model(version) else {
        return Err(AppError::field("version", "is not a released scoring version"));
    };
    if uuid::Uuid::parse_str(input.shadow_run_id.trim()).is_err() {
        return Err(AppError::field("shadowRunId", "is not a shadow run id"));
    }
    let run = load_run(deps, org, input.shadow_run_id.trim()).await?;
    if run.candidate_version != model.version {
        return Err(AppError::field(
            "shadowRunId",
            format!("is a shadow run of {}, not {version}", run.candidate_version),
        ));
    }
    if run.status != "completed" {
        return Err(AppError::conflict(
            "shadow-run-not-completed",
            format!("the shadow run is {}: activate once it has completed and you have read it", run.status),
        ));
    }
    let completed = run.completed_at.unwrap_or(run.created_at);
    if deps.clock.now() - completed > time::Duration::days(SHADOW_RUN_VALID_DAYS) {
        return Err(AppError::conflict(
            "shadow-run-stale",
            format!(
                "the shadow run is more than {SHADOW_RUN_VALID_DAYS} days old: run it again on today's applications"
            ),
        ));
    }
    let current: Option<ActiveModel> = record::get(deps.store.as_ref(), &keys::active_model(org, SCORING)).await?;
    let current_version =
        current.as_ref().map(|a| a.model_version.clone()).unwrap_or_else(|| default_scoring_model().version.to_owned());
    if current_version == model.version {
        return Err(AppError::conflict("model-already-active", format!("{version} is in use already")));
    }
    if run.active_version != current_version {
        return Err(AppError::conflict(
            "shadow-run-outdated",
            format!(
                "the shadow run compared with {}, but {current_version} is in use now: run it again",
                run.active_version
            ),
        ));
    }
    let flags = run.comparison.as_ref().map(|c| c.new_four_fifths_flags.len()).unwrap_or(0);
    if flags > 0 && !input.acknowledge_four_fifths {
        return Err(AppError::field(
            "acknowledgeFourFifths",
            format!(
                "must be true: the shadow run found {flags} categories newly below the four-fifths threshold; \
                 read them before switching"
            ),
        ));
    }
    let next = ActiveModel {
        org_id: org.clone(),
        model_type: SCORING.into(),
        model_version: model.version.into(),
        activated_at: deps.clock.now(),
        activated_by: actor.user.id.clone(),
        shadow_run_id: run.id.clone(),
        version: current.as_ref().map(|c| c.version + 1).unwrap_or(1),
    };
    let condition = match &current {
        Some(c) => Condition::VersionIs(c.version),
        None => Condition::NotExists,
    };
    let audit = audit_write(
        deps,
        actor.who(),
        org,
        Change {
            action: "ai_model.activated",
            target_type: "ai_model",
            target_id: SCORING,
            before: Some(serde_json::json!({"modelVersion": current_version})),
            after: Some(serde_json::json!({
                "modelVersion": next.model_version,
                "shadowRunId": next.shadow_run_id,
                "newFourFifthsFlags": flags,
            })),
        },
    )?;
    deps.store
        .transact(vec![TxWrite::put("model", next.to_item()?, condition), audit])
        .await
        .map_err(super::lost_update(current.map(|c| c.version).unwrap_or(0)))?;
    Ok(next)
}
