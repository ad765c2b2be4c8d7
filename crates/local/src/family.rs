//! `LocalFamily`: the embedded adapters wired together over one data dir.

use crate::identity::{IdentityConfig, LocalIdentity};
use crate::keys::{KeyError, SigningKey};
use crate::mail::{Outbox, OutboxMailer};
use crate::store::SqliteStore;
use crate::verify::JwtVerifier;
use clearview_core::Deps;
use clearview_core::ports::clock::{Clock, IdGen, SystemClock, UuidV7};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Database file inside the data dir.
pub const DB_FILE: &str = "clearview.db";
/// Signing keys folder inside the data dir.
pub const KEYS_DIR: &str = "keys";
/// Outbox folder inside the data dir.
pub const OUTBOX_DIR: &str = "outbox";

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("data dir {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("store: {0}")]
    Store(#[from] clearview_core::ports::store::StoreError),
    #[error("identity: {0}")]
    Identity(#[from] clearview_core::ports::identity::IdentityError),
    #[error("token verifier: {0}")]
    Verify(#[from] crate::verify::VerifyError),
}

/// Options for [`LocalFamily::open_with`].
pub struct LocalOptions {
    pub identity: IdentityConfig,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Use this key instead of the one in `<data>/keys/` (tests share one to stay fast).
    pub signing_key: Option<SigningKey>,
    /// Keep the item store and accounts in memory (the outbox stays on disk).
    pub in_memory: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            identity: IdentityConfig::default(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            signing_key: None,
            in_memory: false,
        }
    }
}

/// Every embedded adapter, built once per process (or per test).
#[derive(Clone)]
pub struct LocalFamily {
    pub data_dir: PathBuf,
    pub store: Arc<SqliteStore>,
    pub identity: Arc<LocalIdentity>,
    pub mailer: Arc<OutboxMailer>,
    pub outbox: Outbox,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub verifier: JwtVerifier,
}

impl std::fmt::Debug for LocalFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFamily").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl LocalFamily {
    /// Opens (creating if needed) `<data_dir>/clearview.db`, `<data_dir>/keys/`, `<data_dir>/outbox/`.
    pub fn open(data_dir: &Path) -> Result<Self, LocalError> {
        Self::open_with(data_dir, LocalOptions::default())
    }

    /// For tests: store and accounts in memory, the outbox under `dir`, a key shared by the
    /// test binary, cheap password hashing, the system clock.
    pub fn in_memory_for_tests(dir: &Path) -> Result<Self, LocalError> {
        Self::in_memory_for_tests_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`LocalFamily::in_memory_for_tests`] on a clock the test controls (e.g. `FixedClock`).
    pub fn in_memory_for_tests_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, LocalError> {
        let identity = IdentityConfig { fast_hashing: true, ..IdentityConfig::default() };
        Self::open_with(
            dir,
            LocalOptions {
                identity,
                clock,
                signing_key: Some(crate::keys::shared_test_key()?),
                in_memory: true,
                ..LocalOptions::default()
            },
        )
    }

    pub fn open_with(data_dir: &Path, options: LocalOptions) -> Result<Self, LocalError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| LocalError::Io { path, source }
        };
        std::fs::create_dir_all(data_dir).map_err(io(data_dir))?;
        let clock = options.clock;
        let db = data_dir.join(DB_FILE);
        let db = (!options.in_memory).then_some(db.as_path());
        let store = match db {
            Some(path) => SqliteStore::open(path, Arc::clone(&clock))?,
            None => SqliteStore::in_memory(Arc::clone(&clock))?,
        };
        let outbox_dir = data_dir.join(OUTBOX_DIR);
        let mailer = Arc::new(OutboxMailer::open(&outbox_dir, Arc::clone(&clock)).map_err(io(&outbox_dir))?);
        let key = match options.signing_key {
            Some(k) => k,
            None => SigningKey::load_or_generate(&data_dir.join(KEYS_DIR))?,
        };
        let identity = LocalIdentity::open(db, key, mailer.clone(), Arc::clone(&clock), options.identity)?;
        Ok(Self {
            data_dir: data_dir.to_owned(),
            store: Arc::new(store),
            verifier: identity.verifier()?,
            identity: Arc::new(identity),
            outbox: mailer.outbox(),
            mailer,
            clock,
            ids: options.ids,
        })
    }

    /// The ports as `clearview_core::Deps`.
    pub fn deps(&self) -> Deps {
        Deps {
            store: self.store.clone(),
            identity: self.identity.clone(),
            mail: self.mailer.clone(),
            clock: Arc::clone(&self.clock),
            ids: Arc::clone(&self.ids),
        }
    }

    /// The JWKS document of the local issuer.
    pub fn jwks(&self) -> serde_json::Value {
        self.identity.jwks()
    }
}
