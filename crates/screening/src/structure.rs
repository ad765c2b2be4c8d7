//! Structuring extracted resume text into contact details, experience, education, skills and
//! totals, deterministically (the "as of" date for "Present" is a parameter).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::extract::{self, DocKind, ParseFailure};
use crate::taxonomy::{MatchContext, Taxonomy};
use crate::text::{self, DatePoint, FoundRange, PartialDate, YearMonth};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Highest education completed or in progress, in increasing order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EducationLevel {
    #[default]
    None,
    HighSchool,
    Associate,
    Bachelor,
    Master,
    Doctorate,
}

/// A coarse place: what the location criterion may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub city: Option<String>,
    /// State, province or region code/name.
    pub region: Option<String>,
    pub country: Option<String>,
    pub remote: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub links: Vec<String>,
    pub location: Option<Location>,
    /// A street address line, if the resume gave one (removed by anonymization).
    pub street_address: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExperienceEntry {
    pub title: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    pub start: Option<PartialDate>,
    /// `None` when current.
    pub end: Option<PartialDate>,
    pub current: bool,
    /// Bullet points and description lines.
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EducationEntry {
    pub institution: Option<String>,
    /// Degree as written ("B.S.", "Master of Science").
    pub degree: Option<String>,
    pub level: EducationLevel,
    pub field: Option<String>,
    pub start: Option<PartialDate>,
    pub end: Option<PartialDate>,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Header,
    Summary,
    Experience,
    Education,
    Skills,
    Certifications,
    Languages,
    Projects,
    Other,
}

const HEADINGS: &[(&str, SectionKind)] = &[
    ("summary", SectionKind::Summary),
    ("professional summary", SectionKind::Summary),
    ("profile", SectionKind::Summary),
    ("professional profile", SectionKind::Summary),
    ("about me", SectionKind::Summary),
    ("about", SectionKind::Summary),
    ("objective", SectionKind::Summary),
    ("career objective", SectionKind::Summary),
    ("experience", SectionKind::Experience),
    ("work experience", SectionKind::Experience),
    ("professional experience", SectionKind::Experience),
    ("employment", SectionKind::Experience),
    ("employment history", SectionKind::Experience),
    ("work history", SectionKind::Experience),
    ("career history", SectionKind::Experience),
    ("relevant experience", SectionKind::Experience),
    ("education", SectionKind::Education),
    ("education and training", SectionKind::Education),
    ("academic background", SectionKind::Education),
    ("qualifications", SectionKind::Education),
    ("skills", SectionKind::Skills),
    ("technical skills", SectionKind::Skills),
    ("core skills", SectionKind::Skills),
    ("key skills", SectionKind::Skills),
    ("core competencies", SectionKind::Skills),
    ("competencies", SectionKind::Skills),
    ("technologies", SectionKind::Skills),
    ("tools and technologies", SectionKind::Skills),
    ("skills and tools", SectionKind::Skills),
    ("certifications", SectionKind::Certifications),
    ("certificates", SectionKind::Certifications),
    ("licenses and certifications", SectionKind::Certifications),
    ("certifications and licenses", SectionKind::Certifications),
    ("languages", SectionKind::Languages),
    ("language skills", SectionKind::Languages),
    ("projects", SectionKind::Projects),
    ("selected projects", SectionKind::Projects),
    ("awards", SectionKind::Other),
    ("honors", SectionKind::Other),
    ("publications", SectionKind::Other),
    ("interests", SectionKind::Other),
    ("hobbies", SectionKind::Other),
    ("references", SectionKind::Other),
    ("volunteer", SectionKind::Other),
    ("volunteering", SectionKind::Other),
    ("volunteer experience", SectionKind::Other),
    ("activities", SectionKind::Other),
    ("personal details", SectionKind::Other),
    ("personal information", SectionKind::Other),
    ("contact", SectionKind::Header),
    ("contact information", SectionKind::Header),
];

/// If the line is a section heading, its kind and any content after a colon.
pub(crate) fn heading(line: &str) -> Option<(SectionKind, &str)> {
    let (head, rest) = match line.split_once(':') {
        Some((h, r)) => (h, r.trim()),
        None => (line, ""),
    };
    if head.split_whitespace().count() > 4 {
        return None;
    }
    let norm: String = head
        .chars()
        .map(|c| if c == '&' { ' ' } else { c })
        .filter(|c| c.is_alphabetic() || c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let norm = norm.split_whitespace().filter(|w| *w != "and").collect::<Vec<_>>().join(" ");
    HEADINGS.iter().find(|(h, _)| h.replace(" and", "") == norm).map(|(_, k)| (*k, rest))
}

struct Section<'a> {
    kind: SectionKind,
    lines: Vec<&'a str>,
}

fn split_sections(text: &str) -> Vec<Section<'_>> {
    let mut sections = vec![Section { kind: SectionKind::Header, lines: Vec::new() }];
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line == "\u{c}" {
            continue;
        }
        if let Some((kind, rest)) = heading(line) {
            let current = sections.last().map(|s| s.kind);
            // "Languages: Rust, Go" inside Skills is a sub-label, not a new section.
            if !rest.is_empty() && current == Some(SectionKind::Skills) {
                if let Some(s) = sections.last_mut() {
                    s.lines.push(line);
                }
                continue;
            }
            sections.push(Section { kind, lines: Vec::new() });
            if !rest.is_empty()
                && let Some(s) = sections.last_mut()
            {
                s.lines.push(rest);
            }
            continue;
        }
        if let Some(s) = sections.last_mut() {
            s.lines.push(line);
        }
    }
    sections
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
    Ok(structure_text(&extracted.text, info, as_of))
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
    structure_text(text, info, as_of)
}

fn structure_text(text: &str, document: DocumentInfo, as_of: time::Date) -> ParsedResume {
    let sections = split_sections(text);
    let taxonomy = Taxonomy::global();
    let mut contact = Contact::default();
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
                for item in list_items(&section.lines) {
                    match taxonomy.canonical_name(&item) {
                        Some(c) => {
                            skills.insert(c.to_owned());
                        }
                        None => {
                            let found = taxonomy.find_in_text(&item, MatchContext::SkillsList);
                            if found.is_empty() {
                                unrecognized.insert(item);
                            } else {
                                skills.extend(found);
                            }
                        }
                    }
                }
            }
            SectionKind::Certifications => {
                for l in &section.lines {
                    let (l, _) = text::strip_bullet(l);
                    let cleaned = remove_dates(l);
                    if !cleaned.is_empty() {
                        certifications.push(cleaned);
                    }
                }
            }
            SectionKind::Languages => {
                for item in list_items(&section.lines) {
                    let name = item.split(['(', '-', '–', ':']).next().unwrap_or("").trim().to_owned();
                    if !name.is_empty() && name.split_whitespace().count() <= 3 {
                        languages.push(name);
                    }
                }
            }
            SectionKind::Projects | SectionKind::Other => prose.extend(&section.lines),
        }
    }
    // Contact details can sit anywhere (footers, sidebars): fill gaps from the whole text.
    fill_contact_from_text(text, &mut contact);

    for e in &experience {
        prose.extend(e.details.iter().map(String::as_str));
        if let Some(t) = &e.title {
            prose.push(t);
        }
    }
    prose.extend(&summary_lines);
    for p in prose {
        skills.extend(taxonomy.find_in_text(p, MatchContext::Prose));
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
        text: text.to_owned(),
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

/// Items of a list section: split on commas, semicolons, pipes, bullets, tabs; "Category:
/// a, b" drops the category label.
fn list_items(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        let (line, _) = text::strip_bullet(line);
        // A table row "Cloud<TAB>AWS, GCP": the first cell is a label.
        let line = match line.split_once('\t') {
            Some((label, rest))
                if label.split_whitespace().count() <= 3 && !label.contains(',') && rest.contains(',') =>
            {
                rest
            }
            _ => line,
        };
        let line = match line.split_once(':') {
            Some((label, rest)) if label.split_whitespace().count() <= 4 && !rest.is_empty() => rest,
            _ => line,
        };
        for item in line.split([',', ';', '|', '•', '·', '\t', '●', '▪']) {
            let item = item.trim().trim_end_matches('.').trim();
            if !item.is_empty() && item.chars().count() <= 60 {
                out.push(item.to_owned());
            }
        }
    }
    out
}

fn remove_dates(line: &str) -> String {
    let mut out = line.to_owned();
    for r in text::find_dates(line).iter().rev() {
        out.replace_range(r.span.0..r.span.1, "");
    }
    let out = out.replace("()", "");
    let mut t = out.trim().trim_end_matches([',', '-', '–', '—', '|', ' ', '(']).trim();
    // An opening parenthesis left without its date: "(2021" → "".
    if t.matches('(').count() > t.matches(')').count() {
        t = t.trim_end_matches('(').trim();
    }
    t.to_owned()
}

// ---------------------------------------------------------------- contact

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME",
    "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
    "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
];

const COUNTRIES: &[&str] = &[
    "USA",
    "United States",
    "Canada",
    "United Kingdom",
    "UK",
    "Ireland",
    "Germany",
    "France",
    "Spain",
    "Portugal",
    "Italy",
    "Netherlands",
    "Belgium",
    "Sweden",
    "Norway",
    "Denmark",
    "Finland",
    "Poland",
    "Switzerland",
    "Austria",
    "India",
    "China",
    "Japan",
    "Singapore",
    "Australia",
    "New Zealand",
    "Brazil",
    "Mexico",
    "Argentina",
    "Nigeria",
    "Kenya",
    "South Africa",
    "Egypt",
    "Israel",
    "Turkey",
    "Ukraine",
    "Romania",
];

const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "st.",
    "avenue",
    "ave",
    "ave.",
    "road",
    "rd",
    "rd.",
    "boulevard",
    "blvd",
    "blvd.",
    "lane",
    "ln",
    "ln.",
    "drive",
    "dr",
    "dr.",
    "court",
    "ct",
    "way",
    "place",
    "pl",
    "terrace",
    "apt",
    "apt.",
    "suite",
    "unit",
];

/// Pieces of a header line: "Jane Doe | jane@x.com | Austin, TX".
fn header_pieces(line: &str) -> Vec<&str> {
    line.split(['|', '•', '·', '\t', '●', '♦', '◆'])
        .flat_map(|p| p.split("  "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// "Austin, TX", "Austin, TX 78701", "Berlin, Germany", "Remote".
pub(crate) fn parse_location(piece: &str) -> Option<Location> {
    let p = piece.trim().trim_start_matches("Location:").trim_start_matches("Based in").trim();
    let lower = p.to_ascii_lowercase();
    if lower == "remote" || lower.starts_with("remote (") || lower.starts_with("remote,") {
        return Some(Location { remote: true, ..Location::default() });
    }
    let parts: Vec<&str> = p.split(',').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let city = parts[0];
    if city.is_empty()
        || city.split_whitespace().count() > 3
        || !city.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '.' || c == '-' || c == '\'')
        || !city.starts_with(char::is_uppercase)
    {
        return None;
    }
    let second = parts[1];
    let region_token = second.split_whitespace().next().unwrap_or("");
    let zip_ok = second.split_whitespace().nth(1).is_none_or(|z| z.len() == 5 && z.bytes().all(|b| b.is_ascii_digit()));
    if US_STATES.contains(&region_token) && zip_ok {
        return Some(Location {
            city: Some(city.to_owned()),
            region: Some(region_token.to_owned()),
            country: Some(parts.get(2).map(|c| (*c).to_owned()).unwrap_or_else(|| "USA".to_owned())),
            remote: false,
        });
    }
    if let Some(country) = COUNTRIES.iter().find(|c| c.eq_ignore_ascii_case(parts[parts.len() - 1])) {
        let region = (parts.len() == 3).then(|| parts[1].to_owned());
        return Some(Location {
            city: Some(city.to_owned()),
            region,
            country: Some((*country).to_owned()),
            remote: false,
        });
    }
    None
}

fn is_street_address(piece: &str) -> bool {
    let words: Vec<&str> = piece.split_whitespace().collect();
    words.len() >= 3
        && words[0].chars().next().is_some_and(|c| c.is_ascii_digit())
        && words.iter().any(|w| STREET_WORDS.contains(&w.trim_end_matches(',').to_ascii_lowercase().as_str()))
}

fn looks_like_name(piece: &str) -> bool {
    let words: Vec<&str> = piece.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '.' || c == '’')
                && w.starts_with(char::is_uppercase)
        })
        && heading(piece).is_none()
        && !TITLE_WORDS.iter().any(|t| piece.to_ascii_lowercase().split_whitespace().any(|w| w == *t))
}

/// "Ms. Jane Doe" → "Jane Doe": honorifics are not part of the name (and are gendered).
pub(crate) fn strip_honorific(s: &str) -> &str {
    const HONORIFICS: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "dr", "sir", "madam", "mister"];
    match s.split_once(' ') {
        Some((first, rest)) if HONORIFICS.contains(&first.trim_end_matches('.').to_ascii_lowercase().as_str()) => {
            rest.trim()
        }
        _ => s,
    }
}

fn title_case(s: &str) -> String {
    if s.chars().any(char::is_lowercase) {
        return s.to_owned();
    }
    s.split(' ')
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().chain(cs.flat_map(char::to_lowercase)).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_header(lines: &[&str], contact: &mut Contact) {
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start_matches("Name:").trim_start_matches("NAME:").trim();
        for (j, piece) in header_pieces(line).into_iter().enumerate() {
            if contact.name.is_none() && i < 3 && j == 0 {
                let bare = strip_honorific(piece);
                if looks_like_name(bare) {
                    contact.name = Some(title_case(bare));
                    continue;
                }
            }
            if is_street_address(piece) {
                contact.street_address = Some(piece.to_owned());
                // "12 Main St, Springfield, IL 62704": the tail is the city.
                if let Some((_, tail)) = piece.split_once(',')
                    && let Some(loc) = parse_location(tail)
                {
                    contact.location.get_or_insert(loc);
                }
                continue;
            }
            if contact.location.is_none()
                && let Some(loc) = parse_location(piece)
            {
                contact.location = Some(loc);
            }
        }
    }
}

fn fill_contact_from_text(text: &str, contact: &mut Contact) {
    let mut links = BTreeSet::new();
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, '|' | '•' | '<' | '>' | '(' | ')' | ',' | ';'))
    {
        let token = token.trim_matches(|c: char| matches!(c, '.' | ':' | '"' | '\''));
        if token.is_empty() {
            continue;
        }
        let lower = token.to_ascii_lowercase();
        if contact.email.is_none() && is_email(token) {
            contact.email = Some(token.trim_start_matches("mailto:").to_owned());
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || ["linkedin.com/", "github.com/", "gitlab.com/", "behance.net/", "dribbble.com/"]
                .iter()
                .any(|d| lower.contains(d))
        {
            links.insert(token.to_owned());
        }
    }
    contact.links = links.into_iter().collect();
    if contact.phone.is_none() {
        contact.phone = find_phones(text).into_iter().next();
    }
}

pub(crate) fn is_email(token: &str) -> bool {
    let token = token.trim_start_matches("mailto:");
    let Some((local, domain)) = token.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.chars().all(|c| c.is_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
}

/// Phone numbers: runs of digits and `+ ( ) - . space` holding 10–15 digits.
pub(crate) fn find_phones(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            let begins = c.is_ascii_digit() || c == '+' || c == '(';
            let preceded_ok = i == 0 || !chars[i - 1].1.is_alphanumeric();
            if !(begins && preceded_ok) {
                i += 1;
                continue;
            }
            let mut j = i;
            let mut digits = 0;
            let mut end = start;
            while j < chars.len() {
                let (pos, d) = chars[j];
                if d.is_ascii_digit() {
                    digits += 1;
                    end = pos + 1;
                } else if !matches!(d, '+' | '(' | ')' | '-' | '.' | ' ') {
                    break;
                }
                j += 1;
            }
            let candidate = line[start..end].trim();
            let groups_ok = !candidate.contains("  ") && !text::find_dates(candidate).iter().any(|r| r.end.is_some());
            if (10..=15).contains(&digits) && groups_ok {
                out.push(candidate.to_owned());
            }
            i = j.max(i + 1);
        }
    }
    out
}

// ---------------------------------------------------------------- experience

pub(crate) const TITLE_WORDS: &[&str] = &[
    "engineer",
    "developer",
    "programmer",
    "manager",
    "analyst",
    "designer",
    "architect",
    "scientist",
    "consultant",
    "intern",
    "lead",
    "director",
    "administrator",
    "specialist",
    "coordinator",
    "officer",
    "assistant",
    "associate",
    "head",
    "vp",
    "president",
    "founder",
    "co-founder",
    "cto",
    "ceo",
    "cfo",
    "teacher",
    "nurse",
    "accountant",
    "technician",
    "representative",
    "sre",
    "owner",
    "editor",
    "writer",
    "researcher",
    "fellow",
    "professor",
    "lecturer",
    "tutor",
    "supervisor",
    "executive",
    "recruiter",
    "advisor",
    "agent",
    "clerk",
    "operator",
    "principal",
    "tester",
    "strategist",
    "marketer",
    "auditor",
    "paralegal",
    "attorney",
    "pharmacist",
    "therapist",
    "instructor",
    "trainer",
    "planner",
    "buyer",
];

const COMPANY_SUFFIXES: &[&str] =
    &["inc", "inc.", "llc", "ltd", "ltd.", "gmbh", "corp", "corp.", "co.", "plc", "ag", "sa", "s.a."];

fn has_title_word(piece: &str) -> bool {
    piece
        .to_ascii_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .any(|w| TITLE_WORDS.contains(&w) || w.ends_with("engineer") || w.ends_with("developer"))
}

/// Splits "Senior Engineer, Acme Corp — Austin, TX" into pieces, keeping "Acme, Inc." whole
/// and "Austin, TX" whole.
fn entry_pieces(text: &str) -> Vec<String> {
    let mut coarse: Vec<String> = vec![text.to_owned()];
    for sep in ["\t", " | ", " — ", " – ", " - ", " @ ", " at ", "|"] {
        coarse = coarse.iter().flat_map(|p| p.split(sep).map(str::to_owned).collect::<Vec<_>>()).collect();
    }
    let mut pieces = Vec::new();
    for c in coarse {
        let c = c.trim().trim_matches(|ch: char| matches!(ch, ',' | '(' | ')' | '–' | '—' | '-'));
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if parse_location(c).is_some() {
            pieces.push(c.to_owned());
            continue;
        }
        // Split on commas unless the tail is a company suffix or a location.
        let parts: Vec<&str> = c.split(',').map(str::trim).collect();
        let mut merged: Vec<String> = Vec::new();
        let mut k = 0;
        while k < parts.len() {
            let rest = parts[k..].join(", ");
            if k > 0 && parse_location(&rest).is_some() {
                merged.push(rest);
                break;
            }
            let p = parts[k];
            if COMPANY_SUFFIXES.contains(&p.to_ascii_lowercase().as_str())
                && let Some(last) = merged.last_mut()
            {
                last.push_str(", ");
                last.push_str(p);
                k += 1;
                continue;
            }
            if !p.is_empty() {
                merged.push(p.to_owned());
            }
            k += 1;
        }
        pieces.extend(merged);
    }
    pieces
}

fn is_range(r: &FoundRange) -> bool {
    r.end.is_some()
}

fn parse_experience(lines: &[&str]) -> Vec<ExperienceEntry> {
    let anchors: Vec<usize> = (0..lines.len()).filter(|&i| text::find_dates(lines[i]).iter().any(is_range)).collect();
    let mut entries = Vec::new();
    let mut consumed_until = 0; // lines before this index belong to earlier entries
    for (n, &a) in anchors.iter().enumerate() {
        let next_anchor = anchors.get(n + 1).copied().unwrap_or(lines.len());
        let dates = text::find_dates(lines[a]);
        let Some(range) = dates.iter().find(|r| is_range(r)).copied() else {
            continue;
        };
        let mut header = Vec::new();
        // Up to two short, non-bullet lines right above the anchor.
        let mut k = a;
        while k > consumed_until && a - k < 2 {
            let prev = lines[k - 1];
            let (_, bullet) = text::strip_bullet(prev);
            if bullet || prev.len() > 90 || prev.ends_with('.') {
                break;
            }
            k -= 1;
        }
        for l in &lines[k..a] {
            header.push((*l).to_owned());
        }
        let mut anchor_rest = lines[a].to_owned();
        anchor_rest.replace_range(range.span.0..range.span.1, " | ");
        header.push(anchor_rest);

        let mut pieces: Vec<String> = header.iter().flat_map(|h| entry_pieces(h)).collect();
        // A company on the line after the anchor ("Title | dates" then "Company, City").
        let mut body_start = a + 1;
        let has_two = pieces.iter().filter(|p| parse_location(p).is_none()).count() >= 2;
        if !has_two && body_start < next_anchor {
            let next = lines[body_start];
            let (_, bullet) = text::strip_bullet(next);
            if !bullet && next.len() <= 80 && !next.ends_with('.') {
                pieces.extend(entry_pieces(next));
                body_start += 1;
            }
        }
        let mut entry = ExperienceEntry::default();
        for p in &pieces {
            if parse_location(p).is_some() {
                entry.location.get_or_insert_with(|| p.clone());
            } else if entry.title.is_none() && has_title_word(p) {
                entry.title = Some(p.clone());
            }
        }
        for p in &pieces {
            if parse_location(p).is_some() || entry.title.as_deref() == Some(p.as_str()) {
                continue;
            }
            if entry.title.is_none() {
                entry.title = Some(p.clone());
            } else if entry.company.is_none() {
                entry.company = Some(p.clone());
            }
        }
        entry.start = range.start.partial();
        match range.end {
            Some(DatePoint::Present) => entry.current = true,
            Some(end) => entry.end = end.partial(),
            None => {}
        }
        // Body: until the header lines of the next entry.
        let mut body_end = next_anchor;
        if n + 1 < anchors.len() {
            let mut k = next_anchor;
            while k > body_start && next_anchor - k < 2 {
                let prev = lines[k - 1];
                let (_, bullet) = text::strip_bullet(prev);
                if bullet || prev.len() > 90 || prev.ends_with('.') {
                    break;
                }
                k -= 1;
            }
            body_end = k;
        }
        for l in &lines[body_start.min(body_end)..body_end] {
            let (t, bullet) = text::strip_bullet(l);
            // A wrapped bullet continues on a line starting in lower case.
            let continues = !bullet && t.starts_with(|c: char| c.is_lowercase());
            match entry.details.last_mut() {
                Some(last) if continues => {
                    last.push(' ');
                    last.push_str(t);
                }
                _ => entry.details.push(t.to_owned()),
            }
        }
        consumed_until = body_end;
        entries.push(entry);
    }
    entries
}

fn month_span(e: &ExperienceEntry, as_of: YearMonth) -> Option<(i64, i64)> {
    let start = e.start?.first_month().index();
    let end = if e.current {
        as_of.index()
    } else {
        match e.end? {
            // A bare end year means "some time that year": count to its start, so
            // "2015 – 2018" is three years, not four.
            PartialDate { year, month: None } => YearMonth { year, month: 1 }.index(),
            PartialDate { year, month: Some(m) } => YearMonth { year, month: m }.index() + 1,
        }
    };
    let end = end.min(as_of.index());
    (end > start).then_some((start, end))
}

/// Months covered by the jobs, overlapping ranges merged, "Present" = `as_of`.
pub fn total_experience_months(entries: &[ExperienceEntry], as_of: time::Date) -> u32 {
    let as_of = YearMonth::from_date(as_of);
    let mut spans: Vec<(i64, i64)> = entries.iter().filter_map(|e| month_span(e, as_of)).collect();
    spans.sort_unstable();
    let mut total = 0i64;
    let mut current: Option<(i64, i64)> = None;
    for (s, e) in spans {
        match current {
            Some((cs, ce)) if s <= ce => current = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                current = Some((s, e));
            }
            None => current = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = current {
        total += ce - cs;
    }
    u32::try_from(total).unwrap_or(0)
}

// ---------------------------------------------------------------- education

const INSTITUTION_WORDS: &[&str] = &[
    "university",
    "college",
    "institute",
    "school",
    "academy",
    "polytechnic",
    "université",
    "universidad",
    "universität",
    "conservatory",
];

/// Degree phrases, longest first within a level, with the level they mean.
const DEGREES: &[(&str, EducationLevel)] = &[
    ("doctor of philosophy", EducationLevel::Doctorate),
    ("doctorate", EducationLevel::Doctorate),
    ("ph.d.", EducationLevel::Doctorate),
    ("ph.d", EducationLevel::Doctorate),
    ("phd", EducationLevel::Doctorate),
    ("dphil", EducationLevel::Doctorate),
    ("master of business administration", EducationLevel::Master),
    ("master of science", EducationLevel::Master),
    ("master of arts", EducationLevel::Master),
    ("master of engineering", EducationLevel::Master),
    ("master's", EducationLevel::Master),
    ("masters", EducationLevel::Master),
    ("master", EducationLevel::Master),
    ("m.s.", EducationLevel::Master),
    ("m.sc.", EducationLevel::Master),
    ("msc", EducationLevel::Master),
    ("m.a.", EducationLevel::Master),
    ("mba", EducationLevel::Master),
    ("m.eng.", EducationLevel::Master),
    ("meng", EducationLevel::Master),
    ("ms", EducationLevel::Master),
    ("bachelor of science", EducationLevel::Bachelor),
    ("bachelor of arts", EducationLevel::Bachelor),
    ("bachelor of engineering", EducationLevel::Bachelor),
    ("bachelor's", EducationLevel::Bachelor),
    ("bachelors", EducationLevel::Bachelor),
    ("bachelor", EducationLevel::Bachelor),
    ("b.s.", EducationLevel::Bachelor),
    ("b.sc.", EducationLevel::Bachelor),
    ("bsc", EducationLevel::Bachelor),
    ("b.a.", EducationLevel::Bachelor),
    ("b.eng.", EducationLevel::Bachelor),
    ("beng", EducationLevel::Bachelor),
    ("b.tech", EducationLevel::Bachelor),
    ("btech", EducationLevel::Bachelor),
    ("bs", EducationLevel::Bachelor),
    ("ba", EducationLevel::Bachelor),
    ("associate of applied science", EducationLevel::Associate),
    ("associate of science", EducationLevel::Associate),
    ("associate of arts", EducationLevel::Associate),
    ("associate degree", EducationLevel::Associate),
    ("a.a.s.", EducationLevel::Associate),
    ("a.s.", EducationLevel::Associate),
    ("a.a.", EducationLevel::Associate),
    ("high school diploma", EducationLevel::HighSchool),
    ("high school", EducationLevel::HighSchool),
    ("ged", EducationLevel::HighSchool),
];

/// Finds a degree phrase at a word boundary: (start, end, level).
fn find_degree(piece: &str) -> Option<(usize, usize, EducationLevel)> {
    let lower = piece.to_lowercase();
    for (phrase, level) in DEGREES {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(phrase) {
            let start = from + pos;
            let end = start + phrase.len();
            let before_ok = start == 0 || !lower[..start].chars().next_back().is_some_and(char::is_alphanumeric);
            let after_ok = end >= lower.len() || !lower[end..].chars().next().is_some_and(|c| c.is_alphanumeric());
            if before_ok && after_ok {
                return Some((start, end, *level));
            }
            from = end;
        }
    }
    None
}

fn is_institution(piece: &str) -> bool {
    let lower = piece.to_lowercase();
    INSTITUTION_WORDS.iter().any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|t| t == *w))
        && !lower.starts_with("high school diploma")
}

/// "University of Texas at Austin, Austin, TX" → "University of Texas at Austin";
/// "University of California, Berkeley" stays whole.
fn strip_trailing_location(p: &str) -> String {
    let parts: Vec<&str> = p.split(',').map(str::trim).collect();
    for cut in 1..parts.len() {
        let tail = parts[cut..].join(", ");
        let is_place = parse_location(&tail).is_some()
            || COUNTRIES.iter().any(|c| c.eq_ignore_ascii_case(&tail))
            || US_STATES.contains(&tail.as_str());
        if is_place && parts[..cut].iter().any(|x| is_institution(x)) {
            return parts[..cut].join(", ");
        }
    }
    p.trim().to_owned()
}

fn clean_field(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches(|c: char| matches!(c, ',' | ':' | '-' | '–' | '—') || c.is_whitespace()).trim();
    let s = s.strip_prefix("in ").or_else(|| s.strip_prefix("of ")).unwrap_or(s);
    // Drop GPA/honours tails.
    let s = s.split([',', ';', '(']).next().unwrap_or("").split(" GPA").next().unwrap_or("").trim();
    (!s.is_empty() && s.chars().any(char::is_alphabetic)).then(|| s.to_owned())
}

fn parse_education(lines: &[&str]) -> Vec<EducationEntry> {
    let mut entries: Vec<EducationEntry> = Vec::new();
    let mut current = EducationEntry::default();
    let mut has_dates = false;
    let flush = |current: &mut EducationEntry, entries: &mut Vec<EducationEntry>, has_dates: &mut bool| {
        if current.institution.is_some() || current.degree.is_some() {
            entries.push(std::mem::take(current));
        }
        *has_dates = false;
    };
    for line in lines {
        let (line, _) = text::strip_bullet(line);
        let dates = text::find_dates(line);
        let stripped = remove_dates(line);
        let pieces: Vec<&str> = stripped
            .split(['|', '\t', '—', '–'])
            .flat_map(|p| p.split(" - "))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut line_inst = None;
        let mut line_degree = None;
        for p in &pieces {
            if let Some((s, e, level)) = find_degree(p)
                && line_degree.is_none()
                && !is_institution(&p[..s])
            {
                let field = clean_field(&p[e..]);
                line_degree = Some((p[s..e].trim().to_owned(), level, field));
                // "University of X, B.S. Computer Science" in one piece.
                let before = p[..s].trim().trim_end_matches(',').trim();
                if is_institution(before) && line_inst.is_none() {
                    line_inst = Some(before.to_owned());
                }
                // "Master of Science in Statistics, Northwestern University, 2015".
                if line_inst.is_none() {
                    let after: Vec<&str> = p[e..].split(',').map(str::trim).collect();
                    if let Some(k) = after.iter().position(|x| is_institution(x)) {
                        line_inst = Some(strip_trailing_location(&after[k..].join(", ")));
                    }
                }
                continue;
            }
            if is_institution(p) && line_inst.is_none() {
                line_inst = Some(strip_trailing_location(p));
            }
        }
        if (line_inst.is_some() && current.institution.is_some())
            || (line_degree.is_some() && current.degree.is_some())
            || (!dates.is_empty() && has_dates && line_inst.is_none() && line_degree.is_none())
        {
            flush(&mut current, &mut entries, &mut has_dates);
        }
        if let Some(inst) = line_inst {
            current.institution = Some(inst);
        }
        if let Some((degree, level, field)) = line_degree {
            current.degree = Some(degree);
            current.level = level;
            current.field = field;
        }
        if let Some(r) = dates.first()
            && !has_dates
        {
            match r.end {
                Some(DatePoint::Present) => current.start = r.start.partial(),
                Some(end) => {
                    current.start = r.start.partial();
                    current.end = end.partial();
                }
                None => current.end = r.start.partial(),
            }
            has_dates = true;
        }
    }
    flush(&mut current, &mut entries, &mut has_dates);
    entries
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
    fn overlapping_jobs_are_counted_once() {
        let e = |s: (i32, u8), end: Option<(i32, u8)>| ExperienceEntry {
            start: Some(PartialDate { year: s.0, month: Some(s.1) }),
            end: end.map(|(y, m)| PartialDate { year: y, month: Some(m) }),
            current: end.is_none(),
            ..ExperienceEntry::default()
        };
        let jobs = [e((2018, 1), Some((2019, 12))), e((2019, 1), Some((2020, 12))), e((2022, 1), None)];
        // 2018-01..2020-12 = 36 months, 2022-01..2024-06 (as of) = 29 → 65.
        assert_eq!(total_experience_months(&jobs, date!(2024 - 06 - 30)), 65);
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
