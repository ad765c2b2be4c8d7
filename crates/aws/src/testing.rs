//! Test support: one `moto_server` per test process, and fresh tables and user pools on it.
//!
//! The server runs under a tiny `sh` supervisor whose stdin is a pipe held by this process:
//! when the test process exits — normally, by panic or by SIGKILL — the pipe closes and the
//! supervisor kills moto, so no emulator outlives its tests.

use crate::cognito::create_user_pool_for_tests;
use crate::{CognitoIdentity, DynamoStore, SesMailer, create_table};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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

static SHARED: OnceCell<Moto> = OnceCell::const_new();
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
    /// The process's moto server, started on first use.
    ///
    /// # Panics
    /// If `moto_server` cannot be found or does not start: tests never skip silently.
    pub async fn shared() -> &'static Moto {
        SHARED.get_or_init(Self::start).await
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
        let script = r#"exec 3<&0; "$0" -H 127.0.0.1 -p "$1" & child=$!; (cat <&3 >/dev/null; kill "$child" 2>/dev/null) & wait "$child""#;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&bin)
            .arg(port.to_string())
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
