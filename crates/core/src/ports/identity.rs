//! User identity: Cognito in AWS, a local RS256 issuer for `make run` and tests.
//!
//! Tokens follow Cognito's claim shape (`sub`, `email`, `cognito:groups`, `custom:org_id`,
//! `token_use`, `iss`, `aud`/`client_id`), so the same verification works on both.

use crate::rbac::Role;
use crate::values::{Email, OrgId, Password};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    /// Absent on refresh (Cognito does not rotate it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub expires_in: u64,
    pub token_type: String,
}

/// A new account. `org_id` and `role` are set by the backend with admin rights, never by clients.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub org_id: Option<OrgId>,
    pub role: Role,
}

/// An organisation's own identity provider (employer single sign-on), as the user pool holds it
/// (Cognito: `CreateIdentityProvider` on the pool, offered by the app client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgIdentityProvider {
    /// The pool's provider name (`identity_provider=` on the authorize URL).
    pub name: String,
    pub org_id: OrgId,
    pub protocol: SsoProtocol,
    /// Cognito's `ProviderDetails` (`MetadataURL` for SAML; `oidc_issuer`, `client_id`,
    /// `client_secret`, `authorize_scopes`, `attributes_request_method` for OIDC).
    pub details: std::collections::BTreeMap<String, String>,
    /// Email domains that route to it (`idp_identifier=` on the authorize URL).
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SsoProtocol {
    Saml,
    Oidc,
}

/// The identity provider's id of a user (Cognito `sub`).
pub type Subject = String;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with this email already exists")]
    UsernameExists,
    #[error("password does not meet the policy: {0}")]
    InvalidPassword(String),
    #[error("verification code mismatch")]
    CodeMismatch,
    #[error("verification code expired")]
    CodeExpired,
    #[error("not authorized: {0}")]
    NotAuthorized(String),
    #[error("user is not confirmed")]
    UserNotConfirmed,
    #[error("a new password is required")]
    NewPasswordRequired,
    #[error("user not found")]
    UserNotFound,
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    #[error("identity provider answered unexpectedly: {0}")]
    Invalid(String),
}

#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// Self sign-up; the provider sends a verification code to the email. Returns the subject.
    async fn sign_up(&self, account: NewAccount) -> Result<Subject, IdentityError>;
    /// Confirms a sign-up with the emailed code.
    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<(), IdentityError>;
    /// USER_PASSWORD_AUTH.
    async fn login(&self, email: &Email, password: &str) -> Result<Tokens, IdentityError>;
    /// REFRESH_TOKEN_AUTH.
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError>;
    /// Ends the user's sessions: afterwards `refresh_token` (and, in Cognito, every refresh
    /// token of the user: AdminUserGlobalSignOut) no longer refreshes.
    async fn logout(&self, email: &Email, refresh_token: &str) -> Result<(), IdentityError>;
    /// Sends a reset code, if the account exists (callers must not reveal whether it does).
    async fn forgot_password(&self, email: &Email) -> Result<(), IdentityError>;
    async fn reset_password(&self, email: &Email, code: &str, new_password: &Password) -> Result<(), IdentityError>;
    /// Creates an invited account with a temporary password that the provider emails.
    async fn invite(&self, email: &Email, org_id: &OrgId, role: Role) -> Result<Subject, IdentityError>;
    /// First sign-in of an invited account: exchanges the temporary password for a new one.
    async fn complete_invite(
        &self,
        email: &Email,
        temporary_password: &str,
        new_password: &Password,
    ) -> Result<Tokens, IdentityError>;
    /// Moves the user to exactly this role's group.
    async fn set_role(&self, email: &Email, role: Role) -> Result<(), IdentityError>;
    /// Adds the user to this role's group too, keeping the others (platform users hold several
    /// roles). Adding a group the user is in already changes nothing.
    async fn add_role(&self, email: &Email, role: Role) -> Result<(), IdentityError>;
    /// Disables sign-in and revokes every session.
    async fn disable(&self, email: &Email) -> Result<(), IdentityError>;
    /// Removes the account (used to undo a sign-up whose records could not be written).
    async fn delete(&self, email: &Email) -> Result<(), IdentityError>;
    /// Creates or replaces an organisation's identity provider and offers it on the app client.
    async fn put_org_provider(&self, provider: &OrgIdentityProvider) -> Result<(), IdentityError>;
    /// Removes it (its users keep their accounts; they can no longer sign in through it).
    async fn delete_org_provider(&self, name: &str) -> Result<(), IdentityError>;
    /// Makes the account a staff member of `org` with exactly `role` (`custom:org_id` and the
    /// group): a first sign-in through the organisation's own identity provider.
    async fn join_org(&self, email: &Email, org: &OrgId, role: Role) -> Result<(), IdentityError>;
}
