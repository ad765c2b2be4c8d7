//! `Idempotency-Key` on creating POSTs: the first answer is kept for 24 hours and replayed to a
//! retry with the same key and body; the same key with another body is refused (422), and a retry
//! while the first is still running answers 409.

use crate::request::Reply;
use clearview_core::AppError;
use clearview_core::keys;
use clearview_core::ports::store::{Condition, Item, ItemStore, Key, StoreError};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// What a key must look like: visible ASCII characters (a UUID, say).
pub const KEY_PATTERN: &str = "^[!-~]{1,255}$";
const TTL_SECONDS: i64 = 24 * 3600;
const ENTITY: &str = "Idempotency";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    fingerprint: String,
    done: bool,
    status: u16,
    body: Option<serde_json::Value>,
    etag: Option<u64>,
    location: Option<String>,
}

/// A reply's body as the record keeps it: JSON as a value, text as a JSON string.
fn kept_body(body: &[u8], json: bool) -> serde_json::Value {
    let text = || serde_json::Value::String(String::from_utf8_lossy(body).into_owned());
    if json { serde_json::from_slice(body).unwrap_or_else(|_| text()) } else { text() }
}

pub struct Slot {
    key: Key,
    fingerprint: String,
    now: i64,
}

/// What to do with a request that carries a key.
pub enum Begin {
    /// First time: run it, then `finish`.
    Run(Slot),
    /// Seen before: answer this.
    Replay(Reply),
}

pub fn validate_key(raw: &str) -> Result<&str, AppError> {
    let k = raw.trim();
    if k.is_empty() || k.len() > MAX_KEY_LEN || !k.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::field("Idempotency-Key", "must be 1 to 255 visible ASCII characters, e.g. a UUID"));
    }
    Ok(k)
}

pub async fn begin(
    store: &dyn ItemStore,
    scope: &str,
    route: &str,
    key: &str,
    body: &[u8],
    now: i64,
) -> Result<Begin, AppError> {
    let slot = Slot { key: keys::idempotency(scope, route, key), fingerprint: hex(&Sha256::digest(body)), now };
    let pending = Record {
        fingerprint: slot.fingerprint.clone(),
        done: false,
        status: 0,
        body: None,
        etag: None,
        location: None,
    };
    match store.put(item(&slot, &pending)?, Condition::NotExists).await {
        Ok(()) => Ok(Begin::Run(slot)),
        Err(StoreError::ConditionFailed { current }) => {
            let current = match current {
                Some(c) => *c,
                None => store
                    .get(&slot.key)
                    .await?
                    .ok_or_else(|| AppError::conflict("request-in-progress", "retry in a moment"))?,
            };
            let rec: Record = serde_json::from_value(current.data).map_err(|e| AppError::Internal(e.to_string()))?;
            if rec.fingerprint != slot.fingerprint {
                // 422, as the IETF Idempotency-Key draft says for a key reused with another payload.
                return Err(AppError::Validation(vec![clearview_core::FieldError::new(
                    "Idempotency-Key",
                    "was already used with a different request body; use a new key for a new request",
                )]));
            }
            if !rec.done {
                return Err(AppError::conflict(
                    "request-in-progress",
                    "the first request with this key is still running; retry in a moment",
                ));
            }
            let status = StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK);
            let body = rec.body.map(|v| bytes::Bytes::from(serde_json::to_vec(&v).unwrap_or_default()));
            Ok(Begin::Replay(Reply { status, body, etag: rec.etag, location: rec.location, media: None }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Keeps the answer for replay; a failure that is worth retrying frees the key instead.
pub async fn finish(store: &dyn ItemStore, slot: Slot, outcome: &Result<Reply, AppError>) {
    let result = match outcome {
        Ok(reply) => {
            let rec = Record {
                fingerprint: slot.fingerprint.clone(),
                done: true,
                status: reply.status.as_u16(),
                body: reply.body.as_deref().map(|b| kept_body(b, reply.media.is_none())),
                etag: reply.etag,
                location: reply.location.clone(),
            };
            match item(&slot, &rec) {
                Ok(i) => store.put(i, Condition::None).await,
                Err(e) => Err(StoreError::Invalid(e.to_string())),
            }
        }
        // A refused request changed nothing: free the key so a corrected retry can use it.
        Err(_) => store.delete(&slot.key, Condition::None).await.map(|_| ()),
    };
    if let Err(e) = result {
        // Left pending, the key would answer 409 for a day: free it so a retry runs again (an
        // answer too large to keep, say).
        tracing::warn!(error = %e, "could not record the idempotency outcome; the key is freed");
        if let Err(e) = store.delete(&slot.key, Condition::None).await {
            tracing::warn!(error = %e, "could not free the idempotency key");
        }
    }
}

fn item(slot: &Slot, rec: &Record) -> Result<Item, AppError> {
    Ok(Item {
        key: slot.key.clone(),
        gsi1: None,
        gsi2: None,
        entity: ENTITY.into(),
        version: 1,
        expires_at: Some(slot.now + TTL_SECONDS),
        data: serde_json::to_value(rec).map_err(|e| AppError::Internal(e.to_string()))?,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
