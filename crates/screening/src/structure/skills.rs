//! List sections: skills (matched against the taxonomy), certifications and languages.

use std::collections::BTreeSet;

use super::sections::remove_dates;
use crate::taxonomy::{MatchContext, Taxonomy};
use crate::text;

/// Reads a Skills section: canonical names into `skills`, items the taxonomy does not know
/// (as written) into `unrecognized`.
pub(super) fn read_skills(
    lines: &[&str],
    taxonomy: &Taxonomy,
    skills: &mut BTreeSet<String>,
    unrecognized: &mut BTreeSet<String>,
) {
    for item in list_items(lines) {
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

/// Reads a Certifications section: one per line, dates removed.
pub(super) fn read_certifications(lines: &[&str], certifications: &mut Vec<String>) {
    for l in lines {
        let (l, _) = text::strip_bullet(l);
        let cleaned = remove_dates(l);
        if !cleaned.is_empty() {
            certifications.push(cleaned);
        }
    }
}

/// Human languages a resume may list (English names), for lines that mention languages
/// outside a Languages section ("Languages: English (fluent), Turkish (native)",
/// "Fluent in Spanish", "grew up bilingual (English and Klingon)").
const LANGUAGE_NAMES: &[&str] = &[
    "English",
    "Spanish",
    "French",
    "German",
    "Italian",
    "Portuguese",
    "Dutch",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Icelandic",
    "Polish",
    "Czech",
    "Slovak",
    "Hungarian",
    "Romanian",
    "Bulgarian",
    "Greek",
    "Russian",
    "Ukrainian",
    "Belarusian",
    "Serbian",
    "Croatian",
    "Bosnian",
    "Slovenian",
    "Albanian",
    "Macedonian",
    "Lithuanian",
    "Latvian",
    "Estonian",
    "Turkish",
    "Arabic",
    "Hebrew",
    "Persian",
    "Farsi",
    "Kurdish",
    "Armenian",
    "Georgian",
    "Azerbaijani",
    "Kazakh",
    "Uzbek",
    "Hindi",
    "Urdu",
    "Bengali",
    "Punjabi",
    "Marathi",
    "Gujarati",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Nepali",
    "Sinhala",
    "Mandarin",
    "Cantonese",
    "Chinese",
    "Japanese",
    "Korean",
    "Vietnamese",
    "Thai",
    "Malay",
    "Indonesian",
    "Tagalog",
    "Filipino",
    "Burmese",
    "Khmer",
    "Swahili",
    "Amharic",
    "Yoruba",
    "Igbo",
    "Hausa",
    "Zulu",
    "Xhosa",
    "Afrikaans",
    "Somali",
    "Catalan",
    "Basque",
    "Galician",
    "Irish",
    "Welsh",
    "Latin",
    "Esperanto",
    "Klingon",
    "Maltese",
    "Luxembourgish",
    "Mongolian",
    "Tibetan",
    "Pashto",
    "Tamazight",
    "American Sign Language",
    "British Sign Language",
];

/// Words that say a line is about spoken languages.
const LANGUAGE_CUES: &[&str] = &[
    "language",
    "languages",
    "bilingual",
    "trilingual",
    "multilingual",
    "fluent",
    "native",
    "mother tongue",
    "spoken",
];

/// Known language names in a line, in order.
fn languages_in(line: &str) -> Vec<&'static str> {
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for name in LANGUAGE_NAMES {
        let mut from = 0;
        while let Some(i) = line[from..].find(name) {
            let at = from + i;
            let end = at + name.len();
            let before = line[..at].chars().next_back().is_some_and(char::is_alphanumeric);
            let after = line[end..].chars().next().is_some_and(char::is_alphanumeric);
            if !before && !after {
                found.push((at, name));
                break;
            }
            from = end;
        }
    }
    found.sort_unstable();
    found.into_iter().map(|(_, n)| n).collect()
}

/// Products named after a shared vendor: "Adobe Photoshop and Illustrator", "Microsoft Word,
/// PowerPoint, and Excel" also name "Adobe Illustrator", "Microsoft Excel".
pub(super) fn vendor_products(text: &str, taxonomy: &Taxonomy, skills: &mut BTreeSet<String>) {
    const VENDORS: &[&str] =
        &["Adobe", "Microsoft", "Google", "Amazon", "AWS", "Apple", "Autodesk", "Oracle", "IBM", "Azure"];
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        // A list wrapped after "and" or a comma ("Adobe Photoshop and" / "Illustrator, ...")
        // goes on on the next line.
        let wrapped = raw.trim_end();
        let joined;
        let line: &str = if (wrapped.ends_with(" and") || wrapped.ends_with(','))
            && VENDORS.iter().any(|v| wrapped.contains(v))
            && let Some(next) = lines.get(i + 1)
        {
            joined = format!("{wrapped} {}", next.trim());
            &joined
        } else {
            raw
        };
        for vendor in VENDORS {
            let mut from = 0;
            while let Some(i) = line[from..].find(vendor) {
                let at = from + i;
                from = at + vendor.len();
                if line[..at].chars().next_back().is_some_and(char::is_alphanumeric) {
                    continue;
                }
                // The list after the vendor, up to the end of the phrase.
                let tail = &line[from..];
                let end = tail.find(['.', ';', '(', ')', ':', '\t']).unwrap_or(tail.len());
                let items: Vec<&str> = tail[..end]
                    .split([',', '&', '/'])
                    .flat_map(|p| p.split(" and "))
                    .map(|p| p.trim().trim_start_matches("and ").trim())
                    .filter(|p| !p.is_empty())
                    .take(5)
                    .collect();
                for item in items {
                    if item.split_whitespace().count() > 3 || !item.starts_with(char::is_uppercase) {
                        break;
                    }
                    if let Some(c) = taxonomy.canonical_name(&format!("{vendor} {item}")) {
                        skills.insert(c.to_owned());
                    }
                }
            }
        }
    }
}

/// Languages named on lines that talk about languages, anywhere in the text; a sentence that
/// wraps ("bilingual (English and" / "Klingon).") is read with its next line.
pub(super) fn languages_from_text(text: &str, languages: &mut Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let lower = line.to_lowercase();
        if !LANGUAGE_CUES.iter().any(|c| lower.contains(c)) {
            continue;
        }
        let mut scope = (*line).to_owned();
        if !line.trim_end().ends_with(['.', ')'])
            && !lower.contains(':')
            && let Some(next) = lines.get(i + 1)
        {
            scope.push(' ');
            scope.push_str(next);
        }
        for name in languages_in(&scope) {
            if !languages.iter().any(|l| l.eq_ignore_ascii_case(name)) {
                languages.push(name.to_owned());
            }
        }
    }
}

/// Reads a Languages section: the language names, without levels ("Spanish (professional)").
pub(super) fn read_languages(lines: &[&str], languages: &mut Vec<String>) {
    for item in list_items(lines) {
        let known = languages_in(&item);
        if !known.is_empty() {
            for k in known {
                if !languages.iter().any(|l| l == k) {
                    languages.push(k.to_owned());
                }
            }
            continue;
        }
        let name = item.split(['(', '-', '–', ':']).next().unwrap_or("").trim().to_owned();
        if !name.is_empty() && name.split_whitespace().count() <= 3 && !languages.contains(&name) {
            languages.push(name);
        }
    }
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
