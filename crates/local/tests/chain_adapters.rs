//! The embedded chain adapters: signed blob URLs, durable queues with dead letters, events fan-out, workers.

use bytes::Bytes;
use clearview_core::ports::blobs::{BlobError, BlobStore};
use clearview_core::ports::clock::{Clock, FixedClock, SystemClock};
use clearview_core::ports::queue::{
    Consumer, DomainEvent, Events, Feed, ObjectCreated, Outcome, QueueDef, Queues, WorkMessage, WorkQueue,
};
use clearview_local::blobs::{DOWNLOAD_PATH, UPLOAD_PATH};
use clearview_local::queues::APPLICATION_EVENT_KIND;
use clearview_local::workers::Handled;
use clearview_local::{
    CancellationToken, FsBlobStore, LocalFamily, QueueConfig, SqliteQueues, UploadRefused, WorkerOptions,
    spawn_workers_with,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::macros::datetime;

/// Under `uploads/`, which the bucket notification announces to the parse queue.
const KEY: &str = "uploads/o1/a1/resume.pdf";
const PDF: &str = "application/pdf";
const TEN_MB: u64 = 10 * 1024 * 1024;
const BASE: &str = "http://127.0.0.1:8080";

struct Env {
    _dir: tempfile::TempDir,
    clock: Arc<FixedClock>,
    queues: Arc<SqliteQueues>,
    blobs: FsBlobStore,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::at(datetime!(2030-01-01 09:00 UTC)));
    let queues = Arc::new(SqliteQueues::open(&dir.path().join("q.db"), clock.clone(), QueueConfig::default()).unwrap());
    let blobs = FsBlobStore::open(dir.path(), BASE, clock.clone(), queues.clone()).unwrap();
    Env { _dir: dir, clock, queues, blobs }
}

/// The URL's path and query, checking it points at the dev server.
fn split(url: &str) -> (&str, &str) {
    let rest = url.strip_prefix(BASE).unwrap();
    rest.split_once('?').unwrap()
}

fn params(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

fn with_param(query: &str, name: &str, value: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params(query) {
        s.append_pair(&k, if k == name { value } else { &v });
    }
    s.finish()
}

fn sha_hex(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|b| format!("{b:02x}")).collect()
}

async fn upload_query(e: &Env, key: &str, max: u64) -> String {
    let ticket = e.blobs.presign_put(key, PDF, max, Duration::from_secs(900)).await.unwrap();
    assert_eq!(ticket.method, "PUT");
    assert_eq!(ticket.headers.get("Content-Type").map(String::as_str), Some(PDF));
    assert_eq!(ticket.max_bytes, max);
    assert_eq!(ticket.expires_at, e.clock.now() + time::Duration::seconds(900));
    let (path, query) = split(&ticket.url);
    assert_eq!(path, UPLOAD_PATH);
    query.to_owned()
}

async fn assert_nothing_stored(e: &Env, key: &str) {
    assert_eq!(e.blobs.head(key).await.unwrap(), None);
    let depth = e.queues.depth(WorkQueue::PARSE).await.unwrap();
    assert_eq!((depth.visible, depth.in_flight, depth.dead), (0, 0, 0));
}

#[tokio::test]
async fn upload_url_round_trip_stores_the_object_and_enqueues_parse() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    let body = Bytes::from_static(b"%PDF-1.7 resume");
    let meta = e.blobs.accept_upload(&query, Some(PDF), body.clone()).await.unwrap();
    assert_eq!(meta.key, KEY);
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(meta.content_type.as_deref(), Some(PDF));
    assert_eq!(meta.version.as_deref(), Some(sha_hex(&body).as_str()));
    assert_eq!(e.blobs.head(KEY).await.unwrap(), Some(meta.clone()));
    let blob = e.blobs.get(KEY, TEN_MB).await.unwrap();
    assert_eq!(blob.bytes, body.to_vec());
    assert_eq!(blob.meta, meta);
    assert!(e.blobs.root().join(KEY).is_file());

    let got = e.queues.receive(WorkQueue::PARSE, 10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(got.len(), 1);
    let message = &got[0].message;
    let expected = ObjectCreated { key: KEY.into(), size: meta.size, version: meta.version.clone() };
    assert_eq!(message, &expected.message());
    assert_eq!(message.kind, ObjectCreated::KIND);
    let parsed: ObjectCreated = serde_json::from_value(message.body.clone()).unwrap();
    assert_eq!(parsed, expected);
}

#[tokio::test]
async fn tampered_signature_is_refused_and_nothing_is_stored() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    let sig = params(&query).into_iter().find(|(k, _)| k == "sig").unwrap().1;
    let flipped = format!("{}{}", &sig[..sig.len() - 1], if sig.ends_with('0') { '1' } else { '0' });
    for bad in
        [with_param(&query, "sig", &flipped), with_param(&query, "sig", "zz"), with_param(&query, "max", "99999999")]
    {
        let r = e.blobs.accept_upload(&bad, Some(PDF), Bytes::from_static(b"x")).await;
        assert_eq!(r, Err(UploadRefused::BadSignature), "{bad}");
    }
    assert_eq!(UploadRefused::BadSignature.status(), 403);
    assert_nothing_stored(&e, KEY).await;
}

#[tokio::test]
async fn url_for_one_key_cannot_store_another() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    let other = "org/o2/applications/a9/resume.pdf";
    let r = e.blobs.accept_upload(&with_param(&query, "key", other), Some(PDF), Bytes::from_static(b"x")).await;
    assert_eq!(r, Err(UploadRefused::BadSignature));
    assert_nothing_stored(&e, other).await;
    assert_nothing_stored(&e, KEY).await;
}

#[tokio::test]
async fn wrong_content_type_is_refused() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    for ct in [Some("text/plain"), None, Some("application/pdf; charset=utf-8")] {
        let r = e.blobs.accept_upload(&query, ct, Bytes::from_static(b"x")).await;
        let err = r.unwrap_err();
        assert!(matches!(&err, UploadRefused::WrongContentType { expected, .. } if expected == PDF), "{err:?}");
        assert_eq!(err.status(), 415);
    }
    // Re-signing the query for another type needs the secret.
    let r = e.blobs.accept_upload(&with_param(&query, "ct", "text/plain"), Some("text/plain"), Bytes::new()).await;
    assert_eq!(r, Err(UploadRefused::BadSignature));
    assert_nothing_stored(&e, KEY).await;
}

#[tokio::test]
async fn expired_upload_url_is_refused() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    e.clock.advance(time::Duration::seconds(900));
    // Still valid at the expiry second itself.
    e.clock.advance(time::Duration::seconds(1));
    let err = e.blobs.accept_upload(&query, Some(PDF), Bytes::from_static(b"x")).await.unwrap_err();
    assert!(matches!(err, UploadRefused::Expired { .. }), "{err:?}");
    assert_eq!(err.status(), 403);
    assert_nothing_stored(&e, KEY).await;
}

#[tokio::test]
async fn oversize_body_is_refused() {
    let e = env();
    let query = upload_query(&e, KEY, 10).await;
    let err = e.blobs.accept_upload(&query, Some(PDF), Bytes::from_static(b"01234567890")).await.unwrap_err();
    assert_eq!(err, UploadRefused::TooLarge { size: 11, limit: 10 });
    assert_eq!(err.status(), 413);
    assert_nothing_stored(&e, KEY).await;
    // Exactly the limit is fine.
    e.blobs.accept_upload(&query, Some(PDF), Bytes::from_static(b"0123456789")).await.unwrap();
}

#[tokio::test]
async fn malformed_queries_are_invalid() {
    let e = env();
    let query = upload_query(&e, KEY, TEN_MB).await;
    let missing: String = params(&query)
        .into_iter()
        .filter(|(k, _)| k != "exp")
        .map(|(k, v)| format!("{k}={}", form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
        .collect::<Vec<_>>()
        .join("&");
    for bad in [missing, format!("{query}&key=x"), format!("{query}&extra=1"), String::new()] {
        let err = e.blobs.accept_upload(&bad, Some(PDF), Bytes::new()).await.unwrap_err();
        assert!(matches!(err, UploadRefused::Invalid(_)), "{bad}: {err:?}");
        assert_eq!(err.status(), 400);
    }
    assert_nothing_stored(&e, KEY).await;
}

#[tokio::test]
async fn presign_refuses_unsafe_keys_and_lifetimes() {
    let e = env();
    for key in ["../etc/passwd", "/abs", "a/\0/b", "a/../b", ""] {
        let r = e.blobs.presign_put(key, PDF, 10, Duration::from_secs(60)).await;
        assert!(matches!(r, Err(BlobError::Invalid(_))), "{key:?}");
        assert!(matches!(e.blobs.get(key, 10).await, Err(BlobError::Invalid(_))), "{key:?}");
    }
    assert!(e.blobs.presign_put(KEY, PDF, 10, Duration::ZERO).await.is_err());
    assert!(e.blobs.presign_put(KEY, PDF, 10, Duration::from_secs(8 * 24 * 3600)).await.is_err());
    assert!(e.blobs.presign_put(KEY, "bad\ntype", 10, Duration::from_secs(60)).await.is_err());
    assert!(e.blobs.presign_put(KEY, PDF, 0, Duration::from_secs(60)).await.is_err());
}

#[tokio::test]
async fn download_url_round_trip_carries_the_name_and_expires() {
    let e = env();
    let meta = e.blobs.put("org/o1/reports/r1.csv", b"a,b\n1,2\n".to_vec(), "text/csv").await.unwrap();
    let (url, expires_at) =
        e.blobs.presign_get(&meta.key, Duration::from_secs(300), Some("Weekly report — Jan.csv")).await.unwrap();
    assert_eq!(expires_at, e.clock.now() + time::Duration::seconds(300));
    let (path, query) = split(&url);
    assert_eq!(path, DOWNLOAD_PATH);
    let (blob, name) = e.blobs.accept_download(query).await.unwrap();
    assert_eq!(blob.bytes, b"a,b\n1,2\n");
    assert_eq!(blob.meta.content_type.as_deref(), Some("text/csv"));
    assert_eq!(name.as_deref(), Some("Weekly report — Jan.csv"));

    // Without a name; a name cannot be added or changed.
    let (url, _) = e.blobs.presign_get(&meta.key, Duration::from_secs(300), None).await.unwrap();
    let (_, plain) = split(&url);
    assert_eq!(e.blobs.accept_download(plain).await.unwrap().1, None);
    assert_eq!(e.blobs.accept_download(&format!("{plain}&name=evil.exe")).await, Err(UploadRefused::BadSignature));
    assert_eq!(e.blobs.accept_download(&with_param(query, "name", "x.exe")).await, Err(UploadRefused::BadSignature));

    e.clock.advance(time::Duration::seconds(301));
    assert!(matches!(e.blobs.accept_download(query).await, Err(UploadRefused::Expired { .. })));

    // A deleted object answers 404 through a valid URL.
    let (url, _) = e.blobs.presign_get(&meta.key, Duration::from_secs(300), None).await.unwrap();
    e.blobs.delete(&meta.key).await.unwrap();
    let err = e.blobs.accept_download(split(&url).1).await.unwrap_err();
    assert_eq!(err.status(), 404);
    assert_eq!(e.blobs.head(&meta.key).await.unwrap(), None);
}

#[tokio::test]
async fn get_checks_the_size_before_reading() {
    let e = env();
    e.blobs.put(KEY, vec![7u8; 100], PDF).await.unwrap();
    assert_eq!(e.blobs.get(KEY, 99).await, Err(BlobError::TooLarge { size: 100, limit: 99 }));
    assert_eq!(e.blobs.get(KEY, 100).await.unwrap().bytes.len(), 100);
    assert!(matches!(e.blobs.get("org/o1/none.pdf", 100).await, Err(BlobError::NotFound(_))));
    // Overwriting replaces content and version.
    let v1 = e.blobs.head(KEY).await.unwrap().unwrap().version;
    let m2 = e.blobs.put(KEY, vec![8u8; 3], "text/plain").await.unwrap();
    assert_ne!(m2.version, v1);
    assert_eq!(e.blobs.get(KEY, 100).await.unwrap().meta, m2);
}

#[tokio::test]
async fn urls_signed_by_another_data_dir_are_refused() {
    let e = env();
    let other = env();
    let query = upload_query(&other, KEY, TEN_MB).await;
    assert_eq!(e.blobs.accept_upload(&query, Some(PDF), Bytes::new()).await, Err(UploadRefused::BadSignature));
    // The secret persists: a store reopened on the same dir accepts its own URLs.
    let reopened = FsBlobStore::open(other._dir.path(), BASE, other.clock.clone(), other.queues.clone()).unwrap();
    reopened.accept_upload(&query, Some(PDF), Bytes::from_static(b"x")).await.unwrap();
}

// ---------------------------------------------------------------- queues

fn msg(id: &str) -> WorkMessage {
    WorkMessage { id: id.into(), kind: "test".into(), body: json!({"n": id}) }
}

fn fixed_queues(config: QueueConfig) -> (Arc<FixedClock>, SqliteQueues) {
    let clock = Arc::new(FixedClock::at(datetime!(2030-01-01 09:00 UTC)));
    let q = SqliteQueues::in_memory(clock.clone(), config).unwrap();
    (clock, q)
}

const VIS: Duration = Duration::from_secs(30);

#[tokio::test]
async fn receive_hides_a_message_until_the_visibility_passes() {
    let (clock, q) = fixed_queues(QueueConfig::default());
    q.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    let first = q.receive(WorkQueue::SCORE, 10, VIS).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].receive_count, 1);
    assert_eq!(first[0].message, msg("m1"));
    assert!(q.receive(WorkQueue::SCORE, 10, VIS).await.unwrap().is_empty());
    assert_eq!(q.depth(WorkQueue::SCORE).await.unwrap().in_flight, 1);
    // Other queues are separate.
    assert!(q.receive(WorkQueue::BIAS, 10, VIS).await.unwrap().is_empty());
    clock.advance(time::Duration::seconds(29));
    assert!(q.receive(WorkQueue::SCORE, 10, VIS).await.unwrap().is_empty());
    clock.advance(time::Duration::seconds(1));
    let again = q.receive(WorkQueue::SCORE, 10, VIS).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].receive_count, 2);
    assert_ne!(again[0].receipt, first[0].receipt);
}

#[tokio::test]
async fn ack_removes_and_batches_come_in_send_order() {
    let (_clock, q) = fixed_queues(QueueConfig::default());
    for i in 0..5 {
        q.send(WorkQueue::PARSE, &msg(&format!("m{i}"))).await.unwrap();
    }
    let got = q.receive(WorkQueue::PARSE, 3, VIS).await.unwrap();
    let ids: Vec<&str> = got.iter().map(|d| d.message.id.as_str()).collect();
    assert_eq!(ids, ["m0", "m1", "m2"]);
    for d in &got {
        assert!(q.ack(&d.receipt).await.unwrap());
        assert!(!q.ack(&d.receipt).await.unwrap(), "a second ack finds nothing");
    }
    let depth = q.depth(WorkQueue::PARSE).await.unwrap();
    assert_eq!((depth.visible, depth.in_flight, depth.dead), (2, 0, 0));
}

#[tokio::test]
async fn release_redelivers_after_the_backoff() {
    let config = QueueConfig { retry_backoff: Duration::from_secs(2), ..QueueConfig::default() };
    let (clock, q) = fixed_queues(config);
    q.send(WorkQueue::PARSE, &msg("m1")).await.unwrap();
    let d = q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().remove(0);
    assert!(q.release(&d.receipt, "store busy").await.unwrap());
    assert!(!q.ack(&d.receipt).await.unwrap(), "a released receipt is spent");
    assert!(q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().is_empty());
    clock.advance(time::Duration::seconds(2));
    let d = q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().remove(0);
    assert_eq!(d.receive_count, 2);
    // The second release waits twice as long.
    q.release(&d.receipt, "still busy").await.unwrap();
    clock.advance(time::Duration::seconds(3));
    assert!(q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().is_empty());
    clock.advance(time::Duration::seconds(1));
    assert_eq!(q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap()[0].receive_count, 3);
}

#[tokio::test]
async fn fourth_receive_dead_letters_with_the_last_reason_and_redrive_brings_it_back() {
    let (clock, q) = fixed_queues(QueueConfig::default());
    q.send(WorkQueue::BIAS, &msg("m1")).await.unwrap();
    for n in 1..=3 {
        let d = q.receive(WorkQueue::BIAS, 1, VIS).await.unwrap().remove(0);
        assert_eq!(d.receive_count, n);
        q.release(&d.receipt, &format!("failure {n}")).await.unwrap();
        clock.advance(time::Duration::minutes(2));
    }
    assert!(q.receive(WorkQueue::BIAS, 10, VIS).await.unwrap().is_empty());
    let dead = q.dead_letters(WorkQueue::BIAS).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].message, msg("m1"));
    assert_eq!(dead[0].reason, "failure 3");
    assert_eq!(dead[0].receive_count, 3);
    assert_eq!(dead[0].dead_at, clock.now());
    assert_eq!(q.depth(WorkQueue::BIAS).await.unwrap().dead, 1);

    assert_eq!(q.redrive(WorkQueue::BIAS).await.unwrap(), 1);
    assert!(q.dead_letters(WorkQueue::BIAS).await.unwrap().is_empty());
    let d = q.receive(WorkQueue::BIAS, 1, VIS).await.unwrap().remove(0);
    assert_eq!((d.message.id.as_str(), d.receive_count), ("m1", 1));
}

#[tokio::test]
async fn visibility_timeouts_alone_also_dead_letter() {
    let (clock, q) = fixed_queues(QueueConfig::default());
    q.send(WorkQueue::BIAS, &msg("m1")).await.unwrap();
    for _ in 0..3 {
        assert_eq!(q.receive(WorkQueue::BIAS, 1, VIS).await.unwrap().len(), 1);
        clock.advance(time::Duration::seconds(31));
    }
    assert!(q.receive(WorkQueue::BIAS, 1, VIS).await.unwrap().is_empty());
    let dead = q.dead_letters(WorkQueue::BIAS).await.unwrap();
    assert!(dead[0].reason.contains("received 3 times"), "{}", dead[0].reason);
}

#[tokio::test]
async fn poison_shows_its_reason_in_the_dead_letter_list() {
    let (_clock, q) = fixed_queues(QueueConfig::default());
    // Through the port, as an AWS consumer would send to its DLQ.
    q.dead_letter(WorkQueue::PARSE, &msg("p1"), "not a PDF").await.unwrap();
    // And by receipt, as the workers do.
    q.send(WorkQueue::PARSE, &msg("p2")).await.unwrap();
    let d = q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().remove(0);
    assert!(q.dead_letter_delivery(&d.receipt, "encrypted PDF").await.unwrap());
    let dead = q.dead_letters(WorkQueue::PARSE).await.unwrap();
    let got: Vec<(&str, &str)> = dead.iter().map(|d| (d.message.id.as_str(), d.reason.as_str())).collect();
    assert_eq!(got, [("p1", "not a PDF"), ("p2", "encrypted PDF")]);
    assert!(q.receive(WorkQueue::PARSE, 10, VIS).await.unwrap().is_empty());
    assert!(q.dead_letters(WorkQueue::SCORE).await.unwrap().is_empty());
}

#[tokio::test]
async fn messages_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clearview.db");
    let clock = Arc::new(FixedClock::at(datetime!(2030-01-01 09:00 UTC)));
    {
        let q = SqliteQueues::open(&path, clock.clone(), QueueConfig::default()).unwrap();
        q.send(WorkQueue::PARSE, &msg("waiting")).await.unwrap();
        q.send(WorkQueue::PARSE, &msg("in-flight")).await.unwrap();
        q.dead_letter(WorkQueue::EMAIL, &msg("dead"), "bad address").await.unwrap();
        // Receive only the first… then take the second in flight.
        let d = q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().remove(0);
        q.release(&d.receipt, "later").await.unwrap();
        let d = q.receive(WorkQueue::PARSE, 1, VIS).await.unwrap().remove(0);
        assert_eq!(d.message.id, "in-flight");
    }
    let q = SqliteQueues::open(&path, clock.clone(), QueueConfig::default()).unwrap();
    assert_eq!(q.dead_letters(WorkQueue::EMAIL).await.unwrap()[0].reason, "bad address");
    assert!(q.receive(WorkQueue::PARSE, 10, VIS).await.unwrap().is_empty());
    clock.advance(time::Duration::seconds(31));
    let mut ids: Vec<String> =
        q.receive(WorkQueue::PARSE, 10, VIS).await.unwrap().into_iter().map(|d| d.message.id).collect();
    ids.sort();
    assert_eq!(ids, ["in-flight", "waiting"]);
}

fn event(id: &str) -> DomainEvent {
    DomainEvent {
        id: id.into(),
        kind: "application.received".into(),
        org_id: "o1".into(),
        subject_id: "a1".into(),
        occurred_at: datetime!(2030-01-01 09:00 UTC),
        data: json!({"jobId": "j1"}),
        correlation_id: None,
    }
}

#[tokio::test]
async fn events_fan_out_to_the_subscribed_queues() {
    let (_clock, q) = fixed_queues(QueueConfig::default());
    q.publish(&event("e1")).await.unwrap();
    let got = q.receive(WorkQueue::EMAIL, 10, VIS).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.id, "e1");
    assert_eq!(got[0].message.kind, APPLICATION_EVENT_KIND);
    let back: DomainEvent = serde_json::from_value(got[0].message.body.clone()).unwrap();
    assert_eq!(back, event("e1"));
    for other in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS] {
        assert_eq!(q.depth(other).await.unwrap(), Default::default());
    }

    // A second subscription with a filter: it gets only the kinds it asks for.
    let audits = QueueDef {
        name: "audits",
        feed: Feed::Topic(clearview_chain::table::APPLICATION_EVENTS, &["application.decided"]),
        max_receive_count: 5,
    };
    let mut queues = clearview_chain::table::QUEUES.to_vec();
    queues.push(audits);
    let (_clock, q) = fixed_queues(QueueConfig { queues, ..QueueConfig::default() });
    q.publish(&event("e2")).await.unwrap();
    assert_eq!(q.depth(WorkQueue::EMAIL).await.unwrap().visible, 1);
    assert_eq!(q.depth(audits.queue()).await.unwrap().visible, 0, "filtered out");
    let mut decided = event("e3");
    decided.kind = "application.decided".into();
    q.publish(&decided).await.unwrap();
    assert_eq!(q.depth(WorkQueue::EMAIL).await.unwrap().visible, 2);
    assert_eq!(q.depth(audits.queue()).await.unwrap().visible, 1);
}

// ---------------------------------------------------------------- workers

/// Answers `Retry` for the first `fail` calls, panics on the calls listed in `panic_on`, then `Done`.
struct Scripted {
    queue: WorkQueue,
    calls: AtomicU32,
    fail: u32,
    panic_on: Vec<u32>,
    always: Option<Outcome>,
}

impl Scripted {
    fn new(fail: u32) -> Self {
        Self { queue: WorkQueue::SCORE, calls: AtomicU32::new(0), fail, panic_on: vec![], always: None }
    }
}

#[async_trait::async_trait]
impl Consumer for Scripted {
    fn queue(&self) -> WorkQueue {
        self.queue
    }
    async fn handle(&self, _message: &WorkMessage) -> Outcome {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if self.panic_on.contains(&n) {
            panic!("scripted panic on call {n}");
        }
        if let Some(o) = &self.always {
            return o.clone();
        }
        if n <= self.fail { Outcome::Retry(format!("transient {n}")) } else { Outcome::Done }
    }
}

struct Running {
    queues: Arc<SqliteQueues>,
    handled: Arc<Mutex<Vec<Handled>>>,
    shutdown: CancellationToken,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

fn start(consumers: Vec<Arc<dyn Consumer>>, idle_poll: Duration) -> Running {
    let config = QueueConfig { retry_backoff: Duration::from_millis(10), ..QueueConfig::default() };
    let queues = Arc::new(SqliteQueues::in_memory(Arc::new(SystemClock), config).unwrap());
    let handled = Arc::new(Mutex::new(Vec::new()));
    let sink = handled.clone();
    let options = WorkerOptions {
        idle_poll,
        observer: Some(Arc::new(move |h: &Handled| sink.lock().unwrap().push(h.clone()))),
        ..WorkerOptions::default()
    };
    let shutdown = CancellationToken::new();
    let handles = spawn_workers_with(queues.clone(), consumers, shutdown.clone(), options);
    Running { queues, handled, shutdown, handles }
}

impl Running {
    async fn wait_for(&self, n: usize) -> Vec<Handled> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.handled.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < deadline, "only {} of {n} deliveries handled: {got:?}", got.len());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        for h in self.handles {
            tokio::time::timeout(Duration::from_secs(5), h).await.unwrap().unwrap();
        }
    }
}

#[tokio::test]
async fn worker_retries_a_flaky_consumer_until_done() {
    let consumer = Arc::new(Scripted::new(2));
    let r = start(vec![consumer.clone()], Duration::from_millis(20));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    let got = r.wait_for(3).await;
    let outcomes: Vec<(&Outcome, u32)> = got.iter().map(|h| (&h.outcome, h.receive_count)).collect();
    assert_eq!(
        outcomes,
        [(&Outcome::Retry("transient 1".into()), 1), (&Outcome::Retry("transient 2".into()), 2), (&Outcome::Done, 3)]
    );
    assert_eq!(consumer.calls.load(Ordering::SeqCst), 3);
    assert_eq!(r.queues.depth(WorkQueue::SCORE).await.unwrap(), Default::default());
    r.stop().await;
}

#[tokio::test]
async fn worker_dead_letters_a_message_that_always_retries() {
    let consumer = Arc::new(Scripted { always: Some(Outcome::Retry("downstream 503".into())), ..Scripted::new(0) });
    let r = start(vec![consumer.clone()], Duration::from_millis(20));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    r.wait_for(3).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let dead = loop {
        let dead = r.queues.dead_letters(WorkQueue::SCORE).await.unwrap();
        if !dead.is_empty() {
            break dead;
        }
        assert!(tokio::time::Instant::now() < deadline, "never dead-lettered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(dead[0].reason, "downstream 503");
    assert_eq!(dead[0].receive_count, 3);
    assert_eq!(consumer.calls.load(Ordering::SeqCst), 3);
    r.stop().await;
}

#[tokio::test]
async fn worker_dead_letters_poison_at_once() {
    let consumer = Arc::new(Scripted { always: Some(Outcome::Poison("not a resume".into())), ..Scripted::new(0) });
    let r = start(vec![consumer.clone()], Duration::from_millis(20));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    let got = r.wait_for(1).await;
    assert_eq!(got[0].outcome, Outcome::Poison("not a resume".into()));
    let dead = r.queues.dead_letters(WorkQueue::SCORE).await.unwrap();
    assert_eq!((dead[0].reason.as_str(), dead[0].receive_count), ("not a resume", 1));
    r.stop().await;
}

#[tokio::test]
async fn a_panicking_consumer_does_not_stop_the_worker() {
    let consumer = Arc::new(Scripted { panic_on: vec![1], ..Scripted::new(0) });
    let r = start(vec![consumer.clone()], Duration::from_millis(20));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    let got = r.wait_for(2).await;
    assert!(
        matches!(&got[0].outcome, Outcome::Retry(reason) if reason.contains("scripted panic on call 1")),
        "{:?}",
        got[0]
    );
    assert_eq!((&got[1].outcome, got[1].receive_count), (&Outcome::Done, 2));
    // The loop is alive: a new message is handled too.
    r.queues.send(WorkQueue::SCORE, &msg("m2")).await.unwrap();
    let got = r.wait_for(3).await;
    assert_eq!((got[2].message_id.as_str(), &got[2].outcome), ("m2", &Outcome::Done));
    r.stop().await;
}

#[tokio::test]
async fn a_send_wakes_an_idle_worker_at_once() {
    let consumer = Arc::new(Scripted::new(0));
    // Idle polling alone would take a minute.
    let r = start(vec![consumer.clone()], Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sent = std::time::Instant::now();
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    r.wait_for(1).await;
    assert!(sent.elapsed() < Duration::from_secs(2), "took {:?}", sent.elapsed());
    r.stop().await;
}

#[tokio::test]
async fn workers_only_take_their_own_queue_and_stop_on_shutdown() {
    let score = Arc::new(Scripted::new(0));
    let email = Arc::new(Scripted { queue: WorkQueue::EMAIL, ..Scripted::new(0) });
    let r = start(vec![score.clone(), email.clone()], Duration::from_millis(20));
    r.queues.publish(&event("e1")).await.unwrap();
    let got = r.wait_for(1).await;
    assert_eq!((got[0].queue, got[0].kind.as_str()), (WorkQueue::EMAIL, APPLICATION_EVENT_KIND));
    assert_eq!(score.calls.load(Ordering::SeqCst), 0);
    r.stop().await;
}

#[tokio::test]
async fn one_dispatcher_feeds_every_worker_and_each_queue_in_send_order() {
    let score = Arc::new(Scripted::new(0));
    let bias = Arc::new(Scripted { queue: WorkQueue::BIAS, ..Scripted::new(0) });
    let r = start(vec![score.clone(), bias.clone()], Duration::from_secs(60));
    for i in 0..5 {
        r.queues.send(WorkQueue::SCORE, &msg(&format!("s{i}"))).await.unwrap();
        r.queues.send(WorkQueue::BIAS, &msg(&format!("b{i}"))).await.unwrap();
    }
    let got = r.wait_for(10).await;
    for (queue, prefix) in [(WorkQueue::SCORE, "s"), (WorkQueue::BIAS, "b")] {
        let ids: Vec<&str> = got.iter().filter(|h| h.queue == queue).map(|h| h.message_id.as_str()).collect();
        let want: Vec<String> = (0..5).map(|i| format!("{prefix}{i}")).collect();
        assert_eq!(ids, want, "{queue}");
    }
    assert_eq!((score.calls.load(Ordering::SeqCst), bias.calls.load(Ordering::SeqCst)), (5, 5));
    r.stop().await;
}

#[tokio::test]
async fn two_consumers_of_one_queue_share_its_messages_and_none_is_handled_twice() {
    let first = Arc::new(Scripted::new(0));
    let second = Arc::new(Scripted::new(0));
    let r = start(vec![first.clone(), second.clone()], Duration::from_millis(20));
    for i in 0..12 {
        r.queues.send(WorkQueue::SCORE, &msg(&format!("m{i}"))).await.unwrap();
    }
    let got = r.wait_for(12).await;
    let mut ids: Vec<&str> = got.iter().map(|h| h.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "{got:?}");
    assert_eq!(first.calls.load(Ordering::SeqCst) + second.calls.load(Ordering::SeqCst), 12);
    r.stop().await;
}

#[tokio::test]
async fn a_done_message_is_deleted_within_a_poll_while_the_queues_are_quiet() {
    let r = start(vec![Arc::new(Scripted::new(0))], Duration::from_millis(20));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    r.wait_for(1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    // `acks_pending` does not write them itself, unlike every read of the queues' state.
    while r.queues.acks_pending() {
        assert!(std::time::Instant::now() < deadline, "the ack was never written");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    r.stop().await;
}

#[tokio::test]
async fn stopping_the_workers_writes_their_last_acks() {
    // No poll would write the ack for a minute.
    let r = start(vec![Arc::new(Scripted::new(0))], Duration::from_secs(60));
    r.queues.send(WorkQueue::SCORE, &msg("m1")).await.unwrap();
    r.wait_for(1).await;
    let queues = r.queues.clone();
    r.stop().await;
    assert!(!queues.acks_pending());
    // A fresh owner of the file would find nothing to release.
    assert_eq!(queues.release_abandoned().await.unwrap(), 0);
}

// ---------------------------------------------------------------- family

#[tokio::test]
async fn family_wires_blobs_to_the_parse_queue() {
    let dir = tempfile::tempdir().unwrap();
    let family = LocalFamily::in_memory_for_tests(dir.path()).unwrap();
    let ticket = family.blob_store().presign_put(KEY, PDF, TEN_MB, Duration::from_secs(60)).await.unwrap();
    let (_, query) = split(&ticket.url);
    family.blobs.accept_upload(query, Some(PDF), Bytes::from_static(b"%PDF")).await.unwrap();
    assert!(dir.path().join("blobs").join(KEY).is_file());
    assert!(Path::new(&dir.path().join("keys/blob-url.key")).is_file());
    let d = family.queues.receive(WorkQueue::PARSE, 1, VIS).await.unwrap();
    assert_eq!(d[0].message.kind, ObjectCreated::KIND);
    family.events().publish(&event("e1")).await.unwrap();
    family.work_queues().send(WorkQueue::SCORE, &msg("s1")).await.unwrap();
    assert_eq!(family.queues.depth(WorkQueue::EMAIL).await.unwrap().visible, 1);
    assert_eq!(family.queues.depth(WorkQueue::SCORE).await.unwrap().visible, 1);
    // The use cases reach the same adapters through Deps.
    let deps = family.deps();
    deps.queues.send(WorkQueue::BIAS, &msg("b1")).await.unwrap();
    deps.events.publish(&event("e2")).await.unwrap();
    assert_eq!(family.queues.depth(WorkQueue::BIAS).await.unwrap().visible, 1);
    assert_eq!(family.queues.depth(WorkQueue::EMAIL).await.unwrap().visible, 2);
    assert_eq!(deps.blobs.head(KEY).await.unwrap().map(|m| m.size), Some(4));
}
