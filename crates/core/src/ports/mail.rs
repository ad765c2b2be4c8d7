//! Outgoing mail: SES in AWS, an outbox of RFC 5322 `.eml` files locally.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    /// A stable id for this message (e.g. the event id), so a redelivered event sends nothing twice.
    pub dedupe_key: Option<String>,
    /// An iCalendar part sent alongside the text and HTML (`text/calendar; method=…`), so mail
    /// clients offer to add the event: an interview invite or cancellation.
    #[serde(default)]
    pub calendar: Option<CalendarPart>,
}

/// An RFC 5545 object in a mail: its iTIP method (`REQUEST`, `CANCEL`) and the `.ics` text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarPart {
    pub method: String,
    pub ics: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail refused: {0}")]
    Rejected(String),
    #[error("mail service unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the message and returns the provider's message id.
    async fn send(&self, email: OutgoingEmail) -> Result<String, MailError>;
    /// For an erasure: removes held mail (the embedded outbox) sent to `recipient` or whose
    /// subject or body mentions any of `mentions` (case-insensitive: the person's name, email,
    /// phone), and answers how many messages went. SES cannot recall mail once sent, so its
    /// adapter holds none.
    async fn forget(&self, _recipient: &str, _mentions: &[String]) -> Result<usize, MailError> {
        Ok(0)
    }
}
