//! Drives a running `clearview` dev server over real HTTP: starts the binary on a data folder,
//! signs people up (codes read from the outbox), and sends requests through a keep-alive
//! client. The concurrency and crash tests and the load benchmark (`make bench-load`) use it.

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A dev server child process on its own data folder.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

impl Server {
    /// Starts `bin --data-dir data_dir --port 0` and waits until `/health` answers. The server's
    /// stderr (its log) goes to `<data_dir>/../<name>.log`.
    /// `RATE_LIMITS` for servers that drive load or crashes with a few users: the limits are
    /// not what those tests measure (tests/tests/api/compliance.rs drives them).
    pub const UNLIMITED: (&'static str, &'static str) =
        ("RATE_LIMITS", "user=100000000,ip=100000000,ai=100000000,upload=100000000");

    pub fn start(bin: &Path, data_dir: &Path, extra_env: &[(&str, &str)]) -> Result<Server, String> {
        std::fs::create_dir_all(data_dir).map_err(|e| e.to_string())?;
        let log = data_dir.with_extension(format!("{}.log", std::process::id()));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let mut cmd = Command::new(bin);
        cmd.args(["--data-dir", &data_dir.display().to_string(), "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(log_file);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut sink = std::fs::OpenOptions::new().append(true).open(&log).map_err(|e| e.to_string())?;
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    use std::io::Write;
                    let _ = writeln!(sink, "{line}");
                    if let Some(url) = line.trim().strip_prefix("API").map(str::trim) {
                        break url.trim_end_matches("/api").to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    return Err(format!("the dev server exited before it listened:\n{log}"));
                }
            }
        };
        // Keep draining stdout (the server logs there) into the log file, so the child never
        // blocks on a full pipe and its log can be read.
        std::thread::spawn(move || {
            use std::io::Write;
            for line in lines.map_while(Result::ok) {
                let _ = writeln!(sink, "{line}");
            }
        });
        Ok(Server { child, base, data_dir: data_dir.to_owned(), log })
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits up to `grace` for the process to exit; returns its exit code.
    pub fn terminate(&mut self, grace: Duration) -> Result<i32, String> {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().map_err(|e| format!("kill -TERM: {e}"))?;
        let deadline = Instant::now() + grace;
        loop {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return status.code().ok_or_else(|| format!("ended by a signal: {status:?}"));
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!("did not stop within {grace:?} of SIGTERM"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A keep-alive HTTP/1.1 client bound to one server. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: HyperClient<HttpConnector, Full<Bytes>>,
    /// Whether 2xx bodies are parsed as JSON (see [`Client::without_success_bodies`]).
    parse_success_bodies: bool,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = HyperClient::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build(connector);
        Client { base: base.trim_end_matches('/').to_owned(), http, parse_success_bodies: true }
    }

    /// The same client (same connection pool), but a 2xx answer's body is read and dropped
    /// rather than parsed (`body` is `Null`); refusals are still parsed. For the load
    /// generator: it shares the cores with the server it measures, and parsing every job
    /// list it receives was a fifth of its CPU.
    pub fn without_success_bodies(&self) -> Client {
        Client { parse_success_bodies: false, ..self.clone() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends a request; `body` goes as JSON. Transport errors are `Err`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, String)],
    ) -> Result<Answer, String> {
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        self.raw(req.body(Full::new(bytes)).map_err(|e| e.to_string())?).await
    }

    /// Sends a prepared request (absolute URI).
    pub async fn raw(&self, req: Request<Full<Bytes>>) -> Result<Answer, String> {
        let res = self.http.request(req).await.map_err(|e| format!("transport: {e}"))?;
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.map_err(|e| format!("reading the body: {e}"))?.to_bytes();
        let body = if bytes.is_empty() || (!self.parse_success_bodies && parts.status.is_success()) {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Ok(Answer { status: parts.status, headers: parts.headers, body })
    }

    pub async fn get(&self, path: &str, token: &str) -> Result<Answer, String> {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Result<Answer, String> {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    /// PUTs raw bytes to an absolute URL (a presigned upload).
    pub async fn put_url(&self, url: &str, content_type: &str, bytes: Vec<u8>) -> Result<Answer, String> {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(url)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| e.to_string())?;
        self.raw(req).await
    }
}

fn expect(a: Result<Answer, String>, want: StatusCode, what: &str) -> Result<Answer, String> {
    let a = a.map_err(|e| format!("{what}: {e}"))?;
    if a.status == want { Ok(a) } else { Err(format!("{what}: {} {}", a.status, a.body)) }
}

async fn confirm_and_login(c: &Client, data_dir: &Path, email: &str, password: &str) -> Result<Value, String> {
    let mut code = None;
    for _ in 0..200 {
        code = clearview_local::Outbox::new(&data_dir.join("outbox")).find_code(email);
        if code.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let code = code.ok_or_else(|| format!("no code mailed to {email}"))?;
    expect(
        c.post("/api/auth/confirm", None, &json!({"email": email, "code": code})).await,
        StatusCode::NO_CONTENT,
        "confirm",
    )?;
    let t = expect(
        c.post("/api/auth/login", None, &json!({"email": email, "password": password})).await,
        StatusCode::OK,
        "login",
    )?;
    Ok(t.body)
}

/// A signed-in person: the id token, the refresh token, their id.
#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub token: String,
    pub refresh: String,
    pub id: String,
}

/// The password [`employer_admin`] signs up with.
pub const ADMIN_PASSWORD: &str = "Str0ng!passw0rd";

/// Signs up at `path` with `body` (which carries `email` and `password`), confirms with the
/// code from the outbox, signs in; `id_at` is the JSON pointer of the new id in the answer.
async fn sign_up(c: &Client, data_dir: &Path, path: &str, body: Value, id_at: &str) -> Result<Person, String> {
    let email = body["email"].as_str().unwrap_or_default().to_owned();
    let password = body["password"].as_str().unwrap_or_default().to_owned();
    let reg = expect(c.post(path, None, &body).await, StatusCode::CREATED, path)?;
    let t = confirm_and_login(c, data_dir, &email, &password).await?;
    Ok(Person {
        token: t["idToken"].as_str().unwrap_or_default().to_owned(),
        refresh: t["refreshToken"].as_str().unwrap_or_default().to_owned(),
        id: reg.body.pointer(id_at).and_then(Value::as_str).unwrap_or_default().to_owned(),
        email,
    })
}

/// Registers an employer, confirms it from the outbox, signs its admin in.
pub async fn employer_admin(c: &Client, data_dir: &Path, company: &str) -> Result<Person, String> {
    let email = format!("admin-{}@employer.example", uuid::Uuid::new_v4().simple());
    let body =
        json!({"companyName": company, "email": email, "password": ADMIN_PASSWORD, "contactNumber": "+1 415 555 0100"});
    sign_up(c, data_dir, "/api/employers/register", body, "/user/id").await
}

/// Registers a candidate, confirms from the outbox, signs in.
pub async fn candidate(c: &Client, data_dir: &Path, name: &str) -> Result<Person, String> {
    let email = format!("cand-{}@mail.example", uuid::Uuid::new_v4().simple());
    let body = json!({"email": email, "password": "Cand1date!pw", "name": name, "location": "Berlin, Germany"});
    sign_up(c, data_dir, "/api/candidates", body, "/id").await
}

/// A job body with screening criteria.
pub fn job_body(title: &str) -> Value {
    json!({
        "title": title,
        "jobType": "full-time",
        "description": "Design and run the screening API.",
        "location": "Berlin, Germany",
        "salaryMin": 70000,
        "salaryMax": 90000,
        "criteria": {"requiredSkills": ["Rust", "PostgreSQL"], "preferredSkills": ["Kubernetes"], "minimumExperience": 3}
    })
}

/// Creates and publishes a job; returns its id.
pub async fn active_job(c: &Client, admin: &Person, title: &str) -> Result<String, String> {
    let job =
        expect(c.post("/api/jobs", Some(&admin.token), &job_body(title)).await, StatusCode::CREATED, "create job")?;
    let id = job.body["id"].as_str().unwrap_or_default().to_owned();
    expect(
        c.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), &Value::Null).await,
        StatusCode::OK,
        "publish",
    )?;
    Ok(id)
}

/// Applies to `job` and uploads `resume` (text) through the presigned URL; returns the
/// application id once the upload was accepted.
pub async fn apply_and_upload(c: &Client, cand: &Person, job: &str, resume: &[u8]) -> Result<String, String> {
    let app = expect(
        c.post("/api/applications", Some(&cand.token), &json!({"jobId": job})).await,
        StatusCode::CREATED,
        "apply",
    )?;
    let id = app.body["id"].as_str().unwrap_or_default().to_owned();
    let grant = expect(
        c.post(
            &format!("/api/applications/{id}/resume-upload-url"),
            Some(&cand.token),
            &json!({"contentType": "text/plain", "fileName": "resume.txt"}),
        )
        .await,
        StatusCode::CREATED,
        "upload url",
    )?;
    let url = grant.body["upload"]["url"].as_str().ok_or("no upload url")?;
    expect(c.put_url(url, "text/plain", resume.to_vec()).await, StatusCode::OK, "upload")?;
    Ok(id)
}

/// A plain-text resume that parses and scores.
pub fn text_resume(name: &str) -> Vec<u8> {
    format!(
        "{name}\nBerlin, Germany\n\nSUMMARY\nBackend engineer.\n\nEXPERIENCE\nSenior Engineer, Acme GmbH\n\
         Jan 2018 - Present\n- Built Rust services on PostgreSQL and Kubernetes.\n\nEDUCATION\n\
         BSc Computer Science, TU Berlin, 2017\n\nSKILLS\nRust, PostgreSQL, Kubernetes, Python\n"
    )
    .into_bytes()
}
