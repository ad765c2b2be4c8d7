//! Generators that turn the route table and the asynchronous-work table into files: template.yaml,
//! its nested templates under infra/sam/, the manifest the CDK app reads, and docs/openapi.json.
//! Each generator returns
//! `(path, contents)` pairs so `cargo xtask gen` writes them and drift tests compare them.

pub mod cfn;
pub mod consumers;
pub mod functions;
pub mod infra;

use std::path::{Path, PathBuf};

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Every generated file, relative to the root.
pub fn generated() -> Vec<(PathBuf, String)> {
    let mut files = infra::files();
    files.push((PathBuf::from("docs/openapi.json"), openapi_json()));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Files that differ from what the generators produce (missing ones included), and files left in
/// a generated-only folder that no generator produces any more ([`stale`]).
pub fn drift() -> Vec<PathBuf> {
    let root = root();
    let mut out: Vec<PathBuf> = generated()
        .into_iter()
        .filter(|(p, want)| std::fs::read_to_string(root.join(p)).ok().as_deref() != Some(want.as_str()))
        .map(|(p, _)| p)
        .collect();
    out.extend(stale());
    out
}

/// Nested templates in infra/sam/ that no stack is generated into (a stack that went away).
pub fn stale() -> Vec<PathBuf> {
    let dir = PathBuf::from(infra::nested::NESTED_DIR);
    let wanted: Vec<PathBuf> = generated().into_iter().map(|(p, _)| p).collect();
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(&dir))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| dir.join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && !wanted.contains(p))
        .collect();
    out.sort();
    out
}

/// The OpenAPI document the SPA and mobile teams build against, as committed in docs/ (so an API
/// change shows in a diff).
pub fn openapi_json() -> String {
    let doc = serde_json::to_value(clearview_http::openapi::document()).unwrap_or_default();
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
}
