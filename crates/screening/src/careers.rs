//! Occupations, skills gaps and career paths, from O*NET 29.2 (`data/occupations.tsv` and
//! `data/occupation_titles.tsv`, derived by `data/derive_occupations.py`; CC BY 4.0, USDOL/ETA,
//! modified: see NOTICE).
//!
//! - An occupation's skills are the technology examples O*NET lists for it, mapped to the
//!   taxonomy's canonical skills (an example the taxonomy does not know is dropped).
//! - A **gap** is a skill of the target occupation the person does not have, ranked by O*NET's
//!   own signals: Hot Technology first, then In Demand, then how many occupations list it (a
//!   skill that opens many doors first), then name. "Why it matters" says which of those hold.
//! - A **path** goes from an occupation to others of the same or the next job zones, ranked by
//!   the share of skills they have in common (Jaccard: shared ÷ either); each step says what it
//!   keeps, what it adds and the typical preparation of its job zone (O*NET's SVP ranges).

use crate::taxonomy::Taxonomy;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

const OCCUPATIONS_TSV: &str = include_str!("../data/occupations.tsv");
const TITLES_TSV: &str = include_str!("../data/occupation_titles.tsv");
const RELATED_TSV: &str = include_str!("../data/related_skills.tsv");

/// Skills O*NET lists for many of the same occupations (`data/related_skills.tsv`): Jaccard of
/// the occupations listing each, at most five neighbours a skill, closest first.
pub struct RelatedSkills {
    by_skill: HashMap<String, Vec<(String, f64)>>,
}

static RELATED: LazyLock<RelatedSkills> = LazyLock::new(|| RelatedSkills::from_tsv(RELATED_TSV));

impl RelatedSkills {
    pub fn global() -> &'static RelatedSkills {
        &RELATED
    }

    fn from_tsv(tsv: &str) -> RelatedSkills {
        let mut by_skill = HashMap::new();
        for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let Some((skill, list)) = line.split_once('\t') else { continue };
            let near = list
                .split('|')
                .filter_map(|x| x.rsplit_once(':'))
                .filter_map(|(n, j)| Some((n.to_owned(), j.parse::<f64>().ok()?)))
                .collect();
            by_skill.insert(skill.to_lowercase(), near);
        }
        RelatedSkills { by_skill }
    }

    /// The skills closest to `skill` (canonical name), closest first.
    pub fn of(&self, skill: &str) -> &[(String, f64)] {
        self.by_skill.get(&skill.to_lowercase()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How close `a` and `b` are (either lists the other), if they are related at all.
    pub fn closeness(&self, a: &str, b: &str) -> Option<f64> {
        let find = |x: &str, y: &str| self.of(x).iter().find(|(n, _)| n.eq_ignore_ascii_case(y)).map(|(_, j)| *j);
        find(a, b).or_else(|| find(b, a))
    }

    /// Of `have`, the skills related to `skill`, closest first.
    pub fn close_to(&self, skill: &str, have: &BTreeSet<String>) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> =
            have.iter().filter_map(|h| self.closeness(skill, h).map(|j| (h.clone(), j))).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }
}

/// One O*NET occupation with its canonical skills.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Occupation {
    pub code: String,
    pub title: String,
    /// O*NET job zone, 1 (little preparation) to 5 (extensive).
    pub job_zone: u8,
    /// Canonical skills, sorted.
    pub skills: BTreeSet<String>,
    /// Of those, the ones O*NET flags Hot Technology for this occupation.
    pub hot: BTreeSet<String>,
    /// Of those, the ones O*NET flags In Demand for this occupation.
    pub in_demand: BTreeSet<String>,
}

/// The built-in occupations and title index.
pub struct Occupations {
    list: Vec<Occupation>,
    by_code: HashMap<String, usize>,
    by_title: HashMap<String, usize>,
}

static GLOBAL: LazyLock<Occupations> = LazyLock::new(|| Occupations::from_tsv(OCCUPATIONS_TSV, TITLES_TSV));

/// Months of preparation typical of a job zone: O*NET's Specific Vocational Preparation ranges
/// (zone 1: SVP below 4, up to 3 months; 2: SVP 4–6, 3 months to a year; 3: SVP 6–7, one to two
/// years; 4: SVP 7–8, two to four years; 5: SVP 8 and above, four years and more).
pub fn preparation_months(zone: u8) -> (u32, Option<u32>) {
    match zone {
        0 | 1 => (0, Some(3)),
        2 => (3, Some(12)),
        3 => (12, Some(24)),
        4 => (24, Some(48)),
        _ => (48, None),
    }
}

fn title_key(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Occupations {
    pub fn global() -> &'static Occupations {
        &GLOBAL
    }

    fn from_tsv(occupations: &str, titles: &str) -> Occupations {
        let tax = Taxonomy::global();
        let mut list = Vec::new();
        for line in occupations.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() < 4 {
                continue;
            }
            let mut o = Occupation {
                code: f[0].to_owned(),
                title: f[1].to_owned(),
                job_zone: f[2].parse().unwrap_or(0),
                skills: BTreeSet::new(),
                hot: BTreeSet::new(),
                in_demand: BTreeSet::new(),
            };
            for raw in f[3].split('|').filter(|s| !s.is_empty()) {
                let name = raw.trim_start_matches(['*', '!']);
                let flags = &raw[..raw.len() - name.len()];
                let short = name.strip_suffix(" software").unwrap_or(name);
                let Some(canonical) = tax.canonical_name(name).or_else(|| tax.canonical_name(short)) else {
                    continue;
                };
                o.skills.insert(canonical.to_owned());
                if flags.contains('*') {
                    o.hot.insert(canonical.to_owned());
                }
                if flags.contains('!') {
                    o.in_demand.insert(canonical.to_owned());
                }
            }
            list.push(o);
        }
        let by_code: HashMap<String, usize> = list.iter().enumerate().map(|(i, o)| (o.code.clone(), i)).collect();
        let mut by_title: HashMap<String, usize> = HashMap::new();
        for line in titles.lines().filter(|l| !l.starts_with('#')) {
            if let Some((t, code)) = line.split_once('\t')
                && let Some(&i) = by_code.get(code)
            {
                by_title.insert(t.to_owned(), i);
            }
        }
        for (i, o) in list.iter().enumerate() {
            by_title.insert(title_key(&o.title), i);
        }
        Occupations { list, by_code, by_title }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn by_code(&self, code: &str) -> Option<&Occupation> {
        self.by_code.get(code.trim()).map(|&i| &self.list[i])
    }

    /// An O*NET-SOC code (`15-1252.00`) or a job title O*NET knows ("Software Engineer", an
    /// alternate or reported title), case-insensitively.
    pub fn resolve(&self, target: &str) -> Option<&Occupation> {
        self.by_code(target).or_else(|| self.by_title.get(&title_key(target)).map(|&i| &self.list[i]))
    }

    /// The skills of `target` that `have` lacks, most useful first.
    pub fn gaps(&self, have: &BTreeSet<String>, target: &Occupation) -> Vec<Gap> {
        let tax = Taxonomy::global();
        let have_lower: BTreeSet<String> = have.iter().map(|s| s.to_lowercase()).collect();
        let mut gaps: Vec<Gap> = target
            .skills
            .iter()
            .filter(|s| !have_lower.contains(&s.to_lowercase()))
            .map(|s| {
                let occupations = tax.normalize(s).map(|c| c.occupations).unwrap_or(0);
                let (hot, in_demand) = (target.hot.contains(s), target.in_demand.contains(s));
                let mut why = Vec::new();
                if hot {
                    why.push(format!("a Hot Technology for {} in O*NET", target.title));
                }
                if in_demand {
                    why.push("in demand in employers' postings (O*NET In Demand)".to_owned());
                }
                why.push(format!("listed for {occupations} occupations in O*NET"));
                let close_to: Vec<String> =
                    RelatedSkills::global().close_to(s, have).into_iter().map(|(h, _)| h).take(3).collect();
                if let Some(first) = close_to.first() {
                    why.push(format!(
                        "you have {first}; {s} is close (O*NET lists them for many of the same occupations)"
                    ));
                }
                Gap { skill: s.clone(), hot, in_demand, occupations, why: why.join("; "), close_to }
            })
            .collect();
        gaps.sort_by(|a, b| {
            (b.hot, b.in_demand, b.occupations).cmp(&(a.hot, a.in_demand, a.occupations)).then(a.skill.cmp(&b.skill))
        });
        gaps
    }

    /// Occupations one step from `from` (same job zone or up to `max_rise` zones higher), most
    /// alike first, at most `limit`. Occupations sharing no skill are not paths.
    pub fn paths(&self, from: &Occupation, max_rise: u8, limit: usize) -> Vec<PathStep> {
        let mut out: Vec<PathStep> = self
            .list
            .iter()
            .filter(|o| o.code != from.code && o.job_zone >= from.job_zone && o.job_zone <= from.job_zone + max_rise)
            .filter_map(|o| {
                let shared = from.skills.intersection(&o.skills).count();
                if shared == 0 {
                    return None;
                }
                let union = from.skills.union(&o.skills).count();
                let adds: Vec<String> = o.skills.difference(&from.skills).cloned().collect();
                let (min, max) = preparation_months(o.job_zone);
                Some(PathStep {
                    code: o.code.clone(),
                    title: o.title.clone(),
                    job_zone: o.job_zone,
                    similarity: (shared as f64 / union as f64 * 1000.0).round() / 1000.0,
                    shared_skills: shared,
                    adds,
                    typical_months_min: min,
                    typical_months_max: max,
                })
            })
            .collect();
        out.sort_by(|a, b| b.similarity.total_cmp(&a.similarity).then(a.code.cmp(&b.code)));
        out.truncate(limit);
        out
    }
}

/// A missing skill, with why it matters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub skill: String,
    pub hot: bool,
    pub in_demand: bool,
    /// How many O*NET occupations list the skill.
    pub occupations: u32,
    pub why: String,
    /// Skills the person has that are close to this one (related skills), closest first.
    pub close_to: Vec<String>,
}

/// One step of a career path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathStep {
    pub code: String,
    pub title: String,
    pub job_zone: u8,
    /// Shared skills ÷ the skills of either occupation (0..1, three decimals).
    pub similarity: f64,
    pub shared_skills: usize,
    /// Skills the step adds (the target's that the start lacks).
    pub adds: Vec<String>,
    /// Typical preparation for the target's job zone (O*NET SVP), in months.
    pub typical_months_min: u32,
    pub typical_months_max: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_occupation_with_a_job_zone_is_loaded_and_titles_resolve_to_it() {
        let o = Occupations::global();
        // occupations.tsv holds the 923 occupations O*NET 29.2 gives a job zone.
        assert_eq!(o.len(), 923);
        let dev = o.resolve("Software Engineer").expect("an alternate title of Software Developers");
        assert_eq!((dev.code.as_str(), dev.title.as_str(), dev.job_zone), ("15-1252.00", "Software Developers", 4));
        assert_eq!(o.resolve("15-1252.00").map(|d| &d.code), Some(&dev.code));
        assert_eq!(o.resolve("  software   DEVELOPERS ").map(|d| &d.code), Some(&dev.code));
        assert!(o.resolve("Dragon tamer").is_none());
    }

    #[test]
    fn gaps_rank_hot_then_in_demand_then_reach_and_skip_what_the_person_has() {
        let o = Occupations::global();
        let web = o.by_code("15-1254.00").expect("Web Developers");
        let have: BTreeSet<String> = ["JavaScript", "HTML", "CSS"].iter().map(|s| (*s).to_owned()).collect();
        let gaps = o.gaps(&have, web);
        assert!(gaps.iter().all(|g| !have.contains(&g.skill)));
        assert_eq!(gaps.len(), web.skills.len() - web.skills.intersection(&have).count());
        for w in gaps.windows(2) {
            let key = |g: &Gap| (g.hot, g.in_demand, g.occupations);
            assert!(key(&w[0]) >= key(&w[1]), "{:?} before {:?}", w[0], w[1]);
        }
        assert!(gaps[0].hot && gaps[0].why.contains("Hot Technology"), "{:?}", gaps[0]);
    }

    #[test]
    fn a_path_keeps_what_is_shared_and_adds_the_rest_with_the_zones_preparation() {
        let o = Occupations::global();
        let dev = o.by_code("15-1252.00").unwrap();
        let paths = o.paths(dev, 1, 5);
        assert_eq!(paths.len(), 5);
        for p in &paths {
            let to = o.by_code(&p.code).unwrap();
            assert!(to.job_zone == 4 || to.job_zone == 5);
            let shared = dev.skills.intersection(&to.skills).count();
            let union = dev.skills.union(&to.skills).count();
            assert_eq!(p.shared_skills, shared);
            assert!((p.similarity - shared as f64 / union as f64).abs() < 0.001);
            assert_eq!(p.adds, to.skills.difference(&dev.skills).cloned().collect::<Vec<_>>());
            assert_eq!((p.typical_months_min, p.typical_months_max), preparation_months(to.job_zone));
        }
        assert!(paths.windows(2).all(|w| w[0].similarity >= w[1].similarity));
    }

    #[test]
    fn related_skills_are_symmetric_in_closeness_and_say_mysql_is_close_to_postgresql() {
        let r = RelatedSkills::global();
        assert_eq!(r.closeness("MySQL", "PostgreSQL"), Some(0.47));
        assert_eq!(r.closeness("PostgreSQL", "MySQL"), Some(0.47));
        assert!(r.of("MySQL").len() <= 5 && r.of("MySQL").windows(2).all(|w| w[0].1 >= w[1].1));
        assert_eq!(r.closeness("MySQL", "Microsoft Excel"), None);
        let o = Occupations::global();
        let dba = o.by_code("15-1242.00").expect("Database Administrators");
        let have: BTreeSet<String> = ["MySQL".to_owned()].into();
        let pg = o.gaps(&have, dba).into_iter().find(|g| g.skill == "PostgreSQL").expect("a gap");
        assert_eq!(pg.close_to, ["MySQL"]);
        assert!(pg.why.contains("you have MySQL; PostgreSQL is close"), "{}", pg.why);
    }

    /// Worked by hand from O*NET 29.2's rows. Hearing Aid Specialists (29-2092.00, job zone 3)
    /// list seven technology examples; HIMSA Noah and Otometrics OTOsuite are not in the
    /// taxonomy, which leaves Microsoft Excel (Hot, In Demand), Microsoft Office software (Hot,
    /// In Demand), Microsoft Outlook (Hot), Microsoft PowerPoint (Hot) and Microsoft Word (Hot).
    /// The taxonomy counts the occupations listing each: Excel 859, Office 813, Outlook 634,
    /// PowerPoint 629. Court Reporters and Simultaneous Captioners (27-3092.00, zone 3) list
    /// Corel WordPerfect Office Suite, Microsoft Excel, Microsoft Word, Nuance Dragon
    /// NaturallySpeaking and Web browser software: 2 shared of 8 in either, 0.25.
    #[test]
    fn hearing_aid_specialists_gaps_and_a_path_match_the_figures_worked_by_hand() {
        let o = Occupations::global();
        let has = o.by_code("29-2092.00").unwrap();
        assert_eq!(has.job_zone, 3);
        let names: Vec<&str> = has.skills.iter().map(String::as_str).collect();
        assert_eq!(
            names,
            ["Microsoft Excel", "Microsoft Office", "Microsoft Outlook", "Microsoft PowerPoint", "Microsoft Word"]
        );
        let have: BTreeSet<String> = ["Microsoft Word".to_owned()].into();
        let gaps = o.gaps(&have, has);
        let got: Vec<(&str, bool, bool, u32)> =
            gaps.iter().map(|g| (g.skill.as_str(), g.hot, g.in_demand, g.occupations)).collect();
        assert_eq!(
            got,
            [
                ("Microsoft Excel", true, true, 859),
                ("Microsoft Office", true, true, 813),
                ("Microsoft Outlook", true, false, 634),
                ("Microsoft PowerPoint", true, false, 629),
            ]
        );
        let step = o.paths(has, 0, 1000).into_iter().find(|p| p.code == "27-3092.00").expect("a path");
        assert_eq!((step.shared_skills, step.similarity, step.adds.len()), (2, 0.25, 3));
        assert_eq!((step.typical_months_min, step.typical_months_max), (12, Some(24)));
    }
}
