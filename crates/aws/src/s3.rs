//! `BlobStore` over one S3 bucket: presigned PUT/GET URLs, and size-capped reads.
//!
//! Upload URLs are SigV4 query-presigned: the signature covers the method, the key, the expiry
//! (`X-Amz-Expires`) and the `content-type` header (listed in `X-Amz-SignedHeaders`), so the
//! client must send exactly the headers in [`UploadTicket::headers`]. A presigned PUT cannot
//! bound the body size; readers pass `max_bytes` to [`BlobStore::get`], which checks the
//! object's length before reading and never buffers more than the limit.
//!
//! Encryption: the deployed bucket encrypts by default (SSE-S3, `AES256`), so no header is needed.
//! If a bucket policy ever *requires* `x-amz-server-side-encryption` on PUT, build the store with
//! [`S3BlobStore::with_upload_encryption`]: the header is then signed into every upload URL and
//! listed in the ticket's headers.
//!
//! Deleting with versioning on leaves a delete marker; the bucket's lifecycle rule expires
//! noncurrent versions (30 days in the template).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use clearview_core::ports::blobs::{Blob, BlobError, BlobMeta, BlobStore, UploadTicket};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;

/// Longest a SigV4 presigned URL may live (S3's limit).
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The S3 blob store over one bucket.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
    upload_encryption: Option<ServerSideEncryption>,
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), upload_encryption: None }
    }

    /// Signs `x-amz-server-side-encryption: <sse>` into upload URLs (for a bucket policy that
    /// denies PUTs without it). Not needed with default bucket encryption.
    pub fn with_upload_encryption(mut self, sse: ServerSideEncryption) -> Self {
        self.upload_encryption = Some(sse);
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

fn presigning(ttl: Duration) -> Result<(PresigningConfig, OffsetDateTime), BlobError> {
    if ttl.is_zero() || ttl > MAX_PRESIGN_TTL {
        return Err(BlobError::Invalid(format!("URL lifetime {ttl:?} must be above zero and at most 7 days")));
    }
    let now = SystemTime::now();
    let config = PresigningConfig::builder()
        .start_time(now)
        .expires_in(ttl)
        .build()
        .map_err(|e| BlobError::Invalid(e.to_string()))?;
    let expires_at = OffsetDateTime::from(now) + ttl;
    // Whole seconds, like X-Amz-Date + X-Amz-Expires.
    let expires_at = expires_at.replace_nanosecond(0).unwrap_or(expires_at);
    Ok((config, expires_at))
}

/// Maps an SDK error: missing key → `NotFound`, throttling and 5xx → `Unavailable`, other
/// 4xx → `Invalid`, transport failures → `Unavailable`.
fn blob_error<E, R>(key: &str, err: SdkError<E, R>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = format!("{code}: {}", e.message().unwrap_or_default());
            match code {
                "NoSuchKey" | "NotFound" | "NoSuchVersion" => BlobError::NotFound(key.to_owned()),
                "SlowDown"
                | "ServiceUnavailable"
                | "InternalError"
                | "RequestTimeout"
                | "Throttling"
                | "ThrottlingException"
                | "RequestTimeTooSkewed" => BlobError::Unavailable(message),
                _ => BlobError::Invalid(message),
            }
        }
        _ => BlobError::Unavailable(aws_sdk_s3::error::DisplayErrorContext(&err).to_string()),
    }
}

fn version_of(version_id: Option<&str>, e_tag: Option<&str>) -> Option<String> {
    version_id
        .filter(|v| !v.is_empty() && *v != "null")
        .map(str::to_owned)
        .or_else(|| e_tag.map(crate::s3_event::unquote).filter(|t| !t.is_empty()))
}

fn size_of(content_length: Option<i64>) -> Option<u64> {
    content_length.and_then(|n| u64::try_from(n).ok())
}

/// RFC 5987 `attr-char`s stay as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback `filename` and the exact UTF-8 name in `filename*`.
/// Path separators, quotes and control characters never reach the header.
pub fn content_disposition(download_name: &str) -> String {
    let name: String =
        download_name.chars().map(|c| if c.is_control() || c == '/' || c == '\\' { '_' } else { c }).collect();
    let name = name.trim();
    let name = if name.is_empty() { "download" } else { name };
    let fallback: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '%' { c } else { '_' })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", utf8_percent_encode(name, ATTR_CHAR))
}

/// Reads at most `max_bytes` from `body`; more is `TooLarge` (reading stops there).
async fn read_capped(mut body: ByteStream, max_bytes: u64, key: &str) -> Result<Vec<u8>, BlobError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| BlobError::Unavailable(format!("reading {key}: {}", aws_sdk_s3::error::DisplayErrorContext(&e))))?
    {
        let total = bytes.len() as u64 + chunk.len() as u64;
        if total > max_bytes {
            return Err(BlobError::TooLarge { size: total, limit: max_bytes });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<UploadTicket, BlobError> {
        if key.is_empty() {
            return Err(BlobError::Invalid("empty key".into()));
        }
        if content_type.trim().is_empty() {
            return Err(BlobError::Invalid("empty content type".into()));
        }
        let (config, expires_at) = presigning(ttl)?;
        let mut request = self.client.put_object().bucket(&self.bucket).key(key).content_type(content_type);
        if let Some(sse) = &self.upload_encryption {
            request = request.server_side_encryption(sse.clone());
        }
        let presigned = request.presigned(config).await.map_err(|e| blob_error(key, e))?;
        let headers: BTreeMap<String, String> =
            presigned.headers().map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned())).collect();
        Ok(UploadTicket { url: presigned.uri().to_owned(), method: "PUT".into(), headers, expires_at, max_bytes })
    }

    async fn presign_get(
        &self,
        key: &str,
        ttl: Duration,
        download_name: Option<&str>,
    ) -> Result<(String, OffsetDateTime), BlobError> {
        let (config, expires_at) = presigning(ttl)?;
        let mut request = self.client.get_object().bucket(&self.bucket).key(key);
        if let Some(name) = download_name {
            request = request.response_content_disposition(content_disposition(name));
        }
        let presigned = request.presigned(config).await.map_err(|e| blob_error(key, e))?;
        Ok((presigned.uri().to_owned(), expires_at))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(BlobMeta {
                key: key.to_owned(),
                size: size_of(out.content_length()).unwrap_or(0),
                content_type: out.content_type().map(str::to_owned),
                version: version_of(out.version_id(), out.e_tag()),
            })),
            Err(e) => match blob_error(key, e) {
                BlobError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn get(&self, key: &str, max_bytes: u64) -> Result<Blob, BlobError> {
        let out =
            self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(|e| blob_error(key, e))?;
        // The headers arrived; the body has not been read. Refuse before reading it (dropping
        // the response closes the connection).
        let size = size_of(out.content_length());
        if let Some(size) = size
            && size > max_bytes
        {
            return Err(BlobError::TooLarge { size, limit: max_bytes });
        }
        let meta = BlobMeta {
            key: key.to_owned(),
            size: size.unwrap_or(0),
            content_type: out.content_type().map(str::to_owned),
            version: version_of(out.version_id(), out.e_tag()),
        };
        let bytes = read_capped(out.body, max_bytes, key).await?;
        Ok(Blob { meta: BlobMeta { size: bytes.len() as u64, ..meta }, bytes })
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<BlobMeta, BlobError> {
        let size = bytes.len() as u64;
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes));
        if let Some(sse) = &self.upload_encryption {
            request = request.server_side_encryption(sse.clone());
        }
        let out = request.send().await.map_err(|e| blob_error(key, e))?;
        Ok(BlobMeta {
            key: key.to_owned(),
            size,
            content_type: Some(content_type.to_owned()),
            version: version_of(out.version_id(), out.e_tag()),
        })
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.client.delete_object().bucket(&self.bucket).key(key).send().await.map_err(|e| blob_error(key, e))?;
        Ok(())
    }

    /// Lists the key's versions and delete markers (ListObjectVersions with the key as prefix,
    /// keeping exact matches) and deletes each by version id: a plain delete in a versioned
    /// bucket would only add a marker and keep the bytes.
    async fn delete_all_versions(&self, key: &str) -> Result<u32, BlobError> {
        let mut deleted = 0;
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| blob_error(key, e))?;
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page.delete_markers().iter().map(|m| (m.key(), m.version_id()));
            for (k, version) in versions.chain(markers) {
                if k != Some(key) {
                    continue;
                }
                self.client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .set_version_id(version.map(str::to_owned))
                    .send()
                    .await
                    .map_err(|e| blob_error(key, e))?;
                deleted += 1;
            }
            if page.is_truncated() != Some(true) {
                return Ok(deleted);
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_is_safe_and_exact() {
        assert_eq!(
            content_disposition("Ana López CV.pdf"),
            "attachment; filename=\"Ana L_pez CV.pdf\"; filename*=UTF-8''Ana%20L%C3%B3pez%20CV.pdf"
        );
        let evil = content_disposition("a\"b\r\nSet-Cookie: x/../c.pdf");
        assert!(!evil.contains('\r') && !evil.contains('\n') && !evil.contains('/'), "{evil}");
        assert!(evil.starts_with("attachment; filename=\"a_b__Set-Cookie: x_.._c.pdf\""), "{evil}");
        assert_eq!(content_disposition("  "), "attachment; filename=\"download\"; filename*=UTF-8''download");
    }

    #[test]
    fn version_prefers_the_version_id() {
        assert_eq!(version_of(Some("v1"), Some("\"e\"")), Some("v1".into()));
        assert_eq!(version_of(Some("null"), Some("\"e\"")), Some("e".into()));
        assert_eq!(version_of(None, None), None);
    }

    #[test]
    fn ttl_is_bounded() {
        assert!(presigning(Duration::ZERO).is_err());
        assert!(presigning(MAX_PRESIGN_TTL + Duration::from_secs(1)).is_err());
        assert!(presigning(Duration::from_secs(300)).is_ok());
    }
}
