//! Serving a route from Lambda: API Gateway HTTP API (payload v2) events in, responses out.
//! API Gateway's JWT authorizer has already verified the token; its claims arrive in
//! `requestContext.authorizer.jwt.claims`.

use crate::App;
use crate::dispatch::{Incoming, Outgoing, dispatch};
use crate::routes::Route;
use bytes::Bytes;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{Map, Value};

/// Converts the event into an [`Incoming`].
pub fn incoming(req: Request) -> Incoming {
    let (request_id, source_ip) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => (ctx.request_id.clone(), ctx.http.source_ip.clone()),
        _ => (None, None),
    };
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .filter(|jwt| !jwt.claims.is_empty())
            .map(|jwt| jwt.claims.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>()),
        _ => None,
    };
    let path_params = req.path_parameters().iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let query = req.query_string_parameters().iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let (parts, body) = req.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    Incoming { path_params, query, headers: parts.headers, body, claims, request_id, source_ip }
}

pub fn response(out: Outgoing) -> Response<Body> {
    let mut builder = Response::builder().status(out.status);
    if let Some(h) = builder.headers_mut() {
        *h = out.headers;
    }
    let body =
        if out.body.is_empty() { Body::Empty } else { Body::Text(String::from_utf8_lossy(&out.body).into_owned()) };
    builder.body(body).unwrap_or_else(|_| Response::new(Body::Empty))
}

/// Handles one event for `route`.
pub async fn handle(app: &App, route: &'static Route, req: Request) -> Result<Response<Body>, lambda_http::Error> {
    Ok(response(dispatch(app, route, incoming(req)).await))
}

/// Runs the Lambda loop for `route` until the runtime stops it.
pub async fn serve(app: App, route: &'static Route) -> Result<(), lambda_http::Error> {
    let app = &app;
    lambda_http::run(lambda_http::service_fn(move |req| handle(app, route, req))).await
}
