//! Issue 14, the rest (part A) on both adapter families: non-profits' offerings tagged with
//! skills (checked against the vocabulary) and recommended for the gap they close; a course
//! edited by its owner or an editor with If-Match, its skill index checked against a brute-force
//! rebuild from the courses; a candidate withdrawing a pending mentor request (409 once
//! answered; a pending request holds no place, so the mentor's places are unchanged).

use super::learning::{fields, mysql_candidate, publish, user};
use axum::http::{Method, StatusCode};
use clearview_core::Deps;
use clearview_core::ports::store::Query;
use clearview_core::record;
use clearview_core::services::learning::CourseBySkill;
use clearview_tests::api::{Answer, Call, Family, candidate};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

struct Env {
    family: Arc<Family>,
    deps: Deps,
}

async fn nonprofit(f: &Family, npo: &str, name: &str) -> String {
    let n = f
        .post(
            "/api/nonprofits",
            Some(npo),
            json!({"name": name, "description": "Helps people back into work.", "location": "Oakland, CA",
                   "registrationId": "EIN 12-3456789", "services": ["Training"]}),
        )
        .await;
    assert_eq!(n.status, StatusCode::CREATED, "[{}] {:?}", f.name, n.body);
    n.body["id"].as_str().unwrap().to_owned()
}

async fn put_if(f: &Family, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Answer {
    f.send(Call {
        method: Method::PUT,
        path: path.into(),
        token: Some(token),
        body: Some(body),
        headers: if_match.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default(),
    })
    .await
}

async fn offerings_tagged_with_a_gap_are_recommended_with_the_gap_they_close(e: &Env) {
    let f = e.family.as_ref();
    let (npo, _) = user(f, &["npo"], "Nadia").await;
    let np = nonprofit(f, &npo, "Bridges to Work").await;
    let offering = |title: &str, skills: Value| {
        json!({"title": title, "description": "Evening sessions.", "category": "apprenticeship_training",
               "details": {"institution": "Oakland Tech", "programUrl": "https://bridges.example/pg"},
               "skills": skills})
    };
    let path = format!("/api/nonprofits/{np}/offerings");
    let bad = f.post(&path, Some(&npo), offering("Databases", json!(["postgresql", "Dragon taming"]))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "[{}] {:?}", f.name, bad.body);
    assert_eq!(fields(&bad), BTreeSet::from(["skills[1]".to_owned()]));
    let tagged = f.post(&path, Some(&npo), offering("PostgreSQL evenings", json!(["postgresql"]))).await;
    assert_eq!(tagged.status, StatusCode::CREATED, "[{}] {:?}", f.name, tagged.body);
    assert_eq!(tagged.body["skills"], json!(["PostgreSQL"]), "the vocabulary's name");
    let tagged = tagged.body["id"].as_str().unwrap().to_owned();
    // Skills are optional: an untagged offering is created and recommended for nothing.
    let plain = f.post(&path, Some(&npo), offering("General help", json!([]))).await;
    assert_eq!(plain.status, StatusCode::CREATED, "{:?}", plain.body);
    assert_eq!(plain.body["skills"], json!([]));
    let untagged = f
        .post(
            &path,
            Some(&npo),
            json!({"title": "No skills field", "description": "d", "category": "other",
                   "details": {"url": "https://bridges.example/x"}}),
        )
        .await;
    assert_eq!(untagged.status, StatusCode::CREATED, "{:?}", untagged.body);

    let admin = f.employer_admin("Offerco").await;
    let job = publish(
        f,
        &admin,
        json!({"title": "Database Administrator", "jobType": "full-time", "description": "Databases.",
               "location": "Lisbon, Portugal", "criteria": {"requiredSkills": ["PostgreSQL", "MySQL"],
               "preferredSkills": ["Kubernetes"]}}),
    )
    .await;
    let (cand, _) = mysql_candidate(f, "Noor Haddad").await;
    let rec = f.get(&format!("/api/skills/recommendations?jobId={job}"), &cand).await;
    assert_eq!(rec.status, StatusCode::OK, "[{}] {:?}", f.name, rec.body);
    let gaps = rec.body["gaps"].as_array().unwrap();
    let pg = gaps.iter().find(|g| g["gap"]["skill"] == "PostgreSQL").expect("the PostgreSQL gap");
    // The moto store is shared by tests: find ours among what other tests tagged.
    let ours: Vec<&Value> = pg["offerings"].as_array().unwrap().iter().filter(|o| o["nonprofitId"] == np).collect();
    assert_eq!(ours.len(), 1, "{pg}");
    assert_eq!(
        (
            &ours[0]["offeringId"],
            &ours[0]["title"],
            &ours[0]["closes"],
            &ours[0]["nonprofitName"],
            &ours[0]["category"]
        ),
        (
            &json!(tagged),
            &json!("PostgreSQL evenings"),
            &json!("PostgreSQL"),
            &json!("Bridges to Work"),
            &json!("apprenticeship_training")
        )
    );
    let k8s = gaps.iter().find(|g| g["gap"]["skill"] == "Kubernetes").expect("the Kubernetes gap");
    assert!(k8s["offerings"].as_array().unwrap().iter().all(|o| o["nonprofitId"] != np), "{k8s}");
}

/// The skill index entries of `courses` for `skills`, read from the store: (skill, course) →
/// (title, provider, hours, cost).
async fn index_of(
    deps: &Deps,
    skills: &BTreeSet<String>,
    courses: &BTreeSet<String>,
) -> BTreeMap<(String, String), (String, String, u32, u32)> {
    let mut out = BTreeMap::new();
    for s in skills {
        let q = Query::table(clearview_core::keys::course_by_skill_pk(s)).limit(1000);
        let (entries, _) = record::query::<CourseBySkill>(deps.store.as_ref(), &q).await.unwrap();
        for e in entries.into_iter().filter(|e| courses.contains(&e.course_id)) {
            out.insert((e.skill.to_lowercase(), e.course_id), (e.title, e.provider, e.hours, e.cost_cents));
        }
    }
    out
}

/// The same, rebuilt by brute force from the courses themselves (the catalogue, every page).
async fn expected_index(
    f: &Family,
    token: &str,
    courses: &BTreeSet<String>,
) -> BTreeMap<(String, String), (String, String, u32, u32)> {
    let mut out = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/learning/courses?limit=100&cursor={c}"),
            None => "/api/learning/courses?limit=100".to_owned(),
        };
        let page = f.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        for c in page.body["items"].as_array().unwrap().iter().filter(|c| courses.contains(c["id"].as_str().unwrap())) {
            for s in c["skills"].as_array().unwrap() {
                out.insert(
                    (s.as_str().unwrap().to_lowercase(), c["id"].as_str().unwrap().to_owned()),
                    (
                        c["title"].as_str().unwrap().to_owned(),
                        c["provider"].as_str().unwrap().to_owned(),
                        c["hours"].as_u64().unwrap() as u32,
                        c["costCents"].as_u64().unwrap() as u32,
                    ),
                );
            }
        }
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

async fn a_course_is_edited_by_its_owner_or_an_editor_with_if_match_and_its_skill_index_follows(e: &Env) {
    let f = e.family.as_ref();
    let (npo, _) = user(f, &["npo"], "Nadia").await;
    let np = nonprofit(f, &npo, "Bridges to Work").await;
    let course = |title: &str, skills: Value| {
        json!({"title": title, "provider": "Bridges to Work", "url": "https://bridges.example/c",
               "skills": skills, "hours": 12, "costCents": 0, "nonprofitId": np})
    };
    let mut ids = BTreeSet::new();
    for (title, skills) in [("Databases", json!(["PostgreSQL", "MySQL"])), ("Containers", json!(["Docker"]))] {
        let c = f.post("/api/learning/courses", Some(&npo), course(title, skills)).await;
        assert_eq!(c.status, StatusCode::CREATED, "[{}] {:?}", f.name, c.body);
        ids.insert(c.body["course"]["id"].as_str().unwrap().to_owned());
    }
    let first = ids.iter().next().unwrap().clone();
    let path = format!("/api/learning/courses/{first}");
    let edit = |title: &str, skills: Value, hours: u32| {
        json!({"title": title, "provider": "Bridges to Work", "url": "https://bridges.example/c2",
               "skills": skills, "hours": hours, "costCents": 500})
    };
    let body = edit("Databases, the sequel", json!(["postgresql", "Kubernetes"]), 20);

    // If-Match is required and must be current; the body is checked field by field.
    assert_eq!(put_if(f, &path, &npo, body.clone(), None).await.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(put_if(f, &path, &npo, body.clone(), Some("\"7\"")).await.status, StatusCode::PRECONDITION_FAILED);
    let bad = put_if(
        f,
        &path,
        &npo,
        json!({"title": " ", "provider": "B", "skills": ["Dragon taming"], "hours": 0, "costCents": 0}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(fields(&bad), ["title", "url", "skills[0]", "hours"].into_iter().map(str::to_owned).collect());
    // Another non-profit's member may not edit it; a candidate has no such route; nothing there is 404.
    let (other, _) = user(f, &["npo"], "Omar").await;
    assert_eq!(put_if(f, &path, &other, body.clone(), Some("\"1\"")).await.status, StatusCode::FORBIDDEN);
    let (cand, _, _) = candidate(f, "Kim Park").await;
    assert_eq!(put_if(f, &path, &cand, body.clone(), Some("\"1\"")).await.status, StatusCode::FORBIDDEN);
    let nothing = format!("/api/learning/courses/{}", uuid::Uuid::now_v7());
    assert_eq!(put_if(f, &nothing, &npo, body.clone(), Some("\"1\"")).await.status, StatusCode::NOT_FOUND);

    let ok = put_if(f, &path, &npo, body.clone(), Some("\"1\"")).await;
    assert_eq!(ok.status, StatusCode::OK, "[{}] {:?}", f.name, ok.body);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    assert_eq!((&ok.body["skills"], &ok.body["version"]), (&json!(["PostgreSQL", "Kubernetes"]), &json!(2)));
    assert_eq!(ok.body["nonprofitId"], json!(np), "the non-profit stays");
    // The same edit on the old version loses: 412.
    assert_eq!(put_if(f, &path, &npo, body, Some("\"1\"")).await.status, StatusCode::PRECONDITION_FAILED);
    // A platform admin (the content editors) edits anyone's course.
    let (root, _, _) = clearview_tests::api::platform_admin(f, &e.deps).await;
    let by_editor =
        put_if(f, &path, &root, edit("Databases III", json!(["Kubernetes", "Docker"]), 30), Some("\"2\"")).await;
    assert_eq!(by_editor.status, StatusCode::OK, "[{}] {:?}", f.name, by_editor.body);

    // The index by brute force: every skill the courses ever taught, read from the store, equals
    // the index rebuilt from the courses (no entry left behind for MySQL or PostgreSQL, the
    // copied title, hours and cost current).
    let ever: BTreeSet<String> = ["PostgreSQL", "MySQL", "Docker", "Kubernetes"].map(str::to_owned).into();
    let stored = index_of(&e.deps, &ever, &ids).await;
    let rebuilt = expected_index(f, &npo, &ids).await;
    assert_eq!(stored, rebuilt, "[{}]", f.name);
    assert_eq!(stored.len(), 3, "{stored:?}");
    assert_eq!(
        stored[&("docker".to_owned(), first.clone())],
        ("Databases III".to_owned(), "Bridges to Work".to_owned(), 30, 500)
    );
    let by_skill = f.get("/api/learning/courses?skill=MySQL&limit=100", &npo).await;
    assert!(by_skill.body["items"].as_array().unwrap().iter().all(|c| c["id"] != json!(first)), "{:?}", by_skill.body);
}

async fn a_candidate_withdraws_a_pending_mentor_request_but_not_an_answered_one(e: &Env) {
    let f = e.family.as_ref();
    let (mentor, mentor_id) = user(f, &["career_mentor"], "Mei").await;
    let set = f
        .send(Call {
            method: Method::PUT,
            path: "/api/network/mentors/me".into(),
            token: Some(&mentor),
            body: Some(json!({"skills": ["PostgreSQL"], "capacity": 1})),
            headers: vec![],
        })
        .await;
    assert_eq!(set.status, StatusCode::OK, "[{}] {:?}", f.name, set.body);
    let (cand, _) = mysql_candidate(f, "Noor Haddad").await;
    let ask = format!("/api/network/mentors/{mentor_id}/requests");
    let withdraw = format!("/api/network/mentor-requests/{mentor_id}/withdraw");
    assert_eq!(f.post(&withdraw, Some(&cand), json!(null)).await.status, StatusCode::NOT_FOUND, "nothing asked yet");
    let asked = f.post(&ask, Some(&cand), json!({"message": "PostgreSQL please"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    let cand_id = asked.body["candidateId"].as_str().unwrap().to_owned();

    let gone = f.post(&withdraw, Some(&cand), json!(null)).await;
    assert_eq!(gone.status, StatusCode::OK, "[{}] {:?}", f.name, gone.body);
    assert_eq!(gone.body["status"], "withdrawn");
    assert!(gone.body["withdrawnAt"].is_string());
    let again = f.post(&withdraw, Some(&cand), json!(null)).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &gone.body), "withdrawing again changes nothing");
    // The mentor can no longer accept it, and their place was never taken.
    let late = f.post(&format!("/api/network/mentee-requests/{cand_id}/accept"), Some(&mentor), json!(null)).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert!(late.problem_type().ends_with("withdrawn"), "{:?}", late.body);
    let listed = f.get("/api/network/mentee-requests", &mentor).await;
    assert_eq!(listed.body["items"][0]["status"], "withdrawn", "{:?}", listed.body);
    let mine = f.get("/api/network/mentor-requests", &cand).await;
    assert_eq!(mine.body["items"][0]["status"], "withdrawn", "{:?}", mine.body);
    let profile = f
        .send(Call {
            method: Method::PUT,
            path: "/api/network/mentors/me".into(),
            token: Some(&mentor),
            body: Some(json!({"skills": ["PostgreSQL"], "capacity": 1})),
            headers: vec![],
        })
        .await;
    assert_eq!(profile.body["accepted"], 0, "{:?}", profile.body);

    // Asking again makes a new pending request; once accepted it cannot be withdrawn.
    let renewed = f.post(&ask, Some(&cand), json!({})).await;
    assert_eq!((renewed.status, &renewed.body["status"]), (StatusCode::OK, &json!("pending")), "{:?}", renewed.body);
    assert!(renewed.body.get("withdrawnAt").is_none(), "{:?}", renewed.body);
    let ok = f.post(&format!("/api/network/mentee-requests/{cand_id}/accept"), Some(&mentor), json!(null)).await;
    assert_eq!(ok.body["status"], "accepted", "{:?}", ok.body);
    let refused = f.post(&withdraw, Some(&cand), json!(null)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{:?}", refused.body);
    assert!(refused.problem_type().ends_with("not-pending"), "{:?}", refused.body);
    // Another candidate has no request to this mentor: 404; a mentor is no candidate: 403.
    let (other, _, _) = candidate(f, "Kim Park").await;
    assert_eq!(f.post(&withdraw, Some(&other), json!(null)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.post(&withdraw, Some(&mentor), json!(null)).await.status, StatusCode::FORBIDDEN);
}

/// A withdrawal racing the mentor's acceptance: exactly one wins each race, and the mentor's
/// `accepted` counter equals a recount of the accepted requests.
async fn a_withdrawal_racing_an_acceptance_leaves_one_outcome_and_the_count_right(e: &Env) {
    let f = e.family.as_ref();
    let (mentor, mentor_id) = user(f, &["career_mentor"], "Race").await;
    let profile = json!({"skills": ["Python"], "capacity": 10});
    let set = f
        .send(Call {
            method: Method::PUT,
            path: "/api/network/mentors/me".into(),
            token: Some(&mentor),
            body: Some(profile.clone()),
            headers: vec![],
        })
        .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    for i in 0..4 {
        let (cand, _, _) = candidate(f, &format!("Racer {i}")).await;
        let asked = f.post(&format!("/api/network/mentors/{mentor_id}/requests"), Some(&cand), json!({})).await;
        let cand_id = asked.body["candidateId"].as_str().unwrap().to_owned();
        let (fa, fw) = (e.family.clone(), e.family.clone());
        let (m, c) = (mentor.clone(), cand.clone());
        let mid = mentor_id.clone();
        let accept = tokio::spawn(async move {
            fa.post(&format!("/api/network/mentee-requests/{cand_id}/accept"), Some(&m), json!(null)).await
        });
        let withdraw = tokio::spawn(async move {
            fw.post(&format!("/api/network/mentor-requests/{mid}/withdraw"), Some(&c), json!(null)).await
        });
        let (a, w) = (accept.await.unwrap(), withdraw.await.unwrap());
        let won = [a.status == StatusCode::OK, w.status == StatusCode::OK];
        assert_eq!(won.iter().filter(|x| **x).count(), 1, "[{}] {:?} {:?}", f.name, a.body, w.body);
        assert!([a.status, w.status].contains(&StatusCode::CONFLICT));
    }
    let listed = f.get("/api/network/mentee-requests?limit=100", &mentor).await;
    let recount = listed.body["items"].as_array().unwrap().iter().filter(|r| r["status"] == "accepted").count();
    let now = f
        .send(Call {
            method: Method::PUT,
            path: "/api/network/mentors/me".into(),
            token: Some(&mentor),
            body: Some(profile),
            headers: vec![],
        })
        .await;
    assert_eq!(now.body["accepted"], json!(recount), "[{}] {:?}", f.name, listed.body);
}

macro_rules! edits_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn offerings_tagged_with_a_gap_are_recommended_with_the_gap_they_close() {
            super::offerings_tagged_with_a_gap_are_recommended_with_the_gap_they_close(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_course_is_edited_by_its_owner_or_an_editor_with_if_match_and_its_skill_index_follows() {
            super::a_course_is_edited_by_its_owner_or_an_editor_with_if_match_and_its_skill_index_follows(
                &$env().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_withdrawal_racing_an_acceptance_leaves_one_outcome_and_the_count_right() {
            super::a_withdrawal_racing_an_acceptance_leaves_one_outcome_and_the_count_right(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_candidate_withdraws_a_pending_mentor_request_but_not_an_answered_one() {
            super::a_candidate_withdraws_a_pending_mentor_request_but_not_an_answered_one(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_core::ports::crypto::AesGcmSealer;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-learning-edits-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let deps: Deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
        let family = clearview_tests::families::embedded(&local, deps.clone());
        Env { family: Arc::new(family), deps }
    }

    edits_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::crypto::AesGcmSealer;

    async fn env() -> Env {
        let moto = Moto::pick().await;
        let store = Arc::new(moto.store().await);
        let p = clearview_tests::families::moto_pool(moto).await;
        let chain = moto.chain().await;
        let deps = Deps::new(
            store.clone(),
            Arc::new(p.pool.identity),
            Arc::new(moto.mailer().await),
            Arc::new(SystemClock),
            Arc::new(UuidV7),
        )
        .with_blobs(Arc::new(chain.blobs.clone()))
        .with_queues(Arc::new(chain.queues.clone()))
        .with_events(Arc::new(chain.events.clone()))
        .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
        let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
        Env { family: Arc::new(family), deps }
    }

    edits_tests!(env);
}
