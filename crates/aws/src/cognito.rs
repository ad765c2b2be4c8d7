//! `IdentityProvider` over a Cognito user pool (email as username, role groups, `custom:org_id`).
//!
//! Clients may not write `custom:org_id` (the app client's write attributes exclude it): the
//! backend sets it, and the role group, with admin calls after a public sign-up.

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType, DeliveryMediumType,
    ExplicitAuthFlowsType, PasswordPolicyType, PreventUserExistenceErrorTypes, SchemaAttributeType, UserPoolPolicyType,
    UsernameAttributeType, VerifiedAttributeType,
};
use clearview_core::ports::identity::{IdentityError, IdentityProvider, NewAccount, Subject, Tokens};
use clearview_core::rbac::Role;
use clearview_core::values::{Email, OrgId, Password};

/// The custom attribute holding the user's organisation (the tenant).
pub const ORG_ID_ATTRIBUTE: &str = "custom:org_id";

/// Cognito identity adapter.
#[derive(Clone)]
pub struct CognitoIdentity {
    client: Client,
    user_pool_id: String,
    client_id: String,
    temporary_password: Option<String>,
}

impl std::fmt::Debug for CognitoIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoIdentity")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl CognitoIdentity {
    pub fn new(client: Client, user_pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self { client, user_pool_id: user_pool_id.into(), client_id: client_id.into(), temporary_password: None }
    }

    /// Invitations use this temporary password instead of one Cognito generates. Only for
    /// emulators and tests, which cannot read the invitation email (moto generates none).
    pub fn with_invite_temporary_password(mut self, password: impl Into<String>) -> Self {
        self.temporary_password = Some(password.into());
        self
    }

    pub fn user_pool_id(&self) -> &str {
        &self.user_pool_id
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn add_to_group(&self, email: &Email, role: Role) -> Result<(), IdentityError> {
        match self.add_username_to_group(email.as_str(), role).await {
            // A user who signed in with Google, Facebook or Apple is `<Provider>_<id>`, not their
            // email: find them by the email attribute the provider mapped.
            Err(IdentityError::UserNotFound) => {
                let usernames = self.usernames_with_email(email).await?;
                if usernames.is_empty() {
                    return Err(IdentityError::UserNotFound);
                }
                for u in &usernames {
                    self.add_username_to_group(u, role).await?;
                }
                Ok(())
            }
            other => other,
        }
    }

    async fn add_username_to_group(&self, username: &str, role: Role) -> Result<(), IdentityError> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .group_name(role.group())
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }

    /// Adds (or removes) a provider on the app client's `SupportedIdentityProviders`.
    /// UpdateUserPoolClient resets every setting it is not given, so every setting the client
    /// has is sent back with it.
    async fn offer_provider(&self, name: &str, offered: bool) -> Result<(), IdentityError> {
        let described = self
            .client
            .describe_user_pool_client()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.client_id)
            .send()
            .await
            .map_err(identity_error)?;
        let Some(c) = described.user_pool_client() else {
            return Err(IdentityError::Invalid("DescribeUserPoolClient answered without the client".into()));
        };
        let mut providers: Vec<String> = c.supported_identity_providers().to_vec();
        let listed = providers.iter().any(|p| p == name);
        if listed == offered {
            return Ok(());
        }
        if offered {
            providers.push(name.to_owned());
        } else {
            providers.retain(|p| p != name);
        }
        self.client
            .update_user_pool_client()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.client_id)
            .set_client_name(c.client_name().map(str::to_owned))
            .set_refresh_token_validity(Some(c.refresh_token_validity()).filter(|v| *v > 0))
            .set_access_token_validity(c.access_token_validity())
            .set_id_token_validity(c.id_token_validity())
            .set_token_validity_units(c.token_validity_units().cloned())
            .set_read_attributes(Some(c.read_attributes().to_vec()))
            .set_write_attributes(Some(c.write_attributes().to_vec()))
            .set_explicit_auth_flows(Some(c.explicit_auth_flows().to_vec()))
            .set_supported_identity_providers(Some(providers))
            .set_callback_urls(Some(c.callback_urls().to_vec()))
            .set_logout_urls(Some(c.logout_urls().to_vec()))
            .set_default_redirect_uri(c.default_redirect_uri().map(str::to_owned))
            .set_allowed_o_auth_flows(Some(c.allowed_o_auth_flows().to_vec()))
            .set_allowed_o_auth_scopes(Some(c.allowed_o_auth_scopes().to_vec()))
            .set_allowed_o_auth_flows_user_pool_client(c.allowed_o_auth_flows_user_pool_client())
            .set_prevent_user_existence_errors(c.prevent_user_existence_errors().cloned())
            .set_enable_token_revocation(c.enable_token_revocation())
            .set_auth_session_validity(c.auth_session_validity())
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }

    /// Usernames of the pool's users whose `email` attribute is `email` (ListUsers' filter).
    pub async fn usernames_with_email(&self, email: &Email) -> Result<Vec<String>, IdentityError> {
        let quoted = email.as_str().replace('\\', "\\\\").replace('"', "\\\"");
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .filter(format!("email = \"{quoted}\""))
            .limit(10)
            .send()
            .await
            .map_err(identity_error)?;
        Ok(out.users().iter().filter_map(|u| u.username().map(str::to_owned)).collect())
    }

    /// Best-effort undo of a half-created account; the original error is what the caller sees.
    async fn undo_create(&self, email: &Email) {
        if let Err(e) = self.delete(email).await {
            tracing::warn!(error = %e, "could not delete a half-created Cognito user");
        }
    }

    async fn global_sign_out(&self, email: &Email) -> Result<(), IdentityError> {
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, IdentityError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| IdentityError::Invalid(e.to_string()))
}

fn tokens(result: Option<&AuthenticationResultType>) -> Result<Tokens, IdentityError> {
    let r = result.ok_or_else(|| IdentityError::Invalid("no authentication result".into()))?;
    let need = |v: Option<&str>, what: &str| {
        v.map(str::to_owned).ok_or_else(|| IdentityError::Invalid(format!("authentication result has no {what}")))
    };
    Ok(Tokens {
        id_token: need(r.id_token(), "id token")?,
        access_token: need(r.access_token(), "access token")?,
        refresh_token: r.refresh_token().map(str::to_owned),
        expires_in: u64::try_from(r.expires_in()).unwrap_or(0),
        token_type: r.token_type().unwrap_or("Bearer").to_owned(),
    })
}

/// Maps a Cognito error to the port's error, by Cognito's error code.
pub(crate) fn identity_error<E, R>(err: SdkError<E, R>) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let message = e.message().unwrap_or_default().to_owned();
            let code = e.code().unwrap_or("Unknown");
            match code {
                "UsernameExistsException" | "AliasExistsException" => IdentityError::UsernameExists,
                "InvalidPasswordException" => IdentityError::InvalidPassword(message),
                "CodeMismatchException" => IdentityError::CodeMismatch,
                "ExpiredCodeException" => IdentityError::CodeExpired,
                "NotAuthorizedException" => IdentityError::NotAuthorized(message),
                "PasswordResetRequiredException" => {
                    IdentityError::NotAuthorized(format!("password reset required: {message}"))
                }
                "UserNotConfirmedException" => IdentityError::UserNotConfirmed,
                "UserNotFoundException" => IdentityError::UserNotFound,
                "LimitExceededException" | "TooManyRequestsException" | "TooManyFailedAttemptsException" => {
                    IdentityError::LimitExceeded(message)
                }
                "InternalErrorException" | "ServiceUnavailableException" => {
                    IdentityError::Unavailable(format!("{code}: {message}"))
                }
                "CodeDeliveryFailureException" => {
                    IdentityError::Unavailable(format!("could not deliver the code: {message}"))
                }
                _ => IdentityError::Invalid(format!("{code}: {message}")),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            IdentityError::Unavailable(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&err).to_string())
        }
        _ => IdentityError::Invalid(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&err).to_string()),
    }
}

/// On sign-in, an unknown user answers like a wrong password (Cognito's
/// PreventUserExistenceErrors): nobody learns which emails have accounts.
fn hide_unknown_user(e: IdentityError) -> IdentityError {
    match e {
        IdentityError::UserNotFound => IdentityError::NotAuthorized("Incorrect username or password.".into()),
        other => other,
    }
}

#[async_trait]
impl IdentityProvider for CognitoIdentity {
    async fn sign_up(&self, account: NewAccount) -> Result<Subject, IdentityError> {
        let email = &account.email;
        let out = self
            .client
            .sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .password(account.password.expose())
            .user_attributes(attribute("email", email.as_str())?)
            .send()
            .await
            .map_err(identity_error)?;
        let subject = out.user_sub().to_owned();

        let admin = async {
            if let Some(org) = &account.org_id {
                self.client
                    .admin_update_user_attributes()
                    .user_pool_id(&self.user_pool_id)
                    .username(email.as_str())
                    .user_attributes(attribute(ORG_ID_ATTRIBUTE, org.as_str())?)
                    .send()
                    .await
                    .map_err(identity_error)?;
            }
            self.add_to_group(email, account.role).await
        };
        if let Err(e) = admin.await {
            self.undo_create(email).await;
            return Err(e);
        }
        Ok(subject)
    }

    async fn confirm_sign_up(&self, email: &Email, code: &str) -> Result<(), IdentityError> {
        self.client
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(email.as_str())
            .confirmation_code(code)
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }

    async fn login(&self, email: &Email, password: &str) -> Result<Tokens, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(|e| hide_unknown_user(identity_error(e)))?;
        match out.challenge_name() {
            None => tokens(out.authentication_result()),
            Some(ChallengeNameType::NewPasswordRequired) => Err(IdentityError::NewPasswordRequired),
            Some(other) => Err(IdentityError::Invalid(format!("unsupported sign-in challenge {other}"))),
        }
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(|e| match identity_error(e) {
                // An unknown refresh token is not a lookup by user: it is simply not authorised.
                IdentityError::UserNotFound => IdentityError::NotAuthorized("Invalid Refresh Token".into()),
                other => other,
            })?;
        tokens(out.authentication_result())
    }

    /// AdminUserGlobalSignOut: every refresh token of the user stops working. (Cognito's
    /// RevokeToken would revoke just this one, but moto lacks it and the port promises all.)
    async fn logout(&self, email: &Email, _refresh_token: &str) -> Result<(), IdentityError> {
        self.global_sign_out(email).await
    }

    async fn forgot_password(&self, email: &Email) -> Result<(), IdentityError> {
        let sent = self
            .client
            .forgot_password()
            .client_id(&self.client_id)
            .username(email.as_str())
            .send()
            .await
            .map_err(identity_error);
        match sent {
            Ok(_) | Err(IdentityError::UserNotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn reset_password(&self, email: &Email, code: &str, new_password: &Password) -> Result<(), IdentityError> {
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(email.as_str())
            .confirmation_code(code)
            .password(new_password.expose())
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }

    async fn invite(&self, email: &Email, org_id: &OrgId, role: Role) -> Result<Subject, IdentityError> {
        let out = self
            .client
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .user_attributes(attribute("email", email.as_str())?)
            .user_attributes(attribute("email_verified", "true")?)
            .user_attributes(attribute(ORG_ID_ATTRIBUTE, org_id.as_str())?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .set_temporary_password(self.temporary_password.clone())
            .send()
            .await
            .map_err(identity_error)?;
        let subject = out
            .user()
            .and_then(|u| u.attributes().iter().find(|a| a.name() == "sub"))
            .and_then(|a| a.value())
            .map(str::to_owned);
        let Some(subject) = subject else {
            self.undo_create(email).await;
            return Err(IdentityError::Invalid("AdminCreateUser answered without the user's sub".into()));
        };
        if let Err(e) = self.add_to_group(email, role).await {
            self.undo_create(email).await;
            return Err(e);
        }
        Ok(subject)
    }

    async fn complete_invite(
        &self,
        email: &Email,
        temporary_password: &str,
        new_password: &Password,
    ) -> Result<Tokens, IdentityError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email.as_str())
            .auth_parameters("PASSWORD", temporary_password)
            .send()
            .await
            .map_err(|e| hide_unknown_user(identity_error(e)))?;
        match out.challenge_name() {
            Some(ChallengeNameType::NewPasswordRequired) => {}
            None => return Err(IdentityError::NotAuthorized("the invitation was already completed".into())),
            Some(other) => return Err(IdentityError::Invalid(format!("unsupported sign-in challenge {other}"))),
        }
        let username =
            out.challenge_parameters().and_then(|p| p.get("USERNAME")).map_or(email.as_str(), String::as_str);
        let answered = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::NewPasswordRequired)
            .set_session(out.session().map(str::to_owned))
            .challenge_responses("USERNAME", username)
            .challenge_responses("NEW_PASSWORD", new_password.expose())
            .send()
            .await
            .map_err(identity_error)?;
        match answered.challenge_name() {
            None => tokens(answered.authentication_result()),
            Some(other) => Err(IdentityError::Invalid(format!("unsupported sign-in challenge {other}"))),
        }
    }

    async fn set_role(&self, email: &Email, role: Role) -> Result<(), IdentityError> {
        let groups = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .limit(60)
            .send()
            .await
            .map_err(identity_error)?;
        // Add first, then remove: the user is never left without a role group.
        self.add_to_group(email, role).await?;
        for group in groups.groups().iter().filter_map(|g| g.group_name()) {
            let is_other_role = group.parse::<Role>().is_ok_and(|r| r != role);
            if is_other_role {
                self.client
                    .admin_remove_user_from_group()
                    .user_pool_id(&self.user_pool_id)
                    .username(email.as_str())
                    .group_name(group)
                    .send()
                    .await
                    .map_err(identity_error)?;
            }
        }
        Ok(())
    }

    async fn put_org_provider(
        &self,
        provider: &clearview_core::ports::identity::OrgIdentityProvider,
    ) -> Result<(), IdentityError> {
        use aws_sdk_cognitoidentityprovider::types::IdentityProviderTypeType;
        use clearview_core::ports::identity::SsoProtocol;
        let (kind, email_attribute) = match provider.protocol {
            SsoProtocol::Saml => {
                (IdentityProviderTypeType::Saml, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
            }
            SsoProtocol::Oidc => (IdentityProviderTypeType::Oidc, "email"),
        };
        let details: std::collections::HashMap<String, String> =
            provider.details.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let mapping = std::collections::HashMap::from([("email".to_owned(), email_attribute.to_owned())]);
        let created = self
            .client
            .create_identity_provider()
            .user_pool_id(&self.user_pool_id)
            .provider_name(&provider.name)
            .provider_type(kind)
            .set_provider_details(Some(details.clone()))
            .set_attribute_mapping(Some(mapping.clone()))
            .set_idp_identifiers(Some(provider.domains.clone()))
            .send()
            .await;
        if let Err(e) = created {
            if e.as_service_error().and_then(|s| s.code()) != Some("DuplicateProviderException") {
                return Err(identity_error(e));
            }
            self.client
                .update_identity_provider()
                .user_pool_id(&self.user_pool_id)
                .provider_name(&provider.name)
                .set_provider_details(Some(details))
                .set_attribute_mapping(Some(mapping))
                .set_idp_identifiers(Some(provider.domains.clone()))
                .send()
                .await
                .map_err(identity_error)?;
        }
        self.offer_provider(&provider.name, true).await
    }

    async fn delete_org_provider(&self, name: &str) -> Result<(), IdentityError> {
        self.offer_provider(name, false).await?;
        match self.client.delete_identity_provider().user_pool_id(&self.user_pool_id).provider_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") => Ok(()),
            Err(e) => Err(identity_error(e)),
        }
    }

    async fn join_org(&self, email: &Email, org: &OrgId, role: Role) -> Result<(), IdentityError> {
        let attribute = AttributeType::builder()
            .name("custom:org_id")
            .value(org.as_str())
            .build()
            .map_err(|e| IdentityError::Invalid(e.to_string()))?;
        let mut usernames = vec![email.as_str().to_owned()];
        let first = self
            .client
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .user_attributes(attribute.clone())
            .send()
            .await;
        if let Err(e) = first {
            match identity_error(e) {
                // A federated user is `<Provider>_<id>`: find them by email.
                IdentityError::UserNotFound => {
                    usernames = self.usernames_with_email(email).await?;
                    for u in &usernames {
                        self.client
                            .admin_update_user_attributes()
                            .user_pool_id(&self.user_pool_id)
                            .username(u)
                            .user_attributes(attribute.clone())
                            .send()
                            .await
                            .map_err(identity_error)?;
                    }
                }
                other => return Err(other),
            }
        }
        for u in &usernames {
            self.add_username_to_group(u, role).await?;
        }
        Ok(())
    }

    async fn add_role(&self, email: &Email, role: Role) -> Result<(), IdentityError> {
        // AdminAddUserToGroup is idempotent: a member stays a member.
        self.add_to_group(email, role).await
    }

    async fn disable(&self, email: &Email) -> Result<(), IdentityError> {
        self.client
            .admin_disable_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .send()
            .await
            .map_err(identity_error)?;
        self.global_sign_out(email).await
    }

    async fn delete(&self, email: &Email) -> Result<(), IdentityError> {
        self.client
            .admin_delete_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .send()
            .await
            .map_err(identity_error)?;
        Ok(())
    }
}

/// Creates a user pool shaped like the deployed one — email as username (auto-verified), the
/// default password policy, `custom:org_id` that the app client can read but not write, one
/// group per role — and a public app client (no secret) allowed USER_PASSWORD_AUTH and
/// REFRESH_TOKEN_AUTH. Returns `(pool_id, client_id)`. For tests and `make run` on an emulator.
pub async fn create_user_pool_for_tests(client: &Client, name: &str) -> Result<(String, String), IdentityError> {
    let pool = client
        .create_user_pool()
        .pool_name(name)
        .username_attributes(UsernameAttributeType::Email)
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .policies(
            UserPoolPolicyType::builder()
                .password_policy(
                    PasswordPolicyType::builder()
                        .minimum_length(i32::try_from(Password::MIN_LEN).unwrap_or(8))
                        .require_uppercase(true)
                        .require_lowercase(true)
                        .require_numbers(true)
                        .require_symbols(true)
                        .temporary_password_validity_days(7)
                        .build(),
                )
                .build(),
        )
        .schema(
            SchemaAttributeType::builder()
                .name("org_id")
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .developer_only_attribute(false)
                .build(),
        )
        .send()
        .await
        .map_err(identity_error)?;
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| IdentityError::Invalid("CreateUserPool answered without an id".into()))?
        .to_owned();
    for role in Role::ALL {
        client.create_group().user_pool_id(&pool_id).group_name(role.group()).send().await.map_err(identity_error)?;
    }
    let app = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name(format!("{name}-web"))
        .generate_secret(false)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .prevent_user_existence_errors(PreventUserExistenceErrorTypes::Enabled)
        .read_attributes("email")
        .read_attributes("email_verified")
        .read_attributes(ORG_ID_ATTRIBUTE)
        .write_attributes("email")
        .send()
        .await
        .map_err(identity_error)?;
    let client_id = app
        .user_pool_client()
        .and_then(|c| c.client_id())
        .ok_or_else(|| IdentityError::Invalid("CreateUserPoolClient answered without an id".into()))?
        .to_owned();
    Ok((pool_id, client_id))
}
