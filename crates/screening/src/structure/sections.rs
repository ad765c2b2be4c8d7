//! Section headings: which line starts which section, and the text split into sections.

use serde::{Deserialize, Serialize};

use crate::text;

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
    // Unpaid and academic roles are experience too: dated roles at organisations.
    ("volunteer", SectionKind::Experience),
    ("volunteering", SectionKind::Experience),
    ("volunteer experience", SectionKind::Experience),
    ("research", SectionKind::Experience),
    ("research experience", SectionKind::Experience),
    ("internships", SectionKind::Experience),
    ("internship experience", SectionKind::Experience),
    ("leadership experience", SectionKind::Experience),
    ("on campus involvement", SectionKind::Experience),
    ("campus involvement", SectionKind::Experience),
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
    if let Some((_, k)) = HEADINGS.iter().find(|(h, _)| h.replace(" and", "") == norm) {
        return Some((*k, rest));
    }
    // Combined headings ("Skills and Awards", "Education & Certifications"): the first
    // heading names the section when every word is heading vocabulary.
    let words: Vec<&str> = norm.split_whitespace().collect();
    if words.len() >= 2 && words.iter().all(|w| HEADINGS.iter().any(|(h, _)| h.split(' ').any(|x| x == *w))) {
        return HEADINGS.iter().find(|(h, _)| *h == words[0]).map(|(_, k)| (*k, rest));
    }
    None
}

pub(super) struct Section<'a> {
    pub(super) kind: SectionKind,
    pub(super) lines: Vec<&'a str>,
}

pub(super) fn split_sections(text: &str) -> Vec<Section<'_>> {
    let mut sections = vec![Section { kind: SectionKind::Header, lines: Vec::new() }];
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line == "\u{c}" {
            continue;
        }
        if let Some((kind, rest)) = heading(line) {
            let current = sections.last().map(|s| s.kind);
            // "Volunteer" right under a dated entry of a volunteer section is the role, not
            // a new section of the same kind.
            let after_dated =
                sections.last().and_then(|s| s.lines.last()).is_some_and(|l| !text::find_dates(l).is_empty());
            if rest.is_empty() && current == Some(kind) && after_dated {
                if let Some(s) = sections.last_mut() {
                    s.lines.push(line);
                }
                continue;
            }
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

/// The line without its dates (and the brackets or dashes around them).
pub(super) fn remove_dates(line: &str) -> String {
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
