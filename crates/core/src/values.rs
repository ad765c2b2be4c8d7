//! Validated value types: once one exists it is valid, so nothing downstream re-checks it.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
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
    pub const MAX_LEN: usize = 254;

    /// Characters of a local part's dot-atoms (RFC 5322 `atext`), as a regex class body.
    const ATOM: &'static str = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-";
    /// One domain label (letters, digits, inner hyphens; at most 63).
    const LABEL: &'static str = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";

    /// The rules of [`Email::parse`] as a JSON Schema: a local part of 1–64 `atext` characters
    /// and dots, not at its ends (what mail transports accept), `@`, two or more domain labels,
    /// surrounding whitespace ignored.
    pub fn schema() -> Object {
        let a = Self::ATOM;
        let local = format!("[{a}](?:[.{a}]{{0,62}}[{a}])?");
        let label = Self::LABEL;
        let pattern = format!("^{w}*{local}@(?:{label}\\.)+{label}{w}*$", w = pattern::W);
        // No `format: email`: the pattern is exactly what the server takes (surrounding
        // whitespace included), while validators' email formats are stricter or looser.
        string().max_length(Some(Self::MAX_LEN)).pattern(Some(pattern)).examples(["ana@example.com"]).build()
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let bad = |r: &str| Err(FieldError::new(field, r));
        // Limits count characters of what was sent, as the schema's maxLength does.
        if s.chars().count() > Self::MAX_LEN {
            return bad("must be at most 254 characters");
        }
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            return bad("is required");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("must be an email address like name@example.com");
        };
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
        // 1–64 characters of atext and dots, not starting or ending with a dot (mail
        // transports refuse longer local parts).
        let local_ok = (1..=64).contains(&local.chars().count())
            && local.chars().all(|c| atext(c) || c == '.')
            && !local.starts_with('.')
            && !local.ends_with('.');
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        let domain_ok = domain.contains('.') && domain.split('.').all(label_ok);
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

    pub const MAX_LEN: usize = 256;

    /// The policy of [`Password::parse`] as a JSON Schema: 8–256 characters with an ASCII
    /// upper-case letter, lower-case letter, digit and symbol (lookaheads).
    pub fn schema() -> Object {
        let symbols: String = Self::SYMBOLS.chars().map(pattern::class_char).collect();
        let pattern = format!("^(?=[\\s\\S]*[A-Z])(?=[\\s\\S]*[a-z])(?=[\\s\\S]*[0-9])(?=[\\s\\S]*[{symbols}])");
        string()
            .min_length(Some(Self::MIN_LEN))
            .max_length(Some(Self::MAX_LEN))
            .pattern(Some(pattern))
            .description(Some(format!(
                "At least {} characters with an upper-case letter, a lower-case letter, a digit and a symbol ({})",
                Self::MIN_LEN,
                Self::SYMBOLS
            )))
            .examples(["Str0ng!passw0rd"])
            .build()
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let mut missing = Vec::new();
        if s.chars().count() < Self::MIN_LEN {
            missing.push("at least 8 characters");
        }
        if s.chars().count() > Self::MAX_LEN {
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
    /// `+`, a non-zero digit, 7–14 more digits; separators anywhere.
    fn body_pattern() -> String {
        let sep = "[-. ()]*";
        format!("{sep}\\+{sep}[1-9](?:{sep}[0-9]){{7,14}}{sep}")
    }

    /// The rules of [`Phone::parse`] as a JSON Schema.
    pub fn schema() -> Object {
        string().pattern(Some(format!("^{}$", Self::body_pattern()))).examples(["+14155550123"]).build()
    }

    /// An optional phone number: absent, null or blank means none (the input is trimmed).
    pub fn opt_schema() -> Object {
        nullable_string()
            .pattern(Some(format!("^{w}*(?:{})?{w}*$", Self::body_pattern(), w = pattern::W)))
            .examples(["+14155550123"])
            .build()
    }

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

/// A rule for free text: trimmed, no control characters but tab, CR and LF inside, at least
/// `min` characters once trimmed and at most `max` characters as sent.
///
/// The maximum counts what was sent (as JSON Schema's `maxLength` does), the minimum what is
/// left after trimming (so blank text is refused), and [`TextRule::schema`] states exactly that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub min: usize,
    pub max: usize,
}

impl TextRule {
    pub const fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }

    pub fn parse(self, field: &str, s: &str) -> Result<String, FieldError> {
        if s.chars().count() > self.max {
            return Err(FieldError::new(field, format!("must be at most {} characters", self.max)));
        }
        let t = s.trim();
        if t.chars().count() < self.min {
            return Err(FieldError::new(
                field,
                if self.min <= 1 {
                    "is required".to_owned()
                } else {
                    format!("must be at least {} characters", self.min)
                },
            ));
        }
        if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
            return Err(FieldError::new(field, "must not contain control characters"));
        }
        Ok(t.to_owned())
    }

    /// Optional text: absent or blank becomes `None`.
    pub fn parse_opt(self, field: &str, s: Option<&str>) -> Result<Option<String>, FieldError> {
        match s {
            Some(s) if s.chars().count() > self.max => {
                Err(FieldError::new(field, format!("must be at most {} characters", self.max)))
            }
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => TextRule::new(self.min.max(1), self.max).parse(field, s).map(Some),
        }
    }

    /// The trimmed text between optional surrounding whitespace: first and last characters
    /// neither whitespace nor control, the ones between not control (tab, CR, LF allowed).
    fn body_pattern(self) -> String {
        let (e, i) = (pattern::EDGE, pattern::INNER);
        match self.min {
            0 | 1 => format!("{e}(?:{i}*{e})?"),
            n => format!("{e}{i}{{{},}}{e}", n - 2),
        }
    }

    /// A required text field.
    pub fn schema(self) -> Object {
        string()
            .min_length(Some(self.min.max(1)))
            .max_length(Some(self.max))
            .pattern(Some(format!("^{w}*{}{w}*$", self.body_pattern(), w = pattern::W)))
            .build()
    }

    /// An optional text field: absent, null or blank means none.
    pub fn opt_schema(self) -> Object {
        let body = TextRule::new(self.min.max(1), self.max).body_pattern();
        nullable_string()
            .max_length(Some(self.max))
            .pattern(Some(format!("^{w}*(?:{body})?{w}*$", w = pattern::W)))
            .build()
    }
}

/// Trimmed text with a length range, measured in characters (see [`TextRule`]).
pub fn text(field: &str, s: &str, min: usize, max: usize) -> Result<String, FieldError> {
    TextRule::new(min, max).parse(field, s)
}

/// Optional text: absent or blank becomes `None`.
pub fn opt_text(field: &str, s: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    TextRule::new(1, max).parse_opt(field, s)
}

/// A string field whose value, once trimmed and lower-cased (ASCII), must be one of `options`.
pub fn ascii_ci_choice_schema(options: &[&str]) -> Object {
    let alternatives: Vec<String> = options
        .iter()
        .map(|o| {
            o.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else if "^$\\.*+?()[]{}|/".contains(c) {
                        format!("\\{c}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    string()
        .pattern(Some(format!("^{w}*(?:{}){w}*$", alternatives.join("|"), w = pattern::W)))
        .description(Some(format!("One of {} (case-insensitive)", options.join(", "))))
        .build()
}

/// A string that must be exactly one of `options`.
pub fn choice_schema<'a>(options: impl IntoIterator<Item = &'a str>) -> Object {
    string().enum_values(Some(options)).build()
}

/// An optional string that, when present and not null, must be exactly one of `options`.
pub fn opt_choice_schema<'a>(options: impl IntoIterator<Item = &'a str>) -> Object {
    let mut values: Vec<serde_json::Value> = options.into_iter().map(Into::into).collect();
    values.push(serde_json::Value::Null);
    nullable_string().enum_values(Some(values)).build()
}

/// An id of ours (a canonical lower-case UUID), surrounding whitespace ignored.
pub fn id_schema() -> Object {
    let h = |n: usize| format!("[0-9a-f]{{{n}}}");
    // No `format: uuid`: the pattern also takes the surrounding whitespace the server trims.
    string().pattern(Some(format!("^{w}*{}-{}-{}-{}-{}{w}*$", h(8), h(4), h(4), h(4), h(12), w = pattern::W))).build()
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))
}

fn nullable_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// ECMA-262 regex pieces (also valid Python and Rust `regex` syntax) mirroring Rust's
/// character predicates, so the schema's patterns are exactly as strict as the parsers.
pub mod pattern {
    /// `char::is_whitespace` (Unicode White_Space), as class contents: what `trim` removes.
    pub const WS: &str = "\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    /// One whitespace character.
    pub const W: &str = "[\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";
    /// A character allowed inside text: anything but a control character other than tab, LF, CR.
    pub const INNER: &str = "[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]";
    /// A character allowed at the edges of trimmed text: neither whitespace nor control.
    pub const EDGE: &str = "[^\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

    /// `c` as a literal inside a character class.
    pub fn class_char(c: char) -> String {
        if matches!(c, '\\' | ']' | '[' | '^' | '-') { format!("\\{c}") } else { c.to_string() }
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
