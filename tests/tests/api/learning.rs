//! Learning, recommendations and mentors on both adapter families (issue 14): a non-profit's
//! course (skills checked against the vocabulary, material uploaded by presigned PUT), gaps
//! against a job on the board, recommendations that name the gap each course and mentor closes,
//! enrolment counted once, progress only forward, completion adding the skills as learned (not
//! verified), a mentor request accepted, and a mentor's capacity held under parallel acceptances
//! (checked against a recount of the accepted requests).

use axum::http::{Method, StatusCode};
use clearview_core::Deps;
use clearview_tests::api::{Admin, Answer, BoxFut, Call, Family, candidate};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

struct Env {
    family: Arc<Family>,
    /// PUTs a file to an upload URL the API granted.
    upload: Box<dyn Fn(Value, Vec<u8>) -> BoxFut<'static, u16> + Send + Sync>,
}

/// A platform user with `roles`: registers, confirms from the mail, signs in; (token, id).
pub(crate) async fn user(f: &Family, roles: &[&str], first: &str) -> (String, String) {
    let email = format!("{}-{}@learning.example", first.to_lowercase(), uuid::Uuid::new_v4().simple());
    let reg = f
        .post(
            "/api/auth/register",
            None,
            json!({"email": email, "password": "Learn1ng!pw", "firstName": first, "lastName": "Tester", "roles": roles}),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "[{}] register: {:?}", f.name, reg.body);
    let code = (f.code_for)(email.clone()).await;
    let confirmed = f.post("/api/auth/confirm", None, json!({"email": email, "code": code})).await;
    assert_eq!(confirmed.status, StatusCode::NO_CONTENT, "{:?}", confirmed.body);
    let tokens = f.post("/api/auth/login", None, json!({"email": email, "password": "Learn1ng!pw"})).await;
    assert_eq!(tokens.status, StatusCode::OK, "{:?}", tokens.body);
    (tokens.body["idToken"].as_str().unwrap().to_owned(), reg.body["id"].as_str().unwrap().to_owned())
}

pub(crate) async fn put(f: &Family, path: &str, token: &str, body: Value) -> Answer {
    f.send(Call { method: Method::PUT, path: path.into(), token: Some(token), body: Some(body), headers: vec![] }).await
}

pub(crate) fn fields(a: &Answer) -> BTreeSet<String> {
    a.body["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

pub(crate) async fn publish(f: &Family, admin: &Admin, body: Value) -> String {
    let job = f.post("/api/jobs", Some(&admin.token), body).await;
    assert_eq!(job.status, StatusCode::CREATED, "[{}] {:?}", f.name, job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

/// A candidate whose profile lists MySQL: (token, id).
pub(crate) async fn mysql_candidate(f: &Family, name: &str) -> (String, String) {
    let (token, id, _) = candidate(f, name).await;
    let me = f.get(&format!("/api/candidates/{id}"), &token).await;
    let etag = me.header("etag").unwrap().to_owned();
    let saved = f
        .send(Call {
            method: Method::PUT,
            path: format!("/api/candidates/{id}"),
            token: Some(&token),
            body: Some(json!({"name": name, "skills": [{"name": "mysql"}]})),
            headers: vec![("if-match", etag)],
        })
        .await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    (token, id)
}

async fn a_course_closes_a_job_gap_and_its_completion_adds_the_skill_as_learned_and_a_mentor_accepts(e: &Env) {
    let f = e.family.as_ref();
    // A non-profit's member adds a course with a material; the vocabulary checks its skills.
    let (npo, _) = user(f, &["npo"], "Nadia").await;
    let n = f
        .post(
            "/api/nonprofits",
            Some(&npo),
            json!({"name": "Bridges to Work", "description": "Helps people back into work.", "location": "Oakland, CA",
                   "registrationId": "EIN 12-3456789", "services": ["Training"]}),
        )
        .await;
    assert_eq!(n.status, StatusCode::CREATED, "[{}] {:?}", f.name, n.body);
    let nonprofit = n.body["id"].as_str().unwrap().to_owned();
    let course_body = json!({"title": "PostgreSQL for MySQL users", "provider": "Bridges to Work",
        "material": {"fileName": "workbook.pdf", "contentType": "application/pdf"},
        "skills": ["postgresql"], "hours": 12, "costCents": 0, "nonprofitId": nonprofit});
    let bad = f
        .post(
            "/api/learning/courses",
            Some(&npo),
            json!({"title": " ", "provider": "B", "skills": ["Dragon taming"], "hours": 0, "costCents": 0}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(
        fields(&bad),
        ["title", "url", "skills[0]", "hours", "nonprofitId"].into_iter().map(str::to_owned).collect(),
        "[{}] every field named",
        f.name
    );
    let created = f.post("/api/learning/courses", Some(&npo), course_body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    assert_eq!(created.body["course"]["skills"], json!(["PostgreSQL"]), "the vocabulary's name");
    let course = created.body["course"]["id"].as_str().unwrap().to_owned();
    let material = format!("/api/learning/courses/{course}/material");
    let (cand_token, _) = mysql_candidate(f, "Noor Haddad").await;
    assert_eq!(f.get(&material, &npo).await.status, StatusCode::NOT_FOUND, "not uploaded yet");
    assert_eq!((e.upload)(created.body["upload"].clone(), b"%PDF-1.4 workbook".to_vec()).await, 200);
    let link = f.get(&material, &npo).await;
    assert_eq!(link.status, StatusCode::OK, "[{}] {:?}", f.name, link.body);
    assert!(link.body["url"].is_string());
    // Another non-profit's member may not add courses for it; staff have no such route.
    let (other_npo, _) = user(f, &["npo"], "Omar").await;
    let foreign = f.post("/api/learning/courses", Some(&other_npo), course_body).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{:?}", foreign.body);
    let admin = f.employer_admin("Learnco").await;
    assert_eq!(f.get("/api/learning/courses", &admin.token).await.status, StatusCode::FORBIDDEN);

    // A mentor of PostgreSQL with one place.
    let (mentor, mentor_id) = user(f, &["career_mentor"], "Mei").await;
    let profile = put(f, "/api/network/mentors/me", &mentor, json!({"skills": ["PostgreSQL"], "capacity": 1})).await;
    assert_eq!(profile.status, StatusCode::OK, "[{}] {:?}", f.name, profile.body);

    // Gaps against a job on the board: required before preferred, the close skill named.
    let job = publish(
        f,
        &admin,
        json!({"title": "Database Administrator", "jobType": "full-time", "description": "Keep the databases healthy.",
               "location": "Lisbon, Portugal",
               "criteria": {"requiredSkills": ["PostgreSQL", "MySQL"], "preferredSkills": ["Kubernetes"]}}),
    )
    .await;
    let gaps = f.get(&format!("/api/skills/gaps?jobId={job}"), &cand_token).await;
    assert_eq!(gaps.status, StatusCode::OK, "[{}] {:?}", f.name, gaps.body);
    assert_eq!(gaps.body["job"]["id"], json!(job));
    assert_eq!(gaps.body["matched"], json!(["MySQL"]));
    let skills: Vec<&str> =
        gaps.body["gaps"].as_array().unwrap().iter().map(|g| g["skill"].as_str().unwrap()).collect();
    assert_eq!(skills, ["PostgreSQL", "Kubernetes"], "required first");
    let pg = &gaps.body["gaps"][0];
    assert_eq!(pg["requiredByJob"], true);
    assert_eq!(pg["closeTo"], json!(["MySQL"]));
    assert!(pg["why"].as_str().unwrap().starts_with("required by this job"), "{pg}");
    assert!(pg["why"].as_str().unwrap().contains("you have MySQL; PostgreSQL is close"), "{pg}");
    let both = f.get(&format!("/api/skills/gaps?jobId={job}&target=15-1242.00"), &cand_token).await;
    assert_eq!((both.status, fields(&both)), (StatusCode::UNPROCESSABLE_ENTITY, BTreeSet::from(["jobId".to_owned()])));
    let nothing = f.get(&format!("/api/skills/gaps?jobId={}", uuid::Uuid::now_v7()), &cand_token).await;
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);

    // Recommendations: the course and the mentor, each with the gap it closes.
    let rec = f.get(&format!("/api/skills/recommendations?jobId={job}"), &cand_token).await;
    assert_eq!(rec.status, StatusCode::OK, "[{}] {:?}", f.name, rec.body);
    let first = &rec.body["gaps"][0];
    assert_eq!(first["gap"]["skill"], "PostgreSQL");
    assert_eq!(first["courses"][0]["courseId"], json!(course));
    assert_eq!(first["courses"][0]["closes"], "PostgreSQL");
    assert_eq!(first["mentors"][0]["mentorId"], json!(mentor_id));
    assert_eq!(first["mentors"][0]["placesLeft"], 1);
    assert_eq!(rec.body["gaps"][1]["courses"], json!([]), "no course teaches Kubernetes");
    let no_target = f.get("/api/skills/recommendations", &cand_token).await;
    assert_eq!(no_target.status, StatusCode::UNPROCESSABLE_ENTITY, "no target and no goal");
    let by_skill = f.get("/api/learning/courses?skill=postgresql", &cand_token).await;
    assert_eq!(by_skill.body["items"][0]["id"], json!(course), "{:?}", by_skill.body);

    // Enrol (once), progress only forward, completion adds PostgreSQL as learned, not verified.
    let enrol = f.post("/api/learning/enroll", Some(&cand_token), json!({"courseId": course})).await;
    assert_eq!(enrol.status, StatusCode::OK, "[{}] {:?}", f.name, enrol.body);
    assert_eq!(enrol.body["enrolledCount"], 1);
    let again = f.post("/api/learning/enroll", Some(&cand_token), json!({"courseId": course})).await;
    assert_eq!(
        (again.body["enrolledCount"].clone(), again.body["learning"].clone()),
        (json!(1), enrol.body["learning"].clone())
    );
    let step = f.post("/api/learning/progress", Some(&cand_token), json!({"courseId": course, "percent": 40})).await;
    assert_eq!(step.body["percent"], 40, "{:?}", step.body);
    let back = f.post("/api/learning/progress", Some(&cand_token), json!({"courseId": course, "percent": 20})).await;
    assert_eq!(
        (back.status, fields(&back)),
        (StatusCode::UNPROCESSABLE_ENTITY, BTreeSet::from(["percent".to_owned()]))
    );
    let done = f.post("/api/learning/progress", Some(&cand_token), json!({"courseId": course, "percent": 100})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert!(done.body["completedAt"].is_string());
    let skills = f.get("/api/skills", &cand_token).await;
    let learned =
        skills.body["skills"].as_array().unwrap().iter().find(|s| s["name"] == "PostgreSQL").expect("learned");
    assert_eq!((learned["sources"].clone(), learned["verified"].clone()), (json!(["learned"]), json!(false)));
    let mine = f.get("/api/learning/progress", &cand_token).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine.body["items"][0]["percent"], 100);
    let after = f.get(&format!("/api/skills/gaps?jobId={job}"), &cand_token).await;
    assert_eq!(after.body["matched"], json!(["PostgreSQL", "MySQL"]), "{:?}", after.body);
    let unenrolled = f.post("/api/learning/progress", Some(&npo), json!({"courseId": course, "percent": 10})).await;
    assert_eq!(unenrolled.status, StatusCode::FORBIDDEN, "an npo member is no candidate");

    // The mentor request, accepted; the mentor is full and no longer matched.
    let asked = f
        .post(
            &format!("/api/network/mentors/{mentor_id}/requests"),
            Some(&cand_token),
            json!({"message": "Kubernetes next"}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "[{}] {:?}", f.name, asked.body);
    let cand_id = asked.body["candidateId"].as_str().unwrap().to_owned();
    let waiting = f.get("/api/network/mentee-requests", &mentor).await;
    assert_eq!(waiting.body["items"][0]["status"], "pending", "{:?}", waiting.body);
    let (stranger, _) = user(f, &["career_mentor"], "Sam").await;
    let not_theirs =
        f.post(&format!("/api/network/mentee-requests/{cand_id}/accept"), Some(&stranger), json!(null)).await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND, "another mentor's request names nothing");
    let ok = f.post(&format!("/api/network/mentee-requests/{cand_id}/accept"), Some(&mentor), json!(null)).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["status"], "accepted");
    let mine = f.get("/api/network/mentor-requests", &cand_token).await;
    assert_eq!(mine.body["items"][0]["status"], "accepted", "{:?}", mine.body);
    let matched = f.get(&format!("/api/network/mentors?jobId={job}"), &cand_token).await;
    assert_eq!(matched.status, StatusCode::OK, "{:?}", matched.body);
    assert_eq!(matched.body["mentors"], json!([]), "the mentor has no place left");

    // Roadmap feedback: only on a completed goal; the accepted mentor reads it, no other mentor.
    let goal = |skills: Value| json!({"target": "Database Administrators", "skills": skills, "applications": 0});
    let open = f.post("/api/careers/goals", Some(&cand_token), goal(json!(["Kubernetes"]))).await;
    let open = open.body["id"].as_str().unwrap().to_owned();
    let early = f.post(&format!("/api/careers/goals/{open}/feedback"), Some(&cand_token), json!({"rating": 4})).await;
    assert_eq!((early.status, early.problem_type().ends_with("goal-not-complete")), (StatusCode::CONFLICT, true));
    let done = f.post("/api/careers/goals", Some(&cand_token), goal(json!(["PostgreSQL"]))).await;
    assert_eq!(done.body["percent"], 100, "PostgreSQL was learned: {:?}", done.body);
    let done = done.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/careers/goals/{done}/feedback");
    let bad = f.post(&path, Some(&cand_token), json!({"rating": 6})).await;
    assert_eq!(fields(&bad), BTreeSet::from(["rating".to_owned()]));
    let given = f.post(&path, Some(&cand_token), json!({"rating": 5, "comment": "The course was the key."})).await;
    assert_eq!(given.status, StatusCode::OK, "{:?}", given.body);
    let seen = f.get(&format!("/api/network/mentees/{cand_id}/feedback"), &mentor).await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(
        (seen.body["feedback"][0]["rating"].clone(), seen.body["feedback"][0]["comment"].clone()),
        (json!(5), json!("The course was the key."))
    );
    assert_eq!(
        f.get(&format!("/api/network/mentees/{cand_id}/feedback"), &stranger).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn a_mentor_never_accepts_beyond_capacity_under_parallel_acceptances(e: &Env) {
    let f = e.family.as_ref();
    let (mentor, mentor_id) = user(f, &["career_mentor"], "Cap").await;
    let set =
        put(f, "/api/network/mentors/me", &mentor, json!({"skills": ["Python", "Kubernetes"], "capacity": 3})).await;
    assert_eq!(set.status, StatusCode::OK, "[{}] {:?}", f.name, set.body);
    let mut ids = Vec::new();
    for i in 0..8 {
        let (token, _, _) = candidate(f, &format!("Mentee {i}")).await;
        let r = f.post(&format!("/api/network/mentors/{mentor_id}/requests"), Some(&token), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        ids.push(r.body["candidateId"].as_str().unwrap().to_owned());
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|c| {
            let (family, path, mentor) =
                (e.family.clone(), format!("/api/network/mentee-requests/{c}/accept"), mentor.clone());
            tokio::spawn(async move { family.post(&path, Some(&mentor), json!(null)).await })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let accepted = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    let full = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT && a.problem_type().ends_with("mentor-at-capacity"))
        .count();
    assert_eq!((accepted, full), (3, 5), "[{}] {:?}", f.name, answers.iter().map(|a| a.status).collect::<Vec<_>>());
    // The counter agrees with a recount of the requests.
    let listed = f.get("/api/network/mentee-requests?limit=100", &mentor).await;
    let recount = listed.body["items"].as_array().unwrap().iter().filter(|r| r["status"] == "accepted").count();
    assert_eq!(recount, 3);
    // Raising the capacity makes room; declining takes none.
    let raised = put(f, "/api/network/mentors/me", &mentor, json!({"skills": ["Python"], "capacity": 4})).await;
    assert_eq!(raised.body["accepted"], 3, "{:?}", raised.body);
    let refused = &ids[answers.iter().position(|a| a.status == StatusCode::CONFLICT).unwrap()];
    let declined = f.post(&format!("/api/network/mentee-requests/{refused}/decline"), Some(&mentor), json!(null)).await;
    assert_eq!(declined.body["status"], "declined", "{:?}", declined.body);
    let late = f.post(&format!("/api/network/mentee-requests/{refused}/accept"), Some(&mentor), json!(null)).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "answered already");
    let bad = put(f, "/api/network/mentors/me", &mentor, json!({"skills": [], "capacity": 51})).await;
    assert_eq!(fields(&bad), BTreeSet::from(["skills".to_owned(), "capacity".to_owned()]));
}

macro_rules! learning_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_course_closes_a_job_gap_and_its_completion_adds_the_skill_as_learned_and_a_mentor_accepts() {
            super::a_course_closes_a_job_gap_and_its_completion_adds_the_skill_as_learned_and_a_mentor_accepts(
                &$env().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_mentor_never_accepts_beyond_capacity_under_parallel_acceptances() {
            super::a_mentor_never_accepts_beyond_capacity_under_parallel_acceptances(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_core::ports::crypto::AesGcmSealer;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-learning-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let deps: Deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
        let family = clearview_tests::families::embedded(&local, deps.clone());
        let router = family.router.clone();
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> BoxFut<'static, u16> {
            let router = router.clone();
            Box::pin(async move {
                use tower::ServiceExt;
                let url = ticket["url"].as_str().unwrap().to_owned();
                let path = url[url.find("/local-blobs").unwrap()..].to_owned();
                let mut req = axum::http::Request::builder().method("PUT").uri(path);
                for (k, v) in ticket["headers"].as_object().into_iter().flatten() {
                    req = req.header(k.as_str(), v.as_str().unwrap_or(""));
                }
                let res = router.oneshot(req.body(axum::body::Body::from(bytes)).unwrap()).await.unwrap();
                res.status().as_u16()
            })
        });
        Env { family: Arc::new(family), upload }
    }

    learning_tests!(env);
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
        let family = clearview_tests::families::aws(deps, p.verifier, p.jwks);
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> BoxFut<'static, u16> {
            Box::pin(async move {
                let ticket: clearview_core::ports::blobs::UploadTicket = serde_json::from_value(ticket).unwrap();
                clearview_aws::testing::upload(&ticket, bytes).await.0
            })
        });
        Env { family: Arc::new(family), upload }
    }

    learning_tests!(env);
}
