//! A Lambda Runtime API emulator and the function process it serves: the test of the real
//! function binaries (`functions/tests/lambda_runtime.rs`) and the cold-start benchmark
//! (`examples/coldstart.rs`) both run functions under it.
//!
//! [`RuntimeApi`] serves any number of invocations to one process (a warm container), records
//! what the function posts, and timestamps each `GET /2018-06-01/runtime/invocation/next` poll
//! and each post, so a benchmark can tell init (start → first poll) from the first response.

use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What a function posted back to the Runtime API.
#[derive(Debug, Clone, PartialEq)]
pub enum Posted {
    Response { request_id: String, body: Value },
    Error { request_id: String, body: Value },
    InitError { body: Value },
}

/// A Lambda Runtime API emulator: `invoke` queues an event; the function's long poll on
/// `/invocation/next` receives it with the headers Lambda sends; `posted` returns what it answered.
/// Dropping it ends the polls still waiting for an event.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    pub function_arn: String,
    events: Sender<(String, String)>,
    posted: Receiver<(Instant, Posted)>,
    polls: Receiver<Instant>,
    next_id: u32,
}

impl RuntimeApi {
    pub fn start(function_name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the Runtime API emulator");
        let addr = listener.local_addr().expect("local addr");
        let (events, queued) = channel::<(String, String)>();
        let queued = Arc::new(Mutex::new(queued));
        let (post, posted) = channel();
        let (poll, polls) = channel();
        let function_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}");
        let arn = function_arn.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let channels = Channels { queued: Arc::clone(&queued), post: post.clone(), poll: poll.clone() };
                let arn = arn.clone();
                std::thread::spawn(move || serve_connection(stream, &channels, &arn));
            }
        });
        Self { addr, function_arn, events, posted, polls, next_id: 0 }
    }

    /// Queues one invocation; returns its request id.
    pub fn invoke(&mut self, event: &Value) -> String {
        self.next_id += 1;
        let id = format!("8f507cfc-{:04}-4d5a-9c3e-0a1b2c3d4e5f", self.next_id);
        self.events.send((id.clone(), event.to_string())).expect("emulator is running");
        id
    }

    /// The next thing the function posted.
    pub fn posted(&self, within: Duration) -> Result<Posted, RecvTimeoutError> {
        self.posted_at(within).map(|(_, p)| p)
    }

    /// The next thing the function posted, and when its request arrived.
    pub fn posted_at(&self, within: Duration) -> Result<(Instant, Posted), RecvTimeoutError> {
        self.posted.recv_timeout(within)
    }

    /// When the function's next `GET …/invocation/next` arrived (its request line read).
    pub fn polled_at(&self, within: Duration) -> Result<Instant, RecvTimeoutError> {
        self.polls.recv_timeout(within)
    }
}

struct Channels {
    queued: Arc<Mutex<Receiver<(String, String)>>>,
    post: Sender<(Instant, Posted)>,
    poll: Sender<Instant>,
}

fn serve_connection(stream: TcpStream, channels: &Channels, arn: &str) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let arrived = Instant::now();
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
            let _ = channels.poll.send(arrived);
            // Long poll: hold the request until an event is queued (or the emulator is dropped).
            let next = channels.queued.lock().map(|q| q.recv());
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
                    let _ = channels.post.send((arrived, p));
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

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// cargo's target directory (`CARGO_TARGET_DIR`, else `target/` in the workspace).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace().join("target"))
}

/// An event fixture from `events/`.
pub fn event_fixture(name: &str) -> Value {
    let path = workspace().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A function process under a [`RuntimeApi`]; killed when dropped.
pub struct Function {
    pub child: Child,
    /// Just before the process was spawned.
    pub started: Instant,
    log: PathBuf,
}

impl Function {
    /// Starts `binary` as the function `name` with the variables Lambda sets (a clean
    /// environment, dummy credentials, `_HANDLER` = `name`), then `env`; its stdout and stderr
    /// go to `log`.
    pub fn start<K: AsRef<OsStr>>(
        binary: &Path,
        name: &str,
        api: &RuntimeApi,
        env: &[(K, String)],
        log: PathBuf,
    ) -> Self {
        let _ = std::fs::create_dir_all(log.parent().unwrap_or(Path::new(".")));
        let out = std::fs::File::create(&log).expect("function log file");
        let err = out.try_clone().expect("function log file");
        let mut cmd = Command::new(binary);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2025/02/03/[$LATEST]fixture")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("_HANDLER", name)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {} ({name}): {e}", binary.display()));
        Self { child, started, log }
    }

    /// What the function wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
