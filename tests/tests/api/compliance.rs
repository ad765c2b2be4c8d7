//! Compliance and integrations (issue 12) at the API level, on both adapter families, one
//! module per area.

mod rate_limits {
    //! Each limit driven past with small limits: the per-user, per-IP, AI and upload windows,
    //! counted in the table so that two instances (routers over one store) share them, and the
    //! 429 answer's problem, Retry-After and IETF RateLimit headers.

    use axum::http::StatusCode;
    use clearview_http::ratelimit::RateLimits;
    use clearview_tests::api::{Answer, Family, candidate};
    use serde_json::json;

    /// Small limits; IP stays at its default for the tests that sign people up anonymously.
    pub fn small() -> RateLimits {
        RateLimits { per_user: 5, ai_per_user: 2, uploads_per_user: 2, ..RateLimits::default() }
    }

    fn assert_limited(a: &Answer, policy: &str, quota: u32) {
        assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{:?}", a.body);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
        assert_eq!(a.problem_type(), "/problems/too-many-requests");
        let retry: i64 = a.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=3600).contains(&retry), "Retry-After {retry}");
        let policies = a.header("ratelimit-policy").expect("RateLimit-Policy");
        assert!(policies.contains(&format!("\"{policy}\";q={quota};w=3600")), "{policies}");
        let state = a.header("ratelimit").expect("RateLimit");
        assert!(state.contains(&format!("\"{policy}\";r=0;t={retry}")), "{state}");
    }

    /// Per user: the sixth request of the hour is refused, on the other instance too, while
    /// another user of the same organisation still gets in.
    pub async fn a_user_past_the_hourly_limit_gets_429_on_every_instance(one: &Family, other: &Family) {
        let admin = one.employer_admin("Ratelimited").await;
        let second = one.staff(&admin, "recruiter").await.0;
        // The invitation was the admin's first request of the hour.
        for i in 2..=5 {
            let f = if i % 2 == 0 { other } else { one };
            let a = f.get("/api/jobs", &admin.token).await;
            assert_eq!(a.status, StatusCode::OK, "request {i}: {:?}", a.body);
            assert!(a.header("ratelimit").unwrap().starts_with(&format!("\"user\";r={};t=", 5 - i)), "{:?}", a.headers);
            assert_eq!(a.header("ratelimit-policy"), Some("\"user\";q=5;w=3600"));
        }
        assert_limited(&other.get("/api/jobs", &admin.token).await, "user", 5);
        assert_limited(&one.get("/api/jobs", &admin.token).await, "user", 5);
        let theirs = other.get("/api/jobs", &second).await;
        assert_eq!(theirs.status, StatusCode::OK, "{:?}", theirs.body);
    }

    /// Per IP: calls without a token count against the caller's address.
    pub async fn anonymous_calls_past_the_ip_limit_get_429(one: &Family, other: &Family) {
        for i in 1..=3 {
            let f = if i == 2 { other } else { one };
            let a = f.send(get_public("/api/job-board")).await;
            assert_eq!(a.status, StatusCode::OK, "request {i}: {:?}", a.body);
            assert_eq!(a.header("ratelimit-policy"), Some("\"ip\";q=3;w=3600"));
        }
        assert_limited(&other.send(get_public("/api/job-board")).await, "ip", 3);
    }

    fn get_public(path: &str) -> clearview_tests::api::Call<'static> {
        clearview_tests::api::Call {
            method: axum::http::Method::GET,
            path: path.into(),
            token: None,
            body: None,
            headers: vec![],
        }
    }

    /// AI runs: the third reprocess-ai of the hour is refused although the user's overall
    /// limit is not reached; other routes still answer.
    pub async fn a_third_ai_run_in_the_hour_gets_429(one: &Family, other: &Family) {
        let admin = one.employer_admin("AiLimited").await;
        let missing = "0191e0c8-7f5a-7cc4-9d1e-2b7a1f3e4d5c";
        for f in [one, other] {
            let a = f.post(&format!("/api/applications/{missing}/reprocess-ai"), Some(&admin.token), json!(null)).await;
            assert_eq!(a.status, StatusCode::NOT_FOUND, "{:?}", a.body);
            assert!(a.header("ratelimit-policy").unwrap().contains("\"ai\";q=2;w=3600"), "{:?}", a.headers);
        }
        let over =
            one.post(&format!("/api/applications/{missing}/reprocess-ai"), Some(&admin.token), json!(null)).await;
        assert_limited(&over, "ai", 2);
        let jobs = other.get("/api/jobs", &admin.token).await;
        assert_eq!(jobs.status, StatusCode::OK, "{:?}", jobs.body);
    }

    /// Uploads: the third upload URL of the hour is refused, through either upload route.
    pub async fn a_third_upload_in_the_hour_gets_429(one: &Family, other: &Family) {
        let (token, _, _) = candidate(one, "Uma Upload").await;
        let missing = "0191e0c8-7f5a-7cc4-9d1e-2b7a1f3e4d5c";
        let body = json!({"contentType": "application/pdf", "fileName": "cv.pdf"});
        let a = one.post(&format!("/api/applications/{missing}/resume-upload-url"), Some(&token), body.clone()).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{:?}", a.body);
        let file = json!({"applicationId": missing, "contentType": "application/pdf", "fileName": "cv.pdf"});
        let b = other.post("/api/files/upload", Some(&token), file.clone()).await;
        assert_eq!(b.status, StatusCode::NOT_FOUND, "{:?}", b.body);
        assert_limited(&one.post("/api/files/upload", Some(&token), file).await, "upload", 2);
        assert_limited(
            &other.post(&format!("/api/applications/{missing}/resume-upload-url"), Some(&token), body).await,
            "upload",
            2,
        );
    }

    macro_rules! rate_limit_tests {
        ($families:ident) => {
            #[tokio::test]
            async fn a_user_past_the_hourly_limit_gets_429_on_every_instance() {
                let [one, other] = $families(super::small()).await;
                super::a_user_past_the_hourly_limit_gets_429_on_every_instance(&one, &other).await;
            }
            #[tokio::test]
            async fn anonymous_calls_past_the_ip_limit_get_429() {
                let [one, other] = $families(RateLimits { per_ip: 3, ..super::small() }).await;
                super::anonymous_calls_past_the_ip_limit_get_429(&one, &other).await;
            }
            #[tokio::test]
            async fn a_third_ai_run_in_the_hour_gets_429() {
                let [one, other] = $families(super::small()).await;
                super::a_third_ai_run_in_the_hour_gets_429(&one, &other).await;
            }
            #[tokio::test]
            async fn a_third_upload_in_the_hour_gets_429() {
                let [one, other] = $families(super::small()).await;
                super::a_third_upload_in_the_hour_gets_429(&one, &other).await;
            }
        };
    }

    mod embedded {
        use super::*;
        use clearview_local::LocalFamily;

        /// Two routers over one embedded store: two instances.
        async fn families(limits: RateLimits) -> [Family; 2] {
            let dir = std::env::temp_dir().join(format!("clearview-compliance-{}", uuid::Uuid::new_v4()));
            let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
            [
                clearview_tests::families::embedded_with(&local, local.deps(), limits),
                clearview_tests::families::embedded_with(&local, local.deps(), limits),
            ]
        }

        rate_limit_tests!(families);
    }

    mod aws {
        use super::*;

        async fn families(limits: RateLimits) -> [Family; 2] {
            let mut v = clearview_tests::families::moto_instances(limits, 2).await;
            let other = v.pop().unwrap();
            [v.pop().unwrap(), other]
        }

        rate_limit_tests!(families);
    }
}

mod ll144 {
    //! NYC Local Law 144: a candidate asks to be reviewed without the automated tool; the
    //! application then has no score or recommendation, scoring cannot be rerun, the chain stops
    //! before scoring, and the request is audited.

    use axum::http::StatusCode;
    use clearview_core::ports::store::Query;
    use clearview_tests::api::{Family, candidate, job_body};
    use serde_json::json;

    pub async fn a_candidate_gets_a_person_instead_of_the_tool_and_it_is_audited(f: &Family) {
        let admin = f.employer_admin("Llco").await;
        let job = f.post("/api/jobs", Some(&admin.token), job_body("Analyst")).await;
        let job = job.body["id"].as_str().unwrap().to_owned();
        let published = f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
        assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
        // The public posting tells candidates the tool is used, what it looks at, and how to
        // ask for a person instead.
        let board = f
            .send(clearview_tests::api::Call {
                method: axum::http::Method::GET,
                path: "/api/job-board".into(),
                token: None,
                body: None,
                headers: vec![],
            })
            .await;
        let posted = board.body["items"].as_array().unwrap().iter().find(|j| j["id"] == job.as_str()).unwrap();
        assert!(posted["screening"]["howItIsUsed"].as_str().unwrap().contains("automated tool"), "{posted:?}");
        assert!(posted["screening"]["alternative"].as_str().unwrap().contains("/alternative-review"), "{posted:?}");
        let (token, cand_id, _) = candidate(f, "Noor Alt").await;
        let applied = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
        assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
        let app = applied.body["id"].as_str().unwrap().to_owned();
        let path = format!("/api/applications/{app}/alternative-review");

        // Someone else's application is not theirs to ask about; a too-short reason is named.
        let (other, _, _) = candidate(f, "Ola Other").await;
        let theirs = f.post(&path, Some(&other), json!({})).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{:?}", theirs.body);
        let short = f.post(&path, Some(&token), json!({"reason": "x"})).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", short.body);
        assert_eq!(short.body["errors"][0]["field"], "reason");
        let staff = f.post(&path, Some(&admin.token), json!({})).await;
        assert_eq!(staff.status, StatusCode::FORBIDDEN, "{:?}", staff.body);

        let asked = f.post(&path, Some(&token), json!({"reason": "I use a screen reader"})).await;
        assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
        assert_eq!(asked.body["alternativeReview"]["reason"], "I use a screen reader");
        assert!(asked.body["alternativeReview"]["requestedAt"].is_string());
        assert!(asked.body["ai"].is_null());
        let again = f.post(&path, Some(&token), json!({})).await;
        assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
        assert_eq!(again.body["version"], asked.body["version"], "a second request changes nothing");

        // Staff see the request and no automated recommendation; scoring cannot be rerun.
        let seen = f.get(&format!("/api/applications/{app}"), &admin.token).await;
        assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
        assert!(seen.body["alternativeReview"]["requestedAt"].is_string(), "{:?}", seen.body);
        assert!(seen.body["ai"].is_null() && seen.body["suggestion"].is_null(), "{:?}", seen.body);
        let score = f.get(&format!("/api/applications/{app}/ai-score"), &admin.token).await;
        assert_eq!(score.status, StatusCode::CONFLICT, "{:?}", score.body);
        assert_eq!(score.problem_type(), "/problems/alternative-review");
        let rerun = f.post(&format!("/api/applications/{app}/reprocess-ai"), Some(&admin.token), json!(null)).await;
        assert_eq!(rerun.status, StatusCode::CONFLICT, "{:?}", rerun.body);

        // Audited once, as the candidate, with the before and after.
        let page = f.store.query(&Query::table(format!("ORG#{}#AUDIT", admin.org))).await.unwrap();
        let records: Vec<_> =
            page.items.iter().filter(|i| i.data["action"] == "application.alternative_review").collect();
        assert_eq!(records.len(), 1, "{:?}", page.items);
        assert_eq!(records[0].data["actorId"], cand_id.as_str());
        assert!(records[0].data["before"]["alternativeReview"].is_null());
        assert_eq!(records[0].data["after"]["alternativeReview"]["reason"], "I use a screen reader");
    }

    /// The employer's public audit summary: published by an admin (audit:publish), read by
    /// anyone, one per employer (the latest), audited.
    pub async fn the_employer_publishes_its_bias_audit_summary_for_anyone_to_read(f: &Family) {
        let admin = f.employer_admin("Auditco").await;
        let job = f.post("/api/jobs", Some(&admin.token), job_body("Clerk")).await;
        let job = job.body["id"].as_str().unwrap().to_owned();
        f.post(&format!("/api/jobs/{job}/publish"), Some(&admin.token), json!(null)).await;
        let (token, _, _) = candidate(f, "Ari Applicant").await;
        let applied = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
        assert_eq!(applied.status, StatusCode::CREATED, "{:?}", applied.body);
        let path = format!("/api/employers/{}/bias-audit", admin.org);
        let public = |p: String| clearview_tests::api::Call {
            method: axum::http::Method::GET,
            path: p,
            token: None,
            body: None,
            headers: vec![],
        };
        assert_eq!(f.send(public(path.clone())).await.status, StatusCode::NOT_FOUND, "nothing published yet");

        let (recruiter, _) = f.staff(&admin, "recruiter").await;
        let refused = f.post(&path, Some(&recruiter), json!({"distributionDate": "2026-01-15"})).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
        let other = f.employer_admin("Otherco").await;
        let theirs = f.post(&path, Some(&other.token), json!({"distributionDate": "2026-01-15"})).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{:?}", theirs.body);
        for bad in ["15/01/2026", "2999-01-01"] {
            let r = f.post(&path, Some(&admin.token), json!({"distributionDate": bad})).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {:?}", r.body);
            assert_eq!(r.body["errors"][0]["field"], "distributionDate");
        }

        let published = f.post(&path, Some(&admin.token), json!({"distributionDate": "2026-01-15"})).await;
        assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
        let read = f.send(public(path.clone())).await;
        assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
        assert_eq!(read.body, published.body);
        let s = &read.body;
        assert_eq!(s["employerId"], admin.org.as_str());
        assert_eq!(s["distributionDate"], "2026-01-15");
        assert!(s["auditedAt"].is_string());
        assert_eq!((s["jobs"].as_u64(), s["notYetScored"].as_u64()), (Some(1), Some(1)));
        for table in ["sex", "raceEthnicity", "intersectional"] {
            assert!(s["report"][table]["categories"].is_array(), "{table}: {s:?}");
        }
        // Publishing again replaces it (one summary, the latest).
        let again = f.post(&path, Some(&admin.token), json!({"distributionDate": "2026-01-16"})).await;
        assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
        assert_eq!(f.send(public(path.clone())).await.body["distributionDate"], "2026-01-16");
        assert_eq!(
            f.send(public(format!("/api/employers/{}/bias-audit", other.org))).await.status,
            StatusCode::NOT_FOUND
        );
        let page = f.store.query(&Query::table(format!("ORG#{}#AUDIT", admin.org))).await.unwrap();
        let n = page.items.iter().filter(|i| i.data["action"] == "bias_audit.publish").count();
        assert_eq!(n, 2);
    }

    /// The chain on the embedded default: the resume is parsed and anonymised (a person reads
    /// it), then stops: never scored, never bias-re-scored.
    #[tokio::test]
    async fn the_chain_does_not_score_an_application_under_alternative_review() {
        let e = crate::common::env().await;
        let f = &e.family;
        let admin = f.employer_admin("Chainco").await;
        let job = crate::common::active_job(f, &admin).await;
        let (token, _, email) = candidate(f, "Pat Person").await;
        let applied = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
        let app = applied.body["id"].as_str().unwrap().to_owned();
        let asked = f.post(&format!("/api/applications/{app}/alternative-review"), Some(&token), json!({})).await;
        assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
        let grant = f
            .post(
                &format!("/api/applications/{app}/resume-upload-url"),
                Some(&token),
                json!({"contentType": "application/pdf", "fileName": "wp_resume.pdf"}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
        let url = grant.body["upload"]["url"].as_str().unwrap();
        let put = f
            .put_bytes(
                &url[url.find("/local-blobs").unwrap()..],
                "application/pdf",
                clearview_tests::api::fixture("wp_resume.pdf"),
            )
            .await;
        assert_eq!(put, StatusCode::OK);
        crate::common::wait_for_stage(f, &admin.token, &app, &["anonymized"]).await;
        // Long enough for the score and bias consumers to have run (they take milliseconds).
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let a = f.get(&format!("/api/applications/{app}"), &admin.token).await;
        assert_eq!(a.body["processing"]["stage"], "anonymized", "{:?}", a.body);
        assert!(a.body["ai"].is_null(), "{:?}", a.body);
        let blind = f.get(&format!("/api/applications/{app}/resume"), &admin.token).await;
        assert_eq!(blind.status, StatusCode::OK, "a person reads the anonymised resume: {:?}", blind.body);
        // The application-received email carried the notice.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let received = loop {
            let mails = e.local.outbox.messages_to(&email);
            if let Some(m) = mails.into_iter().find(|m| m.subject.contains("We received your application")) {
                break m;
            }
            assert!(std::time::Instant::now() < deadline, "no application-received email");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let text = received.text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("automated tool assists the screening"), "{text}");
        assert!(text.contains("/alternative-review"), "{text}");

        // A scored applicant is in the employer's published audit; the one reviewed by a person
        // is not scored, so not in the rates.
        let (scored, _, _) = candidate(f, "Sam Scored").await;
        let id =
            crate::common::apply_and_upload(f, &scored, &job, "wp_resume.pdf", "application/pdf", json!(null)).await;
        crate::common::wait_for_stage(f, &admin.token, &id, &["checked"]).await;
        let path = format!("/api/employers/{}/bias-audit", admin.org);
        let published = f.post(&path, Some(&admin.token), json!({"distributionDate": "2026-01-15"})).await;
        assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
        assert_eq!(published.body["report"]["totalRecords"], 1, "{:?}", published.body);
        assert_eq!(published.body["notYetScored"], 1, "{:?}", published.body);
    }

    mod embedded {
        use clearview_local::LocalFamily;

        #[tokio::test]
        async fn a_candidate_gets_a_person_instead_of_the_tool_and_it_is_audited() {
            let dir = std::env::temp_dir().join(format!("clearview-ll144-{}", uuid::Uuid::new_v4()));
            let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
            let f = clearview_tests::families::embedded(&local, local.deps());
            super::a_candidate_gets_a_person_instead_of_the_tool_and_it_is_audited(&f).await;
        }

        #[tokio::test]
        async fn the_employer_publishes_its_bias_audit_summary_for_anyone_to_read() {
            let dir = std::env::temp_dir().join(format!("clearview-ll144-{}", uuid::Uuid::new_v4()));
            let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
            let f = clearview_tests::families::embedded(&local, local.deps());
            super::the_employer_publishes_its_bias_audit_summary_for_anyone_to_read(&f).await;
        }
    }

    mod aws {
        #[tokio::test]
        async fn a_candidate_gets_a_person_instead_of_the_tool_and_it_is_audited() {
            let f = clearview_tests::families::moto_family().await;
            super::a_candidate_gets_a_person_instead_of_the_tool_and_it_is_audited(&f).await;
        }

        #[tokio::test]
        async fn the_employer_publishes_its_bias_audit_summary_for_anyone_to_read() {
            let f = clearview_tests::families::moto_family().await;
            super::the_employer_publishes_its_bias_audit_summary_for_anyone_to_read(&f).await;
        }
    }
}

mod audit_log {
    //! The audit trail over the API: who did what to which resource, before and after, with the
    //! caller's user agent; filtered by resource, actor, action and time; paged; exported as CSV;
    //! admins only, each organisation its own.

    use axum::http::{Method, StatusCode};
    use clearview_tests::api::{Call, Family, job_body};
    use serde_json::{Value, json};

    const AGENT: &str = "ClearView-Test/1.0 (audit)";

    pub async fn the_audit_trail_answers_who_changed_what_from_where_filtered_paged_and_as_csv(f: &Family) {
        let admin = f.employer_admin("Audited").await;
        let other = f.employer_admin("Unrelated").await;
        let (recruiter, recruiter_id) = f.staff(&admin, "recruiter").await;
        let send = |method: Method,
                    path: String,
                    token: String,
                    body: Option<Value>,
                    headers: Vec<(&'static str, String)>| async move {
            let mut headers = headers;
            headers.push(("user-agent", AGENT.to_owned()));
            f.send(Call { method, path, token: Some(&token), body, headers }).await
        };
        let made = send(Method::POST, "/api/jobs".into(), admin.token.clone(), Some(job_body("Auditor")), vec![]).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        let job = made.body["id"].as_str().unwrap().to_owned();
        let etag = made.header("etag").unwrap().to_owned();
        let edited = send(
            Method::PUT,
            format!("/api/jobs/{job}"),
            recruiter.clone(),
            Some({
                let mut b = job_body("Senior Auditor");
                b.as_object_mut().unwrap().remove("criteria");
                b
            }),
            vec![("if-match", etag)],
        )
        .await;
        assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);

        assert_eq!(f.get("/api/audit", &recruiter).await.status, StatusCode::FORBIDDEN);
        let of_job = f.get(&format!("/api/audit?resourceType=job&resourceId={job}"), &admin.token).await;
        assert_eq!(of_job.status, StatusCode::OK, "[{}] {:?}", f.name, of_job.body);
        let items = of_job.body["items"].as_array().unwrap();
        let actions: Vec<&str> = items.iter().map(|r| r["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["job.update", "job.create"], "newest first: {items:?}");
        assert_eq!(items[0]["actorId"], json!(recruiter_id));
        assert_eq!(items[0]["before"]["title"], "Auditor");
        assert_eq!(items[0]["after"]["title"], "Senior Auditor");
        assert_eq!(items[1]["after"]["title"], "Auditor");
        assert!(items.iter().all(|r| r["userAgent"] == AGENT), "{items:?}");

        let by = f.get(&format!("/api/audit?actor={recruiter_id}"), &admin.token).await;
        let by = by.body["items"].as_array().unwrap();
        assert!(!by.is_empty() && by.iter().all(|r| r["actorId"] == json!(recruiter_id)), "{by:?}");
        let updates = f.get("/api/audit?action=job.update", &admin.token).await;
        assert_eq!(updates.body["items"].as_array().unwrap().len(), 1, "{:?}", updates.body);
        let future = f.get("/api/audit?from=2999-01-01T00:00:00Z", &admin.token).await;
        assert_eq!(future.body["items"], json!([]));
        for (q, field) in [("from=yesterday", "from"), ("resourceId=abc", "resourceId")] {
            let bad = f.get(&format!("/api/audit?{q}"), &admin.token).await;
            assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {:?}", bad.body);
            assert_eq!(bad.body["errors"][0]["field"], field, "{:?}", bad.body);
        }
        // Another organisation's trail does not hold this job.
        let theirs = f.get(&format!("/api/audit?resourceType=job&resourceId={job}"), &other.token).await;
        assert_eq!(theirs.body["items"], json!([]));

        // Pages: one record each, the cursor bound to the filter.
        let first = f.get(&format!("/api/audit?resourceType=job&resourceId={job}&limit=1"), &admin.token).await;
        assert_eq!(first.body["items"][0]["action"], "job.update");
        let cursor = first.body["nextCursor"].as_str().expect("a next page").to_owned();
        let second =
            f.get(&format!("/api/audit?resourceType=job&resourceId={job}&limit=1&cursor={cursor}"), &admin.token).await;
        assert_eq!(second.body["items"][0]["action"], "job.create", "{:?}", second.body);
        let misused = f.get(&format!("/api/audit?action=job.create&limit=1&cursor={cursor}"), &admin.token).await;
        assert_eq!(misused.status, StatusCode::UNPROCESSABLE_ENTITY, "a cursor of another filter: {:?}", misused.body);

        // The CSV export: a header row and one row per record.
        let csv = f.get(&format!("/api/audit/export?resourceType=job&resourceId={job}"), &admin.token).await;
        assert_eq!(csv.status, StatusCode::OK, "{:?}", csv.body);
        assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
        let text = csv.body.as_str().unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("at,id,actorId,actorEmail,action,resourceType,resourceId,ip,userAgent,before,after")
        );
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0].contains(",job.update,job,") && rows[0].contains(AGENT), "{}", rows[0]);
    }

    mod embedded {
        use clearview_local::LocalFamily;

        #[tokio::test]
        async fn the_audit_trail_answers_who_changed_what_from_where_filtered_paged_and_as_csv() {
            let dir = std::env::temp_dir().join(format!("clearview-audit-{}", uuid::Uuid::new_v4()));
            let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
            let f = clearview_tests::families::embedded(&local, local.deps());
            super::the_audit_trail_answers_who_changed_what_from_where_filtered_paged_and_as_csv(&f).await;
        }
    }

    mod aws {
        #[tokio::test]
        async fn the_audit_trail_answers_who_changed_what_from_where_filtered_paged_and_as_csv() {
            let f = clearview_tests::families::moto_family().await;
            super::the_audit_trail_answers_who_changed_what_from_where_filtered_paged_and_as_csv(&f).await;
        }
    }
}

mod job_board_feeds {
    //! Job boards' formats: the XML feed aggregators ingest, read back with an XML parser, and
    //! schema.org JobPosting JSON-LD checked against what Google for Jobs requires.

    use axum::http::StatusCode;
    use clearview_tests::api::{Family, job_body};
    use quick_xml::events::Event;
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    /// Each `<job>` of the feed as field → text (CDATA or text), in order.
    fn jobs_of(xml: &str) -> (String, Vec<BTreeMap<String, String>>) {
        let mut r = quick_xml::Reader::from_str(xml);
        let (mut root, mut jobs, mut path, mut current) =
            (String::new(), Vec::new(), Vec::<String>::new(), BTreeMap::<String, String>::new());
        loop {
            match r.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    let name = e.name().as_ref().to_owned();
                    if path.is_empty() {
                        root = name.clone();
                    }
                    if name == "job" {
                        current = BTreeMap::new();
                    }
                    path.push(name);
                }
                Event::End(_) if path.pop().as_deref() == Some("job") => jobs.push(std::mem::take(&mut current)),
                Event::End(_) => {}
                Event::CData(t) => {
                    let v = t.into_inner().into_owned();
                    current.entry(path.last().unwrap().clone()).or_default().push_str(&v);
                }
                Event::Text(t) => {
                    let v = t.xml10_content().into_owned();
                    if !v.trim().is_empty() && path.len() > 1 {
                        current.entry(path.last().unwrap().clone()).or_default().push_str(&v);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        (root, jobs)
    }

    pub async fn the_feed_and_json_ld_list_active_jobs_in_the_formats_boards_read(f: &Family) {
        let admin = f.employer_admin("Feedco").await;
        let t = admin.token.as_str();
        let mut remote = job_body("Rust & <Go> Engineer ]]> tricky");
        remote["isRemote"] = json!(true);
        remote["location"] = json!("Lisbon, Portugal");
        remote["deadline"] = json!("2099-01-31");
        let mut ids = Vec::new();
        for body in [job_body("Data Analyst"), remote] {
            let j = f.post("/api/jobs", Some(t), body).await;
            assert_eq!(j.status, StatusCode::CREATED, "{:?}", j.body);
            let id = j.body["id"].as_str().unwrap().to_owned();
            assert_eq!(f.post(&format!("/api/jobs/{id}/publish"), Some(t), json!(null)).await.status, StatusCode::OK);
            ids.push(id);
        }
        let draft =
            f.post("/api/jobs", Some(t), job_body("Not yet public")).await.body["id"].as_str().unwrap().to_owned();

        let feed = f
            .send(clearview_tests::api::Call {
                method: axum::http::Method::GET,
                path: "/api/job-board/feed.xml".into(),
                token: None,
                body: None,
                headers: vec![],
            })
            .await;
        assert_eq!(feed.status, StatusCode::OK, "{:?}", feed.body);
        assert!(feed.header("content-type").unwrap().starts_with("application/xml"));
        let (root, jobs) = jobs_of(feed.body.as_str().unwrap());
        assert_eq!(root, "source");
        let mine: Vec<&BTreeMap<String, String>> =
            jobs.iter().filter(|j| ids.contains(&j["referencenumber"]) || j["referencenumber"] == draft).collect();
        assert_eq!(mine.len(), 2, "the draft is not in the feed: {mine:?}");
        for j in &mine {
            for field in ["title", "date", "referencenumber", "url", "company", "description", "jobtype"] {
                assert!(j.get(field).is_some_and(|v| !v.is_empty()), "{field} missing: {j:?}");
            }
            time::OffsetDateTime::parse(&j["date"], &time::format_description::well_known::Rfc2822)
                .expect("RFC 2822 date");
            assert_eq!(j["company"], "Feedco");
            assert_eq!(j["jobtype"], "fulltime");
            assert!(j["url"].starts_with("http") && j["url"].ends_with(&j["referencenumber"]), "{}", j["url"]);
        }
        let remote_job = mine.iter().find(|j| j["referencenumber"] == ids[1]).unwrap();
        assert_eq!(remote_job["title"], "Rust & <Go> Engineer ]]> tricky", "CDATA keeps every character");
        assert_eq!((remote_job["city"].as_str(), remote_job["country"].as_str()), ("Lisbon", "Portugal"));
        assert_eq!(remote_job["remotetype"], "Fully remote");
        assert_eq!(remote_job["salary"], "70000-90000 EUR per year".replace("EUR", &salary_currency(f, &ids[1]).await));

        // JSON-LD: what Google for Jobs requires (title, description, datePosted, hiringOrganization,
        // a location or a remote job's applicant location), with valid enumerations.
        let ld = f.get(&format!("/api/job-board/{}/json-ld", ids[1]), "").await;
        assert_eq!(ld.status, StatusCode::OK, "{:?}", ld.body);
        assert_eq!(ld.header("content-type"), Some("application/ld+json"));
        let v: &Value = &ld.body;
        assert_eq!((v["@context"].as_str(), v["@type"].as_str()), (Some("https://schema.org/"), Some("JobPosting")));
        for required in ["title", "description", "datePosted", "hiringOrganization"] {
            assert!(!v[required].is_null(), "{required}: {v}");
        }
        assert_eq!(v["hiringOrganization"]["name"], "Feedco");
        assert!(["FULL_TIME", "PART_TIME", "CONTRACTOR", "INTERN"].contains(&v["employmentType"].as_str().unwrap()));
        assert_eq!(v["jobLocationType"], "TELECOMMUTE");
        assert_eq!(v["applicantLocationRequirements"]["name"], "Portugal");
        assert_eq!(v["jobLocation"]["address"]["addressLocality"], "Lisbon");
        assert_eq!(v["validThrough"], "2099-01-31T23:59:59Z");
        assert_eq!(v["baseSalary"]["value"]["minValue"], 70000);
        assert_eq!(v["baseSalary"]["value"]["unitText"], "YEAR");
        time::Date::parse(v["datePosted"].as_str().unwrap(), time::macros::format_description!("[year]-[month]-[day]"))
            .expect("an ISO 8601 date");
        let public = f.get(&format!("/api/job-board/{}", ids[0]), "").await;
        assert_eq!(public.body["title"], "Data Analyst");
        assert!(public.body.get("createdBy").is_none());
        for missing in [
            format!("/api/job-board/{draft}/json-ld"),
            format!("/api/job-board/{draft}"),
            "/api/job-board/0193a0b0-0000-7000-8000-000000000001".into(),
        ] {
            assert_eq!(f.get(&missing, "").await.status, StatusCode::NOT_FOUND, "{missing}");
        }
    }

    async fn salary_currency(f: &Family, id: &str) -> String {
        f.get(&format!("/api/job-board/{id}"), "").await.body["salaryCurrency"].as_str().unwrap().to_owned()
    }

    mod embedded {
        use clearview_local::LocalFamily;

        #[tokio::test]
        async fn the_feed_and_json_ld_list_active_jobs_in_the_formats_boards_read() {
            let dir = std::env::temp_dir().join(format!("clearview-feed-{}", uuid::Uuid::new_v4()));
            let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
            let f = clearview_tests::families::embedded(&local, local.deps());
            super::the_feed_and_json_ld_list_active_jobs_in_the_formats_boards_read(&f).await;
        }
    }

    mod aws {
        #[tokio::test]
        async fn the_feed_and_json_ld_list_active_jobs_in_the_formats_boards_read() {
            let f = clearview_tests::families::moto_family().await;
            super::the_feed_and_json_ld_list_active_jobs_in_the_formats_boards_read(&f).await;
        }
    }
}
