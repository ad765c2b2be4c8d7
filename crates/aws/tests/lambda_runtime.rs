//! `lambda_sqs::run` under a fake Lambda Runtime API: one SQS batch in, the partial-failure
//! response out. (Its own test binary: the runtime reads process-wide environment variables.)

use async_trait::async_trait;
use clearview_core::ports::queue::{Consumer, Outcome, QueueError, Queues, WorkMessage, WorkQueue};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const EVENT: &str = include_str!("fixtures/sqs_plain.json");

/// Fails `app-8@v1`, completes the rest.
struct FailOne;

#[async_trait]
impl Consumer for FailOne {
    fn queue(&self) -> WorkQueue {
        WorkQueue::SCORE
    }
    async fn handle(&self, message: &WorkMessage) -> Outcome {
        if message.id == "app-8@v1" { Outcome::Retry("throttled".into()) } else { Outcome::Done }
    }
}

/// Dead letters cannot be sent: the unreadable record must then be reported failed too.
struct NoDeadLetters;

#[async_trait]
impl Queues for NoDeadLetters {
    async fn send(&self, _: WorkQueue, _: &WorkMessage) -> Result<(), QueueError> {
        Ok(())
    }
    async fn dead_letter(&self, _: WorkQueue, _: &WorkMessage, _: &str) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("no DLQ in this test".into()))
    }
}

/// Serves `/next` once with `EVENT`, then never again; sends every POST (path, body) to `tx`.
async fn fake_runtime_api(listener: TcpListener, tx: mpsc::UnboundedSender<(String, String)>) {
    let mut served = false;
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                break;
            }
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await.unwrap();
            let mut parts = request_line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default().to_owned());
            if method == "GET" && path.ends_with("/invocation/next") {
                if served {
                    std::future::pending::<()>().await;
                }
                served = true;
                let deadline = (std::time::SystemTime::now() + Duration::from_secs(60))
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nlambda-runtime-aws-request-id: req-1\r\n\
                     lambda-runtime-deadline-ms: {deadline}\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:score\r\n\
                     content-length: {}\r\n\r\n{EVENT}",
                    EVENT.len()
                );
                write.write_all(response.as_bytes()).await.unwrap();
            } else {
                let _ = tx.send((path, String::from_utf8_lossy(&body).into_owned()));
                write.write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n").await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn run_answers_the_batch_with_its_failed_records() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: this test binary has this one test; nothing else reads the environment concurrently.
    unsafe {
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", addr.to_string());
        std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "score");
        std::env::set_var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256");
        std::env::set_var("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = tokio::spawn(fake_runtime_api(listener, tx));
    // The runtime loop never returns while events come; race it against the first response.
    let runtime = clearview_aws::lambda_sqs::run(Arc::new(FailOne), Arc::new(NoDeadLetters));
    let (path, body) = tokio::select! {
        ended = runtime => panic!("the runtime loop ended: {ended:?}"),
        posted = tokio::time::timeout(Duration::from_secs(10), rx.recv()) => posted.unwrap().unwrap(),
    };
    server.abort();
    assert_eq!(path, "/2018-06-01/runtime/invocation/req-1/response");
    let response: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        response,
        serde_json::json!({"batchItemFailures": [
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000002"},
            {"itemIdentifier": "a1b2c3d4-0000-4000-8000-000000000003"},
        ]})
    );
}
