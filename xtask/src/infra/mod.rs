//! The infrastructure as data, from the route table, the consumer table and the table definition;
//! and the files rendered from it: template.yaml (the SAM root stack), one nested SAM template per
//! API area under infra/sam/, and infra/manifest.json (read by the CDK app, which builds the same
//! root and nested stacks).
//!
//! Every function's IAM policy is computed here once ([`policy::statements`]) from what it needs;
//! the SAM templates and the CDK app only map the symbolic resources to ARNs. The generators take
//! a [`Model`] (the real one is [`Model::current`]), so tests can size stacks for a bigger API.

pub mod alarms;
pub mod api;
pub mod functions;
mod identity;
mod manifest;
pub mod messaging;
pub mod nested;
pub mod policy;
mod root;
pub mod source;
mod storage;

pub use functions::{EnvValue, FnTrigger, Function, area_of, extra_env, functions_of};
pub use messaging::{dlq_id, queue_id, topic_id};
pub use nested::{NestedStack, Shared, expanded_resource_count};
pub use policy::{Statement, Target, statements};
pub use source::{ConsumerInfo, Model, RouteInfo};

use crate::cfn::V;
use std::path::PathBuf;

/// Defaults every function gets unless it says otherwise.
pub const RUNTIME: &str = "provided.al2023";
pub const DEFAULT_MEMORY_MB: u32 = 256;
/// API Gateway gives up on an integration after 30 s; routes answer well within 10.
pub const DEFAULT_TIMEOUT_S: u32 = 10;
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;
/// A queue's visibility timeout is this many times its consumer's timeout (AWS guidance: 6).
pub const VISIBILITY_FACTOR: u32 = 6;
pub const QUEUE_RETENTION_S: u32 = 4 * 24 * 3600;
pub const DLQ_RETENTION_S: u32 = 14 * 24 * 3600;
/// Cursors are sealed with this secret (≥ 32 bytes required by `CursorKey`).
pub const CURSOR_SECRET_LENGTH: u32 = 64;
/// Headers the SPA may send and read (CORS).
pub const CORS_ALLOW_HEADERS: &[&str] =
    &["authorization", "content-type", "if-match", "idempotency-key", "x-correlation-id"];
pub const CORS_EXPOSE_HEADERS: &[&str] = &["etag", "location", "x-correlation-id"];
pub const CORS_MAX_AGE_S: u32 = 600;
/// Headers a browser sends with a presigned PUT (S3 CORS).
pub const UPLOAD_ALLOW_HEADERS: &[&str] = &["content-type", "content-md5", "x-amz-*"];
/// Cognito token lifetimes.
pub const ACCESS_TOKEN_HOURS: u32 = 1;
pub const REFRESH_TOKEN_DAYS: u32 = 30;
/// The mobile app's sign-in callback and sign-out URLs (its custom scheme), registered on the
/// app client beside the SPA's `${SpaOrigin}/auth/callback` and `${SpaOrigin}/`; the dev
/// server's hosted-UI stand-in allows the same (crates/devserver/src/hosted_ui.rs).
pub const MOBILE_CALLBACK_URL: &str = "clearview://auth/callback";
pub const MOBILE_LOGOUT_URL: &str = "clearview://signed-out";
/// The app client may read these attributes and write only `WRITE_ATTRIBUTES` (never org_id).
pub const READ_ATTRIBUTES: &[&str] = &["email", "email_verified", "custom:org_id"];
pub const WRITE_ATTRIBUTES: &[&str] = &["email"];

/// The cursor secret's variable name: `clearview_functions::CURSOR_SECRET` (functions is not a
/// dependency of xtask; tests/tests/api/infra_drift.rs checks the two agree).
pub const CURSOR_SECRET_ENV: &str = "CURSOR_SECRET";

/// `jobs-create` → `JobsCreate`.
pub fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// A whole generated infrastructure: the nested stacks and the SAM templates.
#[derive(Debug)]
pub struct Infra {
    pub stacks: Vec<NestedStack>,
    /// template.yaml.
    pub root: V,
    /// One per stack, in the same order.
    pub nested: Vec<V>,
    manifest: V,
}

impl Infra {
    /// Plans the nested stacks of a model and renders every template.
    pub fn of(model: &Model, all_consumers: bool) -> Self {
        let mut pairs = Vec::new();
        let mut nested = Vec::new();
        for stack in nested::plan(functions_of(model, all_consumers)) {
            let (t, refs) = nested::nested_template(&stack);
            nested.push(t);
            pairs.push((stack, refs));
        }
        let root = root::root_template(model, &pairs);
        let stacks: Vec<NestedStack> = pairs.into_iter().map(|(s, _)| s).collect();
        let manifest = manifest::manifest_of(model, &stacks);
        Infra { stacks, root, nested, manifest }
    }

    /// The real API (wired consumers only; every consumer with `all_consumers`).
    pub fn current(all_consumers: bool) -> Self {
        Infra::of(&Model::current(), all_consumers)
    }

    /// Every SAM template with its path relative to the repository root, the root first.
    pub fn templates(&self) -> Vec<(PathBuf, &V)> {
        std::iter::once((PathBuf::from("template.yaml"), &self.root))
            .chain(self.stacks.iter().map(|s| s.file()).zip(&self.nested))
            .collect()
    }

    /// The SAM templates, rendered.
    pub fn sam_files(&self) -> Vec<(PathBuf, String)> {
        self.templates()
            .into_iter()
            .map(|(path, t)| {
                let what = if path == std::path::Path::new("template.yaml") {
                    "the root stack".to_owned()
                } else {
                    "a nested stack of template.yaml".to_owned()
                };
                let text = format!(
                    "# GENERATED by `cargo xtask gen` ({what}) from crates/http/src/routes.rs, xtask/src/consumers.rs\n\
                     # and clearview_aws::table::table_definition(). Do not edit: `cargo xtask check` fails on drift.\n{}",
                    t.to_yaml()
                );
                (path, text)
            })
            .collect()
    }

    /// infra/manifest.json as a value tree.
    pub fn manifest(&self) -> &V {
        &self.manifest
    }

    /// Every function, across the nested stacks.
    pub fn functions(&self) -> impl Iterator<Item = &Function> {
        self.stacks.iter().flat_map(|s| &s.functions)
    }
}

/// The functions the committed templates declare.
pub fn functions() -> Vec<Function> {
    functions_of(&Model::current(), false)
}

/// The functions of the real API, with every consumer when `all_consumers`.
pub fn functions_with(all_consumers: bool) -> Vec<Function> {
    functions_of(&Model::current(), all_consumers)
}

/// The generated infra files.
pub fn files() -> Vec<(PathBuf, String)> {
    let infra = Infra::current(false);
    let manifest = serde_json::to_string_pretty(&infra.manifest().to_json()).unwrap_or_default() + "\n";
    let mut out = infra.sam_files();
    out.push((PathBuf::from("infra/manifest.json"), manifest));
    out
}

#[cfg(test)]
mod tests;
