//! `GET /api/jobs/{id}/bias-audit`: the NYC Local Law 144 bias audit of a job's applicants,
//! from the scores the tool gave and the applicants' voluntary self-identification (opened
//! here only, and only in aggregate).

use clearview_core::error::{AppError, AppResult};
use clearview_core::keys;
use clearview_core::model::{Application, Job, StageResult};
use clearview_core::ports::Deps;
use clearview_core::ports::store::{Index, Query};
use clearview_core::rbac::Permission;
use clearview_core::record;
use clearview_core::services::Actor;
use clearview_core::services::applications::self_identifications_for_job;
use clearview_core::values::JobId;
use clearview_screening::bias::audit::{
    AuditOptions, AuditReport, CohortRecord, MIN_CELL_COUNT, RaceEthnicity, Sex, cohort_audit,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobBiasAudit {
    pub job_id: String,
    /// What "selected" and "scored" mean here.
    pub method: String,
    pub report: AuditReport,
    /// Applicants whose resume has not been scored yet (left out of scoring rates).
    pub not_yet_scored: u64,
}

fn sex(s: Option<&str>) -> Option<Sex> {
    match s {
        Some("male") => Some(Sex::Male),
        Some("female") => Some(Sex::Female),
        _ => None,
    }
}

fn race(s: Option<&str>) -> Option<RaceEthnicity> {
    Some(match s? {
        "hispanic_or_latino" => RaceEthnicity::HispanicOrLatino,
        "white" => RaceEthnicity::White,
        "black_or_african_american" => RaceEthnicity::BlackOrAfricanAmerican,
        "native_hawaiian_or_other_pacific_islander" => RaceEthnicity::NativeHawaiianOrOtherPacificIslander,
        "asian" => RaceEthnicity::Asian,
        "american_indian_or_alaska_native" => RaceEthnicity::AmericanIndianOrAlaskaNative,
        "two_or_more_races" => RaceEthnicity::TwoOrMoreRaces,
        _ => return None,
    })
}

pub async fn job_bias_audit(deps: &Deps, actor: &Actor, job_id: &JobId) -> AppResult<JobBiasAudit> {
    record::get::<Job>(deps.store.as_ref(), &keys::job(actor.org(), job_id)).await?.ok_or(AppError::NotFound("job"))?;
    let sids = self_identifications_for_job(deps, actor.org(), job_id).await?;
    let mut records = Vec::new();
    let mut not_yet_scored = 0;
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::application_by_job_pk(actor.org(), job_id)).limit(200).after(after);
        let (apps, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
        for app in apps {
            let score: Option<StageResult> =
                record::get(deps.store.as_ref(), &keys::stage_result(&app.org_id, &app.id, "score")).await?;
            let score = score.filter(|s| app.processing.run_id.as_deref() == Some(s.run_id.as_str()));
            let Some(score) = score else {
                not_yet_scored += 1;
                continue;
            };
            let sid = sids.get(&app.id);
            records.push(CohortRecord {
                sex: sex(sid.and_then(|s| s.sex.as_deref())),
                race_ethnicity: race(sid.and_then(|s| s.race_ethnicity.as_deref())),
                selected: score.body["recommendation"] == "advance",
                score: score.body["overall"].as_f64(),
            });
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    // Auditors (audit:read) see the exact LL144 figures; everyone else sees small cells withheld.
    let report = cohort_audit(&records, AuditOptions::default());
    Ok(JobBiasAudit {
        job_id: job_id.to_string(),
        method: "Selected = the tool recommended advancing (score at or above the job's auto-approve threshold). \
                 Scoring rate = share of a category scoring above the sample's median score (LL144 method for \
                 tools that only score). Categories come from voluntary self-identification; undisclosed ones \
                 are counted as unknown and left out of impact ratios."
            .into(),
        report: if actor.can(Permission::AuditRead) { report } else { report.suppress_small_cells(MIN_CELL_COUNT) },
        not_yet_scored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_audit_body_uses_camel_case_keys() {
        let body = JobBiasAudit {
            job_id: "j".into(),
            method: "m".into(),
            report: cohort_audit(
                &[CohortRecord {
                    sex: Some(Sex::Female),
                    race_ethnicity: Some(RaceEthnicity::Asian),
                    selected: true,
                    score: Some(2.0),
                }],
                AuditOptions::default(),
            ),
            not_yet_scored: 0,
        };
        let json = serde_json::to_string(&body).unwrap();
        let keys: Vec<&str> =
            json.split('"').collect::<Vec<_>>().windows(2).filter(|w| w[1].starts_with(':')).map(|w| w[0]).collect();
        assert!(keys.len() > 10, "{json}");
        assert!(keys.iter().all(|k| !k.contains('_')), "{keys:?}");
    }
}
