//! CognitoIdentity against moto: sign-up, confirmation, tokens, refresh, logout, invitations, roles.

use clearview_aws::fetch_jwks;
use clearview_aws::testing::{INVITE_TEMPORARY_PASSWORD, Moto, TestPool};
use clearview_core::ports::identity::{IdentityError, IdentityProvider, NewAccount};
use clearview_core::principal::Principal;
use clearview_core::rbac::Role;
use clearview_core::values::{Email, OrgId, Password};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde_json::{Map, Value};

const PASSWORD: &str = "Corr3ct!horse";

fn email(tag: &str) -> Email {
    Email::parse("email", &format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())).unwrap()
}

fn password(s: &str) -> Password {
    Password::parse("password", s).unwrap()
}

fn org() -> OrgId {
    OrgId::new(uuid::Uuid::new_v4())
}

/// Verifies an id token's RS256 signature with the JWKS moto serves, and returns its claims.
async fn verified_claims(pool: &TestPool, token: &str) -> Map<String, Value> {
    let jwks: JwkSet = serde_json::from_value(fetch_jwks(&pool.jwks_url).await.unwrap()).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("token's kid is in the JWKS");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&pool.issuer]);
    validation.set_audience(&[&pool.client_id]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("signature, issuer and audience verify");
    data.claims
}

async fn signed_up(pool: &TestPool, tag: &str, org_id: Option<OrgId>, role: Role) -> Email {
    let e = email(tag);
    let account = NewAccount { email: e.clone(), password: password(PASSWORD), org_id, role };
    pool.identity.sign_up(account).await.unwrap();
    pool.identity.confirm_sign_up(&e, "123456").await.unwrap();
    e
}

#[tokio::test]
async fn login_refused_until_email_confirmed() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = email("ana");
    let org_id = org();
    let sub = id
        .sign_up(NewAccount {
            email: e.clone(),
            password: password(PASSWORD),
            org_id: Some(org_id.clone()),
            role: Role::Admin,
        })
        .await
        .unwrap();
    assert_eq!(id.login(&e, PASSWORD).await, Err(IdentityError::UserNotConfirmed));

    id.confirm_sign_up(&e, "123456").await.unwrap();
    let tokens = id.login(&e, PASSWORD).await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0);

    let claims = verified_claims(&pool, &tokens.id_token).await;
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["token_use"], "id");
    assert_eq!(claims["email"], e.as_str());
    assert_eq!(claims["custom:org_id"], org_id.as_str());
    assert_eq!(claims["cognito:groups"], serde_json::json!(["admin"]));
    let principal = Principal::from_claims(&claims).unwrap();
    assert_eq!(principal.role, Some(Role::Admin));
    assert_eq!(principal.org_id, Some(org_id));
}

#[tokio::test]
async fn refresh_works_until_logout() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = signed_up(&pool, "ben", Some(org()), Role::Recruiter).await;
    let tokens = id.login(&e, PASSWORD).await.unwrap();
    let refresh = tokens.refresh_token.clone().expect("login returns a refresh token");

    let renewed = id.refresh(&refresh).await.unwrap();
    assert!(renewed.refresh_token.is_none());
    let claims = verified_claims(&pool, &renewed.id_token).await;
    assert_eq!(claims["cognito:groups"], serde_json::json!(["recruiter"]));

    id.logout(&e, &refresh).await.unwrap();
    assert!(matches!(id.refresh(&refresh).await, Err(IdentityError::NotAuthorized(_))));
}

#[tokio::test]
async fn sign_up_with_taken_email_is_refused() {
    let pool = Moto::shared().await.identity().await;
    let e = signed_up(&pool, "cat", None, Role::Candidate).await;
    let again = NewAccount { email: e, password: password(PASSWORD), org_id: None, role: Role::Candidate };
    assert_eq!(pool.identity.sign_up(again).await, Err(IdentityError::UsernameExists));
}

#[tokio::test]
async fn candidate_token_has_no_org_and_the_candidate_group() {
    let pool = Moto::shared().await.identity().await;
    let e = signed_up(&pool, "cand", None, Role::Candidate).await;
    let tokens = pool.identity.login(&e, PASSWORD).await.unwrap();
    let claims = verified_claims(&pool, &tokens.id_token).await;
    assert!(claims.get("custom:org_id").is_none());
    assert_eq!(claims["cognito:groups"], serde_json::json!(["candidate"]));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_both_not_authorized() {
    let pool = Moto::shared().await.identity().await;
    let e = signed_up(&pool, "dan", None, Role::Candidate).await;
    assert!(matches!(pool.identity.login(&e, "Wr0ng!password").await, Err(IdentityError::NotAuthorized(_))));
    assert!(matches!(pool.identity.login(&email("nobody"), PASSWORD).await, Err(IdentityError::NotAuthorized(_))));
}

#[tokio::test]
async fn forgotten_password_is_reset_with_the_emailed_code() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = signed_up(&pool, "eve", None, Role::Candidate).await;
    id.forgot_password(&e).await.unwrap();
    // moto accepts any code that does not look like one it generated.
    id.reset_password(&e, "123456", &password("N3w!password")).await.unwrap();
    assert!(matches!(id.login(&e, PASSWORD).await, Err(IdentityError::NotAuthorized(_))));
    id.login(&e, "N3w!password").await.unwrap();
}

#[tokio::test]
async fn forgot_password_for_unknown_email_reveals_nothing() {
    let pool = Moto::shared().await.identity().await;
    pool.identity.forgot_password(&email("ghost")).await.unwrap();
}

#[tokio::test]
async fn invited_user_must_set_a_new_password_then_gets_tokens() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = email("inv");
    let org_id = org();
    let sub = id.invite(&e, &org_id, Role::Viewer).await.unwrap();
    assert_eq!(id.login(&e, INVITE_TEMPORARY_PASSWORD).await, Err(IdentityError::NewPasswordRequired));

    let tokens = id.complete_invite(&e, INVITE_TEMPORARY_PASSWORD, &password("Ch0sen!pass")).await.unwrap();
    let claims = verified_claims(&pool, &tokens.id_token).await;
    assert_eq!(claims["sub"], sub.as_str());
    assert_eq!(claims["custom:org_id"], org_id.as_str());
    assert_eq!(claims["cognito:groups"], serde_json::json!(["viewer"]));
    id.login(&e, "Ch0sen!pass").await.unwrap();
}

#[tokio::test]
async fn inviting_an_existing_email_is_refused() {
    let pool = Moto::shared().await.identity().await;
    let e = signed_up(&pool, "dup", None, Role::Candidate).await;
    assert_eq!(pool.identity.invite(&e, &org(), Role::Viewer).await, Err(IdentityError::UsernameExists));
}

#[tokio::test]
async fn set_role_is_visible_in_the_next_token() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = signed_up(&pool, "rol", Some(org()), Role::Viewer).await;
    id.set_role(&e, Role::HrManager).await.unwrap();
    let tokens = id.login(&e, PASSWORD).await.unwrap();
    let claims = verified_claims(&pool, &tokens.id_token).await;
    assert_eq!(claims["cognito:groups"], serde_json::json!(["hr_manager"]));
    // Setting the role it already has changes nothing.
    id.set_role(&e, Role::HrManager).await.unwrap();
    let claims = verified_claims(&pool, &id.login(&e, PASSWORD).await.unwrap().id_token).await;
    assert_eq!(claims["cognito:groups"], serde_json::json!(["hr_manager"]));
}

#[tokio::test]
async fn disabled_user_can_neither_log_in_nor_refresh() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = signed_up(&pool, "dis", Some(org()), Role::Recruiter).await;
    let refresh = id.login(&e, PASSWORD).await.unwrap().refresh_token.unwrap();
    id.disable(&e).await.unwrap();
    assert!(matches!(id.login(&e, PASSWORD).await, Err(IdentityError::NotAuthorized(_))));
    assert!(matches!(id.refresh(&refresh).await, Err(IdentityError::NotAuthorized(_))));
}

#[tokio::test]
async fn deleted_user_is_gone() {
    let pool = Moto::shared().await.identity().await;
    let id = &pool.identity;
    let e = signed_up(&pool, "del", None, Role::Candidate).await;
    id.delete(&e).await.unwrap();
    assert!(matches!(id.login(&e, PASSWORD).await, Err(IdentityError::NotAuthorized(_))));
    assert_eq!(id.delete(&e).await, Err(IdentityError::UserNotFound));
    assert_eq!(id.set_role(&e, Role::Admin).await, Err(IdentityError::UserNotFound));
}

#[tokio::test]
async fn sign_up_with_a_role_group_that_does_not_exist_is_undone() {
    let moto = Moto::shared().await;
    let pool = moto.identity().await;
    // Remove the group so the admin step fails after the public sign-up succeeded.
    pool.identity.client().delete_group().user_pool_id(&pool.pool_id).group_name("recruiter").send().await.unwrap();
    let e = email("half");
    let account =
        NewAccount { email: e.clone(), password: password(PASSWORD), org_id: Some(org()), role: Role::Recruiter };
    assert!(pool.identity.sign_up(account.clone()).await.is_err());
    // The half-created user was deleted, so the email is free again.
    let account = NewAccount { role: Role::Viewer, ..account };
    pool.identity.sign_up(account).await.unwrap();
}
