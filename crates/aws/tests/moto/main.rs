//! The AWS adapters against moto, one test binary with a module per adapter (each used to be
//! its own binary, linking the AWS SDK again). `lambda_runtime` stays a binary of its own: the
//! Lambda runtime reads process-wide environment variables.
//!
//! `cargo test -p clearview-aws --test moto store::` runs one adapter's tests.

mod chain_adapters;
mod identity;
mod mail;
mod malware;
mod secrets;
mod store;
mod textract;
