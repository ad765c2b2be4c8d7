//! `/api/auth/*`: confirming an email, signing in and out, tokens, passwords, invitations.

use crate::App;
use crate::handler;
use crate::reply::Message;
use crate::request::Req;
use crate::routes::{Accepted, Access::*, Grant::*, Json, NoContent, Route};
use clearview_core::AppError;
use clearview_core::ports::identity::Tokens;
use clearview_core::services::auth;
use clearview_core::services::platform::{self, OwnProfile, RegisterFederatedUser, RegisterPlatformUser};

const SIGNOUT_ADMIN: &[&str] = &["AdminUserGlobalSignOut"];

pub static ROUTES: &[Route] = &[
    REGISTER,
    FEDERATED_REGISTER,
    SSO_JOIN,
    CONFIRM,
    LOGIN,
    REFRESH,
    FORGOT_PASSWORD,
    RESET_PASSWORD,
    COMPLETE_INVITE,
    LOGOUT,
    ME,
];

pub const REGISTER: Route = Route {
    name: "auth-register",
    method: "POST",
    path: "/api/auth/register",
    access: Public,
    summary: "Register a platform user with one or more roles (candidate, npo, community_leader, career_mentor); email verification follows. Platform admins are made by a platform admin (or, the first ones, listed in PLATFORM_ADMIN_EMAILS)",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(super::SIGNUP_ADMIN), PlatformAdminEmails],
    handler: handler!(register),
};
async fn register(
    app: App,
    _: Req,
    Json(input): Json<RegisterPlatformUser>,
) -> Result<crate::routes::Created<OwnProfile>, AppError> {
    let p = platform::register(&app.deps, input, &app.platform_admins).await?;
    let version = Some(p.version);
    Ok(crate::routes::Created { body: p, location: "/api/users/me/profile".into(), version })
}

pub const FEDERATED_REGISTER: Route = Route {
    name: "auth-federated-register",
    method: "POST",
    path: "/api/auth/federated/register",
    access: SignedIn,
    summary: "First visit after a social sign-in (Google, Facebook, Apple through the hosted UI): choose roles and create the platform profile for the signed-in account; refresh the tokens afterwards to carry the roles",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(FEDERATED_ADMIN), PlatformAdminEmails],
    handler: handler!(federated_register),
};
/// Finding a federated user by email (their username is `<Provider>_<id>`) and adding groups.
const FEDERATED_ADMIN: &[&str] = &["AdminAddUserToGroup", "ListUsers"];
async fn federated_register(
    app: App,
    req: Req,
    Json(input): Json<RegisterFederatedUser>,
) -> Result<crate::routes::Created<OwnProfile>, AppError> {
    let p = req.principal.as_ref().ok_or_else(|| AppError::Unauthenticated("sign in first".into()))?;
    let profile = platform::register_federated(&app.deps, p, input, &app.platform_admins).await?;
    let version = Some(profile.version);
    Ok(crate::routes::Created { body: profile, location: "/api/users/me/profile".into(), version })
}

pub const SSO_JOIN: Route = Route {
    name: "auth-sso-join",
    method: "POST",
    path: "/api/auth/sso/join",
    access: SignedIn,
    summary: "First sign-in through your organisation's own identity provider (SAML/OIDC single sign-on): join the organisation as staff with the connection's default role; refresh the tokens afterwards",
    idempotent: true,
    grants: &[TableRead, TableWrite, UserPoolAdmin(SSO_JOIN_ADMIN)],
    handler: handler!(sso_join),
};
/// Setting `custom:org_id` and the role group of a federated user (found by email).
const SSO_JOIN_ADMIN: &[&str] = &["AdminUpdateUserAttributes", "AdminAddUserToGroup", "ListUsers"];
async fn sso_join(
    app: App,
    req: Req,
    Json(input): Json<clearview_core::services::sso::SsoJoinInput>,
) -> Result<crate::routes::Created<clearview_core::model::user::User>, AppError> {
    let p = req.principal.as_ref().ok_or_else(|| AppError::Unauthenticated("sign in first".into()))?;
    let user = clearview_core::services::sso::join(&app.deps, p, input).await?;
    let version = Some(user.version);
    Ok(crate::routes::Created { location: format!("/api/users/{}", user.id), body: user, version })
}

pub const CONFIRM: Route = Route {
    name: "auth-confirm",
    method: "POST",
    path: "/api/auth/confirm",
    access: Public,
    summary: "Verify an email with the emailed code",
    idempotent: false,
    grants: &[],
    handler: handler!(confirm),
};
async fn confirm(app: App, _: Req, Json(input): Json<auth::ConfirmInput>) -> Result<NoContent, AppError> {
    auth::confirm(&app.deps, input).await?;
    Ok(NoContent)
}

pub const LOGIN: Route = Route {
    name: "auth-login",
    method: "POST",
    path: "/api/auth/login",
    access: Public,
    summary: "Sign in with email and password",
    idempotent: false,
    grants: &[],
    handler: handler!(login),
};
async fn login(app: App, _: Req, Json(input): Json<auth::LoginInput>) -> Result<Json<Tokens>, AppError> {
    Ok(Json(auth::login(&app.deps, input).await?))
}

pub const REFRESH: Route = Route {
    name: "auth-refresh",
    method: "POST",
    path: "/api/auth/refresh",
    access: Public,
    summary: "Exchange a refresh token for new tokens",
    idempotent: false,
    grants: &[],
    handler: handler!(refresh),
};
async fn refresh(app: App, _: Req, Json(input): Json<auth::RefreshInput>) -> Result<Json<Tokens>, AppError> {
    Ok(Json(auth::refresh(&app.deps, input).await?))
}

pub const FORGOT_PASSWORD: Route = Route {
    name: "auth-forgot-password",
    method: "POST",
    path: "/api/auth/forgot-password",
    access: Public,
    summary: "Email a password-reset code (answers the same whether or not the account exists)",
    idempotent: false,
    grants: &[],
    handler: handler!(forgot_password),
};
async fn forgot_password(
    app: App,
    _: Req,
    Json(input): Json<auth::ForgotInput>,
) -> Result<Accepted<Message>, AppError> {
    auth::forgot_password(&app.deps, input).await?;
    let message = "If an account exists for this email, a reset code is on its way.".to_owned();
    Ok(Accepted(Message { message }, None))
}

pub const RESET_PASSWORD: Route = Route {
    name: "auth-reset-password",
    method: "POST",
    path: "/api/auth/reset-password",
    access: Public,
    summary: "Set a new password with the emailed code",
    idempotent: false,
    grants: &[],
    handler: handler!(reset_password),
};
async fn reset_password(app: App, _: Req, Json(input): Json<auth::ResetInput>) -> Result<NoContent, AppError> {
    auth::reset_password(&app.deps, input).await?;
    Ok(NoContent)
}

pub const COMPLETE_INVITE: Route = Route {
    name: "auth-complete-invite",
    method: "POST",
    path: "/api/auth/complete-invite",
    access: Public,
    summary: "First sign-in of an invited user: replace the temporary password",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(complete_invite),
};
async fn complete_invite(
    app: App,
    _: Req,
    Json(input): Json<auth::CompleteInviteInput>,
) -> Result<Json<Tokens>, AppError> {
    Ok(Json(auth::complete_invite(&app.deps, input).await?))
}

pub const LOGOUT: Route = Route {
    name: "auth-logout",
    method: "POST",
    path: "/api/auth/logout",
    access: Member(None),
    summary: "Sign out (staff or candidate): the refresh token stops working",
    idempotent: false,
    grants: &[TableRead, UserPoolAdmin(SIGNOUT_ADMIN)],
    handler: handler!(logout),
};
async fn logout(app: App, req: Req, Json(input): Json<auth::RefreshInput>) -> Result<NoContent, AppError> {
    // Staff: the staff record's email; a candidate: the verified token's.
    let email = match req.actor() {
        Ok(actor) => actor.user.email.clone(),
        Err(_) => req
            .candidate()?
            .email
            .clone()
            .ok_or_else(|| AppError::Unauthenticated("the token carries no email".into()))?,
    };
    auth::logout(&app.deps, &email, input).await?;
    Ok(NoContent)
}

pub const ME: Route = Route {
    name: "auth-me",
    method: "GET",
    path: "/api/auth/me",
    access: Staff(None),
    summary: "The signed-in user, organisation and permissions",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(me),
};
async fn me(app: App, req: Req, _: ()) -> Result<Json<auth::Me>, AppError> {
    Ok(Json(auth::me(&app.deps, req.actor()?).await?))
}
