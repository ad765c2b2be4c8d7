//! `SqliteStore`: the item store on one SQLite table, with DynamoDB's single-table semantics.
//!
//! One row per item, keyed by (pk, sk), with two sparse indexes ordered like DynamoDB's GSIs
//! (index sort key, then table key, so pages over equal index sort keys resume exactly).
//! SQLite compares TEXT with memcmp over UTF-8, which is DynamoDB's order for string keys.
//! Items past their TTL are hidden from every read and condition: DynamoDB deletes them lazily,
//! we make "lazily" mean "at once" so nothing depends on a sweep's timing.

use clearview_core::ports::clock::Clock;
use clearview_core::ports::store::{
    Condition, EncodedData, EncodedItem, EncodedPage, Index, Item, ItemStore, Key, Page, PageToken, Query, StoreError,
    TxOp, TxWrite, apply_counts, attr, check_counts,
};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// DynamoDB's limits, kept so code that passes here does not fail in AWS.
pub const MAX_TRANSACT_WRITES: usize = 100;
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
pub const MAX_QUERY_LIMIT: usize = 1000;

/// The columns a read decodes into an item ([`raw_row`]'s order).
macro_rules! columns {
    () => {
        "pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, entity, version, expires_at, data"
    };
}

/// Items in a rowid table with a unique index on the key. Items are JSON of a few hundred bytes
/// to tens of KB: in a `WITHOUT ROWID` table (the layout before) each B-tree cell holds the whole
/// row, so interior pages held a handful of keys and every lookup walked a deep tree and its
/// overflow pages (SQLite advises rowid tables for rows over ~1/20 of a page). Here the key index
/// is small and shallow, and a row is read once, by its rowid. `data` is the last column, so the
/// small columns (the TTL a read filters on) sit in the row's first page.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    gsi2pk TEXT,
    gsi2sk TEXT,
    entity TEXT NOT NULL,
    version INTEGER NOT NULL,
    expires_at INTEGER,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS items_key ON items (pk, sk);
CREATE INDEX IF NOT EXISTS items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
";

/// Moves the items of a data folder made before the rowid layout into it, in one transaction.
const MIGRATE_FROM_WITHOUT_ROWID: &str = "
BEGIN IMMEDIATE;
ALTER TABLE items RENAME TO items_without_rowid;
DROP INDEX IF EXISTS items_gsi1;
DROP INDEX IF EXISTS items_gsi2;
";
const MIGRATE_COPY: &str = concat!(
    "INSERT INTO items (",
    columns!(),
    ") SELECT ",
    columns!(),
    " FROM items_without_rowid; DROP TABLE items_without_rowid; COMMIT;"
);

const COLUMNS: &str = columns!();

/// Opens a SQLite connection the way every embedded adapter wants it: WAL, a busy timeout,
/// foreign keys on. `None` opens a private in-memory database.
pub fn open_connection(path: Option<&Path>) -> rusqlite::Result<Connection> {
    // Before the process's first connection: it has to be in place before SQLite initialises.
    crate::pcache::install();
    let conn = match path {
        Some(p) => Connection::open(p)?,
        None => Connection::open_in_memory()?,
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Room for every statement the adapters prepare (item reads and writes, each query shape,
    // the queues', the identity pool's): a statement evicted is parsed and planned again.
    conn.set_prepared_statement_cache_capacity(256);
    if path.is_some() {
        // journal_mode answers with a row, so it cannot go through execute_batch's pragma path.
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        // 64 MiB of pages kept per connection (SQLite's default is 2 MiB): the working set of
        // the embedded default stays in memory instead of being read again through the kernel.
        // The log starts over from its beginning once a checkpoint copied every frame (the
        // checkpoint thread sees to it at 32 MiB, see `catch_up`); one that grew past
        // JOURNAL_SIZE_LIMIT meanwhile is then cut back rather than keeping its largest size on
        // disk. Below that it keeps its blocks, and commits write over them instead of extending
        // the file.
        conn.execute_batch(&format!(
            "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT};"
        ))?;
    }
    conn.execute_batch("PRAGMA foreign_keys=ON;")?;
    Ok(conn)
}

/// The log is cut back to this size when it starts over (`PRAGMA journal_size_limit`), and the
/// checkpoint thread gives it its disk blocks ahead of the writes, up to this size
/// ([`crate::resident::preallocate`]). Cutting it back frees blocks, and on a file system
/// mounted with `discard` that waits for the disk with the shared connection held (up to
/// 70 ms here): under load the log reaches 90 MB between restarts, so a limit of 64 MiB cut it
/// back at almost every restart.
pub const JOURNAL_SIZE_LIMIT: i64 = 128 * 1024 * 1024;

/// One connection to a database file, shared by every embedded adapter on it (the item store,
/// the identity store and the queues): the file has one writer, so no adapter ever waits on
/// SQLite's lock (a busy wait sleeps for milliseconds) or gets "database is locked". Each
/// operation holds it for tens of microseconds; WAL keeps the file readable by other processes
/// (the outbox CLI, a test) meanwhile.
pub type SharedConnection = Arc<Mutex<Connection>>;

/// Opens the shared connection of a database file (`None`: a private in-memory database).
///
/// WAL checkpoints (copying the log back into the file, with an fsync) run on a thread of their
/// own with its own connection, once a second, instead of inside whichever commit crosses the
/// auto-checkpoint size: a request never waits for the disk behind the shared connection. See
/// [`Checkpoints`] for how the log is kept from growing under writes that never pause. The same
/// thread keeps the log's pages in memory ([`crate::resident`]).
pub fn shared_connection(path: Option<&Path>) -> rusqlite::Result<SharedConnection> {
    shared_connection_with(path, Checkpoints::default())
}

/// How the checkpoint thread runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoints {
    /// Time between checkpoints.
    pub every: std::time::Duration,
    /// A log this many frames (pages) long or longer is made to start over (see `catch_up` in
    /// this module).
    pub restart_frames: i64,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Self { every: CHECKPOINT_EVERY, restart_frames: RESTART_FRAMES }
    }
}

/// [`shared_connection`] with its checkpoints' timing (tests).
pub fn shared_connection_with(path: Option<&Path>, checkpoints: Checkpoints) -> rusqlite::Result<SharedConnection> {
    let conn = open_connection(path)?;
    let shared = Arc::new(Mutex::new(conn));
    if let Some(path) = path {
        shared.lock().map_err(|_| rusqlite::Error::InvalidQuery)?.execute_batch("PRAGMA wal_autocheckpoint=0;")?;
        let checkpointer = open_connection(Some(path))?;
        let alive = Arc::downgrade(&shared);
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        // Handles to sync the log and the database file with, apart from SQLite's (only to
        // shorten the held pass: without them it syncs everything itself).
        let wal = PathBuf::from(wal);
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        // The log and its index stay in memory (crate::resident): a commit writing over a page
        // the kernel dropped would read it back from the disk with the connection held.
        let mut resident = [
            crate::resident::Resident::growing(&wal, JOURNAL_SIZE_LIMIT as u64),
            crate::resident::Resident::new(PathBuf::from(shm)),
        ];
        let files: Vec<std::fs::File> = [wal, path.to_path_buf()]
            .iter()
            .filter_map(|p| {
                std::fs::File::open(p)
                    .inspect_err(|e| tracing::debug!(file = %p.display(), error = %e, "not synced apart"))
                    .ok()
            })
            .collect();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                crate::background::run_as_background_thread();
                while alive.strong_count() > 0 {
                    for r in &mut resident {
                        r.refresh();
                    }
                    std::thread::sleep(checkpoints.every);
                    if let Err(e) = checkpoint(&checkpointer, &alive, &files, checkpoints.restart_frames) {
                        tracing::warn!(error = %e, "WAL checkpoint failed; retrying in a second");
                    }
                }
            })
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    }
    Ok(shared)
}

/// A checkpoint pass that waits for no one. Answers how many frames the log held when it began:
/// the pass copies those (nothing reads an older snapshot: the file has one connection that
/// writes, and it holds no transaction between operations).
fn passive_pass(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

/// A log this long (32 MiB of 4 KiB pages) is made to start over.
pub const RESTART_FRAMES: i64 = 8192;
/// The held pass runs once the frames written during a round are this few.
const HELD_PASS_FRAMES: i64 = 32;
/// Rounds tried before giving up until the next checkpoint.
const CATCH_UP_ROUNDS: usize = 6;

fn checkpoint(
    c: &Connection,
    shared: &std::sync::Weak<Mutex<Connection>>,
    files: &[std::fs::File],
    restart_frames: i64,
) -> rusqlite::Result<()> {
    let log = passive_pass(c)?;
    if log < restart_frames {
        return Ok(());
    }
    catch_up(c, shared, files)
}

/// Copies the whole log back into the database file, so that the next commit starts it over.
///
/// Under writes that never pause, passes that wait for no one never finish: each leaves the
/// frames written while it ran, so the log never starts over. It grew by 45 MB/s at
/// `make bench-load`'s top rate, and every commit extended the file, which made commits wait
/// on ext4's block allocation behind the log's own writeback (up to 10 ms, holding the shared
/// connection). Restarted, the log is written over blocks it already has.
///
/// A last pass has to hold the shared connection so that nothing is written while it copies the
/// final frames; it also syncs the log before copying and the database file after (SQLite syncs
/// the database file only on a pass that reaches the end of the log, so that sync carries every
/// page the earlier passes copied). So first, rounds without the connection held: a pass
/// copies what the last round left, then the log and the database file are synced. Each round
/// is shorter than the one before; once one leaves a few frames, the held pass copies and syncs
/// only those. At `make bench-load`'s 1,000 requests/s it holds the connection 0.6–1.5 ms every
/// two or three seconds (docs/benchmarks.md, session 13).
fn catch_up(
    c: &Connection,
    shared: &std::sync::Weak<Mutex<Connection>>,
    files: &[std::fs::File],
) -> rusqlite::Result<()> {
    let mut left = None;
    for _ in 0..CATCH_UP_ROUNDS {
        let before = passive_pass(c)?;
        for f in files {
            f.sync_data().map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        }
        let after = passive_pass(c)?;
        if after - before <= HELD_PASS_FRAMES {
            left = Some(after - before);
            break;
        }
    }
    let Some(left) = left else {
        tracing::debug!("writes outran the checkpoint's rounds; the log starts over after a later one");
        return Ok(());
    };
    let Some(shared) = shared.upgrade() else { return Ok(()) };
    let Ok(held) = shared.lock() else { return Ok(()) };
    let started = std::time::Instant::now();
    let done = passive_pass(c);
    drop(held);
    tracing::debug!(held_us = started.elapsed().as_micros() as u64, left, "log copied back; it starts over");
    done.map(|_| ())
}

/// Runs `f` with the shared connection held, on the calling thread, without handing it to a
/// blocking thread: every statement on it takes microseconds (WAL with `synchronous=NORMAL`: a
/// commit appends to the log without an fsync; the checkpoint thread does the fsyncs), less
/// than a `spawn_blocking` handoff and the task's wake-up cost. The connection stays the file's
/// one writer: the mutex admits one operation at a time, and the writes keep their
/// transactions (`BEGIN IMMEDIATE` for the item store's) as before. `f` must not wait on
/// anything else (no I/O but SQLite's, no other lock): it holds the runtime's thread while it
/// runs. Another process holding the file's write lock (none does: the data folder is locked
/// to one server, and the outbox CLI only reads) would hold that thread up to the busy timeout.
pub(crate) fn on_connection<T, E>(
    conn: &Mutex<Connection>,
    poisoned: impl FnOnce() -> E,
    f: impl FnOnce(&mut Connection) -> Result<T, E>,
) -> Result<T, E> {
    let mut guard = conn.lock().map_err(|_| poisoned())?;
    f(&mut guard)
}

/// How often the checkpoint thread copies the WAL back into the database file.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The embedded item store. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the store in this database file.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::from_connection(open_connection(Some(path)).map_err(unavailable)?, clock)
    }

    /// A private in-memory store (tests).
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::from_connection(open_connection(None).map_err(unavailable)?, clock)
    }

    fn from_connection(conn: Connection, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        Self::on(Arc::new(Mutex::new(conn)), clock)
    }

    /// The store on a shared connection (see [`SharedConnection`]); creates its table if needed.
    pub fn on(conn: SharedConnection, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        {
            let c = conn.lock().map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
            let existing: Option<String> = c
                .query_row("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'", [], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            if existing.is_some_and(|sql| sql.to_ascii_uppercase().contains("WITHOUT ROWID")) {
                let migrated = c
                    .execute_batch(MIGRATE_FROM_WITHOUT_ROWID)
                    .and_then(|()| c.execute_batch(SCHEMA))
                    .and_then(|()| c.execute_batch(MIGRATE_COPY));
                if let Err(e) = migrated {
                    let _ = c.execute_batch("ROLLBACK");
                    return Err(unavailable(format!("moving the items to the rowid layout: {e}")));
                }
                tracing::info!("items moved to the rowid layout");
            } else {
                c.execute_batch(SCHEMA).map_err(unavailable)?;
            }
        }
        Ok(Self { conn, clock })
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Every value of every row of every table in the store's database (items, and on a shared
    /// connection the accounts and the queues too), as bytes, one value a line: for tests and
    /// audits that search the whole embedded state for a trace of something (an erasure).
    pub fn dump_all(&self) -> Result<Vec<u8>, StoreError> {
        let conn = self.conn.lock().map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        let mut tables = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").map_err(unavailable)?;
        let names: Vec<String> =
            tables.query_map([], |r| r.get(0)).map_err(unavailable)?.collect::<Result<_, _>>().map_err(unavailable)?;
        let mut out = Vec::new();
        for name in names {
            let mut rows =
                conn.prepare(&format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""))).map_err(unavailable)?;
            let columns = rows.column_count();
            let mut q = rows.query([]).map_err(unavailable)?;
            while let Some(row) = q.next().map_err(unavailable)? {
                for i in 0..columns {
                    match row.get_ref(i).map_err(unavailable)? {
                        rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                            out.extend_from_slice(t)
                        }
                        rusqlite::types::ValueRef::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
                        rusqlite::types::ValueRef::Real(x) => out.extend_from_slice(x.to_string().as_bytes()),
                        rusqlite::types::ValueRef::Null => {}
                    }
                    out.push(b'\n');
                }
            }
        }
        Ok(out)
    }

    /// Deletes items past their TTL, as DynamoDB's sweeper does; returns how many. Reads hide
    /// them anyway: this only keeps the file from growing (the dev server calls it now and then).
    pub async fn sweep_expired(&self) -> Result<usize, StoreError> {
        let now = self.now();
        self.with_conn(move |c| {
            c.execute("DELETE FROM items WHERE expires_at IS NOT NULL AND expires_at < ?1", params![now])
                .map_err(unavailable)
        })
        .await
    }

    /// Runs `f` on the connection, on the calling task's thread (see [`on_connection`]).
    async fn with_conn<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<T, StoreError>,
    {
        on_connection(&self.conn, || StoreError::Unavailable("store lock poisoned".into()), f)
    }
}

/// A row as SQLite holds it: read under the connection's lock, decoded (the JSON parse) after
/// the lock is released, so other requests wait only for SQLite itself.
struct RawRow {
    pk: String,
    sk: String,
    gsi1: (Option<String>, Option<String>),
    gsi2: (Option<String>, Option<String>),
    entity: String,
    version: i64,
    expires_at: Option<i64>,
    data: String,
}

fn raw_row(row: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        pk: row.get(0)?,
        sk: row.get(1)?,
        gsi1: (row.get(2)?, row.get(3)?),
        gsi2: (row.get(4)?, row.get(5)?),
        entity: row.get(6)?,
        version: row.get(7)?,
        expires_at: row.get(8)?,
        data: row.get(9)?,
    })
}

impl RawRow {
    fn decode(self) -> Result<Item, StoreError> {
        let index_key = |(p, s): (Option<String>, Option<String>)| match (p, s) {
            (Some(p), Some(s)) => Some(Key::new(p, s)),
            _ => None,
        };
        let (pk, sk) = (self.pk, self.sk);
        let version =
            u64::try_from(self.version).map_err(|_| StoreError::Corrupt(format!("{pk}/{sk}: negative version")))?;
        let data = serde_json::from_str(&self.data).map_err(|e| StoreError::Corrupt(format!("{pk}/{sk}: {e}")))?;
        Ok(Item {
            gsi1: index_key(self.gsi1),
            gsi2: index_key(self.gsi2),
            key: Key::new(pk, sk),
            entity: self.entity,
            version,
            expires_at: self.expires_at,
            data,
        })
    }

    /// The row for a typed reader: its data stays the JSON text stored.
    fn encoded(self) -> EncodedItem {
        EncodedItem { key: Key::new(self.pk, self.sk), entity: self.entity, data: EncodedData::Json(self.data) }
    }

    /// The page token DynamoDB would answer as LastEvaluatedKey for this row.
    fn token(&self, index: Option<Index>) -> PageToken {
        let key = Key::new(self.pk.clone(), self.sk.clone());
        let index_key = index.and_then(|i| {
            let (p, s) = match i {
                Index::Gsi1 => &self.gsi1,
                Index::Gsi2 => &self.gsi2,
            };
            Some((i, Key::new(p.clone()?, s.clone()?)))
        });
        PageToken::of(&key, index_key.as_ref().map(|(i, k)| (*i, k)))
    }
}

/// The live (unexpired) row under a key: `?1` pk, `?2` sk, `?3` now.
macro_rules! live_key {
    () => {
        "FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at >= ?3)"
    };
}

const LOAD_SQL: &str = concat!("SELECT ", columns!(), " ", live_key!());

/// The live (unexpired) row under a key, undecoded.
fn load_raw(conn: &Connection, key: &Key, now: i64) -> Result<Option<RawRow>, StoreError> {
    // A statement prepared once per connection (SQLite's parse and plan cost more than the read).
    let mut stmt = conn.prepare_cached(LOAD_SQL).map_err(unavailable)?;
    stmt.query_row(params![key.pk, key.sk, now], raw_row).optional().map_err(unavailable)
}

/// The live (unexpired) item under a key.
fn load(conn: &Connection, key: &Key, now: i64) -> Result<Option<Item>, StoreError> {
    load_raw(conn, key, now)?.map(RawRow::decode).transpose()
}

/// The version of the live (unexpired) item under a key: all a condition needs, without
/// reading and parsing the item's data.
fn load_version(conn: &Connection, key: &Key, now: i64) -> Result<Option<u64>, StoreError> {
    let mut stmt = conn.prepare_cached(concat!("SELECT version ", live_key!())).map_err(unavailable)?;
    let version: Option<i64> =
        stmt.query_row(params![key.pk, key.sk, now], |r| r.get(0)).optional().map_err(unavailable)?;
    version
        .map(|v| u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{}/{}: negative version", key.pk, key.sk))))
        .transpose()
}

/// Whether `condition` holds for the live item of version `current` (`None`: no live item).
fn holds(condition: Condition, current: Option<u64>) -> bool {
    match condition {
        Condition::None => true,
        Condition::NotExists => current.is_none(),
        Condition::Exists => current.is_some(),
        Condition::VersionIs(v) => current == Some(v),
    }
}

fn check_key(what: &str, key: &Key) -> Result<(), StoreError> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Invalid(format!("{what} attributes must not be empty strings")));
    }
    Ok(())
}

fn check_item(item: &Item) -> Result<(), StoreError> {
    check_key("key", &item.key)?;
    for index in Index::ALL {
        if let Some(k) = item.index_key(index) {
            check_key(index.name(), k)?;
        }
    }
    if !item.data.is_object() {
        return Err(StoreError::Invalid(format!("{}: data must be a JSON object", attr::DATA)));
    }
    i64::try_from(item.version).map_err(|_| StoreError::Invalid("version is too large".into()))?;
    Ok(())
}

/// An item's `data` as the JSON text it is stored as, refused past DynamoDB's item size. Writes
/// encode before they take the connection (as reads decode after releasing it), so the
/// connection is held only for SQLite's own work.
fn encode(item: &Item) -> Result<String, StoreError> {
    let data = serde_json::to_string(&item.data).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let size = data.len() + item.key.pk.len() + item.key.sk.len() + item.entity.len();
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::Invalid(format!(
            "item {}/{} is {size} bytes; the limit is 400 KB",
            item.key.pk, item.key.sk
        )));
    }
    Ok(data)
}

/// Writes an item: `encoded` is its `data` as [`encode`] gave it before the lock was taken, or
/// `None` to encode it here (the counters, whose new value is known only under the lock).
fn write_item(conn: &Connection, item: &Item, encoded: Option<&str>) -> Result<(), StoreError> {
    let here;
    let data = match encoded {
        Some(data) => data,
        None => {
            here = encode(item)?;
            &here
        }
    };
    let version = i64::try_from(item.version).map_err(|_| StoreError::Invalid("version is too large".into()))?;
    let g1 = item.gsi1.as_ref();
    let g2 = item.gsi2.as_ref();
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO items (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, entity, version, expires_at, data) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, gsi1sk = excluded.gsi1sk, \
             gsi2pk = excluded.gsi2pk, gsi2sk = excluded.gsi2sk, entity = excluded.entity, \
             version = excluded.version, expires_at = excluded.expires_at, data = excluded.data",
        )
        .map_err(unavailable)?;
    stmt.execute(params![
        item.key.pk,
        item.key.sk,
        g1.map(|k| &k.pk),
        g1.map(|k| &k.sk),
        g2.map(|k| &k.pk),
        g2.map(|k| &k.sk),
        item.entity,
        version,
        item.expires_at,
        data
    ])
    .map_err(unavailable)?;
    Ok(())
}

/// DynamoDB's `ADD` on a counter item: created at zero if missing, its `data.count` moved by `delta`.
fn add(conn: &Connection, key: &Key, entity: &str, gsi1: Option<&Key>, delta: i64, now: i64) -> Result<(), StoreError> {
    let current = load(conn, key, now)?;
    let (count, version) = match &current {
        Some(c) => {
            let count = match c.data.get(attr::COUNT) {
                None => 0,
                Some(v) => v.as_i64().ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "{}/{} is not a counter: {} is not a number",
                        key.pk,
                        key.sk,
                        attr::COUNT
                    ))
                })?,
            };
            (count, c.version)
        }
        None => (0, 0),
    };
    let total = count
        .checked_add(delta)
        .ok_or_else(|| StoreError::Invalid(format!("counter {}/{} would overflow", key.pk, key.sk)))?;
    let item = Item {
        key: key.clone(),
        gsi1: gsi1.cloned(),
        gsi2: None,
        entity: current.as_ref().map_or_else(|| entity.to_owned(), |c| c.entity.clone()),
        version: version + 1,
        expires_at: None,
        data: serde_json::json!({ attr::COUNT: total }),
    };
    write_item(conn, &item, None)
}

fn remove(conn: &Connection, key: &Key) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut s| s.execute(params![key.pk, key.sk]))
        .map_err(unavailable)?;
    Ok(())
}

fn token_part<'a>(token: &'a PageToken, name: &str) -> Result<&'a str, StoreError> {
    token
        .0
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| StoreError::Invalid(format!("page token lacks {name}: it belongs to another query")))
}

/// The rows of a query page (one more than the limit when another page exists), undecoded.
fn run_query(conn: &Connection, q: &Query, now: i64) -> Result<Vec<RawRow>, StoreError> {
    if q.limit == 0 || q.limit > MAX_QUERY_LIMIT {
        return Err(StoreError::Invalid(format!("limit must be 1..={MAX_QUERY_LIMIT}, got {}", q.limit)));
    }
    let (pk_col, sk_col) = match q.index {
        None => (attr::PK, attr::SK),
        Some(i) => (i.pk_attr(), i.sk_attr()),
    };
    let mut sql = format!(
        "SELECT {COLUMNS} FROM items WHERE {pk_col} = ? AND {sk_col} IS NOT NULL AND (expires_at IS NULL OR expires_at >= ?)"
    );
    let mut args: Vec<rusqlite::types::Value> = vec![q.pk.clone().into(), now.into()];
    if q.sk_prefix.is_some() && q.sk_between.is_some() {
        return Err(StoreError::Invalid("a query takes a sort-key prefix or a range, not both".into()));
    }
    if let Some((from, to)) = &q.sk_between {
        sql.push_str(&format!(" AND {sk_col} >= ? AND {sk_col} <= ?"));
        args.extend([from.clone().into(), to.clone().into()]);
    }
    if let Some(prefix) = &q.sk_prefix {
        // A closed range, so the index seeks to both ends (a descending page starts at the
        // prefix's last key instead of walking down from the partition's end): the keys that
        // begin with the prefix are exactly those from the prefix up to the prefix followed by
        // the byte 0xF5, which no UTF-8 text contains (SQLite compares TEXT bytewise).
        sql.push_str(&format!(" AND {sk_col} >= ? AND {sk_col} < (? || CAST(X'F5' AS TEXT))"));
        args.extend([prefix.clone().into(), prefix.clone().into()]);
    }
    let cmp = if q.descending { "<" } else { ">" };
    let dir = if q.descending { "DESC" } else { "ASC" };
    if let Some(token) = &q.start_after {
        if token_part(token, pk_col)? != q.pk {
            return Err(StoreError::Invalid("page token belongs to another partition".into()));
        }
        match q.index {
            None => {
                sql.push_str(&format!(" AND sk {cmp} ?"));
                args.push(token_part(token, attr::SK)?.to_owned().into());
            }
            Some(_) => {
                sql.push_str(&format!(" AND ({sk_col}, pk, sk) {cmp} (?, ?, ?)"));
                args.extend([
                    token_part(token, sk_col)?.to_owned().into(),
                    token_part(token, attr::PK)?.to_owned().into(),
                    token_part(token, attr::SK)?.to_owned().into(),
                ]);
            }
        }
    }
    match q.index {
        None => sql.push_str(&format!(" ORDER BY sk {dir}")),
        Some(_) => sql.push_str(&format!(" ORDER BY {sk_col} {dir}, pk {dir}, sk {dir}")),
    }
    // One more than asked tells whether another page exists, so the last page carries no token.
    // Not as `LIMIT ?`: SQLite plans with a bound LIMIT's value, so every query whose limit
    // differs from the last one's would be parsed and planned again. The rows are stepped
    // lazily, in index order, and the rest are never read.
    let mut stmt = conn.prepare_cached(&sql).map_err(unavailable)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), raw_row).map_err(unavailable)?;
    rows.take(q.limit + 1).collect::<Result<Vec<_>, _>>().map_err(unavailable)
}

/// The page of a query's rows: decoded, with the token of the next page when there is one.
fn page_of(q: &Query, rows: Vec<RawRow>) -> Result<Page, StoreError> {
    let (rows, next) = split_page(q, rows);
    Ok(Page { items: rows.into_iter().map(RawRow::decode).collect::<Result<Vec<_>, _>>()?, next })
}

/// A query's rows (one more than the limit when another page exists) as a page's rows and the
/// token that resumes after them.
fn split_page(q: &Query, mut rows: Vec<RawRow>) -> (Vec<RawRow>, Option<PageToken>) {
    let more = rows.len() > q.limit;
    rows.truncate(q.limit);
    let next = if more { rows.last().map(|last| last.token(q.index)) } else { None };
    (rows, next)
}

/// Checks a transaction's shape and encodes its puts, before the connection is taken: the
/// encoded `data` of each write, `None` for the writes that are not puts.
fn prepare_transaction(writes: &[TxWrite]) -> Result<Vec<Option<String>>, StoreError> {
    if writes.is_empty() {
        return Err(StoreError::Invalid("a transaction needs at least one write".into()));
    }
    if writes.len() > MAX_TRANSACT_WRITES {
        return Err(StoreError::Invalid(format!(
            "a transaction holds at most {MAX_TRANSACT_WRITES} writes, got {}",
            writes.len()
        )));
    }
    let mut seen = HashSet::new();
    let mut encoded = Vec::with_capacity(writes.len());
    for w in writes {
        let key = w.op.key();
        check_key("key", key)?;
        if !seen.insert(key.clone()) {
            return Err(StoreError::Invalid(format!(
                "a transaction may touch each key once; {}/{} appears twice",
                key.pk, key.sk
            )));
        }
        encoded.push(match &w.op {
            TxOp::Put { item, .. } => {
                check_item(item)?;
                Some(encode(item)?)
            }
            _ => None,
        });
    }
    Ok(encoded)
}

/// Runs a transaction [`prepare_transaction`] checked and encoded.
fn run_transaction(
    conn: &mut Connection,
    writes: &[TxWrite],
    encoded: &[Option<String>],
    now: i64,
) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
    let mut failed = Vec::new();
    for w in writes {
        let (key, condition) = match &w.op {
            TxOp::Put { item, condition } => (&item.key, *condition),
            TxOp::Delete { key, condition } | TxOp::Check { key, condition } => (key, *condition),
            TxOp::Add { key, .. } => (key, Condition::None),
        };
        if !holds(condition, load_version(&tx, key, now)?) {
            failed.push(w.label.clone());
        }
    }
    if !failed.is_empty() {
        // Dropping the transaction rolls it back; nothing was written yet anyway.
        return Err(StoreError::TransactionCanceled { failed });
    }
    for (w, data) in writes.iter().zip(encoded) {
        match (&w.op, data) {
            (TxOp::Put { item, .. }, data) => write_item(&tx, item, data.as_deref())?,
            (TxOp::Delete { key, .. }, _) => remove(&tx, key)?,
            (TxOp::Check { .. }, _) => {}
            (TxOp::Add { key, entity, gsi1, delta }, _) => add(&tx, key, entity, gsi1.as_ref(), *delta, now)?,
        }
    }
    tx.commit().map_err(unavailable)
}

#[async_trait::async_trait]
impl ItemStore for SqliteStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let now = self.now();
        self.with_conn(|c| load_raw(c, key, now)).await?.map(RawRow::decode).transpose()
    }

    async fn put(&self, item: Item, condition: Condition) -> Result<(), StoreError> {
        check_item(&item)?;
        let data = encode(&item)?;
        let now = self.now();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            if !holds(condition, load_version(&tx, &item.key, now)?) {
                let current = load(&tx, &item.key, now)?;
                return Err(StoreError::ConditionFailed { current: current.map(Box::new) });
            }
            write_item(&tx, &item, Some(&data))?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Condition) -> Result<Option<Item>, StoreError> {
        check_key("key", key)?;
        let key = key.clone();
        let now = self.now();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let current = load(&tx, &key, now)?;
            if !holds(condition, current.as_ref().map(|c| c.version)) {
                return Err(StoreError::ConditionFailed { current: current.map(Box::new) });
            }
            // Also removes an expired row, as DynamoDB's sweep eventually would.
            remove(&tx, &key)?;
            tx.commit().map_err(unavailable)?;
            Ok(current)
        })
        .await
    }

    async fn transact(&self, writes: Vec<TxWrite>) -> Result<(), StoreError> {
        let now = self.now();
        let encoded = prepare_transaction(&writes)?;
        self.with_conn(move |c| run_transaction(c, &writes, &encoded, now)).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let now = self.now();
        let rows = self.with_conn(|c| run_query(c, query, now)).await?;
        page_of(query, rows)
    }

    async fn get_encoded(&self, key: &Key) -> Result<Option<EncodedItem>, StoreError> {
        let now = self.now();
        Ok(self.with_conn(|c| load_raw(c, key, now)).await?.map(RawRow::encoded))
    }

    async fn query_encoded(&self, query: &Query) -> Result<EncodedPage, StoreError> {
        let now = self.now();
        let rows = self.with_conn(|c| run_query(c, query, now)).await?;
        let (rows, next) = split_page(query, rows);
        Ok(EncodedPage { items: rows.into_iter().map(RawRow::encoded).collect(), next })
    }

    async fn add_counts(
        &self,
        key: &Key,
        entity: &str,
        expires_at: i64,
        deltas: &[(&str, i64)],
    ) -> Result<Vec<i64>, StoreError> {
        check_counts(key, deltas)?;
        let (key, entity, now) = (key.clone(), entity.to_owned(), self.now());
        let deltas: Vec<(String, i64)> = deltas.iter().map(|(n, d)| ((*n).to_owned(), *d)).collect();
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let mut item = load(&tx, &key, now)?.unwrap_or_else(|| Item {
                key: key.clone(),
                gsi1: None,
                gsi2: None,
                entity,
                version: 0,
                expires_at: Some(expires_at),
                data: serde_json::json!({}),
            });
            let named: Vec<(&str, i64)> = deltas.iter().map(|(n, d)| (n.as_str(), *d)).collect();
            let totals = apply_counts(&mut item.data, &named)?;
            item.version += 1;
            write_item(&tx, &item, None)?;
            tx.commit().map_err(unavailable)?;
            Ok(totals)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearview_core::ports::clock::FixedClock;
    use serde_json::json;
    use time::macros::datetime;

    fn item(pk: &str, sk: &str) -> Item {
        Item {
            key: Key::new(pk, sk),
            gsi1: None,
            gsi2: None,
            entity: "T".into(),
            version: 1,
            expires_at: None,
            data: json!({"n": sk}),
        }
    }

    /// The WAL header's checkpoint sequence number: SQLite adds one each time the log starts over.
    fn wal_restarts(wal: &Path) -> u32 {
        use std::io::Read;
        let mut header = [0u8; 16];
        std::fs::File::open(wal).unwrap().read_exact(&mut header).unwrap();
        u32::from_be_bytes([header[12], header[13], header[14], header[15]])
    }

    #[test]
    fn under_writes_that_never_pause_the_log_starts_over_instead_of_growing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let every = std::time::Duration::from_millis(50);
        let shared = shared_connection_with(Some(&path), Checkpoints { every, restart_frames: 64 }).unwrap();
        shared.lock().unwrap().execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)").unwrap();
        let wal = dir.path().join("db.sqlite-wal");
        let first = wal_restarts(&wal);
        let mut written = 0i64;
        let started = std::time::Instant::now();
        // A commit of about 3 KB every fifth of a millisecond (a frame or two each), never
        // pausing for as long as a checkpoint pass with its fsyncs takes, until the log has
        // started over three times: about 0.2 s here, where passes alone never let it start
        // over (pauses of a millisecond would let one finish now and then). On a machine busy
        // with other tests a round may not catch up at once, so allow time.
        while wal_restarts(&wal).wrapping_sub(first) < 3 {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(30),
                "the log never started over in 30 s of writes ({written} commits)"
            );
            written += 1;
            shared
                .lock()
                .unwrap()
                .execute("INSERT INTO t VALUES (?1, ?2)", params![written, "x".repeat(3000)])
                .unwrap();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        let c = shared.lock().unwrap();
        let rows: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, written, "no commit was lost over the restarts");
        let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_logs_pages_stay_in_memory_when_the_kernel_drops_the_page_cache() {
        use crate::resident::tests::{drop_cache_and_count_resident, resident_pages};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let every = std::time::Duration::from_millis(20);
        let shared = shared_connection_with(Some(&path), Checkpoints { every, restart_frames: i64::MAX }).unwrap();
        {
            let c = shared.lock().unwrap();
            c.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)").unwrap();
            for n in 0..700 {
                c.execute("INSERT INTO t VALUES (?1, ?2)", params![n, "x".repeat(3000)]).unwrap();
            }
        }
        let wal = dir.path().join("db.sqlite-wal");
        // The checkpoint thread sees the log's new size on its next tick.
        std::thread::sleep(every * 10);
        let (kept, pages) = drop_cache_and_count_resident(&wal);
        assert!(pages > 500, "the log holds {pages} pages");
        // Locked: nothing was dropped. Where locking is not permitted, the next tick reads the
        // pages back.
        let f = std::fs::File::open(&wal).unwrap();
        let len = f.metadata().unwrap().len() as usize;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut now_kept = kept;
        while now_kept < pages {
            assert!(
                std::time::Instant::now() < deadline,
                "{now_kept} of the log's {pages} pages in memory 10 s after the cache was dropped"
            );
            std::thread::sleep(every);
            now_kept = resident_pages(&f, len).0;
        }
        drop(shared);
    }

    #[tokio::test]
    async fn items_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let clock: Arc<dyn Clock> = Arc::new(clearview_core::ports::clock::SystemClock);
        {
            let s = SqliteStore::open(&path, clock.clone()).unwrap();
            s.put(item("p", "a"), Condition::NotExists).await.unwrap();
        }
        let s = SqliteStore::open(&path, clock).unwrap();
        assert_eq!(s.get(&Key::new("p", "a")).await.unwrap().unwrap().data, json!({"n": "a"}));
    }

    #[tokio::test]
    async fn a_data_folder_from_the_without_rowid_layout_keeps_its_items_in_the_rowid_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        {
            // Through open_connection, as every connection in this process: SQLite's page cache
            // is set up before its first one (crate::pcache).
            let c = open_connection(Some(&path)).unwrap();
            c.execute_batch(
                "CREATE TABLE items (pk TEXT NOT NULL, sk TEXT NOT NULL, gsi1pk TEXT, gsi1sk TEXT, gsi2pk TEXT,
                     gsi2sk TEXT, entity TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER,
                     data TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
                 CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
                 CREATE INDEX items_gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
                 INSERT INTO items VALUES ('p', 'a', 'g', '1', NULL, NULL, 'T', 3, NULL, '{\"n\":\"a\"}');
                 INSERT INTO items VALUES ('p', 'b', NULL, NULL, NULL, NULL, 'T', 1, NULL, '{\"n\":\"b\"}');",
            )
            .unwrap();
        }
        let s = SqliteStore::open(&path, Arc::new(clearview_core::ports::clock::SystemClock)).unwrap();
        let a = s.get(&Key::new("p", "a")).await.unwrap().unwrap();
        assert_eq!((a.version, a.data), (3, json!({"n": "a"})));
        assert_eq!(a.gsi1, Some(Key::new("g", "1")));
        let by_index = s.query(&Query::index(Index::Gsi1, "g")).await.unwrap();
        assert_eq!(by_index.items.len(), 1);
        assert_eq!(s.query(&Query::table("p")).await.unwrap().items.len(), 2);
        // The key stays unique, and conditions hold as before.
        let e = s.put(item("p", "a"), Condition::NotExists).await.unwrap_err();
        assert!(matches!(e, StoreError::ConditionFailed { current: Some(_) }));
        s.put(item("p", "a"), Condition::VersionIs(3)).await.unwrap();
        assert_eq!(s.get(&Key::new("p", "a")).await.unwrap().unwrap().data, json!({"n": "a"}));
        let sql: String = s
            .conn
            .lock()
            .unwrap()
            .query_row("SELECT sql FROM sqlite_master WHERE name = 'items'", [], |r| r.get(0))
            .unwrap();
        assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
        drop(s);
        // Opening again finds the new layout and changes nothing.
        let s = SqliteStore::open(&path, Arc::new(clearview_core::ports::clock::SystemClock)).unwrap();
        assert_eq!(s.query(&Query::table("p")).await.unwrap().items.len(), 2);
    }

    #[tokio::test]
    async fn item_disappears_when_the_clock_passes_its_ttl() {
        let clock = Arc::new(FixedClock::at(datetime!(2030-01-01 00:00 UTC)));
        let s = SqliteStore::in_memory(clock.clone()).unwrap();
        let mut it = item("p", "a");
        it.expires_at = Some(clock.now().unix_timestamp() + 60);
        s.put(it, Condition::None).await.unwrap();
        assert!(s.get(&Key::new("p", "a")).await.unwrap().is_some());
        clock.advance(time::Duration::seconds(61));
        assert!(s.get(&Key::new("p", "a")).await.unwrap().is_none());
        assert!(s.query(&Query::table("p")).await.unwrap().items.is_empty());
        // An expired item no longer blocks a NotExists write.
        s.put(item("p", "a"), Condition::NotExists).await.unwrap();
        let mut old = item("p", "b");
        old.expires_at = Some(clock.now().unix_timestamp() - 1);
        s.put(old, Condition::None).await.unwrap();
        assert_eq!(s.sweep_expired().await.unwrap(), 1);
        assert!(s.get(&Key::new("p", "a")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn prefix_with_like_wildcards_is_literal() {
        let s = SqliteStore::in_memory(Arc::new(clearview_core::ports::clock::SystemClock)).unwrap();
        s.put(item("p", "a%b"), Condition::None).await.unwrap();
        s.put(item("p", "axb"), Condition::None).await.unwrap();
        let page = s.query(&Query::table("p").prefix("a%")).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.items[0].key.sk, "a%b");
    }

    #[tokio::test]
    async fn prefix_pages_hold_every_key_that_begins_with_it_and_nothing_else_in_both_orders() {
        let s = SqliteStore::in_memory(Arc::new(clearview_core::ports::clock::SystemClock)).unwrap();
        let inside = ["JOB#1", "JOB#2", "JOB#\u{e9}", "JOB#\u{10FFFF}", "JOB#\u{10FFFF}z", "JOB#"];
        let outside = ["JOB", "JOA#9", "JOBVER#1#0001", "JOBVER#2#0001", "JOC", "JOB\u{10FFFF}"];
        for sk in inside.iter().chain(&outside) {
            s.put(item("p", sk), Condition::None).await.unwrap();
        }
        let mut want: Vec<&str> = inside.to_vec();
        want.sort();
        for descending in [false, true] {
            let mut got = Vec::new();
            let mut after = None;
            loop {
                let mut q = Query::table("p").prefix("JOB#").limit(2).after(after);
                if descending {
                    q = q.descending();
                }
                let page = s.query(&q).await.unwrap();
                got.extend(page.items.iter().map(|i| i.key.sk.clone()));
                match page.next {
                    Some(t) => after = Some(t),
                    None => break,
                }
            }
            let mut expected: Vec<String> = want.iter().map(|k| k.to_string()).collect();
            if descending {
                expected.reverse();
            }
            assert_eq!(got, expected, "descending: {descending}");
        }
    }

    #[tokio::test]
    async fn token_from_another_partition_is_invalid() {
        let s = SqliteStore::in_memory(Arc::new(clearview_core::ports::clock::SystemClock)).unwrap();
        let token = PageToken::at(&item("other", "a"), None);
        let e = s.query(&Query::table("p").after(Some(token))).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)));
    }
}
