//! The stack's Lambda functions (one per route, one per wired consumer) and the SAM resources of
//! each: function, role, log group, alarms (errors: page; p99 duration and throttles: ticket),
//! and its trigger. Every function runs the one
//! multi-call `bootstrap` binary, which dispatches on the `Handler` setting (the function's name).

use super::alarms::{LATENCY_PERIODS, PERIOD_S, alarm, latency_target_ms, metric_alarm};
use super::api::route_resources;
use super::nested::{Refs, Shared};
use super::policy::{service_role, statements};
use super::source::Model;
use super::{DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, pascal};
use crate::cfn::{V, ga, r, sub};
use crate::consumers::{self, Need, Trigger};
use crate::map;

/// What starts a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FnTrigger {
    Http { method: String, path: String, public: bool, permission: Option<String> },
    Sqs { queue: &'static str, batch_size: u32, max_batching_window_s: u32 },
    Schedule { expression: &'static str },
}

/// One Lambda function of the stack.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its name (`jobs-create`): the Lambda `Handler` the binary dispatches on.
    pub name: String,
    /// The logical-id stem (`JobsCreate`): `JobsCreateFunction`, `JobsCreateRole`, ...
    pub id: String,
    pub summary: String,
    pub trigger: FnTrigger,
    pub needs: Vec<Need>,
    pub memory_mb: Option<u32>,
    pub timeout_s: Option<u32>,
}

/// The area consumers are grouped in (routes take theirs from their path).
pub const CONSUMERS_AREA: &str = "consumers";

impl Function {
    /// `/api/jobs/{id}` → `jobs`; consumers → `consumers`.
    pub fn area(&self) -> String {
        match &self.trigger {
            FnTrigger::Http { path, .. } => area_of(path),
            _ => CONSUMERS_AREA.to_owned(),
        }
    }
}

/// A path's area: its first segment after `/api/` (or after `/` outside the API prefix).
pub fn area_of(path: &str) -> String {
    let rest = path.strip_prefix("/api/").unwrap_or_else(|| path.trim_start_matches('/'));
    let first = rest.split('/').next().unwrap_or_default();
    if first.is_empty() || first.starts_with('{') { "root".to_owned() } else { first.to_owned() }
}

/// Every function of a model: one per route, then the wired consumers (all of them with
/// `all_consumers`, which the preview uses to exercise the consumer half before it is wired).
pub fn functions_of(model: &Model, all_consumers: bool) -> Vec<Function> {
    let routes = model.routes.iter().map(|rt| Function {
        name: rt.name.clone(),
        id: pascal(&rt.name),
        summary: rt.summary.clone(),
        trigger: FnTrigger::Http {
            method: rt.method.clone(),
            path: rt.path.clone(),
            public: rt.public,
            permission: rt.permission.clone(),
        },
        needs: rt.needs.clone(),
        memory_mb: None,
        timeout_s: None,
    });
    let consumers = model.consumers.iter().filter(|c| all_consumers || c.wired).map(|c| Function {
        name: c.name.clone(),
        id: pascal(&c.name),
        summary: c.summary.clone(),
        trigger: match c.trigger {
            Trigger::Sqs { queue, batch_size, max_batching_window_s } => {
                FnTrigger::Sqs { queue, batch_size, max_batching_window_s }
            }
            Trigger::Schedule { expression } => FnTrigger::Schedule { expression },
        },
        needs: c.needs.clone(),
        memory_mb: Some(c.memory_mb),
        timeout_s: Some(c.timeout_s),
    });
    routes.chain(consumers).collect()
}

/// What an extra environment variable holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// A root-stack value: a queue URL, the topic ARN, the bucket name.
    Shared(Shared),
    /// This Secrets Manager secret's value, resolved by CloudFormation at deploy time.
    Secret(Shared),
}

impl EnvValue {
    fn cfn(&self, refs: &mut Refs) -> V {
        match self {
            EnvValue::Shared(s) => refs.r(s.clone()),
            EnvValue::Secret(s) => {
                sub(format!("{{{{resolve:secretsmanager:${{{}}}:SecretString}}}}", refs.name(s.clone())))
            }
        }
    }

    /// `{ "ref": <root logical id> }` or `{ "secret": <root logical id> }` (the CDK app maps them).
    pub(super) fn manifest(&self) -> V {
        match self {
            EnvValue::Shared(s) => map! { "ref" => s.root_id() },
            EnvValue::Secret(s) => map! { "secret" => s.root_id() },
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
    let queue = |q: &'static str, add: &mut dyn FnMut(String, EnvValue)| {
        add(consumers::env::queue_url(q), EnvValue::Shared(Shared::QueueUrl(q)));
        add(consumers::env::dlq_url(q), EnvValue::Shared(Shared::DlqUrl(q)));
    };
    if let FnTrigger::Sqs { queue: q, .. } = f.trigger {
        queue(q, &mut add);
    }
    for need in &f.needs {
        match *need {
            Need::SendTo(q) => queue(q, &mut add),
            Need::Publish(t) => add(consumers::env::EVENTS_TOPIC_ARN.to_owned(), EnvValue::Shared(Shared::TopicArn(t))),
            Need::ReadObjects(_) | Need::WriteObjects(_) | Need::DeleteObjects(_) | Need::ReadScanTags(_) => {
                add(consumers::env::RESUME_BUCKET.to_owned(), EnvValue::Shared(Shared::BucketName))
            }
            Need::SealingKey => {
                add(consumers::env::SEALING_KEY.to_owned(), EnvValue::Secret(Shared::SealingKeySecretArn))
            }
            Need::PlatformAdminEmails => {
                add(consumers::env::PLATFORM_ADMIN_EMAILS.to_owned(), EnvValue::Shared(Shared::PlatformAdminEmails))
            }
            _ => {}
        }
    }
    out
}

/// `GET /api/jobs/{id}: A job` — the function's description.
pub fn describe(f: &Function) -> String {
    let d = match &f.trigger {
        FnTrigger::Http { method, path, .. } => format!("{method} {path}: {}", f.summary),
        FnTrigger::Sqs { queue, .. } => format!("queue {queue}: {}", f.summary),
        FnTrigger::Schedule { expression } => format!("schedule {expression}: {}", f.summary),
    };
    truncate(&d, 256)
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

/// The function's resources in its nested stack. `code_uri` is the shared zip, relative to the
/// template that declares the function.
pub(super) fn function_resources(res: &mut V, f: &Function, code_uri: &str, refs: &mut Refs) {
    let id = &f.id;
    let statements: Vec<V> = statements(f)
        .iter()
        .map(|s| {
            map! {
                "Sid" => s.sid.clone(),
                "Effect" => "Allow",
                "Action" => s.actions.clone(),
                "Resource" => V::List(s.targets.iter().map(|t| t.cfn(f, refs)).collect()),
            }
        })
        .collect();
    res.push(
        format!("{id}LogGroup"),
        map! {
            "Type" => "AWS::Logs::LogGroup",
            "Properties" => map! { "RetentionInDays" => refs.r(Shared::LogRetentionDays) },
        },
    );
    res.push(
        format!("{id}Role"),
        service_role(
            format!("Least privilege for the {} function", f.name),
            "lambda.amazonaws.com",
            "least-privilege",
            statements,
        ),
    );
    // HTTP routes are wired explicitly (route_resources): SAM's HttpApi event needs the API in
    // the same template, and the API lives in the root stack.
    let event = match &f.trigger {
        FnTrigger::Http { .. } => None,
        FnTrigger::Sqs { queue, batch_size, max_batching_window_s } => Some(map! {
            "Type" => "SQS",
            "Properties" => map! {
                "Queue" => refs.r(Shared::QueueArn(queue)),
                "BatchSize" => V::from(*batch_size),
                "MaximumBatchingWindowInSeconds" => V::from(*max_batching_window_s),
                "FunctionResponseTypes" => vec!["ReportBatchItemFailures"],
            },
        }),
        FnTrigger::Schedule { expression } => Some(map! {
            "Type" => "Schedule",
            "Properties" => map! { "Schedule" => *expression, "Enabled" => true },
        }),
    };
    let extra = extra_env(f);
    let env: Vec<(String, V)> = extra.iter().map(|(k, v)| (k.clone(), v.cfn(refs))).collect();
    let props = map! {
        "Handler" => f.name.clone(),
        "CodeUri" => code_uri,
        "Description" => describe(f),
        "Role" => ga(&format!("{id}Role"), "Arn"),
        "LoggingConfig" => map! { "LogGroup" => r(&format!("{id}LogGroup")), "LogFormat" => "JSON" },
    }
    .with(f.memory_mb.is_some(), "MemorySize", V::from(f.memory_mb.unwrap_or(DEFAULT_MEMORY_MB)))
    .with(f.timeout_s.is_some(), "Timeout", V::from(f.timeout_s.unwrap_or(DEFAULT_TIMEOUT_S)))
    .with(!env.is_empty(), "Environment", map! { "Variables" => V::Map(env) })
    .with(event.is_some(), "Events", map! { "Trigger" => event.clone().unwrap_or_else(|| map! {}) });
    res.push(format!("{id}Function"), map! { "Type" => "AWS::Serverless::Function", "Properties" => props });
    if let FnTrigger::Http { method, path, public, .. } = &f.trigger {
        route_resources(res, id, method, path, *public, refs);
    }
    // Page: the function failed (a crash, a timeout, an unhandled error; a consumer's retries and
    // poison messages show in its dead-letter queue's depth alarm instead).
    let page = refs.r(Shared::AlarmTopicArn);
    let function = r(&format!("{id}Function"));
    res.push(
        format!("{id}ErrorsAlarm"),
        alarm(
            format!("{} reported errors", f.name),
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            function.clone(),
            "Sum",
            page,
        ),
    );
    // Ticket: slower than its target for a while, or throttled.
    let ticket = refs.r(Shared::TicketTopicArn);
    let target = latency_target_ms(f);
    res.push(
        format!("{id}LatencyAlarm"),
        metric_alarm(
            format!("{}: p99 duration at or above {target} ms for {} minutes", f.name, LATENCY_PERIODS * PERIOD_S / 60),
            "AWS/Lambda",
            "Duration",
            "FunctionName",
            function.clone(),
            "p99",
            target,
            LATENCY_PERIODS,
            ticket.clone(),
        ),
    );
    res.push(
        format!("{id}ThrottlesAlarm"),
        alarm(format!("{} was throttled", f.name), "AWS/Lambda", "Throttles", "FunctionName", function, "Sum", ticket),
    );
}
