//! Rate limits that hold across every Lambda instance: fixed one-hour windows counted in the
//! table (an item per caller and hour, expiring by TTL), one `add_counts` write per request.
//!
//! A signed-in caller is counted per user: every request (`user`, 1,000/h), and on top the AI
//! routes (`ai`, 100/h) or the upload routes (`upload`, 50/h), all on that user's item of the
//! hour, in the same write. A caller without a token is counted per source IP (`ip`, 5,000/h).
//! Over a limit: 429 problem+json with `Retry-After` (the seconds left in the window) and the
//! IETF `RateLimit-Policy` / `RateLimit` headers (draft-ietf-httpapi-ratelimit-headers), which
//! every counted answer carries. API Gateway's stage throttling (template.yaml, CDK) sits in
//! front as a coarse guard. If the counter cannot be written the request is served (the limit
//! protects capacity; refusing everyone because the counter is down would defeat it) and the
//! failure is logged.

use crate::dispatch::Incoming;
use crate::problem::Problem;
use crate::routes::{Access, Route};
use clearview_core::ports::store::{ItemStore, Key};
use clearview_core::principal::Principal;
use http::{HeaderMap, HeaderValue, StatusCode};

/// The environment variable that overrides the limits: `user=1000,ip=5000,ai=100,upload=50`
/// (any subset; the rest keep their defaults).
pub const ENV: &str = "RATE_LIMITS";
/// The window: one hour.
pub const WINDOW_SECONDS: i64 = 3600;
const ENTITY: &str = "RateWindow";

/// Routes that run the AI (scoring) again: `ai` per user.
pub const AI_ROUTES: &[&str] = &["applications-reprocess-ai"];
/// Routes that hand out an upload: `upload` per user.
pub const UPLOAD_ROUTES: &[&str] = &["applications-resume-upload-url", "files-upload"];

/// Requests per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub per_user: u32,
    pub per_ip: u32,
    pub ai_per_user: u32,
    pub uploads_per_user: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self { per_user: 1000, per_ip: 5000, ai_per_user: 100, uploads_per_user: 50 }
    }
}

impl RateLimits {
    /// Reads `user=…,ip=…,ai=…,upload=…` (any subset) over the defaults.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| format!("{ENV}: {part:?} is not name=number"))?;
            let value: u32 = value
                .trim()
                .parse()
                .ok()
                .filter(|v| *v > 0)
                .ok_or_else(|| format!("{ENV}: {name} must be a positive whole number"))?;
            match name.trim() {
                "user" => limits.per_user = value,
                "ip" => limits.per_ip = value,
                "ai" => limits.ai_per_user = value,
                "upload" => limits.uploads_per_user = value,
                other => return Err(format!("{ENV}: unknown limit {other:?} (user, ip, ai, upload)")),
            }
        }
        Ok(limits)
    }

    /// The limits in [`ENV`], or the defaults when it is unset.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var(ENV) {
            Ok(v) => Self::parse(&v),
            Err(_) => Ok(Self::default()),
        }
    }

    /// The policies a route's calls count against (for the OpenAPI document).
    pub fn describe(&self, route: &Route) -> String {
        let mut parts = Vec::new();
        if route.access == Access::Public {
            parts.push(format!("{} requests an hour per IP address", self.per_ip));
        } else {
            parts.push(format!("{} requests an hour per user", self.per_user));
        }
        match class(route) {
            Some(Class::Ai) => parts.push(format!("{} AI runs an hour per user", self.ai_per_user)),
            Some(Class::Upload) => parts.push(format!("{} uploads an hour per user", self.uploads_per_user)),
            None => {}
        }
        parts.join(", ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Ai,
    Upload,
}

fn class(route: &Route) -> Option<Class> {
    if AI_ROUTES.contains(&route.name) {
        Some(Class::Ai)
    } else if UPLOAD_ROUTES.contains(&route.name) {
        Some(Class::Upload)
    } else {
        None
    }
}

/// One counted limit: its name, quota, and what is left after this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub policy: &'static str,
    pub quota: u32,
    pub used: i64,
}

impl Standing {
    fn remaining(&self) -> i64 {
        (i64::from(self.quota) - self.used).max(0)
    }
    fn exceeded(&self) -> bool {
        self.used > i64::from(self.quota)
    }
}

/// What the counter says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub standings: Vec<Standing>,
    /// Seconds until the window resets.
    pub reset: i64,
}

impl Verdict {
    /// The first limit this request went past.
    pub fn exceeded(&self) -> Option<&Standing> {
        self.standings.iter().find(|s| s.exceeded())
    }

    /// The 429 answer for an exceeded limit.
    pub fn problem(&self, over: &Standing) -> Problem {
        let what = match over.policy {
            "ip" => "requests from this IP address",
            "ai" => "AI runs for this user",
            "upload" => "uploads for this user",
            _ => "requests for this user",
        };
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too-many-requests",
            format!("more than {} {what} this hour; retry in {} s", over.quota, self.reset),
        );
        p.retry_after = Some(u32::try_from(self.reset).unwrap_or(u32::MAX));
        p
    }

    /// `RateLimit-Policy: "user";q=1000;w=3600` and `RateLimit: "user";r=998;t=1834`, one item
    /// per counted limit.
    pub fn headers(&self, headers: &mut HeaderMap) {
        let policy: Vec<String> =
            self.standings.iter().map(|s| format!("\"{}\";q={};w={WINDOW_SECONDS}", s.policy, s.quota)).collect();
        let state: Vec<String> =
            self.standings.iter().map(|s| format!("\"{}\";r={};t={}", s.policy, s.remaining(), self.reset)).collect();
        if let Ok(v) = HeaderValue::from_str(&policy.join(", ")) {
            headers.insert("ratelimit-policy", v);
        }
        if let Ok(v) = HeaderValue::from_str(&state.join(", ")) {
            headers.insert("ratelimit", v);
        }
    }
}

/// The caller's source address: API Gateway's `requestContext.http.sourceIp`, or the dev
/// server's peer; `unknown` when neither is there (in-process tests).
fn ip_of(incoming: &Incoming) -> &str {
    incoming.source_ip.as_deref().filter(|s| !s.is_empty()).unwrap_or("unknown")
}

/// The window's item key: `RATE#USER#<id>` or `RATE#IP#<address>`, sort key `H#<hour number>`.
pub fn window_key(subject: &str, window: i64) -> Key {
    Key::new(format!("RATE#{subject}"), format!("H#{window}"))
}

/// Counts this request (ONE write) and says where the caller stands.
pub async fn count(
    store: &dyn ItemStore,
    limits: &RateLimits,
    route: &Route,
    incoming: &Incoming,
    now: i64,
) -> Result<Verdict, clearview_core::ports::store::StoreError> {
    let window = now.div_euclid(WINDOW_SECONDS);
    let reset = (window + 1) * WINDOW_SECONDS - now;
    // Claims are only present once verified upstream (API Gateway's authorizer, the dev
    // server's verifier), and public routes get none.
    let user = match route.access {
        Access::Public => None,
        _ => incoming.claims.as_ref().and_then(Principal::from_claims),
    };
    let (subject, mut asks): (String, Vec<(&'static str, u32)>) = match &user {
        Some(p) => (format!("USER#{}", p.user_id), vec![("user", limits.per_user)]),
        None => (format!("IP#{}", ip_of(incoming)), vec![("ip", limits.per_ip)]),
    };
    if user.is_some() {
        match class(route) {
            Some(Class::Ai) => asks.push(("ai", limits.ai_per_user)),
            Some(Class::Upload) => asks.push(("upload", limits.uploads_per_user)),
            None => {}
        }
    }
    let deltas: Vec<(&str, i64)> = asks.iter().map(|(n, _)| (*n, 1)).collect();
    // Kept one window past its end, then DynamoDB's TTL sweeps it.
    let expires_at = (window + 2) * WINDOW_SECONDS;
    let totals = store.add_counts(&window_key(&subject, window), ENTITY, expires_at, &deltas).await?;
    let standings =
        asks.iter().zip(totals).map(|((policy, quota), used)| Standing { policy, quota: *quota, used }).collect();
    Ok(Verdict { standings, reset })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_a_subset_over_the_defaults() {
        let l = RateLimits::parse("user=5, upload=2").unwrap();
        assert_eq!(l, RateLimits { per_user: 5, uploads_per_user: 2, ..RateLimits::default() });
        assert_eq!(RateLimits::parse("").unwrap(), RateLimits::default());
        assert!(RateLimits::parse("user=0").is_err());
        assert!(RateLimits::parse("users=5").is_err());
        assert!(RateLimits::parse("user").is_err());
    }

    #[test]
    fn the_limited_routes_exist() {
        for name in AI_ROUTES.iter().chain(UPLOAD_ROUTES) {
            assert!(crate::routes::by_name(name).is_some(), "{name} is no route");
        }
    }

    #[test]
    fn headers_say_each_policy_and_what_is_left() {
        let v = Verdict {
            standings: vec![
                Standing { policy: "user", quota: 1000, used: 2 },
                Standing { policy: "ai", quota: 100, used: 101 },
            ],
            reset: 60,
        };
        let mut h = HeaderMap::new();
        v.headers(&mut h);
        assert_eq!(h["ratelimit-policy"], "\"user\";q=1000;w=3600, \"ai\";q=100;w=3600");
        assert_eq!(h["ratelimit"], "\"user\";r=998;t=60, \"ai\";r=0;t=60");
        let over = v.exceeded().unwrap();
        assert_eq!(over.policy, "ai");
        let p = v.problem(over);
        assert_eq!((p.status, p.retry_after), (429, Some(60)));
    }
}
