//! The embedded family with its workers running, and the steps of an application, for the
//! chain tests (chain_embedded.rs, chain_logs.rs).

use axum::http::StatusCode;
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_local::{CancellationToken, LocalFamily};
use clearview_tests::api::{Admin, Family, fixture};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Env {
    pub family: Family,
    #[allow(dead_code)] // chain_logs.rs reads the logs, not the outbox
    pub local: LocalFamily,
    _shutdown: tokio_util_drop::Cancel,
}

mod tokio_util_drop {
    /// Stops the workers when the test ends.
    pub struct Cancel(pub clearview_local::CancellationToken);
    impl Drop for Cancel {
        fn drop(&mut self) {
            self.0.cancel();
        }
    }
}

pub async fn env() -> Env {
    let dir = std::env::temp_dir().join(format!("clearview-chain-{}", uuid::Uuid::new_v4()));
    let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
    let deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
    let shutdown = CancellationToken::new();
    local.spawn_workers(clearview_chain::all(&deps), shutdown.clone());
    let family = clearview_tests::families::embedded(&local, deps);
    Env { family, local, _shutdown: tokio_util_drop::Cancel(shutdown) }
}

pub async fn active_job(f: &Family, admin: &Admin) -> String {
    let job = f
        .post(
            "/api/jobs",
            Some(&admin.token),
            json!({
                "title": "Backend Engineer",
                "jobType": "full-time",
                "description": "Build services in Rust and Python on PostgreSQL and AWS.",
                "location": "Berlin, Germany",
                "criteria": {"requiredSkills": ["Rust", "PostgreSQL"], "preferredSkills": ["Kubernetes", "AWS"],
                             "minimumExperience": 2, "autoRejectThreshold": 30, "autoApproveThreshold": 70}
            }),
        )
        .await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    id
}

/// Applies, asks for an upload URL and PUTs the file to it: returns the application id.
pub async fn apply_and_upload(
    f: &Family,
    token: &str,
    job: &str,
    file: &str,
    content_type: &str,
    sid: Value,
) -> String {
    apply_and_upload_bytes(f, token, job, sid, file, fixture(file), content_type).await
}

/// Applies with `sid` (self-identification, or null), asks for an upload URL for `file_name`
/// and PUTs `bytes` declared as `content_type` (whatever they are): the application id.
pub async fn apply_and_upload_bytes(
    f: &Family,
    token: &str,
    job: &str,
    sid: Value,
    file_name: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> String {
    let app = f.post("/api/applications", Some(token), json!({"jobId": job, "selfIdentification": sid})).await;
    assert_eq!(app.status, StatusCode::CREATED, "{:?}", app.body);
    let id = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{id}/resume-upload-url"),
            Some(token),
            json!({"contentType": content_type, "fileName": file_name}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    let url = grant.body["upload"]["url"].as_str().unwrap();
    let path = &url[url.find("/local-blobs").unwrap()..];
    let put = f.put_bytes(path, content_type, bytes).await;
    assert_eq!(put, StatusCode::OK);
    id
}

pub async fn wait_for_stage(f: &Family, token: &str, id: &str, want: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let a = f.get(&format!("/api/applications/{id}"), token).await;
        let stage = a.body["processing"]["stage"].as_str().unwrap_or("").to_owned();
        if want.contains(&stage.as_str()) {
            return a.body;
        }
        assert!(Instant::now() < deadline, "application stuck at {stage}: {:?}", a.body);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
