//! Stacks that scale: the root stack keeps what every function shares (table, user pool, API,
//! bucket, queues, topics, secrets, alarm topic) and one nested stack per API area holds that
//! area's functions. What a nested stack uses of the root arrives as a parameter ([`Shared`]);
//! only the parameters a stack uses are declared and passed.
//!
//! An area whose functions would pass [`MAX_NESTED_RESOURCES`] is chunked greedily in table
//! order: `jobs`, then `jobs-2`, `jobs-3`, ... The first chunk keeps the area's name and a new
//! route (appended to its area) lands in the last chunk, so growth adds a stack instead of moving
//! functions between stacks (a route moved between two stacks would be created in the new one
//! before it is deleted from the old one, and API Gateway refuses a duplicate route key).

use super::api::AUTHORIZER_ID;
use super::functions::{FnTrigger, Function, function_resources};
use super::messaging::{dlq_id, queue_id, topic_id};
use super::{DEFAULT_TIMEOUT_S, RUNTIME, pascal};
use crate::cfn::{V, ga, r, sub};
use crate::map;
use clearview_aws::config::env;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Resources (counted after the SAM transform) a nested stack may hold before its area is
/// chunked: half of CloudFormation's 500, comfortably under the 300 the tests hold every stack to.
pub const MAX_NESTED_RESOURCES: usize = 250;

/// Where the nested templates live, relative to the repository root (and template.yaml).
pub const NESTED_DIR: &str = "infra/sam";

/// The one code artifact every function runs (`cargo lambda build` of the multi-call binary),
/// relative to the repository root.
pub const CODE_ZIP: &str = "target/lambda/clearview/bootstrap.zip";

/// The root resource type that holds a nested stack. `AWS::CloudFormation::Stack` (rather than
/// `AWS::Serverless::Application`) lets cfn-lint open the local child template and check that
/// the parameters passed are exactly the ones it declares; `sam deploy` packages both alike.
pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// The `PlatformAdminEmails` parameter's description (root and nested stacks).
pub const PLATFORM_ADMIN_EMAILS_DESCRIPTION: &str =
    "Comma-separated emails that may register as the first platform admins (PLATFORM_ADMIN_EMAILS); empty: nobody";

/// Something of the root stack a nested stack refers to; each becomes one parameter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shared {
    Architecture,
    MemorySize,
    LogRetentionDays,
    MailFrom,
    MailIdentity,
    TableName,
    TableArn,
    UserPoolId,
    UserPoolArn,
    UserPoolClientId,
    CursorSecretArn,
    SealingKeySecretArn,
    BucketName,
    BucketArn,
    TopicArn(&'static str),
    QueueUrl(&'static str),
    QueueArn(&'static str),
    DlqUrl(&'static str),
    DlqArn(&'static str),
    AlarmTopicArn,
    TicketTopicArn,
    HttpApiId,
    AuthorizerId,
    PlatformAdminEmails,
}

impl Shared {
    /// The nested stack's parameter name.
    pub fn param(&self) -> String {
        match self {
            Shared::Architecture => "Architecture".into(),
            Shared::MemorySize => "MemorySize".into(),
            Shared::LogRetentionDays => "LogRetentionDays".into(),
            Shared::MailFrom => "MailFrom".into(),
            Shared::MailIdentity => "MailIdentity".into(),
            Shared::TableName => "TableName".into(),
            Shared::TableArn => "TableArn".into(),
            Shared::UserPoolId => "UserPoolId".into(),
            Shared::UserPoolArn => "UserPoolArn".into(),
            Shared::UserPoolClientId => "UserPoolClientId".into(),
            Shared::CursorSecretArn => "CursorSecretArn".into(),
            Shared::SealingKeySecretArn => "SealingKeySecretArn".into(),
            Shared::BucketName => "ResumeBucketName".into(),
            Shared::BucketArn => "ResumeBucketArn".into(),
            Shared::TopicArn(t) => format!("{}Arn", topic_id(t)),
            Shared::QueueUrl(q) => format!("{}Url", queue_id(q)),
            Shared::QueueArn(q) => format!("{}Arn", queue_id(q)),
            Shared::DlqUrl(q) => format!("{}Url", dlq_id(q)),
            Shared::DlqArn(q) => format!("{}Arn", dlq_id(q)),
            Shared::AlarmTopicArn => "AlarmTopicArn".into(),
            Shared::TicketTopicArn => "TicketTopicArn".into(),
            Shared::HttpApiId => "HttpApiId".into(),
            Shared::AuthorizerId => "AuthorizerId".into(),
            Shared::PlatformAdminEmails => "PlatformAdminEmails".into(),
        }
    }

    /// The value the root stack passes.
    pub fn root_value(&self) -> V {
        match self {
            Shared::Architecture
            | Shared::MemorySize
            | Shared::LogRetentionDays
            | Shared::MailFrom
            | Shared::MailIdentity
            | Shared::PlatformAdminEmails => r(&self.param()),
            Shared::TableName => r("Table"),
            Shared::TableArn => ga("Table", "Arn"),
            Shared::UserPoolId => r("UserPool"),
            Shared::UserPoolArn => ga("UserPool", "Arn"),
            Shared::UserPoolClientId => r("UserPoolClient"),
            Shared::CursorSecretArn => r("CursorSecret"),
            Shared::SealingKeySecretArn => r("SealingKeySecret"),
            Shared::BucketName => r("ResumeBucket"),
            Shared::BucketArn => ga("ResumeBucket", "Arn"),
            Shared::TopicArn(t) => r(&topic_id(t)),
            Shared::QueueUrl(q) => r(&queue_id(q)),
            Shared::QueueArn(q) => ga(&queue_id(q), "Arn"),
            Shared::DlqUrl(q) => r(&dlq_id(q)),
            Shared::DlqArn(q) => ga(&dlq_id(q), "Arn"),
            Shared::AlarmTopicArn => r(super::alarms::PAGE_TOPIC),
            Shared::TicketTopicArn => r(super::alarms::TICKET_TOPIC),
            Shared::HttpApiId => r("HttpApi"),
            Shared::AuthorizerId => r(AUTHORIZER_ID),
        }
    }

    /// The root logical id (or root parameter) the value comes from.
    pub fn root_id(&self) -> String {
        match self.root_value() {
            V::Map(e) => match &e[0].1 {
                V::Str(id) => id.clone(),
                V::List(parts) => match &parts[0] {
                    V::Str(id) => id.clone(),
                    _ => String::new(),
                },
                _ => String::new(),
            },
            _ => String::new(),
        }
    }

    fn declaration(&self) -> V {
        let p = |kind: &str, d: String| map! { "Type" => kind, "Description" => d };
        match self {
            Shared::Architecture => super::root::architecture_param(),
            Shared::MemorySize => super::root::memory_param(),
            Shared::LogRetentionDays => super::root::retention_param(),
            Shared::MailFrom => p("String", "Verified SES sender address (MAIL_FROM)".into()),
            Shared::MailIdentity => p("String", "The verified SES identity MailFrom sends as".into()),
            Shared::PlatformAdminEmails => p("String", PLATFORM_ADMIN_EMAILS_DESCRIPTION.into()),
            other => p("String", format!("The root stack's {} (passed to this nested stack)", other.param())),
        }
    }
}

/// The root values one nested template uses, collected while its resources are written.
#[derive(Debug, Default)]
pub struct Refs(BTreeSet<Shared>);

impl Refs {
    /// `{ Ref: <parameter> }`, and remember the parameter is needed.
    pub fn r(&mut self, s: Shared) -> V {
        let name = s.param();
        self.0.insert(s);
        r(&name)
    }

    /// The parameter's name for use inside `Fn::Sub`, and remember it is needed.
    pub fn name(&mut self, s: Shared) -> String {
        let name = s.param();
        self.0.insert(s);
        name
    }

    pub fn used(&self) -> impl Iterator<Item = &Shared> {
        self.0.iter()
    }
}

/// One nested stack: an area (or a chunk of one) and its functions.
#[derive(Debug, Clone)]
pub struct NestedStack {
    /// `jobs`, `jobs-2`, `consumers`.
    pub name: String,
    /// The root's logical id for it: `JobsStack`, `Jobs2Stack`.
    pub id: String,
    pub functions: Vec<Function>,
}

impl NestedStack {
    /// The nested template, relative to the repository root.
    pub fn file(&self) -> PathBuf {
        PathBuf::from(format!("{NESTED_DIR}/{}.yaml", self.name))
    }
}

/// Resources a function adds once SAM has expanded it.
pub fn function_cost(f: &Function) -> usize {
    // Function, Role, LogGroup, ErrorsAlarm, LatencyAlarm, ThrottlesAlarm.
    6 + match f.trigger {
        // Integration, Route, Permission.
        FnTrigger::Http { .. } => 3,
        // EventSourceMapping.
        FnTrigger::Sqs { .. } => 1,
        // Events::Rule, Lambda::Permission.
        FnTrigger::Schedule { .. } => 2,
    }
}

/// Groups functions into nested stacks: one per area (sorted by name), chunked in table order.
pub fn plan(functions: Vec<Function>) -> Vec<NestedStack> {
    let mut areas: BTreeMap<String, Vec<Function>> = BTreeMap::new();
    for f in functions {
        areas.entry(f.area()).or_default().push(f);
    }
    let mut out = Vec::new();
    for (area, fns) in areas {
        let mut chunks: Vec<(usize, Vec<Function>)> = vec![(0, Vec::new())];
        for f in fns {
            let cost = function_cost(&f);
            let last = chunks.last_mut().expect("one chunk");
            if last.0 + cost > MAX_NESTED_RESOURCES && !last.1.is_empty() {
                chunks.push((cost, vec![f]));
            } else {
                last.0 += cost;
                last.1.push(f);
            }
        }
        for (i, (_, functions)) in chunks.into_iter().enumerate() {
            let name = if i == 0 { area.clone() } else { format!("{area}-{}", i + 1) };
            out.push(NestedStack { id: format!("{}Stack", pascal(&name)), name, functions });
        }
    }
    out
}

/// The variables every function gets (names from `clearview_aws::config::env`).
fn shared_env(refs: &mut Refs) -> V {
    map! {
        env::TABLE_NAME => refs.r(Shared::TableName),
        env::USER_POOL_ID => refs.r(Shared::UserPoolId),
        env::USER_POOL_CLIENT_ID => refs.r(Shared::UserPoolClientId),
        env::MAIL_FROM => refs.r(Shared::MailFrom),
        // Resolved by CloudFormation at deploy time: no runtime secret fetch, no key to hand out.
        super::CURSOR_SECRET_ENV => sub(format!("{{{{resolve:secretsmanager:${{{}}}:SecretString}}}}", refs.name(Shared::CursorSecretArn))),
    }
}

/// `infra/sam/jobs.yaml` → `../..`: the way back to the repository root.
fn to_root(file: &std::path::Path) -> String {
    let depth = file.parent().map_or(0, |p| p.components().count());
    vec![".."; depth].join("/")
}

/// A nested stack's template, and the root values it needs.
pub fn nested_template(stack: &NestedStack) -> (V, Refs) {
    let mut refs = Refs::default();
    let code_uri = format!("{}/{CODE_ZIP}", to_root(&stack.file()));
    let globals = map! {
        "Function" => map! {
            "Runtime" => RUNTIME,
            "Architectures" => V::List(vec![refs.r(Shared::Architecture)]),
            "MemorySize" => refs.r(Shared::MemorySize),
            "Timeout" => V::from(DEFAULT_TIMEOUT_S),
            "Tracing" => "Active",
            "Environment" => map! { "Variables" => shared_env(&mut refs) },
        },
    };
    let mut res = map! {};
    for f in &stack.functions {
        function_resources(&mut res, f, &code_uri, &mut refs);
    }
    let params = V::Map(refs.used().map(|s| (s.param(), s.declaration())).collect());
    let t = map! {
        "AWSTemplateFormatVersion" => "2010-09-09",
        "Transform" => "AWS::Serverless-2016-10-31",
        "Description" => format!(
            "ClearView {}: {} function(s) (nested stack of template.yaml; generated by `cargo xtask gen`, do not edit)",
            stack.name,
            stack.functions.len()
        ),
        "Parameters" => params,
        "Globals" => globals,
        "Resources" => res,
    };
    (t, refs)
}

/// The root's resource for a nested stack: its template and the parameters it is passed.
pub fn stack_resource(stack: &NestedStack, refs: &Refs) -> V {
    let params = V::Map(refs.used().map(|s| (s.param(), s.root_value())).collect());
    map! {
        "Type" => STACK_TYPE,
        // A local TemplateURL is what `sam deploy` packages (uploads, then rewrites to S3); cfn-lint
        // warns that it needs that step (W3002) and still checks the parameters against the file.
        "Metadata" => map! { "cfn-lint" => map! { "config" => map! { "ignore_checks" => vec!["W3002"] } } },
        "Properties" => map! { "TemplateURL" => stack.file().display().to_string(), "Parameters" => params },
    }
}

/// How many resources a template has once SAM has expanded it (what CloudFormation counts
/// against its quota). Only the shapes the generators write are expanded.
pub fn expanded_resource_count(t: &V) -> usize {
    let Some(V::Map(resources)) = t.get("Resources") else { return 0 };
    resources
        .iter()
        .map(|(_, r)| match r.get("Type") {
            Some(V::Str(kind)) if kind == "AWS::Serverless::Function" => {
                let events = match r.get("Properties").and_then(|p| p.get("Events")) {
                    Some(V::Map(events)) => events.iter().map(|(_, e)| event_cost(e)).sum(),
                    _ => 0,
                };
                1 + events
            }
            _ => 1,
        })
        .sum()
}

fn event_cost(e: &V) -> usize {
    match e.get("Type") {
        Some(V::Str(k)) if k == "SQS" => 1,
        Some(V::Str(k)) if k == "Schedule" => 2,
        // HttpApi/Api events add a permission (their routes live in the API's body).
        _ => 1,
    }
}
