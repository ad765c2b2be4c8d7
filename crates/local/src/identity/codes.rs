//! One-time codes (sign-up confirmation, password reset): six digits, stored only as SHA-256
//! digests, expiring, and locked after too many wrong guesses.

use super::{sha256_hex, unavailable};
use clearview_core::ports::identity::IdentityError;
use rand::Rng;
use rand::rngs::OsRng;
use rusqlite::{Connection, OptionalExtension, params};

/// Wrong codes allowed before a code is locked (Cognito answers LimitExceeded too).
const MAX_CODE_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    SignUp,
    Reset,
}

impl Purpose {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Purpose::SignUp => "sign_up",
            Purpose::Reset => "reset",
        }
    }
}

fn code_hash(sub: &str, code: &str) -> String {
    sha256_hex(&format!("{sub}:{code}"))
}

pub(super) fn new_code() -> String {
    format!("{:06}", OsRng.gen_range(0..1_000_000u32))
}

pub(super) fn store_code(
    conn: &Connection,
    sub: &str,
    purpose: Purpose,
    code: &str,
    expires_at: i64,
) -> Result<(), IdentityError> {
    conn.execute(
        "INSERT OR REPLACE INTO idp_codes (sub, purpose, code_hash, expires_at, attempts) VALUES (?1, ?2, ?3, ?4, 0)",
        params![sub, purpose.as_str(), code_hash(sub, code), expires_at],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// Checks and consumes a code. Wrong guesses count, so they are committed even on failure.
pub(super) fn use_code(
    conn: &Connection,
    sub: &str,
    purpose: Purpose,
    code: &str,
    now: i64,
) -> Result<(), IdentityError> {
    let row: Option<(String, i64, i64)> = conn
        .query_row(
            "SELECT code_hash, expires_at, attempts FROM idp_codes WHERE sub = ?1 AND purpose = ?2",
            params![sub, purpose.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(unavailable)?;
    let Some((hash, expires_at, attempts)) = row else {
        return Err(IdentityError::CodeMismatch);
    };
    if attempts >= MAX_CODE_ATTEMPTS {
        return Err(IdentityError::LimitExceeded("too many wrong codes; request a new code".into()));
    }
    if now > expires_at {
        conn.execute("DELETE FROM idp_codes WHERE sub = ?1 AND purpose = ?2", params![sub, purpose.as_str()])
            .map_err(unavailable)?;
        return Err(IdentityError::CodeExpired);
    }
    if hash != code_hash(sub, code.trim()) {
        conn.execute(
            "UPDATE idp_codes SET attempts = attempts + 1 WHERE sub = ?1 AND purpose = ?2",
            params![sub, purpose.as_str()],
        )
        .map_err(unavailable)?;
        return Err(IdentityError::CodeMismatch);
    }
    conn.execute("DELETE FROM idp_codes WHERE sub = ?1 AND purpose = ?2", params![sub, purpose.as_str()])
        .map_err(unavailable)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.chars().all(|c| c.is_ascii_digit()));
        }
    }
}
