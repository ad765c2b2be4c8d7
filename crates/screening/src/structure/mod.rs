//! Structuring extracted resume text into contact details, experience, education, skills and
//! totals, deterministically (the "as of" date for "Present" is a parameter).

mod contact;
mod education;
mod experience;
mod sections;
mod skills;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::extract::{self, DocKind, ParseFailure};
use crate::taxonomy::{MatchContext, Taxonomy};

pub use contact::{Contact, Location};
use contact::{fill_contact_from_text, parse_header};
pub(crate) use contact::{find_phones, is_email};
use education::parse_education;
pub use education::{EducationEntry, EducationLevel};
use experience::parse_experience;
pub use experience::{ExperienceEntry, total_experience_months};
pub use sections::SectionKind;
pub(crate) use sections::heading;
use sections::split_sections;

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Facts about the source document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentInfo {
    pub kind: DocKind,
    pub pages: u32,
    pub multi_column_pages: Vec<u32>,
    pub image_count: u32,
    pub notes: Vec<String>,
}

/// A structured resume. Contains personal data: only [`crate::anonymize`]'s output may be
/// shown to scoring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedResume {
    pub parser_version: String,
    #[serde(with = "iso_date")]
    pub as_of: time::Date,
    pub document: DocumentInfo,
    pub contact: Contact,
    pub summary: Option<String>,
    pub experience: Vec<ExperienceEntry>,
    pub education: Vec<EducationEntry>,
    /// Canonical skill names (taxonomy), sorted.
    pub skills: Vec<String>,
    /// Items listed under Skills that the taxonomy does not know, as written.
    pub unrecognized_skills: Vec<String>,
    pub certifications: Vec<String>,
    pub languages: Vec<String>,
    /// Months covered by at least one dated job (overlaps merged).
    pub total_experience_months: u32,
    /// The same in years, rounded to one decimal.
    pub total_experience_years: f64,
    /// Section headings recognised, in order.
    pub sections: Vec<SectionKind>,
    /// 0..1: how much of what a resume normally has was found.
    pub confidence: f64,
    /// The extracted text the structure was read from.
    pub text: String,
}

/// Parses a resume as of today's date in UTC. Prefer [`parse_resume_at`] in anything that must
/// be reproducible.
pub fn parse_resume(bytes: &[u8], declared_content_type: Option<&str>) -> Result<ParsedResume, ParseFailure> {
    let today = time::OffsetDateTime::now_utc().date();
    parse_resume_at(bytes, declared_content_type, today)
}

/// Extracts and structures a resume; "Present" means `as_of`.
pub fn parse_resume_at(
    bytes: &[u8],
    declared_content_type: Option<&str>,
    as_of: time::Date,
) -> Result<ParsedResume, ParseFailure> {
    let extracted = extract::extract_text(bytes, declared_content_type)?;
    let info = DocumentInfo {
        kind: extracted.kind,
        pages: extracted.pages,
        multi_column_pages: extracted.multi_column_pages,
        image_count: extracted.image_count,
        notes: extracted.notes,
    };
    // A typeset name (the largest text at the top) wins over a guess from the first lines.
    let name = extracted.title_line.as_deref().and_then(contact::name_from_title_line);
    Ok(structure_text(&extracted.text, info, as_of, name))
}

/// Structures text that is already extracted (used by the counterfactual checks, which edit
/// text and re-run the chain).
pub fn parse_text_at(text: &str, as_of: time::Date) -> ParsedResume {
    let info = DocumentInfo {
        kind: DocKind::Text,
        pages: 1,
        multi_column_pages: Vec::new(),
        image_count: 0,
        notes: Vec::new(),
    };
    structure_text(text, info, as_of, None)
}

/// Icon-font glyphs (Font Awesome and the like live in the Private Use Area) separate the
/// pieces of a line ("DEVELOPER <icon> COMPANY A", "<icon>jane@x.com"): read them as tabs.
fn icons_as_separators(text: &str) -> std::borrow::Cow<'_, str> {
    let is_icon =
        |c: char| matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}');
    if !text.chars().any(is_icon) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.chars().map(|c| if is_icon(c) { '\t' } else { c }).collect())
}

/// The line with the given (lower-case) words blanked out.
fn mask_words(line: &str, words: &[String]) -> String {
    if words.is_empty() {
        return line.to_owned();
    }
    line.split_inclusive(|c: char| !c.is_alphanumeric())
        .map(|w| {
            let core = w.trim_end_matches(|c: char| !c.is_alphanumeric());
            if !core.is_empty() && words.contains(&core.to_lowercase()) { " ".repeat(w.len()) } else { w.to_owned() }
        })
        .collect()
}

fn structure_text(text: &str, document: DocumentInfo, as_of: time::Date, name: Option<String>) -> ParsedResume {
    let original = text;
    let separated = icons_as_separators(text);
    let text: &str = &separated;
    let sections = split_sections(text);
    let taxonomy = Taxonomy::global();
    let mut contact = Contact { name, ..Contact::default() };
    let mut summary_lines: Vec<&str> = Vec::new();
    let mut experience = Vec::new();
    let mut education = Vec::new();
    let mut skills = BTreeSet::new();
    let mut unrecognized = BTreeSet::new();
    let mut certifications = Vec::new();
    let mut languages = Vec::new();
    let mut prose: Vec<&str> = Vec::new();

    for section in &sections {
        match section.kind {
            SectionKind::Header => parse_header(&section.lines, &mut contact),
            SectionKind::Summary => summary_lines.extend(&section.lines),
            SectionKind::Experience => {
                experience.extend(parse_experience(&section.lines));
            }
            SectionKind::Education => education.extend(parse_education(&section.lines)),
            SectionKind::Skills => {
                // A running footer ("Jane Doe - Page 2 of 2") can land in a skills list.
                let name_words: Vec<String> =
                    contact.name.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
                let masked: Vec<String> = section.lines.iter().map(|l| mask_words(l, &name_words)).collect();
                let lines: Vec<&str> = masked.iter().map(String::as_str).collect();
                skills::read_skills(&lines, taxonomy, &mut skills, &mut unrecognized);
            }
            SectionKind::Certifications => skills::read_certifications(&section.lines, &mut certifications),
            SectionKind::Languages => skills::read_languages(&section.lines, &mut languages),
            SectionKind::Projects | SectionKind::Other => prose.extend(&section.lines),
        }
    }
    fill_contact_from_text(text, &mut contact);
    skills::languages_from_text(text, &mut languages);
    skills::vendor_products(text, taxonomy, &mut skills);

    for e in &experience {
        prose.extend(e.details.iter().map(String::as_str));
        if let Some(t) = &e.title {
            prose.push(t);
        }
    }
    prose.extend(&summary_lines);
    // The person's own name is no skill ("John Doe" is not "Design of Experiments (DOE)").
    let name_words: Vec<String> =
        contact.name.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
    for p in prose {
        let found = taxonomy.find_in_text(p, MatchContext::Prose);
        if name_words.is_empty()
            || !p.split(|c: char| !c.is_alphanumeric()).any(|w| name_words.contains(&w.to_lowercase()))
        {
            skills.extend(found);
            continue;
        }
        skills.extend(taxonomy.find_in_text(&mask_words(p, &name_words), MatchContext::Prose));
    }

    let total_months = total_experience_months(&experience, as_of);
    let summary = (!summary_lines.is_empty()).then(|| summary_lines.join(" "));
    let kinds: Vec<SectionKind> = sections.iter().map(|s| s.kind).filter(|k| *k != SectionKind::Header).collect();
    let mut parsed = ParsedResume {
        parser_version: crate::PARSER_VERSION.to_owned(),
        as_of,
        document,
        contact,
        summary,
        experience,
        education,
        skills: skills.into_iter().collect(),
        unrecognized_skills: unrecognized.into_iter().collect(),
        certifications,
        languages,
        total_experience_months: total_months,
        total_experience_years: (f64::from(total_months) / 12.0 * 10.0).round() / 10.0,
        sections: kinds,
        confidence: 0.0,
        text: original.to_owned(),
    };
    parsed.confidence = confidence(&parsed);
    parsed
}

fn confidence(p: &ParsedResume) -> f64 {
    let dated_jobs = p.experience.iter().filter(|e| e.start.is_some()).count();
    let titled_jobs = p.experience.iter().filter(|e| e.title.is_some()).count();
    let mut c = 0.0;
    c += if p.contact.name.is_some() { 0.15 } else { 0.0 };
    c += if p.contact.email.is_some() || p.contact.phone.is_some() { 0.1 } else { 0.0 };
    if !p.experience.is_empty() {
        c += 0.3 * (dated_jobs + titled_jobs) as f64 / (2 * p.experience.len()) as f64;
    }
    c += if p.education.is_empty() { 0.0 } else { 0.15 };
    c += if p.skills.is_empty() { 0.0 } else { 0.15 };
    c += (p.sections.len().min(3) as f64) / 3.0 * 0.15;
    if !p.document.multi_column_pages.is_empty() {
        // Column reconstruction is a heuristic: be a little less sure.
        c *= 0.95;
    }
    (c.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const RESUME: &str = "JANE Q. DOE
Senior Software Engineer
jane.doe@example.com | (512) 555-0142 | Austin, TX | linkedin.com/in/janedoe

SUMMARY
Backend engineer who builds reliable Rust and Go services.

EXPERIENCE
Senior Software Engineer | Acme Corp | Jan 2020 – Present
• Led migration to Kubernetes and PostgreSQL
• Mentored four engineers
Software Engineer, Globex, Inc. — Austin, TX    Jun 2016 – Mar 2020
- Built REST APIs in Java

EDUCATION
University of Texas at Austin
B.S. in Computer Science, 2012 – 2016

SKILLS
Languages: Rust, Go, Java, C++, k8s, Postgres, Underwater basket weaving
Certifications
AWS Certified Solutions Architect (2021)
Languages
English (native), Spanish (professional)
";

    #[test]
    fn structures_a_typical_resume() {
        let p = parse_text_at(RESUME, date!(2025 - 01 - 15));
        assert_eq!(p.contact.name.as_deref(), Some("Jane Q. Doe"));
        assert_eq!(p.contact.email.as_deref(), Some("jane.doe@example.com"));
        assert_eq!(p.contact.phone.as_deref(), Some("(512) 555-0142"));
        assert_eq!(p.contact.links, ["linkedin.com/in/janedoe"]);
        let loc = p.contact.location.clone().unwrap();
        assert_eq!((loc.city.as_deref(), loc.region.as_deref()), (Some("Austin"), Some("TX")));
        assert_eq!(p.experience.len(), 2);
        let e0 = &p.experience[0];
        assert_eq!(e0.title.as_deref(), Some("Senior Software Engineer"));
        assert_eq!(e0.company.as_deref(), Some("Acme Corp"));
        assert!(e0.current);
        assert_eq!(e0.details.len(), 2);
        let e1 = &p.experience[1];
        assert_eq!(e1.title.as_deref(), Some("Software Engineer"));
        assert_eq!(e1.company.as_deref(), Some("Globex, Inc."));
        assert_eq!(e1.location.as_deref(), Some("Austin, TX"));
        assert_eq!(serde_json::to_value(e1.end).unwrap(), "2020-03");
        assert_eq!(p.education.len(), 1);
        let ed = &p.education[0];
        assert_eq!(ed.institution.as_deref(), Some("University of Texas at Austin"));
        assert_eq!(ed.level, EducationLevel::Bachelor);
        assert_eq!(ed.field.as_deref(), Some("Computer Science"));
        for s in ["Rust", "Go", "Java", "C++", "Kubernetes", "PostgreSQL", "REST APIs"] {
            assert!(p.skills.contains(&s.to_owned()), "{s} in {:?}", p.skills);
        }
        assert_eq!(p.unrecognized_skills, ["Underwater basket weaving"]);
        assert_eq!(p.certifications, ["AWS Certified Solutions Architect"]);
        assert_eq!(p.languages, ["English", "Spanish"]);
        // Jun 2016 – Mar 2020 (46) merged with Jan 2020 – Jan 2025 (60): 2016-06..2025-01 = 103.
        assert_eq!(p.total_experience_months, 103);
        assert!((p.total_experience_years - 8.6).abs() < 1e-9);
        assert!(p.confidence > 0.9, "{}", p.confidence);
    }

    #[test]
    fn present_is_measured_from_the_as_of_date() {
        let a = parse_text_at(RESUME, date!(2025 - 01 - 15));
        let b = parse_text_at(RESUME, date!(2026 - 01 - 15));
        assert_eq!(b.total_experience_months - a.total_experience_months, 12);
    }

    #[test]
    fn parse_result_round_trips_through_json() {
        let p = parse_text_at(RESUME, date!(2025 - 01 - 15));
        let json = serde_json::to_string(&p).unwrap();
        let back: ParsedResume = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
