//! Networking on both adapter families (issue 14): connection requests (one pending request per
//! pair under racing requests, accept, decline, block; an unknown id and a blocking person answer
//! the same), community events (leaders and platform admins create them, RSVPs hold the seat
//! count under parallel RSVPs, checked against a recount; the RFC 5545 invite parsed with the
//! icalendar crate, its UID stable and its SEQUENCE raised by a change).

use axum::http::StatusCode;
use clearview_core::Deps;
use clearview_tests::api::{Answer, Family, candidate, platform_admin, platform_user};
use clearview_tests::mail::Recording;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub struct Env {
    family: Arc<Family>,
    deps: Deps,
    sent: Arc<Recording>,
}

async fn connections(f: &Family, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut path = "/api/network/connections?limit=1".to_owned();
    loop {
        let page = f.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "[{}] {:?}", f.name, page.body);
        out.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["nextCursor"].as_str() {
            Some(c) => path = format!("/api/network/connections?limit=1&cursor={}", urlencoding(c)),
            None => return out,
        }
    }
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `n` POSTs at once (separate tasks): (path, token, body) for each.
async fn parallel(e: &Env, n: usize, call: impl Fn(usize) -> (String, String, Value)) -> Vec<Answer> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (path, token, body) = call(i);
            let family = e.family.clone();
            tokio::spawn(async move { family.post(&path, Some(&token), body).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn statuses(list: &[Value]) -> Vec<(String, String)> {
    list.iter().map(|c| (c["userId"].as_str().unwrap().to_owned(), c["status"].as_str().unwrap().to_owned())).collect()
}

async fn requests_race_to_one_pending_request_accept_decline_and_a_block_answers_like_an_unknown_id(e: &Env) {
    let f = e.family.as_ref();
    let (ana, ana_id, _) = platform_user(f, &["career_mentor"], "Ana", &[]).await;
    let (ben, ben_id, _) = platform_user(f, &["npo"], "Ben", &[]).await;
    let (cy, cy_id, _) = candidate(f, "Cy Candidate").await;

    // Ten parallel requests from Ana to Ben: one pending request, on both sides.
    let answers = parallel(e, 10, |_| {
        ("/api/network/connect".to_owned(), ana.clone(), json!({"userId": ben_id, "message": "Hi Ben"}))
    })
    .await;
    for a in &answers {
        assert!(a.status == StatusCode::CREATED || a.status == StatusCode::CONFLICT, "[{}] {:?}", f.name, a.body);
    }
    assert!(answers.iter().any(|a| a.status == StatusCode::CREATED));
    assert_eq!(statuses(&connections(f, &ana).await), [(ben_id.clone(), "requested".to_owned())]);
    let bens = connections(f, &ben).await;
    assert_eq!(statuses(&bens), [(ana_id.clone(), "incoming".to_owned())]);
    assert_eq!(bens[0]["message"], "Hi Ben");
    assert_eq!(bens[0]["name"], "Ana Tester");
    // Asking again answers the same request; Ben asking back is told to accept instead.
    let again = f.post("/api/network/connect", Some(&ana), json!({"userId": ben_id})).await;
    assert_eq!((again.status, again.body["status"].as_str()), (StatusCode::CREATED, Some("requested")));
    let back = f.post("/api/network/connect", Some(&ben), json!({"userId": ana_id})).await;
    assert_eq!(
        (back.status, Some(back.problem_type().ends_with("request-waiting"))),
        (StatusCode::CONFLICT, Some(true)),
        "{:?}",
        back.body
    );
    // Only the person asked accepts.
    let wrong = f.post(&format!("/api/network/connections/{ben_id}/accept"), Some(&ana), json!(null)).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND, "{:?}", wrong.body);
    let ok = f.post(&format!("/api/network/connections/{ana_id}/accept"), Some(&ben), json!(null)).await;
    assert_eq!((ok.status, ok.body["status"].as_str()), (StatusCode::OK, Some("connected")), "{:?}", ok.body);
    assert_eq!(statuses(&connections(f, &ana).await), [(ben_id.clone(), "connected".to_owned())]);

    // A candidate asks Ben; Ben declines: gone from both lists, and Cy may ask again later.
    let r = f.post("/api/network/connect", Some(&cy), json!({"userId": ben_id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "[{}] {:?}", f.name, r.body);
    let d = f.post(&format!("/api/network/connections/{cy_id}/decline"), Some(&ben), json!(null)).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{:?}", d.body);
    assert!(connections(f, &cy).await.is_empty());
    assert_eq!(connections(f, &ben).await.len(), 1);
    let r = f.post("/api/network/connect", Some(&cy), json!({"userId": ben_id})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // Ben blocks Cy: the request ends, and Cy's next request answers exactly as an unknown id.
    let b = f.post(&format!("/api/network/connections/{cy_id}/block"), Some(&ben), json!(null)).await;
    assert_eq!((b.status, b.body["status"].as_str()), (StatusCode::OK, Some("blocked")), "{:?}", b.body);
    assert!(connections(f, &cy).await.is_empty());
    let blocked = f.post("/api/network/connect", Some(&cy), json!({"userId": ben_id})).await;
    let unknown = f.post("/api/network/connect", Some(&cy), json!({"userId": uuid::Uuid::new_v4().to_string()})).await;
    assert_eq!(blocked.status, StatusCode::NOT_FOUND, "{:?}", blocked.body);
    assert_eq!(blocked.body, unknown.body, "[{}] the two 404s must not differ", f.name);
    let mine = f.post("/api/network/connect", Some(&ben), json!({"userId": cy_id})).await;
    assert_eq!(mine.status, StatusCode::CONFLICT, "{:?}", mine.body);
    // Bad input names the field; yourself is refused.
    let bad = f.post("/api/network/connect", Some(&cy), json!({"userId": "nope"})).await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("userId"))
    );
    let me = f.post("/api/network/connect", Some(&cy), json!({"userId": cy_id})).await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = (&e.deps, &e.sent);
}

macro_rules! networking_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn requests_race_to_one_pending_request_accept_decline_and_a_block_answers_like_an_unknown_id() {
            super::requests_race_to_one_pending_request_accept_decline_and_a_block_answers_like_an_unknown_id(
                &$env().await,
            )
            .await;
        }
    };
}

fn sealer() -> Arc<clearview_core::ports::crypto::AesGcmSealer> {
    Arc::new(clearview_core::ports::crypto::AesGcmSealer::new("test", &[9u8; 32]))
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-networking-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let sent = Arc::new(Recording { inner: local.mailer.clone(), sent: Mutex::new(Vec::new()) });
        let mut deps = local.deps().with_sealer(sealer());
        deps.mail = sent.clone();
        let family = Arc::new(clearview_tests::families::embedded(&local, deps.clone()));
        Env { family, deps, sent }
    }

    networking_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};

    async fn env() -> Env {
        let moto = Moto::shared().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let sent = Arc::new(Recording { inner: Arc::new(moto.mailer().await), sent: Mutex::new(Vec::new()) });
        let deps =
            Deps::new(store.clone(), Arc::new(p.pool.identity), sent.clone(), Arc::new(SystemClock), Arc::new(UuidV7))
                .with_queues(Arc::new(chain.queues.clone()))
                .with_events(Arc::new(chain.events.clone()))
                .with_blobs(Arc::new(chain.blobs.clone()))
                .with_sealer(sealer());
        let family = Arc::new(clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks));
        Env { family, deps, sent }
    }

    networking_tests!(env);
}
