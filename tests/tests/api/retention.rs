//! Retention (issue 12) on both adapter families, on a fixed clock moved forward: the
//! `retention-index` consumer indexes rejections and last activity from the application
//! events; the dry run lists what is due and why; the daily `retention` run deletes the resume
//! of an application rejected longer ago than `rejectedResumeDays` (every stored version) and
//! erases from the organisation candidates inactive longer than `inactiveCandidateMonths`,
//! audited as `system:retention`; a second run changes nothing; other organisations see none
//! of it.

use axum::http::StatusCode;
use clearview_core::Deps;
use clearview_core::ports::clock::{Clock, FixedClock};
use clearview_core::ports::queue::{Consumer, Outcome, Scheduled, WorkQueue};
use clearview_core::services::retention;
use clearview_tests::api::{Admin, BoxFut, Call, Family, candidate, job_body};
use serde_json::{Value, json};
use std::sync::Arc;
use time::Duration;

type Fut<T> = BoxFut<'static, T>;

struct Env {
    family: Family,
    deps: Deps,
    clock: Arc<FixedClock>,
    /// Runs a consumer over its queue until it is empty: how many messages it handled.
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> Fut<usize> + Send + Sync>,
    /// PUTs a file to an upload URL the API granted.
    upload: Box<dyn Fn(Value, Vec<u8>) -> Fut<u16> + Send + Sync>,
}

impl Env {
    async fn pump(&self, queue: WorkQueue) -> usize {
        let c = clearview_chain::all(&self.deps).into_iter().find(|c| c.queue() == queue).expect("a consumer");
        (self.pump)(c).await
    }
}

async fn set_rules(f: &Family, admin: &Admin, value: Value) -> clearview_tests::api::Answer {
    f.send(Call {
        method: axum::http::Method::PUT,
        path: "/api/settings/retention.rules".into(),
        token: Some(&admin.token),
        body: Some(json!({ "value": value })),
        headers: vec![],
    })
    .await
}

async fn apply(f: &Family, job: &str, name: &str) -> (String, String, String) {
    let (token, id, _) = candidate(f, name).await;
    let a = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
    assert_eq!(a.status, StatusCode::CREATED, "[{}] {:?}", f.name, a.body);
    (token, id, a.body["id"].as_str().unwrap().to_owned())
}

async fn preview(f: &Family, token: &str) -> Value {
    let p = f.get("/api/privacy/retention/preview", token).await;
    assert_eq!(p.status, StatusCode::OK, "[{}] {:?}", f.name, p.body);
    p.body
}

fn listed(preview: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = preview["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let who = i["applicationId"].as_str().or(i["candidateId"].as_str()).unwrap_or_default();
            (i["action"].as_str().unwrap().to_owned(), who.to_owned())
        })
        .collect();
    out.sort();
    out
}

async fn rules_are_enforced_daily_from_the_due_index_with_a_dry_run_listing_what_goes(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Retains").await;
    let other = f.employer_admin("RetainsNot").await;

    // The rules: validated (422 naming the field), then saved.
    let bad = set_rules(f, &admin, json!({"rejectedResumeDays": 0})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "value.rejectedResumeDays", "{:?}", bad.body);
    let saved = set_rules(f, &admin, json!({"rejectedResumeDays": 30, "inactiveCandidateMonths": 2})).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    // Another organisation's rule keeps its own data far longer.
    let theirs = set_rules(f, &other, json!({"rejectedResumeDays": 3650})).await;
    assert_eq!(theirs.status, StatusCode::OK, "{:?}", theirs.body);

    let job = f.post("/api/jobs", Some(&admin.token), job_body("Data Engineer")).await;
    let job = job.body["id"].as_str().unwrap().to_owned();
    let published = f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    // Rejected, with a resume; kept active; idle since applying.
    let (rejected_token, rejected, rejected_app) = apply(f, &job, "Rhea Rejected").await;
    let (_, kept, kept_app) = apply(f, &job, "Kai Kept").await;
    let (_, idle, _) = apply(f, &job, "Ida Idle").await;
    let grant = f
        .post(
            &format!("/api/applications/{rejected_app}/resume-upload-url"),
            Some(&rejected_token),
            json!({"contentType": "text/plain", "fileName": "rhea.txt"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    let file = grant.body["fileId"].as_str().unwrap().to_owned();
    assert_eq!((e.upload)(grant.body["upload"].clone(), b"Rhea Rejected\nRust, SQL\n".to_vec()).await, 200);
    assert_eq!((e.upload)(grant.body["upload"].clone(), b"Rhea Rejected\nRust, SQL, Go\n".to_vec()).await, 200);
    let r = f
        .post(
            &format!("/api/applications/{rejected_app}/reject"),
            Some(&admin.token),
            json!({"reasonCode": "skills_mismatch"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "[{}] {:?}", f.name, r.body);
    assert!(e.pump(retention::QUEUE).await >= 4, "[{}] three applications and a rejection", f.name);

    // Day 10: nothing is due.
    e.clock.advance(Duration::days(10));
    let p = preview(f, &admin.token).await;
    assert_eq!(p["rules"], json!({"rejectedResumeDays": 30, "inactiveCandidateMonths": 2}));
    assert_eq!(listed(&p), vec![], "[{}] {p:?}", f.name);
    // Only staff with privacy:manage run the dry run.
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    assert_eq!(f.get("/api/privacy/retention/preview", &recruiter).await.status, StatusCode::FORBIDDEN);

    // Day 31: the rejected resume is due, with the rule and the reason.
    e.clock.advance(Duration::days(21));
    let p = preview(f, &admin.token).await;
    assert_eq!(listed(&p), vec![("delete_resume".to_owned(), rejected_app.clone())], "[{}] {p:?}", f.name);
    let entry = &p["items"][0];
    assert_eq!((entry["rule"].clone(), entry["files"].clone()), (json!("rejectedResumeDays"), json!(1)));
    assert!(entry["reason"].as_str().unwrap().contains("30 days"), "{entry:?}");
    assert_eq!(entry["candidateId"], rejected.as_str());
    assert_eq!(listed(&preview(f, &other.token).await), vec![], "another organisation's dry run");

    let stored = f.get(&format!("/api/files/{file}"), &rejected_token).await;
    assert_eq!(stored.status, StatusCode::OK, "[{}] {:?}", f.name, stored.body);
    let org = clearview_core::values::OrgId::parse(&admin.org).expect("an org id");
    let key = clearview_core::keys::resume_object(&org, &rejected_app, &file);
    assert!(e.deps.blobs.get(&key, 1 << 20).await.is_ok(), "[{}] the object is stored: {key}", f.name);

    // The daily run deletes it (every version), audited as the system; a rerun does nothing.
    let job_run = clearview_chain::retention::RetentionJob(e.deps.clone());
    assert_eq!(job_run.run(e.clock.now()).await, Outcome::Done);
    let again = retention::enforce(&e.deps, e.clock.now()).await.expect("a second run");
    assert_eq!((again.resumes_deleted, again.candidates_erased), (0, 0), "[{}] {again:?}", f.name);
    let gone = f.get(&format!("/api/files/{file}"), &rejected_token).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "[{}] {:?}", f.name, gone.body);
    let got = e.deps.blobs.get(&key, 1 << 20).await;
    assert!(got.is_err(), "[{}] the object is gone: {key}", f.name);
    let audit = f.get("/api/audit?action=retention.resume_delete", &admin.token).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert_eq!(audit.body["items"][0]["actorId"], retention::SYSTEM_ACTOR, "{:?}", audit.body);
    assert_eq!(listed(&preview(f, &admin.token).await), vec![]);

    // Day 40: the kept candidate moves on (new activity); day 61: the two others are inactive.
    e.clock.advance(Duration::days(9));
    let moved = f.post(&format!("/api/applications/{kept_app}/advance-stage"), Some(&admin.token), json!({})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(e.pump(retention::QUEUE).await, 1);
    e.clock.advance(Duration::days(21));
    let p = preview(f, &admin.token).await;
    let mut due = vec![("erase_candidate".to_owned(), rejected.clone()), ("erase_candidate".to_owned(), idle.clone())];
    due.sort();
    assert_eq!(listed(&p), due, "[{}] {p:?}", f.name);
    assert!(p["items"][0]["reason"].as_str().unwrap().contains("2 months"), "{p:?}");

    assert_eq!(job_run.run(e.clock.now()).await, Outcome::Done);
    for gone in [&rejected, &idle] {
        let c = f.get(&format!("/api/candidates/{gone}"), &admin.token).await;
        assert_eq!(c.status, StatusCode::NOT_FOUND, "[{}] erased: {:?}", f.name, c.body);
    }
    let k = f.get(&format!("/api/candidates/{kept}"), &admin.token).await;
    assert_eq!(k.status, StatusCode::OK, "[{}] kept: {:?}", f.name, k.body);
    let tombs = f.get("/api/audit?action=candidate.erased", &admin.token).await;
    let tombs = tombs.body["items"].as_array().unwrap().clone();
    assert_eq!(tombs.len(), 2, "[{}] {tombs:?}", f.name);
    assert!(tombs.iter().all(|t| t["actorId"] == retention::SYSTEM_ACTOR), "{tombs:?}");
    let again = retention::enforce(&e.deps, e.clock.now()).await.expect("a rerun");
    assert_eq!((again.resumes_deleted, again.candidates_erased), (0, 0), "[{}] {again:?}", f.name);
    assert_eq!(listed(&preview(f, &admin.token).await), vec![]);
}

/// An export archive lives one day: then the status says `expired` (no link), and the daily run
/// deletes the archive with every stored version and marks the request; a rerun does nothing.
async fn export_archives_expire_after_their_lifetime_and_the_status_says_so(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Exporting").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Data Engineer")).await;
    let job = job.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
    let (token, _, _) = apply(f, &job, "Esme Exported").await;
    let asked = f.post("/api/privacy/exports", Some(&token), json!({})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "[{}] {:?}", f.name, asked.body);
    let id = asked.body["id"].as_str().unwrap().to_owned();
    assert_eq!(e.pump(clearview_core::services::privacy::QUEUE).await, 1);
    let path = format!("/api/privacy/requests/{id}");
    let done = f.get(&path, &token).await;
    assert_eq!(done.body["status"], "completed", "[{}] {:?}", f.name, done.body);
    assert!(done.body["downloadUrl"].is_string(), "{:?}", done.body);
    let key = done.body["objectKey"].as_str().expect("the archive's key").to_owned();
    assert!(e.deps.blobs.get(&key, 1 << 24).await.is_ok(), "[{}] the archive is stored", f.name);

    // Within its day a run keeps it; after it, the status says expired at once …
    assert_eq!(retention::enforce(&e.deps, e.clock.now()).await.unwrap().exports_expired, 0);
    e.clock.advance(Duration::days(1) + Duration::minutes(1));
    let expired = f.get(&path, &token).await;
    assert_eq!(expired.body["status"], "expired", "[{}] {:?}", f.name, expired.body);
    assert!(expired.body.get("downloadUrl").is_none(), "{:?}", expired.body);
    // … and the daily run deletes it (every version); a rerun finds nothing.
    let job_run = clearview_chain::retention::RetentionJob(e.deps.clone());
    assert_eq!(job_run.run(e.clock.now()).await, Outcome::Done);
    assert!(e.deps.blobs.get(&key, 1 << 24).await.is_err(), "[{}] the archive is deleted", f.name);
    let after = f.get(&path, &token).await;
    assert_eq!((after.body["status"].clone(), after.body["objectKey"].clone()), (json!("expired"), Value::Null));
    assert_eq!(retention::enforce(&e.deps, e.clock.now()).await.unwrap().exports_expired, 0);
}

macro_rules! retention_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn rules_are_enforced_daily_from_the_due_index_with_a_dry_run_listing_what_goes() {
            super::rules_are_enforced_daily_from_the_due_index_with_a_dry_run_listing_what_goes(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn export_archives_expire_after_their_lifetime_and_the_status_says_so() {
            super::export_archives_expire_after_their_lifetime_and_the_status_says_so(&$env().await).await;
        }
    };
}

/// A fixed clock at the present (tokens are signed and checked on the real one).
fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at(time::OffsetDateTime::now_utc()))
}

mod embedded {
    use super::*;
    use clearview_core::ports::crypto::AesGcmSealer;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-retention-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let clock = clock();
        let mut deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
        deps.clock = clock.clone();
        let family = clearview_tests::families::embedded(&local, deps.clone());
        let queues = local.queues.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> Fut<usize> {
            let queues = queues.clone();
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        let router = family.router.clone();
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> Fut<u16> {
            let router = router.clone();
            Box::pin(async move {
                use tower::ServiceExt;
                let url = ticket["url"].as_str().unwrap().to_owned();
                let path = url[url.find("/local-blobs").unwrap()..].to_owned();
                let mut req = axum::http::Request::builder().method("PUT").uri(path);
                for (k, v) in ticket["headers"].as_object().into_iter().flatten() {
                    req = req.header(k.as_str(), v.as_str().unwrap_or(""));
                }
                let res = router.oneshot(req.body(axum::body::Body::from(bytes)).unwrap()).await.unwrap();
                res.status().as_u16()
            })
        });
        Env { family, deps, clock, pump, upload }
    }

    retention_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::UuidV7;
    use clearview_core::ports::crypto::AesGcmSealer;

    async fn env() -> Env {
        let moto = Moto::pick().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let clock = clock();
        let deps = Deps::new(
            store.clone(),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            clock.clone(),
            Arc::new(UuidV7),
        )
        .with_blobs(Arc::new(chain.blobs.clone()))
        .with_queues(Arc::new(chain.queues.clone()))
        .with_events(Arc::new(chain.events.clone()))
        .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
        let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> Fut<usize> {
            let chain = chain.clone();
            Box::pin(async move {
                let mut n = 0;
                loop {
                    let got =
                        clearview_tests::pump::moto(&chain, consumer.as_ref(), std::time::Duration::from_secs(1)).await;
                    if got == 0 {
                        return n;
                    }
                    n += got;
                }
            })
        });
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> Fut<u16> {
            Box::pin(async move {
                let ticket: clearview_core::ports::blobs::UploadTicket = serde_json::from_value(ticket).unwrap();
                clearview_aws::testing::upload(&ticket, bytes).await.0
            })
        });
        Env { family, deps, clock, pump, upload }
    }

    retention_tests!(env);
}
