//! Candidates, complete, on both adapter families: full profiles, the organisation's candidate
//! list and search (an index kept in the table; blind until revealed), sourced candidates,
//! do-not-hire with a reason, likely duplicates and merges, and removal.

use axum::http::{Method, StatusCode};
use clearview_tests::api::{Admin, Answer, Call, Family, candidate, job_body};
use serde_json::{Value, json};

async fn published_job(f: &Family, admin: &Admin, title: &str) -> String {
    let job = f.post("/api/jobs", Some(&admin.token), job_body(title)).await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Answer {
    let headers = if_match.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default();
    f.send(Call { method: Method::PUT, path: path.into(), token: Some(token), body: Some(body), headers }).await
}

async fn delete(f: &Family, path: &str, token: &str) -> Answer {
    f.send(Call { method: Method::DELETE, path: path.into(), token: Some(token), body: None, headers: vec![] }).await
}

/// A candidate with a profile who applied to `job`: (token, candidate id, application id).
async fn applicant(f: &Family, job: &str, name: &str, profile: Value) -> (String, String, String) {
    let (token, id, _) = candidate(f, name).await;
    let me = f.get(&format!("/api/candidates/{id}"), &token).await;
    let etag = me.header("etag").unwrap().to_owned();
    let mut body = json!({"name": name, "location": "Berlin, Germany"});
    body.as_object_mut().unwrap().extend(profile.as_object().unwrap().clone());
    let saved = put(f, &format!("/api/candidates/{id}"), &token, body, Some(&etag)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    let a = f.post("/api/applications", Some(&token), json!({"jobId": job, "source": "linkedin"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    (token, id, a.body["id"].as_str().unwrap().to_owned())
}

fn ids(page: &Answer) -> Vec<String> {
    page.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{:?}", page.body))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_profile_keeps_the_scopes_fields_and_names_each_bad_field(f: &Family) {
    let (token, id, _) = candidate(f, "Avery Quinn").await;
    let me = f.get(&format!("/api/candidates/{id}"), &token).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["profileConfirmed"], false);
    assert_eq!(me.body["resumes"], json!([]));
    let etag = me.header("etag").unwrap().to_owned();
    let full = json!({
        "name": "Avery Quinn",
        "phone": "+49 30 1234567",
        "location": "Berlin, Germany",
        "linkedinUrl": "https://www.linkedin.com/in/avery-quinn",
        "portfolioUrl": "https://avery.example.org",
        "currentTitle": "Senior Backend Engineer",
        "currentCompany": "Acme Logistics",
        "yearsExperience": 7,
        "salaryExpectation": {"min": 80000, "max": 95000, "currency": "EUR"},
        "availability": "three months' notice",
        "source": "referral",
        "referrer": "a former colleague",
        "skills": [
            {"name": "Rust", "proficiency": "expert", "years": 5},
            {"name": "PostgreSQL", "proficiency": "advanced", "years": 6, "origin": "linkedin"}
        ],
        "education": [{"institution": "TU Berlin", "degree": "M.Sc.", "field": "Computer Science", "endYear": 2016}],
        "experience": [
            {"company": "Acme Logistics", "title": "Senior Backend Engineer", "start": "2021-03", "current": true},
            {"company": "Parcel GmbH", "title": "Backend Engineer", "start": "2016-09", "end": "2021-02"}
        ]
    });
    let saved = put(f, &format!("/api/candidates/{id}"), &token, full.clone(), Some(&etag)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    for field in
        ["linkedinUrl", "currentTitle", "currentCompany", "yearsExperience", "salaryExpectation", "source", "referrer"]
    {
        assert_eq!(saved.body[field], full[field], "{field}");
    }
    assert_eq!(saved.body["profileConfirmed"], true);
    assert_eq!(saved.body["skills"][0]["origin"], "manual");
    assert_eq!(saved.body["skills"][1]["origin"], "linkedin");
    assert_eq!(saved.body["skills"][0]["verified"], false, "no resume shows it yet");
    assert_eq!(saved.body["experience"][1]["end"], "2021-02");
    let etag = saved.header("etag").unwrap().to_owned();

    let mut bad = full.clone();
    bad["linkedinUrl"] = json!("linkedin.com/in/avery");
    bad["experience"][0]["end"] = json!("2024-13");
    bad["skills"][1]["name"] = json!("rust");
    bad["yearsExperience"] = json!(61);
    let refused = put(f, &format!("/api/candidates/{id}"), &token, bad, Some(&etag)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["linkedinUrl", "experience[0].end", "skills[1].name", "yearsExperience"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Nothing of the refused edit was kept.
    let again = f.get(&format!("/api/candidates/{id}"), &token).await;
    assert_eq!(again.body["linkedinUrl"], full["linkedinUrl"]);
    assert_eq!(again.header("etag"), Some(etag.as_str()));
}

async fn staff_list_and_search_stay_blind_until_a_reveal(f: &Family) {
    let admin = f.employer_admin("SearchCo").await;
    let job = published_job(f, &admin, "Backend Engineer").await;
    let (_, rust_dev, rust_app) = applicant(
        f,
        &job,
        "Marisol Okafor",
        json!({"currentTitle": "Backend Engineer", "yearsExperience": 8,
               "skills": [{"name": "Rust"}, {"name": "Machine Learning"}]}),
    )
    .await;
    let (_, go_dev, _) = applicant(
        f,
        &job,
        "Tobias Lindqvist",
        json!({"currentTitle": "Platform Engineer", "yearsExperience": 3, "location": "Stockholm",
               "skills": [{"name": "Go"}]}),
    )
    .await;

    let list = f.get("/api/candidates", &admin.token).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let listed = ids(&list);
    assert!(listed.contains(&rust_dev) && listed.contains(&go_dev), "{listed:?}");
    for c in list.body["items"].as_array().unwrap() {
        assert_eq!(c["blind"], true);
        assert!(c["name"].is_null() && c["email"].is_null() && c["currentCompany"].is_null(), "{c:?}");
        assert_eq!(c["source"], "linkedin");
    }

    let search = |q: &'static str| {
        let token = admin.token.clone();
        async move { f.get(&format!("/api/candidates/search?{q}"), &token).await }
    };
    assert_eq!(ids(&search("q=rust").await), vec![rust_dev.clone()]);
    assert_eq!(ids(&search("q=RUS%20backend").await), vec![rust_dev.clone()], "every word, prefixes");
    assert_eq!(ids(&search("q=machine").await), vec![rust_dev.clone()], "a multi-word skill by its first word");
    assert_eq!(ids(&search("q=stockholm").await), vec![go_dev.clone()]);
    assert_eq!(ids(&search("skill=go").await), vec![go_dev.clone()]);
    assert_eq!(ids(&search("q=engineer&minYears=5").await), vec![rust_dev.clone()]);
    assert_eq!(ids(&search("q=engineer&stage=applied&source=linkedin").await).len(), 2);
    assert!(ids(&search("q=engineer&stage=offer").await).is_empty());
    // Blind: a name is not searchable until the identity is revealed.
    assert!(ids(&search("q=marisol").await).is_empty(), "blind candidates are not found by name");
    let revealed = f
        .post(
            &format!("/api/applications/{rust_app}/reveal"),
            Some(&admin.token),
            json!({"reason": "checking a conflict of interest with a current employee"}),
        )
        .await;
    assert_eq!(revealed.status, StatusCode::OK, "{:?}", revealed.body);
    let found = search("q=marisol").await;
    assert_eq!(ids(&found), vec![rust_dev.clone()]);
    assert_eq!(found.body["items"][0]["name"], "Marisol Okafor");
    assert_eq!(found.body["items"][0]["blind"], false);

    let bad = search("minYears=99&source=fax&jobId=nope").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    // Paging: one at a time, every candidate once.
    let mut seen = Vec::new();
    let mut path = "/api/candidates/search?q=engineer&limit=1".to_owned();
    loop {
        let page = f.get(&path, &admin.token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(ids(&page));
        match page.body["nextCursor"].as_str() {
            Some(c) => path = format!("/api/candidates/search?q=engineer&limit=1&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    let mut both = vec![rust_dev.clone(), go_dev.clone()];
    both.sort();
    assert_eq!(seen, both);

    // Another organisation sees none of it.
    let other = f.employer_admin("Elsewhere").await;
    assert!(ids(&f.get("/api/candidates/search?q=rust", &other.token).await).is_empty());
    assert!(ids(&f.get("/api/candidates", &other.token).await).is_empty());
    assert_eq!(f.get(&format!("/api/candidates/{rust_dev}"), &other.token).await.status, StatusCode::NOT_FOUND);
    // A viewer reads, a candidate does not.
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(f.get("/api/candidates/search?q=rust", &viewer).await.status, StatusCode::OK);
}

async fn a_sourced_candidate_is_added_once_and_only_its_organisation_sees_them(f: &Family) {
    let admin = f.employer_admin("Sourcing").await;
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let body = json!({"email": "dana.referral@mail.example", "name": "Dana Whitfield", "source": "referral",
                      "referrer": "Priya from the platform team", "currentTitle": "Data Engineer",
                      "skills": [{"name": "Python"}, {"name": "dbt"}], "notes": "met at the Berlin job fair"});
    let added = f.post("/api/candidates/sourced", Some(&recruiter), body.clone()).await;
    assert_eq!(added.status, StatusCode::CREATED, "[{}] {:?}", f.name, added.body);
    let id = added.body["id"].as_str().unwrap().to_owned();
    assert_eq!(added.header("location"), Some(format!("/api/candidates/{id}").as_str()));
    assert_eq!((added.body["sourced"].as_bool(), added.body["blind"].as_bool()), (Some(true), Some(false)));
    assert_eq!(added.body["notes"], "met at the Berlin job fair");
    let again = f.post("/api/candidates/sourced", Some(&recruiter), body).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert_eq!(again.problem_type(), "/problems/duplicate-candidate");
    assert!(again.body["detail"].as_str().unwrap().contains(&id));
    let found = f.get("/api/candidates/search?q=dana%20python", &admin.token).await;
    assert_eq!(ids(&found), vec![id.clone()], "staff who added someone know who they are");
    let bad = f.post("/api/candidates/sourced", Some(&recruiter), json!({"email": "x", "name": ""})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let (viewer, _) = f.staff(&admin, "viewer").await;
    let denied =
        f.post("/api/candidates/sourced", Some(&viewer), json!({"email": "v@mail.example", "name": "V"})).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let other = f.employer_admin("NotSourcing").await;
    assert_eq!(f.get(&format!("/api/candidates/{id}"), &other.token).await.status, StatusCode::NOT_FOUND);
}

async fn do_not_hire_needs_a_written_reason_and_shows_its_author(f: &Family) {
    let admin = f.employer_admin("Flags").await;
    let job = published_job(f, &admin, "Support Lead").await;
    let (_, id, app) = applicant(f, &job, "Kit Morales", json!({})).await;
    let path = format!("/api/candidates/{id}/do-not-hire");
    let short = put(f, &path, &admin.token, json!({"doNotHire": true, "reason": "no"}), None).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", short.body);
    assert_eq!(short.body["errors"][0]["field"], "reason");
    let before = f.get(&format!("/api/applications/{app}"), &admin.token).await.body;
    let reason = "falsified references in a 2025 application (case 2025-114)";
    let flagged = put(f, &path, &admin.token, json!({"doNotHire": true, "reason": reason}), None).await;
    assert_eq!(flagged.status, StatusCode::OK, "{:?}", flagged.body);
    assert_eq!(flagged.body["doNotHire"]["reason"], reason);
    assert_eq!(flagged.body["doNotHire"]["by"], admin.user.as_str());
    assert!(flagged.body["doNotHire"]["byEmail"].is_string());
    let read = f.get(&format!("/api/candidates/{id}"), &admin.token).await;
    assert_eq!(read.body["doNotHire"]["reason"], reason);
    // The flag is the organisation's: the candidate never sees it; the application (and its
    // score) is untouched.
    let after = f.get(&format!("/api/applications/{app}"), &admin.token).await.body;
    assert_eq!((before["ai"].clone(), before["version"].clone()), (after["ai"].clone(), after["version"].clone()));
    let (viewer, _) = f.staff(&admin, "viewer").await;
    assert_eq!(
        put(f, &path, &viewer, json!({"doNotHire": false, "reason": "cleared after review"}), None).await.status,
        StatusCode::FORBIDDEN
    );
    let cleared =
        put(f, &path, &admin.token, json!({"doNotHire": false, "reason": "references verified after review"}), None)
            .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert!(cleared.body["doNotHire"].is_null());
    let twice =
        put(f, &path, &admin.token, json!({"doNotHire": false, "reason": "references verified after review"}), None)
            .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

async fn likely_duplicates_are_listed_and_a_merge_leaves_a_pointer(f: &Family) {
    let admin = f.employer_admin("Merges").await;
    let job = published_job(f, &admin, "QA Engineer").await;
    let (_, applied, app) =
        applicant(f, &job, "Jordan Lee", json!({"phone": "+49 30 5550199", "skills": [{"name": "Selenium"}]})).await;
    let sourced = f
        .post(
            "/api/candidates/sourced",
            Some(&admin.token),
            json!({"email": "jordan.lee@other.example", "name": "Jordan  Lée", "location": "Berlin, Germany",
                   "notes": "referred by the QA lead"}),
        )
        .await;
    assert_eq!(sourced.status, StatusCode::CREATED, "{:?}", sourced.body);
    let kept = sourced.body["id"].as_str().unwrap().to_owned();
    let unrelated = f
        .post("/api/candidates/sourced", Some(&admin.token), json!({"email": "sam@x.example", "name": "Sam Ortiz"}))
        .await;
    assert_eq!(unrelated.status, StatusCode::CREATED);

    let dups = f.get(&format!("/api/candidates/{kept}/duplicates"), &admin.token).await;
    assert_eq!(dups.status, StatusCode::OK, "{:?}", dups.body);
    let items = dups.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["candidate"]["id"], applied.as_str());
    assert_eq!(items[0]["reasons"], json!(["similar_name_and_location"]));
    assert_eq!(items[0]["candidate"]["blind"], true, "the applicant stays blind in the duplicates list");

    let merged = f
        .post(
            &format!("/api/candidates/{kept}/merge"),
            Some(&admin.token),
            json!({"candidateId": applied, "note": "same person: a referral who also applied"}),
        )
        .await;
    assert_eq!(merged.status, StatusCode::OK, "[{}] {:?}", f.name, merged.body);
    assert_eq!(merged.body["merged"], json!([applied]));
    let pointer = f.get(&format!("/api/candidates/{applied}"), &admin.token).await;
    assert_eq!(pointer.body["mergedInto"], kept.as_str());
    // The survivor lists the merged record's application; the merged record leaves lists and search.
    let apps = f.get(&format!("/api/candidates/{kept}/applications"), &admin.token).await;
    assert_eq!(apps.status, StatusCode::OK, "{:?}", apps.body);
    assert_eq!(ids(&apps), vec![app.clone()]);
    assert!(!ids(&f.get("/api/candidates?limit=100", &admin.token).await).contains(&applied));
    assert!(ids(&f.get("/api/candidates/search?q=selenium", &admin.token).await).is_empty());
    let again =
        f.post(&format!("/api/candidates/{kept}/merge"), Some(&admin.token), json!({"candidateId": applied})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    let denied = f
        .post(&format!("/api/candidates/{kept}/merge"), Some(&recruiter), json!({"candidateId": unrelated.body["id"]}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "merging is for admins and HR managers");
}

async fn deleting_a_candidate_removes_the_record_and_its_applications(f: &Family) {
    let admin = f.employer_admin("Removals").await;
    let job = published_job(f, &admin, "Designer").await;
    let (token, id, app) = applicant(f, &job, "Noor Haddad", json!({"skills": [{"name": "Figma"}]})).await;
    let (recruiter, _) = f.staff(&admin, "recruiter").await;
    assert_eq!(delete(f, &format!("/api/candidates/{id}"), &recruiter).await.status, StatusCode::FORBIDDEN);
    let gone = delete(f, &format!("/api/candidates/{id}"), &admin.token).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    assert_eq!(f.get(&format!("/api/candidates/{id}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/applications/{app}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert!(ids(&f.get("/api/candidates/search?q=figma", &admin.token).await).is_empty());
    let overview = f.get("/api/pipeline/overview", &admin.token).await;
    let total: i64 = overview.body["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|j| j["stages"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()))
        .sum();
    assert_eq!(total, 0, "the counters follow the removal: {:?}", overview.body);
    // The candidate's own account stays (the organisation removed its record only) …
    assert_eq!(f.get(&format!("/api/candidates/{id}"), &token).await.status, StatusCode::OK);
    // … until they remove themselves.
    let (other_token, other_id, other_app) = applicant(f, &job, "Ilya Petrov", json!({})).await;
    assert_eq!(
        delete(f, &format!("/api/candidates/{other_id}"), &token).await.status,
        StatusCode::NOT_FOUND,
        "not someone else"
    );
    let mine = delete(f, &format!("/api/candidates/{other_id}"), &other_token).await;
    assert_eq!(mine.status, StatusCode::NO_CONTENT, "{:?}", mine.body);
    assert_eq!(f.get(&format!("/api/applications/{other_app}"), &admin.token).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/candidates/{other_id}"), &admin.token).await.status, StatusCode::NOT_FOUND);
}

async fn a_candidate_reads_gaps_and_paths_from_o_net_on_their_own_skills(f: &Family) {
    let (token, id, _) = candidate(f, "Kai Moreno").await;
    let me = f.get(&format!("/api/candidates/{id}"), &token).await;
    let etag = me.header("etag").unwrap().to_owned();
    let profile = json!({
        "name": "Kai Moreno",
        "skills": [{"name": "Microsoft Word"}, {"name": "ms excel"}],
        "experience": [{"company": "Sound Clinic", "title": "Hearing Aid Specialist", "start": "2020-01", "current": true}]
    });
    let saved = put(f, &format!("/api/candidates/{id}"), &token, profile, Some(&etag)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);

    // Worked by hand from O*NET 29.2 (see clearview-screening's careers tests): Hearing Aid
    // Specialists list Excel, Office, Outlook, PowerPoint and Word; Kai has Word and Excel.
    let gaps = f.get("/api/skills/gaps?target=29-2092.00", &token).await;
    assert_eq!(gaps.status, StatusCode::OK, "[{}] {:?}", f.name, gaps.body);
    assert_eq!(gaps.body["occupation"]["title"], "Hearing Aid Specialists");
    assert_eq!(gaps.body["matched"], json!(["Microsoft Excel", "Microsoft Word"]));
    let missing: Vec<&str> =
        gaps.body["gaps"].as_array().unwrap().iter().map(|g| g["skill"].as_str().unwrap()).collect();
    assert_eq!(missing, ["Microsoft Office", "Microsoft Outlook", "Microsoft PowerPoint"]);
    assert!(gaps.body["gaps"][0]["why"].as_str().unwrap().contains("In Demand"), "{:?}", gaps.body);
    // A job title resolves through O*NET's alternate titles.
    let by_title = f.get("/api/skills/gaps?target=Software%20Engineer", &token).await;
    assert_eq!(by_title.body["occupation"]["code"], "15-1252.00", "{:?}", by_title.body);

    // Paths start from the latest job on the profile; each says what Kai still lacks.
    let paths = f.get("/api/careers/paths?limit=3", &token).await;
    assert_eq!(paths.status, StatusCode::OK, "{:?}", paths.body);
    assert_eq!(paths.body["from"]["code"], "29-2092.00");
    let steps = paths.body["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    for s in steps {
        let zone = s["occupation"]["jobZone"].as_u64().unwrap();
        assert!(zone == 3 || zone == 4, "{s}");
        let lack: Vec<&str> = s["youLack"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        assert!(!lack.contains(&"Microsoft Excel") && !lack.contains(&"Microsoft Word"), "{s}");
    }
    // Bad input names the field; staff have no such routes.
    // A well-formed name of no occupation names nothing (404, like an id of nothing).
    let unknown = f.get("/api/skills/gaps?target=Dragon%20tamer", &token).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{:?}", unknown.body);
    let none = f.get("/api/skills/gaps", &token).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    let admin = f.employer_admin("Careers").await;
    assert_eq!(f.get("/api/careers/paths", &admin.token).await.status, StatusCode::FORBIDDEN);
}

macro_rules! talent_tests {
    ($family:path) => {
        #[tokio::test]
        async fn a_profile_keeps_the_scopes_fields_and_names_each_bad_field() {
            super::a_profile_keeps_the_scopes_fields_and_names_each_bad_field(&$family().await).await;
        }
        #[tokio::test]
        async fn staff_list_and_search_stay_blind_until_a_reveal() {
            super::staff_list_and_search_stay_blind_until_a_reveal(&$family().await).await;
        }
        #[tokio::test]
        async fn a_sourced_candidate_is_added_once_and_only_its_organisation_sees_them() {
            super::a_sourced_candidate_is_added_once_and_only_its_organisation_sees_them(&$family().await).await;
        }
        #[tokio::test]
        async fn do_not_hire_needs_a_written_reason_and_shows_its_author() {
            super::do_not_hire_needs_a_written_reason_and_shows_its_author(&$family().await).await;
        }
        #[tokio::test]
        async fn likely_duplicates_are_listed_and_a_merge_leaves_a_pointer() {
            super::likely_duplicates_are_listed_and_a_merge_leaves_a_pointer(&$family().await).await;
        }
        #[tokio::test]
        async fn a_candidate_reads_gaps_and_paths_from_o_net_on_their_own_skills() {
            super::a_candidate_reads_gaps_and_paths_from_o_net_on_their_own_skills(&$family().await).await;
        }
        #[tokio::test]
        async fn deleting_a_candidate_removes_the_record_and_its_applications() {
            super::deleting_a_candidate_removes_the_record_and_its_applications(&$family().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn family() -> Family {
        let dir = std::env::temp_dir().join(format!("clearview-talent-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::open(&dir).expect("local family");
        clearview_tests::families::embedded(&local, local.deps())
    }

    talent_tests!(family);
}

mod aws {
    use super::*;

    async fn family() -> Family {
        clearview_tests::families::moto_family().await
    }

    talent_tests!(family);
}
