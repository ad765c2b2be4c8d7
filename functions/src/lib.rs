//! Composition roots of the one Lambda bootstrap. [`run`] looks the function's handler up in the
//! route table and the asynchronous-work table and starts [`http_function`],
//! [`queue_function`] or [`schedule_function`]: tracing, config from named environment
//! variables, SDK clients built once, then the Lambda loop. A function gets only the ports its
//! route's grants (or its consumer's needs) name, so it needs only those settings.

use clearview_aws::config::{Adapters, AwsConfig};
use clearview_aws::lambda_sqs::{self, SqsEvent};
use clearview_chain::table::{self, Build, ConsumerDef, Need};
use clearview_core::Deps;
use clearview_core::ports::clock::{SystemClock, UuidV7};
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::queue::{Outcome, WorkQueue};
use clearview_http::App;
use clearview_http::cursor::CursorKey;
use clearview_http::routes::{Grant, Route};
use clearview_observe::metrics;
use lambda_runtime::LambdaEvent;
use metrics_cloudwatch_embedded::Collector;
use metrics_cloudwatch_embedded::lambda::handler as emf;
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
    if route.grants.iter().any(|g| {
        matches!(
            g,
            Grant::ResumesRead
                | Grant::ResumesWrite
                | Grant::ReportsRead
                | Grant::ResourcesRead
                | Grant::ResourcesWrite
                | Grant::ExportsRead
                | Grant::ResumesDelete
        )
    }) {
        deps = deps.with_blobs(Arc::new(adapters.blobs()?));
    }
    if route.grants.contains(&Grant::ResumeScanTags) {
        deps = deps.with_malware(Arc::new(adapters.malware()?));
    }
    if route.grants.contains(&Grant::PublishEvents) {
        deps = deps.with_events(Arc::new(adapters.events()?));
    }
    if route.grants.contains(&Grant::SealingKey) {
        deps = deps.with_sealer(Arc::new(sealer()?));
    }
    if route.grants.contains(&Grant::Ocr) {
        deps = deps.with_ocr(Arc::new(adapters.ocr()));
    }
    if route.grants.iter().any(|g| matches!(g, Grant::IntegrationSecretsWrite | Grant::IntegrationSecretsRead)) {
        deps = deps.with_secrets(Arc::new(adapters.secrets()));
    }
    let secret = env_secret(CURSOR_SECRET)?;
    let cursors = CursorKey::new(secret.as_bytes()).map_err(|e| format!("{CURSOR_SECRET}: {e}"))?;
    let limits = clearview_http::ratelimit::RateLimits::from_env()?;
    Ok(App::new(deps, cursors).with_rate_limits(limits).with_platform_admins_from_env())
}

/// The metrics recorder of a function: CloudWatch embedded metric format, namespace
/// `ClearView`, dimension `function` = its handler name; the Lambda layer adds the `ColdStart`
/// metric on the first invocation and the request and X-Ray trace ids as properties.
pub fn metrics_builder(function: &str) -> metrics_cloudwatch_embedded::Builder {
    metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(metrics::NAMESPACE)
        .with_dimension(metrics::FUNCTION_DIMENSION, function.to_owned())
        .lambda_cold_start_metric(metrics::COLD_START)
        .with_lambda_request_id("requestId")
        .with_lambda_xray_trace_id("xrayTraceId")
}

/// Logging and metrics of a function; the collector is flushed to stdout (the function's log,
/// which CloudWatch reads EMF from) after every invocation.
fn observe(function: &str) -> Result<&'static Collector, Error> {
    clearview_observe::logs::init_lambda();
    let collector = metrics_builder(function).init()?;
    metrics::describe();
    Ok(collector)
}

/// The whole life of an API-route Lambda.
pub async fn http_function(name: &str) -> Result<(), Error> {
    let collector = observe(name)?;
    let route = clearview_http::routes::by_name(name).ok_or_else(|| format!("no route is named {name}"))?;
    let app = aws_app(route).await?;
    emf::run_http(collector, move |req| {
        let app = app.clone();
        async move { clearview_http::lambda::handle(&app, route, req).await }
    })
    .await
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
    if def.needs.iter().any(|n| matches!(n, Need::ReadScanTags(_))) {
        deps = deps.with_malware(Arc::new(adapters.malware()?));
    }
    if def.needs(Need::SealingKey) {
        deps = deps.with_sealer(Arc::new(sealer()?));
    }
    if def.needs(Need::Ocr) {
        deps = deps.with_ocr(Arc::new(adapters.ocr()));
    }
    Ok(deps)
}

/// The whole life of a queue consumer Lambda (SQS event source, partial batch failures).
pub async fn queue_function(def: &'static ConsumerDef) -> Result<(), Error> {
    let collector = observe(def.name)?;
    let Build::Queue(make) = def.build else { return Err(format!("{} is not a queue consumer", def.name).into()) };
    let deps = consumer_deps(def).await?;
    let consumer = make(&deps);
    let queues = deps.queues.clone();
    emf::run(collector, move |event: LambdaEvent<SqsEvent>| {
        let (consumer, queues) = (consumer.clone(), queues.clone());
        async move { Ok::<_, Error>(lambda_sqs::handle_batch(&*consumer, &*queues, event.payload).await) }
    })
    .await
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
    let collector = observe(def.name)?;
    let Build::Schedule(make) = def.build else { return Err(format!("{} is not a scheduled job", def.name).into()) };
    let deps = consumer_deps(def).await?;
    let job = make(&deps);
    let clock = deps.clock.clone();
    let name = def.name;
    emf::run(collector, move |event: LambdaEvent<serde_json::Value>| {
        let (job, clock) = (job.clone(), clock.clone());
        async move {
            let at = scheduled_at(&event.payload, clock.now());
            let started = std::time::Instant::now();
            let outcome = job.run(at).await;
            metrics::stage(name, started.elapsed());
            match outcome {
                Outcome::Done => Ok(serde_json::json!({ "schedule": name, "status": "done" })),
                Outcome::Poison(reason) => {
                    tracing::error!(schedule = name, %reason, "scheduled run failed for good");
                    Ok(serde_json::json!({ "schedule": name, "status": "failed", "reason": reason }))
                }
                Outcome::Retry(reason) => Err(Error::from(format!("{name}: {reason}"))),
            }
        }
    })
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

    /// The one test of this binary that installs the global recorder.
    #[test]
    fn a_metric_flush_is_embedded_metric_format_naming_its_metrics() {
        use std::time::Duration;
        let collector = metrics_builder("applications-get").with_timestamp(1_700_000_000_000).init().unwrap();
        metrics::describe();
        metrics::request("applications-get", 200, Duration::from_millis(12));
        metrics::request("applications-get", 503, Duration::from_millis(40));
        metrics::stage("score", Duration::from_millis(7));
        metrics::upload_to_scored(Duration::from_secs(2));
        let mut out = Vec::new();
        collector.flush(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut named = std::collections::BTreeMap::new();
        for line in text.lines() {
            let doc: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000u64, "{line}");
            assert_eq!(doc["function"], "applications-get", "{line}");
            let directives = doc["_aws"]["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
            for d in directives {
                assert_eq!(d["Namespace"], "ClearView", "{line}");
                for set in d["Dimensions"].as_array().unwrap() {
                    let set: Vec<&str> = set.as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
                    assert!(set.contains(&"function"), "{line}");
                    for dim in set {
                        assert!(doc[dim].is_string(), "dimension {dim} has no value: {line}");
                    }
                }
                for m in d["Metrics"].as_array().unwrap() {
                    let name = m["Name"].as_str().unwrap().to_owned();
                    assert!(doc[&name].is_number() || doc[&name].is_array(), "{name} has no value: {line}");
                    named.insert(name, m["Unit"].as_str().map(str::to_owned));
                }
            }
        }
        assert_eq!(named.get("Requests"), Some(&Some("Count".to_owned())), "{text}");
        for histogram in ["Latency", "StageDuration", "UploadToScored"] {
            assert_eq!(named.get(histogram), Some(&Some("Milliseconds".to_owned())), "{histogram}: {text}");
        }
        assert!(text.contains(r#""status":"5xx""#) && text.contains(r#""stage":"score""#), "{text}");
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
