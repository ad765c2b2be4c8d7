//! SQLite's page cache, without the whole-cache walk that some commits pay.
//!
//! At the end of every transaction SQLite asks its page cache (`pcache1`) to forget the pages
//! past the database's end (`xTruncate`). `pcache1` remembers the largest page number it has
//! held since the last such call; when that number is far past the end, it walks its whole
//! hash table, every cached page, to find the ones to drop. A b-tree split that has to reorder
//! its new sibling pages (`balance_nonroot`) parks one of them for a moment at the lock page's
//! number (page 262,145 with 4 KiB pages). The page moves on at once, but `pcache1` keeps the
//! number, so the transaction's commit walks every cached page: under the dev server's mixed
//! load one write commit in five, 130–250 µs each with 1,500 pages cached, with the shared
//! connection held. The walk grows with the cache (up to 16,384 pages at `cache_size=-65536`).
//!
//! [`install`] puts a thin layer over SQLite's own page cache that keeps two facts of its own:
//! a bound on the page numbers still cached (the largest one fetched or moved to since the last
//! truncation that went through), and how many pages are parked at the lock page now. A
//! truncation that cannot drop anything is answered here; every other call goes to SQLite's
//! cache as it is. `crates/local/tests/page_cache.rs` checks both sides: no walk after splits,
//! and every page that must go (a database that shrinks, another connection's commit) goes.
//! `examples/commit_walk.rs` measures it; `docs/benchmarks.md` (session 17) has the figures.

use rusqlite::ffi;
use std::cell::Cell;
use std::os::raw::{c_int, c_uint};
use std::sync::OnceLock;

/// SQLite's default page cache methods, which every call ends in.
struct Methods(ffi::sqlite3_pcache_methods2);
// SAFETY: the methods table is function pointers and `pArg`, which SQLite itself shares between
// threads; this module only reads it.
unsafe impl Send for Methods {}
unsafe impl Sync for Methods {}

/// Set before the layer is handed to SQLite, so no call through the layer finds it empty.
static DEFAULT: OnceLock<Methods> = OnceLock::new();
static INSTALLED: OnceLock<bool> = OnceLock::new();

thread_local! {
    /// Truncations passed on to SQLite's cache, and those answered here (nothing to drop), by
    /// the calling thread (a connection's calls run on the thread that uses it).
    static COUNTS: Cell<Truncations> = const { Cell::new(Truncations { passed: 0, skipped: 0, parked: 0 }) };
}

/// What [`truncations`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncations {
    /// Passed on to SQLite's cache (it drops pages, walking its whole table if it must).
    pub passed: u64,
    /// Answered here: no cached page was past the database's end.
    pub skipped: u64,
    /// Pages parked at the lock page's number by a b-tree split (each one used to cost the
    /// next truncation a walk of the whole cache).
    pub parked: u64,
}

/// One connection's cache: SQLite's, and what this layer knows about the keys in it. SQLite
/// calls a cache's methods from the connection that owns it, one call at a time.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    /// No page with a larger number is cached (pages parked at `lock_page` aside).
    max_key: c_uint,
    /// The lock page's number for this page size: never a real page, only a parking place.
    lock_page: c_uint,
    /// Pages rekeyed to `lock_page` and not moved on yet.
    parked: u32,
}

/// Puts the layer over SQLite's page cache for every connection the process opens after it.
/// It has to run before SQLite initialises (before the first connection opens); later it
/// changes nothing, answers `false` and says so in the debug log. Runs once; later calls answer
/// what the first one did.
pub fn install() -> bool {
    *INSTALLED.get_or_init(|| {
        let mut default = ffi::sqlite3_pcache_methods2 {
            iVersion: 0,
            pArg: std::ptr::null_mut(),
            xInit: None,
            xShutdown: None,
            xCreate: None,
            xCachesize: None,
            xPagecount: None,
            xFetch: None,
            xUnpin: None,
            xRekey: None,
            xTruncate: None,
            xDestroy: None,
            xShrink: None,
        };
        // SAFETY: sqlite3_config before sqlite3_initialize (after it, SQLite answers
        // SQLITE_MISUSE and changes nothing), with the argument each option documents: a
        // methods table that SQLITE_CONFIG_GETPCACHE2 fills and SQLITE_CONFIG_PCACHE2 copies.
        unsafe {
            if ffi::sqlite3_config(ffi::SQLITE_CONFIG_GETPCACHE2, &mut default as *mut _) != ffi::SQLITE_OK {
                tracing::debug!("SQLite was initialised already: its page cache is used as it is");
                return false;
            }
            let ours = ffi::sqlite3_pcache_methods2 {
                iVersion: 1,
                pArg: default.pArg,
                xInit: default.xInit,
                xShutdown: default.xShutdown,
                xCreate: Some(create),
                xCachesize: Some(cachesize),
                xPagecount: Some(pagecount),
                xFetch: Some(fetch),
                xUnpin: Some(unpin),
                xRekey: Some(rekey),
                xTruncate: Some(truncate),
                xDestroy: Some(destroy),
                xShrink: Some(shrink),
            };
            let _ = DEFAULT.set(Methods(default));
            if ffi::sqlite3_config(ffi::SQLITE_CONFIG_PCACHE2, &ours as *const _) != ffi::SQLITE_OK {
                tracing::debug!("SQLite refused the page cache layer: its page cache is used as it is");
                return false;
            }
        }
        true
    })
}

/// How many truncations this thread's connections passed to SQLite's cache, and how many were
/// answered here.
pub fn truncations() -> Truncations {
    COUNTS.get()
}

fn count(f: impl FnOnce(&mut Truncations)) {
    COUNTS.with(|c| {
        let mut t = c.get();
        f(&mut t);
        c.set(t);
    });
}

fn methods() -> &'static ffi::sqlite3_pcache_methods2 {
    // SQLite calls through the layer only once SQLITE_CONFIG_PCACHE2 took it, after DEFAULT
    // was set.
    &DEFAULT.get().expect("the default page cache is kept before the layer is installed").0
}

/// # Safety
/// `p` is a cache this layer created and has not destroyed.
unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    // SAFETY: the caller's promise; SQLite makes one call on a cache at a time.
    unsafe { &mut *(p as *mut Cache) }
}

unsafe extern "C" fn create(sz_page: c_int, sz_extra: c_int, purgeable: c_int) -> *mut ffi::sqlite3_pcache {
    // SAFETY: the default cache's own xCreate, with SQLite's arguments.
    let inner = unsafe { (methods().xCreate.expect("xCreate"))(sz_page, sz_extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    // SQLite's PENDING_BYTE (1 GiB): the page that holds it is the lock page.
    let lock_page = (0x4000_0000 / sz_page.max(1)) as c_uint + 1;
    Box::into_raw(Box::new(Cache { inner, max_key: 0, lock_page, parked: 0 })) as *mut ffi::sqlite3_pcache
}

unsafe extern "C" fn cachesize(p: *mut ffi::sqlite3_pcache, n: c_int) {
    // SAFETY: `p` came from `create` (SQLite's contract); the call goes to the cache inside.
    unsafe { (methods().xCachesize.expect("xCachesize"))(cache(p).inner, n) }
}

unsafe extern "C" fn pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    // SAFETY: as in `cachesize`.
    unsafe { (methods().xPagecount.expect("xPagecount"))(cache(p).inner) }
}

unsafe extern "C" fn fetch(p: *mut ffi::sqlite3_pcache, key: c_uint, create: c_int) -> *mut ffi::sqlite3_pcache_page {
    // SAFETY: as in `cachesize`.
    let c = unsafe { cache(p) };
    // SAFETY: the default cache's xFetch on its own cache.
    let page = unsafe { (methods().xFetch.expect("xFetch"))(c.inner, key, create) };
    if !page.is_null() && key > c.max_key {
        c.max_key = key;
    }
    page
}

unsafe extern "C" fn unpin(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, discard: c_int) {
    // SAFETY: as in `cachesize`; `page` belongs to the cache inside.
    unsafe { (methods().xUnpin.expect("xUnpin"))(cache(p).inner, page, discard) }
}

unsafe extern "C" fn rekey(p: *mut ffi::sqlite3_pcache, page: *mut ffi::sqlite3_pcache_page, old: c_uint, new: c_uint) {
    // SAFETY: as in `unpin`.
    let c = unsafe { cache(p) };
    // SAFETY: the default cache's xRekey on its own cache and page.
    unsafe { (methods().xRekey.expect("xRekey"))(c.inner, page, old, new) };
    if old == c.lock_page && c.parked > 0 {
        c.parked -= 1;
    }
    if new == c.lock_page {
        c.parked += 1;
        count(|t| t.parked += 1);
    } else if new > c.max_key {
        c.max_key = new;
    }
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    // SAFETY: as in `cachesize`.
    let c = unsafe { cache(p) };
    let parked_dropped = c.parked > 0 && c.lock_page >= limit;
    if limit > c.max_key && !parked_dropped {
        // No cached page has a number at or past `limit`: there is nothing to drop.
        count(|t| t.skipped += 1);
        return;
    }
    count(|t| t.passed += 1);
    // SAFETY: the default cache's xTruncate on its own cache.
    unsafe { (methods().xTruncate.expect("xTruncate"))(c.inner, limit) };
    c.max_key = c.max_key.min(limit.saturating_sub(1));
    if parked_dropped {
        c.parked = 0;
    }
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    // SAFETY: `p` came from `create` and SQLite destroys a cache once: take the box back.
    let c = unsafe { Box::from_raw(p as *mut Cache) };
    // SAFETY: the default cache's xDestroy on its own cache.
    unsafe { (methods().xDestroy.expect("xDestroy"))(c.inner) };
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    // SAFETY: as in `cachesize`.
    unsafe { (methods().xShrink.expect("xShrink"))(cache(p).inner) }
}
