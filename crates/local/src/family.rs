//! `LocalFamily`: the embedded adapters wired together over one data dir.

use crate::blobs::{BLOBS_DIR, FsBlobStore};
use crate::identity::{IdentityConfig, LocalIdentity};
use crate::keys::{KeyError, SigningKey};
use crate::mail::{Outbox, OutboxMailer};
use crate::malware::ClamAv;
use crate::queues::{QueueConfig, SqliteQueues};
use crate::store::SqliteStore;
use crate::verify::JwtVerifier;
use crate::workers::CancellationToken;
use clearview_core::Deps;
use clearview_core::ports::blobs::BlobStore;
use clearview_core::ports::clock::{Clock, IdGen, SystemClock, UuidV7};
use clearview_core::ports::queue::{Consumer, Events, Queues};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Database file inside the data dir.
pub const DB_FILE: &str = "clearview.db";
/// Signing keys folder inside the data dir.
pub const KEYS_DIR: &str = "keys";
/// Outbox folder inside the data dir.
pub const OUTBOX_DIR: &str = "outbox";
/// Where signed blob URLs point unless told otherwise (the dev server's default address).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

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
    #[error("queues: {0}")]
    Queue(#[from] clearview_core::ports::queue::QueueError),
}

/// Options for [`LocalFamily::open_with`].
pub struct LocalOptions {
    pub identity: IdentityConfig,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    /// Use this key instead of the one in `<data>/keys/` (tests share one to stay fast).
    pub signing_key: Option<SigningKey>,
    /// Keep the item store, accounts and queues in memory (the outbox and blobs stay on disk).
    pub in_memory: bool,
    /// Where signed blob URLs point: the dev server's address, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Redrive policy, retry backoff and topic subscriptions of the queues.
    pub queues: QueueConfig,
    /// Scans uploads before the parse consumer opens them. `None`: the parse consumer finds the
    /// scanner unconfigured and retries (then dead-letters) every upload with that reason.
    pub malware: Option<ClamAv>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            identity: IdentityConfig::default(),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            signing_key: None,
            in_memory: false,
            base_url: DEFAULT_BASE_URL.to_owned(),
            queues: QueueConfig::default(),
            malware: None,
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
    /// Files under `<data>/blobs/`; uploads through its URLs are announced on `queues`.
    pub blobs: Arc<FsBlobStore>,
    /// The work queues, which also serve as the application-events topic (`Events`).
    pub queues: Arc<SqliteQueues>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub verifier: JwtVerifier,
    /// ClamAV over its signature database, if one was given.
    pub malware: Option<Arc<ClamAv>>,
}

impl std::fmt::Debug for LocalFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFamily").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

impl LocalFamily {
    /// Opens (creating if needed) `<data_dir>/clearview.db`, `<data_dir>/keys/`, `<data_dir>/outbox/`,
    /// `<data_dir>/blobs/`.
    pub fn open(data_dir: &Path) -> Result<Self, LocalError> {
        Self::open_with(data_dir, LocalOptions::default())
    }

    /// For tests: store and accounts in memory, the outbox under `dir`, a key shared by the
    /// test binary, cheap password hashing, the system clock.
    pub fn in_memory_for_tests(dir: &Path) -> Result<Self, LocalError> {
        Self::in_memory_for_tests_with_clock(dir, Arc::new(SystemClock))
    }

    /// [`LocalFamily::in_memory_for_tests`] on a clock the test controls (e.g. `FixedClock`).
    /// Uploads are scanned by `clamscan` with the test database (the EICAR file and the
    /// ClearView test marker, see [`ClamAv::write_test_database`]) written under `dir`.
    pub fn in_memory_for_tests_with_clock(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, LocalError> {
        let identity = IdentityConfig { fast_hashing: true, ..IdentityConfig::default() };
        let clamav_dir = dir.join("clamav");
        let database =
            ClamAv::write_test_database(&clamav_dir).map_err(|source| LocalError::Io { path: clamav_dir, source })?;
        Self::open_with(
            dir,
            LocalOptions {
                identity,
                clock,
                signing_key: Some(crate::keys::shared_test_key()?),
                in_memory: true,
                malware: Some(ClamAv::new(database).with_timeout(std::time::Duration::from_secs(30))),
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
        // One connection for the store, the identity store and the queues: one writer per file.
        let conn = crate::store::shared_connection(db)
            .map_err(|e| clearview_core::ports::store::StoreError::Unavailable(e.to_string()))?;
        let store = SqliteStore::on(conn.clone(), Arc::clone(&clock))?;
        let outbox_dir = data_dir.join(OUTBOX_DIR);
        let mailer = Arc::new(OutboxMailer::open(&outbox_dir, Arc::clone(&clock)).map_err(io(&outbox_dir))?);
        let key = match options.signing_key {
            Some(k) => k,
            None => SigningKey::load_or_generate(&data_dir.join(KEYS_DIR))?,
        };
        let identity = LocalIdentity::on(conn.clone(), key, mailer.clone(), Arc::clone(&clock), options.identity)?;
        let queues = Arc::new(SqliteQueues::on(conn, Arc::clone(&clock), options.queues)?);
        let blobs = FsBlobStore::open(data_dir, &options.base_url, Arc::clone(&clock), queues.clone())
            .map_err(io(&data_dir.join(BLOBS_DIR)))?;
        Ok(Self {
            data_dir: data_dir.to_owned(),
            store: Arc::new(store),
            verifier: identity.verifier()?,
            identity: Arc::new(identity),
            outbox: mailer.outbox(),
            mailer,
            blobs: Arc::new(blobs),
            queues,
            clock,
            ids: options.ids,
            malware: options.malware.map(Arc::new),
        })
    }

    /// The ports as `clearview_core::Deps`.
    pub fn deps(&self) -> Deps {
        let deps = Deps::new(
            self.store.clone(),
            self.identity.clone(),
            self.mailer.clone(),
            Arc::clone(&self.clock),
            Arc::clone(&self.ids),
        )
        .with_blobs(self.blob_store())
        .with_queues(self.work_queues())
        .with_events(self.events())
        // Scanned resumes: Tesseract (installed by scripts/system-deps.sh; if it is missing, a scan's
        // parse is retried and then dead-lettered with the reason).
        .with_ocr(Arc::new(crate::ocr::TesseractOcr::default()))
        // The embedded default runs on a laptop: webhook receivers on loopback are the point.
        .with_webhooks(clearview_core::ports::WebhookPolicy::local(
            clearview_core::ports::WebhookPolicy::default().retry_delays_s,
        ));
        match &self.malware {
            Some(scanner) => deps.with_malware(scanner.clone()),
            None => deps,
        }
    }

    /// The blob store port (for `Deps`).
    pub fn blob_store(&self) -> Arc<dyn BlobStore> {
        self.blobs.clone()
    }

    /// The work queues port (for `Deps`).
    pub fn work_queues(&self) -> Arc<dyn Queues> {
        self.queues.clone()
    }

    /// The domain events port (for `Deps`): the same queues, fanning out to the subscribers.
    pub fn events(&self) -> Arc<dyn Events> {
        self.queues.clone()
    }

    /// Starts one worker loop per consumer over this family's queues (see [`crate::workers`]).
    pub fn spawn_workers(
        &self,
        consumers: Vec<Arc<dyn Consumer>>,
        shutdown: CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        crate::workers::spawn_workers(self.queues.clone(), consumers, shutdown)
    }

    /// Runs every consumer of the asynchronous-work table over `deps`: a worker per queue
    /// consumer on the durable queues, and the local cron for the scheduled jobs.
    pub fn spawn_table(&self, deps: &Deps, shutdown: CancellationToken) -> Vec<tokio::task::JoinHandle<()>> {
        // Each consumer receives as many messages at a time as its event source mapping hands
        // its Lambda (the table's batch size): one receive, not one per message. One dispatcher
        // receives for all of them together.
        let consumers = clearview_chain::table::queue_consumers(deps)
            .into_iter()
            .map(|(def, consumer)| {
                let batch = match def.trigger {
                    clearview_chain::table::Trigger::Sqs { batch_size, .. } => usize::try_from(batch_size).unwrap_or(1),
                    clearview_chain::table::Trigger::Schedule { .. } => 1,
                };
                (consumer, batch)
            })
            .collect();
        let mut tasks = crate::workers::spawn_batched(
            self.queues.clone(),
            consumers,
            shutdown.clone(),
            crate::workers::WorkerOptions::default(),
        );
        let jobs = clearview_chain::table::scheduled(deps)
            .into_iter()
            .filter_map(|(def, job)| {
                let clearview_chain::table::Trigger::Schedule { expression } = def.trigger else { return None };
                match crate::cron::Schedule::parse(expression) {
                    Ok(schedule) => Some(crate::cron::ScheduledJob { name: def.name, schedule, job }),
                    Err(e) => {
                        tracing::error!(schedule = def.name, error = %e, "schedule not started");
                        None
                    }
                }
            })
            .collect();
        tasks.extend(crate::cron::spawn_schedules(jobs, Arc::clone(&self.clock), shutdown.clone()));
        let queues = clearview_chain::table::QUEUES.iter().map(|q| q.queue()).collect();
        tasks.push(crate::workers::spawn_dead_letter_watch(
            self.queues.clone(),
            queues,
            crate::workers::DEAD_LETTER_WATCH,
            shutdown,
        ));
        tasks
    }

    /// The JWKS document of the local issuer.
    pub fn jwks(&self) -> serde_json::Value {
        self.identity.jwks()
    }
}
