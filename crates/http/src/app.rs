//! The state every handler sees: the ports and the cursor key, built once per process.

use crate::cursor::CursorKey;
use crate::ratelimit::RateLimits;
use clearview_core::Deps;

#[derive(Clone)]
pub struct App {
    pub deps: Deps,
    pub cursors: CursorKey,
    /// Requests per hour per user, IP, AI run and upload (the defaults unless set).
    pub limits: RateLimits,
}

impl App {
    pub fn new(deps: Deps, cursors: CursorKey) -> Self {
        Self { deps, cursors, limits: RateLimits::default() }
    }

    pub fn with_rate_limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }
}
