//! Generators that turn the route table and the asynchronous-work table into files
//! (template.yaml and the manifest the CDK app reads). Each generator returns
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
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Files that differ from what the generators produce (missing ones included).
pub fn drift() -> Vec<PathBuf> {
    let root = root();
    generated()
        .into_iter()
        .filter(|(p, want)| std::fs::read_to_string(root.join(p)).ok().as_deref() != Some(want.as_str()))
        .map(|(p, _)| p)
        .collect()
}
