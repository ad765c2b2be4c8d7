//! Integration tests over real documents made by real tools (see fixtures/make_fixtures.sh):
//! every good fixture is checked field by field against its `.expected.json`, and every
//! hostile one must end as the right `ParseFailure`, never a panic.

use std::path::{Path, PathBuf};

use clearview_screening::extract::{self, DocKind};
use clearview_screening::structure::parse_resume_at;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn check_expected(file: &str) {
    let expected: Value = serde_json::from_slice(&read(&format!("{file}.expected.json"))).unwrap();
    let as_of = time::Date::parse(
        expected["as_of"].as_str().unwrap(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    let ct = expected["content_type"].as_str();
    let parsed = parse_resume_at(&read(file), ct, as_of).unwrap_or_else(|e| panic!("{file}: {e} ({})", e.code()));
    let got = serde_json::to_value(&parsed).unwrap();
    let contact = &got["contact"];
    assert_eq!(contact["name"], expected["name"], "{file}: name");
    assert_eq!(contact["email"], expected["email"], "{file}: email");
    assert_eq!(contact["phone"], expected["phone"], "{file}: phone");
    for k in ["city", "region", "country"] {
        assert_eq!(contact["location"][k], expected["location"][k], "{file}: location.{k}");
    }
    let exp_jobs = expected["experience"].as_array().unwrap();
    let jobs = got["experience"].as_array().unwrap();
    assert_eq!(jobs.len(), exp_jobs.len(), "{file}: number of jobs");
    for (i, (g, e)) in jobs.iter().zip(exp_jobs).enumerate() {
        for k in ["title", "company", "start", "end", "current"] {
            assert_eq!(g[k], e[k], "{file}: experience[{i}].{k}");
        }
    }
    let exp_edu = expected["education"].as_array().unwrap();
    let edu = got["education"].as_array().unwrap();
    assert_eq!(edu.len(), exp_edu.len(), "{file}: number of education entries");
    for (i, (g, e)) in edu.iter().zip(exp_edu).enumerate() {
        for k in ["institution", "degree", "level", "field", "start", "end"] {
            assert_eq!(g[k], e[k], "{file}: education[{i}].{k}");
        }
    }
    for k in ["skills", "certifications", "languages", "total_experience_years"] {
        assert_eq!(got[k], expected[k], "{file}: {k}");
    }
    assert_eq!(
        !parsed.document.multi_column_pages.is_empty(),
        expected["two_column"].as_bool().unwrap(),
        "{file}: two-column detection"
    );
    assert_eq!(parsed.document.pages, expected["pages"].as_u64().unwrap() as u32);
    assert!(parsed.confidence >= 0.9, "{file}: confidence {}", parsed.confidence);
}

#[test]
fn word_processor_pdf_matches_expected_fields() {
    check_expected("wp_resume.pdf");
}

#[test]
fn word_processor_docx_matches_expected_fields() {
    check_expected("wp_resume.docx");
    check_expected("wp_resume2.docx");
}

#[test]
fn typeset_pdf_matches_expected_fields() {
    check_expected("typeset_resume.pdf");
}

#[test]
fn two_column_pdf_matches_expected_fields() {
    check_expected("two_column.pdf");
}

#[test]
fn table_based_docx_matches_expected_fields() {
    check_expected("table_resume.docx");
}

#[test]
fn plain_text_resume_matches_expected_fields() {
    check_expected("plain_resume.txt");
}

#[test]
fn two_column_pdf_reads_left_column_before_right() {
    let t = extract::extract_text(&read("two_column.pdf"), Some(PDF)).unwrap();
    assert_eq!(t.multi_column_pages, [1]);
    let pos = |s: &str| t.text.find(s).unwrap_or_else(|| panic!("{s:?} in {}", t.text));
    // Header first, then the whole left column, then the right column.
    assert!(pos("Marcus Bell") < pos("Skills"));
    assert!(pos("English, Portuguese") < pos("Experience"));
    assert!(pos("Experience") < pos("Lead Frontend Engineer"));
    // No line mixes the two columns.
    assert!(t.text.lines().all(|l| !(l.contains("Skills") && l.contains("Experience"))));
}

#[test]
fn word_processor_pdf_has_two_pages_and_no_columns() {
    let t = extract::extract_text(&read("wp_resume.pdf"), Some(PDF)).unwrap();
    assert_eq!(t.kind, DocKind::Pdf);
    assert_eq!(t.pages, 2);
    assert!(t.multi_column_pages.is_empty());
}

fn failure(file: &str, ct: Option<&str>) -> &'static str {
    match extract::extract_text(&read(file), ct) {
        Ok(t) => panic!("{file} was accepted: {:?}", &t.text[..t.text.len().min(200)]),
        Err(e) => {
            assert!(e.candidate_message().contains("text-based PDF"));
            e.code()
        }
    }
}

#[test]
fn text_renamed_to_pdf_is_not_a_pdf() {
    assert_eq!(failure("fake.pdf", Some(PDF)), "not_a_pdf");
}

#[test]
fn password_protected_pdf_is_refused_as_encrypted() {
    assert_eq!(failure("encrypted.pdf", Some(PDF)), "encrypted_pdf");
}

#[test]
fn scanned_pdf_is_refused_as_image_only() {
    assert_eq!(failure("scanned.pdf", Some(PDF)), "image_only_pdf");
}

#[test]
fn truncated_pdf_is_refused_as_corrupt() {
    assert_eq!(failure("truncated.pdf", Some(PDF)), "corrupt");
}

#[test]
fn docx_zip_bomb_is_refused_from_its_declared_sizes() {
    assert_eq!(failure("zip_bomb.docx", Some(DOCX)), "zip_bomb");
}

#[test]
fn docx_zip_bomb_with_lying_headers_is_stopped_while_reading() {
    let code = failure("zip_bomb_lying.docx", Some(DOCX));
    assert!(matches!(code, "zip_bomb" | "corrupt"), "{code}");
}

#[test]
fn docm_is_refused_as_macro_enabled() {
    assert_eq!(failure("macro.docm", None), "macro_enabled");
    assert_eq!(failure("macro.docm", Some(DOCX)), "macro_enabled");
}

#[test]
fn pdf_declared_as_docx_is_refused() {
    assert_eq!(failure("wp_resume.pdf", Some(DOCX)), "not_a_docx");
}

#[test]
fn every_prefix_of_a_real_pdf_fails_cleanly_or_parses() {
    // Truncation at many points must never panic or hang.
    let bytes = read("typeset_resume.pdf");
    for cut in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
        let _ = extract::extract_text(&bytes[..cut], Some(PDF));
    }
}

#[test]
fn every_prefix_of_a_real_docx_fails_cleanly_or_parses() {
    let bytes = read("table_resume.docx");
    for cut in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
        let _ = extract::extract_text(&bytes[..cut], Some(DOCX));
    }
}

fn job() -> clearview_screening::ScoringCriteria {
    use clearview_screening::score::EducationRequirement;
    use clearview_screening::structure::{EducationLevel, Location};
    clearview_screening::ScoringCriteria {
        required_skills: vec!["Rust".into(), "k8s".into(), "Postgres".into()],
        preferred_skills: vec!["Kafka".into(), "GraphQL".into()],
        minimum_experience_years: 6.0,
        education_requirement: EducationRequirement {
            level: EducationLevel::Bachelor,
            fields: vec!["Computer Science".into()],
        },
        job_location: Some(Location {
            city: Some("San Francisco".into()),
            region: Some("CA".into()),
            country: Some("USA".into()),
            remote: false,
        }),
        auto_reject_below: Some(40),
        auto_advance_at: Some(80),
        ..Default::default()
    }
}

#[test]
fn chain_over_a_real_pdf_is_anonymous_explained_and_reproducible() {
    let as_of = time::macros::date!(2025 - 01 - 15);
    let run = || {
        let p = parse_resume_at(&read("wp_resume.pdf"), Some(PDF), as_of).unwrap();
        let a = clearview_screening::anonymize(&p, &p.text);
        (a.clone(), clearview_screening::score(&a, &job()))
    };
    let (profile, first) = run();
    let (_, second) = run();
    assert_eq!(first, second);
    assert_eq!(first.input_fingerprint, second.input_fingerprint);
    let json = serde_json::to_string(&profile).unwrap();
    for banned in ["Priya", "Raman", "priya.raman", "555-0134", "github.com", "Berkeley", "2015"] {
        assert!(!json.contains(banned), "{banned} leaked into the anonymized profile");
    }
    assert_eq!(first.explanation.skills.required_matched, ["Kubernetes", "PostgreSQL", "Rust"]);
    assert_eq!(first.explanation.skills.preferred_matched, ["Apache Kafka"]);
    assert_eq!(first.sub_scores.experience, 100);
    assert_eq!(first.sub_scores.location, 100);
}

#[test]
fn counterfactual_variants_of_a_real_resume_do_not_move_the_score() {
    let as_of = time::macros::date!(2025 - 01 - 15);
    let p = parse_resume_at(&read("two_column.pdf"), Some(PDF), as_of).unwrap();
    let report = clearview_screening::bias::check(&p, &job(), as_of);
    let moved: Vec<_> = report.variants.iter().filter(|v| v.flagged).collect();
    assert!(moved.is_empty(), "{moved:#?}");
}
