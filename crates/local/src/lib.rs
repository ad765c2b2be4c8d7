//! ClearView's embedded adapter family: everything `make run` and the tests need, on one laptop.
//!
//! - [`store::SqliteStore`]: the item store with DynamoDB's semantics on SQLite.
//! - [`identity::LocalIdentity`]: a Cognito-like user pool issuing RS256 JWTs of Cognito's shape.
//! - [`verify::JwtVerifier`]: verifies those tokens (and Cognito's) against a JWKS.
//! - [`mail::OutboxMailer`]: mail as `.eml` files; [`mail::Outbox`] reads them back.
//! - [`blobs::FsBlobStore`]: objects under `blobs/`, HMAC-signed upload/download URLs.
//! - [`malware::ClamAv`]: malware scans of uploads with `clamscan`.
//! - [`queues::SqliteQueues`]: durable work queues and the events topic, with dead letters.
//! - [`workers`]: one polling loop per queue consumer.
//! - [`family::LocalFamily`]: all of them over one data dir (`clearview.db`, `keys/`, `outbox/`, `blobs/`).
//!
//! The `clearview-outbox` binary reads the outbox from a shell, e.g. the code a sign-up sent:
//! `cargo run -p clearview-local --bin clearview-outbox -- --data .clearview code ana@example.com`.

pub mod background;
pub mod blobs;
pub mod cron;
pub mod family;
pub mod identity;
pub mod keys;
pub mod mail;
pub mod malware;
pub mod ocr;
pub mod pcache;
pub mod queues;
pub mod resident;
pub mod store;
pub mod verify;
pub mod workers;

pub use blobs::{FsBlobStore, UploadRefused};
pub use family::{LocalError, LocalFamily, LocalOptions};
pub use identity::{IdentityConfig, LocalIdentity};
pub use keys::SigningKey;
pub use mail::{Outbox, OutboxMailer, ParsedMail};
pub use malware::ClamAv;
pub use queues::{DeadLetter, Delivery, QueueConfig, QueueDepth, SqliteQueues};
pub use store::SqliteStore;
pub use verify::{JwtVerifier, VerifyError};
pub use workers::{CancellationToken, WorkerOptions, spawn_batched, spawn_workers, spawn_workers_with};
