//! `clearview-outbox` finds the code a sign-up mailed, as the README walkthrough uses it.

use clearview_core::ports::clock::SystemClock;
use clearview_core::ports::mail::{Mailer, OutgoingEmail};
use clearview_local::OutboxMailer;
use std::process::Command;
use std::sync::Arc;

#[tokio::test]
async fn code_command_prints_the_newest_code() {
    let data = tempfile::tempdir().unwrap();
    let mailer = OutboxMailer::open(&data.path().join("outbox"), Arc::new(SystemClock)).unwrap();
    for code in ["111111", "222222"] {
        let mail = OutgoingEmail {
            to: "ana@example.com".into(),
            subject: "Your ClearView verification code".into(),
            text_body: format!("Your verification code is {code}\n"),
            html_body: None,
            dedupe_key: None,
            calendar: None,
        };
        mailer.send(mail).await.unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_clearview-outbox"))
        .args(["--data", data.path().to_str().unwrap(), "code", "Ana@Example.com"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "222222");

    let out = Command::new(env!("CARGO_BIN_EXE_clearview-outbox"))
        .args(["--data", data.path().to_str().unwrap(), "code", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
