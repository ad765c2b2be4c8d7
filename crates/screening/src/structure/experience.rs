//! Work experience: entries anchored on their date ranges, and the months they cover.

use serde::{Deserialize, Serialize};

use super::contact::{known_city, parse_location};
use crate::text::{self, DatePoint, FoundRange, PartialDate, YearMonth};

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
    "trainee",
    "apprentice",
    "member",
    "volunteer",
    "coach",
    "contributor",
    "leader",
    "maintainer",
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

/// A lone date in the last tab cell of a short, non-bullet line ("Software Engineer Intern
/// <tab> Summer 2022"): a job of that season or month.
fn lone_date_cell(line: &str) -> Option<FoundRange> {
    let (head, cell) = line.rsplit_once('\t')?;
    let (_, bullet) = text::strip_bullet(line);
    if bullet || head.trim().is_empty() || head.len() > 80 {
        return None;
    }
    let dates = text::find_dates(cell);
    let [d] = dates.as_slice() else { return None };
    let offset = line.len() - cell.len();
    let covers = cell.trim().len() <= (d.span.1 - d.span.0) + 8;
    covers.then_some(FoundRange { start: d.start, end: Some(d.start), span: (d.span.0 + offset, d.span.1 + offset) })
}

/// Dates closing a short, non-bullet line that names a place or a role ("YMCA, Pomona, CA
/// Summer 2013, 2014"): a job of those seasons or years, from the first to the last.
fn trailing_dates(line: &str) -> Option<FoundRange> {
    let (_, bullet) = text::strip_bullet(line);
    if bullet || line.len() > 80 || line.ends_with('.') {
        return None;
    }
    let dates = text::find_dates(line);
    let (first, last) = (dates.first()?, dates.last()?);
    let head = line[..first.span.0].trim_end_matches([' ', ',', '|', '-', '–', '—', '(']);
    // "Summer 2013": the season belongs to the date.
    let head = match head.rsplit_once(' ') {
        Some((h, season))
            if ["spring", "summer", "fall", "autumn", "winter"].contains(&season.to_ascii_lowercase().as_str()) =>
        {
            h.trim_end_matches([' ', ',', '|', '-', '–', '—', '('])
        }
        _ => head,
    };
    let tail = line[last.span.1..].trim_matches(|c: char| c.is_whitespace() || matches!(c, ')' | ',' | '.'));
    let between_ok = dates
        .windows(2)
        .all(|w| line[w[0].span.1..w[1].span.0].chars().all(|c| c.is_whitespace() || matches!(c, ',' | '&' | '/')));
    if head.split_whitespace().count() < 2 || !tail.is_empty() || !between_ok {
        return None;
    }
    let names_place = entry_pieces(head).iter().any(|p| parse_location(p).is_some());
    (names_place || has_title_word(head)).then(|| FoundRange {
        start: first.start,
        end: Some(last.end.unwrap_or(last.start)),
        span: (head.len(), last.span.1),
    })
}

/// The date range of an anchor line, if it is one.
fn anchor_range(line: &str) -> Option<FoundRange> {
    text::find_dates(line).into_iter().find(is_range).or_else(|| lone_date_cell(line)).or_else(|| trailing_dates(line))
}

pub(super) fn parse_experience(lines: &[&str]) -> Vec<ExperienceEntry> {
    let anchors: Vec<usize> = (0..lines.len()).filter(|&i| anchor_range(lines[i]).is_some()).collect();
    let mut entries = Vec::new();
    let mut consumed_until = 0; // lines before this index belong to earlier entries
    for (n, &a) in anchors.iter().enumerate() {
        let next_anchor = anchors.get(n + 1).copied().unwrap_or(lines.len());
        let Some(range) = anchor_range(lines[a]) else {
            continue;
        };
        let mut header = Vec::new();
        // Up to two short, non-bullet lines right above the anchor; a line that continues the
        // previous entry's last bullet ("Jade, Stylus and Require and Scala") is not one.
        let mut k = a;
        while k > consumed_until && a - k < 2 {
            let prev = lines[k - 1];
            let (_, bullet) = text::strip_bullet(prev);
            // A line starting in lower case goes on with the sentence above it.
            if bullet || prev.len() > 90 || prev.ends_with('.') || prev.starts_with(char::is_lowercase) {
                break;
            }
            let after_bullet = k >= 2 && text::strip_bullet(lines[k - 2]).1;
            if after_bullet && prev.split_whitespace().count() >= 5 && !prev.contains(['|', '\t']) {
                break;
            }
            k -= 1;
        }
        let mut anchor_rest = lines[a].to_owned();
        anchor_rest.replace_range(range.span.0..range.span.1, " | ");
        // A date line of its own set below the first bullet (the dates column sits a little
        // lower than the title row): the header is the line above that bullet.
        let mut leading_body: Vec<String> = Vec::new();
        if k == a && anchor_rest.trim_matches(|c: char| c == '|' || c.is_whitespace()).is_empty() {
            let floor = consumed_until.max(a.saturating_sub(3));
            if let Some(h) = (floor..a).rev().find(|&j| {
                let (_, bullet) = text::strip_bullet(lines[j]);
                !bullet && lines[j].len() <= 90 && !lines[j].ends_with('.') && !lines[j].starts_with(char::is_lowercase)
            }) && h + 1 < a
                && text::strip_bullet(lines[h + 1]).1
            {
                k = h;
                leading_body = lines[h + 1..a].iter().map(|l| (*l).to_owned()).collect();
            }
        }
        let header_end = if leading_body.is_empty() { a } else { k + 1 };
        for l in &lines[k..header_end] {
            header.push((*l).to_owned());
        }
        // Dates set beside the first bullet ("• Reduced render time by 75% <tab> June 2005 –
        // Aug 2007"): the bullet is body, the header is above.
        let (_, anchor_is_bullet) = text::strip_bullet(lines[a]);
        let mut first_body: Option<String> = None;
        if anchor_is_bullet && k < a {
            first_body = Some(anchor_rest.trim().trim_end_matches('|').trim().to_owned());
        } else {
            header.push(anchor_rest);
        }

        let mut pieces: Vec<String> = header.iter().flat_map(|h| entry_pieces(h)).collect();
        // A company on the line after the anchor ("Title | dates" then "Company, City").
        let mut body_start = a + 1;
        let has_two = pieces.iter().filter(|p| parse_location(p).is_none()).count() >= 2;
        if !has_two && body_start < next_anchor && first_body.is_none() {
            let next = lines[body_start];
            let (_, bullet) = text::strip_bullet(next);
            if !bullet && next.len() <= 80 && !next.ends_with('.') {
                pieces.extend(entry_pieces(next));
                body_start += 1;
            }
        }
        let mut entry = ExperienceEntry::default();
        // "Enactus, University of La Verne <tab> Aug 2013 – Present" then "Member": with no
        // role word on the anchor, a short role line right below is the title.
        if !pieces.iter().any(|p| has_title_word(p)) && body_start < next_anchor && first_body.is_none() {
            let next = lines[body_start];
            let (_, bullet) = text::strip_bullet(next);
            if !bullet
                && next.len() <= 60
                && !next.ends_with('.')
                && has_title_word(next)
                && text::find_dates(next).is_empty()
            {
                let org: Vec<&str> =
                    pieces.iter().filter(|p| parse_location(p).is_none()).map(String::as_str).collect();
                if !org.is_empty() {
                    entry.company = Some(org.join(", "));
                    entry.title = Some(next.trim().to_owned());
                    pieces.clear();
                    body_start += 1;
                }
            }
        }
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
        // "R.O.K Cyber Command, MND": the part after a comma in the company's own cell,
        // neither place nor role, is part of its name.
        if let Some(company) = entry.company.clone()
            && let Some(k) = pieces.iter().position(|p| *p == company)
            && let Some(next) = pieces.get(k + 1)
            && parse_location(next).is_none()
            && known_city(next).is_none()
            && !has_title_word(next)
            && entry.title.as_deref() != Some(next.as_str())
            && text::find_dates(next).is_empty()
            && header.iter().chain(std::iter::once(&lines[body_start.saturating_sub(1)].to_owned())).any(|h| {
                h.split('\t').any(|cell| {
                    cell.trim().trim_matches(|c: char| matches!(c, '|' | '(' | ')')).trim()
                        == format!("{company}, {next}")
                })
            })
        {
            entry.company = Some(format!("{company}, {next}"));
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
                if bullet || prev.len() > 90 || prev.ends_with('.') || prev.starts_with(char::is_lowercase) {
                    break;
                }
                // The same test as for the next entry's header: a bullet's continuation line
                // stays in this entry's body.
                let after_bullet = k >= 2 && text::strip_bullet(lines[k - 2]).1;
                if after_bullet && prev.split_whitespace().count() >= 5 && !prev.contains(['|', '\t']) {
                    break;
                }
                k -= 1;
            }
            // The next entry's dates on a line of their own below its first bullet: its
            // header is the line above that bullet (as for this entry, above).
            if k == next_anchor
                && let Some(r) = anchor_range(lines[next_anchor])
            {
                let mut rest = lines[next_anchor].to_owned();
                rest.replace_range(r.span.0..r.span.1, "");
                if rest.trim_matches(|c: char| c == '|' || c.is_whitespace()).is_empty()
                    && let Some(h) = (body_start.max(next_anchor.saturating_sub(3))..next_anchor).rev().find(|&j| {
                        let (_, bullet) = text::strip_bullet(lines[j]);
                        !bullet
                            && lines[j].len() <= 90
                            && !lines[j].ends_with('.')
                            && !lines[j].starts_with(char::is_lowercase)
                    })
                    && h + 1 < next_anchor
                    && text::strip_bullet(lines[h + 1]).1
                {
                    k = h;
                }
            }
            body_end = k;
        }
        for l in &leading_body {
            let (t, bullet) = text::strip_bullet(l);
            match entry.details.last_mut() {
                Some(last) if !bullet => {
                    last.push(' ');
                    last.push_str(t);
                }
                _ => entry.details.push(t.to_owned()),
            }
        }
        if let Some(b) = first_body.take() {
            let (t, _) = text::strip_bullet(&b);
            entry.details.push(t.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
}
