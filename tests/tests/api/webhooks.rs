//! Issue 12, outbound webhooks, the same on both adapter families: a subscription gets a signed
//! ping and signed event deliveries at a receiver on the loopback address (which checks the
//! signature with its own HMAC), a failing receiver is retried until it answers, one that never
//! does is dead-lettered with the reason, and the delivery log shows every attempt. The
//! `webhooks` consumer is driven through the real queues (SQS on moto, the embedded queue).

use axum::http::StatusCode;
use clearview_chain::webhooks::{QUEUE, WebhooksConsumer};
use clearview_core::Deps;
use clearview_core::ports::WebhookPolicy;
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::queue::Consumer;
use clearview_tests::api::{BoxFut, Family, job_body};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Pump = Box<dyn Fn() -> BoxFut<'static, usize> + Send + Sync>;
type DeadLetters = Box<dyn Fn() -> BoxFut<'static, Vec<String>> + Send + Sync>;

pub struct Env {
    family: Arc<Family>,
    /// Delivers what is on the `webhooks` queue (events and delivery attempts) until it is empty.
    pump: Pump,
    /// The reasons of the `webhooks` dead-letter queue's messages.
    dead_letters: DeadLetters,
    /// Delivers what is on the `integration-sync` queue until it is empty.
    pump_sync: Pump,
    /// Makes the reports on the `report-requests` queue (the `report-generate` consumer).
    pump_reports: Pump,
    deps: Deps,
}

/// Three attempts (two retries without waiting): what the tests can drive in seconds.
fn test_policy() -> WebhookPolicy {
    WebhookPolicy::local(vec![0, 0])
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Got {
    headers: BTreeMap<String, String>,
    body: String,
}

/// A webhook receiver on 127.0.0.1: answers each request with the next scripted status (200
/// once the script is spent) and records what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    async fn start(script: Vec<u16>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/clearview", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (g, s) = (got.clone(), script.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (g, s) = (g.clone(), s.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                    let headers: BTreeMap<String, String> = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buf.len() < head_end + len {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let body = String::from_utf8_lossy(&buf[head_end..]).into_owned();
                    let status = s.lock().unwrap().pop_front().unwrap_or(200);
                    g.lock().unwrap().push(Got { headers, body });
                    let answer = if status == 200 { "ok" } else { "boom" };
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { url, got }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// What a receiver does with `ClearView-Signature: t=…,v1=…`: HMAC-SHA256 keyed with the
/// secret over `t.body`, compared in constant time, `t` within 5 minutes.
fn signature_holds(secret: &str, got: &Got) -> bool {
    let Some(header) = got.headers.get("clearview-signature") else { return false };
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if (now - t).abs() > 300 {
        return false;
    }
    let bytes: Option<Vec<u8>> =
        (0..v1.len()).step_by(2).map(|i| u8::from_str_radix(v1.get(i..i + 2)?, 16).ok()).collect();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", got.body).as_bytes());
    bytes.is_some_and(|b| mac.verify_slice(&b).is_ok())
}

async fn subscribe(f: &Family, token: &str, url: &str, events: Value) -> (String, String) {
    let created =
        f.post("/api/webhooks", Some(token), json!({"url": url, "events": events, "description": "Our ATS"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    let secret = created.body["secret"].as_str().expect("secret shown once").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (created.body["id"].as_str().unwrap().to_owned(), secret)
}

async fn log(f: &Family, token: &str, id: &str) -> Vec<Value> {
    let page = f.get(&format!("/api/webhooks/{id}/deliveries"), token).await;
    assert_eq!(page.status, StatusCode::OK, "[{}] {:?}", f.name, page.body);
    page.body["items"].as_array().unwrap().clone()
}

pub async fn a_subscription_gets_a_signed_ping_and_signed_events_and_the_log_shows_each(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Hooks").await;
    let rx = Receiver::start(vec![]).await;
    let (id, secret) = subscribe(f, &admin.token, &rx.url, json!(["job.published", "application.created"])).await;

    // The secret is never shown again.
    let listed = f.get("/api/webhooks", &admin.token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["items"][0]["id"], json!(id));
    assert_eq!(listed.body["items"][0]["events"], json!(["job.published", "application.created"]));
    assert!(!listed.body.to_string().contains(&secret), "{:?}", listed.body);
    assert!(!listed.body.to_string().contains("secret"), "{:?}", listed.body);

    // The ping.
    assert!((e.pump)().await >= 1);
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].headers["clearview-event-type"], "ping");
    assert!(signature_holds(&secret, &got[0]), "[{}] {got:?}", f.name);
    assert!(!signature_holds("whsec_wrong", &got[0]));
    let ping: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!((ping["type"].as_str(), ping["data"]["subscriptionId"].as_str()), (Some("ping"), Some(id.as_str())));

    // An event it subscribed to: publishing a job.
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Webhook engineer")).await;
    let job_id = job.body["id"].as_str().unwrap().to_owned();
    let published = f.post(&format!("/api/jobs/{job_id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    (e.pump)().await;
    let got = rx.got();
    assert_eq!(got.len(), 2, "one delivery of job.published: {got:?}");
    assert_eq!(got[1].headers["clearview-event-type"], "job.published");
    assert!(signature_holds(&secret, &got[1]), "[{}] {got:?}", f.name);
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["data"]["jobId"], json!(job_id));
    assert_eq!(body["organizationId"], json!(admin.org));
    assert_eq!(body["id"].as_str(), got[1].headers.get("clearview-webhook-id").map(String::as_str));

    // The log: newest first, each attempt with its answer.
    let attempts = log(f, &admin.token, &id).await;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0]["eventType"], "job.published");
    assert_eq!(attempts[1]["eventType"], "ping");
    for a in &attempts {
        assert_eq!(
            (a["outcome"].as_str(), a["statusCode"].as_u64(), a["attempt"].as_u64()),
            (Some("delivered"), Some(200), Some(1))
        );
        assert_eq!(a["responseBody"], "ok");
        assert!(a["latencyMs"].is_u64() && a["attemptedAt"].is_string(), "{a:?}");
    }

    // Bad input names its fields; another organisation sees nothing; a recruiter may not.
    let bad =
        f.post("/api/webhooks", Some(&admin.token), json!({"url": "ftp://x.example/h", "events": ["nope"]})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"url") && fields.contains(&"events"), "{:?}", bad.body);
    let other = f.employer_admin("Elsewhere").await;
    assert_eq!(f.get(&format!("/api/webhooks/{id}/deliveries"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.delete(&format!("/api/webhooks/{id}"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get("/api/webhooks", &other.token).await.body["items"], json!([]));
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let refused = f.post("/api/webhooks", Some(&recruiter), json!({"url": rx.url, "events": ["job.published"]})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);

    // Removed: nothing more is delivered.
    assert_eq!(f.delete(&format!("/api/webhooks/{id}"), &admin.token).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.get("/api/webhooks", &admin.token).await.body["items"], json!([]));
    let job2 = f.post("/api/jobs", Some(&admin.token), job_body("Second")).await;
    let job2 = job2.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{job2}/publish"), Some(&admin.token), json!(null)).await;
    (e.pump)().await;
    assert_eq!(rx.got().len(), 2);
}

/// `job.paused` and `job.closed` reach the subscriptions that name them, signed, with the job's
/// id and status; a job published meanwhile (not subscribed) is not delivered.
pub async fn a_paused_and_a_closed_job_are_delivered_to_their_subscribers(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Lifecycle").await;
    let rx = Receiver::start(vec![]).await;
    let (_, secret) = subscribe(f, &admin.token, &rx.url, json!(["job.paused", "job.closed"])).await;
    (e.pump)().await; // the ping
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Paused then closed")).await;
    let job_id = job.body["id"].as_str().unwrap().to_owned();
    for step in ["publish", "pause", "close"] {
        let answer = f.post(&format!("/api/jobs/{job_id}/{step}"), Some(&admin.token), json!(null)).await;
        assert_eq!(answer.status, StatusCode::OK, "[{}] {step}: {:?}", f.name, answer.body);
        (e.pump)().await;
    }
    let got = rx.got();
    let types: Vec<&str> = got.iter().map(|d| d.headers["clearview-event-type"].as_str()).collect();
    assert_eq!(types, ["ping", "job.paused", "job.closed"], "[{}] {got:?}", f.name);
    for (delivery, status) in got[1..].iter().zip(["paused", "closed"]) {
        assert!(signature_holds(&secret, delivery), "[{}] {delivery:?}", f.name);
        let body: Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(
            (body["data"]["jobId"].as_str(), body["data"]["status"].as_str()),
            (Some(job_id.as_str()), Some(status))
        );
    }
}

/// `report.ready`: a made report is announced to the subscriptions that name it, signed, with
/// ids and the download route only (no link, no email); a redelivered request announces it
/// again under the same id, and the receiver gets it once.
pub async fn a_made_report_is_delivered_as_report_ready_with_ids_and_no_personal_data(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Reporting").await;
    let rx = Receiver::start(vec![]).await;
    let (_, secret) = subscribe(f, &admin.token, &rx.url, json!(["report.ready"])).await;
    (e.pump)().await; // the ping
    let asked = f.post("/api/reports/generate", Some(&admin.token), json!({"type": "pipeline", "format": "csv"})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "[{}] {:?}", f.name, asked.body);
    let report = asked.body["id"].as_str().unwrap().to_owned();
    assert_eq!((e.pump_reports)().await, 1, "[{}] the report is made", f.name);
    (e.pump)().await;
    let got = rx.got();
    assert_eq!(got.len(), 2, "[{}] the ping and report.ready: {got:?}", f.name);
    assert_eq!(got[1].headers["clearview-event-type"], "report.ready");
    assert!(signature_holds(&secret, &got[1]), "[{}] {got:?}", f.name);
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["type"], "report.ready");
    assert_eq!(body["organizationId"], json!(admin.org));
    assert_eq!(body["data"]["reportId"], json!(report));
    assert_eq!(body["data"]["downloadRoute"], json!(format!("/api/reports/{report}/download")));
    assert_eq!((body["data"]["type"].as_str(), body["data"]["format"].as_str()), (Some("pipeline"), Some("csv")));
    assert!(!got[1].body.contains(&admin.email), "[{}] no email in {}", f.name, got[1].body);
    assert!(!got[1].body.contains("http"), "[{}] no link in {}", f.name, got[1].body);
    // The report's request delivered again: announced again, delivered once.
    let again = clearview_chain::reports::ReportGenerateConsumer(e.deps.clone());
    let message = clearview_core::ports::queue::WorkMessage {
        id: report.clone(),
        kind: "report".into(),
        body: json!({"orgId": admin.org, "reportId": report}),
    };
    assert_eq!(again.handle(&message).await, clearview_core::ports::queue::Outcome::Done);
    (e.pump)().await;
    assert_eq!(rx.got().len(), 2, "[{}] {:?}", f.name, rx.got());
}

pub async fn a_failing_receiver_is_retried_until_it_answers(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Retry").await;
    let rx = Receiver::start(vec![500, 503]).await;
    let (id, secret) = subscribe(f, &admin.token, &rx.url, json!(["job.published"])).await;
    (e.pump)().await;
    let got = rx.got();
    assert_eq!(got.len(), 3, "two failures, then the ping is delivered: {got:?}");
    let ids: Vec<&str> = got.iter().map(|g| g.headers["clearview-webhook-id"].as_str()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "one delivery id across attempts: {ids:?}");
    let attempts: Vec<&str> = got.iter().map(|g| g.headers["clearview-delivery-attempt"].as_str()).collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    assert!(got.iter().all(|g| signature_holds(&secret, g)));
    assert!(got.iter().all(|g| g.body == got[0].body), "every attempt signs the same body");

    let log = log(f, &admin.token, &id).await;
    let seen: Vec<(u64, &str, u64)> = log
        .iter()
        .map(|a| (a["attempt"].as_u64().unwrap(), a["outcome"].as_str().unwrap(), a["statusCode"].as_u64().unwrap()))
        .collect();
    assert_eq!(seen, [(3, "delivered", 200), (2, "retrying", 503), (1, "retrying", 500)], "{log:?}");
    assert!(log[1]["nextAttemptAt"].is_string() && log[0]["nextAttemptAt"].is_null(), "{log:?}");
    assert_eq!(log[2]["responseBody"], "boom");
    assert!((e.dead_letters)().await.is_empty());
}

pub async fn a_receiver_that_never_succeeds_is_dead_lettered_with_the_reason(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Dead").await;
    let rx = Receiver::start(vec![500; 10]).await;
    let (id, _) = subscribe(f, &admin.token, &rx.url, json!(["job.published"])).await;
    (e.pump)().await;
    assert_eq!(rx.got().len(), 3, "the policy's three attempts, no more");
    let log = log(f, &admin.token, &id).await;
    let outcomes: Vec<&str> = log.iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["dead_lettered", "retrying", "retrying"], "{log:?}");
    assert_eq!(log[0]["error"], "the receiver answered HTTP 500");
    let dead = (e.dead_letters)().await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].contains("failed after 3 attempt(s): the receiver answered HTTP 500"), "{dead:?}");
    assert!(dead[0].contains(&rx.url), "{dead:?}");
}

fn hmac_hex(secret: &str, text: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// POSTs `body` to an integration's inbound webhook, signed with `secret` at `t` (the body as
/// the API client sends it: `Value::to_string`).
async fn post_inbound(
    f: &Family,
    id: &str,
    secret: &str,
    t: i64,
    delivery: &str,
    body: &Value,
) -> clearview_tests::api::Answer {
    let signature = format!("t={t},v1={}", hmac_hex(secret, &format!("{t}.{body}")));
    f.send(clearview_tests::api::Call {
        method: axum::http::Method::POST,
        path: format!("/api/integrations/{id}/inbound"),
        token: None,
        body: Some(body.clone()),
        headers: vec![("ClearView-Signature", signature), ("ClearView-Delivery-Id", delivery.to_owned())],
    })
    .await
}

pub async fn a_signed_board_application_creates_candidate_and_application_and_bad_signatures_and_replays_are_refused(
    e: &Env,
) {
    let f = &e.family;
    let admin = f.employer_admin("Boards").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Board engineer")).await;
    let job_id = job.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        f.post(&format!("/api/jobs/{job_id}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );

    let created = f
        .post(
            "/api/integrations",
            Some(&admin.token),
            json!({"type": "job_board", "name": "Indeed", "provider": "indeed", "credentials": {"apiKey": "sk_live_123"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let secret = created.body["inboundSecret"].as_str().expect("the inbound secret, once").to_owned();
    assert_eq!(created.body["inboundUrl"], json!(format!("/api/integrations/{id}/inbound")));
    let listed = f.get("/api/integrations", &admin.token).await;
    assert_eq!(listed.body["items"][0]["hasCredentials"], json!(true));
    let text = listed.body.to_string();
    assert!(!text.contains("sk_live_123") && !text.contains(&secret) && !text.contains("inboundSecret"), "{text}");
    // The raw item holds neither: in AWS it names two Secrets Manager secrets, which hold them.
    let raw = raw_integration(f, &admin.org, &id).await;
    assert!(!raw.to_string().contains("sk_live_123") && !raw.to_string().contains(&secret));
    let first_credentials = secret_in_vault(f, &raw["credentials"]).await;
    let inbound = secret_in_vault(f, &raw["inboundSecret"]).await;
    if let (Some((_, credentials)), Some((_, inbound))) = (&first_credentials, &inbound) {
        assert_eq!(credentials.as_deref(), Some(r#"{"apiKey":"sk_live_123"}"#));
        assert_eq!(inbound.as_deref(), Some(secret.as_str()));
    }

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let body = json!({"jobId": job_id, "candidate": {"name": "Bo Board", "email": "bo@board.example"}, "coverLetter": "Hello"});
    let ok = post_inbound(f, &id, &secret, now, "d-1", &body).await;
    assert_eq!(ok.status, StatusCode::CREATED, "[{}] {:?}", f.name, ok.body);
    assert_eq!(ok.body["source"], "indeed");
    let app_id = ok.body["applicationId"].as_str().unwrap().to_owned();
    let app = f.get(&format!("/api/applications/{app_id}"), &admin.token).await;
    assert_eq!(app.status, StatusCode::OK, "{:?}", app.body);
    assert_eq!(
        (app.body["jobId"].as_str(), app.body["source"].as_str()),
        (Some(job_id.as_str()), Some("indeed")),
        "{:?}",
        app.body
    );

    // A replay inside the window, a body that is not the one signed, a stale timestamp, no signature.
    let replay = post_inbound(f, &id, &secret, now, "d-1", &body).await;
    assert_eq!(replay.status, StatusCode::CONFLICT, "{:?}", replay.body);
    assert_eq!(replay.problem_type(), "/problems/replayed-delivery");
    let signature = format!("t={now},v1={}", hmac_hex(&secret, &format!("{now}.{body}")));
    let mut tampered = body.clone();
    tampered["candidate"]["email"] = json!("mallory@board.example");
    let forged = f
        .send(clearview_tests::api::Call {
            method: axum::http::Method::POST,
            path: format!("/api/integrations/{id}/inbound"),
            token: None,
            body: Some(tampered),
            headers: vec![("ClearView-Signature", signature), ("ClearView-Delivery-Id", "d-2".into())],
        })
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{:?}", forged.body);
    assert_eq!(forged.header("content-type"), Some("application/problem+json"));
    let stale = post_inbound(f, &id, &secret, now - 600, "d-3", &body).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED, "{:?}", stale.body);
    let wrong_key = post_inbound(f, &id, "whsec_guess", now, "d-4", &body).await;
    assert_eq!(wrong_key.status, StatusCode::UNAUTHORIZED);

    // The same person through the board again (another job): the same candidate.
    let job2 = f.post("/api/jobs", Some(&admin.token), job_body("Second board job")).await;
    let job2 = job2.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{job2}/publish"), Some(&admin.token), json!(null)).await;
    let body2 = json!({"jobId": job2, "candidate": {"name": "Bo Board", "email": "bo@board.example"}});
    let again = post_inbound(f, &id, &secret, now, "d-5", &body2).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(again.body["candidateId"], ok.body["candidateId"]);

    // Another organisation's job is refused; another organisation sees and changes nothing.
    let other = f.employer_admin("Elsewhere").await;
    let theirs = f.post("/api/jobs", Some(&other.token), job_body("Theirs")).await;
    let theirs = theirs.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{theirs}/publish"), Some(&other.token), json!(null)).await;
    let foreign = post_inbound(
        f,
        &id,
        &secret,
        now,
        "d-6",
        &json!({"jobId": theirs, "candidate": {"name": "X", "email": "x@board.example"}}),
    )
    .await;
    assert_eq!(foreign.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", foreign.body);
    assert_eq!(f.get("/api/integrations", &other.token).await.body["items"], json!([]));
    let put = json!({"type": "job_board", "name": "Mine now", "provider": "indeed"});
    let hijack = f.put(&format!("/api/integrations/{id}"), &other.token, put).await;
    assert_eq!(hijack.status, StatusCode::NOT_FOUND);

    // New credentials are a new secret; the old one is deleted. Without credentials the stored
    // ones stay.
    let rotate =
        json!({"type": "job_board", "name": "Indeed", "provider": "indeed", "credentials": {"apiKey": "sk_live_456"}});
    let rotated = f.put(&format!("/api/integrations/{id}"), &admin.token, rotate).await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let raw = raw_integration(f, &admin.org, &id).await;
    let second_credentials = secret_in_vault(f, &raw["credentials"]).await;
    if let (Some((old, _)), Some((new, value))) = (&first_credentials, &second_credentials) {
        assert_ne!(old, new);
        assert_eq!(value.as_deref(), Some(r#"{"apiKey":"sk_live_456"}"#));
        assert_eq!(
            secret_in_vault(f, &json!({"secretArn": old})).await.unwrap().1,
            None,
            "the replaced secret is gone"
        );
    }
    let body3 = json!({"jobId": job2, "candidate": {"name": "Cy Board", "email": "cy@board.example"}});
    let after_rotation = post_inbound(f, &id, &secret, now, "d-6b", &body3).await;
    assert_eq!(after_rotation.status, StatusCode::CREATED, "the inbound key stays: {:?}", after_rotation.body);

    // Switched off, then removed: the webhook answers 404.
    let off = json!({"type": "job_board", "name": "Indeed", "provider": "indeed", "enabled": false});
    let updated = f.put(&format!("/api/integrations/{id}"), &admin.token, off).await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(
        (updated.body["enabled"].as_bool(), updated.body["hasCredentials"].as_bool()),
        (Some(false), Some(true))
    );
    assert_eq!(post_inbound(f, &id, &secret, now, "d-7", &body2).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.delete(&format!("/api/integrations/{id}"), &admin.token).await.status, StatusCode::NO_CONTENT);
    assert_eq!(post_inbound(f, &id, &secret, now, "d-8", &body2).await.status, StatusCode::NOT_FOUND);
    if let (Some((credentials, _)), Some((inbound, _))) = (&second_credentials, &inbound) {
        for arn in [credentials, inbound] {
            assert_eq!(
                secret_in_vault(f, &json!({"secretArn": arn})).await.unwrap().1,
                None,
                "deleted with the integration"
            );
        }
    }
}

async fn raw_integration(f: &Family, org: &str, id: &str) -> Value {
    let key = clearview_core::keys::integration(&clearview_core::values::OrgId::trusted(org.to_owned()), id);
    f.store.get(&key).await.unwrap().expect("the integration's item").data
}

/// Where an item's secret reference points. The embedded family seals the value into the item
/// (`{keyId, blob}`: `None` here). The AWS family names a Secrets Manager secret under the
/// family's prefix: its ARN and its value, read from moto with the SDK, not through the vault
/// (`None` once the secret is deleted).
async fn secret_in_vault(f: &Family, reference: &Value) -> Option<(String, Option<String>)> {
    if f.name != "aws" {
        assert!(reference["keyId"].is_string() && reference["blob"].is_string(), "sealed: {reference}");
        return None;
    }
    let arn = reference["secretArn"].as_str().unwrap_or_else(|| panic!("a Secrets Manager ARN: {reference}"));
    assert!(arn.starts_with("arn:aws:secretsmanager:"), "{arn}");
    let client = clearview_aws::testing::Moto::shared().await.secrets();
    let value = match client.get_secret_value().secret_id(arn).send().await {
        Ok(out) => {
            let name = out.name().unwrap_or_default();
            assert!(
                name.starts_with(&format!("{}/integrations/", clearview_tests::families::MOTO_SECRETS_PREFIX)),
                "{name}"
            );
            out.secret_string
        }
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_resource_not_found_exception(), "{e:?}");
            None
        }
    };
    Some((arn.to_owned(), value))
}

async fn board_status(f: &Family, token: &str, id: &str) -> Value {
    let s = f.get(&format!("/api/integrations/{id}/status"), token).await;
    assert_eq!(s.status, StatusCode::OK, "[{}] {:?}", f.name, s.body);
    s.body
}

fn states(status: &Value) -> BTreeMap<String, String> {
    status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["jobId"].as_str().unwrap().to_owned(), j["state"].as_str().unwrap().to_owned()))
        .collect()
}

pub async fn a_job_boards_state_follows_publish_pause_and_close_and_each_sync_run_is_in_the_status(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Syncs").await;
    let board = f
        .post(
            "/api/integrations",
            Some(&admin.token),
            json!({"type": "job_board", "name": "LinkedIn", "provider": "linkedin"}),
        )
        .await;
    assert_eq!(board.status, StatusCode::CREATED, "{:?}", board.body);
    let id = board.body["id"].as_str().unwrap().to_owned();
    let publish = |title: &'static str| {
        let token = admin.token.clone();
        async move {
            let job = f.post("/api/jobs", Some(&token), job_body(title)).await;
            let job = job.body["id"].as_str().unwrap().to_owned();
            assert_eq!(
                f.post(&format!("/api/jobs/{job}/publish"), Some(&token), json!(null)).await.status,
                StatusCode::OK
            );
            job
        }
    };

    // Published: pending, then active once the sync it queued has run.
    let a = publish("Board A").await;
    assert!((e.pump_sync)().await >= 2, "the event, then the sync it queued");
    let s = board_status(f, &admin.token, &id).await;
    assert_eq!(states(&s), BTreeMap::from([(a.clone(), "active".to_owned())]), "{s:?}");
    assert_eq!(
        (s["runs"][0]["trigger"].as_str(), s["runs"][0]["outcome"].as_str()),
        (Some("job.published"), Some("succeeded"))
    );

    // Paused: the board says so at once (job.paused), before any sync. Another published, then
    // a sync on demand.
    let b = publish("Board B").await;
    assert_eq!(f.post(&format!("/api/jobs/{a}/pause"), Some(&admin.token), json!(null)).await.status, StatusCode::OK);
    (e.pump_sync)().await;
    let s = board_status(f, &admin.token, &id).await;
    assert_eq!(states(&s)[&a], "paused", "[{}] paused at once: {s:?}", f.name);
    let queued = f.post(&format!("/api/integrations/{id}/sync"), Some(&admin.token), json!(null)).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{:?}", queued.body);
    (e.pump_sync)().await;
    let s = board_status(f, &admin.token, &id).await;
    assert_eq!(states(&s), BTreeMap::from([(a.clone(), "paused".to_owned()), (b.clone(), "active".to_owned())]));
    let run = s["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == queued.body["runId"])
        .expect("the run asked for")
        .clone();
    assert_eq!(
        (run["trigger"].as_str(), run["active"].as_u64(), run["paused"].as_u64()),
        (Some("on_demand"), Some(1), Some(1)),
        "{run:?}"
    );

    // Closed: off the board at once (job.closed), before the next (scheduled) sync, which then
    // finds nothing to take off. The states equal a recount of the jobs.
    assert_eq!(f.post(&format!("/api/jobs/{b}/close"), Some(&admin.token), json!(null)).await.status, StatusCode::OK);
    (e.pump_sync)().await;
    let s = board_status(f, &admin.token, &id).await;
    assert_eq!(states(&s), BTreeMap::from([(a.clone(), "paused".to_owned())]), "[{}] off at once: {s:?}", f.name);
    let when = time::OffsetDateTime::now_utc();
    let schedule = clearview_chain::integrations::IntegrationSyncSchedule(e.deps.clone());
    assert_eq!(
        clearview_core::ports::queue::Scheduled::run(&schedule, when).await,
        clearview_core::ports::queue::Outcome::Done
    );
    (e.pump_sync)().await;
    let s = board_status(f, &admin.token, &id).await;
    assert_eq!(states(&s), BTreeMap::from([(a.clone(), "paused".to_owned())]));
    assert_eq!(
        (s["runs"][0]["trigger"].as_str(), s["runs"][0]["removed"].as_u64()),
        (Some("schedule"), Some(0)),
        "{s:?}"
    );
    let mut recount = BTreeMap::new();
    for (status, state) in [("active", "active"), ("paused", "paused")] {
        let jobs = f.get(&format!("/api/jobs?status={status}&limit=100"), &admin.token).await;
        for j in jobs.body["items"].as_array().unwrap() {
            recount.insert(j["id"].as_str().unwrap().to_owned(), state.to_owned());
        }
    }
    assert_eq!(states(&s), recount);

    // Another type has nothing to sync: a skipped run says so. Another organisation sees nothing.
    let ats = f
        .post(
            "/api/integrations",
            Some(&admin.token),
            json!({"type": "ats", "name": "Old ATS", "provider": "greenhouse"}),
        )
        .await;
    let ats = ats.body["id"].as_str().unwrap().to_owned();
    assert!(ats.len() > 10 && ats != id);
    f.post(&format!("/api/integrations/{ats}/sync"), Some(&admin.token), json!(null)).await;
    (e.pump_sync)().await;
    let s = board_status(f, &admin.token, &ats).await;
    assert_eq!(s["runs"][0]["outcome"], "skipped", "{s:?}");
    let other = f.employer_admin("Nosy").await;
    assert_eq!(f.get(&format!("/api/integrations/{id}/status"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.post(&format!("/api/integrations/{id}/sync"), Some(&other.token), json!(null)).await.status,
        StatusCode::NOT_FOUND
    );
}

macro_rules! webhook_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_subscription_gets_a_signed_ping_and_signed_events_and_the_log_shows_each() {
            super::a_subscription_gets_a_signed_ping_and_signed_events_and_the_log_shows_each(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_paused_and_a_closed_job_are_delivered_to_their_subscribers() {
            super::a_paused_and_a_closed_job_are_delivered_to_their_subscribers(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_made_report_is_delivered_as_report_ready_with_ids_and_no_personal_data() {
            super::a_made_report_is_delivered_as_report_ready_with_ids_and_no_personal_data(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_failing_receiver_is_retried_until_it_answers() {
            super::a_failing_receiver_is_retried_until_it_answers(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_signed_board_application_creates_candidate_and_application_and_bad_signatures_and_replays_are_refused() {
            super::a_signed_board_application_creates_candidate_and_application_and_bad_signatures_and_replays_are_refused(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_job_boards_state_follows_publish_pause_and_close_and_each_sync_run_is_in_the_status() {
            super::a_job_boards_state_follows_publish_pause_and_close_and_each_sync_run_is_in_the_status(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_receiver_that_never_succeeds_is_dead_lettered_with_the_reason() {
            super::a_receiver_that_never_succeeds_is_dead_lettered_with_the_reason(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-webhooks-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let deps: Deps =
            local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32]))).with_webhooks(test_policy());
        let family = Arc::new(clearview_tests::families::embedded(&local, deps.clone()));
        let consumer: Arc<dyn Consumer> = Arc::new(WebhooksConsumer::new(deps.clone()));
        let sync: Arc<dyn Consumer> = Arc::new(clearview_chain::integrations::IntegrationSyncConsumer(deps.clone()));
        let queues = local.queues.clone();
        let pump_sync: Pump = Box::new(move || -> BoxFut<'static, usize> {
            let (queues, consumer) = (queues.clone(), sync.clone());
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        let reports: Arc<dyn Consumer> = Arc::new(clearview_chain::reports::ReportGenerateConsumer(deps.clone()));
        let queues = local.queues.clone();
        let pump_reports: Pump = Box::new(move || -> BoxFut<'static, usize> {
            let (queues, consumer) = (queues.clone(), reports.clone());
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        let queues = local.queues.clone();
        let pump: Pump = Box::new(move || -> BoxFut<'static, usize> {
            let (queues, consumer) = (queues.clone(), consumer.clone());
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        let queues = local.queues.clone();
        let dead_letters: DeadLetters = Box::new(move || -> BoxFut<'static, Vec<String>> {
            let queues = queues.clone();
            Box::pin(async move { queues.dead_letters(QUEUE).await.unwrap().into_iter().map(|d| d.reason).collect() })
        });
        Env { family, pump, dead_letters, pump_sync, pump_reports, deps }
    }

    webhook_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::queue::Queues;
    use std::time::Duration;

    async fn env() -> Env {
        let moto = Moto::shared().await;
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let deps = Deps::new(
            Arc::new(moto.store().await),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        )
        .with_queues(Arc::new(chain.queues.clone()))
        .with_events(Arc::new(chain.events.clone()))
        .with_blobs(Arc::new(chain.blobs.clone()))
        .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])))
        .with_secrets(Arc::new(moto.vault(clearview_tests::families::MOTO_SECRETS_PREFIX)))
        .with_webhooks(test_policy());
        let family = Arc::new(clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks));
        let consumer: Arc<dyn Consumer> = Arc::new(WebhooksConsumer::new(deps.clone()));
        let pump = pump_of(&chain, consumer);
        let pump_sync = pump_of(&chain, Arc::new(clearview_chain::integrations::IntegrationSyncConsumer(deps.clone())));
        let pump_reports = pump_of(&chain, Arc::new(clearview_chain::reports::ReportGenerateConsumer(deps.clone())));
        let dead_letters: DeadLetters = Box::new(move || -> BoxFut<'static, Vec<String>> {
            let chain = chain.clone();
            Box::pin(async move {
                chain
                    .dead_letters(QUEUE, Duration::from_secs(1))
                    .await
                    .into_iter()
                    .map(|m| m.attributes.get("reason").cloned().unwrap_or_default())
                    .collect()
            })
        });
        Env { family, pump, dead_letters, pump_sync, pump_reports, deps }
    }

    fn pump_of(chain: &clearview_aws::testing::TestChain, consumer: Arc<dyn Consumer>) -> Pump {
        let c = chain.clone();
        Box::new(move || -> BoxFut<'static, usize> {
            let (chain, consumer) = (c.clone(), consumer.clone());
            Box::pin(async move {
                let queues: &dyn Queues = &chain.queues;
                let mut handled = 0;
                loop {
                    let report = chain.pump(consumer.queue(), consumer.as_ref(), queues, Duration::from_secs(1)).await;
                    assert!(report.failed().is_empty(), "{report:?}");
                    if report.received() == 0 {
                        return handled;
                    }
                    handled += report.received();
                }
            })
        })
    }

    webhook_tests!(env);
}
