//! The `webhooks` consumer: fans each application event out to the organisation's webhook
//! subscriptions (one delivery message each) and makes each delivery attempt: a signed POST,
//! logged; on failure the next attempt is re-sent to the same queue with a growing delay (SQS
//! `DelaySeconds`, at most 15 minutes, the embedded queue the same), and after the last one the
//! delivery goes to the dead-letter queue with the reason.
//!
//! The target is checked at every attempt, after DNS: the connector's resolver refuses private,
//! loopback and link-local addresses (unless the process's policy allows them), so a name that
//! starts resolving to the metadata service is refused too.

use clearview_core::Deps;
use clearview_core::model::webhook::AttemptOutcome;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::webhooks::{self as hooks, Answer, Delivery, Prepared};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

pub const QUEUE: WorkQueue = hooks::QUEUE;
/// The domain events the queue's topic subscription delivers.
pub const EVENTS: &[&str] = hooks::TOPIC_KINDS;

const REFUSED: &str = "refused webhook target";

/// A DNS resolver that refuses names resolving to a private address (SSRF guard).
#[derive(Clone)]
struct GuardedResolver {
    allow_private: bool,
}

impl tower_service::Service<Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && let Some(a) = addrs.iter().find(|a| hooks::is_private(a.ip())) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    format!("{REFUSED}: {host} resolves to the private address {}", a.ip()),
                ));
            }
            Ok(addrs.into_iter())
        })
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector<GuardedResolver>>, Full<bytes::Bytes>>;

fn client(allow_private: bool) -> Result<HttpsClient, String> {
    let mut http = HttpConnector::new_with_resolver(GuardedResolver { allow_private });
    http.enforce_http(false);
    http.set_connect_timeout(Some(hooks::DELIVERY_TIMEOUT));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| format!("no TLS roots: {e}"))?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// POSTs one attempt and reports what came back (never an error: a failure is an answer too).
async fn post(deps: &Deps, client: &HttpsClient, url: &str, secret: &str, d: &Delivery) -> Answer {
    let started = Instant::now();
    let elapsed = |s: Instant| u64::try_from(s.elapsed().as_millis()).unwrap_or(u64::MAX);
    let refused =
        |reason: String| Answer { status_code: None, latency_ms: 0, body: None, error: Some(reason), permanent: true };
    if let Err(reason) = hooks::check_target(url, &deps.webhooks) {
        return refused(format!("{REFUSED}: {url} {reason}"));
    }
    let timestamp = deps.clock.now().unix_timestamp();
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::USER_AGENT, "ClearView-Webhooks/1")
        .header(hooks::SIGNATURE_HEADER, hooks::signature(secret, timestamp, &d.body))
        .header(hooks::ID_HEADER, &d.delivery_id)
        .header(hooks::TYPE_HEADER, &d.event_type)
        .header(hooks::ATTEMPT_HEADER, d.attempt.to_string())
        .body(Full::new(bytes::Bytes::from(d.body.clone())));
    let request = match request {
        Ok(r) => r,
        Err(e) => return refused(format!("{REFUSED}: {e}")),
    };
    let exchange = async {
        let response = client.request(request).await?;
        let status = response.status().as_u16();
        // Only the start of the answer is kept; a receiver that streams forever is cut off by the timeout.
        let body = http_body_util::Limited::new(response.into_body(), 64 * 1024).collect().await;
        Ok::<_, hyper_util::client::legacy::Error>((status, body.map(|b| b.to_bytes()).unwrap_or_default()))
    };
    match tokio::time::timeout(hooks::DELIVERY_TIMEOUT, exchange).await {
        Ok(Ok((status, body))) => Answer {
            status_code: Some(status),
            latency_ms: elapsed(started),
            body: hooks::truncate_answer(&body),
            error: (!(200..300).contains(&status)).then(|| format!("the receiver answered HTTP {status}")),
            permanent: false,
        },
        Ok(Err(e)) => {
            let reason = error_chain(&e);
            Answer {
                status_code: None,
                latency_ms: elapsed(started),
                body: None,
                permanent: reason.contains(REFUSED),
                error: Some(reason),
            }
        }
        Err(_) => Answer {
            status_code: None,
            latency_ms: elapsed(started),
            body: None,
            error: Some(format!("no answer within {:?}", hooks::DELIVERY_TIMEOUT)),
            permanent: false,
        },
    }
}

pub struct WebhooksConsumer {
    deps: Deps,
    client: Option<HttpsClient>,
}

impl WebhooksConsumer {
    pub fn new(deps: Deps) -> Self {
        let client = match client(deps.webhooks.allow_private_targets) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e, "no HTTPS client for webhooks; deliveries will be retried");
                None
            }
        };
        Self { deps, client }
    }

    async fn fan_out(&self, message: &WorkMessage) -> Outcome {
        let event: DomainEvent = match serde_json::from_value(message.body.clone()) {
            Ok(e) => e,
            Err(e) => return Outcome::Poison(format!("not an application event: {e}")),
        };
        match hooks::fan_out(&self.deps, &event).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(event = %event.id, kind = %event.kind, deliveries = n, "webhook deliveries queued");
                }
                Outcome::Done
            }
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn deliver(&self, message: &WorkMessage) -> Outcome {
        let d: Delivery = match serde_json::from_value(message.body.clone()) {
            Ok(d) => d,
            Err(e) => return Outcome::Poison(format!("unreadable webhook delivery: {e}")),
        };
        let plan = match hooks::prepare(&self.deps, &d).await {
            Ok(Prepared::Ready(p)) => p,
            Ok(Prepared::Gone) => {
                tracing::info!(delivery = %d.delivery_id, subscription = %d.subscription_id, "subscription deleted; delivery dropped");
                return Outcome::Done;
            }
            Ok(Prepared::AlreadyMade) => return Outcome::Done,
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        let Some(client) = &self.client else { return Outcome::Retry("no HTTPS client".into()) };
        let at = self.deps.clock.now();
        let answer = post(&self.deps, client, &plan.url, &plan.secret, &d).await;
        let policy = &self.deps.webhooks;
        let (outcome, next_at) = if answer.delivered() {
            (AttemptOutcome::Delivered, None)
        } else if let Some(delay) = hooks::retry_delay(policy, d.attempt).filter(|_| !answer.permanent) {
            // The next attempt is queued before this one is logged: if logging fails, the
            // redelivered message posts again rather than the delivery stopping.
            if let Err(e) = self.deps.queues.send_delayed(QUEUE, &d.next().message(), delay).await {
                return Outcome::Retry(format!("could not queue the next attempt: {e}"));
            }
            let next = at + time::Duration::try_from(delay).unwrap_or(time::Duration::ZERO);
            (AttemptOutcome::Retrying, Some(next))
        } else {
            let reason = format!(
                "webhook delivery {} to {} failed after {} attempt(s): {}",
                d.delivery_id,
                plan.url,
                d.attempt,
                answer.error.as_deref().unwrap_or("no answer")
            );
            if let Err(e) = self.deps.queues.dead_letter(QUEUE, message, &reason).await {
                return Outcome::Retry(format!("could not dead-letter: {e}"));
            }
            tracing::warn!(delivery = %d.delivery_id, subscription = %d.subscription_id, reason, "webhook delivery dead-lettered");
            (AttemptOutcome::DeadLettered, None)
        };
        tracing::info!(
            delivery = %d.delivery_id,
            attempt = d.attempt,
            status = ?answer.status_code,
            latency_ms = answer.latency_ms,
            outcome = ?outcome,
            "webhook attempt"
        );
        match hooks::record_attempt(&self.deps, &d, at, &answer, outcome, next_at).await {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }
}

#[async_trait::async_trait]
impl Consumer for WebhooksConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }

    async fn handle(&self, message: &WorkMessage) -> Outcome {
        if message.kind == hooks::DELIVERY_KIND { self.deliver(message).await } else { self.fan_out(message).await }
    }
}
