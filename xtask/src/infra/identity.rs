//! The identity half of the root stack: the Cognito user pool, one group per role, optional
//! social identity providers and hosted-UI domain, and the SPA's app client.

use super::storage::retained;
use super::{
    ACCESS_TOKEN_HOURS, MOBILE_CALLBACK_URL, MOBILE_LOGOUT_URL, READ_ATTRIBUTES, REFRESH_TOKEN_DAYS, WRITE_ATTRIBUTES,
    pascal,
};
use crate::cfn::{V, if_, no_value, r, sub};
use crate::map;
use clearview_core::rbac::Role;

pub(super) fn identity_resources(res: &mut V) {
    res.push(
        "UserPool",
        retained(map! {
            "Type" => "AWS::Cognito::UserPool",
            "Properties" => map! {
                "UsernameAttributes" => vec!["email"],
                "AutoVerifiedAttributes" => vec!["email"],
                "UsernameConfiguration" => map! { "CaseSensitive" => false },
                "Policies" => map! { "PasswordPolicy" => map! {
                    "MinimumLength" => V::from(8u32),
                    "RequireUppercase" => true,
                    "RequireLowercase" => true,
                    "RequireNumbers" => true,
                    "RequireSymbols" => true,
                    "TemporaryPasswordValidityDays" => V::from(7u32),
                } },
                "MfaConfiguration" => "OPTIONAL",
                "EnabledMfas" => vec!["SOFTWARE_TOKEN_MFA"],
                "AccountRecoverySetting" => map! { "RecoveryMechanisms" => V::List(vec![
                    map! { "Name" => "verified_email", "Priority" => V::from(1u32) },
                ]) },
                "UserAttributeUpdateSettings" => map! { "AttributesRequireVerificationBeforeUpdate" => vec!["email"] },
                "Schema" => V::List(vec![
                    map! { "Name" => "email", "AttributeDataType" => "String", "Required" => true, "Mutable" => true },
                    map! {
                        "Name" => "org_id",
                        "AttributeDataType" => "String",
                        "Mutable" => true,
                        "DeveloperOnlyAttribute" => false,
                        "StringAttributeConstraints" => map! { "MinLength" => "1", "MaxLength" => "64" },
                    },
                ]),
                "DeletionProtection" => "ACTIVE",
            },
        }),
    );
    for (precedence, role) in Role::ALL.iter().enumerate() {
        res.push(
            format!("{}Group", pascal(role.group())),
            map! {
                "Type" => "AWS::Cognito::UserPoolGroup",
                "Properties" => map! {
                    "UserPoolId" => r("UserPool"),
                    "GroupName" => role.group(),
                    "Precedence" => V::Int(i64::try_from(precedence).unwrap_or(0)),
                },
            },
        );
    }
    let idp = |cond: &str, name: &str, kind: &str, details: V| {
        map! {
            "Type" => "AWS::Cognito::UserPoolIdentityProvider",
            "Condition" => cond,
            "Properties" => map! {
                "UserPoolId" => r("UserPool"),
                "ProviderName" => name,
                "ProviderType" => kind,
                "ProviderDetails" => details,
                "AttributeMapping" => map! { "email" => "email" },
            },
        }
    };
    res.push(
        "GoogleIdentityProvider",
        idp(
            "HasGoogle",
            "Google",
            "Google",
            map! {
                "client_id" => r("GoogleClientId"),
                "client_secret" => r("GoogleClientSecret"),
                "authorize_scopes" => "openid email profile",
            },
        ),
    );
    res.push(
        "FacebookIdentityProvider",
        idp(
            "HasFacebook",
            "Facebook",
            "Facebook",
            map! {
                "client_id" => r("FacebookAppId"),
                "client_secret" => r("FacebookAppSecret"),
                "authorize_scopes" => "public_profile,email",
            },
        ),
    );
    res.push(
        "AppleIdentityProvider",
        idp(
            "HasApple",
            "SignInWithApple",
            "SignInWithApple",
            map! {
                "client_id" => r("AppleServicesId"),
                "team_id" => r("AppleTeamId"),
                "key_id" => r("AppleKeyId"),
                "private_key" => r("ApplePrivateKey"),
                "authorize_scopes" => "email name",
            },
        ),
    );
    res.push(
        "UserPoolDomain",
        map! {
            "Type" => "AWS::Cognito::UserPoolDomain",
            "Condition" => "HasAuthDomain",
            "Properties" => map! { "UserPoolId" => r("UserPool"), "Domain" => r("AuthDomainPrefix") },
        },
    );
    let fed = |v: V| if_("HasFederation", v, no_value());
    res.push(
        "UserPoolClient",
        map! {
            "Type" => "AWS::Cognito::UserPoolClient",
            "Properties" => map! {
                "UserPoolId" => r("UserPool"),
                "GenerateSecret" => false,
                "ExplicitAuthFlows" => vec!["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"],
                "PreventUserExistenceErrors" => "ENABLED",
                "EnableTokenRevocation" => true,
                "AccessTokenValidity" => V::from(ACCESS_TOKEN_HOURS),
                "IdTokenValidity" => V::from(ACCESS_TOKEN_HOURS),
                "RefreshTokenValidity" => V::from(REFRESH_TOKEN_DAYS),
                "TokenValidityUnits" => map! { "AccessToken" => "hours", "IdToken" => "hours", "RefreshToken" => "days" },
                "ReadAttributes" => READ_ATTRIBUTES.to_vec(),
                "WriteAttributes" => WRITE_ATTRIBUTES.to_vec(),
                "SupportedIdentityProviders" => V::List(vec![
                    "COGNITO".into(),
                    if_("HasGoogle", r("GoogleIdentityProvider"), no_value()),
                    if_("HasFacebook", r("FacebookIdentityProvider"), no_value()),
                    if_("HasApple", r("AppleIdentityProvider"), no_value()),
                ]),
                "AllowedOAuthFlowsUserPoolClient" => fed(true.into()),
                "AllowedOAuthFlows" => fed(vec!["code"].into()),
                "AllowedOAuthScopes" => fed(vec!["openid", "email", "profile"].into()),
                "CallbackURLs" => fed(V::List(vec![sub("${SpaOrigin}/auth/callback"), MOBILE_CALLBACK_URL.into()])),
                "LogoutURLs" => fed(V::List(vec![sub("${SpaOrigin}/"), MOBILE_LOGOUT_URL.into()])),
            },
        },
    );
}
