//! Nothing lost on a crash: the real `clearview` binary on a data folder is killed with SIGKILL
//! while 200 uploads are in the resume chain, restarted on the same folder, and every upload
//! must end scored (checked) or failed with a reason, or dead-lettered with one; no email is
//! sent twice. Then SIGTERM stops it cleanly.

use clearview_core::ports::clock::SystemClock;
use clearview_core::ports::queue::WorkQueue;
use clearview_devserver::drive::{self, Client, Person, Server};
use clearview_local::queues::{QueueConfig, SqliteQueues};
use futures::{StreamExt, stream};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const JOBS: usize = 10;
const CANDIDATES: usize = 20;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clearview"))
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("clearview-{name}-{}", uuid::Uuid::new_v4().simple()))
}

/// (To, Subject) of every mail in the outbox.
fn outbox(data: &Path) -> Vec<(String, String)> {
    let outbox = clearview_local::Outbox::new(&data.join("outbox"));
    outbox.files().iter().filter_map(|f| clearview_local::Outbox::read(f)).map(|m| (m.to, m.subject)).collect()
}

async fn stages(c: &Client, admin: &Person, ids: &[String]) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    for id in ids {
        let a = c.get(&format!("/api/applications/{id}"), &admin.token).await.expect("read application");
        assert_eq!(a.status, 200, "{id}: {}", a.body);
        let p = &a.body["processing"];
        out.insert(
            id.clone(),
            (p["stage"].as_str().unwrap_or("").to_owned(), p["reason"].as_str().unwrap_or("").to_owned()),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_chain_loses_no_upload_and_sends_no_email_twice_and_sigterm_stops_cleanly() {
    let data = scratch("crash");
    let mut server = Server::start(bin(), &data, &[Server::UNLIMITED]).expect("dev server starts");
    let c = Client::new(&server.base);

    let admin = drive::employer_admin(&c, &data, "Crashco").await.expect("employer");
    let mut jobs = Vec::new();
    for i in 0..JOBS {
        jobs.push(drive::active_job(&c, &admin, &format!("Engineer {i}")).await.expect("job"));
    }
    let candidates: Vec<Person> = stream::iter(0..CANDIDATES)
        .map(|i| {
            let (c, data) = (c.clone(), data.clone());
            async move { drive::candidate(&c, &data, &format!("Candidate {i}")).await.expect("candidate") }
        })
        .buffer_unordered(4)
        .collect()
        .await;

    // 200 uploads as fast as the server takes them; the chain runs behind them.
    let pairs: Vec<(Person, String)> =
        candidates.iter().flat_map(|p| jobs.iter().map(move |j| (p.clone(), j.clone()))).collect();
    let started = Instant::now();
    let ids: Vec<String> = stream::iter(pairs)
        .map(|(p, job)| {
            let c = c.clone();
            async move {
                let resume = drive::text_resume(&format!("Resume of {}", p.email));
                drive::apply_and_upload(&c, &p, &job, &resume).await.expect("apply and upload")
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(ids.len(), JOBS * CANDIDATES);
    let before = stages(&c, &admin, &ids).await;
    let done_before = before.values().filter(|(s, _)| s == "checked" || s == "failed").count();
    eprintln!("200 uploads accepted in {:?}; {done_before} finished before the kill", started.elapsed());
    assert!(done_before < ids.len(), "the chain finished before the kill: the test killed nothing in flight");

    server.kill();
    let mut server = Server::start(bin(), &data, &[Server::UNLIMITED]).expect("dev server restarts on the same folder");
    let c = Client::new(&server.base);
    let deadline = Instant::now() + Duration::from_secs(240);
    let after = loop {
        let now = stages(&c, &admin, &ids).await;
        let open = now.values().filter(|(s, _)| s != "checked" && s != "failed").count();
        if open == 0 || Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(server.log().contains("released messages a previous run held"), "{}", server.log());
    // The candidates' "received" mails ride their own queue: let it drain too.
    let received =
        |data: &Path| outbox(data).iter().filter(|(_, s)| s.starts_with("We received your application")).count();
    while received(&data) < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let code = server.terminate(Duration::from_secs(20)).expect("SIGTERM stops the server");
    assert_eq!(code, 0, "{}", server.log());
    assert!(server.log().contains("stopped cleanly"), "{}", server.log());

    // Every upload ended: checked, failed with a reason, or dead-lettered with one.
    let queues =
        SqliteQueues::open(&data.join(clearview_local::family::DB_FILE), Arc::new(SystemClock), QueueConfig::default())
            .expect("queues");
    let mut dead: BTreeMap<String, String> = BTreeMap::new();
    for q in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS, WorkQueue::EMAIL] {
        for d in queues.dead_letters(q).await.expect("dead letters") {
            assert!(!d.reason.trim().is_empty(), "dead letter without a reason: {d:?}");
            if let Some(app) = d.message.body["applicationId"].as_str() {
                dead.insert(app.to_owned(), d.reason);
            }
        }
    }
    for id in &ids {
        let (stage, reason) = &after[id];
        match stage.as_str() {
            "checked" => {}
            "failed" => assert!(!reason.is_empty(), "{id} failed without a reason"),
            other => assert!(dead.contains_key(id), "{id} is stuck at {other} and not dead-lettered"),
        }
    }
    let checked = after.values().filter(|(s, _)| s == "checked").count();
    eprintln!(
        "after the restart: {checked} checked, {} failed, {} dead-lettered",
        ids.len() - checked - dead.len(),
        dead.len()
    );

    // Each application's "received" mail went out exactly once; no mail at all went out twice.
    let mails = outbox(&data);
    let mut seen: HashMap<&(String, String), usize> = HashMap::new();
    for m in &mails {
        *seen.entry(m).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let received = mails.iter().filter(|(_, s)| s.starts_with("We received your application")).count();
    assert_eq!(received, ids.len());
    let _ = std::fs::remove_dir_all(&data);
}
