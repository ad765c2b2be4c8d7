//! The first vertical slice at the API level — employers, auth, users, jobs — run the same on
//! both adapter families: the embedded default (SQLite, local issuer, outbox) and the AWS family
//! (DynamoDB, Cognito, SES) against moto over real HTTP with the real SDK.

use axum::http::{Method, StatusCode};
use clearview_core::ports::store::Query;
use clearview_tests::api::{Call, Family, job_body};
use serde_json::json;

async fn employer_registers_confirms_creates_publishes_and_lists_a_job(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let me = f.get("/api/auth/me", &admin.token).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["user"]["role"], "admin");
    assert_eq!(me.body["organization"]["id"], admin.org.as_str());

    let created = f.post("/api/jobs", Some(&admin.token), job_body("Backend Engineer")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.header("etag"), Some("\"1\""));
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.header("location"), Some(format!("/api/jobs/{id}").as_str()));

    let published = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    assert_eq!(published.body["status"], "active");
    assert!(published.body["publishedAt"].is_string());

    let active = f.get("/api/jobs?status=active", &admin.token).await;
    assert_eq!(active.status, StatusCode::OK, "{:?}", active.body);
    let ids: Vec<_> = active.body["items"].as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![id.as_str()]);
    let drafts = f.get("/api/jobs?status=draft", &admin.token).await;
    assert!(drafts.body["items"].as_array().unwrap().is_empty());
}

async fn another_tenants_job_answers_404(f: &Family) {
    let acme = f.employer_admin("Acme").await;
    let globex = f.employer_admin("Globex").await;
    let job = f.post("/api/jobs", Some(&acme.token), job_body("Secret role")).await;
    let id = job.body["id"].as_str().unwrap();
    let peek = f.get(&format!("/api/jobs/{id}"), &globex.token).await;
    assert_eq!(peek.status, StatusCode::NOT_FOUND);
    let publish = f.post(&format!("/api/jobs/{id}/publish"), Some(&globex.token), json!(null)).await;
    assert_eq!(publish.status, StatusCode::NOT_FOUND);
    // The employer in the path is never trusted either.
    let via_path =
        f.post(&format!("/api/employers/{}/job-postings", acme.org), Some(&globex.token), job_body("Nope")).await;
    assert_eq!(via_path.status, StatusCode::NOT_FOUND);
    let listed = f.get("/api/jobs", &globex.token).await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
    // Applying to a draft (never published) job says no more than a job that does not exist.
    let (cand, _, _) = clearview_tests::api::candidate(f, "Drew Park").await;
    let apply = f.post("/api/applications", Some(&cand), json!({"jobId": id})).await;
    assert_eq!(apply.status, StatusCode::NOT_FOUND, "{:?}", apply.body);
    let missing = f.post("/api/applications", Some(&cand), json!({"jobId": uuid::Uuid::new_v4().to_string()})).await;
    assert_eq!((missing.status, &missing.body["detail"]), (apply.status, &apply.body["detail"]));
}

async fn the_public_board_shows_a_candidate_what_to_know_and_nothing_internal(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let mut body = job_body("Board Engineer");
    body["criteria"]["autoApproveThreshold"] = json!(80);
    body["criteria"]["autoRejectThreshold"] = json!(20);
    body["hiringManager"] = json!("Pat Manager");
    let job = f.post("/api/jobs", Some(&admin.token), body).await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let id = job.body["id"].as_str().unwrap();
    let published = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    let board = f
        .send(Call {
            method: Method::GET,
            path: "/api/job-board?limit=100".into(),
            token: None,
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(board.status, StatusCode::OK, "{:?}", board.body);
    let item = board.body["items"].as_array().unwrap().iter().find(|j| j["id"] == id).expect("on the board").clone();
    assert_eq!(item["title"], "Board Engineer");
    assert_eq!(item["screening"]["requiredSkills"], json!(["Rust", "PostgreSQL"]));
    let text = item.to_string();
    for hidden in
        ["createdBy", "hiringManager", "Pat Manager", "weights", "Threshold", "criteria", &admin.user, "version"]
    {
        assert!(!text.contains(hidden), "the board shows {hidden}: {text}");
    }
}

async fn viewer_reads_but_cannot_write_and_only_admin_manages_users(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Analyst")).await;
    let id = job.body["id"].as_str().unwrap();
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(f.get(&format!("/api/jobs/{id}"), &viewer).await.status, StatusCode::OK);
    let denied = f.post("/api/jobs", Some(&viewer), job_body("Nope")).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{:?}", denied.body);
    let (hr, _) = f.staff(&admin, "hr_manager").await;
    assert_eq!(f.post("/api/jobs", Some(&hr), job_body("Okay role")).await.status, StatusCode::CREATED);
    let invite = f.post("/api/users", Some(&hr), json!({"email": "x@y.example", "role": "viewer"})).await;
    assert_eq!(invite.status, StatusCode::FORBIDDEN);
}

async fn role_change_takes_effect_on_the_next_request(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let (token, id) = f.staff(&admin, "viewer").await;
    assert_eq!(f.post("/api/jobs", Some(&token), job_body("Nope")).await.status, StatusCode::FORBIDDEN);
    let changed = f
        .send(Call {
            method: Method::PATCH,
            path: format!("/api/employers/{}/users/{id}", admin.org),
            token: Some(&admin.token),
            body: Some(json!({"role": "recruiter"})),
            headers: vec![],
        })
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["role"], "recruiter");
    // Same token, new role: the store is the source of truth for roles.
    assert_eq!(f.post("/api/jobs", Some(&token), job_body("Now ok")).await.status, StatusCode::CREATED);
    // The last admin cannot be demoted.
    let last = f
        .send(Call {
            method: Method::PATCH,
            path: format!("/api/employers/{}/users/{}", admin.org, admin.user),
            token: Some(&admin.token),
            body: Some(json!({"role": "viewer"})),
            headers: vec![],
        })
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert_eq!(last.problem_type(), "/problems/last-admin");
}

async fn stale_if_match_answers_412_and_missing_one_428(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Engineer")).await;
    let id = job.body["id"].as_str().unwrap();
    let put = |etag: Option<&str>| Call {
        method: Method::PUT,
        path: format!("/api/jobs/{id}"),
        token: Some(&admin.token),
        body: Some(job_body("Engineer II")),
        headers: etag.map(|e| vec![("if-match", e.to_owned())]).unwrap_or_default(),
    };
    assert_eq!(f.send(put(None)).await.status, StatusCode::PRECONDITION_REQUIRED);
    let mut body = job_body("Engineer II");
    body.as_object_mut().unwrap().remove("criteria");
    let ok = f
        .send(Call {
            method: Method::PUT,
            path: format!("/api/jobs/{id}"),
            token: Some(&admin.token),
            body: Some(body.clone()),
            headers: vec![("if-match", "\"1\"".into())],
        })
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    let stale = f
        .send(Call {
            method: Method::PUT,
            path: format!("/api/jobs/{id}"),
            token: Some(&admin.token),
            body: Some(body),
            headers: vec![("if-match", "\"1\"".into())],
        })
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.problem_type(), "/problems/stale-version");
}

async fn bad_input_gets_problem_json_naming_the_field(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let mut unknown = job_body("Engineer");
    unknown["salary"] = json!(5);
    let a = f.post("/api/jobs", Some(&admin.token), unknown).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.header("content-type"), Some("application/problem+json"));
    assert_eq!(a.body["errors"][0]["field"], "salary");
    let mut wrong_type = job_body("Engineer");
    wrong_type["salaryMin"] = json!("a lot");
    let b = f.post("/api/jobs", Some(&admin.token), wrong_type).await;
    assert_eq!(b.status, StatusCode::BAD_REQUEST);
    assert_eq!(b.body["errors"][0]["field"], "salaryMin");
    let mut weights = job_body("Engineer");
    weights["criteria"]["weights"] = json!({"skills": 50, "experience": 30, "education": 15, "location": 15});
    let c = f.post("/api/jobs", Some(&admin.token), weights).await;
    assert_eq!(c.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c.body["errors"][0]["field"], "criteria.weights");
    let weak = f
        .post(
            "/api/employers/register",
            None,
            json!({"companyName": "A", "email": "nope", "password": "weak", "contactNumber": "12"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = weak.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["companyName", "email", "password", "contactNumber"]);
    let no_token =
        f.send(Call { method: Method::GET, path: "/api/jobs".into(), token: None, body: None, headers: vec![] }).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let forged = f.get("/api/jobs", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    // Over-size bodies, just past the route's limit and far past what the server reads at all,
    // and a method the path does not take: problem+json that says why.
    let admin = f.employer_admin("Acme").await;
    for size in [300 * 1024, 3 * 1024 * 1024] {
        let mut body = job_body("Big");
        body["description"] = json!("x".repeat(size));
        let big = f.post("/api/jobs", Some(&admin.token), body).await;
        assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{size}");
        assert_eq!(big.header("content-type"), Some("application/problem+json"), "{size}");
        assert!(big.body["detail"].as_str().unwrap().contains("262144 bytes at most"), "{:?}", big.body);
    }
    let wrong = f
        .send(Call {
            method: Method::PUT,
            path: "/api/jobs".into(),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(wrong.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.header("content-type"), Some("application/problem+json"));
    assert!(wrong.header("allow").is_some_and(|a| a.contains("POST")), "{:?}", wrong.headers);
}

async fn cursor_pages_through_jobs_and_refuses_a_forged_one(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    for i in 0..5 {
        assert_eq!(
            f.post("/api/jobs", Some(&admin.token), job_body(&format!("Job {i}"))).await.status,
            StatusCode::CREATED
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/jobs?limit=2".to_owned();
    loop {
        let page = f.get(&path, &admin.token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|j| j["title"].as_str().unwrap().to_owned()));
        match page.body["nextCursor"].as_str() {
            Some(c) => path = format!("/api/jobs?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec!["Job 4", "Job 3", "Job 2", "Job 1", "Job 0"], "newest first, no gaps or repeats");
    let first = f.get("/api/jobs?limit=2", &admin.token).await;
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let tampered = format!("{}x", cursor);
    assert_eq!(
        f.get(&format!("/api/jobs?cursor={tampered}"), &admin.token).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = f.employer_admin("Globex").await;
    let replay = f.get(&format!("/api/jobs?cursor={cursor}"), &other.token).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY, "a cursor is bound to its tenant");
}

async fn idempotency_key_replays_the_first_answer(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let call = |title: &str| Call {
        method: Method::POST,
        path: "/api/jobs".into(),
        token: Some(&admin.token),
        body: Some(job_body(title)),
        headers: vec![("idempotency-key", "create-engineer-1".into())],
    };
    let first = f.send(call("Engineer")).await;
    let again = f.send(call("Engineer")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(first.body["id"], again.body["id"]);
    let other_body = f.send(call("Different")).await;
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.get("/api/jobs", &admin.token).await.body["items"].as_array().unwrap().len(), 1);
}

async fn every_mutation_writes_an_audit_record(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Engineer")).await;
    let id = job.body["id"].as_str().unwrap();
    f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    let page = f.store.query(&Query::table(format!("ORG#{}#AUDIT", admin.org))).await.unwrap();
    let actions: Vec<_> = page.items.iter().map(|i| i.data["action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(actions, vec!["organization.register", "job.create", "job.publish"]);
    let publish = &page.items[2].data;
    assert_eq!(publish["actorId"], admin.user.as_str());
    assert_eq!(publish["before"]["status"], "draft");
    assert_eq!(publish["after"]["status"], "active");
}

async fn refresh_works_until_logout(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let refreshed = f.post("/api/auth/refresh", None, json!({"refreshToken": admin.refresh})).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
    assert!(refreshed.body["idToken"].is_string());
    let out = f.post("/api/auth/logout", Some(&admin.token), json!({"refreshToken": admin.refresh})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    let after = f.post("/api/auth/refresh", None, json!({"refreshToken": admin.refresh})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{:?}", after.body);
}

async fn a_candidate_signs_out_and_the_refresh_token_stops_working(f: &Family) {
    let (_, _, email) = clearview_tests::api::candidate(f, "Lee Out").await;
    let t = f.post("/api/auth/login", None, json!({"email": email, "password": "Cand1date!pw"})).await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    let (token, refresh) = (t.body["idToken"].as_str().unwrap(), t.body["refreshToken"].clone());
    let out = f.post("/api/auth/logout", Some(token), json!({"refreshToken": refresh})).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{:?}", out.body);
    let after = f.post("/api/auth/refresh", None, json!({"refreshToken": refresh})).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{:?}", after.body);
}

async fn forgotten_password_is_reset_with_the_mailed_code(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let unknown = f.post("/api/auth/forgot-password", None, json!({"email": "nobody@nowhere.example"})).await;
    let known = f.post("/api/auth/forgot-password", None, json!({"email": admin.email})).await;
    assert_eq!(unknown.status, StatusCode::ACCEPTED);
    assert_eq!(known.status, StatusCode::ACCEPTED, "the answer does not reveal who has an account");
    assert_eq!(unknown.body, known.body);
    let code = (f.code_for)(admin.email.clone()).await;
    let reset = f
        .post(
            "/api/auth/reset-password",
            None,
            json!({"email": admin.email, "code": code, "newPassword": "N3w!passw0rd"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{:?}", reset.body);
    let login = f.post("/api/auth/login", None, json!({"email": admin.email, "password": "N3w!passw0rd"})).await;
    assert_eq!(login.status, StatusCode::OK);
}

async fn removed_user_is_locked_out_at_once(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let (token, id) = f.staff(&admin, "recruiter").await;
    assert_eq!(f.get("/api/jobs", &token).await.status, StatusCode::OK);
    let del = f
        .send(Call {
            method: Method::DELETE,
            path: format!("/api/users/{id}"),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(del.status, StatusCode::NO_CONTENT, "{:?}", del.body);
    assert_eq!(f.get("/api/jobs", &token).await.status, StatusCode::FORBIDDEN);
    let user = f.get(&format!("/api/users/{id}"), &admin.token).await;
    assert_eq!(user.body["status"], "disabled");
}

/// The staff screens: the list, a member's name, and permissions granted and denied on top of
/// the role, each taking effect on the member's next request.
async fn an_admin_lists_renames_and_tunes_a_staff_members_permissions(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let (token, id) = f.staff(&admin, "recruiter").await;
    let listed = f.get("/api/users?limit=50", &admin.token).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().filter_map(|u| u["id"].as_str()).collect();
    assert!(ids.contains(&id.as_str()) && ids.contains(&admin.user.as_str()), "{ids:?}");

    let user = f.get(&format!("/api/users/{id}"), &admin.token).await;
    let etag = user.header("etag").expect("an ETag").to_owned();
    let edit = |etag: &str, body: serde_json::Value, path: String| Call {
        method: Method::PUT,
        path,
        token: Some(&admin.token),
        body: Some(body),
        headers: vec![("if-match", etag.to_owned())],
    };
    let renamed = f.send(edit(&etag, json!({"name": "Rae Recruiter"}), format!("/api/users/{id}"))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(renamed.body["name"], "Rae Recruiter");
    let stale = f.send(edit(&etag, json!({"name": "Someone Else"}), format!("/api/users/{id}"))).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);

    // A recruiter may not delete jobs until an admin grants it.
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Analyst")).await;
    let job_path = format!("/api/jobs/{}", job.body["id"].as_str().unwrap());
    let delete = || Call {
        method: Method::DELETE,
        path: job_path.clone(),
        token: Some(token.as_str()),
        body: None,
        headers: vec![],
    };
    let refused = f.send(delete()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);

    let perms_path = format!("/api/users/{id}/permissions");
    let perms = f.get(&perms_path, &admin.token).await;
    assert_eq!(perms.status, StatusCode::OK, "{:?}", perms.body);
    assert_eq!(perms.body["role"], "recruiter");
    let has = |body: &serde_json::Value, p: &str| body["effective"].as_array().unwrap().iter().any(|e| e == p);
    assert!(!has(&perms.body, "jobs:delete") && has(&perms.body, "jobs:write"), "{:?}", perms.body);
    let etag = perms.header("etag").expect("an ETag").to_owned();
    // Admin-only permissions cannot be granted to anyone else.
    let too_much = f.send(edit(&etag, json!({"grant": ["users:manage"]}), perms_path.clone())).await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", too_much.body);
    let tuned =
        f.send(edit(&etag, json!({"grant": ["jobs:delete"], "deny": ["jobs:publish"]}), perms_path.clone())).await;
    assert_eq!(tuned.status, StatusCode::OK, "{:?}", tuned.body);
    assert!(has(&tuned.body, "jobs:delete") && !has(&tuned.body, "jobs:publish"), "{:?}", tuned.body);
    assert_eq!(f.get(&perms_path, &admin.token).await.body["effective"], tuned.body["effective"]);

    // The same token, the next request: the grant holds.
    let deleted = f.send(delete()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
}

/// A job's screening criteria are replaced with If-Match and weights that sum to 100.
async fn screening_criteria_are_replaced_with_if_match_and_weights_that_sum_to_100(f: &Family) {
    let admin = f.employer_admin("Acme").await;
    let job = f.post("/api/jobs", Some(&admin.token), job_body("Backend Engineer")).await;
    let id = job.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/jobs/{id}/ai-criteria");
    let put = |etag: Option<&str>, body: serde_json::Value| Call {
        method: Method::PUT,
        path: path.clone(),
        token: Some(&admin.token),
        body: Some(body),
        headers: etag.map(|e| vec![("if-match", e.to_owned())]).unwrap_or_default(),
    };
    let criteria = json!({
        "weights": {"skills": 50, "experience": 30, "education": 10, "location": 10},
        "requiredSkills": ["Go", "gRPC"],
        "minimumExperience": 2
    });
    let unversioned = f.send(put(None, criteria.clone())).await;
    assert_eq!(unversioned.status, StatusCode::PRECONDITION_REQUIRED, "{:?}", unversioned.body);
    let etag = job.header("etag").expect("an ETag").to_owned();
    let mut lopsided = criteria.clone();
    lopsided["weights"]["skills"] = json!(40);
    let refused = f.send(put(Some(&etag), lopsided)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert!(refused.body["errors"].to_string().contains("weights"), "{:?}", refused.body);
    let set = f.send(put(Some(&etag), criteria)).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    let read = f.get(&format!("/api/jobs/{id}"), &admin.token).await;
    assert_eq!(read.body["criteria"]["requiredSkills"], json!(["Go", "gRPC"]));
    assert_eq!(read.body["criteria"]["weights"]["skills"], 50);
    assert_eq!(read.header("etag"), set.header("etag"));
}

macro_rules! slice_tests {
    ($family:path) => {
        #[tokio::test]
        async fn screening_criteria_are_replaced_with_if_match_and_weights_that_sum_to_100() {
            super::screening_criteria_are_replaced_with_if_match_and_weights_that_sum_to_100(&$family().await).await;
        }
        #[tokio::test]
        async fn employer_registers_confirms_creates_publishes_and_lists_a_job() {
            super::employer_registers_confirms_creates_publishes_and_lists_a_job(&$family().await).await;
        }
        #[tokio::test]
        async fn another_tenants_job_answers_404() {
            super::another_tenants_job_answers_404(&$family().await).await;
        }
        #[tokio::test]
        async fn the_public_board_shows_a_candidate_what_to_know_and_nothing_internal() {
            super::the_public_board_shows_a_candidate_what_to_know_and_nothing_internal(&$family().await).await;
        }
        #[tokio::test]
        async fn viewer_reads_but_cannot_write_and_only_admin_manages_users() {
            super::viewer_reads_but_cannot_write_and_only_admin_manages_users(&$family().await).await;
        }
        #[tokio::test]
        async fn role_change_takes_effect_on_the_next_request() {
            super::role_change_takes_effect_on_the_next_request(&$family().await).await;
        }
        #[tokio::test]
        async fn stale_if_match_answers_412_and_missing_one_428() {
            super::stale_if_match_answers_412_and_missing_one_428(&$family().await).await;
        }
        #[tokio::test]
        async fn bad_input_gets_problem_json_naming_the_field() {
            super::bad_input_gets_problem_json_naming_the_field(&$family().await).await;
        }
        #[tokio::test]
        async fn cursor_pages_through_jobs_and_refuses_a_forged_one() {
            super::cursor_pages_through_jobs_and_refuses_a_forged_one(&$family().await).await;
        }
        #[tokio::test]
        async fn idempotency_key_replays_the_first_answer() {
            super::idempotency_key_replays_the_first_answer(&$family().await).await;
        }
        #[tokio::test]
        async fn every_mutation_writes_an_audit_record() {
            super::every_mutation_writes_an_audit_record(&$family().await).await;
        }
        #[tokio::test]
        async fn refresh_works_until_logout() {
            super::refresh_works_until_logout(&$family().await).await;
        }
        #[tokio::test]
        async fn a_candidate_signs_out_and_the_refresh_token_stops_working() {
            super::a_candidate_signs_out_and_the_refresh_token_stops_working(&$family().await).await;
        }
        #[tokio::test]
        async fn forgotten_password_is_reset_with_the_mailed_code() {
            super::forgotten_password_is_reset_with_the_mailed_code(&$family().await).await;
        }
        #[tokio::test]
        async fn removed_user_is_locked_out_at_once() {
            super::removed_user_is_locked_out_at_once(&$family().await).await;
        }
        #[tokio::test]
        async fn an_admin_lists_renames_and_tunes_a_staff_members_permissions() {
            super::an_admin_lists_renames_and_tunes_a_staff_members_permissions(&$family().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn family() -> Family {
        let dir = std::env::temp_dir().join(format!("clearview-slice-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        clearview_tests::families::embedded(&local, local.deps())
    }

    slice_tests!(family);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::Deps;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use std::sync::Arc;

    async fn family() -> Family {
        let moto = Moto::pick().await;
        let p = clearview_tests::families::moto_pool(moto).await;
        let deps = Deps::new(
            Arc::new(moto.store().await),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        );
        clearview_tests::families::aws(deps, p.verifier, p.jwks)
    }

    slice_tests!(family);
}
