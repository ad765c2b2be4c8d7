//! `Mailer` over SES v2 SendEmail (simple content: subject, text and optional HTML body).
//!
//! `dedupe_key` is not deduplicated here: SES has no idempotency key. The email consumer
//! records each sent `dedupe_key` in the item store and skips a redelivered message.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, RawMessage};
use clearview_core::ports::mail::{MailError, Mailer, OutgoingEmail};

/// SES v2 mailer sending from one verified address.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into() }
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| MailError::Rejected(e.to_string()))
}

fn mail_error<E, R>(err: SdkError<E, R>) -> MailError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = format!("{code}: {}", e.message().unwrap_or_default());
            match code {
                "TooManyRequestsException"
                | "LimitExceededException"
                | "ThrottlingException"
                | "InternalFailure"
                | "ServiceUnavailable" => MailError::Unavailable(message),
                _ => MailError::Rejected(message),
            }
        }
        _ => MailError::Unavailable(aws_sdk_sesv2::error::DisplayErrorContext(&err).to_string()),
    }
}

impl SesMailer {
    /// A mail with a calendar part: SES's simple content has no place for `text/calendar`, so
    /// the whole MIME message is built here (text, HTML and the invite as alternatives).
    async fn send_raw(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
        let rejected = |e: &dyn std::fmt::Display| MailError::Rejected(e.to_string());
        let from: Mailbox = self.from.parse().map_err(|e| rejected(&e))?;
        let to: Mailbox = email.to.parse().map_err(|e| rejected(&e))?;
        let mut parts = MultiPart::alternative()
            .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text_body.clone()));
        if let Some(html) = &email.html_body {
            parts = parts.singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()));
        }
        if let Some(cal) = &email.calendar {
            let media = ContentType::parse(&format!("text/calendar; method={}; charset=utf-8", cal.method))
                .map_err(|e| rejected(&e))?;
            parts = parts.singlepart(SinglePart::builder().header(media).body(cal.ics.clone()));
        }
        let message = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .multipart(parts)
            .map_err(|e| rejected(&e))?;
        let raw = RawMessage::builder().data(Blob::new(message.formatted())).build().map_err(|e| rejected(&e))?;
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map_err(mail_error)?;
        out.message_id()
            .map(str::to_owned)
            .ok_or_else(|| MailError::Unavailable("SES answered without a message id".into()))
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<String, MailError> {
        if email.calendar.is_some() {
            return self.send_raw(&email).await;
        }
        let mut body = Body::builder().text(utf8(&email.text_body)?);
        if let Some(html) = &email.html_body {
            body = body.html(utf8(html)?);
        }
        let message = Message::builder().subject(utf8(&email.subject)?).body(body.build()).build();
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(mail_error)?;
        out.message_id()
            .map(str::to_owned)
            .ok_or_else(|| MailError::Unavailable("SES answered without a message id".into()))
    }
}
