//! Bias analysis: counterfactual score checks per resume, gender/age-coded language in job
//! ads, and the NYC Local Law 144 cohort audit arithmetic.

pub mod audit;
pub mod counterfactual;
pub mod language;

pub use audit::{AuditOptions, AuditReport, CohortRecord, RaceEthnicity, Sex, cohort_audit};
pub use counterfactual::{CounterfactualInput, CounterfactualReport, check};
pub use language::{LanguageReport, analyze_job_ad};
