//! The route table as data, for tools outside Rust: the CDK app reads it (infra/manifest.json,
//! written by `cargo xtask gen`) and the drift tests compare template.yaml against it.

use crate::routes::{Access, Grant, ROUTES};
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RouteEntry {
    pub name: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    /// `public` (no authorizer) or `jwt`.
    pub auth: &'static str,
    pub permission: Option<&'static str>,
    pub table: &'static str,
    pub user_pool_admin_actions: Vec<&'static str>,
    /// sns:Publish on the application-events topic.
    pub publish_events: bool,
    /// Work queues (by name) the function sends to.
    pub send_queues: Vec<&'static str>,
    /// `none`, `read` (presign downloads) or `write` (presign uploads) on the resumes bucket.
    pub resumes: &'static str,
    /// Reads the secret that seals voluntary self-identification.
    pub sealing_key: bool,
}

pub fn routes() -> Vec<RouteEntry> {
    ROUTES
        .iter()
        .map(|r| {
            let table = if r.grants.contains(&Grant::TableWrite) {
                "write"
            } else if r.grants.contains(&Grant::TableRead) {
                "read"
            } else {
                "none"
            };
            let mut admin: Vec<&'static str> = r
                .grants
                .iter()
                .flat_map(|g| match g {
                    Grant::UserPoolAdmin(a) => a.to_vec(),
                    _ => Vec::new(),
                })
                .collect();
            admin.sort_unstable();
            admin.dedup();
            RouteEntry {
                name: r.name,
                method: r.method,
                path: r.path,
                auth: if r.access == Access::Public { "public" } else { "jwt" },
                permission: match r.access {
                    Access::Staff(Some(p)) | Access::Member(Some(p)) => Some(p.name()),
                    _ => None,
                },
                table,
                user_pool_admin_actions: admin,
                publish_events: r.grants.contains(&Grant::PublishEvents),
                send_queues: r
                    .grants
                    .iter()
                    .filter_map(|g| match g {
                        Grant::SendQueue(q) => Some(*q),
                        _ => None,
                    })
                    .collect(),
                resumes: if r.grants.contains(&Grant::ResumesWrite) {
                    "write"
                } else if r.grants.contains(&Grant::ResumesRead) {
                    "read"
                } else {
                    "none"
                },
                sealing_key: r.grants.contains(&Grant::SealingKey),
            }
        })
        .collect()
}
