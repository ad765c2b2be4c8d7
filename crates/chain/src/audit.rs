//! `GET /api/jobs/{id}/bias-audit`: the NYC Local Law 144 bias audit of a job's applicants,
//! from the scores the tool gave and the applicants' voluntary self-identification (opened
//! here only, and only in aggregate).

use clearview_core::error::{AppError, AppResult};
use clearview_core::keys;
use clearview_core::model::{Application, Job, StageResult};
use clearview_core::ports::Deps;
use clearview_core::ports::store::Condition;
use clearview_core::ports::store::{Index, Query};
use clearview_core::rbac::Permission;
use clearview_core::record;
use clearview_core::record::Record;
use clearview_core::services::applications::self_identifications_for_job;
use clearview_core::services::{Actor, Change, audit_write, lost_update};
use clearview_core::values::JobId;
use clearview_core::values::OrgId;
use clearview_screening::bias::audit::{
    AuditOptions, AuditReport, CohortRecord, MIN_CELL_COUNT, RaceEthnicity, Sex, cohort_audit,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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

pub(crate) fn sex(s: Option<&str>) -> Option<Sex> {
    match s {
        Some("male") => Some(Sex::Male),
        Some("female") => Some(Sex::Female),
        _ => None,
    }
}

pub(crate) fn race(s: Option<&str>) -> Option<RaceEthnicity> {
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

/// The audit records of a job's applicants (those scored by their current run), and how many
/// are not scored yet.
async fn job_records(deps: &Deps, org: &OrgId, job_id: &JobId) -> AppResult<(Vec<CohortRecord>, u64)> {
    let sids = self_identifications_for_job(deps, org, job_id).await?;
    let mut records = Vec::new();
    let mut not_yet_scored = 0;
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::application_by_job_pk(org, job_id)).limit(200).after(after);
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
            None => return Ok((records, not_yet_scored)),
        }
    }
}

const METHOD: &str = "Selected = the tool recommended advancing (score at or above the job's auto-approve \
                      threshold). Scoring rate = share of a category scoring above the sample's median score (LL144 \
                      method for tools that only score). Categories come from voluntary self-identification; \
                      undisclosed ones are counted as unknown and left out of impact ratios.";

pub async fn job_bias_audit(deps: &Deps, actor: &Actor, job_id: &JobId) -> AppResult<JobBiasAudit> {
    record::get::<Job>(deps.store.as_ref(), &keys::job(actor.org(), job_id)).await?.ok_or(AppError::NotFound("job"))?;
    let (records, not_yet_scored) = job_records(deps, actor.org(), job_id).await?;
    // Auditors (audit:read) see the exact LL144 figures; everyone else sees small cells withheld.
    let report = cohort_audit(&records, AuditOptions::default());
    Ok(JobBiasAudit {
        job_id: job_id.to_string(),
        method: METHOD.into(),
        report: if actor.can(Permission::AuditRead) { report } else { report.suppress_small_cells(MIN_CELL_COUNT) },
        not_yet_scored,
    })
}

/// `GET /api/employers/{id}/bias-audit`: what NYC Local Law 144 asks an employer to publish —
/// the date of the most recent bias audit, the tool's distribution date, and the impact-ratio
/// tables by sex, race/ethnicity and their intersection with the number of applicants of
/// unknown category. Public, so cells under the minimum count are withheld.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmployerAuditSummary {
    pub employer_id: String,
    /// When this audit was run (the most recent one: publishing again replaces it).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub audited_at: OffsetDateTime,
    /// When the employer began using the tool (`YYYY-MM-DD`, as they stated it).
    pub distribution_date: String,
    /// Jobs whose applicants are in the audit.
    pub jobs: u64,
    /// Applicants not scored yet (left out of the rates).
    pub not_yet_scored: u64,
    pub method: String,
    pub report: AuditReport,
    pub version: u64,
}

impl Record for EmployerAuditSummary {
    const ENTITY: &'static str = "BiasAuditSummary";
    fn key(&self) -> clearview_core::ports::store::Key {
        keys::bias_audit_summary(&OrgId::trusted(self.employer_id.clone()))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `POST /api/employers/{id}/bias-audit`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublishAuditInput {
    /// When the organisation began using the tool: `YYYY-MM-DD`, not in the future.
    #[schema(format = Date)]
    pub distribution_date: String,
}

/// Runs the bias audit over every job's applicants and publishes it as the employer's summary
/// (replacing the previous one), with an audit record. A staff batch action: it reads each
/// job's applicants once; the public route then reads one item.
pub async fn publish_employer_audit(
    deps: &Deps,
    actor: &Actor,
    employer_id: &str,
    input: PublishAuditInput,
) -> AppResult<EmployerAuditSummary> {
    if employer_id != actor.org().to_string() {
        return Err(AppError::NotFound("employer"));
    }
    let now = deps.clock.now();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(input.distribution_date.trim(), format)
        .map_err(|_| AppError::field("distributionDate", "must be a date, YYYY-MM-DD"))?;
    if date > now.date() {
        return Err(AppError::field("distributionDate", "must not be in the future"));
    }
    let org = actor.org();
    let mut records = Vec::new();
    let (mut jobs, mut not_yet_scored) = (0, 0);
    let mut after = None;
    loop {
        let q = Query::table(keys::org_pk(org)).prefix(keys::JOB_PREFIX).limit(200).after(after);
        let (page_jobs, page) = record::query::<Job>(deps.store.as_ref(), &q).await?;
        for job in page_jobs {
            let (r, n) = job_records(deps, org, &job.id).await?;
            jobs += 1;
            not_yet_scored += n;
            records.extend(r);
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let before: Option<EmployerAuditSummary> = record::get(deps.store.as_ref(), &keys::bias_audit_summary(org)).await?;
    let summary = EmployerAuditSummary {
        employer_id: org.to_string(),
        audited_at: now,
        distribution_date: date.to_string(),
        jobs,
        not_yet_scored,
        method: METHOD.into(),
        report: cohort_audit(&records, AuditOptions::default()).suppress_small_cells(MIN_CELL_COUNT),
        version: before.as_ref().map_or(1, |b| b.version + 1),
    };
    let condition = before.as_ref().map_or(Condition::NotExists, |b| Condition::VersionIs(b.version));
    let audit = audit_write(
        deps,
        actor.who(),
        org,
        Change {
            action: "bias_audit.publish",
            target_type: "bias_audit",
            target_id: &summary.employer_id,
            before: None,
            after: Some(
                serde_json::json!({"auditedAt": now.to_string(), "distributionDate": summary.distribution_date, "jobs": jobs}),
            ),
        },
    )?;
    deps.store
        .transact(vec![summary.tx_put("summary", condition)?, audit])
        .await
        .map_err(lost_update(summary.version - 1))?;
    Ok(summary)
}

/// The employer's published summary (one read); 404 until one is published.
pub async fn employer_audit_summary(deps: &Deps, employer_id: &str) -> AppResult<EmployerAuditSummary> {
    let org = OrgId::parse(employer_id).ok_or(AppError::NotFound("published bias audit"))?;
    record::get(deps.store.as_ref(), &keys::bias_audit_summary(&org))
        .await?
        .ok_or(AppError::NotFound("published bias audit"))
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
