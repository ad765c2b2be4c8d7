//! Interviews at the API level, the same on both adapter families: scheduling a panel with
//! invites that a real iCalendar parser reads back (same UID, higher SEQUENCE on a reschedule,
//! METHOD:CANCEL on a cancellation), clashes refused with 409 — also when bookings race —, the
//! calendar by interviewer, candidate and job, the candidate's reschedule request, the employer
//! seed routes, feedback with independent evaluation, and the feedback reminder.

use axum::http::{Method, StatusCode};
use clearview_chain::interviews::InterviewInvitesConsumer;
use clearview_chain::messages::ConsultantMessagesConsumer;
use clearview_core::Deps;
use clearview_core::ports::mail::{Mailer, OutgoingEmail};
use clearview_core::ports::queue::Consumer;
use clearview_tests::api::{Admin, Answer, BoxFut, Call, Family, candidate, job_body};
use clearview_tests::mail::Recording;
use icalendar::{Calendar, Component, EventLike};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub struct Env {
    family: Arc<Family>,
    deps: Deps,
    /// Delivers what is on a consumer's queue to it; returns how many.
    pump: Box<dyn Fn(Arc<dyn Consumer>) -> BoxFut<'static, usize> + Send + Sync>,
    sent: Arc<Recording>,
}

impl Env {
    /// Runs the `interview-invites` consumer over its queue.
    async fn pump_invites(&self) -> usize {
        (self.pump)(Arc::new(InterviewInvitesConsumer(self.deps.clone()))).await
    }
    /// Runs the `consultant-messages` consumer over its queue.
    async fn pump_messages(&self) -> usize {
        (self.pump)(Arc::new(ConsultantMessagesConsumer(self.deps.clone()))).await
    }
}

/// A whole hour, `days` ahead, as RFC 3339 UTC.
fn at(days: i64, hour: u8, minute: u8) -> String {
    let d = (OffsetDateTime::now_utc() + time::Duration::days(days)).date();
    let t = d.with_hms(hour, minute, 0).unwrap().assume_utc();
    t.format(&Rfc3339).unwrap()
}

async fn put(f: &Family, path: &str, token: &str, body: Value, if_match: &str) -> Answer {
    f.send(Call {
        method: Method::PUT,
        path: path.into(),
        token: Some(token),
        body: Some(body),
        headers: vec![("if-match", if_match.to_owned())],
    })
    .await
}

async fn delete(f: &Family, path: &str, token: &str) -> Answer {
    f.send(Call { method: Method::DELETE, path: path.into(), token: Some(token), body: None, headers: vec![] }).await
}

async fn published_job(f: &Family, admin: &Admin, title: &str) -> String {
    let job = f.post("/api/jobs", Some(&admin.token), job_body(title)).await;
    assert_eq!(job.status, StatusCode::CREATED, "{:?}", job.body);
    let id = job.body["id"].as_str().unwrap().to_owned();
    let p = f.post(&format!("/api/jobs/{id}/publish"), Some(&admin.token), json!(null)).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    id
}

/// A candidate who applied to `job`: (token, id, email).
async fn applicant(f: &Family, job: &str, name: &str) -> (String, String, String) {
    let (token, id, email) = candidate(f, name).await;
    let a = f.post("/api/applications", Some(&token), json!({"jobId": job})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
    (token, id, email)
}

/// A staff member's id token, id and email.
async fn staff(f: &Family, admin: &Admin, role: &str) -> (String, String, String) {
    let (token, id) = f.staff(admin, role).await;
    let me = f.get("/api/auth/me", &token).await;
    (token, id, me.body["user"]["email"].as_str().expect("email").to_owned())
}

/// The calendar object of a mail, parsed by a real iCalendar parser.
fn ics_of(m: &OutgoingEmail) -> (String, Calendar) {
    let part = m.calendar.as_ref().unwrap_or_else(|| panic!("no calendar part in {:?}", m.subject));
    let cal: Calendar = part.ics.parse().expect("the invite parses");
    (part.method.clone(), cal)
}

fn attendees(cal: &Calendar) -> Vec<String> {
    let e = cal.events().next().expect("an event");
    e.multi_properties().get("ATTENDEE").into_iter().flatten().map(|p| p.value().to_lowercase()).collect()
}

fn ical_time(rfc3339: &str) -> String {
    let t = OffsetDateTime::parse(rfc3339, &Rfc3339).unwrap().to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

async fn a_panel_is_scheduled_rescheduled_and_cancelled_with_invites_that_parse_back(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Panels").await;
    let (_, lee, lee_email) = staff(f, &admin, "recruiter").await;
    let job = published_job(f, &admin, "Platform Engineer").await;
    let (_, cand, cand_email) = applicant(f, &job, "Sam Rivera").await;
    let start = at(3, 9, 0);
    let created = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": start, "durationMinutes": 90, "timeZone": "Europe/Berlin",
                   "interviewerIds": [admin.user, lee], "location": "Room 4, Alexanderplatz 1"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "[{}] {:?}", f.name, created.body);
    let i = created.body.clone();
    let id = i["id"].as_str().unwrap().to_owned();
    assert_eq!(i["type"], "panel");
    assert_eq!(i["jobId"], job.as_str(), "linked to the candidate's application");
    assert_eq!(i["timeZone"], "Europe/Berlin");
    assert_eq!(i["sequence"], 0);
    assert_eq!(i["status"], "scheduled");
    let uid = i["icalUid"].as_str().unwrap().to_owned();

    assert_eq!(e.pump_invites().await, 1, "[{}] one interview.scheduled event", f.name);
    let to_candidate = e.sent.to(&cand_email);
    assert_eq!(to_candidate.len(), 1, "{to_candidate:?}");
    assert!(to_candidate[0].subject.contains("Interview invitation"), "{}", to_candidate[0].subject);
    assert!(to_candidate[0].text_body.contains("Europe/Berlin"), "{}", to_candidate[0].text_body);
    let (method, cal) = ics_of(&to_candidate[0]);
    assert_eq!(method, "REQUEST");
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    let ev = cal.events().next().unwrap();
    assert_eq!(ev.get_uid(), Some(uid.as_str()));
    assert_eq!(ev.get_sequence(), Some(0));
    assert_eq!(ev.property_value("DTSTART"), Some(ical_time(&start).as_str()));
    assert_eq!(ev.property_value("DTEND"), Some(ical_time(i["endsAt"].as_str().unwrap()).as_str()));
    assert_eq!(ev.get_location(), Some("Room 4, Alexanderplatz 1"));
    let mut want = vec![
        format!("mailto:{}", cand_email.to_lowercase()),
        format!("mailto:{}", admin.email.to_lowercase()),
        format!("mailto:{}", lee_email.to_lowercase()),
    ];
    let mut got = attendees(&cal);
    want.sort();
    got.sort();
    assert_eq!(got, want, "[{}] the candidate's invite names everyone", f.name);
    // Interviewers get the invite too, without the candidate's name or address (blind review).
    let to_lee = e.sent.to(&lee_email);
    assert_eq!(to_lee.len(), 1);
    let (_, lee_cal) = ics_of(&to_lee[0]);
    assert_eq!(lee_cal.events().next().unwrap().get_uid(), Some(uid.as_str()));
    let lee_attendees = attendees(&lee_cal);
    assert!(!lee_attendees.iter().any(|a| a.contains(&cand_email.to_lowercase())), "{lee_attendees:?}");
    assert!(!to_lee[0].text_body.contains("Sam Rivera"));
    assert_eq!(e.sent.to(&admin.email).len(), 1);

    // The calendar, by interviewer, by candidate and by job.
    let from = at(2, 0, 0);
    for q in [format!("interviewerId={lee}"), format!("candidateId={cand}"), format!("jobId={job}"), String::new()] {
        let c = f.get(&format!("/api/interviews/calendar?from={}&{q}", from.replace('+', "%2B")), &admin.token).await;
        assert_eq!(c.status, StatusCode::OK, "[{}] {q}: {:?}", f.name, c.body);
        let ids: Vec<_> = c.body["items"].as_array().unwrap().iter().map(|b| b["interviewId"].clone()).collect();
        assert_eq!(ids, vec![json!(id)], "[{}] {q}", f.name);
    }

    // Reschedule: same UID, a higher SEQUENCE, the new time; If-Match is required.
    let later = at(4, 13, 30);
    let stale = put(f, &format!("/api/interviews/{id}"), &admin.token, json!({"startsAt": later}), "\"7\"").await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{:?}", stale.body);
    let moved = put(f, &format!("/api/interviews/{id}"), &admin.token, json!({"startsAt": later}), "\"1\"").await;
    assert_eq!(moved.status, StatusCode::OK, "[{}] {:?}", f.name, moved.body);
    assert_eq!(moved.body["sequence"], 1);
    assert_eq!(moved.header("etag"), Some("\"2\""));
    assert_eq!(e.pump_invites().await, 1);
    let to_candidate = e.sent.to(&cand_email);
    assert_eq!(to_candidate.len(), 2);
    let (method, cal) = ics_of(&to_candidate[1]);
    assert_eq!(method, "REQUEST");
    let ev = cal.events().next().unwrap();
    assert_eq!((ev.get_uid(), ev.get_sequence()), (Some(uid.as_str()), Some(1)));
    assert_eq!(ev.property_value("DTSTART"), Some(ical_time(&later).as_str()));
    // The old slot is free again: the calendar shows the new time only.
    let c = f
        .get(&format!("/api/interviews/calendar?from={}&interviewerId={lee}", from.replace('+', "%2B")), &admin.token)
        .await;
    let starts: Vec<_> = c.body["items"].as_array().unwrap().iter().map(|b| b["startsAt"].clone()).collect();
    assert_eq!(starts.len(), 1);
    assert_eq!(ical_time(starts[0].as_str().unwrap()), ical_time(&later));

    // Cancel: METHOD:CANCEL, same UID, higher SEQUENCE; the time is freed.
    let cancelled = delete(f, &format!("/api/interviews/{id}"), &admin.token).await;
    assert_eq!(cancelled.status, StatusCode::OK, "[{}] {:?}", f.name, cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(e.pump_invites().await, 1);
    let to_lee = e.sent.to(&lee_email);
    assert_eq!(to_lee.len(), 3);
    let (method, cal) = ics_of(&to_lee[2]);
    assert_eq!(method, "CANCEL");
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let ev = cal.events().next().unwrap();
    assert_eq!((ev.get_uid(), ev.get_sequence()), (Some(uid.as_str()), Some(2)));
    let c = f
        .get(&format!("/api/interviews/calendar?from={}&interviewerId={lee}", from.replace('+', "%2B")), &admin.token)
        .await;
    assert_eq!(c.body["items"], json!([]));
    let again = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": later, "interviewerIds": [lee]}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "[{}] the freed slot books again: {:?}", f.name, again.body);
    // A redelivered event mails nobody twice.
    assert_eq!(e.pump_invites().await, 1);
    assert_eq!(e.sent.to(&lee_email).len(), 4);
}

async fn a_clash_answers_409_naming_the_clashing_interview_and_bad_input_names_the_field(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Clashes").await;
    let job = published_job(f, &admin, "Data Engineer").await;
    let (_, ana, _) = applicant(f, &job, "Ana Lima").await;
    let (_, ben, _) = applicant(f, &job, "Ben Okafor").await;
    let first = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": ana, "startsAt": at(5, 10, 0), "durationMinutes": 60}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "[{}] {:?}", f.name, first.body);
    let first_id = first.body["id"].as_str().unwrap();
    // The interviewer is busy 10:00–11:00: another candidate at 10:30 clashes.
    let clash =
        f.post("/api/interviews", Some(&admin.token), json!({"candidateId": ben, "startsAt": at(5, 10, 30)})).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "[{}] {:?}", f.name, clash.body);
    assert_eq!(clash.problem_type(), "/problems/interview-conflict");
    assert!(clash.body["detail"].as_str().unwrap().contains(first_id), "{:?}", clash.body);
    // Back to back is fine.
    let next = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": ben, "startsAt": at(5, 11, 0), "durationMinutes": 30}),
        )
        .await;
    assert_eq!(next.status, StatusCode::CREATED, "{:?}", next.body);
    // The candidate's own time clashes too, whoever interviews.
    let (_, lee, _) = staff(f, &admin, "recruiter").await;
    let cand_clash = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": ana, "startsAt": at(5, 9, 30), "interviewerIds": [lee]}),
        )
        .await;
    assert_eq!(cand_clash.status, StatusCode::CONFLICT, "{:?}", cand_clash.body);
    assert!(cand_clash.body["detail"].as_str().unwrap().contains("the candidate"), "{:?}", cand_clash.body);

    // The seed route: 200 when scheduled, 409 when the slot is taken, 404 for another employer.
    let seed = format!("/api/employers/{}/schedule-interview", admin.org);
    let ok = f
        .post(&seed, Some(&admin.token), json!({"candidateId": ana, "interviewTime": at(6, 14, 0), "location": "HQ"}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "[{}] {:?}", f.name, ok.body);
    assert_eq!(ok.body["type"], "in_person");
    let taken = f
        .post(&seed, Some(&admin.token), json!({"candidateId": ben, "interviewTime": at(6, 14, 15), "location": "HQ"}))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{:?}", taken.body);
    let other = f.employer_admin("Elsewhere").await;
    let foreign = f
        .post(
            &format!("/api/employers/{}/schedule-interview", other.org),
            Some(&admin.token),
            json!({"candidateId": ana, "interviewTime": at(6, 16, 0)}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{:?}", foreign.body);
    // Another organisation neither sees the interview nor can book a candidate who never applied to it.
    let theirs = f.get(&format!("/api/interviews/{first_id}"), &other.token).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let stranger =
        f.post("/api/interviews", Some(&other.token), json!({"candidateId": ana, "startsAt": at(7, 9, 0)})).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND, "{:?}", stranger.body);

    // Bad input names each field.
    let bad = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": ana, "startsAt": "tomorrow at ten", "durationMinutes": 5, "timeZone": "Mars/Olympus",
                   "interviewerIds": ["not-an-id"]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<_> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for want in ["startsAt", "durationMinutes", "timeZone", "interviewerIds[0]"] {
        assert!(fields.contains(&want), "{want} in {fields:?}");
    }
    let unknown = f
        .post("/api/interviews", Some(&admin.token), json!({"candidateId": ana, "startsAt": at(5, 8, 0), "room": 1}))
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    // A viewer may read the calendar but not book.
    let (viewer, _, _) = staff(f, &admin, "viewer").await;
    let refused = f.post("/api/interviews", Some(&viewer), json!({"candidateId": ana, "startsAt": at(8, 9, 0)})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(f.get("/api/interviews/calendar", &viewer).await.status, StatusCode::OK);
    let listed = f.get(&format!("/api/interviews?from={}", at(4, 0, 0).replace('+', "%2B")), &viewer).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3, "{:?}", listed.body);
}

async fn concurrent_bookings_of_one_slot_never_both_succeed(e: &Env) {
    let f = e.family.clone();
    let admin = f.employer_admin("Races").await;
    let job = published_job(&f, &admin, "SRE").await;
    let (_, cand, _) = applicant(&f, &job, "Kim Lo").await;
    let seed = format!("/api/employers/{}/schedule-interview", admin.org);
    // Eight overlapping bookings of one interviewer and one candidate at once.
    let mut tasks = Vec::new();
    for k in 0..8u8 {
        let (f, token, seed, cand) = (f.clone(), admin.token.clone(), seed.clone(), cand.clone());
        tasks.push(tokio::spawn(async move {
            f.post(&seed, Some(&token), json!({"candidateId": cand, "interviewTime": at(9, 10, k * 5)})).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let a = t.await.expect("task");
        match a.status {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => assert_eq!(a.problem_type(), "/problems/interview-conflict", "{:?}", a.body),
            other => panic!("[{}] {other}: {:?}", f.name, a.body),
        }
    }
    assert_eq!(ok, 1, "[{}] exactly one of the racing bookings wins", f.name);
    let c = f
        .get(
            &format!("/api/interviews/calendar?from={}&candidateId={cand}", at(8, 0, 0).replace('+', "%2B")),
            &admin.token,
        )
        .await;
    assert_eq!(c.body["items"].as_array().unwrap().len(), 1, "{:?}", c.body);
}

async fn a_candidate_proposes_new_times_and_staff_accept_one(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Moves").await;
    let job = published_job(f, &admin, "QA Engineer").await;
    let (token, cand, cand_email) = applicant(f, &job, "Ola Berg").await;
    let i = f.post("/api/interviews", Some(&admin.token), json!({"candidateId": cand, "startsAt": at(3, 15, 0)})).await;
    assert_eq!(i.status, StatusCode::CREATED, "{:?}", i.body);
    let id = i.body["id"].as_str().unwrap();
    e.pump_invites().await;
    // The candidate reads their interview and proposes two times.
    let mine = f.get(&format!("/api/interviews/{id}"), &token).await;
    assert_eq!(mine.status, StatusCode::OK, "[{}] {:?}", f.name, mine.body);
    let (p1, p2) = (at(4, 9, 0), at(4, 16, 0));
    let asked = f
        .post(
            &format!("/api/interviews/{id}/reschedule-request"),
            Some(&token),
            json!({"proposedTimes": [p1, p2], "reason": "A clash with an exam"}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "[{}] {:?}", f.name, asked.body);
    assert_eq!(asked.body["rescheduleRequest"]["proposed"].as_array().unwrap().len(), 2);
    let not_offered = f
        .post(&format!("/api/interviews/{id}/accept-proposal"), Some(&admin.token), json!({"startsAt": at(4, 11, 0)}))
        .await;
    assert_eq!(not_offered.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", not_offered.body);
    let accepted =
        f.post(&format!("/api/interviews/{id}/accept-proposal"), Some(&admin.token), json!({"startsAt": p2})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["sequence"], 1);
    assert_eq!(accepted.body["rescheduleRequest"], Value::Null);
    assert_eq!(e.pump_invites().await, 1);
    let mails = e.sent.to(&cand_email);
    let (_, cal) = ics_of(mails.last().unwrap());
    let ev = cal.events().next().unwrap();
    assert_eq!(ev.get_sequence(), Some(1));
    assert_eq!(ev.property_value("DTSTART"), Some(ical_time(&p2).as_str()));
    // Another candidate cannot see or move it.
    let (other, _, _) = candidate(f, "Nosy Parker").await;
    assert_eq!(f.get(&format!("/api/interviews/{id}"), &other).await.status, StatusCode::NOT_FOUND);
}

/// A whole hour `days` ago.
fn ago(days: i64, hour: u8) -> String {
    at(-days, hour, 0)
}

async fn feedback_is_independent_amendments_are_recorded_and_the_seed_route_rates_the_latest_interview(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Scorecards").await;
    let (lee_token, lee, _) = staff(f, &admin, "recruiter").await;
    let (hr_token, hr_user, _) = staff(f, &admin, "hr_manager").await;
    let job = published_job(f, &admin, "Backend Engineer").await;
    let (cand_token, cand, _) = applicant(f, &job, "Rae Kim").await;
    let i = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": ago(2, 9), "interviewerIds": [admin.user, lee], "type": "technical"}),
        )
        .await;
    assert_eq!(i.status, StatusCode::CREATED, "[{}] {:?}", f.name, i.body);
    let id = i.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/interviews/{id}/feedback");

    let card = json!({"rating": 4, "recommendation": "hire", "comments": "Clear reasoning about failure modes.",
                      "criteria": [{"criterion": "Rust", "rating": 5}, {"criterion": "experience", "rating": 4}]});
    let sent = f.post(&path, Some(&admin.token), card.clone()).await;
    assert_eq!(sent.status, StatusCode::OK, "[{}] {:?}", f.name, sent.body);
    assert_eq!(sent.body["criteria"][0]["criterion"], "rust");
    // Lee has not sent theirs: the others' feedback is hidden from them.
    let hidden = f.get(&path, &lee_token).await;
    assert_eq!(hidden.status, StatusCode::OK, "{:?}", hidden.body);
    assert_eq!(hidden.body["othersHidden"], true);
    assert_eq!(hidden.body["others"], json!([]));
    assert_eq!(hidden.body["submitted"], 1);
    // A criterion the job does not have, or a rating out of range, names the field.
    let bad = f
        .post(
            &path,
            Some(&lee_token),
            json!({"rating": 6, "recommendation": "hire", "criteria": [{"criterion": "Cobol", "rating": 3}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", bad.body);
    let fields: Vec<_> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["rating", "criteria[0].criterion"]);
    let lees = f.post(&path, Some(&lee_token), json!({"rating": 2, "recommendation": "no_hire"})).await;
    assert_eq!(lees.status, StatusCode::OK, "{:?}", lees.body);
    let shown = f.get(&path, &lee_token).await;
    assert_eq!(shown.body["othersHidden"], false);
    assert_eq!(shown.body["others"][0]["rating"], 4);
    // Independence holds across a candidate's interviews: HR sits on a second round with Rae and
    // reads no one's view of Rae, in any round, before sending their own.
    let round2 = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": ago(1, 14), "interviewerIds": [hr_user], "type": "behavioral"}),
        )
        .await;
    assert_eq!(round2.status, StatusCode::CREATED, "[{}] {:?}", f.name, round2.body);
    let r2 = round2.body["id"].as_str().unwrap().to_owned();
    let owed = f.get(&path, &hr_token).await;
    assert_eq!((owed.body["othersHidden"].clone(), owed.body["others"].clone()), (json!(true), json!([])));
    assert_eq!(owed.body["pendingInterviewIds"], json!([r2]));
    let hr_card = f
        .post(
            &format!("/api/interviews/{r2}/feedback"),
            Some(&hr_token),
            json!({"rating": 3, "recommendation": "hire"}),
        )
        .await;
    assert_eq!(hr_card.status, StatusCode::OK, "{:?}", hr_card.body);
    // Once theirs is in, they see every scorecard of the first round (they did not sit on it).
    let hr = f.get(&path, &hr_token).await;
    assert_eq!((hr.body["othersHidden"].clone(), hr.body["others"].as_array().unwrap().len()), (json!(false), 2));
    assert_eq!(hr.body["pendingInterviewIds"], json!([]));
    // Only interviewers send feedback on it.
    let not_on_panel = f.post(&path, Some(&hr_token), card.clone()).await;
    assert_eq!(not_on_panel.status, StatusCode::FORBIDDEN);

    // An amendment needs a reason and keeps what it replaced.
    let no_reason = f.post(&path, Some(&admin.token), json!({"rating": 5, "recommendation": "strong_hire"})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", no_reason.body);
    assert_eq!(no_reason.body["errors"][0]["field"], "amendmentReason");
    let amended = f
        .post(
            &path,
            Some(&admin.token),
            json!({"rating": 5, "recommendation": "strong_hire", "amendmentReason": "Reviewed the take-home code"}),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{:?}", amended.body);
    assert_eq!(amended.body["version"], 2);
    let a = &amended.body["amendments"][0];
    assert_eq!((a["previousRating"].clone(), a["previousRecommendation"].clone()), (json!(4), json!("hire")));
    assert_eq!(a["reason"], "Reviewed the take-home code");

    // The seed route rates the caller's latest interview of the candidate.
    let seed = format!("/api/employers/{}/feedback", admin.org);
    let rated = f
        .post(
            &seed,
            Some(&lee_token),
            json!({"candidateId": cand, "rating": 3, "comments": "On reflection, fine.",
                                             "amendmentReason": "Second look"}),
        )
        .await;
    assert_eq!(rated.status, StatusCode::OK, "[{}] {:?}", f.name, rated.body);
    assert_eq!((rated.body["interviewId"].clone(), rated.body["rating"].clone()), (json!(id), json!(3)));
    let (_, stranger, _) = applicant(f, &job, "Never Interviewed").await;
    let none = f.post(&seed, Some(&lee_token), json!({"candidateId": stranger, "rating": 3})).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{:?}", none.body);
    let other = f.employer_admin("Rivals").await;
    let foreign = f
        .post(
            &format!("/api/employers/{}/feedback", other.org),
            Some(&lee_token),
            json!({"candidateId": cand, "rating": 3}),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    // The candidate sees an anonymised summary only once the employer shares it.
    let summary = format!("/api/interviews/{id}/feedback-summary");
    assert_eq!(f.get(&summary, &cand_token).await.status, StatusCode::NOT_FOUND);
    let shared = f.post(&format!("/api/interviews/{id}/share-feedback"), Some(&admin.token), json!(null)).await;
    assert_eq!(shared.status, StatusCode::OK, "{:?}", shared.body);
    assert_eq!(shared.body["feedbackShared"], true);
    let s = f.get(&summary, &cand_token).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!((s.body["scorecards"].clone(), s.body["averageRating"].clone()), (json!(2), json!(4.0)));
    // Both amendments resent no criterion ratings: a scorecard is replaced whole.
    assert_eq!(s.body["criteria"], json!([]));
    let text = s.body.to_string();
    assert!(
        !text.contains(&admin.user) && !text.contains(&lee) && !text.contains("reflection") && !text.contains("hire"),
        "{text}"
    );
    // Feedback opens when the interview starts.
    let future =
        f.post("/api/interviews", Some(&admin.token), json!({"candidateId": cand, "startsAt": at(2, 9, 0)})).await;
    let early = f
        .post(&format!("/api/interviews/{}/feedback", future.body["id"].as_str().unwrap()), Some(&admin.token), card)
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{:?}", early.body);
    assert_eq!(early.problem_type(), "/problems/interview-not-started");
}

async fn interviewers_without_feedback_are_reminded_once_a_day_after_the_interview(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Reminders").await;
    let (_, lee, lee_email) = staff(f, &admin, "recruiter").await;
    let job = published_job(f, &admin, "Data Analyst").await;
    let (_, cand, _) = applicant(f, &job, "Ida Novak").await;
    let i = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": ago(3, 10), "durationMinutes": 45, "interviewerIds": [admin.user, lee]}),
        )
        .await;
    assert_eq!(i.status, StatusCode::CREATED, "{:?}", i.body);
    let id = i.body["id"].as_str().unwrap();
    let ends = OffsetDateTime::parse(i.body["endsAt"].as_str().unwrap(), &Rfc3339).unwrap();
    let sent = f
        .post(
            &format!("/api/interviews/{id}/feedback"),
            Some(&admin.token),
            json!({"rating": 3, "recommendation": "hire"}),
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    let before = e.sent.to(&lee_email).len();
    // An hour before it is due, nothing; once due, Lee (no feedback) is reminded, the admin is not.
    let early = clearview_chain::interviews::send_feedback_reminders(&e.deps, ends + time::Duration::hours(23)).await;
    assert_eq!(early.expect("run"), 0);
    let due = ends + time::Duration::hours(24) + time::Duration::minutes(20);
    let n = clearview_chain::interviews::send_feedback_reminders(&e.deps, due).await.expect("run");
    assert_eq!(n, 1, "[{}] one reminder", f.name);
    let to_lee = e.sent.to(&lee_email);
    assert_eq!(to_lee.len(), before + 1);
    assert!(to_lee.last().unwrap().subject.starts_with("Feedback due"), "{}", to_lee.last().unwrap().subject);
    assert!(to_lee.last().unwrap().text_body.contains(id));
    assert!(e.sent.to(&admin.email).iter().all(|m| !m.subject.starts_with("Feedback due")));
    // A retried run sends nothing twice.
    assert_eq!(clearview_chain::interviews::send_feedback_reminders(&e.deps, due).await.expect("run"), 0);
}

/// A GET whose answer is not JSON: (status, content type, body).
async fn get_text(f: &Family, path: &str) -> (StatusCode, String, String) {
    let a = f.send_bytes(Method::GET, path, None, &[], Vec::new()).await;
    let media = a.header("content-type").unwrap_or("").to_owned();
    let text = match a.body {
        Value::String(text) => text,
        Value::Null => String::new(),
        json => json.to_string(),
    };
    (a.status, media, text)
}

async fn an_interviewers_private_feed_lists_their_interviews_until_the_token_is_rotated(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Feeds").await;
    let (lee_token, lee, _) = staff(f, &admin, "recruiter").await;
    let job = published_job(f, &admin, "Mobile Engineer").await;
    let (_, cand, _) = applicant(f, &job, "Tam Vo").await;
    let i = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": at(2, 12, 0), "interviewerIds": [lee]}),
        )
        .await;
    assert_eq!(i.status, StatusCode::CREATED, "{:?}", i.body);
    let link = f.post("/api/interviews/calendar-feed", Some(&lee_token), json!(null)).await;
    assert_eq!(link.status, StatusCode::CREATED, "[{}] {:?}", f.name, link.body);
    let url = link.body["url"].as_str().unwrap().to_owned();
    let (status, media, body) = get_text(f, &url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(media.starts_with("text/calendar"), "{media}");
    let cal: Calendar = body.parse().expect("the feed parses");
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    let uids: Vec<_> = cal.events().map(|e| e.get_uid().unwrap_or("").to_owned()).collect();
    assert_eq!(uids, vec![i.body["icalUid"].as_str().unwrap().to_owned()]);
    assert!(!body.contains("Tam Vo"), "the feed does not name the candidate");
    // Rotating the token retires the old URL.
    let rotated = f.post("/api/interviews/calendar-feed", Some(&lee_token), json!(null)).await;
    assert_eq!(rotated.status, StatusCode::CREATED);
    assert_eq!(get_text(f, &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get_text(f, rotated.body["url"].as_str().unwrap()).await.0, StatusCode::OK);
    assert_eq!(get_text(f, "/api/interviews/feed/guessed-token").await.0, StatusCode::NOT_FOUND);
}

async fn candidates_rate_the_experience_anonymously_and_staff_see_totals_from_five_answers(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("Experience").await;
    let job = published_job(f, &admin, "Support Engineer").await;
    let mut people = Vec::new();
    for (k, name) in ["Ari One", "Bo Two", "Cy Three", "Di Four", "Ed Five"].into_iter().enumerate() {
        let (token, cand, _) = applicant(f, &job, name).await;
        let i = f
            .post(
                "/api/interviews",
                Some(&admin.token),
                json!({"candidateId": cand, "startsAt": at(-2, 8 + k as u8, 0), "durationMinutes": 45}),
            )
            .await;
        assert_eq!(i.status, StatusCode::CREATED, "{:?}", i.body);
        people.push((token, cand, i.body["id"].as_str().unwrap().to_owned()));
    }
    let answer = |k: usize, rating: u8, themes: Value| {
        let (token, _, interview) = people[k].clone();
        async move {
            f.post(
                "/api/feedback/experience",
                Some(&token),
                json!({"interviewId": interview, "rating": rating, "themes": themes}),
            )
            .await
        }
    };
    let first = answer(0, 5, json!(["clear_communication", "well_organised"])).await;
    assert_eq!(first.status, StatusCode::OK, "[{}] {:?}", f.name, first.body);
    let twice = answer(0, 1, json!([])).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.problem_type(), "/problems/experience-feedback-sent");
    let bad = answer(1, 9, json!(["awful"])).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Someone else's interview names nothing.
    let theirs =
        f.post("/api/feedback/experience", Some(&people[1].0), json!({"interviewId": people[0].2, "rating": 3})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    // Under 5 answers, nothing is shown.
    let report = f.get("/api/feedback/experience", &admin.token).await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    assert_eq!(report.body["organization"]["withheld"], true);
    assert_eq!(report.body["organization"]["responses"], Value::Null);
    for (k, r) in [(1, 4), (2, 2), (3, 4), (4, 5)] {
        let a = answer(k, r, json!(["slow_process"])).await;
        assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    }
    let report = f.get("/api/feedback/experience", &admin.token).await;
    let org = &report.body["organization"];
    assert_eq!(org["withheld"], false, "{:?}", report.body);
    assert_eq!(org["responses"], 5);
    assert_eq!(org["ratings"], json!({"1": 0, "2": 1, "3": 0, "4": 2, "5": 2}));
    assert_eq!(org["averageRating"], 4.0);
    assert_eq!(org["themes"]["slow_process"], 4);
    assert_eq!(org["themes"]["clear_communication"], 1);
    assert_eq!(report.body["jobs"][0]["jobId"], job.as_str());
    assert_eq!(report.body["jobs"][0]["responses"], 5);
    // Nothing in it leads back to a candidate.
    let text = report.body.to_string();
    assert!(people.iter().all(|(_, cand, interview)| !text.contains(cand) && !text.contains(interview)));
}

async fn a_dei_consultant_reads_aggregates_never_candidates_and_talks_with_staff_in_threads(e: &Env) {
    let f = e.family.as_ref();
    let admin = f.employer_admin("FairHiring").await;
    let job = published_job(f, &admin, "Warehouse Lead").await;
    let (_, cand, app) = applicant(f, &job, "Jo Park").await;
    let (dei, dei_id, dei_email) = staff(f, &admin, "dei_consultant").await;
    let (rec, rec_id, rec_email) = staff(f, &admin, "recruiter").await;

    // Aggregates and the job's ad-language report: yes.
    let posting = f.get(&format!("/api/jobs/{job}"), &dei).await;
    assert_eq!(posting.status, StatusCode::OK, "[{}] {:?}", f.name, posting.body);
    assert!(posting.body["adLanguage"].is_object(), "{:?}", posting.body);
    assert_eq!(f.get(&format!("/api/jobs/{job}/bias-audit"), &dei).await.status, StatusCode::OK);
    assert_eq!(f.get("/api/pipeline/analytics", &dei).await.status, StatusCode::OK);
    // A candidate's data, in any form: never.
    for path in [
        "/api/applications".to_owned(),
        format!("/api/applications/{app}"),
        format!("/api/jobs/{job}/applications"),
        "/api/candidates".to_owned(),
        format!("/api/candidates/{cand}/applications"),
        "/api/interviews".to_owned(),
    ] {
        assert_eq!(f.get(&path, &dei).await.status, StatusCode::FORBIDDEN, "[{}] {path}", f.name);
    }
    // Nor sit on an interview panel (the invite would carry the application).
    let panel = f
        .post(
            "/api/interviews",
            Some(&admin.token),
            json!({"candidateId": cand, "startsAt": at(3, 10, 0), "interviewerIds": [dei_id]}),
        )
        .await;
    assert_eq!(panel.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", panel.body);
    assert_eq!(panel.body["errors"][0]["field"], "interviewerIds[0]");

    // Staff open a thread about the job's bias audit; a retry with the same key stores nothing twice.
    let messages = format!("/api/employers/{}/messages", admin.org);
    let body = json!({"consultantId": dei_id, "subject": "Q3 audit", "message": "Could you review the impact ratios?",
                      "attachment": {"kind": "bias_audit", "jobId": job}});
    let send = |token: String, body: Value, key: &'static str| {
        let path = messages.clone();
        async move {
            f.send(Call {
                method: Method::POST,
                path,
                token: Some(&token),
                body: Some(body),
                headers: vec![("idempotency-key", key.to_owned())],
            })
            .await
        }
    };
    let first = send(rec.clone(), body.clone(), "thread-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "[{}] {:?}", f.name, first.body);
    let again = send(rec.clone(), body.clone(), "thread-1").await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(again.body["message"]["id"], first.body["message"]["id"]);
    let thread = first.body["thread"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first.body["thread"]["attachment"]["jobTitle"], "Warehouse Lead");

    // The consultant is told once, and sees one unread message.
    assert_eq!(e.pump_messages().await, 1, "[{}] one message.sent event", f.name);
    let mailed = e.sent.to(&dei_email);
    assert_eq!(mailed.len(), 1, "{:?}", mailed.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert!(mailed[0].subject.contains("Q3 audit") && mailed[0].text_body.contains("impact ratios"));
    let inbox = f.get(&messages, &dei).await;
    assert_eq!(inbox.status, StatusCode::OK, "{:?}", inbox.body);
    assert_eq!((inbox.body["unread"].clone(), inbox.body["items"][0]["messages"].clone()), (json!(1), json!(1)));

    // Marked read, the counts go down; the reply goes to the staff who wrote, not to every admin.
    let read = f.get(&format!("{messages}/{thread}"), &dei).await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body["items"][0]["body"], "Could you review the impact ratios?");
    let marked = f.post(&format!("{messages}/{thread}/read"), Some(&dei), json!(null)).await;
    assert_eq!(
        (marked.status, marked.body["unreadByConsultant"].clone()),
        (StatusCode::OK, json!(0)),
        "{:?}",
        marked.body
    );
    assert_eq!(f.get(&messages, &dei).await.body["unread"], 0);
    let reply =
        send(dei.clone(), json!({"threadId": thread, "message": "Two groups are under 0.8; details inside."}), "r-1")
            .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(e.pump_messages().await, 1);
    assert_eq!(e.sent.to(&rec_email).len(), 1);
    assert!(e.sent.to(&admin.email).iter().all(|m| !m.subject.starts_with("New message")));
    let staff_inbox = f.get(&messages, &admin.token).await;
    assert_eq!(staff_inbox.body["unread"], 1, "{:?}", staff_inbox.body);
    // The unread counter equals a recount over the threads.
    let recount: u64 =
        staff_inbox.body["items"].as_array().unwrap().iter().map(|t| t["unreadByStaff"].as_u64().unwrap()).sum();
    assert_eq!(staff_inbox.body["unread"].as_u64(), Some(recount));
    let thread_view = f.get(&format!("{messages}/{thread}"), &rec).await;
    let authors: Vec<_> =
        thread_view.body["items"].as_array().unwrap().iter().map(|m| m["side"].as_str().unwrap()).collect();
    assert_eq!(authors, ["staff", "consultant"]);
    assert_eq!(thread_view.body["thread"]["staffParticipants"], json!([rec_id]));

    // A consultant's own thread goes to the admins while no staff member has written in it.
    let own = send(dei.clone(), json!({"message": "Your job ads read well; one phrase to change."}), "own-1").await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
    assert_eq!(e.pump_messages().await, 1);
    assert_eq!(e.sent.to(&admin.email).iter().filter(|m| m.subject.starts_with("New message")).count(), 1);

    // Bad input names the field; other consultants, viewers and other organisations get nothing.
    let nobody = send(rec.clone(), json!({"consultantId": cand, "message": "hi"}), "bad-1").await;
    assert_eq!(
        (nobody.status, nobody.body["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("consultantId"))
    );
    let empty = send(rec.clone(), json!({"consultantId": dei_id, "message": ""}), "bad-2").await;
    assert_eq!(empty.body["errors"][0]["field"], "message", "{:?}", empty.body);
    let (other_dei, _, _) = staff(f, &admin, "dei_consultant").await;
    assert_eq!(f.get(&format!("{messages}/{thread}"), &other_dei).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.get(&messages, &other_dei).await.body["items"], json!([]));
    let (viewer, _, _) = staff(f, &admin, "viewer").await;
    assert_eq!(f.get(&messages, &viewer).await.status, StatusCode::FORBIDDEN);
    let rival = f.employer_admin("Elsewhere").await;
    assert_eq!(f.get(&format!("/api/employers/{}/messages", rival.org), &dei).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        f.get(&format!("/api/employers/{}/messages/{thread}", rival.org), &rival.token).await.status,
        StatusCode::NOT_FOUND
    );
}

macro_rules! interview_tests {
    ($env:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_panel_is_scheduled_rescheduled_and_cancelled_with_invites_that_parse_back() {
            super::a_panel_is_scheduled_rescheduled_and_cancelled_with_invites_that_parse_back(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_clash_answers_409_naming_the_clashing_interview_and_bad_input_names_the_field() {
            super::a_clash_answers_409_naming_the_clashing_interview_and_bad_input_names_the_field(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_dei_consultant_reads_aggregates_never_candidates_and_talks_with_staff_in_threads() {
            super::a_dei_consultant_reads_aggregates_never_candidates_and_talks_with_staff_in_threads(&$env().await)
                .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn concurrent_bookings_of_one_slot_never_both_succeed() {
            super::concurrent_bookings_of_one_slot_never_both_succeed(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn a_candidate_proposes_new_times_and_staff_accept_one() {
            super::a_candidate_proposes_new_times_and_staff_accept_one(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn feedback_is_independent_amendments_are_recorded_and_the_seed_route_rates_the_latest_interview() {
            super::feedback_is_independent_amendments_are_recorded_and_the_seed_route_rates_the_latest_interview(
                &$env().await,
            )
            .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn an_interviewers_private_feed_lists_their_interviews_until_the_token_is_rotated() {
            super::an_interviewers_private_feed_lists_their_interviews_until_the_token_is_rotated(&$env().await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn candidates_rate_the_experience_anonymously_and_staff_see_totals_from_five_answers() {
            super::candidates_rate_the_experience_anonymously_and_staff_see_totals_from_five_answers(&$env().await)
                .await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn interviewers_without_feedback_are_reminded_once_a_day_after_the_interview() {
            super::interviewers_without_feedback_are_reminded_once_a_day_after_the_interview(&$env().await).await;
        }
    };
}

mod embedded {
    use super::*;
    use clearview_local::LocalFamily;

    async fn env() -> Env {
        let dir = std::env::temp_dir().join(format!("clearview-interviews-{}", uuid::Uuid::new_v4()));
        let local = LocalFamily::in_memory_for_tests(&dir).expect("local family");
        let sent = Arc::new(Recording { inner: local.mailer.clone(), sent: Mutex::new(Vec::new()) });
        let mut deps = local.deps();
        deps.mail = sent.clone();
        let family = Arc::new(clearview_tests::families::embedded(&local, deps.clone()));
        let queues = local.queues.clone();
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let queues = queues.clone();
            Box::pin(async move { clearview_tests::pump::local(&queues, consumer.as_ref()).await })
        });
        Env { family, deps, pump, sent }
    }

    #[test]
    fn the_feedback_reminder_schedule_is_a_valid_hourly_cron() {
        let def = clearview_chain::table::by_name("interview-feedback-reminders").expect("in the table");
        let clearview_chain::table::Trigger::Schedule { expression } = def.trigger else { panic!("a schedule") };
        let s = clearview_local::cron::Schedule::parse(expression).expect("parses");
        let at = time::macros::datetime!(2026-03-01 08:10 UTC);
        assert_eq!(s.next_after(at), Some(time::macros::datetime!(2026-03-01 09:05 UTC)));
    }

    #[test]
    fn the_outbox_mails_an_invite_with_a_text_calendar_part() {
        let dir = std::env::temp_dir().join(format!("clearview-outbox-{}", uuid::Uuid::new_v4()));
        let clock = Arc::new(clearview_core::ports::clock::SystemClock);
        let mailer = clearview_local::OutboxMailer::open(&dir, clock).expect("outbox");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(mailer.send(OutgoingEmail {
            to: "sam@mail.example".into(),
            subject: "Interview invitation".into(),
            text_body: "See you".into(),
            html_body: Some("<p>See you</p>".into()),
            dedupe_key: None,
            calendar: Some(clearview_core::ports::mail::CalendarPart {
                method: "REQUEST".into(),
                ics: "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n".into(),
            }),
        }))
        .expect("sent");
        let eml = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .expect("an .eml");
        let text = std::fs::read_to_string(eml.path()).unwrap();
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("text/calendar; method=REQUEST"), "{text}");
        assert!(text.contains("text/html") && text.contains("text/plain"), "{text}");
    }

    interview_tests!(env);
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
                .with_events(Arc::new(chain.events.clone()));
        let family = Arc::new(clearview_tests::families::aws(deps.clone(), p.verifier, p.jwks));
        let pump = Box::new(move |consumer: Arc<dyn Consumer>| -> BoxFut<'static, usize> {
            let chain = chain.clone();
            Box::pin(
                async move { clearview_tests::pump::moto(&chain, consumer.as_ref(), Duration::from_secs(2)).await },
            )
        });
        Env { family, deps, pump, sent }
    }

    interview_tests!(env);
}
