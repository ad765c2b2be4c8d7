//! One correlation id follows an upload through the chain, read from the JSON logs the Lambda
//! functions write (and the dev server with `CLEARVIEW_LOG_FORMAT=json`). Alone in its binary:
//! it reads the logs through a subscriber set for its thread, and tracing caches whether a call
//! site is enabled globally, so tests running beside it on other threads could hide lines from it.

use axum::http::{Method, StatusCode};
use clearview_tests::api::{Call, candidate};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{active_job, apply_and_upload, env, wait_for_stage};

/// The JSON log lines logged on this thread while it lives: `#[tokio::test]` runs a
/// current-thread runtime, so the router's and the workers' tasks all log here.
struct Logs {
    buffer: Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// The format the Lambda functions and `CLEARVIEW_LOG_FORMAT=json` write.
    fn capture() -> Self {
        let buffer = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = Sink(buffer.clone());
        let subscriber = clearview_observe::logs::json(
            move || writer.clone(),
            tracing_subscriber::EnvFilter::new("info,clearview=info"),
        );
        Logs { buffer, _guard: tracing::subscriber::set_default(subscriber) }
    }

    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.buffer.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect()
    }

    /// Waits for a line `pred` accepts.
    async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.lines().into_iter().find(&pred) {
                return l;
            }
            if Instant::now() > deadline {
                let lines = self.lines();
                let tail: Vec<String> = lines.iter().rev().take(15).map(Value::to_string).collect();
                panic!("no log line: {what} ({} lines; the last: {tail:#?})", lines.len());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The span of a line named `name`, innermost first.
fn span<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line["spans"].as_array()?.iter().rev().find(|s| s["name"] == name)
}

/// Every correlation id a line carries, in any of its spans.
fn correlation_ids(line: &Value) -> std::collections::BTreeSet<String> {
    let spans = line["spans"].as_array().into_iter().flatten().chain([&line["span"]]);
    spans.filter_map(|s| s["correlation_id"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn one_correlation_id_follows_an_upload_through_every_stage_to_the_email() {
    let logs = Logs::capture();
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;

    // A request takes the caller's X-Correlation-Id, logs it and echoes it; a malformed one is
    // replaced by one the API picks.
    let call = |id: &str| Call {
        method: Method::GET,
        path: format!("/api/jobs/{job}"),
        token: Some(&admin.token),
        body: None,
        headers: vec![("x-correlation-id", id.to_owned())],
    };
    let mine = f.send(call("client-7.A_b")).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.headers["x-correlation-id"], "client-7.A_b");
    let line = logs
        .wait_for("the request line", |l| {
            l["message"] == "request" && span(l, "request").is_some_and(|s| s["correlation_id"] == "client-7.A_b")
        })
        .await;
    assert_eq!(
        (line["status"].as_u64(), span(&line, "request").unwrap()["route"].as_str()),
        (Some(200), Some("jobs-get"))
    );
    let replaced = f.send(call("not valid!")).await;
    let picked = replaced.headers["x-correlation-id"].to_str().unwrap().to_owned();
    assert!(picked != "not valid!" && clearview_observe::correlation::accept(picked.as_bytes()).is_some(), "{picked}");

    // A good resume: upload, parse, anonymize, score, bias, and the email consumer's answer to
    // the screened event all log the run id (the upload's file id) as their correlation id.
    let (cand, _, _) = candidate(f, "Sam Rivera").await;
    let id = apply_and_upload(f, &cand, &job, "wp_resume.pdf", "application/pdf", json!(null)).await;
    let app = wait_for_stage(f, &admin.token, &id, &["checked", "failed"]).await;
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");
    let run = app["processing"]["runId"].as_str().unwrap().to_owned();
    assert_eq!(app["resume"]["fileId"], run.as_str());
    logs.wait_for("the email consumer's line", |l| {
        span(l, "message").is_some_and(|s| s["queue"] == "email") && correlation_ids(l).contains(&run)
    })
    .await;
    // The email consumer answered: its worker logged the message done.
    logs.wait_for("the email message done", |l| {
        l["message"] == "message done"
            && span(l, "message").is_some_and(|s| s["queue"] == "email")
            && correlation_ids(l).contains(&run)
    })
    .await;
    let lines = logs.lines();
    let issued = lines.iter().find(|l| l["message"] == "resume upload URL issued").expect("upload URL line");
    assert_eq!(issued["chain_correlation_id"], run.as_str(), "the request names the chain's id: {issued}");
    let uploaded = lines.iter().find(|l| l["message"] == "upload accepted and announced").expect("upload line");
    assert_eq!(correlation_ids(uploaded), [run.clone()].into(), "{uploaded}");
    // Every line logged while a message of this run was handled carries the run id, and no other.
    let mut stages = std::collections::BTreeSet::new();
    for l in &lines {
        let Some(m) = span(l, "message") else { continue };
        if !m["id"].as_str().unwrap_or_default().contains(&run) {
            continue;
        }
        assert_eq!(correlation_ids(l), [run.clone()].into(), "{l}");
        stages.insert(m["queue"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        stages,
        ["analytics", "anonymize", "bias", "email", "parse", "score"].map(str::to_owned).into(),
        "{lines:#?}"
    );
    let scored = lines.iter().find(|l| l["message"] == "scored and bias-checked after upload").expect("UploadToScored");
    assert!(scored["ms"].as_u64().is_some() && correlation_ids(scored) == [run.clone()].into(), "{scored}");

    // An unreadable resume: the parse failure's email is sent under that upload's run id.
    let (other, _, _) = candidate(f, "Lee Park").await;
    let failed_id = apply_and_upload(f, &other, &job, "encrypted.pdf", "application/pdf", json!(null)).await;
    let failed = wait_for_stage(f, &admin.token, &failed_id, &["failed", "checked"]).await;
    assert_eq!(failed["processing"]["stage"], "failed");
    let failed_run = failed["processing"]["runId"].as_str().unwrap().to_owned();
    let sent = logs
        .wait_for("the parse-failed email", |l| l["message"] == "email sent" && l["kind"] == "application.parse_failed")
        .await;
    assert_eq!(correlation_ids(&sent), [failed_run].into(), "{sent}");
}
