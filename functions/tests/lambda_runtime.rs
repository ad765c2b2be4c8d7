//! The REAL Lambda bootstrap (this package's binary, built by `cargo test`; `_HANDLER=auth-login`) under a Lambda Runtime API
//! emulator, with its AWS adapters pointed at moto: the fixture in `events/` goes in through
//! `GET /2018-06-01/runtime/invocation/next`, the answer comes back on `POST .../response`.
//! The emulator ([`RuntimeApi`]) is shared with the cold-start benchmark: `src/lambda.rs`.

use clearview_aws::testing::{MAIL_FROM, Moto};
use clearview_core::ports::identity::{IdentityProvider, NewAccount};
use clearview_core::rbac::Role;
use clearview_core::values::{Email, Password};
use clearview_tests::lambda::{Function, Posted, RuntimeApi, event_fixture as fixture, target_dir};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// The one Lambda bootstrap every function runs with its name as the handler: this package's
/// binary, which `cargo test` builds with the test build's features (no second cargo build).
fn function_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bootstrap"))
}

fn start_function(name: &str, api: &RuntimeApi, env: &[(&str, String)]) -> Function {
    let log = target_dir().join(format!("infra/{name}-{}.log", std::process::id()));
    Function::start(&function_binary(), name, api, env, log)
}

/// The fixture with another JSON body.
fn with_body(mut event: Value, body: &Value) -> Value {
    let text = body.to_string();
    event["headers"]["content-length"] = json!(text.len().to_string());
    event["body"] = json!(text);
    event
}

/// An API Gateway v2 response: (status, headers, parsed JSON body).
fn http_answer(posted: Posted, request_id: &str) -> (u16, Value, Value) {
    let Posted::Response { request_id: got, body } = posted else { panic!("expected a response, got {posted:?}") };
    assert_eq!(got, request_id);
    let status = body["statusCode"].as_u64().and_then(|s| u16::try_from(s).ok()).expect("statusCode");
    let payload = body["body"].as_str().map(|b| serde_json::from_str(b).unwrap_or(Value::Null)).unwrap_or(Value::Null);
    (status, body["headers"].clone(), payload)
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_login_answers_problem_json_for_bad_credentials_and_tokens_after_sign_up_on_moto() {
    let moto = Moto::shared().await;
    let store = moto.store().await;
    let pool = moto.identity().await;
    let _mailer = moto.mailer().await;

    let mut api = RuntimeApi::start("auth-login");
    let env = vec![
        ("TABLE_NAME", store.table_name().to_owned()),
        ("USER_POOL_ID", pool.pool_id.clone()),
        ("USER_POOL_CLIENT_ID", pool.client_id.clone()),
        ("MAIL_FROM", MAIL_FROM.to_owned()),
        ("CURSOR_SECRET", "fixture-cursor-secret-at-least-32-bytes-long!".to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
        ("JWKS_URL", pool.jwks_url.clone()),
    ];
    let function = start_function("auth-login", &api, &env);
    let wait = Duration::from_secs(60);

    // 1. The fixture as is: nobody has that account.
    let event = fixture("auth-login.json");
    let id = api.invoke(&event);
    let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
    let (status, headers, problem) = http_answer(posted, &id);
    assert!((400..500).contains(&status), "status {status}: {problem}; log:\n{}", function.log());
    assert_eq!(headers["content-type"], "application/problem+json", "{headers}");
    assert!(problem["type"].is_string() && problem["detail"].is_string(), "{problem}");
    assert_eq!(problem["status"], status);

    // 2. A real sign-up and confirmation on moto, then the same function (warm) signs in.
    let email = Email::parse("email", "ada.lovelace@acme.example").expect("email");
    let password = "Correct-h0rse!battery";
    let account = NewAccount {
        email: email.clone(),
        password: Password::parse("password", password).expect("password"),
        org_id: None,
        role: Role::Admin,
    };
    pool.identity.sign_up(account).await.expect("sign up on moto");
    pool.identity.confirm_sign_up(&email, "123456").await.expect("confirm on moto");
    let event = with_body(fixture("auth-login.json"), &json!({"email": email.as_str(), "password": password}));
    let id = api.invoke(&event);
    let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
    let (status, _, tokens) = http_answer(posted, &id);
    assert_eq!(status, 200, "{tokens}; log:\n{}", function.log());
    for field in ["accessToken", "idToken", "refreshToken"] {
        assert!(
            tokens[field].as_str().is_some_and(|t| t.split('.').count() == 3 || field == "refreshToken"),
            "{field}: {tokens}"
        );
    }
    assert_eq!(api.function_arn, "arn:aws:lambda:us-east-1:123456789012:function:auth-login");
}

#[test]
fn a_function_without_its_configuration_fails_its_init_naming_the_variable() {
    let api = RuntimeApi::start("jobs-get");
    let mut function = start_function("jobs-get", &api, &[]);
    let started = std::time::Instant::now();
    loop {
        // The runtime may report the failure on /init/error; either way the process must stop.
        if let Ok(posted) = api.posted(Duration::from_millis(100)) {
            assert!(matches!(posted, Posted::InitError { .. }), "expected an init error, got {posted:?}");
        }
        if let Some(status) = function.child.try_wait().expect("wait for the function") {
            assert!(!status.success(), "a function without TABLE_NAME must not start");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the function neither failed nor exited");
    }
    let log = function.log();
    assert!(log.contains("TABLE_NAME"), "the failure must name the variable; log:\n{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduled_reports_function_queues_one_report_per_due_schedule_even_when_the_firing_is_retried() {
    use clearview_core::keys;
    use clearview_core::model::{User, UserStatus};
    use clearview_core::ports::store::{Condition, ItemStore, Query};
    use clearview_core::record::Record;
    use clearview_core::services::report_schedules::ReportSchedule;
    use clearview_core::values::{OrgId, UserId};
    let moto = Moto::shared().await;
    let store = moto.store().await;
    let pool = moto.identity().await;
    let chain = moto.chain().await;

    // An admin's weekly schedule whose run came due a minute before the firing.
    let org = OrgId::trusted("0193a0b0-0000-7000-8000-0000000000aa");
    let owner = UserId::parse("0193a0b0-0000-7000-8000-0000000000bb").unwrap();
    let at = time::macros::datetime!(2025-02-03 05:59 UTC);
    let user = User {
        id: owner.clone(),
        org_id: org.clone(),
        email: Email::parse("email", "owner@reports.example").unwrap(),
        name: None,
        role: Role::Admin,
        status: UserStatus::Active,
        overrides: Default::default(),
        created_at: at,
        updated_at: at,
        version: 1,
    };
    store.put(user.to_item().unwrap(), Condition::NotExists).await.unwrap();
    let schedule = ReportSchedule {
        id: "0193a0b0-0000-7000-8000-0000000000c1".into(),
        org_id: org.clone(),
        kind: "recruitment".into(),
        format: "csv".into(),
        cron: "59 5 * * MON".into(),
        time_zone: "UTC".into(),
        range_days: 7,
        recipient_ids: vec![],
        job_ids: vec![],
        owner,
        next_run_at: at,
        last_run_at: None,
        last_report_id: None,
        runs: 0,
        created_at: at,
        version: 1,
    };
    store.put(schedule.to_item().unwrap(), Condition::NotExists).await.unwrap();

    let mut api = RuntimeApi::start("reports");
    let mut env = vec![
        ("TABLE_NAME", store.table_name().to_owned()),
        ("USER_POOL_ID", pool.pool_id.clone()),
        ("USER_POOL_CLIENT_ID", pool.client_id.clone()),
        ("MAIL_FROM", MAIL_FROM.to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint().to_owned()),
    ];
    let chain_env = chain.env();
    env.extend(chain_env.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let function = start_function("reports", &api, &env);
    let wait = Duration::from_secs(60);

    // The EventBridge fixture fires for 2025-02-03T06:00:00Z; deliver it twice (a retry).
    let event = fixture("schedule-reports.json");
    for _ in 0..2 {
        let id = api.invoke(&event);
        let posted = api.posted(wait).unwrap_or_else(|e| panic!("no answer ({e}); function log:\n{}", function.log()));
        match posted {
            Posted::Response { request_id, body } => {
                assert_eq!(request_id, id);
                assert_eq!(body["status"], "done", "{body}");
            }
            other => panic!("expected a response, got {other:?}; log:\n{}", function.log()),
        }
    }
    let reports = store.query(&Query::table(keys::org_pk(&org)).prefix(keys::REPORT_PREFIX)).await.unwrap();
    assert_eq!(reports.items.len(), 1, "a retried firing makes no second report");
    assert_eq!(reports.items[0].data["scheduleId"], "0193a0b0-0000-7000-8000-0000000000c1");
    assert_eq!(reports.items[0].data["status"], "processing");
    let moved = store.get(&schedule.key()).await.unwrap().unwrap();
    assert_eq!(moved.data["runs"], 1);
    let queue = &chain.queue_urls[&clearview_core::services::reports::QUEUE].queue;
    let queued = chain.receive_all(queue, Duration::from_secs(2)).await;
    assert_eq!(queued.len(), 1, "one generation request on report-requests");
}
