//! People outside an employer and what they run (issue 13): platform users' profiles,
//! non-profits with their offerings and enrolments, communities with their leaders, the
//! round-robin assignment state (per-community turns and FIFO wait line, per-leader load) and
//! the meetings an assignment schedules.

use crate::keys;
use crate::ports::crypto::Sealed;
use crate::ports::store::Key;
use crate::rbac::Role;
use crate::record::Record;
use crate::values::UserId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A platform user's profile. The sensitive fields (date of birth, address, gender) are only
/// ever stored sealed (`sealed`, bound to the user id) and opened for the user themself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformUser {
    pub id: UserId,
    pub email: String,
    pub roles: Vec<Role>,
    pub first_name: String,
    pub last_name: String,
    /// Skills and areas of expertise (a community leader is assigned to communities by them).
    #[serde(default)]
    pub expertise: Vec<String>,
    #[serde(default)]
    pub sealed: Option<Sealed>,
    /// When they can meet (the introductory meeting is found in it).
    #[serde(default)]
    pub availability: Option<Availability>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

/// Weekly hours a person can meet, in their time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Availability {
    /// An IANA time zone (`Europe/Berlin`); the windows are read in it (daylight saving followed).
    #[schema(example = "Europe/Berlin", min_length = 1, max_length = 64)]
    pub time_zone: String,
    /// At most 21 windows.
    #[schema(max_items = 21)]
    pub windows: Vec<AvailabilityWindow>,
}

/// One weekly window: a day and a local time range (on 15-minute marks, not past midnight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AvailabilityWindow {
    /// `mon` … `sun`.
    #[schema(pattern = "^(mon|tue|wed|thu|fri|sat|sun)$")]
    pub day: String,
    /// `HH:MM`, local.
    #[schema(pattern = "^([01][0-9]|2[0-3]):(00|15|30|45)$")]
    pub start: String,
    /// `HH:MM`, local, after `start` (`24:00` for the end of the day).
    #[schema(pattern = "^(([01][0-9]|2[0-3]):(00|15|30|45)|24:00)$")]
    pub end: String,
}

impl PlatformUser {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
    pub fn holds(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

impl Record for PlatformUser {
    const ENTITY: &'static str = "PlatformUser";
    fn key(&self) -> Key {
        keys::platform_user(&self.id)
    }
    /// gsi1: the user by email (a non-profit's creator adds members by email).
    fn gsi1(&self) -> Option<Key> {
        Some(keys::platform_user_by_email(&self.email))
    }
    /// gsi2: platform admins (mailed when every community leader is full).
    fn gsi2(&self) -> Option<Key> {
        self.holds(Role::PlatformAdmin).then(|| keys::platform_admin(&self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// What is sealed of a profile: never returned to anyone but its owner, never read by scoring.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SensitiveProfile {
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub address: Option<String>,
    pub gender: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NonprofitStatus {
    /// No offering yet.
    Pending,
    /// Has an offering (the platform manager completed its onboarding).
    Complete,
}

/// Someone named on a non-profit or a community (no sensitive field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonRef {
    #[schema(value_type = String)]
    pub id: UserId,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Nonprofit {
    pub id: String,
    pub name: String,
    pub description: String,
    pub location: String,
    pub registration_id: String,
    pub services: Vec<String>,
    pub expertise: Vec<String>,
    pub status: NonprofitStatus,
    #[schema(value_type = String)]
    pub created_by: UserId,
    /// Its `npo` members (the creator first): only they edit it and create offerings.
    pub members: Vec<PersonRef>,
    /// The community it was placed in at onboarding (from its services and expertise).
    pub community_id: Option<String>,
    /// Its community leader, once assigned.
    pub leader: Option<PersonRef>,
    /// Waiting in its community's line for a leader with room under the cap.
    #[serde(default)]
    pub waiting_for_leader: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Nonprofit {
    pub fn is_member(&self, user: &UserId) -> bool {
        self.members.iter().any(|m| &m.id == user)
    }
}

impl Record for Nonprofit {
    const ENTITY: &'static str = "Nonprofit";
    fn key(&self) -> Key {
        keys::nonprofit(&self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// The spec's offering categories, plus `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfferingCategory {
    ResumeWriting,
    InterviewPrep,
    FreeBusinessAttire,
    ApprenticeshipTraining,
    CollegeRegistration,
    GroceryMeals,
    RentHousing,
    ChildCare,
    Mentorship,
    Other,
}

impl OfferingCategory {
    pub const ALL: [OfferingCategory; 10] = [
        OfferingCategory::ResumeWriting,
        OfferingCategory::InterviewPrep,
        OfferingCategory::FreeBusinessAttire,
        OfferingCategory::ApprenticeshipTraining,
        OfferingCategory::CollegeRegistration,
        OfferingCategory::GroceryMeals,
        OfferingCategory::RentHousing,
        OfferingCategory::ChildCare,
        OfferingCategory::Mentorship,
        OfferingCategory::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            OfferingCategory::ResumeWriting => "resume_writing",
            OfferingCategory::InterviewPrep => "interview_prep",
            OfferingCategory::FreeBusinessAttire => "free_business_attire",
            OfferingCategory::ApprenticeshipTraining => "apprenticeship_training",
            OfferingCategory::CollegeRegistration => "college_registration",
            OfferingCategory::GroceryMeals => "grocery_meals",
            OfferingCategory::RentHousing => "rent_housing",
            OfferingCategory::ChildCare => "child_care",
            OfferingCategory::Mentorship => "mentorship",
            OfferingCategory::Other => "other",
        }
    }

    /// Which shape of details the category's document has.
    pub fn kind(self) -> DetailsKind {
        use OfferingCategory::*;
        match self {
            ResumeWriting | InterviewPrep | Mentorship => DetailsKind::Coaching,
            FreeBusinessAttire | GroceryMeals | RentHousing | ChildCare => DetailsKind::Assistance,
            ApprenticeshipTraining | CollegeRegistration => DetailsKind::Registration,
            Other => DetailsKind::General,
        }
    }
}

/// The document shapes offerings come in; [`OfferingDetails`] fields required by each are
/// checked at creation (a missing one is a 422 naming `details.<field>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailsKind {
    /// Resume writing, interview prep, mentorship: `format` and `bookingUrl`.
    Coaching,
    /// Attire, groceries and meals, rent and housing, child care: `eligibility` and `address`.
    Assistance,
    /// Apprenticeships, training, college registration: `institution` and `programUrl`.
    Registration,
    /// Anything else: `url`.
    General,
}

/// The per-category document of an offering (which fields are required depends on the category).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OfferingDetails {
    /// Coaching: `online`, `in_person` or `hybrid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Coaching: where a session is booked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_url: Option<String>,
    /// Coaching: minutes per session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 5, maximum = 600)]
    pub session_minutes: Option<u16>,
    /// Assistance: who qualifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eligibility: Option<String>,
    /// Assistance: where to go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Assistance: opening hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// Registration: the college, university or training provider (a third party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Registration: the programme's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_url: Option<String>,
    /// Registration: an assessment to take first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_url: Option<String>,
    /// Registration: `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// General: the non-profit's page for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offering {
    pub id: String,
    pub nonprofit_id: String,
    pub nonprofit_name: String,
    pub title: String,
    pub description: String,
    pub category: OfferingCategory,
    pub details: OfferingDetails,
    /// Links to the non-profit's site or third-party material.
    pub links: Vec<String>,
    /// Downloadable resources (uploaded with presigned URLs; `GET /api/offerings/{id}/resources/{resourceId}`).
    #[serde(default)]
    pub resources: Vec<OfferingResource>,
    /// Skills it helps with (canonical names of the skills vocabulary; may be empty): skills
    /// recommendations offer it to candidates with these gaps.
    #[serde(default)]
    pub skills: Vec<String>,
    #[schema(value_type = String)]
    pub created_by: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

/// One entry of the skill index of offerings: enough to recommend the offering without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferingBySkill {
    pub skill: String,
    pub offering_id: String,
    pub title: String,
    pub nonprofit_id: String,
    pub nonprofit_name: String,
    pub category: OfferingCategory,
}

impl Record for OfferingBySkill {
    const ENTITY: &'static str = "OfferingBySkill";
    fn key(&self) -> Key {
        keys::offering_by_skill(&self.skill, &self.offering_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

impl Record for Offering {
    const ENTITY: &'static str = "Offering";
    fn key(&self) -> Key {
        keys::offering(&self.id)
    }
    /// gsi1: a non-profit's offerings.
    fn gsi1(&self) -> Option<Key> {
        Some(keys::offering_by_nonprofit(&self.nonprofit_id, &self.id))
    }
    /// gsi2: the catalogue candidates browse, by category (a category is one prefix).
    fn gsi2(&self) -> Option<Key> {
        Some(keys::offering_in_catalogue(self.category.slug(), &self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A file an offering offers for download (worksheets, guides), stored under `resources/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferingResource {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: OffsetDateTime,
}

impl OfferingResource {
    /// Where the file lives in the bucket.
    pub fn key(&self, offering: &str) -> String {
        format!("resources/{offering}/{}", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Enrolment {
    pub offering_id: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub enrolled_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Enrolment {
    const ENTITY: &'static str = "Enrolment";
    fn key(&self) -> Key {
        keys::enrolment(&self.offering_id, &self.candidate_id)
    }
    /// gsi1: a candidate's enrolments.
    fn gsi1(&self) -> Option<Key> {
        Some(keys::enrolment_by_candidate(&self.candidate_id, &self.offering_id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A community: its leaders in round-robin order (turn `t` is leader `t mod n`'s; the turns are
/// an atomic counter beside it), and its FIFO line of non-profits waiting for a leader with room (`waitHead..waitTail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Community {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Skills, services and expertise it is about (placement and leaders match on them).
    pub tags: Vec<String>,
    pub leaders: Vec<PersonRef>,
    pub wait_head: u64,
    pub wait_tail: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for Community {
    const ENTITY: &'static str = "Community";
    fn key(&self) -> Key {
        keys::community(&self.id)
    }
    /// gsi1: every community (a handful; placement reads them in one query).
    fn gsi1(&self) -> Option<Key> {
        Some(keys::community_in_list(&self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// How many non-profits a leader has, across communities (checked against the platform cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaderLoad {
    pub leader_id: UserId,
    pub count: u32,
    pub version: u64,
}

impl Record for LeaderLoad {
    const ENTITY: &'static str = "LeaderLoad";
    fn key(&self) -> Key {
        keys::leader_load(&self.leader_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Platform-wide settings a platform admin sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlatformSettings {
    /// The most non-profits one community leader may have.
    pub leader_cap: u32,
    pub version: u64,
}

impl PlatformSettings {
    pub const DEFAULT_CAP: u32 = 10;
}

impl Record for PlatformSettings {
    const ENTITY: &'static str = "PlatformSettings";
    fn key(&self) -> Key {
        keys::platform_settings()
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// One place in a community's wait line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitingNonprofit {
    pub community_id: String,
    pub seq: u64,
    pub nonprofit_id: String,
    pub version: u64,
}

impl Record for WaitingNonprofit {
    const ENTITY: &'static str = "WaitingNonprofit";
    fn key(&self) -> Key {
        keys::community_wait(&self.community_id, self.seq)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentState {
    Waiting,
    Assigned,
    /// Its leader's assignment was removed (the non-profit goes back in line).
    Released,
}

/// A non-profit's assignment: written with `NotExists` the first time (so a redelivered
/// onboarding assigns nobody twice) and moved on with its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub nonprofit_id: String,
    pub community_id: String,
    pub state: AssignmentState,
    pub leader: Option<PersonRef>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Leaders whose assignment of it was removed: it is not given back to them.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub released_from: Vec<UserId>,
    pub version: u64,
}

impl Record for Assignment {
    const ENTITY: &'static str = "Assignment";
    fn key(&self) -> Key {
        keys::assignment(&self.nonprofit_id)
    }
    /// gsi1 while assigned: the leader's non-profits (what their load counts).
    fn gsi1(&self) -> Option<Key> {
        match (&self.leader, self.state) {
            (Some(l), AssignmentState::Assigned) => Some(keys::assignment_by_leader(&l.id, &self.nonprofit_id)),
            _ => None,
        }
    }
    fn version(&self) -> u64 {
        self.version
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// The leader meets the non-profit once, after assignment.
    Introduction,
    /// The community's monthly meeting (a recurring invite).
    Community,
}

/// A meeting on one person's schedule (`GET /api/meetings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub id: String,
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub kind: MeetingKind,
    pub title: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    pub duration_minutes: u32,
    /// RFC 5545 recurrence rule of a recurring meeting (`FREQ=MONTHLY;BYDAY=1TU`).
    pub rrule: Option<String>,
    pub ical_uid: String,
    pub nonprofit_id: String,
    pub community_id: String,
    pub organizer: PersonRef,
    pub attendees: Vec<PersonRef>,
    pub version: u64,
}

impl Record for Meeting {
    const ENTITY: &'static str = "Meeting";
    fn key(&self) -> Key {
        keys::meeting(&self.user_id, &crate::model::reminder::due_sort_key(self.starts_at), &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}
