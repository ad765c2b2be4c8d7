//! Composition roots shared by the Lambda binaries. Each binary's `main` names its route or
//! queue and calls [`http_function`] or [`queue_function`]: tracing, config from named
//! environment variables, SDK clients built once, then the Lambda loop. A function gets only
//! the ports its route's grants name, so it needs only those settings.

use clearview_aws::config::{Adapters, AwsConfig};
use clearview_core::Deps;
use clearview_core::ports::clock::{SystemClock, UuidV7};
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::queue::WorkQueue;
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
    WorkQueue::ALL.into_iter().find(|q| q.name() == name)
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

/// The whole life of a queue consumer Lambda (SQS event source, partial batch failures).
pub async fn queue_function(name: &str) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let queue = queue_named(name).ok_or_else(|| format!("no queue is named {name}"))?;
    let config = AwsConfig::from_env()?;
    let (adapters, deps) = base(&config).await;
    // Each consumer sends to the next queue and dead-letters into its own.
    let next: &[WorkQueue] = match queue {
        WorkQueue::Parse => &[WorkQueue::Parse, WorkQueue::Anonymize],
        WorkQueue::Anonymize => &[WorkQueue::Anonymize, WorkQueue::Score],
        WorkQueue::Score => &[WorkQueue::Score, WorkQueue::Bias],
        WorkQueue::Bias => &[WorkQueue::Bias],
        WorkQueue::Email => &[WorkQueue::Email],
    };
    let queues = Arc::new(adapters.queues(next)?);
    let mut deps = deps.with_queues(queues.clone());
    if matches!(queue, WorkQueue::Parse | WorkQueue::Bias) {
        deps = deps.with_events(Arc::new(adapters.events()?));
    }
    if queue == WorkQueue::Parse {
        deps = deps.with_blobs(Arc::new(adapters.blobs()?));
    }
    let consumer = clearview_chain::all(&deps)
        .into_iter()
        .find(|c| c.queue() == queue)
        .ok_or_else(|| format!("no consumer reads {name}"))?;
    clearview_aws::lambda_sqs::run(consumer, queues).await
}
