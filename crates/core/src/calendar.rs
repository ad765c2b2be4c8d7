//! RFC 5545 calendars for interviews, built with the `icalendar` crate: the invite mailed to
//! each person (`METHOD:REQUEST`, a stable `UID`, `SEQUENCE` raised on every change, and
//! `METHOD:CANCEL` when it is called off) and an interviewer's private feed (`METHOD:PUBLISH`).
//! Times are written in UTC (`…Z`), which every calendar reads; the organiser's IANA zone is
//! named (`X-WR-TIMEZONE`) and used for the human text.

use crate::error::FieldError;
use crate::model::interview::{Booking, Interview, InterviewStatus};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};
use time::OffsetDateTime;

/// The iTIP method of a calendar object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
    Publish,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

/// Someone on an invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    pub email: String,
}

/// An IANA time-zone name from the tz database (`Europe/Berlin`, `America/New_York`, `UTC`).
pub fn parse_zone(field: &str, s: &str) -> Result<chrono_tz::Tz, FieldError> {
    s.trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| FieldError::new(field, "must be an IANA time zone such as Europe/Berlin or America/New_York"))
}

fn chrono_utc(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), 0).unwrap_or_default()
}

/// A time as a person in `zone` reads it: `Mon 2 Mar 2026, 11:00 CET (Europe/Berlin)`.
pub fn local_time(t: OffsetDateTime, zone: &str) -> String {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => format!("{} ({zone})", chrono_utc(t).with_timezone(&tz).format("%a %-d %b %Y, %H:%M %Z")),
        Err(_) => format!("{} UTC", chrono_utc(t).format("%a %-d %b %Y, %H:%M")),
    }
}

/// The calendar day at `t` in `zone` (UTC when the zone is unknown).
pub fn local_date(t: OffsetDateTime, zone: &str) -> time::Date {
    let tz = zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC);
    let local = chrono_utc(t).with_timezone(&tz).naive_local();
    let secs = local.and_utc().timestamp();
    OffsetDateTime::from_unix_timestamp(secs).map(|d| d.date()).unwrap_or(t.date())
}

fn mailto(p: &Person, role: &str, rsvp: bool) -> Property {
    let mut prop = Property::new("ATTENDEE", format!("mailto:{}", p.email));
    if let Some(n) = &p.name {
        prop.add_parameter("CN", n);
    }
    prop.add_parameter("ROLE", role);
    prop.add_parameter("PARTSTAT", "NEEDS-ACTION");
    if rsvp {
        prop.add_parameter("RSVP", "TRUE");
    }
    prop.done()
}

fn summary(title: Option<&str>, kind: crate::model::InterviewType) -> String {
    match title {
        Some(t) => format!("{}: {t}", kind.label()),
        None => kind.label().to_owned(),
    }
}

fn event_of(b: &Booking, stamp: OffsetDateTime) -> icalendar::Event {
    let mut e = icalendar::Event::new();
    e.uid(&b.ical_uid)
        .sequence(b.sequence)
        .timestamp(chrono_utc(stamp))
        .starts(chrono_utc(b.starts_at))
        .ends(chrono_utc(b.ends_at))
        .summary(&summary(b.job_title.as_deref(), b.kind));
    let mut description = format!("Interview {} - {}", b.interview_id, local_time(b.starts_at, &b.time_zone));
    if let Some(link) = &b.meeting_link {
        description.push_str(&format!("\nJoin: {link}"));
        e.url(link);
    }
    e.description(&description);
    if let Some(l) = b.location.as_deref().or(b.meeting_link.as_deref()) {
        e.location(l);
    }
    e
}

/// The invite (or, with [`Method::Cancel`], the cancellation) of an interview, for everyone on it.
pub fn invite(
    interview: &Interview,
    method: Method,
    organizer: &Person,
    candidate: &Person,
    interviewers: &[Person],
    stamp: OffsetDateTime,
) -> String {
    let b = Booking::of(interview);
    let mut e = event_of(&b, stamp);
    let mut org = Property::new("ORGANIZER", format!("mailto:{}", organizer.email));
    if let Some(n) = &organizer.name {
        org.add_parameter("CN", n);
    }
    e.append_property(org.done());
    e.append_multi_property(mailto(candidate, "REQ-PARTICIPANT", method == Method::Request));
    for p in interviewers {
        e.append_multi_property(mailto(p, "REQ-PARTICIPANT", method == Method::Request));
    }
    if method == Method::Cancel || interview.status == InterviewStatus::Cancelled {
        e.status(EventStatus::Cancelled);
    } else {
        e.status(EventStatus::Confirmed);
    }
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method.as_str()));
    cal.append_property(Property::new("X-WR-TIMEZONE", &interview.time_zone));
    cal.push(e.done());
    cal.done().to_string()
}

/// A meeting that is not an interview (a community leader's introduction, a community's
/// monthly meeting): the same `REQUEST` invite shape as [`invite`], with an RFC 5545
/// recurrence rule (`RRULE:FREQ=MONTHLY;BYDAY=1TU`) when it repeats.
#[allow(clippy::too_many_arguments)]
pub fn meeting_invite(
    uid: &str,
    summary: &str,
    description: &str,
    starts_at: OffsetDateTime,
    minutes: u32,
    rrule: Option<&str>,
    organizer: &Person,
    attendees: &[Person],
    stamp: OffsetDateTime,
) -> String {
    let mut e = icalendar::Event::new();
    e.uid(uid)
        .sequence(0)
        .timestamp(chrono_utc(stamp))
        .starts(chrono_utc(starts_at))
        .ends(chrono_utc(starts_at + time::Duration::minutes(i64::from(minutes))))
        .summary(summary)
        .description(description)
        .status(EventStatus::Confirmed);
    if let Some(r) = rrule {
        e.add_property("RRULE", r);
    }
    let mut org = Property::new("ORGANIZER", format!("mailto:{}", organizer.email));
    if let Some(n) = &organizer.name {
        org.add_parameter("CN", n);
    }
    e.append_property(org.done());
    for p in attendees {
        e.append_multi_property(mailto(p, "REQ-PARTICIPANT", true));
    }
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", Method::Request.as_str()));
    cal.push(e.done());
    cal.done().to_string()
}

/// A community event's calendar object: `REQUEST` (an attendee's invite, with them as the
/// attendee), `CANCEL` (their copy withdrawn when they no longer go) or `PUBLISH` (the event to
/// download). The UID is the event's, so every copy updates the same calendar entry, and
/// `SEQUENCE` is the event's change count. Times in UTC; the event's IANA zone is named.
pub struct EventInvite<'a> {
    pub uid: &'a str,
    pub sequence: u32,
    pub summary: &'a str,
    pub description: &'a str,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub time_zone: &'a str,
    pub location: Option<&'a str>,
    pub url: Option<&'a str>,
    pub organizer: &'a Person,
    pub attendee: Option<&'a Person>,
}

pub fn event_invite(ev: &EventInvite<'_>, method: Method, stamp: OffsetDateTime) -> String {
    let mut e = icalendar::Event::new();
    e.uid(ev.uid)
        .sequence(ev.sequence)
        .timestamp(chrono_utc(stamp))
        .starts(chrono_utc(ev.starts_at))
        .ends(chrono_utc(ev.ends_at))
        .summary(ev.summary)
        .description(&format!("{}\n{}", ev.description, local_time(ev.starts_at, ev.time_zone)));
    if let Some(l) = ev.location.or(ev.url) {
        e.location(l);
    }
    if let Some(u) = ev.url {
        e.url(u);
    }
    let mut org = Property::new("ORGANIZER", format!("mailto:{}", ev.organizer.email));
    if let Some(n) = &ev.organizer.name {
        org.add_parameter("CN", n);
    }
    e.append_property(org.done());
    if let Some(a) = ev.attendee {
        e.append_multi_property(mailto(a, "REQ-PARTICIPANT", method == Method::Request));
    }
    e.status(if method == Method::Cancel { EventStatus::Cancelled } else { EventStatus::Confirmed });
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method.as_str()));
    cal.append_property(Property::new("X-WR-TIMEZONE", ev.time_zone));
    cal.push(e.done());
    cal.done().to_string()
}

/// A private feed of bookings (`METHOD:PUBLISH`), for a calendar app to subscribe to.
pub fn feed(name: &str, bookings: &[Booking], stamp: OffsetDateTime) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    cal.append_property(Property::new("METHOD", Method::Publish.as_str()));
    for b in bookings {
        let mut e = event_of(b, stamp);
        e.status(if b.status == InterviewStatus::Cancelled { EventStatus::Cancelled } else { EventStatus::Confirmed });
        cal.push(e.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::interview::{Interview, InterviewStatus, InterviewType};
    use crate::values::{OrgId, UserId};
    use time::macros::datetime;

    fn interview() -> Interview {
        Interview {
            id: "0190f0c8-7f5a-7cc4-9d1e-2b7a1f3e4d5c".into(),
            org_id: OrgId::trusted("o"),
            job_id: None,
            job_title: Some("Backend Engineer".into()),
            candidate_id: UserId::trusted("c"),
            kind: InterviewType::Panel,
            starts_at: datetime!(2026-03-02 10:00 UTC),
            ends_at: datetime!(2026-03-02 11:00 UTC),
            duration_minutes: 60,
            time_zone: "Europe/Berlin".into(),
            interviewers: vec![UserId::trusted("i1")],
            organizer_id: UserId::trusted("i1"),
            location: Some("Room 4, Alexanderplatz 1".into()),
            meeting_link: None,
            status: InterviewStatus::Scheduled,
            ical_uid: "interview-1@clearview".into(),
            sequence: 2,
            reschedule_request: None,
            feedback_shared: false,
            created_at: datetime!(2026-03-01 10:00 UTC),
            updated_at: datetime!(2026-03-01 10:00 UTC),
            version: 1,
        }
    }

    fn person(email: &str) -> Person {
        Person { name: Some(email.split('@').next().unwrap().into()), email: email.into() }
    }

    #[test]
    fn an_invite_parses_back_with_its_times_attendees_uid_and_sequence() {
        let ics = invite(
            &interview(),
            Method::Request,
            &person("ana@acme.example"),
            &person("sam@mail.example"),
            &[person("ana@acme.example"), person("lee@acme.example")],
            datetime!(2026-03-01 10:00 UTC),
        );
        let cal: Calendar = ics.parse().expect("parses");
        assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
        let e = cal.events().next().expect("an event");
        assert_eq!(e.get_uid(), Some("interview-1@clearview"));
        assert_eq!(e.get_sequence(), Some(2));
        assert_eq!(e.property_value("DTSTART"), Some("20260302T100000Z"));
        assert_eq!(e.property_value("DTEND"), Some("20260302T110000Z"));
        let attendees: Vec<&str> =
            e.multi_properties().get("ATTENDEE").into_iter().flatten().map(|p| p.value()).collect();
        assert_eq!(attendees, ["mailto:sam@mail.example", "mailto:ana@acme.example", "mailto:lee@acme.example"]);
        assert!(e.get_description().unwrap().contains("11:00 CET (Europe/Berlin)"), "{:?}", e.get_description());
    }

    #[test]
    fn a_cancellation_says_cancel() {
        let ics = invite(
            &interview(),
            Method::Cancel,
            &person("ana@acme.example"),
            &person("sam@mail.example"),
            &[],
            datetime!(2026-03-01 10:00 UTC),
        );
        let cal: Calendar = ics.parse().expect("parses");
        assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
        assert_eq!(cal.events().next().unwrap().get_status(), Some(EventStatus::Cancelled));
    }

    #[test]
    fn zones_are_iana_names() {
        assert!(parse_zone("timeZone", "America/New_York").is_ok());
        assert!(parse_zone("timeZone", "Mars/Olympus").is_err());
        assert!(parse_zone("timeZone", "+02:00").is_err());
    }
}
