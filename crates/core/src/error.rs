//! The one error type use cases return; the HTTP layer maps each variant to a problem+json answer.

use crate::ports::{identity::IdentityError, mail::MailError, store::StoreError};
use serde::Serialize;

/// One reason a field was refused, by JSON pointer-ish path (`criteria.weights.skills`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input was understood but refused; one entry per offending field.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// The request could not be read at all: malformed JSON, a wrong type, an unknown field.
    #[error("malformed request: {0:?}")]
    Malformed(Vec<FieldError>),
    /// The caller is not signed in, or its credentials are wrong.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow it.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Missing, or owned by another tenant (never tell the two apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A uniqueness or state conflict (`kind` is a stable slug such as `email-taken`).
    #[error("conflict ({kind}): {detail}")]
    Conflict { kind: &'static str, detail: String },
    /// The If-Match version is stale.
    #[error("precondition failed: expected version {expected}, current {current}")]
    PreconditionFailed { expected: u64, current: u64 },
    /// A write that must name its version did not.
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    /// The login needs a step other than a password (e.g. unconfirmed email).
    #[error("{kind}: {detail}")]
    Denied { kind: &'static str, detail: String },
    /// The body is larger than the route reads.
    #[error("payload too large: more than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The body is not in a format the route reads.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests: {0}")]
    TooManyRequests(String),
    /// Something we depend on failed; safe to retry.
    #[error("dependency failed: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, reason)])
    }
    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict { kind, detail: detail.into() }
    }

    /// The stable problem type (`/problems/<slug>`) of this error: the HTTP answer's, and the
    /// per-item refusal of a bulk action's.
    pub fn slug(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::Malformed(_) => "invalid-request",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not-found",
            AppError::Conflict { kind, .. } | AppError::Denied { kind, .. } => kind,
            AppError::PreconditionFailed { .. } => "stale-version",
            AppError::PreconditionRequired(_) => "if-match-required",
            AppError::PayloadTooLarge { .. } => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::TooManyRequests(_) => "too-many-requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled(m) => AppError::TooManyRequests(m),
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::ConditionFailed { .. } => {
                AppError::conflict("concurrent-update", "the item changed while we were writing it; retry")
            }
            StoreError::TransactionCanceled { failed } => {
                AppError::conflict("concurrent-update", format!("the write was refused by: {}", failed.join(", ")))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<IdentityError> for AppError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::UsernameExists => {
                AppError::conflict("email-taken", "an account with this email already exists")
            }
            IdentityError::InvalidPassword(reason) => AppError::field("password", reason),
            IdentityError::CodeMismatch => AppError::field("code", "the code is not correct"),
            IdentityError::CodeExpired => AppError::field("code", "the code has expired; ask for a new one"),
            IdentityError::NotAuthorized(m) => AppError::Unauthenticated(m),
            IdentityError::UserNotConfirmed => AppError::Denied {
                kind: "email-not-verified",
                detail: "verify your email with the code we sent before signing in".into(),
            },
            IdentityError::NewPasswordRequired => AppError::Denied {
                kind: "new-password-required",
                detail: "this account was invited: set a password with POST /api/auth/complete-invite".into(),
            },
            IdentityError::UserNotFound => AppError::NotFound("user"),
            IdentityError::LimitExceeded(m) => AppError::TooManyRequests(m),
            IdentityError::Unavailable(m) => AppError::Unavailable(m),
            IdentityError::Invalid(m) => AppError::Internal(m),
        }
    }
}

impl From<MailError> for AppError {
    fn from(e: MailError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
