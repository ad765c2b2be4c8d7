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
