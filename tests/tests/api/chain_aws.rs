//! The resume chain on the AWS family against moto, over real HTTP with the real SDK: a
//! presigned S3 PUT, the bucket notification on the parse queue, each consumer driven through
//! the Lambda SQS glue by a pump (real receives, deletes and visibility-timeout redelivery),
//! SNS fan-out to the email queue, SES. Redelivery sends nothing twice; a poison message lands
//! in its dead-letter queue with the reason.

use async_trait::async_trait;
use axum::http::StatusCode;
use clearview_aws::testing::{Moto, TestChain};
use clearview_core::Deps;
use clearview_core::ports::clock::{SystemClock, UuidV7};
use clearview_core::ports::crypto::AesGcmSealer;
use clearview_core::ports::mail::{MailError, Mailer, OutgoingEmail};
use clearview_core::ports::queue::{Consumer, Queues, WorkMessage, WorkQueue};
use clearview_tests::api::{Family, candidate, fixture};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// SES on moto, counting what was sent so the test can see duplicates.
struct CountingMailer {
    inner: clearview_aws::SesMailer,
    sent: Mutex<Vec<OutgoingEmail>>,
}

#[async_trait]
impl Mailer for CountingMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<String, MailError> {
        let id = self.inner.send(email.clone()).await?;
        self.sent.lock().unwrap().push(email);
        Ok(id)
    }
}

struct Env {
    family: Family,
    chain: TestChain,
    deps: Deps,
    mailer: Arc<CountingMailer>,
}

async fn env() -> Env {
    let moto = Moto::pick().await;
    let store = Arc::new(moto.store().await);
    let p = clearview_tests::families::moto_pool(moto).await;
    let chain = moto.chain().await;
    let mailer = Arc::new(CountingMailer { inner: moto.mailer().await, sent: Mutex::new(Vec::new()) });
    let deps =
        Deps::new(store.clone(), Arc::new(p.pool.identity), mailer.clone(), Arc::new(SystemClock), Arc::new(UuidV7))
            .with_blobs(Arc::new(chain.blobs.clone()))
            .with_malware(Arc::new(chain.malware()))
            .with_queues(Arc::new(chain.queues.clone()))
            .with_events(Arc::new(chain.events.clone()))
            .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
    let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
    Env { family, chain, deps, mailer }
}

fn consumer(deps: &Deps, queue: WorkQueue) -> Arc<dyn Consumer> {
    clearview_chain::all(deps).into_iter().find(|c| c.queue() == queue).unwrap()
}

const WAIT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn s3_upload_flows_through_every_consumer_on_moto_and_a_redelivered_event_emails_once() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = f
        .post(
            "/api/jobs",
            Some(&admin.token),
            json!({"title": "Data Engineer", "jobType": "full-time", "description": "Pipelines in Python and SQL.",
                   "location": "Berlin, Germany", "criteria": {"requiredSkills": ["Python", "SQL"], "minimumExperience": 1}}),
        )
        .await;
    let job_id = job.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/jobs/{job_id}/publish"), Some(&admin.token), json!(null)).await;
    let (cand, _, cand_email) = candidate(f, "Sam Rivera").await;
    let app =
        f.post("/api/applications", Some(&cand), json!({"jobId": job_id, "selfIdentification": {"sex": "male"}})).await;
    assert_eq!(app.status, StatusCode::CREATED, "{:?}", app.body);
    let id = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{id}/resume-upload-url"),
            Some(&cand),
            json!({"contentType": "application/pdf", "fileName": "cv.pdf"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    let ticket: clearview_core::ports::blobs::UploadTicket =
        serde_json::from_value(grant.body["upload"].clone()).unwrap();
    assert!(ticket.url.contains("X-Amz-Signature"), "a real SigV4 presigned URL");
    let (status, _) = clearview_aws::testing::upload(&ticket, fixture("wp_resume.pdf")).await;
    assert_eq!(status, 200);

    // The bucket notification reaches the parse queue; each consumer runs through the SQS glue.
    let queues: &dyn Queues = &e.chain.queues;
    // GuardDuty has not tagged the object yet: the parse does not open it and asks again after
    // a short wait (a delayed copy of the message), not after the queue's visibility timeout.
    let parse = consumer(&e.deps, WorkQueue::PARSE);
    let early = e.chain.pump(WorkQueue::PARSE, parse.as_ref(), queues, WAIT).await;
    assert_eq!((early.received(), early.failed().len()), (1, 0), "{early:?}");
    let a = f.get(&format!("/api/applications/{id}"), &admin.token).await;
    assert_ne!(a.body["processing"]["stage"], "parsed", "{:?}", a.body);
    e.chain.scan_uploads_like_guardduty().await;
    let again = e.chain.pump(WorkQueue::PARSE, parse.as_ref(), queues, Duration::from_secs(5)).await;
    assert_eq!((again.received(), again.failed().len()), (1, 0), "the delayed copy, after the tag: {again:?}");
    for q in [WorkQueue::ANONYMIZE, WorkQueue::SCORE, WorkQueue::BIAS] {
        let report = e.chain.pump(q, consumer(&e.deps, q).as_ref(), queues, WAIT).await;
        assert_eq!(report.received(), 1, "{q:?}: {report:?}");
        assert!(report.failed().is_empty(), "{q:?}: {report:?}");
    }
    let a = f.get(&format!("/api/applications/{id}"), &admin.token).await;
    assert_eq!(a.body["processing"]["stage"], "checked", "{:?}", a.body);
    let score = f.get(&format!("/api/applications/{id}/ai-score"), &admin.token).await;
    assert!(score.body["score"]["overall"].is_u64(), "{:?}", score.body);
    assert_eq!(score.body["biasCheck"]["counterfactual"]["flagged"], false);
    // The staff read of the parse result (blind), the preview (anonymised) and a fresh parse of
    // the object in S3.
    let parsed = f.get(&format!("/api/applications/{id}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.status, StatusCode::OK, "{:?}", parsed.body);
    assert_eq!(parsed.body["result"]["blind"], true);
    let file_id = a.body["resume"]["fileId"].as_str().unwrap();
    let preview = f.get(&format!("/api/files/{file_id}/preview"), &admin.token).await;
    assert_eq!(
        (preview.status, preview.body["anonymised"].clone()),
        (StatusCode::OK, json!(true)),
        "{:?}",
        preview.body
    );
    assert!(!preview.body["text"].as_str().unwrap().contains("Sam Rivera"));
    let fresh = f.post("/api/files/parse-resume", Some(&admin.token), json!({"fileId": file_id})).await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);
    assert_eq!(fresh.body["skills"], parsed.body["result"]["skills"]);

    // SNS → email queue: the received event and the screened event; one email goes out.
    let email = consumer(&e.deps, WorkQueue::EMAIL);
    let report = e.chain.pump(WorkQueue::EMAIL, email.as_ref(), queues, WAIT).await;
    assert!(report.received() >= 1 && report.failed().is_empty(), "{report:?}");
    let to_candidate = |m: &Arc<CountingMailer>| m.sent.lock().unwrap().iter().filter(|m| m.to == cand_email).count();
    assert_eq!(to_candidate(&e.mailer), 1);

    // Applying again re-publishes the same received event: redelivered, it sends nothing.
    let again = f.post("/api/applications", Some(&cand), json!({"jobId": job_id})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let report = e.chain.pump(WorkQueue::EMAIL, email.as_ref(), queues, WAIT).await;
    assert_eq!(report.received(), 1, "{report:?}");
    assert_eq!(to_candidate(&e.mailer), 1, "a redelivered event sends no second email");
}

#[tokio::test]
async fn poison_message_lands_in_the_dead_letter_queue_with_its_reason() {
    let e = env().await;
    let bogus = WorkMessage { id: "m1".into(), kind: "chain-step".into(), body: json!({"nonsense": true}) };
    e.chain.queues.send(WorkQueue::SCORE, &bogus).await.unwrap();
    let report =
        e.chain.pump(WorkQueue::SCORE, consumer(&e.deps, WorkQueue::SCORE).as_ref(), &e.chain.queues, WAIT).await;
    assert_eq!(report.received(), 1);
    assert!(report.failed().is_empty(), "poison is not retried: {report:?}");
    let dead = e.chain.dead_letters(WorkQueue::SCORE, WAIT).await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].attributes.get("reason").is_some_and(|r| r.contains("unreadable")), "{:?}", dead[0].attributes);
}

#[tokio::test]
async fn step_for_a_missing_application_is_dead_lettered_with_the_reason() {
    let e = env().await;
    // (SQS redelivery of `Retry` answers up to the redrive limit is covered in
    // crates/aws/tests/moto/chain_adapters.rs with the same glue.)
    let step = clearview_core::model::ChainStep {
        org_id: "01a1febe-06be-706e-9966-031290751ec6".into(),
        application_id: "no-such-application".into(),
        run_id: "r1".into(),
    };
    e.chain.queues.send(WorkQueue::ANONYMIZE, &step.message(WorkQueue::ANONYMIZE)).await.unwrap();
    let anonymize = consumer(&e.deps, WorkQueue::ANONYMIZE);
    // A missing application can never succeed: poison at once, with the reason.
    let report = e.chain.pump(WorkQueue::ANONYMIZE, anonymize.as_ref(), &e.chain.queues, WAIT).await;
    assert_eq!(report.received(), 1);
    let dead = e.chain.dead_letters(WorkQueue::ANONYMIZE, WAIT).await;
    assert!(dead[0].attributes["reason"].contains("does not exist"), "{:?}", dead[0].attributes);
}
