//! RFC 9457 problem details: every error answer has a stable `type`, a human `detail`, and
//! field-level `errors` for validation.

use clearview_core::{AppError, FieldError};
use http::StatusCode;
use serde::Serialize;

/// Problem types are relative URIs under `/problems/`; docs/api.md describes each.
pub const PROBLEM_BASE: &str = "/problems/";

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
    /// Seconds to wait before retrying, where that helps.
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Self {
        Self {
            type_: format!("{PROBLEM_BASE}{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// The body could not be read as the route's input (bad JSON, wrong type, unknown field).
    pub fn invalid_body(errors: Vec<FieldError>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "invalid-request", "the request body could not be read; see errors")
            .with_errors(errors)
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<&AppError> for Problem {
    fn from(e: &AppError) -> Self {
        use StatusCode as S;
        let slug = e.slug();
        match e {
            AppError::Validation(errors) => {
                Problem::new(S::UNPROCESSABLE_ENTITY, slug, "some fields were refused; see errors")
                    .with_errors(errors.clone())
            }
            AppError::Malformed(errors) => Problem::invalid_body(errors.clone()),
            AppError::Unauthenticated(d) => Problem::new(S::UNAUTHORIZED, slug, d.clone()),
            AppError::Forbidden(d) => Problem::new(S::FORBIDDEN, slug, d.clone()),
            AppError::NotFound(what) => Problem::new(S::NOT_FOUND, slug, format!("no such {what}")),
            AppError::Conflict { detail, .. } => Problem::new(S::CONFLICT, slug, detail.clone()),
            AppError::PreconditionFailed { expected, current } => Problem::new(
                S::PRECONDITION_FAILED,
                slug,
                format!("you sent version {expected} but it is now at {current}: read it again and retry"),
            ),
            AppError::PreconditionRequired(d) => Problem::new(S::PRECONDITION_REQUIRED, slug, d.clone()),
            AppError::Denied { detail, .. } => Problem::new(S::FORBIDDEN, slug, detail.clone()),
            AppError::PayloadTooLarge { limit } => Problem::new(
                S::PAYLOAD_TOO_LARGE,
                slug,
                format!("the body is larger than this route reads ({limit} bytes at most)"),
            ),
            AppError::UnsupportedMediaType(d) => Problem::new(S::UNSUPPORTED_MEDIA_TYPE, slug, d.clone()),
            AppError::TooManyRequests(d) => {
                let mut p = Problem::new(S::TOO_MANY_REQUESTS, slug, d.clone());
                p.retry_after = Some(2);
                p
            }
            AppError::Unavailable(_) => {
                let mut p =
                    Problem::new(S::SERVICE_UNAVAILABLE, slug, "a service we depend on did not answer; retry shortly");
                p.retry_after = Some(1);
                p
            }
            AppError::Internal(_) => {
                Problem::new(S::INTERNAL_SERVER_ERROR, slug, "something went wrong on our side; it has been logged")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_lists_each_field() {
        let p = Problem::from(&AppError::Validation(vec![FieldError::new("email", "is required")]));
        assert_eq!(p.status, 422);
        assert_eq!(p.type_, "/problems/validation");
        assert_eq!(p.errors[0].field, "email");
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let p = Problem::from(&AppError::Internal("db password is hunter2".into()));
        assert!(!p.detail.contains("hunter2"));
    }
}
