//! What a handler reads from a request, as types: a JSON body ([`Json`]), query parameters
//! ([`Query`]), the version an edit is based on ([`IfMatch`]), or nothing (`()`); a tuple reads
//! several. Each also describes itself for the OpenAPI document, with the statuses it can cause.

use crate::request::{MAX_BODY, Req, parse_json};
use crate::routes::{Defs, OperationDoc, schema};
use clearview_core::{AppError, FieldError};
use serde::de::DeserializeOwned;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Required};

/// The body a route reads: its media type and its largest size. The dispatcher refuses another
/// media type (415) before the route runs; the dev server stops reading past twice the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodySpec {
    pub media: &'static str,
    pub max: usize,
}

impl BodySpec {
    pub const JSON: BodySpec = BodySpec { media: "application/json", max: MAX_BODY };
    pub const CSV: BodySpec = BodySpec { media: "text/csv", max: MAX_CSV_BODY };

    /// Whether a `Content-Type` header value names this body's media type.
    pub fn accepts(&self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match self.media {
            // Any JSON (`application/json`, `application/problem+json`, `text/json` …).
            "application/json" => content_type.to_ascii_lowercase().contains("json"),
            media => essence == media,
        }
    }
}

/// Largest CSV body (`POST /api/jobs/import`).
pub const MAX_CSV_BODY: usize = clearview_core::services::job_import::MAX_BYTES;

/// Something a handler reads from the request before it runs.
pub trait FromRequest: Sized {
    /// The body it reads, if any (a route reads at most one).
    const BODY: Option<BodySpec> = None;
    fn from_request(req: &Req) -> Result<Self, AppError>;
    fn describe(doc: &mut OperationDoc, defs: &mut Defs);
}

impl FromRequest for () {
    fn from_request(_: &Req) -> Result<Self, AppError> {
        Ok(())
    }
    fn describe(_: &mut OperationDoc, _: &mut Defs) {}
}

macro_rules! tuple_from_request {
    ($($t:ident),+) => {
        impl<$($t: FromRequest),+> FromRequest for ($($t,)+) {
            const BODY: Option<BodySpec> = first_body(&[$($t::BODY),+]);
            fn from_request(req: &Req) -> Result<Self, AppError> {
                Ok(($($t::from_request(req)?,)+))
            }
            fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
                $($t::describe(doc, defs);)+
            }
        }
    };
}
const fn first_body(bodies: &[Option<BodySpec>]) -> Option<BodySpec> {
    let mut i = 0;
    while i < bodies.len() {
        if bodies[i].is_some() {
            return bodies[i];
        }
        i += 1;
    }
    None
}

tuple_from_request!(A, B);
tuple_from_request!(A, B, C);

/// A JSON body of type `T`: wrong types, missing and unknown fields are 400 with the field named.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + utoipa::ToSchema> FromRequest for Json<T> {
    const BODY: Option<BodySpec> = Some(BodySpec::JSON);
    fn from_request(req: &Req) -> Result<Self, AppError> {
        if req.body.len() > MAX_BODY {
            return Err(AppError::PayloadTooLarge { limit: MAX_BODY });
        }
        if req.body.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::Malformed(vec![FieldError::new("", "a JSON body is required")]));
        }
        parse_json(&req.body).map(Json).map_err(AppError::Malformed)
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.body = Some(schema::<T>(defs));
        doc.errors.extend([
            (400, "the body could not be read (missing, not JSON, a wrong type, a missing or unknown field)"),
            (413, "the body is larger than 256 KiB"),
            (415, "the body is not application/json"),
            (422, "a field was refused; `errors` names each field and why"),
        ]);
    }
}

/// A CSV body (`text/csv`, UTF-8, a header row first), read whole; at most [`MAX_CSV_BODY`] bytes.
pub struct Csv(pub bytes::Bytes);

impl FromRequest for Csv {
    const BODY: Option<BodySpec> = Some(BodySpec::CSV);
    fn from_request(req: &Req) -> Result<Self, AppError> {
        if req.body.len() > MAX_CSV_BODY {
            return Err(AppError::PayloadTooLarge { limit: MAX_CSV_BODY });
        }
        if req.body.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::Malformed(vec![FieldError::new("", "a CSV body with a header row is required")]));
        }
        Ok(Csv(req.body.clone()))
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        use clearview_core::services::job_import::{COLUMNS, MAX_ROWS, REQUIRED_COLUMNS};
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX_CSV_BODY))
            .description(Some(format!(
                "UTF-8 CSV (RFC 4180), a header row then at most {MAX_ROWS} rows, at most {MAX_CSV_BODY} bytes. \
                 Columns (header names ignore case, spaces, `_` and `-`): {}; required: {}. Skill lists are \
                 separated by `;`, isRemote is true/false, deadline is YYYY-MM-DD. For example: \
                 `title,jobType,location,description,requiredSkills` then \
                 `Backend Engineer,full-time,\"Berlin, Germany\",Build our API.,Rust;PostgreSQL`.",
                COLUMNS.join(", "),
                REQUIRED_COLUMNS.join(", ")
            )));
        doc.body = Some(RefOr::T(schema.into()));
        doc.body_media = Some(BodySpec::CSV.media);
        doc.errors.extend([
            (400, "the body could not be read as CSV (missing, or not UTF-8 in the header)"),
            (413, "the body is larger than 1 MiB (1048576 bytes)"),
            (415, "the body is not text/csv"),
            (422, "the header names an unknown column, lacks a required one, or there are more than 500 rows"),
        ]);
    }
}

/// Query parameters of type `T` (a `utoipa::IntoParams` struct whose attributes state the limits).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + utoipa::IntoParams> FromRequest for Query<T> {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        let pairs: Vec<(&str, &str)> = req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded_parse(&encoded));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner().to_string();
            let field = if field == "." { inner.split('`').nth(1).unwrap_or("").to_owned() } else { field };
            AppError::Validation(vec![FieldError::new(field, inner)])
        })
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        doc.params.extend(T::into_params(|| Some(ParameterIn::Query)));
        doc.errors.push((422, "a query parameter was refused; `errors` names it and why"));
    }
}

fn form_urlencoded_parse(s: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(s.as_bytes())
}

/// The version an edit is based on, from `If-Match: "3"` (or `W/"3"`). The edit must send it:
/// without it the use case answers 428, with a stale one 412.
pub struct IfMatch(pub Option<u64>);

/// The same header where it is optional (state changes that may go ahead without it).
pub struct OptionalIfMatch(pub Option<u64>);

/// The header on a PUT that creates or replaces: creating needs none, replacing what exists
/// needs it (428 without it, 412 when stale).
pub struct IfMatchToReplace(pub Option<u64>);

/// What an `If-Match` header must look like.
pub const IF_MATCH_PATTERN: &str = r#"^[ \t]*(?:W/)?"[0-9]{1,19}"[ \t]*$"#;
/// Where it is optional, blank too: it means not sent (HTTP strips surrounding whitespace).
pub const OPTIONAL_IF_MATCH_PATTERN: &str = r#"^[ \t]*(?:(?:W/)?"[0-9]{1,19}")?[ \t]*$"#;

fn describe_if_match(doc: &mut OperationDoc, required: bool) {
    describe_if_match_header(doc, required);
    if required {
        doc.errors.push((428, "this edit must name the version it is based on (If-Match)"));
    }
}

fn describe_if_match_header(doc: &mut OperationDoc, required: bool) {
    let pattern = if required { IF_MATCH_PATTERN } else { OPTIONAL_IF_MATCH_PATTERN };
    let schema = ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern));
    doc.params.push(
        ParameterBuilder::new()
            .name("If-Match")
            .parameter_in(ParameterIn::Header)
            .required(if required { Required::True } else { Required::False })
            .description(Some("the ETag of your last read, such as \"3\"; a stale one answers 412"))
            .schema(Some(RefOr::T(schema.into())))
            .build(),
    );
    doc.errors.extend([
        (422, "the If-Match header is not an ETag such as \"3\""),
        (412, "the If-Match version is stale: read it again and retry"),
    ]);
}

impl FromRequest for IfMatch {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        req.if_match().map(IfMatch)
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        describe_if_match(doc, true);
    }
}

impl FromRequest for OptionalIfMatch {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        req.if_match().map(OptionalIfMatch)
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        describe_if_match(doc, false);
    }
}

impl FromRequest for IfMatchToReplace {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        req.if_match().map(IfMatchToReplace)
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        describe_if_match_header(doc, false);
        doc.errors.push((428, "it exists already: replacing it must name the version it is based on (If-Match)"));
    }
}
