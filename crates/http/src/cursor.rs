//! Opaque, tamper-proof list cursors: the store's page token, bound to the list it came from
//! (route, tenant, filters) and sealed with an HMAC, so a client can neither forge one nor replay
//! it against another tenant's list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use clearview_core::AppError;
use clearview_core::ports::store::PageToken;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(***)")
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    /// The list this cursor belongs to.
    s: String,
    /// The store's page token.
    t: PageToken,
}

impl CursorKey {
    /// At least 32 bytes of secret.
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err("the cursor secret must be at least 32 bytes".into());
        }
        Ok(Self(secret.to_vec()))
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        let mut m = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        m.update(payload);
        m
    }

    pub fn seal(&self, scope: &str, token: &PageToken) -> String {
        let payload = serde_json::to_vec(&Sealed { s: scope.to_owned(), t: token.clone() }).unwrap_or_default();
        let tag = self.mac(&payload).finalize().into_bytes();
        format!("{}.{}", B64.encode(&payload), B64.encode(tag))
    }

    pub fn open(&self, scope: &str, cursor: &str) -> Result<PageToken, AppError> {
        let bad = || AppError::field("cursor", "is not a cursor this list gave out; start again without it");
        let (p, t) = cursor.split_once('.').ok_or_else(bad)?;
        let payload = B64.decode(p).map_err(|_| bad())?;
        let tag = B64.decode(t).map_err(|_| bad())?;
        self.mac(&payload).verify_slice(&tag).map_err(|_| bad())?;
        let sealed: Sealed = serde_json::from_slice(&payload).map_err(|_| bad())?;
        if sealed.s != scope {
            return Err(bad());
        }
        Ok(sealed.t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::new(&[7u8; 32]).unwrap()
    }
    fn token() -> PageToken {
        PageToken([("pk".to_owned(), "ORG#a".to_owned()), ("sk".to_owned(), "JOB#1".to_owned())].into())
    }

    #[test]
    fn sealed_cursor_opens_for_its_own_list() {
        let c = key().seal("jobs-list:a", &token());
        assert_eq!(key().open("jobs-list:a", &c).unwrap(), token());
    }

    #[test]
    fn cursor_from_another_tenant_is_refused() {
        let c = key().seal("jobs-list:a", &token());
        assert!(key().open("jobs-list:b", &c).is_err());
    }

    #[test]
    fn edited_cursor_is_refused() {
        let c = key().seal("jobs-list:a", &token());
        let forged_payload = B64.encode(br#"{"s":"jobs-list:a","t":{"pk":"ORG#b","sk":"JOB#1"}}"#);
        let tag = c.split_once('.').unwrap().1;
        assert!(key().open("jobs-list:a", &format!("{forged_payload}.{tag}")).is_err());
        assert!(key().open("jobs-list:a", "garbage").is_err());
    }
}
