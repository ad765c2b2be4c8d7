//! Where infra reads its inputs: the route table, the consumer table, the queues and topics. These
//! adapters are the only code that knows those tables' shapes; everything else takes a [`Model`],
//! so tests can hand the generators a synthetic API of any size.

use crate::consumers::{self, CONSUMERS, Need, QUEUES, QueueDef, TOPICS, Trigger, bucket};
use clearview_core::ports::secrets::INTEGRATION_SECRETS;
use clearview_http::routes::{Access, Grant, ROUTES};

/// What infra needs to know about one route.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    /// The function's name (`jobs-create`): its handler and the stem of its logical ids.
    pub name: String,
    pub method: String,
    /// API Gateway syntax (`/api/jobs/{id}`); its first segment after `/api/` is its area.
    pub path: String,
    /// No authorizer.
    pub public: bool,
    /// The permission the handler checks (documentation in the manifest; not enforced by IAM).
    pub permission: Option<String>,
    pub summary: String,
    pub needs: Vec<Need>,
}

/// What infra needs to know about one queue or schedule consumer.
#[derive(Debug, Clone)]
pub struct ConsumerInfo {
    pub name: String,
    pub summary: String,
    pub trigger: Trigger,
    pub needs: Vec<Need>,
    pub memory_mb: u32,
    pub timeout_s: u32,
    /// Its handler is in the bootstrap (every consumer of the real table is); the preview and
    /// synthetic models may declare unwired ones.
    pub wired: bool,
}

/// Everything the generators turn into stacks.
#[derive(Debug, Clone)]
pub struct Model {
    pub routes: Vec<RouteInfo>,
    pub consumers: Vec<ConsumerInfo>,
    pub queues: Vec<QueueDef>,
    pub topics: Vec<&'static str>,
}

impl Model {
    /// The real API: the route table and the consumer table.
    pub fn current() -> Self {
        Model { routes: routes(), consumers: consumers(), queues: QUEUES.to_vec(), topics: TOPICS.to_vec() }
    }
}

/// What a route's function needs: its grants, and the rate-limit counter every route writes.
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
            Grant::ResumeScanTags => Need::ReadScanTags(bucket::UPLOADS),
            Grant::ReportsRead => Need::ReadObjects(bucket::REPORTS),
            Grant::ResourcesWrite => Need::WriteObjects(bucket::RESOURCES),
            Grant::ResourcesRead => Need::ReadObjects(bucket::RESOURCES),
            Grant::SealingKey => Need::SealingKey,
            Grant::PlatformAdminEmails => Need::PlatformAdminEmails,
            Grant::ExportsRead => Need::ReadObjects(bucket::EXPORTS),
            Grant::ResumesDelete => Need::DeleteObjects(bucket::UPLOADS),
            Grant::Ocr => Need::Ocr,
            Grant::IntegrationSecretsWrite => Need::WriteSecrets(INTEGRATION_SECRETS),
            Grant::IntegrationSecretsRead => Need::ReadSecrets(INTEGRATION_SECRETS),
        })
        .chain([Need::CountRequests])
        .collect()
}

/// The route table, as infra sees it.
pub fn routes() -> Vec<RouteInfo> {
    ROUTES
        .iter()
        .map(|rt| RouteInfo {
            name: rt.name.to_owned(),
            method: rt.method.to_owned(),
            path: rt.path.to_owned(),
            public: rt.access == Access::Public,
            permission: match rt.access {
                Access::Staff(Some(p)) | Access::Member(Some(p)) => Some(p.name().to_owned()),
                _ => None,
            },
            summary: rt.summary.to_owned(),
            needs: route_needs(rt.grants),
        })
        .collect()
}

/// The consumer table, as infra sees it.
pub fn consumers() -> Vec<ConsumerInfo> {
    CONSUMERS
        .iter()
        .map(|c| ConsumerInfo {
            name: c.name.to_owned(),
            summary: c.summary.to_owned(),
            trigger: c.trigger,
            needs: c.needs.to_vec(),
            memory_mb: c.memory_mb,
            timeout_s: c.timeout_s,
            wired: true,
        })
        .collect()
}
