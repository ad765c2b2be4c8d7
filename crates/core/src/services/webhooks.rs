//! Outbound webhooks for customers (what Greenhouse, Ashby and Workable offer): an
//! organisation subscribes a URL to event types; each delivery is a signed JSON POST made by the
//! `webhooks` consumer, retried with growing delays for hours, then dead-lettered; every attempt
//! is in the subscription's delivery log.
//!
//! Signing (Stripe's scheme): `ClearView-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`, the
//! HMAC keyed with the subscription's secret (the whole `whsec_…` text) over `<t>.<raw body>`.
//! A receiver recomputes it over the bytes it received, compares in constant time, and refuses a
//! `t` more than 5 minutes from its clock. The secret is shown once, at creation, and kept
//! sealed (bound to the subscription id).

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::webhook::{AttemptOutcome, WebhookAttempt, WebhookSubscription};
use crate::ports::Deps;
use crate::ports::WebhookPolicy;
use crate::ports::queue::{DomainEvent, WorkMessage, WorkQueue};
use crate::ports::store::{Condition, PageToken, Query, TxWrite};
use crate::record::{self, Record};
use crate::values::{Checks, TextRule};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::time::Duration;
use time::OffsetDateTime;

/// The queue of the `webhooks` consumer: application events (fanned out to subscriptions) and
/// the deliveries themselves (one message per attempt).
pub const QUEUE: WorkQueue = WorkQueue::named("webhooks");
/// The `kind` of a delivery message on [`QUEUE`].
pub const DELIVERY_KIND: &str = "webhook-delivery";
/// Most subscriptions one organisation holds.
pub const MAX_PER_ORG: usize = 20;
/// The signature header.
pub const SIGNATURE_HEADER: &str = "ClearView-Signature";
/// The delivery id header (the same on every attempt: receivers dedupe on it).
pub const ID_HEADER: &str = "ClearView-Webhook-Id";
pub const TYPE_HEADER: &str = "ClearView-Event-Type";
pub const ATTEMPT_HEADER: &str = "ClearView-Delivery-Attempt";
/// How much of a receiver's answer the log keeps.
pub const MAX_LOGGED_ANSWER: usize = 512;
/// How long a receiver has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The event types a subscription may name: each is made from a domain event on the topic.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("application.created", "a candidate applied (application.received)"),
    ("application.stage_changed", "an application moved to another stage or status"),
    ("application.hired", "an application moved to hired"),
    ("interview.scheduled", "an interview was scheduled"),
    ("interview.cancelled", "an interview was cancelled"),
    ("job.published", "a job was published"),
    ("job.paused", "a published job was paused (out of job boards' feeds until it is active again)"),
    ("job.closed", "a job was closed or cancelled"),
    ("candidate.erased", "a candidate's personal data was erased (GDPR); the payload holds only ids"),
    ("report.ready", "a requested or scheduled report was made; ids and the download route, no personal data"),
];

/// The domain event kinds the `webhooks` queue's topic subscription delivers.
pub const TOPIC_KINDS: &[&str] = &[
    "application.received",
    "application.status_changed",
    "interview.scheduled",
    "interview.cancelled",
    "job.published",
    "job.paused",
    "job.closed",
    "candidate.erased",
    "report.ready",
];

/// The customer event types a domain event makes.
pub fn event_types(event: &DomainEvent) -> Vec<&'static str> {
    match event.kind.as_str() {
        "application.received" => vec!["application.created"],
        "application.status_changed" => {
            let mut out = vec!["application.stage_changed"];
            if event.data.get("to").and_then(|v| v.as_str()) == Some("hired") {
                out.push("application.hired");
            }
            out
        }
        "interview.scheduled" => vec!["interview.scheduled"],
        "interview.cancelled" => vec!["interview.cancelled"],
        "job.published" => vec!["job.published"],
        "job.paused" => vec!["job.paused"],
        "job.closed" => vec!["job.closed"],
        "candidate.erased" => vec!["candidate.erased"],
        "report.ready" => vec!["report.ready"],
        _ => vec![],
    }
}

const DESCRIPTION: TextRule = TextRule::new(1, 200);
const MAX_URL: usize = 2048;

fn description_schema() -> utoipa::openapi::schema::Object {
    DESCRIPTION.opt_schema()
}

fn url_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::schema::SchemaFormat::Custom("uri".into())))
        .min_length(Some(8))
        .max_length(Some(MAX_URL))
        .build()
}

fn events_schema() -> utoipa::openapi::schema::Array {
    let item = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(EVENT_TYPES.iter().map(|(t, _)| *t)))
        .build();
    utoipa::openapi::schema::ArrayBuilder::new().items(item).min_items(Some(1)).unique_items(true).build()
}

/// `POST /api/webhooks`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: a public `https://` URL (loopback and private addresses are
    /// refused in production).
    #[schema(schema_with = url_schema)]
    pub url: String,
    /// The event types to receive (at least one).
    #[schema(schema_with = events_schema)]
    pub events: Vec<String>,
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
}

/// A subscription as the API shows it (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl From<&WebhookSubscription> for Webhook {
    fn from(s: &WebhookSubscription) -> Self {
        Self {
            id: s.id.clone(),
            url: s.url.clone(),
            events: s.events.clone(),
            description: s.description.clone(),
            created_at: s.created_at,
            version: s.version,
        }
    }
}

/// The answer to a creation: the subscription and its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreated {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
    /// The HMAC key of the `ClearView-Signature` header (`whsec_…`). Shown only now: keep it.
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhooks {
    pub items: Vec<Webhook>,
}

/// One delivery attempt to make: the body of a [`DELIVERY_KIND`] message. The body text is
/// fixed when the delivery is made, so every attempt signs the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub org_id: String,
    pub subscription_id: String,
    pub delivery_id: String,
    pub event_type: String,
    pub body: String,
    /// 1 for the first attempt.
    pub attempt: u32,
}

impl Delivery {
    pub fn message(&self) -> WorkMessage {
        WorkMessage {
            id: format!("{}#{}", self.delivery_id, self.attempt),
            kind: DELIVERY_KIND.to_owned(),
            body: serde_json::to_value(self).unwrap_or_default(),
        }
    }

    /// The same delivery's next attempt.
    pub fn next(&self) -> Self {
        Self { attempt: self.attempt + 1, ..self.clone() }
    }
}

/// The wait before the attempt after `attempt` failed, or `None` when it was the last.
pub fn retry_delay(policy: &WebhookPolicy, attempt: u32) -> Option<Duration> {
    let i = usize::try_from(attempt).ok()?.checked_sub(1)?;
    policy.retry_delays_s.get(i).map(|s| Duration::from_secs(u64::from((*s).min(900))))
}

/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    format!("t={timestamp},v1={}", hex(&hmac(secret, &format!("{timestamp}.{body}"))))
}

/// Checks a `ClearView-Signature` value over `body` at `now` (what a receiver does): the
/// timestamp within `tolerance_s` seconds, and a `v1` that matches (constant-time).
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance_s: i64) -> bool {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.push(v.to_owned()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    if (now - t).abs() > tolerance_s {
        return false;
    }
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return false,
    };
    mac.update(format!("{t}.{body}").as_bytes());
    sigs.iter().any(|s| unhex(s).is_some_and(|bytes| mac.clone().verify_slice(&bytes).is_ok()))
}

pub(crate) fn hmac(key: &str, text: &str) -> Vec<u8> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable_hmac());
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn unreachable_hmac() -> Hmac<Sha256> {
    // new_from_slice never refuses a key for HMAC; keep a fixed-key MAC rather than panic.
    <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A new signing secret: `whsec_` and 32 random bytes, base64url.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether an address is one a customer's webhook must never reach from inside our network:
/// loopback, private, link-local (the cloud metadata service), CGNAT, unspecified, multicast,
/// broadcast, documentation, unique-local and IPv4-mapped forms of those.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b)
        }
    }
}

/// Checks a target URL against the policy (before any DNS lookup: the consumer checks the
/// resolved addresses again at each attempt). Returns the parsed URL or why it is refused.
pub fn check_target(raw: &str, policy: &WebhookPolicy) -> Result<url::Url, String> {
    if raw.len() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private_targets => {}
        "http" => return Err("must be https://".into()),
        _ => return Err("must be an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment".into());
    }
    let private = match url.host() {
        None => return Err("must name a host".into()),
        Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || d.ends_with(".localhost")
                || d.ends_with(".local")
                || d.ends_with(".internal")
                || !d.contains('.')
        }
    };
    if private && !policy.allow_private_targets {
        return Err("must be a public address (loopback, private and link-local addresses are refused)".into());
    }
    Ok(url)
}

fn check_events(c: &mut Checks, events: &[String]) -> Vec<String> {
    if events.is_empty() {
        c.push("events", "must name at least one event type");
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        if !EVENT_TYPES.iter().any(|(t, _)| t == e) {
            let known: Vec<&str> = EVENT_TYPES.iter().map(|(t, _)| *t).collect();
            c.push("events", format!("{e:?} is not an event type (one of {})", known.join(", ")));
        } else if out.contains(e) {
            c.push("events", format!("{e:?} is named twice"));
        } else {
            out.push(e.clone());
        }
    }
    out
}

fn delivery_id(subscription: &str, event_type: &str, event_id: &str) -> String {
    let digest = Sha256::digest(format!("{subscription}|{event_type}|{event_id}").as_bytes());
    hex(&digest[..16])
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub async fn create(deps: &Deps, actor: &Actor, input: WebhookInput) -> AppResult<WebhookCreated> {
    let mut c = Checks::default();
    let url = match check_target(&input.url, &deps.webhooks) {
        Ok(u) => Some(u),
        Err(reason) => {
            c.push("url", reason);
            None
        }
    };
    let events = check_events(&mut c, &input.events);
    let description = c.take(DESCRIPTION.parse_opt("description", input.description.as_deref())).flatten();
    c.finish()?;
    let Some(url) = url else { return Err(AppError::Internal("validated url missing".into())) };
    let existing = subscriptions(deps, actor.org()).await?;
    if existing.len() >= MAX_PER_ORG {
        return Err(AppError::conflict(
            "too-many-webhooks",
            format!("an organisation holds at most {MAX_PER_ORG} webhook subscriptions"),
        ));
    }
    let id = deps.ids.new_id().to_string();
    let secret = new_secret();
    let sealed =
        deps.sealer.seal(secret.as_bytes(), id.as_bytes()).map_err(|e| AppError::Unavailable(e.to_string()))?;
    let now = deps.clock.now();
    let s = WebhookSubscription {
        id: id.clone(),
        org_id: actor.org().clone(),
        url: url.to_string(),
        events,
        description,
        secret: sealed,
        created_by: actor.user.id.clone(),
        created_at: now,
        version: 1,
    };
    deps.store.put(s.to_item()?, Condition::NotExists).await?;
    // The ping: proof to the receiver (and in the delivery log) that the URL and secret work.
    let body = serde_json::json!({
        "id": delivery_id(&id, "ping", &id),
        "type": "ping",
        "createdAt": rfc3339(now),
        "organizationId": actor.org().to_string(),
        "data": {"subscriptionId": id, "url": s.url, "events": s.events},
    });
    let ping = Delivery {
        org_id: actor.org().to_string(),
        subscription_id: id.clone(),
        delivery_id: delivery_id(&id, "ping", &id),
        event_type: "ping".into(),
        body: body.to_string(),
        attempt: 1,
    };
    if let Err(e) = deps.queues.send(QUEUE, &ping.message()).await {
        tracing::error!(subscription = %id, error = %e, "the webhook's ping could not be queued");
    }
    let v = Webhook::from(&s);
    Ok(WebhookCreated {
        id: v.id,
        url: v.url,
        events: v.events,
        description: v.description,
        created_at: v.created_at,
        version: v.version,
        secret,
    })
}

async fn subscriptions(deps: &Deps, org: &crate::values::OrgId) -> AppResult<Vec<WebhookSubscription>> {
    // At most MAX_PER_ORG: one page.
    let q = Query::table(keys::org_pk(org)).prefix(keys::WEBHOOK_PREFIX).limit(100);
    let (items, _) = record::query::<WebhookSubscription>(deps.store.as_ref(), &q).await?;
    Ok(items)
}

pub async fn list(deps: &Deps, actor: &Actor) -> AppResult<Webhooks> {
    Ok(Webhooks { items: subscriptions(deps, actor.org()).await?.iter().map(Webhook::from).collect() })
}

fn valid_id(id: &str) -> AppResult<()> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| AppError::NotFound("webhook"))
}

async fn load(deps: &Deps, org: &crate::values::OrgId, id: &str) -> AppResult<WebhookSubscription> {
    valid_id(id)?;
    record::get(deps.store.as_ref(), &keys::webhook(org, id)).await?.ok_or(AppError::NotFound("webhook"))
}

/// Removes a subscription: nothing more is delivered to it (queued attempts are dropped).
pub async fn delete(deps: &Deps, actor: &Actor, id: &str) -> AppResult<()> {
    let s = load(deps, actor.org(), id).await?;
    deps.store.delete(&s.key(), Condition::Exists).await.map_err(|e| match e {
        crate::ports::store::StoreError::ConditionFailed { .. } => AppError::NotFound("webhook"),
        e => e.into(),
    })?;
    Ok(())
}

/// A subscription's delivery attempts, newest first.
pub async fn deliveries(
    deps: &Deps,
    actor: &Actor,
    id: &str,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<WebhookAttempt>> {
    let s = load(deps, actor.org(), id).await?;
    let q = Query::table(keys::webhook_log_pk(&s.org_id, &s.id))
        .prefix(keys::WEBHOOK_ATTEMPT_PREFIX)
        .descending()
        .limit(limit)
        .after(after);
    let (items, page) = record::query::<WebhookAttempt>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// Queues a delivery to each of the organisation's subscriptions that wants one of the event's
/// types. Delivery ids come from (subscription, type, event), so a redelivered event queues the
/// same deliveries again and their attempt markers keep them from being posted twice.
pub async fn fan_out(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let types = event_types(event);
    if types.is_empty() {
        return Ok(0);
    }
    let Some(org) = crate::values::OrgId::parse(&event.org_id) else {
        return Ok(0);
    };
    let mut queued = 0;
    for s in subscriptions(deps, &org).await? {
        for t in types.iter().filter(|t| s.events.iter().any(|e| e == *t)) {
            let id = delivery_id(&s.id, t, &event.id);
            let body = serde_json::json!({
                "id": id,
                "type": t,
                "createdAt": rfc3339(event.occurred_at),
                "organizationId": event.org_id,
                "subjectId": event.subject_id,
                "data": event.data,
            });
            let d = Delivery {
                org_id: event.org_id.clone(),
                subscription_id: s.id.clone(),
                delivery_id: id,
                event_type: (*t).to_owned(),
                body: body.to_string(),
                attempt: 1,
            };
            deps.queues.send(QUEUE, &d.message()).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// What the delivery consumer needs to make an attempt: the subscription (None: deleted, drop
/// the delivery), whether this attempt was already made, and the opened secret.
pub struct AttemptPlan {
    pub url: String,
    pub secret: String,
}

pub enum Prepared {
    /// The subscription is gone: nothing to deliver.
    Gone,
    /// This attempt was already made (a redelivered message).
    AlreadyMade,
    Ready(AttemptPlan),
}

pub async fn prepare(deps: &Deps, d: &Delivery) -> AppResult<Prepared> {
    let Some(org) = crate::values::OrgId::parse(&d.org_id) else { return Ok(Prepared::Gone) };
    let Some(s) =
        record::get::<WebhookSubscription>(deps.store.as_ref(), &keys::webhook(&org, &d.subscription_id)).await?
    else {
        return Ok(Prepared::Gone);
    };
    if deps.store.get(&keys::webhook_attempt_done(&org, &d.subscription_id, &d.delivery_id, d.attempt)).await?.is_some()
    {
        return Ok(Prepared::AlreadyMade);
    }
    let secret = deps.sealer.open(&s.secret, s.id.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    let secret = String::from_utf8(secret).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Prepared::Ready(AttemptPlan { url: s.url, secret }))
}

/// What one attempt's POST came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub body: Option<String>,
    pub error: Option<String>,
    /// It can never succeed (a refused target): dead-letter at once.
    pub permanent: bool,
}

impl Answer {
    pub fn delivered(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// Records an attempt in the log with its marker (one transaction; the marker's condition
/// keeps a concurrent copy of the same message from logging it twice).
pub async fn record_attempt(
    deps: &Deps,
    d: &Delivery,
    at: OffsetDateTime,
    answer: &Answer,
    outcome: AttemptOutcome,
    next_attempt_at: Option<OffsetDateTime>,
) -> AppResult<()> {
    let Some(org) = crate::values::OrgId::parse(&d.org_id) else { return Ok(()) };
    let a = WebhookAttempt {
        delivery_id: d.delivery_id.clone(),
        subscription_id: d.subscription_id.clone(),
        org_id: org.clone(),
        event_type: d.event_type.clone(),
        attempt: d.attempt,
        attempted_at: at,
        status_code: answer.status_code,
        latency_ms: answer.latency_ms,
        response_body: answer.body.clone(),
        error: answer.error.clone(),
        outcome,
        next_attempt_at,
    };
    let marker = crate::ports::store::Item {
        key: keys::webhook_attempt_done(&org, &d.subscription_id, &d.delivery_id, d.attempt),
        gsi1: None,
        gsi2: None,
        entity: "WebhookAttemptMade".into(),
        version: 1,
        expires_at: a.expires_at(),
        data: serde_json::json!({"attemptedAt": rfc3339(at)}),
    };
    let writes = vec![a.tx_put("attempt", Condition::NotExists)?, TxWrite::put("marker", marker, Condition::NotExists)];
    match deps.store.transact(writes).await {
        Ok(()) => Ok(()),
        // Another copy of this message logged it first.
        Err(crate::ports::store::StoreError::TransactionCanceled { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The start of a receiver's answer, cut at a character boundary.
pub fn truncate_answer(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_LOGGED_ANSWER)]).into_owned();
    let mut end = text.len().min(MAX_LOGGED_ANSWER);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(text[..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_over_the_same_body_and_time_only() {
        let h = signature("whsec_abc", 1_700_000_000, "{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert!(verify("whsec_abc", &h, "{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify("whsec_abc", &h, "{\"a\":2}", 1_700_000_100, 300));
        assert!(!verify("whsec_other", &h, "{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify("whsec_abc", &h, "{\"a\":1}", 1_700_000_301, 300), "outside the window");
    }

    #[test]
    fn private_targets_are_refused_in_production_and_allowed_locally() {
        let prod = WebhookPolicy::default();
        let local = WebhookPolicy::local(vec![0]);
        for bad in [
            "http://example.com/x",
            "https://127.0.0.1/x",
            "https://localhost:8080/x",
            "https://10.1.2.3/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[::ffff:192.168.0.1]/x",
            "https://metadata.google.internal/x",
            "https://100.64.0.1/x",
        ] {
            assert!(check_target(bad, &prod).is_err(), "{bad}");
        }
        assert!(check_target("https://hooks.example.com/clearview", &prod).is_ok());
        assert!(check_target("http://127.0.0.1:9000/hook", &local).is_ok());
        assert!(check_target("ftp://example.com/x", &local).is_err());
        assert!(check_target("https://user:pw@example.com/x", &prod).is_err());
    }

    #[test]
    fn retries_wait_longer_and_stop_after_the_last_delay() {
        let p = WebhookPolicy::default();
        assert_eq!(retry_delay(&p, 1), Some(Duration::from_secs(30)));
        assert_eq!(retry_delay(&p, 4), Some(Duration::from_secs(900)));
        let total: u64 = p.retry_delays_s.iter().map(|s| u64::from(*s)).sum();
        assert!(total >= 4 * 3600, "retries span hours: {total} s");
        assert_eq!(retry_delay(&p, u32::try_from(p.retry_delays_s.len()).unwrap() + 1), None);
    }

    #[test]
    fn a_move_to_hired_makes_a_stage_change_and_a_hire() {
        let e = DomainEvent {
            id: "e".into(),
            kind: "application.status_changed".into(),
            org_id: "o".into(),
            subject_id: "a".into(),
            occurred_at: OffsetDateTime::UNIX_EPOCH,
            data: serde_json::json!({"to": "hired"}),
            correlation_id: None,
        };
        assert_eq!(event_types(&e), vec!["application.stage_changed", "application.hired"]);
        for kind in TOPIC_KINDS {
            assert!(!event_types(&DomainEvent { kind: (*kind).into(), ..e.clone() }).is_empty(), "{kind}");
        }
    }
}
