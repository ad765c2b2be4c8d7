//! The state every handler sees: the ports and the cursor key, built once per process.

use crate::cursor::CursorKey;
use crate::ratelimit::{Counter, RateLimits};
use clearview_core::Deps;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The environment variable naming who may register as the first platform admins
/// (comma-separated emails): how a fresh deployment gets its first `platform_admin`.
pub const PLATFORM_ADMIN_EMAILS: &str = clearview_chain::table::env::PLATFORM_ADMIN_EMAILS;

#[derive(Clone)]
pub struct App {
    pub deps: Deps,
    pub cursors: CursorKey,
    /// Requests per hour per user, IP, AI run and upload (the defaults unless set).
    pub limits: RateLimits,
    /// Where the rate counts are kept (the table, one write a request, unless set).
    pub rate_counter: Counter,
    /// Lowercased emails that may take the `platform_admin` role at `POST /api/auth/register`
    /// (the bootstrap; after that, platform admins make others).
    pub platform_admins: Arc<BTreeSet<String>>,
}

impl App {
    pub fn new(deps: Deps, cursors: CursorKey) -> Self {
        Self {
            deps,
            cursors,
            limits: RateLimits::default(),
            rate_counter: Counter::Table,
            platform_admins: Arc::default(),
        }
    }

    /// Reads [`PLATFORM_ADMIN_EMAILS`] (absent: nobody may bootstrap).
    pub fn with_platform_admins_from_env(mut self) -> Self {
        let list = std::env::var(PLATFORM_ADMIN_EMAILS).unwrap_or_default();
        self.platform_admins =
            Arc::new(list.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect());
        self
    }

    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn with_rate_counter(mut self, counter: Counter) -> Self {
        self.rate_counter = counter;
        self
    }
}
