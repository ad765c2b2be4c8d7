//! ClearView's HTTP surface, framework-neutral: the one route table ([`routes::ROUTES`], its routes
//! by area in [`api`], each next to its typed handler), request
//! parsing, problem+json errors, tamper-proof cursors, idempotency keys, the OpenAPI document,
//! and the glue that serves a route from a Lambda (`lambda`) — the dev server mounts the same
//! table.

pub mod api;
pub mod app;
pub mod cursor;
pub mod dispatch;
pub mod extract;
pub mod idempotency;
pub mod lambda;
pub mod manifest;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod reply;
pub mod request;
pub mod routes;

pub use app::App;
pub use dispatch::{Incoming, Outgoing, dispatch};
pub use routes::{ROUTES, Route};
