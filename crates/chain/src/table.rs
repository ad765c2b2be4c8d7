//! THE asynchronous-work table: every queue consumer and scheduled job, with its queue (and
//! what feeds it), its schedule, what it may touch, and how it is built from the ports. From it
//! come the queues, dead-letter queues, S3/SNS subscriptions and EventBridge schedules of
//! template.yaml and the CDK app (`cargo xtask gen`), each consumer Lambda's environment and
//! grants, the embedded default's durable queues, workers and cron (`make run`), and the test
//! harness's queues on moto. Adding a consumer is its code, one entry here, and `make gen`.

use crate::alerts::{JobAlertsConsumer, JobAlertsDigest};
use crate::analytics::AnalyticsConsumer;
use crate::community_events::CommunityEventsConsumer;
use crate::consumers::{AnonymizeConsumer, BiasConsumer, EmailConsumer, ParseConsumer, ScoreConsumer};
use crate::interviews::{FeedbackReminders, InterviewInvitesConsumer};
use crate::market::MarketConsumer;
use crate::messages::ConsultantMessagesConsumer;
use crate::platform::PlatformManagerConsumer;
use crate::privacy::PrivacyConsumer;
use crate::reminders::FollowUpReminders;
use crate::reports::{ReportGenerateConsumer, ReportsJob};
use crate::webhooks::WebhooksConsumer;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, Scheduled, WorkQueue};
use std::sync::Arc;

pub use clearview_core::ports::queue::{Feed, QueueDef};

/// What a consumer may touch; its function's IAM policy and its ports come from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// GetItem, Query on the table and its indexes.
    TableRead,
    /// PutItem, DeleteItem, ConditionCheckItem on the table.
    TableWrite,
    /// These cognito-idp admin actions on the user pool.
    UserPoolAdmin(&'static [&'static str]),
    /// s3:DeleteObject and s3:DeleteObjectVersion under this key prefix of the bucket, with
    /// s3:ListBucketVersions on the bucket (to find every version of an object).
    DeleteObjects(&'static str),
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
    /// s3:GetObjectTagging under this key prefix of the bucket: GuardDuty Malware Protection's
    /// scan-status tag (the malware scanner port's AWS adapter).
    ReadScanTags(&'static str),
    /// The self-identification sealing key (`SEALING_KEY`): only granted functions get it.
    SealingKey,
    /// dynamodb:UpdateItem on the table: every route counts its request in its caller's
    /// rate-limit window (`RATE#…` items, one `ADD` each; see clearview_http::ratelimit).
    CountRequests,
    /// The `PLATFORM_ADMIN_EMAILS` setting (the `PlatformAdminEmails` parameter of the stack).
    PlatformAdminEmails,
    /// textract:DetectDocumentText (OCR of scanned resumes; Textract has no resource-level
    /// permissions, so the statement names `*`).
    Ocr,
    /// secretsmanager:CreateSecret, PutSecretValue, TagResource and DeleteSecret on the
    /// deployment's secrets named `<table>/<prefix>*` (see `ports::secrets`).
    WriteSecrets(&'static str),
    /// secretsmanager:GetSecretValue on the deployment's secrets named `<table>/<prefix>*`.
    ReadSecrets(&'static str),
}

/// What starts a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// An SQS event source (partial batch failures) in AWS; a durable local queue's worker in
    /// the embedded default.
    Sqs { queue: &'static str, batch_size: u32, max_batching_window_s: u32 },
    /// An EventBridge schedule (`cron(...)` or `rate(...)`) in AWS; the local cron otherwise.
    Schedule { expression: &'static str },
}

/// How a consumer is made from the ports its needs name.
#[derive(Clone, Copy)]
pub enum Build {
    Queue(fn(&Deps) -> Arc<dyn Consumer>),
    Schedule(fn(&Deps) -> Arc<dyn Scheduled>),
}

impl std::fmt::Debug for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Build::Queue(_) => "Build::Queue",
            Build::Schedule(_) => "Build::Schedule",
        })
    }
}

/// One consumer (or scheduled job) of the table.
#[derive(Debug, Clone, Copy)]
pub struct ConsumerDef {
    /// The function's name (its Lambda handler, logical-id stem and log name).
    pub name: &'static str,
    pub summary: &'static str,
    pub trigger: Trigger,
    pub needs: &'static [Need],
    pub timeout_s: u32,
    pub memory_mb: u32,
    pub build: Build,
}

impl ConsumerDef {
    /// The queue an SQS consumer reads.
    pub fn queue(&self) -> Option<&'static QueueDef> {
        match self.trigger {
            Trigger::Sqs { queue: q, .. } => queue(q),
            Trigger::Schedule { .. } => None,
        }
    }

    /// The queues it may send to (and its own, whose dead-letter queue it writes).
    pub fn send_queues(&self) -> Vec<WorkQueue> {
        let mut out: Vec<WorkQueue> = self.queue().map(|q| q.queue()).into_iter().collect();
        for n in self.needs {
            if let Need::SendTo(q) = n
                && let Some(def) = queue(q)
            {
                out.push(def.queue());
            }
        }
        out
    }

    pub fn needs(&self, need: Need) -> bool {
        self.needs.contains(&need)
    }

    pub fn publishes(&self) -> bool {
        self.needs.iter().any(|n| matches!(n, Need::Publish(_)))
    }

    pub fn uses_objects(&self) -> bool {
        self.needs.iter().any(|n| {
            matches!(n, Need::ReadObjects(_) | Need::WriteObjects(_) | Need::DeleteObjects(_) | Need::ReadScanTags(_))
        })
    }
}

/// Environment variable names the chain's adapters read (`clearview_aws::config::env`).
pub mod env {
    pub const RESUME_BUCKET: &str = "RESUME_BUCKET";
    pub const EVENTS_TOPIC_ARN: &str = "EVENTS_TOPIC_ARN";
    /// The sealing key itself (`clearview_functions::SEALING_KEY`).
    pub const SEALING_KEY: &str = "SEALING_KEY";
    /// Who may register as the first platform admins (comma-separated emails).
    pub const PLATFORM_ADMIN_EMAILS: &str = "PLATFORM_ADMIN_EMAILS";

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
    /// Non-profits' downloadable offering resources (presigned uploads; no consumer reads them).
    pub const RESOURCES: &str = "resources/";
    /// Personal-data export archives (the `privacy` consumer writes them; links are presigned).
    pub const EXPORTS: &str = clearview_core::services::privacy::EXPORTS_PREFIX;
    /// Older versions of overwritten or deleted objects are kept this long.
    pub const NONCURRENT_DAYS: u32 = 30;
    /// Generated reports expire.
    pub const REPORT_DAYS: u32 = 365;
    /// Export archives expire (their requests then say `expired`; the daily `retention` run
    /// does the same in the embedded default).
    pub const EXPORT_DAYS: u32 = clearview_core::services::privacy::EXPORT_DAYS;
}

pub const APPLICATION_EVENTS: &str = "application-events";
/// Topics the stack declares (SSE with the AWS-managed SNS key, TLS-only publish).
pub const TOPICS: &[&str] = &[APPLICATION_EVENTS];

/// Every queue (each gets a dead-letter queue). Exactly one consumer reads each.
pub const QUEUES: &[QueueDef] = &[
    QueueDef { name: "parse", feed: Feed::ObjectCreated(bucket::UPLOADS), max_receive_count: 5 },
    QueueDef { name: "anonymize", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "score", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "bias", feed: Feed::Functions, max_receive_count: 5 },
    QueueDef { name: "email", feed: Feed::Topic(APPLICATION_EVENTS, &["application."]), max_receive_count: 5 },
    QueueDef {
        name: "job-alerts",
        feed: Feed::Topic(APPLICATION_EVENTS, &[crate::alerts::JOB_PUBLISHED]),
        max_receive_count: 5,
    },
    QueueDef {
        name: "interview-invites",
        feed: Feed::Topic(APPLICATION_EVENTS, &[crate::interviews::EVENTS]),
        max_receive_count: 5,
    },
    QueueDef {
        name: "consultant-messages",
        feed: Feed::Topic(APPLICATION_EVENTS, &[crate::messages::EVENTS]),
        max_receive_count: 5,
    },
    QueueDef { name: "report-requests", feed: Feed::Functions, max_receive_count: 3 },
    QueueDef { name: "model-shadow-runs", feed: Feed::Functions, max_receive_count: 3 },
    QueueDef { name: "privacy", feed: Feed::Functions, max_receive_count: 8 },
    QueueDef {
        name: "platform-manager",
        feed: Feed::Topic(APPLICATION_EVENTS, crate::platform::EVENTS),
        max_receive_count: 8,
    },
    QueueDef {
        name: "community-events",
        feed: Feed::Topic(APPLICATION_EVENTS, crate::community_events::EVENTS),
        max_receive_count: 5,
    },
    QueueDef {
        name: "analytics",
        feed: Feed::Topic(APPLICATION_EVENTS, clearview_core::services::analytics::EVENT_PREFIXES),
        max_receive_count: 5,
    },
    QueueDef {
        name: "integration-sync",
        feed: Feed::Topic(APPLICATION_EVENTS, crate::integrations::EVENTS),
        max_receive_count: 5,
    },
    QueueDef { name: "webhooks", feed: Feed::Topic(APPLICATION_EVENTS, crate::webhooks::EVENTS), max_receive_count: 5 },
    QueueDef {
        name: "retention-index",
        feed: Feed::Topic(APPLICATION_EVENTS, crate::retention::EVENTS),
        max_receive_count: 5,
    },
    QueueDef {
        name: "career-market",
        feed: Feed::Topic(APPLICATION_EVENTS, clearview_core::services::market::EVENTS),
        max_receive_count: 5,
    },
];

use Need::*;

pub const CONSUMERS: &[ConsumerDef] = &[
    ConsumerDef {
        name: "parse",
        summary: "Scan an uploaded resume for malware (GuardDuty tag; ClamAV locally), extract and structure it (scans read by OCR); enqueue anonymization",
        trigger: Trigger::Sqs { queue: "parse", batch_size: 5, max_batching_window_s: 0 },
        needs: &[
            TableRead,
            TableWrite,
            ReadObjects(bucket::UPLOADS),
            ReadScanTags(bucket::UPLOADS),
            // Itself: a parse that finds the scan unfinished asks again after a short wait.
            SendTo("parse"),
            SendTo("anonymize"),
            Publish(APPLICATION_EVENTS),
            Ocr,
        ],
        timeout_s: 60,
        memory_mb: 1024,
        build: Build::Queue(|d| Arc::new(ParseConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "anonymize",
        summary: "Strip protected attributes from the parsed profile; enqueue scoring",
        trigger: Trigger::Sqs { queue: "anonymize", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("score")],
        timeout_s: 30,
        memory_mb: 512,
        build: Build::Queue(|d| Arc::new(AnonymizeConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "score",
        summary: "Score the anonymized profile against the job's criteria; enqueue the bias check",
        trigger: Trigger::Sqs { queue: "score", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("bias")],
        timeout_s: 30,
        memory_mb: 512,
        build: Build::Queue(|d| Arc::new(ScoreConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "bias",
        summary: "Counterfactual bias check of the score; publish the application event",
        trigger: Trigger::Sqs { queue: "bias", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Publish(APPLICATION_EVENTS)],
        timeout_s: 30,
        memory_mb: 512,
        build: Build::Queue(|d| Arc::new(BiasConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "email",
        summary: "Send the notification an application event calls for (once per event)",
        trigger: Trigger::Sqs { queue: "email", batch_size: 10, max_batching_window_s: 5 },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 30,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(EmailConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "reports",
        summary: "Queue a report for every report schedule that has come due (POST /api/reports/schedule) and move each to its next run",
        trigger: Trigger::Schedule { expression: "cron(* * * * ? *)" },
        needs: &[TableRead, TableWrite, SendTo("report-requests")],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(ReportsJob(d.clone()))),
    },
    ConsumerDef {
        name: "job-alerts",
        summary: "Record which candidates' job alerts a published job matches (alerts indexed by token; once per job)",
        trigger: Trigger::Sqs { queue: "job-alerts", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(JobAlertsConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "job-alerts-digest",
        summary: "Daily: mail each candidate one digest of the jobs that matched their alerts (at most one a day)",
        trigger: Trigger::Schedule { expression: "cron(0 7 * * ? *)" },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 300,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(JobAlertsDigest(d.clone()))),
    },
    ConsumerDef {
        name: "follow-up-reminders",
        summary: "Every 5 minutes: email each follow-up reminder that has come due to the staff member who set it",
        trigger: Trigger::Schedule { expression: "rate(5 minutes)" },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 120,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(FollowUpReminders(d.clone()))),
    },
    ConsumerDef {
        name: "interview-invites",
        summary: "Mail the candidate and each interviewer an interview's RFC 5545 invite or cancellation (once per event and person)",
        trigger: Trigger::Sqs { queue: "interview-invites", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(InterviewInvitesConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "interview-feedback-reminders",
        summary: "Hourly: remind each interviewer who has sent no feedback 24 hours after their interview ended (once)",
        trigger: Trigger::Schedule { expression: "cron(5 * * * ? *)" },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 300,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(FeedbackReminders(d.clone()))),
    },
    ConsumerDef {
        name: "onboarding-overdue",
        summary: "Daily: mail the assignee of every onboarding task past its due date (once per task)",
        trigger: Trigger::Schedule { expression: "cron(0 7 * * ? *)" },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 300,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(crate::onboarding::OnboardingOverdue(d.clone()))),
    },
    ConsumerDef {
        name: "consultant-messages",
        summary: "Mail the other side of a DEI consultant thread about a new message (once per message and person)",
        trigger: Trigger::Sqs { queue: "consultant-messages", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(ConsultantMessagesConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "report-generate",
        summary: "Render a requested report (PDF with charts, CSV or JSON) to the bucket, mark it completed or failed, mail the requester a link, and publish report.ready (ids and the download route) for the organisation's webhooks",
        trigger: Trigger::Sqs { queue: "report-requests", batch_size: 1, max_batching_window_s: 0 },
        needs: &[
            TableRead,
            TableWrite,
            WriteObjects(bucket::REPORTS),
            ReadObjects(bucket::REPORTS),
            Mail,
            Publish(APPLICATION_EVENTS),
        ],
        timeout_s: 300,
        memory_mb: 1024,
        build: Build::Queue(|d| Arc::new(ReportGenerateConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "model-shadow-run",
        summary: "Score a shadow run's applications with the active and the candidate scoring versions (no effect on them) and store the comparison: agreement, score shifts, LL144 impact ratios and counterfactual checks under each",
        trigger: Trigger::Sqs { queue: "model-shadow-runs", batch_size: 1, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite],
        timeout_s: 300,
        memory_mb: 1024,
        build: Build::Queue(|d| Arc::new(crate::models::ShadowRunConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "analytics",
        summary: "Add each application event to the organisation's daily analytics counters (once per event: its marker is written with the counts)",
        trigger: Trigger::Sqs { queue: "analytics", batch_size: 10, max_batching_window_s: 5 },
        needs: &[TableRead, TableWrite],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(AnalyticsConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "career-market",
        summary: "Add each posting and application to the market-insight counters and the candidate's applications counter (once per event: its marker is written with the counts)",
        trigger: Trigger::Sqs { queue: "career-market", batch_size: 10, max_batching_window_s: 5 },
        needs: &[TableRead, TableWrite],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(MarketConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "platform-manager",
        summary: "On offering.created: record the non-profit's offering and, for a PENDING non-profit, complete it, place it in a community and assign the next leader in turn under the cap (or queue it and tell platform admins); on nonprofit.leader_assigned: welcome email, introductory and monthly community meeting invites (once each)",
        trigger: Trigger::Sqs { queue: "platform-manager", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Mail, Publish(APPLICATION_EVENTS)],
        timeout_s: 120,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(PlatformManagerConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "community-events",
        summary: "On community_event.rsvp: mail the person the event's RFC 5545 invite (going, METHOD:REQUEST) or its cancellation (not going, METHOD:CANCEL); on community_event.changed: mail everyone going the invite with the raised SEQUENCE (once per event and person)",
        trigger: Trigger::Sqs { queue: "community-events", batch_size: 10, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, Mail],
        timeout_s: 120,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(CommunityEventsConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "webhooks",
        summary: "Fan each application event out to the organisation's webhook subscriptions, and POST each delivery signed (HMAC-SHA256 over timestamp.body); a failed attempt is re-sent with a growing delay (30 s to 15 min, about 5 hours in all), then dead-lettered with the reason; every attempt is logged",
        trigger: Trigger::Sqs { queue: "webhooks", batch_size: 5, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("webhooks"), SealingKey],
        timeout_s: 120,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(WebhooksConsumer::new(d.clone()))),
    },
    ConsumerDef {
        name: "integration-sync",
        summary: "Sync a job board (on demand, hourly, and when a job is published): record each job's state on the board (pending, active, paused, failed with the reason), take off jobs no longer open, and record the run's outcome; on job.paused and job.closed, mark the job paused or take it off each board at once",
        trigger: Trigger::Sqs { queue: "integration-sync", batch_size: 5, max_batching_window_s: 0 },
        needs: &[TableRead, TableWrite, SendTo("integration-sync")],
        timeout_s: 300,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(crate::integrations::IntegrationSyncConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "integration-sync-schedule",
        summary: "Hourly: queue a sync of every enabled job board (all tenants, from the job-board index)",
        trigger: Trigger::Schedule { expression: "cron(15 * * * ? *)" },
        needs: &[TableRead, SendTo("integration-sync")],
        timeout_s: 120,
        memory_mb: 256,
        build: Build::Schedule(|d| Arc::new(crate::integrations::IntegrationSyncSchedule(d.clone()))),
    },
    ConsumerDef {
        name: "privacy",
        summary: "Run a personal-data request: build a candidate's export archive (JSON and the original files) or erase them from every store (items, every object version, the account, held mail), leaving an audit tombstone and publishing candidate.erased",
        trigger: Trigger::Sqs { queue: "privacy", batch_size: 1, max_batching_window_s: 0 },
        needs: &[
            TableRead,
            TableWrite,
            ReadObjects(bucket::UPLOADS),
            DeleteObjects(bucket::UPLOADS),
            DeleteObjects(bucket::EXPORTS),
            WriteObjects(bucket::EXPORTS),
            UserPoolAdmin(&["AdminDeleteUser"]),
            Publish(APPLICATION_EVENTS),
        ],
        timeout_s: 300,
        memory_mb: 1024,
        build: Build::Queue(|d| Arc::new(PrivacyConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "retention-index",
        summary: "Index the facts that start a retention rule's clock (each rejection by its time; each candidate's last activity per organisation), so the daily run reads what is due by range",
        trigger: Trigger::Sqs { queue: "retention-index", batch_size: 10, max_batching_window_s: 5 },
        needs: &[TableRead, TableWrite],
        timeout_s: 60,
        memory_mb: 256,
        build: Build::Queue(|d| Arc::new(crate::retention::RetentionIndexConsumer(d.clone()))),
    },
    ConsumerDef {
        name: "retention",
        summary: "Daily: enforce every organisation's retention rules (from the retention.rules index): delete the resumes of applications rejected longer ago than rejectedResumeDays (every object version) and erase from the organisation candidates inactive longer than inactiveCandidateMonths; audited as system:retention",
        trigger: Trigger::Schedule { expression: "cron(30 3 * * ? *)" },
        needs: &[
            TableRead,
            TableWrite,
            DeleteObjects(bucket::UPLOADS),
            DeleteObjects(bucket::EXPORTS),
            Publish(APPLICATION_EVENTS),
        ],
        timeout_s: 900,
        memory_mb: 512,
        build: Build::Schedule(|d| Arc::new(crate::retention::RetentionJob(d.clone()))),
    },
];

/// A queue's definition by name.
pub fn queue(name: &str) -> Option<&'static QueueDef> {
    QUEUES.iter().find(|q| q.name == name)
}

/// A consumer by its function name.
pub fn by_name(name: &str) -> Option<&'static ConsumerDef> {
    CONSUMERS.iter().find(|c| c.name == name)
}

/// The queue consumers built over `deps`, with their definitions.
pub fn queue_consumers(deps: &Deps) -> Vec<(&'static ConsumerDef, Arc<dyn Consumer>)> {
    CONSUMERS
        .iter()
        .filter_map(|c| match c.build {
            Build::Queue(make) => Some((c, make(deps))),
            Build::Schedule(_) => None,
        })
        .collect()
}

/// The scheduled jobs built over `deps`, with their definitions.
pub fn scheduled(deps: &Deps) -> Vec<(&'static ConsumerDef, Arc<dyn Scheduled>)> {
    CONSUMERS
        .iter()
        .filter_map(|c| match c.build {
            Build::Schedule(make) => Some((c, make(deps))),
            Build::Queue(_) => None,
        })
        .collect()
}

/// Queues a topic subscription feeds, for an event of `kind` (the SNS filter policy locally).
pub fn subscribers(topic: &str, kind: &str) -> Vec<WorkQueue> {
    QUEUES
        .iter()
        .filter(|q| matches!(q.feed, Feed::Topic(t, _) if t == topic) && q.accepts_event(kind))
        .map(QueueDef::queue)
        .collect()
}

/// Queues fed by object-created notifications for `key`.
pub fn object_created_queues(key: &str) -> Vec<WorkQueue> {
    QUEUES
        .iter()
        .filter(|q| matches!(q.feed, Feed::ObjectCreated(prefix) if key.starts_with(prefix)))
        .map(QueueDef::queue)
        .collect()
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
                assert!(matches!(c.build, Build::Queue(_)), "{} reads a queue but is built as a schedule", c.name);
            } else {
                assert!(matches!(c.build, Build::Schedule(_)), "{} is scheduled but built as a queue consumer", c.name);
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
    fn every_queue_has_exactly_one_consumer() {
        for q in QUEUES {
            let readers =
                CONSUMERS.iter().filter(|c| matches!(c.trigger, Trigger::Sqs { queue, .. } if queue == q.name)).count();
            assert_eq!(readers, 1, "queue {}", q.name);
        }
    }

    #[test]
    fn the_chain_constants_name_table_queues() {
        for q in [WorkQueue::PARSE, WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS, WorkQueue::EMAIL] {
            assert!(queue(q.name()).is_some(), "{q}");
        }
    }

    #[test]
    fn application_events_reach_the_email_queue_and_uploads_reach_parse() {
        assert_eq!(
            subscribers(APPLICATION_EVENTS, "application.received"),
            vec![
                WorkQueue::EMAIL,
                crate::analytics::QUEUE,
                crate::webhooks::QUEUE,
                crate::retention::QUEUE,
                crate::market::QUEUE
            ]
        );
        assert_eq!(subscribers(APPLICATION_EVENTS, "report.ready"), vec![crate::webhooks::QUEUE]);
        assert_eq!(
            subscribers(APPLICATION_EVENTS, "job.published"),
            vec![
                crate::alerts::QUEUE,
                crate::analytics::QUEUE,
                crate::integrations::QUEUE,
                crate::webhooks::QUEUE,
                crate::market::QUEUE
            ]
        );
        assert_eq!(object_created_queues("uploads/o/a/f"), vec![WorkQueue::PARSE]);
        assert!(object_created_queues("reports/x.pdf").is_empty());
    }
}
