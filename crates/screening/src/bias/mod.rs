//! Bias analysis: counterfactual score checks per resume, gender/age-coded language in job
//! ads, and the NYC Local Law 144 cohort audit arithmetic.

pub mod audit;
pub mod counterfactual;
pub mod language;

pub use audit::{AuditOptions, AuditReport, CohortRecord, RaceEthnicity, Sex, cohort_audit};
pub use counterfactual::{CounterfactualInput, CounterfactualReport, check};
pub use language::{LanguageReport, analyze_job_ad};

use serde::{Deserialize, Serialize};

/// The bias check of one scored resume, as stored and shown beside its score: the
/// counterfactual re-scoring and the job ad's coded language at the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BiasCheck {
    pub counterfactual: CounterfactualReport,
    pub ad_language: LanguageReport,
}
