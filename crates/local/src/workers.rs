//! Workers: a worker per queue consumer over [`SqliteQueues`], fed by one dispatcher, what the SQS
//! event source mappings do for Lambda.
//!
//! The dispatcher receives for every idle worker whose queue may hold something, in one
//! transaction, and hands each its batch. A worker runs its consumer on each message in its own
//! task (so a panic is a `Retry`, not a dead loop), then answers the queue: `Done` acks (deferred
//! to the next transaction), `Retry` releases with the reason, `Poison` dead-letters. The
//! dispatcher wakes at once when a message is sent or a worker goes idle, and polls every
//! `idle_poll` for delayed and backed-off messages.

use crate::queues::{Delivery, SqliteQueues};
use clearview_core::ports::queue::{Consumer, Outcome, WorkQueue};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tracing::Instrument;

pub use tokio_util::sync::CancellationToken;

/// One answered delivery, as the optional observer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub queue: WorkQueue,
    pub message_id: String,
    pub kind: String,
    pub receive_count: u32,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Called after each delivery is answered (tests, the dev server's counters).
pub type Observer = Arc<dyn Fn(&Handled) + Send + Sync>;

/// How the loops poll.
#[derive(Clone)]
pub struct WorkerOptions {
    /// Sleep between empty receives (a send wakes the loop earlier).
    pub idle_poll: Duration,
    /// How long a received message stays hidden while its consumer runs.
    pub visibility: Duration,
    /// Messages per receive (1..=10); they are handled one after another.
    pub batch: usize,
    /// Pause after the queue itself failed (e.g. the database is locked for too long).
    pub error_pause: Duration,
    pub observer: Option<Observer>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            idle_poll: Duration::from_millis(50),
            visibility: Duration::from_secs(60),
            batch: 1,
            error_pause: Duration::from_millis(500),
            observer: None,
        }
    }
}

impl std::fmt::Debug for WorkerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerOptions")
            .field("idle_poll", &self.idle_poll)
            .field("visibility", &self.visibility)
            .field("batch", &self.batch)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

/// Starts a worker per consumer with the default options; they stop once `shutdown` is
/// cancelled (finishing the message in hand). Await the handles to wait for them.
pub fn spawn_workers(
    queues: Arc<SqliteQueues>,
    consumers: Vec<Arc<dyn Consumer>>,
    shutdown: CancellationToken,
) -> Vec<JoinHandle<()>> {
    spawn_workers_with(queues, consumers, shutdown, WorkerOptions::default())
}

/// [`spawn_workers`] with explicit options.
pub fn spawn_workers_with(
    queues: Arc<SqliteQueues>,
    consumers: Vec<Arc<dyn Consumer>>,
    shutdown: CancellationToken,
    options: WorkerOptions,
) -> Vec<JoinHandle<()>> {
    let batch = options.batch;
    spawn_batched(queues, consumers.into_iter().map(|c| (c, batch)).collect(), shutdown, options)
}

/// A worker per `(consumer, batch size)` and the dispatcher that feeds them: one task that
/// receives for every idle consumer whose queue may hold something, in one transaction, and
/// hands each its batch. Done deliveries are acked with [`SqliteQueues::ack_later`], so their
/// deletes ride on the dispatcher's next receive (or the next send, or its next poll) instead of
/// a transaction each. The returned handle ends once every worker has stopped and the acks are
/// written.
pub fn spawn_batched(
    queues: Arc<SqliteQueues>,
    consumers: Vec<(Arc<dyn Consumer>, usize)>,
    shutdown: CancellationToken,
    options: WorkerOptions,
) -> Vec<JoinHandle<()>> {
    let kick = Arc::new(Notify::new());
    let mut slots = Vec::with_capacity(consumers.len());
    let mut workers = Vec::with_capacity(consumers.len());
    for (consumer, batch) in consumers {
        let queue = consumer.queue();
        let (tx, rx) = mpsc::channel(1);
        let idle = Arc::new(AtomicBool::new(true));
        let worker = Worker {
            queues: Arc::clone(&queues),
            consumer,
            shutdown: shutdown.clone(),
            observer: options.observer.clone(),
            idle: Arc::clone(&idle),
            kick: Arc::clone(&kick),
        };
        let span = tracing::info_span!("worker", queue = queue.name());
        workers.push(tokio::spawn(worker.run(rx).instrument(span)));
        slots.push(Slot {
            queue,
            batch: batch.clamp(1, crate::queues::MAX_RECEIVE_BATCH),
            idle,
            tx,
            maybe_ready: true,
        });
    }
    let dispatcher = Dispatcher { queues, slots, kick, shutdown, options };
    vec![tokio::spawn(dispatcher.run(workers).instrument(tracing::info_span!("dispatcher")))]
}

/// The dispatcher's view of one worker.
struct Slot {
    queue: WorkQueue,
    batch: usize,
    /// Set by the worker when it has answered its batch.
    idle: Arc<AtomicBool>,
    tx: mpsc::Sender<Vec<Delivery>>,
    /// Something may be receivable: the queue was sent to, its last receive was full, or a poll
    /// is due (delays and backoffs end without a send).
    maybe_ready: bool,
}

struct Dispatcher {
    queues: Arc<SqliteQueues>,
    slots: Vec<Slot>,
    kick: Arc<Notify>,
    shutdown: CancellationToken,
    options: WorkerOptions,
}

impl Dispatcher {
    async fn run(mut self, workers: Vec<JoinHandle<()>>) {
        tracing::debug!(workers = self.slots.len(), "dispatcher started");
        let mut next_poll = Instant::now();
        while !self.shutdown.is_cancelled() {
            let woken = self.queues.take_woken();
            let polling = Instant::now() >= next_poll;
            if polling {
                next_poll = Instant::now() + self.options.idle_poll;
            }
            for slot in &mut self.slots {
                slot.maybe_ready |= polling || woken.contains(&slot.queue);
            }
            let wants: Vec<(WorkQueue, usize)> = self
                .slots
                .iter()
                .filter(|s| s.maybe_ready && s.idle.load(Ordering::Acquire))
                .map(|s| (s.queue, s.batch))
                .collect();
            // A poll with nothing to receive still writes the acks, so none waits longer than
            // `idle_poll` while the queues are quiet.
            if !wants.is_empty() || (polling && self.queues.acks_pending()) {
                match self.queues.receive_from(&wants, self.options.visibility).await {
                    Ok(deliveries) => self.hand_out(&wants, deliveries).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "receive failed; pausing");
                        tokio::select! {
                            () = self.shutdown.cancelled() => break,
                            () = tokio::time::sleep(self.options.error_pause) => continue,
                        }
                    }
                }
            }
            tokio::select! {
                () = self.shutdown.cancelled() => break,
                () = self.queues.woken() => {}
                () = self.kick.notified() => {}
                () = tokio::time::sleep_until(next_poll.into()) => {}
            }
        }
        // Closing the channels lets each worker finish its batch and stop; then the acks go out.
        self.slots.clear();
        for w in workers {
            if let Err(e) = w.await {
                tracing::error!(error = %e, "worker task failed");
            }
        }
        if let Err(e) = self.queues.flush_acks().await {
            tracing::warn!(error = %e, "could not write the last acks; those messages come back");
        }
        tracing::debug!("dispatcher stopped");
    }

    async fn hand_out(&mut self, wants: &[(WorkQueue, usize)], deliveries: Vec<Delivery>) {
        let mut by_queue: BTreeMap<WorkQueue, std::collections::VecDeque<Delivery>> = BTreeMap::new();
        for d in deliveries {
            by_queue.entry(d.queue).or_default().push_back(d);
        }
        for slot in &mut self.slots {
            // A busy consumer of a queue an idle one asked for takes nothing.
            if !slot.idle.load(Ordering::Acquire) || !wants.iter().any(|(q, _)| *q == slot.queue) {
                continue;
            }
            // Two consumers of one queue (competing consumers) each take up to their batch.
            let batch: Vec<Delivery> = match by_queue.get_mut(&slot.queue) {
                Some(ready) => ready.drain(..slot.batch.min(ready.len())).collect(),
                None => Vec::new(),
            };
            // A short batch emptied the queue as of this receive; a send wakes it again.
            slot.maybe_ready = batch.len() >= slot.batch;
            if batch.is_empty() {
                continue;
            }
            slot.idle.store(false, Ordering::Release);
            if let Err(mpsc::error::TrySendError::Full(batch) | mpsc::error::TrySendError::Closed(batch)) =
                slot.tx.try_send(batch)
            {
                // Not reachable while the slot is idle; answered anyway so nothing waits out its visibility.
                slot.idle.store(true, Ordering::Release);
                for d in batch {
                    if let Err(e) = self.queues.release(&d.receipt, "its worker was busy").await {
                        tracing::warn!(id = d.message.id, error = %e, "could not release; it comes back after its visibility timeout");
                    }
                }
            }
        }
    }
}

/// One consumer: handles the batches the dispatcher hands it, one message after another.
struct Worker {
    queues: Arc<SqliteQueues>,
    consumer: Arc<dyn Consumer>,
    shutdown: CancellationToken,
    observer: Option<Observer>,
    idle: Arc<AtomicBool>,
    kick: Arc<Notify>,
}

impl Worker {
    async fn run(self, mut rx: mpsc::Receiver<Vec<Delivery>>) {
        tracing::debug!("worker started");
        while let Some(batch) = rx.recv().await {
            for delivery in batch {
                if self.shutdown.is_cancelled() {
                    // Shutting down: what was received but not started goes back to the queue now.
                    if let Err(e) = self.queues.release(&delivery.receipt, "released unstarted at shutdown").await {
                        tracing::warn!(id = delivery.message.id, error = %e, "could not release at shutdown; it comes back after its visibility timeout");
                    }
                    continue;
                }
                let handled = handle_one(&self.queues, &self.consumer, delivery).await;
                if let Some(observe) = &self.observer {
                    observe(&handled);
                }
            }
            self.idle.store(true, Ordering::Release);
            self.kick.notify_one();
        }
        tracing::debug!("worker stopped");
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs the consumer on one delivery and answers the queue, in the message's span (queue, id,
/// correlation id), recording the stage's duration.
async fn handle_one(queues: &SqliteQueues, consumer: &Arc<dyn Consumer>, delivery: Delivery) -> Handled {
    let span = clearview_observe::correlation::message_span(delivery.queue.name(), &delivery.message);
    answer(queues, consumer, delivery, span.clone()).instrument(span).await
}

async fn answer(
    queues: &SqliteQueues,
    consumer: &Arc<dyn Consumer>,
    delivery: Delivery,
    span: tracing::Span,
) -> Handled {
    let Delivery { queue, receipt, message, receive_count } = delivery;
    let started = Instant::now();
    let task = {
        let (consumer, message) = (Arc::clone(consumer), message.clone());
        tokio::spawn(async move { consumer.handle(&message).await }.instrument(span))
    };
    let outcome = match task.await {
        Ok(o) => o,
        Err(e) if e.is_panic() => Outcome::Retry(format!("consumer panicked: {}", panic_text(&*e.into_panic()))),
        Err(e) => Outcome::Retry(format!("consumer task failed: {e}")),
    };
    let elapsed = started.elapsed();
    clearview_observe::metrics::stage(queue.name(), elapsed);
    let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    let (id, kind) = (&message.id, &message.kind);
    let answered = match &outcome {
        Outcome::Done => {
            tracing::info!(id, kind, receive_count, ms, "message done");
            queues.ack_later(receipt);
            Ok(true)
        }
        Outcome::Retry(reason) => {
            tracing::warn!(id, kind, receive_count, ms, reason, "message will be retried");
            queues.release(&receipt, reason).await
        }
        Outcome::Poison(reason) => {
            tracing::error!(id, kind, receive_count, ms, reason, "poison message dead-lettered");
            queues.dead_letter_delivery(&receipt, reason).await
        }
    };
    match answered {
        Ok(true) => {}
        Ok(false) => tracing::warn!(id, "receipt no longer valid (visibility expired?); answer dropped"),
        Err(e) => tracing::warn!(id, error = %e, "could not answer the queue; the message will come back"),
    }
    Handled { queue, message_id: message.id, kind: message.kind, receive_count, outcome, elapsed }
}

/// How often the dev server looks at the dead-letter lists.
pub const DEAD_LETTER_WATCH: Duration = Duration::from_secs(60);

/// The embedded default's dead-letter depth (in AWS, SQS publishes each DLQ's depth and the
/// template alarms on it): every `every` until `shutdown`, records the `DeadLetters` gauge per
/// queue and, whenever the counts change, logs them (a warning while any list holds messages).
pub fn spawn_dead_letter_watch(
    queues: Arc<SqliteQueues>,
    watched: Vec<WorkQueue>,
    every: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<Vec<u64>> = None;
        loop {
            let mut counts = Vec::with_capacity(watched.len());
            for q in &watched {
                let dead = queues.depth(*q).await.map(|d| d.dead).unwrap_or(0);
                clearview_observe::metrics::dead_letters(q.name(), dead);
                counts.push(dead);
            }
            if last.as_ref() != Some(&counts) && (last.is_some() || counts.iter().any(|n| *n > 0)) {
                let listed: Vec<String> = watched.iter().zip(&counts).map(|(q, n)| format!("{q}={n}")).collect();
                let dead_letters = listed.join(" ");
                if counts.iter().any(|n| *n > 0) {
                    tracing::warn!(%dead_letters, "dead-letter lists hold messages (a consumer gave up on them)");
                } else {
                    tracing::info!(%dead_letters, "dead-letter lists are empty");
                }
            }
            last = Some(counts);
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
        }
    })
}
