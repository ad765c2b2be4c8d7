//! `make bench-load`: an open-model load test of the embedded default. Starts the optimised
//! `clearview` binary on a fresh data folder, signs people up, applies and uploads so there are
//! scored applications, then drives a mixed workload at fixed arrival rates — requests start
//! on a schedule whether or not earlier ones have answered, and latency is measured from the
//! scheduled start, so queueing shows (no coordinated omission).
//!
//! The client's own lateness (scheduled start to the moment its runtime began the request) is
//! counted in the latency and also printed apart ("client lag p99"): the generator shares the
//! two cores with the server, and this tells a late client from a slow server.
//!
//! Mix: 70% reads (job by id 20, job list 15, application by id 20, AI score 15) and 30%
//! writes (apply 10, job update with If-Match 10, decision 10), all with real tokens.
//!
//!   load [--server PATH] [--rates 250,500,...] [--seconds 10] [--target-p99-ms 5]

use clearview_devserver::drive::{self, Client, Person, Server};
use hdrhistogram::Histogram;
use http::Method;
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The generator's allocator is the server's (mimalloc), so neither spends more of the shared
/// cores than it has to.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    server: PathBuf,
    rates: Vec<u64>,
    seconds: u64,
    target_p99_ms: f64,
}

fn args() -> Args {
    let mut a = Args {
        server: PathBuf::from("target/release-local/clearview"),
        rates: vec![250, 500, 750, 1000, 1250, 1500],
        seconds: 10,
        target_p99_ms: 5.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--server" => a.server = PathBuf::from(v),
            "--rates" => a.rates = v.split(',').map(|r| r.trim().parse().expect("--rates: numbers")).collect(),
            "--seconds" => a.seconds = v.parse().expect("--seconds: a number"),
            "--target-p99-ms" => a.target_p99_ms = v.parse().expect("--target-p99-ms: a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// Everything the workload reads and writes.
struct World {
    c: Client,
    admin: Person,
    jobs: Vec<String>,
    scored: Vec<String>,
    /// (candidate, job) pairs not applied yet: each apply takes one.
    fresh_pairs: Mutex<Vec<(Person, String)>>,
    /// Jobs reserved for edits, with their current version: an edit takes one, puts it back.
    editable: Mutex<Vec<(String, u64)>>,
    /// Applications to decide on: a decision takes one and puts it back, so two decisions never
    /// race on one application (that race is a correct 409, not what this measures).
    decidable: Mutex<Vec<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Op {
    JobGet,
    JobList,
    ApplicationGet,
    Score,
    Apply,
    JobUpdate,
    Decision,
}

const OPS: [(Op, u32); 7] = [
    (Op::JobGet, 20),
    (Op::JobList, 15),
    (Op::ApplicationGet, 20),
    (Op::Score, 15),
    (Op::Apply, 10),
    (Op::JobUpdate, 10),
    (Op::Decision, 10),
];

fn op_for(i: u64) -> Op {
    // A fixed interleaving (by a multiplicative hash of the sequence number) of the weights.
    let slot = (i.wrapping_mul(2_654_435_761) % 100) as u32;
    let mut acc = 0;
    for (op, w) in OPS {
        acc += w;
        if slot < acc {
            return op;
        }
    }
    Op::JobGet
}

/// The step before the measured ones: warms the connection pool and the server's caches.
const WARMUP_RATE: u64 = 200;
const WARMUP_SECONDS: u64 = 2;

/// How one scheduled request went.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sent {
    /// Answered 2xx.
    Ok,
    /// A transport error or an answer other than 2xx: the server's error.
    Failed,
    /// Not sent: the generator's pool for it (fresh candidate-job pairs, applications to decide,
    /// jobs to edit) was empty because earlier ones are still in flight. The client's
    /// shortfall, counted apart from the server's errors.
    Skipped,
}

/// Runs one request.
async fn run(w: &World, op: Op, i: u64) -> Sent {
    let (c, admin) = (&w.c, &w.admin.token);
    let pick = |v: &Vec<String>| v[(i as usize).wrapping_mul(7919) % v.len()].clone();
    let answer = match op {
        Op::JobGet => c.get(&format!("/api/jobs/{}", pick(&w.jobs)), admin).await,
        Op::JobList => c.get("/api/jobs?limit=20", admin).await,
        Op::ApplicationGet => c.get(&format!("/api/applications/{}", pick(&w.scored)), admin).await,
        Op::Score => c.get(&format!("/api/applications/{}/ai-score", pick(&w.scored)), admin).await,
        Op::Decision => {
            let Some(app) = w.decidable.lock().unwrap().pop() else { return Sent::Skipped };
            let body = json!({"decision": "review", "reason": "load test: a second look"});
            let a = c.post(&format!("/api/applications/{app}/decision"), Some(admin), &body).await;
            w.decidable.lock().unwrap().insert(0, app);
            a
        }
        Op::Apply => {
            let Some((cand, job)) = w.fresh_pairs.lock().unwrap().pop() else { return Sent::Skipped };
            c.post("/api/applications", Some(&cand.token), &json!({"jobId": job})).await
        }
        Op::JobUpdate => {
            let Some((job, version)) = w.editable.lock().unwrap().pop() else { return Sent::Skipped };
            let mut body = drive::job_body("Load Engineer");
            body.as_object_mut().unwrap().remove("criteria");
            body["description"] = json!(format!("Revision {i}"));
            let a = c
                .send(
                    Method::PUT,
                    &format!("/api/jobs/{job}"),
                    Some(admin),
                    Some(&body),
                    &[("if-match", format!("\"{version}\""))],
                )
                .await;
            let next = a
                .as_ref()
                .ok()
                .and_then(|a| a.header("etag"))
                .and_then(|e| e.trim_matches('"').parse().ok())
                .unwrap_or(version);
            w.editable.lock().unwrap().push((job, next));
            a
        }
    };
    match answer {
        Ok(a) if a.status.is_success() => Sent::Ok,
        Ok(a) => {
            eprintln!("{op:?}: {} {}", a.status, a.body);
            Sent::Failed
        }
        Err(e) => {
            eprintln!("{op:?}: {e}");
            Sent::Failed
        }
    }
}

struct Step {
    /// p50 and p99 (ms) per operation.
    per_op: Vec<(Op, u64, f64, f64)>,
    rate: u64,
    sent: u64,
    achieved: f64,
    p50: f64,
    p99: f64,
    max: f64,
    errors: u64,
    /// Requests the generator could not send (see [`Sent::Skipped`]); not in the latencies.
    skipped: u64,
    /// p99 (ms) of the client's own lateness: from a request's scheduled start to the moment
    /// the generator's runtime began sending it. Counted in the latency (no coordinated
    /// omission) and shown apart, so a late client is told from a slow server.
    client_lag_p99: f64,
}

async fn step(w: &Arc<World>, rate: u64, seconds: u64, seq: &AtomicU64) -> Step {
    let total = rate * seconds;
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram")));
    let per_op: Arc<Mutex<std::collections::BTreeMap<Op, Histogram<u64>>>> = Arc::default();
    let errors = Arc::new(AtomicU64::new(0));
    let skipped = Arc::new(AtomicU64::new(0));
    let lag = Arc::new(Mutex::new(Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram")));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let start = Instant::now() + Duration::from_millis(5);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    // A thread of its own keeps the schedule (thread sleeps are precise to microseconds; the
    // runtime's timer ticks in milliseconds) and hands each request to the runtime on time.
    let runtime = tokio::runtime::Handle::current();
    let scheduler = {
        let (w, hist, errors, per_op) = (Arc::clone(w), Arc::clone(&hist), Arc::clone(&errors), Arc::clone(&per_op));
        let (lag, skipped) = (Arc::clone(&lag), Arc::clone(&skipped));
        let first = seq.fetch_add(total, Ordering::Relaxed);
        std::thread::spawn(move || {
            for n in 0..total {
                let scheduled = start + interval.mul_f64(n as f64);
                if let Some(wait) = scheduled.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                let i = first + n;
                let (w, hist, errors, done) = (Arc::clone(&w), Arc::clone(&hist), Arc::clone(&errors), done_tx.clone());
                let (per_op, lag, skipped) = (Arc::clone(&per_op), Arc::clone(&lag), Arc::clone(&skipped));
                runtime.spawn(async move {
                    lag.lock().unwrap().saturating_record(scheduled.elapsed().as_micros().max(1) as u64);
                    let op = op_for(i);
                    let sent = run(&w, op, i).await;
                    if sent == Sent::Skipped {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        drop(done);
                        return;
                    }
                    let us = scheduled.elapsed().as_micros().max(1) as u64;
                    hist.lock().unwrap().saturating_record(us);
                    per_op
                        .lock()
                        .unwrap()
                        .entry(op)
                        .or_insert_with(|| Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram"))
                        .saturating_record(us);
                    if sent == Sent::Failed {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    drop(done);
                });
            }
        })
    };
    tokio::task::spawn_blocking(move || scheduler.join()).await.expect("join").expect("scheduler");
    while done_rx.recv().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let h = hist.lock().unwrap();
    let ms = |us: u64| us as f64 / 1000.0;
    let per_op = per_op
        .lock()
        .unwrap()
        .iter()
        .map(|(op, h)| (*op, h.len(), ms(h.value_at_quantile(0.5)), ms(h.value_at_quantile(0.99))))
        .collect();
    Step {
        per_op,
        rate,
        sent: total,
        achieved: total as f64 / elapsed,
        p50: ms(h.value_at_quantile(0.50)),
        p99: ms(h.value_at_quantile(0.99)),
        max: ms(h.max()),
        errors: errors.load(Ordering::Relaxed),
        skipped: skipped.load(Ordering::Relaxed),
        client_lag_p99: ms(lag.lock().unwrap().value_at_quantile(0.99)),
    }
}

/// Writes back the page cache's dirty pages (the setup's, and those a test run or a build left
/// just before) so their writeback is not part of the first rate measured. On a file system
/// without a journal the kernel also skips inodes deleted in the last minutes while their
/// table block is dirty, which made each new file (every email) cost ~0.6 ms of CPU after a test
/// run deleted thousands.
fn flush_dirty_pages() {
    #[cfg(unix)]
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe {
        libc::sync()
    };
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    let data = std::env::temp_dir().join(format!("clearview-load-{}", uuid::Uuid::new_v4().simple()));
    let server =
        Server::start(&a.server, &data, &[("RUST_LOG", "warn"), Server::UNLIMITED]).expect("start the dev server");
    let c = Client::new(&server.base);
    eprintln!("load: {} on {}; setting up", a.server.display(), server.base);
    let admin = drive::employer_admin(&c, &data, "Loadco").await.expect("employer");
    let mut jobs = Vec::new();
    for i in 0..20 {
        jobs.push(drive::active_job(&c, &admin, &format!("Engineer {i}")).await.expect("job"));
    }
    let mut candidates = Vec::new();
    for i in 0..50 {
        candidates.push(drive::candidate(&c, &data, &format!("Candidate {i}")).await.expect("candidate"));
    }
    // Scored applications to read and decide on: each candidate applies to the first job and uploads.
    let mut scored = Vec::new();
    for p in &candidates {
        scored.push(
            drive::apply_and_upload(&c, p, &jobs[0], &drive::text_resume("Load Candidate")).await.expect("apply"),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    for id in &scored {
        loop {
            let s = c.get(&format!("/api/applications/{id}"), &admin.token).await.expect("read");
            if s.body["processing"]["stage"] == "checked" {
                break;
            }
            assert!(Instant::now() < deadline, "the chain did not finish: {}", s.body);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Enough fresh (candidate, job) pairs for every apply of every step, the warm-up's included
    // (applies are 10% of the requests; the interleaving is exact only over whole hundreds).
    let applies_at = |rate: u64, seconds: u64| rate * seconds / 10 + 10;
    let applies: u64 =
        applies_at(WARMUP_RATE, WARMUP_SECONDS) + a.rates.iter().map(|r| applies_at(*r, a.seconds)).sum::<u64>();
    let extra_jobs = (applies as usize).div_ceil(candidates.len());
    let mut pairs = Vec::new();
    for i in 0..extra_jobs {
        let job = drive::active_job(&c, &admin, &format!("Opening {i}")).await.expect("job");
        pairs.extend(candidates.iter().map(|p| (p.clone(), job.clone())));
    }
    let mut editable = Vec::new();
    for i in 0..64 {
        let job = c.post("/api/jobs", Some(&admin.token), &drive::job_body(&format!("Draft {i}"))).await.expect("job");
        editable.push((job.body["id"].as_str().unwrap().to_owned(), job.body["version"].as_u64().unwrap_or(1)));
    }
    let world = Arc::new(World {
        decidable: Mutex::new(scored.clone()),
        // The answers are checked by status (and the job update's ETag); their bodies are not
        // parsed, so the generator takes less of the cores it shares with the server.
        c: c.without_success_bodies(),
        admin,
        jobs,
        scored,
        fresh_pairs: Mutex::new(pairs),
        editable: Mutex::new(editable),
    });
    // Warm the connection pool and the server's caches.
    let seq = AtomicU64::new(0);
    let _ = step(&world, WARMUP_RATE, WARMUP_SECONDS, &seq).await;
    flush_dirty_pages();

    println!(
        "open-model mixed load, {} s per rate (70% reads, 30% writes), target p99 <= {} ms",
        a.seconds, a.target_p99_ms
    );
    println!(
        "{:>8} {:>8} {:>10} {:>9} {:>9} {:>9} {:>7} {:>14}",
        "rate/s", "sent", "achieved/s", "p50 ms", "p99 ms", "max ms", "errors", "client lag p99"
    );
    let mut held = None;
    for rate in &a.rates {
        let s = step(&world, *rate, a.seconds, &seq).await;
        println!(
            "{:>8} {:>8} {:>10.0} {:>9.2} {:>9.2} {:>9.2} {:>7} {:>14.2}",
            s.rate, s.sent, s.achieved, s.p50, s.p99, s.max, s.errors, s.client_lag_p99
        );
        let ops: Vec<String> =
            s.per_op.iter().map(|(op, n, p50, p99)| format!("{op:?} n={n} p50={p50:.2} p99={p99:.2}")).collect();
        eprintln!("         {}", ops.join(" | "));
        if s.skipped > 0 {
            eprintln!(
                "         {} requests not sent: the generator's pools (fresh applications, decisions, edits) ran dry with earlier ones in flight; the rate was not offered in full",
                s.skipped
            );
        }
        if s.errors == 0 && s.skipped == 0 && s.p99 <= a.target_p99_ms {
            held = Some(s.rate);
        }
    }
    match held {
        Some(r) => println!("highest rate held with p99 <= {} ms and no errors: {r}/s", a.target_p99_ms),
        None => println!("no rate held p99 <= {} ms with no errors", a.target_p99_ms),
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
