//! Cold start of the real release binaries: each run starts a fresh process under the Lambda
//! Runtime API emulator (`clearview_tests::lambda`) with its first event already queued, and
//! measures from just before the spawn to
//! - init: the function's first `GET /2018-06-01/runtime/invocation/next`;
//! - first response: its `POST …/invocation/{id}/response` for that event.
//!
//! Subjects: lambda_http's hello world (the baseline, `crates/hello-lambda`), an API route that
//! reads the table (`jobs-get`, a job created beforehand, JWT claims as API Gateway passes them)
//! and a queue consumer (`score`, the SQS fixture), both against moto. Runs are interleaved
//! (one of each subject in turn) so load from other work on the machine falls on all alike; one
//! warm-up run per subject is not counted. Prints medians and the ratios to the baseline.
//!
//! `make bench-coldstart` builds the release binaries and runs
//! `cargo run -p clearview-tests --example coldstart -- 15` (the harness itself need not be
//! optimised: the emulator only timestamps request lines). `COLDSTART_FUNCTION_ENV="K=V …"` adds
//! variables to the ClearView subjects' environment, for experiments.

use clearview_aws::testing::{MAIL_FROM, Moto};
use clearview_tests::lambda::{Function, Posted, RuntimeApi, event_fixture, target_dir};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// How long one start may take before the run is declared failed.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Init may be this many times the baseline's.
const INIT_TARGET: f64 = 1.3;

/// The release binary that runs `handler`: the one `bootstrap` of every function, which picks
/// the route or consumer from `_HANDLER` (set by [`Function::start`], as the `provided.al2023`
/// runtime sets it from the function's `Handler`).
fn function_binary(_handler: &str) -> PathBuf {
    target_dir().join("release/bootstrap")
}

/// Whether the posted response is the one expected (the run did the work).
type Check = Box<dyn Fn(&Value) -> Result<(), String>>;

struct Subject {
    label: &'static str,
    binary: PathBuf,
    handler: &'static str,
    env: Vec<(String, String)>,
    event: Value,
    check: Check,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    init: Duration,
    first_response: Duration,
}

fn run_once(subject: &Subject, n: usize) -> Result<Run, String> {
    let mut api = RuntimeApi::start(subject.handler);
    let id = api.invoke(&subject.event);
    let log = target_dir().join("coldstart").join(format!("{}-{n}.log", subject.handler));
    let function = Function::start(&subject.binary, subject.handler, &api, &subject.env, log);
    let fail = |what: String| format!("{} run {n}: {what}; log:\n{}", subject.label, function.log());
    let polled = api.polled_at(TIMEOUT).map_err(|e| fail(format!("no poll on /invocation/next ({e})")))?;
    let (posted_at, posted) = api.posted_at(TIMEOUT).map_err(|e| fail(format!("no response ({e})")))?;
    let Posted::Response { request_id, body } = posted else {
        return Err(fail(format!("expected a response, got {posted:?}")));
    };
    if request_id != id {
        return Err(fail(format!("response for {request_id}, expected {id}")));
    }
    (subject.check)(&body).map_err(fail)?;
    Ok(Run { init: polled - function.started, first_response: posted_at - function.started })
}

fn http_status(expected: u64) -> Check {
    Box::new(move |body| match body["statusCode"].as_u64() {
        Some(s) if s == expected => Ok(()),
        _ => Err(format!("expected status {expected}, got {body}")),
    })
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort_unstable();
    let n = xs.len();
    if n == 0 {
        return Duration::ZERO;
    }
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2 }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    format!("{cpu}, {cores} cores, load average {load}")
}

/// moto with a fresh table holding one job of the fixtures' tenant, a user pool, a verified
/// sender and a processing chain; the subjects that use them.
async fn subjects() -> Vec<Subject> {
    let moto = Moto::shared().await;
    let store = moto.store().await;
    let pool = moto.identity().await;
    let mailer = moto.mailer().await;
    let chain = moto.chain().await;
    let cursor_secret = "coldstart-cursor-secret-at-least-32-bytes!".to_owned();
    let mut base: Vec<(String, String)> = [
        ("TABLE_NAME", store.table_name().to_owned()),
        ("USER_POOL_ID", pool.pool_id.clone()),
        ("USER_POOL_CLIENT_ID", pool.client_id.clone()),
        ("MAIL_FROM", MAIL_FROM.to_owned()),
        ("CURSOR_SECRET", cursor_secret.clone()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
        ("JWKS_URL", pool.jwks_url.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    // The job jobs-get reads: created through the jobs-create route with its fixture (same tenant
    // and claims as the jobs-get fixture), over the same table.
    let deps = clearview_core::Deps::new(
        std::sync::Arc::new(store.clone()),
        std::sync::Arc::new(pool.identity.clone()),
        std::sync::Arc::new(mailer),
        std::sync::Arc::new(clearview_core::ports::clock::SystemClock),
        std::sync::Arc::new(clearview_core::ports::clock::UuidV7),
    );
    // The staff member the fixtures' claims name (API Gateway verified the token; the app still
    // looks its user up in the tenant).
    let claims = event_fixture("jobs-get.json")["requestContext"]["authorizer"]["jwt"]["claims"].clone();
    let user: clearview_core::model::user::User = serde_json::from_value(json!({
        "id": claims["sub"], "orgId": claims["custom:org_id"], "email": claims["email"], "name": "Ada Lovelace",
        "role": "admin", "status": "active", "overrides": {},
        "createdAt": "2025-02-03T14:00:00Z", "updatedAt": "2025-02-03T14:00:00Z", "version": 1
    }))
    .expect("the fixture's user");
    let item = clearview_core::record::Record::to_item(&user).expect("user item");
    clearview_core::ports::store::ItemStore::put(&store, item, clearview_core::ports::store::Condition::NotExists)
        .await
        .expect("put the fixture's user");
    let cursors = clearview_http::cursor::CursorKey::new(cursor_secret.as_bytes()).expect("cursor key");
    let app = clearview_http::App::new(deps, cursors);
    let create = clearview_http::routes::by_name("jobs-create").expect("jobs-create route");
    let request =
        lambda_http::request::from_str(&event_fixture("jobs-create.json").to_string()).expect("jobs-create.json");
    let created = clearview_http::lambda::handle(&app, create, request).await.expect("jobs-create");
    let job: Value = match created.body() {
        lambda_http::Body::Text(t) => serde_json::from_str(t).expect("job JSON"),
        other => panic!("jobs-create answered {} with {other:?}", created.status()),
    };
    assert_eq!(created.status(), 201, "jobs-create: {job}");
    let job_id = job["id"].as_str().expect("job id").to_owned();
    let mut jobs_get = event_fixture("jobs-get.json");
    let path = format!("/api/jobs/{job_id}");
    jobs_get["rawPath"] = json!(path);
    jobs_get["requestContext"]["http"]["path"] = json!(path);
    jobs_get["pathParameters"]["id"] = json!(job_id);

    // Extra variables for the ClearView subjects (experiments: `COLDSTART_FUNCTION_ENV="RUST_LOG=debug"`).
    let extra = std::env::var("COLDSTART_FUNCTION_ENV").unwrap_or_default();
    base.extend(
        extra.split_whitespace().filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let mut consumer_env = base.clone();
    consumer_env.extend(chain.env());
    vec![
        Subject {
            label: "hello world (lambda_http)",
            binary: target_dir().join("release/hello-lambda"),
            handler: "hello-lambda",
            env: Vec::new(),
            event: jobs_get.clone(),
            check: http_status(200),
        },
        Subject {
            label: "jobs-get (API route, DynamoDB GetItem)",
            binary: function_binary("jobs-get"),
            handler: "jobs-get",
            env: base,
            event: jobs_get,
            check: Box::new(move |body| {
                http_status(200)(body)?;
                let got: Value = serde_json::from_str(body["body"].as_str().unwrap_or("")).unwrap_or(Value::Null);
                if got["id"] == json!(job_id) { Ok(()) } else { Err(format!("expected job {job_id}, got {got}")) }
            }),
        },
        Subject {
            label: "score (SQS consumer, 2 records)",
            binary: function_binary("score"),
            handler: "score",
            env: consumer_env,
            event: event_fixture("sqs-work-message.json"),
            check: Box::new(|body| match body.get("batchItemFailures") {
                Some(Value::Array(f)) if f.is_empty() => Ok(()),
                _ => Err(format!("expected no batch item failures, got {body}")),
            }),
        },
    ]
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(15);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let subjects = runtime.block_on(subjects());
    for s in &subjects {
        assert!(
            s.binary.is_file(),
            "{} is missing: build it with `cargo build --release -p clearview-hello-lambda -p clearview-functions \
             --bin hello-lambda --bin bootstrap` (or run `make bench-coldstart`)",
            s.binary.display()
        );
    }
    println!("machine: {}", machine());
    println!("{runs} cold starts per subject (after one warm-up each), interleaved\n");
    let mut results: Vec<Vec<Run>> = subjects.iter().map(|_| Vec::new()).collect();
    for n in 0..=runs {
        for (s, out) in subjects.iter().zip(&mut results) {
            let run = run_once(s, n).unwrap_or_else(|e| panic!("{e}"));
            if n > 0 {
                out.push(run);
            }
        }
    }
    let medians: Vec<(Duration, Duration)> = results
        .iter()
        .map(|r| (median(r.iter().map(|x| x.init).collect()), median(r.iter().map(|x| x.first_response).collect())))
        .collect();
    let (base_init, base_first) = medians[0];
    println!(
        "| function | binary | init, median | first response, median | init ÷ hello | first response ÷ hello | init min – max |"
    );
    println!("|---|---|---|---|---|---|---|");
    for ((s, r), (init, first)) in subjects.iter().zip(&results).zip(&medians) {
        let lo = r.iter().map(|x| x.init).min().unwrap_or_default();
        let hi = r.iter().map(|x| x.init).max().unwrap_or_default();
        let file = s.binary.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let name = if file == s.handler { file } else { format!("{file}, _HANDLER={}", s.handler) };
        println!(
            "| {} | `{name}` | {} | {} | {:.2}× | {:.2}× | {} – {} |",
            s.label,
            ms(*init),
            ms(*first),
            init.as_secs_f64() / base_init.as_secs_f64(),
            first.as_secs_f64() / base_first.as_secs_f64(),
            ms(lo),
            ms(hi)
        );
    }
    println!();
    for (s, (init, _)) in subjects.iter().zip(&medians).skip(1) {
        let ratio = init.as_secs_f64() / base_init.as_secs_f64();
        let verdict = if ratio <= INIT_TARGET { "meets" } else { "misses" };
        println!("{}: init {ratio:.2}× hello world — {verdict} the ≤ {INIT_TARGET}× target", s.handler);
    }
}
