//! Networking on both adapter families (issue 14): connection requests (one pending request per
//! pair under racing requests, accept, decline, block; an unknown id and a blocking person answer
//! the same), community events (leaders and platform admins create them, RSVPs hold the seat
//! count under parallel RSVPs, checked against a recount; the RFC 5545 invite parsed with the
//! icalendar crate, its UID stable and its SEQUENCE raised by a change).

use axum::http::Method;
use axum::http::StatusCode;
use clearview_chain::community_events::CommunityEventsConsumer;
use clearview_core::Deps;
use clearview_core::ports::queue::Consumer;
use clearview_tests::api::{Answer, BoxFut, Call, Family, candidate, platform_admin, platform_user};
use clearview_tests::mail::Recording;
use icalendar::{Calendar, Component, EventLike};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub struct Env {
    family: Arc<Family>,
    deps: Deps,
    sent: Arc<Recording>,
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> BoxFut<'static, usize> + Send + Sync>,
    /// PUTs a file to an upload URL the API granted.
    upload: Box<dyn Fn(Value, Vec<u8>) -> BoxFut<'static, u16> + Send + Sync>,
}

impl Env {
    /// Runs the community-events consumer over what is queued.
    async fn pump_events(&self) -> usize {
        (self.pump)(Arc::new(CommunityEventsConsumer(self.deps.clone()))).await
    }
    /// The calendar parts mailed to `email`, in order: (method, parsed calendar).
    fn invites_to(&self, email: &str) -> Vec<(String, Calendar)> {
        self.sent
            .sent
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to == email)
            .filter_map(|m| m.calendar.as_ref())
            .map(|c| (c.method.clone(), c.ics.parse::<Calendar>().expect("the invite parses")))
            .collect()
    }
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
}

fn at(days: i64, hour: u8) -> String {
    let d = (time::OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    let t = d.with_hms(hour, 0, 0).unwrap().assume_utc();
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn event_body(community: &str, starts: &str, ends: &str, capacity: u32) -> Value {
    json!({"communityId": community, "title": "Resume clinic night", "description": "Bring your resume.",
           "startsAt": starts, "endsAt": ends, "timeZone": "Europe/Berlin",
           "onlineUrl": "https://meet.example/clinic", "place": "Library, Room 2", "capacity": capacity})
}

fn fields(a: &Answer) -> Vec<String> {
    a.body["errors"].as_array().into_iter().flatten().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

fn event_of(cal: &Calendar) -> &icalendar::Event {
    cal.events().next().expect("one VEVENT")
}

async fn leaders_create_events_parallel_rsvps_never_pass_the_seats_and_invites_keep_their_uid_and_raise_the_sequence(
    e: &Env,
) {
    let f = e.family.as_ref();
    let (admin, _, _) = platform_admin(f, &e.deps).await;
    let (lena, lena_id, _) = platform_user(f, &["community_leader"], "Lena", &["Career coaching"]).await;
    let (other_leader, _, _) = platform_user(f, &["community_leader"], "Otto", &["Career coaching"]).await;
    let c = f
        .post(
            "/api/communities",
            Some(&admin),
            json!({"name": "Workforce readiness", "description": "Getting hired.", "tags": ["Career coaching"]}),
        )
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "[{}] {:?}", f.name, c.body);
    let cid = c.body["id"].as_str().unwrap().to_owned();
    let add = f.post(&format!("/api/communities/{cid}/leaders"), Some(&admin), json!({"userId": lena_id})).await;
    assert_eq!(add.status, StatusCode::OK, "{:?}", add.body);

    // Who may create: the community's leader and platform admins; a leader of no community and
    // a candidate may not. Bad input names each field.
    let (starts, ends) = (at(10, 17), at(10, 19));
    let body = event_body(&cid, &starts, &ends, 3);
    assert_eq!(f.post("/api/network/events", Some(&other_leader), body.clone()).await.status, StatusCode::FORBIDDEN);
    let (cand, _, _) = candidate(f, "Cy Candidate").await;
    assert_eq!(f.post("/api/network/events", Some(&cand), body.clone()).await.status, StatusCode::FORBIDDEN);
    let mut bad = body.clone();
    bad["startsAt"] = json!(at(-1, 10));
    bad["timeZone"] = json!("Mars/Olympus");
    bad["onlineUrl"] = json!(null);
    bad["place"] = json!(null);
    bad["capacity"] = json!(0);
    let refused = f.post("/api/network/events", Some(&lena), bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(fields(&refused), ["startsAt", "endsAt", "timeZone", "place", "capacity"], "{:?}", refused.body);
    let created = f.post("/api/network/events", Some(&lena), body).await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    let ev = created.body["id"].as_str().unwrap().to_owned();
    let sooner = f.post("/api/network/events", Some(&admin), event_body(&cid, &at(5, 9), &at(5, 10), 50)).await;
    assert_eq!(sooner.status, StatusCode::CREATED, "{:?}", sooner.body);

    // Upcoming, soonest first, a page at a time; one community's the same.
    let first = f.get(&format!("/api/network/events?communityId={cid}&limit=1"), &cand).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["items"][0]["id"], sooner.body["id"]);
    let cursor = first.body["nextCursor"].as_str().unwrap();
    let second =
        f.get(&format!("/api/network/events?communityId={cid}&limit=1&cursor={}", urlencoding(cursor)), &cand).await;
    assert_eq!(second.body["items"][0]["id"], ev.as_str(), "{:?}", second.body);

    // Ten people answer going at once for three seats: three get one, seven hear event-full,
    // and the counter equals a recount of the RSVPs.
    let mut people = Vec::new();
    for i in 0..10 {
        people.push(candidate(f, &format!("Guest {i}")).await);
    }
    let path = format!("/api/network/events/{ev}/rsvp");
    let answers = parallel(e, 10, |i| (path.clone(), people[i].0.clone(), json!({"status": "going"}))).await;
    let seated: Vec<usize> = (0..10).filter(|i| answers[*i].status == StatusCode::OK).collect();
    assert_eq!(
        seated.len(),
        3,
        "[{}] {:?}",
        f.name,
        answers.iter().map(|a| (a.status, a.body.clone())).collect::<Vec<_>>()
    );
    for a in answers.iter().filter(|a| a.status != StatusCode::OK) {
        assert_eq!(a.status, StatusCode::CONFLICT, "{:?}", a.body);
        assert!(a.problem_type().ends_with("event-full"), "{:?}", a.body);
    }
    let got = f.get(&format!("/api/network/events/{ev}"), &cand).await;
    assert_eq!(got.body["going"], 3);
    assert_eq!(clearview_core::services::events::going_recount(&e.deps, &ev).await.unwrap(), 3);
    // Going again changes nothing; not going gives the seat back (and the next person takes it).
    let (leaver, leaver_email) = (&people[seated[0]].0, people[seated[0]].2.clone());
    let again = f.post(&path, Some(leaver), json!({"status": "going"})).await;
    assert_eq!((again.body["going"].as_u64(), again.body["changed"].as_bool()), (Some(3), Some(false)));
    let left = f.post(&path, Some(leaver), json!({"status": "not_going"})).await;
    assert_eq!(left.body["going"], 2, "{:?}", left.body);
    let waiting = (0..10).find(|i| !seated.contains(i)).unwrap();
    let joined = f.post(&path, Some(&people[waiting].0), json!({"status": "going"})).await;
    assert_eq!((joined.status, joined.body["going"].as_u64()), (StatusCode::OK, Some(3)), "{:?}", joined.body);
    assert_eq!(clearview_core::services::events::going_recount(&e.deps, &ev).await.unwrap(), 3);
    let bad = f.post(&path, Some(leaver), json!({"status": "maybe"})).await;
    assert_eq!((bad.status, bad.body["errors"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")));

    // The consumer mails each answer: the invite (REQUEST) to those going, its cancellation to
    // the one who left; every copy has the event's UID and SEQUENCE 0, times in UTC.
    assert!(e.pump_events().await >= 5);
    let uid = format!("event-{ev}@clearview");
    let seated_email = people[seated[1]].2.clone();
    let invites = e.invites_to(&seated_email);
    assert_eq!(invites.len(), 1, "[{}] {:?}", f.name, invites.iter().map(|i| i.0.clone()).collect::<Vec<_>>());
    let (method, cal) = &invites[0];
    assert_eq!((method.as_str(), cal.property_value("METHOD")), ("REQUEST", Some("REQUEST")));
    let v = event_of(cal);
    assert_eq!(v.get_uid(), Some(uid.as_str()));
    assert_eq!(v.get_sequence(), Some(0));
    let utc = |s: &str| s.replace(['-', ':'], "");
    assert_eq!(v.property_value("DTSTART"), Some(utc(&starts).as_str()));
    assert_eq!(v.property_value("DTEND"), Some(utc(&ends).as_str()));
    assert_eq!(v.get_location(), Some("Library, Room 2"));
    let attendees: Vec<&str> = v.multi_properties().get("ATTENDEE").into_iter().flatten().map(|p| p.value()).collect();
    assert_eq!(attendees, [format!("mailto:{seated_email}")]);
    let left_mail = e.invites_to(&leaver_email);
    assert_eq!(left_mail.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["REQUEST", "CANCEL"]);
    assert_eq!(event_of(&left_mail[1].1).get_uid(), Some(uid.as_str()));
    assert_eq!(e.pump_events().await, 0, "nothing is mailed twice");

    // The .ics to download: PUBLISH, the same UID. A change (If-Match) raises SEQUENCE and mails
    // everyone going the updated invite; the UID stays.
    let ics = f.get(&format!("/api/network/events/{ev}/invite.ics"), &cand).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(ics.header("content-type").unwrap().starts_with("text/calendar"));
    let cal: Calendar = ics.body.as_str().unwrap().parse().expect("the .ics parses");
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    assert_eq!((event_of(&cal).get_uid(), event_of(&cal).get_sequence()), (Some(uid.as_str()), Some(0)));
    let etag = got.header("etag").unwrap().to_owned();
    let etag_now = f.get(&format!("/api/network/events/{ev}"), &cand).await.header("etag").unwrap().to_owned();
    assert_ne!(etag, etag_now, "RSVPs move the event's version");
    let (moved_start, moved_end) = (at(11, 17), at(11, 19));
    let change = |version: &str, capacity: u32| Call {
        method: Method::PUT,
        path: format!("/api/network/events/{ev}"),
        token: Some(&lena),
        body: Some(event_body(&cid, &moved_start, &moved_end, capacity)),
        headers: vec![("if-match", version.to_owned())],
    };
    assert_eq!(f.send(change(&etag, 3)).await.status, StatusCode::PRECONDITION_FAILED);
    let shrink = f.send(change(&etag_now, 2)).await;
    assert_eq!((shrink.status, fields(&shrink)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["capacity".to_owned()]));
    let changed = f.send(change(&etag_now, 5)).await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["sequence"], 1);
    let cal: Calendar =
        f.get(&format!("/api/network/events/{ev}/invite.ics"), &cand).await.body.as_str().unwrap().parse().unwrap();
    assert_eq!((event_of(&cal).get_uid(), event_of(&cal).get_sequence()), (Some(uid.as_str()), Some(1)));
    assert_eq!(e.pump_events().await, 1);
    let invites = e.invites_to(&seated_email);
    assert_eq!(invites.len(), 2);
    let v = event_of(&invites[1].1);
    assert_eq!((v.get_uid(), v.get_sequence()), (Some(uid.as_str()), Some(1)));
    assert_eq!(v.property_value("DTSTART"), Some(utc(&moved_start).as_str()));
    assert_eq!(e.invites_to(&leaver_email).len(), 2, "who left is not mailed the change");
}

fn ids(a: &Answer) -> Vec<String> {
    a.body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

async fn editors_draft_and_publish_content_tagged_by_skill_and_occupation_and_only_published_is_listed(e: &Env) {
    let f = e.family.as_ref();
    let (nia, _, _) = platform_user(f, &["npo"], "Nia", &[]).await;
    let (omar, _, _) = platform_user(f, &["npo"], "Omar", &[]).await;
    let (admin, _, _) = platform_admin(f, &e.deps).await;
    let (cand, _, _) = candidate(f, "Cy Candidate").await;
    let article = json!({"kind": "article", "title": "PostgreSQL for MySQL people", "summary": "What changes.",
        "body": "# Differences\nSequences, not AUTO_INCREMENT.", "skills": ["postgresql"],
        "occupations": ["15-1252.00"], "status": "draft"});

    // Candidates do not write; bad tags and a body-less article name their fields.
    assert_eq!(f.post("/api/content/create", Some(&cand), article.clone()).await.status, StatusCode::FORBIDDEN);
    let mut bad = article.clone();
    bad["skills"] = json!(["Dragon taming"]);
    bad["occupations"] = json!(["99-9999.99"]);
    bad["body"] = json!(null);
    let refused = f.post("/api/content/create", Some(&nia), bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.body);
    assert_eq!(fields(&refused), ["body", "skills[0]", "occupations[0]"], "{:?}", refused.body);

    // A draft: its author and platform admins see it; nobody else, in no list.
    let draft = f.post("/api/content/create", Some(&nia), article.clone()).await;
    assert_eq!(draft.status, StatusCode::CREATED, "[{}] {:?}", f.name, draft.body);
    let id = draft.body["content"]["id"].as_str().unwrap().to_owned();
    assert_eq!(draft.body["content"]["skills"], json!(["PostgreSQL"]));
    assert_eq!(draft.body["content"]["occupations"][0]["title"], "Software Developers");
    assert_eq!(f.get(&format!("/api/content/{id}"), &cand).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/content/{id}"), &omar).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&format!("/api/content/{id}"), &admin).await.status, StatusCode::OK);
    assert!(ids(&f.get("/api/content/resources", &cand).await).is_empty());
    assert!(ids(&f.get("/api/content/resources?skill=PostgreSQL", &cand).await).is_empty());
    assert_eq!(ids(&f.get("/api/content/resources?status=draft", &nia).await), [id.as_str()]);
    assert!(ids(&f.get("/api/content/resources?status=draft", &omar).await).is_empty());
    assert_eq!(f.get("/api/content/resources?status=draft", &cand).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Publishing (If-Match): listed to everyone, found by skill and by occupation (code or title).
    let mut publish = article.clone();
    publish["id"] = json!(id);
    publish["status"] = json!("published");
    let put = |token: &str, body: Value, version: Option<&str>| {
        let headers = version.map(|v| vec![("if-match", v.to_owned())]).unwrap_or_default();
        (token.to_owned(), body, headers)
    };
    let send = |(token, body, headers): (String, Value, Vec<(&'static str, String)>)| async move {
        f.send(Call {
            method: Method::PUT,
            path: "/api/content/update".into(),
            token: Some(&token),
            body: Some(body),
            headers,
        })
        .await
    };
    assert_eq!(send(put(&nia, publish.clone(), None)).await.status, StatusCode::PRECONDITION_REQUIRED);
    let published = send(put(&nia, publish.clone(), Some("\"1\""))).await;
    assert_eq!(published.status, StatusCode::OK, "[{}] {:?}", f.name, published.body);
    assert_eq!(published.body["content"]["status"], "published");
    assert_eq!(ids(&f.get("/api/content/resources", &cand).await), [id.as_str()]);
    assert_eq!(ids(&f.get("/api/content/resources?skill=postgresql", &cand).await), [id.as_str()]);
    assert_eq!(ids(&f.get("/api/content/resources?occupation=15-1252.00", &cand).await), [id.as_str()]);
    assert_eq!(ids(&f.get("/api/content/resources?occupation=Software%20Developers", &cand).await), [id.as_str()]);
    assert!(ids(&f.get("/api/content/resources?skill=Python", &cand).await).is_empty());
    let both = f.get("/api/content/resources?skill=Python&occupation=15-1252.00", &cand).await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another editor may not change it; a published item cannot go back to draft.
    assert_eq!(send(put(&omar, publish.clone(), Some("\"2\""))).await.status, StatusCode::FORBIDDEN);
    let mut back = publish.clone();
    back["status"] = json!("draft");
    assert_eq!(send(put(&nia, back, Some("\"2\""))).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Retagging moves the index in the item's transaction: the old skill finds nothing.
    let mut retag = publish.clone();
    retag["skills"] = json!(["Python"]);
    let r = send(put(&admin, retag, Some("\"2\""))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(ids(&f.get("/api/content/resources?skill=PostgreSQL", &cand).await).is_empty());
    assert_eq!(ids(&f.get("/api/content/resources?skill=Python", &cand).await), [id.as_str()]);
    let tagged = e
        .deps
        .store
        .query(&clearview_core::ports::store::Query::table(clearview_core::keys::content_tag_pk("skill", "PostgreSQL")))
        .await
        .unwrap();
    assert!(tagged.items.is_empty(), "{:?}", tagged.items);

    // A resource with a media file: uploaded through the presigned PUT, then downloadable.
    let res = f
        .post(
            "/api/content/create",
            Some(&nia),
            json!({"kind": "resource", "title": "Resume checklist",
            "media": {"fileName": "checklist.pdf", "contentType": "application/pdf"}, "skills": ["Python"],
            "status": "published"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    let rid = res.body["content"]["id"].as_str().unwrap().to_owned();
    assert_eq!(f.get(&format!("/api/content/{rid}/media"), &cand).await.status, StatusCode::NOT_FOUND);
    let status = (e.upload)(res.body["upload"].clone(), b"%PDF-1.4 checklist".to_vec()).await;
    assert!((200..300).contains(&status), "upload {status}");
    let dl = f.get(&format!("/api/content/{rid}/media"), &cand).await;
    assert_eq!(dl.status, StatusCode::OK, "{:?}", dl.body);
    assert!(dl.body["url"].is_string());
    assert_eq!(ids(&f.get("/api/content/resources?skill=Python", &cand).await), [id.clone(), rid.clone()]);
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
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn leaders_create_events_parallel_rsvps_never_pass_the_seats_and_invites_keep_their_uid_and_raise_the_sequence() {
            super::leaders_create_events_parallel_rsvps_never_pass_the_seats_and_invites_keep_their_uid_and_raise_the_sequence(
                &$env().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn editors_draft_and_publish_content_tagged_by_skill_and_occupation_and_only_published_is_listed() {
            super::editors_draft_and_publish_content_tagged_by_skill_and_occupation_and_only_published_is_listed(
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
        Env { family, deps, sent, pump, upload }
    }

    networking_tests!(env);
}

mod aws {
    use super::*;
    use clearview_aws::testing::Moto;
    use clearview_core::ports::clock::{SystemClock, UuidV7};

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
            Box::pin(async move {
                clearview_tests::pump::moto(&chain, consumer.as_ref(), std::time::Duration::from_secs(2)).await
            })
        });
        let upload = Box::new(move |ticket: Value, bytes: Vec<u8>| -> BoxFut<'static, u16> {
            Box::pin(async move {
                let ticket: clearview_core::ports::blobs::UploadTicket = serde_json::from_value(ticket).unwrap();
                clearview_aws::testing::upload(&ticket, bytes).await.0
            })
        });
        Env { family, deps, sent, pump, upload }
    }

    networking_tests!(env);
}
