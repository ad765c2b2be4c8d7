//! Delivering what is on a consumer's queue to it by hand, the same way in every test area:
//! through the embedded queues (each message handled twice, as a redelivery would) or through
//! the Lambda SQS glue against moto.

use clearview_aws::testing::TestChain;
use clearview_core::ports::queue::{Consumer, Outcome, Queues};
use clearview_local::SqliteQueues;
use std::time::Duration;

/// Hands every message on `consumer`'s embedded queue to it twice (a redelivery must change
/// nothing), acknowledging each; returns how many messages there were.
pub async fn local(queues: &SqliteQueues, consumer: &dyn Consumer) -> usize {
    let mut handled = 0;
    loop {
        let batch = queues.receive(consumer.queue(), 10, Duration::from_secs(30)).await.expect("receive");
        if batch.is_empty() {
            return handled;
        }
        for d in batch {
            assert_eq!(consumer.handle(&d.message).await, Outcome::Done, "{:?}", d.message);
            // A redelivery changes nothing: handle it twice.
            assert_eq!(consumer.handle(&d.message).await, Outcome::Done);
            queues.ack(&d.receipt).await.expect("ack");
            handled += 1;
        }
    }
}

/// One pump of `consumer`'s SQS queue on moto through the Lambda glue, waiting up to `wait` for
/// messages; fails on any message the consumer did not finish. Returns how many it received.
/// Before the parse queue, new uploads get GuardDuty's scan tag (moto has no GuardDuty; see
/// `TestChain::scan_uploads_like_guardduty`).
pub async fn moto(chain: &TestChain, consumer: &dyn Consumer, wait: Duration) -> usize {
    if consumer.queue() == clearview_core::ports::queue::WorkQueue::PARSE {
        chain.scan_uploads_like_guardduty().await;
    }
    let queues: &dyn Queues = &chain.queues;
    let report = chain.pump(consumer.queue(), consumer, queues, wait).await;
    assert!(report.failed().is_empty(), "{report:?}");
    report.received()
}
