//! The stack as data, from the route table, the consumer list and the table definition; and the
//! two files rendered from it: template.yaml (SAM) and infra/manifest.json (read by the CDK app).
//!
//! Every function's IAM policy is computed here once ([`statements`]) from what it needs; the
//! SAM template and the CDK app only map the symbolic resources to ARNs.

use crate::cfn::{V, ga, if_, no_value, r, sub};
use crate::consumers::{self, CONSUMERS, Feed, Need, QUEUES, TOPICS, Trigger, bucket};
use crate::map;
use clearview_aws::config::env;
use clearview_aws::table::table_definition;
use clearview_core::rbac::Role;
use clearview_http::routes::{Access, Grant, ROUTES};
use std::path::PathBuf;

/// Defaults every function gets unless it says otherwise.
pub const RUNTIME: &str = "provided.al2023";
pub const DEFAULT_MEMORY_MB: u32 = 256;
/// API Gateway gives up on an integration after 30 s; routes answer well within 10.
pub const DEFAULT_TIMEOUT_S: u32 = 10;
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;
/// A queue's visibility timeout is this many times its consumer's timeout (AWS guidance: 6).
pub const VISIBILITY_FACTOR: u32 = 6;
pub const QUEUE_RETENTION_S: u32 = 4 * 24 * 3600;
pub const DLQ_RETENTION_S: u32 = 14 * 24 * 3600;
/// Cursors are sealed with this secret (≥ 32 bytes required by `CursorKey`).
pub const CURSOR_SECRET_LENGTH: u32 = 64;
/// Headers the SPA may send and read (CORS).
pub const CORS_ALLOW_HEADERS: &[&str] = &["authorization", "content-type", "if-match", "idempotency-key"];
pub const CORS_EXPOSE_HEADERS: &[&str] = &["etag", "location"];
pub const CORS_MAX_AGE_S: u32 = 600;
/// Headers a browser sends with a presigned PUT (S3 CORS).
pub const UPLOAD_ALLOW_HEADERS: &[&str] = &["content-type", "content-md5", "x-amz-*"];
/// Cognito token lifetimes.
pub const ACCESS_TOKEN_HOURS: u32 = 1;
pub const REFRESH_TOKEN_DAYS: u32 = 30;
/// The app client may read these attributes and write only `WRITE_ATTRIBUTES` (never org_id).
pub const READ_ATTRIBUTES: &[&str] = &["email", "email_verified", "custom:org_id"];
pub const WRITE_ATTRIBUTES: &[&str] = &["email"];

/// What starts a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FnTrigger {
    Http { method: &'static str, path: &'static str, public: bool, permission: Option<&'static str> },
    Sqs { queue: &'static str, batch_size: u32, max_batching_window_s: u32 },
    Schedule { expression: &'static str },
}

/// One Lambda function of the stack.
#[derive(Debug, Clone)]
pub struct Function {
    /// The binary's name (`jobs-create`).
    pub name: &'static str,
    /// The logical-id stem (`JobsCreate`): `JobsCreateFunction`, `JobsCreateRole`, ...
    pub id: String,
    pub summary: &'static str,
    pub trigger: FnTrigger,
    pub needs: Vec<Need>,
    pub memory_mb: Option<u32>,
    pub timeout_s: Option<u32>,
}

/// An ARN a statement names, symbolically (the CDK app maps the same symbols).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Table,
    TableIndexes,
    UserPool,
    MailIdentity,
    Queue(&'static str),
    DeadLetterQueue(&'static str),
    Topic(&'static str),
    Objects(&'static str),
    /// The function's own log group.
    LogGroup,
    /// X-Ray has no resource-level permissions.
    Any,
}

impl Target {
    /// The symbol in infra/manifest.json.
    pub fn symbol(&self) -> String {
        match self {
            Target::Table => "table".into(),
            Target::TableIndexes => "table/index/*".into(),
            Target::UserPool => "userPool".into(),
            Target::MailIdentity => "mailIdentity".into(),
            Target::Queue(q) => format!("queue:{q}"),
            Target::DeadLetterQueue(q) => format!("dlq:{q}"),
            Target::Topic(t) => format!("topic:{t}"),
            Target::Objects(p) => format!("bucket:{p}*"),
            Target::LogGroup => "logGroup".into(),
            Target::Any => "*".into(),
        }
    }

    fn cfn(&self, f: &Function) -> V {
        match self {
            Target::Table => ga("Table", "Arn"),
            Target::TableIndexes => sub("${Table.Arn}/index/*"),
            Target::UserPool => ga("UserPool", "Arn"),
            Target::MailIdentity => {
                sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailIdentity}")
            }
            Target::Queue(q) => ga(&queue_id(q), "Arn"),
            Target::DeadLetterQueue(q) => ga(&dlq_id(q), "Arn"),
            Target::Topic(t) => r(&topic_id(t)),
            Target::Objects(p) => sub(format!("${{ResumeBucket.Arn}}/{p}*")),
            Target::LogGroup => ga(&format!("{}LogGroup", f.id), "Arn"),
            Target::Any => "*".into(),
        }
    }
}

/// One IAM statement (always Allow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: String,
    pub actions: Vec<String>,
    pub targets: Vec<Target>,
}

fn stmt(sid: impl Into<String>, actions: &[&str], targets: Vec<Target>) -> Statement {
    Statement { sid: sid.into(), actions: actions.iter().map(|a| (*a).to_owned()).collect(), targets }
}

/// `jobs-create` → `JobsCreate`.
pub fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

pub fn queue_id(q: &str) -> String {
    format!("{}Queue", pascal(q))
}
pub fn dlq_id(q: &str) -> String {
    format!("{}DeadLetterQueue", pascal(q))
}
pub fn topic_id(t: &str) -> String {
    format!("{}Topic", pascal(t))
}

fn route_needs(grants: &[Grant]) -> Vec<Need> {
    grants
        .iter()
        .map(|g| match g {
            Grant::TableRead => Need::TableRead,
            Grant::TableWrite => Need::TableWrite,
            Grant::UserPoolAdmin(a) => Need::UserPoolAdmin(a),
            Grant::PublishEvents => Need::Publish(consumers::APPLICATION_EVENTS),
            Grant::SendQueue(q) => Need::SendTo(q),
            Grant::ResumesWrite => Need::WriteObjects(bucket::UPLOADS),
            Grant::ResumesRead => Need::ReadObjects(bucket::UPLOADS),
            Grant::SealingKey => Need::SealingKey,
        })
        .collect()
}

/// Every function: one per route, then the wired consumers (all of them with `all_consumers`,
/// which the tests use to exercise the consumer half of the generator before it is wired).
pub fn functions_with(all_consumers: bool) -> Vec<Function> {
    let routes = ROUTES.iter().map(|rt| Function {
        name: rt.name,
        id: pascal(rt.name),
        summary: rt.summary,
        trigger: FnTrigger::Http {
            method: rt.method,
            path: rt.path,
            public: rt.access == Access::Public,
            permission: match rt.access {
                Access::Staff(Some(p)) | Access::Member(Some(p)) => Some(p.name()),
                _ => None,
            },
        },
        needs: route_needs(rt.grants),
        memory_mb: None,
        timeout_s: None,
    });
    let consumers =
        CONSUMERS.iter().filter(|c| all_consumers || crate::functions::names().contains(&c.name)).map(|c| Function {
            name: c.name,
            id: pascal(c.name),
            summary: c.summary,
            trigger: match c.trigger {
                Trigger::Sqs { queue, batch_size, max_batching_window_s } => {
                    FnTrigger::Sqs { queue, batch_size, max_batching_window_s }
                }
                Trigger::Schedule { expression } => FnTrigger::Schedule { expression },
            },
            needs: c.needs.to_vec(),
            memory_mb: Some(c.memory_mb),
            timeout_s: Some(c.timeout_s),
        });
    routes.chain(consumers).collect()
}

/// The functions the committed template declares.
pub fn functions() -> Vec<Function> {
    functions_with(false)
}

/// The least-privilege policy of a function, statement by statement.
pub fn statements(f: &Function) -> Vec<Statement> {
    let mut out = vec![
        stmt("Logs", &["logs:CreateLogStream", "logs:PutLogEvents"], vec![Target::LogGroup]),
        stmt("Tracing", &["xray:PutTraceSegments", "xray:PutTelemetryRecords"], vec![Target::Any]),
    ];
    if let FnTrigger::Sqs { queue, .. } = f.trigger {
        out.push(stmt(
            "ConsumeQueue",
            &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
            vec![Target::Queue(queue)],
        ));
        // A poison message goes straight to the dead-letter queue (see ports::queue::Outcome).
        out.push(stmt("DeadLetter", &["sqs:SendMessage"], vec![Target::DeadLetterQueue(queue)]));
    }
    let mut admin: Vec<&str> = Vec::new();
    let (mut read_prefixes, mut write_prefixes) = (Vec::new(), Vec::new());
    for need in &f.needs {
        match *need {
            Need::TableRead => out.push(stmt(
                "TableRead",
                &["dynamodb:GetItem", "dynamodb:Query"],
                vec![Target::Table, Target::TableIndexes],
            )),
            // TransactWriteItems is authorised through the per-item actions it carries.
            Need::TableWrite => out.push(stmt(
                "TableWrite",
                &["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"],
                vec![Target::Table],
            )),
            Need::UserPoolAdmin(actions) => admin.extend_from_slice(actions),
            Need::Mail => out.push(stmt("SendMail", &["ses:SendEmail"], vec![Target::MailIdentity])),
            // Resolved into the environment at deploy time: no IAM action at run time.
            Need::SealingKey => {}
            Need::SendTo(q) => {
                out.push(stmt(format!("SendTo{}", pascal(q)), &["sqs:SendMessage"], vec![Target::Queue(q)]))
            }
            Need::Publish(t) => {
                out.push(stmt(format!("PublishTo{}", pascal(t)), &["sns:Publish"], vec![Target::Topic(t)]))
            }
            Need::ReadObjects(p) => read_prefixes.push(Target::Objects(p)),
            Need::WriteObjects(p) => write_prefixes.push(Target::Objects(p)),
        }
    }
    if !admin.is_empty() {
        admin.sort_unstable();
        admin.dedup();
        let actions: Vec<String> = admin.iter().map(|a| format!("cognito-idp:{a}")).collect();
        out.push(Statement { sid: "UserPoolAdmin".into(), actions, targets: vec![Target::UserPool] });
    }
    if !read_prefixes.is_empty() {
        out.push(stmt("ReadObjects", &["s3:GetObject"], read_prefixes));
    }
    if !write_prefixes.is_empty() {
        out.push(stmt("WriteObjects", &["s3:PutObject"], write_prefixes));
    }
    out
}

/// What an extra environment variable holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `Ref` of this logical id (a queue URL, the topic ARN, the bucket name).
    Ref(String),
    /// This Secrets Manager secret's value, resolved by CloudFormation at deploy time.
    Secret(String),
}

impl EnvValue {
    fn cfn(&self) -> V {
        match self {
            EnvValue::Ref(id) => r(id),
            EnvValue::Secret(id) => sub(format!("{{{{resolve:secretsmanager:${{{id}}}:SecretString}}}}")),
        }
    }

    fn manifest(&self) -> V {
        match self {
            EnvValue::Ref(id) => map! { "ref" => id.clone() },
            EnvValue::Secret(id) => map! { "secret" => id.clone() },
        }
    }
}

/// Environment variables a function gets on top of the shared ones (names as the chain's
/// adapters read them).
pub fn extra_env(f: &Function) -> Vec<(String, EnvValue)> {
    let mut out: Vec<(String, EnvValue)> = Vec::new();
    let mut add = |k: String, v: EnvValue| {
        if !out.iter().any(|(have, _)| *have == k) {
            out.push((k, v));
        }
    };
    let queue = |q: &str, add: &mut dyn FnMut(String, EnvValue)| {
        add(consumers::env::queue_url(q), EnvValue::Ref(queue_id(q)));
        add(consumers::env::dlq_url(q), EnvValue::Ref(dlq_id(q)));
    };
    if let FnTrigger::Sqs { queue: q, .. } = f.trigger {
        queue(q, &mut add);
    }
    for need in &f.needs {
        match need {
            Need::SendTo(q) => queue(q, &mut add),
            Need::Publish(t) => add(consumers::env::EVENTS_TOPIC_ARN.to_owned(), EnvValue::Ref(topic_id(t))),
            Need::ReadObjects(_) | Need::WriteObjects(_) => {
                add(consumers::env::RESUME_BUCKET.to_owned(), EnvValue::Ref("ResumeBucket".to_owned()))
            }
            Need::SealingKey => {
                add(consumers::env::SEALING_KEY.to_owned(), EnvValue::Secret("SealingKeySecret".to_owned()))
            }
            _ => {}
        }
    }
    out
}

/// The variables every function gets (names from `clearview_aws::config::env`).
fn shared_env() -> V {
    map! {
        env::TABLE_NAME => r("Table"),
        env::USER_POOL_ID => r("UserPool"),
        env::USER_POOL_CLIENT_ID => r("UserPoolClient"),
        env::MAIL_FROM => r("MailFrom"),
        // Resolved by CloudFormation at deploy time: no runtime secret fetch, no key to hand out.
        CURSOR_SECRET_ENV => sub("{{resolve:secretsmanager:${CursorSecret}:SecretString}}"),
    }
}

/// The cursor secret's variable name: `clearview_functions::CURSOR_SECRET` (functions is not a
/// dependency of xtask; tests/tests/infra_drift.rs checks the two agree).
pub const CURSOR_SECRET_ENV: &str = "CURSOR_SECRET";

fn policy_doc(statements: Vec<V>) -> V {
    map! { "Version" => "2012-10-17", "Statement" => V::List(statements) }
}

fn deny_insecure(sid: &str, action: &str, resources: Vec<V>) -> V {
    map! {
        "Sid" => sid,
        "Effect" => "Deny",
        "Principal" => "*",
        "Action" => action,
        "Resource" => V::List(resources),
        "Condition" => map! { "Bool" => map! { "aws:SecureTransport" => "false" } },
    }
}

fn param(kind: &str, description: &str, default: Option<V>) -> V {
    let mut p = map! { "Type" => kind, "Description" => description };
    if let Some(d) = default {
        p.push("Default", d);
    }
    p
}

fn parameters() -> V {
    let secret = |d: &str| {
        let mut p = param("String", d, Some("".into()));
        p.push("NoEcho", true);
        p
    };
    let mut arch = param(
        "String",
        "Lambda architecture (x86_64 if your toolchain cannot cross-build arm64)",
        Some("arm64".into()),
    );
    arch.push("AllowedValues", vec!["arm64", "x86_64"]);
    let mut retention =
        param("Number", "Days to keep function and API logs", Some(V::from(DEFAULT_LOG_RETENTION_DAYS)));
    retention
        .push("AllowedValues", vec![V::from(7u32), V::from(14u32), V::from(30u32), V::from(90u32), V::from(365u32)]);
    let mut mem = param("Number", "Memory (MB) of API functions", Some(V::from(DEFAULT_MEMORY_MB)));
    mem.push("MinValue", V::from(128u32));
    mem.push("MaxValue", V::from(10240u32));
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
        "Architecture" => arch,
        "MemorySize" => mem,
        "LogRetentionDays" => retention,
        "SpaOrigin" => param("String", "Origin of the web app (CORS for the API and presigned uploads; OAuth callback base)", Some("http://localhost:5173".into())),
        "MailFrom" => mail_from,
        "MailIdentity" => param("String", "The verified SES identity MailFrom sends as: its domain or the address itself", Some("clearview.example".into())),
        "ThrottlingRateLimit" => param("Number", "Default steady-state requests per second per route", Some(V::from(50u32))),
        "ThrottlingBurstLimit" => param("Number", "Default burst per route", Some(V::from(100u32))),
        "AlarmEmail" => param("String", "Optional address subscribed to alarm notifications", Some("".into())),
        "AuthDomainPrefix" => domain,
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

fn globals() -> V {
    map! {
        "Function" => map! {
            "Runtime" => RUNTIME,
            "Handler" => "bootstrap",
            "Architectures" => V::List(vec![r("Architecture")]),
            "MemorySize" => r("MemorySize"),
            "Timeout" => V::from(DEFAULT_TIMEOUT_S),
            "Tracing" => "Active",
            "Environment" => map! { "Variables" => shared_env() },
        },
    }
}

fn retained(resource: V) -> V {
    let V::Map(mut entries) = resource else { return resource };
    entries.insert(1, ("DeletionPolicy".into(), "Retain".into()));
    entries.insert(2, ("UpdateReplacePolicy".into(), "Retain".into()));
    V::Map(entries)
}

fn table() -> V {
    let def = table_definition();
    let key_schema = |k: &clearview_aws::table::KeyDef| {
        V::List(vec![
            map! { "AttributeName" => k.partition, "KeyType" => "HASH" },
            map! { "AttributeName" => k.sort, "KeyType" => "RANGE" },
        ])
    };
    let attrs = def
        .attribute_definitions
        .iter()
        .map(|(n, t)| map! { "AttributeName" => *n, "AttributeType" => *t })
        .collect::<Vec<_>>();
    let gsis = def
        .global_secondary_indexes
        .iter()
        .map(|g| {
            map! {
                "IndexName" => g.name,
                "KeySchema" => key_schema(&g.key),
                "Projection" => map! { "ProjectionType" => g.projection },
            }
        })
        .collect::<Vec<_>>();
    retained(map! {
        "Type" => "AWS::DynamoDB::Table",
        "Properties" => map! {
            "BillingMode" => def.billing_mode,
            "AttributeDefinitions" => V::List(attrs),
            "KeySchema" => key_schema(&def.key),
            "GlobalSecondaryIndexes" => V::List(gsis),
            "TimeToLiveSpecification" => map! { "AttributeName" => def.ttl_attribute, "Enabled" => true },
            "PointInTimeRecoverySpecification" => map! { "PointInTimeRecoveryEnabled" => true },
            "SSESpecification" => map! { "SSEEnabled" => true },
            "DeletionProtectionEnabled" => true,
        },
    })
}

fn identity_resources(res: &mut V) {
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
                "CallbackURLs" => fed(V::List(vec![sub("${SpaOrigin}/auth/callback")])),
                "LogoutURLs" => fed(V::List(vec![sub("${SpaOrigin}/")])),
            },
        },
    );
}

fn api_resources(res: &mut V) {
    let access_log_format = serde_json::json!({
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLatency": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "sub": "$context.authorizer.claims.sub",
    })
    .to_string();
    res.push(
        "ApiAccessLogs",
        map! {
            "Type" => "AWS::Logs::LogGroup",
            "Properties" => map! { "RetentionInDays" => r("LogRetentionDays") },
        },
    );
    res.push(
        "HttpApi",
        map! {
            "Type" => "AWS::Serverless::HttpApi",
            "Properties" => map! {
                "Auth" => map! {
                    "DefaultAuthorizer" => "CognitoJwt",
                    "Authorizers" => map! {
                        "CognitoJwt" => map! {
                            "IdentitySource" => "$request.header.Authorization",
                            "JwtConfiguration" => map! {
                                "issuer" => sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"),
                                "audience" => V::List(vec![r("UserPoolClient")]),
                            },
                        },
                    },
                },
                "CorsConfiguration" => map! {
                    "AllowOrigins" => V::List(vec![r("SpaOrigin")]),
                    "AllowMethods" => vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                    "AllowHeaders" => CORS_ALLOW_HEADERS.to_vec(),
                    "ExposeHeaders" => CORS_EXPOSE_HEADERS.to_vec(),
                    "MaxAge" => V::from(CORS_MAX_AGE_S),
                },
                "DefaultRouteSettings" => map! {
                    "ThrottlingBurstLimit" => r("ThrottlingBurstLimit"),
                    "ThrottlingRateLimit" => r("ThrottlingRateLimit"),
                },
                "AccessLogSettings" => map! {
                    "DestinationArn" => ga("ApiAccessLogs", "Arn"),
                    "Format" => access_log_format,
                },
            },
        },
    );
}

fn secret_resource(res: &mut V) {
    res.push(
        "CursorSecret",
        map! {
            "Type" => "AWS::SecretsManager::Secret",
            "Properties" => map! {
                "Description" => "Seals ClearView list cursors (HMAC key shared by every function of the stack)",
                "GenerateSecretString" => map! {
                    "PasswordLength" => V::from(CURSOR_SECRET_LENGTH),
                    "ExcludePunctuation" => true,
                },
            },
        },
    );
}

fn sealing_key_resource(res: &mut V) {
    // Read at run time (GetSecretValue), so only functions granted `SealingKey` can open
    // self-identification data and every read is in CloudTrail. Retained: losing it loses the data.
    res.push(
        "SealingKeySecret",
        retained(map! {
            "Type" => "AWS::SecretsManager::Secret",
            "Properties" => map! {
                "Description" => "Seals voluntary self-identification at rest (AES-256-GCM key material)",
                "GenerateSecretString" => map! {
                    "PasswordLength" => V::from(CURSOR_SECRET_LENGTH),
                    "ExcludePunctuation" => true,
                },
            },
        }),
    );
}

fn bucket_resources(res: &mut V) {
    let pab = map! {
        "BlockPublicAcls" => true, "BlockPublicPolicy" => true, "IgnorePublicAcls" => true, "RestrictPublicBuckets" => true,
    };
    let sse = map! { "ServerSideEncryptionConfiguration" => V::List(vec![map! {
        "ServerSideEncryptionByDefault" => map! { "SSEAlgorithm" => "AES256" },
    }]) };
    res.push(
        "AccessLogBucket",
        retained(map! {
            "Type" => "AWS::S3::Bucket",
            "Properties" => map! {
                "BucketEncryption" => sse.clone(),
                "PublicAccessBlockConfiguration" => pab.clone(),
                "OwnershipControls" => map! { "Rules" => V::List(vec![map! { "ObjectOwnership" => "BucketOwnerEnforced" }]) },
                "LifecycleConfiguration" => map! { "Rules" => V::List(vec![map! {
                    "Id" => "expire-access-logs", "Status" => "Enabled", "ExpirationInDays" => V::from(90u32),
                }]) },
            },
        }),
    );
    res.push(
        "AccessLogBucketPolicy",
        map! {
            "Type" => "AWS::S3::BucketPolicy",
            "Properties" => map! {
                "Bucket" => r("AccessLogBucket"),
                "PolicyDocument" => policy_doc(vec![
                    map! {
                        "Sid" => "S3ServerAccessLogs",
                        "Effect" => "Allow",
                        "Principal" => map! { "Service" => "logging.s3.amazonaws.com" },
                        "Action" => "s3:PutObject",
                        "Resource" => sub("${AccessLogBucket.Arn}/*"),
                        "Condition" => map! { "StringEquals" => map! { "aws:SourceAccount" => r("AWS::AccountId") } },
                    },
                    deny_insecure("DenyInsecureTransport", "s3:*", vec![ga("AccessLogBucket", "Arn"), sub("${AccessLogBucket.Arn}/*")]),
                ]),
            },
        },
    );
    let mut notifications = Vec::new();
    let mut depends = Vec::new();
    for q in QUEUES {
        if let Feed::ObjectCreated(prefix) = q.feed {
            notifications.push(map! {
                "Event" => "s3:ObjectCreated:*",
                "Queue" => ga(&queue_id(q.name), "Arn"),
                "Filter" => map! { "S3Key" => map! { "Rules" => V::List(vec![map! { "Name" => "prefix", "Value" => prefix }]) } },
            });
            depends.push(V::from(format!("{}Policy", queue_id(q.name))));
        }
    }
    let mut bucket = retained(map! {
        "Type" => "AWS::S3::Bucket",
        "Properties" => map! {
            "BucketEncryption" => sse,
            "PublicAccessBlockConfiguration" => pab,
            "OwnershipControls" => map! { "Rules" => V::List(vec![map! { "ObjectOwnership" => "BucketOwnerEnforced" }]) },
            "VersioningConfiguration" => map! { "Status" => "Enabled" },
            "LoggingConfiguration" => map! { "DestinationBucketName" => r("AccessLogBucket"), "LogFilePrefix" => "resumes/" },
            "LifecycleConfiguration" => map! { "Rules" => V::List(vec![
                map! {
                    "Id" => "expire-noncurrent-versions",
                    "Status" => "Enabled",
                    "NoncurrentVersionExpiration" => map! { "NoncurrentDays" => V::from(bucket::NONCURRENT_DAYS) },
                    "AbortIncompleteMultipartUpload" => map! { "DaysAfterInitiation" => V::from(1u32) },
                },
                map! {
                    "Id" => "expire-reports",
                    "Status" => "Enabled",
                    "Prefix" => bucket::REPORTS,
                    "ExpirationInDays" => V::from(bucket::REPORT_DAYS),
                },
            ]) },
            "CorsConfiguration" => map! { "CorsRules" => V::List(vec![map! {
                "AllowedMethods" => vec!["PUT", "GET"],
                "AllowedOrigins" => V::List(vec![r("SpaOrigin")]),
                "AllowedHeaders" => UPLOAD_ALLOW_HEADERS.to_vec(),
                "ExposedHeaders" => vec!["ETag"],
                "MaxAge" => V::from(3000u32),
            }]) },
            "NotificationConfiguration" => map! { "QueueConfigurations" => V::List(notifications) },
        },
    });
    if let V::Map(entries) = &mut bucket {
        // S3 checks it may send to the queue when the notification is set.
        entries.insert(1, ("DependsOn".into(), V::List(depends)));
    }
    res.push("ResumeBucket", bucket);
    res.push(
        "ResumeBucketPolicy",
        map! {
            "Type" => "AWS::S3::BucketPolicy",
            "Properties" => map! {
                "Bucket" => r("ResumeBucket"),
                "PolicyDocument" => policy_doc(vec![
                    deny_insecure("DenyInsecureTransport", "s3:*", vec![ga("ResumeBucket", "Arn"), sub("${ResumeBucket.Arn}/*")]),
                ]),
            },
        },
    );
}

/// The consumer timeout of a queue (its visibility timeout is a multiple of it).
fn queue_consumer_timeout(q: &str) -> u32 {
    CONSUMERS
        .iter()
        .find(|c| matches!(c.trigger, Trigger::Sqs { queue, .. } if queue == q))
        .map_or(DEFAULT_TIMEOUT_S, |c| c.timeout_s)
}

fn messaging_resources(res: &mut V) {
    for t in TOPICS {
        let id = topic_id(t);
        res.push(
            &id,
            map! {
                "Type" => "AWS::SNS::Topic",
                "Properties" => map! { "KmsMasterKeyId" => "alias/aws/sns" },
            },
        );
        res.push(
            format!("{id}Policy"),
            map! {
                "Type" => "AWS::SNS::TopicPolicy",
                "Properties" => map! {
                    "Topics" => V::List(vec![r(&id)]),
                    "PolicyDocument" => policy_doc(vec![deny_insecure("DenyInsecureTransport", "sns:Publish", vec![r(&id)])]),
                },
            },
        );
    }
    for q in QUEUES {
        let (id, dlq) = (queue_id(q.name), dlq_id(q.name));
        res.push(
            &dlq,
            map! {
                "Type" => "AWS::SQS::Queue",
                "Properties" => map! {
                    "SqsManagedSseEnabled" => true,
                    "MessageRetentionPeriod" => V::from(DLQ_RETENTION_S),
                },
            },
        );
        res.push(
            &id,
            map! {
                "Type" => "AWS::SQS::Queue",
                "Properties" => map! {
                    "SqsManagedSseEnabled" => true,
                    "MessageRetentionPeriod" => V::from(QUEUE_RETENTION_S),
                    "VisibilityTimeout" => V::from(VISIBILITY_FACTOR * queue_consumer_timeout(q.name)),
                    "RedrivePolicy" => map! {
                        "deadLetterTargetArn" => ga(&dlq, "Arn"),
                        "maxReceiveCount" => V::from(q.max_receive_count),
                    },
                },
            },
        );
        let mut statements =
            vec![deny_insecure("DenyInsecureTransport", "sqs:*", vec![ga(&id, "Arn"), ga(&dlq, "Arn")])];
        match q.feed {
            Feed::ObjectCreated(_) => statements.push(map! {
                "Sid" => "S3ObjectCreated",
                "Effect" => "Allow",
                "Principal" => map! { "Service" => "s3.amazonaws.com" },
                "Action" => "sqs:SendMessage",
                "Resource" => ga(&id, "Arn"),
                // The bucket's ARN would make a cycle (bucket → queue policy → bucket).
                "Condition" => map! { "StringEquals" => map! { "aws:SourceAccount" => r("AWS::AccountId") } },
            }),
            Feed::Topic(t, _) => statements.push(map! {
                "Sid" => "TopicSubscription",
                "Effect" => "Allow",
                "Principal" => map! { "Service" => "sns.amazonaws.com" },
                "Action" => "sqs:SendMessage",
                "Resource" => ga(&id, "Arn"),
                "Condition" => map! { "ArnEquals" => map! { "aws:SourceArn" => r(&topic_id(t)) } },
            }),
            Feed::Functions => {}
        }
        res.push(
            format!("{id}Policy"),
            map! {
                "Type" => "AWS::SQS::QueuePolicy",
                "Properties" => map! {
                    "Queues" => V::List(vec![r(&id), r(&dlq)]),
                    "PolicyDocument" => policy_doc(statements),
                },
            },
        );
        if let Feed::Topic(t, _) = q.feed {
            res.push(
                format!("{id}Subscription"),
                map! {
                    "Type" => "AWS::SNS::Subscription",
                    "Properties" => map! {
                        "TopicArn" => r(&topic_id(t)),
                        "Protocol" => "sqs",
                        "Endpoint" => ga(&id, "Arn"),
                    },
                },
            );
        }
        res.push(
            format!("{dlq}DepthAlarm"),
            alarm(
                format!("Messages in the {} dead-letter queue: a consumer gave up on them", q.name),
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                ga(&dlq, "QueueName"),
                "Maximum",
            ),
        );
    }
}

fn alarm(description: String, namespace: &str, metric: &str, dim: &str, dim_value: V, stat: &str) -> V {
    map! {
        "Type" => "AWS::CloudWatch::Alarm",
        "Properties" => map! {
            "AlarmDescription" => description,
            "Namespace" => namespace,
            "MetricName" => metric,
            "Dimensions" => V::List(vec![map! { "Name" => dim, "Value" => dim_value }]),
            "Statistic" => stat,
            "Period" => V::from(300u32),
            "EvaluationPeriods" => V::from(1u32),
            "Threshold" => V::from(1u32),
            "ComparisonOperator" => "GreaterThanOrEqualToThreshold",
            "TreatMissingData" => "notBreaching",
            "AlarmActions" => V::List(vec![r("AlarmTopic")]),
        },
    }
}

fn alarm_resources(res: &mut V) {
    // CloudWatch cannot use the AWS-managed SNS key: the alarm topic gets its own key.
    res.push(
        "AlarmKey",
        map! {
            "Type" => "AWS::KMS::Key",
            "Properties" => map! {
                "Description" => "Encrypts the ClearView alarm topic",
                "EnableKeyRotation" => true,
                "KeyPolicy" => policy_doc(vec![
                    map! {
                        "Sid" => "AccountAdministers",
                        "Effect" => "Allow",
                        "Principal" => map! { "AWS" => sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root") },
                        "Action" => "kms:*",
                        "Resource" => "*",
                    },
                    map! {
                        "Sid" => "CloudWatchPublishesAlarms",
                        "Effect" => "Allow",
                        "Principal" => map! { "Service" => "cloudwatch.amazonaws.com" },
                        "Action" => vec!["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource" => "*",
                    },
                ]),
            },
        },
    );
    res.push(
        "AlarmTopic",
        map! {
            "Type" => "AWS::SNS::Topic",
            "Properties" => map! { "KmsMasterKeyId" => r("AlarmKey") },
        },
    );
    res.push(
        "AlarmTopicPolicy",
        map! {
            "Type" => "AWS::SNS::TopicPolicy",
            "Properties" => map! {
                "Topics" => V::List(vec![r("AlarmTopic")]),
                "PolicyDocument" => policy_doc(vec![deny_insecure("DenyInsecureTransport", "sns:Publish", vec![r("AlarmTopic")])]),
            },
        },
    );
    res.push(
        "AlarmEmailSubscription",
        map! {
            "Type" => "AWS::SNS::Subscription",
            "Condition" => "HasAlarmEmail",
            "Properties" => map! { "TopicArn" => r("AlarmTopic"), "Protocol" => "email", "Endpoint" => r("AlarmEmail") },
        },
    );
}

fn function_resources(res: &mut V, f: &Function) {
    let id = &f.id;
    let statements: Vec<V> = statements(f)
        .iter()
        .map(|s| {
            map! {
                "Sid" => s.sid.clone(),
                "Effect" => "Allow",
                "Action" => s.actions.clone(),
                "Resource" => V::List(s.targets.iter().map(|t| t.cfn(f)).collect()),
            }
        })
        .collect();
    res.push(
        format!("{id}LogGroup"),
        map! {
            "Type" => "AWS::Logs::LogGroup",
            "Properties" => map! { "RetentionInDays" => r("LogRetentionDays") },
        },
    );
    res.push(
        format!("{id}Role"),
        map! {
            "Type" => "AWS::IAM::Role",
            "Properties" => map! {
                "Description" => format!("Least privilege for the {} function", f.name),
                "AssumeRolePolicyDocument" => policy_doc(vec![map! {
                    "Effect" => "Allow",
                    "Principal" => map! { "Service" => "lambda.amazonaws.com" },
                    "Action" => "sts:AssumeRole",
                }]),
                "Policies" => V::List(vec![map! {
                    "PolicyName" => "least-privilege",
                    "PolicyDocument" => policy_doc(statements),
                }]),
            },
        },
    );
    let event = match &f.trigger {
        FnTrigger::Http { method, path, public, .. } => {
            let mut props = map! { "ApiId" => r("HttpApi"), "Method" => *method, "Path" => *path };
            if *public {
                props.push("Auth", map! { "Authorizer" => "NONE" });
            }
            map! { "Type" => "HttpApi", "Properties" => props }
        }
        FnTrigger::Sqs { queue, batch_size, max_batching_window_s } => map! {
            "Type" => "SQS",
            "Properties" => map! {
                "Queue" => ga(&queue_id(queue), "Arn"),
                "BatchSize" => V::from(*batch_size),
                "MaximumBatchingWindowInSeconds" => V::from(*max_batching_window_s),
                "FunctionResponseTypes" => vec!["ReportBatchItemFailures"],
            },
        },
        FnTrigger::Schedule { expression } => map! {
            "Type" => "Schedule",
            "Properties" => map! { "Schedule" => *expression, "Enabled" => true },
        },
    };
    let description = match &f.trigger {
        FnTrigger::Http { method, path, .. } => format!("{method} {path}: {}", f.summary),
        FnTrigger::Sqs { queue, .. } => format!("queue {queue}: {}", f.summary),
        FnTrigger::Schedule { expression } => format!("schedule {expression}: {}", f.summary),
    };
    let extra = extra_env(f);
    let props = map! {
        "CodeUri" => ".",
        "Description" => truncate(&description, 256),
        "Role" => ga(&format!("{id}Role"), "Arn"),
        "LoggingConfig" => map! { "LogGroup" => r(&format!("{id}LogGroup")), "LogFormat" => "JSON" },
    }
    .with(f.memory_mb.is_some(), "MemorySize", V::from(f.memory_mb.unwrap_or(DEFAULT_MEMORY_MB)))
    .with(f.timeout_s.is_some(), "Timeout", V::from(f.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S)))
    .with(
        !extra.is_empty(),
        "Environment",
        map! { "Variables" => V::Map(extra.iter().map(|(k, v)| (k.clone(), v.cfn())).collect()) },
    )
    .with(true, "Events", map! { "Trigger" => event });
    res.push(
        format!("{id}Function"),
        map! {
            "Type" => "AWS::Serverless::Function",
            "Metadata" => map! { "BuildMethod" => "rust-cargolambda", "BuildProperties" => map! { "Binary" => f.name } },
            "Properties" => props,
        },
    );
    res.push(
        format!("{id}ErrorsAlarm"),
        alarm(
            format!("{} reported errors", f.name),
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            r(&format!("{id}Function")),
            "Sum",
        ),
    );
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn outputs() -> V {
    let out = |desc: &str, value: V| map! { "Description" => desc, "Value" => value };
    let mut o = map! {
        "ApiUrl" => out("Base URL of the HTTP API", sub("https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/")),
        "UserPoolId" => out("Cognito user pool id (USER_POOL_ID)", r("UserPool")),
        "UserPoolClientId" => out("Cognito app client id (USER_POOL_CLIENT_ID)", r("UserPoolClient")),
        "TableName" => out("DynamoDB table (TABLE_NAME)", r("Table")),
        "ResumeBucketName" => out("Resume and report bucket", r("ResumeBucket")),
        "AlarmTopicArn" => out("Alarm notifications", r("AlarmTopic")),
    };
    for t in TOPICS {
        o.push(format!("{}Arn", topic_id(t)), out(&format!("The {t} topic"), r(&topic_id(t))));
    }
    for q in QUEUES {
        o.push(format!("{}Url", queue_id(q.name)), out(&format!("The {} queue", q.name), r(&queue_id(q.name))));
    }
    o
}

/// The whole SAM template as a value tree.
pub fn template_with(all_consumers: bool) -> V {
    let mut res = map! {};
    secret_resource(&mut res);
    sealing_key_resource(&mut res);
    res.push("Table", table());
    identity_resources(&mut res);
    api_resources(&mut res);
    bucket_resources(&mut res);
    messaging_resources(&mut res);
    alarm_resources(&mut res);
    for f in functions_with(all_consumers) {
        function_resources(&mut res, &f);
    }
    map! {
        "AWSTemplateFormatVersion" => "2010-09-09",
        "Transform" => "AWS::Serverless-2016-10-31",
        "Description" => "ClearView: bias-aware resume review API (generated by `cargo xtask gen` from the route table; do not edit)",
        "Parameters" => parameters(),
        "Rules" => rules(),
        "Conditions" => conditions(),
        "Globals" => globals(),
        "Resources" => res,
        "Outputs" => outputs(),
    }
}

pub fn template_yaml_with(all_consumers: bool) -> String {
    format!(
        "# GENERATED by `cargo xtask gen` from crates/http/src/routes.rs, xtask/src/consumers.rs and\n\
         # clearview_aws::table::table_definition(). Do not edit: `cargo xtask check` fails on drift.\n{}",
        template_with(all_consumers).to_yaml()
    )
}

fn statement_json(f: &Function) -> V {
    V::List(
        statements(f)
            .into_iter()
            .map(|s| {
                map! {
                    "sid" => s.sid,
                    "actions" => s.actions,
                    "resources" => s.targets.iter().map(Target::symbol).collect::<Vec<_>>(),
                }
            })
            .collect(),
    )
}

fn trigger_json(t: &FnTrigger) -> V {
    match t {
        FnTrigger::Http { method, path, public, permission } => map! {
            "kind" => "http", "method" => *method, "path" => *path, "auth" => if *public { "public" } else { "jwt" },
        }
        .with(permission.is_some(), "permission", permission.unwrap_or_default()),
        FnTrigger::Sqs { queue, batch_size, max_batching_window_s } => map! {
            "kind" => "sqs", "queue" => *queue, "batchSize" => V::from(*batch_size),
            "maxBatchingWindowS" => V::from(*max_batching_window_s),
        },
        FnTrigger::Schedule { expression } => map! { "kind" => "schedule", "expression" => *expression },
    }
}

/// infra/manifest.json: everything the CDK app builds, as data.
pub fn manifest_with(all_consumers: bool) -> V {
    let def = table_definition();
    let functions = functions_with(all_consumers)
        .iter()
        .map(|f| {
            let env: Vec<(String, V)> = extra_env(f).into_iter().map(|(k, v)| (k, v.manifest())).collect();
            map! {
                "name" => f.name,
                "id" => f.id.clone(),
                "summary" => f.summary,
                "trigger" => trigger_json(&f.trigger),
                "memoryMb" => V::from(f.memory_mb.unwrap_or(DEFAULT_MEMORY_MB)),
                "timeoutS" => V::from(f.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S)),
                "env" => V::Map(env),
                "statements" => statement_json(f),
            }
        })
        .collect::<Vec<_>>();
    let queues = QUEUES
        .iter()
        .map(|q| {
            let feed = match q.feed {
                Feed::Functions => map! { "kind" => "functions" },
                Feed::ObjectCreated(p) => map! { "kind" => "objectCreated", "prefix" => p },
                Feed::Topic(t, _) => map! { "kind" => "topic", "topic" => t },
            };
            map! {
                "name" => q.name,
                "id" => queue_id(q.name),
                "dlqId" => dlq_id(q.name),
                "feed" => feed,
                "maxReceiveCount" => V::from(q.max_receive_count),
                "visibilityTimeoutS" => V::from(VISIBILITY_FACTOR * queue_consumer_timeout(q.name)),
                "retentionS" => V::from(QUEUE_RETENTION_S),
                "dlqRetentionS" => V::from(DLQ_RETENTION_S),
            }
        })
        .collect::<Vec<_>>();
    let consumers = CONSUMERS
        .iter()
        .map(|c| {
            let f = functions_with(true).into_iter().find(|f| f.name == c.name);
            map! { "name" => c.name, "wired" => crate::functions::names().contains(&c.name) }.with(
                f.is_some(),
                "trigger",
                f.map(|f| trigger_json(&f.trigger)).unwrap_or_else(|| map! {}),
            )
        })
        .collect::<Vec<_>>();
    map! {
        "comment" => "GENERATED by `cargo xtask gen` (xtask/src/infra.rs). Do not edit: the CDK app reads it.",
        "defaults" => map! {
            "runtime" => RUNTIME,
            "memoryMb" => V::from(DEFAULT_MEMORY_MB),
            "timeoutS" => V::from(DEFAULT_TIMEOUT_S),
            "logRetentionDays" => V::from(DEFAULT_LOG_RETENTION_DAYS),
            "architecture" => "arm64",
        },
        "env" => map! {
            "table" => env::TABLE_NAME,
            "userPool" => env::USER_POOL_ID,
            "userPoolClient" => env::USER_POOL_CLIENT_ID,
            "mailFrom" => env::MAIL_FROM,
            "cursorSecret" => CURSOR_SECRET_ENV,
        },
        "table" => map! {
            "partitionKey" => def.key.partition,
            "sortKey" => def.key.sort,
            "billingMode" => def.billing_mode,
            "ttlAttribute" => def.ttl_attribute,
            "attributes" => V::List(def.attribute_definitions.iter().map(|(n, t)| map! { "name" => *n, "type" => *t }).collect()),
            "globalSecondaryIndexes" => V::List(def.global_secondary_indexes.iter().map(|g| map! {
                "name" => g.name, "partitionKey" => g.key.partition, "sortKey" => g.key.sort, "projection" => g.projection,
            }).collect()),
        },
        "userPool" => map! {
            "groups" => Role::ALL.iter().map(|r| r.group()).collect::<Vec<_>>(),
            "customAttributes" => V::List(vec![map! { "name" => "org_id", "mutable" => true, "maxLength" => V::from(64u32) }]),
            "readAttributes" => READ_ATTRIBUTES.to_vec(),
            "writeAttributes" => WRITE_ATTRIBUTES.to_vec(),
            "accessTokenHours" => V::from(ACCESS_TOKEN_HOURS),
            "refreshTokenDays" => V::from(REFRESH_TOKEN_DAYS),
        },
        "api" => map! {
            "corsAllowHeaders" => CORS_ALLOW_HEADERS.to_vec(),
            "corsExposeHeaders" => CORS_EXPOSE_HEADERS.to_vec(),
            "corsMaxAgeS" => V::from(CORS_MAX_AGE_S),
            "throttlingRateLimit" => V::from(50u32),
            "throttlingBurstLimit" => V::from(100u32),
        },
        "bucket" => map! {
            "uploadsPrefix" => bucket::UPLOADS,
            "reportsPrefix" => bucket::REPORTS,
            "noncurrentDays" => V::from(bucket::NONCURRENT_DAYS),
            "reportDays" => V::from(bucket::REPORT_DAYS),
            "uploadAllowHeaders" => UPLOAD_ALLOW_HEADERS.to_vec(),
        },
        "topics" => V::List(TOPICS.iter().map(|t| map! { "name" => *t, "id" => topic_id(t) }).collect()),
        "queues" => V::List(queues),
        "functions" => V::List(functions),
        "consumers" => V::List(consumers),
    }
}

/// The generated infra files.
pub fn files() -> Vec<(PathBuf, String)> {
    let manifest = serde_json::to_string_pretty(&manifest_with(false).to_json()).unwrap_or_default() + "\n";
    vec![(PathBuf::from("template.yaml"), template_yaml_with(false)), (PathBuf::from("infra/manifest.json"), manifest)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(f: &Function) -> Vec<String> {
        statements(f).into_iter().flat_map(|s| s.actions).collect()
    }

    #[test]
    fn get_routes_cannot_write_the_table_or_administer_users() {
        for f in functions_with(true) {
            if let FnTrigger::Http { method: "GET", .. } = f.trigger {
                let a = actions(&f);
                assert!(!a.iter().any(|a| a.contains("PutItem") || a.contains("DeleteItem")), "{}: {a:?}", f.name);
                assert!(!a.iter().any(|a| a.starts_with("cognito-idp:")), "{}: {a:?}", f.name);
            }
        }
    }

    #[test]
    fn cognito_actions_are_exactly_the_route_grants() {
        for rt in ROUTES {
            let f = functions().into_iter().find(|f| f.name == rt.name).unwrap();
            let mut want: Vec<String> = rt
                .grants
                .iter()
                .flat_map(|g| match g {
                    Grant::UserPoolAdmin(a) => a.iter().map(|a| format!("cognito-idp:{a}")).collect(),
                    _ => Vec::new(),
                })
                .collect();
            want.sort();
            want.dedup();
            let got: Vec<String> = actions(&f).into_iter().filter(|a| a.starts_with("cognito-idp:")).collect();
            assert_eq!(got, want, "{}", rt.name);
        }
    }

    #[test]
    fn only_tracing_uses_a_wildcard_resource() {
        for f in functions_with(true) {
            for s in statements(&f) {
                assert!(s.actions.iter().all(|a| !a.contains('*')), "{}: {s:?}", f.name);
                if s.targets.contains(&Target::Any) {
                    assert_eq!(s.sid, "Tracing", "{}", f.name);
                }
            }
        }
    }

    #[test]
    fn logical_ids_are_pascal_case_of_the_name() {
        assert_eq!(pascal("jobs-create"), "JobsCreate");
        assert_eq!(pascal("employers-job-postings-create"), "EmployersJobPostingsCreate");
        assert_eq!(pascal("hr_manager"), "HrManager");
    }

    #[test]
    fn the_template_with_every_consumer_wires_queues_and_the_schedule() {
        let t = template_with(true);
        let res = t.get("Resources").unwrap();
        let parse = res.get("ParseFunction").unwrap();
        let ev = parse.get("Properties").and_then(|p| p.get("Events")).and_then(|e| e.get("Trigger")).unwrap();
        assert_eq!(ev.get("Type"), Some(&V::from("SQS")));
        let reports = res.get("ReportsFunction").unwrap();
        let ev = reports.get("Properties").and_then(|p| p.get("Events")).and_then(|e| e.get("Trigger")).unwrap();
        assert_eq!(ev.get("Type"), Some(&V::from("Schedule")));
        assert!(res.get("EmailQueueSubscription").is_some());
        for q in QUEUES {
            assert!(res.get(&format!("{}DepthAlarm", dlq_id(q.name))).is_some());
        }
    }
}
