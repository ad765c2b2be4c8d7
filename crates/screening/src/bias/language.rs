//! Gender- and age-coded wording in job ads (Gaucher, Friesen & Kay 2011 word lists, plus a
//! small documented list of age-coded phrases).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Masculine-coded words, Gaucher, Friesen & Kay (2011), "Evidence that gendered wording in
/// job advertisements exists and sustains gender inequality", JPSP 101(1), Appendix A.
/// A trailing `*` marks a stem matched as a word prefix, as in the study; others are whole
/// words.
pub const MASCULINE_CODED: &[&str] = &[
    "active",
    "adventurous",
    "aggress*",
    "ambitio*",
    "analy*",
    "assert*",
    "athlet*",
    "autonom*",
    "boast*",
    "challeng*",
    "compet*",
    "confident",
    "courag*",
    "decide",
    "decisive",
    "decision*",
    "determin*",
    "dominant",
    "domina*",
    "force*",
    "greedy",
    "headstrong",
    "hierarch*",
    "hostil*",
    "impulsive",
    "independen*",
    "individual*",
    "intellect*",
    "lead*",
    "logic",
    "masculine",
    "objective",
    "opinion",
    "outspoken",
    "persist",
    "principle*",
    "reckless",
    "stubborn",
    "superior",
    "self-confiden*",
    "self-relian*",
    "self-sufficien*",
];

/// Feminine-coded words, same source.
pub const FEMININE_CODED: &[&str] = &[
    "affectionate",
    "child*",
    "cheer*",
    "commit*",
    "communal",
    "compassion*",
    "connect*",
    "considerate",
    "cooperat*",
    "depend*",
    "emotiona*",
    "empath*",
    "feminine",
    "flatterable",
    "gentle",
    "honest",
    "interpersonal",
    "interdependen*",
    "interpersona*",
    "kind",
    "kinship",
    "loyal*",
    "modesty",
    "nag",
    "nurtur*",
    "pleasant*",
    "polite",
    "quiet*",
    "respon*",
    "sensitiv*",
    "submissive",
    "support*",
    "sympath*",
    "tender*",
    "together*",
    "trust*",
    "understand*",
    "warm*",
    "whin*",
    "yield*",
];

/// Age-coded phrases (ClearView's list, from EEOC guidance on age-discriminatory job ads and
/// AARP/ADEA commentary): (phrase, which age group it discourages, suggestion).
/// `#` stands for any number.
pub const AGE_CODED: &[(&str, AgeLean, &str)] = &[
    ("digital native", AgeLean::DiscouragesOlder, "describe the digital skills needed"),
    ("digital natives", AgeLean::DiscouragesOlder, "describe the digital skills needed"),
    ("recent graduate", AgeLean::DiscouragesOlder, "say \"entry-level\" and list requirements"),
    ("recent graduates", AgeLean::DiscouragesOlder, "say \"entry-level\" and list requirements"),
    ("recent grad", AgeLean::DiscouragesOlder, "say \"entry-level\" and list requirements"),
    ("new grad", AgeLean::DiscouragesOlder, "say \"entry-level\" and list requirements"),
    ("young", AgeLean::DiscouragesOlder, "remove age references"),
    ("youthful", AgeLean::DiscouragesOlder, "remove age references"),
    ("young and energetic", AgeLean::DiscouragesOlder, "describe the pace of work instead"),
    ("high energy", AgeLean::DiscouragesOlder, "describe the pace of work instead"),
    ("fresh", AgeLean::DiscouragesOlder, "describe the perspective or skill wanted"),
    ("overqualified", AgeLean::DiscouragesOlder, "state the actual requirements"),
    ("over-qualified", AgeLean::DiscouragesOlder, "state the actual requirements"),
    ("max # years", AgeLean::DiscouragesOlder, "state skills, not a ceiling on experience"),
    ("no more than # years", AgeLean::DiscouragesOlder, "state skills, not a ceiling on experience"),
    ("#+ years", AgeLean::DiscouragesYounger, "check the number is truly required; state skills"),
    ("seasoned", AgeLean::DiscouragesYounger, "state the experience actually needed"),
    ("mature", AgeLean::DiscouragesYounger, "describe the behaviour wanted"),
    ("veteran", AgeLean::DiscouragesYounger, "state the experience actually needed"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgeLean {
    DiscouragesOlder,
    DiscouragesYounger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenderLean {
    MasculineCoded,
    FeminineCoded,
    Neutral,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CodedWord {
    /// The word as found (lowercased).
    pub word: String,
    /// The list entry it matched ("lead*").
    pub stem: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgePhrase {
    pub phrase: String,
    pub lean: AgeLean,
    pub count: u32,
    pub suggestion: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LanguageReport {
    pub masculine_count: u32,
    pub feminine_count: u32,
    pub masculine_words: Vec<CodedWord>,
    pub feminine_words: Vec<CodedWord>,
    pub lean: GenderLean,
    pub age_coded: Vec<AgePhrase>,
    pub suggestions: Vec<String>,
    /// Where the lists come from.
    pub sources: Vec<String>,
}

fn matches_entry(word: &str, entry: &str) -> bool {
    match entry.strip_suffix('*') {
        Some(stem) => word.starts_with(stem),
        None => word == entry,
    }
}

fn coded(words: &[String], list: &[&str]) -> Vec<CodedWord> {
    let mut found: BTreeMap<(String, String), u32> = BTreeMap::new();
    for w in words {
        if let Some(entry) = list.iter().find(|e| matches_entry(w, e)) {
            *found.entry((w.clone(), (*entry).to_owned())).or_insert(0) += 1;
        }
    }
    found.into_iter().map(|((word, stem), count)| CodedWord { word, stem, count }).collect()
}

/// Counts phrase occurrences on word boundaries; `#` in a phrase matches a number.
fn count_phrase(words: &[String], phrase: &str) -> u32 {
    let parts: Vec<&str> = phrase.split(' ').collect();
    if parts.is_empty() || words.len() < parts.len() {
        return 0;
    }
    let matches_part = |w: &str, p: &str| -> bool {
        if p == "#" {
            return !w.is_empty() && w.chars().all(|c| c.is_ascii_digit());
        }
        if p == "#+" {
            return w.len() > 1 && w.ends_with('+') && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit());
        }
        w == p
    };
    let mut n = 0;
    for i in 0..=words.len() - parts.len() {
        if parts.iter().enumerate().all(|(k, p)| matches_part(&words[i + k], p)) {
            n += 1;
        }
    }
    n
}

/// Analyses a job ad's wording.
pub fn analyze_job_ad(text: &str) -> LanguageReport {
    // Words keep inner hyphens ("self-reliant") and a trailing '+' ("10+").
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '+' || c == '\''))
        .map(|w| w.trim_matches(['-', '\'']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let masculine_words = coded(&words, MASCULINE_CODED);
    let feminine_words = coded(&words, FEMININE_CODED);
    let masculine_count: u32 = masculine_words.iter().map(|w| w.count).sum();
    let feminine_count: u32 = feminine_words.iter().map(|w| w.count).sum();
    let lean = match masculine_count.cmp(&feminine_count) {
        std::cmp::Ordering::Greater => GenderLean::MasculineCoded,
        std::cmp::Ordering::Less => GenderLean::FeminineCoded,
        std::cmp::Ordering::Equal => GenderLean::Neutral,
    };
    let mut age_coded = Vec::new();
    for (phrase, lean, suggestion) in AGE_CODED {
        // Longer phrases containing this one are reported on their own.
        let count = count_phrase(&words, phrase);
        if count > 0 {
            age_coded.push(AgePhrase {
                phrase: (*phrase).to_owned(),
                lean: *lean,
                count,
                suggestion: (*suggestion).to_owned(),
            });
        }
    }
    let mut suggestions = Vec::new();
    match lean {
        GenderLean::MasculineCoded => suggestions.push(format!(
            "The ad leans masculine-coded ({masculine_count} vs {feminine_count}); such wording \
             reduced women's interest in the study. Replace some of: {}.",
            masculine_words.iter().map(|w| w.word.as_str()).collect::<Vec<_>>().join(", ")
        )),
        GenderLean::FeminineCoded => suggestions.push(format!(
            "The ad leans feminine-coded ({feminine_count} vs {masculine_count}); consider \
             balancing the wording."
        )),
        GenderLean::Neutral => {}
    }
    for a in &age_coded {
        suggestions.push(format!("\"{}\": {}.", a.phrase, a.suggestion));
    }
    LanguageReport {
        masculine_count,
        feminine_count,
        masculine_words,
        feminine_words,
        lean,
        age_coded,
        suggestions,
        sources: vec![
            "Gaucher, Friesen & Kay (2011), J. Personality and Social Psychology 101(1):109-128, \
             Appendix A word lists (stem prefix matching)"
                .to_owned(),
            "ClearView age-coded phrase list (crate::bias::language::AGE_CODED)".to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masculine_stems_match_by_prefix() {
        let r = analyze_job_ad("We want an ambitious, competitive leader who thrives on challenges and leads.");
        assert_eq!(r.lean, GenderLean::MasculineCoded);
        let words: Vec<&str> = r.masculine_words.iter().map(|w| w.word.as_str()).collect();
        assert_eq!(words, ["ambitious", "challenges", "competitive", "leader", "leads"]);
        assert_eq!(r.masculine_count, 5);
    }

    #[test]
    fn feminine_coded_ad_is_reported_as_such() {
        let r = analyze_job_ad("A supportive, collaborative team that is committed and warm.");
        assert_eq!(r.lean, GenderLean::FeminineCoded);
        assert_eq!(r.feminine_count, 3);
    }

    #[test]
    fn non_starred_entries_match_whole_words_only() {
        // "kind" is a whole word in the list; "kindergarten" must not match.
        let r = analyze_job_ad("kindergarten");
        assert_eq!(r.feminine_count, 0);
        assert_eq!(r.lean, GenderLean::Neutral);
    }

    #[test]
    fn age_coded_phrases_are_found_with_suggestions() {
        let r = analyze_job_ad("Looking for a digital native, a recent graduate, young and energetic, 10+ years.");
        let phrases: Vec<&str> = r.age_coded.iter().map(|a| a.phrase.as_str()).collect();
        for p in ["digital native", "recent graduate", "young", "young and energetic", "#+ years"] {
            assert!(phrases.contains(&p), "{p} in {phrases:?}");
        }
        assert!(!r.suggestions.is_empty());
    }
}
