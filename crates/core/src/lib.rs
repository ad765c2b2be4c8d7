//! ClearView's domain: validated value types, entities and their keys, the RBAC policy, the job
//! state machine, the ports the use cases need, and the use cases themselves.
//!
//! Nothing here does I/O. Adapters (DynamoDB, Cognito, SQLite, the local issuer …) implement the
//! traits in [`ports`]; composition roots hand them to [`services`] through [`Deps`].

pub mod calendar;
pub mod context;
pub mod error;
pub mod keys;
pub mod model;
pub mod ports;
pub mod principal;
pub mod rbac;
pub mod record;
pub mod richtext;
pub mod services;
pub mod values;

pub use error::{AppError, FieldError};
pub use ports::Deps;
