//! Alarms and where they go, in two tiers: **page** (`AlarmTopic`: something is broken now —
//! a message in any dead-letter queue, a function's errors, the API's 5xx rate) and **ticket**
//! (`TicketTopic`: something is degrading — a function's p99 duration above its target, throttles).
//! Both topics are encrypted with the stack's alarm key (CloudWatch cannot use the AWS-managed
//! SNS key). The thresholds are here; the CDK app reads them from infra/manifest.json.

use super::functions::{FnTrigger, Function};
use super::policy::{deny_insecure, policy_doc};
use crate::cfn::{V, r, sub};
use crate::map;

/// The page tier's topic (its logical id predates the tiers).
pub const PAGE_TOPIC: &str = "AlarmTopic";
pub const TICKET_TOPIC: &str = "TicketTopic";
/// Alarm periods.
pub const PERIOD_S: u32 = 300;
/// Page: the API's 5xx responses above this share of its requests in one period …
pub const API_5XX_PERCENT: u32 = 5;
/// … once it answered at least this many (a single failure of two requests pages no one).
pub const API_5XX_MIN_REQUESTS: u32 = 20;
/// Ticket: an API function's p99 duration above this.
pub const API_P99_TARGET_MS: u32 = 2000;
/// Ticket: a consumer's p99 duration above this share of its timeout.
pub const CONSUMER_P99_TARGET_PERCENT: u32 = 50;
/// Ticket: the p99 must stay above its target this many periods in a row.
pub const LATENCY_PERIODS: u32 = 3;

/// A function's p99 duration target, in milliseconds.
pub fn latency_target_ms(f: &Function) -> u32 {
    match f.trigger {
        FnTrigger::Http { .. } => API_P99_TARGET_MS,
        _ => f.timeout_s.unwrap_or(super::DEFAULT_TIMEOUT_S) * 1000 * CONSUMER_P99_TARGET_PERCENT / 100,
    }
}

/// An alarm on one metric dimension: `stat` is a statistic (`Sum`, `Maximum`) or a percentile
/// (`p99`); it fires when `periods` consecutive periods are ≥ `threshold`, and notifies `topic`.
#[allow(clippy::too_many_arguments)]
pub(super) fn metric_alarm(
    description: String,
    namespace: &str,
    metric: &str,
    dim: &str,
    dim_value: V,
    stat: &str,
    threshold: u32,
    periods: u32,
    topic: V,
) -> V {
    let statistic = if stat.starts_with('p') { "ExtendedStatistic" } else { "Statistic" };
    map! {
        "Type" => "AWS::CloudWatch::Alarm",
        "Properties" => map! {
            "AlarmDescription" => description,
            "Namespace" => namespace,
            "MetricName" => metric,
            "Dimensions" => V::List(vec![map! { "Name" => dim, "Value" => dim_value }]),
            statistic => stat,
            "Period" => V::from(PERIOD_S),
            "EvaluationPeriods" => V::from(periods),
            "Threshold" => V::from(threshold),
            "ComparisonOperator" => "GreaterThanOrEqualToThreshold",
            "TreatMissingData" => "notBreaching",
            "AlarmActions" => V::List(vec![topic]),
        },
    }
}

/// An alarm that fires on the first period with a value ≥ 1, notifying `topic`.
pub(super) fn alarm(
    description: String,
    namespace: &str,
    metric: &str,
    dim: &str,
    dim_value: V,
    stat: &str,
    topic: V,
) -> V {
    metric_alarm(description, namespace, metric, dim, dim_value, stat, 1, 1, topic)
}

/// Page: the share of the API's requests answered 5xx (API Gateway's own metrics, which count
/// integration failures and throttles too, not only what the functions answered).
pub(super) fn api_error_rate_alarm(res: &mut V) {
    let metric = |id: &str, name: &str| {
        map! {
            "Id" => id,
            "ReturnData" => false,
            "MetricStat" => map! {
                "Metric" => map! {
                    "Namespace" => "AWS/ApiGateway",
                    "MetricName" => name,
                    "Dimensions" => V::List(vec![map! { "Name" => "ApiId", "Value" => r("HttpApi") }]),
                },
                "Period" => V::from(PERIOD_S),
                "Stat" => "Sum",
            },
        }
    };
    res.push(
        "ApiServerErrorRateAlarm",
        map! {
            "Type" => "AWS::CloudWatch::Alarm",
            "Properties" => map! {
                "AlarmDescription" => format!(
                    "More than {API_5XX_PERCENT}% of the API's requests answered 5xx in {} minutes (at least {API_5XX_MIN_REQUESTS} requests)",
                    PERIOD_S / 60
                ),
                "Metrics" => V::List(vec![
                    metric("errors", "5xx"),
                    metric("requests", "Count"),
                    map! {
                        "Id" => "rate",
                        "Label" => "5xx share of requests (%)",
                        "Expression" => format!("IF(requests >= {API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)"),
                        "ReturnData" => true,
                    },
                ]),
                "EvaluationPeriods" => V::from(1u32),
                "Threshold" => V::from(API_5XX_PERCENT),
                "ComparisonOperator" => "GreaterThanThreshold",
                "TreatMissingData" => "notBreaching",
                "AlarmActions" => V::List(vec![r(PAGE_TOPIC)]),
            },
        },
    );
}

pub(super) fn alarm_resources(res: &mut V) {
    res.push(
        "AlarmKey",
        map! {
            "Type" => "AWS::KMS::Key",
            "Properties" => map! {
                "Description" => "Encrypts the ClearView alarm topics (page and ticket)",
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
    for (topic, tier) in [(PAGE_TOPIC, "page"), (TICKET_TOPIC, "ticket")] {
        res.push(
            topic,
            map! {
                "Type" => "AWS::SNS::Topic",
                "Properties" => map! { "KmsMasterKeyId" => r("AlarmKey"), "DisplayName" => format!("ClearView alarms: {tier}") },
            },
        );
        res.push(
            format!("{topic}Policy"),
            map! {
                "Type" => "AWS::SNS::TopicPolicy",
                "Properties" => map! {
                    "Topics" => V::List(vec![r(topic)]),
                    "PolicyDocument" => policy_doc(vec![deny_insecure("DenyInsecureTransport", "sns:Publish", vec![r(topic)])]),
                },
            },
        );
    }
    // AlarmEmail gets both tiers; a pager or ticketing integration subscribes to one topic.
    for (id, topic) in [("AlarmEmailSubscription", PAGE_TOPIC), ("TicketEmailSubscription", TICKET_TOPIC)] {
        res.push(
            id,
            map! {
                "Type" => "AWS::SNS::Subscription",
                "Condition" => "HasAlarmEmail",
                "Properties" => map! { "TopicArn" => r(topic), "Protocol" => "email", "Endpoint" => r("AlarmEmail") },
            },
        );
    }
    api_error_rate_alarm(res);
}
