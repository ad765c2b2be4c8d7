//! The Lambda glue from real-shaped API Gateway HTTP API (v2) events in `events/` — the same
//! fixtures `make invoke` sends — through `lambda_http::request::from_str`, over the embedded
//! adapters.

use clearview_core::model::{User, UserStatus};
use clearview_core::ports::store::{Condition, ItemStore};
use clearview_core::rbac::{Overrides, Role};
use clearview_core::record::Record;
use clearview_core::values::{Email, OrgId, UserId};
use clearview_http::{App, cursor::CursorKey, lambda, routes};
use clearview_local::LocalFamily;
use lambda_http::Body;
use serde_json::Value;

const JOBS_CREATE: &str = include_str!("../../../events/jobs-create.json");
const JOBS_GET: &str = include_str!("../../../events/jobs-get.json");
const AUTH_LOGIN: &str = include_str!("../../../events/auth-login.json");

/// The app over fresh embedded adapters, with the fixture's staff user on file (the claims in
/// the fixtures name this sub and org, as API Gateway's authorizer would pass them).
async fn app_with_fixture_admin() -> App {
    let dir = std::env::temp_dir().join(format!("clearview-lambda-events-{}", uuid_like()));
    let family = LocalFamily::in_memory_for_tests(&dir).expect("family");
    let now = time::OffsetDateTime::now_utc();
    let admin = User {
        id: UserId::trusted("6c1e5f0a-1b2c-4d3e-8f9a-0b1c2d3e4f50"),
        org_id: OrgId::trusted("org-01JK3W8Q5Z4X2C9V7B6N1M0P8A"),
        email: Email::trusted("ada@acme.example"),
        name: Some("Ada".into()),
        role: Role::Admin,
        status: UserStatus::Active,
        overrides: Overrides::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    family.store.put(admin.to_item().unwrap(), Condition::NotExists).await.unwrap();
    App::new(family.deps(), CursorKey::new(&[3u8; 32]).unwrap())
}

fn uuid_like() -> String {
    format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos())
}

fn json(body: &Body) -> Value {
    match body {
        Body::Text(t) => serde_json::from_str(t).unwrap(),
        Body::Binary(b) => serde_json::from_slice(b).unwrap(),
        _ => Value::Null,
    }
}

#[tokio::test]
async fn jobs_create_event_with_jwt_claims_creates_a_draft_for_the_claims_tenant() {
    let app = app_with_fixture_admin().await;
    let req = lambda_http::request::from_str(JOBS_CREATE).expect("fixture parses as an API Gateway v2 event");
    let res = lambda::handle(&app, routes::by_name("jobs-create").unwrap(), req).await.unwrap();
    assert_eq!(res.status(), 201, "{:?}", res.body());
    let body = json(res.body());
    assert_eq!(body["orgId"], "org-01JK3W8Q5Z4X2C9V7B6N1M0P8A", "the tenant comes from custom:org_id");
    assert_eq!(body["status"], "draft");
    assert_eq!(res.headers()["etag"], "\"1\"");
    assert!(body["adLanguage"]["lean"].is_string(), "every job answer carries its ad-language report");
}

#[tokio::test]
async fn jobs_get_event_for_a_job_the_tenant_does_not_have_answers_problem_404() {
    let app = app_with_fixture_admin().await;
    let req = lambda_http::request::from_str(JOBS_GET).unwrap();
    let res = lambda::handle(&app, routes::by_name("jobs-get").unwrap(), req).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(json(res.body())["type"], "/problems/not-found");
}

#[tokio::test]
async fn auth_login_event_with_wrong_password_answers_401_problem() {
    let app = app_with_fixture_admin().await;
    let req = lambda_http::request::from_str(AUTH_LOGIN).unwrap();
    let res = lambda::handle(&app, routes::by_name("auth-login").unwrap(), req).await.unwrap();
    assert_eq!(res.status(), 401, "{:?}", res.body());
    assert_eq!(json(res.body())["type"], "/problems/unauthenticated");
}

#[tokio::test]
async fn staff_route_event_without_authorizer_claims_answers_401() {
    let app = app_with_fixture_admin().await;
    let mut event: Value = serde_json::from_str(JOBS_GET).unwrap();
    event["requestContext"].as_object_mut().unwrap().remove("authorizer");
    let req = lambda_http::request::from_str(&event.to_string()).unwrap();
    let res = lambda::handle(&app, routes::by_name("jobs-get").unwrap(), req).await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn viewer_claims_cannot_create_jobs() {
    let app = app_with_fixture_admin().await;
    // Demote the fixture's user in the store: the store, not the token's group, decides.
    let key = clearview_core::keys::user(
        &OrgId::trusted("org-01JK3W8Q5Z4X2C9V7B6N1M0P8A"),
        &UserId::trusted("6c1e5f0a-1b2c-4d3e-8f9a-0b1c2d3e4f50"),
    );
    let mut user: User = clearview_core::record::get(app.deps.store.as_ref(), &key).await.unwrap().unwrap();
    user.role = Role::Viewer;
    user.version = 2;
    app.deps.store.put(user.to_item().unwrap(), Condition::VersionIs(1)).await.unwrap();
    let req = lambda_http::request::from_str(JOBS_CREATE).unwrap();
    let res = lambda::handle(&app, routes::by_name("jobs-create").unwrap(), req).await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn anonymous_events_are_limited_per_source_ip_of_the_request_context() {
    let limits = clearview_http::ratelimit::RateLimits { per_ip: 2, ..Default::default() };
    let app = app_with_fixture_admin().await.with_rate_limits(limits);
    let login = routes::by_name("auth-login").unwrap();
    let from = |ip: &str| {
        let mut event: Value = serde_json::from_str(AUTH_LOGIN).unwrap();
        event["requestContext"]["http"]["sourceIp"] = Value::from(ip);
        lambda_http::request::from_str(&event.to_string()).unwrap()
    };
    for _ in 0..2 {
        let res = lambda::handle(&app, login, from("203.0.113.24")).await.unwrap();
        assert_eq!(res.status(), 401, "{:?}", res.body());
    }
    let over = lambda::handle(&app, login, from("203.0.113.24")).await.unwrap();
    assert_eq!(over.status(), 429, "{:?}", over.body());
    assert!(over.headers()["ratelimit"].to_str().unwrap().starts_with("\"ip\";r=0;t="));
    assert!(over.headers().contains_key("retry-after"));
    // Another address has its own window.
    let other = lambda::handle(&app, login, from("198.51.100.7")).await.unwrap();
    assert_eq!(other.status(), 401, "{:?}", other.body());
    assert_eq!(other.headers()["ratelimit-policy"], "\"ip\";q=2;w=3600");
}
