//! The cross-crate tests, one test binary: a module per area. One binary links the whole
//! application once (each test file used to be its own binary, each linking it again) and runs
//! every area's tests on one pool of threads.
//!
//! `cargo test -p clearview-tests --test api <area>::` runs one area, for example
//! `cargo test -p clearview-tests --test api interviews::`.
//!
//! `chain_logs` stays a binary of its own: it captures the logs through a thread-local
//! subscriber, and tests logging on other threads in the same process could hide lines from it.

#[path = "../common/mod.rs"]
mod common;

mod analytics_reports;
mod api_slice;
mod candidates_talent;
mod careers;
mod chain_aws;
mod chain_embedded;
mod compliance;
mod contract_aws;
mod contract_local;
mod hiring_workflow;
mod infra_drift;
mod interviews;
mod jobs_finished;
mod learning;
mod learning_edits;
mod networking;
mod platform;
mod privacy;
mod retention;
mod settings;
mod sign_in;
mod webhooks;
