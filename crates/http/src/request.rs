//! What a handler is given ([`Req`]) and what it answers ([`Reply`]).

use crate::routes::Route;
use bytes::Bytes;
use clearview_core::principal::Principal;
use clearview_core::services::Actor;
use clearview_core::{AppError, FieldError};
use http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Largest accepted JSON body.
pub const MAX_BODY: usize = 256 * 1024;
pub const DEFAULT_PAGE: usize = 25;
pub const MAX_PAGE: usize = 100;

pub struct Req {
    pub route: &'static Route,
    pub path_params: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub principal: Option<Principal>,
    pub actor: Option<Actor>,
}

impl Req {
    /// Reads the body as `T`: wrong types, missing fields and unknown fields are field errors.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        parse_json(&self.body).map_err(AppError::Malformed)
    }

    pub fn path(&self, name: &str) -> Result<&str, AppError> {
        self.path_params.get(name).map(String::as_str).ok_or(AppError::NotFound("route parameter"))
    }

    /// A path id; a malformed one answers 404, like any id that names nothing.
    pub fn id<T>(&self, name: &str, parse: fn(&str) -> Option<T>, what: &'static str) -> Result<T, AppError> {
        parse(self.path(name)?).ok_or(AppError::NotFound(what))
    }

    pub fn actor(&self) -> Result<&clearview_core::services::Actor, AppError> {
        self.actor.as_ref().ok_or_else(|| AppError::Internal(format!("route {} ran without an actor", self.route.name)))
    }

    /// The caller of a candidate or member route.
    pub fn caller(&self) -> Result<clearview_core::services::Caller, AppError> {
        match (&self.actor, &self.principal) {
            (Some(a), _) => Ok(clearview_core::services::Caller::Staff(a.clone())),
            (None, Some(p)) => Ok(clearview_core::services::Caller::Candidate(p.clone())),
            _ => Err(AppError::Unauthenticated("sign in first".into())),
        }
    }

    /// The signed-in candidate of a candidate route.
    pub fn candidate(&self) -> Result<&clearview_core::principal::Principal, AppError> {
        self.principal.as_ref().ok_or_else(|| AppError::Unauthenticated("sign in first".into()))
    }

    /// The version from `If-Match: "3"` (or `W/"3"`), if sent (an empty header is not sent).
    pub fn if_match(&self) -> Result<Option<u64>, AppError> {
        let Some(v) = self.headers.get(http::header::IF_MATCH) else { return Ok(None) };
        let s = v.to_str().unwrap_or("\u{0}").trim();
        if s.is_empty() {
            return Ok(None);
        }
        let tag = s.strip_prefix("W/").unwrap_or(s);
        tag.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .filter(|n| !n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|n| n.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| AppError::field("If-Match", "must be the ETag from your last read, such as \"3\""))
    }
}

/// Parses JSON, naming the field at fault.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Vec<FieldError>> {
    if body.len() > MAX_BODY {
        return Err(vec![FieldError::new("", format!("the body must be at most {MAX_BODY} bytes"))]);
    }
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    let mut value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        let msg = e.to_string();
        vec![FieldError::new("", format!("the body is not valid JSON ({msg})"))]
    })?;
    // Every request body is a JSON object. serde's derived structs would also read an array
    // positionally (`[]` as a struct whose fields all have defaults): refuse it by name.
    if !value.is_object() {
        return Err(vec![FieldError::new("", "the body must be a JSON object")]);
    }
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // serde_path_to_error's path already ends at an unknown field; "." means the root.
        let field = if path == "." { String::new() } else { path };
        let reason = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("the body is not valid JSON ({msg})")
            }
            _ => msg.split(" at line ").next().unwrap_or(&msg).to_owned(),
        };
        vec![FieldError::new(field, reason)]
    })
}

/// JSON Schema's `integer` is any number without a fraction (`72.0` is one), while serde's
/// integers refuse a float: turn such floats into integers before typed deserialization.
fn integral_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
            {
                if f >= 0.0 && f < u64::MAX as f64 {
                    *value = serde_json::Value::from(f as u64);
                } else if f < 0.0 && f >= i64::MIN as f64 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// A handler's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// The body as it is sent: JSON, encoded straight from the handler's type (no
    /// `serde_json::Value` tree in between), or text of the type `media` names.
    pub body: Option<Bytes>,
    pub etag: Option<u64>,
    pub location: Option<String>,
    /// A body that is not JSON: its media type.
    pub media: Option<&'static str>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Self, AppError> {
        let body = serde_json::to_vec(body).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Self { status, body: Some(Bytes::from(body)), etag: None, location: None, media: None })
    }
    pub fn ok<T: Serialize>(body: &T) -> Result<Self, AppError> {
        Self::json(StatusCode::OK, body)
    }
    pub fn created<T: Serialize>(body: &T, location: String) -> Result<Self, AppError> {
        let mut r = Self::json(StatusCode::CREATED, body)?;
        r.location = Some(location);
        Ok(r)
    }
    pub fn no_content() -> Self {
        Self { status: StatusCode::NO_CONTENT, body: None, etag: None, location: None, media: None }
    }
    pub fn accepted(message: &str) -> Self {
        Self {
            status: StatusCode::ACCEPTED,
            body: Some(Bytes::from(serde_json::json!({ "message": message }).to_string())),
            etag: None,
            location: None,
            media: None,
        }
    }
    /// 200 with a text body of another media type (`text/calendar` …).
    pub fn text(media: &'static str, body: String) -> Self {
        Self { status: StatusCode::OK, body: Some(Bytes::from(body)), etag: None, location: None, media: Some(media) }
    }
    pub fn with_etag(mut self, version: u64) -> Self {
        self.etag = Some(version);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct In {
        title: String,
        salary_min: Option<u32>,
        nested: Option<Nested>,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Nested {
        a: u8,
    }

    #[test]
    fn wrong_type_names_the_field() {
        let e = parse_json::<In>(br#"{"title":"x","salaryMin":"lots"}"#).unwrap_err();
        assert_eq!(e[0].field, "salaryMin");
        assert!(e[0].reason.contains("invalid type"), "{}", e[0].reason);
    }

    #[test]
    fn unknown_field_is_named() {
        let e = parse_json::<In>(br#"{"title":"x","salary":1}"#).unwrap_err();
        assert_eq!(e[0].field, "salary");
        let e = parse_json::<In>(br#"{"title":"x","nested":{"a":1,"b":2}}"#).unwrap_err();
        assert_eq!(e[0].field, "nested.b");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_even_when_every_field_has_a_default() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct AllDefaults {
            #[serde(default)]
            grant: Vec<String>,
        }
        for body in [&b"[]"[..], b"[[\"jobs:read\"]]", b"null", b"3"] {
            let e = parse_json::<AllDefaults>(body).unwrap_err();
            assert_eq!((e[0].field.as_str(), e[0].reason.as_str()), ("", "the body must be a JSON object"));
        }
        assert!(parse_json::<AllDefaults>(b"{}").is_ok());
    }

    #[test]
    fn missing_field_and_bad_json_are_reported() {
        let e = parse_json::<In>(br#"{}"#).unwrap_err();
        assert!(e[0].reason.contains("missing field `title`"));
        let e = parse_json::<In>(br#"{"title":"#).unwrap_err();
        assert!(e[0].reason.contains("not valid JSON"));
    }
}
