//! Provisions a running AWS emulator (moto) like the deployed stack and prints the env vars.
//!
//! `AWS_ENDPOINT_URL=http://127.0.0.1:5000 cargo run -p clearview-aws --features emulator-cli
//! --bin clearview-emulator-setup` creates the table (`TABLE_NAME`, default `clearview`), a user
//! pool with its groups and app client, verifies `MAIL_FROM`, and provisions the processing chain
//! (bucket, queues with dead-letter queues, topic, notification — named `clearview-…`); then
//! prints `export` lines for the AWS composition roots.

use clearview_aws::config::{cognito_issuer, env};
use clearview_aws::provision::ChainSpec;
use clearview_aws::{AwsConfig, create_table};
use std::process::ExitCode;

async fn run() -> Result<(), String> {
    let var = |name: &str, default: &str| {
        std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
    };
    let endpoint = std::env::var(env::AWS_ENDPOINT_URL)
        .map_err(|_| format!("set {} to the emulator, e.g. http://127.0.0.1:5000", env::AWS_ENDPOINT_URL))?;
    let table = var(env::TABLE_NAME, "clearview");
    let mail_from = var(env::MAIL_FROM, "no-reply@clearview.local");
    let region = var(env::AWS_REGION, "us-east-1");
    // Only the endpoint, region and credentials matter here; the ids are placeholders.
    let config = AwsConfig::from_lookup(|name| match name {
        n if n == env::TABLE_NAME => Some(table.clone()),
        n if n == env::USER_POOL_ID || n == env::USER_POOL_CLIENT_ID => Some("pending".into()),
        n if n == env::MAIL_FROM => Some(mail_from.clone()),
        n if n == env::AWS_REGION => Some(region.clone()),
        n if n == env::AWS_ENDPOINT_URL => Some(endpoint.clone()),
        _ => None,
    })
    .map_err(|e| e.to_string())?;
    let clients = clearview_aws::AwsClients::new(&config.sdk_config().await);

    let exists = clients.dynamodb.describe_table().table_name(&table).send().await.is_ok();
    if !exists {
        create_table(&clients.dynamodb, &table).await.map_err(|e| format!("create table {table}: {e}"))?;
    }
    let (pool_id, client_id) = clearview_aws::cognito::create_user_pool_for_tests(&clients.cognito, "clearview")
        .await
        .map_err(|e| format!("create user pool: {e}"))?;
    clients
        .ses
        .create_email_identity()
        .email_identity(&mail_from)
        .send()
        .await
        .map_err(|e| format!("verify {mail_from}: {}", aws_sdk_sesv2::error::DisplayErrorContext(&e)))?;

    let chain = clearview_aws::provision::create_chain(&clients, &ChainSpec::deployed("clearview"))
        .await
        .map_err(|e| format!("provision the chain: {e}"))?;

    let issuer = cognito_issuer(&region, &pool_id);
    println!("export {}={endpoint}", env::AWS_ENDPOINT_URL);
    println!("export {}={region}", env::AWS_REGION);
    println!("export {}={table}", env::TABLE_NAME);
    println!("export {}={pool_id}", env::USER_POOL_ID);
    println!("export {}={client_id}", env::USER_POOL_CLIENT_ID);
    println!("export {}={mail_from}", env::MAIL_FROM);
    println!("export {}={issuer}", env::JWT_ISSUER);
    println!("export {}={endpoint}/{pool_id}/.well-known/jwks.json", env::JWKS_URL);
    println!("export {}={}", env::RESUME_BUCKET, chain.bucket);
    println!("export {}={}", env::EVENTS_TOPIC_ARN, chain.topic_arn);
    for (queue, urls) in &chain.queue_urls {
        println!("export {}={}", env::queue_url(*queue), urls.queue);
        println!("export {}={}", env::dlq_url(*queue), urls.dead_letter);
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clearview-emulator-setup: {e}");
            ExitCode::FAILURE
        }
    }
}
