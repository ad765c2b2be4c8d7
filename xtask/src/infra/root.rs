//! The root stack: parameters, rules and conditions, the shared resources every function uses,
//! one nested stack per area, and the outputs.

use super::alarms::alarm_resources;
use super::api::api_resources;
use super::identity::identity_resources;
use super::messaging::{messaging_resources, queue_id, topic_id};
use super::nested::{NestedStack, Refs, stack_resource};
use super::source::Model;
use super::storage::{bucket_resources, malware_protection_resources, sealing_key_resource, secret_resource, table};
use super::{DEFAULT_LOG_RETENTION_DAYS, DEFAULT_MEMORY_MB};
use crate::cfn::{V, r, sub};
use crate::map;

pub(super) fn param(kind: &str, description: &str, default: Option<V>) -> V {
    let mut p = map! { "Type" => kind, "Description" => description };
    if let Some(d) = default {
        p.push("Default", d);
    }
    p
}

/// Shared with the nested stacks, which declare the same constraints on what they are passed.
pub(super) fn architecture_param() -> V {
    let mut arch = param(
        "String",
        "Lambda architecture (x86_64 if your toolchain cannot cross-build arm64)",
        Some("arm64".into()),
    );
    arch.push("AllowedValues", vec!["arm64", "x86_64"]);
    arch
}

pub(super) fn retention_param() -> V {
    let mut retention =
        param("Number", "Days to keep function and API logs", Some(V::from(DEFAULT_LOG_RETENTION_DAYS)));
    retention
        .push("AllowedValues", vec![V::from(7u32), V::from(14u32), V::from(30u32), V::from(90u32), V::from(365u32)]);
    retention
}

pub(super) fn memory_param() -> V {
    let mut mem = param("Number", "Memory (MB) of API functions", Some(V::from(DEFAULT_MEMORY_MB)));
    mem.push("MinValue", V::from(128u32));
    mem.push("MaxValue", V::from(10240u32));
    mem
}

fn parameters() -> V {
    let secret = |d: &str| {
        let mut p = param("String", d, Some("".into()));
        p.push("NoEcho", true);
        p
    };
    let mut mail_from =
        param("String", "Verified SES sender address (MAIL_FROM)", Some("no-reply@clearview.example".into()));
    mail_from.push("AllowedPattern", "^[^@\\s]+@[^@\\s]+$");
    let mut domain = param(
        "String",
        "Cognito hosted-UI domain prefix (required when a social identity provider is set)",
        Some("".into()),
    );
    domain.push("AllowedPattern", "^$|^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$");
    map! {
        "Architecture" => architecture_param(),
        "MemorySize" => memory_param(),
        "LogRetentionDays" => retention_param(),
        "SpaOrigin" => param("String", "Origin of the web app (CORS for the API and presigned uploads; OAuth callback base)", Some("http://localhost:5173".into())),
        "MailFrom" => mail_from,
        "MailIdentity" => param("String", "The verified SES identity MailFrom sends as: its domain or the address itself", Some("clearview.example".into())),
        "ThrottlingRateLimit" => param("Number", "Default steady-state requests per second per route", Some(V::from(50u32))),
        "ThrottlingBurstLimit" => param("Number", "Default burst per route", Some(V::from(100u32))),
        "AlarmEmail" => param("String", "Optional address subscribed to alarm notifications", Some("".into())),
        "AuthDomainPrefix" => domain,
        "PlatformAdminEmails" => param("String", super::nested::PLATFORM_ADMIN_EMAILS_DESCRIPTION, Some("".into())),
        "GoogleClientId" => param("String", "Optional: Google OAuth client id (enables Sign in with Google)", Some("".into())),
        "GoogleClientSecret" => secret("Google OAuth client secret"),
        "FacebookAppId" => param("String", "Optional: Facebook app id (enables Login with Facebook)", Some("".into())),
        "FacebookAppSecret" => secret("Facebook app secret"),
        "AppleServicesId" => param("String", "Optional: Sign in with Apple services id (enables Apple)", Some("".into())),
        "AppleTeamId" => param("String", "Apple developer team id", Some("".into())),
        "AppleKeyId" => param("String", "Apple private key id", Some("".into())),
        "ApplePrivateKey" => secret("Apple private key (PEM)"),
    }
}

fn not_empty(p: &str) -> V {
    map! { "Fn::Not" => V::List(vec![map! { "Fn::Equals" => V::List(vec![r(p), "".into()]) }]) }
}

fn conditions() -> V {
    map! {
        "HasGoogle" => not_empty("GoogleClientId"),
        "HasFacebook" => not_empty("FacebookAppId"),
        "HasApple" => not_empty("AppleServicesId"),
        "HasFederation" => map! { "Fn::Or" => V::List(vec![
            map! { "Condition" => "HasGoogle" }, map! { "Condition" => "HasFacebook" }, map! { "Condition" => "HasApple" },
        ]) },
        "HasAuthDomain" => not_empty("AuthDomainPrefix"),
        "HasAlarmEmail" => not_empty("AlarmEmail"),
    }
}

fn rules() -> V {
    let any_idp = map! { "Fn::Or" => V::List(vec![
        not_empty("GoogleClientId"), not_empty("FacebookAppId"), not_empty("AppleServicesId"),
    ]) };
    map! {
        "FederationNeedsADomain" => map! {
            "RuleCondition" => any_idp,
            "Assertions" => V::List(vec![map! {
                "Assert" => not_empty("AuthDomainPrefix"),
                "AssertDescription" => "AuthDomainPrefix must be set when a social identity provider is configured",
            }]),
        },
    }
}

fn outputs(model: &Model) -> V {
    let out = |desc: &str, value: V| map! { "Description" => desc, "Value" => value };
    let mut o = map! {
        "ApiUrl" => out("Base URL of the HTTP API", sub("https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/")),
        "UserPoolId" => out("Cognito user pool id (USER_POOL_ID)", r("UserPool")),
        "UserPoolClientId" => out("Cognito app client id (USER_POOL_CLIENT_ID)", r("UserPoolClient")),
        "TableName" => out("DynamoDB table (TABLE_NAME)", r("Table")),
        "ResumeBucketName" => out("Resume and report bucket", r("ResumeBucket")),
        "AlarmTopicArn" => out("Page-tier alarm notifications (dead letters, errors, API 5xx rate)", r("AlarmTopic")),
        "TicketTopicArn" => out("Ticket-tier alarm notifications (p99 duration, throttles)", r("TicketTopic")),
    };
    for t in &model.topics {
        o.push(format!("{}Arn", topic_id(t)), out(&format!("The {t} topic"), r(&topic_id(t))));
    }
    for q in &model.queues {
        o.push(format!("{}Url", queue_id(q.name)), out(&format!("The {} queue", q.name), r(&queue_id(q.name))));
    }
    o
}

/// The root template, given the nested stacks and what each of them uses.
pub fn root_template(model: &Model, stacks: &[(NestedStack, Refs)]) -> V {
    let mut res = map! {};
    secret_resource(&mut res);
    sealing_key_resource(&mut res);
    res.push("Table", table());
    identity_resources(&mut res);
    api_resources(&mut res);
    bucket_resources(&mut res, model);
    malware_protection_resources(&mut res);
    messaging_resources(&mut res, model);
    alarm_resources(&mut res);
    for (stack, refs) in stacks {
        res.push(stack.id.clone(), stack_resource(stack, refs));
    }
    map! {
        "AWSTemplateFormatVersion" => "2010-09-09",
        "Description" => "ClearView: bias-aware resume review API, root stack (generated by `cargo xtask gen` from the route table; do not edit)",
        "Parameters" => parameters(),
        "Rules" => rules(),
        "Conditions" => conditions(),
        "Resources" => res,
        "Outputs" => outputs(model),
    }
}
