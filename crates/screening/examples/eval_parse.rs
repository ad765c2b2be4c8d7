//! Scores the parser and the anonymiser on the evaluation set in `eval/` (`make eval-parse`):
//! precision and recall per field and per producer, the share of gold fields right (all files,
//! the tuning part and the held-out part), and every personal identifier from the gold files
//! still present anywhere in the anonymised profile (text and fields), per identifier type.
//!
//! `cargo run -p clearview-screening --example eval_parse -- [EVAL_DIR] [-v] [--held-out-details]`
//! `-v` lists each tuning file's misses and leaks; held-out files stay summarised unless
//! `--held-out-details` is given (they are kept aside while the parser is being improved).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clearview_screening::structure::ParsedResume;
use clearview_screening::{Taxonomy, anonymize, structure};
use serde_json::Value;

const FIELDS: &[&str] = &[
    "name",
    "email",
    "phone",
    "location",
    "experience.company",
    "experience.title",
    "experience.start",
    "experience.end",
    "experience.current",
    "education.institution",
    "education.degree",
    "education.field",
    "education.end_year",
    "skills",
    "languages",
];
const ID_TYPES: &[&str] = &["name", "email", "phone", "address", "url", "handle"];

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
    right: u32,
    checks: u32,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
        self.right += o.right;
        self.checks += o.checks;
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn share(&self) -> f64 {
        ratio(self.right, self.checks)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 1.0 } else { f64::from(a) / f64::from(b) }
}

/// One file's results: counts per field, misses (for `-v`), leaks per identifier type.
#[derive(Default)]
struct FileResult {
    fields: BTreeMap<&'static str, Counts>,
    misses: Vec<String>,
    leaks: BTreeMap<&'static str, u32>,
    leak_notes: Vec<String>,
}

impl FileResult {
    fn record(&mut self, field: &'static str, c: Counts, what: impl FnOnce() -> String) {
        if c.right < c.checks || c.fp > 0 {
            self.misses.push(format!("{field}: {}", what()));
        }
        self.fields.entry(field).or_default().add(c);
    }
}

fn norm(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            '&' => {
                out.push_str(" and ");
                continue;
            }
            '’' | '\'' => continue,
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        out.push(ch);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Gold values are a string or a list of acceptable strings.
fn alternatives(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

fn text_eq(gold: &Value, got: Option<&str>) -> bool {
    got.is_some_and(|g| alternatives(gold).iter().any(|a| norm(a) == norm(g)))
}

fn phone_eq(gold: &Value, got: Option<&str>) -> bool {
    got.is_some_and(|g| {
        let g = digits(g);
        alternatives(gold).iter().any(|a| {
            let a = digits(a);
            g.len() >= 7 && a.len() >= 7 && (a.ends_with(&g) || g.ends_with(&a))
        })
    })
}

/// Compares a gold value with what was parsed.
type Eq = fn(&Value, Option<&str>) -> bool;

/// A scalar check: key absent in gold = not checked; null = must be absent; else must match.
fn scalar(gold: Option<&Value>, got: Option<&str>, eq: impl Fn(&Value, Option<&str>) -> bool) -> Option<Counts> {
    let gold = gold?;
    let mut c = Counts { checks: 1, ..Counts::default() };
    if gold.is_null() {
        if got.is_some() {
            c.fp = 1;
        } else {
            c.right = 1;
        }
    } else if eq(gold, got) {
        c.tp = 1;
        c.right = 1;
    } else {
        c.fn_ = 1;
        if got.is_some() {
            c.fp = 1;
        }
    }
    Some(c)
}

fn date_eq(gold: &Value, got: Option<&str>) -> bool {
    let (Some(g), Some(p)) = (gold.as_str(), got) else { return false };
    if g.len() == 4 { p.get(..4) == Some(g) } else { p == g }
}

fn json_str(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn tokens(s: &str) -> Vec<String> {
    norm(s).split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn overlap(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.iter().filter(|t| b.contains(t)).count();
    common as f64 / a.len().max(b.len()) as f64
}

/// Aligns gold entries with parsed ones (greedy, by words shared in the key fields and dates).
fn align(gold: &[Value], parsed: &[Value], keys: &[&str], date_key: &str) -> Vec<Option<usize>> {
    let key_text = |v: &Value| {
        keys.iter()
            .filter_map(|k| v.get(*k))
            .flat_map(|x| alternatives(x).into_iter().take(1))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut taken = vec![false; parsed.len()];
    let mut out = Vec::new();
    for g in gold {
        let gt = tokens(&key_text(g));
        let gd = g.get(date_key).and_then(json_str);
        let mut best: Option<(f64, usize)> = None;
        for (i, p) in parsed.iter().enumerate() {
            if taken[i] {
                continue;
            }
            let mut score = overlap(&gt, &tokens(&key_text(p)));
            let pd = p.get(date_key).and_then(json_str);
            if gd.is_some()
                && pd.is_some()
                && gd.as_deref().map(|d| date_eq(&Value::String(d.to_owned()), pd.as_deref())) == Some(true)
            {
                score += 0.3;
            }
            if score >= 0.34 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, i));
            }
        }
        if let Some((_, i)) = best {
            taken[i] = true;
        }
        out.push(best.map(|(_, i)| i));
    }
    out
}

fn score_file(gold: &Value, p: &ParsedResume, r: &mut FileResult) {
    let taxonomy = Taxonomy::global();
    let c = &p.contact;
    let city = c.location.as_ref().and_then(|l| l.city.as_deref());
    let cases: [(&'static str, Option<&str>, Eq); 4] = [
        ("name", c.name.as_deref(), text_eq),
        ("email", c.email.as_deref(), |g, p| {
            alternatives(g).iter().any(|a| Some(a.to_lowercase()) == p.map(str::to_lowercase))
        }),
        ("phone", c.phone.as_deref(), phone_eq),
        ("location", city, text_eq),
    ];
    for (field, got, eq) in cases {
        if let Some(cnt) = scalar(gold.get(field), got, eq) {
            r.record(field, cnt, || format!("gold {} got {got:?}", gold[field]));
        }
    }

    if let Some(Value::Array(gexp)) = gold.get("experience") {
        let parsed: Vec<Value> = p.experience.iter().map(|e| serde_json::to_value(e).unwrap_or_default()).collect();
        let m = align(gexp, &parsed, &["company", "title"], "start");
        for (g, mi) in gexp.iter().zip(&m) {
            let pe = mi.map(|i| &parsed[i]);
            for (key, field) in [
                ("company", "experience.company"),
                ("title", "experience.title"),
                ("start", "experience.start"),
                ("end", "experience.end"),
                ("current", "experience.current"),
            ] {
                let got = pe.and_then(|e| e.get(key)).and_then(json_str);
                let got = if key == "current" && pe.is_none() { None } else { got };
                let eq: fn(&Value, Option<&str>) -> bool = match key {
                    "start" | "end" => date_eq,
                    "current" => |g, p| p == Some(&g.to_string()),
                    _ => text_eq,
                };
                if let Some(cnt) = scalar(g.get(key), got.as_deref(), eq) {
                    r.record(field, cnt, || format!("{} gold {} got {got:?}", g["company"], g[key]));
                }
            }
        }
        for (i, e) in parsed.iter().enumerate() {
            if !m.contains(&Some(i)) {
                for (key, field) in [("company", "experience.company"), ("title", "experience.title")] {
                    if e.get(key).is_some_and(|v| !v.is_null()) {
                        let fp = Counts { fp: 1, ..Counts::default() };
                        r.record(field, fp, || format!("extra entry {}", e.get(key).cloned().unwrap_or_default()));
                    }
                }
            }
        }
    }

    if let Some(Value::Array(gedu)) = gold.get("education") {
        let parsed: Vec<Value> = p
            .education
            .iter()
            .map(|e| {
                let mut v = serde_json::to_value(e).unwrap_or_default();
                let end_year = e.end.map(|d| Value::String(d.year.to_string())).unwrap_or(Value::Null);
                v["end_year"] = end_year;
                v
            })
            .collect();
        let m = align(gedu, &parsed, &["institution"], "end_year");
        for (g, mi) in gedu.iter().zip(&m) {
            let pe = mi.map(|i| &parsed[i]);
            for (gkey, pkey, field) in [
                ("institution", "institution", "education.institution"),
                ("level", "level", "education.degree"),
                ("field", "field", "education.field"),
                ("end_year", "end_year", "education.end_year"),
            ] {
                let got = pe.and_then(|e| e.get(pkey)).and_then(json_str);
                let eq: fn(&Value, Option<&str>) -> bool =
                    if gkey == "end_year" { |g, p| p == Some(&g.to_string()) } else { text_eq };
                if let Some(cnt) = scalar(g.get(gkey), got.as_deref(), eq) {
                    r.record(field, cnt, || format!("{} gold {} got {got:?}", g["institution"], g[gkey]));
                }
            }
        }
        for (i, e) in parsed.iter().enumerate() {
            if !m.contains(&Some(i)) && e.get("institution").is_some_and(|v| !v.is_null()) {
                let fp = Counts { fp: 1, ..Counts::default() };
                r.record("education.institution", fp, || format!("extra entry {}", e["institution"]));
            }
        }
    }

    let canon = |s: &str| taxonomy.canonical_name(s).unwrap_or(s).to_owned();
    for s in gold.get("skills_must").map(alternatives).unwrap_or_default() {
        let ok = p.skills.contains(&canon(&s));
        let cnt = Counts { tp: ok.into(), fn_: (!ok).into(), right: ok.into(), checks: 1, fp: 0 };
        r.record("skills", cnt, || {
            let known = if taxonomy.canonical_name(&s).is_some() { "" } else { " (not in the taxonomy)" };
            format!("missing {s}{known}")
        });
    }
    for s in gold.get("skills_must_not").map(alternatives).unwrap_or_default() {
        let bad = p.skills.contains(&canon(&s));
        let cnt = Counts { fp: bad.into(), right: (!bad).into(), checks: 1, ..Counts::default() };
        r.record("skills", cnt, || format!("false {s}"));
    }
    if let Some(gl) = gold.get("languages").filter(|v| v.is_array()) {
        let gl = alternatives(gl);
        for l in &gl {
            let ok = p.languages.iter().any(|x| norm(x) == norm(l));
            let cnt = Counts { tp: ok.into(), fn_: (!ok).into(), right: ok.into(), checks: 1, fp: 0 };
            r.record("languages", cnt, || format!("missing {l}"));
        }
        for x in &p.languages {
            if !gl.iter().any(|l| norm(l) == norm(x)) {
                r.record("languages", Counts { fp: 1, ..Counts::default() }, || format!("extra {x}"));
            }
        }
    }
}

fn collect_strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Occurrences of `needle` in `hay` (both lowercased) not inside a longer word.
fn count_words(hay: &str, needle: &str) -> u32 {
    if needle.is_empty() {
        return 0;
    }
    let mut n = 0;
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let at = from + i;
        let end = at + needle.len();
        let before = hay[..at].chars().next_back().is_some_and(char::is_alphanumeric);
        let after = hay[end..].chars().next().is_some_and(char::is_alphanumeric);
        if !before && !after {
            n += 1;
        }
        from = at + needle.len().max(1);
    }
    n
}

/// Letter-spaced runs ("J O H N") joined into words.
fn collapse_spaced(s: &str) -> String {
    let mut out = Vec::new();
    let mut run = String::new();
    for t in s.split_whitespace() {
        if t.chars().count() <= 2 && t.chars().all(char::is_alphanumeric) {
            run.push_str(t);
        } else {
            if !run.is_empty() {
                out.push(std::mem::take(&mut run));
            }
            out.push(t.to_owned());
        }
    }
    if !run.is_empty() {
        out.push(run);
    }
    out.join(" ")
}

/// Digit runs that may be broken by phone punctuation (spaces, dashes of any kind, soft hyphens).
fn digit_runs(s: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    let mut gap = 0;
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            cur.push(ch);
            gap = 0;
        } else if matches!(
            ch,
            ' ' | '-' | '.' | '(' | ')' | '+' | '/' | '\u{a0}' | '\u{ad}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
        ) && gap < 3
        {
            gap += 1;
        } else {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            gap = 0;
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}

fn count_leaks(gold: &Value, output: &str, r: &mut FileResult) {
    let lower = output.to_lowercase();
    let collapsed = collapse_spaced(&lower);
    let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let runs = digit_runs(output);
    let Some(ids) = gold.get("identifiers") else { return };
    for &kind in ID_TYPES {
        for id in ids.get(kind).map(alternatives).unwrap_or_default() {
            let l = id.to_lowercase();
            let n = match kind {
                "name" | "handle" => count_words(&lower, &l).max(count_words(&collapsed, &l)),
                "phone" => {
                    let d = digits(&id);
                    let tail = &d[d.len().saturating_sub(7)..];
                    runs.iter().filter(|r| r.len() >= 7 && r.contains(tail)).count() as u32
                }
                "url" => {
                    let bare =
                        l.trim_start_matches("https://").trim_start_matches("http://").trim_start_matches("www.");
                    squeezed.matches(bare).count() as u32
                }
                _ => {
                    let squeezed_id: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                    squeezed.matches(&squeezed_id).count() as u32
                }
            };
            if n > 0 {
                *r.leaks.entry(kind).or_default() += n;
                let at = lower.find(&l).or_else(|| collapsed.find(&l).map(|_| 0));
                let ctx = at.map(|i| {
                    let a = lower.floor_char_boundary(i.saturating_sub(30));
                    let b = lower.ceil_char_boundary((i + l.len() + 30).min(lower.len()));
                    lower[a..b].replace('\n', " / ")
                });
                r.leak_notes.push(format!("{kind} {id:?} x{n} {}", ctx.unwrap_or_default()));
            }
        }
    }
}

fn content_type(path: &Path) -> Option<&'static str> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("pdf") => Some("application/pdf"),
        Some("docx") => Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        _ => None,
    }
}

fn main() {
    let mut dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/eval"));
    let (mut verbose, mut held_out_details) = (false, false);
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "-v" => verbose = true,
            "--held-out-details" => held_out_details = true,
            other => dir = PathBuf::from(other),
        }
    }
    let manifest: Value = match std::fs::read_to_string(dir.join("manifest.json")).map(|s| serde_json::from_str(&s)) {
        Ok(Ok(v)) => v,
        other => {
            eprintln!("cannot read {}/manifest.json: {other:?}", dir.display());
            std::process::exit(2);
        }
    };
    let as_of = time::macros::date!(2026 - 06 - 01);
    let mut by_field: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut by_field_held: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut by_producer: BTreeMap<String, (Counts, u32)> = BTreeMap::new();
    let mut by_split: BTreeMap<String, Counts> = BTreeMap::new();
    let mut leaks: BTreeMap<&str, u32> = BTreeMap::new();
    let mut leaks_split: BTreeMap<String, u32> = BTreeMap::new();
    let mut failures = 0;
    let files = manifest["files"].as_array().cloned().unwrap_or_default();
    for entry in &files {
        let file = entry["file"].as_str().unwrap_or_default();
        let producer = entry["producer"].as_str().unwrap_or("?").to_owned();
        let split = entry["split"].as_str().unwrap_or("tuning").to_owned();
        let path = dir.join("files").join(file);
        let gold: Value = std::fs::read_to_string(dir.join(entry["gold"].as_str().unwrap_or_default()))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let bytes = std::fs::read(&path).unwrap_or_default();
        let mut r = FileResult::default();
        match structure::parse_resume_at(&bytes, content_type(&path), as_of) {
            Ok(p) => {
                score_file(&gold, &p, &mut r);
                let profile = anonymize(&p, &p.text);
                let mut out = String::new();
                collect_strings(&serde_json::to_value(&profile).unwrap_or_default(), &mut out);
                count_leaks(&gold, &out, &mut r);
            }
            Err(e) => {
                failures += 1;
                r.misses.push(format!("parse failed: {}", e.code()));
                // Every gold check counts as wrong.
                let empty = structure::parse_text_at("", as_of);
                score_file(&gold, &empty, &mut r);
            }
        }
        let mut total = Counts::default();
        for (f, c) in &r.fields {
            total.add(*c);
            by_field.entry(f).or_default().add(*c);
            if split == "held_out" {
                by_field_held.entry(f).or_default().add(*c);
            }
        }
        let pe = by_producer.entry(producer.clone()).or_default();
        pe.0.add(total);
        pe.1 += 1;
        by_split.entry(split.clone()).or_default().add(total);
        let nleaks: u32 = r.leaks.values().sum();
        for (k, n) in &r.leaks {
            *leaks.entry(k).or_default() += n;
        }
        *leaks_split.entry(split.clone()).or_default() += nleaks;
        let show = verbose && (split != "held_out" || held_out_details);
        if show {
            println!("{file} [{producer}, {split}]: {}/{} right, {} leaks", total.right, total.checks, nleaks);
            for m in &r.misses {
                println!("    miss  {m}");
            }
            for l in &r.leak_notes {
                println!("    leak  {l}");
            }
        }
    }

    let mut all = Counts::default();
    by_split.values().for_each(|c| all.add(*c));
    println!("\n== Resume parsing evaluation ({} files, {} producers) ==", files.len(), by_producer.len());
    println!("overall fields right: {}/{} = {:.1}%", all.right, all.checks, all.share() * 100.0);
    for (s, c) in &by_split {
        println!("  {s:<9} fields right: {}/{} = {:.1}%", c.right, c.checks, c.share() * 100.0);
    }
    if failures > 0 {
        println!("  files that failed to parse: {failures}");
    }
    println!("\nper producer             files  precision  recall  fields right");
    for (p, (c, n)) in &by_producer {
        println!(
            "  {p:<22} {n:>5}  {:>8.1}%  {:>5.1}%  {:>5.1}% ({}/{})",
            c.precision() * 100.0,
            c.recall() * 100.0,
            c.share() * 100.0,
            c.right,
            c.checks
        );
    }
    println!("\nper field                 precision  recall  fields right   held-out right");
    for f in FIELDS {
        let c = by_field.get(f).copied().unwrap_or_default();
        let h = by_field_held.get(f).copied().unwrap_or_default();
        println!(
            "  {f:<22} {:>8.1}%  {:>5.1}%  {:>5.1}% ({:>3}/{:<3})  {:>5.1}% ({}/{})",
            c.precision() * 100.0,
            c.recall() * 100.0,
            c.share() * 100.0,
            c.right,
            c.checks,
            h.share() * 100.0,
            h.right,
            h.checks
        );
    }
    let total_leaks: u32 = leaks.values().sum();
    println!("\npersonal identifiers left in the anonymised output: {total_leaks}");
    for k in ID_TYPES {
        println!("  {k:<8} {}", leaks.get(k).copied().unwrap_or(0));
    }
    for (s, n) in &leaks_split {
        println!("  ({s}: {n})");
    }
}
