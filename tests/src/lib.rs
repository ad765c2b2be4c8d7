//! Shared helpers for the cross-crate tests: an HTTP client for the in-process router, and the
//! API-level scenarios that must pass on both adapter families.

pub mod api;
