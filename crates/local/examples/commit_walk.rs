//! Commit times on a warm page cache, with and without the page cache layer
//! (`clearview_local::pcache`): the layer spares the commits that follow a b-tree split the
//! walk of the whole cache, which grows with the cache.
//!
//!   cargo run --profile release-local -p clearview-local --example commit_walk -- 120000
//!   cargo run --profile release-local -p clearview-local --example commit_walk -- 120000 --sqlite-default
//!
//! Builds a table of N rows of about 400 bytes (120,000 rows: about 14,500 pages, a cache
//! nearly as full as the embedded store's 64 MiB allows), reads it all once so every page is
//! cached, then times 5,000 write transactions (an insert and a replace at random keys, the
//! shape of an item write) and prints their p50, p90, p99 and mean in microseconds.

use clearview_local::pcache;
use clearview_local::store::open_connection;
use rusqlite::params;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(120_000);
    let default = args.iter().any(|a| a == "--sqlite-default");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("walk.db");
    if default {
        // A first connection opened around open_connection initialises SQLite with its own
        // page cache; the layer cannot go in after that.
        let _ = rusqlite::Connection::open_in_memory().expect("in-memory connection");
    }
    let c = open_connection(Some(&path)).expect("open");
    let layer = pcache::install();
    c.execute_batch("CREATE TABLE kv (pk TEXT NOT NULL, sk TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY (pk, sk))")
        .expect("table");
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let filler = "x".repeat(400);
    c.execute_batch("BEGIN").expect("begin");
    for i in 0..rows {
        c.execute(
            "INSERT INTO kv VALUES (?1, ?2, ?3)",
            params![format!("P#{:016x}", next()), format!("S#{i}"), filler],
        )
        .expect("insert");
    }
    c.execute_batch("COMMIT").expect("commit");
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).expect("page count");
    let _: i64 = c.query_row("SELECT sum(length(v)) FROM kv", [], |r| r.get(0)).expect("warm the cache");
    let before = pcache::truncations();
    let mut micros = Vec::with_capacity(5_000);
    for i in 0..5_000u64 {
        let started = Instant::now();
        c.execute_batch("BEGIN IMMEDIATE").expect("begin");
        c.execute("INSERT INTO kv VALUES (?1, 'new', ?2)", params![format!("P#{:016x}", next()), filler])
            .expect("insert");
        c.execute(
            "INSERT OR REPLACE INTO kv VALUES (?1, ?2, ?3)",
            params![format!("P#{:016x}", next()), format!("S#{i}"), filler],
        )
        .expect("replace");
        c.execute_batch("COMMIT").expect("commit");
        micros.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let after = pcache::truncations();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    let mean = micros.iter().sum::<f64>() / micros.len() as f64;
    println!(
        "page cache layer {}: {rows} rows, {pages} pages; write transactions: p50 {:.0} µs, p90 {:.0}, p99 {:.0}, mean {:.0}",
        if layer { "on" } else { "off (SQLite's own)" },
        at(0.5),
        at(0.9),
        at(0.99),
        mean
    );
    if layer {
        println!(
            "  pages parked by splits {}, truncations skipped {}, passed to SQLite {}",
            after.parked - before.parked,
            after.skipped - before.skipped,
            after.passed - before.passed
        );
    }
}
