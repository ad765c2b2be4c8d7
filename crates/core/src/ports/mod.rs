//! The narrow, async ports the use cases need; adapters live in `clearview-aws` and `clearview-local`.

pub mod blobs;
pub mod clock;
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
}
