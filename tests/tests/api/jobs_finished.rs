//! Jobs, finished — versions and restore (a deletion included), templates, CSV bulk import, rich
//! descriptions and job alerts — at the API level, the same on both adapter families: the
//! embedded default (SQLite, local queues) and the AWS family (DynamoDB, SNS → SQS, SES) on moto.

use axum::http::{Method, StatusCode};
use clearview_chain::alerts::{JobAlertsConsumer, JobAlertsDigest};
use clearview_core::Deps;

use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage};
use clearview_core::ports::store::Query;
use clearview_tests::api::{Admin, Answer, BoxFut, Call, Family, candidate, job_body};
use clearview_tests::mail::Recording;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// One family with what the alert scenarios also need: the ports, a way to run the queued
/// `job-alerts` messages through their consumer, and the mail the chain sent.
pub struct Env {
    family: Family,
    deps: Deps,
    /// Delivers what is on the `job-alerts` queue to its consumer; returns how many it handled.
    pump: Box<dyn Fn() -> BoxFut<'static, usize> + Send + Sync>,
    sent: Arc<Recording>,
}

async fn raw(
    f: &Family,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&'static str, &str)],
    body: Vec<u8>,
) -> Answer {
    let headers: Vec<(&'static str, String)> = headers.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    f.send_bytes(method, path, Some(token), &headers, body).await
}

async fn post_csv(f: &Family, token: &str, csv: &str, key: Option<&str>) -> Answer {
    let mut headers = vec![("content-type", "text/csv; charset=utf-8")];
    if let Some(k) = key {
        headers.push(("idempotency-key", k));
    }
    raw(f, Method::POST, "/api/jobs/import", token, &headers, csv.as_bytes().to_vec()).await
}

fn with_if_match<'a>(method: Method, path: String, token: &'a str, body: Option<Value>, etag: &str) -> Call<'a> {
    Call { method, path, token: Some(token), body, headers: vec![("if-match", etag.to_owned())] }
}

async fn new_job(f: &Family, admin: &Admin, title: &str) -> String {
    let created = f.post("/api/jobs", Some(&admin.token), job_body(title)).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

fn edit(title: &str, description: &str) -> Value {
    json!({"title": title, "jobType": "full-time", "description": description, "location": "Berlin, Germany"})
}

async fn audit_actions(f: &Family, admin: &Admin) -> Vec<Value> {
    let page = f.store.query(&Query::table(format!("ORG#{}#AUDIT", admin.org)).limit(1000)).await.unwrap();
    page.items.into_iter().map(|i| i.data).collect()
}

async fn restoring_a_version_brings_back_its_content_and_is_audited(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let id = new_job(f, &admin, "Backend Engineer").await;
    let v2 = f
        .send(with_if_match(
            Method::PUT,
            format!("/api/jobs/{id}"),
            &admin.token,
            Some(edit("Platform Engineer", "Run the platform.")),
            "\"1\"",
        ))
        .await;
    assert_eq!(v2.status, StatusCode::OK, "{:?}", v2.body);
    let v3 = f
        .send(with_if_match(
            Method::PUT,
            format!("/api/jobs/{id}"),
            &admin.token,
            Some(edit("Staff Engineer", "Lead the platform.")),
            "\"2\"",
        ))
        .await;
    assert_eq!(v3.header("etag"), Some("\"3\""), "{:?}", v3.body);

    // Every change kept the version it replaced: newest first, a cursor for the rest.
    let first = f.get(&format!("/api/jobs/{id}/versions?limit=1"), &admin.token).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["items"][0]["version"], 2);
    assert_eq!(first.body["items"][0]["job"]["title"], "Platform Engineer");
    assert_eq!(first.body["items"][0]["change"], "job.update");
    let cursor = first.body["nextCursor"].as_str().expect("a second page");
    let second = f.get(&format!("/api/jobs/{id}/versions?limit=1&cursor={cursor}"), &admin.token).await;
    assert_eq!(second.body["items"][0]["version"], 1);
    assert_eq!(second.body["items"][0]["job"]["title"], "Backend Engineer");
    assert_eq!(second.body["items"][0]["job"]["criteria"]["requiredSkills"], json!(["Rust", "PostgreSQL"]));
    let one = f.get(&format!("/api/jobs/{id}/versions/1"), &admin.token).await;
    assert_eq!((one.status, &one.body["job"]["title"]), (StatusCode::OK, &json!("Backend Engineer")));

    // Restoring needs the current version: none is 428, a stale one 412.
    let restore = format!("/api/jobs/{id}/versions/1/restore");
    let missing = f
        .send(Call {
            method: Method::POST,
            path: restore.clone(),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED, "{:?}", missing.body);
    let stale = f.send(with_if_match(Method::POST, restore.clone(), &admin.token, None, "\"2\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.header("content-type"), Some("application/problem+json"));
    let restored = f.send(with_if_match(Method::POST, restore.clone(), &admin.token, None, "\"3\"")).await;
    assert_eq!(restored.status, StatusCode::OK, "{:?}", restored.body);
    assert_eq!(restored.header("etag"), Some("\"4\""));
    assert_eq!(restored.body["title"], "Backend Engineer");
    assert_eq!(restored.body["description"], "Design and run the screening API.");
    assert_eq!(restored.body["status"], "draft");
    let now = f.get(&format!("/api/jobs/{id}"), &admin.token).await;
    assert_eq!((now.body["title"].clone(), now.body["version"].clone()), (json!("Backend Engineer"), json!(4)));
    // The version it replaced is kept like any other.
    let newest = f.get(&format!("/api/jobs/{id}/versions?limit=1"), &admin.token).await;
    assert_eq!(
        (newest.body["items"][0]["version"].clone(), newest.body["items"][0]["change"].clone()),
        (json!(3), json!("job.restore"))
    );

    let audit = audit_actions(f, &admin).await;
    let entry = audit.iter().find(|a| a["action"] == "job.restore").expect("an audit record of the restore");
    assert_eq!(entry["actorId"], admin.user.as_str());
    assert_eq!(entry["before"]["title"], "Staff Engineer");
    assert_eq!(entry["after"]["title"], "Backend Engineer");
    assert_eq!(entry["after"]["restoredFromVersion"], 1);

    // A version that does not exist, and another tenant, are 404.
    assert_eq!(f.get(&format!("/api/jobs/{id}/versions/99"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/jobs/{id}/versions/x"), &admin.token).await.status, StatusCode::NOT_FOUND);
    let other = f.employer_admin("Globex").await;
    assert_eq!(f.get(&format!("/api/jobs/{id}/versions"), &other.token).await.status, StatusCode::NOT_FOUND);
    let theirs = f.send(with_if_match(Method::POST, restore, &other.token, None, "\"4\"")).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    // A viewer reads versions but may not restore.
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(f.get(&format!("/api/jobs/{id}/versions"), &viewer).await.status, StatusCode::OK);
    let denied =
        f.send(with_if_match(Method::POST, format!("/api/jobs/{id}/versions/2/restore"), &viewer, None, "\"4\"")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

async fn a_deleted_job_stays_readable_and_restoring_it_brings_it_back_as_a_draft(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let id = new_job(f, &admin, "Data Engineer").await;
    let v2 = f
        .send(with_if_match(
            Method::PUT,
            format!("/api/jobs/{id}"),
            &admin.token,
            Some(edit("Data Engineer II", "Pipelines.")),
            "\"1\"",
        ))
        .await;
    assert_eq!(v2.status, StatusCode::OK, "{:?}", v2.body);
    let deleted = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/jobs/{id}"),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    assert_eq!(f.get(&format!("/api/jobs/{id}"), &admin.token).await.status, StatusCode::NOT_FOUND);

    // The deleted draft's last version survives the deletion.
    let versions = f.get(&format!("/api/jobs/{id}/versions"), &admin.token).await;
    assert_eq!(versions.status, StatusCode::OK, "{:?}", versions.body);
    let items = versions.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!((items[0]["version"].clone(), items[0]["change"].clone()), (json!(2), json!("job.delete")));
    assert_eq!(items[0]["job"]["title"], "Data Engineer II");

    // Restoring names the version it had when deleted.
    let restore = format!("/api/jobs/{id}/versions/1/restore");
    let stale = f.send(with_if_match(Method::POST, restore.clone(), &admin.token, None, "\"1\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let back = f.send(with_if_match(Method::POST, restore.clone(), &admin.token, None, "\"2\"")).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(
        (back.body["title"].clone(), back.body["status"].clone(), back.body["version"].clone()),
        (json!("Data Engineer"), json!("draft"), json!(3))
    );
    let again = f.send(with_if_match(Method::POST, restore, &admin.token, None, "\"2\"")).await;
    assert_eq!(again.status, StatusCode::PRECONDITION_FAILED, "restored once: {:?}", again.body);
    assert_eq!(f.get(&format!("/api/jobs/{id}"), &admin.token).await.body["title"], "Data Engineer");
    let drafts = f.get("/api/jobs?status=draft", &admin.token).await;
    assert!(drafts.body["items"].as_array().unwrap().iter().any(|j| j["id"] == id.as_str()));
    let audit = audit_actions(f, &admin).await;
    let undelete = audit.iter().find(|a| a["action"] == "job.restore").expect("audited");
    assert!(undelete["before"].is_null());
    assert_eq!(undelete["after"]["restoredFromVersion"], 1);

    // A published job is cancelled by DELETE; restoring one of its versions reopens it as a draft.
    let live = new_job(f, &admin, "Site Reliability Engineer").await;
    assert_eq!(
        f.post(&format!("/api/jobs/{live}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    f.send(Call {
        method: Method::DELETE,
        path: format!("/api/jobs/{live}"),
        token: Some(&admin.token),
        body: None,
        headers: vec![],
    })
    .await;
    let cancelled = f.get(&format!("/api/jobs/{live}"), &admin.token).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let etag = cancelled.header("etag").unwrap().to_owned();
    let reopened = f
        .send(with_if_match(Method::POST, format!("/api/jobs/{live}/versions/1/restore"), &admin.token, None, &etag))
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{:?}", reopened.body);
    assert_eq!(reopened.body["status"], "draft");
    assert!(reopened.body["publishedAt"].is_null());
}

async fn a_job_saved_as_a_template_starts_new_drafts_and_templates_are_per_organisation(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let mut body = job_body("Backend Engineer");
    body["deadline"] = json!("2099-12-31");
    body["department"] = json!("Platform");
    let job = f.post("/api/jobs", Some(&admin.token), body).await;
    let id = job.body["id"].as_str().unwrap();
    let bad = f.post(&format!("/api/jobs/{id}/save-as-template"), Some(&admin.token), json!({"name": "  "})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "name");
    let saved = f
        .post(&format!("/api/jobs/{id}/save-as-template"), Some(&admin.token), json!({"name": "Standard backend"}))
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{:?}", saved.body);
    let tid = saved.body["id"].as_str().unwrap().to_owned();
    assert_eq!(saved.header("location"), Some(format!("/api/job-templates/{tid}").as_str()));
    assert_eq!(saved.body["content"]["title"], "Backend Engineer");
    assert!(saved.body["content"]["deadline"].is_null(), "a template keeps no deadline");
    assert_eq!(saved.body["sourceJobId"], id);

    let listed = f.get("/api/job-templates", &admin.token).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let got = f.get(&format!("/api/job-templates/{tid}"), &admin.token).await;
    assert_eq!((got.status, got.header("etag")), (StatusCode::OK, Some("\"1\"")));

    let made = f.post(&format!("/api/job-templates/{tid}/jobs"), Some(&admin.token), json!(null)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_ne!(made.body["id"], id);
    assert_eq!(made.body["status"], "draft");
    assert_eq!(made.body["title"], "Backend Engineer");
    assert_eq!(made.body["department"], "Platform");
    assert_eq!(made.body["criteria"]["requiredSkills"], json!(["Rust", "PostgreSQL"]));
    assert!(made.body["adLanguage"].is_object());
    let actions: Vec<Value> = audit_actions(f, &admin).await.into_iter().map(|a| a["action"].clone()).collect();
    assert!(
        actions.contains(&json!("job_template.create")) && actions.contains(&json!("job.create_from_template")),
        "{actions:?}"
    );

    // Another organisation sees none of it.
    let other = f.employer_admin("Globex").await;
    assert_eq!(f.get(&format!("/api/job-templates/{tid}"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert!(f.get("/api/job-templates", &other.token).await.body["items"].as_array().unwrap().is_empty());
    let theirs = f.post(&format!("/api/job-templates/{tid}/jobs"), Some(&other.token), json!(null)).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(
        f.post(&format!("/api/job-templates/{tid}/jobs"), Some(&viewer), json!(null)).await.status,
        StatusCode::FORBIDDEN
    );

    let gone = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/job-templates/{tid}"),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    assert_eq!(f.get(&format!("/api/job-templates/{tid}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.get(&format!("/api/jobs/{}", made.body["id"].as_str().unwrap()), &admin.token).await.status,
        StatusCode::OK
    );
}

const IMPORT: &str = "\
Title,Job Type,Location,Department,Description,Description Format,Required Skills,Salary Min,Salary Max,Is Remote
Backend Engineer,full-time,\"Berlin, Germany\",Platform,\"Build our **API** in Rust.\",markdown,Rust;PostgreSQL,70000,90000,false
Data Analyst,permanent-ish,Paris,Data,Dashboards.,,,,,
Designer,part-time,Lisbon,Design,Design things.,,,90000,80000,no
backend engineer,contract,\"berlin,  germany\",PLATFORM,Same job again.,,,,,
Existing Role,full-time,Madrid,Ops,Already posted by hand.,,,,,
Remote Writer,contract,,Content,Write docs.,,,,,yes
Too,short,x
";

async fn a_csv_import_reports_each_row_and_a_rerun_creates_nothing_twice(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let existing = f
        .post("/api/jobs", Some(&admin.token), json!({"title": "EXISTING ROLE", "jobType": "full-time", "description": "By hand.", "location": "madrid", "department": "ops"}))
        .await;
    let existing_id = existing.body["id"].as_str().unwrap().to_owned();

    let report = post_csv(f, &admin.token, IMPORT, Some("import-1")).await;
    assert_eq!(report.status, StatusCode::OK, "[{}] {:?}", f.name, report.body);
    let r = &report.body;
    assert_eq!(
        (r["rows"].clone(), r["created"].clone(), r["refused"].clone(), r["duplicates"].clone()),
        (json!(7), json!(2), json!(3), json!(2)),
        "{r}"
    );
    let row = |n: usize| r["results"][n - 1].clone();
    assert_eq!(
        (row(1)["row"].clone(), row(1)["line"].clone(), row(1)["outcome"].clone()),
        (json!(1), json!(2), json!("created"))
    );
    let backend = row(1)["jobId"].as_str().unwrap().to_owned();
    // Refused rows say which field and why, with the rules of POST /api/jobs.
    assert_eq!(row(2)["outcome"], "refused");
    assert_eq!(row(2)["errors"][0]["field"], "jobType");
    assert_eq!(row(3)["outcome"], "refused");
    assert_eq!(row(3)["errors"][0]["field"], "salaryMin");
    assert_eq!(row(3)["errors"][0]["reason"], "must not exceed salaryMax");
    // Same title, location and department, case and spacing aside: a duplicate, pointing at it.
    assert_eq!((row(4)["outcome"].clone(), row(4)["jobId"].clone()), (json!("duplicate"), json!(backend)));
    assert_eq!((row(5)["outcome"].clone(), row(5)["jobId"].clone()), (json!("duplicate"), json!(existing_id)));
    assert_eq!(row(6)["outcome"], "created");
    assert_eq!(row(7)["outcome"], "refused");
    assert_eq!(row(7)["errors"][0]["reason"], "has 3 fields; the header has 10");
    assert!(row(1)["errors"].as_array().unwrap().is_empty());

    let job = f.get(&format!("/api/jobs/{backend}"), &admin.token).await;
    assert_eq!(job.body["status"], "draft");
    assert_eq!(job.body["location"], "Berlin, Germany");
    assert_eq!(job.body["descriptionFormat"], "html");
    assert_eq!(job.body["description"], "<p>Build our <strong>API</strong> in Rust.</p>");
    assert_eq!(job.body["criteria"]["requiredSkills"], json!(["Rust", "PostgreSQL"]));
    assert_eq!(job.body["salaryMax"], 90000);
    let writer = f.get(&format!("/api/jobs/{}", row(6)["jobId"].as_str().unwrap()), &admin.token).await;
    assert_eq!((writer.body["isRemote"].clone(), writer.body["location"].clone()), (json!(true), Value::Null));
    let imported = audit_actions(f, &admin).await.iter().filter(|a| a["action"] == "job.import").count();
    assert_eq!(imported, 2, "each created row is audited");

    // The same key replays the report; the same file again creates nothing.
    let replay = post_csv(f, &admin.token, IMPORT, Some("import-1")).await;
    assert_eq!(replay.body, report.body);
    let rerun = post_csv(f, &admin.token, IMPORT, None).await;
    assert_eq!(rerun.status, StatusCode::OK, "{:?}", rerun.body);
    assert_eq!(
        (rerun.body["created"].clone(), rerun.body["duplicates"].clone()),
        (json!(0), json!(4)),
        "{}",
        rerun.body
    );
    assert_eq!(rerun.body["results"][0]["jobId"], backend.as_str());
    let all = f.get("/api/jobs?limit=100", &admin.token).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3, "the hand-made job and two imported ones");

    // A closed job is no longer a duplicate: the row is created again.
    assert_eq!(
        f.post(&format!("/api/jobs/{backend}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        f.post(&format!("/api/jobs/{backend}/close"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    let again = post_csv(f, &admin.token, "title,jobType,location,department,description\nBackend Engineer,full-time,\"Berlin, Germany\",Platform,Again.\n", None).await;
    assert_eq!(again.body["results"][0]["outcome"], "created", "{}", again.body);
}

async fn two_imports_of_the_same_file_at_once_create_each_job_once(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let mut csv = String::from("title,jobType,description,location\n");
    for i in 0..20 {
        csv.push_str(&format!("Role {i},full-time,Text,Berlin\n"));
    }
    let (a, b) = tokio::join!(post_csv(f, &admin.token, &csv, Some("a")), post_csv(f, &admin.token, &csv, Some("b")));
    assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK), "{:?} {:?}", a.body, b.body);
    let created = a.body["created"].as_u64().unwrap() + b.body["created"].as_u64().unwrap();
    let duplicates = a.body["duplicates"].as_u64().unwrap() + b.body["duplicates"].as_u64().unwrap();
    assert_eq!((created, duplicates), (20, 20), "{} {}", a.body, b.body);
    let all = f.get("/api/jobs?limit=100", &admin.token).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 20);
}

async fn a_bad_csv_file_is_refused_whole_with_problem_json_and_creates_nothing(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let as_json =
        raw(f, Method::POST, "/api/jobs/import", &admin.token, &[("content-type", "application/json")], b"{}".to_vec())
            .await;
    assert_eq!(as_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(as_json.header("content-type"), Some("application/problem+json"));
    assert!(as_json.body["detail"].as_str().unwrap().contains("text/csv"), "{:?}", as_json.body);
    // And a JSON route still refuses CSV.
    let csv_to_json =
        raw(f, Method::POST, "/api/jobs", &admin.token, &[("content-type", "text/csv")], b"title\nx\n".to_vec()).await;
    assert_eq!(csv_to_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let unknown = post_csv(f, &admin.token, "title,jobType,description,salary\nA job,full-time,Text,5\n", None).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", unknown.body);
    assert_eq!(unknown.body["errors"][0]["field"], "header[3]");
    let missing = post_csv(f, &admin.token, "title,jobType\nA job,full-time\n", None).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body["errors"][0]["reason"].as_str().unwrap().contains("description"), "{:?}", missing.body);
    let empty = post_csv(f, &admin.token, " \n", None).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{:?}", empty.body);

    let mut many = String::from("title,jobType,description,location\n");
    for i in 0..501 {
        many.push_str(&format!("Job number {i},full-time,Text,Berlin\n"));
    }
    let too_many = post_csv(f, &admin.token, &many, None).await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", too_many.body);
    assert!(too_many.body["errors"][0]["reason"].as_str().unwrap().contains("500 rows"));
    let big = format!("title,jobType,description,location\nBig,full-time,{},Berlin\n", "x".repeat(1024 * 1024));
    let too_big = post_csv(f, &admin.token, &big, None).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_big.body["detail"].as_str().unwrap().contains("1048576 bytes at most"), "{:?}", too_big.body);
    assert!(f.get("/api/jobs", &admin.token).await.body["items"].as_array().unwrap().is_empty());
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(post_csv(f, &viewer, "title,jobType,description\n", None).await.status, StatusCode::FORBIDDEN);
}

async fn rich_descriptions_are_stored_sanitised_and_the_board_shows_safe_html(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let mut html = job_body("Rich Engineer");
    html["descriptionFormat"] = json!("html");
    html["description"] = json!(
        "<h2>About</h2><p onclick=\"steal()\">Build <b>fast</b> systems.</p><script>alert('x')</script>\
         <img src=x onerror=alert(1)><a href=\"javascript:alert(1)\">click</a> <a href=\"https://acme.example\">site</a>"
    );
    let job = f.post("/api/jobs", Some(&admin.token), html).await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let stored = job.body["description"].as_str().unwrap().to_ascii_lowercase();
    for bad in ["<script", "alert(", "onerror", "onclick", "javascript:", "<img"] {
        assert!(!stored.contains(bad), "{bad} survived: {stored}");
    }
    assert!(stored.contains("<b>fast</b>") && stored.contains("href=\"https://acme.example\""), "{stored}");
    assert_eq!(job.body["descriptionFormat"], "html");
    assert_eq!(job.body["descriptionText"], "About\n\nBuild fast systems.\n\nclick site");
    let id = job.body["id"].as_str().unwrap().to_owned();

    let mut md = job_body("Markdown Engineer");
    md["descriptionFormat"] = json!("markdown");
    md["description"] =
        json!("We are **aggressive** about quality.\n\n[apply](javascript:alert(1)) <script>x()</script>");
    let m = f.post("/api/jobs", Some(&admin.token), md).await;
    assert_eq!(m.status, StatusCode::CREATED, "{:?}", m.body);
    let mhtml = m.body["description"].as_str().unwrap();
    assert!(
        mhtml.contains("<strong>aggressive</strong>") && !mhtml.contains("javascript:") && !mhtml.contains("<script"),
        "{mhtml}"
    );
    // The ad-language report reads the text, not the markup.
    let coded = m.body["adLanguage"].to_string();
    assert!(coded.contains("aggressive"), "{coded}");

    let empty = f
        .post("/api/jobs", Some(&admin.token), {
            let mut b = job_body("Empty");
            b["descriptionFormat"] = json!("html");
            b["description"] = json!("<script>alert(1)</script>");
            b
        })
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["errors"][0]["field"], "description");
    let bad_format = f
        .post("/api/jobs", Some(&admin.token), {
            let mut b = job_body("Bad");
            b["descriptionFormat"] = json!("rtf");
            b
        })
        .await;
    assert_eq!(bad_format.status, StatusCode::BAD_REQUEST);

    let text = new_job(f, &admin, "Plain Engineer").await;
    for j in [&id, &text] {
        assert_eq!(
            f.post(&format!("/api/jobs/{j}/publish"), Some(&admin.token), json!(null)).await.status,
            StatusCode::OK
        );
    }
    let board = f
        .send(Call {
            method: Method::GET,
            path: "/api/job-board?limit=100".into(),
            token: None,
            body: None,
            headers: vec![],
        })
        .await;
    let item = |id: &str| {
        board.body["items"].as_array().unwrap().iter().find(|j| j["id"] == id).expect("on the board").clone()
    };
    let rich = item(&id);
    let shown = rich["descriptionHtml"].as_str().unwrap();
    assert!(shown.contains("<b>fast</b>") && !shown.contains("<script") && !shown.contains("onclick"), "{shown}");
    assert_eq!(rich["description"], "About\n\nBuild fast systems.\n\nclick site");
    let plain = item(&text);
    assert_eq!(plain["descriptionHtml"], "<p>Design and run the screening API.</p>");
    assert_eq!(plain["description"], "Design and run the screening API.");
}

async fn job_alerts_belong_to_their_candidate_and_refuse_bad_input(e: &Env) {
    let f = &e.family;
    let (sam, _, _) = candidate(f, "Sam Rivera").await;
    let (lee, _, _) = candidate(f, "Lee Park").await;
    let created =
        f.post("/api/job-alerts", Some(&sam), json!({"skills": ["Rust", "rust "], "locations": ["Berlin"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["skills"], json!(["Rust"]), "case-insensitive duplicates are merged");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), Some(format!("/api/job-alerts/{id}").as_str()));
    let mine = f.get("/api/job-alerts", &sam).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    assert!(f.get("/api/job-alerts", &lee).await.body["items"].as_array().unwrap().is_empty());
    let steal = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/job-alerts/{id}"),
            token: Some(&lee),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(steal.status, StatusCode::NOT_FOUND);

    let none = f.post("/api/job-alerts", Some(&sam), json!({})).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(none.header("content-type"), Some("application/problem+json"));
    let punct = f.post("/api/job-alerts", Some(&sam), json!({"titleWords": ["!!"]})).await;
    assert_eq!(
        (punct.status, punct.body["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("titleWords[0]"))
    );
    let unknown = f.post("/api/job-alerts", Some(&sam), json!({"skill": ["Rust"]})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let admin = f.employer_admin("Acme").await;
    assert_eq!(f.get("/api/job-alerts", &admin.token).await.status, StatusCode::FORBIDDEN, "candidates only");
    for i in 1..10 {
        let ok = f.post("/api/job-alerts", Some(&sam), json!({"titleWords": [format!("role{i}")]})).await;
        assert_eq!(ok.status, StatusCode::CREATED);
    }
    let eleventh = f.post("/api/job-alerts", Some(&sam), json!({"titleWords": ["more"]})).await;
    assert_eq!((eleventh.status, eleventh.problem_type()), (StatusCode::CONFLICT, "/problems/too-many-alerts"));

    let gone = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/job-alerts/{id}"),
            token: Some(&sam),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let twice = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/job-alerts/{id}"),
            token: Some(&sam),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
}

async fn a_published_job_reaches_matching_candidates_in_one_digest_a_day(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let (sam, _, sam_email) = candidate(f, "Sam Rivera").await;
    let (lee, _, lee_email) = candidate(f, "Lee Park").await;
    let (kim, _, kim_email) = candidate(f, "Kim Lo").await;
    assert_eq!(
        f.post("/api/job-alerts", Some(&sam), json!({"skills": ["rust"], "locations": ["berlin"]})).await.status,
        StatusCode::CREATED
    );
    assert_eq!(f.post("/api/job-alerts", Some(&lee), json!({"skills": ["Go"]})).await.status, StatusCode::CREATED);
    let kims = f.post("/api/job-alerts", Some(&kim), json!({"titleWords": ["backend engineer"]})).await;
    let kims = kims.body["id"].as_str().unwrap().to_owned();

    let job = new_job(f, &admin, "Backend Engineer").await;
    assert_eq!(
        f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    assert_eq!((e.pump)().await, 1, "[{}] the job.published event reaches the job-alerts queue", f.name);
    // A redelivered event records nothing twice.
    let consumer = JobAlertsConsumer(e.deps.clone());
    let event = DomainEvent {
        id: format!("job.published:{job}:2"),
        kind: "job.published".into(),
        org_id: admin.org.clone(),
        subject_id: job.clone(),
        occurred_at: time::OffsetDateTime::now_utc(),
        data: json!({"jobId": job}),
        correlation_id: None,
    };
    let message = WorkMessage {
        id: event.id.clone(),
        kind: "application-event".into(),
        body: serde_json::to_value(&event).unwrap(),
    };
    assert_eq!(consumer.handle(&message).await, Outcome::Done);
    // Kim unsubscribes before the digest: no mail for her.
    let del = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/job-alerts/{kims}"),
            token: Some(&kim),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);

    let today = time::OffsetDateTime::now_utc();
    let digest = JobAlertsDigest(e.deps.clone());
    digest.run_for(today).await.expect("digest");
    let mails = e.sent.to(&sam_email);
    assert_eq!(mails.len(), 1, "[{}] {mails:?}", f.name);
    assert!(mails[0].subject.contains("Backend Engineer"), "{}", mails[0].subject);
    assert!(mails[0].text_body.contains("Acme") && mails[0].text_body.contains(&job), "{}", mails[0].text_body);
    assert!(e.sent.to(&lee_email).is_empty(), "Go does not match a Rust job");
    assert!(e.sent.to(&kim_email).is_empty(), "a deleted alert sends nothing");
    // The run retried for the same day sends nothing again.
    digest.run_for(today).await.expect("digest again");
    assert_eq!(e.sent.to(&sam_email).len(), 1);

    // A second match the same day waits for the next day's digest, which holds only it.
    let second = new_job(f, &admin, "Rust Tooling Engineer").await;
    assert_eq!(
        f.post(&format!("/api/jobs/{second}/publish"), Some(&admin.token), json!(null)).await.status,
        StatusCode::OK
    );
    assert_eq!((e.pump)().await, 1);
    digest.run_for(today).await.expect("digest, same day");
    assert_eq!(e.sent.to(&sam_email).len(), 1, "at most one digest a day");
    digest.run_for(today + time::Duration::days(1)).await.expect("digest, next day");
    let mails = e.sent.to(&sam_email);
    assert_eq!(mails.len(), 2);
    assert!(mails[1].text_body.contains(&second) && !mails[1].text_body.contains(&job), "{}", mails[1].text_body);
}

macro_rules! jobs_finished_tests {
    ($env:path) => {
        #[tokio::test]
        async fn restoring_a_version_brings_back_its_content_and_is_audited() {
            super::restoring_a_version_brings_back_its_content_and_is_audited(&$env().await).await;
        }
        #[tokio::test]
        async fn a_deleted_job_stays_readable_and_restoring_it_brings_it_back_as_a_draft() {
            super::a_deleted_job_stays_readable_and_restoring_it_brings_it_back_as_a_draft(&$env().await).await;
        }
        #[tokio::test]
        async fn a_job_saved_as_a_template_starts_new_drafts_and_templates_are_per_organisation() {
            super::a_job_saved_as_a_template_starts_new_drafts_and_templates_are_per_organisation(&$env().await).await;
        }
        #[tokio::test]
        async fn a_csv_import_reports_each_row_and_a_rerun_creates_nothing_twice() {
            super::a_csv_import_reports_each_row_and_a_rerun_creates_nothing_twice(&$env().await).await;
        }
        #[tokio::test]
        async fn two_imports_of_the_same_file_at_once_create_each_job_once() {
            super::two_imports_of_the_same_file_at_once_create_each_job_once(&$env().await).await;
        }
        #[tokio::test]
        async fn a_bad_csv_file_is_refused_whole_with_problem_json_and_creates_nothing() {
            super::a_bad_csv_file_is_refused_whole_with_problem_json_and_creates_nothing(&$env().await).await;
        }
        #[tokio::test]
        async fn rich_descriptions_are_stored_sanitised_and_the_board_shows_safe_html() {
            super::rich_descriptions_are_stored_sanitised_and_the_board_shows_safe_html(&$env().await).await;
        }
        #[tokio::test]
        async fn job_alerts_belong_to_their_candidate_and_refuse_bad_input() {
            super::job_alerts_belong_to_their_candidate_and_refuse_bad_input(&$env().await).await;
        }
        #[tokio::test]
        async fn a_published_job_reaches_matching_candidates_in_one_digest_a_day() {
            super::a_published_job_reaches_matching_candidates_in_one_digest_a_day(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_core::ports::queue::Consumer;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-jobs-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let sent = Arc::new(Recording { inner: local.mailer.clone(), sent: Mutex::new(Vec::new()) });
        let mut deps = local.deps();
        deps.mail = sent.clone();
        let family = clearview_tests::families::embedded(&local, deps.clone());
        let queues = local.queues.clone();
        let consumer: Arc<dyn Consumer> = Arc::new(JobAlertsConsumer(deps.clone()));
        let pump = Box::new(move || -> BoxFut<'static, usize> {
            let (queues, consumer) = (queues.clone(), consumer.clone());
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        Env { family, deps, pump, sent }
    }

    #[test]
    fn the_digest_schedule_is_a_valid_daily_cron() {
        let def = clearview_chain::table::by_name("job-alerts-digest").expect("in the table");
        let clearview_chain::table::Trigger::Schedule { expression } = def.trigger else { panic!("a schedule") };
        let s = clearview_local::cron::Schedule::parse(expression).expect("parses");
        let at = time::macros::datetime!(2026-03-01 08:00 UTC);
        assert_eq!(s.next_after(at), Some(time::macros::datetime!(2026-03-02 07:00 UTC)));
    }

    jobs_finished_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::queue::Consumer;
    use std::time::Duration;

    async fn env() -> Env {
        let moto = Moto::pick().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let sent = Arc::new(Recording { inner: Arc::new(moto.mailer().await), sent: Mutex::new(Vec::new()) });
        let deps =
            Deps::new(store.clone(), Arc::new(p.pool.identity), sent.clone(), Arc::new(SystemClock), Arc::new(UuidV7))
                .with_queues(Arc::new(chain.queues.clone()))
                .with_events(Arc::new(chain.events.clone()));
        let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
        let consumer: Arc<dyn Consumer> = Arc::new(JobAlertsConsumer(deps.clone()));
        let pump = Box::new(move || -> BoxFut<'static, usize> {
            let (chain, consumer) = (chain.clone(), consumer.clone());
            Box::pin(
                async move { clearview_tests::pump::moto(&chain, consumer.as_ref(), Duration::from_secs(2)).await },
            )
        });
        Env { family, deps, pump, sent }
    }

    jobs_finished_tests!(env);
}
