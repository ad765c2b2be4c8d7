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

/// Reads a Languages section: the language names, without levels ("Spanish (professional)").
pub(super) fn read_languages(lines: &[&str], languages: &mut Vec<String>) {
    for item in list_items(lines) {
        let name = item.split(['(', '-', '–', ':']).next().unwrap_or("").trim().to_owned();
        if !name.is_empty() && name.split_whitespace().count() <= 3 {
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
