//! Interview mail, asynchronously: the `interview-invites` consumer of `interview.*` events mails
//! the candidate and each interviewer an RFC 5545 invite (`METHOD:REQUEST`, or `METHOD:CANCEL`
//! on a cancellation and to anyone taken off the panel) beside the text and HTML, once per
//! event and person however often the event comes; and the hourly `interview-feedback-reminders`
//! schedule reminds each interviewer who has not sent feedback 24 hours after the interview.

use crate::email::render;
use async_trait::async_trait;
use clearview_core::calendar::{self, Method, Person};
use clearview_core::error::{AppError, AppResult};
use clearview_core::keys;
use clearview_core::model::interview::{FeedbackDue, Interview, InterviewStatus, utc_key};
use clearview_core::model::{Candidate, User};
use clearview_core::ports::Deps;
use clearview_core::ports::mail::{CalendarPart, OutgoingEmail};
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, Scheduled, WorkMessage, WorkQueue};
use clearview_core::ports::store::{Condition, Item, Query};
use clearview_core::record::{self, Record};
use clearview_core::values::{OrgId, UserId};
use time::{Duration, OffsetDateTime};

/// The queue `interview.*` events reach.
pub const QUEUE: WorkQueue = WorkQueue::named("interview-invites");
/// The event kinds' common prefix (the subscription's filter).
pub const EVENTS: &str = "interview.";

/// Who gets what for one interview event.
struct Recipients {
    organizer: Person,
    candidate: (UserId, Person),
    interviewers: Vec<(UserId, Person)>,
    removed: Vec<(UserId, Person)>,
}

async fn staff_person(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<Option<Person>> {
    let user: Option<User> = record::get(deps.store.as_ref(), &keys::user(org, id)).await?;
    Ok(user.map(|u| Person { name: u.name.clone(), email: u.email.to_string() }))
}

async fn recipients(deps: &Deps, i: &Interview, removed: &[UserId]) -> AppResult<Recipients> {
    let candidate: Candidate = record::get(deps.store.as_ref(), &keys::candidate(&i.candidate_id))
        .await?
        .ok_or(AppError::NotFound("candidate"))?;
    let mut interviewers = Vec::new();
    for id in &i.interviewers {
        if let Some(p) = staff_person(deps, &i.org_id, id).await? {
            interviewers.push((id.clone(), p));
        }
    }
    let mut gone = Vec::new();
    for id in removed {
        if let Some(p) = staff_person(deps, &i.org_id, id).await? {
            gone.push((id.clone(), p));
        }
    }
    let organizer = staff_person(deps, &i.org_id, &i.organizer_id)
        .await?
        .or_else(|| interviewers.first().map(|(_, p)| p.clone()))
        .ok_or(AppError::NotFound("organizer"))?;
    Ok(Recipients {
        organizer,
        candidate: (candidate.id.clone(), Person { name: Some(candidate.name), email: candidate.email.to_string() }),
        interviewers,
        removed: gone,
    })
}

/// What interviewers' copies show of the candidate: no name or address (blind review holds in
/// the calendar too; the candidate's own copy names everyone).
fn anonymous_candidate(i: &Interview) -> Person {
    Person { name: Some("Candidate".into()), email: format!("candidate+{}@interviews.clearview.invalid", i.id) }
}

fn what(i: &Interview) -> String {
    match &i.job_title {
        Some(t) => format!("{} for {t}", i.kind.label().to_lowercase()),
        None => i.kind.label().to_lowercase(),
    }
}

fn lines(i: &Interview, opening: String) -> Vec<String> {
    let mut out = vec![opening];
    out.push(format!(
        "When: {} ({} minutes; {} UTC).",
        calendar::local_time(i.starts_at, &i.time_zone),
        i.duration_minutes,
        utc_key(i.starts_at)
    ));
    if let Some(l) = &i.location {
        out.push(format!("Where: {l}"));
    }
    if let Some(l) = &i.meeting_link {
        out.push(format!("Join: {l}"));
    }
    out
}

/// The mail of one person for an event: its text and its calendar object.
fn mail_for(
    kind: &str,
    i: &Interview,
    to_candidate: bool,
    removed: bool,
    name: &str,
) -> (crate::email::Rendered, Method) {
    let w = what(i);
    let (subject, opening, method) = if removed {
        (format!("Cancelled: {w}"), format!("You are no longer on the panel of this {w}."), Method::Cancel)
    } else if kind == "interview.cancelled" || i.status == InterviewStatus::Cancelled {
        (format!("Cancelled: {w}"), format!("This {w} has been cancelled."), Method::Cancel)
    } else if kind == "interview.updated" {
        (
            format!("Updated: {w}"),
            format!("This {w} has changed; the invite below replaces the earlier one."),
            Method::Request,
        )
    } else if to_candidate {
        (format!("Interview invitation: {w}"), format!("You are invited to a {w}."), Method::Request)
    } else {
        (format!("Interview scheduled: {w}"), format!("You are interviewing in a {w}."), Method::Request)
    };
    let mut paragraphs = lines(i, opening);
    paragraphs.push(if method == Method::Cancel {
        "Your calendar will remove it when you open the attached update.".into()
    } else {
        "The invite is attached: your calendar adds it (and updates it if it changes).".into()
    });
    (render(name, subject, &paragraphs), method)
}

/// Sends one person's mail for an event at most once (a marker per event and person).
pub(crate) async fn send_once(
    deps: &Deps,
    event: &DomainEvent,
    person_id: &UserId,
    to: &Person,
    mail: crate::email::Rendered,
    calendar: Option<CalendarPart>,
) -> AppResult<()> {
    let dedupe = format!("{}#{person_id}", event.id);
    let marker_key = keys::email_sent(&dedupe);
    if let Some(m) = deps.store.get(&marker_key).await?
        && m.data["state"] == "sent"
    {
        return Ok(());
    }
    let id = deps
        .mail
        .send(OutgoingEmail {
            to: to.email.clone(),
            subject: mail.subject,
            text_body: mail.text,
            html_body: Some(mail.html),
            dedupe_key: Some(dedupe.clone()),
            calendar,
        })
        .await?;
    let marker = Item {
        key: marker_key,
        gsi1: None,
        gsi2: None,
        entity: "EmailSent".into(),
        version: 1,
        expires_at: Some(deps.clock.now().unix_timestamp() + 90 * 24 * 3600),
        data: serde_json::json!({"state": "sent", "eventId": event.id, "kind": event.kind, "messageId": id}),
    };
    deps.store.put(marker, Condition::None).await?;
    Ok(())
}

/// Mails everyone on an interview event their invite (or cancellation).
pub async fn deliver(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let interview: Interview = serde_json::from_value(event.data["interview"].clone())
        .map_err(|e| AppError::Internal(format!("event {} carries no interview: {e}", event.id)))?;
    let removed: Vec<UserId> = serde_json::from_value(event.data["removedInterviewers"].clone()).unwrap_or_default();
    let r = recipients(deps, &interview, &removed).await?;
    let panel: Vec<Person> = r.interviewers.iter().map(|(_, p)| p.clone()).collect();
    let stamp = event.occurred_at;
    let mut sent = 0;
    // The candidate's copy names everyone.
    let (mail, method) =
        mail_for(&event.kind, &interview, true, false, r.candidate.1.name.as_deref().unwrap_or("there"));
    let ics = calendar::invite(&interview, method, &r.organizer, &r.candidate.1, &panel, stamp);
    send_once(
        deps,
        event,
        &r.candidate.0,
        &r.candidate.1,
        mail,
        Some(CalendarPart { method: method.as_str().into(), ics }),
    )
    .await?;
    sent += 1;
    let anonymous = anonymous_candidate(&interview);
    for (id, p) in &r.interviewers {
        let (mail, method) = mail_for(&event.kind, &interview, false, false, p.name.as_deref().unwrap_or("there"));
        let ics = calendar::invite(&interview, method, &r.organizer, &anonymous, &panel, stamp);
        send_once(deps, event, id, p, mail, Some(CalendarPart { method: method.as_str().into(), ics })).await?;
        sent += 1;
    }
    for (id, p) in &r.removed {
        let (mail, method) = mail_for(&event.kind, &interview, false, true, p.name.as_deref().unwrap_or("there"));
        let ics = calendar::invite(&interview, method, &r.organizer, &anonymous, std::slice::from_ref(p), stamp);
        send_once(deps, event, id, p, mail, Some(CalendarPart { method: method.as_str().into(), ics })).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Mails interview invites.
pub struct InterviewInvitesConsumer(pub Deps);

#[async_trait]
impl Consumer for InterviewInvitesConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event = match crate::event_of(m, |k| k.starts_with(EVENTS)) {
            Ok(Some(e)) => e,
            Ok(None) => return Outcome::Done,
            Err(poison) => return poison,
        };
        match deliver(&self.0, &event).await {
            Ok(n) => {
                tracing::info!(event = %event.id, kind = %event.kind, mailed = n, "interview invites mailed");
                Outcome::Done
            }
            Err(e) => crate::outcome_of(&format!("mailing invites of {}", event.id), e),
        }
    }
}

/// How many hours back a run looks, so a missed run's reminders still go out.
const LOOKBACK_HOURS: i64 = 6;

/// Sends the reminders due by `now`: every interviewer of an interview that ended at least 24
/// hours ago and who has not sent feedback, once each. Returns how many were mailed.
pub async fn send_feedback_reminders(deps: &Deps, now: OffsetDateTime) -> AppResult<usize> {
    let mut mailed = 0;
    for back in (0..=LOOKBACK_HOURS).rev() {
        let hour = utc_key(now - Duration::hours(back))[..13].to_owned();
        let (dues, _) =
            record::query::<FeedbackDue>(deps.store.as_ref(), &Query::table(keys::feedback_due_pk(&hour)).limit(1000))
                .await?;
        for due in dues {
            let Some(i) =
                record::get::<Interview>(deps.store.as_ref(), &keys::interview(&due.org_id, &due.interview_id)).await?
            else {
                deps.store.delete(&due.key(), Condition::None).await?;
                continue;
            };
            if i.ends_at + Duration::hours(24) > now {
                continue; // later this hour
            }
            if i.holds_time() && i.status != InterviewStatus::NoShow {
                for id in &i.interviewers {
                    let fb = deps.store.get(&keys::interview_feedback(&i.org_id, &i.id, id)).await?;
                    if fb.is_some() {
                        continue;
                    }
                    let Some(p) = staff_person(deps, &i.org_id, id).await? else { continue };
                    let marker = keys::email_sent(&format!("feedback-reminder:{}:{id}", i.id));
                    if deps.store.get(&marker).await?.is_some() {
                        continue;
                    }
                    let mail = render(
                        p.name.as_deref().unwrap_or("there"),
                        format!("Feedback due: {}", what(&i)),
                        &[
                            format!(
                                "The {} of {} ended a day ago and we have no feedback from you yet.",
                                what(&i),
                                calendar::local_time(i.starts_at, &i.time_zone)
                            ),
                            format!(
                                "Send your scorecard (rating, recommendation, a rating per criterion, comments) with POST /api/interviews/{}/feedback. You see the others' feedback once yours is in.",
                                i.id
                            ),
                        ],
                    );
                    deps.mail
                        .send(OutgoingEmail {
                            to: p.email.clone(),
                            subject: mail.subject,
                            text_body: mail.text,
                            html_body: Some(mail.html),
                            dedupe_key: Some(format!("feedback-reminder:{}:{id}", i.id)),
                            calendar: None,
                        })
                        .await?;
                    deps.store
                        .put(
                            Item {
                                key: marker,
                                gsi1: None,
                                gsi2: None,
                                entity: "EmailSent".into(),
                                version: 1,
                                expires_at: Some(now.unix_timestamp() + 90 * 24 * 3600),
                                data: serde_json::json!({"state": "sent", "kind": "feedback-reminder"}),
                            },
                            Condition::None,
                        )
                        .await?;
                    mailed += 1;
                }
            }
            deps.store.delete(&due.key(), Condition::None).await?;
        }
    }
    Ok(mailed)
}

/// The hourly feedback-reminder run.
pub struct FeedbackReminders(pub Deps);

#[async_trait]
impl Scheduled for FeedbackReminders {
    async fn run(&self, scheduled_at: OffsetDateTime) -> Outcome {
        match send_feedback_reminders(&self.0, scheduled_at).await {
            Ok(n) => {
                tracing::info!(reminded = n, "interview feedback reminders sent");
                Outcome::Done
            }
            Err(e) => crate::outcome_of("sending feedback reminders", e),
        }
    }
}
