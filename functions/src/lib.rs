//! Composition roots of the one Lambda bootstrap. [`run`] looks the function's handler up in the
//! route table and the asynchronous-work table and starts [`http_function`],
//! [`queue_function`] or [`schedule_function`]: tracing, config from named environment
//! variables, SDK clients built once, then the Lambda loop. A function gets only the ports its
//! route's grants (or its consumer's needs) name, so it needs only those settings.

use clearview_aws::config::{Adapters, AwsConfig};
use clearview_chain::table::{self, Build, ConsumerDef, Need};
use clearview_core::Deps;
use clearview_core::ports::clock::{SystemClock, UuidV7};
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::queue::{Outcome, WorkQueue};
use clearview_http::App;
use clearview_http::cursor::CursorKey;
use clearview_http::routes::{Grant, Route};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use lambda_http::Error;

/// Secret that seals list cursors (≥ 32 bytes); every function of a stack gets the same one.
pub const CURSOR_SECRET: &str = "CURSOR_SECRET";
/// Secret (≥ 32 characters) from which the key that seals voluntary self-identification is
/// derived (SHA-256), resolved from Secrets Manager by the template.
pub const SEALING_KEY: &str = "SEALING_KEY";

fn env_secret(name: &str) -> Result<String, Error> {
    let v = std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))?;
    if v.len() < 32 {
        return Err(format!("environment variable {name} must hold at least 32 characters").into());
    }
    Ok(v)
}

fn sealer() -> Result<AesGcmSealer, Error> {
    let secret = env_secret(SEALING_KEY)?;
    let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    Ok(AesGcmSealer::new("sm-1", &key))
}

async fn base(config: &AwsConfig) -> (Adapters, Deps) {
    let adapters = Adapters::connect(config).await;
    let deps = Deps::new(
        Arc::new(adapters.store.clone()),
        Arc::new(adapters.identity.clone()),
        Arc::new(adapters.mail.clone()),
        Arc::new(SystemClock),
        Arc::new(UuidV7),
    );
    (adapters, deps)
}

fn queue_named(name: &str) -> Option<WorkQueue> {
    table::queue(name).map(|q| q.queue())
}

/// The variable the `provided.al2023` runtime sets from the function's `Handler` setting.
pub const HANDLER: &str = "_HANDLER";

/// The function this process serves: `_HANDLER`, or the first argument (for running the
/// bootstrap by hand: `bootstrap jobs-get`).
pub fn handler_name() -> Result<String, Error> {
    std::env::var(HANDLER)
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::args().nth(1))
        .ok_or_else(|| format!("set {HANDLER} (the function's Handler) to a route or consumer name").into())
}

/// Runs the function named `handler` until the runtime stops it.
pub async fn run(handler: &str) -> Result<(), Error> {
    if clearview_http::routes::by_name(handler).is_some() {
        return http_function(handler).await;
    }
    match table::by_name(handler) {
        Some(def @ ConsumerDef { build: Build::Queue(_), .. }) => queue_function(def).await,
        Some(def @ ConsumerDef { build: Build::Schedule(_), .. }) => schedule_function(def).await,
        None => Err(format!("{handler} names no route and no consumer").into()),
    }
}

/// The application state for one route over the AWS adapters.
pub async fn aws_app(route: &Route) -> Result<App, Error> {
    let config = AwsConfig::from_env()?;
    let (adapters, mut deps) = base(&config).await;
    let send: Vec<WorkQueue> = route
        .grants
        .iter()
        .filter_map(|g| match g {
            Grant::SendQueue(q) => queue_named(q),
            _ => None,
        })
        .collect();
    if !send.is_empty() {
        deps = deps.with_queues(Arc::new(adapters.queues(&send)?));
    }
    if route.grants.iter().any(|g| matches!(g, Grant::ResumesRead | Grant::ResumesWrite)) {
        deps = deps.with_blobs(Arc::new(adapters.blobs()?));
    }
    if route.grants.contains(&Grant::PublishEvents) {
        deps = deps.with_events(Arc::new(adapters.events()?));
    }
    if route.grants.contains(&Grant::SealingKey) {
        deps = deps.with_sealer(Arc::new(sealer()?));
    }
    let secret = env_secret(CURSOR_SECRET)?;
    let cursors = CursorKey::new(secret.as_bytes()).map_err(|e| format!("{CURSOR_SECRET}: {e}"))?;
    Ok(App::new(deps, cursors))
}

/// The whole life of an API-route Lambda.
pub async fn http_function(name: &str) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let route = clearview_http::routes::by_name(name).ok_or_else(|| format!("no route is named {name}"))?;
    let app = aws_app(route).await?;
    clearview_http::lambda::serve(app, route).await
}

/// The ports a consumer's needs name, over the AWS adapters.
async fn consumer_deps(def: &ConsumerDef) -> Result<Deps, Error> {
    let config = AwsConfig::from_env()?;
    let (adapters, mut deps) = base(&config).await;
    let send = def.send_queues();
    if !send.is_empty() {
        deps = deps.with_queues(Arc::new(adapters.queues(&send)?));
    }
    if def.publishes() {
        deps = deps.with_events(Arc::new(adapters.events()?));
    }
    if def.uses_objects() {
        deps = deps.with_blobs(Arc::new(adapters.blobs()?));
    }
    if def.needs(Need::SealingKey) {
        deps = deps.with_sealer(Arc::new(sealer()?));
    }
    Ok(deps)
}

/// The whole life of a queue consumer Lambda (SQS event source, partial batch failures).
pub async fn queue_function(def: &'static ConsumerDef) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let Build::Queue(make) = def.build else { return Err(format!("{} is not a queue consumer", def.name).into()) };
    let deps = consumer_deps(def).await?;
    let consumer = make(&deps);
    clearview_aws::lambda_sqs::run(consumer, deps.queues.clone()).await
}

/// When the schedule fired: EventBridge Scheduler's `scheduledTime` (the template's input),
/// or an EventBridge rule's `time`; the invocation time otherwise.
pub fn scheduled_at(event: &serde_json::Value, now: time::OffsetDateTime) -> time::OffsetDateTime {
    let format = time::format_description::well_known::Rfc3339;
    ["scheduledTime", "time"]
        .iter()
        .filter_map(|k| event.get(*k).and_then(serde_json::Value::as_str))
        .find_map(|t| time::OffsetDateTime::parse(t, &format).ok())
        .unwrap_or(now)
}

/// The whole life of a scheduled consumer Lambda. A `Retry` fails the invocation, so the
/// schedule's retry policy (and then its dead-letter queue) takes over; `Poison` is logged and
/// answered as done, since running it again cannot help.
pub async fn schedule_function(def: &'static ConsumerDef) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let Build::Schedule(make) = def.build else { return Err(format!("{} is not a scheduled job", def.name).into()) };
    let deps = consumer_deps(def).await?;
    let job = make(&deps);
    let clock = deps.clock.clone();
    let name = def.name;
    lambda_runtime::run(lambda_runtime::service_fn(move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
        let (job, clock) = (job.clone(), clock.clone());
        async move {
            let at = scheduled_at(&event.payload, clock.now());
            match job.run(at).await {
                Outcome::Done => Ok(serde_json::json!({ "schedule": name, "status": "done" })),
                Outcome::Poison(reason) => {
                    lambda_runtime::tracing::error!(schedule = name, %reason, "scheduled run failed for good");
                    Ok(serde_json::json!({ "schedule": name, "status": "failed", "reason": reason }))
                }
                Outcome::Retry(reason) => Err(Error::from(format!("{name}: {reason}"))),
            }
        }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_consumer_is_a_handler_the_bootstrap_knows() {
        for r in clearview_http::ROUTES.iter() {
            assert!(table::by_name(r.name).is_none(), "{} is both a route and a consumer", r.name);
        }
        for c in table::CONSUMERS {
            assert!(clearview_http::routes::by_name(c.name).is_none(), "{}", c.name);
        }
    }

    #[test]
    fn the_schedule_time_comes_from_the_event() {
        let now = time::macros::datetime!(2026-11-30 06:00:07 UTC);
        let rule: serde_json::Value = serde_json::from_str(include_str!("../../events/schedule-reports.json")).unwrap();
        assert_eq!(scheduled_at(&rule, now), time::macros::datetime!(2025-02-03 06:00:00 UTC));
        let scheduler = serde_json::json!({ "scheduledTime": "2026-11-30T06:00:00Z" });
        assert_eq!(scheduled_at(&scheduler, now), time::macros::datetime!(2026-11-30 06:00:00 UTC));
        assert_eq!(scheduled_at(&serde_json::json!({}), now), now);
    }
}
