//! Sign-in and account recovery, delegated to the identity provider.

use super::{Actor, Change, Who, audit_write, snapshot};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::UserStatus;
use crate::model::{Organization, User};
use crate::ports::Deps;
use crate::ports::identity::Tokens;
use crate::ports::store::Condition;
use crate::principal::Principal;
use crate::rbac::Permission;
use crate::record;
use crate::record::Record;
use crate::values::{Checks, Email, Password, pattern};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = code_schema, example = "123456")]
    pub code: String,
}

const MAX_CODE: usize = 16;
const MAX_TOKEN: usize = 8192;

/// The code from the email: 1–16 ASCII letters or digits, surrounding whitespace ignored.
fn code_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(Some(format!("^{w}*[A-Za-z0-9]{{1,{MAX_CODE}}}{w}*$", w = pattern::W)))
        .build()
}

fn token_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .min_length(Some(1))
        .max_length(Some(MAX_TOKEN))
        .build()
}

/// A password checked by the identity provider, not here: only its presence is required.
fn given_password_schema() -> Object {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).min_length(Some(1)).build()
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = given_password_schema)]
    pub password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshInput {
    #[schema(schema_with = token_schema)]
    pub refresh_token: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForgotInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = code_schema)]
    pub code: String,
    #[schema(schema_with = Password::schema)]
    pub new_password: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteInviteInput {
    #[schema(schema_with = Email::schema)]
    pub email: String,
    #[schema(schema_with = given_password_schema)]
    pub temporary_password: String,
    #[schema(schema_with = Password::schema)]
    pub new_password: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user: User,
    pub organization: Organization,
    pub permissions: Vec<Permission>,
}

fn code(field: &str, s: &str) -> Result<String, crate::FieldError> {
    let t = s.trim();
    if t.is_empty() || t.len() > MAX_CODE || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(crate::FieldError::new(field, "must be the code from the email"));
    }
    Ok(t.to_owned())
}

fn token(field: &str, s: &str) -> Result<String, crate::FieldError> {
    if s.is_empty() || s.chars().count() > MAX_TOKEN {
        return Err(crate::FieldError::new(field, "must be the token from a previous sign-in"));
    }
    Ok(s.to_owned())
}

pub async fn confirm(deps: &Deps, input: ConfirmInput) -> AppResult<()> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let code = c.take(code("code", &input.code));
    c.finish()?;
    let (Some(email), Some(code)) = (email, code) else { return unreachable_fields() };
    Ok(deps.identity.confirm_sign_up(&email, &code).await?)
}

pub async fn login(deps: &Deps, input: LoginInput) -> AppResult<Tokens> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    if input.password.is_empty() {
        c.push("password", "is required");
    }
    c.finish()?;
    let Some(email) = email else { return unreachable_fields() };
    Ok(deps.identity.login(&email, &input.password).await?)
}

pub async fn refresh(deps: &Deps, input: RefreshInput) -> AppResult<Tokens> {
    let t = token("refreshToken", &input.refresh_token).map_err(|e| AppError::Validation(vec![e]))?;
    Ok(deps.identity.refresh(&t).await?)
}

pub async fn logout(deps: &Deps, actor_email: &Email, input: RefreshInput) -> AppResult<()> {
    let t = token("refreshToken", &input.refresh_token).map_err(|e| AppError::Validation(vec![e]))?;
    Ok(deps.identity.logout(actor_email, &t).await?)
}

/// Always succeeds for a well-formed email, so the answer does not reveal who has an account.
pub async fn forgot_password(deps: &Deps, input: ForgotInput) -> AppResult<()> {
    let email = Email::parse("email", &input.email).map_err(|e| AppError::Validation(vec![e]))?;
    match deps.identity.forgot_password(&email).await {
        Ok(()) | Err(crate::ports::identity::IdentityError::UserNotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub async fn reset_password(deps: &Deps, input: ResetInput) -> AppResult<()> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    let code = c.take(code("code", &input.code));
    let pw = c.take(Password::parse("newPassword", &input.new_password));
    c.finish()?;
    let (Some(email), Some(code), Some(pw)) = (email, code, pw) else { return unreachable_fields() };
    Ok(deps.identity.reset_password(&email, &code, &pw).await?)
}

pub async fn complete_invite(deps: &Deps, input: CompleteInviteInput) -> AppResult<Tokens> {
    let mut c = Checks::default();
    let email = c.take(Email::parse("email", &input.email));
    if input.temporary_password.is_empty() {
        c.push("temporaryPassword", "is required");
    }
    let pw = c.take(Password::parse("newPassword", &input.new_password));
    c.finish()?;
    let (Some(email), Some(pw)) = (email, pw) else { return unreachable_fields() };
    let tokens = deps.identity.complete_invite(&email, &input.temporary_password, &pw).await?;
    // The invitation is accepted: the staff record becomes active.
    let claims = crate::principal::claims_of_fresh_token(&tokens.id_token)
        .and_then(|c| Principal::from_claims(&c))
        .ok_or_else(|| AppError::Internal("the identity provider's token has no subject".into()))?;
    if let Some(org) = &claims.org_id {
        let key = keys::user(org, &claims.user_id);
        if let Some(before) = record::get::<User>(deps.store.as_ref(), &key).await?
            && before.status == UserStatus::Invited
        {
            let mut after = before.clone();
            after.status = UserStatus::Active;
            after.version += 1;
            after.updated_at = deps.clock.now();
            let audit = audit_write(
                deps,
                Who { id: after.id.as_str(), email: Some(after.email.as_str()) },
                org,
                Change {
                    action: "user.accept_invite",
                    target_type: "user",
                    target_id: after.id.as_str(),
                    before: Some(snapshot(&before)?),
                    after: Some(snapshot(&after)?),
                },
            )?;
            // A concurrent change to the record wins; the user can still sign in.
            let _ =
                deps.store.transact(vec![after.tx_put("version", Condition::VersionIs(before.version))?, audit]).await;
        }
    }
    Ok(tokens)
}

pub async fn me(deps: &Deps, actor: &Actor) -> AppResult<Me> {
    let organization: Organization =
        record::get(deps.store.as_ref(), &keys::org(actor.org())).await?.ok_or(AppError::NotFound("organization"))?;
    Ok(Me { user: actor.user.clone(), organization, permissions: actor.permissions.iter().copied().collect() })
}

/// `Checks::finish` returned Ok, so every parsed field is present; this never runs.
fn unreachable_fields<T>() -> AppResult<T> {
    Err(AppError::Internal("validated fields missing".into()))
}
