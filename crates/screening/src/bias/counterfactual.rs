//! Counterfactual fairness check: swap demographic signals in a resume (names, pronouns,
//! titles, age markers, gendered affiliations), re-run parse → anonymize → score, and flag any
//! variant whose score moves.

use serde::{Deserialize, Serialize};

use crate::anonymize::anonymize;
use crate::models::ScoringModel;
use crate::score::{ScoreResult, ScoringCriteria, SubScores, score_with};
use crate::structure::{ParsedResume, parse_text_at};
use crate::text::{match_case, replace_words};

/// What the check starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum CounterfactualInput {
    /// Extracted resume text.
    Text(String),
    /// A parsed resume (its `text` is what gets varied).
    Parsed(Box<ParsedResume>),
}

impl From<&str> for CounterfactualInput {
    fn from(s: &str) -> Self {
        CounterfactualInput::Text(s.to_owned())
    }
}

impl From<&ParsedResume> for CounterfactualInput {
    fn from(p: &ParsedResume) -> Self {
        CounterfactualInput::Parsed(Box::new(p.clone()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    NameGenderEthnicity,
    Pronouns,
    GenderedTitle,
    Age,
    GenderedAffiliation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VariantResult {
    pub id: String,
    pub dimension: Dimension,
    pub description: String,
    pub overall: u8,
    /// variant overall − baseline overall.
    pub delta: i16,
    pub sub_scores: SubScores,
    /// Any movement in the overall or a sub-score.
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CounterfactualReport {
    pub baseline: ScoreResult,
    pub variants: Vec<VariantResult>,
    pub flagged: bool,
    pub max_abs_delta: u16,
    pub model_version: String,
}

/// Names across genders and ethnicities (in the style of Bertrand & Mullainathan 2004 and
/// later audit studies): (first, last, description).
pub const NAMES: &[(&str, &str, &str)] = &[
    ("Emily", "Walsh", "female, white-identified"),
    ("Greg", "Baker", "male, white-identified"),
    ("Lakisha", "Washington", "female, Black-identified"),
    ("Jamal", "Jones", "male, Black-identified"),
    ("María", "Hernández", "female, Hispanic-identified"),
    ("José", "García", "male, Hispanic-identified"),
    ("Mei", "Chen", "female, East-Asian-identified"),
    ("Wei", "Zhang", "male, East-Asian-identified"),
    ("Priya", "Patel", "female, South-Asian-identified"),
    ("Mohammed", "Rahman", "male, Arab/Muslim-identified"),
    ("Aisha", "Okafor", "female, West-African-identified"),
    ("Alex", "Taylor", "gender-ambiguous"),
];

fn swap_pronouns(text: &str, to_female: bool) -> String {
    replace_words(text, |w| {
        let lw = w.to_lowercase();
        let r = if to_female {
            match lw.as_str() {
                "he" => "she",
                "him" => "her",
                "his" => "her",
                "himself" => "herself",
                "they" => "she",
                "them" => "her",
                "their" => "her",
                _ => return None,
            }
        } else {
            match lw.as_str() {
                "she" => "he",
                "her" => "his",
                "hers" => "his",
                "herself" => "himself",
                "they" => "he",
                "them" => "him",
                "their" => "his",
                _ => return None,
            }
        };
        Some(match_case(r, w))
    })
    .0
}

/// Puts `line` right after the first line (the name line).
fn insert_after_first_line(text: &str, line: &str) -> String {
    match text.split_once('\n') {
        Some((first, rest)) => format!("{first}\n{line}\n{rest}"),
        None => format!("{text}\n{line}\n"),
    }
}

/// Shifts every 4-digit year on education lines by `delta` (older or younger graduate).
fn shift_education_years(text: &str, delta: i32) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_education = false;
    for line in text.split_inclusive('\n') {
        if let Some((kind, _)) = crate::structure::heading(line.trim()) {
            in_education = kind == crate::structure::SectionKind::Education;
        }
        if in_education {
            let (shifted, _) = replace_words(line, |w| {
                let y: i32 = w.parse().ok().filter(|_| w.len() == 4)?;
                (1940..=2100).contains(&y).then(|| (y + delta).to_string())
            });
            out.push_str(&shifted);
        } else {
            out.push_str(line);
        }
    }
    out
}

struct Variant {
    id: String,
    dimension: Dimension,
    description: String,
    text: String,
}

fn variants(parsed: &ParsedResume, text: &str) -> Vec<Variant> {
    let mut out = Vec::new();
    let name = parsed.contact.name.clone();
    for (first, last, who) in NAMES {
        let new_name = format!("{first} {last}");
        let varied = match &name {
            Some(old) => {
                let mut t = text.replace(old.as_str(), &new_name);
                // Name parts written separately or in capitals.
                let upper = old.to_uppercase();
                t = t.replace(&upper, &new_name.to_uppercase());
                t
            }
            None => format!("{new_name}\n{text}"),
        };
        out.push(Variant {
            id: format!("name:{first}-{last}"),
            dimension: Dimension::NameGenderEthnicity,
            description: format!("name replaced by \"{new_name}\" ({who})"),
            text: varied,
        });
    }
    out.push(Variant {
        id: "pronouns:female".into(),
        dimension: Dimension::Pronouns,
        description: "pronouns set to she/her".into(),
        text: swap_pronouns(text, true),
    });
    out.push(Variant {
        id: "pronouns:male".into(),
        dimension: Dimension::Pronouns,
        description: "pronouns set to he/him".into(),
        text: swap_pronouns(text, false),
    });
    let display = name.clone().unwrap_or_else(|| "Alex Taylor".into());
    for title in ["Mr.", "Ms.", "Mrs."] {
        let t = match &name {
            Some(n) => text.replacen(n.as_str(), &format!("{title} {n}"), 1),
            None => format!("{title} {display}\n{text}"),
        };
        out.push(Variant {
            id: format!("title:{}", title.trim_end_matches('.').to_lowercase()),
            dimension: Dimension::GenderedTitle,
            description: format!("gendered title \"{title}\" before the name"),
            text: t,
        });
    }
    let year = parsed.as_of.year();
    for (id, line, what) in [
        ("age:dob-older", format!("Date of birth: 03/14/{}", year - 58), "birth date making the candidate 58"),
        ("age:dob-younger", format!("Date of birth: 03/14/{}", year - 24), "birth date making the candidate 24"),
        ("age:stated-52", "Age: 52".to_owned(), "stated age 52"),
        ("age:stated-26", "Age: 26".to_owned(), "stated age 26"),
    ] {
        out.push(Variant {
            id: id.into(),
            dimension: Dimension::Age,
            description: what.into(),
            text: insert_after_first_line(text, &line),
        });
    }
    out.push(Variant {
        id: "age:graduation-25y-earlier".into(),
        dimension: Dimension::Age,
        description: "education years moved 25 years earlier".into(),
        text: shift_education_years(text, -25),
    });
    for (id, line, what) in [
        ("affiliation:sorority", "Member, Alpha Chi Omega sorority", "sorority membership"),
        ("affiliation:fraternity", "Member, Sigma Chi fraternity", "fraternity membership"),
        ("affiliation:womens-college", "Wellesley College (women's college) alumna", "women's college"),
    ] {
        out.push(Variant {
            id: id.into(),
            dimension: Dimension::GenderedAffiliation,
            description: what.into(),
            text: format!("{text}\nACTIVITIES\n{line}\n"),
        });
    }
    out
}

fn run(model: &ScoringModel, text: &str, criteria: &ScoringCriteria, as_of: time::Date) -> ScoreResult {
    let parsed = parse_text_at(text, as_of);
    let profile = anonymize(&parsed, &parsed.text);
    score_with(model, &profile, criteria)
}

/// Runs every variant through the full chain and compares with the unchanged resume, with the
/// default model version.
pub fn check(
    input: impl Into<CounterfactualInput>,
    criteria: &ScoringCriteria,
    as_of: time::Date,
) -> CounterfactualReport {
    check_with(crate::models::default_scoring_model(), input, criteria, as_of)
}

/// [`check`] with a given model version.
pub fn check_with(
    model: &ScoringModel,
    input: impl Into<CounterfactualInput>,
    criteria: &ScoringCriteria,
    as_of: time::Date,
) -> CounterfactualReport {
    let text = match input.into() {
        CounterfactualInput::Text(t) => t,
        CounterfactualInput::Parsed(p) => p.text,
    };
    let parsed = parse_text_at(&text, as_of);
    let baseline = score_with(model, &anonymize(&parsed, &parsed.text), criteria);
    let mut results = Vec::new();
    for v in variants(&parsed, &text) {
        let r = run(model, &v.text, criteria, as_of);
        let delta = i16::from(r.overall) - i16::from(baseline.overall);
        let flagged = delta != 0 || r.sub_scores != baseline.sub_scores;
        results.push(VariantResult {
            id: v.id,
            dimension: v.dimension,
            description: v.description,
            overall: r.overall,
            delta,
            sub_scores: r.sub_scores,
            flagged,
        });
    }
    let max_abs_delta = results.iter().map(|r| r.delta.unsigned_abs()).max().unwrap_or(0);
    CounterfactualReport {
        flagged: results.iter().any(|r| r.flagged),
        max_abs_delta,
        baseline,
        variants: results,
        model_version: model.version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::EducationRequirement;
    use crate::structure::{EducationLevel, Location};
    use time::macros::date;

    const RESUME: &str = "Michael Thompson
michael.t@example.com | (312) 555-0100 | Chicago, IL

SUMMARY
He is a backend engineer; his focus is reliability.

EXPERIENCE
Senior Software Engineer | Northwind | Mar 2018 – Present
- Built Go and PostgreSQL services on Kubernetes

EDUCATION
University of Illinois
B.S. in Computer Science, 2014

SKILLS
Go, PostgreSQL, Kubernetes, Docker
";

    fn criteria() -> ScoringCriteria {
        ScoringCriteria {
            required_skills: vec!["Go".into(), "Kubernetes".into()],
            preferred_skills: vec!["Terraform".into()],
            minimum_experience_years: 5.0,
            education_requirement: EducationRequirement { level: EducationLevel::Bachelor, fields: vec![] },
            job_location: Some(Location {
                city: Some("Chicago".into()),
                region: Some("IL".into()),
                country: Some("USA".into()),
                remote: false,
            }),
            auto_reject_below: Some(40),
            auto_advance_at: Some(80),
            ..ScoringCriteria::default()
        }
    }

    #[test]
    fn score_does_not_move_when_name_changes_gender() {
        let r = check(RESUME, &criteria(), date!(2025 - 01 - 01));
        let names: Vec<&VariantResult> =
            r.variants.iter().filter(|v| v.dimension == Dimension::NameGenderEthnicity).collect();
        assert_eq!(names.len(), NAMES.len());
        for v in names {
            assert_eq!(v.delta, 0, "{}", v.description);
            assert!(!v.flagged);
        }
    }

    #[test]
    fn no_demographic_variant_moves_the_score() {
        let r = check(RESUME, &criteria(), date!(2025 - 01 - 01));
        assert!(r.variants.len() >= 20);
        let moved: Vec<_> = r.variants.iter().filter(|v| v.flagged).collect();
        assert!(moved.is_empty(), "{moved:#?}");
        assert!(!r.flagged);
        assert_eq!(r.max_abs_delta, 0);
        assert!(r.baseline.overall > 0);
    }

    #[test]
    fn the_check_is_sensitive_to_job_relevant_changes() {
        // The chain is not blind: a job-relevant change (a preferred skill) does move it.
        let mut c = criteria();
        c.preferred_skills = vec!["Terraform".into()];
        let base = check(RESUME, &c, date!(2025 - 01 - 01));
        let with = format!("{RESUME}Terraform\n");
        let other = check(with.as_str(), &c, date!(2025 - 01 - 01));
        assert_ne!(base.baseline.overall, other.baseline.overall);
    }
}
