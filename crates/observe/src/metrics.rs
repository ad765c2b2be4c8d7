//! The metrics, recorded through the `metrics` facade. On Lambda the bootstrap installs the
//! CloudWatch embedded-metric-format recorder (namespace [`NAMESPACE`], dimension
//! [`FUNCTION_DIMENSION`] = the function's handler name, flushed to the log after every
//! invocation); the dev server installs none, so recording costs a no-op there.
//!
//! | metric | unit | labels (dimensions besides `function`) | recorded by |
//! |---|---|---|---|
//! | `ColdStart` | Count | – | the Lambda runtime layer, once per execution environment |
//! | `Requests` | Count | `route`, `status` (`2xx` … `5xx`) | every API request |
//! | `Latency` | Milliseconds | `route` | every API request |
//! | `StageDuration` | Milliseconds | `stage` (the queue: parse, anonymize, score, bias, email) | every chain message handled |
//! | `UploadToScored` | Milliseconds | – | the bias check, from the upload URL's issue to the check's end |
//! | `DeadLetters` | Count | `queue` | the embedded default's dead-letter watch (SQS publishes DLQ depth itself) |

use metrics::Unit;
use std::time::Duration;

pub const NAMESPACE: &str = "ClearView";
/// The dimension every metric of a function carries: its handler name (`_HANDLER`).
pub const FUNCTION_DIMENSION: &str = "function";

pub const COLD_START: &str = "ColdStart";
pub const REQUESTS: &str = "Requests";
pub const LATENCY: &str = "Latency";
pub const STAGE_DURATION: &str = "StageDuration";
pub const UPLOAD_TO_SCORED: &str = "UploadToScored";
pub const DEAD_LETTERS: &str = "DeadLetters";

/// Every metric this crate records (the cold start is recorded by the Lambda layer).
pub const ALL: &[&str] = &[REQUESTS, LATENCY, STAGE_DURATION, UPLOAD_TO_SCORED, DEAD_LETTERS];

/// Declares the units; call once after installing a recorder.
pub fn describe() {
    metrics::describe_counter!(REQUESTS, Unit::Count, "API requests by route and status class");
    metrics::describe_histogram!(LATENCY, Unit::Milliseconds, "time to answer an API request");
    metrics::describe_histogram!(STAGE_DURATION, Unit::Milliseconds, "time to handle one message of a chain stage");
    metrics::describe_histogram!(UPLOAD_TO_SCORED, Unit::Milliseconds, "from the upload to the bias-checked score");
    metrics::describe_gauge!(DEAD_LETTERS, Unit::Count, "messages in a dead-letter queue");
}

/// `404` → `4xx`.
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One answered API request.
pub fn request(route: &'static str, status: u16, elapsed: Duration) {
    metrics::counter!(REQUESTS, "route" => route, "status" => status_class(status)).increment(1);
    metrics::histogram!(LATENCY, "route" => route).record(ms(elapsed));
}

/// One message of a chain stage handled (whatever its outcome).
pub fn stage(stage: &'static str, elapsed: Duration) {
    metrics::histogram!(STAGE_DURATION, "stage" => stage).record(ms(elapsed));
}

/// A resume scored and bias-checked, `elapsed` after its upload.
pub fn upload_to_scored(elapsed: Duration) {
    metrics::histogram!(UPLOAD_TO_SCORED).record(ms(elapsed));
}

/// How many messages a queue's dead-letter list holds now.
pub fn dead_letters(queue: &'static str, count: u64) {
    metrics::gauge!(DEAD_LETTERS, "queue" => queue).set(count as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(412), "4xx");
        assert_eq!(status_class(503), "5xx");
    }
}
