//! The data half of the root stack: the single table, the resume bucket and its access-log
//! bucket, GuardDuty Malware Protection of the uploads, and the two secrets (cursor sealing,
//! self-identification sealing).

use super::CURSOR_SECRET_LENGTH;
use super::UPLOAD_ALLOW_HEADERS;
use super::messaging::queue_id;
use super::policy::{deny_insecure, policy_doc, service_role};
use super::source::Model;
use crate::cfn::{V, ga, r, sub};
use crate::consumers::{Feed, bucket};
use crate::map;
use clearview_aws::table::table_definition;

pub(super) fn retained(resource: V) -> V {
    let V::Map(mut entries) = resource else { return resource };
    entries.insert(1, ("DeletionPolicy".into(), "Retain".into()));
    entries.insert(2, ("UpdateReplacePolicy".into(), "Retain".into()));
    V::Map(entries)
}

pub(super) fn table() -> V {
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

pub(super) fn secret_resource(res: &mut V) {
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

pub(super) fn sealing_key_resource(res: &mut V) {
    // Resolved into SEALING_KEY of the functions granted `SealingKey` only (a dynamic reference
    // CloudFormation resolves at deploy time; the template never holds the value), so only they
    // can open self-identification data. Retained: losing it loses the data.
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

pub(super) fn bucket_resources(res: &mut V, model: &Model) {
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
    for q in &model.queues {
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
                map! {
                    "Id" => "expire-exports",
                    "Status" => "Enabled",
                    "Prefix" => bucket::EXPORTS,
                    "ExpirationInDays" => V::from(bucket::EXPORT_DAYS),
                },
            ]) },
            "CorsConfiguration" => map! { "CorsRules" => V::List(vec![map! {
                "AllowedMethods" => vec!["PUT", "GET"],
                "AllowedOrigins" => V::List(vec![r("SpaOrigin")]),
                "AllowedHeaders" => UPLOAD_ALLOW_HEADERS.to_vec(),
                "ExposedHeaders" => vec!["ETag"],
                "MaxAge" => V::from(3000u32),
            }]) },
            // EventBridge delivery is what GuardDuty Malware Protection turns on to see new
            // objects; declared here so a stack update does not turn it off again.
            "NotificationConfiguration" => map! {
                "EventBridgeConfiguration" => map! { "EventBridgeEnabled" => true },
                "QueueConfigurations" => V::List(notifications),
            },
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

/// GuardDuty Malware Protection for S3 on the resume bucket's uploads: GuardDuty scans each new
/// object under `uploads/` and tags it `GuardDutyMalwareScanStatus`, which the parse consumer
/// reads before it opens the file. The role is the one GuardDuty documents for a plan (its
/// managed EventBridge rule, the bucket's notification setting, reading and tagging objects, a
/// validation object); the bucket is encrypted with S3's own keys, so no KMS grant is needed.
pub(super) fn malware_protection_resources(res: &mut V) {
    let rule = sub(
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*",
    );
    let objects = sub("${ResumeBucket.Arn}/*");
    let allow = |sid: &str, actions: &[&str], resource: V| {
        map! { "Sid" => sid, "Effect" => "Allow", "Action" => actions.to_vec(), "Resource" => resource }
    };
    let mut managed_rule = allow(
        "AllowManagedRuleToSendS3EventsToGuardDuty",
        &["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
        rule.clone(),
    );
    managed_rule.push(
        "Condition",
        map! { "StringLike" => map! { "events:ManagedBy" => "malware-protection-plan.guardduty.amazonaws.com" } },
    );
    res.push(
        "MalwareProtectionRole",
        service_role(
            "Assumed by GuardDuty Malware Protection for S3 to scan and tag new resume uploads",
            "malware-protection-plan.guardduty.amazonaws.com",
            "MalwareProtectionPlan",
            vec![
                managed_rule,
                allow(
                    "AllowGuardDutyToMonitorEventBridgeManagedRule",
                    &["events:DescribeRule", "events:ListTargetsByRule"],
                    rule,
                ),
                allow(
                    "AllowPostScanTag",
                    &[
                        "s3:PutObjectTagging",
                        "s3:GetObjectTagging",
                        "s3:PutObjectVersionTagging",
                        "s3:GetObjectVersionTagging",
                    ],
                    objects.clone(),
                ),
                allow(
                    "AllowEnableS3EventBridgeEvents",
                    &["s3:PutBucketNotification", "s3:GetBucketNotification"],
                    ga("ResumeBucket", "Arn"),
                ),
                allow(
                    "AllowPutValidationObject",
                    &["s3:PutObject"],
                    sub("${ResumeBucket.Arn}/malware-protection-resource-validation-object"),
                ),
                allow("AllowCheckBucketOwnership", &["s3:ListBucket"], ga("ResumeBucket", "Arn")),
                allow("AllowMalwareScan", &["s3:GetObject", "s3:GetObjectVersion"], objects),
            ],
        ),
    );
    res.push(
        "MalwareProtectionPlan",
        map! {
            "Type" => "AWS::GuardDuty::MalwareProtectionPlan",
            "Properties" => map! {
                "Role" => ga("MalwareProtectionRole", "Arn"),
                "ProtectedResource" => map! { "S3Bucket" => map! {
                    "BucketName" => r("ResumeBucket"),
                    "ObjectPrefixes" => vec![bucket::UPLOADS],
                } },
                "Actions" => map! { "Tagging" => map! { "Status" => "ENABLED" } },
            },
        },
    );
}
