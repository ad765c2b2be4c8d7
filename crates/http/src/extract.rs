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

/// Something a handler reads from the request before it runs.
pub trait FromRequest: Sized {
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
            fn from_request(req: &Req) -> Result<Self, AppError> {
                Ok(($($t::from_request(req)?,)+))
            }
            fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
                $($t::describe(doc, defs);)+
            }
        }
    };
}
tuple_from_request!(A, B);
tuple_from_request!(A, B, C);

/// A JSON body of type `T`: wrong types, missing and unknown fields are 400 with the field named.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + utoipa::ToSchema> FromRequest for Json<T> {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        if req.body.len() > MAX_BODY {
            return Err(AppError::PayloadTooLarge { limit: MAX_BODY });
        }
        parse_json(&req.body).map(Json).map_err(AppError::Malformed)
    }
    fn describe(doc: &mut OperationDoc, defs: &mut Defs) {
        doc.body = Some(schema::<T>(defs));
        doc.errors.extend([
            (400, "the body could not be read (not JSON, a wrong type, a missing or unknown field)"),
            (413, "the body is larger than 256 KiB"),
            (415, "the body is not application/json"),
            (422, "a field was refused; `errors` names each field and why"),
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

/// The version an edit is based on, from `If-Match: "3"` (or `W/"3"`); `None` when not sent.
/// The use case decides whether it is required (428) and compares it (412).
pub struct IfMatch(pub Option<u64>);

/// What an `If-Match` header must look like.
pub const IF_MATCH_PATTERN: &str = r#"^(W/)?"[0-9]{1,19}"$"#;

impl FromRequest for IfMatch {
    fn from_request(req: &Req) -> Result<Self, AppError> {
        req.if_match().map(IfMatch)
    }
    fn describe(doc: &mut OperationDoc, _: &mut Defs) {
        let schema = ObjectBuilder::new().schema_type(Type::String).pattern(Some(IF_MATCH_PATTERN));
        doc.params.push(
            ParameterBuilder::new()
                .name("If-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some("the ETag of your last read, such as \"3\"; a stale one answers 412"))
                .schema(Some(RefOr::T(schema.into())))
                .build(),
        );
        doc.errors.extend([
            (422, "the If-Match header is not an ETag such as \"3\""),
            (412, "the If-Match version is stale: read it again and retry"),
            (428, "this edit must name the version it is based on (If-Match)"),
        ]);
    }
}
