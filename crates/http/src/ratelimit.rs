//! Rate limits that hold across every Lambda instance: fixed one-hour windows counted in the
//! table (an item per caller and hour, expiring by TTL), one `add_counts` write per request.
//! The dev server, the only process counting on its data folder, counts in memory and writes
//! the counts to the same items once a second ([`Batched`]).
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
use clearview_core::ports::clock::Clock;
use clearview_core::ports::store::{ItemStore, Key, StoreError};
use clearview_core::principal::Principal;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

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

/// Where the counts are kept.
#[derive(Clone, Default)]
pub enum Counter {
    /// One `add_counts` write per request, in the table: what every Lambda instance shares.
    #[default]
    Table,
    /// Counted in this process and written to the table in batches ([`Batched`]): the dev
    /// server, the one process that serves its data folder.
    Batched(Arc<Batched>),
}

/// Counts this request (one table write, or one count in the batch) and says where the caller
/// stands.
pub async fn count(
    store: &dyn ItemStore,
    limits: &RateLimits,
    counter: &Counter,
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
    let names: Vec<&'static str> = asks.iter().map(|(n, _)| *n).collect();
    let totals = match counter {
        Counter::Table => {
            let deltas: Vec<(&str, i64)> = names.iter().map(|n| (*n, 1)).collect();
            store.add_counts(&window_key(&subject, window), ENTITY, expires_at(window), &deltas).await?
        }
        Counter::Batched(b) => b.count(store, &subject, window, &names).await?,
    };
    let standings =
        asks.iter().zip(totals).map(|((policy, quota), used)| Standing { policy, quota: *quota, used }).collect();
    Ok(Verdict { standings, reset })
}

/// Kept one window past its end, then DynamoDB's TTL sweeps it.
fn expires_at(window: i64) -> i64 {
    (window + 2) * WINDOW_SECONDS
}

/// Rate counts kept in the process and written to the table once a second ([`Batched::run`]),
/// for a server that is the only one counting (the dev server: its data folder is locked to
/// it). A count written to the table on every request was a write transaction per request:
/// at `make bench-load`'s 1,000 requests/s, a thousand commits a second and their share of the
/// log, and its p99 fell from 20–170 ms to 7–11 ms without them (docs/benchmarks.md,
/// session 14).
///
/// The verdicts are as exact as the table's: a caller's total is what the table held when the
/// process first counted them this hour, plus what the process counted since. The table still
/// holds every count, a second late at most: a restart carries on from it, and a crash loses
/// at most the last second's counts (the limit protects capacity; a second of requests
/// uncounted does not defeat it). A caller's item is read once an hour per process.
#[derive(Default)]
pub struct Batched {
    windows: Mutex<HashMap<String, Window>>,
}

/// One caller's counts in the current window.
#[derive(Default)]
struct Window {
    window: i64,
    /// The totals the table held (when first read, then after each write).
    known: Option<BTreeMap<String, i64>>,
    /// Counted since and not yet written.
    pending: BTreeMap<String, i64>,
}

impl Batched {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // A panic while counting leaves consistent counters: keep going.
        self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn count(
        &self,
        store: &dyn ItemStore,
        subject: &str,
        window: i64,
        names: &[&str],
    ) -> Result<Vec<i64>, StoreError> {
        // A caller already counted this hour: one lock, no I/O.
        {
            let mut map = self.lock();
            let w = map.entry(subject.to_owned()).or_default();
            if w.window != window {
                *w = Window { window, ..Window::default() };
            }
            if w.known.is_some() {
                return Ok(w.add(names));
            }
        }
        // The caller's first request this hour in this process: what the table holds.
        let item = store.get(&window_key(subject, window)).await?;
        let known = item.map(|i| counts_of(&i.data)).unwrap_or_default();
        let mut map = self.lock();
        let w = map.entry(subject.to_owned()).or_default();
        if w.window != window {
            // A later window began meanwhile (a request that waited across the hour).
            *w = Window { window, known: Some(BTreeMap::new()), ..Window::default() };
        }
        w.known.get_or_insert(known);
        Ok(w.add(names))
    }

    /// Writes what was counted since the last write (one `add_counts` per caller) and forgets
    /// windows that have ended. Counts whose write failed stay pending for the next one.
    /// Answers how many callers' counts were written.
    pub async fn flush(&self, store: &dyn ItemStore, now: i64) -> usize {
        let batch: Vec<(String, i64, Deltas)> = {
            let mut map = self.lock();
            map.iter_mut()
                .filter(|(_, w)| !w.pending.is_empty())
                .map(|(s, w)| (s.clone(), w.window, std::mem::take(&mut w.pending).into_iter().collect()))
                .collect()
        };
        let mut written = 0;
        for (subject, window, deltas) in batch {
            let named: Vec<(&str, i64)> = deltas.iter().map(|(n, d)| (n.as_str(), *d)).collect();
            let result = store.add_counts(&window_key(&subject, window), ENTITY, expires_at(window), &named).await;
            let mut map = self.lock();
            let same = map.get_mut(&subject).filter(|w| w.window == window);
            match result {
                Ok(totals) => {
                    written += 1;
                    if let Some(w) = same {
                        let known = w.known.get_or_insert_with(BTreeMap::new);
                        for ((name, _), total) in deltas.iter().zip(totals) {
                            known.insert(name.clone(), total);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "rate counts not written; retrying with the next batch");
                    if let Some(w) = same {
                        for (name, d) in deltas {
                            *w.pending.entry(name).or_insert(0) += d;
                        }
                    }
                }
            }
        }
        let current = now.div_euclid(WINDOW_SECONDS);
        self.lock().retain(|_, w| w.window >= current || !w.pending.is_empty());
        written
    }

    /// Writes the counts every `every` until dropped (the dev server aborts it at shutdown and
    /// writes the last batch with [`Batched::flush`]).
    pub async fn run(self: Arc<Self>, store: Arc<dyn ItemStore>, clock: Arc<dyn Clock>, every: std::time::Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.flush(store.as_ref(), clock.now().unix_timestamp()).await;
        }
    }
}

impl Window {
    /// Counts one request against each of `names` and answers their totals.
    fn add(&mut self, names: &[&str]) -> Vec<i64> {
        names
            .iter()
            .map(|n| {
                let pending = self.pending.entry((*n).to_owned()).or_insert(0);
                *pending += 1;
                *pending + self.known.as_ref().and_then(|k| k.get(*n)).copied().unwrap_or(0)
            })
            .collect()
    }
}

/// Counts to add, by counter name.
type Deltas = Vec<(String, i64)>;

/// The counters of a window item (`{"user": 12, "ai": 1}`).
fn counts_of(data: &serde_json::Value) -> BTreeMap<String, i64> {
    data.as_object()
        .map(|o| o.iter().filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n))).collect())
        .unwrap_or_default()
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

    fn store() -> Arc<dyn ItemStore> {
        let clock: Arc<dyn Clock> = Arc::new(clearview_core::ports::clock::SystemClock);
        Arc::new(clearview_local::SqliteStore::in_memory(clock).unwrap())
    }

    /// The current window: an item of an ended window is read as absent (its TTL passed).
    fn this_hour() -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp().div_euclid(WINDOW_SECONDS)
    }

    async fn in_table(store: &dyn ItemStore, subject: &str, window: i64) -> BTreeMap<String, i64> {
        store.get(&window_key(subject, window)).await.unwrap().map(|i| counts_of(&i.data)).unwrap_or_default()
    }

    #[tokio::test]
    async fn batched_counts_answer_as_the_table_does_and_reach_it_at_the_next_write() {
        let store = store();
        let b = Batched::new();
        let w = this_hour();
        for n in 1..=5 {
            let batched = b.count(store.as_ref(), "USER#a", w, &["user", "ai"]).await.unwrap();
            let table = store
                .add_counts(&window_key("USER#b", w), ENTITY, expires_at(w), &[("user", 1), ("ai", 1)])
                .await
                .unwrap();
            assert_eq!(batched, table, "request {n}");
            assert_eq!(batched, vec![n, n]);
        }
        assert!(in_table(store.as_ref(), "USER#a", w).await.is_empty(), "written before the batch");
        assert_eq!(b.flush(store.as_ref(), w * WINDOW_SECONDS).await, 1);
        let written = in_table(store.as_ref(), "USER#a", w).await;
        assert_eq!(written, BTreeMap::from([("ai".to_owned(), 5), ("user".to_owned(), 5)]));
        assert_eq!(b.flush(store.as_ref(), w * WINDOW_SECONDS).await, 0, "nothing new to write");
        // Counting goes on from what was written.
        assert_eq!(b.count(store.as_ref(), "USER#a", w, &["user"]).await.unwrap(), vec![6]);
    }

    #[tokio::test]
    async fn a_restarted_process_carries_on_from_the_counts_in_the_table() {
        let store = store();
        let w = this_hour();
        let before = Batched::new();
        for _ in 0..3 {
            before.count(store.as_ref(), "IP#10.0.0.1", w, &["ip"]).await.unwrap();
        }
        before.flush(store.as_ref(), w * WINDOW_SECONDS).await;
        drop(before);
        let after = Batched::new();
        assert_eq!(after.count(store.as_ref(), "IP#10.0.0.1", w, &["ip"]).await.unwrap(), vec![4]);
        after.flush(store.as_ref(), w * WINDOW_SECONDS).await;
        assert_eq!(in_table(store.as_ref(), "IP#10.0.0.1", w).await["ip"], 4);
    }

    #[tokio::test]
    async fn a_new_hour_counts_from_zero_and_the_ended_hour_is_forgotten_once_written() {
        let store = store();
        let b = Batched::new();
        let w = this_hour();
        b.count(store.as_ref(), "USER#a", w, &["user"]).await.unwrap();
        b.count(store.as_ref(), "USER#a", w, &["user"]).await.unwrap();
        assert_eq!(b.count(store.as_ref(), "USER#a", w + 1, &["user"]).await.unwrap(), vec![1]);
        b.flush(store.as_ref(), (w + 1) * WINDOW_SECONDS).await;
        assert_eq!(in_table(store.as_ref(), "USER#a", w + 1).await["user"], 1);
        // The ended hour's two counts were dropped when the new hour began: the verdicts of
        // that hour were given, and its item would expire anyway.
        assert!(in_table(store.as_ref(), "USER#a", w).await.is_empty());
        b.count(store.as_ref(), "USER#c", w, &["user"]).await.unwrap();
        b.flush(store.as_ref(), (w + 1) * WINDOW_SECONDS).await;
        assert!(!b.lock().contains_key("USER#c"), "an ended hour's caller is kept after its counts were written");
        assert!(b.lock().contains_key("USER#a"));
    }
}
