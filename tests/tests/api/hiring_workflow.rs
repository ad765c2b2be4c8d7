//! The hiring workflow at the API level, on both adapter families: configurable stages, moves
//! with history, kanban counters and stage analytics checked against a brute-force recount,
//! filters, bulk actions, the employer seed routes, and blind review with an audited reveal.

use axum::http::{Method, StatusCode};
use clearview_tests::api::{Admin, Answer, Call, Family, candidate, job_body};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const STAGES: [&str; 6] =
    ["applied", "ai_screening", "phone_screen", "technical_interview", "final_interview", "offer"];

async fn published_job(f: &Family, admin: &Admin, title: &str) -> String {
    let job = f.post("/api/jobs", Some(&admin.token), job_body(title)).await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

/// A candidate applies (with a source): (candidate token, candidate id, application id).
async fn applicant(f: &Family, job: &str, name: &str, source: &str) -> (String, String, String) {
    let (token, id, _) = candidate(f, name).await;
    let a = f
        .post(
            "/api/applications",
            Some(&token),
            json!({"jobId": job, "source": source, "coverLetter": format!("I am {name} and I would love this role.")}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    (token, id, a.body["id"].as_str().unwrap().to_owned())
}

async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Answer {
    let headers = if_match.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default();
    f.send(Call { method: Method::PUT, path: path.into(), token: Some(token), body: Some(body), headers }).await
}

async fn advance(f: &Family, token: &str, app: &str, body: Value) -> Answer {
    f.post(&format!("/api/applications/{app}/advance-stage"), Some(token), body).await
}

/// Every application of the organisation, through the paged list (what a recount reads).
async fn all_applications(f: &Family, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = "/api/applications?limit=100".to_owned();
    loop {
        let page = f.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        out.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["nextCursor"].as_str() {
            Some(c) => path = format!("/api/applications?limit=100&cursor={}", urlencode(c)),
            None => return out,
        }
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The kanban overview must equal a recount of the applications themselves.
async fn assert_overview_equals_recount(f: &Family, token: &str) {
    let overview = f.get("/api/pipeline/overview", token).await;
    assert_eq!(overview.status, StatusCode::OK, "{:?}", overview.body);
    let mut counted: BTreeMap<(String, String), i64> = BTreeMap::new();
    for a in all_applications(f, token).await {
        let job = a["jobId"].as_str().unwrap().to_owned();
        let status = a["status"].as_str().unwrap();
        let key = if ["hired", "rejected", "withdrawn"].contains(&status) {
            format!("status:{status}")
        } else {
            format!("stage:{}", a["stageId"].as_str().unwrap())
        };
        *counted.entry((job, key)).or_default() += 1;
    }
    let mut shown: BTreeMap<(String, String), i64> = BTreeMap::new();
    for j in overview.body["jobs"].as_array().unwrap() {
        let job = j["jobId"].as_str().unwrap().to_owned();
        for s in j["stages"].as_array().unwrap() {
            let n = s["count"].as_i64().unwrap();
            if n != 0 {
                shown.insert((job.clone(), format!("stage:{}", s["stageId"].as_str().unwrap())), n);
            }
        }
        for (status, n) in j["closed"].as_object().unwrap() {
            if n.as_i64().unwrap() != 0 {
                shown.insert((job.clone(), format!("status:{status}")), n.as_i64().unwrap());
            }
        }
    }
    assert_eq!(shown, counted, "[{}] the overview's counters differ from a recount", f.name);
}

async fn the_default_pipeline_is_saved_with_new_stages_and_a_stage_holding_applications_is_kept(f: &Family) {
    let admin = f.employer_admin("Stages").await;
    let got = f.get("/api/pipeline/stages", &admin.token).await;
    assert_eq!(got.status, StatusCode::OK, "{:?}", got.body);
    let ids: Vec<_> = got.body["stages"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, STAGES);
    assert_eq!(got.body["revealAtStage"], "final_interview");
    assert_eq!(got.body["version"], 0);

    let job = published_job(f, &admin, "Stage Engineer").await;
    let (_, _, app) = applicant(f, &job, "Robin Vega", "referral").await;
    let moved = advance(f, &admin.token, &app, json!({"toStage": "phone_screen", "note": "strong portfolio"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        (moved.body["stageId"].as_str(), moved.body["status"].as_str()),
        (Some("phone_screen"), Some("phone_screen"))
    );

    // Replace the phone screen with a take-home assessment: refused while it holds one.
    let stages = json!([
        {"id": "applied", "name": "Applied", "type": "screening"},
        {"id": "ai_screening", "name": "AI Screening", "type": "screening", "autoAdvance": {"minScore": 70}},
        {"name": "Take-home Task", "type": "assessment", "status": "technical_interview"},
        {"id": "final_interview", "name": "Final Interview", "type": "interview", "status": "final_interview"},
        {"id": "offer", "name": "Offer", "type": "offer"}
    ]);
    let refused =
        put(f, "/api/pipeline/stages", &admin.token, json!({"stages": stages, "revealAtStage": "offer"}), None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert_eq!(refused.problem_type(), "/problems/stage-not-empty");
    assert!(refused.body["detail"].as_str().unwrap().contains("1 application"), "{:?}", refused.body);
    let bad = put(
        f,
        "/api/pipeline/stages",
        &admin.token,
        json!({"stages": stages, "moveApplications": {"phone_screen": "nowhere"}}),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let saved = put(
        f,
        "/api/pipeline/stages",
        &admin.token,
        json!({"stages": stages, "revealAtStage": "offer", "moveApplications": {"phone_screen": "take_home_task"}}),
        Some("\"0\""),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    assert_eq!(saved.body["version"], 1);
    assert_eq!(saved.body["stages"][2]["id"], "take_home_task");
    let app_now = f.get(&format!("/api/applications/{app}"), &admin.token).await;
    assert_eq!(app_now.body["stageId"], "take_home_task");
    assert_eq!(app_now.body["status"], "technical_interview");
    // A stale version is refused; a recruiter may not change the pipeline.
    let stale = put(f, "/api/pipeline/stages", &admin.token, json!({"stages": stages}), Some("\"0\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let denied = put(f, "/api/pipeline/stages", &recruiter, json!({"stages": stages}), None).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_overview_equals_recount(f, &admin.token).await;
}

async fn an_application_moves_from_applied_to_offer_and_is_hired_with_its_history(f: &Family) {
    let admin = f.employer_admin("Movers").await;
    let job = published_job(f, &admin, "Platform Engineer").await;
    let (cand, _, app) = applicant(f, &job, "Sasha Okafor", "linkedin").await;
    let mine = f.get(&format!("/api/applications/{app}"), &cand).await;
    assert_eq!((mine.body["status"].as_str(), mine.body["stageId"].as_str()), (Some("new"), Some("applied")));
    for (i, expected) in STAGES.iter().enumerate().skip(1) {
        let moved = advance(f, &admin.token, &app, json!({"note": format!("step {i}")})).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        assert_eq!(moved.body["stageId"], *expected);
    }
    let hired = advance(f, &admin.token, &app, json!({"note": "offer accepted"})).await;
    assert_eq!(hired.body["status"], "hired", "{:?}", hired.body);
    let again = advance(f, &admin.token, &app, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem_type(), "/problems/application-closed");

    let history = f.get(&format!("/api/applications/{app}/history"), &admin.token).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    let stages: Vec<_> = items.iter().map(|e| e["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, STAGES);
    for (i, e) in items.iter().enumerate() {
        assert_eq!(e["outcome"], "advanced");
        assert_eq!(e["by"], admin.user.as_str());
        assert!(e["durationSeconds"].as_i64().unwrap() >= 0);
        assert!(e["enteredAt"].as_str().unwrap() <= e["at"].as_str().unwrap());
        if i > 0 {
            assert_eq!(e["enteredAt"], items[i - 1]["at"], "a stage is entered when the last one is left");
        }
    }
    assert_eq!(items[0]["note"], "step 1");
    assert_eq!(items[5]["toStage"], Value::Null);
    assert_eq!(items[5]["status"], "hired");
    // The candidate cannot read staff history.
    assert_eq!(f.get(&format!("/api/applications/{app}/history"), &cand).await.status, StatusCode::FORBIDDEN);
    assert_overview_equals_recount(f, &admin.token).await;
}

async fn an_application_on_hold_keeps_its_stage_and_counters_and_a_move_takes_it_off_hold(f: &Family) {
    let admin = f.employer_admin("Holders").await;
    let job = published_job(f, &admin, "Data Engineer").await;
    let (cand, _, app) = applicant(f, &job, "Noor Haddad", "referral").await;
    let moved = advance(f, &admin.token, &app, json!({})).await;
    assert_eq!(moved.body["stageId"], "ai_screening");
    let path = format!("/api/applications/{app}/hold");

    let held = f.post(&path, Some(&admin.token), json!({"note": "waiting for the hiring manager"})).await;
    assert_eq!(held.status, StatusCode::OK, "{:?}", held.body);
    assert_eq!(
        (held.body["stageId"].as_str(), held.body["status"].as_str()),
        (Some("ai_screening"), Some("reviewing"))
    );
    assert_eq!(held.body["onHold"]["by"], admin.user.as_str());
    assert_eq!(held.body["onHold"]["note"], "waiting for the hiring manager");
    let again = f.post(&path, Some(&admin.token), json!({})).await;
    assert_eq!((again.status, again.problem_type()), (StatusCode::CONFLICT, "/problems/already-on-hold"));
    // The candidate neither holds nor sees the internal note through staff routes.
    assert_eq!(f.post(&path, Some(&cand), json!({})).await.status, StatusCode::FORBIDDEN);
    let long = f.post(&path, Some(&admin.token), json!({"note": "x".repeat(5000)})).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", long.body);
    // A hold leaves the stage's counter alone.
    assert_overview_equals_recount(f, &admin.token).await;

    let released = f.delete(&path, &admin.token).await;
    assert_eq!(released.status, StatusCode::OK, "{:?}", released.body);
    assert_eq!(released.body["onHold"], Value::Null);
    // Taking it off hold again changes nothing.
    let twice = f.delete(&path, &admin.token).await;
    assert_eq!((twice.status, &twice.body["version"]), (StatusCode::OK, &released.body["version"]));

    // Held again, then moved: the move takes it off hold.
    assert_eq!(f.post(&path, Some(&admin.token), json!({"note": "paused again"})).await.status, StatusCode::OK);
    let on = advance(f, &admin.token, &app, json!({"note": "back in play"})).await;
    assert_eq!((on.body["stageId"].as_str(), &on.body["onHold"]), (Some("phone_screen"), &Value::Null));

    let history = f.get(&format!("/api/applications/{app}/history"), &admin.token).await;
    let items = history.body["items"].as_array().unwrap();
    let outcomes: Vec<_> =
        items.iter().map(|e| (e["kind"].as_str().unwrap(), e["outcome"].as_str().unwrap())).collect();
    assert_eq!(
        outcomes,
        [("stage", "advanced"), ("hold", "on_hold"), ("hold", "resumed"), ("hold", "on_hold"), ("stage", "advanced")]
    );
    assert_eq!(items[1]["stage"], "ai_screening");
    assert_eq!(items[1]["note"], "waiting for the hiring manager");
    assert_eq!(items[1]["status"], "reviewing");
    assert_eq!(items[2]["enteredAt"], items[1]["at"], "a resumed entry spans the hold");
    assert_eq!(items[4]["stage"], "ai_screening");
    // Closed applications cannot be held.
    let rejected =
        f.post(&format!("/api/applications/{app}/reject"), Some(&admin.token), json!({"reasonCode": "other"})).await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    let closed = f.post(&path, Some(&admin.token), json!({})).await;
    assert_eq!((closed.status, closed.problem_type()), (StatusCode::CONFLICT, "/problems/application-closed"));
    assert_overview_equals_recount(f, &admin.token).await;
}

async fn bulk_reject_reports_each_item_and_the_analytics_equal_a_recount(f: &Family) {
    let admin = f.employer_admin("Bulkers").await;
    let job = published_job(f, &admin, "Data Engineer").await;
    let other_job = published_job(f, &admin, "Data Analyst").await;
    let mut apps = Vec::new();
    for (i, name) in ["Ana Lima", "Ben Cho", "Cy Ortiz", "Di Park"].into_iter().enumerate() {
        let source = if i % 2 == 0 { "indeed" } else { "referral" };
        apps.push(applicant(f, &job, name, source).await.2);
    }
    let (cand_e, _, app_e) = applicant(f, &other_job, "Eve Adams", "other").await;
    // One moves on, one withdraws, the rest and a stranger id are rejected in bulk.
    assert_eq!(advance(f, &admin.token, &apps[0], json!({})).await.status, StatusCode::OK);
    let w = f.post(&format!("/api/applications/{}/withdraw", app_e), Some(&cand_e), json!(null)).await;
    assert_eq!(w.status, StatusCode::OK, "{:?}", w.body);
    let stranger = uuid::Uuid::now_v7().to_string();
    let body = json!({
        "action": "reject",
        "applicationIds": [apps[1], apps[2], stranger, app_e],
        "reasonCode": "skills_mismatch",
        "note": "internal: not enough Spark"
    });
    let call = || Call {
        method: Method::POST,
        path: "/api/applications/bulk-action".into(),
        token: Some(&admin.token),
        body: Some(body.clone()),
        headers: vec![("idempotency-key", "bulk-reject-1".to_owned())],
    };
    let bulk = f.send(call()).await;
    assert_eq!(bulk.status, StatusCode::OK, "{:?}", bulk.body);
    assert_eq!((bulk.body["done"].as_u64(), bulk.body["refused"].as_u64()), (Some(2), Some(2)), "{:?}", bulk.body);
    let items = bulk.body["items"].as_array().unwrap();
    assert_eq!(items[0]["result"], "done");
    assert_eq!(items[0]["application"]["status"], "rejected");
    assert_eq!(items[2]["problem"], "not-found");
    assert_eq!(items[3]["problem"], "application-closed");
    // A retry with the same key replays the answer; nothing is rejected twice.
    let replay = f.send(call()).await;
    assert_eq!(replay.body, bulk.body);
    let too_many = f
        .post(
            "/api/applications/bulk-action",
            Some(&admin.token),
            json!({"action": "reject", "reasonCode": "other", "applicationIds": (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", too_many.body);
    let single = f
        .post(
            &format!("/api/applications/{}/reject", apps[3]),
            Some(&admin.token),
            json!({"reasonCode": "position_filled"}),
        )
        .await;
    assert_eq!(single.status, StatusCode::OK, "{:?}", single.body);

    assert_overview_equals_recount(f, &admin.token).await;

    // Stage analytics against a brute-force recount of every application's history.
    let analytics = f.get("/api/pipeline/analytics", &admin.token).await;
    assert_eq!(analytics.status, StatusCode::OK, "{:?}", analytics.body);
    let mut entered: BTreeMap<String, i64> = BTreeMap::new();
    let mut exited: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut reasons: BTreeMap<(String, String), i64> = BTreeMap::new();
    for a in all_applications(f, &admin.token).await {
        *entered.entry(STAGES[0].to_owned()).or_default() += 1;
        let id = a["id"].as_str().unwrap();
        let h = f.get(&format!("/api/applications/{id}/history"), &admin.token).await;
        for e in h.body["items"].as_array().unwrap() {
            let stage = e["stage"].as_str().unwrap().to_owned();
            *exited.entry((stage.clone(), e["outcome"].as_str().unwrap().to_owned())).or_default() += 1;
            if let Some(code) = e["reasonCode"].as_str() {
                *reasons.entry((stage, code.to_owned())).or_default() += 1;
            }
            if let Some(to) = e["toStage"].as_str() {
                *entered.entry(to.to_owned()).or_default() += 1;
            }
        }
    }
    let mut shown_entered = BTreeMap::new();
    let mut shown_exited = BTreeMap::new();
    let mut shown_reasons = BTreeMap::new();
    for s in analytics.body["overall"].as_array().unwrap() {
        let stage = s["stageId"].as_str().unwrap().to_owned();
        shown_entered.insert(stage.clone(), s["entered"].as_i64().unwrap());
        let total: i64 = s["exited"].as_object().unwrap().values().map(|v| v.as_i64().unwrap()).sum();
        for (o, n) in s["exited"].as_object().unwrap() {
            shown_exited.insert((stage.clone(), o.clone()), n.as_i64().unwrap());
        }
        for (r, n) in s["rejectionsByReason"].as_object().unwrap() {
            shown_reasons.insert((stage.clone(), r.clone()), n.as_i64().unwrap());
        }
        let advanced = s["exited"]["advanced"].as_i64().unwrap_or(0);
        let dropped = s["exited"]["rejected"].as_i64().unwrap_or(0) + s["exited"]["withdrawn"].as_i64().unwrap_or(0);
        if total > 0 {
            assert_eq!(s["conversionRate"].as_f64().unwrap(), advanced as f64 / total as f64);
            assert_eq!(s["dropOffRate"].as_f64().unwrap(), dropped as f64 / total as f64);
            // Everything here left within the hour: the median and p90 are in the first bucket.
            assert_eq!((s["medianHoursAtMost"].as_i64(), s["p90HoursAtMost"].as_i64()), (Some(1), Some(1)));
        }
    }
    assert_eq!(shown_entered, entered, "[{}] entries", f.name);
    assert_eq!(shown_exited, exited, "[{}] exits", f.name);
    assert_eq!(shown_reasons, reasons, "[{}] rejection reasons", f.name);
    assert_eq!(reasons.get(&("applied".to_owned(), "skills_mismatch".to_owned())), Some(&2));
    // A range before any of it holds nothing.
    let empty = f.get("/api/pipeline/analytics?from=2020-01-01&to=2020-12-31", &admin.token).await;
    assert_eq!(empty.body["overall"], json!([]));
    let backwards = f.get("/api/pipeline/analytics?from=2026-02-01&to=2026-01-01", &admin.token).await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn filters_edits_and_deletion_keep_the_counters_true(f: &Family) {
    let admin = f.employer_admin("Filters").await;
    let job = published_job(f, &admin, "SRE").await;
    let (_, _, a1) = applicant(f, &job, "Kim Lee", "linkedin").await;
    let (_, _, a2) = applicant(f, &job, "Lou Diaz", "indeed").await;
    let (_, _, a3) = applicant(f, &job, "Max Roy", "linkedin").await;
    assert_eq!(advance(f, &admin.token, &a2, json!({})).await.status, StatusCode::OK);
    let ids = |r: &Answer| -> Vec<String> {
        r.body["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
    };
    let by_source = f.get("/api/applications?source=linkedin", &admin.token).await;
    assert_eq!(ids(&by_source), vec![a3.clone(), a1.clone()], "newest first");
    let oldest = f.get("/api/applications?source=linkedin&sort=oldest", &admin.token).await;
    assert_eq!(ids(&oldest), vec![a1.clone(), a3.clone()]);
    let column = f.get(&format!("/api/applications?jobId={job}&stage=ai_screening"), &admin.token).await;
    assert_eq!(ids(&column), vec![a2.clone()]);
    let status = f.get("/api/applications?status=new", &admin.token).await;
    assert_eq!(ids(&status).len(), 2);
    let unscored = f.get("/api/applications?minScore=1", &admin.token).await;
    assert!(ids(&unscored).is_empty(), "unscored applications have no score to match");
    let paged = f.get("/api/applications?limit=1&source=linkedin", &admin.token).await;
    assert_eq!(ids(&paged), vec![a3.clone()]);
    let cursor = paged.body["nextCursor"].as_str().unwrap();
    let next =
        f.get(&format!("/api/applications?limit=1&source=linkedin&cursor={}", urlencode(cursor)), &admin.token).await;
    assert_eq!(ids(&next), vec![a1.clone()]);
    // The cursor is bound to its filters.
    let other =
        f.get(&format!("/api/applications?limit=1&source=indeed&cursor={}", urlencode(cursor)), &admin.token).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", other.body);
    assert_eq!(other.body["errors"][0]["field"], "cursor");
    let bad = f.get("/api/applications?appliedFrom=yesterday", &admin.token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Edits need If-Match.
    let edit = json!({"notes": "call after 5pm", "salaryExpectation": {"min": 80000, "max": 95000, "currency": "EUR"}, "availability": "in two months", "source": "referral"});
    let no_version = put(f, &format!("/api/applications/{a1}"), &admin.token, edit.clone(), None).await;
    assert_eq!(no_version.status, StatusCode::PRECONDITION_REQUIRED);
    let current = f.get(&format!("/api/applications/{a1}"), &admin.token).await;
    let etag = current.header("etag").unwrap().to_owned();
    let edited = put(f, &format!("/api/applications/{a1}"), &admin.token, edit, Some(&etag)).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["salaryExpectation"]["currency"], "EUR");
    assert_eq!(edited.body["source"], "referral");

    // Deleting needs the permission; it is audited and the counters follow.
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let del = |token: String, id: String| async move {
        f.send(Call {
            method: Method::DELETE,
            path: format!("/api/applications/{id}"),
            token: Some(&token),
            body: None,
            headers: vec![],
        })
        .await
    };
    assert_eq!(del(recruiter.clone(), a3.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(del(admin.token.clone(), a3.clone()).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.get(&format!("/api/applications/{a3}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_overview_equals_recount(f, &admin.token).await;
    let audit = f
        .store
        .query(&clearview_core::ports::store::Query::table(format!("ORG#{}#AUDIT", admin.org)).limit(1000))
        .await
        .unwrap();
    assert!(
        audit.items.iter().any(|i| i.data["action"] == "application.delete" && i.data["targetId"] == a3.as_str()),
        "the deletion is in the audit trail"
    );
}

async fn blind_review_hides_who_the_candidate_is_until_an_audited_reveal(f: &Family) {
    let admin = f.employer_admin("Blind").await;
    let job = published_job(f, &admin, "Blind Engineer").await;
    let (_, cand_id, app) = applicant(f, &job, "Noor Haddad", "company_website").await;
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let (hr, hr_id) = f.staff(&admin, "hr_manager").await;
    let leaks = |v: &Value| {
        let s = v.to_string();
        s.contains("Noor") || s.contains("Haddad") || s.contains("@mail.example")
    };
    // Blind in every staff view: the application, the lists, the candidate, bulk results.
    let one = f.get(&format!("/api/applications/{app}"), &recruiter).await;
    assert_eq!(one.body["blind"], true);
    assert_eq!(one.body["identity"], Value::Null);
    assert!(!leaks(&one.body), "{:?}", one.body);
    for path in [
        "/api/applications".to_owned(),
        format!("/api/jobs/{job}/applications"),
        format!("/api/employers/{}/applications", admin.org),
        format!("/api/candidates/{cand_id}/applications"),
        format!("/api/candidates/{cand_id}"),
    ] {
        let r = f.get(&path, &recruiter).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        assert!(!leaks(&r.body), "{path} shows who the candidate is: {:?}", r.body);
    }
    let email = f
        .post(
            "/api/applications/bulk-action",
            Some(&recruiter),
            json!({"action": "email", "applicationIds": [app], "message": {"subject": "Next steps", "body": "We will call you next week."}}),
        )
        .await;
    assert_eq!(email.body["done"], 1, "{:?}", email.body);
    assert!(!leaks(&email.body));

    // A recruiter may not reveal; an HR manager may, with a reason.
    let reason = json!({"reason": "Scheduling a call needs the phone number"});
    let denied = f.post(&format!("/api/applications/{app}/reveal"), Some(&recruiter), reason.clone()).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let short = f.post(&format!("/api/applications/{app}/reveal"), Some(&hr), json!({"reason": "why"})).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let revealed = f.post(&format!("/api/applications/{app}/reveal"), Some(&hr), reason).await;
    assert_eq!(revealed.status, StatusCode::OK, "{:?}", revealed.body);
    assert_eq!(revealed.body["blind"], false);
    assert_eq!(revealed.body["identity"]["name"], "Noor Haddad");
    assert_eq!(revealed.body["revealed"]["by"], hr_id.as_str());
    let candidate = f.get(&format!("/api/candidates/{cand_id}"), &recruiter).await;
    assert_eq!(candidate.body["name"], "Noor Haddad");
    let history = f.get(&format!("/api/applications/{app}/history"), &recruiter).await;
    let reveal = &history.body["items"].as_array().unwrap()[0];
    assert_eq!((reveal["kind"].as_str(), reveal["by"].as_str()), (Some("reveal"), Some(hr_id.as_str())));
    assert_eq!(reveal["note"], "Scheduling a call needs the phone number");
    let analytics = f.get(&format!("/api/pipeline/analytics?jobId={job}"), &admin.token).await;
    assert_eq!(analytics.body["jobs"][0]["reveals"], 1, "{:?}", analytics.body);

    // Another application is blind until it reaches the reveal stage.
    let (_, _, app2) = applicant(f, &job, "Omar Said", "other").await;
    let blind = f.get(&format!("/api/applications/{app2}"), &recruiter).await;
    assert_eq!(blind.body["blind"], true);
    let at_reveal = advance(f, &admin.token, &app2, json!({"toStage": "final_interview"})).await;
    assert_eq!(at_reveal.body["blind"], false, "{:?}", at_reveal.body);
    assert_eq!(at_reveal.body["identity"]["name"], "Omar Said");
}

async fn the_employer_seed_routes_select_for_interview_and_track_applications(f: &Family) {
    let admin = f.employer_admin("Seed").await;
    let other = f.employer_admin("Other").await;
    let job = published_job(f, &admin, "Seed Engineer").await;
    let (_, cand_id, app) = applicant(f, &job, "Pat Kim", "indeed").await;
    let path = format!("/api/employers/{}/select-candidate", admin.org);
    let unknown =
        f.post(&path, Some(&admin.token), json!({"candidateId": uuid::Uuid::now_v7().to_string(), "jobId": job})).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    let no_job = f
        .post(&path, Some(&admin.token), json!({"candidateId": cand_id, "jobId": uuid::Uuid::now_v7().to_string()}))
        .await;
    assert_eq!(no_job.status, StatusCode::NOT_FOUND);
    let foreign = f
        .post(
            &format!("/api/employers/{}/select-candidate", admin.org),
            Some(&other.token),
            json!({"candidateId": cand_id, "jobId": job}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let selected = f.post(&path, Some(&admin.token), json!({"candidateId": cand_id, "jobId": job, "score": 84})).await;
    assert_eq!(selected.status, StatusCode::OK, "{:?}", selected.body);
    assert_eq!(selected.body["stageId"], "phone_screen");
    assert_eq!(selected.body["status"], "phone_screen");
    let tracked = f.get(&format!("/api/employers/{}/applications", admin.org), &admin.token).await;
    assert_eq!(tracked.body["items"][0]["id"], app.as_str());
    let theirs = f.get(&format!("/api/employers/{}/applications", admin.org), &other.token).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

/// A kanban drag (`POST /api/pipeline/move-candidate`) takes an application from any stage to
/// any stage, back included, with a note; a stage that does not exist is refused; the counters
/// follow every move.
async fn a_kanban_drag_moves_an_application_to_any_stage_and_the_counters_follow(f: &Family) {
    let admin = f.employer_admin("Drag").await;
    let job = published_job(f, &admin, "Site Reliability Engineer").await;
    let (_, _, app) = applicant(f, &job, "Kai Moreno", "referral").await;
    let drag = |to: &str| json!({"applicationId": app, "toStage": to, "note": "strong portfolio"});
    let moved = f.post("/api/pipeline/move-candidate", Some(&admin.token), drag("technical_interview")).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(moved.body["stageId"], "technical_interview");
    assert_overview_equals_recount(f, &admin.token).await;
    let back = f.post("/api/pipeline/move-candidate", Some(&admin.token), drag("phone_screen")).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    assert_eq!(f.get(&format!("/api/applications/{app}"), &admin.token).await.body["stageId"], "phone_screen");
    assert_overview_equals_recount(f, &admin.token).await;
    let nowhere = f.post("/api/pipeline/move-candidate", Some(&admin.token), drag("no_such_stage")).await;
    assert!(nowhere.status.is_client_error(), "{:?}", nowhere.body);
    assert_eq!(f.get(&format!("/api/applications/{app}"), &admin.token).await.body["stageId"], "phone_screen");
    // The history keeps each stage left, with the drag's note.
    let history = f.get(&format!("/api/applications/{app}/history"), &admin.token).await;
    assert_eq!(history.status, StatusCode::OK, "{:?}", history.body);
    let left: Vec<(&str, &str)> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some((e["stage"].as_str()?, e["note"].as_str()?)))
        .collect();
    assert!(left.contains(&("technical_interview", "strong portfolio")), "{:?}", history.body);
    assert_eq!(history.body["currentStage"], "phone_screen");
}

macro_rules! workflow_tests {
    ($family:path) => {
        #[tokio::test]
        async fn a_kanban_drag_moves_an_application_to_any_stage_and_the_counters_follow() {
            super::a_kanban_drag_moves_an_application_to_any_stage_and_the_counters_follow(&$family().await).await;
        }
        #[tokio::test]
        async fn the_default_pipeline_is_saved_with_new_stages_and_a_stage_holding_applications_is_kept() {
            super::the_default_pipeline_is_saved_with_new_stages_and_a_stage_holding_applications_is_kept(
                &$family().await,
            )
            .await;
        }
        #[tokio::test]
        async fn an_application_moves_from_applied_to_offer_and_is_hired_with_its_history() {
            super::an_application_moves_from_applied_to_offer_and_is_hired_with_its_history(&$family().await).await;
        }
        #[tokio::test]
        async fn an_application_on_hold_keeps_its_stage_and_counters_and_a_move_takes_it_off_hold() {
            super::an_application_on_hold_keeps_its_stage_and_counters_and_a_move_takes_it_off_hold(&$family().await)
                .await;
        }
        #[tokio::test]
        async fn bulk_reject_reports_each_item_and_the_analytics_equal_a_recount() {
            super::bulk_reject_reports_each_item_and_the_analytics_equal_a_recount(&$family().await).await;
        }
        #[tokio::test]
        async fn filters_edits_and_deletion_keep_the_counters_true() {
            super::filters_edits_and_deletion_keep_the_counters_true(&$family().await).await;
        }
        #[tokio::test]
        async fn blind_review_hides_who_the_candidate_is_until_an_audited_reveal() {
            super::blind_review_hides_who_the_candidate_is_until_an_audited_reveal(&$family().await).await;
        }
        #[tokio::test]
        async fn the_employer_seed_routes_select_for_interview_and_track_applications() {
            super::the_employer_seed_routes_select_for_interview_and_track_applications(&$family().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn family() -> Family {
        let dir = std::env::temp_dir().join(format!("clearview-workflow-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        clearview_tests::families::embedded(&local, local.deps())
    }

    workflow_tests!(family);
}

mod aws {
    use super::*;

    async fn family() -> Family {
        clearview_tests::families::moto_family().await
    }

    workflow_tests!(family);
}
