//! The processing chain's AWS adapters against moto: S3 presigned uploads and notifications,
//! SQS redrive and dead letters, SNS fan-out, and the Lambda SQS glue driven by the pump.

use async_trait::async_trait;
use clearview_aws::lambda_sqs::APPLICATION_EVENT_KIND;
use clearview_aws::s3_event::object_created_records;
use clearview_aws::sqs::attribute;
use clearview_aws::testing::{self, CHAIN_MAX_RECEIVE_COUNT, Moto, TestChain};
use clearview_aws::{S3BlobStore, sns_envelope};
use clearview_core::ports::blobs::{BlobError, BlobStore};
use clearview_core::ports::queue::{
    Consumer, DomainEvent, Events, ObjectCreated, Outcome, Queues, WorkMessage, WorkQueue,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use time::OffsetDateTime;

/// Long enough for a message to reappear after the 1 s visibility timeout.
const WAIT: Duration = Duration::from_secs(3);

/// A consumer answering by message id: ids containing "retry" → Retry, "poison" → Poison.
struct Scripted {
    queue: WorkQueue,
    seen: Mutex<Vec<WorkMessage>>,
}

impl Scripted {
    fn new(queue: WorkQueue) -> Self {
        Self { queue, seen: Mutex::new(Vec::new()) }
    }
    fn seen(&self) -> Vec<WorkMessage> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl Consumer for Scripted {
    fn queue(&self) -> WorkQueue {
        self.queue
    }
    async fn handle(&self, message: &WorkMessage) -> Outcome {
        self.seen.lock().unwrap().push(message.clone());
        if message.id.contains("retry") {
            Outcome::Retry("downstream throttled".into())
        } else if message.id.contains("poison") {
            Outcome::Poison("resume is an encrypted PDF".into())
        } else {
            Outcome::Done
        }
    }
}

fn work(id: &str) -> WorkMessage {
    WorkMessage { id: id.into(), kind: "parsed".into(), body: serde_json::json!({"applicationId": id}) }
}

fn query(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
            (k.to_owned(), v)
        })
        .collect()
}

async fn chain() -> TestChain {
    Moto::shared().await.chain().await
}

#[tokio::test]
async fn presigned_upload_notifies_the_parse_queue_with_the_decoded_key() {
    let chain = chain().await;
    let key = "uploads/org-1/app-7/Ana López CV (final).pdf";
    let pdf = b"%PDF-1.7\n% a tiny resume\n".repeat(40);
    let ticket = chain.blobs.presign_put(key, "application/pdf", 5 << 20, Duration::from_secs(300)).await.unwrap();
    let (status, body) = testing::upload(&ticket, pdf.clone()).await;
    assert_eq!(status, 200, "upload refused: {body}");

    let messages = chain.receive_all(&chain.queue_urls[&WorkQueue::PARSE].queue, WAIT).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let records = object_created_records(&messages[0].body).unwrap();
    assert_eq!(records.len(), 1, "{}", messages[0].body);
    let created = &records[0];
    assert_eq!(created.key, key);
    assert_eq!(created.size, pdf.len() as u64);
    let meta = chain.blobs.head(key).await.unwrap().expect("uploaded object");
    assert_eq!(meta.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(meta.size, pdf.len() as u64);
    // moto's event has no versionId, so the event's version is the ETag (AWS sends versionId).
    let etag = created.version.clone().expect("a version or ETag");
    assert!(etag.len() == 32 && etag.chars().all(|c| c.is_ascii_hexdigit()), "{etag}");

    let blob = chain.blobs.get(key, 5 << 20).await.unwrap();
    assert_eq!(blob.bytes, pdf);
    assert_eq!(blob.meta.version, meta.version);

    // Outside uploads/ nothing is announced (the notification's prefix filter).
    chain.blobs.put("reports/org-1/2025-w10.csv", b"a,b\n".to_vec(), "text/csv").await.unwrap();
    assert!(chain.receive_all(&chain.queue_urls[&WorkQueue::PARSE].queue, Duration::from_secs(1)).await.is_empty());
}

#[tokio::test]
async fn upload_url_signs_key_content_type_and_expiry() {
    let chain = chain().await;
    let before = OffsetDateTime::now_utc();
    let key = "uploads/org-1/app-9/cv.docx";
    let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    let ticket = chain.blobs.presign_put(key, docx, 1 << 20, Duration::from_secs(600)).await.unwrap();

    assert_eq!(ticket.method, "PUT");
    assert_eq!(ticket.max_bytes, 1 << 20);
    assert_eq!(ticket.headers.get("content-type").map(String::as_str), Some(docx));
    let (path, _) = ticket.url.split_once('?').unwrap();
    assert!(path.ends_with(&format!("/{}/{key}", chain.bucket)), "{path}");
    let q = query(&ticket.url);
    assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
    assert_eq!(q["X-Amz-Expires"], "600");
    let signed: Vec<&str> = q["X-Amz-SignedHeaders"].split(';').collect();
    assert!(signed.contains(&"content-type") && signed.contains(&"host"), "{signed:?}");
    assert_eq!(q["X-Amz-Signature"].len(), 64);
    assert!(q["X-Amz-Credential"].ends_with("/us-east-1/s3/aws4_request"), "{}", q["X-Amz-Credential"]);
    // No checksum of an empty body is bound into the URL (it would break real uploads).
    assert!(!q.keys().any(|k| k.to_ascii_lowercase().starts_with("x-amz-checksum")), "{q:?}");
    let lifetime = ticket.expires_at - before;
    assert!(lifetime <= time::Duration::seconds(601) && lifetime >= time::Duration::seconds(598), "{lifetime}");

    // A bucket policy requiring SSE: the header is signed and the client is told to send it.
    let sse = S3BlobStore::new(chain.s3.clone(), &chain.bucket)
        .with_upload_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256);
    let ticket = sse.presign_put(key, docx, 1 << 20, Duration::from_secs(60)).await.unwrap();
    assert_eq!(ticket.headers.get("x-amz-server-side-encryption").map(String::as_str), Some("AES256"));
    assert!(query(&ticket.url)["X-Amz-SignedHeaders"].split(';').any(|h| h == "x-amz-server-side-encryption"));
    let (status, body) = testing::upload(&ticket, b"PK\x03\x04docx".to_vec()).await;
    assert_eq!(status, 200, "{body}");

    assert!(matches!(
        chain.blobs.presign_put(key, docx, 1, Duration::from_secs(8 * 24 * 3600)).await,
        Err(BlobError::Invalid(_))
    ));
}

#[tokio::test]
async fn download_url_names_the_file_and_expires() {
    let chain = chain().await;
    let key = "reports/org-1/bias-audit.csv";
    chain.blobs.put(key, b"group,rate\n".to_vec(), "text/csv").await.unwrap();
    let (url, expires_at) =
        chain.blobs.presign_get(key, Duration::from_secs(120), Some("Bias audit – März.csv")).await.unwrap();
    let q = query(&url);
    assert_eq!(q["X-Amz-Expires"], "120");
    assert_eq!(
        q["response-content-disposition"],
        "attachment; filename=\"Bias audit _ M_rz.csv\"; filename*=UTF-8''Bias%20audit%20%E2%80%93%20M%C3%A4rz.csv"
    );
    assert!(expires_at > OffsetDateTime::now_utc() + time::Duration::seconds(100));
    let (status, headers, body) = testing::download(&url).await;
    assert_eq!(status, 200);
    assert_eq!(body, b"group,rate\n");
    assert_eq!(headers.get("content-disposition"), Some(&q["response-content-disposition"]));

    let (plain, _) = chain.blobs.presign_get(key, Duration::from_secs(60), None).await.unwrap();
    assert!(!plain.contains("response-content-disposition"), "{plain}");
}

#[tokio::test]
async fn get_refuses_an_object_above_max_bytes_and_missing_objects_are_not_found() {
    let chain = chain().await;
    let key = "uploads/org-1/app-3/huge.pdf";
    let meta = chain.blobs.put(key, vec![b'x'; 256 * 1024], "application/pdf").await.unwrap();
    assert_eq!(meta.size, 256 * 1024);
    assert!(meta.version.is_some(), "versioned bucket: a version id");
    // The size comes from Content-Length, before any of the body is read.
    assert_eq!(chain.blobs.get(key, 1024).await.unwrap_err(), BlobError::TooLarge { size: 256 * 1024, limit: 1024 });
    assert_eq!(chain.blobs.get(key, 256 * 1024).await.unwrap().bytes.len(), 256 * 1024);

    let missing = "uploads/org-1/app-3/none.pdf";
    assert_eq!(chain.blobs.head(missing).await.unwrap(), None);
    assert_eq!(chain.blobs.get(missing, 10).await.unwrap_err(), BlobError::NotFound(missing.into()));
    chain.blobs.delete(key).await.unwrap();
    assert_eq!(chain.blobs.head(key).await.unwrap(), None);
    chain.blobs.delete(key).await.unwrap();
}

#[tokio::test]
async fn retry_is_redelivered_and_lands_in_the_dlq_after_max_receives() {
    let chain = chain().await;
    let consumer = Scripted::new(WorkQueue::SCORE);
    chain.queues.send(WorkQueue::SCORE, &work("app-1-retry")).await.unwrap();

    for receive in 1..=CHAIN_MAX_RECEIVE_COUNT {
        let report = chain.pump(WorkQueue::SCORE, &consumer, &chain.queues, WAIT).await;
        assert_eq!(report.received(), 1, "receive {receive}: {report:?}");
        assert_eq!(report.records[0].receive_count, receive);
        assert_eq!(report.failed().len(), 1);
    }
    // The next receive moves it to the dead-letter queue instead of delivering it.
    let report = chain.pump(WorkQueue::SCORE, &consumer, &chain.queues, WAIT).await;
    assert_eq!(report.received(), 0, "{report:?}");
    assert_eq!(consumer.seen().len(), CHAIN_MAX_RECEIVE_COUNT as usize);

    let dead = chain.dead_letters(WorkQueue::SCORE, WAIT).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    let message: WorkMessage = serde_json::from_str(&dead[0].body).unwrap();
    assert_eq!(message, work("app-1-retry"));
    assert_eq!(dead[0].attributes.get(attribute::KIND).map(String::as_str), Some("parsed"));
    assert!(!dead[0].attributes.contains_key(attribute::REASON), "SQS's redrive gives no reason");
}

#[tokio::test]
async fn poison_lands_in_the_dlq_at_once_with_its_reason() {
    let chain = chain().await;
    let consumer = Scripted::new(WorkQueue::BIAS);
    chain.queues.send(WorkQueue::BIAS, &work("app-2-poison")).await.unwrap();
    let report = chain.pump(WorkQueue::BIAS, &consumer, &chain.queues, WAIT).await;
    assert_eq!((report.received(), report.failed().len()), (1, 0), "{report:?}");

    let dead = chain.dead_letters(WorkQueue::BIAS, WAIT).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(serde_json::from_str::<WorkMessage>(&dead[0].body).unwrap(), work("app-2-poison"));
    assert_eq!(dead[0].attributes[attribute::REASON], "resume is an encrypted PDF");
    assert_eq!(dead[0].attributes[attribute::SOURCE_QUEUE], "bias");
    assert!(dead[0].attributes.contains_key(attribute::DEAD_LETTERED_AT));
    // Nothing comes back: it was deleted from the work queue.
    let again = chain.pump(WorkQueue::BIAS, &consumer, &chain.queues, Duration::from_secs(2)).await;
    assert_eq!(again.received(), 0, "{again:?}");
}

#[tokio::test]
async fn unreadable_body_is_dead_lettered_with_the_reason() {
    let chain = chain().await;
    let url = &chain.queue_urls[&WorkQueue::ANONYMIZE].queue;
    chain.sqs.send_message().queue_url(url).message_body("{not json").send().await.unwrap();
    let report = chain.pump(WorkQueue::ANONYMIZE, &Scripted::new(WorkQueue::ANONYMIZE), &chain.queues, WAIT).await;
    assert_eq!((report.received(), report.failed().len()), (1, 0), "{report:?}");
    let dead = chain.dead_letters(WorkQueue::ANONYMIZE, WAIT).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].attributes[attribute::REASON].starts_with("unreadable anonymize message"), "{dead:?}");
    let raw: WorkMessage = serde_json::from_str(&dead[0].body).unwrap();
    assert_eq!(raw.body, serde_json::json!("{not json"));
}

#[tokio::test]
async fn published_event_reaches_the_email_queue_enveloped_and_is_unwrapped() {
    let chain = chain().await;
    let event = DomainEvent {
        id: "evt-42".into(),
        kind: "application.received".into(),
        org_id: "org-1".into(),
        subject_id: "app-7".into(),
        occurred_at: OffsetDateTime::from_unix_timestamp(1_740_823_205).unwrap(),
        data: serde_json::json!({"jobId": "job-3", "candidate": "Ana López"}),
        correlation_id: None,
    };
    chain.events.publish(&event).await.unwrap();

    let consumer = Scripted::new(WorkQueue::EMAIL);
    let report = chain.pump(WorkQueue::EMAIL, &consumer, &chain.queues, WAIT).await;
    assert_eq!((report.received(), report.failed().len()), (1, 0), "{report:?}");
    let envelope = sns_envelope::parse(&report.records[0].body).expect("raw delivery is off: an SNS envelope");
    assert_eq!(envelope.topic_arn, chain.topic_arn);
    assert_eq!(envelope.attributes.get("kind").map(String::as_str), Some("application.received"));

    let seen = consumer.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].id.as_str(), seen[0].kind.as_str()), ("evt-42", APPLICATION_EVENT_KIND));
    assert_eq!(serde_json::from_value::<DomainEvent>(seen[0].body.clone()).unwrap(), event);
}

#[tokio::test]
async fn a_batch_reports_only_its_failing_record() {
    let chain = chain().await;
    let consumer = Scripted::new(WorkQueue::ANONYMIZE);
    chain.queues.send(WorkQueue::ANONYMIZE, &work("app-5")).await.unwrap();
    chain.queues.send(WorkQueue::ANONYMIZE, &work("app-6-retry")).await.unwrap();

    let report = chain.pump(WorkQueue::ANONYMIZE, &consumer, &chain.queues, WAIT).await;
    assert_eq!(report.received(), 2, "{report:?}");
    let failed = report.failed();
    assert_eq!(failed.len(), 1);
    let failing = report.records.iter().find(|r| r.failed).unwrap();
    assert!(failing.body.contains("app-6-retry"), "{failing:?}");
    assert_eq!(report.deleted().len(), 1);

    // Only the failing record comes back.
    let again = chain.pump(WorkQueue::ANONYMIZE, &consumer, &chain.queues, WAIT).await;
    assert_eq!(again.received(), 1, "{again:?}");
    assert_eq!(again.records[0].message_id, failed[0]);
    assert_eq!(again.records[0].receive_count, 2);
}

#[tokio::test]
async fn chain_env_configures_the_adapters() {
    let chain = chain().await;
    let mut vars: HashMap<String, String> = chain.env().into_iter().collect();
    vars.extend([
        ("TABLE_NAME".to_owned(), "t".to_owned()),
        ("USER_POOL_ID".to_owned(), "us-east-1_x".to_owned()),
        ("USER_POOL_CLIENT_ID".to_owned(), "c".to_owned()),
        ("MAIL_FROM".to_owned(), "a@b.c".to_owned()),
        ("AWS_ENDPOINT_URL".to_owned(), Moto::shared().await.endpoint().to_owned()),
    ]);
    let config = clearview_aws::AwsConfig::from_lookup(|k| vars.get(k).cloned()).unwrap();
    let adapters = clearview_aws::Adapters::from_clients(
        &config,
        clearview_aws::AwsClients::new(&Moto::shared().await.sdk_config()),
    );
    let blobs = adapters.blobs().unwrap();
    blobs.put("uploads/org-9/x y.txt", b"hello".to_vec(), "text/plain").await.unwrap();
    let all: Vec<WorkQueue> = clearview_chain::table::QUEUES.iter().map(|q| q.queue()).collect();
    let queues = adapters.queues(&all).unwrap();
    queues.send(WorkQueue::PARSE, &ObjectCreated { key: "k".into(), size: 1, version: None }.message()).await.unwrap();
    adapters.events().unwrap();

    let parse = chain.receive_all(&chain.queue_urls[&WorkQueue::PARSE].queue, WAIT).await;
    let keys: Vec<String> = parse
        .iter()
        .flat_map(|m| match object_created_records(&m.body) {
            Ok(records) => records.into_iter().map(|r| r.key).collect(),
            Err(_) => vec![serde_json::from_str::<WorkMessage>(&m.body).unwrap().id],
        })
        .collect();
    assert!(keys.contains(&"uploads/org-9/x y.txt".to_owned()) && keys.contains(&"k@-".to_owned()), "{keys:?}");
}
