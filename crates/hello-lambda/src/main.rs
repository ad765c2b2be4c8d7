//! The cold-start baseline (`make bench-coldstart`): lambda_http's hello world, with the same
//! tracing set-up and release profile as the ClearView functions, and nothing else.

use lambda_http::{Body, Error, Request, Response, run, service_fn, tracing};

async fn hello(_event: Request) -> Result<Response<Body>, Error> {
    let response = Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("Hello from ClearView's cold-start baseline".into())?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    run(service_fn(hello)).await
}
