//! The asynchronous-work table as infrastructure sees it: `clearview_chain::table` is the one
//! source; this module only re-exports it under the names the generators use.

pub use clearview_chain::table::{
    APPLICATION_EVENTS, CONSUMERS, ConsumerDef as Consumer, Feed, Need, QUEUES, QueueDef, TOPICS, Trigger, bucket, env,
    queue,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_consumer_has_a_function() {
        let names = crate::functions::names();
        for c in CONSUMERS {
            assert!(names.contains(&c.name), "{}", c.name);
        }
    }
}
