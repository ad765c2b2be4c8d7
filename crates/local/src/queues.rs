//! `SqliteQueues`: durable work queues and the application-events topic in the SQLite file, with SQS's receive semantics.
//!
//! One row per message. Receiving makes a message invisible for a visibility timeout and hands
//! out a receipt: `ack` deletes it, `release` makes it visible again after a backoff, and a
//! message received more than `max_receives` times moves to the dead-letter list with its last
//! failure (SQS's redrive policy). Dead letters can be listed and redriven. Everything lives in
//! the database, so messages survive restarts; in-flight ones come back when their visibility
//! passes. Times come from the injected [`Clock`], in milliseconds.

use clearview_core::ports::clock::Clock;
use clearview_core::ports::queue::{DomainEvent, Events, Feed, QueueDef, QueueError, Queues, WorkMessage, WorkQueue};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::Notify;

/// The `kind` of a message fanned out from the application-events topic.
pub const APPLICATION_EVENT_KIND: &str = "application-event";
/// SQS's message size limit, kept so what passes here does not fail in AWS.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The most messages one receive hands out (SQS's limit).
pub const MAX_RECEIVE_BATCH: usize = 10;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    dead INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    reason TEXT,
    sent_at INTEGER NOT NULL,
    dead_at INTEGER
);
-- A queue's live messages in order, with when each becomes visible: a receive finds what is
-- ready from the index alone, without reading a row (and its body) to learn it is still hidden.
DROP INDEX IF EXISTS queue_messages_ready;
CREATE INDEX IF NOT EXISTS queue_messages_live ON queue_messages (queue, dead, seq, visible_at);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt) WHERE receipt IS NOT NULL;
";

/// Redrive policy, retry backoff and topic subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// A message received this many times without an ack goes to the dead-letter list on the
    /// next receive (SQS's `maxReceiveCount`).
    pub max_receives: u32,
    /// Delay before a released message is visible again; doubles with each receive.
    pub retry_backoff: Duration,
    /// Upper bound of that delay.
    pub max_backoff: Duration,
    /// The queues and their feeds: the asynchronous-work table's (`clearview_chain::table`).
    /// Topic subscriptions fan published events out to the queues whose filter accepts them.
    pub queues: Vec<QueueDef>,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_receives: 3,
            retry_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            queues: clearview_chain::table::QUEUES.to_vec(),
        }
    }
}

impl QueueConfig {
    /// The delay before a message released after its `receive_count`-th receive is visible again.
    pub fn backoff(&self, receive_count: u32) -> Duration {
        let factor = 1u32.checked_shl(receive_count.saturating_sub(1)).unwrap_or(u32::MAX);
        self.retry_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// One received message. The receipt acks, releases or dead-letters exactly this delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub queue: WorkQueue,
    pub receipt: String,
    pub message: WorkMessage,
    /// How many times the message has been received, this time included (1 on first delivery).
    pub receive_count: u32,
}

/// A message in a queue's dead-letter list.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub message: WorkMessage,
    pub reason: String,
    pub receive_count: u32,
    pub dead_at: OffsetDateTime,
}

/// How many messages a queue holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Receivable now.
    pub visible: u64,
    /// Received and not yet answered, or released and waiting out the backoff.
    pub in_flight: u64,
    /// In the dead-letter list.
    pub dead: u64,
}

/// The embedded queues and topic. Cheap to clone; clones share one connection, the wake-ups
/// and the deferred acks.
#[derive(Clone)]
pub struct SqliteQueues {
    conn: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
    config: Arc<QueueConfig>,
    woken: Arc<Woken>,
    /// Receipts answered with [`SqliteQueues::ack_later`], deleted by the next transaction.
    acks: Arc<Mutex<Vec<String>>>,
}

/// Which queues were sent to since the workers last looked, and the signal that wakes them.
#[derive(Default)]
struct Woken {
    queues: Mutex<BTreeSet<WorkQueue>>,
    any: Notify,
}

impl std::fmt::Debug for SqliteQueues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteQueues").field("config", &self.config).finish_non_exhaustive()
    }
}

fn unavailable(e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(e.to_string())
}

fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn check(message: &WorkMessage) -> Result<String, QueueError> {
    if message.id.is_empty() || message.kind.is_empty() {
        return Err(QueueError::Invalid("a message needs an id and a kind".into()));
    }
    let body = serde_json::to_string(&message.body).map_err(|e| QueueError::Invalid(e.to_string()))?;
    let size = body.len() + message.id.len() + message.kind.len();
    if size > MAX_MESSAGE_BYTES {
        return Err(QueueError::Invalid(format!("message {} is {size} bytes; the limit is 256 KB", message.id)));
    }
    Ok(body)
}

fn insert(conn: &Connection, queue: WorkQueue, m: &WorkMessage, body: &str, now: i64) -> Result<(), QueueError> {
    conn.prepare_cached(
        "INSERT INTO queue_messages (queue, id, kind, body, visible_at, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    )
    .and_then(|mut s| s.execute(params![queue.name(), m.id, m.kind, body, now]))
    .map_err(unavailable)?;
    Ok(())
}

fn read_message(id: String, kind: String, body: &str) -> Result<WorkMessage, String> {
    let body = serde_json::from_str(body).map_err(|e| format!("unreadable body: {e}"))?;
    Ok(WorkMessage { id, kind, body })
}

fn mark_dead(conn: &Connection, seq: i64, reason: &str, now: i64) -> Result<(), QueueError> {
    conn.execute(
        "UPDATE queue_messages SET dead = 1, dead_at = ?2, reason = ?3, receipt = NULL WHERE seq = ?1",
        params![seq, now, reason],
    )
    .map_err(unavailable)?;
    Ok(())
}

/// Receives up to `max` ready messages of `queue` into `out`, inside the caller's transaction.
fn receive_into(
    tx: &Connection,
    queue: WorkQueue,
    max: usize,
    now: i64,
    hidden_until: i64,
    max_receives: i64,
    out: &mut Vec<Delivery>,
) -> Result<(), QueueError> {
    let mut got = 0;
    // Each pass starts after the last row seen, so a zero visibility cannot hand one out twice.
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, String, String, String, i64, Option<String>)> = {
            let mut stmt = tx
                .prepare_cached(
                    // No `LIMIT ?`: SQLite plans with a bound LIMIT's value, so a statement whose
                    // limit changed is parsed and planned again. The rows are read lazily and
                    // only as many as wanted.
                    "SELECT seq, id, kind, body, receive_count, reason FROM queue_messages
                     WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2 AND seq > ?3 ORDER BY seq",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![queue.name(), now, after], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .map_err(unavailable)?;
            rows.take(max - got).collect::<Result<_, _>>().map_err(unavailable)?
        };
        if rows.is_empty() {
            return Ok(());
        }
        for (seq, id, kind, body, count, reason) in rows {
            after = seq;
            if count >= max_receives {
                let reason = reason.unwrap_or_else(|| {
                    format!("received {count} times without an answer before the visibility timeout")
                });
                tracing::warn!(queue = queue.name(), id, count, reason, "message moved to the dead-letter list");
                mark_dead(tx, seq, &reason, now)?;
                continue;
            }
            let message = match read_message(id.clone(), kind, &body) {
                Ok(m) => m,
                Err(reason) => {
                    tracing::warn!(queue = queue.name(), id, reason, "message moved to the dead-letter list");
                    mark_dead(tx, seq, &reason, now)?;
                    continue;
                }
            };
            let receipt = uuid::Uuid::new_v4().to_string();
            tx.prepare_cached(
                "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = ?2, visible_at = ?3
                 WHERE seq = ?1",
            )
            .and_then(|mut s| s.execute(params![seq, receipt, hidden_until]))
            .map_err(unavailable)?;
            out.push(Delivery { queue, receipt, message, receive_count: to_u32(count + 1) });
            got += 1;
        }
        if got >= max {
            return Ok(());
        }
    }
}

impl SqliteQueues {
    /// Opens (creating its tables if needed) the queues in this database file.
    pub fn open(path: &Path, clock: Arc<dyn Clock>, config: QueueConfig) -> Result<Self, QueueError> {
        Self::from_connection(crate::store::open_connection(Some(path)).map_err(unavailable)?, clock, config)
    }

    /// Private in-memory queues (tests).
    pub fn in_memory(clock: Arc<dyn Clock>, config: QueueConfig) -> Result<Self, QueueError> {
        Self::from_connection(crate::store::open_connection(None).map_err(unavailable)?, clock, config)
    }

    fn from_connection(conn: Connection, clock: Arc<dyn Clock>, config: QueueConfig) -> Result<Self, QueueError> {
        Self::on(Arc::new(Mutex::new(conn)), clock, config)
    }

    /// The queues on a shared connection (see [`crate::store::SharedConnection`]).
    pub fn on(
        conn: crate::store::SharedConnection,
        clock: Arc<dyn Clock>,
        config: QueueConfig,
    ) -> Result<Self, QueueError> {
        conn.lock().map_err(|_| unavailable("queue lock poisoned"))?.execute_batch(SCHEMA).map_err(unavailable)?;
        Ok(Self { conn, clock, config: Arc::new(config), woken: Arc::default(), acks: Arc::default() })
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// Waits until a message may have become receivable on some queue; [`Self::take_woken`]
    /// says which. A wake-up that came before the wait is not lost.
    pub async fn woken(&self) {
        self.woken.any.notified().await;
    }

    /// The queues sent to since the last call.
    pub fn take_woken(&self) -> BTreeSet<WorkQueue> {
        self.woken.queues.lock().map(|mut q| std::mem::take(&mut *q)).unwrap_or_default()
    }

    fn wake(&self, queue: WorkQueue) {
        if let Ok(mut q) = self.woken.queues.lock() {
            q.insert(queue);
        }
        self.woken.any.notify_one();
    }

    fn take_acks(&self) -> Vec<String> {
        self.acks.lock().map(|mut a| std::mem::take(&mut *a)).unwrap_or_default()
    }

    /// Whether acks wait for the next transaction.
    pub fn acks_pending(&self) -> bool {
        self.acks.lock().map(|a| !a.is_empty()).unwrap_or(false)
    }

    /// Answers a delivery as done without a transaction of its own: the message is deleted by the
    /// next transaction on these queues (a receive, a send, a publish, any read of their state),
    /// as a Lambda event source mapping deletes a batch's messages together. Until then only
    /// this process knows; if it dies first, the message comes back (at least once, as in SQS).
    pub fn ack_later(&self, receipt: String) {
        if let Ok(mut a) = self.acks.lock() {
            a.push(receipt);
        }
    }

    /// Deletes the delivered message of `receipt` on `c`; `false` when the receipt is unknown.
    fn delete_delivered(c: &Connection, receipt: &str) -> Result<bool, QueueError> {
        let n = c
            .prepare_cached("DELETE FROM queue_messages WHERE receipt = ?1 AND dead = 0")
            .and_then(|mut s| s.execute(params![receipt]))
            .map_err(unavailable)?;
        Ok(n > 0)
    }

    /// Runs `f` in a write transaction on `c` that first deletes the deferred acks. Should it
    /// fail, the acks go back to the list for the next one.
    fn write_on<T>(
        &self,
        c: &mut Connection,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let acks = self.take_acks();
        let done = (|| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            for receipt in &acks {
                if !Self::delete_delivered(&tx, receipt)? {
                    tracing::warn!(receipt, "receipt no longer valid (visibility expired?); ack dropped");
                }
            }
            let out = f(&tx)?;
            tx.commit().map_err(unavailable)?;
            Ok(out)
        })();
        if done.is_err()
            && !acks.is_empty()
            && let Ok(mut a) = self.acks.lock()
        {
            a.extend(acks);
        }
        done
    }

    /// [`Self::write_on`] the shared connection.
    async fn write<T, F>(&self, f: F) -> Result<T, QueueError>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, QueueError>,
    {
        self.with_conn(|c| self.write_on(c, f)).await
    }

    /// Deletes the deferred acks now (the workers call it when they stop; reads call it so they
    /// see what was answered).
    pub async fn flush_acks(&self) -> Result<(), QueueError> {
        if self.acks_pending() { self.write(|_| Ok(())).await } else { Ok(()) }
    }

    fn now(&self) -> i64 {
        millis(self.clock.now())
    }

    /// Runs `f` on the connection, on the calling task's thread (see [`crate::store::on_connection`]).
    async fn with_conn<T, F>(&self, f: F) -> Result<T, QueueError>
    where
        F: FnOnce(&mut Connection) -> Result<T, QueueError>,
    {
        crate::store::on_connection(&self.conn, || QueueError::Unavailable("queue lock poisoned".into()), f)
    }

    /// Up to `max` (1..=10) visible messages, each hidden for `visibility`. A message already
    /// received `max_receives` times is moved to the dead-letter list instead of delivered.
    pub async fn receive(
        &self,
        queue: WorkQueue,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        self.receive_from(&[(queue, max)], visibility).await
    }

    /// [`Self::receive`] on several queues at once, `(queue, max)` each, in one transaction (the
    /// workers' dispatcher receives for every idle consumer together). The deferred acks are
    /// deleted in the same transaction.
    pub async fn receive_from(
        &self,
        wants: &[(WorkQueue, usize)],
        visibility: Duration,
    ) -> Result<Vec<Delivery>, QueueError> {
        if let Some((_, max)) = wants.iter().find(|(_, max)| *max == 0 || *max > MAX_RECEIVE_BATCH) {
            return Err(QueueError::Invalid(format!("receive takes 1..={MAX_RECEIVE_BATCH} messages, got {max}")));
        }
        let now = self.now();
        let hidden_until = now.saturating_add(duration_millis(visibility));
        let max_receives = i64::from(self.config.max_receives);
        self.with_conn(|c| {
            // Most receives find nothing (an idle loop polls, or a sibling took the message): a
            // read from the index answers that without taking the write lock.
            let mut ready = Vec::new();
            {
                let mut stmt = c
                    .prepare_cached(
                        "SELECT EXISTS (SELECT 1 FROM queue_messages
                         WHERE queue = ?1 AND dead = 0 AND visible_at <= ?2)",
                    )
                    .map_err(unavailable)?;
                for &(queue, max) in wants {
                    if stmt.query_row(params![queue.name(), now], |r| r.get(0)).map_err(unavailable)? {
                        ready.push((queue, max));
                    }
                }
            }
            if ready.is_empty() && !self.acks_pending() {
                return Ok(Vec::new());
            }
            self.write_on(c, |tx| {
                let mut out = Vec::new();
                for (queue, max) in ready {
                    receive_into(tx, queue, max, now, hidden_until, max_receives, &mut out)?;
                }
                Ok(out)
            })
        })
        .await
    }

    /// Deletes the delivered message. `false` when the receipt is unknown (already answered).
    pub async fn ack(&self, receipt: &str) -> Result<bool, QueueError> {
        self.write(|c| Self::delete_delivered(c, receipt)).await
    }

    /// Makes the delivered message visible again after the backoff, remembering why it failed.
    /// `false` when the receipt is unknown.
    pub async fn release(&self, receipt: &str, reason: &str) -> Result<bool, QueueError> {
        let (receipt, reason) = (receipt.to_owned(), reason.to_owned());
        let now = self.now();
        let config = Arc::clone(&self.config);
        let queue = self
            .write(move |tx| {
                let row: Option<(i64, String, i64)> = tx
                    .query_row(
                        "SELECT seq, queue, receive_count FROM queue_messages WHERE receipt = ?1 AND dead = 0",
                        params![receipt],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                let Some((seq, queue, count)) = row else { return Ok(None) };
                let visible_at = now.saturating_add(duration_millis(config.backoff(to_u32(count))));
                tx.execute(
                    "UPDATE queue_messages SET receipt = NULL, visible_at = ?2, reason = ?3 WHERE seq = ?1",
                    params![seq, visible_at, reason],
                )
                .map_err(unavailable)?;
                Ok(Some(queue))
            })
            .await?;
        Ok(queue.is_some())
    }

    /// Makes every message still held by a receipt visible again now: for a process that owns
    /// the data folder and starts after one that stopped without answering (killed, crashed),
    /// whose receipts nobody can answer any more. Each keeps its receive count, so a message
    /// that keeps killing its consumer still reaches the dead-letter list. Returns how many.
    pub async fn release_abandoned(&self) -> Result<usize, QueueError> {
        let now = self.now();
        self.write(move |c| {
            c.execute(
                "UPDATE queue_messages SET receipt = NULL, visible_at = ?1,
                        reason = COALESCE(reason, 'its consumer stopped (process killed or crashed) before answering')
                 WHERE receipt IS NOT NULL AND dead = 0",
                params![now],
            )
            .map_err(unavailable)
        })
        .await
    }

    /// Moves the delivered message to the dead-letter list now, with the reason (a poison message).
    /// `false` when the receipt is unknown.
    pub async fn dead_letter_delivery(&self, receipt: &str, reason: &str) -> Result<bool, QueueError> {
        let (receipt, reason) = (receipt.to_owned(), reason.to_owned());
        let now = self.now();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE queue_messages SET dead = 1, dead_at = ?2, reason = ?3, receipt = NULL
                     WHERE receipt = ?1 AND dead = 0",
                    params![receipt, now, reason],
                )
                .map_err(unavailable)?;
            Ok(n > 0)
        })
        .await
    }

    /// The dead-letter list of `queue`, oldest first.
    pub async fn dead_letters(&self, queue: WorkQueue) -> Result<Vec<DeadLetter>, QueueError> {
        self.flush_acks().await?;
        self.with_conn(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, kind, body, reason, receive_count, dead_at FROM queue_messages
                     WHERE queue = ?1 AND dead = 1 ORDER BY dead_at, seq",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![queue.name()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                })
                .map_err(unavailable)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, kind, body, reason, count, dead_at) = row.map_err(unavailable)?;
                // An unreadable body keeps its text, so the list still shows it.
                let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
                out.push(DeadLetter {
                    message: WorkMessage { id, kind, body },
                    reason: reason.unwrap_or_default(),
                    receive_count: to_u32(count),
                    dead_at: from_millis(dead_at.unwrap_or_default()),
                });
            }
            Ok(out)
        })
        .await
    }

    /// Moves every dead letter of `queue` back to the queue, as new; answers how many.
    pub async fn redrive(&self, queue: WorkQueue) -> Result<usize, QueueError> {
        let now = self.now();
        let n = self
            .write(move |c| {
                c.execute(
                    "UPDATE queue_messages SET dead = 0, dead_at = NULL, reason = NULL, receipt = NULL,
                     receive_count = 0, visible_at = ?2 WHERE queue = ?1 AND dead = 1",
                    params![queue.name(), now],
                )
                .map_err(unavailable)
            })
            .await?;
        if n > 0 {
            tracing::info!(queue = queue.name(), count = n, "dead letters redriven");
            self.wake(queue);
        }
        Ok(n)
    }

    /// How many messages `queue` holds, by state.
    pub async fn depth(&self, queue: WorkQueue) -> Result<QueueDepth, QueueError> {
        self.flush_acks().await?;
        let now = self.now();
        self.with_conn(move |c| {
            let (visible, in_flight, dead): (i64, i64, i64) = c
                .query_row(
                    "SELECT
                        COALESCE(SUM(dead = 0 AND visible_at <= ?2), 0),
                        COALESCE(SUM(dead = 0 AND visible_at > ?2), 0),
                        COALESCE(SUM(dead = 1), 0)
                     FROM queue_messages WHERE queue = ?1",
                    params![queue.name(), now],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(unavailable)?;
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            Ok(QueueDepth { visible: n(visible), in_flight: n(in_flight), dead: n(dead) })
        })
        .await
    }
}

#[async_trait::async_trait]
impl Queues for SqliteQueues {
    async fn send(&self, queue: WorkQueue, message: &WorkMessage) -> Result<(), QueueError> {
        let body = check(message)?;
        let now = self.now();
        let m = message.clone();
        self.write(move |c| insert(c, queue, &m, &body, now)).await?;
        tracing::debug!(queue = queue.name(), id = %message.id, kind = %message.kind, "message sent");
        self.wake(queue);
        Ok(())
    }

    async fn send_delayed(&self, queue: WorkQueue, message: &WorkMessage, delay: Duration) -> Result<(), QueueError> {
        if delay > clearview_core::ports::queue::MAX_SEND_DELAY {
            return Err(QueueError::Invalid(format!("a message is delayed at most 15 minutes, not {delay:?}")));
        }
        let body = check(message)?;
        let now = self.now();
        let visible_at = now.saturating_add(duration_millis(delay));
        let m = message.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO queue_messages (queue, id, kind, body, visible_at, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![queue.name(), m.id, m.kind, body, visible_at, now],
            )
            .map_err(unavailable)
        })
        .await?;
        tracing::debug!(queue = queue.name(), id = %message.id, ?delay, "message sent with a delay");
        // The workers poll, so a message that becomes visible later is still picked up.
        self.wake(queue);
        Ok(())
    }

    async fn dead_letter(&self, queue: WorkQueue, message: &WorkMessage, reason: &str) -> Result<(), QueueError> {
        let body = check(message)?;
        let now = self.now();
        let (m, reason) = (message.clone(), reason.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO queue_messages (queue, id, kind, body, dead, visible_at, sent_at, dead_at, reason)
                 VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?5, ?6)",
                params![queue.name(), m.id, m.kind, body, now, reason],
            )
            .map_err(unavailable)
        })
        .await?;
        tracing::warn!(queue = queue.name(), id = %message.id, "message dead-lettered");
        Ok(())
    }
}

#[async_trait::async_trait]
impl Events for SqliteQueues {
    async fn publish(&self, event: &DomainEvent) -> Result<(), QueueError> {
        let message = WorkMessage {
            id: event.id.clone(),
            kind: APPLICATION_EVENT_KIND.to_owned(),
            body: serde_json::to_value(event).map_err(|e| QueueError::Invalid(e.to_string()))?,
        };
        let body = check(&message)?;
        let now = self.now();
        let subscribers: Vec<WorkQueue> = self
            .config
            .queues
            .iter()
            .filter(|q| matches!(q.feed, Feed::Topic(..)) && q.accepts_event(&event.kind))
            .map(QueueDef::queue)
            .collect();
        let targets = subscribers.clone();
        self.write(move |tx| {
            for q in targets {
                insert(tx, q, &message, &body, now)?;
            }
            Ok(())
        })
        .await?;
        tracing::debug!(id = %event.id, kind = %event.kind, "event published");
        for q in subscribers {
            self.wake(q);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = QueueConfig {
            retry_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            ..Default::default()
        };
        assert_eq!(c.backoff(1), Duration::from_millis(100));
        assert_eq!(c.backoff(2), Duration::from_millis(200));
        assert_eq!(c.backoff(3), Duration::from_millis(400));
        assert_eq!(c.backoff(5), Duration::from_secs(1));
        assert_eq!(c.backoff(100), Duration::from_secs(1));
    }

    #[tokio::test]
    async fn empty_ids_and_huge_bodies_are_refused() {
        let q = SqliteQueues::in_memory(Arc::new(clearview_core::ports::clock::SystemClock), QueueConfig::default())
            .unwrap();
        let m = WorkMessage { id: String::new(), kind: "k".into(), body: serde_json::json!({}) };
        assert!(matches!(q.send(WorkQueue::PARSE, &m).await, Err(QueueError::Invalid(_))));
        let m =
            WorkMessage { id: "a".into(), kind: "k".into(), body: serde_json::json!("x".repeat(MAX_MESSAGE_BYTES)) };
        assert!(matches!(q.send(WorkQueue::PARSE, &m).await, Err(QueueError::Invalid(_))));
        assert!(matches!(q.receive(WorkQueue::PARSE, 11, Duration::from_secs(1)).await, Err(QueueError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_delayed_message_is_received_only_once_its_delay_has_passed() {
        let clock = Arc::new(clearview_core::ports::clock::FixedClock::at(
            OffsetDateTime::UNIX_EPOCH + time::Duration::days(20000),
        ));
        let q = SqliteQueues::in_memory(clock.clone(), QueueConfig::default()).unwrap();
        let m = WorkMessage { id: "d1".into(), kind: "k".into(), body: serde_json::json!({}) };
        q.send_delayed(WorkQueue::PARSE, &m, Duration::from_secs(120)).await.unwrap();
        assert!(q.receive(WorkQueue::PARSE, 1, Duration::from_secs(30)).await.unwrap().is_empty());
        clock.advance(time::Duration::seconds(121));
        let got = q.receive(WorkQueue::PARSE, 1, Duration::from_secs(30)).await.unwrap();
        assert_eq!((got.len(), got[0].receive_count), (1, 1));
        assert!(matches!(
            q.send_delayed(WorkQueue::PARSE, &m, Duration::from_secs(901)).await,
            Err(QueueError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn messages_held_by_a_killed_process_come_back_at_once_with_their_receive_count() {
        let q = SqliteQueues::in_memory(Arc::new(clearview_core::ports::clock::SystemClock), QueueConfig::default())
            .unwrap();
        let m = WorkMessage { id: "m1".into(), kind: "k".into(), body: serde_json::json!({}) };
        q.send(WorkQueue::PARSE, &m).await.unwrap();
        let held = q.receive(WorkQueue::PARSE, 1, Duration::from_secs(3600)).await.unwrap();
        assert_eq!(held.len(), 1);
        assert!(q.receive(WorkQueue::PARSE, 1, Duration::from_secs(3600)).await.unwrap().is_empty());
        assert_eq!(q.release_abandoned().await.unwrap(), 1);
        let again = q.receive(WorkQueue::PARSE, 1, Duration::from_secs(60)).await.unwrap();
        assert_eq!((again.len(), again[0].receive_count), (1, 2));
        // The old receipt answers nothing.
        assert!(!q.ack(&held[0].receipt).await.unwrap());
        assert!(q.ack(&again[0].receipt).await.unwrap());
    }

    fn message(id: &str) -> WorkMessage {
        WorkMessage { id: id.into(), kind: "k".into(), body: serde_json::json!({}) }
    }

    #[tokio::test]
    async fn one_receive_takes_from_several_queues_up_to_each_ones_maximum() {
        let q = SqliteQueues::in_memory(Arc::new(clearview_core::ports::clock::SystemClock), QueueConfig::default())
            .unwrap();
        for i in 0..3 {
            q.send(WorkQueue::PARSE, &message(&format!("p{i}"))).await.unwrap();
            q.send(WorkQueue::SCORE, &message(&format!("s{i}"))).await.unwrap();
        }
        let vis = Duration::from_secs(60);
        let got =
            q.receive_from(&[(WorkQueue::PARSE, 2), (WorkQueue::SCORE, 10), (WorkQueue::BIAS, 1)], vis).await.unwrap();
        let ids: Vec<(&str, &str)> = got.iter().map(|d| (d.queue.name(), d.message.id.as_str())).collect();
        assert_eq!(ids, [("parse", "p0"), ("parse", "p1"), ("score", "s0"), ("score", "s1"), ("score", "s2")]);
        assert_eq!(q.receive(WorkQueue::PARSE, 10, vis).await.unwrap()[0].message.id, "p2");
        assert!(matches!(q.receive_from(&[(WorkQueue::PARSE, 0)], vis).await, Err(QueueError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_deferred_ack_is_written_by_the_next_transaction_and_lost_only_with_the_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let clock: Arc<dyn Clock> = Arc::new(clearview_core::ports::clock::SystemClock);
        let vis = Duration::from_secs(3600);
        let q = SqliteQueues::open(&path, Arc::clone(&clock), QueueConfig::default()).unwrap();
        for id in ["a", "b"] {
            q.send(WorkQueue::PARSE, &message(id)).await.unwrap();
        }
        let got = q.receive(WorkQueue::PARSE, 10, vis).await.unwrap();
        q.ack_later(got[0].receipt.clone());
        assert!(q.acks_pending());
        // Any transaction writes it: here a send to another queue.
        q.send(WorkQueue::SCORE, &message("c")).await.unwrap();
        assert!(!q.acks_pending());
        assert_eq!(q.depth(WorkQueue::PARSE).await.unwrap().in_flight, 1, "only b is still held");

        // An ack not yet written when the process dies is not lost silently: the message
        // comes back to the next owner of the file, as an unanswered SQS message does.
        q.ack_later(got[1].receipt.clone());
        drop(q);
        let q = SqliteQueues::open(&path, clock, QueueConfig::default()).unwrap();
        assert_eq!(q.release_abandoned().await.unwrap(), 1);
        let again = q.receive(WorkQueue::PARSE, 10, vis).await.unwrap();
        assert_eq!((again.len(), again[0].message.id.as_str(), again[0].receive_count), (1, "b", 2));
    }

    #[tokio::test]
    async fn reads_of_a_queue_see_the_deferred_acks() {
        let q = SqliteQueues::in_memory(Arc::new(clearview_core::ports::clock::SystemClock), QueueConfig::default())
            .unwrap();
        q.send(WorkQueue::PARSE, &message("a")).await.unwrap();
        let got = q.receive(WorkQueue::PARSE, 1, Duration::from_secs(60)).await.unwrap();
        q.ack_later(got[0].receipt.clone());
        assert_eq!(q.depth(WorkQueue::PARSE).await.unwrap(), QueueDepth::default());
        // An ack for a spent receipt is dropped, as `ack` answers false for it.
        q.ack_later(got[0].receipt.clone());
        q.flush_acks().await.unwrap();
        assert!(!q.acks_pending());
    }
}
