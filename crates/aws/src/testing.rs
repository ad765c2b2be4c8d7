//! Test support: `moto_server`s per test process (one, or [`SERVERS`] for tests that spread
//! their environments with [`Moto::pick`]); fresh tables, user pools and processing chains
//! (bucket, queues, topic) on them; a pump that drives a consumer from a real queue.
//!
//! The server runs under a tiny `sh` supervisor whose stdin is a pipe held by this process:
//! when the test process exits — normally, by panic or by SIGKILL — the pipe closes and the
//! supervisor kills moto, so no emulator outlives its tests.

use crate::cognito::create_user_pool_for_tests;
use crate::{CognitoIdentity, DynamoStore, SesMailer, create_table};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use clearview_core::ports::queue::WorkQueue;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Environment variable naming the `moto_server` binary to run.
pub const MOTO_SERVER_BIN: &str = "MOTO_SERVER_BIN";
/// How long moto may take to start answering.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The temporary password [`Moto::identity`] gives invited users (moto emails nothing).
pub const INVITE_TEMPORARY_PASSWORD: &str = "Temp0rary!pass";
/// The sender address [`Moto::mailer`] verifies.
pub const MAIL_FROM: &str = "no-reply@clearview.test";

/// How many moto servers [`Moto::pick`] spreads environments over. moto answers one request at a
/// time per process (Python's interpreter lock, and `scripts/moto_server.py`'s lock around
/// DynamoDB), and under the `api` test binary's AWS-family tests it was busy 87% of the time:
/// the binary waited on it for most of its run. Two servers share that work over both cores.
pub const SERVERS: usize = 2;

static SERVER: [OnceCell<Moto>; SERVERS] = [const { OnceCell::const_new() }; SERVERS];
static NEXT_SERVER: AtomicUsize = AtomicUsize::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    endpoint: String,
    log: PathBuf,
    // Held until the process exits; its closing tells the supervisor to kill moto.
    _lifeline: Mutex<ChildStdin>,
}

/// A fresh user pool and the adapter over it.
#[derive(Debug, Clone)]
pub struct TestPool {
    pub identity: CognitoIdentity,
    pub pool_id: String,
    pub client_id: String,
    /// moto serves the pool's JWKS here.
    pub jwks_url: String,
    /// What tokens carry in `iss` (the real AWS host, not moto's).
    pub issuer: String,
}

/// Where the `moto_server` binary is: `$MOTO_SERVER_BIN`, else `.venv/bin/moto_server` in the
/// workspace, else `moto_server` on `PATH`.
pub fn find_moto_server() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os(MOTO_SERVER_BIN).filter(|b| !b.is_empty()) {
        // An explicit choice that is wrong must fail, not fall back to another moto.
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join("moto_server")).find(|p| p.is_file())
}

/// The Python a `moto_server` console script runs on (its `#!` line), so the launcher imports the
/// same moto.
///
/// # Panics
/// If the file has no Python `#!` line: the launcher cannot run without moto's interpreter.
fn interpreter_of(bin: &Path) -> PathBuf {
    let text = std::fs::read(bin).unwrap_or_default();
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(first);
    let words: Vec<&str> = line.strip_prefix("#!").map(|l| l.split_whitespace().collect()).unwrap_or_default();
    // `#!/path/to/python` or `#!/usr/bin/env python3`.
    let python = match words.as_slice() {
        [env, python, ..] if env.ends_with("/env") => Some(*python),
        [python, ..] => Some(*python),
        [] => None,
    };
    match python {
        Some(python) if python.contains("python") => PathBuf::from(python),
        _ => panic!(
            "{} has no `#!/path/to/python` line: point {MOTO_SERVER_BIN} at the moto_server \
             console script pip installed (run `make test-deps`)",
            bin.display()
        ),
    }
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8])
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port for moto_server: {e}"))
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Moto {
    /// The process's first moto server, started on first use: every call answers the same one.
    ///
    /// # Panics
    /// If `moto_server` cannot be found or does not start: tests never skip silently.
    pub async fn shared() -> &'static Moto {
        SERVER[0].get_or_init(Self::start).await
    }

    /// One of the process's [`SERVERS`] moto servers, in turn, each started on first use. For a
    /// test that builds its whole environment (tables, pools, chain, mailer) from the one
    /// handle this answers: what it builds on one server does not exist on the other.
    ///
    /// # Panics
    /// As [`Self::shared`].
    pub async fn pick() -> &'static Moto {
        let i = NEXT_SERVER.fetch_add(1, Ordering::Relaxed) % SERVERS;
        SERVER[i].get_or_init(Self::start).await
    }

    async fn start() -> Moto {
        let Some(bin) = find_moto_server() else {
            panic!(
                "moto_server not found ({MOTO_SERVER_BIN}={:?}, no .venv/bin/moto_server, none on PATH): \
                 run `make test-deps` (installs moto[server] into .venv), or set {MOTO_SERVER_BIN} \
                 to the moto_server binary",
                std::env::var_os(MOTO_SERVER_BIN).unwrap_or_default()
            );
        };
        let port = free_port();
        let log = std::env::temp_dir().join(format!("clearview-moto-{}-{port}.log", std::process::id()));
        let log_file =
            std::fs::File::create(&log).unwrap_or_else(|e| panic!("cannot create moto log {}: {e}", log.display()));
        let log_err = log_file.try_clone().unwrap_or_else(|e| panic!("cannot create moto log {}: {e}", log.display()));
        // The supervisor: runs moto, and a watcher that kills it once stdin closes (this
        // process gone). The supervisor itself exits when moto does, which the wait loop sees.
        // (A background job's stdin is /dev/null in sh, so the watcher reads the pipe via fd 3.)
        // moto runs through scripts/moto_server.py, which serialises DynamoDB requests (real
        // DynamoDB's per-item atomicity; moto's backend has no locks), with the Python that
        // moto_server itself runs on (its shebang).
        let python = interpreter_of(&bin);
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/moto_server.py");
        let script = r#"exec 3<&0; "$0" "$2" -H 127.0.0.1 -p "$1" & child=$!; (cat <&3 >/dev/null; kill "$child" 2>/dev/null) & wait "$child""#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&python)
            .arg(port.to_string())
            .arg(&launcher)
            .stdin(Stdio::piped())
            .stdout(log_file)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run `make test-deps`", bin.display()));
        let Some(lifeline) = child.stdin.take() else {
            panic!("moto supervisor has no stdin pipe");
        };
        // Reap the supervisor when it ends (no zombie), and tell the wait loop if moto died.
        let exited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = exited.clone();
        std::thread::spawn(move || {
            let _ = child.wait();
            flag.store(true, Ordering::SeqCst);
        });

        let endpoint = format!("http://127.0.0.1:{port}");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if exited.load(Ordering::SeqCst) {
                panic!(
                    "{} exited before answering on {endpoint}; run `make test-deps`. \
                     Last log lines ({}):\n{}",
                    bin.display(),
                    log.display(),
                    log_tail(&log)
                );
            }
            if started.elapsed() > START_TIMEOUT {
                panic!(
                    "{} did not answer on {endpoint} within {START_TIMEOUT:?}; run `make test-deps`. \
                     Last log lines ({}):\n{}",
                    bin.display(),
                    log.display(),
                    log_tail(&log)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Moto { endpoint, log, _lifeline: Mutex::new(lifeline) }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// moto's log file (stdout and stderr), to read when a test fails oddly.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// A new `SdkConfig` pointing at moto (build one per test: SDK clients hold connections
    /// tied to the tokio runtime that made them).
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "moto",
            )))
            .build()
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk_config())
    }

    pub fn ses(&self) -> aws_sdk_sesv2::Client {
        aws_sdk_sesv2::Client::new(&self.sdk_config())
    }

    pub fn secrets(&self) -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(&self.sdk_config())
    }

    /// Integration secrets in moto's Secrets Manager, named under `prefix` (a family's table
    /// name in AWS).
    pub fn vault(&self, prefix: &str) -> crate::SecretsManagerVault {
        crate::SecretsManagerVault::new(self.secrets(), prefix)
    }

    /// A store over a fresh, uniquely named table.
    pub async fn store(&self) -> DynamoStore {
        let client = self.dynamodb();
        let name = unique("clearview-test");
        if let Err(e) = create_table(&client, &name).await {
            panic!("cannot create table {name} on moto: {e}");
        }
        DynamoStore::new(client, name)
    }

    /// The JWKS URL moto serves for a pool.
    pub fn jwks_url(&self, pool_id: &str) -> String {
        format!("{}/{pool_id}/.well-known/jwks.json", self.endpoint)
    }

    /// A fresh user pool shaped like the deployed one, and the identity adapter over it.
    /// Invitations get [`INVITE_TEMPORARY_PASSWORD`].
    pub async fn identity(&self) -> TestPool {
        let client = self.cognito();
        let name = unique("clearview-test");
        let (pool_id, client_id) = match create_user_pool_for_tests(&client, &name).await {
            Ok(ids) => ids,
            Err(e) => panic!("cannot create user pool {name} on moto: {e}"),
        };
        let identity = CognitoIdentity::new(client, &pool_id, &client_id)
            .with_invite_temporary_password(INVITE_TEMPORARY_PASSWORD);
        TestPool {
            jwks_url: self.jwks_url(&pool_id),
            issuer: crate::config::cognito_issuer("us-east-1", &pool_id),
            identity,
            pool_id,
            client_id,
        }
    }

    /// A mailer whose sender ([`MAIL_FROM`]) is a verified SES identity on moto.
    pub async fn mailer(&self) -> SesMailer {
        let client = self.ses();
        if let Err(e) = client.create_email_identity().email_identity(MAIL_FROM).send().await {
            let e = aws_sdk_sesv2::error::DisplayErrorContext(&e);
            panic!("cannot verify {MAIL_FROM} on moto: {e}");
        }
        SesMailer::new(client, MAIL_FROM)
    }
}

/// Visibility timeout of [`Moto::chain`]'s queues: a `Retry` reappears this soon.
pub const CHAIN_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(1);
/// `maxReceiveCount` of [`Moto::chain`]'s redrive policies: the receive after this many moves a
/// message to its dead-letter queue.
pub const CHAIN_MAX_RECEIVE_COUNT: u32 = 3;
pub use crate::provision::UPLOADS_PREFIX;

/// A fresh processing chain on moto: bucket, queues with dead-letter queues, topic, wiring —
/// shaped like the deployed stack — and the adapters over them.
#[derive(Debug, Clone)]
pub struct TestChain {
    pub blobs: crate::S3BlobStore,
    pub queues: crate::SqsQueues,
    pub events: crate::SnsEvents,
    pub bucket: String,
    pub queue_urls: std::collections::BTreeMap<WorkQueue, crate::QueueUrls>,
    /// Each work queue's ARN (the `eventSourceARN` of the records [`TestChain::pump`] builds).
    pub queue_arns: std::collections::BTreeMap<WorkQueue, String>,
    pub topic_arn: String,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sns: aws_sdk_sns::Client,
}

/// One record [`TestChain::pump`] handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PumpedRecord {
    pub message_id: String,
    pub body: String,
    /// SQS's `ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// Reported in `batchItemFailures`: left on the queue to reappear after the visibility timeout.
    pub failed: bool,
}

/// What one [`TestChain::pump`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PumpReport {
    pub records: Vec<PumpedRecord>,
}

impl PumpReport {
    pub fn received(&self) -> usize {
        self.records.len()
    }
    /// Message ids deleted from the queue (done, or dead-lettered by the glue).
    pub fn deleted(&self) -> Vec<&str> {
        self.records.iter().filter(|r| !r.failed).map(|r| r.message_id.as_str()).collect()
    }
    /// Message ids left on the queue for redelivery.
    pub fn failed(&self) -> Vec<&str> {
        self.records.iter().filter(|r| r.failed).map(|r| r.message_id.as_str()).collect()
    }
}

/// A message read from a queue by [`TestChain::receive_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub body: String,
    /// String message attributes (`kind`, `reason`, `source-queue` …).
    pub attributes: std::collections::BTreeMap<String, String>,
    pub receive_count: u32,
}

fn sqs_panic<E: std::error::Error + 'static, R: std::fmt::Debug>(
    what: &str,
    e: aws_sdk_sqs::error::SdkError<E, R>,
) -> ! {
    panic!("{what} on moto: {}", aws_sdk_sqs::error::DisplayErrorContext(&e))
}

impl Moto {
    pub fn s3(&self) -> aws_sdk_s3::Client {
        crate::config::s3_client(&self.sdk_config())
    }

    pub fn sqs(&self) -> aws_sdk_sqs::Client {
        aws_sdk_sqs::Client::new(&self.sdk_config())
    }

    pub fn sns(&self) -> aws_sdk_sns::Client {
        aws_sdk_sns::Client::new(&self.sdk_config())
    }

    /// Provisions a fresh, uniquely named chain ([`crate::provision::create_chain`]): a versioned
    /// bucket; the work queues of the table, each with a dead-letter queue and a redrive policy
    /// ([`CHAIN_MAX_RECEIVE_COUNT`] receives, [`CHAIN_VISIBILITY_TIMEOUT`]); the application-events
    /// topic with its queues subscribed (email, job-alerts; raw delivery off: bodies arrive in the SNS
    /// envelope); and the bucket notification `s3:ObjectCreated:*` under [`UPLOADS_PREFIX`] →
    /// parse queue (its `s3:TestEvent` is drained here).
    pub async fn chain(&self) -> TestChain {
        let clients = crate::AwsClients::new(&self.sdk_config());
        let spec = crate::provision::ChainSpec {
            name: unique("clearview-chain"),
            visibility_timeout: CHAIN_VISIBILITY_TIMEOUT,
            max_receive_count: CHAIN_MAX_RECEIVE_COUNT,
        };
        let made = match crate::provision::create_chain(&clients, &spec).await {
            Ok(made) => made,
            Err(e) => panic!("chain {} on moto: {e}", spec.name),
        };
        let chain = TestChain {
            blobs: crate::S3BlobStore::new(clients.s3.clone(), &made.bucket),
            queues: crate::SqsQueues::new(clients.sqs.clone(), made.queue_urls.clone()),
            events: crate::SnsEvents::new(clients.sns.clone(), &made.topic_arn),
            bucket: made.bucket,
            queue_urls: made.queue_urls,
            queue_arns: made.queue_arns,
            topic_arn: made.topic_arn,
            s3: clients.s3,
            sqs: clients.sqs,
            sns: clients.sns,
        };
        // S3 announces a new notification configuration with an s3:TestEvent: drain it.
        let drained = chain.receive_all(&chain.queue_urls[&WorkQueue::PARSE].queue, Duration::from_secs(2)).await;
        for message in &drained {
            let is_test = crate::s3_event::object_created_records(&message.body).is_ok_and(|r| r.is_empty());
            assert!(is_test, "unexpected message on a fresh parse queue: {}", message.body);
        }
        chain
    }
}

fn received(message: &aws_sdk_sqs::types::Message) -> ReceivedMessage {
    use aws_sdk_sqs::types::MessageSystemAttributeName as S;
    ReceivedMessage {
        message_id: message.message_id().unwrap_or_default().to_owned(),
        body: message.body().unwrap_or_default().to_owned(),
        attributes: message
            .message_attributes()
            .map(|a| a.iter().filter_map(|(k, v)| v.string_value().map(|s| (k.clone(), s.to_owned()))).collect())
            .unwrap_or_default(),
        receive_count: message
            .attributes()
            .and_then(|a| a.get(&S::ApproximateReceiveCount))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    }
}

/// The Lambda-shaped record for a received message (what the event source mapping sends).
fn lambda_record(message: &aws_sdk_sqs::types::Message, queue_arn: &str) -> aws_lambda_events::event::sqs::SqsMessage {
    use aws_lambda_events::event::sqs::{SqsMessage, SqsMessageAttribute};
    let mut record = SqsMessage::default();
    record.message_id = message.message_id().map(str::to_owned);
    record.receipt_handle = message.receipt_handle().map(str::to_owned);
    record.body = message.body().map(str::to_owned);
    record.md5_of_body = message.md5_of_body().map(str::to_owned);
    record.md5_of_message_attributes = message.md5_of_message_attributes().map(str::to_owned);
    record.attributes = message
        .attributes()
        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
        .unwrap_or_default();
    record.message_attributes = message
        .message_attributes()
        .map(|a| {
            a.iter()
                .map(|(k, v)| {
                    let mut attribute = SqsMessageAttribute::default();
                    attribute.string_value = v.string_value().map(str::to_owned);
                    attribute.data_type = Some(v.data_type().to_owned());
                    (k.clone(), attribute)
                })
                .collect()
        })
        .unwrap_or_default();
    record.event_source = Some("aws:sqs".to_owned());
    record.event_source_arn = Some(queue_arn.to_owned());
    record.aws_region = Some("us-east-1".to_owned());
    record
}

impl TestChain {
    /// GuardDuty Malware Protection's verdicts on this chain's bucket (the tags it would put).
    pub fn malware(&self) -> crate::GuardDutyVerdicts {
        crate::GuardDutyVerdicts::new(self.s3.clone(), &self.bucket)
    }

    /// Tags `key` with `GuardDutyMalwareScanStatus: status`, as GuardDuty does after a scan
    /// (moto has no GuardDuty).
    pub async fn tag_scan_status(&self, key: &str, status: &str) {
        use aws_sdk_s3::types::{Tag, Tagging};
        let tag = Tag::builder().key(crate::guardduty::SCAN_STATUS_TAG).value(status).build().expect("tag");
        let tagging = Tagging::builder().tag_set(tag).build().expect("tagging");
        if let Err(e) = self.s3.put_object_tagging().bucket(&self.bucket).key(key).tagging(tagging).send().await {
            panic!("tagging {key} on moto: {}", aws_sdk_s3::error::DisplayErrorContext(&e));
        }
    }

    /// Stands in for GuardDuty Malware Protection, which moto lacks: tags every upload not
    /// tagged yet `THREATS_FOUND` if it holds the EICAR test string, else `NO_THREATS_FOUND`.
    /// Test areas call it before pumping the parse queue.
    pub async fn scan_uploads_like_guardduty(&self) {
        const EICAR_TAIL: &[u8] = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE";
        let listed = match self.s3.list_objects_v2().bucket(&self.bucket).prefix(UPLOADS_PREFIX).send().await {
            Ok(l) => l,
            Err(e) => panic!("listing uploads on moto: {}", aws_sdk_s3::error::DisplayErrorContext(&e)),
        };
        for key in listed.contents().iter().filter_map(|o| o.key()) {
            let tags = match self.s3.get_object_tagging().bucket(&self.bucket).key(key).send().await {
                Ok(t) => t,
                Err(e) => panic!("tags of {key} on moto: {}", aws_sdk_s3::error::DisplayErrorContext(&e)),
            };
            if tags.tag_set().iter().any(|t| t.key() == crate::guardduty::SCAN_STATUS_TAG) {
                continue;
            }
            let object = match self.s3.get_object().bucket(&self.bucket).key(key).send().await {
                Ok(o) => o,
                Err(e) => panic!("reading {key} on moto: {}", aws_sdk_s3::error::DisplayErrorContext(&e)),
            };
            let bytes = object.body.collect().await.expect("object body").into_bytes();
            let infected = bytes.windows(EICAR_TAIL.len()).any(|w| w == EICAR_TAIL);
            self.tag_scan_status(key, if infected { "THREATS_FOUND" } else { "NO_THREATS_FOUND" }).await;
        }
    }

    /// The env vars a composition root would read for this chain (the chain's part of
    /// [`crate::config::env`]), to build an [`crate::AwsConfig`] with `from_lookup`.
    pub fn env(&self) -> Vec<(String, String)> {
        use crate::config::env;
        let mut vars = vec![
            (env::RESUME_BUCKET.to_owned(), self.bucket.clone()),
            (env::EVENTS_TOPIC_ARN.to_owned(), self.topic_arn.clone()),
        ];
        for (queue, urls) in &self.queue_urls {
            vars.push((env::queue_url(*queue), urls.queue.clone()));
            vars.push((env::dlq_url(*queue), urls.dead_letter.clone()));
        }
        vars
    }

    /// Receives (and deletes) every message on `url`, long-polling up to `wait` for the first
    /// and until the queue answers empty.
    pub async fn receive_all(&self, url: &str, wait: Duration) -> Vec<ReceivedMessage> {
        let mut out = Vec::new();
        let mut wait_s = i32::try_from(wait.as_secs()).unwrap_or(20).clamp(0, 20);
        loop {
            let messages = self.receive(url, wait_s).await;
            if messages.is_empty() {
                return out;
            }
            for message in &messages {
                if let Some(handle) = message.receipt_handle()
                    && let Err(e) = self.sqs.delete_message().queue_url(url).receipt_handle(handle).send().await
                {
                    sqs_panic("cannot delete a received message", e);
                }
                out.push(received(message));
            }
            wait_s = 0;
        }
    }

    /// Everything now in `queue`'s dead-letter queue (received and deleted).
    pub async fn dead_letters(&self, queue: WorkQueue, wait: Duration) -> Vec<ReceivedMessage> {
        let url = self.queue_urls[&queue].dead_letter.clone();
        self.receive_all(&url, wait).await
    }

    async fn receive(&self, url: &str, wait_s: i32) -> Vec<aws_sdk_sqs::types::Message> {
        let result = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_s)
            .message_attribute_names("All")
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .send()
            .await;
        match result {
            Ok(out) => out.messages().to_vec(),
            Err(e) => sqs_panic(&format!("cannot receive from {url}"), e),
        }
    }

    /// One Lambda invocation, for real: receives up to 10 messages from `queue` (long-polling
    /// up to `wait`), hands them as an `SqsEvent` to [`crate::lambda_sqs::handle_batch`], deletes
    /// the records it did not report failed, and leaves the failed ones to reappear after the
    /// visibility timeout (and go to the dead-letter queue after [`CHAIN_MAX_RECEIVE_COUNT`]
    /// receives, as SQS does). An empty report means the queue had nothing visible.
    ///
    /// # Panics
    /// If `consumer` does not consume `queue`.
    pub async fn pump(
        &self,
        queue: WorkQueue,
        consumer: &dyn clearview_core::ports::queue::Consumer,
        queues: &dyn clearview_core::ports::queue::Queues,
        wait: Duration,
    ) -> PumpReport {
        assert_eq!(consumer.queue(), queue, "pump: the consumer reads {:?}, not {queue:?}", consumer.queue());
        let url = self.queue_urls[&queue].queue.clone();
        let messages = self.receive(&url, i32::try_from(wait.as_secs()).unwrap_or(20).clamp(0, 20)).await;
        if messages.is_empty() {
            return PumpReport::default();
        }
        let mut event = aws_lambda_events::event::sqs::SqsEvent::default();
        event.records = messages.iter().map(|m| lambda_record(m, &self.queue_arns[&queue])).collect();
        let response = crate::lambda_sqs::handle_batch(consumer, queues, event).await;
        let failed: std::collections::HashSet<&str> =
            response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        // Lambda treats an unknown or empty identifier as a failure of the whole batch.
        let ids: std::collections::HashSet<&str> = messages.iter().filter_map(|m| m.message_id()).collect();
        let whole_batch = failed.iter().any(|id| !ids.contains(id));
        let mut report = PumpReport::default();
        for message in &messages {
            let r = received(message);
            let is_failed = whole_batch || failed.contains(r.message_id.as_str());
            if !is_failed
                && let Some(handle) = message.receipt_handle()
                && let Err(e) = self.sqs.delete_message().queue_url(&url).receipt_handle(handle).send().await
            {
                sqs_panic("cannot delete a handled message", e);
            }
            report.records.push(PumpedRecord {
                message_id: r.message_id,
                body: r.body,
                receive_count: r.receive_count,
                failed: is_failed,
            });
        }
        report
    }
}

/// Uploads `bytes` the way a browser would: one `PUT` to the ticket's URL with exactly its
/// headers. Answers the HTTP status and response body.
pub async fn upload(ticket: &clearview_core::ports::blobs::UploadTicket, bytes: Vec<u8>) -> (u16, String) {
    let mut request = http::Request::builder().method(ticket.method.as_str()).uri(&ticket.url);
    for (name, value) in &ticket.headers {
        request = request.header(name, value);
    }
    let request = request
        .body(http_body_util::Full::new(bytes::Bytes::from(bytes)))
        .unwrap_or_else(|e| panic!("upload request for {}: {e}", ticket.url));
    let (status, _, body) = send(request).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// GETs `url` (a presigned download URL): status, headers (lower-case names) and body.
pub async fn download(url: &str) -> (u16, std::collections::BTreeMap<String, String>, Vec<u8>) {
    let request = http::Request::get(url)
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .unwrap_or_else(|e| panic!("download request for {url}: {e}"));
    send(request).await
}

async fn send(
    request: http::Request<http_body_util::Full<bytes::Bytes>>,
) -> (u16, std::collections::BTreeMap<String, String>, Vec<u8>) {
    use http_body_util::BodyExt;
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let uri = request.uri().clone();
    let response = client.request(request).await.unwrap_or_else(|e| panic!("HTTP request to {uri}: {e}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("reading the response from {uri}: {e}"))
        .to_bytes()
        .to_vec();
    (status, headers, body)
}
