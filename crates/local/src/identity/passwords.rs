//! Passwords: argon2id hashing and verification (in constant time whether or not the account
//! exists), and the temporary passwords invitations carry.

use super::accounts::Account;
use super::{LocalIdentity, unavailable};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use clearview_core::ports::identity::IdentityError;
use rand::Rng;
use rand::rngs::OsRng;

/// The line of the invitation mail that carries the temporary password.
pub const TEMPORARY_PASSWORD_LABEL: &str = "Temporary password:";

/// A random password that meets Cognito's default policy, without look-alike characters.
pub(super) fn temporary_password() -> String {
    const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
    const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
    const DIGIT: &[u8] = b"23456789";
    const SYMBOL: &[u8] = b"!#%+-=?@^_";
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    let pick = |set: &[u8]| set[OsRng.gen_range(0..set.len())];
    let mut chars: Vec<u8> = vec![pick(UPPER), pick(LOWER), pick(DIGIT), pick(SYMBOL)];
    chars.extend((0..10).map(|_| pick(&all)));
    // Fisher–Yates, so the required classes are not always in front.
    for i in (1..chars.len()).rev() {
        chars.swap(i, OsRng.gen_range(0..=i));
    }
    chars.into_iter().map(char::from).collect()
}

impl LocalIdentity {
    fn argon2(&self) -> Result<Argon2<'static>, IdentityError> {
        let params = if self.config.fast_hashing {
            Params::new(1024, 1, 1, None).map_err(unavailable)?
        } else {
            Params::default()
        };
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }

    pub(super) async fn hash(&self, password: String) -> Result<String, IdentityError> {
        let argon = self.argon2()?;
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon.hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(unavailable)
        })
        .await
        .map_err(unavailable)?
    }

    /// Whether `password` matches; an unknown user is checked against a dummy hash so that
    /// timing does not tell whether the account exists.
    pub(super) async fn password_matches(
        &self,
        account: Option<&Account>,
        password: &str,
    ) -> Result<bool, IdentityError> {
        let hash = match account {
            Some(a) => a.password_hash.clone(),
            None => match self.dummy_hash.get() {
                Some(h) => h.clone(),
                None => {
                    let h = self.hash("dummy password".into()).await?;
                    self.dummy_hash.get_or_init(|| h).clone()
                }
            },
        };
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(unavailable)?;
        Ok(matches && account.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearview_core::values::Password;

    #[test]
    fn temporary_passwords_meet_the_policy() {
        for _ in 0..200 {
            let p = temporary_password();
            assert!(Password::parse("p", &p).is_ok(), "{p}");
            assert!(!p.contains(' '));
        }
    }
}
