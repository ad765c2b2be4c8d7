//! Platform users, non-profits and community leaders (issue 13) at the API level, the same on
//! both adapter families: registration with several roles, the own profile with sealed fields,
//! a non-profit's members and offerings, the platform manager completing onboarding and
//! assigning a leader (welcome mail, introductory and monthly RRULE invites, meetings),
//! enrolment counted once, and 50 onboardings at once spread round-robin under the cap with a
//! FIFO wait line that freed room and a raised cap serve.

use axum::http::{Method, StatusCode};
use clearview_chain::platform::PlatformManagerConsumer;
use clearview_core::Deps;
use clearview_core::ports::mail::OutgoingEmail;
use clearview_core::ports::queue::Consumer;
use clearview_core::ports::store::Query;
use clearview_core::services::communities::{self, Placed};
use clearview_core::values::UserId;
use clearview_tests::api::{Answer, BoxFut, Call, Family};
use clearview_tests::mail::Recording;
use icalendar::{Calendar, Component};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub struct Env {
    family: Arc<Family>,
    deps: Deps,
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> BoxFut<'static, usize> + Send + Sync>,
    sent: Arc<Recording>,
}

impl Env {
    /// Runs the platform manager until its queue stays empty (the events it publishes come
    /// back to it through the topic).
    async fn pump_manager(&self) -> usize {
        let mut total = 0;
        loop {
            let n = (self.pump)(Arc::new(PlatformManagerConsumer(self.deps.clone()))).await;
            if n == 0 {
                return total;
            }
            total += n;
        }
    }
}

async fn user(f: &Family, roles: &[&str], first: &str, expertise: &[&str]) -> (String, String, String) {
    clearview_tests::api::platform_user(f, roles, first, expertise).await
}

async fn platform_admin(e: &Env) -> (String, String, String) {
    clearview_tests::api::platform_admin(e.family.as_ref(), &e.deps).await
}

async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: Option<&str>) -> Answer {
    f.send(Call {
        method: Method::PUT,
        path: path.into(),
        token: Some(token),
        body: Some(body),
        headers: if_match.map(|m| vec![("if-match", m.to_owned())]).unwrap_or_default(),
    })
    .await
}

fn nonprofit_body(name: &str, services: &[&str]) -> Value {
    json!({"name": name, "description": "Helps people back into work.", "location": "Oakland, CA",
           "registrationId": "EIN 12-3456789", "services": services, "expertise": ["Career coaching"]})
}

fn offering_body(title: &str) -> Value {
    json!({"title": title, "description": "One-to-one resume reviews.", "category": "resume_writing",
           "details": {"format": "online", "bookingUrl": "https://bridges.example/book", "sessionMinutes": 45},
           "links": ["https://bridges.example/resumes"]})
}

async fn community(f: &Family, admin: &str, tags: &[&str]) -> String {
    let c = f
        .post(
            "/api/communities",
            Some(admin),
            json!({"name": "Workforce readiness", "description": "Getting hired.", "tags": tags}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "[{}] {:?}", f.name, c.body);
    c.body["id"].as_str().unwrap().to_owned()
}

fn ics_of(m: &OutgoingEmail) -> (String, Calendar) {
    let part = m.calendar.as_ref().unwrap_or_else(|| panic!("no calendar part in {:?}", m.subject));
    (part.method.clone(), part.ics.parse().expect("the invite parses"))
}

async fn a_nonprofit_signs_up_creates_an_offering_gets_a_leader_with_welcome_and_invites_and_a_candidate_enrols(
    e: &Env,
) {
    let f = e.family.as_ref();
    let (admin, _, admin_email) = platform_admin(e).await;
    let (lena, leader, leader_email) =
        user(f, &["community_leader", "career_mentor"], "Lena", &["Career coaching"]).await;
    let (npo, npo_id, npo_email) = user(f, &["npo"], "Nia", &[]).await;
    let (npo2, _, npo2_email) = user(f, &["npo"], "Omar", &[]).await;
    let (cand, cand_id, cand_email) = user(f, &["candidate", "career_mentor"], "Sam", &[]).await;

    // Platform admins are made by one: registering as one is refused, naming the field.
    let bad = f
        .post(
            "/api/auth/register",
            None,
            json!({"email": "x@platform.example", "password": "Platf0rm!pw",
              "firstName": "X", "lastName": "Y", "roles": ["platform_admin"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "roles[0]", "{:?}", bad.body);
    // A platform admin gives a platform user another platform role; nobody else may, and staff
    // roles are not theirs to give.
    let (_, ivo, _) = user(f, &["candidate"], "Ivo", &[]).await;
    let grant = |role: &str| json!({"role": role});
    let by_npo = f.post(&format!("/api/users/{ivo}/roles"), Some(&npo), grant("career_mentor")).await;
    assert_eq!(by_npo.status, StatusCode::FORBIDDEN, "{:?}", by_npo.body);
    let staff_role = f.post(&format!("/api/users/{ivo}/roles"), Some(&admin), grant("recruiter")).await;
    assert_eq!(staff_role.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", staff_role.body);
    let granted = f.post(&format!("/api/users/{ivo}/roles"), Some(&admin), grant("career_mentor")).await;
    assert_eq!(granted.status, StatusCode::OK, "[{}] {:?}", f.name, granted.body);
    assert_eq!(granted.body["roles"], json!(["candidate", "career_mentor"]), "{:?}", granted.body);
    // Several roles ride in one token: the candidate-and-mentor is a candidate on candidate routes.
    let me = f.get("/api/users/me/profile", &cand).await;
    assert_eq!(me.status, StatusCode::OK, "[{}] {:?}", f.name, me.body);
    assert_eq!(me.body["roles"], json!(["candidate", "career_mentor"]));
    assert_eq!(f.get(&format!("/api/candidates/{cand_id}"), &cand).await.status, StatusCode::OK);

    // The own profile: sensitive fields sealed at rest, shown only to their owner.
    let profile = f.get("/api/users/me/profile", &npo).await;
    let etag = profile.header("etag").unwrap().to_owned();
    let body = json!({"firstName": "Nia", "lastName": "Adeyemi", "dateOfBirth": "1990-04-01",
                      "address": "12 Main Street, Oakland", "gender": "woman", "expertise": ["Housing"]});
    let stale = put(f, "/api/users/me/profile", &npo, body.clone(), None).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_REQUIRED, "{:?}", stale.body);
    let saved = put(f, "/api/users/me/profile", &npo, body, Some(&etag)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    assert_eq!(saved.body["address"], "12 Main Street, Oakland");
    let raw =
        f.store.get(&clearview_core::keys::platform_user(&UserId::trusted(npo_id.clone()))).await.unwrap().unwrap();
    let raw = raw.data.to_string();
    assert!(!raw.contains("Main Street") && !raw.contains("1990-04-01") && !raw.contains("woman"), "{raw}");
    assert_eq!(f.get("/api/users/me/profile", &npo).await.body["dateOfBirth"], "1990-04-01");
    // Weekly availability, each in their own time zone (zones without daylight saving, so the
    // UTC overlap is fixed): Nia 19:00-21:00 Kolkata (13:30-15:30 UTC), Lena 22:00-24:00 Tokyo
    // (13:00-15:00 UTC). The introductory meeting is found in the overlap, 13:30-15:00 UTC.
    let every_day = |start: &str, end: &str| -> Value {
        json!(
            ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .map(|d| json!({"day": d, "start": start, "end": end}))
                .collect::<Vec<_>>()
        )
    };
    let v = f.get("/api/users/me/profile", &npo).await.header("etag").unwrap().to_owned();
    let nia = json!({"firstName": "Nia", "lastName": "Adeyemi", "dateOfBirth": "1990-04-01",
                     "address": "12 Main Street, Oakland", "gender": "woman", "expertise": ["Housing"],
                     "availability": {"timeZone": "Asia/Kolkata", "windows": every_day("19:00", "21:00")}});
    let mut bad = nia.clone();
    bad["availability"]["timeZone"] = json!("Mars/Olympus");
    bad["availability"]["windows"][1]["end"] = json!("18:00");
    let refused = put(f, "/api/users/me/profile", &npo, bad, Some(&v)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "availability.timeZone", "{:?}", refused.body);
    assert_eq!(refused.body["errors"][1]["field"], "availability.windows[1].end", "{:?}", refused.body);
    let saved = put(f, "/api/users/me/profile", &npo, nia, Some(&v)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    assert_eq!(saved.body["availability"]["timeZone"], "Asia/Kolkata");
    let v = f.get("/api/users/me/profile", &lena).await.header("etag").unwrap().to_owned();
    let lena_profile = json!({"firstName": "Lena", "lastName": "Tester", "expertise": ["Career coaching"],
                              "availability": {"timeZone": "Asia/Tokyo", "windows": every_day("22:00", "24:00")}});
    let saved = put(f, "/api/users/me/profile", &lena, lena_profile, Some(&v)).await;
    assert_eq!(saved.status, StatusCode::OK, "[{}] {:?}", f.name, saved.body);
    let bad_date = put(
        f,
        "/api/users/me/profile",
        &npo,
        json!({"firstName": "N", "lastName": "A", "dateOfBirth": "1990-13-40"}),
        Some("\"2\""),
    )
    .await;
    assert_eq!(bad_date.body["errors"][0]["field"], "dateOfBirth", "{:?}", bad_date.body);

    // Communities are the platform admins': a leader joins by expertise.
    let refused = f.post("/api/communities", Some(&npo), json!({"name": "x", "description": "y", "tags": ["a"]})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let cid = community(f, &admin, &["Career coaching", "Resume writing"]).await;
    let (_, housing_only, _) = user(f, &["community_leader"], "Hal", &["Housing"]).await;
    let mismatch =
        f.post(&format!("/api/communities/{cid}/leaders"), Some(&admin), json!({"userId": housing_only})).await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", mismatch.body);
    assert_eq!(mismatch.body["errors"][0]["field"], "userId");
    let not_leader = f.post(&format!("/api/communities/{cid}/leaders"), Some(&admin), json!({"userId": npo_id})).await;
    assert_eq!(not_leader.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", not_leader.body);
    let added = f.post(&format!("/api/communities/{cid}/leaders"), Some(&admin), json!({"userId": leader})).await;
    assert_eq!(added.status, StatusCode::OK, "[{}] {:?}", f.name, added.body);
    assert_eq!(added.body["leaders"][0]["id"], leader.as_str());

    // Only npo users create non-profits; the creator adds npo members; only members edit.
    let not_npo = f.post("/api/nonprofits", Some(&cand), nonprofit_body("Nope", &["Resume writing"])).await;
    assert_eq!(not_npo.status, StatusCode::FORBIDDEN);
    let created = f.post("/api/nonprofits", Some(&npo), nonprofit_body("Bridges to Work", &["Resume writing"])).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    assert_eq!(created.body["status"], "PENDING");
    let np = created.body["id"].as_str().unwrap().to_owned();
    let no_npo_role = f.post(&format!("/api/nonprofits/{np}/members"), Some(&npo), json!({"email": cand_email})).await;
    assert_eq!(no_npo_role.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", no_npo_role.body);
    let member = f.post(&format!("/api/nonprofits/{np}/members"), Some(&npo), json!({"email": npo2_email})).await;
    assert_eq!(member.status, StatusCode::OK, "[{}] {:?}", f.name, member.body);
    assert_eq!(member.body["members"].as_array().unwrap().len(), 2);
    let (outsider, _, _) = user(f, &["npo"], "Otto", &[]).await;
    let not_member =
        put(f, &format!("/api/nonprofits/{np}"), &outsider, nonprofit_body("Mine", &["x"]), Some("\"2\"")).await;
    assert_eq!(not_member.status, StatusCode::FORBIDDEN);
    let edited = put(
        f,
        &format!("/api/nonprofits/{np}"),
        &npo2,
        nonprofit_body("Bridges to Work", &["Resume writing", "Interview prep"]),
        Some("\"2\""),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "[{}] {:?}", f.name, edited.body);
    assert_eq!(f.get(&format!("/api/nonprofits/{}", uuid::Uuid::now_v7()), &npo).await.status, StatusCode::NOT_FOUND);

    // An offering's document depends on its category: coaching needs a booking URL.
    let mut missing = offering_body("Resume clinic");
    missing["details"].as_object_mut().unwrap().remove("bookingUrl");
    let refused = f.post(&format!("/api/nonprofits/{np}/offerings"), Some(&npo), missing).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "details.bookingUrl");
    let by_outsider = f.post(&format!("/api/nonprofits/{np}/offerings"), Some(&outsider), offering_body("x")).await;
    assert_eq!(by_outsider.status, StatusCode::FORBIDDEN);
    let offering = f.post(&format!("/api/nonprofits/{np}/offerings"), Some(&npo), offering_body("Resume clinic")).await;
    assert_eq!(offering.status, StatusCode::CREATED, "[{}] {:?}", f.name, offering.body);
    let off = offering.body["id"].as_str().unwrap().to_owned();
    let listed = f.get(&format!("/api/nonprofits/{np}/offerings"), &npo).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let titles: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().filter_map(|o| o["title"].as_str()).collect();
    assert_eq!(titles, ["Resume clinic"], "{:?}", listed.body);
    // A downloadable resource: its record, a presigned PUT for the file, then a presigned GET.
    let res = f
        .post(
            &format!("/api/nonprofits/{np}/offerings/{off}/resources"),
            Some(&npo),
            json!({"fileName": "checklist.pdf", "contentType": "application/pdf"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "[{}] {:?}", f.name, res.body);
    let rid = res.body["resource"]["id"].as_str().unwrap().to_owned();
    let early = f.get(&format!("/api/offerings/{off}/resources/{rid}"), &cand).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND, "not uploaded yet: {:?}", early.body);
    let ticket: clearview_core::ports::blobs::UploadTicket =
        serde_json::from_value(res.body["upload"].clone()).unwrap();
    let pdf = clearview_tests::api::fixture("wp_resume.pdf");
    match ticket.url.find("/local-blobs") {
        Some(at) => assert_eq!(f.put_bytes(&ticket.url[at..], "application/pdf", pdf).await, StatusCode::OK),
        None => assert_eq!(clearview_aws::testing::upload(&ticket, pdf).await.0, 200),
    }
    let dl = f.get(&format!("/api/offerings/{off}/resources/{rid}"), &cand).await;
    assert_eq!(dl.status, StatusCode::OK, "[{}] {:?}", f.name, dl.body);
    assert!(dl.body["url"].as_str().is_some_and(|u| !u.is_empty()));

    // The platform manager completes the onboarding and assigns the leader; its event mails.
    assert_eq!(e.pump_manager().await, 2, "[{}] offering.created, then nonprofit.leader_assigned", f.name);
    let n = f.get(&format!("/api/nonprofits/{np}"), &npo).await.body;
    assert_eq!(n["status"], "COMPLETE", "{n:?}");
    assert_eq!(n["communityId"], cid.as_str());
    assert_eq!(n["leader"]["id"], leader.as_str());
    for (email, leader_side) in [(&npo_email, false), (&npo2_email, false), (&leader_email, true)] {
        let mails = e.sent.to(email);
        assert_eq!(mails.len(), 2, "[{}] {email}: {:?}", f.name, mails.iter().map(|m| &m.subject).collect::<Vec<_>>());
        let welcome = &mails[0];
        if leader_side {
            assert!(welcome.subject.contains("community leader of Bridges to Work"), "{}", welcome.subject);
        } else {
            assert!(welcome.subject.contains("meet your community leader Lena Tester"), "{}", welcome.subject);
            assert!(welcome.text_body.contains(&leader_email), "{}", welcome.text_body);
        }
        let (method, cal) = ics_of(welcome);
        assert_eq!(method, "REQUEST");
        let ev = cal.events().next().unwrap();
        assert!(ev.property_value("RRULE").is_none());
        let start = ev.property_value("DTSTART").unwrap_or_default();
        let day = time::Date::parse(&start[..8], time::macros::format_description!("[year][month][day]")).unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        assert!(
            ["T133000Z", "T134500Z", "T140000Z", "T141500Z", "T143000Z"].iter().any(|t| start.ends_with(t))
                && day > today
                && day <= today + time::Duration::days(2),
            "[{}] the first 30 minutes both can make, a day on: {start}",
            f.name
        );
        let (_, monthly) = ics_of(&mails[1]);
        assert_eq!(monthly.events().next().unwrap().property_value("RRULE"), Some("FREQ=MONTHLY;BYDAY=1TU"));
    }
    let meetings = f.get("/api/meetings", &npo).await;
    assert_eq!(meetings.status, StatusCode::OK, "{:?}", meetings.body);
    let items = meetings.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().any(|m| m["kind"] == "introduction" && m["organizer"]["id"] == leader.as_str()));
    assert!(items.iter().any(|m| m["kind"] == "community" && m["rrule"] == "FREQ=MONTHLY;BYDAY=1TU"));
    assert_eq!(f.get("/api/meetings", &admin).await.body["items"], json!([]));

    // The leader sends role-based training to the non-profit's members; nobody else may.
    let training = json!({"role": "Non-profit admins", "subject": "Posting your first offering",
                          "body": "Describe who qualifies and how to book.", "links": ["https://learn.example/offerings"]});
    let by_other = f.post(&format!("/api/nonprofits/{np}/training"), Some(&npo), training.clone()).await;
    assert_eq!(by_other.status, StatusCode::FORBIDDEN);
    let sent = f.post(&format!("/api/nonprofits/{np}/training"), Some(&lena), training).await;
    assert_eq!(sent.status, StatusCode::ACCEPTED, "[{}] {:?}", f.name, sent.body);
    assert_eq!(sent.body["recipients"].as_array().unwrap().len(), 2);
    assert_eq!(e.pump_manager().await, 1);
    for email in [&npo_email, &npo2_email] {
        let mails = e.sent.to(email);
        assert_eq!(mails.len(), 3, "{email}");
        assert_eq!(mails[2].subject, "Training: Posting your first offering");
        assert!(mails[2].text_body.contains("https://learn.example/offerings"), "{}", mails[2].text_body);
    }

    // A second offering maps too, and assigns nobody again.
    let second = f
        .post(
            &format!("/api/nonprofits/{np}/offerings"),
            Some(&npo),
            json!({"title": "Suits for interviews",
        "description": "Free business attire.", "category": "free_business_attire",
        "details": {"eligibility": "Anyone with an interview booked", "address": "3 Oak St"}}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
    assert_eq!(e.pump_manager().await, 1);
    assert_eq!(e.sent.to(&npo_email).len(), 3, "no second welcome");
    let leaders = f.get(&format!("/api/communities/{cid}/leaders"), &admin).await;
    assert_eq!(leaders.body[0]["assigned"], 1, "{:?}", leaders.body);

    // Candidates browse by category and enrol once, however often they ask.
    let coaching = f.get("/api/offerings?category=resume_writing", &cand).await;
    assert_eq!(coaching.status, StatusCode::OK, "{:?}", coaching.body);
    let ids: Vec<_> = coaching.body["items"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect();
    assert_eq!(ids, vec![json!(off)]);
    assert_eq!(f.get("/api/offerings", &cand).await.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(f.get("/api/offerings?category=nonsense", &cand).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let enrolled = f.post(&format!("/api/offerings/{off}/enrol"), Some(&cand), json!(null)).await;
    assert_eq!(enrolled.status, StatusCode::OK, "[{}] {:?}", f.name, enrolled.body);
    assert_eq!(enrolled.body["enrolledCount"], 1);
    let again = f.post(&format!("/api/offerings/{off}/enrol"), Some(&cand), json!(null)).await;
    assert_eq!(
        (again.body["enrolledCount"].clone(), again.body["enrolment"].clone()),
        (json!(1), enrolled.body["enrolment"].clone())
    );
    assert_eq!(
        f.post(&format!("/api/offerings/{off}/enrol"), Some(&npo), json!(null)).await.status,
        StatusCode::FORBIDDEN
    );
    let (cand2, _, _) = user(f, &["candidate"], "Kim", &[]).await;
    assert_eq!(
        f.post(&format!("/api/offerings/{off}/enrol"), Some(&cand2), json!(null)).await.body["enrolledCount"],
        2
    );
    // The counter equals the enrolments counted by brute force.
    let page = f.store.query(&Query::table(format!("OFFERING#{off}")).prefix("ENROL#")).await.unwrap();
    assert_eq!(page.items.len(), 2);

    // When every leader is full the next non-profit waits and platform admins are told; raising
    // the cap assigns it at once.
    let cap = put(f, "/api/communities/leader-cap", &admin, json!({"leaderCap": 1}), None).await;
    assert_eq!(cap.status, StatusCode::OK, "{:?}", cap.body);
    let read = f.get("/api/communities/leader-cap", &admin).await;
    assert_eq!((read.status, read.body["leaderCap"].clone()), (StatusCode::OK, json!(1)), "{:?}", read.body);
    assert_eq!(f.get("/api/communities/leader-cap", &npo2).await.status, StatusCode::FORBIDDEN);
    let other = f.post("/api/nonprofits", Some(&npo2), nonprofit_body("Second Chances", &["Resume writing"])).await;
    let np2 = other.body["id"].as_str().unwrap().to_owned();
    f.post(&format!("/api/nonprofits/{np2}/offerings"), Some(&npo2), offering_body("Mock interviews")).await;
    assert_eq!(e.pump_manager().await, 1);
    let waiting = f.get(&format!("/api/nonprofits/{np2}"), &npo2).await.body;
    assert_eq!((waiting["status"].clone(), waiting["waitingForLeader"].clone()), (json!("COMPLETE"), json!(true)));
    let told = e.sent.to(&admin_email);
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].subject.contains("Add community leaders"), "{}", told[0].subject);
    let raised = put(f, "/api/communities/leader-cap", &admin, json!({"leaderCap": 2}), None).await;
    assert_eq!(raised.status, StatusCode::OK);
    let assigned = f.get(&format!("/api/nonprofits/{np2}"), &npo2).await.body;
    assert_eq!((assigned["leader"]["id"].clone(), assigned["waitingForLeader"].clone()), (json!(leader), json!(false)));
    assert_eq!(e.pump_manager().await, 1, "its leader_assigned event");
    let cap0 = put(f, "/api/communities/leader-cap", &admin, json!({"leaderCap": 0}), None).await;
    assert_eq!(cap0.body["errors"][0]["field"], "leaderCap", "{:?}", cap0.body);
}

async fn fifty_onboardings_at_once_spread_round_robin_never_exceed_the_cap_and_the_line_is_fifo(e: &Env) {
    let f = e.family.as_ref();
    let (admin, _, _) = platform_admin(e).await;
    let cid = community(f, &admin, &["Housing"]).await;
    let mut leaders = Vec::new();
    for i in 0..5 {
        let (_, id, _) = user(f, &["community_leader"], &format!("Leader{i}"), &["Housing"]).await;
        let r = f.post(&format!("/api/communities/{cid}/leaders"), Some(&admin), json!({"userId": id})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        leaders.push(id);
    }
    assert_eq!(
        put(f, "/api/communities/leader-cap", &admin, json!({"leaderCap": 10}), None).await.status,
        StatusCode::OK
    );
    let (npo, _, _) = user(f, &["npo"], "Nora", &[]).await;
    let mut pairs = Vec::new();
    for i in 0..52 {
        let n = f.post("/api/nonprofits", Some(&npo), nonprofit_body(&format!("Shelter {i}"), &["Housing"])).await;
        assert_eq!(n.status, StatusCode::CREATED, "{:?}", n.body);
        pairs.push((n.body["id"].as_str().unwrap().to_owned(), uuid::Uuid::now_v7().to_string()));
    }
    // 50 onboardings complete at once (as 50 Lambda instances would run them).
    let started = std::time::Instant::now();
    let tasks: Vec<_> = pairs[..50]
        .iter()
        .cloned()
        .map(|(np, off)| {
            let deps = e.deps.clone();
            tokio::spawn(async move { communities::onboard(&deps, &np, &off).await })
        })
        .collect();
    for t in tasks {
        let done = t.await.unwrap().expect("onboarded");
        assert!(matches!(done.placed, Some(Placed::Assigned(_))), "{done:?}");
    }
    eprintln!("[{}] 50 parallel onboardings took {:?}", f.name, started.elapsed());
    let loads = f.get(&format!("/api/communities/{cid}/leaders"), &admin).await;
    let counts: Vec<u64> = loads.body.as_array().unwrap().iter().map(|l| l["assigned"].as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), 50, "{counts:?}");
    assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "[{}] spread {counts:?}", f.name);
    assert!(counts.iter().all(|c| *c <= 10), "{counts:?}");
    // Each counter equals the leader's assignments counted by brute force.
    for (id, count) in leaders.iter().zip(&counts) {
        let brute = communities::leader_assignments(&e.deps, &UserId::trusted(id.clone())).await.unwrap();
        assert_eq!(brute.len() as u64, *count, "[{}] leader {id}", f.name);
    }
    // A redelivered onboarding assigns nobody twice.
    let again = communities::onboard(&e.deps, &pairs[0].0, &pairs[0].1).await.unwrap();
    assert_eq!(again.placed, Some(Placed::Already));

    // Everyone is full: the next two wait, in order.
    for (np, off) in &pairs[50..] {
        assert_eq!(communities::onboard(&e.deps, np, off).await.unwrap().placed, Some(Placed::Waiting));
    }
    // Removing one assignment gives its room to the first in line only; the released non-profit
    // goes back in line (at its end), never to the leader it was released from.
    let first = f.get(&format!("/api/nonprofits/{}", pairs[0].0), &npo).await.body;
    let freed_leader = first["leader"]["id"].as_str().unwrap().to_owned();
    let gone =
        f.delete(&format!("/api/communities/{cid}/leaders/{freed_leader}/assignments/{}", pairs[0].0), &admin).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{:?}", gone.body);
    let n50 = f.get(&format!("/api/nonprofits/{}", pairs[50].0), &npo).await.body;
    let n51 = f.get(&format!("/api/nonprofits/{}", pairs[51].0), &npo).await.body;
    assert_eq!(n50["leader"]["id"], freed_leader.as_str(), "[{}] first in line first", f.name);
    assert_eq!((n51["leader"].clone(), n51["waitingForLeader"].clone()), (Value::Null, json!(true)));
    let n0 = f.get(&format!("/api/nonprofits/{}", pairs[0].0), &npo).await.body;
    assert_eq!((n0["leader"].clone(), n0["waitingForLeader"].clone()), (Value::Null, json!(true)), "{n0:?}");
    let list = f.get("/api/communities", &admin).await.body;
    let c = list["items"].as_array().unwrap().iter().find(|c| c["id"] == cid.as_str()).unwrap().clone();
    let waiting = c["waitTail"].as_u64().unwrap() - c["waitHead"].as_u64().unwrap();
    assert_eq!(waiting, 2, "[{}] the released one waits behind the one already waiting: {c:?}", f.name);
    assert_eq!(
        put(f, "/api/communities/leader-cap", &admin, json!({"leaderCap": 11}), None).await.status,
        StatusCode::OK
    );
    let n51 = f.get(&format!("/api/nonprofits/{}", pairs[51].0), &npo).await.body;
    assert!(n51["leader"]["id"].is_string(), "{n51:?}");
    let n0 = f.get(&format!("/api/nonprofits/{}", pairs[0].0), &npo).await.body;
    assert!(n0["leader"]["id"].is_string(), "{n0:?}");
    assert_ne!(n0["leader"]["id"], freed_leader.as_str(), "[{}] never back to the leader it left", f.name);
    let loads = f.get(&format!("/api/communities/{cid}/leaders"), &admin).await;
    let counts: Vec<u64> = loads.body.as_array().unwrap().iter().map(|l| l["assigned"].as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), 52, "{counts:?}");
    assert!(counts.iter().all(|c| *c <= 11), "{counts:?}");
    for (id, count) in leaders.iter().zip(&counts) {
        let brute = communities::leader_assignments(&e.deps, &UserId::trusted(id.clone())).await.unwrap();
        assert_eq!(brute.len() as u64, *count, "[{}] leader {id} after the release", f.name);
    }
}

macro_rules! platform_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_nonprofit_signs_up_creates_an_offering_gets_a_leader_with_welcome_and_invites_and_a_candidate_enrols() {
            super::a_nonprofit_signs_up_creates_an_offering_gets_a_leader_with_welcome_and_invites_and_a_candidate_enrols(
                &$env().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn fifty_onboardings_at_once_spread_round_robin_never_exceed_the_cap_and_the_line_is_fifo() {
            super::fifty_onboardings_at_once_spread_round_robin_never_exceed_the_cap_and_the_line_is_fifo(&$env().await)
                .await;
        }
    };
}

fn sealer() -> Arc<clearview_core::ports::crypto::AesGcmSealer> {
    Arc::new(clearview_core::ports::crypto::AesGcmSealer::new("test", &[7u8; 32]))
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-platform-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let sent = Arc::new(Recording { inner: local.mailer.clone(), sent: Mutex::new(Vec::new()) });
        let mut deps = local.deps().with_sealer(sealer());
        deps.mail = sent.clone();
        let family = Arc::new(clearview_tests::families::embedded(&local, deps.clone()));
        let queues = local.queues.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let queues = queues.clone();
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        Env { family, deps, pump, sent }
    }

    platform_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};
    use std::time::Duration;

    async fn env() -> Env {
        let moto = Moto::pick().await;
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
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let chain = chain.clone();
            Box::pin(
                async move { clearview_tests::pump::moto(&chain, consumer.as_ref(), Duration::from_secs(2)).await },
            )
        });
        Env { family, deps, pump, sent }
    }

    platform_tests!(env);
}
