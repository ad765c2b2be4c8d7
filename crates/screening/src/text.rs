//! Small text helpers shared by the structuring, anonymizing and bias modules.

use serde::{Deserialize, Serialize};

/// A calendar month, the resolution resumes give dates in. Serialized as `"2019-03"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    pub month: u8,
}

impl YearMonth {
    pub fn new(year: i32, month: u8) -> Option<Self> {
        ((1..=12).contains(&month) && (1900..=2200).contains(&year)).then_some(YearMonth { year, month })
    }
    pub fn from_date(d: time::Date) -> Self {
        YearMonth { year: d.year(), month: u8::from(d.month()) }
    }
    /// Months since year 0, for interval arithmetic.
    pub fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:04}-{:02}", self.year, self.month))
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (y, m) = s.split_once('-').ok_or_else(|| serde::de::Error::custom("expected YYYY-MM"))?;
        let year = y.parse().map_err(serde::de::Error::custom)?;
        let month = m.parse().map_err(serde::de::Error::custom)?;
        YearMonth::new(year, month).ok_or_else(|| serde::de::Error::custom("month out of range"))
    }
}

/// A date as precise as the resume gave it. Serialized as `"2019"` or `"2019-03"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u8>,
}

impl PartialDate {
    /// First month covered (a bare year starts in January).
    pub fn first_month(self) -> YearMonth {
        YearMonth { year: self.year, month: self.month.unwrap_or(1) }
    }
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.month {
            Some(m) => s.serialize_str(&format!("{:04}-{:02}", self.year, m)),
            None => s.serialize_str(&format!("{:04}", self.year)),
        }
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (y, m) = match s.split_once('-') {
            Some((y, m)) => (y, Some(m)),
            None => (s.as_str(), None),
        };
        let year = y.parse().map_err(serde::de::Error::custom)?;
        let month = match m {
            Some(m) => {
                let m: u8 = m.parse().map_err(serde::de::Error::custom)?;
                if !(1..=12).contains(&m) {
                    return Err(serde::de::Error::custom("month out of range"));
                }
                Some(m)
            }
            None => None,
        };
        Ok(PartialDate { year, month })
    }
}

impl DatePoint {
    pub fn partial(self) -> Option<PartialDate> {
        match self {
            DatePoint::Month(ym) => Some(PartialDate { year: ym.year, month: Some(ym.month) }),
            DatePoint::Year(y) => Some(PartialDate { year: y, month: None }),
            DatePoint::Present => None,
        }
    }
}

const MONTHS: &[(&str, u8)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("sept", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
];

/// "Jan", "January", "Sept." → month number.
pub fn month_from_name(word: &str) -> Option<u8> {
    let w = word.trim_end_matches('.').to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    MONTHS.iter().find(|(name, _)| name.starts_with(&w) && (w.len() >= 3)).map(|(_, m)| *m)
}

/// One end of a date range as written on a resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePoint {
    Month(YearMonth),
    /// Only a year was given.
    Year(i32),
    Present,
}

/// A date range found in a line, with the byte span it occupied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundRange {
    pub start: DatePoint,
    pub end: Option<DatePoint>,
    pub span: (usize, usize),
}

fn is_year(s: &str) -> Option<i32> {
    let s = s.trim_end_matches(['.', ',', ')', ';']);
    let s = s.strip_prefix('\'').unwrap_or(s);
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = s.parse().ok()?;
        (1940..=2100).contains(&y).then_some(y)
    } else {
        None
    }
}

/// Parses one date token group starting at word `i`; returns the point and words used.
fn parse_point(words: &[(usize, &str)], i: usize) -> Option<(DatePoint, usize)> {
    let (_, w) = *words.get(i)?;
    let lw = w.trim_end_matches([',', '.', ')', ';']).trim_start_matches('(').to_ascii_lowercase();
    if matches!(lw.as_str(), "present" | "current" | "now" | "today" | "ongoing" | "date") {
        return Some((DatePoint::Present, 1));
    }
    let bare = w.trim_start_matches('(').trim_end_matches([',', ')', ';']);
    if let Some(y) = is_year(bare) {
        return Some((DatePoint::Year(y), 1));
    }
    // 03/2019, 3/2019, 2019-03, 03.2019
    for sep in ['/', '-', '.'] {
        if let Some((a, b)) = bare.split_once(sep) {
            if let (Ok(m), Some(y)) = (a.parse::<u8>(), is_year(b))
                && let Some(ym) = YearMonth::new(y, m)
            {
                return Some((DatePoint::Month(ym), 1));
            }
            if let (Some(y), Ok(m)) = (is_year(a), b.parse::<u8>())
                && b.len() <= 2
                && let Some(ym) = YearMonth::new(y, m)
            {
                return Some((DatePoint::Month(ym), 1));
            }
        }
    }
    if let Some(m) = month_from_name(bare) {
        let (_, next) = *words.get(i + 1)?;
        let y = is_year(next.trim_start_matches('(').trim_end_matches([',', ')', ';']))?;
        return YearMonth::new(y, m).map(|ym| (DatePoint::Month(ym), 2));
    }
    None
}

fn is_range_separator(w: &str) -> bool {
    matches!(w.to_ascii_lowercase().as_str(), "-" | "–" | "—" | "to" | "until" | "till" | "through" | "thru" | "~")
}

/// Splits on whitespace, also around dashes glued to dates ("2019–2021", "2019-Present").
fn words_with_offsets(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for (start, word) in split_ws(line) {
        // "2019–2021" / "Jan 2019–Present" / "2019-Present": split at an en/em dash, or at a
        // hyphen that is followed by a letter or a 4-digit year.
        let mut cut = None;
        for (i, c) in word.char_indices() {
            if i > 0 && (c == '–' || c == '—') {
                cut = Some((i, c.len_utf8()));
                break;
            }
            if i == 4 && c == '-' && is_year(&word[..4]).is_some() {
                let rest = &word[5..];
                if rest.len() >= 4 && (is_year(&rest[..4]).is_some() || rest.starts_with(char::is_alphabetic)) {
                    cut = Some((i, 1));
                    break;
                }
            }
        }
        match cut {
            Some((i, n)) => {
                out.push((start, &word[..i]));
                out.push((start + i, &word[i..i + n]));
                if i + n < word.len() {
                    out.push((start + i + n, &word[i + n..]));
                }
            }
            None => out.push((start, word)),
        }
    }
    out
}

fn split_ws(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() || c == '|' || c == '•' || c == '·' {
            if let Some(s) = start.take() {
                out.push((s, &line[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// Finds date ranges ("Jan 2019 – Present", "2017-2019", "03/2018 to 06/2020") and lone
/// dates ("May 2016") in a line, left to right.
pub fn find_dates(line: &str) -> Vec<FoundRange> {
    let words = words_with_offsets(line);
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let Some((start, used)) = parse_point(&words, i) else {
            i += 1;
            continue;
        };
        if start == DatePoint::Present {
            i += 1;
            continue;
        }
        let mut begin = words[i].0;
        let mut j = i + used;
        let mut end = None;
        if j < words.len()
            && is_range_separator(words[j].1)
            && let Some((p, u)) = parse_point(&words, j + 1)
        {
            end = Some(p);
            j += 1 + u;
        }
        // "since January 2016": an open range up to now.
        if end.is_none()
            && i > 0
            && words[i - 1].1.trim_matches(|c: char| !c.is_alphabetic()).eq_ignore_ascii_case("since")
        {
            end = Some(DatePoint::Present);
            begin = words[i - 1].0;
        }
        let (last_start, last) = words[j - 1];
        found.push(FoundRange { start, end, span: (begin, last_start + last.len()) });
        i = j;
    }
    found
}

/// Bullet glyphs and list markers resumes use at the start of a line.
pub fn strip_bullet(line: &str) -> (&str, bool) {
    let t = line.trim_start();
    for b in ['•', '●', '▪', '■', '◦', '‣', '∙', '·', '-', '*', '–', '\u{F0B7}', '\u{F0A7}', '➢', '►', '✓', '○', '▸']
    {
        if let Some(rest) = t.strip_prefix(b)
            && (rest.starts_with(char::is_whitespace) || b != '-')
        {
            return (rest.trim_start(), true);
        }
    }
    (t, false)
}

/// Replaces whole-word, case-insensitive occurrences using `f` (word → replacement).
/// Words are maximal runs of letters, digits and apostrophes.
pub fn replace_words(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut String, w: &str, count: &mut usize, f: &mut dyn FnMut(&str) -> Option<String>| match f(w) {
        Some(r) => {
            out.push_str(&r);
            *count += 1;
        }
        None => out.push_str(w),
    };
    for (i, c) in text.char_indices() {
        let is_word = c.is_alphanumeric() || c == '\'' || c == '’';
        match (is_word, word_start) {
            (true, None) => word_start = Some(i),
            (false, Some(s)) => {
                flush(&mut out, &text[s..i], &mut count, &mut f);
                word_start = None;
                out.push(c);
            }
            (false, None) => out.push(c),
            (true, Some(_)) => {}
        }
    }
    if let Some(s) = word_start {
        flush(&mut out, &text[s..], &mut count, &mut f);
    }
    (out, count)
}

/// Keeps the letter case pattern of `like` ("He" → "They", "HE" → "THEY").
pub fn match_case(replacement: &str, like: &str) -> String {
    if like.chars().all(|c| !c.is_lowercase()) && like.chars().count() > 1 {
        replacement.to_uppercase()
    } else if like.starts_with(char::is_uppercase) {
        let mut c = replacement.chars();
        match c.next() {
            Some(f) => f.to_uppercase().chain(c).collect(),
            None => String::new(),
        }
    } else {
        replacement.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(y: i32, m: u8) -> DatePoint {
        DatePoint::Month(YearMonth::new(y, m).unwrap())
    }

    #[test]
    fn finds_common_range_spellings() {
        let r = find_dates("Senior Engineer, Acme\tJan 2019 – Present");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].start, ym(2019, 1));
        assert_eq!(r[0].end, Some(DatePoint::Present));
        let r = find_dates("2015–2018 Analyst");
        assert_eq!((r[0].start, r[0].end), (DatePoint::Year(2015), Some(DatePoint::Year(2018))));
        let r = find_dates("03/2018 to 06/2020");
        assert_eq!((r[0].start, r[0].end), (ym(2018, 3), Some(ym(2020, 6))));
        let r = find_dates("September 2012 - May 2016");
        assert_eq!((r[0].start, r[0].end), (ym(2012, 9), Some(ym(2016, 5))));
        let r = find_dates("2019-Present");
        assert_eq!((r[0].start, r[0].end), (DatePoint::Year(2019), Some(DatePoint::Present)));
        let r = find_dates("2019-03 - 2020-01");
        assert_eq!((r[0].start, r[0].end), (ym(2019, 3), Some(ym(2020, 1))));
    }

    #[test]
    fn month_words_alone_are_not_dates() {
        assert!(find_dates("May the best win; March on").is_empty());
    }

    #[test]
    fn replace_words_keeps_punctuation() {
        let (s, n) = replace_words("He said: his code.", |w| {
            (w.eq_ignore_ascii_case("he") || w == "his").then(|| "X".to_owned())
        });
        assert_eq!((s.as_str(), n), ("X said: X code.", 2));
    }
}
