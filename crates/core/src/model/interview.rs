//! Interviews: when (UTC, with the organiser's IANA time zone), who (a candidate and one or more
//! interviewers), how, and where; each person's bookings by day, which refuse a clash; and the
//! interviewers' structured feedback.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterviewType {
    Phone,
    Video,
    InPerson,
    Technical,
    Behavioral,
    Panel,
}

impl InterviewType {
    pub fn label(self) -> &'static str {
        match self {
            InterviewType::Phone => "Phone interview",
            InterviewType::Video => "Video interview",
            InterviewType::InPerson => "In-person interview",
            InterviewType::Technical => "Technical interview",
            InterviewType::Behavioral => "Behavioral interview",
            InterviewType::Panel => "Panel interview",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InterviewStatus {
    Scheduled,
    InProgress,
    Completed,
    Cancelled,
    NoShow,
}

impl InterviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InterviewStatus::Scheduled => "scheduled",
            InterviewStatus::InProgress => "in_progress",
            InterviewStatus::Completed => "completed",
            InterviewStatus::Cancelled => "cancelled",
            InterviewStatus::NoShow => "no_show",
        }
    }
}

/// A time the candidate proposes instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProposedTime {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
}

/// The candidate's request to move the interview: the times they propose, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RescheduleRequest {
    pub proposed: Vec<ProposedTime>,
    pub reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Interview {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = Option<String>)]
    pub job_id: Option<JobId>,
    /// The job's title when the interview is for a job (what invites say).
    pub job_title: Option<String>,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    #[serde(rename = "type")]
    pub kind: InterviewType,
    /// Start, in UTC.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    /// End, in UTC (start plus the duration).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: OffsetDateTime,
    pub duration_minutes: u32,
    /// The organiser's IANA time zone (`Europe/Berlin`): how invites and emails show the time.
    pub time_zone: String,
    /// One interviewer, or a panel.
    #[schema(value_type = Vec<String>)]
    pub interviewers: Vec<UserId>,
    #[schema(value_type = String)]
    pub organizer_id: UserId,
    pub location: Option<String>,
    pub meeting_link: Option<String>,
    pub status: InterviewStatus,
    /// The invite's stable `UID` (RFC 5545).
    pub ical_uid: String,
    /// The invite's `SEQUENCE`: raised on every reschedule and on cancellation.
    pub sequence: u32,
    /// A pending request of the candidate to move it.
    pub reschedule_request: Option<RescheduleRequest>,
    /// Whether the employer shares an anonymised summary of the feedback with the candidate.
    #[serde(default)]
    pub feedback_shared: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

/// `2026-03-02T10:00:00Z`: fixed width, so sort keys built from it sort by time.
pub fn utc_key(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The UTC day of a time, `YYYY-MM-DD`.
pub fn utc_day(t: OffsetDateTime) -> String {
    utc_key(t)[..10].to_owned()
}

impl Interview {
    /// Everyone whose time it takes: the candidate, then the interviewers.
    pub fn people(&self) -> Vec<UserId> {
        let mut out = vec![self.candidate_id.clone()];
        out.extend(self.interviewers.iter().cloned());
        out
    }

    /// The UTC days it touches (an interview at most 8 hours long touches one or two).
    pub fn days(&self) -> Vec<String> {
        let mut out = vec![utc_day(self.starts_at)];
        // The end is exclusive: an interview ending at midnight does not touch the next day.
        let last = utc_day(self.ends_at - time::Duration::seconds(1));
        if last != out[0] {
            out.push(last);
        }
        out
    }

    pub fn overlaps(&self, starts_at: OffsetDateTime, ends_at: OffsetDateTime) -> bool {
        self.starts_at < ends_at && starts_at < self.ends_at
    }

    /// Whether it still holds its people's time (cancelled ones free it).
    pub fn holds_time(&self) -> bool {
        self.status != InterviewStatus::Cancelled
    }
}

impl Record for Interview {
    const ENTITY: &'static str = "Interview";
    fn key(&self) -> Key {
        keys::interview(&self.org_id, &self.id)
    }
    fn gsi1(&self) -> Option<Key> {
        Some(Key::new(keys::interviews_by_time_pk(&self.org_id), format!("{}#{}", utc_key(self.starts_at), self.id)))
    }
    fn gsi2(&self) -> Option<Key> {
        self.job_id.as_ref().map(|j| {
            Key::new(keys::interviews_by_job_pk(&self.org_id, j), format!("{}#{}", utc_key(self.starts_at), self.id))
        })
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// One interview in a person's day: enough to draw a calendar without reading the interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Booking {
    pub interview_id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: OffsetDateTime,
    #[serde(rename = "type")]
    pub kind: InterviewType,
    pub status: InterviewStatus,
    #[schema(value_type = Option<String>)]
    pub job_id: Option<JobId>,
    pub job_title: Option<String>,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    #[schema(value_type = Vec<String>)]
    pub interviewers: Vec<UserId>,
    pub location: Option<String>,
    pub meeting_link: Option<String>,
    pub time_zone: String,
    pub ical_uid: String,
    pub sequence: u32,
}

impl Booking {
    pub fn of(i: &Interview) -> Self {
        Self {
            interview_id: i.id.clone(),
            starts_at: i.starts_at,
            ends_at: i.ends_at,
            kind: i.kind,
            status: i.status,
            job_id: i.job_id.clone(),
            job_title: i.job_title.clone(),
            candidate_id: i.candidate_id.clone(),
            interviewers: i.interviewers.clone(),
            location: i.location.clone(),
            meeting_link: i.meeting_link.clone(),
            time_zone: i.time_zone.clone(),
            ical_uid: i.ical_uid.clone(),
            sequence: i.sequence,
        }
    }
}

/// A person's bookings on one UTC day in one organisation (version 0: never written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDay {
    pub org_id: OrgId,
    pub person_id: UserId,
    pub day: String,
    pub bookings: Vec<Booking>,
    pub version: u64,
}

impl Record for ScheduleDay {
    const ENTITY: &'static str = "ScheduleDay";
    fn key(&self) -> Key {
        keys::schedule_day(&self.org_id, &self.person_id, &self.day)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = InterviewRecommendation)]
pub enum Recommendation {
    StrongHire,
    Hire,
    NoHire,
    StrongNoHire,
}

/// A rating (1–5) of one attribute of the job's criteria (a required skill, experience …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CriterionRating {
    #[schema(min_length = 1, max_length = 100)]
    pub criterion: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: u8,
}

/// What an earlier submission said, kept when feedback is amended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackAmendment {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub amended_at: OffsetDateTime,
    pub previous_rating: u8,
    pub previous_recommendation: Option<Recommendation>,
    pub previous_criteria: Vec<CriterionRating>,
    pub previous_comments: Option<String>,
    /// Why it was changed.
    pub reason: String,
}

/// One interviewer's scorecard of an interview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterviewFeedback {
    pub interview_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub interviewer_id: UserId,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    #[schema(value_type = Option<String>)]
    pub job_id: Option<JobId>,
    pub rating: u8,
    pub recommendation: Option<Recommendation>,
    pub criteria: Vec<CriterionRating>,
    pub comments: Option<String>,
    /// Earlier versions, oldest first, each with the reason it was changed.
    pub amendments: Vec<FeedbackAmendment>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for InterviewFeedback {
    const ENTITY: &'static str = "InterviewFeedback";
    fn key(&self) -> Key {
        keys::interview_feedback(&self.org_id, &self.interview_id, &self.interviewer_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A staff member's private calendar feed: the hash of its secret token (the token itself is
/// shown once, when it is made).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarFeed {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub token_hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub rotated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for CalendarFeed {
    const ENTITY: &'static str = "CalendarFeed";
    fn key(&self) -> Key {
        keys::calendar_feed(&self.org_id, &self.user_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Where a feed token leads (its owner), found by the token's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarFeedToken {
    pub token_hash: String,
    pub org_id: OrgId,
    pub user_id: UserId,
}

impl Record for CalendarFeedToken {
    const ENTITY: &'static str = "CalendarFeedToken";
    fn key(&self) -> Key {
        keys::calendar_feed_token(&self.token_hash)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// An interview whose feedback is due (24 hours after it ended), for the reminder schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackDue {
    pub hour: String,
    pub org_id: OrgId,
    pub interview_id: String,
}

impl Record for FeedbackDue {
    const ENTITY: &'static str = "FeedbackDue";
    fn key(&self) -> Key {
        keys::feedback_due(&self.hour, &self.org_id, &self.interview_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// The hour (`YYYY-MM-DDTHH`, UTC) in which an interview's feedback falls due.
pub fn feedback_due_hour(ends_at: OffsetDateTime) -> String {
    utc_key(ends_at + time::Duration::hours(24))[..13].to_owned()
}
