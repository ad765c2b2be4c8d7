//! Cohort bias audit with the NYC Local Law 144 arithmetic (DCWP rules, 6 RCNY §5-300/5-301):
//! selection rates, scoring rates, impact ratios by sex, race/ethnicity and their
//! intersection, with the EEOC four-fifths flag and the 2% small-category exclusion.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// EEO-1 sex categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

/// EEO-1 race/ethnicity categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RaceEthnicity {
    HispanicOrLatino,
    White,
    BlackOrAfricanAmerican,
    NativeHawaiianOrOtherPacificIslander,
    Asian,
    AmericanIndianOrAlaskaNative,
    TwoOrMoreRaces,
}

impl Sex {
    pub const ALL: [Sex; 2] = [Sex::Male, Sex::Female];
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "Male",
            Sex::Female => "Female",
        }
    }
}

impl RaceEthnicity {
    pub const ALL: [RaceEthnicity; 7] = [
        RaceEthnicity::HispanicOrLatino,
        RaceEthnicity::White,
        RaceEthnicity::BlackOrAfricanAmerican,
        RaceEthnicity::NativeHawaiianOrOtherPacificIslander,
        RaceEthnicity::Asian,
        RaceEthnicity::AmericanIndianOrAlaskaNative,
        RaceEthnicity::TwoOrMoreRaces,
    ];
    pub fn label(self) -> &'static str {
        match self {
            RaceEthnicity::HispanicOrLatino => "Hispanic or Latino",
            RaceEthnicity::White => "White",
            RaceEthnicity::BlackOrAfricanAmerican => "Black or African American",
            RaceEthnicity::NativeHawaiianOrOtherPacificIslander => "Native Hawaiian or Other Pacific Islander",
            RaceEthnicity::Asian => "Asian",
            RaceEthnicity::AmericanIndianOrAlaskaNative => "American Indian or Alaska Native",
            RaceEthnicity::TwoOrMoreRaces => "Two or More Races",
        }
    }
}

/// One applicant in the audit data. `None` = unknown or declined to self-identify.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CohortRecord {
    pub sex: Option<Sex>,
    pub race_ethnicity: Option<RaceEthnicity>,
    /// Moved forward (advanced / selected) by the tool.
    pub selected: bool,
    /// The tool's score, for the scoring-rate method.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditOptions {
    /// Categories below this share of the audit data may be excluded (LL144: 2%).
    pub small_category_share: f64,
    /// Apply that exclusion (it is optional under the rules); stated in the report either way.
    pub exclude_small_categories: bool,
    /// EEOC Uniform Guidelines four-fifths threshold.
    pub four_fifths: f64,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions { small_category_share: 0.02, exclude_small_categories: true, four_fifths: 0.8 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryStats {
    pub category: String,
    /// Applicants in the category; `null` when the cell is suppressed.
    pub count: Option<u64>,
    /// count / all records in the audit data; `null` when suppressed.
    pub share_of_data: Option<f64>,
    pub selected: Option<u64>,
    pub selection_rate: Option<f64>,
    /// selection rate / highest selection rate among included categories.
    pub selection_impact_ratio: Option<f64>,
    pub scored: Option<u64>,
    pub scored_above_median: Option<u64>,
    /// Share of this category's scored applicants scoring above the sample median.
    pub scoring_rate: Option<f64>,
    pub scoring_impact_ratio: Option<f64>,
    /// Impact ratio below the four-fifths threshold on either method; `null` when suppressed.
    pub below_four_fifths: Option<bool>,
    pub excluded_from_impact_ratios: bool,
    pub exclusion_reason: Option<String>,
    /// The cell's figures are withheld (small-cell suppression; see the report's `suppression`).
    pub suppressed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DimensionReport {
    pub dimension: String,
    pub categories: Vec<CategoryStats>,
    /// Applicants whose category in this dimension is unknown: reported, not in ratios;
    /// `null` when suppressed.
    pub unknown_count: Option<u64>,
    pub highest_selection_rate: Option<f64>,
    pub highest_scoring_rate: Option<f64>,
    /// The cells of this dimension whose figures are withheld ("unknown" for the unknown cell).
    pub suppressed_cells: Vec<String>,
    pub notes: Vec<String>,
}

/// Small-cell suppression: whether it was applied to this copy of the report, and the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    pub applied: bool,
    /// Cells with fewer applicants than this are withheld (when applied).
    pub minimum_cell_count: u64,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub total_records: u64,
    pub selected_total: u64,
    pub scored_total: u64,
    pub median_score: Option<f64>,
    pub sex: DimensionReport,
    pub race_ethnicity: DimensionReport,
    pub intersectional: DimensionReport,
    pub options: AuditOptions,
    pub method: Vec<String>,
    pub suppression: Suppression,
}

/// The smallest cell shown to a reader without an audit permission.
pub const MIN_CELL_COUNT: u64 = 5;

fn suppression_rule(minimum: u64) -> String {
    format!(
        "Cells with fewer than {minimum} applicants show neither counts nor rates to readers without the \
         audit:read permission, so no applicant's self-identification can be read off the aggregate. \
         When the withheld cells of a dimension would together hold 1 to {} applicants (and so be \
         derivable from the totals), the next smallest cells are withheld too. Impact ratios are withheld \
         when their reference (highest-rate) category is. Auditors see the exact figures.",
        minimum - 1
    )
}

impl AuditReport {
    /// This report with small cells withheld (`minimum` applicants per cell), for readers who may
    /// see aggregates but not individual self-identifications. The exact report is unchanged
    /// for auditors; totals and the median, which name no category, stay.
    pub fn suppress_small_cells(mut self, minimum: u64) -> AuditReport {
        for d in [&mut self.sex, &mut self.race_ethnicity, &mut self.intersectional] {
            suppress_dimension(d, minimum);
        }
        self.suppression = Suppression { applied: true, minimum_cell_count: minimum, rule: suppression_rule(minimum) };
        self
    }
}

const UNKNOWN_CELL: &str = "unknown";

fn suppress_dimension(d: &mut DimensionReport, minimum: u64) {
    // Cells: every category, and the unknown cell (index = categories.len()).
    let n = d.categories.len();
    let count = |i: usize, d: &DimensionReport| -> u64 {
        if i < n { d.categories[i].count.unwrap_or(0) } else { d.unknown_count.unwrap_or(0) }
    };
    let mut hidden: Vec<bool> = (0..=n).map(|i| count(i, d) < minimum).collect();
    // Secondary suppression: withheld cells must not add up to a small, derivable number.
    loop {
        let sum: u64 = (0..=n).filter(|&i| hidden[i]).map(|i| count(i, d)).sum();
        if sum == 0 || sum >= minimum {
            break;
        }
        let next = (0..=n).filter(|&i| !hidden[i] && count(i, d) > 0).min_by_key(|&i| (count(i, d), i));
        match next {
            Some(i) => hidden[i] = true,
            None => break,
        }
    }
    let top_hidden = |rate: fn(&CategoryStats) -> Option<f64>, top: Option<f64>, d: &DimensionReport| {
        top.is_some_and(|t| {
            d.categories
                .iter()
                .enumerate()
                .any(|(i, c)| hidden[i] && !c.excluded_from_impact_ratios && rate(c) == Some(t))
        })
    };
    let hide_selection = top_hidden(|c| c.selection_rate, d.highest_selection_rate, d);
    let hide_scoring = top_hidden(|c| c.scoring_rate, d.highest_scoring_rate, d);
    let mut withheld = Vec::new();
    for (i, c) in d.categories.iter_mut().enumerate() {
        if hidden[i] {
            withheld.push(c.category.clone());
            *c = CategoryStats {
                category: std::mem::take(&mut c.category),
                count: None,
                share_of_data: None,
                selected: None,
                selection_rate: None,
                selection_impact_ratio: None,
                scored: None,
                scored_above_median: None,
                scoring_rate: None,
                scoring_impact_ratio: None,
                below_four_fifths: None,
                excluded_from_impact_ratios: true,
                exclusion_reason: Some(format!(
                    "suppressed: a small cell (under {minimum} applicants), or one that would reveal one"
                )),
                suppressed: true,
            };
        } else {
            if hide_selection {
                c.selection_impact_ratio = None;
            }
            if hide_scoring {
                c.scoring_impact_ratio = None;
            }
        }
    }
    if hidden[n] {
        withheld.push(UNKNOWN_CELL.to_owned());
        d.unknown_count = None;
    }
    if hide_selection {
        d.highest_selection_rate = None;
    }
    if hide_scoring {
        d.highest_scoring_rate = None;
    }
    // The notes name excluded categories and the unknown count: rebuild them from what is shown.
    d.notes = dimension_notes(&d.dimension, d);
    if hide_selection || hide_scoring {
        d.notes.push("Impact ratios are withheld: the category they are measured against is a suppressed cell.".into());
    }
    if !withheld.is_empty() {
        d.notes.push(format!(
            "Suppressed cells (under {minimum} applicants, or needed to protect one): {}.",
            withheld.join(", ")
        ));
    }
    d.suppressed_cells = withheld;
}

/// The notes a dimension carries, from its (possibly suppressed) figures.
fn dimension_notes(name: &str, d: &DimensionReport) -> Vec<String> {
    let mut notes = Vec::new();
    if d.highest_selection_rate == Some(0.0) {
        notes.push("No category had any selection: selection impact ratios are undefined.".into());
    }
    if d.highest_scoring_rate == Some(0.0) {
        notes.push("No category scored above the median: scoring impact ratios are undefined.".into());
    }
    let excluded: Vec<&str> = d
        .categories
        .iter()
        .filter(|s| !s.suppressed && s.excluded_from_impact_ratios && s.count.unwrap_or(0) > 0)
        .map(|s| s.category.as_str())
        .collect();
    if !excluded.is_empty() {
        notes.push(format!("Excluded from impact ratios as a small share of the data: {}.", excluded.join(", ")));
    }
    if let Some(unknown) = d.unknown_count.filter(|u| *u > 0) {
        notes.push(format!("{unknown} applicant(s) with unknown {name} are counted here but not in any ratio."));
    }
    notes
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Median of the scores (mean of the two middle values for an even count).
fn median(mut scores: Vec<f64>) -> Option<f64> {
    scores.retain(|s| s.is_finite());
    if scores.is_empty() {
        return None;
    }
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    Some(if n % 2 == 1 { scores[n / 2] } else { (scores[n / 2 - 1] + scores[n / 2]) / 2.0 })
}

#[derive(Default, Clone, Copy)]
struct Tally {
    count: u64,
    selected: u64,
    scored: u64,
    above: u64,
}

fn dimension<K: Ord + Copy>(
    name: &str,
    records: &[CohortRecord],
    categories: &[(K, String)],
    key: impl Fn(&CohortRecord) -> Option<K>,
    median: Option<f64>,
    options: &AuditOptions,
) -> DimensionReport {
    let total = records.len() as u64;
    let mut tallies: BTreeMap<K, Tally> = BTreeMap::new();
    let mut unknown = 0u64;
    for r in records {
        let Some(k) = key(r) else {
            unknown += 1;
            continue;
        };
        let t = tallies.entry(k).or_default();
        t.count += 1;
        t.selected += u64::from(r.selected);
        if let Some(s) = r.score.filter(|s| s.is_finite()) {
            t.scored += 1;
            if median.is_some_and(|m| s > m) {
                t.above += 1;
            }
        }
    }
    let mut stats: Vec<CategoryStats> = categories
        .iter()
        .map(|(k, label)| {
            let t = tallies.get(k).copied().unwrap_or_default();
            let share = ratio(t.count, total).unwrap_or(0.0);
            let small = options.exclude_small_categories && share < options.small_category_share;
            let reason = small.then(|| {
                if t.count == 0 {
                    "no applicants in this category".to_owned()
                } else {
                    format!(
                        "{:.2}% of the audit data, below the {:.0}% threshold (6 RCNY §5-301)",
                        share * 100.0,
                        options.small_category_share * 100.0
                    )
                }
            });
            CategoryStats {
                category: label.clone(),
                count: Some(t.count),
                share_of_data: Some(share),
                selected: Some(t.selected),
                selection_rate: ratio(t.selected, t.count),
                selection_impact_ratio: None,
                scored: Some(t.scored),
                scored_above_median: Some(t.above),
                scoring_rate: ratio(t.above, t.scored),
                scoring_impact_ratio: None,
                below_four_fifths: Some(false),
                excluded_from_impact_ratios: small,
                exclusion_reason: reason,
                suppressed: false,
            }
        })
        .collect();
    let best = |f: &dyn Fn(&CategoryStats) -> Option<f64>| {
        stats
            .iter()
            .filter(|s| !s.excluded_from_impact_ratios)
            .filter_map(f)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))))
    };
    let top_sel = best(&|s| s.selection_rate);
    let top_score = best(&|s| s.scoring_rate);
    for s in &mut stats {
        if s.excluded_from_impact_ratios {
            continue;
        }
        s.selection_impact_ratio = match (s.selection_rate, top_sel) {
            (Some(r), Some(top)) if top > 0.0 => Some(r / top),
            _ => None,
        };
        s.scoring_impact_ratio = match (s.scoring_rate, top_score) {
            (Some(r), Some(top)) if top > 0.0 => Some(r / top),
            _ => None,
        };
        s.below_four_fifths = Some(
            s.selection_impact_ratio.is_some_and(|r| r < options.four_fifths)
                || s.scoring_impact_ratio.is_some_and(|r| r < options.four_fifths),
        );
    }
    let mut d = DimensionReport {
        dimension: name.to_owned(),
        categories: stats,
        unknown_count: Some(unknown),
        highest_selection_rate: top_sel,
        highest_scoring_rate: top_score,
        suppressed_cells: Vec::new(),
        notes: Vec::new(),
    };
    d.notes = dimension_notes(name, &d);
    d
}

/// Runs the LL144 bias-audit arithmetic over a cohort.
pub fn cohort_audit(records: &[CohortRecord], options: AuditOptions) -> AuditReport {
    let median_score = median(records.iter().filter_map(|r| r.score).collect());
    let sexes: Vec<(Sex, String)> = Sex::ALL.iter().map(|s| (*s, s.label().to_owned())).collect();
    let races: Vec<(RaceEthnicity, String)> = RaceEthnicity::ALL.iter().map(|r| (*r, r.label().to_owned())).collect();
    let inter: Vec<((Sex, RaceEthnicity), String)> = Sex::ALL
        .iter()
        .flat_map(|s| RaceEthnicity::ALL.iter().map(move |r| ((*s, *r), format!("{} {}", r.label(), s.label()))))
        .collect();
    AuditReport {
        total_records: records.len() as u64,
        selected_total: records.iter().filter(|r| r.selected).count() as u64,
        scored_total: records.iter().filter(|r| r.score.is_some_and(f64::is_finite)).count() as u64,
        median_score,
        sex: dimension("sex", records, &sexes, |r| r.sex, median_score, &options),
        race_ethnicity: dimension("race/ethnicity", records, &races, |r| r.race_ethnicity, median_score, &options),
        intersectional: dimension(
            "sex × race/ethnicity",
            records,
            &inter,
            |r| Some((r.sex?, r.race_ethnicity?)),
            median_score,
            &options,
        ),
        options,
        suppression: Suppression {
            applied: false,
            minimum_cell_count: MIN_CELL_COUNT,
            rule: suppression_rule(MIN_CELL_COUNT),
        },
        method: vec![
            "Selection rate = selected / applicants in the category.".into(),
            "Scoring rate = applicants scoring above the sample median / scored applicants in \
             the category (6 RCNY §5-300, scored AEDTs)."
                .into(),
            "Impact ratio = category rate / highest rate among included categories.".into(),
            format!(
                "Flag: impact ratio below {} (EEOC four-fifths rule, a rule of thumb, not a \
                 finding of discrimination).",
                options.four_fifths
            ),
            "Unknown / declined categories are counted and reported but excluded from rates \
             and ratios."
                .into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(sex: Option<Sex>, race: Option<RaceEthnicity>, selected: bool, score: f64) -> CohortRecord {
        CohortRecord { sex, race_ethnicity: race, selected, score: Some(score) }
    }

    /// Hand-computed example (100 applicants):
    ///
    /// | group                 | n  | selected | scores              |
    /// |-----------------------|----|----------|---------------------|
    /// | Male, White           | 40 | 20       | 20 × 80, 20 × 40    |
    /// | Female, White         | 30 | 9        | 9 × 80, 21 × 40     |
    /// | Female, Asian         | 20 | 8        | 8 × 80, 12 × 40     |
    /// | Male, Black           | 1  | 1        | 1 × 80              |
    /// | unknown sex, White    | 9  | 2        | 9 × 40              |
    ///
    /// Scores: 38 × 80 and 62 × 40 → median = 40; "above the median" = scored 80.
    ///
    /// Sex (unknown 9 excluded from ratios): Male n=41, selected 21 → 0.5122;
    /// Female n=50, selected 17 → 0.34. Impact ratio Female = 0.34 / 0.5122 = 0.6638 < 0.8 → flag.
    /// Scoring: Male 21/41 = 0.5122, Female 17/50 = 0.34 → same ratio 0.6638.
    ///
    /// Race: White n=79 (40+30+9), selected 31 → 0.3924; Asian n=20, 8 → 0.40;
    /// Black n=1 → share 1% < 2% → excluded (else its rate 1.0 would be the top).
    /// Top = Asian 0.40; White ratio = 0.3924 / 0.40 = 0.981 → no flag.
    #[test]
    fn impact_ratio_flags_below_four_fifths_on_hand_computed_example() {
        use RaceEthnicity::*;
        let mut v = Vec::new();
        for i in 0..40 {
            v.push(rec(Some(Sex::Male), Some(White), i < 20, if i < 20 { 80.0 } else { 40.0 }));
        }
        for i in 0..30 {
            v.push(rec(Some(Sex::Female), Some(White), i < 9, if i < 9 { 80.0 } else { 40.0 }));
        }
        for i in 0..20 {
            v.push(rec(Some(Sex::Female), Some(Asian), i < 8, if i < 8 { 80.0 } else { 40.0 }));
        }
        v.push(rec(Some(Sex::Male), Some(BlackOrAfricanAmerican), true, 80.0));
        for i in 0..9 {
            v.push(rec(None, Some(White), i < 2, 40.0));
        }
        let r = cohort_audit(&v, AuditOptions::default());
        assert_eq!(r.total_records, 100);
        assert_eq!(r.median_score, Some(40.0));

        let male = &r.sex.categories[0];
        let female = &r.sex.categories[1];
        assert_eq!((male.count, male.selected), (Some(41), Some(21)));
        assert_eq!((female.count, female.selected), (Some(50), Some(17)));
        assert_eq!(r.sex.unknown_count, Some(9));
        let ir = female.selection_impact_ratio.unwrap();
        assert!((ir - 0.34 / (21.0 / 41.0)).abs() < 1e-12);
        assert!((ir - 0.6638).abs() < 1e-4);
        assert_eq!(female.below_four_fifths, Some(true));
        assert_eq!(male.below_four_fifths, Some(false));
        assert!((female.scoring_impact_ratio.unwrap() - 0.6638).abs() < 1e-4);

        let race = |label: &str| r.race_ethnicity.categories.iter().find(|c| c.category == label).unwrap();
        let black = race("Black or African American");
        assert!(black.excluded_from_impact_ratios);
        assert!(black.exclusion_reason.as_deref().unwrap().contains("1.00%"));
        assert!(black.selection_impact_ratio.is_none());
        let white = race("White");
        assert_eq!((white.count, white.selected), (Some(79), Some(31)));
        assert!((white.selection_impact_ratio.unwrap() - (31.0 / 79.0) / 0.4).abs() < 1e-12);
        assert_eq!(white.below_four_fifths, Some(false));
        assert!(r.race_ethnicity.notes.iter().any(|n| n.contains("Black or African American")));

        let inter = r.intersectional.categories.iter().find(|c| c.category == "White Female").unwrap();
        assert_eq!(inter.count, Some(30));
        // Intersection unknown = the 9 without a sex.
        assert_eq!(r.intersectional.unknown_count, Some(9));
    }

    #[test]
    fn zero_selections_and_empty_input_do_not_divide_by_zero() {
        let r = cohort_audit(&[], AuditOptions::default());
        assert_eq!(r.median_score, None);
        assert!(r.sex.categories.iter().all(|c| c.selection_rate.is_none()));
        let v = vec![rec(Some(Sex::Male), None, false, 1.0), rec(Some(Sex::Female), None, false, 1.0)];
        let r = cohort_audit(&v, AuditOptions::default());
        assert!(r.sex.categories.iter().all(|c| c.selection_impact_ratio.is_none()));
        assert!(!r.sex.notes.is_empty());
        assert_eq!(r.race_ethnicity.unknown_count, Some(2));
    }

    /// One applicant: every cell that could name their self-identification is withheld, and
    /// the report says so; the auditor's copy is exact.
    #[test]
    fn a_single_applicants_self_identification_cannot_be_read_off_the_suppressed_report() {
        let v = vec![rec(Some(Sex::Female), Some(RaceEthnicity::Asian), true, 70.0)];
        let exact = cohort_audit(&v, AuditOptions::default());
        assert_eq!(exact.sex.categories[1].count, Some(1));
        assert!(!exact.suppression.applied);
        let shown = exact.clone().suppress_small_cells(MIN_CELL_COUNT);
        assert!(shown.suppression.applied);
        assert_eq!(shown.suppression.minimum_cell_count, 5);
        for d in [&shown.sex, &shown.race_ethnicity, &shown.intersectional] {
            for c in &d.categories {
                assert!(c.suppressed, "{}: {c:?}", d.dimension);
                assert_eq!((c.count, c.selected, c.selection_rate, c.scoring_rate), (None, None, None, None));
                assert_eq!(c.share_of_data, None);
            }
            assert_eq!(d.unknown_count, None);
            assert!(d.suppressed_cells.contains(&"unknown".to_owned()));
            let text = serde_json::to_string(d).unwrap();
            assert!(!text.contains("1 applicant"), "{text}");
        }
        assert_eq!(shown.total_records, 1);
    }

    /// 12 women, 3 men, 0 unknown: the 3 men are withheld, and so are the women, or
    /// 15 − 12 would give them away; with 2 unknowns added the two small cells hide each other.
    #[test]
    fn secondary_suppression_keeps_a_small_cell_from_being_derived_by_subtraction() {
        let mut v = Vec::new();
        for i in 0..12 {
            v.push(rec(Some(Sex::Female), None, i < 6, 50.0));
        }
        for _ in 0..3 {
            v.push(rec(Some(Sex::Male), None, true, 60.0));
        }
        let r = cohort_audit(&v, AuditOptions::default()).suppress_small_cells(5);
        let male = &r.sex.categories[0];
        let female = &r.sex.categories[1];
        assert!(male.suppressed && female.suppressed, "{:?}", r.sex);

        for _ in 0..2 {
            v.push(rec(None, None, false, 10.0));
        }
        let r = cohort_audit(&v, AuditOptions::default()).suppress_small_cells(5);
        let male = &r.sex.categories[0];
        let female = &r.sex.categories[1];
        assert!(male.suppressed);
        assert_eq!(r.sex.unknown_count, None);
        assert!(!female.suppressed);
        assert_eq!(female.count, Some(12));
        assert_eq!(female.selection_rate, Some(0.5));
        // The men had the highest selection rate: the women's ratio against it would reveal it.
        assert_eq!(female.selection_impact_ratio, None);
        assert_eq!(r.sex.highest_selection_rate, None);
        assert!(r.sex.notes.iter().any(|n| n.contains("withheld")));
    }

    /// Cells of five or more are untouched by suppression: the LL144 arithmetic is the same.
    /// (The empty unknown cell is withheld too: under five, even at zero.)
    #[test]
    fn suppression_leaves_cells_of_five_or_more_exact() {
        let mut v = Vec::new();
        for i in 0..10 {
            v.push(rec(Some(Sex::Male), None, i < 5, 50.0));
            v.push(rec(Some(Sex::Female), None, i < 4, 50.0));
        }
        let exact = cohort_audit(&v, AuditOptions::default());
        let shown = exact.clone().suppress_small_cells(5);
        assert_eq!(exact.sex.categories, shown.sex.categories);
        assert_eq!(shown.sex.suppressed_cells, vec!["unknown".to_owned()]);
        assert_eq!(shown.sex.categories[1].selection_impact_ratio, Some(0.8));
    }
}
