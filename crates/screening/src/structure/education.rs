//! Education: institutions, degrees and the level they mean, fields of study, dates.

use serde::{Deserialize, Serialize};

use super::contact::{COUNTRIES, US_STATES, parse_location};
use super::sections::remove_dates;
use crate::text::{self, DatePoint, PartialDate};

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
    ("m.tech", EducationLevel::Master),
    ("mtech", EducationLevel::Master),
    ("m.e.", EducationLevel::Master),
    ("mphil", EducationLevel::Master),
    ("m.phil.", EducationLevel::Master),
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
    ("b.e.", EducationLevel::Bachelor),
    ("b.com", EducationLevel::Bachelor),
    ("bba", EducationLevel::Bachelor),
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
    let p = p.trim().trim_end_matches('.');
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
    // "Bachelor's of Science, Computer Science": the "of Science" belongs to the degree.
    let lower = s.to_lowercase();
    let s = ["of science", "of arts", "of engineering", "of technology", "of applied science"]
        .iter()
        .find(|d| lower.starts_with(*d) && !lower[d.len()..].trim_start().starts_with("in "))
        .map_or(s, |d| s[d.len()..].trim_start_matches([',', ' ']));
    let s = s.trim();
    // "Master of Arts, Major in Physics": the cue is no part of the field.
    let lower = s.to_lowercase();
    let s = ["major in ", "majoring in ", "major: ", "concentration in ", "specialization in "]
        .iter()
        .find(|c| lower.starts_with(*c))
        .map_or(s, |c| s[c.len()..].trim_start());
    let s = s
        .strip_prefix("in ")
        .or_else(|| s.strip_prefix("IN "))
        .or_else(|| s.strip_prefix("In "))
        .or_else(|| s.strip_prefix("of "))
        .unwrap_or(s);
    // Drop GPA/honours tails.
    let s = s.split([',', ';', '(']).next().unwrap_or("").split(" GPA").next().unwrap_or("").trim();
    (!s.is_empty() && s.chars().any(char::is_alphabetic)).then(|| s.to_owned())
}

/// Labels that introduce a date, left over once the date is removed.
fn strip_date_labels(s: &str) -> String {
    let mut out = s.to_owned();
    for label in [
        "expected graduation date",
        "expected graduation",
        "graduation date",
        "graduated",
        "graduation",
        "expected",
        "grad.",
    ] {
        let mut from = 0;
        // ASCII lower-casing keeps byte offsets, so they index `out` too.
        while let Some(i) = out.to_ascii_lowercase()[from..].find(label).map(|i| i + from) {
            let end = i + label.len();
            let word_start = !out[..i].chars().next_back().is_some_and(char::is_alphanumeric);
            let word_end = !out[end..].chars().next().is_some_and(char::is_alphanumeric);
            if !(word_start && word_end) {
                from = end;
                continue;
            }
            let end = out[end..].strip_prefix(':').map_or(end, |_| end + 1);
            out.replace_range(i..end, "");
            from = i;
        }
    }
    out.trim().trim_end_matches([',', '|', ':']).trim().to_owned()
}

/// "Major in Computer Science" / "Major: Physics" → the field.
fn major_of(p: &str) -> Option<String> {
    let lower = p.to_lowercase();
    for cue in ["major in ", "major: ", "majoring in ", "concentration in ", "specialization in "] {
        if let Some(i) = lower.find(cue) {
            return clean_field(&p[i + cue.len()..]);
        }
    }
    None
}

/// A field of study rather than a campus: subject words.
fn looks_like_field(p: &str) -> bool {
    const SUBJECTS: &[&str] = &[
        "science",
        "sciences",
        "engineering",
        "mathematics",
        "physics",
        "chemistry",
        "biology",
        "economics",
        "business",
        "administration",
        "management",
        "finance",
        "accounting",
        "law",
        "medicine",
        "nursing",
        "psychology",
        "history",
        "literature",
        "arts",
        "design",
        "architecture",
        "statistics",
        "education",
        "informatics",
        "technology",
        "communications",
        "marketing",
        "philosophy",
        "linguistics",
    ];
    let lower = p.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).any(|w| SUBJECTS.contains(&w))
}

/// Lines with a sentence wrapped onto the next ("Major in Engineering, University B, Los" /
/// "Angeles, USA."): the second line joined to the first when the first ends inside the
/// sentence (on a letter) and the second ends it, holds no date and no degree, and is no
/// bullet of its own.
fn join_wrapped(lines: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    for line in lines {
        let (t, bullet) = text::strip_bullet(line);
        if let Some(prev) = out.last_mut()
            && !bullet
            && prev.ends_with(char::is_alphabetic)
            && t.ends_with('.')
            && !t.contains('\t')
            && text::find_dates(t).is_empty()
            && find_degree(t).is_none()
        {
            prev.push(' ');
            prev.push_str(t);
            continue;
        }
        out.push((*line).to_owned());
    }
    out
}

pub(super) fn parse_education(lines: &[&str]) -> Vec<EducationEntry> {
    let mut entries: Vec<EducationEntry> = Vec::new();
    let mut current = EducationEntry::default();
    let mut has_dates = false;
    let flush = |current: &mut EducationEntry, entries: &mut Vec<EducationEntry>, has_dates: &mut bool| {
        if current.institution.is_some() || current.degree.is_some() {
            entries.push(std::mem::take(current));
        }
        *has_dates = false;
    };
    let joined = join_wrapped(lines);
    for (i, line) in joined.iter().enumerate() {
        let (line, _) = text::strip_bullet(line);
        let dates = text::find_dates(line);
        // "College of Engineering" under "Cornell University": a school within the
        // university, not another institution.
        let lower = line.to_lowercase();
        if dates.is_empty()
            && find_degree(line).is_none()
            && ["college of ", "school of ", "faculty of ", "department of "].iter().any(|p| lower.starts_with(p))
            && current.institution.as_deref().is_some_and(|i| i.to_lowercase().contains("universit"))
        {
            continue;
        }
        // "LA MARTINIERE FOR BOYS" over "Grad. May 2011 | Kolkata, India": a name line set
        // above a line of only dates and a place is the institution, whatever its words.
        if dates.is_empty()
            && line.len() <= 60
            && find_degree(line).is_none()
            && !is_institution(line)
            && major_of(line).is_none()
            && !line.contains([':', ','])
            && line.starts_with(char::is_uppercase)
            && let Some(next) = joined.get(i + 1)
            && !text::find_dates(next).is_empty()
            && find_degree(next).is_none()
        {
            let rest = strip_date_labels(&remove_dates(next));
            let rest = rest.trim_matches(|c: char| c.is_whitespace() || matches!(c, '|' | ',' | '-' | '–' | '—'));
            if !rest.is_empty() && (parse_location(rest).is_some() || super::contact::known_city(rest).is_some()) {
                if current.institution.is_some() || current.degree.is_some() {
                    flush(&mut current, &mut entries, &mut has_dates);
                }
                current.institution = Some(line.trim().to_owned());
                continue;
            }
        }
        let stripped = remove_dates(line);
        // "Expected Graduation: June 2016" leaves its label behind.
        let stripped = strip_date_labels(&stripped);
        let pieces: Vec<&str> = stripped
            .split(['|', '\t', '—', '–'])
            .flat_map(|p| p.split(" - "))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let mut line_inst = None;
        let mut line_degree = None;
        let mut line_field: Option<String> = None;
        for p in &pieces {
            if let Some((s, e, level)) = find_degree(p)
                && line_degree.is_none()
                && (!is_institution(&p[..s]) || p[..s].trim_end().ends_with(','))
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
                // "Major in Engineering, University B, Los Angeles": start at the institution;
                // "University of Pennsylvania, Computer Science": the rest may be the field.
                let parts: Vec<&str> = p.split(',').map(str::trim).collect();
                let k = parts.iter().position(|x| is_institution(x)).unwrap_or(0);
                let before = parts[..k].join(", ");
                if let Some(field) = major_of(&before) {
                    line_field.get_or_insert(field);
                }
                let mut inst = strip_trailing_location(&parts[k..].join(", "));
                // "Stanford University, Computer Science": the part after the institution
                // is its field, not part of its name.
                if k + 1 < parts.len() && inst.split(',').count() > 1 && looks_like_field(&parts[k + 1..].join(", ")) {
                    inst = parts[k].to_owned();
                }
                let inst_parts = inst.split(',').count();
                let rest = parts[k + inst_parts..].join(", ");
                if k + 1 < parts.len() && inst_parts == 1 && !rest.is_empty() && parse_location(&rest).is_none() {
                    // Keep "University of California, Berkeley" whole when the tail is a place
                    // name, not a field: a field has a capitalised subject word.
                    if looks_like_field(&rest) {
                        line_field.get_or_insert(rest);
                    }
                }
                line_inst = Some(inst);
                continue;
            }
            if let Some(field) = major_of(p) {
                line_field.get_or_insert(field);
            }
        }
        if line_field.is_some()
            && let Some(d) = line_degree.as_mut()
            && d.2.is_none()
        {
            d.2 = line_field.take();
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
            current.field = field.or(current.field.take());
        }
        if let Some(field) = line_field
            && current.field.is_none()
        {
            current.field = Some(field);
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
