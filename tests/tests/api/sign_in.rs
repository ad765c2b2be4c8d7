//! Signing in through the hosted UI (Cognito's managed login; the dev server's local stand-in
//! in the embedded default): the authorization code grant with PKCE as an SPA or a mobile app
//! runs it, social sign-in's first visit (`POST /api/auth/federated/register`), and the same
//! first visit on the AWS family against moto's Cognito.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use clearview_devserver::hosted_ui::{self, HostedUiConfig};
use clearview_local::LocalFamily;
use clearview_local::identity::hosted::s256_challenge;
use clearview_tests::api::{Family, PLATFORM_PASSWORD, platform_user};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tower::ServiceExt;

const SPA_CALLBACK: &str = "http://localhost:5173/auth/callback";
const VERIFIER: &str = "a-long-random-pkce-verifier-made-by-the-app-0123456789abcdef";

struct Local {
    family: Family,
    local: LocalFamily,
}

fn local() -> Local {
    let dir = std::env::temp_dir().join(format!("clearview-sign-in-{}", uuid::Uuid::new_v4()));
    let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
    let mut family = clearview_tests::families::embedded(&local, local.deps());
    let config = HostedUiConfig {
        callback_urls: vec![SPA_CALLBACK.into(), "clearview://auth/callback".into()],
        logout_urls: vec!["http://localhost:5173/".into()],
        base_url: "http://127.0.0.1:8080".into(),
    };
    family.router = family.router.merge(hosted_ui::routes(local.identity.clone(), local.verifier.clone(), config));
    Local { family, local }
}

struct Raw {
    status: StatusCode,
    location: Option<String>,
    text: String,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    /// The query of the redirect's Location.
    fn redirect_query(&self) -> BTreeMap<String, String> {
        let loc = self.location.as_deref().expect("a Location");
        serde_urlencoded::from_str(loc.split_once('?').map(|(_, q)| q).unwrap_or("")).expect("query")
    }
}

async fn raw(f: &Family, method: Method, uri: &str, form: Option<&[(&str, &str)]>) -> Raw {
    let mut req = Request::builder().method(method).uri(uri);
    let body = match form {
        Some(pairs) => {
            req = req.header("content-type", "application/x-www-form-urlencoded");
            Body::from(serde_urlencoded::to_string(pairs).unwrap())
        }
        None => Body::empty(),
    };
    let res = f.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = res.status();
    let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let text = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Raw { status, location, text }
}

fn authorize_query(client: &str, redirect: &str, provider: Option<&str>) -> Vec<(&'static str, String)> {
    let mut q = vec![
        ("response_type", "code".to_owned()),
        ("client_id", client.to_owned()),
        ("redirect_uri", redirect.to_owned()),
        ("state", "xyz-state".to_owned()),
        ("scope", "openid email profile".to_owned()),
        ("code_challenge", s256_challenge(VERIFIER)),
        ("code_challenge_method", "S256".to_owned()),
    ];
    if let Some(p) = provider {
        q.push(("identity_provider", p.to_owned()));
    }
    q
}

/// Signs in on the hosted UI's form (password, or a social stand-in's email): the redirect.
async fn sign_in(l: &Local, provider: Option<&str>, email: &str, password: Option<&str>) -> Raw {
    let client = l.local.identity.client_id().to_owned();
    let mut form: Vec<(&str, String)> = authorize_query(&client, SPA_CALLBACK, provider);
    form.push(("email", email.to_owned()));
    if let Some(p) = password {
        form.push(("password", p.to_owned()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    raw(&l.family, Method::POST, "/oauth2/authorize", Some(&pairs)).await
}

async fn exchange(l: &Local, code: &str, verifier: &str) -> Raw {
    let client = l.local.identity.client_id().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client.as_str()),
        ("code", code),
        ("redirect_uri", SPA_CALLBACK),
        ("code_verifier", verifier),
    ];
    raw(&l.family, Method::POST, "/oauth2/token", Some(&form)).await
}

#[tokio::test]
async fn the_code_grant_with_pkce_gives_the_same_tokens_as_a_password_sign_in_once_per_code() {
    let l = local();
    let f = &l.family;
    let (login_token, id, email) = platform_user(f, &["candidate"], "Pkce", &[]).await;
    let client = l.local.identity.client_id().to_owned();

    // The sign-in page, and a request the app client does not allow.
    let q = serde_urlencoded::to_string(authorize_query(&client, SPA_CALLBACK, None)).unwrap();
    let page = raw(f, Method::GET, &format!("/oauth2/authorize?{q}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"password\"") && page.text.contains("Continue with Google"), "{}", page.text);
    let evil = serde_urlencoded::to_string(authorize_query(&client, "https://evil.example/cb", None)).unwrap();
    let refused = raw(f, Method::GET, &format!("/oauth2/authorize?{evil}"), None).await;
    assert_eq!((refused.status, refused.location.clone()), (StatusCode::BAD_REQUEST, None), "never redirected");
    let mut no_pkce = authorize_query(&client, SPA_CALLBACK, None);
    no_pkce.retain(|(k, _)| !k.starts_with("code_challenge"));
    let back =
        raw(f, Method::GET, &format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&no_pkce).unwrap()), None)
            .await;
    assert_eq!(back.status, StatusCode::FOUND);
    let err = back.redirect_query();
    assert_eq!((err["error"].as_str(), err["state"].as_str()), ("invalid_request", "xyz-state"), "{err:?}");

    // A wrong password stays on the page; the right one comes back with a code and the state.
    let wrong = sign_in(&l, None, &email, Some("Wrong!pass1")).await;
    assert_eq!((wrong.status, wrong.location.is_none()), (StatusCode::UNAUTHORIZED, true));
    assert!(wrong.text.contains("Incorrect username or password."));
    let ok = sign_in(&l, None, &email, Some(PLATFORM_PASSWORD)).await;
    assert_eq!(ok.status, StatusCode::FOUND, "{}", ok.text);
    assert!(ok.location.as_deref().unwrap().starts_with(SPA_CALLBACK));
    let back = ok.redirect_query();
    assert_eq!(back["state"], "xyz-state");

    // A wrong verifier spends the code; a fresh code with the right one gives tokens, once.
    let stolen = exchange(&l, &back["code"], "an-attacker-guess-without-the-verifier-0123456789").await;
    assert_eq!((stolen.status, stolen.json()["error"].clone()), (StatusCode::BAD_REQUEST, json!("invalid_grant")));
    let spent = exchange(&l, &back["code"], VERIFIER).await;
    assert_eq!(spent.json()["error"], "invalid_grant", "a code is spent by its first use: {}", spent.text);
    let code = sign_in(&l, None, &email, Some(PLATFORM_PASSWORD)).await.redirect_query()["code"].clone();
    let tokens = exchange(&l, &code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let t = tokens.json();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t["refresh_token"].is_string() && t["access_token"].is_string());
    assert_eq!(exchange(&l, &code, VERIFIER).await.json()["error"], "invalid_grant", "replayed");

    // The same claims as a password sign-in's token, and the API takes it.
    let hosted = l.local.verifier.verify(t["id_token"].as_str().unwrap()).unwrap();
    let direct = l.local.verifier.verify(&login_token).unwrap();
    let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&hosted), keys(&direct));
    for claim in ["sub", "email", "cognito:groups", "cognito:username", "aud", "iss", "token_use"] {
        assert_eq!(hosted[claim], direct[claim], "{claim}");
    }
    assert_eq!(hosted["sub"], id.as_str());
    let me = f.get("/api/users/me/profile", t["id_token"].as_str().unwrap()).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);

    // Refresh on the token endpoint; userInfo takes the access token.
    let client_ref = client.as_str();
    let refreshed = raw(
        f,
        Method::POST,
        "/oauth2/token",
        Some(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_ref),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ]),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let info = f
        .send(clearview_tests::api::Call {
            method: Method::GET,
            path: "/oauth2/userInfo".into(),
            token: Some(t["access_token"].as_str().unwrap()),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!((info.status, info.body["email"].clone()), (StatusCode::OK, json!(email)));
    let discovery = raw(f, Method::GET, "/.well-known/openid-configuration", None).await.json();
    assert_eq!(discovery["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(discovery["issuer"], direct["iss"]);
}

#[tokio::test]
async fn a_first_social_sign_in_chooses_its_roles_and_a_known_email_is_linked_to_its_account() {
    let l = local();
    let f = &l.family;
    let email = format!("social-{}@gmail.example", uuid::Uuid::new_v4().simple());
    let code = sign_in(&l, Some("Google"), &email, None).await.redirect_query()["code"].clone();
    let t = exchange(&l, &code, VERIFIER).await.json();
    let token = t["id_token"].as_str().expect("id token").to_owned();
    let claims = l.local.verifier.verify(&token).unwrap();
    assert_eq!(claims["cognito:groups"], json!([]), "no role before the person chooses");
    assert!(claims["cognito:username"].as_str().unwrap().starts_with("Google_"));
    assert_eq!(claims["identities"][0]["providerName"], "Google");

    // Without a role the candidate routes refuse; the first visit chooses the roles.
    assert_eq!(f.get("/api/users/me/profile", &token).await.status, StatusCode::FORBIDDEN);
    let bad = f
        .post(
            "/api/auth/federated/register",
            Some(&token),
            json!({"firstName": "", "lastName": "Ng", "roles": ["platform_admin"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"firstName") && fields.contains(&"roles[0]"), "{fields:?}");
    let body = json!({"firstName": "Grace", "lastName": "Ng", "roles": ["candidate", "career_mentor"]});
    let made = f.post("/api/auth/federated/register", Some(&token), body.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    assert_eq!(made.body["roles"], json!(["candidate", "career_mentor"]));
    let again = f.post("/api/auth/federated/register", Some(&token), body).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);

    // Refreshed tokens carry the roles; the API now knows them.
    let client = l.local.identity.client_id().to_owned();
    let refreshed = raw(
        f,
        Method::POST,
        "/oauth2/token",
        Some(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ]),
    )
    .await
    .json();
    let token = refreshed["id_token"].as_str().unwrap().to_owned();
    let claims = l.local.verifier.verify(&token).unwrap();
    assert_eq!(claims["cognito:groups"], json!(["candidate", "career_mentor"]));
    let me = f.get("/api/users/me/profile", &token).await;
    assert_eq!((me.status, me.body["firstName"].clone()), (StatusCode::OK, json!("Grace")));

    // Signing in with Google again is the same person.
    let code = sign_in(&l, Some("Google"), &email, None).await.redirect_query()["code"].clone();
    let second = exchange(&l, &code, VERIFIER).await.json();
    let second = l.local.verifier.verify(second["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(second["sub"], claims["sub"]);

    // Someone with a password account who signs in with Facebook under that email is linked to
    // it: one person, one subject, their roles kept; a password never opens a social account.
    let (_, native_id, native_email) = platform_user(f, &["npo"], "Linked", &[]).await;
    let code = sign_in(&l, Some("Facebook"), &native_email, None).await.redirect_query()["code"].clone();
    let linked = exchange(&l, &code, VERIFIER).await.json();
    let linked = l.local.verifier.verify(linked["id_token"].as_str().unwrap()).unwrap();
    assert_eq!((linked["sub"].clone(), linked["cognito:groups"].clone()), (json!(native_id), json!(["npo"])));
    assert_eq!(linked["identities"][0]["providerName"], "Facebook");
    let pw = sign_in(&l, None, &email, Some(PLATFORM_PASSWORD)).await;
    assert_eq!(pw.status, StatusCode::UNAUTHORIZED, "a social account has no password");
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::Deps;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::values::Email;
    use std::sync::Arc;

    /// moto cannot federate, so the first visit is tried with what a federated account is to
    /// the API: a confirmed account in no group. Here an administrator makes it, as the identity
    /// provider would, and it signs in with a password.
    #[tokio::test]
    async fn an_account_with_no_role_chooses_its_roles_on_moto_cognito() {
        let moto = Moto::pick().await;
        let p = clearview_tests::families::moto_pool(moto).await;
        let cognito = moto.cognito();
        let email = format!("norole-{}@gmail.example", uuid::Uuid::new_v4().simple());
        cognito
            .admin_create_user()
            .user_pool_id(&p.pool.pool_id)
            .username(&email)
            .user_attributes(
                aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                    .name("email")
                    .value(&email)
                    .build()
                    .unwrap(),
            )
            .user_attributes(
                aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                    .name("email_verified")
                    .value("true")
                    .build()
                    .unwrap(),
            )
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        cognito
            .admin_set_user_password()
            .user_pool_id(&p.pool.pool_id)
            .username(&email)
            .password(PLATFORM_PASSWORD)
            .permanent(true)
            .send()
            .await
            .unwrap();
        // ListUsers by email finds the account (how a federated username is found).
        let names = p.pool.identity.usernames_with_email(&Email::trusted(email.clone())).await.unwrap();
        assert_eq!(names.len(), 1, "{names:?}");
        let deps = Deps::new(
            Arc::new(moto.store().await),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        );
        let f = clearview_tests::families::aws(deps, p.verifier, p.jwks);
        let tokens = f.post("/api/auth/login", None, json!({"email": email, "password": PLATFORM_PASSWORD})).await;
        assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
        let token = tokens.body["idToken"].as_str().unwrap().to_owned();
        assert_eq!(f.get("/api/users/me/profile", &token).await.status, StatusCode::FORBIDDEN);

        let body = json!({"firstName": "Moto", "lastName": "Ng", "roles": ["candidate"]});
        let made = f.post("/api/auth/federated/register", Some(&token), body.clone()).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        assert_eq!(f.post("/api/auth/federated/register", Some(&token), body).await.status, StatusCode::CONFLICT);
        let groups =
            cognito.admin_list_groups_for_user().user_pool_id(&p.pool.pool_id).username(&email).send().await.unwrap();
        let names: Vec<&str> = groups.groups().iter().filter_map(|g| g.group_name()).collect();
        assert_eq!(names, ["candidate"]);
        let refreshed =
            f.post("/api/auth/refresh", None, json!({"refreshToken": tokens.body["refreshToken"].clone()})).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
        let me = f.get("/api/users/me/profile", refreshed.body["idToken"].as_str().unwrap()).await;
        assert_eq!((me.status, me.body["firstName"].clone()), (StatusCode::OK, json!("Moto")));
    }

    /// An organisation's provider is created on moto's user pool and offered by the app client
    /// (whose other settings survive the update), changed, then removed.
    #[tokio::test]
    async fn an_organisations_provider_is_created_offered_and_removed_on_moto_cognito() {
        let moto = Moto::pick().await;
        let p = clearview_tests::families::moto_pool(moto).await;
        let cognito = moto.cognito();
        let (pool_id, client_id) = (p.pool.pool_id.clone(), p.pool.client_id.clone());
        let deps = Deps::new(
            Arc::new(moto.store().await),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        );
        let f = clearview_tests::families::aws(deps, p.verifier, p.jwks);
        let admin = f.employer_admin("MotoSso").await;
        let domain = format!("moto-{}.example", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let before =
            cognito.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
        let flows_before = before.user_pool_client().unwrap().explicit_auth_flows().to_vec();
        let oidc = json!({"protocol": "oidc", "issuer": "https://login.moto.example", "clientId": "clearview",
                          "clientSecret": "s3cret", "domains": [domain], "defaultRole": "recruiter"});
        let send = |method: Method, body: Option<Value>, if_match: Option<String>| {
            let token = admin.token.clone();
            let f = &f;
            async move {
                f.send(clearview_tests::api::Call {
                    method,
                    path: "/api/sso".into(),
                    token: Some(&token),
                    body,
                    headers: if_match.map(|v| vec![("if-match", v)]).unwrap_or_default(),
                })
                .await
            }
        };
        let made = send(Method::PUT, Some(oidc.clone()), None).await;
        assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
        assert!(made.body.get("clientSecret").is_none(), "the secret is never returned");
        let name = made.body["providerName"].as_str().unwrap().to_owned();
        let idp =
            cognito.describe_identity_provider().user_pool_id(&pool_id).provider_name(&name).send().await.unwrap();
        let idp = idp.identity_provider().unwrap();
        assert_eq!(
            idp.provider_details().unwrap().get("oidc_issuer").map(String::as_str),
            Some("https://login.moto.example")
        );
        let client =
            cognito.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
        let client = client.user_pool_client().unwrap();
        assert!(client.supported_identity_providers().contains(&name), "{:?}", client.supported_identity_providers());
        assert_eq!(client.explicit_auth_flows(), flows_before.as_slice(), "the client's other settings are kept");

        let mut changed = oidc.clone();
        changed["issuer"] = json!("https://login2.moto.example");
        let etag = made.header("etag").unwrap().to_owned();
        let updated = send(Method::PUT, Some(changed), Some(etag)).await;
        assert_eq!((updated.status, updated.body["version"].clone()), (StatusCode::OK, json!(2)), "{:?}", updated.body);
        let idp =
            cognito.describe_identity_provider().user_pool_id(&pool_id).provider_name(&name).send().await.unwrap();
        assert_eq!(
            idp.identity_provider().unwrap().provider_details().unwrap().get("oidc_issuer").map(String::as_str),
            Some("https://login2.moto.example")
        );
        assert_eq!(send(Method::GET, None, None).await.body["issuer"], "https://login2.moto.example");

        assert_eq!(send(Method::DELETE, None, None).await.status, StatusCode::NO_CONTENT);
        assert!(cognito.describe_identity_provider().user_pool_id(&pool_id).provider_name(&name).send().await.is_err());
        let client =
            cognito.describe_user_pool_client().user_pool_id(&pool_id).client_id(&client_id).send().await.unwrap();
        assert!(!client.user_pool_client().unwrap().supported_identity_providers().contains(&name));
        assert_eq!(send(Method::GET, None, None).await.status, StatusCode::NOT_FOUND);
    }
}

/// An organisation's own identity provider: connected by its admin, its domains claimed, and a
/// first sign-in through it (the hosted UI's stand-in) joins the organisation as staff.
#[tokio::test]
async fn staff_sign_in_through_their_organisations_provider_and_join_it_with_the_default_role() {
    let l = local();
    let f = &l.family;
    let admin = f.employer_admin("AcmeSso").await;
    let domain = format!("acme-{}.example", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let bad = f
        .send(clearview_tests::api::Call {
            method: Method::PUT,
            path: "/api/sso".into(),
            token: Some(&admin.token),
            body: Some(json!({"protocol": "saml", "metadataUrl": "http://idp.example/m", "domains": ["not a domain"]})),
            headers: vec![],
        })
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    for f in ["metadataUrl", "domains[0]"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // An admin is made by an admin, never by a first sign-in; OIDC fields do not go with SAML.
    for (body, status) in [
        (
            json!({"protocol": "saml", "metadataUrl": "https://idp.example/m", "domains": ["a.example"], "defaultRole": "admin"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"protocol": "saml", "metadataUrl": "https://idp.example/m", "domains": ["a.example"], "clientId": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let refused = f
            .send(clearview_tests::api::Call {
                method: Method::PUT,
                path: "/api/sso".into(),
                token: Some(&admin.token),
                body: Some(body),
                headers: vec![],
            })
            .await;
        assert_eq!(refused.status, status, "{:?}", refused.body);
    }
    let put = |token: String, body: Value, if_match: Option<&str>| {
        let headers = if_match.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default();
        async move {
            f.send(clearview_tests::api::Call {
                method: Method::PUT,
                path: "/api/sso".into(),
                token: Some(&token),
                body: Some(body),
                headers,
            })
            .await
        }
    };
    let saml =
        json!({"protocol": "saml", "metadataUrl": "https://idp.acme.example/saml/metadata", "domains": [domain]});
    let made = put(admin.token.clone(), saml.clone(), None).await;
    assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
    let provider = made.body["providerName"].as_str().unwrap().to_owned();
    assert_eq!((made.body["defaultRole"].clone(), made.body["version"].clone()), (json!("viewer"), json!(1)));
    // A second PUT needs If-Match; another organisation cannot claim the domain.
    assert_eq!(put(admin.token.clone(), saml.clone(), None).await.status, StatusCode::PRECONDITION_REQUIRED);
    let other = f.employer_admin("OtherSso").await;
    let claimed = put(other.token.clone(), saml.clone(), None).await;
    assert_eq!((claimed.status, claimed.problem_type().ends_with("domain-claimed")), (StatusCode::CONFLICT, true));
    let audit = f.get("/api/audit?action=sso.created", &admin.token).await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(1), "{:?}", audit.body);

    // Kim signs in through Acme's provider (routed by her email's domain) and joins Acme.
    let kim = format!("kim@{domain}");
    let client = l.local.identity.client_id().to_owned();
    let mut q = authorize_query(&client, SPA_CALLBACK, None);
    q.push(("idp_identifier", domain.clone()));
    let page =
        raw(f, Method::GET, &format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&q).unwrap()), None).await;
    assert!(page.text.contains(&provider), "{}", page.text);
    let code = sign_in(&l, Some(&provider), &kim, None).await.redirect_query()["code"].clone();
    let t = exchange(&l, &code, VERIFIER).await.json();
    let token = t["id_token"].as_str().unwrap().to_owned();
    assert_eq!(f.get("/api/auth/me", &token).await.status, StatusCode::FORBIDDEN, "not staff before joining");
    let joined = f.post("/api/auth/sso/join", Some(&token), json!({"name": "Kim Lee"})).await;
    assert_eq!(joined.status, StatusCode::CREATED, "{:?}", joined.body);
    assert_eq!((joined.body["role"].clone(), joined.body["orgId"].clone()), (json!("viewer"), json!(admin.org)));
    assert_eq!(f.post("/api/auth/sso/join", Some(&token), json!({})).await.status, StatusCode::CONFLICT);
    let client_ref = client.as_str();
    let refreshed = raw(
        f,
        Method::POST,
        "/oauth2/token",
        Some(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_ref),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ]),
    )
    .await
    .json();
    let staff = refreshed["id_token"].as_str().unwrap().to_owned();
    let me = f.get("/api/auth/me", &staff).await;
    assert_eq!((me.status, me.body["user"]["role"].clone()), (StatusCode::OK, json!("viewer")), "{:?}", me.body);

    // The provider signs in its own domains only; a Google user cannot join Acme.
    let outsider = sign_in(&l, Some(&provider), "eve@elsewhere.example", None).await;
    assert_eq!(outsider.status, StatusCode::UNAUTHORIZED);
    let g = sign_in(&l, Some("Google"), &format!("gina@{domain}"), None).await.redirect_query()["code"].clone();
    let g = exchange(&l, &g, VERIFIER).await.json();
    let refused = f.post("/api/auth/sso/join", Some(g["id_token"].as_str().unwrap()), json!({})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);

    // Disconnected: the provider is no longer offered and the domain is free again.
    let gone = f.delete("/api/sso", &admin.token).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    let mut q = authorize_query(&client, SPA_CALLBACK, Some(&provider));
    q.retain(|(k, _)| *k != "state");
    let after =
        raw(f, Method::GET, &format!("/oauth2/authorize?{}", serde_urlencoded::to_string(&q).unwrap()), None).await;
    assert_eq!(after.redirect_query()["error"], "invalid_request");
    assert_eq!(put(other.token.clone(), saml, None).await.status, StatusCode::OK);
}
