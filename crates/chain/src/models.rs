//! The `model-shadow-run` consumer: scores the applications of a shadow run's jobs with the
//! active scoring version and the candidate version, from the same stored anonymised profiles
//! and the job's criteria today, and stores the comparison on the run. Nothing else is written:
//! no application, score or mail changes (that is what "shadow" means).
//!
//! Deterministic: the scorer is pure, so a redelivered request computes the same comparison; a
//! run no longer `processing` is left as it is.

use crate::audit::{race, sex};
use clearview_core::error::AppError;
use clearview_core::keys;
use clearview_core::model::{Application, Job, StageResult};
use clearview_core::ports::Deps;
use clearview_core::ports::queue::{Consumer, Outcome, WorkMessage, WorkQueue};
use clearview_core::ports::store::{Index, Query};
use clearview_core::record;
use clearview_core::services::ai_models::{
    self as models, MAX_APPLICATIONS, NewFourFifthsFlag, ScoreShift, ShadowComparison, ShadowRun,
};
use clearview_core::services::analytics::{ConfusionMatrix, LABELS, cohens_kappa};
use clearview_core::services::applications::self_identifications_for_job;
use clearview_core::services::criteria::scoring_criteria;
use clearview_core::values::{JobId, OrgId};
use clearview_screening::bias::audit::{AuditOptions, AuditReport, CohortRecord, cohort_audit};
use clearview_screening::bias::counterfactual::check_with;
use clearview_screening::models::{ScoringModel, scoring_model};
use clearview_screening::score::{Recommendation, ScoreResult, score_with};
use clearview_screening::{AnonymizedProfile, ParsedResume};

pub struct ShadowRunConsumer(pub Deps);

fn label(r: Recommendation) -> usize {
    match r {
        Recommendation::Advance => 0,
        Recommendation::Review => 1,
        Recommendation::Reject => 2,
    }
}

fn band(shift: i16) -> &'static str {
    match shift {
        i16::MIN..=-20 => "-100..-20",
        -19..=-10 => "-19..-10",
        -9..=-1 => "-9..-1",
        0 => "0",
        1..=9 => "1..9",
        10..=19 => "10..19",
        _ => "20..100",
    }
}

/// One application scored both ways (and its self-identification, for the audit tables).
struct Pair {
    active: ScoreResult,
    candidate: ScoreResult,
    sex: Option<clearview_screening::bias::Sex>,
    race: Option<clearview_screening::bias::RaceEthnicity>,
    active_flagged: bool,
    candidate_flagged: bool,
}

fn audit(pairs: &[Pair], of: impl Fn(&Pair) -> &ScoreResult) -> AuditReport {
    let records: Vec<CohortRecord> = pairs
        .iter()
        .map(|p| CohortRecord {
            sex: p.sex,
            race_ethnicity: p.race,
            selected: of(p).recommendation == Recommendation::Advance,
            score: Some(f64::from(of(p).overall)),
        })
        .collect();
    cohort_audit(&records, AuditOptions::default())
}

/// The comparison of a set of pairs (pure: unit-tested below).
fn compare(pairs: &[Pair], skipped: u64, truncated: bool) -> ShadowComparison {
    let mut m = vec![vec![0i64; 3]; 3];
    let mut shift = ScoreShift::default();
    let (mut sum, mut sum_abs) = (0i64, 0i64);
    for p in pairs {
        m[label(p.active.recommendation)][label(p.candidate.recommendation)] += 1;
        let d = i16::from(p.candidate.overall) - i16::from(p.active.overall);
        sum += i64::from(d);
        sum_abs += i64::from(d.abs());
        shift.max_absolute = shift.max_absolute.max(d.unsigned_abs() as u8);
        match d.cmp(&0) {
            std::cmp::Ordering::Greater => shift.raised += 1,
            std::cmp::Ordering::Less => shift.lowered += 1,
            std::cmp::Ordering::Equal => shift.unchanged += 1,
        }
        *shift.bands.entry(band(d).to_owned()).or_default() += 1;
    }
    let n = pairs.len() as f64;
    if !pairs.is_empty() {
        shift.mean = Some(sum as f64 / n);
        shift.mean_absolute = Some(sum_abs as f64 / n);
    }
    let agreed: i64 = (0..3).map(|i| m[i][i]).sum();
    let active_audit = audit(pairs, |p| &p.active);
    let candidate_audit = audit(pairs, |p| &p.candidate);
    let mut new_flags = Vec::new();
    for (a, c) in [
        (&active_audit.sex, &candidate_audit.sex),
        (&active_audit.race_ethnicity, &candidate_audit.race_ethnicity),
        (&active_audit.intersectional, &candidate_audit.intersectional),
    ] {
        for cc in &c.categories {
            let before = a.categories.iter().find(|x| x.category == cc.category);
            if cc.below_four_fifths == Some(true) && before.and_then(|b| b.below_four_fifths) != Some(true) {
                new_flags.push(NewFourFifthsFlag {
                    dimension: c.dimension.clone(),
                    category: cc.category.clone(),
                    active_selection_impact_ratio: before.and_then(|b| b.selection_impact_ratio),
                    candidate_selection_impact_ratio: cc.selection_impact_ratio,
                });
            }
        }
    }
    ShadowComparison {
        applications: pairs.len() as u64,
        skipped,
        truncated,
        recommendations: ConfusionMatrix {
            labels: LABELS.iter().map(|l| (*l).to_owned()).collect(),
            counts: m.clone(),
        },
        agreement_rate: (!pairs.is_empty()).then(|| agreed as f64 / n),
        cohens_kappa: cohens_kappa(&m),
        score_shift: shift,
        active_audit,
        candidate_audit,
        new_four_fifths_flags: new_flags,
        active_counterfactual_flagged: pairs.iter().filter(|p| p.active_flagged).count() as u64,
        candidate_counterfactual_flagged: pairs.iter().filter(|p| p.candidate_flagged).count() as u64,
    }
}

async fn stage(deps: &Deps, app: &Application, name: &str) -> Result<Option<serde_json::Value>, AppError> {
    let r: Option<StageResult> =
        record::get(deps.store.as_ref(), &keys::stage_result(&app.org_id, &app.id, name)).await?;
    Ok(r.map(|r| r.body))
}

async fn run_comparison(
    deps: &Deps,
    org: &OrgId,
    run: &ShadowRun,
    active: &ScoringModel,
    candidate: &ScoringModel,
) -> Result<Result<ShadowComparison, String>, AppError> {
    let mut pairs = Vec::new();
    let (mut skipped, mut truncated) = (0u64, false);
    'jobs: for j in &run.job_ids {
        let Some(job_id) = JobId::parse(j) else { continue };
        let Some(job) = record::get::<Job>(deps.store.as_ref(), &keys::job(org, &job_id)).await? else {
            // Deleted since the run was asked for: nothing of it to compare.
            continue;
        };
        let criteria = scoring_criteria(&job);
        let sids = self_identifications_for_job(deps, org, &job_id).await?;
        let mut after = None;
        loop {
            let q = Query::index(Index::Gsi1, keys::application_by_job_pk(org, &job_id)).limit(100).after(after);
            let (apps, page) = record::query::<Application>(deps.store.as_ref(), &q).await?;
            for app in apps {
                if pairs.len() >= MAX_APPLICATIONS {
                    truncated = true;
                    break 'jobs;
                }
                if app.alternative_review.is_some() {
                    skipped += 1;
                    continue;
                }
                let Some(profile) = stage(deps, &app, "anonymized").await? else {
                    skipped += 1;
                    continue;
                };
                let Ok(profile) = serde_json::from_value::<AnonymizedProfile>(profile) else {
                    skipped += 1;
                    continue;
                };
                let parsed =
                    stage(deps, &app, "parsed").await?.and_then(|v| serde_json::from_value::<ParsedResume>(v).ok());
                let (active_flagged, candidate_flagged) = match parsed {
                    Some(p) => (
                        check_with(active, &p, &criteria, p.as_of).flagged,
                        check_with(candidate, &p, &criteria, p.as_of).flagged,
                    ),
                    None => (false, false),
                };
                let sid = sids.get(&app.id);
                pairs.push(Pair {
                    active: score_with(active, &profile, &criteria),
                    candidate: score_with(candidate, &profile, &criteria),
                    sex: sex(sid.and_then(|s| s.sex.as_deref())),
                    race: race(sid.and_then(|s| s.race_ethnicity.as_deref())),
                    active_flagged,
                    candidate_flagged,
                });
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    Ok(Ok(compare(&pairs, skipped, truncated)))
}

#[async_trait::async_trait]
impl Consumer for ShadowRunConsumer {
    fn queue(&self) -> WorkQueue {
        models::QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let deps = &self.0;
        let (Some(org), Some(id)) = (m.body["orgId"].as_str().and_then(OrgId::parse), m.body["runId"].as_str()) else {
            return Outcome::Poison("not a shadow run request".into());
        };
        let run = match models::load_run(deps, &org, id).await {
            Ok(r) => r,
            // Taken back by the route when the request could not be queued, or a bad message.
            Err(AppError::NotFound(_)) => return Outcome::Poison(format!("shadow run {id} is not stored")),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        if run.status != "processing" {
            return Outcome::Done;
        }
        let outcome = match (scoring_model(&run.active_version), scoring_model(&run.candidate_version)) {
            (Some(a), Some(c)) => match run_comparison(deps, &org, &run, a, c).await {
                Ok(o) => o,
                Err(e) => return Outcome::Retry(format!("comparing: {e}")),
            },
            _ => Err(format!(
                "{} or {} is not a released scoring version in this build",
                run.active_version, run.candidate_version
            )),
        };
        match models::finish_shadow_run(deps, run, outcome).await {
            Ok(_) => Outcome::Done,
            Err(e) => Outcome::Retry(format!("storing the comparison: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearview_screening::bias::Sex;
    use clearview_screening::models::{CV_SCORE_1_0_0, CV_SCORE_1_1_0};
    use clearview_screening::score::{ScoringCriteria, SubScores};

    fn result(model: &ScoringModel, overall: u8, rec: Recommendation) -> ScoreResult {
        let profile = AnonymizedProfile {
            parser_version: String::new(),
            parse_confidence: 1.0,
            summary: None,
            experience: vec![],
            total_experience_years: 0.0,
            education: vec![],
            highest_education: clearview_screening::structure::EducationLevel::None,
            skills: vec![],
            certifications: vec![],
            languages: vec![],
            location: None,
            text: String::new(),
            redactions: vec![],
        };
        let mut r = score_with(model, &profile, &ScoringCriteria::default());
        r.overall = overall;
        r.recommendation = rec;
        r.sub_scores = SubScores { skills: overall, experience: overall, education: overall, location: overall };
        r
    }

    fn pair(a: (u8, Recommendation), c: (u8, Recommendation), sex: Sex) -> Pair {
        Pair {
            active: result(&CV_SCORE_1_0_0, a.0, a.1),
            candidate: result(&CV_SCORE_1_1_0, c.0, c.1),
            sex: Some(sex),
            race: None,
            active_flagged: false,
            candidate_flagged: false,
        }
    }

    #[test]
    fn the_comparison_counts_agreement_shifts_and_categories_newly_below_four_fifths() {
        use Recommendation::*;
        // Active: both sexes advance 2 of 4 (ratio 1). Candidate: men 2 of 4, women 1 of 4
        // (ratio 0.5, newly below four-fifths).
        let pairs = vec![
            pair((90, Advance), (92, Advance), Sex::Male),
            pair((88, Advance), (88, Advance), Sex::Male),
            pair((60, Review), (60, Review), Sex::Male),
            pair((30, Reject), (25, Reject), Sex::Male),
            pair((90, Advance), (91, Advance), Sex::Female),
            pair((86, Advance), (70, Review), Sex::Female),
            pair((60, Review), (60, Review), Sex::Female),
            pair((30, Reject), (30, Reject), Sex::Female),
        ];
        let c = compare(&pairs, 1, false);
        assert_eq!(c.applications, 8);
        assert_eq!(c.skipped, 1);
        assert_eq!(c.recommendations.counts, vec![vec![3, 1, 0], vec![0, 2, 0], vec![0, 0, 2]]);
        assert_eq!(c.agreement_rate, Some(7.0 / 8.0));
        // Shifts: +2, 0, 0, -5, +1, -16, 0, 0.
        assert_eq!((c.score_shift.raised, c.score_shift.lowered, c.score_shift.unchanged), (2, 2, 4));
        assert_eq!(c.score_shift.max_absolute, 16);
        assert_eq!(c.score_shift.mean, Some(-18.0 / 8.0));
        assert_eq!(c.score_shift.mean_absolute, Some(24.0 / 8.0));
        assert_eq!(c.score_shift.bands.get("-19..-10"), Some(&1));
        assert_eq!(c.score_shift.bands.get("0"), Some(&4));
        assert_eq!(c.new_four_fifths_flags.len(), 1, "{:?}", c.new_four_fifths_flags);
        let f = &c.new_four_fifths_flags[0];
        assert_eq!((f.dimension.as_str(), f.category.as_str()), ("sex", "Female"));
        assert_eq!(f.active_selection_impact_ratio, Some(1.0));
        assert_eq!(f.candidate_selection_impact_ratio, Some(0.5));
    }

    #[test]
    fn an_empty_run_compares_nothing_and_claims_no_agreement() {
        let c = compare(&[], 3, false);
        assert_eq!((c.applications, c.skipped), (0, 3));
        assert_eq!(c.agreement_rate, None);
        assert_eq!(c.cohens_kappa, None);
        assert!(c.new_four_fifths_flags.is_empty());
    }
}
