//! An organisation's record of a candidate (its "talent record"): created when the candidate
//! first applies to one of its jobs or when its staff add them, and the organisation's own
//! facts about the person — how they came, a do-not-hire flag, merges of duplicates — apart
//! from the candidate's profile, which the candidate owns. The search tokens it was last
//! indexed with live on it, so a re-index writes only the difference.

use crate::keys;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{OrgId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Staff's decision not to hire someone again: it needs a written reason, is audited, is shown
/// with its author, and never feeds scoring (the scorer reads only the anonymised profile).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DoNotHire {
    pub reason: String,
    #[schema(value_type = String)]
    pub by: UserId,
    pub by_email: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TalentRecord {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    /// How the candidate came to the organisation (first application's source, or as sourced).
    pub source: Option<String>,
    pub referrer: Option<String>,
    /// The staff member who added a sourced candidate.
    #[schema(value_type = Option<String>)]
    pub added_by: Option<UserId>,
    pub do_not_hire: Option<DoNotHire>,
    /// Set on a record merged into another: the record to read instead.
    #[schema(value_type = Option<String>)]
    pub merged_into: Option<UserId>,
    /// Records merged into this one (their applications and files show here).
    #[schema(value_type = Vec<String>)]
    pub merged: Vec<UserId>,
    /// Staff notes about the person (merged notes are appended).
    pub notes: Option<String>,
    /// The search tokens this record is indexed under (`field#token`).
    #[serde(default)]
    pub tokens: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    pub version: u64,
}

impl Record for TalentRecord {
    const ENTITY: &'static str = "TalentRecord";
    fn key(&self) -> Key {
        keys::talent(&self.org_id, &self.candidate_id)
    }
    /// gsi2: every organisation that holds a record of this candidate (a profile change
    /// re-indexes each).
    fn gsi2(&self) -> Option<Key> {
        Some(keys::talent_by_candidate(&self.candidate_id, &self.org_id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}
