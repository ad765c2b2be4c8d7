//! Related-skill partial credit and the bias checks: it must move no protected group.
//!
//! - Counterfactual: the demographic swaps of `counterfactual::check_with` (names across
//!   genders and ethnicities, pronouns, gendered titles, age markers, gendered affiliations)
//!   move no score, with the credit on and with it off, under every released model version.
//! - Impact ratios (LL144 / four-fifths arithmetic of `audit::cohort_audit`) on seeded cohorts
//!   whose resumes run the whole chain (parse → anonymize → score), with names and pronouns that
//!   signal each applicant's sex and race/ethnicity:
//!   - a *crossed* cohort, where every skill profile is held once by every sex × race cell: the
//!     ratios with the credit on are exactly those with it off (tolerance 0). The credit reads
//!     skills only, so given the same skills every group gains the same.
//!   - an *independent* cohort of 480, where skills are drawn at random for each applicant
//!     whatever their group: every category's impact ratio (selection and scoring, sex,
//!     race/ethnicity and the intersection) moves by at most [`TOLERANCE`] (measured: 0.096
//!     under cv-score-1.0.0, 0.125 under 1.1.0, both in small intersectional or single-race
//!     cells of about 60). What moves there is the chance difference in the skills the groups
//!     happen to hold, amplified by small cells, not group membership: the crossed cohort and
//!     the counterfactual show that membership moves nothing. The test bounds the size of such
//!     shifts; it does not (and on a random cohort cannot) show a zero change.

use clearview_screening::bias::audit::{AuditOptions, AuditReport, CohortRecord, RaceEthnicity, Sex, cohort_audit};
use clearview_screening::bias::counterfactual::check_with;
use clearview_screening::models::SCORING_MODELS;
use clearview_screening::score::{EducationRequirement, Location, Recommendation, ScoringCriteria};
use clearview_screening::structure::{EducationLevel, parse_text_at};
use clearview_screening::{ScoringModel, anonymize, score_with};
use time::macros::date;

/// Largest change of any category's impact ratio (selection or scoring) the independent cohort
/// may show when the credit is switched on.
const TOLERANCE: f64 = 0.15;

fn criteria(on: bool) -> ScoringCriteria {
    ScoringCriteria {
        required_skills: vec!["PostgreSQL".into(), "Kubernetes".into(), "Go".into()],
        preferred_skills: vec!["Terraform".into(), "Apache Kafka".into()],
        minimum_experience_years: 4.0,
        education_requirement: EducationRequirement { level: EducationLevel::Bachelor, fields: vec![] },
        job_location: Some(Location {
            city: Some("Chicago".into()),
            region: Some("IL".into()),
            country: Some("USA".into()),
            remote: false,
        }),
        auto_reject_below: Some(30),
        auto_advance_at: Some(70),
        related_skill_credit: on,
        ..ScoringCriteria::default()
    }
}

fn resume(first: &str, last: &str, female: bool, skills: &[&str], since: i32) -> String {
    let (p, q) = if female { ("She", "her") } else { ("He", "his") };
    format!(
        "{first} {last}
{}.{}@example.com | (312) 555-0100 | Chicago, IL

SUMMARY
{p} is a backend engineer; {q} focus is reliability.

EXPERIENCE
Software Engineer | Northwind | Mar {since} – Present
- Built services and kept them running

EDUCATION
University of Illinois
B.S. in Computer Science, 2012

SKILLS
{}
",
        first.to_lowercase(),
        last.to_lowercase(),
        skills.join(", ")
    )
}

#[test]
fn demographic_swaps_move_no_score_with_related_credit_on_or_off() {
    // MySQL is close to PostgreSQL and Docker to Kubernetes: the credit applies.
    let text = resume("Michael", "Thompson", false, &["Go", "MySQL", "Docker"], 2019);
    for model in SCORING_MODELS {
        let off = check_with(model, text.as_str(), &criteria(false), date!(2025 - 01 - 01));
        let on = check_with(model, text.as_str(), &criteria(true), date!(2025 - 01 - 01));
        for r in [&off, &on] {
            assert!(r.variants.len() >= 20);
            let moved: Vec<_> = r.variants.iter().filter(|v| v.flagged).collect();
            assert!(moved.is_empty(), "{}: {moved:#?}", model.version);
            assert_eq!(r.max_abs_delta, 0);
        }
        assert!(off.baseline.explanation.skills.related_credit.is_empty());
        let credit = &on.baseline.explanation.skills.related_credit;
        assert!(credit.iter().any(|c| c.skill == "PostgreSQL" && c.related == "MySQL"), "{credit:?}");
        assert!(on.baseline.sub_scores.skills > off.baseline.sub_scores.skills);
    }
}

/// The EEO-1 cells the names of `counterfactual::NAMES` signal, with a name for each.
const CELLS: &[(Sex, RaceEthnicity, &str, &str)] = &[
    (Sex::Female, RaceEthnicity::White, "Emily", "Walsh"),
    (Sex::Male, RaceEthnicity::White, "Greg", "Baker"),
    (Sex::Female, RaceEthnicity::BlackOrAfricanAmerican, "Lakisha", "Washington"),
    (Sex::Male, RaceEthnicity::BlackOrAfricanAmerican, "Jamal", "Jones"),
    (Sex::Female, RaceEthnicity::HispanicOrLatino, "María", "Hernández"),
    (Sex::Male, RaceEthnicity::HispanicOrLatino, "José", "García"),
    (Sex::Female, RaceEthnicity::Asian, "Mei", "Chen"),
    (Sex::Male, RaceEthnicity::Asian, "Wei", "Zhang"),
];

/// Skills an applicant may hold: the job's own, skills close to them, and unrelated ones.
const POOL: &[&str] = &[
    "PostgreSQL",
    "Kubernetes",
    "Go",
    "Terraform",
    "Apache Kafka",
    "MySQL",
    "NoSQL",
    "MongoDB",
    "Docker",
    "Google Cloud",
    "Node.js",
    "Microsoft Excel",
    "Python",
    "Java",
];

/// A small deterministic generator (SplitMix64), so the cohort is the same on every run.
struct Seeded(u64);
impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn profile(&mut self) -> (Vec<&'static str>, i32) {
        let skills = POOL.iter().copied().filter(|_| self.next() % 100 < 35).collect();
        (skills, 2016 + (self.next() % 8) as i32)
    }
}

fn record(model: &ScoringModel, cell: usize, profile: &(Vec<&str>, i32), on: bool) -> CohortRecord {
    let (sex, race, first, last) = CELLS[cell];
    let text = resume(first, last, sex == Sex::Female, &profile.0, profile.1);
    let parsed = parse_text_at(&text, date!(2025 - 01 - 01));
    let r = score_with(model, &anonymize(&parsed, &parsed.text), &criteria(on));
    CohortRecord {
        sex: Some(sex),
        race_ethnicity: Some(race),
        selected: r.recommendation == Recommendation::Advance,
        score: Some(f64::from(r.overall)),
    }
}

/// (category, selection impact ratio, scoring impact ratio) for every category of every dimension.
fn ratios(a: &AuditReport) -> Vec<(String, Option<f64>, Option<f64>)> {
    [&a.sex, &a.race_ethnicity, &a.intersectional]
        .into_iter()
        .flat_map(|d| d.categories.iter())
        .filter(|c| c.count.is_some_and(|n| n > 0))
        .map(|c| (c.category.clone(), c.selection_impact_ratio, c.scoring_impact_ratio))
        .collect()
}

/// The largest change of any category's ratio between the two reports.
fn largest_change(off: &AuditReport, on: &AuditReport) -> f64 {
    let (a, b) = (ratios(off), ratios(on));
    assert_eq!(a.len(), b.len());
    assert!(a.len() >= 2 + 4 + 8, "{a:?}");
    a.iter()
        .zip(&b)
        .flat_map(|(x, y)| {
            assert_eq!(x.0, y.0);
            [(x.1, y.1), (x.2, y.2)]
        })
        .map(|(x, y)| (x.unwrap_or(0.0) - y.unwrap_or(0.0)).abs())
        .fold(0.0, f64::max)
}

fn audit(records: &[CohortRecord]) -> AuditReport {
    cohort_audit(records, AuditOptions::default())
}

#[test]
fn related_credit_leaves_every_impact_ratio_unchanged_when_groups_hold_the_same_skills() {
    let mut rng = Seeded(14);
    let profiles: Vec<_> = (0..12).map(|_| rng.profile()).collect();
    for model in SCORING_MODELS {
        let cohort = |on: bool| -> Vec<CohortRecord> {
            profiles.iter().flat_map(|p| (0..CELLS.len()).map(move |c| record(model, c, p, on))).collect()
        };
        let (off, on) = (audit(&cohort(false)), audit(&cohort(true)));
        // The credit does something on this cohort (more advance), and moves no ratio at all.
        assert!(on.selected_total > off.selected_total, "{} vs {}", on.selected_total, off.selected_total);
        assert_eq!(largest_change(&off, &on), 0.0, "{}", model.version);
    }
}

#[test]
fn related_credit_moves_no_impact_ratio_beyond_the_tolerance_on_an_independent_seeded_cohort() {
    let mut rng = Seeded(2026);
    let applicants: Vec<(usize, (Vec<&str>, i32))> =
        (0..480).map(|_| ((rng.next() % CELLS.len() as u64) as usize, rng.profile())).collect();
    for model in SCORING_MODELS {
        let cohort =
            |on: bool| -> Vec<CohortRecord> { applicants.iter().map(|(c, p)| record(model, *c, p, on)).collect() };
        let (off, on) = (audit(&cohort(false)), audit(&cohort(true)));
        let change = largest_change(&off, &on);
        println!("{}: largest impact-ratio change {change:.3} (tolerance {TOLERANCE})", model.version);
        assert!(change <= TOLERANCE, "{}: {change}", model.version);
    }
}
