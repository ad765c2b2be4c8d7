//! The resume chain end to end on the embedded default: a candidate applies, uploads a real
//! resume through the presigned local URL, and the in-process workers parse, anonymize, score
//! and bias-check it; the emails land in the outbox. Hostile files end as a readable failure.

use axum::http::{Method, StatusCode};
use clearview_tests::api::{Call, candidate, fixture};
use serde_json::json;
use std::time::{Duration, Instant};

use crate::common::{active_job, apply_and_upload, env, wait_for_stage};

#[tokio::test]
async fn uploaded_pdf_is_parsed_scored_bias_checked_and_the_candidate_is_emailed() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, cand_id, cand_email) = candidate(f, "Sam Rivera").await;
    let started = Instant::now();
    let id = apply_and_upload(
        f,
        &cand,
        &job,
        "wp_resume.pdf",
        "application/pdf",
        json!({"sex": "female", "raceEthnicity": "asian"}),
    )
    .await;
    let app = wait_for_stage(f, &admin.token, &id, &["checked", "failed"]).await;
    let elapsed = started.elapsed();
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");
    assert!(app.get("selfIdentification").is_none(), "self-identification is never shown to staff");
    eprintln!("upload to checked in {elapsed:?}");

    let score = f.get(&format!("/api/applications/{id}/ai-score"), &admin.token).await;
    assert_eq!(score.status, StatusCode::OK, "{:?}", score.body);
    let s = &score.body["score"];
    assert!(s["overall"].as_u64().is_some(), "{s:?}");
    assert_eq!(s["modelVersion"], clearview_screening_version(), "{s:?}");
    assert!(score.body["biasCheck"]["counterfactual"]["variants"].as_array().is_some_and(|v| !v.is_empty()));
    assert_eq!(
        score.body["biasCheck"]["counterfactual"]["flagged"], false,
        "names and pronouns must not move the score"
    );
    let redactions = score.body["redactions"].to_string();
    assert!(redactions.contains("name"), "{redactions}");
    assert!(!score.body.to_string().contains("Sam Rivera"), "scoring output carries no name");

    // The candidate was told the application arrived. Blind review: staff read the anonymised
    // resume, and download the original (which shows who the candidate is) only once revealed.
    let mails = e.local.outbox.messages_to(&cand_email);
    assert!(mails.iter().any(|m| m.subject.contains("We received your application")), "{mails:?}");
    let file_id = app["resume"]["fileId"].as_str().unwrap();
    let blind = f.get(&format!("/api/files/{file_id}"), &admin.token).await;
    assert_eq!(blind.status, StatusCode::FORBIDDEN, "{:?}", blind.body);
    let anonymised = f.get(&format!("/api/applications/{}/resume", app["id"].as_str().unwrap()), &admin.token).await;
    assert_eq!(anonymised.status, StatusCode::OK, "{:?}", anonymised.body);
    assert!(!anonymised.body["text"].as_str().unwrap().contains("Sam Rivera"), "{:?}", anonymised.body);
    assert_eq!(anonymised.body["fileId"], serde_json::Value::Null);
    // What the parser read, blind until revealed: no contact details, no employer names; the
    // preview is the anonymised text; a fresh parse of the stored file reads the same skills.
    let app_id = app["id"].as_str().unwrap();
    let parsed = f.get(&format!("/api/applications/{app_id}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.status, StatusCode::OK, "{:?}", parsed.body);
    let r = &parsed.body["result"];
    assert_eq!((r["blind"].clone(), r["contact"].clone()), (json!(true), serde_json::Value::Null), "{r}");
    assert!(r["skills"].as_array().is_some_and(|s| !s.is_empty()), "{r}");
    assert!(r["experience"].as_array().unwrap().iter().all(|x| x["company"].is_null() && x["details"] == json!([])));
    assert!(r["confidence"].as_f64().is_some_and(|c| c > 0.0) && r["parserVersion"].is_string(), "{r}");
    let preview = f.get(&format!("/api/files/{file_id}/preview"), &admin.token).await;
    assert_eq!(preview.status, StatusCode::OK, "{:?}", preview.body);
    assert_eq!(preview.body["anonymised"], true);
    assert_eq!(preview.body["text"], anonymised.body["text"]);
    let fresh = f.post("/api/files/parse-resume", Some(&admin.token), json!({"fileId": file_id})).await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);
    assert_eq!((fresh.body["skills"].clone(), fresh.body["blind"].clone()), (r["skills"].clone(), json!(true)));
    let unknown = f
        .post("/api/files/parse-resume", Some(&admin.token), json!({"fileId": "01a00000-0000-7000-8000-000000000000"}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    // The candidate previews their own file as it was extracted.
    let own = f.get(&format!("/api/files/{file_id}/preview"), &cand).await;
    assert_eq!((own.status, own.body["anonymised"].clone()), (StatusCode::OK, json!(false)), "{:?}", own.body);
    assert_ne!(own.body["text"], anonymised.body["text"]);
    let reveal = f
        .post(
            &format!("/api/applications/{}/reveal", app["id"].as_str().unwrap()),
            Some(&admin.token),
            serde_json::json!({"reason": "Checking the original layout of the resume"}),
        )
        .await;
    assert_eq!(reveal.status, StatusCode::OK, "{:?}", reveal.body);
    let dl = f.get(&format!("/api/files/{file_id}"), &admin.token).await;
    assert_eq!(dl.status, StatusCode::OK, "{:?}", dl.body);
    // Revealed, the parse result shows the contact details and employers too.
    let parsed = f.get(&format!("/api/applications/{app_id}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.body["result"]["blind"], false, "{:?}", parsed.body);
    assert!(parsed.body["result"]["contact"]["email"].is_string(), "{:?}", parsed.body);
    let url = dl.body["url"].as_str().unwrap();
    let got = f
        .send(Call {
            method: Method::GET,
            path: url[url.find("/local-blobs").unwrap()..].into(),
            token: None,
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(cand_id.len(), 36);

    // The audit counts her in her self-identified categories, without exposing anyone's values.
    let audit = f.get(&format!("/api/jobs/{job}/bias-audit"), &admin.token).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert_eq!(audit.body["report"]["totalRecords"], 1);
    // The admin holds audit:read: the exact LL144 figures.
    let female = &audit.body["report"]["sex"]["categories"][1];
    assert_eq!((female["category"].as_str(), female["count"].as_u64()), (Some("Female"), Some(1)), "{female}");
    assert_eq!(audit.body["report"]["suppression"]["applied"], false);
    // A viewer may read analytics but not self-identifications: every cell of one is withheld.
    let (viewer, _) = f.staff(&admin, "viewer").await;
    let shown = f.get(&format!("/api/jobs/{job}/bias-audit"), &viewer).await;
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
    let report = &shown.body["report"];
    assert_eq!(report["suppression"]["applied"], true);
    assert_eq!(report["suppression"]["minimumCellCount"], 5);
    for dim in ["sex", "raceEthnicity", "intersectional"] {
        for c in report[dim]["categories"].as_array().unwrap() {
            assert_eq!(c["suppressed"], true, "{dim}: {c}");
            assert!(c["count"].is_null() && c["selectionRate"].is_null() && c["scoringRate"].is_null(), "{c}");
        }
        assert!(report[dim]["suppressedCells"].as_array().is_some_and(|v| v.len() > 1), "{dim}");
    }
}

#[tokio::test]
async fn docx_with_tables_goes_through_the_chain_too() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, _) = candidate(f, "Ada Quinn").await;
    let id = apply_and_upload(
        f,
        &cand,
        &job,
        "table_resume.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        json!(null),
    )
    .await;
    let app = wait_for_stage(f, &admin.token, &id, &["checked", "failed"]).await;
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");
}

#[tokio::test]
async fn encrypted_pdf_fails_with_a_reason_and_the_candidate_is_asked_for_a_text_document() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, email) = candidate(f, "Lee Park").await;
    let id = apply_and_upload(f, &cand, &job, "encrypted.pdf", "application/pdf", json!(null)).await;
    let app = wait_for_stage(f, &admin.token, &id, &["failed", "checked"]).await;
    assert_eq!(app["processing"]["stage"], "failed");
    assert_eq!(app["processing"]["failureCode"], "encrypted_pdf");
    assert!(app["processing"]["reason"].as_str().unwrap().len() > 10);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if e.local.outbox.messages_to(&email).iter().any(|m| m.subject.contains("could not read your resume")) {
            break;
        }
        assert!(Instant::now() < deadline, "no parse-failed email");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Applies to `job` and uploads `bytes` as a plain-text resume: the application's id.
async fn apply_with_text(f: &clearview_tests::api::Family, token: &str, job: &str, bytes: Vec<u8>) -> String {
    apply_and_upload_bytes(f, token, job, bytes, "text/plain").await
}

#[tokio::test]
async fn an_eicar_upload_fails_as_malware_detected_unparsed_audited_and_the_candidate_is_told() {
    use clearview_local::malware::{EICAR_SIGNATURE, eicar};
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, email) = candidate(f, "Robin Vale").await;
    let id = apply_with_text(f, &cand, &job, eicar()).await;
    let app = wait_for_stage(f, &admin.token, &id, &["failed", "checked"]).await;
    assert_eq!(app["processing"]["stage"], "failed", "{app:?}");
    assert_eq!(app["processing"]["failureCode"], "malware_detected");
    let reason = app["processing"]["reason"].as_str().unwrap();
    assert!(reason.contains(EICAR_SIGNATURE) && reason.contains("not opened"), "{reason}");
    // Never parsed: no parse result, no profile prefill.
    let parsed = f.get(&format!("/api/applications/{id}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.status, StatusCode::CONFLICT, "{:?}", parsed.body);
    assert!(parsed.body["type"].as_str().unwrap().ends_with("not-parsed"), "{:?}", parsed.body);
    // Staff asking for a fresh parse of the stored file are refused too, naming the signature.
    let file_id = app["resume"]["fileId"].as_str().unwrap();
    let fresh = f.post("/api/files/parse-resume", Some(&admin.token), json!({"fileId": file_id})).await;
    assert_eq!(fresh.status, StatusCode::CONFLICT, "{:?}", fresh.body);
    assert!(fresh.body["type"].as_str().unwrap().ends_with("malware-detected"), "{:?}", fresh.body);
    // The audit log keeps the signature.
    let audit = f.get("/api/audit?action=application.upload_refused", &admin.token).await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    assert!(audit.body["items"][0]["after"]["signature"].as_str().unwrap().starts_with(EICAR_SIGNATURE));
    // The candidate is told, once, why and what to upload instead.
    let deadline = Instant::now() + Duration::from_secs(10);
    let told = loop {
        let mails = e.local.outbox.messages_to(&email);
        if let Some(m) = mails.iter().find(|m| m.subject.contains("could not read your resume")) {
            break m.clone();
        }
        assert!(Instant::now() < deadline, "no notice to the candidate");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(told.text.contains("security scan found something harmful"), "{}", told.text);

    // A clean plain-text resume of another candidate goes on to be scored.
    let (other, _, _) = candidate(f, "Kai Moss").await;
    let clean = b"Kai Moss\nBackend engineer\nSkills: Rust, PostgreSQL, AWS\nExperience\nAcme GmbH, Backend Engineer, 2019 - 2024\n";
    let id = apply_with_text(f, &other, &job, clean.to_vec()).await;
    let app = wait_for_stage(f, &admin.token, &id, &["failed", "checked"]).await;
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");
}

#[tokio::test]
async fn second_application_to_the_same_job_is_409_and_withdrawal_emails_once() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, email) = candidate(f, "Kim Lee").await;
    let first = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem_type(), "/problems/already-applied");
    let id = first.body["id"].as_str().unwrap();
    let w = f.post(&format!("/api/applications/{id}/withdraw"), Some(&cand), json!(null)).await;
    assert_eq!(w.body["status"], "withdrawn");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = e.local.outbox.messages_to(&email).iter().filter(|m| m.subject.contains("We received")).count();
    assert_eq!(received, 1, "the re-published received event is deduplicated");
}

#[tokio::test]
async fn staff_cannot_apply_and_candidates_cannot_read_scores_or_other_tenants_see_nothing() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let other = f.employer_admin("Globex").await;
    let job = active_job(f, &admin).await;
    assert_eq!(
        f.post("/api/applications", Some(&admin.token), json!({"jobId": job})).await.status,
        StatusCode::FORBIDDEN
    );
    let (cand, cand_id, _) = candidate(f, "Jo Doe").await;
    let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    let id = app.body["id"].as_str().unwrap();
    assert_eq!(f.get(&format!("/api/applications/{id}/ai-score"), &cand).await.status, StatusCode::FORBIDDEN);
    assert_eq!(f.get(&format!("/api/applications/{id}"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/candidates/{cand_id}"), &other.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/candidates/{cand_id}"), &admin.token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_person_overrules_the_recommendation_and_it_is_recorded() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, _) = candidate(f, "Ana Ortiz").await;
    let id = apply_and_upload(f, &cand, &job, "plain_resume.txt", "text/plain", json!(null)).await;
    wait_for_stage(f, &admin.token, &id, &["checked"]).await;
    let d = f
        .post(
            &format!("/api/applications/{id}/decision"),
            Some(&admin.token),
            json!({"decision": "advance", "reason": "Strong open-source work the resume undersells"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::OK, "{:?}", d.body);
    assert_eq!(d.body["status"], "reviewing");
    assert_eq!(d.body["decision"]["decision"], "advance");
    assert!(d.body["decision"]["recommendation"].is_string());
    // Re-scoring after a criteria change starts a new run and ends checked again.
    let r = f.post(&format!("/api/applications/{id}/reprocess-ai"), Some(&admin.token), json!(null)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    wait_for_stage(f, &admin.token, &id, &["checked"]).await;

    // While a run is under way, another reprocess is a plain 409 (not a 412: no If-Match was sent).
    let org = clearview_core::values::OrgId::trusted(d.body["orgId"].as_str().unwrap());
    let key = clearview_core::keys::application(&org, &id);
    let set_stage = |stage: clearview_core::model::Stage, minutes_ago: i64| {
        let (store, key) = (f.store.clone(), key.clone());
        async move {
            let mut item = store.get(&key).await.unwrap().unwrap();
            item.data["processing"]["stage"] = json!(stage.as_str());
            let at = time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes_ago);
            item.data["processing"]["updatedAt"] =
                json!(at.format(&time::format_description::well_known::Rfc3339).unwrap());
            store.put(item, clearview_core::ports::store::Condition::None).await.unwrap();
        }
    };
    set_stage(clearview_core::model::Stage::Scored, 0).await;
    let busy = f.post(&format!("/api/applications/{id}/reprocess-ai"), Some(&admin.token), json!(null)).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{:?}", busy.body);
    assert_eq!(busy.problem_type(), "/problems/run-in-progress");
    assert!(busy.body["detail"].as_str().unwrap().contains("scored"), "{:?}", busy.body);
    // A run stuck for longer than STALE_RUN is presumed lost: it may be redone.
    set_stage(clearview_core::model::Stage::Scored, 20).await;
    let redo = f.post(&format!("/api/applications/{id}/reprocess-ai"), Some(&admin.token), json!(null)).await;
    assert_eq!(redo.status, StatusCode::ACCEPTED, "{:?}", redo.body);
    wait_for_stage(f, &admin.token, &id, &["checked"]).await;
}

#[tokio::test]
async fn tampered_or_expired_upload_urls_are_refused() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (cand, _, _) = candidate(f, "Max Roe").await;
    let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    let id = app.body["id"].as_str().unwrap();
    let grant = f
        .post(
            &format!("/api/applications/{id}/resume-upload-url"),
            Some(&cand),
            json!({"contentType": "application/pdf"}),
        )
        .await;
    let url = grant.body["upload"]["url"].as_str().unwrap();
    let path = url[url.find("/local-blobs").unwrap()..].to_owned();
    let tampered = path.replace("uploads%2F", "uploads%2Fx");
    assert_eq!(f.put_bytes(&tampered, "application/pdf", fixture("wp_resume.pdf")).await, StatusCode::FORBIDDEN);
    let huge = f.put_raw(&path, "application/pdf", vec![b'%'; 12 * 1024 * 1024]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.header("content-type"), Some("application/problem+json"));
    assert!(huge.body["detail"].as_str().is_some_and(|d| d.contains("bytes at most")), "{:?}", huge.body);
    assert_eq!(f.put_bytes(&path, "text/plain", b"hello".to_vec()).await, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bad_type = f
        .post(&format!("/api/applications/{id}/resume-upload-url"), Some(&cand), json!({"contentType": "image/gif"}))
        .await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_type.body["errors"][0]["field"], "contentType");
}

fn clearview_screening_version() -> &'static str {
    "cv-score-1.0.0"
}

#[tokio::test]
async fn a_parsed_resume_fills_the_profile_and_earlier_candidates_rank_blind_in_a_new_jobs_talent_pool() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Pool").await;
    let first = active_job(f, &admin).await;
    let (cand, cand_id, _) = candidate(f, "Sam Rivera").await;
    let id = apply_and_upload(f, &cand, &first, "wp_resume.pdf", "application/pdf", json!(null)).await;
    let app = wait_for_stage(f, &admin.token, &id, &["checked", "failed"]).await;
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");

    // The profile: the resume is kept, and (until confirmed) skills come from it, verified.
    let me = f.get(&format!("/api/candidates/{cand_id}"), &cand).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["resumes"][0]["fileId"], app["resume"]["fileId"], "{:?}", me.body);
    assert_eq!(me.body["profileConfirmed"], false);
    let skills = me.body["skills"].as_array().unwrap();
    assert!(!skills.is_empty(), "{:?}", me.body);
    assert!(skills.iter().all(|s| s["origin"] == "resume" && s["verified"] == true), "{skills:?}");

    // A new job with the same criteria: the earlier candidate ranks with the same score, blind.
    let second = active_job(f, &admin).await;
    let pool = f.get(&format!("/api/jobs/{second}/talent-pool"), &admin.token).await;
    assert_eq!(pool.status, StatusCode::OK, "{:?}", pool.body);
    let items = pool.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{:?}", pool.body);
    assert_eq!(items[0]["candidate"]["id"], cand_id.as_str());
    assert_eq!(items[0]["candidate"]["blind"], true);
    assert!(items[0]["candidate"]["name"].is_null());
    assert_eq!(items[0]["basedOnApplicationId"], id.as_str());
    let scored = f.get(&format!("/api/applications/{id}/ai-score"), &admin.token).await;
    assert_eq!(items[0]["score"]["overall"], scored.body["score"]["overall"], "the chain's scorer, same criteria");
    assert!(items[0]["score"]["explanation"].is_object(), "every score explains itself");
    assert!(!pool.body.to_string().contains("Sam Rivera"));
    // Those who already applied to the job are not in its pool.
    let own = f.get(&format!("/api/jobs/{first}/talent-pool"), &admin.token).await;
    assert!(own.body["items"].as_array().unwrap().is_empty(), "{:?}", own.body);
    assert_eq!(
        f.get(&format!("/api/jobs/{second}/talent-pool?limit=51"), &admin.token).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let other = f.employer_admin("NotPool").await;
    assert_eq!(f.get(&format!("/api/jobs/{second}/talent-pool"), &other.token).await.status, StatusCode::NOT_FOUND);

    // The candidate applies to the new job with the resume kept on their profile: no upload,
    // the chain screens it at once.
    let wrong = f
        .post(
            "/api/applications",
            Some(&cand),
            json!({"jobId": second, "resumeFileId": uuid::Uuid::new_v4().to_string()}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", wrong.body);
    assert_eq!(wrong.body["errors"][0]["field"], "resumeFileId");
    let kept = me.body["resumes"][0]["fileId"].as_str().unwrap();
    let again = f.post("/api/applications", Some(&cand), json!({"jobId": second, "resumeFileId": kept})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_ne!(again.body["resume"]["fileId"], kept, "a copy under the new application");
    let reused = wait_for_stage(f, &admin.token, again.body["id"].as_str().unwrap(), &["checked", "failed"]).await;
    assert_eq!(reused["processing"]["stage"], "checked", "{reused:?}");
    assert_eq!(reused["ai"]["score"], scored.body["score"]["overall"], "same resume, same criteria, same score");
}

#[tokio::test]
async fn a_follow_up_reminder_is_emailed_to_its_author_once_when_due_and_a_cancelled_one_never() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Remind").await;
    let job = active_job(f, &admin).await;
    let (cand, _, _) = candidate(f, "Ada Nwosu").await;
    let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    let id = app.body["id"].as_str().unwrap().to_owned();
    let now = time::OffsetDateTime::now_utc();
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let path = format!("/api/applications/{id}/reminders");
    let past =
        f.post(&path, Some(&admin.token), json!({"dueAt": rfc(now - time::Duration::hours(1)), "note": "x"})).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", past.body);
    assert_eq!(past.body["errors"][0]["field"], "dueAt");
    let set = f
        .post(
            &path,
            Some(&admin.token),
            json!({"dueAt": rfc(now + time::Duration::minutes(30)), "note": "call back after the team offsite"}),
        )
        .await;
    assert_eq!(set.status, StatusCode::CREATED, "{:?}", set.body);
    let later = f
        .post(
            &path,
            Some(&admin.token),
            json!({"dueAt": rfc(now + time::Duration::days(3)), "note": "check references"}),
        )
        .await;
    assert_eq!(later.status, StatusCode::CREATED);

    let deps = e.local.deps();
    let reminders = clearview_chain::reminders::FollowUpReminders(deps.clone());
    use clearview_core::ports::queue::Scheduled;
    // Not yet due: nothing is sent.
    reminders.run(now).await;
    assert!(e.local.outbox.messages_to(&admin.email).iter().all(|m| !m.subject.starts_with("Follow-up due")));
    // Due: the author gets it once, without the candidate's name; the later one waits.
    let due = now + time::Duration::hours(1);
    assert_eq!(clearview_core::services::reminders::send_due(&deps, due).await.unwrap(), 1);
    assert_eq!(clearview_core::services::reminders::send_due(&deps, due).await.unwrap(), 0, "sent once");
    let mails: Vec<_> = e
        .local
        .outbox
        .messages_to(&admin.email)
        .into_iter()
        .filter(|m| m.subject.starts_with("Follow-up due"))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].text.contains("call back after the team offsite") && !mails[0].text.contains("Ada Nwosu"));
    let listed = f.get(&path, &admin.token).await;
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.iter().filter(|r| r["sentAt"].is_string()).count(), 1, "{items:?}");
    // The candidate cannot see or set reminders.
    assert_eq!(f.get(&path, &cand).await.status, StatusCode::FORBIDDEN);
    // The one still waiting is cancelled: it goes from the list and is never sent.
    let waiting = later.body["id"].as_str().unwrap();
    fn delete<'a>(path: String, token: &'a str) -> Call<'a> {
        Call { method: Method::DELETE, path, token: Some(token), body: None, headers: vec![] }
    }
    let one = format!("{path}/{waiting}");
    assert_eq!(f.send(delete(one.clone(), &cand)).await.status, StatusCode::FORBIDDEN);
    let cancelled = f.send(delete(one.clone(), &admin.token)).await;
    assert_eq!(cancelled.status, StatusCode::NO_CONTENT, "{:?}", cancelled.body);
    assert_eq!(f.get(&path, &admin.token).await.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(f.send(delete(one.clone(), &admin.token)).await.status, StatusCode::NOT_FOUND);
    let much_later = now + time::Duration::days(4);
    assert_eq!(clearview_core::services::reminders::send_due(&deps, much_later).await.unwrap(), 0);
}

#[tokio::test]
async fn an_organisations_own_wording_of_the_rejection_email_is_checked_when_saved_and_sent() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Wording").await;
    let put = |body: serde_json::Value| {
        let token = admin.token.clone();
        async move {
            f.send(Call {
                method: Method::PUT,
                path: "/api/email-templates/rejected".into(),
                token: Some(&token),
                body: Some(body),
                headers: vec![],
            })
            .await
        }
    };
    let unknown = put(json!({"subject": "About {{ jobTitle }}", "body": "Your score was {{ score }}."})).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", unknown.body);
    assert_eq!(unknown.body["errors"][0]["field"], "body");
    let broken = put(json!({"subject": "About {% if %}", "body": "x"})).await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(broken.body["errors"][0]["field"], "subject");
    let saved = put(json!({
        "subject": "Your application for {{ jobTitle }} at {{ companyName }}",
        "body": "Thank you, {{ candidateName }}, for applying.\n\nWe chose another candidate for {{ jobTitle }} this time."
    }))
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{:?}", saved.body);
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    assert_eq!(f.get("/api/email-templates", &recruiter).await.status, StatusCode::FORBIDDEN);
    let listed = f.get("/api/email-templates", &admin.token).await;
    assert_eq!(listed.body["items"][0]["kind"], "rejected");

    let job = active_job(f, &admin).await;
    let (cand, _, email) = candidate(f, "Lee Park").await;
    let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    let id = app.body["id"].as_str().unwrap();
    let rejected = f
        .post(
            &format!("/api/applications/{id}/reject"),
            Some(&admin.token),
            json!({"reasonCode": "skills_mismatch", "note": "INTERNAL: weak on Rust"}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{:?}", rejected.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mail = loop {
        if let Some(m) =
            e.local.outbox.messages_to(&email).into_iter().find(|m| m.subject.starts_with("Your application for"))
        {
            break m;
        }
        assert!(Instant::now() < deadline, "no rejection email: {:?}", e.local.outbox.messages_to(&email));
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(mail.subject, "Your application for Backend Engineer at Wording");
    assert!(mail.text.contains("Thank you, Lee Park, for applying."), "{}", mail.text);
    assert!(!mail.text.contains("INTERNAL") && !mail.text.contains("skills_mismatch"), "{}", mail.text);
    let reset = f
        .send(Call {
            method: Method::DELETE,
            path: "/api/email-templates/rejected".into(),
            token: Some(&admin.token),
            body: None,
            headers: vec![],
        })
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_profile_name_change_re_runs_the_anonymiser_so_the_blind_resume_loses_that_name() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Rerun").await;
    let job = active_job(f, &admin).await;
    let (cand, cand_id, _) = candidate(f, "Q Applicant").await;
    let app = f.post("/api/applications", Some(&cand), json!({"jobId": job})).await;
    let id = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{id}/resume-upload-url"),
            Some(&cand),
            json!({"contentType": "text/plain", "fileName": "cv.txt"}),
        )
        .await;
    let url = grant.body["upload"]["url"].as_str().unwrap();
    // A resume whose only mention of the person's name is inside a sentence: the parser cannot
    // tell it is a name.
    let text = "Curriculum Vitae\n\nSummary\nBackend engineer; the on-call team knows me as Zephyrine from the incident reviews.\n\n\
                Experience\nBackend Engineer, Parcel GmbH, 2019 - present\n- Built Rust services on PostgreSQL and AWS\n\n\
                Skills\nRust, PostgreSQL, Kubernetes, AWS\n";
    let put = f.put_bytes(&url[url.find("/local-blobs").unwrap()..], "text/plain", text.as_bytes().to_vec()).await;
    assert_eq!(put, StatusCode::OK);
    wait_for_stage(f, &admin.token, &id, &["checked"]).await;
    let blind = f.get(&format!("/api/applications/{id}/resume"), &admin.token).await;
    assert!(blind.body["text"].as_str().unwrap().contains("Zephyrine"), "precondition: {:?}", blind.body);

    let me = f.get(&format!("/api/candidates/{cand_id}"), &cand).await;
    let etag = me.header("etag").unwrap().to_owned();
    let renamed = f
        .send(Call {
            method: Method::PUT,
            path: format!("/api/candidates/{cand_id}"),
            token: Some(&cand),
            body: Some(json!({"name": "Zephyrine Quill"})),
            headers: vec![("if-match", etag)],
        })
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let blind = f.get(&format!("/api/applications/{id}/resume"), &admin.token).await;
        let text = blind.body["text"].as_str().unwrap_or_default().to_owned();
        // While the new run is under way the blind resume is not ready (no text yet).
        if blind.status == StatusCode::OK && !text.is_empty() && !text.contains("Zephyrine") {
            assert!(text.contains("Rust"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "the anonymiser did not run again: {text}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let after = wait_for_stage(f, &admin.token, &id, &["checked"]).await;
    assert!(after["ai"]["score"].is_number(), "scored again: {after:?}");
}

/// A scanned resume (a PNG of typeset_resume.pdf) is read by Tesseract, goes through the chain
/// to a bias-checked score within a few points of its text twin's for the same job, and its
/// parse says it came from OCR. A PNG uploaded as a PDF is a type mismatch, not a guess.
#[tokio::test]
async fn a_png_scan_is_read_by_ocr_and_scores_like_its_text_twin() {
    let e = env().await;
    let f = &e.family;
    let admin = f.employer_admin("Acme").await;
    let job = active_job(f, &admin).await;
    let (scan_cand, _, _) = candidate(f, "Sofia Lindqvist").await;
    let (text_cand, _, _) = candidate(f, "Sofia Lindqvist").await;
    let (liar, _, _) = candidate(f, "Pat Moreau").await;
    let scan = apply_and_upload(f, &scan_cand, &job, "scanned_resume.png", "image/png", json!(null)).await;
    let text = apply_and_upload(f, &text_cand, &job, "typeset_resume.pdf", "application/pdf", json!(null)).await;
    let named_pdf = apply_and_upload_as(f, &liar, &job, "scanned_resume.png", "application/pdf").await;

    let app = wait_for_stage(f, &admin.token, &scan, &["checked", "failed"]).await;
    assert_eq!(app["processing"]["stage"], "checked", "{app:?}");
    let twin = wait_for_stage(f, &admin.token, &text, &["checked", "failed"]).await;
    assert_eq!(twin["processing"]["stage"], "checked", "{twin:?}");
    let mut overall = Vec::new();
    for id in [&scan, &text] {
        let s = f.get(&format!("/api/applications/{id}/ai-score"), &admin.token).await;
        assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
        overall.push(s.body["score"]["overall"].as_i64().expect("an overall score"));
    }
    let (scan_score, text_score) = (overall[0], overall[1]);
    assert!((scan_score - text_score).abs() <= 3, "scan {scan_score} vs text {text_score}");

    let parsed = f.get(&format!("/api/applications/{scan}/parsed-resume"), &admin.token).await;
    assert_eq!(parsed.status, StatusCode::OK, "{:?}", parsed.body);
    let r = &parsed.body["result"];
    assert_eq!((r["extraction"].as_str(), r["documentKind"].as_str()), (Some("ocr"), Some("png")), "{r}");
    assert!(r["ocr"]["engine"].as_str().is_some_and(|e| e.starts_with("tesseract ")), "{r}");
    assert!(r["ocr"]["meanConfidence"].as_f64().is_some_and(|c| c > 0.8), "{r}");
    let twin_parsed = f.get(&format!("/api/applications/{text}/parsed-resume"), &admin.token).await;
    let t = &twin_parsed.body["result"];
    assert_eq!((t["extraction"].as_str(), t["ocr"].clone()), (Some("text"), serde_json::Value::Null), "{t}");
    assert_eq!(r["skills"], t["skills"]);

    let refused = wait_for_stage(f, &admin.token, &named_pdf, &["failed", "checked"]).await;
    assert_eq!(refused["processing"]["failureCode"], "type_mismatch", "{refused:?}");
}

/// Applies and uploads `file` declared as `content_type` (whatever the bytes are).
async fn apply_and_upload_as(
    f: &clearview_tests::api::Family,
    token: &str,
    job: &str,
    file: &str,
    content_type: &str,
) -> String {
    apply_and_upload_bytes(f, token, job, fixture(file), content_type).await
}

/// Applies to `job` (no self-identification) and uploads `bytes` declared as `content_type`:
/// the application's id.
async fn apply_and_upload_bytes(
    f: &clearview_tests::api::Family,
    token: &str,
    job: &str,
    bytes: Vec<u8>,
    content_type: &str,
) -> String {
    let name = if content_type == "text/plain" { "resume.txt" } else { "resume.pdf" };
    crate::common::apply_and_upload_bytes(f, token, job, serde_json::Value::Null, name, bytes, content_type).await
}
