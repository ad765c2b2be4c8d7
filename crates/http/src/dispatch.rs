//! Serving one route: authenticate, authorise, honour `Idempotency-Key`, run the handler, and
//! turn the outcome into JSON or problem+json. Both the Lambda glue and the dev server call this.

use crate::App;
use crate::idempotency::{self, Begin};
use crate::problem::Problem;
use crate::ratelimit;
use crate::request::{Reply, Req};
use crate::routes::{Access, Route};
use bytes::Bytes;
use clearview_core::AppError;
use clearview_core::principal::Principal;
use clearview_core::rbac::Role;
use clearview_core::services::authorize;
use clearview_observe::{correlation, metrics};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Instant;
use tracing::Instrument;

/// A request, however it arrived (API Gateway event, dev server).
#[derive(Debug, Default)]
pub struct Incoming {
    pub path_params: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Claims of a token already verified upstream (API Gateway's JWT authorizer, or the dev
    /// server's verifier). `None`: no token.
    pub claims: Option<Map<String, Value>>,
    /// The platform's id for this request (API Gateway's `requestContext.requestId`, also in the
    /// API's access log): the correlation id when the caller sends none.
    pub request_id: Option<String>,
    /// The caller's address (API Gateway's `requestContext.http.sourceIp`, the dev server's
    /// peer): what anonymous requests are rate-limited by.
    pub source_ip: Option<String>,
}

#[derive(Debug)]
pub struct Outgoing {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Outgoing {
    pub fn json_body(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Serves one request in its span (route and correlation id), records its metrics, and echoes
/// the correlation id in the `X-Correlation-Id` response header.
pub async fn dispatch(app: &App, route: &'static Route, incoming: Incoming) -> Outgoing {
    let started = Instant::now();
    let correlation_id = correlation::for_request(
        incoming.headers.get(correlation::HEADER).map(HeaderValue::as_bytes),
        incoming.request_id.as_deref(),
        || app.deps.ids.new_id().to_string(),
    );
    let span = correlation::request_span(route.name, &correlation_id);
    let mut out = serve(app, route, incoming, started).instrument(span).await;
    metrics::request(route.name, out.status.as_u16(), started.elapsed());
    if let Ok(v) = HeaderValue::from_str(&correlation_id) {
        out.headers.insert(correlation::HEADER, v);
    }
    out
}

async fn serve(app: &App, route: &'static Route, incoming: Incoming, started: Instant) -> Outgoing {
    let now = app.deps.clock.now().unix_timestamp();
    let verdict =
        match ratelimit::count(app.deps.store.as_ref(), &app.limits, &app.rate_counter, route, &incoming, now).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(route = route.name, error = %e, "rate counter unavailable; serving uncounted");
                None
            }
        };
    let outcome = match verdict.as_ref().and_then(|v| v.exceeded().map(|over| v.problem(over))) {
        Some(p) => Err(p),
        None => {
            // The audit trail records where a change came from (clearview_core::context).
            let client = clearview_core::context::Client {
                ip: incoming.source_ip.clone().filter(|s| !s.is_empty()),
                user_agent: incoming
                    .headers
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .map(|s| s.chars().take(512).collect()),
            };
            clearview_core::context::scope(client, run(app, route, incoming)).await
        }
        .map_err(|e| {
            match &e {
                AppError::Internal(d) => tracing::error!(route = route.name, error = %d, "internal error"),
                AppError::Unavailable(d) => tracing::warn!(route = route.name, error = %d, "dependency unavailable"),
                _ => {}
            }
            Problem::from(&e)
        }),
    };
    let mut out = match &outcome {
        Ok(reply) => reply_to_outgoing(reply),
        Err(p) => problem_to_outgoing(p),
    };
    if let Some(v) = &verdict {
        v.headers(&mut out.headers);
    }
    tracing::info!(
        route = route.name,
        status = out.status.as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    out
}

async fn run(app: &App, route: &'static Route, incoming: Incoming) -> Result<Reply, AppError> {
    let body = route.handler.body.unwrap_or(crate::extract::BodySpec::JSON);
    if !incoming.body.is_empty()
        && let Some(ct) = incoming.headers.get(header::CONTENT_TYPE)
        && !body.accepts(ct.to_str().unwrap_or(""))
    {
        return Err(AppError::UnsupportedMediaType(format!("send the body as {}", body.media)));
    }
    let principal = incoming.claims.as_ref().and_then(Principal::from_claims);
    let signed_in = || principal.as_ref().ok_or_else(|| AppError::Unauthenticated("sign in first".into()));
    let is_candidate = principal.as_ref().is_some_and(|p| p.role == Some(Role::Candidate));
    let actor = match route.access {
        Access::Public => None,
        Access::Staff(needed) => Some(authorize(&app.deps, signed_in()?, needed).await?),
        Access::Candidate => {
            signed_in()?;
            if !is_candidate {
                return Err(AppError::Forbidden("this route is for candidate accounts".into()));
            }
            None
        }
        Access::Member(needed) => {
            let p = signed_in()?;
            if is_candidate { None } else { Some(authorize(&app.deps, p, needed).await?) }
        }
        Access::Platform(roles) => {
            let p = signed_in()?;
            if !roles.iter().any(|r| p.has(*r)) {
                let names: Vec<&str> = roles.iter().map(|r| r.group()).collect();
                return Err(AppError::Forbidden(format!("this route needs one of the roles {}", names.join(", "))));
            }
            None
        }
        Access::SignedIn => {
            signed_in()?;
            None
        }
    };
    let idem_key = match incoming.headers.get(idempotency::HEADER) {
        Some(v) if route.idempotent => Some(idempotency::validate_key(v.to_str().unwrap_or(""))?.to_owned()),
        _ => None,
    };
    let scope = match (&actor, &principal) {
        (Some(a), _) => format!("ORG#{}#USER#{}", a.org(), a.user.id),
        (None, Some(p)) if matches!(route.access, Access::Platform(_) | Access::SignedIn) => {
            format!("PUSER#{}", p.user_id)
        }
        (None, Some(p)) if route.access != Access::Public => format!("CANDIDATE#{}", p.user_id),
        _ => "PUBLIC".to_owned(),
    };
    let body = incoming.body.clone();
    let req = Req {
        route,
        path_params: incoming.path_params,
        query: incoming.query,
        headers: incoming.headers,
        body: incoming.body,
        principal,
        actor,
    };
    let Some(key) = idem_key else {
        return (route.handler.call)(app.clone(), req).await;
    };
    let now = app.deps.clock.now().unix_timestamp();
    match idempotency::begin(app.deps.store.as_ref(), &scope, route.name, &key, &body, now).await? {
        Begin::Replay(reply) => Ok(reply),
        Begin::Run(slot) => {
            let outcome = (route.handler.call)(app.clone(), req).await;
            idempotency::finish(app.deps.store.as_ref(), slot, &outcome).await;
            outcome
        }
    }
}

fn reply_to_outgoing(reply: &Reply) -> Outgoing {
    let mut headers = HeaderMap::new();
    let body = match &reply.body {
        Some(bytes) => {
            let media = reply.media.unwrap_or("application/json");
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
            bytes.clone()
        }
        None => Bytes::new(),
    };
    if let Some(v) = reply.etag
        && let Ok(h) = HeaderValue::from_str(&format!("\"{v}\""))
    {
        headers.insert(header::ETAG, h);
    }
    if let Some(loc) = &reply.location
        && let Ok(h) = HeaderValue::from_str(loc)
    {
        headers.insert(header::LOCATION, h);
    }
    Outgoing { status: reply.status, headers, body }
}

pub fn problem_to_outgoing(p: &Problem) -> Outgoing {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if p.status == 401 {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(s) = p.retry_after
        && let Ok(h) = HeaderValue::from_str(&s.to_string())
    {
        headers.insert(header::RETRY_AFTER, h);
    }
    Outgoing { status: p.status_code(), headers, body: Bytes::from(serde_json::to_vec(p).unwrap_or_default()) }
}
