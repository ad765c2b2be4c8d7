//! The dev server's router: every route of the route table mounted on axum, with the same JWT
//! verification API Gateway performs (RS256 against the issuer's JWKS, issuer and audience
//! checked), plus `/openapi.json` and the issuer's JWKS. Tests drive this router in-process over
//! either adapter family.

pub mod drive;
pub mod hosted_ui;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::Extensions;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, get, on};
use clearview_http::dispatch::{Incoming, Outgoing, problem_to_outgoing};
use clearview_http::problem::Problem;
use clearview_http::{App, ROUTES, Route, dispatch};
use clearview_local::JwtVerifier;
use clearview_local::blobs::{FsBlobStore, UploadRefused, content_disposition};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
struct Shared {
    app: App,
    verifier: Arc<JwtVerifier>,
    jwks: Arc<serde_json::Value>,
    blobs: Option<Arc<FsBlobStore>>,
}

/// Largest upload body the local blob endpoint reads; the signed URL's own limit (10 MB for
/// resumes) is checked inside, so an oversize resume gets a clear 413 rather than a reset.
pub const MAX_UPLOAD_BODY: usize = 11 * 1024 * 1024;

fn refused(r: &UploadRefused) -> Response {
    let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
    problem(status, r.slug(), &r.reason())
}

/// `PUT /local-blobs/upload?…`: what S3 does with a presigned PUT, then the bucket notification.
async fn local_upload(State(s): State<Shared>, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let Some(blobs) = &s.blobs else { return problem(StatusCode::NOT_FOUND, "not-found", "no local blob store here") };
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match blobs.accept_upload(q.as_deref().unwrap_or(""), ct, body).await {
        Ok(meta) => {
            let mut res = StatusCode::OK.into_response();
            if let Some(v) = meta.version.and_then(|v| header::HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
                res.headers_mut().insert(header::ETAG, v);
            }
            res
        }
        Err(r) => refused(&r),
    }
}

/// `GET /local-blobs/download?…`: a presigned GET.
async fn local_download(State(s): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let Some(blobs) = &s.blobs else { return problem(StatusCode::NOT_FOUND, "not-found", "no local blob store here") };
    match blobs.accept_download(q.as_deref().unwrap_or("")).await {
        Ok((blob, name)) => {
            let mut res = (StatusCode::OK, blob.bytes).into_response();
            if let Some(ct) = blob.meta.content_type.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
                res.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if let Some(cd) = name.and_then(|n| header::HeaderValue::from_str(&content_disposition(&n)).ok()) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, cd);
            }
            res
        }
        Err(r) => refused(&r),
    }
}

fn filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        other => unreachable!("route table uses an unsupported method {other}"),
    }
}

fn to_response(out: Outgoing) -> Response {
    let mut res = (out.status, out.body).into_response();
    res.headers_mut().extend(out.headers);
    res
}

fn problem(status: StatusCode, slug: &str, detail: &str) -> Response {
    to_response(problem_to_outgoing(&Problem::new(status, slug, detail)))
}

/// The peer's address when the server was started with connect info (`main` does; tests that
/// drive the router in-process have none).
fn peer(ext: &Extensions) -> Option<String> {
    ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}

async fn serve_route(
    shared: Shared,
    route: &'static Route,
    params: HashMap<String, String>,
    query: Option<String>,
    source_ip: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // API Gateway runs the authorizer only on non-public routes; so do we.
    let claims = if route.access == clearview_http::routes::Access::Public {
        None
    } else {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
        match bearer {
            None => {
                return problem(StatusCode::UNAUTHORIZED, "unauthenticated", "send Authorization: Bearer <id token>");
            }
            Some(token) => match shared.verifier.verify(token.trim()) {
                Ok(c) => Some(c),
                Err(e) => {
                    return problem(
                        StatusCode::UNAUTHORIZED,
                        "unauthenticated",
                        &format!("the token was refused: {e}"),
                    );
                }
            },
        }
    };
    let query: BTreeMap<String, String> =
        query.as_deref().map(|q| serde_urlencoded::from_str(q).unwrap_or_default()).unwrap_or_default();
    let incoming = Incoming {
        path_params: params.into_iter().collect(),
        query,
        headers,
        body,
        claims,
        request_id: None,
        source_ip,
    };
    to_response(dispatch(&shared.app, route, incoming).await)
}

/// Every refusal is problem+json: axum's own refusals (an over-size body, a method the path
/// does not take) come out as `text/plain`; this turns them into problems that say the limit.
async fn plain_refusals_as_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let upload = req.uri().path() == clearview_local::blobs::UPLOAD_PATH;
    // The URI (a reference count, not a copy), to look the path's body limit up only if the
    // answer is a 413: the lookup walks the whole route table.
    let uri = req.uri().clone();
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/problem+json") || ct.starts_with("application/json"));
    if status.as_u16() < 400 || is_problem {
        return res;
    }
    let (slug, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE if upload => (
            "payload-too-large",
            format!("the upload is larger than this endpoint reads ({MAX_UPLOAD_BODY} bytes at most; resumes: 10 MB)"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = clearview_http::routes::body_limit_for(uri.path());
            ("payload-too-large", format!("the body is larger than this route reads ({limit} bytes at most)"))
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method-not-allowed", format!("this path does not take {method}; see /openapi.json"))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported-media-type", "send the body as application/json".to_owned())
        }
        s if s.is_server_error() => ("unavailable", "the server could not answer; try again".to_owned()),
        s => ("bad-request", format!("the request was refused ({})", s.canonical_reason().unwrap_or("client error"))),
    };
    let mut out = problem(status, slug, &detail);
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// Every route, `/openapi.json`, `/.well-known/jwks.json`, `/health`, and (with a local blob
/// store) the presigned upload and download endpoints; anything else is a problem+json 404.
pub fn router(app: App, verifier: JwtVerifier, jwks: serde_json::Value, blobs: Option<Arc<FsBlobStore>>) -> Router {
    let shared = Shared { app, verifier: Arc::new(verifier), jwks: Arc::new(jwks), blobs };
    let mut router: Router<Shared> = Router::new();
    for route in ROUTES.iter().copied() {
        let handler =
            move |State(s): State<Shared>,
                  Path(params): Path<HashMap<String, String>>,
                  RawQuery(q): RawQuery,
                  ext: Extensions,
                  headers: HeaderMap,
                  body: Bytes| async move { serve_route(s, route, params, q, peer(&ext), headers, body).await };
        // Routes without path parameters cannot use the Path extractor: give them an empty map.
        // A route that reads more than the default (a CSV import) gets its own reading limit.
        let limit = axum::extract::DefaultBodyLimit::max(2 * route.body_limit());
        if route.path.contains('{') {
            router = router.route(route.path, on(filter(route.method), handler).layer(limit));
        } else {
            let plain = move |State(s): State<Shared>,
                              RawQuery(q): RawQuery,
                              ext: Extensions,
                              headers: HeaderMap,
                              body: Bytes| async move {
                serve_route(s, route, HashMap::new(), q, peer(&ext), headers, body).await
            };
            router = router.route(route.path, on(filter(route.method), plain).layer(limit));
        }
    }
    router
        .route("/openapi.json", get(|| async { axum::Json(clearview_http::openapi::document()) }))
        .route("/.well-known/jwks.json", get(|State(s): State<Shared>| async move { axum::Json((*s.jwks).clone()) }))
        .route("/health", get(|| async { "ok" }))
        .route(
            clearview_local::blobs::UPLOAD_PATH,
            axum::routing::put(local_upload).layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BODY)),
        )
        .route(clearview_local::blobs::DOWNLOAD_PATH, get(local_download))
        .fallback(|method: Method| async move {
            problem(StatusCode::NOT_FOUND, "not-found", &format!("no route answers {method} here; see /openapi.json"))
        })
        // API routes read at most their body limit (the route answers 413 itself past it); past
        // twice that, axum stops reading and the layer below says why.
        .layer(axum::extract::DefaultBodyLimit::max(2 * clearview_http::request::MAX_BODY))
        .layer(axum::middleware::from_fn(plain_refusals_as_problems))
        .with_state(shared)
}
