//! Anonymization: the profile and text scoring is allowed to see, without identity, contact
//! details or protected attributes and their proxies; records what was removed, never values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::structure::{self, EducationLevel, Location, ParsedResume, SectionKind};
use crate::text::{match_case, replace_words};

/// What kind of information was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedactionCategory {
    Name,
    Email,
    Phone,
    StreetAddress,
    /// Full location reduced to city/region/country.
    LocationCoarsened,
    Link,
    /// Embedded images (possible photos): never passed on.
    Photo,
    Pronoun,
    GenderedTitle,
    /// Gendered role nouns and gendered organisations ("chairman", "sorority").
    GenderedTerm,
    /// Birth dates, stated ages.
    Age,
    /// Graduation and other education years (age proxy); degree and field are kept.
    EducationYear,
    /// Absolute employment dates reduced to durations (age proxy).
    EmploymentDates,
    Nationality,
    MaritalStatus,
    Religion,
    /// Names of schools and employers: proxies for gender, race, religion and age.
    OrganizationName,
}

impl RedactionCategory {
    pub const ALL: [RedactionCategory; 17] = [
        RedactionCategory::Name,
        RedactionCategory::Email,
        RedactionCategory::Phone,
        RedactionCategory::StreetAddress,
        RedactionCategory::LocationCoarsened,
        RedactionCategory::Link,
        RedactionCategory::Photo,
        RedactionCategory::Pronoun,
        RedactionCategory::GenderedTitle,
        RedactionCategory::GenderedTerm,
        RedactionCategory::Age,
        RedactionCategory::EducationYear,
        RedactionCategory::EmploymentDates,
        RedactionCategory::Nationality,
        RedactionCategory::MaritalStatus,
        RedactionCategory::Religion,
        RedactionCategory::OrganizationName,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redaction {
    pub category: RedactionCategory,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnonymizedExperience {
    pub title: Option<String>,
    /// Length of the job in months (dates themselves are removed).
    pub months: u32,
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnonymizedEducation {
    pub level: EducationLevel,
    pub degree: Option<String>,
    pub field: Option<String>,
}

/// What scoring sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnonymizedProfile {
    pub parser_version: String,
    pub parse_confidence: f64,
    pub summary: Option<String>,
    pub experience: Vec<AnonymizedExperience>,
    pub total_experience_years: f64,
    pub education: Vec<AnonymizedEducation>,
    pub highest_education: EducationLevel,
    pub skills: Vec<String>,
    pub certifications: Vec<String>,
    pub languages: Vec<String>,
    /// Coarse location (city/region/country or remote), used only by the location criterion.
    pub location: Option<Location>,
    /// The resume text with everything above removed.
    pub text: String,
    /// Categories removed, with counts, sorted by category. Never the values.
    pub redactions: Vec<Redaction>,
}

type Counts = BTreeMap<RedactionCategory, u32>;

fn bump(counts: &mut Counts, cat: RedactionCategory, n: usize) {
    if n > 0 {
        *counts.entry(cat).or_insert(0) += u32::try_from(n).unwrap_or(u32::MAX);
    }
}

const PRONOUNS: &[(&str, &str)] = &[
    ("he", "they"),
    ("she", "they"),
    ("him", "them"),
    ("his", "their"),
    ("her", "their"),
    ("hers", "theirs"),
    ("himself", "themselves"),
    ("herself", "themselves"),
];

const TITLES: &[&str] = &["mr", "mrs", "ms", "miss", "mx", "sir", "madam", "mister", "madame"];

const GENDERED_TERMS: &[(&str, &str)] = &[
    ("chairman", "chair"),
    ("chairwoman", "chair"),
    ("salesman", "salesperson"),
    ("saleswoman", "salesperson"),
    ("spokesman", "spokesperson"),
    ("spokeswoman", "spokesperson"),
    ("businessman", "businessperson"),
    ("businesswoman", "businessperson"),
    ("foreman", "supervisor"),
    ("forewoman", "supervisor"),
    ("waitress", "server"),
    ("waiter", "server"),
    ("actress", "actor"),
    ("stewardess", "flight attendant"),
    ("headmistress", "head teacher"),
    ("headmaster", "head teacher"),
    ("sorority", "student society"),
    ("fraternity", "student society"),
    ("sororities", "student societies"),
    ("fraternities", "student societies"),
];

const MARITAL: &[&str] =
    &["married", "divorced", "widowed", "widow", "widower", "spouse", "husband", "wife", "fiancé", "fiancée"];

const RELIGION: &[&str] = &[
    "christian",
    "catholic",
    "protestant",
    "muslim",
    "islamic",
    "jewish",
    "hindu",
    "buddhist",
    "sikh",
    "mormon",
    "atheist",
    "church",
    "mosque",
    "synagogue",
    "parish",
    "religious",
];

/// Labelled lines whose value is removed whole: (label, category).
const LABELS: &[(&str, RedactionCategory)] = &[
    ("date of birth", RedactionCategory::Age),
    ("birth date", RedactionCategory::Age),
    ("birthdate", RedactionCategory::Age),
    ("dob", RedactionCategory::Age),
    ("born", RedactionCategory::Age),
    ("age", RedactionCategory::Age),
    ("nationality", RedactionCategory::Nationality),
    ("citizenship", RedactionCategory::Nationality),
    ("place of birth", RedactionCategory::Nationality),
    ("marital status", RedactionCategory::MaritalStatus),
    ("family status", RedactionCategory::MaritalStatus),
    ("religion", RedactionCategory::Religion),
    ("faith", RedactionCategory::Religion),
    ("gender", RedactionCategory::GenderedTerm),
    ("sex", RedactionCategory::GenderedTerm),
];

/// Personal identifiers found by the parser, removed wherever they appear.
struct Identifiers {
    name_words: Vec<String>,
    /// Profile handles ("posquit0", "johnyD"), lower case, removed as whole words.
    handles: Vec<String>,
    literals: Vec<(String, RedactionCategory, &'static str)>,
}

/// Networks whose profile names resumes write as "GitHub: name", "LinkedIn: /in/name",
/// "Twitter:// @name" or a bare domain path.
const NETWORKS: &[&str] = &[
    "github",
    "gitlab",
    "bitbucket",
    "linkedin",
    "twitter",
    "instagram",
    "facebook",
    "youtube",
    "quora",
    "medium",
    "stackoverflow",
    "stack overflow",
    "soundcloud",
    "behance",
    "dribbble",
    "telegram",
    "skype",
    "kaggle",
    "leetcode",
    "mastodon",
    "codepen",
    "hackerrank",
    "orcid",
    "researchgate",
    "tiktok",
    "threads",
    "bluesky",
    "discord",
    "reddit",
    "twitch",
    "substack",
];

const URL_MARKERS: &[&str] = &[
    "linkedin.com/",
    "github.com/",
    "gitlab.com/",
    "behance.net/",
    "dribbble.com/",
    "twitter.com/",
    "x.com/",
    "medium.com/",
    "instagram.com/",
    "facebook.com/",
    "youtube.com/",
    "stackoverflow.com/",
    "kaggle.com/",
    "fb.co/",
    "bitbucket.org/",
];

/// Profile names a resume gives: after a network label, after an @, or as the last part of
/// a profile URL.
fn find_handles(raw_text: &str, links: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |h: &str| {
        let h = h.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_'));
        if h.chars().count() >= 3 && h.chars().any(char::is_alphanumeric) && !out.iter().any(|o| o == h) {
            out.push(h.to_owned());
        }
    };
    let handle_chars = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    // Only lines that can hold a handle are read closely: find them with one pass over the
    // whole text per marker (per-line searches were most of anonymize's time).
    let lower_all = raw_text.to_ascii_lowercase();
    let starts: Vec<usize> = std::iter::once(0).chain(raw_text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let mut wanted = vec![false; starts.len()];
    let mut mark = |pos: usize| {
        let line = starts.partition_point(|s| *s <= pos).saturating_sub(1);
        wanted[line] = true;
    };
    for needle in NETWORKS.iter().chain(URL_MARKERS) {
        lower_all.match_indices(needle).for_each(|(i, _)| mark(i));
    }
    raw_text.match_indices('@').for_each(|(i, _)| mark(i));
    raw_text.char_indices().filter(|(_, c)| matches!(c, '\u{E000}'..='\u{F8FF}')).for_each(|(i, _)| mark(i));
    for (n, line) in raw_text.split('\n').enumerate() {
        if !wanted.get(n).copied().unwrap_or(false) {
            continue;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let lower = line.to_ascii_lowercase();
        // "GitHub: name", "LinkedIn:// in/name", "Twitter - @name".
        for net in NETWORKS {
            let mut from = 0;
            while let Some(i) = lower[from..].find(net) {
                let at = from + i;
                let end = at + net.len();
                from = end;
                let before_ok = !lower[..at].chars().next_back().is_some_and(char::is_alphanumeric);
                if !before_ok || !lower.is_char_boundary(end) {
                    continue;
                }
                let rest = &line[end..];
                let trimmed =
                    rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '/' | '-' | '@' | '|'));
                if trimmed.len() == rest.len() || !rest.trim_start().starts_with([':', '/', '@', '-']) {
                    // "LinkedIn posquit0", "GITHUB-SQUARE johnyD" (an icon's name, then the
                    // handle): a following token that reads as a handle, not as a word.
                    let after_label = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '-');
                    let token: String = after_label.trim_start().chars().take_while(|c| handle_chars(*c)).collect();
                    let handle_like = token.starts_with(|c: char| c.is_lowercase())
                        || token.chars().any(|c| c.is_ascii_digit() || c == '_');
                    if after_label.starts_with(char::is_whitespace) && handle_like {
                        push(&token);
                    }
                    continue;
                }
                let trimmed = trimmed.strip_prefix("in/").unwrap_or(trimmed);
                let h: String = trimmed.chars().take_while(|c| handle_chars(*c)).collect();
                push(&h);
            }
        }
        // An icon-font glyph (Private Use Area) then a handle-like token: "<twitter icon> jdoe".
        for (i, c) in line.char_indices() {
            if !matches!(c, '\u{E000}'..='\u{F8FF}') {
                continue;
            }
            let rest = line[i + c.len_utf8()..].trim_start();
            let token: String = rest.chars().take_while(|c| handle_chars(*c) || *c == '@').collect();
            let token = token.trim_start_matches('@');
            let ends_token = rest[token.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '@');
            let handle_like =
                token.starts_with(|c: char| c.is_lowercase()) || token.chars().any(|c| c.is_ascii_digit() || c == '_');
            if ends_token
                && handle_like
                && !token.contains('.')
                && token.chars().filter(char::is_ascii_digit).count() < 5
            {
                push(token);
            }
        }
        // "@name" that is not part of an email address.
        for (i, _) in line.match_indices('@') {
            let before = line[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '.') {
                continue;
            }
            let h: String = line[i + 1..].chars().take_while(|c| handle_chars(*c)).collect();
            push(&h);
        }
        // "github.com/name", "linkedin.com/in/name" with or without a scheme.
        for m in URL_MARKERS {
            for (i, _) in lower.match_indices(m) {
                let rest = &line[i + m.len()..];
                let rest = rest.strip_prefix("in/").or_else(|| rest.strip_prefix("user/")).unwrap_or(rest);
                let h: String = rest.chars().take_while(|c| handle_chars(*c)).collect();
                push(&h);
            }
        }
    }
    for l in links {
        let lower = l.to_ascii_lowercase();
        for m in URL_MARKERS {
            if let Some(i) = lower.find(m) {
                let rest = &l[i + m.len()..];
                let rest = rest.strip_prefix("in/").unwrap_or(rest);
                push(rest.split('/').next().unwrap_or(""));
            }
        }
    }
    out
}

fn identifiers(parsed: &ParsedResume, raw_text: &str) -> Identifiers {
    let name_words = parsed
        .contact
        .name
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(|w| w.trim_end_matches('.').to_lowercase())
        .filter(|w| w.chars().count() >= 2)
        .collect();
    let mut literals = Vec::new();
    if let Some(a) = &parsed.contact.street_address {
        literals.push((a.clone(), RedactionCategory::StreetAddress, "[address]"));
    }
    for phone in structure::find_phones(raw_text) {
        literals.push((phone, RedactionCategory::Phone, "[phone]"));
    }
    // Longest first, so a phone inside an address is not half-replaced.
    literals.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    literals.dedup_by(|a, b| a.0 == b.0);
    let found = find_handles(raw_text, &parsed.contact.links);
    // Handles with dots or dashes ("john.doe") are replaced as they are written; plain ones
    // as whole words in any case.
    for h in found.iter().filter(|h| h.contains(|c: char| !c.is_alphanumeric())) {
        literals.push((h.clone(), RedactionCategory::Link, "[handle]"));
    }
    literals.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    literals.dedup_by(|a, b| a.0 == b.0);
    let mut handles: Vec<String> = found.iter().map(|h| h.to_lowercase()).collect();
    handles.dedup();
    Identifiers { name_words, handles, literals }
}

/// Removes identity and protected attributes from free text. `in_education` marks text from
/// the education section, whose years are removed.
fn redact_text(text: &str, ids: &Identifiers, counts: &mut Counts) -> String {
    let mut out = String::with_capacity(text.len());
    let mut section = SectionKind::Header;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if let Some((kind, _)) = structure::heading(body.trim()) {
            section = kind;
        }
        let redacted = redact_line(body, ids, section, counts);
        // The header and contact block (name, headline, contact details, handles) goes
        // whole: short lines there are identity or contact, and when extraction ran the name
        // into the headline we cannot cut it out reliably. Prose (a summary placed above the
        // first heading) stays, redacted.
        let marked =
            ["[name]", "[email]", "[phone]", "[link]", "[handle]", "[address]"].iter().any(|m| redacted.contains(m));
        if section == SectionKind::Header && (marked || redacted.split_whitespace().count() < 8) {
            if line.ends_with('\n') && !out.is_empty() {
                out.push('\n');
            }
            continue;
        }
        out.push_str(&redacted);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn redact_line(line: &str, ids: &Identifiers, section: SectionKind, counts: &mut Counts) -> String {
    let mut s = line.to_owned();
    for (lit, cat, repl) in &ids.literals {
        let n = s.matches(lit.as_str()).count();
        if n > 0 {
            s = s.replace(lit.as_str(), repl);
            bump(counts, *cat, n);
        }
    }
    // Labelled personal details: "Date of birth: 02/03/1980", "Nationality: X".
    let lower = s.trim_start().to_lowercase();
    for (label, cat) in LABELS {
        if let Some(rest) = lower.strip_prefix(label) {
            let rest = rest.trim_start();
            if rest.starts_with(':') || rest.starts_with('-') || (*label == "born" && !rest.is_empty()) {
                bump(counts, *cat, 1);
                return format!("{}: [redacted]", &s.trim_start()[..label.len()]);
            }
        }
    }
    // Tokens: emails and links, whatever separates them (spaces, tabs, icon glyphs).
    let mut rebuilt = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while !rest.is_empty() {
        let ws = rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len());
        rebuilt.push_str(&rest[..ws]);
        rest = &rest[ws..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let tok = &rest[..end];
        rest = &rest[end..];
        // The core: icons, brackets and punctuation around it are not part of the address.
        let core = tok.trim_matches(|c: char| !(c.is_alphanumeric() || matches!(c, '@' | '/' | '_' | '~' | '+')));
        if core.is_empty() {
            rebuilt.push_str(tok);
            continue;
        }
        let lower = core.to_ascii_lowercase();
        let bare = lower.trim_start_matches("mailto:");
        let email_at = bare.find('@').map(|i| core.len() - bare.len() + i);
        let is_mail = structure::is_email(bare.trim_end_matches('.'))
            || email_at.is_some_and(|i| {
                // "name@host.org" glued to other text: take the address around the @.
                let l = core[..i]
                    .rsplit(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')))
                    .next()
                    .unwrap_or("");
                let r = core[i + 1..]
                    .split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-')))
                    .next()
                    .unwrap_or("");
                !l.is_empty() && r.contains('.')
            });
        if is_mail {
            rebuilt.push_str(&tok.replace(core, "[email]"));
            bump(counts, RedactionCategory::Email, 1);
        } else if lower.starts_with("http://")
            || lower.starts_with("https://")
            || lower.starts_with("www.")
            || URL_MARKERS.iter().any(|d| lower.contains(d))
            || (looks_like_domain(&lower) && crate::taxonomy::Taxonomy::global().canonical_name(core).is_none())
        {
            rebuilt.push_str(&tok.replace(core, "[link]"));
            bump(counts, RedactionCategory::Link, 1);
        } else {
            rebuilt.push_str(tok);
        }
    }
    let s = rebuilt;

    // Word-level replacements in one pass; `prev` lets "age 34" and "34 years old" go.
    let words: Vec<&str> =
        s.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).collect();
    let mut idx = 0usize;
    let (s, _) = replace_words(&s, |w| {
        let i = idx;
        idx += 1;
        let lw = w.to_lowercase();
        let prev = i.checked_sub(1).and_then(|p| words.get(p)).map(|p| p.to_lowercase());
        let next = words.get(i + 1).map(|n| n.to_lowercase());
        let possessive = lw.strip_suffix("'s").or_else(|| lw.strip_suffix("’s"));
        if ids.name_words.contains(&lw) || possessive.is_some_and(|b| ids.name_words.iter().any(|n| n == b)) {
            bump(counts, RedactionCategory::Name, 1);
            return Some("[name]".to_owned());
        }
        if ids.handles.contains(&lw) {
            bump(counts, RedactionCategory::Link, 1);
            return Some("[handle]".to_owned());
        }
        if TITLES.contains(&lw.as_str())
            && next
                .as_ref()
                .is_some_and(|n| n == "[name]" || words.get(i + 1).is_some_and(|n| n.starts_with(char::is_uppercase)))
        {
            bump(counts, RedactionCategory::GenderedTitle, 1);
            return Some(String::new());
        }
        if let Some((_, r)) = PRONOUNS.iter().find(|(p, _)| *p == lw) {
            bump(counts, RedactionCategory::Pronoun, 1);
            return Some(match_case(r, w));
        }
        if let Some((_, r)) = GENDERED_TERMS.iter().find(|(p, _)| *p == lw) {
            bump(counts, RedactionCategory::GenderedTerm, 1);
            return Some(match_case(r, w));
        }
        if MARITAL.contains(&lw.as_str()) {
            bump(counts, RedactionCategory::MaritalStatus, 1);
            return Some("[redacted]".to_owned());
        }
        if RELIGION.contains(&lw.as_str()) {
            bump(counts, RedactionCategory::Religion, 1);
            return Some("[redacted]".to_owned());
        }
        let is_number = w.chars().all(|c| c.is_ascii_digit()) && (1..=3).contains(&w.len());
        if is_number
            && (prev.as_deref() == Some("age")
                || (next.as_deref() == Some("years")
                    && words.get(i + 2).is_some_and(|o| o.eq_ignore_ascii_case("old"))))
        {
            bump(counts, RedactionCategory::Age, 1);
            return Some("[age]".to_owned());
        }
        // Every year goes: graduation and job years are age proxies; durations are kept in
        // the structured profile.
        let is_year =
            w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()) && (w.starts_with("19") || w.starts_with("20"));
        if is_year {
            let cat = match section {
                SectionKind::Education => RedactionCategory::EducationYear,
                SectionKind::Experience => RedactionCategory::EmploymentDates,
                _ => RedactionCategory::Age,
            };
            bump(counts, cat, 1);
            return Some("[year]".to_owned());
        }
        None
    });
    // Removing a title can leave a double space.
    s.replace("  [name]", " [name]").replace(" .", ".")
}

/// "johndoe.com", "stuxf.dev", "name.github.io/x": a personal site without a scheme.
fn looks_like_domain(lower: &str) -> bool {
    const TLDS: &[&str] = &[
        "com", "org", "net", "dev", "io", "me", "app", "site", "xyz", "info", "blog", "page", "tech", "ai", "co", "in",
        "de", "uk", "fr", "nl", "ca", "au", "edu", "us", "eu", "ch", "se", "no", "es", "it", "pl", "kr", "jp", "cn",
        "br",
    ];
    let host = lower.split('/').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels[labels.len() - 1].chars().all(|c| c.is_ascii_alphabetic())
        && TLDS.contains(&labels[labels.len() - 1])
        // "Node.js", "ES.Next" and file names are not sites.
        && !matches!(labels[labels.len() - 1], "js" | "net" if labels.len() == 2 && labels[0].len() <= 4)
}

fn redact_short(text: &str, ids: &Identifiers, counts: &mut Counts) -> String {
    redact_line(text, ids, SectionKind::Other, counts)
}

/// Builds the anonymized profile from a parsed resume and the text it was parsed from.
pub fn anonymize(parsed: &ParsedResume, raw_text: &str) -> AnonymizedProfile {
    let ids = identifiers(parsed, raw_text);
    let mut counts = Counts::new();
    let text = redact_text(raw_text, &ids, &mut counts);
    // Structured fields are redacted with a separate tally: the same facts appear in the text.
    let mut field_counts = Counts::new();
    let summary = parsed.summary.as_deref().map(|s| redact_short(s, &ids, &mut field_counts));
    let mut dated = 0;
    let mut organisations = 0;
    let experience: Vec<AnonymizedExperience> = parsed
        .experience
        .iter()
        .map(|e| {
            dated += usize::from(e.start.is_some());
            organisations += usize::from(e.company.is_some());
            let months = structure::total_experience_months(std::slice::from_ref(e), parsed.as_of);
            AnonymizedExperience {
                title: e.title.as_deref().map(|t| redact_short(t, &ids, &mut field_counts)),
                months,
                current: e.current,
            }
        })
        .collect();
    let education: Vec<AnonymizedEducation> = parsed
        .education
        .iter()
        .map(|e| {
            organisations += usize::from(e.institution.is_some());
            AnonymizedEducation { level: e.level, degree: e.degree.clone(), field: e.field.clone() }
        })
        .collect();
    bump(&mut counts, RedactionCategory::EmploymentDates, dated);
    bump(&mut counts, RedactionCategory::OrganizationName, organisations);
    bump(&mut counts, RedactionCategory::Photo, parsed.document.image_count as usize);
    let location = parsed.contact.location.clone();
    if parsed.contact.street_address.is_some() {
        bump(&mut counts, RedactionCategory::LocationCoarsened, 1);
    }
    let certifications = parsed.certifications.iter().map(|c| redact_short(c, &ids, &mut field_counts)).collect();
    let highest_education = education.iter().map(|e| e.level).max().unwrap_or(EducationLevel::None);
    let text = remove_organisations(&text, parsed, &mut counts);
    AnonymizedProfile {
        parser_version: parsed.parser_version.clone(),
        parse_confidence: parsed.confidence,
        summary,
        experience,
        total_experience_years: parsed.total_experience_years,
        education,
        highest_education,
        skills: parsed.skills.clone(),
        certifications,
        languages: parsed.languages.clone(),
        location,
        text,
        redactions: counts.into_iter().map(|(category, count)| Redaction { category, count }).collect(),
    }
}

/// Employer and school names out of the text too (counted once above, per entry).
fn remove_organisations(text: &str, parsed: &ParsedResume, _counts: &mut Counts) -> String {
    let mut names: Vec<&str> = parsed
        .experience
        .iter()
        .filter_map(|e| e.company.as_deref())
        .chain(parsed.education.iter().filter_map(|e| e.institution.as_deref()))
        .filter(|n| n.len() >= 3)
        .collect();
    names.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let mut out = text.to_owned();
    for n in names {
        out = out.replace(n, "[organization]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::parse_text_at;
    use time::macros::date;

    const RESUME: &str = "Ms. Maria Gonzalez
42 Elm Street, Springfield, IL 62704 | maria.g@example.org | +1 217 555 0199
https://github.com/mariag
Date of birth: 12/03/1979
Nationality: Mexican
Marital status: Married

SUMMARY
She is a chairwoman of the local sorority alumni board; age 45. Her work ships.

EXPERIENCE
Senior Data Analyst | Initech | Feb 2015 – Present
- Built dashboards in Tableau and SQL

EDUCATION
Spelman College
B.A. in Economics, 2001
";

    fn profile() -> AnonymizedProfile {
        let p = parse_text_at(RESUME, date!(2025 - 01 - 01));
        anonymize(&p, &p.text)
    }

    #[test]
    fn anonymized_text_has_no_identity_or_protected_values() {
        let a = profile();
        let t = a.text.to_lowercase();
        for banned in [
            "maria",
            "gonzalez",
            "ms.",
            "42 elm",
            "example.org",
            "555",
            "github",
            "1979",
            "mexican",
            "married",
            "she ",
            "her ",
            "chairwoman",
            "sorority",
            "45",
            "2001",
            "spelman",
            "initech",
        ] {
            assert!(!t.contains(banned), "{banned:?} left in:\n{}", a.text);
        }
        assert!(t.contains("b.a. in economics"));
        assert!(t.contains("they is a chair"), "{}", a.text);
    }

    #[test]
    fn redactions_are_recorded_by_category_without_values() {
        let a = profile();
        let cats: Vec<RedactionCategory> = a.redactions.iter().map(|r| r.category).collect();
        for c in [
            RedactionCategory::Name,
            RedactionCategory::Email,
            RedactionCategory::Phone,
            RedactionCategory::StreetAddress,
            RedactionCategory::LocationCoarsened,
            RedactionCategory::Link,
            RedactionCategory::Pronoun,
            RedactionCategory::GenderedTitle,
            RedactionCategory::GenderedTerm,
            RedactionCategory::Age,
            RedactionCategory::EducationYear,
            RedactionCategory::Nationality,
            RedactionCategory::MaritalStatus,
            RedactionCategory::OrganizationName,
        ] {
            assert!(cats.contains(&c), "{c:?} missing from {cats:?}");
        }
        let json = serde_json::to_string(&a.redactions).unwrap();
        assert!(!json.contains("Maria"));
    }

    #[test]
    fn degree_and_field_are_kept_but_years_dropped() {
        let a = profile();
        assert_eq!(a.education.len(), 1);
        assert_eq!(a.education[0].level, EducationLevel::Bachelor);
        assert_eq!(a.education[0].field.as_deref(), Some("Economics"));
        let loc = a.location.clone().unwrap();
        assert_eq!(loc.city.as_deref(), Some("Springfield"));
        assert_eq!(a.experience[0].months, 119);
        let json = serde_json::to_string(&a).unwrap();
        assert!(!json.contains("2015"), "{json}");
    }
}
