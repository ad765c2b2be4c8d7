//! Career development on both adapter families (issue 14): skills from the resume, the profile
//! and the candidate's own assessment; gaps that name the related skill the candidate has; open
//! jobs ranked by the employers' scorer on the anonymised resume; goals and progress from
//! counters; market insight kept by the `career-market` consumer, suppressed below 5 postings or
//! 3 employers, and checked against a brute-force recount of the postings.

use axum::http::StatusCode;
use clearview_core::Deps;
use clearview_core::ports::queue::{Consumer, WorkQueue};
use clearview_screening::Taxonomy;
use clearview_screening::careers::Occupations;
use clearview_tests::api::{Admin, BoxFut, Family, candidate, fixture};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

struct Env {
    family: Family,
    deps: Deps,
    /// Runs a consumer over its queue until it is empty: how many messages it handled.
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> BoxFut<'static, usize> + Send + Sync>,
    /// PUTs a file to an upload URL the API granted.
    upload: Box<dyn Fn(Value, Vec<u8>) -> BoxFut<'static, u16> + Send + Sync>,
}

impl Env {
    async fn pump(&self, queue: WorkQueue) -> usize {
        let c = clearview_chain::all(&self.deps).into_iter().find(|c| c.queue() == queue).expect("a consumer");
        (self.pump)(c).await
    }
    async fn pump_market(&self) -> usize {
        self.pump(clearview_chain::market::QUEUE).await
    }
}

async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: &str) -> clearview_tests::api::Answer {
    f.send(clearview_tests::api::Call {
        method: axum::http::Method::PUT,
        path: path.into(),
        token: Some(token),
        body: Some(body),
        headers: vec![("if-match", if_match.to_owned())],
    })
    .await
}

async fn publish(f: &Family, admin: &Admin, body: Value) -> String {
    let job = f.post("/api/jobs", Some(&admin.token), body).await;
    assert_eq!(job.status, StatusCode::CREATED, "[{}] {:?}", f.name, job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

fn names(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect()
}

async fn skills_come_from_profile_and_assessment_and_gaps_name_the_close_skill_you_have(e: &Env) {
    let f = &e.family;
    let (token, id, _) = candidate(f, "Noor Haddad").await;
    let me = f.get(&format!("/api/candidates/{id}"), &token).await;
    let etag = me.header("etag").unwrap().to_owned();
    let saved = put(
        f,
        &format!("/api/candidates/{id}"),
        &token,
        json!({"name": "Noor Haddad", "skills": [{"name": "mysql"}]}),
        &etag,
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);

    let assessed = f
        .post("/api/skills/assess", Some(&token), json!({"skill": "python", "proficiency": "intermediate", "years": 3}))
        .await;
    assert_eq!(assessed.status, StatusCode::OK, "[{}] {:?}", f.name, assessed.body);
    let again = f
        .post("/api/skills/assess", Some(&token), json!({"skill": "Python", "proficiency": "advanced", "years": 4}))
        .await;
    assert_eq!(again.status, StatusCode::OK);
    let skills = f.get("/api/skills", &token).await;
    assert_eq!(
        skills.body["skills"],
        json!([
            {"name": "MySQL", "sources": ["profile"], "verified": false, "proficiency": null, "years": null},
            {"name": "Python", "sources": ["assessment"], "verified": false, "proficiency": "advanced", "years": 4},
        ]),
        "[{}] a second assessment replaces the first; names are the taxonomy's",
        f.name
    );

    // Database Administrators (15-1242.00) list MySQL, PostgreSQL and Python; O*NET lists MySQL
    // and PostgreSQL together for many occupations (Jaccard 0.47, related_skills.tsv).
    let gaps = f.get("/api/skills/gaps?target=15-1242.00", &token).await;
    assert_eq!(gaps.status, StatusCode::OK, "{:?}", gaps.body);
    let matched = names(&gaps.body["matched"]);
    assert!(matched.contains(&"MySQL".to_owned()) && matched.contains(&"Python".to_owned()), "{matched:?}");
    let pg = gaps.body["gaps"].as_array().unwrap().iter().find(|g| g["skill"] == "PostgreSQL").expect("a gap");
    assert_eq!(pg["closeTo"], json!(["MySQL"]));
    assert!(pg["why"].as_str().unwrap().contains("you have MySQL; PostgreSQL is close"), "{pg}");

    // Bad input names the field; staff have no such route.
    let bad =
        f.post("/api/skills/assess", Some(&token), json!({"skill": " ", "proficiency": "expert", "years": 61})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: BTreeSet<String> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, BTreeSet::from(["skill".to_owned(), "years".to_owned()]));
    let unknown =
        f.post("/api/skills/assess", Some(&token), json!({"skill": "Go", "proficiency": "guru", "years": 1})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{:?}", unknown.body);
    let admin = f.employer_admin("Skillset").await;
    assert_eq!(f.get("/api/skills", &admin.token).await.status, StatusCode::FORBIDDEN);
}

async fn goal_progress_counts_skills_gained_and_applications_made_since_the_goal(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Goalpost").await;
    let body = |t: &str| {
        json!({"title": t, "jobType": "full-time", "description": "Keep the databases healthy.",
                                "location": "Lisbon, Portugal", "criteria": {"requiredSkills": ["PostgreSQL"]}})
    };
    let before = publish(f, &admin, body("Database Administrator")).await;
    let (token, _, _) = candidate(f, "Ines Duarte").await;
    let early = f.post("/api/applications", Some(&token), json!({"jobId": before})).await;
    assert_eq!(early.status, StatusCode::CREATED, "{:?}", early.body);
    assert!(e.pump_market().await >= 2, "[{}] the posting and the application", f.name);

    let goal = f
        .post(
            "/api/careers/goals",
            Some(&token),
            json!({"target": "Database Administrators", "skills": ["postgresql", "MongoDB"], "applications": 2}),
        )
        .await;
    assert_eq!(goal.status, StatusCode::CREATED, "[{}] {:?}", f.name, goal.body);
    assert_eq!(goal.body["target"]["code"], "15-1242.00");
    assert_eq!(goal.body["skills"]["wanted"], json!(["PostgreSQL", "MongoDB"]));
    assert_eq!(goal.body["applications"], json!({"wanted": 2, "made": 0}), "the earlier application is not counted");
    assert_eq!(goal.body["percent"], 0);

    f.post("/api/skills/assess", Some(&token), json!({"skill": "PostgreSQL", "proficiency": "beginner", "years": 0}))
        .await;
    for t in ["Database Administrator", "Database Architect"] {
        let job = publish(f, &admin, body(t)).await;
        let a = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
        assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    }
    assert!(e.pump_market().await >= 4);
    let p = f.get("/api/careers/progress", &token).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    assert_eq!(p.body["applicationsMade"], 3);
    let g = &p.body["goals"][0];
    assert_eq!(g["skills"]["gained"], json!(["PostgreSQL"]));
    assert_eq!(g["skills"]["remaining"], json!(["MongoDB"]));
    assert_eq!(g["applications"], json!({"wanted": 2, "made": 2}));
    assert_eq!(g["percent"], 75, "3 of 4 milestone steps: {g}");
    let dba = Occupations::global().by_code("15-1242.00").unwrap();
    assert!((g["occupationCoverage"].as_f64().unwrap() - 1.0 / dba.skills.len() as f64).abs() < 0.001, "{g}");

    // Without skills, the milestone is the target's five most useful gaps.
    let default = f.post("/api/careers/goals", Some(&token), json!({"target": "15-1252.00"})).await;
    assert_eq!(default.body["skills"]["wanted"].as_array().map(Vec::len), Some(5), "{:?}", default.body);
    let bad = f.post("/api/careers/goals", Some(&token), json!({"target": "Dragon tamer"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "target", "{:?}", bad.body);
    let many = f.post("/api/careers/goals", Some(&token), json!({"target": "15-1252.00", "applications": 500})).await;
    assert_eq!(many.body["errors"][0]["field"], "applications", "{:?}", many.body);
    // A query naming no occupation names nothing (404), like an id of nothing.
    assert_eq!(f.get("/api/skills/gaps?target=Dragon%20tamer", &token).await.status, StatusCode::NOT_FOUND);
}

async fn matches_rank_the_boards_jobs_by_the_employers_scorer_on_the_latest_resume(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Ledger").await;
    let (token, _, _) = candidate(f, "Sam Okafor").await;
    let none = f.get("/api/jobs/matches", &token).await;
    assert_eq!(none.status, StatusCode::OK, "[{}] {:?}", f.name, none.body);
    assert_eq!((none.body["items"].clone(), none.body["resumeFileId"].clone()), (json!([]), Value::Null));
    assert!(none.body["notice"].as_str().unwrap().contains("no resume of yours has been read yet"));

    let finance = publish(
        f,
        &admin,
        json!({"title": "Financial Analyst", "jobType": "full-time", "description": "Reporting.", "location": "Berlin, Germany",
               "criteria": {"requiredSkills": ["SQL", "Microsoft Excel"], "preferredSkills": ["Power BI"], "minimumExperience": 2}}),
    )
    .await;
    let backend = publish(
        f,
        &admin,
        json!({"title": "Backend Engineer", "jobType": "full-time", "description": "Services.", "location": "Berlin, Germany",
               "criteria": {"requiredSkills": ["Rust", "Kubernetes"], "minimumExperience": 2}}),
    )
    .await;
    let app = f.post("/api/applications", Some(&token), json!({"jobId": finance})).await;
    let app_id = app.body["id"].as_str().unwrap().to_owned();
    let grant = f
        .post(
            &format!("/api/applications/{app_id}/resume-upload-url"),
            Some(&token),
            json!({"contentType": "text/plain", "fileName": "plain_resume.txt"}),
        )
        .await;
    assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
    assert_eq!((e.upload)(grant.body["upload"].clone(), fixture("plain_resume.txt")).await, 200);
    assert!(e.pump(WorkQueue::PARSE).await >= 1, "[{}] parsed", f.name);
    assert!(e.pump(WorkQueue::ANONYMIZE).await >= 1, "[{}] anonymised", f.name);

    let m = f.get("/api/jobs/matches?limit=10", &token).await;
    assert_eq!(m.status, StatusCode::OK, "[{}] {:?}", f.name, m.body);
    assert_eq!(m.body["jobsRead"], 2);
    let items = m.body["items"].as_array().unwrap();
    assert_eq!(items[0]["jobId"], finance.as_str(), "{items:?}");
    assert_eq!(items[1]["jobId"], backend.as_str());
    assert!(items[0]["score"].as_u64() > items[1]["score"].as_u64());
    // plain_resume.txt shows Excel, Power BI, SAP, SQL and QuickBooks.
    let matched: BTreeSet<String> = names(&items[0]["matched"]).into_iter().collect();
    assert_eq!(matched, BTreeSet::from(["SQL".into(), "Microsoft Excel".into(), "Power BI".into()]));
    assert_eq!(items[1]["missingRequired"], json!(["Kubernetes", "Rust"]));
    assert!(items[1]["why"][0].as_str().unwrap().len() > 10, "{:?}", items[1]["why"]);
    // The same scorer the employer's screening uses gives the same overall score.
    assert!(e.pump(WorkQueue::SCORE).await >= 1);
    let scored = f.get(&format!("/api/applications/{app_id}/ai-score"), &admin.token).await;
    assert_eq!(scored.body["score"]["overall"], items[0]["score"], "{:?}", scored.body);
    // One job a page: the bound is the page, and the cursor walks the board.
    let first = f.get("/api/jobs/matches?limit=1", &token).await;
    assert_eq!(first.body["jobsRead"], 1);
    let cursor = first.body["nextCursor"].as_str().expect("a next page").to_owned();
    let second = f.get(&format!("/api/jobs/matches?limit=1&cursor={cursor}"), &token).await;
    assert_eq!(second.body["items"][0]["jobId"], finance.as_str(), "newest first: {:?}", second.body);
}

/// Related-skill partial credit through the whole chain (upload → parse → anonymise → score):
/// two jobs alike but for the switch; the one with it on scores the same resume higher and its
/// explanation names the pair (plain_resume.txt has Excel, not Word; O*NET puts them at 0.90).
async fn related_skill_credit_switched_on_scores_a_related_skill_higher_and_names_the_pair(e: &Env) {
    let f = &e.family;
    let admin = f.employer_admin("Ledger").await;
    let (token, _, _) = candidate(f, "Grace Mwangi").await;
    let criteria = |on: bool| {
        json!({"requiredSkills": ["SQL", "Microsoft Excel", "Microsoft Word"], "minimumExperience": 2,
               "relatedSkillCredit": on})
    };
    let job = |on: bool| {
        json!({"title": "Financial Analyst", "jobType": "full-time", "description": "Reporting.",
               "location": "Nairobi, Kenya", "criteria": criteria(on)})
    };
    let off = publish(f, &admin, job(false)).await;
    let on = publish(f, &admin, job(true)).await;
    let read = f.get(&format!("/api/jobs/{on}"), &admin.token).await;
    assert_eq!(read.body["criteria"]["relatedSkillCredit"], true, "[{}] {:?}", f.name, read.body);
    // Not a boolean: refused naming the field (an unreadable body is a 400, like every body).
    let bad = f
        .post(
            "/api/jobs",
            Some(&admin.token),
            json!({"title": "X", "jobType": "full-time", "criteria": {"relatedSkillCredit": "yes"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "criteria.relatedSkillCredit", "{:?}", bad.body);
    let mut apps = Vec::new();
    for job in [&off, &on] {
        let app = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
        assert_eq!(app.status, StatusCode::CREATED, "{:?}", app.body);
        let app_id = app.body["id"].as_str().unwrap().to_owned();
        let grant = f
            .post(
                &format!("/api/applications/{app_id}/resume-upload-url"),
                Some(&token),
                json!({"contentType": "text/plain", "fileName": "plain_resume.txt"}),
            )
            .await;
        assert_eq!(grant.status, StatusCode::CREATED, "{:?}", grant.body);
        assert_eq!((e.upload)(grant.body["upload"].clone(), fixture("plain_resume.txt")).await, 200);
        apps.push(app_id);
    }
    assert!(e.pump(WorkQueue::PARSE).await >= 2, "[{}] parsed", f.name);
    assert!(e.pump(WorkQueue::ANONYMIZE).await >= 2, "[{}] anonymised", f.name);
    assert!(e.pump(WorkQueue::SCORE).await >= 2, "[{}] scored", f.name);
    let admin_token = admin.token.as_str();
    let score = |app: String| async move {
        let s = f.get(&format!("/api/applications/{app}/ai-score"), admin_token).await;
        assert_eq!(s.status, StatusCode::OK, "[{}] {:?}", f.name, s.body);
        s.body["score"].clone()
    };
    let (without, with) = (score(apps[0].clone()).await, score(apps[1].clone()).await);
    // Off: 2 of 3 required skills → 67. On: Word is 0.90 close to Excel → 0.45 credit;
    // (2 + 0.45) / 3 → 82.
    assert_eq!(without["subScores"]["skills"], 67, "{without:?}");
    assert_eq!(with["subScores"]["skills"], 82, "{with:?}");
    assert!(with["overall"].as_u64() > without["overall"].as_u64());
    assert!(without["explanation"]["skills"].get("relatedCredit").is_none(), "{without:?}");
    let credit = &with["explanation"]["skills"]["relatedCredit"];
    assert_eq!(credit.as_array().map(Vec::len), Some(1), "{credit:?}");
    assert_eq!((&credit[0]["skill"], &credit[0]["related"]), (&json!("Microsoft Word"), &json!("Microsoft Excel")));
    assert_eq!((&credit[0]["kind"], &credit[0]["credit"]), (&json!("required"), &json!(0.45)));
    let why = credit[0]["reasoning"].as_str().unwrap();
    assert!(why.contains("you have Microsoft Excel; Microsoft Word is close"), "{why}");
    // Still listed as missing: the credit says how much the related skill earned.
    assert_eq!(with["explanation"]["skills"]["requiredMissing"], json!(["Microsoft Word"]));
}

/// The demand cells of a set of postings, counted the slow way: (dimension, value) →
/// (postings, employers).
fn recount(jobs: &[(String, Value)]) -> BTreeMap<(String, String), (i64, BTreeSet<String>)> {
    let tax = Taxonomy::global();
    let mut cells: BTreeMap<(String, String), (i64, BTreeSet<String>)> = BTreeMap::new();
    for (org, j) in jobs {
        let mut skills: Vec<String> = Vec::new();
        for s in j["criteria"]["requiredSkills"]
            .as_array()
            .unwrap()
            .iter()
            .chain(j["criteria"]["preferredSkills"].as_array().unwrap())
        {
            let s = s.as_str().unwrap();
            let c = tax.canonical_name(s).unwrap_or(s).to_owned();
            if !skills.contains(&c) {
                skills.push(c);
            }
        }
        let mut keys: Vec<(String, String)> = skills.into_iter().map(|s| ("skill".into(), s)).collect();
        if let Some(o) = Occupations::global().resolve(j["title"].as_str().unwrap()) {
            keys.push(("occupation".into(), o.code.clone()));
        }
        keys.push(("location".into(), j["location"].as_str().unwrap().to_owned()));
        for k in keys {
            let c = cells.entry(k).or_default();
            c.0 += 1;
            c.1.insert(org.clone());
        }
    }
    cells
}

async fn market_cells_under_five_postings_or_three_employers_are_suppressed_and_match_a_recount(e: &Env) {
    let f = &e.family;
    let employers = [f.employer_admin("Alpha").await, f.employer_admin("Beta").await, f.employer_admin("Gamma").await];
    // Alpha posts three jobs, Beta and Gamma one each: Software Developers in Berlin have 5
    // postings from 3 employers (shown); Kubernetes only Alpha's 3 (suppressed); Munich 1.
    let posting = |loc: &str, extra: &str, lo: u32, hi: u32| {
        json!({"title": "Software Developer", "jobType": "full-time", "description": "Build the product.",
               "location": loc, "salaryMin": lo, "salaryMax": hi, "salaryCurrency": "EUR",
               "criteria": {"requiredSkills": ["Docker"], "preferredSkills": [extra]}})
    };
    let plan = [
        (0, posting("Berlin, Germany", "Kubernetes", 60000, 80000)),
        (0, posting("Berlin, Germany", "Kubernetes", 62000, 82000)),
        (0, posting("Munich, Germany", "Kubernetes", 64000, 84000)),
        (1, posting("Berlin, Germany", "Rust", 66000, 86000)),
        (2, posting("Berlin, Germany", "Rust", 68000, 88000)),
    ];
    let mut posted: Vec<(String, Value)> = Vec::new();
    let mut ids = Vec::new();
    for (who, body) in &plan {
        ids.push(publish(f, &employers[*who], body.clone()).await);
        posted.push((employers[*who].org.clone(), body.clone()));
    }
    let (token, _, _) = candidate(f, "Mira Lind").await;
    for id in &ids[..2] {
        assert_eq!(f.post("/api/applications", Some(&token), json!({"jobId": id})).await.status, StatusCode::CREATED);
    }
    // Paused and published again, a job is not counted twice.
    let a0 = &employers[0].token;
    f.post(&format!("/api/jobs/{}/pause", ids[0]), Some(a0), json!(null)).await;
    assert_eq!(f.post(&format!("/api/jobs/{}/publish", ids[0]), Some(a0), json!(null)).await.status, StatusCode::OK);
    assert_eq!(e.pump_market().await, 8, "[{}] six publications and two applications", f.name);

    let expected = recount(&posted);
    for dim in ["skill", "occupation", "location"] {
        let d = f.get(&format!("/api/market/demand?dimension={dim}"), &token).await;
        assert_eq!(d.status, StatusCode::OK, "[{}] {:?}", f.name, d.body);
        let want: Vec<(String, i64, usize)> = expected
            .iter()
            .filter(|((d, _), (p, o))| d == dim && *p >= 5 && o.len() >= 3)
            .map(|((_, v), (p, o))| (v.clone(), *p, o.len()))
            .collect();
        let got: Vec<(String, i64, usize)> = d.body["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["value"].as_str().unwrap().to_owned(),
                    c["postings"].as_i64().unwrap(),
                    c["employers"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(got, want, "[{}] {dim}", f.name);
        let hidden = expected.keys().filter(|(d, _)| d == dim).count() - want.len();
        assert_eq!(d.body["suppressed"], hidden, "{dim}: {:?}", d.body);
    }
    // By hand: Docker and Software Developers are shown (5 postings, 3 employers), with the two
    // applications; Kubernetes (3 postings, 1 employer), Rust (2, 2) and Munich (1, 1) are not.
    let occ = f.get("/api/market/demand?dimension=occupation", &token).await;
    assert_eq!(occ.body["cells"][0]["value"], "15-1252.00");
    assert_eq!(occ.body["cells"][0]["title"], "Software Developers");
    assert_eq!(occ.body["cells"][0]["applications"], 2);
    let skills = f.get("/api/market/demand?dimension=skill", &employers[1].token).await;
    assert_eq!(skills.status, StatusCode::OK, "staff read it too");
    assert_eq!(skills.body["cells"].as_array().unwrap().len(), 1);
    assert_eq!(skills.body["suppressed"], 2);

    // Salaries: all five postings in EUR (shown, means of the lows and highs); Berlin has 4
    // postings (suppressed), Munich 1.
    let s = f.get("/api/market/salaries?occupation=Software%20Developer", &token).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(
        s.body["cells"],
        json!([{"location": "All locations", "currency": "EUR", "postings": 5, "employers": 3,
                "averageMin": 64000, "averageMax": 84000}])
    );
    assert_eq!(s.body["suppressed"], 2);

    let t = f.get("/api/market/trends?dimension=skill&value=docker&months=2", &token).await;
    assert_eq!(t.status, StatusCode::OK, "{:?}", t.body);
    assert_eq!(t.body["value"], "Docker");
    assert_eq!(t.body["months"][0]["suppressed"], true, "nothing last month");
    assert_eq!(t.body["months"][1]["postings"], 5);
    let k = f.get("/api/market/trends?dimension=skill&value=Kubernetes&months=1", &token).await;
    assert_eq!(
        k.body["months"][0],
        json!({"month": k.body["months"][0]["month"], "suppressed": true, "postings": null,
        "employers": null, "applications": null, "postingsChangePercent": null})
    );

    // Gaps weigh in this month's postings where the cell is shown: Software Developers list
    // Docker and Kubernetes (both Hot and In Demand); Docker's 5 postings put it first.
    let gaps = f.get("/api/skills/gaps?target=15-1252.00", &token).await;
    let gap = |name: &str| gaps.body["gaps"].as_array().unwrap().iter().find(|g| g["skill"] == name).cloned().unwrap();
    assert_eq!(gaps.body["gaps"][0]["skill"], "Docker", "{:?}", gaps.body["gaps"][0]);
    assert_eq!(gap("Docker")["platformPostings"], 5);
    assert!(gap("Docker")["why"].as_str().unwrap().contains("listed in 5 postings on ClearView this month"));
    assert_eq!(gap("Kubernetes")["platformPostings"], Value::Null, "suppressed");

    let bad = f.get("/api/market/demand?dimension=planet&month=2026-13", &token).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: BTreeSet<String> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert_eq!(fields, BTreeSet::from(["dimension".to_owned(), "month".to_owned()]));
    assert_eq!(f.get("/api/market/salaries?occupation=Dragon%20tamer", &token).await.status, StatusCode::NOT_FOUND);
}

macro_rules! career_tests {
    ($env:path) => {
        #[tokio::test]
        async fn skills_come_from_profile_and_assessment_and_gaps_name_the_close_skill_you_have() {
            super::skills_come_from_profile_and_assessment_and_gaps_name_the_close_skill_you_have(&$env().await).await;
        }
        #[tokio::test]
        async fn goal_progress_counts_skills_gained_and_applications_made_since_the_goal() {
            super::goal_progress_counts_skills_gained_and_applications_made_since_the_goal(&$env().await).await;
        }
        #[tokio::test]
        async fn matches_rank_the_boards_jobs_by_the_employers_scorer_on_the_latest_resume() {
            super::matches_rank_the_boards_jobs_by_the_employers_scorer_on_the_latest_resume(&$env().await).await;
        }
        #[tokio::test]
        async fn related_skill_credit_switched_on_scores_a_related_skill_higher_and_names_the_pair() {
            super::related_skill_credit_switched_on_scores_a_related_skill_higher_and_names_the_pair(&$env().await)
                .await;
        }
        #[tokio::test]
        async fn market_cells_under_five_postings_or_three_employers_are_suppressed_and_match_a_recount() {
            super::market_cells_under_five_postings_or_three_employers_are_suppressed_and_match_a_recount(
                &$env().await,
            )
            .await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_core::ports::crypto::AesGcmSealer;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-careers-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let deps = local.deps().with_sealer(Arc::new(AesGcmSealer::new("test", &[5u8; 32])));
        let family = clearview_tests::families::embedded(&local, deps.clone());
        let queues = local.queues.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let queues = queues.clone();
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
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
        Env { family, deps, pump, upload }
    }

    career_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use clearview_core::ports::crypto::AesGcmSealer;
    use std::time::Duration;

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
        .with_malware(Arc::new(chain.malware()))
        .with_queues(Arc::new(chain.queues.clone()))
        .with_events(Arc::new(chain.events.clone()))
        .with_sealer(Arc::new(AesGcmSealer::new("test", &[7u8; 32])));
        let family = clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks);
        let pump_chain = chain.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let chain = pump_chain.clone();
            Box::pin(
                async move { clearview_tests::pump::moto(&chain, consumer.as_ref(), Duration::from_secs(2)).await },
            )
        });
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> BoxFut<'static, u16> {
            Box::pin(async move {
                let ticket: clearview_core::ports::blobs::UploadTicket = serde_json::from_value(ticket).unwrap();
                clearview_aws::testing::upload(&ticket, bytes).await.0
            })
        });
        Env { family, deps, pump, upload }
    }

    career_tests!(env);
}
