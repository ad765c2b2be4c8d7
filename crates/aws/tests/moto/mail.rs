//! SesMailer against moto's SES v2.

use clearview_aws::SesMailer;
use clearview_aws::testing::Moto;
use clearview_core::ports::mail::{MailError, Mailer, OutgoingEmail};

fn email() -> OutgoingEmail {
    OutgoingEmail {
        to: "ana@example.com".into(),
        subject: "Your application".into(),
        text_body: "Thanks for applying.".into(),
        html_body: Some("<p>Thanks for applying.</p>".into()),
        dedupe_key: Some("evt-1".into()),
        calendar: None,
    }
}

#[tokio::test]
async fn verified_sender_gets_a_message_id() {
    let mailer = Moto::shared().await.mailer().await;
    let id = mailer.send(email()).await.unwrap();
    assert!(!id.is_empty());
    let text_only = OutgoingEmail { html_body: None, ..email() };
    assert_ne!(mailer.send(text_only).await.unwrap(), id);
}

#[tokio::test]
async fn unverified_sender_is_rejected() {
    let moto = Moto::shared().await;
    let mailer = SesMailer::new(moto.ses(), "stranger@unverified.test");
    assert!(matches!(mailer.send(email()).await, Err(MailError::Rejected(_))));
}
