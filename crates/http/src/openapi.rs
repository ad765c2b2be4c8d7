//! The OpenAPI 3.1 document, generated from the route table (never hand-written).

use crate::problem::Problem;
use crate::routes::{Access, ROUTES, schema};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Required,
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

fn string_param(name: &str, at: ParameterIn, required: bool, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required { Required::True } else { Required::False })
        .description(Some(description))
        .schema(Some(utoipa::openapi::schema::ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

pub fn document() -> OpenApi {
    let mut defs = Vec::new();
    let problem_ref = schema::<Problem>(&mut defs);
    let mut paths = PathsBuilder::new();
    for r in ROUTES {
        let mut op = OperationBuilder::new().operation_id(Some(r.name)).summary(Some(r.summary)).tag(r.tag);
        for seg in r.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            op = op.parameter(string_param(name, ParameterIn::Path, true, "identifier"));
        }
        if r.method == "GET" && r.response.is_some() && r.name.ends_with("-list") {
            op = op
                .parameter(string_param("limit", ParameterIn::Query, false, "page size, 1 to 100 (default 25)"))
                .parameter(string_param("cursor", ParameterIn::Query, false, "nextCursor from the previous page"));
        }
        if r.name == "jobs-list" {
            op =
                op.parameter(string_param("status", ParameterIn::Query, false, "draft|active|paused|closed|cancelled"));
        }
        if matches!(r.method, "PUT" | "PATCH" | "DELETE")
            || r.path.ends_with("/publish")
            || r.path.ends_with("/pause")
            || r.path.ends_with("/close")
        {
            op = op.parameter(string_param(
                "If-Match",
                ParameterIn::Header,
                false,
                "the ETag of your last read; a stale one answers 412",
            ));
        }
        if r.idempotent {
            op = op.parameter(string_param(
                "Idempotency-Key",
                ParameterIn::Header,
                false,
                "replays the first answer for 24 h",
            ));
        }
        if let Some(req) = r.request {
            let body_schema = req(&mut defs);
            op = op.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content("application/json", ContentBuilder::new().schema(Some(body_schema)).build())
                    .build(),
            ));
        }
        let mut ok = ResponseBuilder::new().description("success");
        if let Some(res) = r.response {
            ok = ok.content("application/json", ContentBuilder::new().schema(Some(res(&mut defs))).build());
        }
        op = op.response(r.status.to_string(), ok.build());
        let mut errors = vec![("400", "the request could not be read"), ("422", "a field was refused")];
        if r.access != Access::Public {
            errors.extend([("401", "not signed in"), ("403", "the role does not allow it"), ("404", "not found")]);
            op = op.security(SecurityRequirement::new("cognito", Vec::<String>::new()));
        }
        if matches!(r.method, "PUT" | "PATCH" | "DELETE") {
            errors.extend([("409", "conflict"), ("412", "stale If-Match")]);
        }
        for (code, why) in errors {
            op = op.response(
                code,
                ResponseBuilder::new()
                    .description(why)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new().schema(Some(problem_ref.clone())).build(),
                    )
                    .build(),
            );
        }
        paths = paths.path(r.path, PathItem::new(method(r.method), op.build()));
    }
    defs.sort_by(|a, b| a.0.cmp(&b.0));
    defs.dedup_by(|a, b| a.0 == b.0);
    let components = ComponentsBuilder::new()
        .schemas_from_iter(defs)
        .security_scheme(
            "cognito",
            SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("ClearView API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Bias-aware resume review and hiring. Errors are application/problem+json (RFC 9457). Send the Cognito ID token as a Bearer token."))
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
        for r in ROUTES {
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
