//! A mailer that remembers what it sent, around a family's real one (the outbox or SES on
//! moto): tests read back the mails a consumer sent.

use async_trait::async_trait;
use clearview_core::ports::mail::{MailError, Mailer, OutgoingEmail};
use std::sync::{Arc, Mutex};

pub struct Recording {
    pub inner: Arc<dyn Mailer>,
    pub sent: Mutex<Vec<OutgoingEmail>>,
}

impl Recording {
    pub fn new(inner: Arc<dyn Mailer>) -> Self {
        Self { inner, sent: Mutex::new(Vec::new()) }
    }

    /// The mails sent to one address, oldest first.
    pub fn to(&self, email: &str) -> Vec<OutgoingEmail> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|m| m.to == email).cloned().collect()
    }
}

#[async_trait]
impl Mailer for Recording {
    async fn send(&self, email: OutgoingEmail) -> Result<String, MailError> {
        let id = self.inner.send(email.clone()).await?;
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).push(email);
        Ok(id)
    }

    async fn forget(&self, recipient: &str, mentions: &[String]) -> Result<usize, MailError> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).retain(|m| m.to != recipient);
        self.inner.forget(recipient, mentions).await
    }
}
