//! Entities and their keys.

pub mod audit;
pub mod job;
pub mod org;
pub mod user;

pub use audit::AuditRecord;
pub use job::{Criteria, EducationLevel, Job, JobStatus, JobType, Weights};
pub use org::Organization;
pub use user::{User, UserStatus};
