//! Skills taxonomy: canonical skill names and their aliases, derived from O*NET 29.2 with
//! ClearView's curated aliases (see `data/derive_taxonomy.py` and the NOTICE file).

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// The derived data file, embedded at build time.
const SKILLS_TSV: &str = include_str!("../data/skills.tsv");

/// Longest alias, in tokens ("amazon web services aws software").
const MAX_ALIAS_TOKENS: usize = 8;

/// Where a skill entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkillSource {
    Onet,
    OnetCurated,
    Curated,
}

/// When an alias may be matched in free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchRule {
    /// Anywhere, any letter case.
    Any,
    /// In prose only when written with a capital ("Rust", not "rust"); anywhere in lists.
    Cased,
    /// Only in a skills section or a list of short items: "C", "R", "Go", "Word".
    ListOnly,
}

/// A canonical skill.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CanonicalSkill {
    pub name: String,
    /// O*NET commodity title (UNSPSC), e.g. "Object or component oriented development software".
    pub category: String,
    /// O*NET "Hot Technology" flag.
    pub hot: bool,
    /// O*NET "In Demand" flag.
    pub in_demand: bool,
    /// Number of O*NET occupations listing it.
    pub occupations: u32,
    pub source: SkillSource,
    pub rule: MatchRule,
    pub aliases: Vec<String>,
}

/// How the text being scanned is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchContext {
    /// A skills section or a list of short items: ambiguous short names count.
    SkillsList,
    /// Sentences: only unambiguous names count.
    Prose,
}

/// The taxonomy: skills and an alias index.
#[derive(Debug)]
pub struct Taxonomy {
    skills: Vec<CanonicalSkill>,
    index: HashMap<String, usize>,
    /// First token of any alias → longest alias starting with it, in tokens: most words in
    /// a text start no alias and cost one lookup.
    first_tokens: HashMap<String, usize>,
}

static GLOBAL: LazyLock<Taxonomy> = LazyLock::new(|| Taxonomy::from_tsv(SKILLS_TSV));

/// Splits text into lowercase tokens the way aliases are keyed. Keeps `+ # .` inside tokens
/// so "C++", "C#", ".NET" and "Node.js" survive; `/` and `,` separate.
pub(crate) fn tokens(text: &str) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '|'
                    | '•'
                    | '·'
                    | ':'
                    | '"'
                    | '/'
                    | '!'
                    | '?'
                    | '“'
                    | '”'
                    | '●'
                    | '▪'
                    | '&'
            )
    }) {
        let t = raw.trim_matches(|c: char| matches!(c, '\'' | '’' | '*' | '-' | '–' | '—'));
        let t = t.trim_end_matches('.');
        if t.is_empty() {
            continue;
        }
        out.push((t.to_lowercase(), t));
    }
    out
}

fn key_of(alias: &str) -> String {
    tokens(alias).into_iter().map(|(t, _)| t).collect::<Vec<_>>().join(" ")
}

impl Taxonomy {
    /// The built-in taxonomy, parsed once.
    pub fn global() -> &'static Taxonomy {
        &GLOBAL
    }

    fn from_tsv(tsv: &str) -> Taxonomy {
        let mut skills = Vec::new();
        for line in tsv.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 8 {
                continue;
            }
            skills.push(CanonicalSkill {
                name: f[0].to_owned(),
                category: f[1].to_owned(),
                hot: f[2] == "Y",
                in_demand: f[3] == "Y",
                occupations: f[4].parse().unwrap_or(0),
                source: match f[5] {
                    "curated" => SkillSource::Curated,
                    "onet+curated" => SkillSource::OnetCurated,
                    _ => SkillSource::Onet,
                },
                rule: match f[6] {
                    "list" => MatchRule::ListOnly,
                    "cased" => MatchRule::Cased,
                    _ => MatchRule::Any,
                },
                aliases: f[7].split('|').filter(|a| !a.is_empty()).map(str::to_owned).collect(),
            });
        }
        let mut index = HashMap::new();
        for (i, s) in skills.iter().enumerate() {
            // The canonical name itself wins over anyone's alias.
            index.insert(key_of(&s.name), i);
        }
        for (i, s) in skills.iter().enumerate() {
            for a in &s.aliases {
                index.entry(key_of(a)).or_insert(i);
            }
        }
        let mut first_tokens: HashMap<String, usize> = HashMap::new();
        for key in index.keys() {
            let n = key.split(' ').count();
            if let Some(first) = key.split(' ').next() {
                let e = first_tokens.entry(first.to_owned()).or_insert(0);
                *e = (*e).max(n);
            }
        }
        Taxonomy { skills, index, first_tokens }
    }

    /// Every canonical skill, sorted by name (case-insensitive).
    pub fn canonical_skills(&self) -> &[CanonicalSkill] {
        &self.skills
    }

    pub fn len(&self) -> usize {
        self.skills.len()
    }

    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// The canonical skill for a name a person typed ("k8s", "Postgres", "golang"), whatever
    /// its context rule: the caller asserts this string is a skill.
    pub fn normalize(&self, name: &str) -> Option<CanonicalSkill> {
        self.index.get(&key_of(name)).map(|&i| self.skills[i].clone())
    }

    /// Canonical name only; cheaper than [`Taxonomy::normalize`].
    pub fn canonical_name(&self, name: &str) -> Option<&str> {
        self.index.get(&key_of(name)).map(|&i| self.skills[i].name.as_str())
    }

    /// Canonical skills mentioned in `text`, longest alias first, sorted and deduplicated.
    pub fn find_in_text(&self, text: &str, context: MatchContext) -> BTreeSet<String> {
        let toks = tokens(text);
        let mut found = BTreeSet::new();
        let mut i = 0;
        while i < toks.len() {
            let mut matched = 0;
            let longest = self.first_tokens.get(&toks[i].0).copied().unwrap_or(0);
            for n in (1..=longest.min(MAX_ALIAS_TOKENS).min(toks.len() - i)).rev() {
                let key = toks[i..i + n].iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(" ");
                let Some(&idx) = self.index.get(&key) else {
                    continue;
                };
                let skill = &self.skills[idx];
                // The context rule guards short plain words and the bare canonical word
                // ("go", "word", "rust"); a distinctive alias ("golang") matches anywhere.
                let guarded =
                    !key.contains(|c: char| !c.is_ascii_alphabetic()) && (key.len() <= 5 || key == key_of(&skill.name));
                let rule = if guarded { skill.rule } else { MatchRule::Any };
                let allowed = match (rule, context) {
                    (MatchRule::Any, _) | (_, MatchContext::SkillsList) => true,
                    (MatchRule::ListOnly, MatchContext::Prose) => false,
                    (MatchRule::Cased, MatchContext::Prose) => toks[i].1.starts_with(|c: char| c.is_uppercase()),
                };
                if allowed {
                    found.insert(skill.name.clone());
                    matched = n;
                    break;
                }
            }
            i += matched.max(1);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str, ctx: MatchContext) -> Vec<String> {
        Taxonomy::global().find_in_text(text, ctx).into_iter().collect()
    }

    #[test]
    fn curated_aliases_map_to_canonical_names() {
        let t = Taxonomy::global();
        for (alias, canonical) in [
            ("k8s", "Kubernetes"),
            ("Postgres", "PostgreSQL"),
            ("psql", "PostgreSQL"),
            ("JS", "JavaScript"),
            ("TS", "TypeScript"),
            ("golang", "Go"),
            ("C#", "C#"),
            ("c++", "C++"),
            ("ReactJS", "React"),
            ("node.js", "Node.js"),
            ("Amazon Web Services", "AWS"),
            ("CI/CD", "CI/CD"),
        ] {
            assert_eq!(t.canonical_name(alias), Some(canonical), "{alias}");
        }
        assert!(t.len() > 1000, "O*NET base is loaded");
    }

    #[test]
    fn c_is_not_confused_with_cpp_or_csharp() {
        let found = names("C, C++, C#", MatchContext::SkillsList);
        assert_eq!(found, ["C", "C#", "C++"]);
        let found = names("Wrote C++ and C# services", MatchContext::Prose);
        assert_eq!(found, ["C#", "C++"]);
    }

    #[test]
    fn java_and_javascript_are_told_apart() {
        assert_eq!(names("Java", MatchContext::SkillsList), ["Java"]);
        assert_eq!(names("JavaScript", MatchContext::SkillsList), ["JavaScript"]);
        assert_eq!(names("Built Java and JavaScript apps", MatchContext::Prose), ["Java", "JavaScript"]);
    }

    #[test]
    fn the_word_go_in_prose_is_not_the_go_language() {
        assert!(names("Ready to go the extra mile", MatchContext::Prose).is_empty());
        assert!(names("Go services on R and C", MatchContext::Prose).is_empty());
        assert_eq!(names("Go, R", MatchContext::SkillsList), ["Go", "R"]);
        assert_eq!(names("Wrote golang services", MatchContext::Prose), ["Go"]);
    }

    #[test]
    fn lowercase_common_words_in_prose_are_not_skills() {
        assert!(names("rust on the old bridge; excel at work", MatchContext::Prose).is_empty());
        assert_eq!(names("Rewrote it in Rust", MatchContext::Prose), ["Rust"]);
    }
}
