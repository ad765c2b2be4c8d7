//! The messaging half of the root stack: the topics, and for each work queue its dead-letter
//! queue, TLS-only policy (with the S3 or SNS grant that feeds it), subscription and depth alarm.

use super::alarms::alarm;
use super::policy::{deny_insecure, policy_doc};
use super::source::Model;
use super::{DEFAULT_TIMEOUT_S, DLQ_RETENTION_S, QUEUE_RETENTION_S, VISIBILITY_FACTOR, pascal};
use crate::cfn::{V, ga, r};
use crate::consumers::{Feed, Trigger};
use crate::map;

pub fn queue_id(q: &str) -> String {
    format!("{}Queue", pascal(q))
}
pub fn dlq_id(q: &str) -> String {
    format!("{}DeadLetterQueue", pascal(q))
}
pub fn topic_id(t: &str) -> String {
    format!("{}Topic", pascal(t))
}

/// The consumer timeout of a queue (its visibility timeout is a multiple of it).
pub(super) fn queue_consumer_timeout(model: &Model, q: &str) -> u32 {
    model
        .consumers
        .iter()
        .find(|c| matches!(c.trigger, Trigger::Sqs { queue, .. } if queue == q))
        .map_or(DEFAULT_TIMEOUT_S, |c| c.timeout_s)
}

pub(super) fn messaging_resources(res: &mut V, model: &Model) {
    for t in &model.topics {
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
    for q in &model.queues {
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
                    "VisibilityTimeout" => V::from(VISIBILITY_FACTOR * queue_consumer_timeout(model, q.name)),
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
        if let Feed::Topic(t, kinds) = q.feed {
            // Only the event kinds the table names reach the queue (SNS filter policy on the
            // `kind` message attribute the publisher sets).
            let prefixes: Vec<V> = kinds.iter().map(|k| map! { "prefix" => *k }).collect();
            res.push(
                format!("{id}Subscription"),
                map! {
                    "Type" => "AWS::SNS::Subscription",
                    "Properties" => map! {
                        "TopicArn" => r(&topic_id(t)),
                        "Protocol" => "sqs",
                        "Endpoint" => ga(&id, "Arn"),
                    }
                    .with(!kinds.is_empty(), "FilterPolicyScope", "MessageAttributes")
                    .with(!kinds.is_empty(), "FilterPolicy", map! { "kind" => V::List(prefixes) }),
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
                r("AlarmTopic"),
            ),
        );
    }
}
