//! Fetches a JSON Web Key Set over HTTP(S) with the hyper/rustls stack the AWS SDK already links.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::Arc;
use std::time::Duration;

/// How long a JWKS fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// A JWKS larger than this is refused (Cognito's is about 1 KiB).
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS URL {url:?} is invalid: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("could not fetch the JWKS from {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("JWKS endpoint {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("JWKS from {url} is not a key set: {reason}")]
    NotAKeySet { url: String, reason: String },
}

/// GETs `url` and returns the key set (`{"keys": [...]}`), checked to hold a `keys` array.
pub async fn fetch_jwks(url: &str) -> Result<serde_json::Value, JwksError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| JwksError::BadUrl { url: url.to_owned(), reason: e.to_string() })?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(JwksError::BadUrl { url: url.to_owned(), reason: "must be http:// or https://".into() });
    }
    let unreachable = |reason: String| JwksError::Unreachable { url: url.to_owned(), reason };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider)
        .map_err(|e| unreachable(format!("no TLS roots: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
    let request = http::Request::get(uri)
        .header(http::header::ACCEPT, "application/json")
        .body(Empty::new())
        .map_err(|e| JwksError::BadUrl { url: url.to_owned(), reason: e.to_string() })?;

    let fetch = async {
        let response = client.request(request).await.map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError::Status { url: url.to_owned(), status: status.as_u16() });
        }
        let body = http_body_util::Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| unreachable(e.to_string()))?
            .to_bytes();
        Ok(body)
    };
    let body = tokio::time::timeout(FETCH_TIMEOUT, fetch)
        .await
        .map_err(|_| unreachable(format!("timed out after {FETCH_TIMEOUT:?}")))??;
    let not_a_set = |reason: String| JwksError::NotAKeySet { url: url.to_owned(), reason };
    let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| not_a_set(e.to_string()))?;
    if !value.get("keys").is_some_and(serde_json::Value::is_array) {
        return Err(not_a_set("no \"keys\" array".into()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn non_http_url_is_refused_before_any_request() {
        assert!(matches!(fetch_jwks("ftp://example.com/jwks.json").await, Err(JwksError::BadUrl { .. })));
        assert!(matches!(fetch_jwks("not a url").await, Err(JwksError::BadUrl { .. })));
    }

    #[tokio::test]
    async fn closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let e = fetch_jwks(&format!("http://127.0.0.1:{port}/jwks.json")).await.unwrap_err();
        assert!(matches!(e, JwksError::Unreachable { .. }), "{e}");
    }
}
