//! Shared helpers for the cross-crate tests: an HTTP client for the in-process router, the
//! API-level scenarios that must pass on both adapter families, and a Lambda Runtime API
//! emulator that runs the real function binaries.

pub mod api;
pub mod conformance;
pub mod families;
pub mod lambda;
pub mod mail;
pub mod pump;
