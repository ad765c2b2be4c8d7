//! Workers: one polling loop per queue consumer over [`SqliteQueues`], what the SQS event source mapping does for Lambda.
//!
//! Each loop receives a message, runs the consumer in its own task (so a panic is a `Retry`, not
//! a dead loop), then answers the queue: `Done` acks, `Retry` releases with the reason, `Poison`
//! dead-letters. Idle loops sleep briefly but wake at once when a message is sent to their queue.

use crate::queues::{Delivery, SqliteQueues};
use clearview_core::ports::queue::{Consumer, Outcome, WorkQueue};
use std::sync::Arc;
use std::time::{Duration, Instant};
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

/// Starts one loop per consumer with the default options; they stop once `shutdown` is
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
    consumers
        .into_iter()
        .map(|consumer| {
            let span = tracing::info_span!("worker", queue = consumer.queue().name());
            tokio::spawn(run_worker(Arc::clone(&queues), consumer, shutdown.clone(), options.clone()).instrument(span))
        })
        .collect()
}

/// One consumer's loop, until `shutdown` is cancelled.
pub async fn run_worker(
    queues: Arc<SqliteQueues>,
    consumer: Arc<dyn Consumer>,
    shutdown: CancellationToken,
    options: WorkerOptions,
) {
    let queue = consumer.queue();
    let notify = queues.notifier(queue);
    let batch = options.batch.clamp(1, crate::queues::MAX_RECEIVE_BATCH);
    tracing::debug!("worker started");
    while !shutdown.is_cancelled() {
        let deliveries = match queues.receive(queue, batch, options.visibility).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "receive failed; pausing");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(options.error_pause) => continue,
                }
            }
        };
        if deliveries.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = notify.notified() => {}
                () = tokio::time::sleep(options.idle_poll) => {}
            }
            continue;
        }
        for delivery in deliveries {
            if shutdown.is_cancelled() {
                // Shutting down: what was received but not started goes back to the queue now.
                if let Err(e) = queues.release(&delivery.receipt, "released unstarted at shutdown").await {
                    tracing::warn!(id = delivery.message.id, error = %e, "could not release at shutdown; it comes back after its visibility timeout");
                }
                continue;
            }
            let handled = handle_one(&queues, &consumer, delivery).await;
            if let Some(observe) = &options.observer {
                observe(&handled);
            }
        }
    }
    tracing::debug!("worker stopped");
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
            queues.ack(&receipt).await
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
