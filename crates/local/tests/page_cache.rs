//! The page cache layer (`clearview_local::pcache`) spares commits the whole-cache walk and
//! still drops every page it must. Its own process: the layer goes in before SQLite
//! initialises, which is before this binary's first connection.

use clearview_local::pcache;
use clearview_local::store::open_connection;
use rusqlite::{Connection, params};
use std::collections::BTreeMap;

/// A deterministic xorshift, enough to spread keys over the b-tree.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn open(dir: &tempfile::TempDir) -> Connection {
    assert!(pcache::install(), "the layer goes in before this process's first connection");
    let c = open_connection(Some(&dir.path().join("t.db"))).unwrap();
    c.execute_batch("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID").unwrap();
    c
}

fn contents(c: &Connection) -> BTreeMap<String, Vec<u8>> {
    let mut s = c.prepare("SELECT k, v FROM kv ORDER BY k").unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn intact(c: &Connection) {
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

fn value(rng: &mut Rng) -> Vec<u8> {
    let n = 200 + rng.below(3_000) as usize;
    (0..n).map(|_| rng.next() as u8).collect()
}

#[test]
fn commits_after_b_tree_splits_skip_the_cache_walk_that_parked_pages_used_to_cost() {
    let dir = tempfile::tempdir().unwrap();
    let c = open(&dir);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let before = pcache::truncations();
    // Random keys split leaves all over the tree; splits that reorder their new siblings park
    // a page at the lock page's number for a moment.
    for _ in 0..1_500 {
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        for _ in 0..3 {
            let k = format!("{:016x}", rng.next());
            c.execute("INSERT INTO kv VALUES (?1, ?2)", params![k, value(&mut rng)]).unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
    }
    let after = pcache::truncations();
    let (passed, skipped) = (after.passed - before.passed, after.skipped - before.skipped);
    let parked = after.parked - before.parked;
    // Every transaction ends with a truncation. Without the layer, each one that followed a
    // parked page walked the whole cache; with it, none of them reaches SQLite's cache.
    assert!(parked >= 50, "only {parked} pages were parked: the workload does not show the walk");
    assert!(skipped >= 1_500, "{skipped} truncations skipped, {passed} passed");
    assert_eq!(passed, 0, "nothing was past the end to drop, yet {passed} truncations went through");
    assert_eq!(contents(&c).len(), 4_500);
    intact(&c);
}

/// Bytes the connection's page cache holds (SQLite counts its pages).
fn cache_used(c: &Connection) -> i32 {
    let (mut current, mut highwater) = (0, 0);
    // SAFETY: a live connection's handle, two out-parameters, no reset.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            c.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
            &mut current,
            &mut highwater,
            0,
        )
    };
    assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
    current
}

#[test]
fn a_database_that_shrinks_gives_the_pages_past_its_new_end_back() {
    let dir = tempfile::tempdir().unwrap();
    let c = open(&dir);
    let mut rng = Rng(0x1234_5678_9abc_def1);
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    for i in 0..800 {
        c.execute("INSERT INTO kv VALUES (?1, ?2)", params![format!("a{i:05}"), value(&mut rng)]).unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    c.execute("DELETE FROM kv WHERE k > 'a00100'", []).unwrap();
    let kept = contents(&c);
    let before = cache_used(&c);
    // VACUUM writes the database again, much smaller: its commit truncates the cache to the
    // new end, and the pages past it must go.
    c.execute_batch("VACUUM").unwrap();
    let after = cache_used(&c);
    assert!(after < before / 2, "the pages past the new end stayed cached: {before} -> {after} bytes");
    assert_eq!(contents(&c), kept);
    intact(&c);
}

#[test]
fn random_writes_with_rollbacks_and_savepoints_read_back_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let c = open(&dir);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut model: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let before = pcache::truncations();
    // A second connection keeps its cache warm across the rounds: each time this one commits,
    // that one must drop its whole cache (a truncation to page 1) before it reads again.
    let other = open_connection(Some(&dir.path().join("t.db"))).unwrap();
    for round in 0..300 {
        c.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut pending = model.clone();
        for _ in 0..(1 + rng.below(20)) {
            match rng.below(4) {
                // Keys from a small space, so updates and deletes find rows.
                0 | 1 => {
                    let (k, v) = (format!("k{:05}", rng.below(5_000)), value(&mut rng));
                    c.execute("INSERT OR REPLACE INTO kv VALUES (?1, ?2)", params![k, v]).unwrap();
                    pending.insert(k, v);
                }
                2 => {
                    let k = format!("k{:05}", rng.below(5_000));
                    c.execute("DELETE FROM kv WHERE k = ?1", params![k]).unwrap();
                    pending.remove(&k);
                }
                _ => {
                    // A savepoint that grows the file, then is rolled back: its pages past the
                    // end must go, or a later read finds them.
                    c.execute_batch("SAVEPOINT s").unwrap();
                    for _ in 0..40 {
                        let k = format!("s{:016x}", rng.next());
                        c.execute("INSERT INTO kv VALUES (?1, ?2)", params![k, value(&mut rng)]).unwrap();
                    }
                    c.execute_batch("ROLLBACK TO s; RELEASE s").unwrap();
                }
            }
        }
        // One transaction in four is rolled back as a whole, after growing the file.
        if round % 4 == 3 {
            for _ in 0..60 {
                let k = format!("r{:016x}", rng.next());
                c.execute("INSERT INTO kv VALUES (?1, ?2)", params![k, value(&mut rng)]).unwrap();
            }
            c.execute_batch("ROLLBACK").unwrap();
        } else {
            c.execute_batch("COMMIT").unwrap();
            model = pending;
        }
        if round % 10 == 9 {
            assert_eq!(contents(&c), model, "after round {round}");
            assert_eq!(contents(&other), model, "the other connection, after round {round}");
        }
        if round % 50 == 49 {
            c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        }
    }
    let t = pcache::truncations();
    assert!(t.passed > before.passed, "the rollbacks' truncations must reach SQLite's cache");
    assert_eq!(contents(&c), model);
    intact(&c);
}
