//! The identity contract: Cognito's sign-up, sign-in and account lifecycle, and its token shape.

use async_trait::async_trait;
use clearview_core::ports::identity::{IdentityError, IdentityProvider, NewAccount, Tokens};
use clearview_core::principal::Principal;
use clearview_core::rbac::Role;
use clearview_core::values::{Email, OrgId, Password};
use clearview_local::verify::JwtVerifier;
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

/// What verifies a family's tokens: its JWKS document, issuer and app client id.
#[derive(Debug, Clone)]
pub struct TokenKeys {
    pub jwks: Value,
    pub issuer: String,
    pub client_id: String,
}

/// One identity provider, plus what a test needs to drive it like a user would.
#[async_trait]
pub trait IdentityHarness: Send + Sync {
    fn identity(&self) -> &dyn IdentityProvider;

    /// The code last mailed to this address (sign-up or reset). A provider that does not check
    /// codes may answer any code.
    async fn code_for(&self, email: &Email) -> Option<String>;

    /// The temporary password of the last invitation to this address.
    async fn temporary_password_for(&self, email: &Email) -> Option<String>;

    /// The JWKS, issuer and client id that verify this provider's tokens.
    async fn token_keys(&self) -> TokenKeys;

    /// The provider's idea of now (tokens are verified as of this instant).
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// Moves the provider's clock forward; `false` when it cannot (time-based tests are skipped).
    fn advance_clock(&self, _by: Duration) -> bool {
        false
    }

    /// Whether wrong or expired codes are refused (moto accepts any code).
    fn checks_codes(&self) -> bool {
        true
    }
}

const PASSWORD: &str = "Contract!Pass1";
const NEW_PASSWORD: &str = "Changed#Pass2";

fn email(what: &str) -> Email {
    let raw = format!("{what}-{}@example.com", uuid::Uuid::new_v4().simple());
    Email::parse("email", &raw).unwrap_or_else(|e| panic!("test email {raw}: {e:?}"))
}

fn password(s: &str) -> Password {
    Password::parse("password", s).unwrap_or_else(|e| panic!("test password: {e:?}"))
}

fn org() -> OrgId {
    OrgId::new(uuid::Uuid::new_v4())
}

fn account(email: &Email, org: Option<&OrgId>, role: Role) -> NewAccount {
    NewAccount { email: email.clone(), password: password(PASSWORD), org_id: org.cloned(), role }
}

async fn verifier(h: &dyn IdentityHarness) -> JwtVerifier {
    let keys = h.token_keys().await;
    JwtVerifier::new(&keys.jwks, keys.issuer, keys.client_id).unwrap_or_else(|e| panic!("family JWKS: {e}"))
}

async fn claims(h: &dyn IdentityHarness, token: &str) -> Map<String, Value> {
    verifier(h).await.verify_at(token, h.now()).unwrap_or_else(|e| panic!("token does not verify: {e}"))
}

fn groups(c: &Map<String, Value>) -> Vec<String> {
    match c.get("cognito:groups") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        other => panic!("cognito:groups should be an array, got {other:?}"),
    }
}

async fn code(h: &dyn IdentityHarness, email: &Email) -> String {
    h.code_for(email).await.unwrap_or_else(|| panic!("no code was sent to {email}"))
}

/// A wrong code that is surely not the one sent.
async fn wrong_code(h: &dyn IdentityHarness, email: &Email) -> String {
    let right: u32 = code(h, email).await.parse().unwrap_or(0);
    format!("{:06}", (right + 1) % 1_000_000)
}

/// Signs up and confirms; returns the subject.
async fn confirmed(h: &dyn IdentityHarness, email: &Email, org: Option<&OrgId>, role: Role) -> String {
    let id = h.identity();
    let sub = id.sign_up(account(email, org, role)).await.unwrap_or_else(|e| panic!("sign up: {e}"));
    id.confirm_sign_up(email, &code(h, email).await).await.unwrap_or_else(|e| panic!("confirm: {e}"));
    sub
}

async fn login(h: &dyn IdentityHarness, email: &Email, pw: &str) -> Tokens {
    h.identity().login(email, pw).await.unwrap_or_else(|e| panic!("login {email}: {e}"))
}

fn refresh_token(t: &Tokens) -> String {
    t.refresh_token.clone().unwrap_or_else(|| panic!("login must return a refresh token"))
}

fn assert_not_authorized<T: std::fmt::Debug>(r: Result<T, IdentityError>, what: &str) {
    assert!(matches!(r, Err(IdentityError::NotAuthorized(_))), "{what}: expected NotAuthorized, got {r:?}");
}

pub async fn sign_up_confirm_login_issues_tokens_with_cognito_claims(h: &dyn IdentityHarness) {
    let (e, o) = (email("hr"), org());
    let sub = confirmed(h, &e, Some(&o), Role::HrManager).await;
    let t = login(h, &e, PASSWORD).await;
    assert_eq!(t.token_type, "Bearer");
    assert!(t.expires_in > 0 && t.expires_in <= 3600, "expires_in {}", t.expires_in);
    assert!(t.refresh_token.is_some());

    let keys = h.token_keys().await;
    let id = claims(h, &t.id_token).await;
    assert_eq!(id.get("sub").and_then(Value::as_str), Some(sub.as_str()));
    assert_eq!(id.get("email").and_then(Value::as_str), Some(e.as_str()));
    assert_eq!(id.get("token_use").and_then(Value::as_str), Some("id"));
    assert_eq!(id.get("aud").and_then(Value::as_str), Some(keys.client_id.as_str()));
    assert_eq!(id.get("custom:org_id").and_then(Value::as_str), Some(o.as_str()));
    assert_eq!(groups(&id), ["hr_manager"]);
    for claim in ["iss", "iat", "exp", "auth_time"] {
        assert!(id.contains_key(claim), "id token lacks {claim}");
    }
    let p = Principal::from_claims(&id).unwrap_or_else(|| panic!("claims make no principal"));
    assert_eq!((p.user_id.as_str(), p.org_id.as_ref(), p.role), (sub.as_str(), Some(&o), Some(Role::HrManager)));

    let access = claims(h, &t.access_token).await;
    assert_eq!(access.get("sub").and_then(Value::as_str), Some(sub.as_str()));
    assert_eq!(access.get("token_use").and_then(Value::as_str), Some("access"));
    assert_eq!(access.get("client_id").and_then(Value::as_str), Some(keys.client_id.as_str()));
    assert_eq!(groups(&access), ["hr_manager"]);
}

pub async fn unconfirmed_user_cannot_log_in(h: &dyn IdentityHarness) {
    let e = email("unconfirmed");
    h.identity().sign_up(account(&e, None, Role::Candidate)).await.expect("sign up");
    let r = h.identity().login(&e, PASSWORD).await;
    assert!(matches!(r, Err(IdentityError::UserNotConfirmed)), "{r:?}");
}

pub async fn confirm_with_wrong_code_is_code_mismatch(h: &dyn IdentityHarness) {
    if !h.checks_codes() {
        eprintln!("skipped: this provider accepts any code");
        return;
    }
    let e = email("wrongcode");
    h.identity().sign_up(account(&e, None, Role::Candidate)).await.expect("sign up");
    let r = h.identity().confirm_sign_up(&e, &wrong_code(h, &e).await).await;
    assert!(matches!(r, Err(IdentityError::CodeMismatch)), "{r:?}");
    assert!(matches!(h.identity().login(&e, PASSWORD).await, Err(IdentityError::UserNotConfirmed)));
    // The right code still works, once.
    h.identity().confirm_sign_up(&e, &code(h, &e).await).await.expect("right code");
    login(h, &e, PASSWORD).await;
}

pub async fn duplicate_sign_up_is_username_exists(h: &dyn IdentityHarness) {
    let e = email("dup");
    h.identity().sign_up(account(&e, None, Role::Candidate)).await.expect("first sign up");
    let r = h.identity().sign_up(account(&e, None, Role::Candidate)).await;
    assert!(matches!(r, Err(IdentityError::UsernameExists)), "{r:?}");
}

pub async fn wrong_password_is_not_authorized(h: &dyn IdentityHarness) {
    let e = email("wrongpw");
    confirmed(h, &e, None, Role::Candidate).await;
    assert_not_authorized(h.identity().login(&e, "Wrong!Pass9").await, "wrong password");
}

pub async fn unknown_user_cannot_log_in(h: &dyn IdentityHarness) {
    let r = h.identity().login(&email("nobody"), PASSWORD).await;
    // Cognito answers UserNotFound, or NotAuthorized when the client hides which users exist.
    assert!(matches!(r, Err(IdentityError::NotAuthorized(_) | IdentityError::UserNotFound)), "{r:?}");
}

pub async fn candidate_without_org_has_no_org_claim(h: &dyn IdentityHarness) {
    let e = email("candidate");
    confirmed(h, &e, None, Role::Candidate).await;
    let id = claims(h, &login(h, &e, PASSWORD).await.id_token).await;
    assert!(id.get("custom:org_id").and_then(Value::as_str).is_none_or(str::is_empty), "{id:?}");
    assert_eq!(groups(&id), ["candidate"]);
}

pub async fn refresh_issues_new_tokens_without_a_new_refresh_token(h: &dyn IdentityHarness) {
    let (e, o) = (email("refresh"), org());
    let sub = confirmed(h, &e, Some(&o), Role::Recruiter).await;
    let t = login(h, &e, PASSWORD).await;
    let r = h.identity().refresh(&refresh_token(&t)).await.expect("refresh");
    assert_eq!(r.refresh_token, None, "Cognito does not rotate refresh tokens");
    let id = claims(h, &r.id_token).await;
    assert_eq!(id.get("sub").and_then(Value::as_str), Some(sub.as_str()));
    assert_eq!(id.get("custom:org_id").and_then(Value::as_str), Some(o.as_str()));
    assert_eq!(groups(&id), ["recruiter"]);
    assert_eq!(claims(h, &r.access_token).await.get("token_use").and_then(Value::as_str), Some("access"));
}

pub async fn logout_revokes_the_refresh_token(h: &dyn IdentityHarness) {
    let e = email("logout");
    confirmed(h, &e, None, Role::Candidate).await;
    let rt = refresh_token(&login(h, &e, PASSWORD).await);
    h.identity().logout(&e, &rt).await.expect("logout");
    assert_not_authorized(h.identity().refresh(&rt).await, "refresh after logout");
    // Signing in again works and gives a working refresh token.
    let again = refresh_token(&login(h, &e, PASSWORD).await);
    h.identity().refresh(&again).await.expect("fresh session refreshes");
}

pub async fn garbage_refresh_token_is_not_authorized(h: &dyn IdentityHarness) {
    assert_not_authorized(h.identity().refresh("not-a-refresh-token").await, "garbage refresh token");
}

pub async fn forgot_and_reset_password_replaces_the_password(h: &dyn IdentityHarness) {
    let e = email("reset");
    confirmed(h, &e, None, Role::Candidate).await;
    h.identity().forgot_password(&e).await.expect("forgot");
    let c = code(h, &e).await;
    h.identity().reset_password(&e, &c, &password(NEW_PASSWORD)).await.expect("reset");
    assert_not_authorized(h.identity().login(&e, PASSWORD).await, "old password");
    login(h, &e, NEW_PASSWORD).await;
}

pub async fn reset_with_wrong_code_is_code_mismatch(h: &dyn IdentityHarness) {
    if !h.checks_codes() {
        eprintln!("skipped: this provider accepts any code");
        return;
    }
    let e = email("resetwrong");
    confirmed(h, &e, None, Role::Candidate).await;
    h.identity().forgot_password(&e).await.expect("forgot");
    let r = h.identity().reset_password(&e, &wrong_code(h, &e).await, &password(NEW_PASSWORD)).await;
    assert!(matches!(r, Err(IdentityError::CodeMismatch)), "{r:?}");
    login(h, &e, PASSWORD).await;
}

pub async fn forgot_password_for_unknown_email_is_silently_ok(h: &dyn IdentityHarness) {
    h.identity().forgot_password(&email("ghost")).await.expect("must not reveal that the account is missing");
}

pub async fn invite_requires_a_new_password_then_complete_invite_gives_tokens(h: &dyn IdentityHarness) {
    let (e, o) = (email("invitee"), org());
    let sub = h.identity().invite(&e, &o, Role::Viewer).await.expect("invite");
    let temp = h.temporary_password_for(&e).await.unwrap_or_else(|| panic!("no temporary password sent to {e}"));
    let r = h.identity().login(&e, &temp).await;
    assert!(matches!(r, Err(IdentityError::NewPasswordRequired)), "{r:?}");
    let t = h.identity().complete_invite(&e, &temp, &password(NEW_PASSWORD)).await.expect("complete invite");
    assert!(t.refresh_token.is_some());
    let id = claims(h, &t.id_token).await;
    assert_eq!(id.get("sub").and_then(Value::as_str), Some(sub.as_str()));
    assert_eq!(id.get("custom:org_id").and_then(Value::as_str), Some(o.as_str()));
    assert_eq!(groups(&id), ["viewer"]);
    login(h, &e, NEW_PASSWORD).await;
    assert_not_authorized(h.identity().login(&e, &temp).await, "temporary password after completion");
}

pub async fn complete_invite_with_wrong_temporary_password_is_not_authorized(h: &dyn IdentityHarness) {
    let (e, o) = (email("invitewrong"), org());
    h.identity().invite(&e, &o, Role::Recruiter).await.expect("invite");
    let r = h.identity().complete_invite(&e, "Wrong!Temp9", &password(NEW_PASSWORD)).await;
    assert_not_authorized(r, "wrong temporary password");
}

pub async fn set_role_changes_groups_in_the_next_token(h: &dyn IdentityHarness) {
    let (e, o) = (email("promote"), org());
    confirmed(h, &e, Some(&o), Role::Viewer).await;
    h.identity().set_role(&e, Role::Admin).await.expect("set role");
    let t = login(h, &e, PASSWORD).await;
    assert_eq!(groups(&claims(h, &t.id_token).await), ["admin"]);
    assert_eq!(groups(&claims(h, &t.access_token).await), ["admin"]);
    h.identity().set_role(&e, Role::Recruiter).await.expect("set role again");
    assert_eq!(groups(&claims(h, &login(h, &e, PASSWORD).await.id_token).await), ["recruiter"]);
}

pub async fn add_role_keeps_the_other_groups_in_the_next_token(h: &dyn IdentityHarness) {
    let e = email("severalroles");
    confirmed(h, &e, None, Role::Npo).await;
    h.identity().add_role(&e, Role::CommunityLeader).await.expect("add role");
    h.identity().add_role(&e, Role::CommunityLeader).await.expect("adding it again changes nothing");
    let t = login(h, &e, PASSWORD).await;
    let mut got = groups(&claims(h, &t.id_token).await);
    got.sort();
    assert_eq!(got, ["community_leader", "npo"]);
}

pub async fn disable_blocks_login_and_refresh(h: &dyn IdentityHarness) {
    let e = email("disabled");
    confirmed(h, &e, None, Role::Candidate).await;
    let rt = refresh_token(&login(h, &e, PASSWORD).await);
    h.identity().disable(&e).await.expect("disable");
    assert_not_authorized(h.identity().login(&e, PASSWORD).await, "login when disabled");
    assert_not_authorized(h.identity().refresh(&rt).await, "refresh when disabled");
}

pub async fn deleted_account_cannot_log_in(h: &dyn IdentityHarness) {
    let e = email("deleted");
    confirmed(h, &e, None, Role::Candidate).await;
    h.identity().delete(&e).await.expect("delete");
    let r = h.identity().login(&e, PASSWORD).await;
    assert!(matches!(r, Err(IdentityError::NotAuthorized(_) | IdentityError::UserNotFound)), "{r:?}");
    // The email is free again.
    h.identity().sign_up(account(&e, None, Role::Candidate)).await.expect("sign up again");
}

pub async fn tampered_token_is_rejected(h: &dyn IdentityHarness) {
    let e = email("tamper");
    confirmed(h, &e, None, Role::Candidate).await;
    let t = login(h, &e, PASSWORD).await;
    let v = verifier(h).await;
    let mut parts: Vec<String> = t.id_token.split('.').map(str::to_owned).collect();
    assert_eq!(parts.len(), 3);
    // Claim to be an admin: the signature no longer matches.
    let mut c = claims(h, &t.id_token).await;
    c.insert("cognito:groups".into(), serde_json::json!(["admin"]));
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Value::Object(c).to_string());
    assert!(v.verify_at(&parts.join("."), h.now()).is_err(), "a forged payload must not verify");
    let other = clearview_local::verify::JwtVerifier::new(&h.token_keys().await.jwks, "https://evil.example", "x")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(other.verify_at(&t.id_token, h.now()).is_err(), "another issuer's verifier refuses it");
}

pub async fn tokens_expire_after_an_hour(h: &dyn IdentityHarness) {
    let e = email("expiry");
    confirmed(h, &e, None, Role::Candidate).await;
    let t = login(h, &e, PASSWORD).await;
    if !h.advance_clock(Duration::minutes(59)) {
        eprintln!("skipped: this provider's clock cannot be moved");
        return;
    }
    let v = verifier(h).await;
    v.verify_at(&t.id_token, h.now()).expect("valid for an hour");
    h.advance_clock(Duration::minutes(2));
    assert!(v.verify_at(&t.id_token, h.now()).is_err(), "id token expired");
    assert!(v.verify_at(&t.access_token, h.now()).is_err(), "access token expired");
    // The refresh token lasts longer and gives fresh tokens.
    let r = h.identity().refresh(&refresh_token(&t)).await.expect("refresh after an hour");
    v.verify_at(&r.id_token, h.now()).expect("refreshed token is valid");
}

pub async fn sign_up_code_expires_after_a_day(h: &dyn IdentityHarness) {
    if !h.checks_codes() {
        eprintln!("skipped: this provider accepts any code");
        return;
    }
    let e = email("codeexpiry");
    h.identity().sign_up(account(&e, None, Role::Candidate)).await.expect("sign up");
    let c = code(h, &e).await;
    if !h.advance_clock(Duration::hours(24) + Duration::minutes(1)) {
        eprintln!("skipped: this provider's clock cannot be moved");
        return;
    }
    let r = h.identity().confirm_sign_up(&e, &c).await;
    assert!(matches!(r, Err(IdentityError::CodeExpired)), "{r:?}");
}
