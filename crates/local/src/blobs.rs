//! `FsBlobStore`: objects as files under `<data>/blobs/`, HMAC-signed upload and download URLs served by the dev server.
//!
//! A key maps to a path one segment per `/` (no `..`, no absolute paths, no NUL or control
//! characters, no segment starting with `.`), so the tree is browsable and nothing escapes it.
//! Each object is written to a temporary name and renamed; its metadata (content type, size,
//! version = SHA-256 of the content) sits beside it in a hidden `.<name>.meta.json` sidecar.
//!
//! URLs are signed with HMAC-SHA256 under a secret generated once into `<data>/keys/`. An upload
//! accepted through [`FsBlobStore::accept_upload`] is stored and then announced on the `Parse`
//! queue as an [`ObjectCreated`] message: what S3 and its bucket notification do in AWS.

use bytes::Bytes;
use clearview_core::ports::blobs::{Blob, BlobError, BlobMeta, BlobStore, UploadTicket};
use clearview_core::ports::clock::Clock;
use clearview_core::ports::queue::{ObjectCreated, Queues};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use time::OffsetDateTime;

/// Folder of the objects inside the data dir.
pub const BLOBS_DIR: &str = "blobs";
/// File (inside `<data>/keys/`) holding the URL-signing secret.
pub const URL_KEY_FILE: &str = "blob-url.key";
/// Path of the upload endpoint on the dev server.
pub const UPLOAD_PATH: &str = "/local-blobs/upload";
/// Path of the download endpoint on the dev server.
pub const DOWNLOAD_PATH: &str = "/local-blobs/download";
/// Longest key accepted (S3's limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest a presigned URL may live (S3's limit for SigV4: seven days).
pub const MAX_URL_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest object a download URL hands out.
pub const MAX_DOWNLOAD_BYTES: u64 = 256 * 1024 * 1024;

const SECRET_BYTES: usize = 32;
type HmacSha256 = Hmac<Sha256>;

/// Why the upload or download endpoint refused a request. The dev server answers
/// `application/problem+json` with [`UploadRefused::status`] and [`UploadRefused::reason`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    /// The signature does not match the URL (tampered with, or signed by another data dir).
    #[error("the URL's signature does not match; ask for a new URL")]
    BadSignature,
    /// The URL's expiry has passed.
    #[error("the URL expired at {expired_at}; ask for a new URL")]
    Expired { expired_at: i64 },
    /// The request's Content-Type differs from the one the URL was signed for.
    #[error("Content-Type must be {expected:?} (the URL was signed for it), got {got:?}")]
    WrongContentType { expected: String, got: Option<String> },
    /// The body is larger than the URL allows.
    #[error("the body is {size} bytes, above the URL's {limit}-byte limit")]
    TooLarge { size: u64, limit: u64 },
    /// A parameter is missing, repeated or malformed.
    #[error("invalid URL: {0}")]
    Invalid(String),
    /// The object a download URL names is gone.
    #[error("no object at {0}")]
    NotFound(String),
    /// Storing the object or announcing it failed; the client may retry.
    #[error("the blob store is unavailable: {0}")]
    Unavailable(String),
}

impl UploadRefused {
    /// The HTTP status the dev server answers with.
    pub fn status(&self) -> u16 {
        match self {
            UploadRefused::BadSignature | UploadRefused::Expired { .. } => 403,
            UploadRefused::WrongContentType { .. } => 415,
            UploadRefused::TooLarge { .. } => 413,
            UploadRefused::Invalid(_) => 400,
            UploadRefused::NotFound(_) => 404,
            UploadRefused::Unavailable(_) => 503,
        }
    }

    /// A short, stable slug for the problem `type` (e.g. `bad-signature`).
    pub fn slug(&self) -> &'static str {
        match self {
            UploadRefused::BadSignature => "bad-signature",
            UploadRefused::Expired { .. } => "url-expired",
            UploadRefused::WrongContentType { .. } => "wrong-content-type",
            UploadRefused::TooLarge { .. } => "too-large",
            UploadRefused::Invalid(_) => "invalid-url",
            UploadRefused::NotFound(_) => "not-found",
            UploadRefused::Unavailable(_) => "unavailable",
        }
    }

    /// The human reason (the problem's `detail`).
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl From<BlobError> for UploadRefused {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound(k) => UploadRefused::NotFound(k),
            BlobError::TooLarge { size, limit } => UploadRefused::TooLarge { size, limit },
            BlobError::Invalid(m) => UploadRefused::Invalid(m),
            BlobError::Unavailable(m) => UploadRefused::Unavailable(m),
        }
    }
}

/// The sidecar beside each object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sidecar {
    content_type: Option<String>,
    size: u64,
    version: String,
}

/// Files under a root folder, with signed URLs on `base_url`. Cheap to clone.
#[derive(Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    base_url: String,
    /// Keyed with the URL secret; cloned for each signature.
    mac: HmacSha256,
    clock: Arc<dyn Clock>,
    queues: Arc<dyn Queues>,
    /// Writers (put, delete) exclude readers, so nobody sees an object without its sidecar.
    lock: Arc<RwLock<()>>,
}

impl std::fmt::Debug for FsBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsBlobStore")
            .field("root", &self.root)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Checks a key and answers the relative path it maps to.
pub fn key_path(key: &str) -> Result<PathBuf, BlobError> {
    let invalid = |why: &str| BlobError::Invalid(format!("key {key:?}: {why}"));
    if key.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(invalid("is longer than 1024 bytes"));
    }
    if key.chars().any(char::is_control) {
        return Err(invalid("must not hold NUL or control characters"));
    }
    if key.contains('\\') {
        return Err(invalid("must not hold backslashes"));
    }
    if key.starts_with('/') {
        return Err(invalid("must be relative"));
    }
    let mut path = PathBuf::new();
    for segment in key.split('/') {
        if segment.is_empty() {
            return Err(invalid("must not hold empty segments"));
        }
        if segment == "." || segment == ".." {
            return Err(invalid("must not hold . or .. segments"));
        }
        if segment.starts_with('.') {
            return Err(invalid("segments must not start with '.'"));
        }
        if segment.contains(':') {
            return Err(invalid("must not hold ':'"));
        }
        path.push(segment);
    }
    Ok(path)
}

fn check_content_type(ct: &str) -> Result<(), BlobError> {
    if ct.trim().is_empty() || ct.chars().any(char::is_control) || !ct.is_ascii() {
        return Err(BlobError::Invalid(format!("content type {ct:?} must be non-empty printable ASCII")));
    }
    Ok(())
}

fn check_ttl(ttl: Duration) -> Result<(), BlobError> {
    if ttl.is_zero() || ttl > MAX_URL_TTL {
        return Err(BlobError::Invalid(format!("URL lifetime must be 1 s..=7 days, got {ttl:?}")));
    }
    Ok(())
}

/// The `Content-Disposition` value for a download name: an ASCII fallback and the RFC 5987 form.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Loads the URL-signing secret from `<dir>/blob-url.key`, generating it (owner-only) when absent.
pub fn load_or_generate_secret(dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = dir.join(URL_KEY_FILE);
    match fs::read(&path) {
        Ok(s) if s.len() >= SECRET_BYTES => return Ok(s),
        Ok(_) => {
            return Err(std::io::Error::other(format!(
                "{} is shorter than {SECRET_BYTES} bytes; delete it to have a new one generated",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::create_dir_all(dir)?;
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let tmp = dir.join(format!(".{URL_KEY_FILE}.{}.tmp", uuid::Uuid::new_v4()));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    f.write_all(&secret)?;
    f.sync_all()?;
    // hard_link fails if another process saved first; then its secret wins.
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fs::read(&path),
        Err(e) => Err(e),
    }
}

/// The query parameters of a signed URL, each present exactly once.
struct Params(BTreeMap<String, String>);

impl Params {
    fn parse(query: &str, allowed: &[&str]) -> Result<Self, UploadRefused> {
        let mut map = BTreeMap::new();
        for (k, v) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(UploadRefused::Invalid(format!("unexpected parameter {k:?}")));
            }
            if map.insert(k.clone().into_owned(), v.into_owned()).is_some() {
                return Err(UploadRefused::Invalid(format!("parameter {k:?} appears twice")));
            }
        }
        Ok(Self(map))
    }

    fn get(&self, name: &str) -> Result<&str, UploadRefused> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| UploadRefused::Invalid(format!("missing parameter {name:?}")))
    }

    fn optional(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<T, UploadRefused> {
        self.get(name)?.parse().map_err(|_| UploadRefused::Invalid(format!("parameter {name:?} is not a number")))
    }
}

impl FsBlobStore {
    /// Objects under `<data_dir>/blobs/`, the URL secret in `<data_dir>/keys/blob-url.key`,
    /// URLs on `base_url` (e.g. `http://127.0.0.1:8080`), uploads announced on `queues`.
    pub fn open(
        data_dir: &Path,
        base_url: &str,
        clock: Arc<dyn Clock>,
        queues: Arc<dyn Queues>,
    ) -> std::io::Result<Self> {
        let secret = load_or_generate_secret(&data_dir.join(crate::family::KEYS_DIR))?;
        Self::with_secret(&data_dir.join(BLOBS_DIR), base_url, &secret, clock, queues)
    }

    /// Objects under `root`, URLs signed with `secret` (tests, or a secret kept elsewhere).
    pub fn with_secret(
        root: &Path,
        base_url: &str,
        secret: &[u8],
        clock: Arc<dyn Clock>,
        queues: Arc<dyn Queues>,
    ) -> std::io::Result<Self> {
        if secret.len() < SECRET_BYTES {
            return Err(std::io::Error::other(format!("the URL secret must be at least {SECRET_BYTES} bytes")));
        }
        let mac = HmacSha256::new_from_slice(secret).map_err(std::io::Error::other)?;
        fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_owned(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            mac,
            clock,
            queues,
            lock: Arc::new(RwLock::new(())),
        })
    }

    /// The folder holding the objects.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The base URL signed URLs point at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn mac(&self, fields: &[&str]) -> HmacSha256 {
        // Fields never hold control characters (checked), so a newline separates them unambiguously.
        let mut mac = self.mac.clone();
        mac.update(fields.join("\n").as_bytes());
        mac
    }

    fn sign(&self, fields: &[&str]) -> String {
        hex(&self.mac(fields).finalize().into_bytes())
    }

    /// Constant-time check of a hex signature.
    fn verify(&self, fields: &[&str], sig: &str) -> Result<(), UploadRefused> {
        let sig = unhex(sig).ok_or(UploadRefused::BadSignature)?;
        self.mac(fields).verify_slice(&sig).map_err(|_| UploadRefused::BadSignature)
    }

    fn expiry(&self, ttl: Duration) -> Result<OffsetDateTime, BlobError> {
        check_ttl(ttl)?;
        let secs = i64::try_from(ttl.as_secs()).map_err(|_| BlobError::Invalid("URL lifetime too long".into()))?
            + i64::from(ttl.subsec_nanos() > 0);
        let at = self.clock.now().unix_timestamp() + secs;
        OffsetDateTime::from_unix_timestamp(at).map_err(|e| BlobError::Invalid(e.to_string()))
    }

    fn check_expiry(&self, exp: i64) -> Result<(), UploadRefused> {
        if self.clock.now().unix_timestamp() > exp {
            return Err(UploadRefused::Expired { expired_at: exp });
        }
        Ok(())
    }

    fn url(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v);
        }
        format!("{}{path}?{}", self.base_url, q.finish())
    }

    /// Verifies a presigned upload (`PUT {UPLOAD_PATH}?{query}`), stores the body and announces it
    /// on the `Parse` queue. Nothing is stored or sent unless every check passes.
    pub async fn accept_upload(
        &self,
        query: &str,
        content_type_header: Option<&str>,
        body: Bytes,
    ) -> Result<BlobMeta, UploadRefused> {
        let p = Params::parse(query, &["key", "ct", "max", "exp", "sig"])?;
        let (key, ct, max, exp, sig) = (p.get("key")?, p.get("ct")?, p.get("max")?, p.get("exp")?, p.get("sig")?);
        if [key, ct, max, exp].iter().any(|f| f.chars().any(char::is_control)) {
            return Err(UploadRefused::BadSignature);
        }
        self.verify(&["PUT", key, ct, max, exp], sig)?;
        let limit: u64 = p.number("max")?;
        let exp: i64 = p.number("exp")?;
        self.check_expiry(exp)?;
        let got = content_type_header.map(str::trim);
        if got != Some(ct) {
            return Err(UploadRefused::WrongContentType { expected: ct.to_owned(), got: got.map(str::to_owned) });
        }
        let size = body.len() as u64;
        if size > limit {
            return Err(UploadRefused::TooLarge { size, limit });
        }
        let meta = self.put_bytes(key, body, ct).await?;
        self.announce(&meta).await.map_err(|e| UploadRefused::Unavailable(e.to_string()))?;
        clearview_observe::correlation::upload_span(&meta.key)
            .in_scope(|| tracing::info!(key = %meta.key, size = meta.size, "upload accepted and announced"));
        Ok(meta)
    }

    /// Verifies a presigned download (`GET {DOWNLOAD_PATH}?{query}`) and reads the object; the
    /// name, when the URL carries one, is for `Content-Disposition` (see [`content_disposition`]).
    pub async fn accept_download(&self, query: &str) -> Result<(Blob, Option<String>), UploadRefused> {
        let p = Params::parse(query, &["key", "exp", "name", "sig"])?;
        let (key, exp, sig) = (p.get("key")?, p.get("exp")?, p.get("sig")?);
        let name = p.optional("name");
        if [key, exp, name.unwrap_or_default()].iter().any(|f| f.chars().any(char::is_control)) {
            return Err(UploadRefused::BadSignature);
        }
        self.verify(&["GET", key, exp, name.unwrap_or_default()], sig)?;
        let exp: i64 = p.number("exp")?;
        self.check_expiry(exp)?;
        let blob = self.get(key, MAX_DOWNLOAD_BYTES).await?;
        Ok((blob, name.map(str::to_owned)))
    }

    /// The bucket notification: every queue the table feeds with objects under this key is
    /// told of the new object, as S3 does for every PutObject.
    async fn announce(&self, meta: &BlobMeta) -> Result<(), BlobError> {
        let created = ObjectCreated { key: meta.key.clone(), size: meta.size, version: meta.version.clone() };
        for queue in clearview_chain::table::object_created_queues(&meta.key) {
            self.queues.send(queue, &created.message()).await.map_err(|e| {
                tracing::warn!(key = %meta.key, %queue, error = %e, "object stored but not announced");
                BlobError::Unavailable(format!("the object was stored but not announced: {e}"))
            })?;
        }
        Ok(())
    }

    async fn put_bytes(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<BlobMeta, BlobError> {
        let rel = key_path(key)?;
        check_content_type(content_type)?;
        let me = self.clone();
        let (key, ct) = (key.to_owned(), content_type.to_owned());
        tokio::task::spawn_blocking(move || me.put_blocking(&key, &rel, &bytes, &ct)).await.map_err(unavailable)?
    }

    fn paths(&self, rel: &Path) -> Result<(PathBuf, PathBuf), BlobError> {
        let path = self.root.join(rel);
        let name = rel.file_name().and_then(|n| n.to_str()).ok_or_else(|| BlobError::Invalid("empty key".into()))?;
        let sidecar = path.with_file_name(format!(".{name}.meta.json"));
        Ok((path, sidecar))
    }

    fn put_blocking(&self, key: &str, rel: &Path, bytes: &[u8], content_type: &str) -> Result<BlobMeta, BlobError> {
        let (path, sidecar) = self.paths(rel)?;
        let dir = path.parent().ok_or_else(|| BlobError::Invalid("empty key".into()))?;
        let version = hex(&Sha256::digest(bytes));
        let meta = Sidecar { content_type: Some(content_type.to_owned()), size: bytes.len() as u64, version };
        let meta_json = serde_json::to_vec(&meta).map_err(unavailable)?;
        let _guard = self.lock.write().map_err(|_| unavailable("blob lock poisoned"))?;
        let written = (|| {
            fs::create_dir_all(dir)?;
            let tmp_data = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
            let tmp_meta = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
            let result = (|| {
                write_synced(&tmp_data, bytes)?;
                write_synced(&tmp_meta, &meta_json)?;
                fs::rename(&tmp_data, &path)?;
                fs::rename(&tmp_meta, &sidecar)
            })();
            if result.is_err() {
                let _ = fs::remove_file(&tmp_data);
                let _ = fs::remove_file(&tmp_meta);
            }
            result
        })();
        written.map_err(|e| BlobError::Unavailable(format!("writing {key}: {e}")))?;
        tracing::debug!(key, size = meta.size, "blob stored");
        Ok(BlobMeta {
            key: key.to_owned(),
            size: meta.size,
            content_type: meta.content_type,
            version: Some(meta.version),
        })
    }

    /// Metadata from the sidecar, or derived from the content when the sidecar is missing or stale.
    fn head_blocking(&self, key: &str, rel: &Path) -> Result<Option<BlobMeta>, BlobError> {
        let (path, sidecar) = self.paths(rel)?;
        let size = match fs::metadata(&path) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        };
        let side: Option<Sidecar> = fs::read(&sidecar).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let (content_type, version) = match side {
            Some(s) if s.size == size => (s.content_type, s.version),
            other => {
                let bytes = fs::read(&path).map_err(unavailable)?;
                (other.and_then(|s| s.content_type), hex(&Sha256::digest(&bytes)))
            }
        };
        Ok(Some(BlobMeta { key: key.to_owned(), size, content_type, version: Some(version) }))
    }

    fn get_blocking(&self, key: &str, rel: &Path, max_bytes: u64) -> Result<Blob, BlobError> {
        let _guard = self.lock.read().map_err(|_| unavailable("blob lock poisoned"))?;
        let meta = self.head_blocking(key, rel)?.ok_or_else(|| BlobError::NotFound(key.to_owned()))?;
        if meta.size > max_bytes {
            return Err(BlobError::TooLarge { size: meta.size, limit: max_bytes });
        }
        let (path, _) = self.paths(rel)?;
        let mut bytes = Vec::with_capacity(usize::try_from(meta.size).unwrap_or(0));
        let file = fs::File::open(&path).map_err(unavailable)?;
        // Read at most one byte past the limit, whatever the metadata said.
        file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(unavailable)?;
        let size = bytes.len() as u64;
        if size > max_bytes {
            return Err(BlobError::TooLarge { size, limit: max_bytes });
        }
        Ok(Blob { meta: BlobMeta { size, ..meta }, bytes })
    }

    fn delete_blocking(&self, rel: &Path) -> Result<(), BlobError> {
        let (path, sidecar) = self.paths(rel)?;
        let _guard = self.lock.write().map_err(|_| unavailable("blob lock poisoned"))?;
        for p in [&path, &sidecar] {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(unavailable(e)),
            }
        }
        Ok(())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[async_trait::async_trait]
impl BlobStore for FsBlobStore {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        ttl: Duration,
    ) -> Result<UploadTicket, BlobError> {
        key_path(key)?;
        check_content_type(content_type)?;
        if max_bytes == 0 {
            return Err(BlobError::Invalid("max_bytes must be positive".into()));
        }
        let expires_at = self.expiry(ttl)?;
        let (max, exp) = (max_bytes.to_string(), expires_at.unix_timestamp().to_string());
        let sig = self.sign(&["PUT", key, content_type, &max, &exp]);
        let url =
            self.url(UPLOAD_PATH, &[("key", key), ("ct", content_type), ("max", &max), ("exp", &exp), ("sig", &sig)]);
        let headers = BTreeMap::from([("Content-Type".to_owned(), content_type.to_owned())]);
        Ok(UploadTicket { url, method: "PUT".into(), headers, expires_at, max_bytes })
    }

    async fn presign_get(
        &self,
        key: &str,
        ttl: Duration,
        download_name: Option<&str>,
    ) -> Result<(String, OffsetDateTime), BlobError> {
        key_path(key)?;
        let name = download_name.filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().any(char::is_control)) {
            return Err(BlobError::Invalid("download name must not hold control characters".into()));
        }
        let expires_at = self.expiry(ttl)?;
        let exp = expires_at.unix_timestamp().to_string();
        let sig = self.sign(&["GET", key, &exp, name.unwrap_or_default()]);
        let mut params = vec![("key", key), ("exp", exp.as_str())];
        if let Some(n) = name {
            params.push(("name", n));
        }
        params.push(("sig", &sig));
        Ok((self.url(DOWNLOAD_PATH, &params), expires_at))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        let rel = key_path(key)?;
        let me = self.clone();
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || {
            let _guard = me.lock.read().map_err(|_| unavailable("blob lock poisoned"))?;
            me.head_blocking(&key, &rel)
        })
        .await
        .map_err(unavailable)?
    }

    async fn get(&self, key: &str, max_bytes: u64) -> Result<Blob, BlobError> {
        let rel = key_path(key)?;
        let me = self.clone();
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || me.get_blocking(&key, &rel, max_bytes)).await.map_err(unavailable)?
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<BlobMeta, BlobError> {
        let meta = self.put_bytes(key, Bytes::from(bytes), content_type).await?;
        self.announce(&meta).await?;
        Ok(meta)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let rel = key_path(key)?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.delete_blocking(&rel)).await.map_err(unavailable)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_relative_paths_and_unsafe_ones_are_refused() {
        assert_eq!(
            key_path("org/o1/applications/a1/resume.pdf").unwrap(),
            PathBuf::from("org/o1/applications/a1/resume.pdf")
        );
        for bad in
            ["", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", "a\0b", "a\nb", "a\\b", "a/.hidden", "C:/x"]
        {
            assert!(matches!(key_path(bad), Err(BlobError::Invalid(_))), "{bad:?} should be refused");
        }
        assert!(key_path(&"k".repeat(1025)).is_err());
    }

    #[test]
    fn hex_round_trips_and_rejects_odd_input() {
        assert_eq!(unhex(&hex(&[0, 1, 0xab, 0xff])).unwrap(), vec![0, 1, 0xab, 0xff]);
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
        assert!(unhex("éé").is_none());
    }

    #[test]
    fn content_disposition_escapes_quotes_and_encodes_utf8() {
        let v = content_disposition("Ana \"CV\" — 2025.pdf");
        assert_eq!(
            v,
            "attachment; filename=\"Ana _CV_ _ 2025.pdf\"; filename*=UTF-8''Ana%20%22CV%22%20%E2%80%94%202025.pdf"
        );
    }

    #[test]
    fn secret_is_generated_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_generate_secret(dir.path()).unwrap();
        let b = load_or_generate_secret(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), SECRET_BYTES);
    }

    #[test]
    fn refusals_carry_http_statuses() {
        assert_eq!(UploadRefused::BadSignature.status(), 403);
        assert_eq!(UploadRefused::Expired { expired_at: 0 }.status(), 403);
        assert_eq!(UploadRefused::WrongContentType { expected: "a/b".into(), got: None }.status(), 415);
        assert_eq!(UploadRefused::TooLarge { size: 2, limit: 1 }.status(), 413);
        assert_eq!(UploadRefused::Invalid("x".into()).status(), 400);
        assert!(UploadRefused::TooLarge { size: 2, limit: 1 }.reason().contains("2 bytes"));
    }
}
