//! The single-table key design, in one place. docs/data-model.md lists the access patterns.
//!
//! Every tenant-owned key starts with `ORG#<org>`, so an IAM `dynamodb:LeadingKeys` condition
//! can fence a tenant. Ids are UUIDv7, so `…#<id>` sort keys sort by creation time.

use crate::ports::store::Key;
use crate::values::{JobId, OrgId, UserId};

pub fn org_pk(org: &OrgId) -> String {
    format!("ORG#{org}")
}

pub fn org(org: &OrgId) -> Key {
    Key::new(org_pk(org), "ORG")
}

pub const USER_PREFIX: &str = "USER#";
pub fn user(org: &OrgId, user: &UserId) -> Key {
    Key::new(org_pk(org), format!("{USER_PREFIX}{user}"))
}

pub const JOB_PREFIX: &str = "JOB#";
pub fn job(org: &OrgId, job: &JobId) -> Key {
    Key::new(org_pk(org), format!("{JOB_PREFIX}{job}"))
}

/// gsi1: a tenant's jobs by status, newest first when queried descending.
pub fn job_by_status(org: &OrgId, status: &str, job: &JobId) -> Key {
    Key::new(format!("ORG#{org}#JOBSTATUS#{status}"), format!("JOB#{job}"))
}
pub fn job_by_status_pk(org: &OrgId, status: &str) -> String {
    format!("ORG#{org}#JOBSTATUS#{status}")
}

/// gsi2: the public board of active jobs across tenants (what candidates browse).
pub const ACTIVE_JOBS_PK: &str = "JOBBOARD#active";
pub fn job_on_board(published_at: &str, org: &OrgId, job: &JobId) -> Key {
    Key::new(ACTIVE_JOBS_PK, format!("{published_at}#{org}#{job}"))
}

/// Audit trail: a tenant's own partition, sorted by time.
pub fn audit_pk(org: &OrgId) -> String {
    format!("ORG#{org}#AUDIT")
}
pub fn audit(org: &OrgId, at: &str, id: &str) -> Key {
    Key::new(audit_pk(org), format!("{at}#{id}"))
}

/// Idempotency records, scoped to the caller (tenant and user) or, for public routes, global.
pub fn idempotency(scope: &str, route: &str, key: &str) -> Key {
    Key::new(format!("{scope}#IDEM"), format!("{route}#{key}"))
}
