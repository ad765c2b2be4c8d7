//! Bias analysis: counterfactual score checks per resume, gender/age-coded language in job
//! ads, and the NYC Local Law 144 cohort audit arithmetic.

pub mod audit;
pub mod counterfactual;
pub mod language;

pub use audit::{AuditOptions, AuditReport, CohortRecord, RaceEthnicity, Sex, cohort_audit};
pub use counterfactual::{CounterfactualInput, CounterfactualReport, check};
pub use language::{LanguageReport, analyze_job_ad};

use serde::{Deserialize, Serialize};

/// Version of the bias checks (counterfactual variants, LL144 audit arithmetic).
pub const BIAS_VERSION: &str = "cv-bias-1.0.0";
/// Version of the text analysis (anonymisation, job-ad coded language).
pub const TEXT_VERSION: &str = "cv-text-1.0.0";

/// The bias check of one scored resume, as stored and shown beside its score: the
/// counterfactual re-scoring and the job ad's coded language at the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BiasCheck {
    pub counterfactual: CounterfactualReport,
    pub ad_language: LanguageReport,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::ScoringCriteria;

    fn snake_keys(v: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                if k.contains('_') {
                    out.push(format!("{path}.{k}"));
                }
                snake_keys(v, &format!("{path}.{k}"), out);
            }),
            serde_json::Value::Array(a) => a.iter().for_each(|v| snake_keys(v, path, out)),
            _ => {}
        }
    }

    #[test]
    fn api_bodies_use_camel_case_keys_and_read_back() {
        let resume = "Sam Rivera\nSKILLS\nRust, Go\nEXPERIENCE\nEngineer | Acme | Jan 2019 – Present\n";
        let criteria = ScoringCriteria { required_skills: vec!["Rust".into()], ..ScoringCriteria::default() };
        let check = BiasCheck {
            counterfactual: counterfactual::check(resume, &criteria, time::macros::date!(2025 - 01 - 01)),
            ad_language: analyze_job_ad("An ambitious, supportive digital native with 10+ years."),
        };
        let audit = cohort_audit(
            &[CohortRecord { sex: Some(Sex::Male), race_ethnicity: None, selected: true, score: Some(1.0) }],
            AuditOptions::default(),
        );
        let mut bad = Vec::new();
        let check_json = serde_json::to_value(&check).unwrap();
        snake_keys(&check_json, "BiasCheck", &mut bad);
        snake_keys(&serde_json::to_value(&audit).unwrap(), "AuditReport", &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
        // What the chain stores is what the API reads back.
        assert_eq!(serde_json::from_value::<BiasCheck>(check_json).unwrap(), check);
    }
}
