//! The two adapter families behind the dev server's router, as the API-level tests drive them:
//! the embedded default (its outbox gives the mailed codes) and the AWS family on moto (which
//! accepts any confirmation code and mails nothing).

use crate::api::Family;
use clearview_aws::testing::{INVITE_TEMPORARY_PASSWORD, Moto, TestPool};
use clearview_core::Deps;
use clearview_http::ratelimit::RateLimits;
use clearview_local::{JwtVerifier, LocalFamily};

/// The key that seals list cursors in tests.
pub fn cursor_key() -> clearview_http::cursor::CursorKey {
    clearview_http::cursor::CursorKey::new(&[42u8; 32]).expect("cursor key")
}

/// The embedded family's router over `deps` (usually `local.deps()`, perhaps with more ports),
/// signing in with `local`'s issuer and reading codes from its outbox.
pub fn embedded(local: &LocalFamily, deps: Deps) -> Family {
    embedded_with(local, deps, RateLimits::default())
}

/// [`embedded`] with other rate limits (small ones let a test drive past them cheaply).
pub fn embedded_with(local: &LocalFamily, deps: Deps, limits: RateLimits) -> Family {
    let app = clearview_http::App::new(deps, cursor_key()).with_rate_limits(limits);
    let router = clearview_devserver::router(app, local.verifier.clone(), local.jwks(), Some(local.blobs.clone()));
    let (o1, o2) = (local.outbox.clone(), local.outbox.clone());
    Family {
        name: "embedded",
        router,
        code_for: Box::new(move |email| {
            let o = o1.clone();
            Box::pin(async move { o.find_code(&email).expect("a code in the outbox") })
        }),
        temporary_password_for: Box::new(move |email| {
            let o = o2.clone();
            Box::pin(async move { o.find_temporary_password(&email).expect("a temporary password in the outbox") })
        }),
        store: local.store.clone(),
    }
}

/// A Cognito user pool on moto, and how the dev server verifies its tokens.
pub struct MotoPool {
    pub pool: TestPool,
    pub verifier: JwtVerifier,
    pub jwks: serde_json::Value,
}

pub async fn moto_pool(moto: &Moto) -> MotoPool {
    let pool = moto.identity().await;
    let jwks = clearview_aws::fetch_jwks(&pool.jwks_url).await.expect("moto JWKS");
    let verifier = JwtVerifier::new(&jwks, pool.issuer.clone(), pool.client_id.clone()).expect("verifier");
    MotoPool { pool, verifier, jwks }
}

/// The AWS family's router over `deps` (its store, identity and mailer on moto).
pub fn aws(deps: Deps, verifier: JwtVerifier, jwks: serde_json::Value) -> Family {
    aws_with(deps, verifier, jwks, RateLimits::default())
}

/// [`aws`] with other rate limits.
pub fn aws_with(deps: Deps, verifier: JwtVerifier, jwks: serde_json::Value, limits: RateLimits) -> Family {
    let store = deps.store.clone();
    let app = clearview_http::App::new(deps, cursor_key()).with_rate_limits(limits);
    let router = clearview_devserver::router(app, verifier, jwks, None);
    Family {
        name: "aws",
        router,
        code_for: Box::new(|_| Box::pin(async { "123456".to_owned() })),
        temporary_password_for: Box::new(|_| Box::pin(async { INVITE_TEMPORARY_PASSWORD.to_owned() })),
        store,
    }
}

/// Where the moto families keep integration secrets (in AWS: the table's name).
pub const MOTO_SECRETS_PREFIX: &str = "clearview-tests";

/// The AWS family on the shared moto server with every port the API uses: the table, the user
/// pool, SES, the chain's bucket, queues and topic, Secrets Manager, and a test sealing key.
pub async fn moto_family() -> Family {
    moto_instances(RateLimits::default(), 1).await.pop().expect("one family")
}

/// `n` routers — as many Lambda instances — over ONE moto table, user pool, bucket, queues and
/// topic, with these rate limits: what each instance counts, the others see.
pub async fn moto_instances(limits: RateLimits, n: usize) -> Vec<Family> {
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use std::sync::Arc;
    let moto = Moto::pick().await;
    let p = moto_pool(moto).await;
    let chain = moto.chain().await;
    let deps = Deps::new(
        Arc::new(moto.store().await),
        Arc::new(p.pool.identity),
        Arc::new(moto.mailer().await),
        Arc::new(SystemClock),
        Arc::new(UuidV7),
    )
    .with_blobs(Arc::new(chain.blobs.clone()))
    .with_malware(Arc::new(chain.malware()))
    .with_queues(Arc::new(chain.queues.clone()))
    .with_events(Arc::new(chain.events.clone()))
    .with_sealer(Arc::new(clearview_core::ports::crypto::AesGcmSealer::new("test", &[7u8; 32])))
    .with_secrets(Arc::new(moto.vault(MOTO_SECRETS_PREFIX)));
    (0..n).map(|_| aws_with(deps.clone(), p.verifier.clone(), p.jwks.clone(), limits)).collect()
}
