//! Composition roots shared by the Lambda binaries: each binary's `main` names its route and
//! calls [`http_function`], which sets up tracing, reads config from named environment
//! variables, builds the SDK clients once, and runs the Lambda loop.

use clearview_aws::config::{Adapters, AwsConfig};
use clearview_core::Deps;
use clearview_core::ports::clock::{SystemClock, UuidV7};
use clearview_http::App;
use clearview_http::cursor::CursorKey;
use std::sync::Arc;

pub use lambda_http::Error;

/// Secret that seals list cursors (≥ 32 bytes); every function of a stack gets the same one.
pub const CURSOR_SECRET: &str = "CURSOR_SECRET";

/// Builds the application state over the AWS adapters from the environment.
pub async fn aws_app() -> Result<App, Error> {
    let config = AwsConfig::from_env()?;
    let adapters = Adapters::connect(&config).await;
    let deps = Deps::new(
        Arc::new(adapters.store),
        Arc::new(adapters.identity),
        Arc::new(adapters.mail),
        Arc::new(SystemClock),
        Arc::new(UuidV7),
    );
    let secret =
        std::env::var(CURSOR_SECRET).map_err(|_| format!("environment variable {CURSOR_SECRET} is not set"))?;
    let cursors = CursorKey::new(secret.as_bytes()).map_err(|e| format!("{CURSOR_SECRET}: {e}"))?;
    Ok(App::new(deps, cursors))
}

/// The whole life of an API-route Lambda.
pub async fn http_function(name: &str) -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    let route = clearview_http::routes::by_name(name).ok_or_else(|| format!("no route is named {name}"))?;
    let app = aws_app().await?;
    clearview_http::lambda::serve(app, route).await
}
