//! Every function's least-privilege IAM policy, computed once from what it needs; the SAM
//! templates and the CDK app only map the symbolic resources to ARNs.

use super::functions::{FnTrigger, Function};
use super::nested::{Refs, Shared};
use super::pascal;
use crate::cfn::{V, ga, sub};
use crate::consumers::Need;

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
    /// The bucket itself (listing its object versions).
    Bucket,
    /// The deployment's Secrets Manager secrets named `<table>/<prefix>*`.
    Secrets(&'static str),
    /// The function's own log group.
    LogGroup,
    /// X-Ray and Textract have no resource-level permissions.
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
            Target::Bucket => "bucket".into(),
            Target::Secrets(p) => format!("secret:{p}*"),
            Target::LogGroup => "logGroup".into(),
            Target::Any => "*".into(),
        }
    }

    /// The ARN in a nested stack: shared resources arrive as parameters.
    pub(super) fn cfn(&self, f: &Function, refs: &mut Refs) -> V {
        match self {
            Target::Table => refs.r(Shared::TableArn),
            Target::TableIndexes => sub(format!("${{{}}}/index/*", refs.name(Shared::TableArn))),
            Target::UserPool => refs.r(Shared::UserPoolArn),
            Target::MailIdentity => sub(format!(
                "arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{{}}}",
                refs.name(Shared::MailIdentity)
            )),
            Target::Queue(q) => refs.r(Shared::QueueArn(q)),
            Target::DeadLetterQueue(q) => refs.r(Shared::DlqArn(q)),
            Target::Topic(t) => refs.r(Shared::TopicArn(t)),
            Target::Objects(p) => sub(format!("${{{}}}/{p}*", refs.name(Shared::BucketArn))),
            Target::Bucket => refs.r(Shared::BucketArn),
            Target::Secrets(p) => sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:${{{}}}/{p}*",
                refs.name(Shared::TableName)
            )),
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
    let (mut read_prefixes, mut write_prefixes, mut delete_prefixes) = (Vec::new(), Vec::new(), Vec::new());
    let mut tag_prefixes = Vec::new();
    for need in &f.needs {
        match *need {
            Need::TableRead => out.push(stmt(
                "TableRead",
                &["dynamodb:GetItem", "dynamodb:Query"],
                vec![Target::Table, Target::TableIndexes],
            )),
            // TransactWriteItems is authorised through the per-item actions it carries; a counter
            // ADD in one is an Update (dynamodb:UpdateItem).
            Need::TableWrite => out.push(stmt(
                "TableWrite",
                &["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"],
                vec![Target::Table],
            )),
            Need::UserPoolAdmin(actions) => admin.extend_from_slice(actions),
            Need::Mail => out.push(stmt("SendMail", &["ses:SendEmail"], vec![Target::MailIdentity])),
            // Resolved into the environment at deploy time: no IAM action at run time.
            Need::SealingKey | Need::PlatformAdminEmails => {}
            Need::CountRequests => out.push(stmt("CountRequests", &["dynamodb:UpdateItem"], vec![Target::Table])),
            // Textract's actions have no resource-level permissions: "*" is the only resource.
            Need::Ocr => out.push(stmt("ReadScans", &["textract:DetectDocumentText"], vec![Target::Any])),
            Need::SendTo(q) => {
                out.push(stmt(format!("SendTo{}", pascal(q)), &["sqs:SendMessage"], vec![Target::Queue(q)]))
            }
            Need::Publish(t) => {
                out.push(stmt(format!("PublishTo{}", pascal(t)), &["sns:Publish"], vec![Target::Topic(t)]))
            }
            Need::ReadObjects(p) => read_prefixes.push(Target::Objects(p)),
            Need::ReadScanTags(p) => tag_prefixes.push(Target::Objects(p)),
            Need::WriteObjects(p) => write_prefixes.push(Target::Objects(p)),
            Need::DeleteObjects(p) => delete_prefixes.push(Target::Objects(p)),
            // Tagging on create needs TagResource; deletes skip the recovery window.
            Need::WriteSecrets(p) => out.push(stmt(
                "WriteSecrets",
                &[
                    "secretsmanager:CreateSecret",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:TagResource",
                    "secretsmanager:DeleteSecret",
                ],
                vec![Target::Secrets(p)],
            )),
            Need::ReadSecrets(p) => {
                out.push(stmt("ReadSecrets", &["secretsmanager:GetSecretValue"], vec![Target::Secrets(p)]))
            }
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
    if !tag_prefixes.is_empty() {
        out.push(stmt("ReadScanTags", &["s3:GetObjectTagging"], tag_prefixes));
    }
    if !write_prefixes.is_empty() {
        out.push(stmt("WriteObjects", &["s3:PutObject"], write_prefixes));
    }
    if !delete_prefixes.is_empty() {
        out.push(stmt("DeleteObjects", &["s3:DeleteObject", "s3:DeleteObjectVersion"], delete_prefixes));
        out.push(stmt("ListObjectVersions", &["s3:ListBucketVersions"], vec![Target::Bucket]));
    }
    out
}

/// `{ Version, Statement }`
pub(super) fn policy_doc(statements: Vec<V>) -> V {
    crate::map! { "Version" => "2012-10-17", "Statement" => V::List(statements) }
}

/// An IAM role that `service` assumes, with one inline policy named `policy_name`.
pub(super) fn service_role(description: impl Into<V>, service: &str, policy_name: &str, statements: Vec<V>) -> V {
    crate::map! {
        "Type" => "AWS::IAM::Role",
        "Properties" => crate::map! {
            "Description" => description.into(),
            "AssumeRolePolicyDocument" => policy_doc(vec![crate::map! {
                "Effect" => "Allow",
                "Principal" => crate::map! { "Service" => service },
                "Action" => "sts:AssumeRole",
            }]),
            "Policies" => V::List(vec![crate::map! {
                "PolicyName" => policy_name,
                "PolicyDocument" => policy_doc(statements),
            }]),
        },
    }
}

/// A bucket/queue/topic policy statement refusing anything but TLS.
pub(super) fn deny_insecure(sid: &str, action: &str, resources: Vec<V>) -> V {
    crate::map! {
        "Sid" => sid,
        "Effect" => "Deny",
        "Principal" => "*",
        "Action" => action,
        "Resource" => V::List(resources),
        "Condition" => crate::map! { "Bool" => crate::map! { "aws:SecureTransport" => "false" } },
    }
}
