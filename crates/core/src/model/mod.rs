//! Entities and their keys.

pub mod application;
pub mod audit;
pub mod candidate;
pub mod integration;
pub mod interview;
pub mod job;
pub mod job_alert;
pub mod job_template;
pub mod job_version;
pub mod message;
pub mod org;
pub mod pipeline;
pub mod platform;
pub mod reminder;
pub mod talent;
pub mod user;
pub mod webhook;

pub use application::{
    Application, ApplicationStatus, ChainStep, FileRecord, Processing, ResumeFile, Stage, StageResult,
};
pub use audit::AuditRecord;
pub use candidate::{Candidate, Education, Experience, Proficiency, ProfileResume, ProfileSkill, SkillOrigin};
pub use interview::{Interview, InterviewFeedback, InterviewStatus, InterviewType};
pub use job::{
    Criteria, EducationLevel, EmploymentType, ExperienceLevel, Job, JobContent, JobStatus, JobType, Weights,
};
pub use job_alert::JobAlert;
pub use job_template::JobTemplate;
pub use job_version::JobVersion;
pub use org::Organization;
pub use pipeline::{HistoryEntry, HistoryKind, Outcome, Pipeline, PipelineStage, StageType};
pub use reminder::Reminder;
pub use talent::{DoNotHire, TalentRecord};
pub use user::{User, UserStatus};
