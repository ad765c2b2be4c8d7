//! The processing chain's infrastructure as data: the resume bucket, the queues (each with a
//! dead-letter queue), the application-events topic, and the queue/schedule consumers.
//!
//! This list is the stand-in for a `consumers` table next to `ROUTES` in `crates/http`. A
//! consumer is `wired()` once `cargo xtask gen` generates its binary (`functions::names()`); until
//! then its queue, DLQ, alarms and feeds are declared but its function, event source and
//! schedule are not (a template naming a missing binary could not be built).

/// What a function may touch beyond the route table's grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// GetItem, Query on the table and its indexes.
    TableRead,
    /// PutItem, DeleteItem, ConditionCheckItem on the table.
    TableWrite,
    /// These cognito-idp admin actions on the user pool.
    UserPoolAdmin(&'static [&'static str]),
    /// ses:SendEmail from the stack's mail identity.
    Mail,
    /// sqs:SendMessage to the named queue.
    SendTo(&'static str),
    /// sns:Publish to the named topic.
    Publish(&'static str),
    /// s3:GetObject under this key prefix of the bucket.
    ReadObjects(&'static str),
    /// s3:PutObject under this key prefix of the bucket.
    WriteObjects(&'static str),
    /// The self-identification sealing key, resolved into `SEALING_KEY` at deploy time (the
    /// functions read it from the environment, like `CURSOR_SECRET`): only granted functions get it.
    SealingKey,
}

/// What feeds a queue besides functions sending to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// Only functions (a [`Need::SendTo`]).
    Functions,
    /// S3 `ObjectCreated` notifications for keys under this prefix of the bucket.
    ObjectCreated(&'static str),
    /// An SQS subscription to this topic (SNS envelope, not raw).
    Topic(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct QueueDef {
    pub name: &'static str,
    pub feed: Feed,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An SQS event source reporting partial batch failures.
    Sqs { queue: &'static str, batch_size: u32, max_batching_window_s: u32 },
    /// An EventBridge schedule (`cron(...)` or `rate(...)`).
    Schedule { expression: &'static str },
}

#[derive(Debug, Clone, Copy)]
pub struct Consumer {
    pub name: &'static str,
    pub summary: &'static str,
    pub trigger: Trigger,
    pub needs: &'static [Need],
    pub timeout_s: u32,
    pub memory_mb: u32,
}

impl Consumer {
    /// Its binary exists: `cargo xtask gen` generates one for it (see the module comment).
    pub fn wired(&self) -> bool {
        crate::functions::names().contains(&self.name)
    }
}

/// Environment variable names the chain's adapters read (`clearview_aws::config::env`).
pub mod env {
    pub const RESUME_BUCKET: &str = "RESUME_BUCKET";
    pub const EVENTS_TOPIC_ARN: &str = "EVENTS_TOPIC_ARN";
    /// The sealing key itself (`clearview_functions::SEALING_KEY`).
    pub const SEALING_KEY: &str = "SEALING_KEY";

    /// `parse` → `PARSE_QUEUE_URL`.
    pub fn queue_url(queue: &str) -> String {
        format!("{}_QUEUE_URL", queue.to_uppercase().replace('-', "_"))
    }

    /// `parse` → `PARSE_DLQ_URL`.
    pub fn dlq_url(queue: &str) -> String {
        format!("{}_DLQ_URL", queue.to_uppercase().replace('-', "_"))
    }
}

/// The bucket: resumes uploaded with presigned PUTs under `uploads/`, reports under `reports/`.
pub mod bucket {
    pub const UPLOADS: &str = "uploads/";
    pub const REPORTS: &str = "reports/";
    /// Older versions of overwritten or deleted objects are kept this long.
    pub const NONCURRENT_DAYS: u32 = 30;
    /// Generated reports expire.
    pub const REPORT_DAYS: u32 = 365;
}

pub const APPLICATION_EVENTS: &str = "application-events";
/// Topics the stack declares (SSE with the AWS-managed SNS key, TLS-only publish).
pub const TOPICS: &[&str] = &[APPLICATION_EVENTS];

/// One per `clearview_core::ports::queue::WorkQueue` (a test keeps the two in step).
pub const QUEUES: &[QueueDef] = &[
    QueueDef { name: "parse", feed: Feed::ObjectCreated(bucket::UPLOADS), max_receive_count: 5 },
    QueueDef { name: "anonymize", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "score", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "bias", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "email", feed: Feed::Topic(APPLICATION_EVENTS), max_receive_count: 5 },
];

use Need::*;

pub const CONSUMERS: &[Consumer] = &[
    Consumer {
        name: "parse",
        summary: "Extract and structure an uploaded resume; enqueue anonymization",
        trigger: Trigger::Sqs { queue: "parse", batch_size: 5, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, ReadObjects(bucket::UPLOADS), SendTo("anonymize"), Publish(APPLICATION_EVENTS)],
        timeout_s: 60,
        memory_mb: 1024,
    },
    Consumer {
        name: "anonymize",
        summary: "Strip protected attributes from the parsed profile; enqueue scoring",
        trigger: Trigger::Sqs { queue: "anonymize", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("score")],
        timeout_s: 30,
        memory_mb: 512,
    },
    Consumer {
        name: "score",
        summary: "Score the anonymized profile against the job's criteria; enqueue the bias check",
        trigger: Trigger::Sqs { queue: "score", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("bias")],
        timeout_s: 30,
        memory_mb: 512,
    },
    Consumer {
        name: "bias",
        summary: "Counterfactual bias check of the score; publish the application event",
        trigger: Trigger::Sqs { queue: "bias", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Publish(APPLICATION_EVENTS)],
        timeout_s: 30,
        memory_mb: 512,
    },
    Consumer {
        name: "email",
        summary: "Send the notification an application event calls for (once per event)",
        trigger: Trigger::Sqs { queue: "email", batch_size: 10, max_batching_window_s: 5 },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 30,
        memory_mb: 256,
    },
    Consumer {
        name: "reports",
        summary: "Weekly hiring and bias-audit report to S3, emailed as a link",
        trigger: Trigger::Schedule { expression: "cron(0 6 ? * MON *)" },
        needs: &[TableRead, WriteObjects(bucket::REPORTS), ReadObjects(bucket::REPORTS), Mail],
        timeout_s: 300,
        memory_mb: 1024,
    },
];

/// A queue's definition by name.
pub fn queue(name: &str) -> Option<&'static QueueDef> {
    QUEUES.iter().find(|q| q.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sqs_consumer_reads_a_declared_queue_and_sends_only_to_declared_queues() {
        for c in CONSUMERS {
            if let Trigger::Sqs { queue: q, batch_size, .. } = c.trigger {
                assert!(queue(q).is_some(), "{} reads undeclared queue {q}", c.name);
                assert!((1..=10).contains(&batch_size), "{}", c.name);
            }
            for n in c.needs {
                match n {
                    SendTo(q) => assert!(queue(q).is_some(), "{} sends to undeclared queue {q}", c.name),
                    Publish(t) => assert!(TOPICS.contains(t), "{} publishes to undeclared topic {t}", c.name),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn queues_are_the_core_work_queues() {
        use clearview_core::ports::queue::WorkQueue;
        let core: Vec<&str> = WorkQueue::ALL.iter().map(|q| q.name()).collect();
        let here: Vec<&str> = QUEUES.iter().map(|q| q.name).collect();
        assert_eq!(here, core);
    }

    #[test]
    fn every_queue_has_exactly_one_consumer() {
        for q in QUEUES {
            let readers =
                CONSUMERS.iter().filter(|c| matches!(c.trigger, Trigger::Sqs { queue, .. } if queue == q.name)).count();
            assert_eq!(readers, 1, "queue {}", q.name);
        }
    }
}
