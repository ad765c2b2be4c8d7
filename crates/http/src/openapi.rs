//! The OpenAPI 3.1 document, generated from the route table (never hand-written).

use crate::idempotency;
use crate::problem::Problem;
use crate::ratelimit::RateLimits;
use crate::routes::{Access, OperationDoc, ROUTES, Route, schema};
use clearview_core::rbac::{Permission, Role};
use clearview_observe::correlation;
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, RefOr, Required,
    ResponseBuilder, schema::Type,
};

fn method(m: &str) -> HttpMethod {
    match m {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Options,
    }
}

fn param(name: &str, at: ParameterIn, required: bool, description: &str, schema: ObjectBuilder) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required { Required::True } else { Required::False })
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// The statuses any route can answer besides its own: who may call it, throttling, outages.
fn common_errors(r: &Route) -> Vec<(u16, &'static str)> {
    let mut errors = vec![
        (429, "over a rate limit: wait for Retry-After seconds"),
        (503, "a service we depend on did not answer: retry after Retry-After seconds"),
    ];
    if r.access == Access::Public && r.area() == "auth" {
        errors.extend([
            (401, "the credentials (password, refresh token or temporary password) were refused"),
            (
                403,
                "the account cannot sign in this way yet: its email is not verified (email-not-verified), or it \
                 was invited and has to set a password first (new-password-required)",
            ),
        ]);
    }
    if r.access != Access::Public {
        errors.extend([
            (401, "not signed in, or the token was refused"),
            (403, "the role does not allow it"),
            (404, "not found (or another organisation's)"),
        ]);
    }
    if r.path.contains('{') {
        errors.push((404, "nothing has that id (or it is another organisation's)"));
    }
    if r.method != "GET" {
        errors.push((409, "it conflicts with the current state (already done, or not allowed in this state)"));
    }
    if r.idempotent {
        errors.extend([
            (409, "the first request with this Idempotency-Key is still running"),
            (422, "the Idempotency-Key is not 1 to 255 visible ASCII characters, or was used with another body"),
        ]);
    }
    errors
}

const CORRELATION_REQUEST: &str = "your id for this request (1 to 128 of A-Z, a-z, 0-9, '.', '_', '-'; anything else is ignored): logged with it and echoed in the answer; otherwise the API picks one";
const CORRELATION_ANSWER: &str = "the request's correlation id: the X-Correlation-Id sent, or the one the API picked";

const RATELIMIT_POLICY: &str = "RateLimit-Policy";
const RATELIMIT_POLICY_WHY: &str = "the limits this request counts against, per hour (IETF draft-ietf-httpapi-ratelimit-headers), e.g. \"user\";q=1000;w=3600, \"ai\";q=100;w=3600";
const RATELIMIT: &str = "RateLimit";
const RATELIMIT_WHY: &str =
    "what is left of each limit and the seconds until the window resets, e.g. \"user\";r=998;t=1834";

fn header(description: &str) -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new().schema(string()).description(Some(description)).build()
}

/// The operation of one route, from its table entry and its handler's types.
fn operation(r: &Route, defs: &mut crate::routes::Defs, problem: &RefOr<utoipa::openapi::Schema>) -> Operation {
    let mut doc = OperationDoc::default();
    (r.handler.describe)(&mut doc, defs);
    let mut op = OperationBuilder::new().operation_id(Some(r.name)).summary(Some(r.summary)).tag(r.area());
    for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
        let name = seg.trim_matches(|c| c == '{' || c == '}');
        let schema = string().min_length(Some(1)).max_length(Some(64));
        op = op.parameter(param(name, ParameterIn::Path, true, "identifier", schema));
    }
    for p in doc.params {
        op = op.parameter(p);
    }
    if r.idempotent {
        let schema = string()
            .min_length(Some(1))
            .max_length(Some(idempotency::MAX_KEY_LEN))
            .pattern(Some(idempotency::KEY_PATTERN));
        op = op.parameter(param(
            "Idempotency-Key",
            ParameterIn::Header,
            false,
            "a retry with the same key and body replays the first answer for 24 h",
            schema,
        ));
    }
    // Any string is accepted: one that is not an acceptable id is ignored, never refused (so the
    // schema states no pattern a refusal would have to enforce).
    op = op.parameter(param(correlation::HEADER_NAME, ParameterIn::Header, false, CORRELATION_REQUEST, string()));
    if let Some(body) = doc.body {
        op = op.request_body(Some(
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content(doc.body_media.unwrap_or("application/json"), ContentBuilder::new().schema(Some(body)).build())
                .build(),
        ));
    }
    let mut ok = ResponseBuilder::new().description("success");
    if let Some(res) = doc.response {
        ok = ok
            .content(doc.response_media.unwrap_or("application/json"), ContentBuilder::new().schema(Some(res)).build());
    }
    for (name, why) in doc.response_headers {
        ok = ok.header(name, header(why));
    }
    ok = ok.header(correlation::HEADER_NAME, header(CORRELATION_ANSWER));
    ok = ok.header(RATELIMIT_POLICY, header(RATELIMIT_POLICY_WHY)).header(RATELIMIT, header(RATELIMIT_WHY));
    op = op.response(doc.status.to_string(), ok.build());
    let mut errors: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for (code, why) in doc.errors.into_iter().chain(common_errors(r)) {
        let reasons = errors.entry(code).or_default();
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    for (code, why) in errors {
        let description = if code == 429 {
            // The defaults; a deployment may set others (RATE_LIMITS).
            let limits = RateLimits::default().describe(r);
            format!("over a rate limit ({limits}; RateLimit-Policy names them): wait for Retry-After seconds")
        } else {
            why.join("; ")
        };
        let mut res = ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", ContentBuilder::new().schema(Some(problem.clone())).build());
        res = res.header(correlation::HEADER_NAME, header(CORRELATION_ANSWER));
        if matches!(code, 429 | 503) {
            res = res.header("Retry-After", header("seconds to wait before retrying"));
        }
        if code == 429 {
            res = res.header(RATELIMIT_POLICY, header(RATELIMIT_POLICY_WHY)).header(RATELIMIT, header(RATELIMIT_WHY));
        }
        op = op.response(code.to_string(), res.build());
    }
    if r.access != Access::Public {
        op = op.security(SecurityRequirement::new("cognito", caller_roles(r.access)));
    }
    op.build()
}

/// The roles (`cognito:groups`) that may call a route, as OpenAPI 3.1 lets a security
/// requirement name them: staff roles by the role matrix (a user's own grants and denials, which
/// an admin sets, may add or take away), platform roles as the route lists them, and none for a
/// route any verified token may call.
fn caller_roles(access: Access) -> Vec<String> {
    let staff = |p: Option<Permission>| {
        Role::STAFF.into_iter().filter(move |role| p.is_none_or(|p| p.allowed_for(*role))).map(|r| r.group().to_owned())
    };
    match access {
        Access::Public | Access::SignedIn => Vec::new(),
        Access::Staff(p) => staff(p).collect(),
        Access::Candidate => vec![Role::Candidate.group().to_owned()],
        Access::Member(p) => std::iter::once(Role::Candidate.group().to_owned()).chain(staff(p)).collect(),
        Access::Platform(roles) => roles.iter().map(|r| r.group().to_owned()).collect(),
    }
}

fn description() -> String {
    let l = RateLimits::default();
    format!(
        "Bias-aware resume review and hiring. Errors are application/problem+json (RFC 9457). Send the Cognito ID \
         token as a Bearer token. Rate limits (one-hour windows shared by every instance; these are the defaults): \
         {} requests an hour per signed-in user, {} per IP address for calls without a token, {} AI runs \
         (reprocess-ai) and {} uploads (resume upload URLs) an hour per user. Over one: 429 with Retry-After; every \
         answer carries RateLimit-Policy and RateLimit.",
        l.per_user, l.per_ip, l.ai_per_user, l.uploads_per_user
    )
}

pub fn document() -> OpenApi {
    let mut defs = Vec::new();
    let problem_ref = schema::<Problem>(&mut defs);
    let mut paths = PathsBuilder::new();
    for r in ROUTES.iter() {
        let op = operation(r, &mut defs, &problem_ref);
        paths = paths.path(r.path, PathItem::new(method(r.method), op));
    }
    defs.sort_by(|a, b| a.0.cmp(&b.0));
    // Two Rust types with one schema name would silently share one schema (the first): the SPA
    // would be told the wrong shape. Every name must stand for one schema.
    let clashes: Vec<String> = defs
        .windows(2)
        .filter(|p| p[0].0 == p[1].0 && serde_json::to_value(&p[0].1).ok() != serde_json::to_value(&p[1].1).ok())
        .map(|p| {
            format!(
                "{}: {} / {}",
                p[0].0,
                serde_json::to_string(&p[0].1).unwrap_or_default(),
                serde_json::to_string(&p[1].1).unwrap_or_default()
            )
        })
        .collect();
    assert!(
        clashes.is_empty(),
        "different types share a name in the OpenAPI document (rename one):\n{}",
        clashes.join("\n")
    );
    defs.dedup_by(|a, b| a.0 == b.0);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(defs)
        .security_scheme(
            "cognito",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The Cognito ID token. An operation's requirement lists the roles (cognito:groups) that may \
                         call it: staff roles by the role matrix, before a user's own grants and denials; none listed \
                         means any signed-in user.",
                    ))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("ClearView API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(description()))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_an_operation_for_every_route() {
        let doc = serde_json::to_value(document()).unwrap();
        for r in ROUTES.iter() {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            assert_eq!(op["operationId"], r.name, "{r:?}");
        }
    }

    #[test]
    fn every_schema_reference_resolves() {
        let doc = serde_json::to_value(document()).unwrap();
        let text = doc.to_string();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(doc["components"]["schemas"].get(name).is_some(), "dangling $ref to {name}");
        }
    }
}
