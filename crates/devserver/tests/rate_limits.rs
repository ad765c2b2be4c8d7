//! The dev server counts rate limits in memory and writes the counts to the table once a second
//! and at shutdown (`clearview_http::ratelimit::Batched`): the real binary refuses past the
//! limit with 429, and a restart on the same data folder carries on from the written counts
//! instead of starting the hour over.

use clearview_devserver::drive::{Client, Server};
use http::Method;
use std::path::Path;
use std::time::Duration;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_clearview"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_answers_429_and_a_restart_carries_on_from_the_written_counts() {
    let data = std::env::temp_dir().join(format!("clearview-rate-{}", uuid::Uuid::new_v4().simple()));
    // Anonymous calls count per IP: four an hour.
    let limits = ("RATE_LIMITS", "ip=4");
    let mut server = Server::start(bin(), &data, &[limits]).expect("dev server starts");
    let c = Client::new(&server.base);
    for n in 1..=4 {
        let a = c.send(Method::GET, "/api/job-board", None, None, &[]).await.expect("answer");
        assert_eq!(a.status, 200, "request {n}: {}", a.body);
        assert!(a.header("ratelimit").unwrap().starts_with(&format!("\"ip\";r={};t=", 4 - n)), "{:?}", a.headers);
    }
    let over = c.send(Method::GET, "/api/job-board", None, None, &[]).await.expect("answer");
    assert_eq!(over.status, 429, "{}", over.body);
    assert!(over.header("retry-after").is_some());
    assert_eq!(over.header("content-type"), Some("application/problem+json"));
    let code = server.terminate(Duration::from_secs(20)).expect("SIGTERM stops the server");
    assert_eq!(code, 0, "{}", server.log());
    drop(server);

    let server = Server::start(bin(), &data, &[limits]).expect("dev server restarts on the same folder");
    let c = Client::new(&server.base);
    let again = c.send(Method::GET, "/api/job-board", None, None, &[]).await.expect("answer");
    assert_eq!(again.status, 429, "the restarted server started the hour over: {:?}", again.headers);
    assert!(again.header("ratelimit").unwrap().starts_with("\"ip\";r=0;t="), "{:?}", again.headers);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
