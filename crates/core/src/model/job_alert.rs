//! A candidate's job alert: skills, title words and locations to be told about. A published job
//! matches an alert when every group the alert names has a term the job meets (any skill of the
//! job's criteria, every word of a title term in the job's title, a location of the job).
//!
//! Alerts are found from a job without reading them all: each alert is indexed (gsi1) under the
//! normalised tokens of one of its groups — a job that matches must carry one of them — and a
//! published job queries only its own tokens.

use crate::keys;
use crate::model::Job;
use crate::ports::store::Key;
use crate::record::Record;
use crate::values::{JobId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAlert {
    pub id: String,
    #[schema(value_type = String)]
    pub candidate_id: UserId,
    /// Any of these skills among a job's required or preferred skills (case-insensitive).
    pub skills: Vec<String>,
    /// Any of these in a job's title; a term of several words needs them all.
    pub title_words: Vec<String>,
    /// Any of these as a job's location or a comma-separated part of it; `remote` matches remote jobs.
    pub locations: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

impl Record for JobAlert {
    const ENTITY: &'static str = "JobAlert";
    fn key(&self) -> Key {
        keys::job_alert(&self.candidate_id, &self.id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// A published job that matched one or more of a candidate's alerts. Pending (on gsi1) until
/// the daily digest mails it; kept afterwards so a redelivered event matches nothing twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobAlertMatch {
    pub candidate_id: UserId,
    pub job_id: JobId,
    pub org_id: OrgId,
    pub title: String,
    pub company_name: String,
    pub location: Option<String>,
    pub is_remote: bool,
    pub alert_ids: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub matched_at: OffsetDateTime,
    /// The day (`YYYY-MM-DD`) its digest went out, or why it never will (`skipped`).
    pub mailed: Option<String>,
}

impl Record for JobAlertMatch {
    const ENTITY: &'static str = "JobAlertMatch";
    fn key(&self) -> Key {
        keys::job_alert_match(&self.candidate_id, &self.job_id)
    }
    fn gsi1(&self) -> Option<Key> {
        self.mailed.is_none().then(|| keys::job_alert_pending(&self.candidate_id, &self.job_id))
    }
    fn version(&self) -> u64 {
        1
    }
    fn expires_at(&self) -> Option<i64> {
        // Long enough to absorb any redelivery of its event.
        Some(self.matched_at.unix_timestamp() + 90 * 24 * 3600)
    }
}

/// Lower case with runs of whitespace as one space.
pub fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A character of a word: not whitespace, not a control, not ASCII punctuation other than `+`
/// and `#` (so `C++` and `C#` stay words).
pub fn is_word_char(c: char) -> bool {
    let punctuation = c.is_ascii_punctuation() && c != '+' && c != '#';
    !(c.is_whitespace() || c.is_control() || punctuation)
}

/// The words of a text, lower-cased.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// What a job offers to alerts, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobTokens {
    pub skills: BTreeSet<String>,
    pub title_words: BTreeSet<String>,
    pub locations: BTreeSet<String>,
}

impl JobTokens {
    pub fn of(job: &Job) -> Self {
        let c = &job.criteria;
        let skills = c.required_skills.iter().chain(&c.preferred_skills).map(|s| normalise(s)).collect();
        let title_words = words(&job.title).into_iter().collect();
        let mut locations = BTreeSet::new();
        if let Some(l) = &job.location {
            locations.insert(normalise(l));
            locations.extend(l.split(',').map(normalise).filter(|p| !p.is_empty()));
        }
        if job.is_remote {
            locations.insert("remote".to_owned());
        }
        Self { skills, title_words, locations }
    }

    /// The index tokens to query (`skill:rust`, `title:backend`, `location:berlin`).
    pub fn index_tokens(&self) -> Vec<String> {
        let skills = self.skills.iter().map(|s| format!("skill:{s}"));
        let titles = self.title_words.iter().map(|w| format!("title:{w}"));
        let locations = self.locations.iter().map(|l| format!("location:{l}"));
        skills.chain(titles).chain(locations).collect()
    }
}

impl JobAlert {
    /// The tokens this alert is indexed under: those of its first non-empty group (skills, then
    /// title words, then locations). A matching job carries at least one of them.
    pub fn index_tokens(&self) -> Vec<String> {
        let mut out: Vec<String> = if !self.skills.is_empty() {
            self.skills.iter().map(|s| format!("skill:{}", normalise(s))).collect()
        } else if !self.title_words.is_empty() {
            self.title_words.iter().filter_map(|t| words(t).into_iter().next()).map(|w| format!("title:{w}")).collect()
        } else {
            self.locations.iter().map(|l| format!("location:{}", normalise(l))).collect()
        };
        out.sort();
        out.dedup();
        out
    }

    /// Whether `job` meets every group this alert names.
    pub fn matches(&self, job: &JobTokens) -> bool {
        let skills = self.skills.is_empty() || self.skills.iter().any(|s| job.skills.contains(&normalise(s)));
        let titles = self.title_words.is_empty()
            || self.title_words.iter().any(|t| {
                let w = words(t);
                !w.is_empty() && w.iter().all(|w| job.title_words.contains(w))
            });
        let locations =
            self.locations.is_empty() || self.locations.iter().any(|l| job.locations.contains(&normalise(l)));
        skills && titles && locations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(skills: &[&str], titles: &[&str], locations: &[&str]) -> JobAlert {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        JobAlert {
            id: "a".into(),
            candidate_id: UserId::trusted("c"),
            skills: v(skills),
            title_words: v(titles),
            locations: v(locations),
            created_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    fn tokens(skills: &[&str], title: &str, location: &str, remote: bool) -> JobTokens {
        JobTokens {
            skills: skills.iter().map(|s| normalise(s)).collect(),
            title_words: words(title).into_iter().collect(),
            locations: {
                let mut l: BTreeSet<String> = location.split(',').map(normalise).collect();
                l.insert(normalise(location));
                if remote {
                    l.insert("remote".into());
                }
                l
            },
        }
    }

    #[test]
    fn every_named_group_must_match_and_any_term_within_it() {
        let job = tokens(&["Rust", "PostgreSQL"], "Senior Backend Engineer (C++)", "Berlin, Germany", false);
        assert!(alert(&["rust"], &[], &["berlin"]).matches(&job));
        assert!(alert(&["go", "RUST"], &["backend engineer"], &[]).matches(&job));
        assert!(alert(&[], &["c++"], &["Berlin, Germany"]).matches(&job));
        assert!(!alert(&["rust"], &[], &["paris"]).matches(&job));
        assert!(!alert(&[], &["frontend engineer"], &[]).matches(&job));
        assert!(alert(&[], &[], &["remote"]).matches(&tokens(&[], "x", "Lisbon", true)));
    }

    #[test]
    fn an_alert_is_indexed_under_one_group_that_a_match_must_carry() {
        assert_eq!(alert(&["Rust", "rust "], &["Backend dev"], &[]).index_tokens(), vec!["skill:rust"]);
        assert_eq!(alert(&[], &["Backend dev", "SRE"], &["x"]).index_tokens(), vec!["title:backend", "title:sre"]);
        assert_eq!(alert(&[], &[], &["New  York"]).index_tokens(), vec!["location:new york"]);
    }
}
