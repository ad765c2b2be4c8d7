//! Correlation ids.
//!
//! - **A request** carries the caller's `X-Correlation-Id` when it is 1–128 characters of
//!   `[A-Za-z0-9._-]` (anything else is ignored), else API Gateway's request id (the one in the
//!   API's access log), else a new id. It is a field of the request's span, so every line the
//!   request logs has it, and it is echoed in the `X-Correlation-Id` response header.
//! - **The resume chain** uses the run id: the upload's file id (returned by
//!   `POST /api/applications/{id}/resume-upload-url` as `fileId`), or a reprocess's run id. It
//!   can be read from every message of the run — the object key of the upload notification, the
//!   `runId` of each chain step, the `correlationId` of the domain events the chain publishes —
//!   so each consumer's handling span carries it from parse through anonymize, score and bias
//!   to the email, on the embedded workers and on Lambda alike.

use clearview_core::keys;
use clearview_core::model::ChainStep;
use clearview_core::ports::queue::{ObjectCreated, WorkMessage};

/// The request and response header (HTTP header names are case-insensitive).
pub const HEADER: &str = "x-correlation-id";
/// The header as the API documents it.
pub const HEADER_NAME: &str = "X-Correlation-Id";
pub const MAX_LEN: usize = 128;

/// The caller's correlation id, if it is acceptable (1–128 of `[A-Za-z0-9._-]`).
pub fn accept(value: &[u8]) -> Option<&str> {
    let ok = (1..=MAX_LEN).contains(&value.len())
        && value.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok { std::str::from_utf8(value).ok() } else { None }
}

/// A request's correlation id: the caller's (when acceptable), else the platform's request id,
/// else `fresh()`.
pub fn for_request(header: Option<&[u8]>, request_id: Option<&str>, fresh: impl FnOnce() -> String) -> String {
    header.and_then(accept).or(request_id.filter(|r| !r.is_empty())).map(str::to_owned).unwrap_or_else(fresh)
}

/// The run id of an uploaded resume's object key (`uploads/{org}/{application}/{file}`): the
/// file id. `None` for keys outside the resume uploads.
pub fn of_object_key(key: &str) -> Option<String> {
    keys::parse_resume_object(key).map(|(_, _, file)| file)
}

/// The correlation id of one unit of queue work: the upload's file id for an object-created
/// notification, a domain event's `correlationId`, a chain step's `runId`; the message id for
/// anything else (a domain event published outside the chain, a redriven unreadable body).
pub fn of_message(m: &WorkMessage) -> String {
    let field = |name: &str| m.body.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
    let found = match m.kind.as_str() {
        ObjectCreated::KIND => field("key").as_deref().and_then(of_object_key),
        ChainStep::KIND => field("runId"),
        _ => field("correlationId"),
    };
    found.unwrap_or_else(|| m.id.clone())
}

/// The span one message is handled in: every line a consumer logs while it works carries the
/// queue, the message and the correlation id.
pub fn message_span(queue: &str, m: &WorkMessage) -> tracing::Span {
    tracing::info_span!("message", queue, id = %m.id, kind = %m.kind, correlation_id = %of_message(m))
}

/// The span one HTTP request is served in.
pub fn request_span(route: &str, correlation_id: &str) -> tracing::Span {
    tracing::info_span!("request", route, correlation_id)
}

/// The span an object upload is accepted in (the embedded blob store's presigned PUT; in AWS,
/// S3 accepts it and the parse consumer's span is the first).
pub fn upload_span(key: &str) -> tracing::Span {
    let id = of_object_key(key).unwrap_or_else(|| key.to_owned());
    tracing::info_span!("upload", correlation_id = %id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearview_core::ports::queue::WorkQueue;
    use serde_json::json;

    #[test]
    fn only_short_plain_ids_are_accepted_from_callers() {
        assert_eq!(accept(b"req-1.A_b"), Some("req-1.A_b"));
        assert_eq!(accept("x".repeat(128).as_bytes()).map(str::len), Some(128));
        for bad in [&b""[..], "x".repeat(129).as_bytes(), b"a b", b"a\nb", b"a/b", "é".as_bytes(), b"{\"x\":1}"] {
            assert_eq!(accept(bad), None, "{bad:?}");
        }
        assert_eq!(for_request(Some(b"mine"), Some("gw"), || "new".into()), "mine");
        assert_eq!(for_request(Some(b"not ok"), Some("gw"), || "new".into()), "gw");
        assert_eq!(for_request(None, Some(""), || "new".into()), "new");
    }

    #[test]
    fn every_message_of_a_run_names_the_same_id() {
        let upload = ObjectCreated {
            key: "uploads/0191d3b4-7c1e-7000-8000-000000000001/app-1/file-9".into(),
            size: 3,
            version: None,
        }
        .message();
        let step = ChainStep { org_id: "org-1".into(), application_id: "app-1".into(), run_id: "file-9".into() }
            .message(WorkQueue::SCORE);
        let event = WorkMessage {
            id: "application.screened:app-1:file-9".into(),
            kind: "application-event".into(),
            body: json!({"id": "application.screened:app-1:file-9", "correlationId": "file-9"}),
        };
        for m in [&upload, &step, &event] {
            assert_eq!(of_message(m), "file-9", "{m:?}");
        }
        let other = WorkMessage { id: "evt-1".into(), kind: "application-event".into(), body: json!({}) };
        assert_eq!(of_message(&other), "evt-1");
        let report = ObjectCreated { key: "reports/x.pdf".into(), size: 1, version: None }.message();
        assert_eq!(of_message(&report), report.id);
    }
}
