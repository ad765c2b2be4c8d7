//! Observability both adapter families share, so a request or a resume reads the same in the
//! dev server's output and in CloudWatch:
//!
//! - [`correlation`]: the correlation id of an HTTP request (`X-Correlation-Id`, else the API
//!   Gateway request id, else a new id) and of the resume chain (the upload's run id, carried by
//!   every message and domain event of the run), and the tracing spans that carry it;
//! - [`metrics`]: the metric names, units and labels, recorded through the `metrics` facade
//!   (CloudWatch embedded metric format on Lambda; nothing is installed on the dev server, so
//!   recording is a no-op there);
//! - [`logs`]: the JSON log format (Lambda with `LogFormat: JSON`, the dev server with
//!   `CLEARVIEW_LOG_FORMAT=json`, and the tests that read the logs).

pub mod correlation;
pub mod logs;
pub mod metrics;
