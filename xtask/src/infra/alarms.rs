//! Alarms and where they go: an encrypted alarm topic in the root stack (its own KMS key:
//! CloudWatch cannot use the AWS-managed SNS key), and the one alarm shape every alarm uses.

use super::policy::{deny_insecure, policy_doc};
use crate::cfn::{V, r, sub};
use crate::map;

/// An alarm on one metric dimension that fires on the first datapoint ≥ 1, notifying `topic`.
pub(super) fn alarm(
    description: String,
    namespace: &str,
    metric: &str,
    dim: &str,
    dim_value: V,
    stat: &str,
    topic: V,
) -> V {
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
            "AlarmActions" => V::List(vec![topic]),
        },
    }
}

pub(super) fn alarm_resources(res: &mut V) {
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
