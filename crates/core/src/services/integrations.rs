//! Integrations (`/api/integrations`): an organisation's connections to job boards, ATSs, email,
//! calendars and background checks, with their credentials in the secret vault (Secrets Manager
//! in AWS; sealed into the item, AES-GCM bound to the integration id, in the embedded default;
//! see `ports::secrets`) and never returned; and the public inbound webhook through which a job
//! board posts applications.
//!
//! Inbound signing (the same scheme as our outbound webhooks): `ClearView-Signature:
//! t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` with the integration's
//! inbound secret (shown once, at creation), and `ClearView-Delivery-Id`, a unique id per
//! delivery. A signature that does not match or a `t` outside [`REPLAY_WINDOW_S`] answers 401;
//! a delivery id already seen inside the window answers 409 (a conditional put of the id with a
//! TTL). Both are logged.

use super::applications::{ApplyInput, apply};
use super::webhooks::verify;
use super::{Actor, check_version};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Candidate;
use crate::model::integration::{Integration, IntegrationType};
use crate::ports::Deps;
use crate::ports::secrets::{SecretError, SecretRef};
use crate::ports::store::{Condition, Item, Query, StoreError, TxWrite};
use crate::principal::Principal;
use crate::record::{self, Record};
use crate::values::{Checks, Email, OrgId, TextRule, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Most integrations one organisation holds.
pub const MAX_PER_ORG: usize = 50;
/// How far an inbound delivery's timestamp may be from our clock, and how long its id is remembered.
pub const REPLAY_WINDOW_S: i64 = 300;
pub const SIGNATURE_HEADER: &str = "ClearView-Signature";
pub const DELIVERY_HEADER: &str = "ClearView-Delivery-Id";

const NAME: TextRule = TextRule::new(1, 100);
const PROVIDER: TextRule = TextRule::new(1, 50);
const CANDIDATE_NAME: TextRule = TextRule::new(1, 200);
const MAX_SETTINGS_BYTES: usize = 8 * 1024;
const MAX_CREDENTIALS_BYTES: usize = 8 * 1024;

fn name_schema() -> utoipa::openapi::schema::Object {
    NAME.schema()
}
fn provider_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(50))
        .pattern(Some("^[A-Za-z0-9_-]+$"))
        .build()
}
fn candidate_name_schema() -> utoipa::openapi::schema::Object {
    CANDIDATE_NAME.schema()
}

/// `POST /api/integrations`, `PUT /api/integrations/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntegrationInput {
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    #[schema(schema_with = name_schema)]
    pub name: String,
    /// The other system, lowercase (`indeed`, `linkedin`, `greenhouse` …). A job board's
    /// applications are sourced `indeed` or `linkedin` when it is one of those, else `other`.
    #[schema(schema_with = provider_schema)]
    pub provider: String,
    /// Settings that are not secret (at most 8 KiB of JSON).
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
    /// Secrets (API keys, tokens; at most 8 KiB of JSON): sealed, never shown again. On an
    /// update, absent keeps the stored ones.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<serde_json::Map<String, serde_json::Value>>,
    /// Off: a job board's inbound webhook refuses deliveries (404). Default on.
    pub enabled: Option<bool>,
}

/// An integration as the API shows it (never its credentials or secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: IntegrationType,
    pub name: String,
    pub provider: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Whether credentials are stored (they are never returned).
    pub has_credentials: bool,
    pub enabled: bool,
    /// A job board's inbound webhook (POST, signed).
    pub inbound_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self {
            id: i.id.clone(),
            kind: i.kind,
            name: i.name.clone(),
            provider: i.provider.clone(),
            settings: i.settings.clone(),
            has_credentials: i.credentials.is_some(),
            enabled: i.enabled,
            inbound_url: (i.kind == IntegrationType::JobBoard).then(|| format!("/api/integrations/{}/inbound", i.id)),
            created_at: i.created_at,
            updated_at: i.updated_at,
            version: i.version,
        }
    }
}

/// The answer to a creation: the integration and, for a job board, its inbound signing secret
/// (shown this once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationCreated {
    #[serde(flatten)]
    pub integration: IntegrationView,
    /// A job board's inbound-webhook HMAC key (`whsec_…`); null for other types.
    pub inbound_secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Integrations {
    pub items: Vec<IntegrationView>,
}

/// `POST /api/integrations/{id}/inbound`: one application from a job board.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundApplication {
    /// One of the organisation's active jobs.
    pub job_id: String,
    pub candidate: InboundCandidate,
    pub cover_letter: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundCandidate {
    #[schema(schema_with = candidate_name_schema)]
    pub name: String,
    #[schema(format = Email)]
    pub email: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboundAccepted {
    pub application_id: String,
    pub candidate_id: String,
    /// The application's source (`indeed`, `linkedin` or `other`).
    pub source: Option<String>,
}

/// The credentials as the bytes the vault keeps, if they are within the limit.
fn credential_bytes(c: &mut Checks, map: &serde_json::Map<String, serde_json::Value>) -> Option<Vec<u8>> {
    let bytes = serde_json::to_vec(map).unwrap_or_default();
    if bytes.len() > MAX_CREDENTIALS_BYTES {
        c.push("credentials", format!("must be at most {MAX_CREDENTIALS_BYTES} bytes of JSON"));
        return None;
    }
    Some(bytes)
}

fn vault_error(e: SecretError) -> AppError {
    match e {
        SecretError::Unavailable(why) => AppError::Unavailable(why),
        e => AppError::Internal(e.to_string()),
    }
}

/// The vault name of an integration's secret in one slot (`credentials`, `inbound`) at one
/// version of the integration: a new value is a new secret.
fn secret_name(id: &str, slot: &str, version: u64) -> String {
    format!("{}{id}/{slot}/v{version}", crate::ports::secrets::INTEGRATION_SECRETS)
}

/// Deletes secrets nobody points at any more (a write that failed, or a value replaced);
/// a failure leaves an orphan secret, which is logged with its reference.
async fn discard(deps: &Deps, secrets: impl IntoIterator<Item = &SecretRef>) {
    let vault = deps.vault();
    for secret in secrets {
        if let Err(e) = vault.delete(secret).await {
            tracing::error!(error = %e, secret = ?secret, "an integration secret nobody uses could not be deleted");
        }
    }
}

fn check_common(c: &mut Checks, input: &IntegrationInput) -> (Option<String>, Option<String>) {
    let name = c.take(NAME.parse("name", &input.name));
    let provider = c.take(PROVIDER.parse("provider", &input.provider)).map(|p| p.to_lowercase());
    if provider.as_deref().is_some_and(|p| !p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
        c.push("provider", "must be letters, digits, '-' or '_'");
    }
    if let Some(s) = &input.settings
        && serde_json::to_vec(s).map(|b| b.len()).unwrap_or(0) > MAX_SETTINGS_BYTES
    {
        c.push("settings", format!("must be at most {MAX_SETTINGS_BYTES} bytes of JSON"));
    }
    (name, provider)
}

pub async fn create(deps: &Deps, actor: &Actor, input: IntegrationInput) -> AppResult<IntegrationCreated> {
    let mut c = Checks::default();
    let (name, provider) = check_common(&mut c, &input);
    let id = deps.ids.new_id().to_string();
    let credentials = input.credentials.as_ref().and_then(|m| credential_bytes(&mut c, m));
    c.finish()?;
    let (Some(name), Some(provider)) = (name, provider) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    if list_all(deps, actor.org()).await?.len() >= MAX_PER_ORG {
        return Err(AppError::conflict(
            "too-many-integrations",
            format!("an organisation holds at most {MAX_PER_ORG} integrations"),
        ));
    }
    let secret = (input.kind == IntegrationType::JobBoard).then(super::webhooks::new_secret);
    let vault = deps.vault();
    let mut stored: Vec<SecretRef> = Vec::new();
    let mut keep = async |slot: &str, value: Option<&[u8]>| -> AppResult<Option<SecretRef>> {
        let Some(value) = value else { return Ok(None) };
        let r = vault.put(&id, &secret_name(&id, slot, 1), value).await.map_err(vault_error)?;
        stored.push(r.clone());
        Ok(Some(r))
    };
    let kept = match keep("credentials", credentials.as_deref()).await {
        Ok(credentials) => keep("inbound", secret.as_ref().map(String::as_bytes)).await.map(|i| (credentials, i)),
        Err(e) => Err(e),
    };
    let (credentials, inbound_secret) = match kept {
        Ok(refs) => refs,
        Err(e) => {
            discard(deps, &stored).await;
            return Err(e);
        }
    };
    let now = deps.clock.now();
    let i = Integration {
        id: id.clone(),
        org_id: actor.org().clone(),
        kind: input.kind,
        name,
        provider,
        settings: input.settings.unwrap_or_default(),
        credentials,
        inbound_secret,
        enabled: input.enabled.unwrap_or(true),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let locator = Item {
        key: keys::integration_locator(&id),
        gsi1: None,
        gsi2: None,
        entity: "IntegrationLocator".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"orgId": actor.org().to_string()}),
    };
    let written = match i.tx_put("integration", Condition::NotExists) {
        Ok(put) => deps
            .store
            .transact(vec![put, TxWrite::put("locator", locator, Condition::NotExists)])
            .await
            .map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = written {
        discard(deps, &stored).await;
        return Err(e);
    }
    Ok(IntegrationCreated { integration: IntegrationView::from(&i), inbound_secret: secret })
}

async fn list_all(deps: &Deps, org: &OrgId) -> AppResult<Vec<Integration>> {
    let q = Query::table(keys::org_pk(org)).prefix(keys::INTEGRATION_PREFIX).limit(100);
    Ok(record::query::<Integration>(deps.store.as_ref(), &q).await?.0)
}

pub async fn list(deps: &Deps, actor: &Actor) -> AppResult<Integrations> {
    Ok(Integrations { items: list_all(deps, actor.org()).await?.iter().map(IntegrationView::from).collect() })
}

async fn load(deps: &Deps, org: &OrgId, id: &str) -> AppResult<Integration> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("integration"));
    }
    record::get(deps.store.as_ref(), &keys::integration(org, id)).await?.ok_or(AppError::NotFound("integration"))
}

/// Replaces the integration's name, provider, settings and switch; credentials when given. Its
/// type stays (a new type is a new integration).
pub async fn update(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    input: IntegrationInput,
    if_match: Option<u64>,
) -> AppResult<IntegrationView> {
    let before = load(deps, actor.org(), id).await?;
    check_version(if_match, before.version, false)?;
    let mut c = Checks::default();
    let (name, provider) = check_common(&mut c, &input);
    if input.kind != before.kind {
        c.push("type", "cannot change; create another integration");
    }
    let credentials = input.credentials.as_ref().and_then(|m| credential_bytes(&mut c, m));
    c.finish()?;
    let (Some(name), Some(provider)) = (name, provider) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let version = before.version + 1;
    let credentials = match credentials {
        Some(bytes) => {
            Some(deps.vault().put(id, &secret_name(id, "credentials", version), &bytes).await.map_err(vault_error)?)
        }
        None => None,
    };
    let new_credentials = credentials.is_some();
    let replaced = if new_credentials { before.credentials.clone() } else { None };
    let after = Integration {
        name,
        provider,
        settings: input.settings.unwrap_or_default(),
        credentials: credentials.or(before.credentials.clone()),
        enabled: input.enabled.unwrap_or(before.enabled),
        updated_at: deps.clock.now(),
        version,
        ..before.clone()
    };
    let written = match after.to_item() {
        Ok(item) => {
            deps.store.put(item, Condition::VersionIs(before.version)).await.map_err(super::lost_update(before.version))
        }
        Err(e) => Err(e.into()),
    };
    match written {
        // The new credentials are in use: the ones they replace go.
        Ok(()) => discard(deps, replaced.as_ref()).await,
        // Refused (a lost update) or failed: the item still points at the old ones.
        Err(e) => {
            if let Some(new) = after.credentials.as_ref().filter(|_| new_credentials) {
                discard(deps, [new]).await;
            }
            return Err(e);
        }
    }
    Ok(IntegrationView::from(&after))
}

pub async fn delete(deps: &Deps, actor: &Actor, id: &str) -> AppResult<()> {
    let i = load(deps, actor.org(), id).await?;
    // The secrets first: once the item is gone nothing would remember them. Deleting is
    // idempotent, so a retry after a failure below finds them gone and goes on.
    let vault = deps.vault();
    for secret in [&i.credentials, &i.inbound_secret].into_iter().flatten() {
        vault.delete(secret).await.map_err(vault_error)?;
    }
    deps.store
        .transact(vec![
            TxWrite::delete("integration", i.key(), Condition::Exists),
            TxWrite::delete("locator", keys::integration_locator(&i.id), Condition::None),
        ])
        .await
        .map_err(|e| match e {
            StoreError::TransactionCanceled { .. } => AppError::NotFound("integration"),
            e => e.into(),
        })?;
    Ok(())
}

/// A job board's delivery: checks the signature and the replay window, then creates (or finds,
/// by email) the candidate in the organisation and their application, sourced from the board.
pub async fn inbound(
    deps: &Deps,
    id: &str,
    signature: Option<&str>,
    delivery_id: Option<&str>,
    raw_body: &[u8],
    input: InboundApplication,
) -> AppResult<InboundAccepted> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(AppError::NotFound("integration"));
    }
    let locator = deps.store.get(&keys::integration_locator(id)).await?.ok_or(AppError::NotFound("integration"))?;
    let org = locator.data["orgId"].as_str().map(OrgId::trusted).ok_or(AppError::NotFound("integration"))?;
    let i = load(deps, &org, id).await?;
    let (true, Some(sealed)) = (i.enabled && i.kind == IntegrationType::JobBoard, &i.inbound_secret) else {
        return Err(AppError::NotFound("integration"));
    };
    let refuse = |why: &str| {
        tracing::warn!(integration = %id, org = %org, reason = why, "inbound job-board delivery refused");
        AppError::Unauthenticated(why.to_owned())
    };
    let secret = deps.vault().get(id, sealed).await.map_err(vault_error)?;
    let secret = String::from_utf8(secret).map_err(|e| AppError::Internal(e.to_string()))?;
    let body = std::str::from_utf8(raw_body).map_err(|_| refuse("the body is not UTF-8"))?;
    let Some(signature) = signature else { return Err(refuse("no ClearView-Signature header")) };
    let now = deps.clock.now().unix_timestamp();
    if !verify(&secret, signature, body, now, REPLAY_WINDOW_S) {
        return Err(refuse("the signature does not match the body, or its timestamp is outside the 5-minute window"));
    }
    let delivery = delivery_id
        .map(str::trim)
        .filter(|d| (1..=128).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            AppError::field(DELIVERY_HEADER, "must be 1 to 128 visible ASCII characters, unique per delivery")
        })?;
    let seen = Item {
        key: keys::inbound_seen(id, delivery),
        gsi1: None,
        gsi2: None,
        entity: "InboundDeliverySeen".into(),
        version: 1,
        expires_at: Some(now + 2 * REPLAY_WINDOW_S),
        data: serde_json::json!({"at": now}),
    };
    match deps.store.put(seen, Condition::NotExists).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => {
            tracing::warn!(integration = %id, org = %org, delivery, "inbound job-board delivery replayed; refused");
            return Err(AppError::conflict("replayed-delivery", "this ClearView-Delivery-Id was already received"));
        }
        Err(e) => return Err(e.into()),
    }
    let result = accept(deps, &org, &i, input).await;
    if result.is_err() {
        // The board may retry the same delivery once the cause is fixed.
        let _ = deps.store.delete(&keys::inbound_seen(id, delivery), Condition::None).await;
    }
    result
}

async fn accept(deps: &Deps, org: &OrgId, i: &Integration, input: InboundApplication) -> AppResult<InboundAccepted> {
    let mut c = Checks::default();
    let name = c.take(CANDIDATE_NAME.parse("candidate.name", &input.candidate.name));
    let email = c.take(Email::parse("candidate.email", &input.candidate.email));
    c.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    // Only this organisation's jobs.
    let job_ref =
        crate::values::JobId::parse(input.job_id.trim()).ok_or_else(|| AppError::field("jobId", "is not a job id"))?;
    let locator = deps.store.get(&keys::job_locator(&job_ref)).await?;
    if locator.as_ref().and_then(|l| l.data["orgId"].as_str()) != Some(org.as_str()) {
        return Err(AppError::field("jobId", "is not one of this organisation's jobs"));
    }
    let candidate_id = match super::talent::find_by_email(deps, org, &email).await? {
        Some(existing) => existing,
        None => {
            let id = UserId::trusted(deps.ids.new_id().to_string());
            let mut cand = Candidate::new(id.clone(), email.clone(), name, deps.clock.now());
            cand.sourced_by = Some(org.clone());
            deps.store.put(cand.to_item()?, Condition::NotExists).await?;
            id
        }
    };
    let source = if ["indeed", "linkedin"].contains(&i.provider.as_str()) { &i.provider } else { "other" };
    let principal = Principal {
        user_id: candidate_id.clone(),
        email: Some(email),
        org_id: None,
        role: Some(crate::rbac::Role::Candidate),
        roles: [crate::rbac::Role::Candidate].into_iter().collect(),
        identity_providers: Vec::new(),
    };
    let app = apply(
        deps,
        &principal,
        ApplyInput {
            job_id: input.job_id,
            cover_letter: input.cover_letter,
            self_identification: None,
            source: Some(source.to_owned()),
            resume_file_id: None,
        },
    )
    .await?;
    tracing::info!(integration = %i.id, application = %app.id, "inbound job-board application accepted");
    Ok(InboundAccepted { application_id: app.id, candidate_id: candidate_id.to_string(), source: app.source })
}

// ---------------------------------------------------------------------------------------------
// Job-board sync: each board's state per job, and each run's outcome

use crate::model::integration::{BoardJob, BoardState, SyncRun};
use crate::model::{Job, JobStatus};
use crate::ports::queue::{WorkMessage, WorkQueue};
use crate::ports::store::Index;

/// The queue of the `integration-sync` consumer: sync requests (on demand and from the
/// schedule) and `job.published` events.
pub const SYNC_QUEUE: WorkQueue = WorkQueue::named("integration-sync");
pub const SYNC_KIND: &str = "integration-sync";
/// The domain events the sync queue's topic subscription delivers.
pub const SYNC_EVENTS: &[&str] = &["job.published", "job.paused", "job.closed"];

/// A sync to run (the body of a [`SYNC_KIND`] message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRequest {
    pub org_id: String,
    pub integration_id: String,
    pub run_id: String,
    pub trigger: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
}

impl SyncRequest {
    pub fn message(&self) -> WorkMessage {
        WorkMessage {
            id: format!("sync:{}:{}", self.integration_id, self.run_id),
            kind: SYNC_KIND.to_owned(),
            body: serde_json::to_value(self).unwrap_or_default(),
        }
    }
}

/// `POST /api/integrations/{id}/sync`: 202 with the run queued.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncQueued {
    pub run_id: String,
    pub integration_id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    /// Always `queued`; the outcome appears in `GET /api/integrations/{id}/status`.
    pub status: String,
}

/// `GET /api/integrations/{id}/status`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationStatus {
    pub integration: IntegrationView,
    /// The last 10 sync runs, newest first.
    pub runs: Vec<SyncRun>,
    /// A job board's state per job (at most 500).
    pub jobs: Vec<BoardJob>,
}

pub async fn request_sync(deps: &Deps, actor: &Actor, id: &str) -> AppResult<SyncQueued> {
    let i = load(deps, actor.org(), id).await?;
    let now = deps.clock.now();
    let req = SyncRequest {
        org_id: i.org_id.to_string(),
        integration_id: i.id.clone(),
        run_id: deps.ids.new_id().to_string(),
        trigger: "on_demand".into(),
        requested_at: now,
    };
    deps.queues.send(SYNC_QUEUE, &req.message()).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(SyncQueued { run_id: req.run_id, integration_id: i.id, requested_at: now, status: "queued".into() })
}

pub async fn status(deps: &Deps, actor: &Actor, id: &str) -> AppResult<IntegrationStatus> {
    let i = load(deps, actor.org(), id).await?;
    let pk = keys::board_pk(&i.org_id, &i.id);
    let runs = record::query::<SyncRun>(deps.store.as_ref(), &Query::table(&pk).prefix("RUN#").descending().limit(10))
        .await?
        .0;
    let jobs = record::query::<BoardJob>(deps.store.as_ref(), &Query::table(&pk).prefix("JOB#").limit(500)).await?.0;
    Ok(IntegrationStatus { integration: IntegrationView::from(&i), runs, jobs })
}

async fn jobs_with_status(deps: &Deps, org: &OrgId, status: JobStatus) -> AppResult<Vec<Job>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::job_by_status_pk(org, status.as_str())).limit(200).after(after);
        let (jobs, page) = record::query::<Job>(deps.store.as_ref(), &q).await?;
        out.extend(jobs);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// Runs one sync of a job board: its feed is what the board pulls (`/api/job-board/feed.xml`),
/// so a sync records what that feed now publishes for this board — each active job `active`
/// (or `failed` with why it cannot be published), each paused job `paused` — and takes off the
/// jobs no longer open. The run and its counts are recorded under the request's run id (a
/// redelivered request writes the same items).
pub async fn run_sync(deps: &Deps, req: &SyncRequest) -> AppResult<Option<SyncRun>> {
    let Some(org) = OrgId::parse(&req.org_id) else { return Ok(None) };
    let Some(i) =
        record::get::<Integration>(deps.store.as_ref(), &keys::integration(&org, &req.integration_id)).await?
    else {
        return Ok(None);
    };
    let mut run = SyncRun {
        id: req.run_id.clone(),
        integration_id: i.id.clone(),
        org_id: org.clone(),
        trigger: req.trigger.clone(),
        requested_at: req.requested_at,
        finished_at: deps.clock.now(),
        outcome: "succeeded".into(),
        active: 0,
        paused: 0,
        removed: 0,
        failed: 0,
        error: None,
    };
    // A redelivered request: the run is done and recorded; it changes nothing twice.
    if let Some(done) = record::get::<SyncRun>(deps.store.as_ref(), &run.key()).await?
        && done.outcome != "failed"
    {
        return Ok(Some(done));
    }
    if i.kind != IntegrationType::JobBoard || !i.enabled {
        run.outcome = "skipped".into();
        run.error = Some(if i.enabled {
            format!(
                "nothing to sync for a {} integration",
                serde_json::to_value(i.kind).unwrap_or_default().as_str().unwrap_or("?")
            )
        } else {
            "the integration is switched off".into()
        });
        record_run(deps, &run).await?;
        return Ok(Some(run));
    }
    let result: AppResult<()> = async {
        let now = deps.clock.now();
        let pk = keys::board_pk(&org, &i.id);
        let before =
            record::query::<BoardJob>(deps.store.as_ref(), &Query::table(&pk).prefix("JOB#").limit(1000)).await?.0;
        let mut open = std::collections::BTreeSet::new();
        for (status, jobs) in [
            (JobStatus::Active, jobs_with_status(deps, &org, JobStatus::Active).await?),
            (JobStatus::Paused, jobs_with_status(deps, &org, JobStatus::Paused).await?),
        ] {
            for job in jobs {
                open.insert(job.id.to_string());
                let (state, reason) = match status {
                    JobStatus::Active if job.published_at.is_none() => {
                        (BoardState::Failed, Some("active but never published: not in the feed".to_owned()))
                    }
                    JobStatus::Active if job.description.trim().is_empty() => {
                        (BoardState::Failed, Some("no description: boards refuse it".to_owned()))
                    }
                    JobStatus::Active => (BoardState::Active, None),
                    _ => (BoardState::Paused, None),
                };
                match state {
                    BoardState::Active => run.active += 1,
                    BoardState::Paused => run.paused += 1,
                    BoardState::Failed => run.failed += 1,
                    BoardState::Pending => {}
                }
                let b = BoardJob {
                    integration_id: i.id.clone(),
                    org_id: org.clone(),
                    job_id: job.id.to_string(),
                    title: job.title.clone(),
                    state,
                    reason,
                    updated_at: now,
                };
                deps.store.put(b.to_item()?, Condition::None).await?;
            }
        }
        for gone in before.iter().filter(|b| !open.contains(&b.job_id)) {
            deps.store.delete(&gone.key(), Condition::None).await?;
            run.removed += 1;
        }
        Ok(())
    }
    .await;
    if let Err(e) = &result {
        run.outcome = "failed".into();
        run.error = Some(e.to_string());
    }
    run.finished_at = deps.clock.now();
    if result.is_ok() {
        record_run(deps, &run).await?;
    } else {
        // A failed run is recorded too, but a retry of it may still succeed and replace it.
        deps.store.put(run.to_item()?, Condition::None).await?;
    }
    result.map(|()| Some(run))
}

async fn record_run(deps: &Deps, run: &SyncRun) -> AppResult<()> {
    match deps.store.put(run.to_item()?, Condition::NotExists).await {
        Ok(()) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A job was published: its state on each of the organisation's job boards is `pending` until
/// the sync this queues puts it in the feed.
pub async fn on_job_published(deps: &Deps, event: &crate::ports::queue::DomainEvent) -> AppResult<usize> {
    let Some(org) = OrgId::parse(&event.org_id) else { return Ok(0) };
    let boards: Vec<Integration> =
        list_all(deps, &org).await?.into_iter().filter(|i| i.kind == IntegrationType::JobBoard && i.enabled).collect();
    for i in &boards {
        let job = event.data["jobId"].as_str().unwrap_or(&event.subject_id).to_owned();
        let pending = BoardJob {
            integration_id: i.id.clone(),
            org_id: org.clone(),
            job_id: job,
            title: event.data["title"].as_str().unwrap_or_default().to_owned(),
            state: BoardState::Pending,
            reason: None,
            updated_at: deps.clock.now(),
        };
        // Only if the job is not on the board yet (a later sync's state wins over a redelivery).
        match deps.store.put(pending.to_item()?, Condition::NotExists).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        let req = SyncRequest {
            org_id: org.to_string(),
            integration_id: i.id.clone(),
            run_id: format!("job.published-{}", keys_safe(&event.id)),
            trigger: "job.published".into(),
            requested_at: event.occurred_at,
        };
        deps.queues.send(SYNC_QUEUE, &req.message()).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
    }
    Ok(boards.len())
}

/// A job was paused or closed: each of the organisation's enabled job boards marks it `paused`
/// or takes it off at once (the feed already follows the job's status). A late or redelivered
/// event changes nothing when the job has moved on (the job's status is read first).
pub async fn on_job_status(deps: &Deps, event: &crate::ports::queue::DomainEvent) -> AppResult<usize> {
    let Some(org) = OrgId::parse(&event.org_id) else { return Ok(0) };
    let Some(job_id) = crate::values::JobId::parse(event.data["jobId"].as_str().unwrap_or(&event.subject_id)) else {
        return Ok(0);
    };
    let Some(job) = record::get::<Job>(deps.store.as_ref(), &keys::job(&org, &job_id)).await? else { return Ok(0) };
    let paused = match (event.kind.as_str(), job.status) {
        ("job.paused", JobStatus::Paused) => true,
        ("job.closed", JobStatus::Closed | JobStatus::Cancelled) => false,
        _ => return Ok(0),
    };
    let boards: Vec<Integration> =
        list_all(deps, &org).await?.into_iter().filter(|i| i.kind == IntegrationType::JobBoard && i.enabled).collect();
    for i in &boards {
        let b = BoardJob {
            integration_id: i.id.clone(),
            org_id: org.clone(),
            job_id: job.id.to_string(),
            title: job.title.clone(),
            state: BoardState::Paused,
            reason: None,
            updated_at: deps.clock.now(),
        };
        if paused {
            deps.store.put(b.to_item()?, Condition::None).await?;
        } else {
            deps.store.delete(&b.key(), Condition::None).await?;
        }
    }
    Ok(boards.len())
}

/// A job-board event of the sync queue's topic subscription.
pub async fn on_job_event(deps: &Deps, event: &crate::ports::queue::DomainEvent) -> AppResult<usize> {
    match event.kind.as_str() {
        "job.published" => on_job_published(deps, event).await,
        _ => on_job_status(deps, event).await,
    }
}

fn keys_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect()
}

/// The schedule: queues a sync of every job board, across tenants (one page of the index at a
/// time); the consumer runs them. Returns how many it queued.
pub async fn queue_scheduled_syncs(deps: &Deps, scheduled_at: OffsetDateTime) -> AppResult<usize> {
    let mut queued = 0;
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::JOB_BOARDS_PK).limit(200).after(after);
        let (boards, page) = record::query::<Integration>(deps.store.as_ref(), &q).await?;
        for i in boards.iter().filter(|i| i.enabled) {
            let req = SyncRequest {
                org_id: i.org_id.to_string(),
                integration_id: i.id.clone(),
                run_id: format!("schedule-{}", scheduled_at.unix_timestamp()),
                trigger: "schedule".into(),
                requested_at: scheduled_at,
            };
            deps.queues.send(SYNC_QUEUE, &req.message()).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
            queued += 1;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(queued),
        }
    }
}
