//! Organisation settings (issue 12, `system_settings`) at the API level, on both adapter
//! families: each known key validated by its rule (422 naming the field), version-checked,
//! audited with before and after; admins only; public ones readable without signing in.

use axum::http::StatusCode;
use clearview_tests::api::{Call, Family};
use serde_json::{Value, json};

async fn put(f: &Family, key: &str, token: &str, body: Value, if_match: Option<&str>) -> clearview_tests::api::Answer {
    f.send(Call {
        method: axum::http::Method::PUT,
        path: format!("/api/settings/{key}"),
        token: Some(token),
        body: Some(body),
        headers: if_match.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default(),
    })
    .await
}

async fn public(f: &Family, org: &str) -> Value {
    let a = f
        .send(Call {
            method: axum::http::Method::GET,
            path: format!("/api/settings/public/{org}"),
            token: None,
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(a.status, StatusCode::OK, "[{}] {:?}", f.name, a.body);
    a.body
}

async fn settings_are_validated_audited_and_public_ones_readable_by_anyone(f: &Family) {
    let admin = f.employer_admin("Settings").await;
    let other = f.employer_admin("OtherSettings").await;
    let notice = "An automated tool assists screening; ask for a person instead at any time.";
    let saved = put(f, "notice.automated_screening", &admin.token, json!({"value": notice}), None).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    assert_eq!((saved.body["public"].clone(), saved.body["version"].clone()), (json!(true), json!(1)));
    let private =
        put(f, "screening.default_thresholds", &admin.token, json!({"value": {"advance": 75, "reject": 40}}), None)
            .await;
    assert_eq!(private.status, StatusCode::OK, "{:?}", private.body);
    assert_eq!(private.body["public"], false);

    // Bad values name the field; unknown keys are not found; a stale version is refused.
    let bad =
        put(f, "screening.default_thresholds", &admin.token, json!({"value": {"advance": 40, "reject": 60}}), None)
            .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "value.reject", "{:?}", bad.body);
    let bad =
        put(f, "retention.rules", &admin.token, json!({"value": {"rejectedResumeDays": 0, "years": 2}}), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"value.years") && fields.contains(&"value.rejectedResumeDays"), "{fields:?}");
    assert_eq!(put(f, "no.such.key", &admin.token, json!({"value": 1}), None).await.status, StatusCode::NOT_FOUND);
    let stale = put(f, "notice.automated_screening", &admin.token, json!({"value": "x"}), Some("\"7\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let again = put(f, "notice.automated_screening", &admin.token, json!({"value": "Changed."}), Some("\"1\"")).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    assert_eq!(again.body["version"], 2);

    // Admins only: an HR manager gets 403.
    let hr = f.staff(&admin, "hr_manager").await.0;
    assert_eq!(f.get("/api/settings", &hr).await.status, StatusCode::FORBIDDEN);
    let listed = f.get("/api/settings", &admin.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2, "{:?}", listed.body);
    assert!(listed.body["known"].as_array().unwrap().len() >= 5);

    // Public ones are readable without a token; private ones and other organisations' are not there.
    let shown = public(f, &admin.org).await;
    assert_eq!(shown["items"], json!([{"key": "notice.automated_screening", "value": "Changed."}]), "[{}]", f.name);
    assert_eq!(public(f, &other.org).await["items"], json!([]));

    // The audit log holds the change with before and after.
    let audit = f.get("/api/audit?resourceType=setting&resourceId=notice.automated_screening", &admin.token).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    let newest = &audit.body["items"][0];
    assert_eq!(newest["action"], "setting.save");
    assert_eq!(
        (newest["before"]["value"].clone(), newest["after"]["value"].clone()),
        (json!(notice), json!("Changed."))
    );
}

mod embedded {
    use clearview_local::LocalFamily;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn settings_are_validated_audited_and_public_ones_readable_by_anyone() {
        let dir = std::env::temp_dir().join(format!("clearview-settings-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let f = clearview_tests::families::embedded(&local, local.deps());
        super::settings_are_validated_audited_and_public_ones_readable_by_anyone(&f).await;
    }
}

mod aws {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn settings_are_validated_audited_and_public_ones_readable_by_anyone() {
        let f = clearview_tests::families::moto_family().await;
        super::settings_are_validated_audited_and_public_ones_readable_by_anyone(&f).await;
    }
}
