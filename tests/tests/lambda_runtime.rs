//! The REAL Lambda bootstrap (`target/debug/bootstrap`, built by cargo; `_HANDLER=auth-login`) under a Lambda Runtime API
//! emulator, with its AWS adapters pointed at moto: the fixture in `events/` goes in through
//! `GET /2018-06-01/runtime/invocation/next`, the answer comes back on `POST .../response`.
//!
//! [`RuntimeApi`] serves any number of invocations to one process (a warm container) and records
//! what the function posts, so the queue-consumer binaries can be driven the same way with the
//! SQS fixtures.

use clearview_aws::testing::{MAIL_FROM, Moto};
use clearview_core::ports::identity::{IdentityProvider, NewAccount};
use clearview_core::rbac::Role;
use clearview_core::values::{Email, Password};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a function posted back to the Runtime API.
#[derive(Debug, Clone, PartialEq)]
enum Posted {
    Response { request_id: String, body: Value },
    Error { request_id: String, body: Value },
    InitError { body: Value },
}

/// A Lambda Runtime API emulator: `invoke` queues an event; the function's long poll on
/// `/invocation/next` receives it with the headers Lambda sends; `posted` returns what it answered.
struct RuntimeApi {
    addr: SocketAddr,
    events: Sender<(String, String)>,
    posted: Receiver<Posted>,
    function_arn: String,
    next_id: u32,
}

impl RuntimeApi {
    fn start(function_name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Runtime API emulator");
        let addr = listener.local_addr().expect("local addr");
        let (events, queued) = channel::<(String, String)>();
        let queued = Arc::new(Mutex::new(queued));
        let (post, posted) = channel();
        let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}");
        let arn = function_arn.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (queued, post, arn) = (Arc::clone(&queued), post.clone(), arn.clone());
                std::thread::spawn(move || serve_connection(stream, &queued, &post, &arn));
            }
        });
        Self { addr, events, posted, function_arn, next_id: 0 }
    }

    /// Queues one invocation; returns its request id.
    fn invoke(&mut self, event: &Value) -> String {
        self.next_id += 1;
        let id = format!("8f507cfc-{:04}-4d5a-9c3e-0a1b2c3d4e5f", self.next_id);
        self.events.send((id.clone(), event.to_string())).expect("emulator is running");
        id
    }

    /// The next thing the function posted.
    fn posted(&self, within: Duration) -> Result<Posted, RecvTimeoutError> {
        self.posted.recv_timeout(within)
    }
}

fn serve_connection(stream: TcpStream, queued: &Mutex<Receiver<(String, String)>>, post: &Sender<Posted>, arn: &str) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let reply = if method == "GET" && path == "/2018-06-01/runtime/invocation/next" {
            // Long poll: hold the request until an event is queued (or the test ends).
            let next = queued.lock().map(|q| q.recv());
            let Ok(Ok((id, event))) = next else { return };
            let deadline = (SystemTime::now() + Duration::from_secs(30))
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 lambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: {arn}\r\n\
                 lambda-runtime-trace-id: Root=1-67a0c1d2-3e4f5a6b7c8d9e0f1a2b3c4d;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
                 content-length: {}\r\n\r\n{event}",
                event.len()
            )
        } else {
            let segments: Vec<&str> = path.trim_start_matches("/2018-06-01/runtime/").split('/').collect();
            let posted = match segments.as_slice() {
                ["invocation", id, "response"] => Some(Posted::Response { request_id: (*id).to_owned(), body }),
                ["invocation", id, "error"] => Some(Posted::Error { request_id: (*id).to_owned(), body }),
                ["init", "error"] => Some(Posted::InitError { body }),
                _ => None,
            };
            match posted {
                Some(p) => {
                    let _ = post.send(p);
                    "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"status\":\"OK\"}"
                        .to_owned()
                }
                None => "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_owned(),
            }
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Builds (if needed) and locates the one Lambda bootstrap of the debug profile; every function
/// runs it with its name as the handler.
fn function_binary() -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "-q", "-p", "clearview-functions", "--bin", "bootstrap"]).current_dir(workspace());
        let status = cmd.status().unwrap_or_else(|e| panic!("cannot run cargo build: {e}"));
        assert!(status.success(), "cargo build -p clearview-functions --bin bootstrap failed");
    });
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"));
    let bin = target.join("debug").join("bootstrap");
    assert!(bin.is_file(), "{} is missing after the build", bin.display());
    bin
}

/// The function process; killed when dropped.
struct Function {
    child: Child,
    log: PathBuf,
}

impl Function {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_function(name: &str, api: &RuntimeApi, env: &[(&str, String)]) -> Function {
    let bin = function_binary();
    let log = workspace().join(format!("target/infra/{name}-{}.log", std::process::id()));
    let _ = std::fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
    let out = std::fs::File::create(&log).expect("function log file");
    let err = out.try_clone().expect("function log file");
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("_HANDLER", name)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2025/02/03/[$LATEST]fixture")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Function { child, log }
}

fn fixture(name: &str) -> Value {
    let path = workspace().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture with another JSON body.
fn with_body(mut event: Value, body: &Value) -> Value {
    let text = body.to_string();
    event["headers"]["content-length"] = json!(text.len().to_string());
    event["body"] = json!(text);
    event
}

/// An API Gateway v2 response: (status, headers, parsed JSON body).
fn http_answer(posted: Posted, request_id: &str) -> (u16, Value, Value) {
    let Posted::Response { request_id: got, body } = posted else { panic!("expected a response, got {posted:?}") };
    assert_eq!(got, request_id);
    let status = body["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("statusCode");
    let payload = body["body"].as_str().map(|b| serde_json::from_str(b).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    (status, body["headers"].clone(), payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_login_answers_problem_json_for_bad_credentials_and_tokens_after_sign_up_on_moto() {
    let moto = Moto::shared().await;
    let store = moto.store().await;
    let pool = moto.identity().await;
    let _mailer = moto.mailer().await;

    let mut api = RuntimeApi::start("auth-login");
    let env = vec![
        ("TABLE_NAME", store.table_name().to_owned()),
        ("USER_POOL_ID", pool.pool_id.clone()),
        ("USER_POOL_CLIENT_ID", pool.client_id.clone()),
        ("MAIL_FROM", MAIL_FROM.to_owned()),
        ("CURSOR_SECRET", "fixture-cursor-secret-at-least-32-bytes-long!".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
        ("JWKS_URL", pool.jwks_url.clone()),
    ];
    let function = start_function("auth-login", &api, &env);
    let wait = Duration::from_secs(60);

    // 1. The fixture as is: nobody has that account.
    let event = fixture("auth-login.json");
    let id = api.invoke(&event);
    let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
    let (status, headers, problem) = http_answer(posted, &id);
    assert!((400..500).contains(&status), "status {status}: {problem}; log:\n{}", function.log());
    assert_eq!(headers["content-type"], "application/problem+json", "{headers}");
    assert!(problem["type"].is_string() && problem["detail"].is_string(), "{problem}");
    assert_eq!(problem["status"], status);

    // 2. A real sign-up and confirmation on moto, then the same function (warm) signs in.
    let email = Email::parse("email", "ada.lovelace@acme.example").expect("email");
    let password = "Correct-h0rse!battery";
    let account = NewAccount {
        email: email.clone(),
        password: Password::parse("password", password).expect("password"),
        org_id: None,
        role: Role::Admin,
    };
    pool.identity.sign_up(account).await.expect("sign up on moto");
    pool.identity.confirm_sign_up(&email, "123456").await.expect("confirm on moto");
    let event = with_body(fixture("auth-login.json"), &json!({"email": email.as_str(), "password": password}));
    let id = api.invoke(&event);
    let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
    let (status, _, tokens) = http_answer(posted, &id);
    assert_eq!(status, 200, "{tokens}; log:\n{}", function.log());
    for field in ["accessToken", "idToken", "refreshToken"] {
        assert!(
            tokens[field].as_str().is_some_and(|t| t.split('.').count() == 3 || field == "refreshToken"),
            "{field}: {tokens}"
        );
    }
    assert_eq!(api.function_arn, "arn:aws:lambda:us-east-1:123456789012:function:auth-login");
}

#[test]
fn a_function_without_its_configuration_fails_its_init_naming_the_variable() {
    let api = RuntimeApi::start("jobs-get");
    let mut function = start_function("jobs-get", &api, &[]);
    let started = std::time::Instant::now();
    loop {
        // The runtime may report the failure on /init/error; either way the process must stop.
        if let Ok(posted) = api.posted(Duration::from_millis(100)) {
            assert!(matches!(posted, Posted::InitError { .. }), "expected an init error, got {posted:?}");
        }
        if let Some(status) = function.child.try_wait().expect("wait for the function") {
            assert!(!status.success(), "a function without TABLE_NAME must not start");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the function neither failed nor exited");
    }
    let log = function.log();
    assert!(log.contains("TABLE_NAME"), "the failure must name the variable; log:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_reports_function_records_one_run_per_firing_even_when_the_firing_is_retried() {
    use clearview_core::ports::store::ItemStore;
    let moto = Moto::shared().await;
    let store = moto.store().await;
    let pool = moto.identity().await;
    let chain = moto.chain().await;

    let mut api = RuntimeApi::start("reports");
    let mut env = vec![
        ("TABLE_NAME", store.table_name().to_owned()),
        ("USER_POOL_ID", pool.pool_id.clone()),
        ("USER_POOL_CLIENT_ID", pool.client_id.clone()),
        ("MAIL_FROM", MAIL_FROM.to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
    ];
    let chain_env = chain.env();
    env.extend(chain_env.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let function = start_function("reports", &api, &env);
    let wait = Duration::from_secs(60);

    // The EventBridge fixture fires for 2025-02-03T06:00:00Z; deliver it twice (a retry).
    let event = fixture("schedule-reports.json");
    for _ in 0..2 {
        let id = api.invoke(&event);
        let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
        match posted {
            Posted::Response { request_id, body } => {
                assert_eq!(request_id, id);
                assert_eq!(body["status"], "done", "{body}");
            }
            other => panic!("expected a response, got {other:?}; log:\n{}", function.log()),
        }
    }
    let scheduled = time::macros::datetime!(2025-02-03 06:00 UTC);
    let run = store.get(&clearview_chain::reports::run_key(scheduled)).await.unwrap().expect("the run is recorded");
    assert_eq!(run.entity, "ReportRun");
    assert_eq!(run.data["scheduledAt"], "2025-02-03T06:00:00Z");
    let runs = store
        .query(&clearview_core::ports::store::Query::table(clearview_chain::reports::RUNS_PK).prefix("RUN#2025-02-03"))
        .await
        .unwrap();
    assert_eq!(runs.items.len(), 1, "a retried firing records nothing twice");
}
