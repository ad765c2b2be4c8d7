//! Lenient parsing of S3 event notifications delivered to SQS into [`ObjectCreated`] records.
//!
//! Only the fields a consumer needs are read (event name, key, size, versionId/eTag); fields
//! emulators leave out (`userIdentity`, `requestParameters`, `responseElements`, `sequencer`)
//! are not required. Keys arrive form-URL-encoded (`+` for a space, `%2F` for a slash in some
//! emulators) and are always decoded. A body wrapped in an SNS envelope is unwrapped first.

use crate::sns_envelope;
use clearview_core::ports::queue::ObjectCreated;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3EventError {
    #[error("S3 notification is not JSON: {0}")]
    NotJson(String),
    #[error("not an S3 event notification: {0}")]
    NotS3Event(String),
    #[error("S3 event record {index} is malformed: {reason}")]
    BadRecord { index: usize, reason: String },
}

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: Option<Vec<serde_json::Value>>,
    /// `s3:TestEvent` on the message S3 sends when a notification is configured.
    #[serde(rename = "Event")]
    event: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    event_source: Option<String>,
    event_name: Option<String>,
    s3: Option<Entity>,
}

#[derive(Deserialize)]
struct Entity {
    object: Option<Object>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    key: Option<String>,
    size: Option<u64>,
    version_id: Option<String>,
    e_tag: Option<String>,
}

/// True when `body` (possibly SNS-enveloped) has the shape of an S3 notification: a `Records`
/// array or an `Event` (test event). Lets a consumer tell it from other message bodies.
pub fn is_s3_notification(body: &str) -> bool {
    let inner = sns_envelope::unwrap(body);
    matches!(serde_json::from_str::<Notification>(&inner), Ok(n) if n.records.is_some() || n.event.is_some())
}

/// The `ObjectCreated:*` records of an S3 notification, keys decoded. A test event
/// (`s3:TestEvent`) yields none; other event types (`ObjectRemoved:*` …) are skipped.
pub fn object_created_records(body: &str) -> Result<Vec<ObjectCreated>, S3EventError> {
    let inner = sns_envelope::unwrap(body);
    let notification: Notification = serde_json::from_str(&inner).map_err(|e| S3EventError::NotJson(e.to_string()))?;
    let Some(records) = notification.records else {
        return match notification.event.as_deref() {
            Some("s3:TestEvent") => Ok(Vec::new()),
            Some(other) => Err(S3EventError::NotS3Event(format!("unknown event {other:?}"))),
            None => Err(S3EventError::NotS3Event("no \"Records\" array".into())),
        };
    };
    let mut out = Vec::new();
    for (index, value) in records.into_iter().enumerate() {
        let bad = |reason: String| S3EventError::BadRecord { index, reason };
        let record: Record = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
        if record.event_source.as_deref().is_some_and(|s| s != "aws:s3") {
            continue;
        }
        let name = record.event_name.unwrap_or_default();
        let name = name.strip_prefix("s3:").unwrap_or(&name);
        if !name.starts_with("ObjectCreated:") {
            continue;
        }
        let object = record.s3.and_then(|s| s.object).ok_or_else(|| bad("no s3.object".into()))?;
        let raw_key = object.key.ok_or_else(|| bad("no s3.object.key".into()))?;
        let key = decode_key(&raw_key).map_err(bad)?;
        let size = object.size.ok_or_else(|| bad(format!("no s3.object.size for {key:?}")))?;
        let version = non_empty(object.version_id).or_else(|| non_empty(object.e_tag.map(|t| unquote(&t))));
        out.push(ObjectCreated { key, size, version });
    }
    Ok(out)
}

/// Decodes an S3 event key: `+` is a space, then percent-decoding (so `%2B` stays a `+`).
pub fn decode_key(raw: &str) -> Result<String, String> {
    let plus_as_space = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|e| format!("key {raw:?} is not UTF-8 once decoded: {e}"))
}

/// An ETag without its surrounding quotes (S3 quotes it in headers, not in events).
pub fn unquote(etag: &str) -> String {
    etag.trim().trim_matches('"').to_owned()
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_decoded() {
        assert_eq!(decode_key("uploads%2Forg-1%2Fmy+resume.pdf").unwrap(), "uploads/org-1/my resume.pdf");
        assert_eq!(decode_key("uploads/a%2Bb+c.pdf").unwrap(), "uploads/a+b c.pdf");
        assert_eq!(decode_key("uploads/Jos%C3%A9.pdf").unwrap(), "uploads/José.pdf");
        assert!(decode_key("uploads/%FF.pdf").is_err());
    }

    #[test]
    fn test_event_yields_nothing() {
        let body = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-03-01T10:00:00.000Z","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(object_created_records(body).unwrap(), vec![]);
        assert!(is_s3_notification(body));
    }

    #[test]
    fn removed_events_are_skipped_and_version_falls_back_to_etag() {
        let body = r#"{"Records":[
            {"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"a"}}},
            {"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"b","size":3,"eTag":"\"abc\""}}},
            {"eventSource":"aws:s3","eventName":"ObjectCreated:Copy","s3":{"object":{"key":"c","size":4,"eTag":"e","versionId":"v1"}}}
        ]}"#;
        let records = object_created_records(body).unwrap();
        assert_eq!(
            records,
            vec![
                ObjectCreated { key: "b".into(), size: 3, version: Some("abc".into()) },
                ObjectCreated { key: "c".into(), size: 4, version: Some("v1".into()) },
            ]
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(matches!(object_created_records("nope"), Err(S3EventError::NotJson(_))));
        assert!(matches!(object_created_records(r#"{"id":"x"}"#), Err(S3EventError::NotS3Event(_))));
        assert!(!is_s3_notification(r#"{"id":"x","kind":"parsed","body":{}}"#));
        let no_key = r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"object":{"size":1}}}]}"#;
        assert!(matches!(object_created_records(no_key), Err(S3EventError::BadRecord { index: 0, .. })));
    }
}
