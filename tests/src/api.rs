//! Drives the dev server's router in-process (real routing, JWT verification, dispatch) over
//! either adapter family, so the same API-level scenarios run on both.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use tower::ServiceExt;

pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One adapter family behind the router, and how a user reads the mail it sends.
pub struct Family {
    pub name: &'static str,
    pub router: Router,
    /// The verification or reset code mailed to `email`.
    pub code_for: Box<dyn Fn(String) -> BoxFut<'static, String> + Send + Sync>,
    /// The temporary password mailed to an invited user.
    pub temporary_password_for: Box<dyn Fn(String) -> BoxFut<'static, String> + Send + Sync>,
    pub store: std::sync::Arc<dyn clearview_core::ports::store::ItemStore>,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or("")
    }
}

pub struct Call<'a> {
    pub method: Method,
    pub path: String,
    pub token: Option<&'a str>,
    pub body: Option<Value>,
    pub headers: Vec<(&'static str, String)>,
}

impl Family {
    /// Sends a request through the router, its body as JSON. The answer is held to
    /// `docs/openapi.json` (see [`crate::conformance`]): an answer the contract does not
    /// describe fails the test.
    pub async fn send(&self, call: Call<'_>) -> Answer {
        let mut headers = call.headers;
        let body = match &call.body {
            Some(b) => {
                headers.push(("content-type", "application/json".to_owned()));
                b.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        self.send_bytes(call.method, &call.path, call.token, &headers, body).await
    }

    /// Sends a request whose body is any bytes (a CSV import: its `content-type` among
    /// `headers`); the answer is parsed and held to the contract as [`Family::send`]'s is.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Answer {
        let verb = method.to_string();
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res =
            self.router.clone().oneshot(req.body(Body::from(body)).expect("request")).await.expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        // JSON bodies parsed; any other body (CSV, calendars) as a string.
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        crate::conformance::assert_conforms(self.name, &verb, path, status.as_u16(), content_type, &body);
        Answer { status, headers, body }
    }

    /// A raw PUT (presigned uploads): returns the status.
    pub async fn put_bytes(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> StatusCode {
        self.put_raw(path, content_type, bytes).await.status
    }

    /// A raw PUT, the whole answer.
    pub async fn put_raw(&self, path: &str, content_type: &str, bytes: Vec<u8>) -> Answer {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(path)
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("router answers");
        let (status, headers) = (res.status(), res.headers().clone());
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Call { method: Method::GET, path: path.into(), token: Some(token), body: None, headers: vec![] })
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(Call { method: Method::POST, path: path.into(), token, body: Some(body), headers: vec![] }).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(Call {
            method: Method::PUT,
            path: path.into(),
            token: Some(token),
            body: Some(body),
            headers: vec![],
        })
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.send(Call { method: Method::DELETE, path: path.into(), token: Some(token), body: None, headers: vec![] })
            .await
    }

    /// Registers an employer, confirms the email from the mail it got, signs in: returns
    /// (id token, refresh token, org id, user id).
    pub async fn employer_admin(&self, company: &str) -> Admin {
        let email = format!("admin-{}@{}.example", uuid::Uuid::new_v4().simple(), company.to_lowercase());
        let password = "Str0ng!passw0rd";
        let reg = self
            .post(
                "/api/employers/register",
                None,
                json!({"companyName": company, "email": email, "password": password, "contactNumber": "+14155550123"}),
            )
            .await;
        assert_eq!(reg.status, StatusCode::CREATED, "[{}] register: {:?}", self.name, reg.body);
        let refused = self.post("/api/auth/login", None, json!({"email": email, "password": password})).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{}] login before confirm: {:?}", self.name, refused.body);
        assert_eq!(refused.problem_type(), "/problems/email-not-verified");
        let code = (self.code_for)(email.clone()).await;
        let confirmed = self.post("/api/auth/confirm", None, json!({"email": email, "code": code})).await;
        assert_eq!(confirmed.status, StatusCode::NO_CONTENT, "[{}] confirm: {:?}", self.name, confirmed.body);
        let tokens = self.post("/api/auth/login", None, json!({"email": email, "password": password})).await;
        assert_eq!(tokens.status, StatusCode::OK, "[{}] login: {:?}", self.name, tokens.body);
        Admin {
            email,
            token: tokens.body["idToken"].as_str().expect("idToken").to_owned(),
            refresh: tokens.body["refreshToken"].as_str().expect("refreshToken").to_owned(),
            org: reg.body["organization"]["id"].as_str().expect("org id").to_owned(),
            user: reg.body["user"]["id"].as_str().expect("user id").to_owned(),
        }
    }

    /// Invites a staff member with `role` and completes the invitation: returns their id token.
    pub async fn staff(&self, admin: &Admin, role: &str) -> (String, String) {
        let email = format!("{role}-{}@staff.example", uuid::Uuid::new_v4().simple());
        let invited = self.post("/api/users", Some(&admin.token), json!({"email": email, "role": role})).await;
        assert_eq!(invited.status, StatusCode::CREATED, "[{}] invite: {:?}", self.name, invited.body);
        let temp = (self.temporary_password_for)(email.clone()).await;
        let first = self.post("/api/auth/login", None, json!({"email": email, "password": temp})).await;
        assert_eq!(first.problem_type(), "/problems/new-password-required", "[{}] {:?}", self.name, first.body);
        let done = self
            .post(
                "/api/auth/complete-invite",
                None,
                json!({"email": email, "temporaryPassword": temp, "newPassword": "An0ther!passw0rd"}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "[{}] complete invite: {:?}", self.name, done.body);
        (
            done.body["idToken"].as_str().expect("idToken").to_owned(),
            invited.body["id"].as_str().expect("id").to_owned(),
        )
    }
}

#[derive(Debug, Clone)]
pub struct Admin {
    pub email: String,
    pub token: String,
    pub refresh: String,
    pub org: String,
    pub user: String,
}

pub fn job_body(title: &str) -> Value {
    json!({
        "title": title,
        "jobType": "full-time",
        "description": "Design and run the screening API.",
        "location": "Berlin, Germany",
        "salaryMin": 70000,
        "salaryMax": 90000,
        "criteria": {"requiredSkills": ["Rust", "PostgreSQL"], "preferredSkills": ["Kubernetes"], "minimumExperience": 3}
    })
}

/// A candidate's sign-in: registers, confirms from the mail, signs in; returns (id token, id).
pub async fn candidate(f: &Family, name: &str) -> (String, String, String) {
    let email = format!("cand-{}@mail.example", uuid::Uuid::new_v4().simple());
    let password = "Cand1date!pw";
    let reg = f
        .post(
            "/api/candidates",
            None,
            json!({"email": email, "password": password, "name": name, "location": "Berlin, Germany"}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "[{}] candidate sign-up: {:?}", f.name, reg.body);
    let code = (f.code_for)(email.clone()).await;
    let confirmed = f.post("/api/auth/confirm", None, json!({"email": email, "code": code})).await;
    assert_eq!(confirmed.status, StatusCode::NO_CONTENT, "{:?}", confirmed.body);
    let tokens = f.post("/api/auth/login", None, json!({"email": email, "password": password})).await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    (
        tokens.body["idToken"].as_str().expect("idToken").to_owned(),
        reg.body["id"].as_str().expect("id").to_owned(),
        email,
    )
}

/// The resume fixtures made by real document tools (see crates/screening/fixtures/).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/screening/fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A platform user: registers with `roles`, confirms from the mail, signs in: (token, id, email).
pub async fn platform_user(f: &Family, roles: &[&str], first: &str, expertise: &[&str]) -> (String, String, String) {
    let email = format!("{}-{}@platform.example", first.to_lowercase(), uuid::Uuid::new_v4().simple());
    let reg = f
        .post(
            "/api/auth/register",
            None,
            json!({"email": email, "password": PLATFORM_PASSWORD, "firstName": first, "lastName": "Tester",
                   "roles": roles, "expertise": expertise}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "[{}] register: {:?}", f.name, reg.body);
    let code = (f.code_for)(email.clone()).await;
    let confirmed = f.post("/api/auth/confirm", None, json!({"email": email, "code": code})).await;
    assert_eq!(confirmed.status, StatusCode::NO_CONTENT, "{:?}", confirmed.body);
    (platform_login(f, &email).await, reg.body["id"].as_str().expect("id").to_owned(), email)
}

/// The password [`platform_user`] registers with.
pub const PLATFORM_PASSWORD: &str = "Platf0rm!pw";

/// Signs a platform user in: their id token.
pub async fn platform_login(f: &Family, email: &str) -> String {
    let tokens = f.post("/api/auth/login", None, json!({"email": email, "password": PLATFORM_PASSWORD})).await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    tokens.body["idToken"].as_str().expect("idToken").to_owned()
}

/// The first platform admin, made as the operator's bootstrap does (identity group and profile
/// role); returns (token, id, email).
pub async fn platform_admin(f: &Family, deps: &clearview_core::Deps) -> (String, String, String) {
    use clearview_core::model::platform::PlatformUser;
    use clearview_core::record::{self, Record};
    use clearview_core::values::{Email, UserId};
    let (_, id, email) = platform_user(f, &["career_mentor"], "Root", &[]).await;
    deps.identity.add_role(&Email::trusted(email.clone()), clearview_core::rbac::Role::PlatformAdmin).await.unwrap();
    let key = clearview_core::keys::platform_user(&UserId::trusted(id.clone()));
    let mut u: PlatformUser = record::get(deps.store.as_ref(), &key).await.unwrap().unwrap();
    u.roles.push(clearview_core::rbac::Role::PlatformAdmin);
    u.version += 1;
    deps.store
        .put(u.to_item().unwrap(), clearview_core::ports::store::Condition::VersionIs(u.version - 1))
        .await
        .unwrap();
    (platform_login(f, &email).await, id, email)
}
