//! The Lambda functions: one per route and one per consumer, all running the one `bootstrap`
//! binary of `functions/` with their name as the handler (nothing is generated per function).

use clearview_http::ROUTES;

/// The names of every function: one per route, one per consumer (queue or schedule).
pub fn names() -> Vec<&'static str> {
    ROUTES.iter().map(|r| r.name).chain(clearview_chain::table::CONSUMERS.iter().map(|c| c.name)).collect()
}
