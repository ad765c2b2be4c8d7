//! Validated value types: once one exists it is valid, so nothing downstream re-checks it.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: Uuid) -> Self {
                Self(id.to_string())
            }
            /// Parses an id from a path or body; only canonical lowercase UUIDs are ids.
            pub fn parse(s: &str) -> Option<Self> {
                let u = Uuid::parse_str(s).ok()?;
                (u.to_string() == s).then(|| Self(s.to_owned()))
            }
            /// Wraps an id that came from a trusted source (a verified token, a stored item).
            pub fn trusted(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        const _: &str = $what;
    };
}

id_type!(
    /// An employer organisation (the tenant).
    OrgId, "organization"
);
id_type!(
    /// A user, staff or candidate; equal to the identity provider's `sub`.
    UserId, "user"
);
id_type!(
    /// A job posting.
    JobId, "job"
);

/// An email address, trimmed and lower-cased so it can key uniqueness.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim().to_ascii_lowercase();
        let bad = |r: &str| Err(FieldError::new(field, r));
        if s.is_empty() {
            return bad("is required");
        }
        if s.len() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("must be an email address like name@example.com");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        let local_ok =
            !local.is_empty() && local.len() <= 64 && !local.contains(char::is_whitespace) && !local.contains('@');
        if !(domain_ok && local_ok) {
            return bad("must be an email address like name@example.com");
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Trusted source (token claim, stored item).
    pub fn trusted(s: impl Into<String>) -> Self {
        Self(s.into())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets Cognito's default policy: at least 8 characters with an upper-case
/// letter, a lower-case letter, a digit and a symbol. Never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const SYMBOLS: &'static str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let mut missing = Vec::new();
        if s.chars().count() < Self::MIN_LEN {
            missing.push("at least 8 characters");
        }
        if s.chars().count() > 256 {
            return Err(FieldError::new(field, "must be at most 256 characters"));
        }
        if !s.chars().any(|c| c.is_ascii_uppercase()) {
            missing.push("an upper-case letter");
        }
        if !s.chars().any(|c| c.is_ascii_lowercase()) {
            missing.push("a lower-case letter");
        }
        if !s.chars().any(|c| c.is_ascii_digit()) {
            missing.push("a digit");
        }
        if !s.chars().any(|c| Self::SYMBOLS.contains(c)) {
            missing.push("a symbol");
        }
        if missing.is_empty() {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(field, format!("must contain {}", missing.join(", "))))
        }
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A phone number in international form (E.164: `+` then 8–15 digits); spaces, dashes, dots and
/// brackets are accepted on input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let digits = compact.strip_prefix('+').unwrap_or("");
        if digits.len() < 8
            || digits.len() > 15
            || !digits.chars().all(|c| c.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(FieldError::new(field, "must be an international phone number such as +14155550123"));
        }
        Ok(Self(compact))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed text with a length range, measured in characters.
pub fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min {
        return Err(FieldError::new(
            field,
            if min <= 1 { "is required".to_owned() } else { format!("must be at least {min} characters") },
        ));
    }
    if n > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// Optional text: absent or blank becomes `None`.
pub fn opt_text(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => text(field, t, 1, max).map(Some),
    }
}

/// Collects field errors from several parses and fails with all of them at once.
#[derive(Debug, Default)]
pub struct Checks(pub Vec<FieldError>);

impl Checks {
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
    pub fn push(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }
    pub fn finish(self) -> Result<(), crate::AppError> {
        if self.0.is_empty() { Ok(()) } else { Err(crate::AppError::Validation(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_lowercased_and_trimmed() {
        assert_eq!(Email::parse("email", "  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
    }

    #[test]
    fn email_without_domain_dot_is_refused() {
        let e = Email::parse("email", "ana@localhost").unwrap_err();
        assert_eq!(e.field, "email");
    }

    #[test]
    fn password_lists_every_missing_class() {
        let e = Password::parse("password", "short").unwrap_err();
        assert!(e.reason.contains("at least 8 characters"));
        assert!(e.reason.contains("upper-case"));
        assert!(e.reason.contains("digit"));
        assert!(e.reason.contains("symbol"));
        assert!(Password::parse("password", "Str0ng!pass").is_ok());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("p", "Str0ng!pass").unwrap();
        assert!(!format!("{p:?}").contains("Str0ng"));
    }

    #[test]
    fn phone_accepts_formatting_and_keeps_e164() {
        assert_eq!(Phone::parse("p", "+1 (415) 555-0123").unwrap().as_str(), "+14155550123");
        assert!(Phone::parse("p", "555-0123").is_err());
    }

    #[test]
    fn ids_must_be_canonical_uuids() {
        assert!(JobId::parse("0191e0c8-7f5a-7cc4-9d1e-2b7a1f3e4d5c").is_some());
        assert!(JobId::parse("0191E0C8-7F5A-7CC4-9D1E-2B7A1F3E4D5C").is_none());
        assert!(JobId::parse("../etc").is_none());
    }
}
