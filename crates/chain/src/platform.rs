//! The platform manager: the consumer of `offering.created` and `nonprofit.leader_assigned`.
//! An offering's creation records the non-profit↔offering mapping and, for a PENDING
//! non-profit, completes its onboarding: placed in a community, given the next leader in turn
//! under the cap (or put in line, and the platform admins are told to add leaders). A leader's
//! assignment mails the non-profit's members a welcome introducing the leader with the
//! introductory meeting's RFC 5545 invite, tells the leader, and sends everyone the monthly
//! community meeting as a recurring invite (RRULE); the meetings go on each person's schedule.
//! A leader's training (`nonprofit.training_sent`) is mailed to each member of the non-profit.
//! Redelivery changes nothing twice: the assignment marker and the per-mail markers see to it.

use crate::email::render;
use crate::interviews::send_once;
use async_trait::async_trait;
use clearview_core::calendar::{self, Person};
use clearview_core::error::{AppError, AppResult};
use clearview_core::model::platform::{Meeting, MeetingKind, PersonRef};
use clearview_core::ports::Deps;
use clearview_core::ports::mail::CalendarPart;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::communities::{self, LEADER_ASSIGNED, Placed};
use clearview_core::services::platform::{self, OFFERING_CREATED, TRAINING_SENT, TrainingInput};

/// The platform manager's queue.
pub const QUEUE: WorkQueue = WorkQueue::named("platform-manager");
/// The event kinds it reads (its subscription's filter).
pub const EVENTS: &[&str] = &["offering.", "nonprofit."];

fn person(p: &PersonRef) -> Person {
    Person { name: Some(p.name.clone()), email: p.email.clone() }
}

/// The same event under another id: one mail marker per mail of an event and person.
fn part(event: &DomainEvent, what: &str) -> DomainEvent {
    DomainEvent { id: format!("{}#{what}", event.id), ..event.clone() }
}

fn str_field(event: &DomainEvent, name: &str) -> AppResult<String> {
    event.data[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| AppError::Internal(format!("event {} carries no {name}", event.id)))
}

async fn onboard(deps: &Deps, event: &DomainEvent) -> AppResult<()> {
    let nonprofit = str_field(event, "nonprofitId")?;
    let offering = str_field(event, "offeringId")?;
    let done = communities::onboard(deps, &nonprofit, &offering).await?;
    tracing::info!(nonprofit, offering, completed = done.completed_now, placed = ?done.placed, "onboarded");
    if done.placed == Some(Placed::Waiting) {
        tell_admins_to_add_leaders(deps, event, &nonprofit).await?;
    }
    Ok(())
}

async fn tell_admins_to_add_leaders(deps: &Deps, event: &DomainEvent, nonprofit: &str) -> AppResult<()> {
    let n = platform::load_nonprofit(deps, nonprofit).await?;
    let community = match &n.community_id {
        Some(c) => communities::load(deps, c).await?.name,
        None => "no community".into(),
    };
    for admin in communities::platform_admins(deps).await? {
        let mail = render(
            &admin.first_name,
            format!("Add community leaders: {} is waiting", n.name),
            &[
                format!("Every leader of the community {community} has reached the platform's cap, so {} waits in line for one.", n.name),
                "Add a leader to the community (POST /api/communities/{id}/leaders) or raise the cap (PUT /api/communities/leader-cap); the first in line is assigned at once.".into(),
            ],
        );
        let to = Person { name: Some(admin.name()), email: admin.email.clone() };
        send_once(deps, &part(event, "waiting"), &admin.id, &to, mail, None).await?;
    }
    Ok(())
}

fn invite_of(meeting: &Meeting, stamp: time::OffsetDateTime) -> CalendarPart {
    let attendees: Vec<Person> = meeting.attendees.iter().map(person).collect();
    let description = match meeting.kind {
        MeetingKind::Introduction => "Get to know your community leader and plan your first steps on the platform.",
        MeetingKind::Community => "The community's monthly meeting (first Tuesday of each month).",
    };
    let ics = calendar::meeting_invite(
        &meeting.ical_uid,
        &meeting.title,
        description,
        meeting.starts_at,
        meeting.duration_minutes,
        meeting.rrule.as_deref(),
        &person(&meeting.organizer),
        &attendees,
        stamp,
    );
    CalendarPart { method: calendar::Method::Request.as_str().into(), ics }
}

async fn welcome(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let nonprofit = str_field(event, "nonprofitId")?;
    let community = str_field(event, "communityId")?;
    let leader: PersonRef = serde_json::from_value(event.data["leader"].clone())
        .map_err(|e| AppError::Internal(format!("event {} carries no leader: {e}", event.id)))?;
    let n = platform::load_nonprofit(deps, &nonprofit).await?;
    let c = communities::load(deps, &community).await?;
    let meetings = communities::schedule_meetings(deps, &n, &c, &leader, event.occurred_at).await?;
    let mut sent = 0;
    for m in &meetings {
        let Some(to) = m.attendees.iter().find(|a| a.id == m.user_id) else { continue };
        let is_leader = to.id == leader.id;
        let when = calendar::local_time(m.starts_at, "UTC");
        let mail = match (m.kind, is_leader) {
            (MeetingKind::Introduction, false) => render(
                &to.name,
                format!("Welcome to {}: meet your community leader {}", c.name, leader.name),
                &[
                    format!(
                        "{} is now part of the {} community. Your community leader is {} ({}), who will help you reach candidates and other non-profits.",
                        n.name, c.name, leader.name, leader.email
                    ),
                    format!(
                        "Your introductory meeting with {} is on {when} (30 minutes); the invite is attached.",
                        leader.name
                    ),
                ],
            ),
            (MeetingKind::Introduction, true) => render(
                &to.name,
                format!("You are now the community leader of {}", n.name),
                &[
                    format!("{} joined the {} community and you are its leader.", n.name, c.name),
                    format!("Your introductory meeting with them is on {when} (30 minutes); the invite is attached."),
                ],
            ),
            (MeetingKind::Community, _) => render(
                &to.name,
                format!("{} monthly community meeting", c.name),
                &[format!(
                    "The {} community meets on the first Tuesday of every month, starting {when} (60 minutes); the recurring invite is attached.",
                    c.name
                )],
            ),
        };
        let what = match m.kind {
            MeetingKind::Introduction => "welcome",
            MeetingKind::Community => "community",
        };
        let to_person = person(to);
        send_once(deps, &part(event, what), &to.id, &to_person, mail, Some(invite_of(m, event.occurred_at))).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Mails a leader's training to each member of the non-profit (once per event and member).
async fn training(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let nonprofit = str_field(event, "nonprofitId")?;
    let t: TrainingInput = serde_json::from_value(event.data["training"].clone())
        .map_err(|e| AppError::Internal(format!("event {} carries no training: {e}", event.id)))?;
    let leader: Option<PersonRef> = serde_json::from_value(event.data["leader"].clone()).unwrap_or(None);
    let n = platform::load_nonprofit(deps, &nonprofit).await?;
    let from = leader.map(|l| format!("{} ({}), your community leader", l.name, l.email)).unwrap_or_default();
    let mut sent = 0;
    for m in &n.members {
        let mut paragraphs = vec![format!("Training for {} at {}, from {from}:", t.role, n.name), t.body.clone()];
        paragraphs.extend(t.links.iter().cloned());
        let mail = render(&m.name, format!("Training: {}", t.subject), &paragraphs);
        send_once(deps, event, &m.id, &person(m), mail, None).await?;
        sent += 1;
    }
    Ok(sent)
}

/// Onboards non-profits and welcomes them to their leader.
pub struct PlatformManagerConsumer(pub Deps);

#[async_trait]
impl Consumer for PlatformManagerConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event = match crate::event_of(m, |k| [OFFERING_CREATED, LEADER_ASSIGNED, TRAINING_SENT].contains(&k)) {
            Ok(Some(e)) => e,
            Ok(None) => return Outcome::Done,
            Err(poison) => return poison,
        };
        let done = if event.kind == OFFERING_CREATED {
            onboard(&self.0, &event).await
        } else if event.kind == TRAINING_SENT {
            training(&self.0, &event).await.map(|n| tracing::info!(event = %event.id, mailed = n, "training mailed"))
        } else {
            welcome(&self.0, &event).await.map(|n| tracing::info!(event = %event.id, mailed = n, "welcomed"))
        };
        match done {
            Ok(()) => Outcome::Done,
            Err(e) => crate::outcome_of(&format!("platform manager on {}", event.id), e),
        }
    }
}
