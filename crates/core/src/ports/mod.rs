//! The narrow, async ports the use cases need; adapters live in `clearview-aws` and `clearview-local`.

pub mod blobs;
pub mod clock;
pub mod crypto;
pub mod identity;
pub mod mail;
pub mod malware;
pub mod ocr;
pub mod queue;
pub mod secrets;
pub mod store;

use std::sync::Arc;

/// Everything a use case may reach for, built once per process by a composition root.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn store::ItemStore>,
    pub identity: Arc<dyn identity::IdentityProvider>,
    pub mail: Arc<dyn mail::Mailer>,
    pub clock: Arc<dyn clock::Clock>,
    pub ids: Arc<dyn clock::IdGen>,
    pub blobs: Arc<dyn blobs::BlobStore>,
    pub queues: Arc<dyn queue::Queues>,
    pub events: Arc<dyn queue::Events>,
    pub sealer: Arc<dyn crypto::Sealer>,
    /// Reads scanned resumes (image-only PDFs, PNG, JPEG); unconfigured unless set.
    pub ocr: Arc<dyn ocr::Ocr>,
    /// Integration credentials: Secrets Manager in AWS; `None` seals them with [`Deps::sealer`]
    /// into their items (the embedded default). Read it through [`Deps::vault`].
    pub secrets: Option<Arc<dyn secrets::SecretVault>>,
    /// Scans uploads before they are parsed; unconfigured, it answers "unavailable", so a file
    /// is never taken for clean by a process that cannot scan it.
    pub malware: Arc<dyn malware::MalwareScanner>,
    /// Where outbound webhooks may go and how their deliveries are retried.
    pub webhooks: WebhookPolicy,
}

/// Outbound webhook settings of a process. The default is production's: targets must be
/// public `https://` addresses (no loopback, private, link-local or metadata addresses: SSRF),
/// and a failing delivery is retried for about five hours before it is dead-lettered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Allows `http://` and loopback or private targets (the embedded default and tests).
    pub allow_private_targets: bool,
    /// The wait before each retry of a failed delivery, in seconds (each at most 900: SQS's
    /// longest message delay); one attempt more than there are entries, then the dead-letter queue.
    pub retry_delays_s: Vec<u32>,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        // 30 s, 2 min, 5 min, 15 min, then every 15 min: 24 attempts over about 5 hours.
        let mut delays = vec![30, 120, 300];
        delays.extend(std::iter::repeat_n(900, 20));
        Self { allow_private_targets: false, retry_delays_s: delays }
    }
}

impl WebhookPolicy {
    /// For the embedded default and tests: loopback targets allowed, these retry delays.
    pub fn local(retry_delays_s: Vec<u32>) -> Self {
        Self { allow_private_targets: true, retry_delays_s }
    }
}

impl Deps {
    /// The ports every function needs. Blobs, queues, events, sealing, malware scanning and OCR
    /// start unconfigured
    /// (they answer "unavailable: not configured") until set with the `with_*` methods, so a
    /// function that does not need them needs none of their settings.
    pub fn new(
        store: Arc<dyn store::ItemStore>,
        identity: Arc<dyn identity::IdentityProvider>,
        mail: Arc<dyn mail::Mailer>,
        clock: Arc<dyn clock::Clock>,
        ids: Arc<dyn clock::IdGen>,
    ) -> Self {
        Self {
            store,
            identity,
            mail,
            clock,
            ids,
            blobs: Arc::new(Unconfigured),
            queues: Arc::new(Unconfigured),
            events: Arc::new(Unconfigured),
            sealer: Arc::new(Unconfigured),
            ocr: Arc::new(Unconfigured),
            secrets: None,
            malware: Arc::new(Unconfigured),
            webhooks: WebhookPolicy::default(),
        }
    }
    pub fn with_blobs(mut self, blobs: Arc<dyn blobs::BlobStore>) -> Self {
        self.blobs = blobs;
        self
    }
    pub fn with_queues(mut self, queues: Arc<dyn queue::Queues>) -> Self {
        self.queues = queues;
        self
    }
    pub fn with_events(mut self, events: Arc<dyn queue::Events>) -> Self {
        self.events = events;
        self
    }
    pub fn with_sealer(mut self, sealer: Arc<dyn crypto::Sealer>) -> Self {
        self.sealer = sealer;
        self
    }
    pub fn with_ocr(mut self, ocr: Arc<dyn ocr::Ocr>) -> Self {
        self.ocr = ocr;
        self
    }
    pub fn with_secrets(mut self, vault: Arc<dyn secrets::SecretVault>) -> Self {
        self.secrets = Some(vault);
        self
    }
    /// Where integration credentials go: the configured vault, else sealed into their items.
    pub fn vault(&self) -> Arc<dyn secrets::SecretVault> {
        self.secrets.clone().unwrap_or_else(|| Arc::new(secrets::SealedVault(self.sealer.clone())))
    }
    pub fn with_malware(mut self, scanner: Arc<dyn malware::MalwareScanner>) -> Self {
        self.malware = scanner;
        self
    }
    pub fn with_webhooks(mut self, webhooks: WebhookPolicy) -> Self {
        self.webhooks = webhooks;
        self
    }
}

/// Stands in for a port this process was not configured with.
#[derive(Debug, Clone, Copy)]
pub struct Unconfigured;

const UNCONFIGURED: &str = "not configured for this function";

#[async_trait::async_trait]
impl blobs::BlobStore for Unconfigured {
    async fn presign_put(
        &self,
        _: &str,
        _: &str,
        _: u64,
        _: std::time::Duration,
    ) -> Result<blobs::UploadTicket, blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
    async fn presign_get(
        &self,
        _: &str,
        _: std::time::Duration,
        _: Option<&str>,
    ) -> Result<(String, time::OffsetDateTime), blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
    async fn head(&self, _: &str) -> Result<Option<blobs::BlobMeta>, blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
    async fn get(&self, _: &str, _: u64) -> Result<blobs::Blob, blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
    async fn put(&self, _: &str, _: Vec<u8>, _: &str) -> Result<blobs::BlobMeta, blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
    async fn delete(&self, _: &str) -> Result<(), blobs::BlobError> {
        Err(blobs::BlobError::Unavailable(UNCONFIGURED.into()))
    }
}

#[async_trait::async_trait]
impl queue::Queues for Unconfigured {
    async fn send(&self, _: queue::WorkQueue, _: &queue::WorkMessage) -> Result<(), queue::QueueError> {
        Err(queue::QueueError::Unavailable(UNCONFIGURED.into()))
    }
    async fn dead_letter(&self, _: queue::WorkQueue, _: &queue::WorkMessage, _: &str) -> Result<(), queue::QueueError> {
        Err(queue::QueueError::Unavailable(UNCONFIGURED.into()))
    }
}

#[async_trait::async_trait]
impl queue::Events for Unconfigured {
    async fn publish(&self, _: &queue::DomainEvent) -> Result<(), queue::QueueError> {
        Err(queue::QueueError::Unavailable(UNCONFIGURED.into()))
    }
}

impl crypto::Sealer for Unconfigured {
    fn seal(&self, _: &[u8], _: &[u8]) -> Result<crypto::Sealed, crypto::SealError> {
        Err(crypto::SealError::Unconfigured)
    }
    fn open(&self, _: &crypto::Sealed, _: &[u8]) -> Result<Vec<u8>, crypto::SealError> {
        Err(crypto::SealError::Unconfigured)
    }
}

#[async_trait::async_trait]
impl malware::MalwareScanner for Unconfigured {
    async fn verdict(&self, _: &str, _: &[u8]) -> Result<malware::Verdict, malware::ScanError> {
        Err(malware::ScanError::Unavailable(UNCONFIGURED.into()))
    }
}

#[async_trait::async_trait]
impl ocr::Ocr for Unconfigured {
    async fn recognize(&self, _: &[u8], _: ocr::ScanKind) -> Result<ocr::OcrText, ocr::OcrError> {
        Err(ocr::OcrError::Unavailable(UNCONFIGURED.into()))
    }
}
