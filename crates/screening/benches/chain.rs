//! Criterion benchmarks of the screening chain: parse (2-page PDF, DOCX), anonymize, score,
//! the whole chain, the counterfactual check and a 10k-record LL144 audit.
//!
//! `cargo bench -p clearview-screening --bench chain`

use std::hint::black_box;

use clearview_screening::bias::{self, AuditOptions, CohortRecord, RaceEthnicity, Sex};
use clearview_screening::score::EducationRequirement;
use clearview_screening::structure::{EducationLevel, Location};
use clearview_screening::{ScoringCriteria, anonymize, parse_resume_at, score};
use criterion::{Criterion, criterion_group, criterion_main};

const PDF: &str = "application/pdf";
const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const AS_OF: time::Date = time::macros::date!(2025 - 01 - 15);

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn criteria() -> ScoringCriteria {
    ScoringCriteria {
        required_skills: vec!["Rust".into(), "Kubernetes".into(), "PostgreSQL".into()],
        preferred_skills: vec!["Kafka".into(), "Terraform".into(), "GraphQL".into()],
        minimum_experience_years: 5.0,
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
        ..ScoringCriteria::default()
    }
}

/// Deterministic cohort (LCG), ~10k applicants with some unknown categories.
fn cohort(n: usize) -> Vec<CohortRecord> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) as u32
    };
    (0..n)
        .map(|_| {
            let s = next() % 20;
            let r = next() % 16;
            let score = f64::from(next() % 100);
            CohortRecord {
                sex: match s {
                    0 => None,
                    1..=10 => Some(Sex::Male),
                    _ => Some(Sex::Female),
                },
                race_ethnicity: (r < 14).then(|| RaceEthnicity::ALL[(r % 7) as usize]),
                selected: score > 60.0,
                score: Some(score),
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let pdf = fixture("wp_resume.pdf");
    let docx = fixture("wp_resume.docx");
    let crit = criteria();
    let parsed = parse_resume_at(&pdf, Some(PDF), AS_OF).expect("fixture parses");
    let profile = anonymize(&parsed, &parsed.text);

    c.bench_function("parse/pdf_2_pages", |b| b.iter(|| parse_resume_at(black_box(&pdf), Some(PDF), AS_OF)));
    c.bench_function("parse/docx", |b| b.iter(|| parse_resume_at(black_box(&docx), Some(DOCX), AS_OF)));
    c.bench_function("anonymize", |b| b.iter(|| anonymize(black_box(&parsed), &parsed.text)));
    c.bench_function("score", |b| b.iter(|| score(black_box(&profile), &crit)));
    c.bench_function("chain/pdf_2_pages_parse_anonymize_score", |b| {
        b.iter(|| {
            let p = parse_resume_at(black_box(&pdf), Some(PDF), AS_OF).expect("parses");
            let a = anonymize(&p, &p.text);
            score(&a, &crit)
        })
    });
    c.bench_function("bias/counterfactual_check", |b| {
        b.iter(|| bias::check(black_box(parsed.text.as_str()), &crit, AS_OF))
    });
    let records = cohort(10_000);
    c.bench_function("bias/audit_10k_records", |b| {
        b.iter(|| bias::cohort_audit(black_box(&records), AuditOptions::default()))
    });
    let ad = "We are a fast-paced, competitive team looking for an ambitious, driven leader. \
              Digital natives and recent graduates welcome; 10+ years of experience.";
    c.bench_function("bias/job_ad_language", |b| b.iter(|| bias::analyze_job_ad(black_box(ad))));
}

criterion_group!(chain, benches);
criterion_main!(chain);
