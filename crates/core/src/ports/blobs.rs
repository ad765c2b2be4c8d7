//! Object storage for resumes and reports: S3 with presigned URLs in AWS, files under the data
//! folder with HMAC-signed URLs in the embedded default.
//!
//! An upload URL is bound to one key, one content type and a short expiry; both adapters refuse
//! a URL that was tampered with or has expired. Sizes are enforced when the object is read
//! ([`BlobStore::get`] with `max_bytes`), because a presigned PUT cannot bound them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;

/// What a client needs to upload one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    pub url: String,
    /// Always `PUT`.
    pub method: String,
    /// Headers the client must send with the upload (the signature covers them).
    pub headers: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    pub max_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobMeta {
    pub key: String,
    pub size: u64,
    pub content_type: Option<String>,
    /// S3's version id (or ETag when versioning is off); locally a content hash. Consumers key
    /// their idempotency on it.
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub meta: BlobMeta,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("object is {size} bytes, above the {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    #[error("invalid request to the blob store: {0}")]
    Invalid(String),
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A URL that accepts one `PUT` of `key` with exactly `content_type`, until `ttl` passes.
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<UploadTicket, BlobError>;
    /// A short-lived download URL; `download_name` sets Content-Disposition.
    async fn presign_get(
        &self,
        key: &str,
        ttl: Duration,
        download_name: Option<&str>,
    ) -> Result<(String, OffsetDateTime), BlobError>;
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError>;
    /// Reads the object; one larger than `max_bytes` answers `TooLarge` without being read whole.
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Blob, BlobError>;
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<BlobMeta, BlobError>;
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Removes the object and every earlier version of it (and, in a versioned bucket, the
    /// delete markers), so nothing of it can be restored: what an erasure needs. Answers how
    /// many versions went. A store that keeps one version only deletes it.
    async fn delete_all_versions(&self, key: &str) -> Result<u32, BlobError> {
        let existed = self.head(key).await?.is_some();
        self.delete(key).await?;
        Ok(u32::from(existed))
    }
}
