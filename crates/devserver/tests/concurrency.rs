//! No 5xx from contention: the real `clearview` binary on a data folder (one SQLite file, with
//! the item store, the identity store and the queues each holding a connection, as `make run`
//! does) serves many clients at once across reading and writing routes — sign-ups and their
//! confirmations, logins, refreshes and logouts, job edits with If-Match, decisions, applies and
//! uploads — while the queue consumers work the resume chain. Any 5xx or transport error fails.

use clearview_devserver::drive::{self, Answer, Client, Person, Server};
use http::Method;
use rand::Rng;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(8);

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("clearview-{name}-{}", uuid::Uuid::new_v4().simple()))
}

struct World {
    c: Client,
    data: PathBuf,
    admin: Person,
    jobs: Vec<String>,
    candidates: Vec<Person>,
    applications: Mutex<Vec<String>>,
}

type Tally = Arc<Mutex<BTreeMap<(&'static str, u16), u64>>>;

fn record(tally: &Tally, op: &'static str, a: Result<Answer, String>) -> Option<Answer> {
    match a {
        Ok(a) => {
            *tally.lock().unwrap().entry((op, a.status.as_u16())).or_default() += 1;
            Some(a)
        }
        Err(e) => {
            eprintln!("{op}: {e}");
            *tally.lock().unwrap().entry((op, 0)).or_default() += 1;
            None
        }
    }
}

async fn one_operation(w: &World, tally: &Tally, worker: usize) {
    let (pick, job, cand, app) = {
        let mut rng = rand::thread_rng();
        let apps = w.applications.lock().unwrap();
        let app = (!apps.is_empty()).then(|| apps[rng.gen_range(0..apps.len())].clone());
        (
            rng.gen_range(0..100u32),
            w.jobs[rng.gen_range(0..w.jobs.len())].clone(),
            w.candidates[rng.gen_range(0..w.candidates.len())].clone(),
            app,
        )
    };
    let (c, admin) = (&w.c, &w.admin.token);
    match pick {
        // Reads (about 60%).
        0..=14 => {
            record(tally, "jobs-get", c.get(&format!("/api/jobs/{job}"), admin).await);
        }
        15..=24 => {
            record(tally, "jobs-list", c.get("/api/jobs?limit=20", admin).await);
        }
        25..=39 => {
            if let Some(app) = &app {
                record(tally, "applications-get", c.get(&format!("/api/applications/{app}"), admin).await);
            }
        }
        40..=49 => {
            if let Some(app) = &app {
                record(tally, "ai-score", c.get(&format!("/api/applications/{app}/ai-score"), admin).await);
            }
        }
        50..=59 => {
            record(tally, "auth-me", c.get("/api/auth/me", admin).await);
        }
        // Writes (about 40%).
        60..=69 => {
            let Some(read) = record(tally, "jobs-get", c.get(&format!("/api/jobs/{job}"), admin).await) else { return };
            let etag = read.header("etag").unwrap_or("\"0\"").to_owned();
            let mut body = drive::job_body(&format!("Engineer (edit {worker})"));
            body.as_object_mut().unwrap().remove("criteria");
            body["description"] = json!(format!("Edited by client {worker} at {:?}", Instant::now()));
            record(
                tally,
                "jobs-update",
                c.send(Method::PUT, &format!("/api/jobs/{job}"), Some(admin), Some(&body), &[("if-match", etag)]).await,
            );
        }
        70..=77 => {
            if let Some(app) = &app {
                let body = json!({"decision": "review", "reason": format!("second look by client {worker}")});
                record(
                    tally,
                    "decision",
                    c.post(&format!("/api/applications/{app}/decision"), Some(admin), &body).await,
                );
            }
        }
        78..=85 => {
            // Apply and upload: feeds the chain, whose consumers write the same file.
            let fresh =
                drive::active_job(c, &w.admin, &format!("Role {worker}-{}", uuid::Uuid::new_v4().simple())).await;
            let Ok(fresh) = fresh else {
                record(tally, "jobs-create", Err(fresh.unwrap_err()));
                return;
            };
            *tally.lock().unwrap().entry(("jobs-create+publish", 201)).or_default() += 1;
            match drive::apply_and_upload(c, &cand, &fresh, &drive::text_resume("Concurrent Candidate")).await {
                Ok(id) => {
                    *tally.lock().unwrap().entry(("apply+upload", 200)).or_default() += 1;
                    w.applications.lock().unwrap().push(id);
                }
                Err(e) => {
                    record(tally, "apply+upload", Err(e));
                }
            }
        }
        86..=93 => {
            let body = json!({"refreshToken": cand.refresh});
            record(tally, "auth-refresh", c.post("/api/auth/refresh", None, &body).await);
        }
        _ => {
            // A whole sign-up: register, confirm (the route that answered 503 before), login; and a
            // staff sign-in and sign-out (logout answered 503 before too).
            match drive::candidate(c, &w.data, "Late Joiner").await {
                Ok(_) => {
                    *tally.lock().unwrap().entry(("candidate-signup+confirm+login", 200)).or_default() += 1;
                    let login = json!({"email": w.admin.email, "password": drive::ADMIN_PASSWORD});
                    let Some(t) = record(tally, "auth-login", c.post("/api/auth/login", None, &login).await) else {
                        return;
                    };
                    let body = json!({"refreshToken": t.body["refreshToken"]});
                    let token = t.body["idToken"].as_str().unwrap_or_default().to_owned();
                    record(tally, "auth-logout", c.post("/api/auth/logout", Some(&token), &body).await);
                }
                Err(e) => {
                    record(tally, "candidate-signup+confirm+login", Err(e));
                }
            }
        }
    }
}

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clearview"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_reading_and_writing_while_the_chain_runs_get_no_5xx() {
    let data = scratch("concurrency");
    let server = Server::start(bin(), &data, &[Server::UNLIMITED]).expect("dev server starts");
    let c = Client::new(&server.base);
    let admin = drive::employer_admin(&c, &data, "Busyco").await.expect("employer");
    let mut jobs = Vec::new();
    for i in 0..4 {
        jobs.push(drive::active_job(&c, &admin, &format!("Engineer {i}")).await.expect("job"));
    }
    let mut candidates = Vec::new();
    for i in 0..6 {
        candidates.push(drive::candidate(&c, &data, &format!("Candidate {i}")).await.expect("candidate"));
    }
    let mut applications = Vec::new();
    for (i, p) in candidates.iter().enumerate() {
        let id = drive::apply_and_upload(&c, p, &jobs[i % jobs.len()], &drive::text_resume("First Wave"))
            .await
            .expect("apply");
        applications.push(id);
    }
    let world =
        Arc::new(World { c, data: data.clone(), admin, jobs, candidates, applications: Mutex::new(applications) });
    let tally: Tally = Arc::default();
    let until = Instant::now() + RUN_FOR;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|worker| {
            let (w, tally) = (Arc::clone(&world), Arc::clone(&tally));
            tokio::spawn(async move {
                while Instant::now() < until {
                    one_operation(&w, &tally, worker).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("client task");
    }
    let tally = tally.lock().unwrap().clone();
    let total: u64 = tally.values().sum();
    eprintln!("{total} answers over {RUN_FOR:?} from {CLIENTS} clients:");
    for ((op, status), n) in &tally {
        eprintln!("  {op:32} {status} × {n}");
    }
    let bad: Vec<_> = tally.iter().filter(|((_, s), _)| *s == 0 || *s >= 500).collect();
    let log = server.log();
    assert!(bad.is_empty(), "5xx or transport errors: {bad:?}\n--- server log (locked?) ---\n{}", tail(&log, 60));
    assert!(!log.contains("database is locked"), "{}", tail(&log, 60));
    // Writes really happened, on every kind of store.
    for op in
        ["jobs-update", "decision", "apply+upload", "auth-refresh", "candidate-signup+confirm+login", "auth-logout"]
    {
        assert!(tally.iter().any(|((o, s), _)| *o == op && *s < 300), "no successful {op}: {tally:?}");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}

fn tail(s: &str, lines: usize) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}
