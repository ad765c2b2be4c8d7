//! The `privacy` consumer: runs personal-data requests (exports and erasures) queued by
//! `/api/privacy/*`. Each request is done once: a redelivery finds it completed and changes
//! nothing; an erasure interrupted halfway runs again from the start and removes what is left.

use async_trait::async_trait;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::privacy;

pub struct PrivacyConsumer(pub Deps);

#[async_trait]
impl Consumer for PrivacyConsumer {
    fn queue(&self) -> WorkQueue {
        privacy::QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let Some(id) = m.body["id"].as_str() else {
            return Outcome::Poison("not a privacy request".into());
        };
        match privacy::run(&self.0, id).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(request = id, error = %e, "privacy request failed; retrying");
                Outcome::Retry(e.to_string())
            }
        }
    }
}
