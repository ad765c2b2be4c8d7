//! The log format. JSON lines put the event's own fields at the top level (`message`, `route`,
//! `status` …), the innermost span under `span` and every enclosing span under `spans`, so the
//! correlation id of a request or of a chain message is on every line logged while it is handled
//! (`span.correlation_id`), beside the Lambda runtime's `requestId` and `xrayTraceId`.
//! CloudWatch Logs Insights: `filter @message like "<id>"`, or `filter span.correlation_id = "<id>"`.

use std::str::FromStr;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// `CLEARVIEW_LOG_FORMAT=json` makes the dev server log JSON lines (human-readable otherwise).
pub const FORMAT_ENV: &str = "CLEARVIEW_LOG_FORMAT";

/// A subscriber writing JSON lines to `writer`.
pub fn json<W>(writer: W, filter: EnvFilter) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

fn wants_json(value: Option<String>) -> bool {
    value.is_some_and(|v| v.trim().eq_ignore_ascii_case("json"))
}

/// The Lambda functions' logging, set by the function's LoggingConfig: JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT` is `JSON` (the generated templates set it), the level from
/// `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO.
pub fn init_lambda() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_default();
    let level = LevelFilter::from_str(&level).unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder().with_default_directive(level.into()).from_env_lossy();
    if wants_json(std::env::var("AWS_LAMBDA_LOG_FORMAT").ok()) {
        let _ = json(std::io::stdout, filter).try_init();
    } else {
        let _ = tracing_subscriber::fmt().with_target(false).without_time().with_env_filter(filter).try_init();
    }
}

/// The dev server's logging: `RUST_LOG` (else `default_filter`), human-readable lines unless
/// [`FORMAT_ENV`] is `json`.
pub fn init_dev(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    if wants_json(std::env::var(FORMAT_ENV).ok()) {
        let _ = json(std::io::stdout, filter).try_init();
    } else {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_span_fields() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = json(move || writer.clone(), EnvFilter::new("info"));
        tracing::subscriber::with_default(subscriber, || {
            crate::correlation::request_span("jobs-get", "abc-1").in_scope(|| {
                tracing::info!(status = 200, "request");
            });
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(line["message"], "request");
        assert_eq!(line["status"], 200);
        assert_eq!(line["span"]["correlation_id"], "abc-1");
        assert_eq!(line["span"]["route"], "jobs-get");
        assert!(wants_json(Some("JSON".into())) && !wants_json(Some("text".into())) && !wants_json(None));
    }
}
