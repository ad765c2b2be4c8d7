//! The five queue consumers. Each reads the application, checks the message belongs to the
//! application's current run (older runs are ignored), skips work whose result is already
//! stored (so a redelivery changes nothing twice) but still passes the baton on, and answers
//! `Retry` for transient faults and `Poison` for messages that can never succeed.

use crate::criteria::scoring_criteria;
use crate::email;
use crate::scan::Refusal;
use clearview_core::error::AppError;
use clearview_core::keys;
use clearview_core::model::application::ChainStep;
use clearview_core::model::{Application, FileRecord, Job, Stage, StageResult};
use clearview_core::ports::Deps;
use clearview_core::ports::blobs::BlobError;
use clearview_core::ports::queue::{Consumer, DomainEvent, ObjectCreated, Outcome, WorkMessage, WorkQueue};
use clearview_core::ports::store::{Condition, StoreError};
use clearview_core::record::{self, Record};
use clearview_core::services::parsed_resume::{ReadError, read_resume};
use clearview_core::services::{Change, Who, audit_write, snapshot};
use clearview_core::values::OrgId;
use clearview_screening::bias::BiasCheck;
use clearview_screening::{AnonymizedProfile, ParseFailure, ParsedResume, ScoringCriteria};
use std::sync::Arc;

type Step<T> = Result<T, Outcome>;

fn retry(what: &str) -> impl Fn(&dyn std::fmt::Display) -> Outcome + '_ {
    move |e| Outcome::Retry(format!("{what}: {e}"))
}

fn store_retry(what: &'static str) -> impl Fn(StoreError) -> Outcome {
    move |e| Outcome::Retry(format!("{what}: {e}"))
}

fn finish(result: Step<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(o) => o,
    }
}

/// The queue consumers of the asynchronous-work table, in table order.
pub fn all(deps: &Deps) -> Vec<Arc<dyn Consumer>> {
    crate::table::queue_consumers(deps).into_iter().map(|(_, c)| c).collect()
}

async fn load_app(deps: &Deps, org: &OrgId, id: &str) -> Step<Application> {
    match record::get::<Application>(deps.store.as_ref(), &keys::application(org, id)).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(Outcome::Poison(format!("application {id} does not exist"))),
        Err(e) => Err(Outcome::Retry(format!("reading application {id}: {e}"))),
    }
}

async fn stage_result(deps: &Deps, app: &Application, stage: &str) -> Step<Option<StageResult>> {
    record::get::<StageResult>(deps.store.as_ref(), &keys::stage_result(&app.org_id, &app.id, stage))
        .await
        .map_err(store_retry("reading a stage result"))
}

/// Stores a stage's output and moves the application to `stage`, in one transaction; a
/// concurrent change to the application makes the message come back later.
async fn record_stage(
    deps: &Deps,
    app: &Application,
    stage_name: &str,
    stage: Stage,
    run_id: &str,
    body: serde_json::Value,
    audit: Option<&str>,
) -> Step<Application> {
    let now = deps.clock.now();
    let result = StageResult {
        application_id: app.id.clone(),
        org_id: app.org_id.clone(),
        stage: stage_name.to_owned(),
        run_id: run_id.to_owned(),
        produced_by: match stage_name {
            "score" | "bias" => clearview_screening::MODEL_VERSION.to_owned(),
            _ => clearview_screening::PARSER_VERSION.to_owned(),
        },
        body,
        at: now,
    };
    let mut after = app.clone();
    after.processing.stage = stage;
    after.processing.reason = None;
    after.processing.failure_code = None;
    after.processing.updated_at = now;
    after.version += 1;
    after.updated_at = now;
    if stage_name == "score" {
        after.ai = result.body["overall"].as_u64().map(|score| clearview_core::model::application::AiSummary {
            score: u8::try_from(score).unwrap_or(100),
            recommendation: result.body["recommendation"].as_str().unwrap_or("review").to_owned(),
            required_missing: result.body["explanation"]["skills"]["requiredMissing"]
                .as_array()
                .map_or(0, |a| u32::try_from(a.len()).unwrap_or(u32::MAX)),
        });
    }
    let to_outcome = |e: StoreError| Outcome::Retry(format!("recording {stage_name}: {e}"));
    let mut writes = vec![
        result.tx_put(stage_name, Condition::None).map_err(to_outcome)?,
        after.tx_put("application-version", Condition::VersionIs(app.version)).map_err(to_outcome)?,
    ];
    if let Some(action) = audit {
        let change = Change {
            action,
            target_type: "application",
            target_id: &app.id,
            before: None,
            after: snapshot(&result.body).ok(),
        };
        writes.push(
            audit_write(deps, Who { id: "system", email: None }, &app.org_id, change)
                .map_err(|e| Outcome::Retry(e.to_string()))?,
        );
    }
    deps.store.transact(writes).await.map_err(to_outcome)?;
    Ok(after)
}

async fn send_step(deps: &Deps, queue: WorkQueue, app: &Application, run_id: &str) -> Step<()> {
    let step = ChainStep { org_id: app.org_id.to_string(), application_id: app.id.clone(), run_id: run_id.to_owned() };
    deps.queues.send(queue, &step.message(queue)).await.map_err(|e| retry("passing on to the next stage")(&e))
}

fn decode<T: serde::de::DeserializeOwned>(m: &WorkMessage) -> Step<T> {
    serde_json::from_value(m.body.clone()).map_err(|e| Outcome::Poison(format!("unreadable {} message: {e}", m.kind)))
}

async fn load_job(deps: &Deps, app: &Application) -> Step<Job> {
    match record::get::<Job>(deps.store.as_ref(), &keys::job(&app.org_id, &app.job_id)).await {
        Ok(Some(j)) => Ok(j),
        Ok(None) => Err(Outcome::Poison(format!("job {} of application {} is gone", app.job_id, app.id))),
        Err(e) => Err(Outcome::Retry(format!("reading the job: {e}"))),
    }
}

// ---------------------------------------------------------------- parse

/// Fetches the uploaded resume, checks it, extracts and structures its text.
pub struct ParseConsumer(pub Deps);

impl ParseConsumer {
    fn failure_event(&self, app: &Application, run_id: &str, failure: &Refusal) -> DomainEvent {
        DomainEvent {
            id: format!("application.parse_failed:{}:{run_id}", app.id),
            kind: "application.parse_failed".into(),
            org_id: app.org_id.to_string(),
            subject_id: app.id.clone(),
            occurred_at: self.0.clock.now(),
            data: serde_json::json!({
                "candidateId": app.candidate_id,
                "jobTitle": app.job_title,
                "code": failure.code,
                "candidateMessage": failure.candidate_message,
            }),
            correlation_id: Some(run_id.to_owned()),
        }
    }

    /// Marks the application failed with a reason a recruiter can read, and tells the candidate.
    /// A refusal with an audit body (an infected upload: its signature) is audited in the same
    /// transaction.
    async fn fail(&self, app: &Application, run_id: &str, failure: impl Into<Refusal>) -> Step<()> {
        let deps = &self.0;
        let failure: Refusal = failure.into();
        if !(app.processing.stage == Stage::Failed && app.processing.run_id.as_deref() == Some(run_id)) {
            let mut after = app.clone();
            after.processing.stage = Stage::Failed;
            after.processing.reason = Some(failure.recruiter_message.clone());
            after.processing.failure_code = Some(failure.code.to_owned());
            after.processing.updated_at = deps.clock.now();
            after.version += 1;
            after.updated_at = after.processing.updated_at;
            let mut writes = vec![
                after
                    .tx_put("application-version", Condition::VersionIs(app.version))
                    .map_err(store_retry("recording the failure"))?,
            ];
            if let Some(body) = &failure.audit {
                let change = Change {
                    action: "application.upload_refused",
                    target_type: "application",
                    target_id: &app.id,
                    before: None,
                    after: snapshot(body).ok(),
                };
                writes.push(
                    audit_write(deps, Who { id: "system", email: None }, &app.org_id, change)
                        .map_err(|e| Outcome::Retry(e.to_string()))?,
                );
            }
            deps.store.transact(writes).await.map_err(store_retry("recording the failure"))?;
        }
        deps.events
            .publish(&self.failure_event(app, run_id, &failure))
            .await
            .map_err(|e| retry("telling the candidate")(&e))
    }

    async fn run(&self, m: &WorkMessage) -> Step<()> {
        let deps = &self.0;
        let obj: ObjectCreated = decode(m)?;
        let Some((org, app_id, file_id)) = keys::parse_resume_object(&obj.key) else {
            return Err(Outcome::Poison(format!("{} is not a resume upload key", obj.key)));
        };
        let app = load_app(deps, &org, &app_id).await?;
        let current = app.resume.as_ref().map(|r| r.file_id.as_str());
        if current != Some(file_id.as_str()) || app.processing.run_id.as_deref() != Some(file_id.as_str()) {
            tracing::info!(key = %obj.key, "upload superseded by a newer one or a reprocess; ignored");
            return Ok(());
        }
        let run_id = file_id;
        if let Some(done) = stage_result(deps, &app, "parsed").await?
            && done.run_id == run_id
        {
            return send_step(deps, WorkQueue::ANONYMIZE, &app, &run_id).await;
        }
        let content_type = app.resume.as_ref().map(|r| r.content_type.clone());
        let blob = match deps.blobs.get(&obj.key, clearview_screening::MAX_RESUME_BYTES as u64).await {
            Ok(b) => b,
            Err(BlobError::TooLarge { size, .. }) => {
                return self
                    .fail(
                        &app,
                        &run_id,
                        ParseFailure::TooLarge { size: size as usize, max: clearview_screening::MAX_RESUME_BYTES },
                    )
                    .await;
            }
            Err(e @ BlobError::NotFound(_)) => return Err(retry("the uploaded object is not readable yet")(&e)),
            Err(e) => return Err(retry("fetching the upload")(&e)),
        };
        match crate::scan::gate(deps, &app, &obj.key, &blob.bytes).await? {
            crate::scan::Gate::Open => {}
            crate::scan::Gate::Refuse(refusal) => return self.fail(&app, &run_id, refusal).await,
            crate::scan::Gate::Pending => return crate::scan::wait_for_verdict(deps, m, &obj.key).await,
        }
        let as_of = deps.clock.now().date();
        // Scans (image-only PDFs, PNG, JPEG) are read by the OCR port; the result says so.
        let parsed = match read_resume(deps, &blob.bytes, content_type.as_deref(), as_of).await {
            Ok(p) => p,
            Err(ReadError::Document(failure)) => return self.fail(&app, &run_id, failure).await,
            Err(ReadError::OcrUnavailable(why)) => return Err(Outcome::Retry(format!("reading the scan: {why}"))),
        };
        let mut with_file = app.clone();
        if let Some(r) = with_file.resume.as_mut() {
            r.size = Some(blob.meta.size);
            r.version = blob.meta.version.clone().or(obj.version.clone());
        }
        let body = serde_json::to_value(&parsed).map_err(|e| Outcome::Poison(e.to_string()))?;
        // The candidate's profile: this resume, and (until they confirm it) what it says. Before
        // the stage is recorded, so a failure here is retried with the parse.
        clearview_core::services::candidates::prefill_from_resume(deps, &with_file, &parsed.resume)
            .await
            .map_err(|e| retry("filling the candidate's profile from the resume")(&e))?;
        let after = record_stage(deps, &with_file, "parsed", Stage::Parsed, &run_id, body, None).await?;
        send_step(deps, WorkQueue::ANONYMIZE, &after, &run_id).await
    }
}

#[async_trait::async_trait]
impl Consumer for ParseConsumer {
    fn queue(&self) -> WorkQueue {
        WorkQueue::PARSE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        finish(self.run(m).await)
    }
}

/// The application and run a chain step is about, if it is still current.
async fn current_step(deps: &Deps, m: &WorkMessage) -> Step<Option<(Application, String)>> {
    let step: ChainStep = decode(m)?;
    let org = OrgId::parse(&step.org_id).ok_or_else(|| Outcome::Poison(format!("bad org id {}", step.org_id)))?;
    let app = load_app(deps, &org, &step.application_id).await?;
    if app.processing.run_id.as_deref() != Some(step.run_id.as_str()) {
        tracing::info!(application = %app.id, run = %step.run_id, "step of an older run; ignored");
        return Ok(None);
    }
    Ok(Some((app, step.run_id)))
}

async fn input<T: serde::de::DeserializeOwned>(
    deps: &Deps,
    app: &Application,
    stage: &str,
    run: Option<&str>,
) -> Step<T> {
    let r = stage_result(deps, app, stage)
        .await?
        .filter(|r| run.is_none_or(|run| r.run_id == run))
        .ok_or_else(|| Outcome::Retry(format!("the {stage} result of application {} is not there yet", app.id)))?;
    serde_json::from_value(r.body).map_err(|e| Outcome::Poison(format!("stored {stage} result is unreadable: {e}")))
}

// ---------------------------------------------------------------- anonymize

/// Adds the profile's name words and links to what the anonymiser treats as the person's
/// identity (the resume's own are kept).
pub fn known_identity(parsed: &mut ParsedResume, c: &clearview_core::model::Candidate) {
    let mut name = parsed.contact.name.clone().unwrap_or_default();
    for w in c.name.split_whitespace() {
        if !name.split_whitespace().any(|x| x.eq_ignore_ascii_case(w)) {
            name.push(' ');
            name.push_str(w);
        }
    }
    let name = name.trim().to_owned();
    if !name.is_empty() {
        parsed.contact.name = Some(name);
    }
    for link in c.linkedin_url.iter().chain(c.portfolio_url.iter()) {
        if !parsed.contact.links.contains(link) {
            parsed.contact.links.push(link.clone());
        }
    }
}

/// Produces the profile scoring sees: no name, contact, links, pronouns, age proxies …
pub struct AnonymizeConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for AnonymizeConsumer {
    fn queue(&self) -> WorkQueue {
        WorkQueue::ANONYMIZE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        finish(
            async {
                let Some((app, run)) = current_step(deps, m).await? else { return Ok(()) };
                if stage_result(deps, &app, "anonymized").await?.is_some_and(|r| r.run_id == run) {
                    return send_step(deps, WorkQueue::SCORE, &app, &run).await;
                }
                let mut parsed: ParsedResume = input(deps, &app, "parsed", Some(&run)).await?;
                // What the candidate's profile says of who they are is redacted too (a name the
                // parser missed, a spelling the resume does not use, their profile links).
                let candidate: Option<clearview_core::model::Candidate> =
                    record::get(deps.store.as_ref(), &keys::candidate(&app.candidate_id))
                        .await
                        .map_err(store_retry("reading the candidate's profile"))?;
                if let Some(c) = candidate {
                    known_identity(&mut parsed, &c);
                }
                let profile = clearview_screening::anonymize(&parsed, &parsed.text);
                let body = serde_json::to_value(&profile).map_err(|e| Outcome::Poison(e.to_string()))?;
                let after = record_stage(deps, &app, "anonymized", Stage::Anonymized, &run, body, None).await?;
                send_step(deps, WorkQueue::SCORE, &after, &run).await
            }
            .await,
        )
    }
}

// ---------------------------------------------------------------- score

/// The candidate asked for review without the automated tool (NYC LL144): the chain stops
/// before scoring — no score, no recommendation, no counterfactual re-score — and a person
/// decides. A run already scored when the request landed lost its score with the request.
fn without_the_tool(app: &Application) -> bool {
    if app.alternative_review.is_some() {
        tracing::info!(application = %app.id, "alternative review requested: not scored");
        return true;
    }
    false
}

/// Scores the anonymized profile against the job's criteria, with its explanation.
pub struct ScoreConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for ScoreConsumer {
    fn queue(&self) -> WorkQueue {
        WorkQueue::SCORE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        finish(
            async {
                let Some((app, run)) = current_step(deps, m).await? else { return Ok(()) };
                if without_the_tool(&app) {
                    return Ok(());
                }
                if stage_result(deps, &app, "score").await?.is_some_and(|r| r.run_id == run) {
                    return send_step(deps, WorkQueue::BIAS, &app, &run).await;
                }
                let profile: AnonymizedProfile = input(deps, &app, "anonymized", Some(&run)).await?;
                let job = load_job(deps, &app).await?;
                let criteria: ScoringCriteria = scoring_criteria(&job);
                // The organisation's active scoring version (switched only after a shadow run).
                let model = clearview_core::services::ai_models::active_scoring_model(deps, &app.org_id)
                    .await
                    .map_err(|e| retry("reading the active scoring model")(&e))?;
                let result = clearview_screening::score_with(model, &profile, &criteria);
                let body = serde_json::to_value(&result).map_err(|e| Outcome::Poison(e.to_string()))?;
                let after =
                    record_stage(deps, &app, "score", Stage::Scored, &run, body, Some("application.scored")).await?;
                send_step(deps, WorkQueue::BIAS, &after, &run).await
            }
            .await,
        )
    }
}

// ---------------------------------------------------------------- bias

/// Re-scores with demographic signals swapped (the score must not move) and reports the job
/// ad's coded language beside it.
pub struct BiasConsumer(pub Deps);

impl BiasConsumer {
    fn checked_event(&self, app: &Application, run: &str, flagged: bool, model: Option<&str>) -> DomainEvent {
        DomainEvent {
            id: format!("application.screened:{}:{run}", app.id),
            kind: "application.screened".into(),
            org_id: app.org_id.to_string(),
            subject_id: app.id.clone(),
            occurred_at: self.0.clock.now(),
            data: serde_json::json!({
                "candidateId": app.candidate_id,
                "jobTitle": app.job_title,
                "jobId": app.job_id,
                "biasFlagged": flagged,
                "modelVersion": model,
            }),
            correlation_id: Some(run.to_owned()),
        }
    }
}

#[async_trait::async_trait]
impl Consumer for BiasConsumer {
    fn queue(&self) -> WorkQueue {
        WorkQueue::BIAS
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        finish(
            async {
                let Some((app, run)) = current_step(deps, m).await? else { return Ok(()) };
                if without_the_tool(&app) {
                    return Ok(());
                }
                if let Some(done) = stage_result(deps, &app, "bias").await?.filter(|r| r.run_id == run) {
                    let flagged = done.body["counterfactual"]["flagged"].as_bool().unwrap_or(false);
                    let model = done.body["counterfactual"]["modelVersion"].as_str();
                    return deps
                        .events
                        .publish(&self.checked_event(&app, &run, flagged, model))
                        .await
                        .map_err(|e| retry("announcing the result")(&e));
                }
                // The parsed resume of this application's file (a reprocess reuses it).
                let parsed: ParsedResume = input(deps, &app, "parsed", None).await?;
                let job = load_job(deps, &app).await?;
                let model = clearview_core::services::ai_models::active_scoring_model(deps, &app.org_id)
                    .await
                    .map_err(|e| retry("reading the active scoring model")(&e))?;
                let report = clearview_screening::bias::counterfactual::check_with(
                    model,
                    &parsed,
                    &scoring_criteria(&job),
                    parsed.as_of,
                );
                let language = crate::job_ad_language(&job);
                let flagged = report.flagged;
                let model = report.model_version.clone();
                if flagged {
                    tracing::warn!(application = %app.id, max_delta = report.max_abs_delta, "counterfactual check moved the score");
                }
                let body = serde_json::to_value(BiasCheck { counterfactual: report, ad_language: language })
                    .map_err(|e| Outcome::Poison(e.to_string()))?;
                let after =
                    record_stage(deps, &app, "bias", Stage::Checked, &run, body, Some("application.bias_checked")).await?;
                upload_to_scored(deps, &after, &run).await;
                deps.events
                    .publish(&self.checked_event(&after, &run, flagged, Some(&model)))
                    .await
                    .map_err(|e| retry("announcing the result")(&e))
            }
            .await,
        )
    }
}

/// Records how long the resume took from its upload (the upload URL's issue: the file record of
/// the run) to its bias-checked score. A reprocess (its run is not a file) records nothing; a
/// failed read only loses the data point.
async fn upload_to_scored(deps: &Deps, app: &Application, run: &str) {
    match record::get::<FileRecord>(deps.store.as_ref(), &keys::file(&app.org_id, run)).await {
        Ok(Some(file)) => {
            let elapsed = deps.clock.now() - file.created_at;
            if let Ok(elapsed) = std::time::Duration::try_from(elapsed) {
                clearview_observe::metrics::upload_to_scored(elapsed);
                tracing::info!(ms = elapsed.as_millis() as u64, "scored and bias-checked after upload");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::debug!(error = %e, "upload time unreadable; UploadToScored not recorded"),
    }
}

// ---------------------------------------------------------------- email

/// Sends the templated candidate emails; a redelivered event sends nothing twice.
pub struct EmailConsumer(pub Deps);

#[async_trait::async_trait]
impl Consumer for EmailConsumer {
    fn queue(&self) -> WorkQueue {
        WorkQueue::EMAIL
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        finish(
            async {
                let event: DomainEvent = decode(m)?;
                email::deliver(deps, &event).await.map_err(|e| match e {
                    AppError::NotFound(what) => Outcome::Poison(format!("{what} of event {} is gone", event.id)),
                    AppError::Validation(_) | AppError::Malformed(_) | AppError::Internal(_) => {
                        Outcome::Poison(format!("event {}: {e}", event.id))
                    }
                    other => Outcome::Retry(format!("sending the email for {}: {other}", event.id)),
                })
            }
            .await,
        )
    }
}
