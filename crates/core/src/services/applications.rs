//! Applications: a candidate applies to an active job (once), uploads a resume through a
//! presigned URL, withdraws; staff read them, see the machine's score, re-run it, and make the
//! decision — a person always has the last word.

use super::pipeline::{Move, Target};
use super::{Actor, Caller, Change, Listed, Who, audit_write, check_version, lost_update, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::application::{AlternativeReview, ChainStep, FileRecord, HumanDecision};
use crate::model::{Application, ApplicationStatus, Job, JobStatus, Processing, ResumeFile, Stage, StageResult};
use crate::ports::Deps;
use crate::ports::blobs::{BlobError, UploadTicket};
use crate::ports::queue::{DomainEvent, QueueError, WorkQueue};
use crate::ports::store::{Condition, Index, Key, PageToken, Query, StoreError};
use crate::principal::Principal;
use crate::rbac::Permission;
use crate::record::{self, Record};
use crate::values::{JobId, OrgId, TextRule, UserId, ascii_ci_choice_schema, id_schema, opt_choice_schema};
use clearview_screening::anonymize::Redaction;
use clearview_screening::bias::BiasCheck;
use clearview_screening::score::ScoreResult;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use utoipa::openapi::schema::Object;

/// 10 MB: the resume size limit, enforced when the object arrives.
pub const MAX_RESUME_BYTES: u64 = 10 * 1024 * 1024;
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
pub const DOWNLOAD_URL_TTL: Duration = Duration::from_secs(5 * 60);
/// What a resume may be uploaded as. PNG and JPEG scans (and PDFs without a text layer) are
/// read by OCR; the content must match the declared type (checked by magic bytes when parsed).
pub const RESUME_CONTENT_TYPES: [&str; 5] = [
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
    "image/png",
    "image/jpeg",
];

/// Voluntary self-identification (EEO-1 categories); every field may be left out or declined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelfIdentification {
    /// `male`, `female`, `decline_to_state`.
    #[schema(schema_with = sex_schema)]
    pub sex: Option<String>,
    /// `hispanic_or_latino`, `white`, `black_or_african_american`,
    /// `native_hawaiian_or_other_pacific_islander`, `asian`, `american_indian_or_alaska_native`,
    /// `two_or_more_races`, `decline_to_state`.
    #[schema(schema_with = race_schema)]
    pub race_ethnicity: Option<String>,
}

pub const SEX_VALUES: [&str; 3] = ["male", "female", "decline_to_state"];
pub const RACE_VALUES: [&str; 8] = [
    "hispanic_or_latino",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_other_pacific_islander",
    "asian",
    "american_indian_or_alaska_native",
    "two_or_more_races",
    "decline_to_state",
];

fn sex_schema() -> Object {
    opt_choice_schema(SEX_VALUES)
}
fn race_schema() -> Object {
    opt_choice_schema(RACE_VALUES)
}

const COVER_LETTER: TextRule = TextRule::new(1, 10_000);
const FILE_NAME: TextRule = TextRule::new(1, 200);
const REASON: TextRule = TextRule::new(3, 2000);
pub const DECISIONS: [&str; 3] = ["advance", "review", "reject"];

fn cover_letter_schema() -> Object {
    COVER_LETTER.opt_schema()
}
fn file_name_schema() -> Object {
    FILE_NAME.opt_schema()
}
fn content_type_schema() -> Object {
    ascii_ci_choice_schema(&RESUME_CONTENT_TYPES)
}
fn reason_schema() -> Object {
    REASON.schema()
}
fn decision_schema() -> Object {
    ascii_ci_choice_schema(&DECISIONS)
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyInput {
    /// The job's id (only active jobs whose deadline has not passed take applications).
    #[schema(schema_with = id_schema)]
    pub job_id: String,
    #[schema(schema_with = cover_letter_schema)]
    pub cover_letter: Option<String>,
    pub self_identification: Option<SelfIdentification>,
    /// Where you heard of the job: `linkedin`, `indeed`, `referral`, `company_website`, `other`.
    #[schema(schema_with = source_schema)]
    pub source: Option<String>,
    /// A resume kept on your profile (`resumes[].fileId`): it is attached and screened at once,
    /// with no new upload.
    #[serde(default)]
    #[schema(schema_with = opt_id_schema)]
    pub resume_file_id: Option<String>,
}

fn opt_id_schema() -> Object {
    let mut o = id_schema();
    o.schema_type = utoipa::openapi::schema::SchemaType::from_iter([
        utoipa::openapi::schema::Type::String,
        utoipa::openapi::schema::Type::Null,
    ]);
    o
}

pub fn source_schema() -> Object {
    opt_choice_schema(crate::model::application::SOURCES)
}

pub fn parse_source(field: &str, s: Option<&str>) -> Result<Option<String>, crate::FieldError> {
    match s {
        None => Ok(None),
        Some(v) if crate::model::application::SOURCES.contains(&v) => Ok(Some(v.to_owned())),
        Some(_) => Err(crate::FieldError::new(field, "must be linkedin, indeed, referral, company_website or other")),
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadInput {
    /// `application/pdf`, the DOCX type, `text/plain`, or a scan as `image/png` or `image/jpeg`
    /// (read by OCR). The bytes must be what this says (checked by their magic bytes).
    #[schema(schema_with = content_type_schema)]
    pub content_type: String,
    #[schema(schema_with = file_name_schema)]
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileUploadInput {
    /// One of the caller's applications (another id is not found).
    pub application_id: String,
    /// `application/pdf`, the DOCX type, `text/plain`, or a scan as `image/png` or `image/jpeg`
    /// (read by OCR). The bytes must be what this says (checked by their magic bytes).
    #[schema(schema_with = content_type_schema)]
    pub content_type: String,
    #[schema(schema_with = file_name_schema)]
    pub file_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadGrant {
    pub file_id: String,
    pub upload: UploadTicket,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DownloadGrant {
    pub file_id: String,
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: time::OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DecisionInput {
    /// `advance`, `review` or `reject`.
    #[schema(schema_with = decision_schema)]
    pub decision: String,
    /// Why; required, and recorded in the audit trail.
    #[schema(schema_with = reason_schema)]
    pub reason: String,
}

/// The machine's work on an application, for a person to check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AiScore {
    pub application_id: String,
    pub processing: Processing,
    /// The score with its explanation (sub-scores, matched and missing skills, each weight).
    pub score: Option<ScoreResult>,
    /// The counterfactual bias check of this score, and the job ad's coded language.
    pub bias_check: Option<BiasCheck>,
    /// What was redacted before scoring (categories only, never values).
    pub redactions: Option<Vec<Redaction>>,
    pub decision: Option<HumanDecision>,
}

fn event(deps: &Deps, kind: &str, app: &Application, data: serde_json::Value, id: Option<String>) -> DomainEvent {
    DomainEvent {
        id: id.unwrap_or_else(|| deps.ids.new_id().to_string()),
        kind: kind.to_owned(),
        org_id: app.org_id.to_string(),
        subject_id: app.id.clone(),
        occurred_at: deps.clock.now(),
        data,
        correlation_id: None,
    }
}

fn queue_err(e: QueueError) -> AppError {
    AppError::Unavailable(e.to_string())
}

fn blob_err(e: BlobError) -> AppError {
    match e {
        BlobError::NotFound(_) => AppError::NotFound("file"),
        BlobError::Invalid(m) => AppError::Internal(m),
        BlobError::TooLarge { .. } => AppError::field("file", "is larger than 10 MB"),
        BlobError::Unavailable(m) => AppError::Unavailable(m),
    }
}

fn received_event(deps: &Deps, app: &Application) -> DomainEvent {
    event(
        deps,
        "application.received",
        app,
        serde_json::json!({
            "candidateId": app.candidate_id,
            "jobTitle": app.job_title,
            "jobId": app.job_id,
            "source": app.source,
            "at": app.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
        }),
        Some(format!("application.received:{}", app.id)),
    )
}

pub async fn apply(deps: &Deps, candidate: &Principal, input: ApplyInput) -> AppResult<Application> {
    let job_id = JobId::parse(input.job_id.trim()).ok_or_else(|| AppError::field("jobId", "is not a job id"))?;
    let cover_letter = COVER_LETTER
        .parse_opt("coverLetter", input.cover_letter.as_deref())
        .map_err(|e| AppError::Validation(vec![e]))?;
    let sid = match input.self_identification {
        Some(s) => {
            let mut errors = Vec::new();
            if s.sex.as_deref().is_some_and(|v| !SEX_VALUES.contains(&v)) {
                errors.push(crate::FieldError::new(
                    "selfIdentification.sex",
                    format!("must be one of {}", SEX_VALUES.join(", ")),
                ));
            }
            if s.race_ethnicity.as_deref().is_some_and(|v| !RACE_VALUES.contains(&v)) {
                errors.push(crate::FieldError::new(
                    "selfIdentification.raceEthnicity",
                    format!("must be one of {}", RACE_VALUES.join(", ")),
                ));
            }
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            Some(s)
        }
        None => None,
    };
    let source = parse_source("source", input.source.as_deref()).map_err(|e| AppError::Validation(vec![e]))?;
    // A resume from the profile: it must be one of the candidate's own.
    let reuse = match input.resume_file_id.as_deref().map(str::trim) {
        Some(f) => {
            let profile: Option<crate::model::Candidate> =
                record::get(deps.store.as_ref(), &keys::candidate(&candidate.user_id)).await?;
            let kept = profile
                .and_then(|p| p.resumes.into_iter().find(|r| r.file_id == f))
                .ok_or_else(|| AppError::field("resumeFileId", "is not one of the resumes on your profile"))?;
            let file: FileRecord = record::get(deps.store.as_ref(), &keys::file(&kept.org_id, &kept.file_id))
                .await?
                .ok_or_else(|| AppError::field("resumeFileId", "this resume is no longer stored; upload it again"))?;
            Some(file)
        }
        None => None,
    };
    let locator = deps.store.get(&keys::job_locator(&job_id)).await?.ok_or(AppError::NotFound("job"))?;
    let org = locator.data["orgId"].as_str().map(OrgId::trusted).ok_or(AppError::NotFound("job"))?;
    let job: Job =
        record::get(deps.store.as_ref(), &keys::job(&org, &job_id)).await?.ok_or(AppError::NotFound("job"))?;
    // A job that was never published is invisible outside its organisation: 404, like any
    // other tenant's object (a closed or paused one was public, so it says why it is shut).
    if job.status == JobStatus::Draft || job.published_at.is_none() {
        return Err(AppError::NotFound("job"));
    }
    let now = deps.clock.now();
    if job.status != JobStatus::Active {
        return Err(AppError::conflict("job-not-open", "this job is not taking applications"));
    }
    if job.deadline.is_some_and(|d| d < now.date()) {
        return Err(AppError::conflict("job-not-open", "the deadline for this job has passed"));
    }
    let pipeline = super::pipeline::load(deps, &org).await?;
    let first = pipeline.first().ok_or_else(|| AppError::Internal("the pipeline has no active stage".into()))?;
    let app = Application {
        id: deps.ids.new_id().to_string(),
        org_id: org.clone(),
        job_id: job_id.clone(),
        job_title: job.title.clone(),
        candidate_id: candidate.user_id.clone(),
        status: first.status,
        stage_id: first.id.clone(),
        stage_entered_at: Some(now),
        source,
        notes: None,
        salary_expectation: None,
        availability: None,
        ai: None,
        revealed: None,
        on_hold: None,
        alternative_review: None,
        cover_letter,
        resume: None,
        processing: Processing {
            stage: Stage::AwaitingResume,
            reason: None,
            failure_code: None,
            run_id: None,
            updated_at: now,
        },
        decision: None,
        self_identified: sid.is_some(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    // The kept resume is copied under the new application (a new file id and run), so the
    // chain screens it against this job as if it had just been uploaded.
    let mut app = app;
    let reused = reuse.map(|old| {
        let file_id = deps.ids.new_id().to_string();
        let key = keys::resume_object(&org, &app.id, &file_id);
        app.resume = Some(ResumeFile {
            file_id: file_id.clone(),
            key: key.clone(),
            content_type: old.content_type.clone(),
            file_name: old.file_name.clone(),
            size: None,
            version: None,
        });
        app.processing.run_id = Some(file_id.clone());
        let file = FileRecord {
            id: file_id,
            org_id: org.clone(),
            application_id: app.id.clone(),
            candidate_id: candidate.user_id.clone(),
            key,
            content_type: old.content_type.clone(),
            file_name: old.file_name.clone(),
            created_at: now,
        };
        (old, file)
    });
    let marker = crate::ports::store::Item {
        key: keys::applied_marker(&org, &job_id, &candidate.user_id),
        gsi1: None,
        gsi2: None,
        entity: "AppliedMarker".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"applicationId": app.id}),
    };
    let mut writes = vec![
        crate::ports::store::TxWrite::put("already-applied", marker, Condition::NotExists),
        app.tx_put("application", Condition::NotExists)?,
        audit_write(
            deps,
            Who { id: candidate.user_id.as_str(), email: candidate.email.as_ref().map(|e| e.as_str()) },
            &org,
            Change {
                action: "application.create",
                target_type: "application",
                target_id: &app.id,
                before: None,
                after: Some(snapshot(&app)?),
            },
        )?,
    ];
    if let Some(sid) = &sid {
        writes.push(self_identification_write(deps, &app, sid)?);
    }
    if let Some((_, file)) = &reused {
        writes.push(file.tx_put("file", Condition::NotExists)?);
    }
    writes.extend(super::pipeline::arrival_writes(&app));
    // The organisation's talent record (and its search index), on a first application there.
    // If a first application to another of its jobs created the record a moment ago, the
    // transaction wrote nothing and goes again without it.
    let base = writes.clone();
    writes.extend(super::talent::first_contact_writes(deps, &org, &candidate.user_id, app.source.clone()).await?);
    let mut outcome = deps.store.transact(writes).await;
    if let Err(StoreError::TransactionCanceled { failed }) = &outcome
        && failed.iter().any(|l| l == "talent")
    {
        outcome = deps.store.transact(base).await;
    }
    match outcome {
        Ok(()) => {}
        Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "already-applied") => {
            // A retry of an application whose confirmation was lost re-sends it (the email
            // consumer dedupes on the event id); the answer is still 409.
            if let Some(existing) = deps.store.get(&keys::applied_marker(&org, &job_id, &candidate.user_id)).await?
                && let Some(id) = existing.data["applicationId"].as_str()
                && let Some(prev) =
                    record::get::<Application>(deps.store.as_ref(), &keys::application(&org, id)).await?
            {
                let _ = deps.events.publish(&received_event(deps, &prev)).await;
            }
            return Err(AppError::conflict("already-applied", "you have already applied to this job"));
        }
        Err(e) => return Err(e.into()),
    }
    deps.events.publish(&received_event(deps, &app)).await.map_err(queue_err)?;
    if let Some((old, file)) = reused {
        // Storing the copy announces it (the bucket notification), which starts the chain.
        let blob = deps.blobs.get(&old.key, MAX_RESUME_BYTES).await.map_err(blob_err)?;
        deps.blobs.put(&file.key, blob.bytes.to_vec(), &file.content_type).await.map_err(|e| {
            AppError::Unavailable(format!(
                "the application is saved but the resume could not be attached ({e}); upload it from the application"
            ))
        })?;
    }
    Ok(app)
}

fn self_identification_write(
    deps: &Deps,
    app: &Application,
    sid: &SelfIdentification,
) -> AppResult<crate::ports::store::TxWrite> {
    let plain = serde_json::to_vec(sid).map_err(|e| AppError::Internal(e.to_string()))?;
    let sealed = deps.sealer.seal(&plain, app.id.as_bytes()).map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(crate::ports::store::TxWrite::put(
        "self-identification",
        crate::ports::store::Item {
            key: keys::self_identification(&app.org_id, &app.id),
            gsi1: Some(Key::new(
                keys::self_identification_by_job_pk(&app.org_id, &app.job_id),
                format!("EEO#{}", app.id),
            )),
            gsi2: None,
            entity: "SelfIdentification".into(),
            version: 1,
            expires_at: None,
            data: serde_json::json!({"applicationId": app.id, "sealed": sealed}),
        },
        Condition::NotExists,
    ))
}

/// Opens a job's sealed self-identifications (aggregate audits only), keyed by application id.
pub async fn self_identifications_for_job(
    deps: &Deps,
    org: &OrgId,
    job: &JobId,
) -> AppResult<std::collections::BTreeMap<String, SelfIdentification>> {
    let mut out = std::collections::BTreeMap::new();
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::self_identification_by_job_pk(org, job)).limit(500).after(after);
        let page = deps.store.query(&q).await?;
        for item in page.items {
            let id = item.data["applicationId"].as_str().unwrap_or_default().to_owned();
            let sealed: crate::ports::crypto::Sealed = serde_json::from_value(item.data["sealed"].clone())
                .map_err(|e| AppError::Internal(format!("sealed self-identification of {id}: {e}")))?;
            let plain = deps.sealer.open(&sealed, id.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
            let sid: SelfIdentification =
                serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.to_string()))?;
            out.insert(id, sid);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Loads an application the caller may see: a candidate their own, staff their tenant's.
pub async fn load(deps: &Deps, caller: &Caller, id: &str) -> AppResult<Application> {
    match caller {
        Caller::Staff(actor) => {
            if !actor.can(Permission::ApplicationsRead) {
                return Err(AppError::Forbidden(format!(
                    "your role ({}) does not allow applications:read",
                    actor.user.role
                )));
            }
            load_in_org(deps, actor.org(), id).await
        }
        Caller::Candidate(p) => {
            let q = Query::index(Index::Gsi2, keys::application_by_candidate_pk(&p.user_id))
                .prefix(format!("{}{id}", keys::APP_PREFIX))
                .limit(2);
            let (apps, _) = record::query::<Application>(deps.store.as_ref(), &q).await?;
            apps.into_iter().find(|a| a.id == id).ok_or(AppError::NotFound("application"))
        }
    }
}

pub async fn load_in_org(deps: &Deps, org: &OrgId, id: &str) -> AppResult<Application> {
    record::get(deps.store.as_ref(), &keys::application(org, id)).await?.ok_or(AppError::NotFound("application"))
}

pub async fn list_for_job(
    deps: &Deps,
    actor: &Actor,
    job: &JobId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Application>> {
    record::get::<Job>(deps.store.as_ref(), &keys::job(actor.org(), job)).await?.ok_or(AppError::NotFound("job"))?;
    let q = Query::index(Index::Gsi1, keys::application_by_job_pk(actor.org(), job)).limit(limit).after(after);
    let (items, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

pub async fn list_for_candidate(
    deps: &Deps,
    caller: &Caller,
    candidate: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Application>> {
    let q = Query::index(Index::Gsi2, keys::application_by_candidate_pk(candidate)).limit(limit).after(after);
    match caller {
        Caller::Candidate(p) if &p.user_id == candidate => {
            let (items, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
            Ok(Listed { items, next: page.next })
        }
        Caller::Staff(actor) if actor.can(Permission::ApplicationsRead) => {
            let (items, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
            Ok(Listed { items: items.into_iter().filter(|a| &a.org_id == actor.org()).collect(), next: page.next })
        }
        _ => Err(AppError::NotFound("candidate")),
    }
}

pub async fn withdraw(deps: &Deps, candidate: &Principal, id: &str) -> AppResult<Application> {
    let before = load(deps, &Caller::Candidate(candidate.clone()), id).await?;
    if before.status == ApplicationStatus::Withdrawn {
        return Ok(before);
    }
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("an application that is {} cannot be withdrawn", before.status.as_str()),
        ));
    }
    let pipeline = super::pipeline::load(deps, &before.org_id).await?;
    let who = Who { id: candidate.user_id.as_str(), email: candidate.email.as_ref().map(|e| e.as_str()) };
    let mv = Move { target: Target::Withdraw, note: None, reason_code: None };
    super::pipeline::apply_move(deps, &pipeline, who, &before, mv, "application.withdraw", &|_| {}).await
}

/// `POST /api/applications/{id}/alternative-review`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlternativeReviewInput {
    /// Anything the reviewer should know (an accommodation you need, say): 3 to 2,000 characters.
    #[schema(schema_with = opt_reason_schema)]
    pub reason: Option<String>,
}

fn opt_reason_schema() -> Object {
    REASON.opt_schema()
}

/// The candidate asks to be assessed without the automated tool (NYC Local Law 144). The
/// application loses any automated score and recommendation, the chain stops before scoring
/// (see the score and bias consumers), scoring cannot be rerun, and staff decide; the request
/// is audited with the change. A second request answers the application as it is.
pub async fn request_alternative_review(
    deps: &Deps,
    candidate: &Principal,
    id: &str,
    input: AlternativeReviewInput,
) -> AppResult<Application> {
    let reason = REASON.parse_opt("reason", input.reason.as_deref()).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load(deps, &Caller::Candidate(candidate.clone()), id).await?;
    if before.alternative_review.is_some() {
        return Ok(before);
    }
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("an application that is {} cannot be reviewed again", before.status.as_str()),
        ));
    }
    let now = deps.clock.now();
    let mut after = before.clone();
    after.alternative_review = Some(AlternativeReview { requested_at: now, reason });
    after.ai = None;
    after.version += 1;
    after.updated_at = now;
    let who = Who { id: candidate.user_id.as_str(), email: candidate.email.as_ref().map(|e| e.as_str()) };
    let target = ("application", before.id.as_str());
    super::save_versioned_with(
        deps,
        who,
        &before.org_id,
        "application.alternative_review",
        target,
        &before,
        &after,
        vec![],
    )
    .await?;
    Ok(after)
}

/// Refuses automated screening of an application whose candidate asked for a person instead.
pub fn check_automation_allowed(app: &Application) -> AppResult<()> {
    match app.alternative_review {
        Some(_) => Err(AppError::conflict(
            "alternative-review",
            "the candidate asked to be reviewed without the automated tool: a person decides, with no score",
        )),
        None => Ok(()),
    }
}

pub async fn upload_url(deps: &Deps, candidate: &Principal, id: &str, input: UploadInput) -> AppResult<UploadGrant> {
    let ct = input.content_type.trim().to_ascii_lowercase();
    if !RESUME_CONTENT_TYPES.contains(&ct.as_str()) {
        return Err(AppError::field(
            "contentType",
            "must be application/pdf, the DOCX type (application/vnd.openxmlformats-officedocument.wordprocessingml.document), text/plain, image/png or image/jpeg",
        ));
    }
    let file_name =
        FILE_NAME.parse_opt("fileName", input.file_name.as_deref()).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load(deps, &Caller::Candidate(candidate.clone()), id).await?;
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("this application is {}", before.status.as_str()),
        ));
    }
    let file_id = deps.ids.new_id().to_string();
    let key = keys::resume_object(&before.org_id, &before.id, &file_id);
    let upload = deps.blobs.presign_put(&key, &ct, MAX_RESUME_BYTES, UPLOAD_URL_TTL).await.map_err(blob_err)?;
    let now = deps.clock.now();
    let file = FileRecord {
        id: file_id.clone(),
        org_id: before.org_id.clone(),
        application_id: before.id.clone(),
        candidate_id: candidate.user_id.clone(),
        key: key.clone(),
        content_type: ct.clone(),
        file_name: file_name.clone(),
        created_at: now,
    };
    let mut after = before.clone();
    after.resume =
        Some(ResumeFile { file_id: file_id.clone(), key, content_type: ct, file_name, size: None, version: None });
    after.processing = Processing {
        stage: Stage::AwaitingResume,
        reason: None,
        failure_code: None,
        run_id: Some(file_id.clone()),
        updated_at: now,
    };
    after.version += 1;
    after.updated_at = now;
    deps.store
        .transact(vec![
            after.tx_put("version", Condition::VersionIs(before.version))?,
            file.tx_put("file", Condition::NotExists)?,
        ])
        .await
        .map_err(lost_update(before.version))?;
    Ok(UploadGrant { file_id, upload })
}

/// A resume file the caller may see: staff of its organisation with applications:read, or the
/// candidate who uploaded it. Anyone else: 404.
pub(crate) async fn visible_file(deps: &Deps, caller: &Caller, file_id: &str) -> AppResult<FileRecord> {
    match caller {
        Caller::Staff(actor) => {
            if !actor.can(Permission::ApplicationsRead) {
                return Err(AppError::Forbidden("your role does not allow applications:read".into()));
            }
            record::get(deps.store.as_ref(), &keys::file(actor.org(), file_id)).await?.ok_or(AppError::NotFound("file"))
        }
        Caller::Candidate(p) => {
            let q = Query::index(Index::Gsi2, keys::file_by_candidate(&p.user_id, file_id).pk)
                .prefix(format!("FILE#{file_id}"))
                .limit(2);
            let (files, _) = record::query::<FileRecord>(deps.store.as_ref(), &q).await?;
            files.into_iter().find(|f| f.id == file_id).ok_or(AppError::NotFound("file"))
        }
    }
}

/// What `DELETE /api/files/{id}` removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileDeleted {
    pub file_id: String,
    /// Stored versions of the object deleted (and, in a versioned bucket, delete markers).
    pub object_versions_deleted: u32,
    /// Items derived from the file deleted (its parsed, anonymised, scored and bias-checked
    /// results when it was the application's resume).
    pub derived_items_deleted: u32,
}

/// `DELETE /api/files/{id}`: the candidate who uploaded it, or staff of its organisation with
/// `applications:delete`. Removes every stored version of the object, the file's item, the
/// results derived from it and its place on the application and the profile; audited.
pub async fn delete_file(deps: &Deps, caller: &Caller, file_id: &str) -> AppResult<FileDeleted> {
    if let Caller::Staff(actor) = caller
        && !actor.can(Permission::ApplicationsDelete)
    {
        return Err(AppError::Forbidden("your role does not allow applications:delete".into()));
    }
    let file = visible_file(deps, caller, file_id).await?;
    let who = match caller {
        Caller::Staff(a) => a.who(),
        Caller::Candidate(p) => Who { id: p.user_id.as_str(), email: p.email.as_ref().map(|e| e.as_str()) },
    };
    remove_file(deps, who, file, "file.delete").await
}

/// Removes a file the caller may remove: every stored version of the object, the file's item,
/// the results derived from it and its place on the application and the profile, audited as
/// `action` by `who` (`DELETE /api/files/{id}`, and the retention run as the system). Safe to
/// run again for the same file.
pub(crate) async fn remove_file(deps: &Deps, who: Who<'_>, file: FileRecord, action: &str) -> AppResult<FileDeleted> {
    let versions = deps.blobs.delete_all_versions(&file.key).await.map_err(blob_err)?;
    let mut derived = 0;
    let app: Option<Application> =
        record::get(deps.store.as_ref(), &keys::application(&file.org_id, &file.application_id)).await?;
    if let Some(before) = app.filter(|a| a.resume.as_ref().is_some_and(|r| r.file_id == file.id)) {
        let q = Query::table(keys::org_pk(&file.org_id)).prefix(format!("RESULT#{}#", before.id)).limit(50);
        for item in deps.store.query(&q).await?.items {
            if deps.store.delete(&item.key, Condition::None).await?.is_some() {
                derived += 1;
            }
        }
        let mut after = before.clone();
        after.resume = None;
        after.ai = None;
        after.version += 1;
        super::save_versioned(deps, who, &file.org_id, action, ("application", before.id.as_str()), &before, &after)
            .await?;
    } else {
        let audit = audit_write(
            deps,
            who,
            &file.org_id,
            Change { action, target_type: "file", target_id: &file.id, before: Some(snapshot(&file)?), after: None },
        )?;
        deps.store.transact(vec![audit]).await?;
    }
    deps.store.delete(&file.key(), Condition::None).await?;
    if let Some(mut profile) =
        record::get::<crate::model::Candidate>(deps.store.as_ref(), &keys::candidate(&file.candidate_id)).await?
        && profile.resumes.iter().any(|r| r.file_id == file.id)
    {
        let read = profile.version;
        profile.resumes.retain(|r| r.file_id != file.id);
        profile.version += 1;
        deps.store.put(profile.to_item()?, Condition::VersionIs(read)).await?;
    }
    Ok(FileDeleted { file_id: file.id, object_versions_deleted: versions, derived_items_deleted: derived })
}

pub async fn download_url(deps: &Deps, caller: &Caller, file_id: &str) -> AppResult<DownloadGrant> {
    let file = visible_file(deps, caller, file_id).await?;
    // The original file carries who the candidate is: blind reviewers read the anonymised
    // resume (GET /api/applications/{id}/resume) until the identity is revealed.
    if let Caller::Staff(actor) = caller
        && !super::review::original_file_visible(deps, actor, &file.application_id).await?
    {
        return Err(AppError::Forbidden(
            "blind review: the original resume shows who the candidate is; read the anonymised one at \
             GET /api/applications/{id}/resume, or reveal the application first"
                .into(),
        ));
    }
    let (url, expires_at) =
        deps.blobs.presign_get(&file.key, DOWNLOAD_URL_TTL, file.file_name.as_deref()).await.map_err(blob_err)?;
    Ok(DownloadGrant { file_id: file.id, url, expires_at })
}

async fn stage_body(deps: &Deps, app: &Application, stage: &str) -> AppResult<Option<serde_json::Value>> {
    let Some(run) = app.processing.run_id.as_deref() else { return Ok(None) };
    let r: Option<StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(&app.org_id, &app.id, stage)).await?;
    Ok(r.filter(|r| r.run_id == run).map(|r| r.body))
}

/// A stage's stored output of the current run, read as the type the chain wrote.
pub(crate) async fn stage_output<T: serde::de::DeserializeOwned>(
    deps: &Deps,
    app: &Application,
    stage: &str,
) -> AppResult<Option<T>> {
    stage_body(deps, app, stage).await?.map(serde_json::from_value).transpose().map_err(|e| {
        AppError::Internal(format!(
            "the stored {stage} result of application {} was written by an older version ({e}): \
                 reprocess the application to score it again",
            app.id
        ))
    })
}

/// What the anonymize stage stored that a person may see: the redaction counts, not the text.
#[derive(Deserialize)]
struct Redactions {
    redactions: Vec<Redaction>,
}

pub async fn ai_score(deps: &Deps, actor: &Actor, id: &str) -> AppResult<AiScore> {
    let app = load_in_org(deps, actor.org(), id).await?;
    check_automation_allowed(&app)?;
    let redactions = stage_output::<Redactions>(deps, &app, "anonymized").await?.map(|r| r.redactions);
    Ok(AiScore {
        application_id: app.id.clone(),
        score: stage_output(deps, &app, "score").await?,
        bias_check: stage_output(deps, &app, "bias").await?,
        redactions,
        processing: app.processing,
        decision: app.decision,
    })
}

/// How long a screening run may sit at one stage before a reprocess may replace it.
pub const STALE_RUN: time::Duration = time::Duration::minutes(15);

/// Re-runs scoring on the already anonymized resume (after the criteria changed, say).
pub async fn reprocess(deps: &Deps, actor: &Actor, id: &str) -> AppResult<Application> {
    let before = load_in_org(deps, actor.org(), id).await?;
    check_automation_allowed(&before)?;
    // A run that has not moved for STALE_RUN is presumed lost (its message dead-lettered) and may be redone.
    let moving = deps.clock.now() - before.processing.updated_at < STALE_RUN;
    if before.processing.stage.in_progress() && moving {
        return Err(AppError::conflict(
            "run-in-progress",
            format!(
                "this resume is being screened now (stage {}); reprocess it when the run has finished",
                before.processing.stage.as_str()
            ),
        ));
    }
    let current = before
        .processing
        .run_id
        .clone()
        .ok_or_else(|| AppError::conflict("no-resume", "this application has no resume yet"))?;
    let anonymized: Option<StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(&before.org_id, &before.id, "anonymized")).await?;
    let Some(anonymized) = anonymized.filter(|a| a.run_id == current) else {
        return Err(AppError::conflict(
            "not-ready",
            "the resume has not been parsed and anonymized yet; it will be scored when it is",
        ));
    };
    // A new run over the same anonymized profile: copy it under the new run id.
    new_run(deps, actor.who(), &before, anonymized, Stage::Anonymized, WorkQueue::SCORE, "application.reprocess").await
}

/// Starts a new run of the chain for an application from a stage result of its current run:
/// the result is copied under the new run id, the application moves to `stage` (versioned,
/// audited), and the next consumer (`queue`) is sent the step.
async fn new_run(
    deps: &Deps,
    who: super::Who<'_>,
    before: &Application,
    from: StageResult,
    stage: Stage,
    queue: WorkQueue,
    action: &str,
) -> AppResult<Application> {
    let run_id = deps.ids.new_id().to_string();
    let now = deps.clock.now();
    let mut after = before.clone();
    after.processing =
        Processing { stage, reason: None, failure_code: None, run_id: Some(run_id.clone()), updated_at: now };
    after.version += 1;
    after.updated_at = now;
    let label = from.stage.clone();
    let copy = StageResult { run_id: run_id.clone(), at: now, ..from };
    let extra = vec![copy.tx_put(label, Condition::None)?];
    let target = ("application", after.id.as_str());
    super::save_versioned_with(deps, who, &after.org_id, action, target, before, &after, extra).await?;
    let step = ChainStep { org_id: after.org_id.to_string(), application_id: after.id.clone(), run_id };
    deps.queues.send(queue, &step.message(queue)).await.map_err(queue_err)?;
    Ok(after)
}

/// Runs the chain again from the anonymiser for an application whose resume was screened (a
/// candidate changed who their profile says they are): a new run over the same parsed resume.
/// A run in progress is left alone (it reads the profile when it reaches the anonymiser).
pub async fn rerun_anonymisation(deps: &Deps, who: super::Who<'_>, before: &Application) -> AppResult<bool> {
    if before.status.is_final() || !matches!(before.processing.stage, Stage::Checked) {
        return Ok(false);
    }
    let Some(current) = before.processing.run_id.clone() else { return Ok(false) };
    let parsed: Option<StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(&before.org_id, &before.id, "parsed")).await?;
    let Some(parsed) = parsed.filter(|p| p.run_id == current) else { return Ok(false) };
    new_run(deps, who, before, parsed, Stage::Parsed, WorkQueue::ANONYMIZE, "application.reanonymize").await?;
    Ok(true)
}

/// A person's decision on the machine's recommendation: it always wins, and says why.
pub async fn decide(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    if_match: Option<u64>,
    input: DecisionInput,
) -> AppResult<super::review::ApplicationView> {
    let decision = input.decision.trim().to_ascii_lowercase();
    if !DECISIONS.contains(&decision.as_str()) {
        return Err(AppError::field("decision", "must be advance, review or reject"));
    }
    let reason = REASON.parse("reason", &input.reason).map_err(|e| AppError::Validation(vec![e]))?;
    let before = load_in_org(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    if before.status.is_final() {
        return Err(AppError::conflict(
            "application-closed",
            format!("this application is {}", before.status.as_str()),
        ));
    }
    let score_body = stage_body(deps, &before, "score").await?;
    let recommendation = score_body.as_ref().and_then(|s| s["recommendation"].as_str().map(str::to_owned));
    let model_version = score_body.as_ref().and_then(|s| s["modelVersion"].as_str().map(str::to_owned));
    let now = deps.clock.now();
    let human = HumanDecision {
        overrode_recommendation: recommendation.as_deref().is_some_and(|r| r != decision),
        decision: decision.clone(),
        reason: reason.clone(),
        decided_by: actor.user.id.clone(),
        recommendation,
        decided_at: now,
    };
    let pipeline = super::pipeline::load(deps, actor.org()).await?;
    // Announced for the analytics consumer (agreement with the recommendation, per model version).
    let decided = event(
        deps,
        "application.decided",
        &before,
        serde_json::json!({
            "jobId": before.job_id,
            "decision": decision,
            "recommendation": human.recommendation,
            "overrode": human.overrode_recommendation,
            "reason": human.reason,
            "score": before.ai.as_ref().map(|a| a.score),
            "modelVersion": model_version,
        }),
        Some(format!("application.decided:{}:{}", before.id, before.version + 1)),
    );
    let target = match decision.as_str() {
        "advance" => Target::Next,
        "reject" => Target::Reject,
        _ => {
            // `review`: recorded, the application stays where it is.
            let mut after = before.clone();
            after.decision = Some(human);
            after.version += 1;
            after.updated_at = now;
            super::save_versioned(
                deps,
                actor.who(),
                actor.org(),
                "application.decision",
                ("application", &after.id),
                &before,
                &after,
            )
            .await?;
            deps.events.publish(&decided).await.map_err(queue_err)?;
            return super::review::staff_view(deps, &pipeline, after).await;
        }
    };
    let reason_code = (target == Target::Reject).then(|| "other".to_owned());
    let mv = Move { target, note: Some(reason), reason_code };
    let after = super::pipeline::apply_move(deps, &pipeline, actor.who(), &before, mv, "application.decision", &|a| {
        a.decision = Some(human.clone())
    })
    .await?;
    deps.events.publish(&decided).await.map_err(queue_err)?;
    super::review::staff_view(deps, &pipeline, after).await
}
