//! The narrow, async ports the use cases need; adapters live in `clearview-aws` and `clearview-local`.

pub mod blobs;
pub mod clock;
pub mod crypto;
pub mod identity;
pub mod mail;
pub mod queue;
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
}

impl Deps {
    /// The ports every function needs. Blobs, queues, events and sealing start unconfigured
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
