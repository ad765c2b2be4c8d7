//! Embedded end-to-end latency: from the presigned upload's PUT to the application reaching
//! `checked` (parsed, anonymized, scored, bias-checked) with the in-process workers, for a
//! two-page PDF. Prints the median and the slowest of N runs.
//!
//! `cargo run --release -p clearview-tests --example chain_latency -- 20`

use axum::http::StatusCode;
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_local::{CancellationToken, ClamAv, LocalFamily, LocalOptions};
use clearview_tests::api::{Family, candidate, fixture};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    let dir = std::env::temp_dir().join(format!("clearview-latency-{}", uuid::Uuid::new_v4()));
    // A file-backed store, as `make run` uses; uploads scanned by clamscan (with the small test
    // signature database: the system one takes seconds to load per scan).
    let signatures = ClamAv::write_test_database(&dir.join("clamav")).expect("signature database");
    let options = LocalOptions { malware: Some(ClamAv::new(signatures)), ..LocalOptions::default() };
    let local = LocalFamily::open_with(&dir, options).expect("family");
    let deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("bench", &[9u8; 32])));
    let shutdown = CancellationToken::new();
    local.spawn_workers(clearview_chain::all(&deps), shutdown.clone());
    let app = clearview_http::App::new(deps, clearview_http::cursor::CursorKey::new(&[1u8; 32]).unwrap());
    let router = clearview_devserver::router(app, local.verifier.clone(), local.jwks(), Some(local.blobs.clone()));
    let outbox = local.outbox.clone();
    let f = Family {
        name: "embedded",
        router,
        code_for: Box::new(move |e| {
            let o = outbox.clone();
            Box::pin(async move { o.find_code(&e).expect("code") })
        }),
        temporary_password_for: Box::new(|_| Box::pin(async { String::new() })),
        store: local.store.clone(),
    };
    let admin = f.employer_admin("Bench").await;
    let job = f
        .post(
            "/api/jobs",
            Some(&admin.token),
            json!({"title": "Backend Engineer", "jobType": "full-time",
            "description": "Rust and PostgreSQL", "location": "Berlin, Germany",
            "criteria": {"requiredSkills": ["Rust", "PostgreSQL"], "minimumExperience": 2}}),
        )
        .await;
    let job = job.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
    let pdf = fixture("wp_resume.pdf");
    let mut times = Vec::new();
    for i in 0..runs {
        let (cand, _, _) = candidate(&f, &format!("Bench {i}")).await;
        let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
        let id = app.body["id"].as_str().unwrap().to_owned();
        let grant = f
            .post(
                &format!("/api/applications/{id}/resume-upload-url"),
                Some(&cand),
                json!({"contentType": "application/pdf"}),
            )
            .await;
        let url = grant.body["upload"]["url"].as_str().unwrap();
        let path = url[url.find("/local-blobs").unwrap()..].to_owned();
        let started = Instant::now();
        assert_eq!(f.put_bytes(&path, "application/pdf", pdf.clone()).await, StatusCode::OK);
        loop {
            let a = f.get(&format!("/api/applications/{id}"), &admin.token).await;
            match a.body["processing"]["stage"].as_str() {
                Some("checked") => break,
                Some("failed") => panic!("failed: {:?}", a.body),
                _ => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
        times.push(started.elapsed());
    }
    shutdown.cancel();
    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    println!("upload → checked, two-page PDF, {runs} runs: median {median:?}, slowest {max:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
