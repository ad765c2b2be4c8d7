//! Personal data (issue 12) at the API level, on both adapter families: a candidate seeded
//! across every store (profile, resume upload parsed through the chain, application with its
//! score, hold note, reminder, interview, job alert, skill assessment, mail) exports it all as a
//! zip, is erased, and then every store is searched byte by byte — every table item (a full
//! dump or scan, in the test only), every version of every object, the accounts, the queued
//! messages, the held mail — for their name, email, phone and resume bytes.

use axum::http::StatusCode;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, WorkQueue};
use clearview_tests::api::{Admin, BoxFut, Family, job_body};
use serde_json::{Value, json};
use std::io::Read;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Fut<T> = BoxFut<'static, T>;
/// A download's status and bytes.
type Downloaded = (u16, Vec<u8>);

struct Env {
    family: Family,
    deps: Deps,
    /// Runs a consumer over its queue until it is empty: how many messages it handled.
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> Fut<usize> + Send + Sync>,
    /// PUTs a file to an upload URL the API granted.
    upload: Box<dyn Fn(Value, Vec<u8>) -> Fut<u16> + Send + Sync>,
    /// GETs a download URL the API granted: status and bytes.
    download: Box<dyn Fn(String) -> Fut<Downloaded> + Send + Sync>,
    /// Every byte the family holds: table items, accounts, queued messages (taken off the
    /// queues), every version of every object, held mail.
    everything: Box<dyn Fn() -> Fut<Vec<u8>> + Send + Sync>,
}

impl Env {
    async fn pump(&self, queue: WorkQueue) -> usize {
        let c = clearview_chain::all(&self.deps).into_iter().find(|c| c.queue() == queue).expect("a consumer");
        (self.pump)(c).await
    }
}

/// A person nobody else in any test is.
struct Person {
    name: String,
    email: String,
    phone: String,
    resume: Vec<u8>,
    marker: String,
}

impl Person {
    fn new() -> Self {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("Zephyrine Quillfeather{}", &tag[..6]);
        let email = format!("zq-{tag}@mail.example");
        let phone = format!("+49 151 {} {}", &digits(&tag)[..4], &digits(&tag)[4..8]);
        let marker = format!("Reference QX{}", &tag[6..18]);
        let resume = format!(
            "{name}\nBerlin, Germany | {email} | {phone}\n\nEMPLOYMENT HISTORY\nBackend Engineer - Northwind Systems - 06/2019 to present\n  * Built Rust services on PostgreSQL and Kubernetes.\n\nEDUCATION\nBSc Computer Science, TU Berlin, 2018\n\nSKILLS\nRust, PostgreSQL, Kubernetes\n\n{marker}\n"
        )
        .into_bytes();
        Person { name, email, phone, resume, marker }
    }

    /// What must not be found anywhere after the erasure (lowercased: search tokens are).
    fn needles(&self) -> Vec<(&'static str, String)> {
        let first = self.name.split(' ').next().unwrap_or_default().to_owned();
        let last = self.name.split(' ').nth(1).unwrap_or_default().to_owned();
        let e164: String = self.phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        vec![
            ("name", self.name.to_lowercase()),
            ("first name", first.to_lowercase()),
            ("last name", last.to_lowercase()),
            ("email", self.email.to_lowercase()),
            ("phone", self.phone.to_lowercase()),
            ("phone digits", e164.trim_start_matches('+').to_owned()),
            ("phone (E.164)", e164),
            ("resume bytes", self.marker.to_lowercase()),
        ]
    }
}

fn digits(hex: &str) -> String {
    hex.bytes().map(|b| char::from(b'0' + b % 10)).collect()
}

/// Which needles occur in the haystack (case-insensitive), each with some context.
fn traces(hay: &[u8], p: &Person) -> Vec<String> {
    let lower = hay.to_ascii_lowercase();
    let mut found = Vec::new();
    for (what, needle) in p.needles() {
        if let Some(at) = lower.windows(needle.len()).position(|w| w == needle.as_bytes()) {
            let from = at.saturating_sub(160);
            let to = (at + needle.len() + 160).min(hay.len());
            found.push(format!("{what}: …{}…", String::from_utf8_lossy(&hay[from..to])));
        }
    }
    if !p.resume.is_empty() && hay.windows(p.resume.len()).any(|w| w == p.resume.as_slice()) {
        found.push("the whole resume file".into());
    }
    found
}

async fn publish(f: &Family, admin: &Admin) -> String {
    let created = f.post("/api/jobs", Some(&admin.token), job_body("Backend Engineer")).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "[{}] {:?}", f.name, p.body);
    id
}

async fn sign_up(f: &Family, p: &Person) -> (String, String) {
    let password = "Cand1date!pw";
    let reg = f
        .post(
            "/api/candidates",
            None,
            json!({"email": p.email, "password": password, "name": p.name, "phone": p.phone, "location": "Berlin, Germany"}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "[{}] sign-up: {:?}", f.name, reg.body);
    let code = (f.code_for)(p.email.clone()).await;
    let confirmed = f.post("/api/auth/confirm", None, json!({"email": p.email, "code": code})).await;
    assert_eq!(confirmed.status, StatusCode::NO_CONTENT, "{:?}", confirmed.body);
    let tokens = f.post("/api/auth/login", None, json!({"email": p.email, "password": password})).await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    (tokens.body["idToken"].as_str().unwrap().to_owned(), reg.body["id"].as_str().unwrap().to_owned())
}

fn at(days: i64, hour: u8) -> String {
    let d = (OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    d.with_hms(hour, 0, 0).unwrap().assume_utc().format(&Rfc3339).unwrap()
}

/// Seeds the person everywhere: returns (candidate token, candidate id, application id).
async fn seed(e: &Env, admin: &Admin, p: &Person) -> (String, String, String) {
    let f = &e.family;
    let job = publish(f, admin).await;
    let (token, id) = sign_up(f, p).await;
    let app = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
    assert_eq!(app.status, StatusCode::CREATED, "[{}] {:?}", f.name, app.body);
    let app = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{app}/resume-upload-url"),
            Some(&token),
            json!({"contentType": "text/plain", "fileName": "zephyrine.txt"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    assert_eq!((e.upload)(grant.body["upload"].clone(), p.resume.clone()).await, 200);
    for q in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS, WorkQueue::EMAIL] {
        assert!(e.pump(q).await >= 1, "[{}] {q}", f.name);
    }
    let scored = f.get(&format!("/api/applications/{app}/ai-score"), &admin.token).await;
    assert_eq!(scored.status, StatusCode::OK, "[{}] scored: {:?}", f.name, scored.body);
    let mut second = p.resume.clone();
    second.extend_from_slice(b"Updated.\n");
    // The same URL again: a second version of the same object (the bucket keeps both).
    assert_eq!((e.upload)(grant.body["upload"].clone(), second).await, 200);
    for q in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS, WorkQueue::EMAIL] {
        e.pump(q).await;
    }
    // Staff notes that name the person; a reminder; an interview.
    let note = format!("Call {} on {} first", p.name, p.phone);
    let held = f.post(&format!("/api/applications/{app}/hold"), Some(&admin.token), json!({"note": note})).await;
    assert_eq!(held.status, StatusCode::OK, "[{}] hold: {:?}", f.name, held.body);
    let reminder = f
        .post(
            &format!("/api/applications/{app}/reminders"),
            Some(&admin.token),
            json!({"dueAt": at(2, 9), "note": format!("Chase {}", p.email)}),
        )
        .await;
    assert_eq!(reminder.status, StatusCode::CREATED, "[{}] reminder: {:?}", f.name, reminder.body);
    let interview = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": id, "startsAt": at(3, 10), "durationMinutes": 60, "interviewerIds": [admin.user],
                   "location": format!("Meet {} at reception", p.name)}),
        )
        .await;
    assert_eq!(interview.status, StatusCode::CREATED, "[{}] interview: {:?}", f.name, interview.body);
    e.pump(clearview_chain::interviews::QUEUE).await;
    // Events in flight are consumed within seconds in production: let the webhooks consumer take
    // its copies (the organisation has no subscription, so nothing is sent or kept).
    e.pump(clearview_chain::webhooks::QUEUE).await;
    // The candidate's own records: a job alert and a skill assessment.
    let alert = f.post("/api/job-alerts", Some(&token), json!({"skills": ["Rust"], "locations": ["Berlin"]})).await;
    assert_eq!(alert.status, StatusCode::CREATED, "[{}] alert: {:?}", f.name, alert.body);
    let skill = f
        .post("/api/skills/assess", Some(&token), json!({"skill": "Rust", "proficiency": "advanced", "years": 5}))
        .await;
    assert!(skill.status.is_success(), "[{}] skill: {:?}", f.name, skill.body);
    (token, id, app)
}

async fn run_request(e: &Env, token: &str, path: &str, body: Value) -> Value {
    let f = &e.family;
    let asked = f.post(path, Some(token), body).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "[{}] {path}: {:?}", f.name, asked.body);
    assert_eq!(asked.body["status"], "queued");
    let id = asked.body["id"].as_str().unwrap().to_owned();
    assert_eq!(e.pump(clearview_core::services::privacy::QUEUE).await, 1, "[{}] one request", f.name);
    let done = f.get(&format!("/api/privacy/requests/{id}"), token).await;
    assert_eq!(done.status, StatusCode::OK, "[{}] {:?}", f.name, done.body);
    assert_eq!(done.body["status"], "completed", "[{}] {:?}", f.name, done.body);
    done.body
}

fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut out = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        out.insert(f.name().expect("an entry name").to_string(), body);
    }
    out
}

/// The export holds the profile, the application with its parsed resume, the interview, the
/// candidate's own records and the original file; the erasure then leaves no trace anywhere.
async fn an_erased_candidate_leaves_no_trace_in_any_store_after_a_full_export(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Erasing").await;
    let other = f.employer_admin("Elsewhere").await;
    let p = Person::new();
    let (token, id, app) = seed(e, &admin, &p).await;
    // A connection with a platform user: their side of it shows the candidate's name.
    let (mo, mo_id, _) = clearview_tests::api::platform_user(f, &["career_mentor"], "Mo", &[]).await;
    let asked = f.post("/api/network/connect", Some(&token), json!({"userId": mo_id})).await;
    assert_eq!(asked.status, StatusCode::CREATED, "[{}] {:?}", f.name, asked.body);
    let accepted = f.post(&format!("/api/network/connections/{id}/accept"), Some(&mo), json!({})).await;
    assert_eq!(accepted.status, StatusCode::OK, "[{}] {:?}", f.name, accepted.body);

    let before = (e.everything)().await;
    let seeded = traces(&before, &p);
    assert!(seeded.len() >= 6, "[{}] the seed reached the stores: {seeded:#?}", f.name);

    // Another organisation knows nothing of the candidate or the request.
    let theirs = f.post("/api/privacy/erasures", Some(&other.token), json!({"candidateId": id})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "[{}] {:?}", f.name, theirs.body);
    let bad = f.post("/api/privacy/exports", Some(&admin.token), json!({"candidateId": "nope"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "candidateId", "{:?}", bad.body);

    // Export: a zip with the JSON and the original file, behind a short-lived link.
    let export = run_request(e, &token, "/api/privacy/exports", json!({})).await;
    let request = export["id"].as_str().unwrap().to_owned();
    assert_eq!(f.get(&format!("/api/privacy/requests/{request}"), &other.token).await.status, StatusCode::NOT_FOUND);
    let url = export["downloadUrl"].as_str().expect("a download link").to_owned();
    let (status, bytes) = (e.download)(url).await;
    assert_eq!(status, 200, "[{}] download", f.name);
    let files = unzip(&bytes);
    let names: Vec<&String> = files.keys().collect();
    let profile: Value = serde_json::from_slice(&files["profile.json"]).unwrap();
    assert_eq!(profile["email"], p.email.as_str(), "{names:?}");
    assert_eq!(profile["name"], p.name.as_str());
    let apps: Value = serde_json::from_slice(&files["applications.json"]).unwrap();
    assert_eq!(apps[0]["application"]["id"], app.as_str());
    assert!(apps[0]["stageResults"].as_array().unwrap().len() >= 3, "parsed, anonymised, score: {:?}", apps[0]);
    let interviews: Value = serde_json::from_slice(&files["interviews.json"]).unwrap();
    assert_eq!(interviews.as_array().unwrap().len(), 1);
    let own = String::from_utf8_lossy(&files["candidate-records.json"]).to_string();
    assert!(own.contains("Rust") && own.contains("Berlin"), "alert and skills: {own}");
    let originals: Vec<&Vec<u8>> = files.iter().filter(|(n, _)| n.starts_with("files/")).map(|(_, b)| b).collect();
    assert_eq!(originals.len(), 1, "{names:?}");
    assert!(originals[0].starts_with(&p.resume), "the original file's bytes");

    // Erasure, asked by the candidate: everything, everywhere.
    let erased = run_request(e, &token, "/api/privacy/erasures", json!({})).await;
    let summary = &erased["erasure"];
    assert!(summary["objectVersionsDeleted"].as_u64().unwrap() >= 1, "{summary:?}");
    assert_eq!(summary["accountDeleted"], true, "{summary:?}");
    assert_eq!(summary["organisations"], 1, "{summary:?}");
    // A redelivery changes nothing: the request is done.
    let again = clearview_core::services::privacy::run(&e.deps, erased["id"].as_str().unwrap()).await;
    assert!(again.is_ok());

    // The export archive itself goes too (it is the person's data): delete it and look.
    let after = (e.everything)().await;
    let left = traces(&after, &p);
    assert!(left.is_empty(), "[{}] traces left after the erasure:\n{}", f.name, left.join("\n\n"));

    // They cannot sign in; staff find nothing; the audit log keeps a tombstone of ids only.
    let login = f.post("/api/auth/login", None, json!({"email": p.email, "password": "Cand1date!pw"})).await;
    assert!(login.status.is_client_error(), "[{}] {:?}", f.name, login.body);
    assert_eq!(f.get(&format!("/api/applications/{app}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/candidates/{id}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    let audit = f.get("/api/audit?action=candidate.erased", &admin.token).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    let tomb = &audit.body["items"][0];
    assert_eq!(tomb["targetId"], id.as_str(), "{:?}", audit.body);
    assert_eq!(
        (tomb["before"].clone(), tomb["after"].clone(), tomb["actorEmail"].clone()),
        (Value::Null, Value::Null, Value::Null)
    );
}

/// Staff with `privacy:manage` erase what their organisation holds, on request: the
/// candidate's application and record there go, their account and other employers' data stay.
async fn staff_erase_only_what_their_organisation_holds(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("StaffErase").await;
    let other = f.employer_admin("KeepsData").await;
    let p = Person::new();
    let (token, id, app) = seed(e, &admin, &p).await;
    let job = publish(f, &other).await;
    let kept = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
    assert_eq!(kept.status, StatusCode::CREATED, "{:?}", kept.body);
    let recruiter = f.staff(&admin, "recruiter").await.0;
    let refused = f.post("/api/privacy/erasures", Some(&recruiter), json!({"candidateId": id})).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "[{}] recruiters lack privacy:manage: {:?}",
        f.name,
        refused.body
    );
    let done = run_request(e, &admin.token, "/api/privacy/erasures", json!({"candidateId": id})).await;
    assert_eq!(done["erasure"]["accountDeleted"], false, "{:?}", done);
    assert_eq!(done["erasure"]["organisations"], 1);
    assert_eq!(f.get(&format!("/api/applications/{app}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/candidates/{id}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    let mine = f.get(&format!("/api/candidates/{id}/applications"), &token).await;
    assert_eq!(mine.status, StatusCode::OK, "[{}] the candidate still signs in: {:?}", f.name, mine.body);
    let left: Vec<&Value> = mine.body["items"].as_array().unwrap().iter().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["id"], kept.body["id"]);
}

/// Issue 15's `DELETE /api/files/{id}`: every stored version of the object goes, with the
/// results derived from it; another organisation gets 404, a recruiter 403.
async fn deleting_a_file_removes_every_version_and_what_was_derived_from_it(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("FileDelete").await;
    let other = f.employer_admin("NotTheirs").await;
    let p = Person::new();
    let job = publish(f, &admin).await;
    let (token, _id) = sign_up(f, &p).await;
    let app = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
    let app = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{app}/resume-upload-url"),
            Some(&token),
            json!({"contentType": "text/plain", "fileName": "cv.txt"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    let file = grant.body["fileId"].as_str().unwrap().to_owned();
    assert_eq!((e.upload)(grant.body["upload"].clone(), p.resume.clone()).await, 200);
    e.pump(WorkQueue::PARSE).await;
    let mut second = p.resume.clone();
    second.extend_from_slice(b"Second version.\n");
    assert_eq!((e.upload)(grant.body["upload"].clone(), second).await, 200);
    for q in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS] {
        e.pump(q).await;
    }
    let parsed = f.get(&format!("/api/applications/{app}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.status, StatusCode::OK, "[{}] {:?}", f.name, parsed.body);
    assert!(traces(&(e.everything)().await, &p).iter().any(|t| t.starts_with("resume bytes")));

    let path = format!("/api/files/{file}");
    assert_eq!(f.delete(&path, &other.token).await.status, StatusCode::NOT_FOUND, "another organisation");
    let recruiter = f.staff(&admin, "recruiter").await.0;
    assert_eq!(f.delete(&path, &recruiter).await.status, StatusCode::FORBIDDEN, "recruiters lack applications:delete");
    let gone = f.delete(&path, &token).await;
    assert_eq!(gone.status, StatusCode::OK, "[{}] {:?}", f.name, gone.body);
    assert_eq!(gone.body["fileId"], file.as_str());
    assert!(gone.body["objectVersionsDeleted"].as_u64().unwrap() >= 1, "{:?}", gone.body);
    assert!(gone.body["derivedItemsDeleted"].as_u64().unwrap() >= 3, "parsed, anonymised, score …: {:?}", gone.body);
    assert_eq!(f.get(&path, &token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.delete(&path, &token).await.status, StatusCode::NOT_FOUND);
    let parsed = f.get(&format!("/api/applications/{app}/parsed-resume"), &admin.token).await;
    assert!(
        parsed.status == StatusCode::NOT_FOUND || parsed.status == StatusCode::CONFLICT,
        "[{}] {:?}",
        f.name,
        parsed.body
    );
    let left: Vec<String> = traces(&(e.everything)().await, &p)
        .into_iter()
        .filter(|t| t.starts_with("resume bytes") || t.contains("whole"))
        .collect();
    assert!(left.is_empty(), "[{}] the file is still stored: {left:#?}", f.name);
}

macro_rules! privacy_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn an_erased_candidate_leaves_no_trace_in_any_store_after_a_full_export() {
            super::an_erased_candidate_leaves_no_trace_in_any_store_after_a_full_export(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn deleting_a_file_removes_every_version_and_what_was_derived_from_it() {
            super::deleting_a_file_removes_every_version_and_what_was_derived_from_it(&$env().await).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn staff_erase_only_what_their_organisation_holds() {
            super::staff_erase_only_what_their_organisation_holds(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_core::ports::crypto::AesGcmSealer;
    use clearview_local::LocalFamily;

    fn files_under(dir: &std::path::Path, out: &mut Vec<u8>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                files_under(&path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.extend_from_slice(path.to_string_lossy().as_bytes());
                out.push(b'\n');
                out.extend_from_slice(&bytes);
                out.push(b'\n');
            }
        }
    }

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-privacy-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
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
        let router = family.router.clone();
        let download = Box::new(move |url: String| -> Fut<Downloaded> {
            let router = router.clone();
            Box::pin(async move {
                use http_body_util::BodyExt;
                use tower::ServiceExt;
                let path = url[url.find("/local-blobs").unwrap()..].to_owned();
                let req = axum::http::Request::builder().method("GET").uri(path).body(axum::body::Body::empty());
                let res = router.oneshot(req.unwrap()).await.unwrap();
                let status = res.status().as_u16();
                (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
            })
        });
        let (store, data) = (local.store.clone(), local.data_dir.clone());
        let everything = Box::new(move || -> Fut<Vec<u8>> {
            let (store, data) = (store.clone(), data.clone());
            Box::pin(async move {
                // The database (items, accounts, queues) and every file: blobs, outbox.
                let mut out = store.dump_all().expect("dump");
                files_under(&data, &mut out);
                out
            })
        });
        Env { family, deps, pump, upload, download, everything }
    }

    privacy_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::crypto::AesGcmSealer;
    use std::time::Duration;

    async fn env() -> Env {
        let moto = Moto::pick().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let pool_id = p.pool.pool_id.clone();
        let chain = moto.chain().await;
        let deps = Deps::new(
            store.clone(),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        )
        .with_blobs(Arc::new(chain.blobs.clone()))
        .with_malware(Arc::new(chain.malware()))
        .with_queues(Arc::new(chain.queues.clone()))
        .with_events(Arc::new(chain.events.clone()))
        .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
        let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
        let pump_chain = chain.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> Fut<usize> {
            let chain = pump_chain.clone();
            Box::pin(async move {
                let mut n = 0;
                loop {
                    let got = clearview_tests::pump::moto(&chain, consumer.as_ref(), Duration::from_secs(1)).await;
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
        let download = Box::new(move |url: String| -> Fut<Downloaded> {
            Box::pin(async move {
                let (status, _, body) = clearview_aws::testing::download(&url).await;
                (status, body)
            })
        });
        let (table, dynamo, cognito) = (store.table_name().to_owned(), moto.dynamodb(), moto.cognito());
        let everything = Box::new(move || -> Fut<Vec<u8>> {
            let (table, dynamo, cognito, chain, pool_id) =
                (table.clone(), dynamo.clone(), cognito.clone(), chain.clone(), pool_id.clone());
            Box::pin(async move {
                let mut out = Vec::new();
                // Every item of the table (a scan: the test's own table only).
                let mut start = None;
                loop {
                    let page =
                        dynamo.scan().table_name(&table).set_exclusive_start_key(start).send().await.expect("scan");
                    out.extend_from_slice(format!("{:?}\n", page.items()).as_bytes());
                    match page.last_evaluated_key() {
                        Some(k) if !k.is_empty() => start = Some(k.clone()),
                        _ => break,
                    }
                }
                // Every version (and delete marker) of every object, with its bytes.
                let listed = chain.s3.list_object_versions().bucket(&chain.bucket).send().await.expect("versions");
                for v in listed.versions() {
                    let (key, version) = (v.key().unwrap_or_default(), v.version_id().unwrap_or_default());
                    out.extend_from_slice(format!("{key}@{version}\n").as_bytes());
                    let got = chain.s3.get_object().bucket(&chain.bucket).key(key).version_id(version).send().await;
                    if let Ok(o) = got {
                        out.extend_from_slice(&o.body.collect().await.unwrap().into_bytes());
                    }
                }
                for m in listed.delete_markers() {
                    out.extend_from_slice(format!("{:?}\n", m.key()).as_bytes());
                }
                // The user pool's accounts.
                let users = cognito.list_users().user_pool_id(&pool_id).send().await.expect("users");
                out.extend_from_slice(format!("{:?}\n", users.users()).as_bytes());
                // Messages still on any queue or dead-letter queue (taken off).
                for urls in chain.queue_urls.values() {
                    for url in [&urls.queue, &urls.dead_letter] {
                        for m in chain.receive_all(url, Duration::from_millis(0)).await {
                            out.extend_from_slice(m.body.as_bytes());
                            out.push(b'\n');
                        }
                    }
                }
                out
            })
        });
        Env { family, deps, pump, upload, download, everything }
    }

    privacy_tests!(env);
}
