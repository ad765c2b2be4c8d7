//! Unwraps the JSON envelope SNS puts around a message delivered to an SQS queue (raw delivery off).

use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The fields of an SNS `Notification` envelope that consumers use. (Signature fields are not
/// checked: the queue policy only lets the topic send, so SQS already vouches for the sender.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub message_id: String,
    pub topic_arn: String,
    pub message: String,
    pub subject: Option<String>,
    pub timestamp: Option<String>,
    /// `MessageAttributes` string values (`{"kind": {"Type": "String", "Value": "…"}}` → `kind → …`).
    pub attributes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    #[serde(rename = "Type")]
    kind: String,
    message_id: Option<String>,
    topic_arn: String,
    message: String,
    subject: Option<String>,
    timestamp: Option<String>,
    #[serde(default)]
    message_attributes: BTreeMap<String, RawAttribute>,
}

#[derive(Deserialize)]
struct RawAttribute {
    #[serde(rename = "Value")]
    value: Option<serde_json::Value>,
}

/// The envelope, when `body` is an SNS `Notification` envelope; `None` for anything else
/// (raw delivery, a plain message, not JSON).
pub fn parse(body: &str) -> Option<Envelope> {
    let trimmed = body.trim_start();
    if !trimmed.starts_with('{') {
        return None;
    }
    let raw: Raw = serde_json::from_str(trimmed).ok()?;
    if raw.kind != "Notification" {
        return None;
    }
    let attributes = raw
        .message_attributes
        .into_iter()
        .filter_map(|(name, a)| match a.value? {
            serde_json::Value::String(s) => Some((name, s)),
            other => Some((name, other.to_string())),
        })
        .collect();
    Some(Envelope {
        message_id: raw.message_id.unwrap_or_default(),
        topic_arn: raw.topic_arn,
        message: raw.message,
        subject: raw.subject,
        timestamp: raw.timestamp,
        attributes,
    })
}

/// The published message: the envelope's `Message` for an SNS-enveloped body, else `body` itself
/// (raw message delivery, or a message sent to the queue directly).
pub fn unwrap(body: &str) -> Cow<'_, str> {
    match parse(body) {
        Some(envelope) => Cow::Owned(envelope.message),
        None => Cow::Borrowed(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE: &str = r#"{
  "Type" : "Notification",
  "MessageId" : "6e1c5a3b-6f0c-5a86-b0a8-5f1c0b4c2a11",
  "TopicArn" : "arn:aws:sns:us-east-1:123456789012:application-events",
  "Message" : "{\"id\":\"evt-1\",\"kind\":\"application.received\"}",
  "Timestamp" : "2025-03-01T10:00:00.000Z",
  "SignatureVersion" : "1",
  "Signature" : "c2ln",
  "SigningCertURL" : "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
  "UnsubscribeURL" : "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
  "MessageAttributes" : {"kind": {"Type": "String", "Value": "application.received"}}
}"#;

    #[test]
    fn envelope_yields_the_inner_message_and_attributes() {
        let e = parse(ENVELOPE).unwrap();
        assert_eq!(e.message, r#"{"id":"evt-1","kind":"application.received"}"#);
        assert_eq!(e.topic_arn, "arn:aws:sns:us-east-1:123456789012:application-events");
        assert_eq!(e.attributes.get("kind").map(String::as_str), Some("application.received"));
        assert_eq!(unwrap(ENVELOPE), r#"{"id":"evt-1","kind":"application.received"}"#);
    }

    #[test]
    fn raw_and_plain_bodies_are_returned_as_they_are() {
        for body in [r#"{"id":"evt-1","kind":"application.received"}"#, "not json", "", r#"{"Type":"Other"}"#] {
            assert!(matches!(unwrap(body), Cow::Borrowed(b) if b == body), "{body}");
        }
        // A subscription confirmation is not a notification.
        let confirm = r#"{"Type":"SubscriptionConfirmation","TopicArn":"arn:x","Message":"confirm"}"#;
        assert_eq!(unwrap(confirm), confirm);
    }
}
