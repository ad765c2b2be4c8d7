//! Conversations between an organisation's staff and a DEI consultant (employer use case 9):
//! threads of messages, each stored once, with unread counts per side.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which side of a conversation wrote (or reads) a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Staff,
    Consultant,
}

/// What a thread or message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A job posting (its text and ad-language report).
    Job,
    /// A job's bias audit (`GET /api/jobs/{id}/bias-audit`).
    BiasAudit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub kind: AttachmentKind,
    #[schema(value_type = String)]
    pub job_id: JobId,
    pub job_title: String,
}

/// A conversation between the organisation's staff and one consultant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub consultant_id: UserId,
    pub subject: String,
    pub attachment: Option<Attachment>,
    #[schema(value_type = String)]
    pub started_by: UserId,
    /// Staff who wrote in it (they are mailed when the consultant writes).
    #[schema(value_type = Vec<String>)]
    pub staff_participants: Vec<UserId>,
    pub messages: u32,
    /// Messages the staff side has not read yet.
    pub unread_by_staff: u32,
    /// Messages the consultant has not read yet.
    pub unread_by_consultant: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_message_at: OffsetDateTime,
    pub version: u64,
}

impl Thread {
    fn activity_sk(&self) -> String {
        format!("{}#{}", sort_time(self.last_message_at), self.id)
    }
    pub fn unread_for(&self, side: Side) -> u32 {
        match side {
            Side::Staff => self.unread_by_staff,
            Side::Consultant => self.unread_by_consultant,
        }
    }
}

impl Record for Thread {
    const ENTITY: &'static str = "Thread";
    fn key(&self) -> Key {
        keys::thread(&self.org_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(Key::new(keys::threads_pk(&self.org_id), self.activity_sk()))
    }
    fn gsi2(&self) -> Option<Key> {
        Some(Key::new(keys::consultant_threads_pk(&self.org_id, &self.consultant_id), self.activity_sk()))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// One message, stored once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ThreadMessage)]
pub struct Message {
    pub id: String,
    pub thread_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub author_id: UserId,
    pub author_name: Option<String>,
    pub side: Side,
    pub body: String,
    pub attachment: Option<Attachment>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub sent_at: OffsetDateTime,
}

impl Record for Message {
    const ENTITY: &'static str = "Message";
    fn key(&self) -> Key {
        keys::thread_message(&self.org_id, &self.thread_id, &sort_time(self.sent_at), &self.id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// A UTC time that sorts as text (RFC 3339 with fixed-width fractions).
pub fn sort_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}
