//! The community-events consumer: on `community_event.rsvp` it mails the person the event's
//! RFC 5545 invite (`METHOD:REQUEST`, going) or its cancellation (`METHOD:CANCEL`, not going);
//! on `community_event.changed` it mails everyone going the invite with the raised SEQUENCE
//! (same UID: calendars replace their entry). Each mail is sent once per event and person
//! (the mail markers of `send_once`), so a redelivered message mails nobody twice.

use crate::email::render;
use crate::interviews::send_once;
use async_trait::async_trait;
use clearview_core::error::{AppError, AppResult};
use clearview_core::ports::Deps;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage, WorkQueue};
use clearview_core::services::events::{self, EVENT_CHANGED, RSVP_CHANGED, RsvpStatus};
use clearview_core::values::UserId;

/// Its queue.
pub const QUEUE: WorkQueue = WorkQueue::named("community-events");
/// The event kinds it reads (its subscription's filter).
pub const EVENTS: &[&str] = &["community_event."];

fn str_field(event: &DomainEvent, name: &str) -> AppResult<String> {
    event.data[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| AppError::Internal(format!("event {} carries no {name}", event.id)))
}

async fn mail_one(
    deps: &Deps,
    event: &DomainEvent,
    ev: &events::CommunityEvent,
    user: &UserId,
    status: RsvpStatus,
    changed: bool,
) -> AppResult<bool> {
    let Some(to) = events::attendee(deps, user).await? else { return Ok(false) };
    let m = events::invite_mail(deps, ev, &to, status, changed);
    let mail = render(to.name.as_deref().unwrap_or("there"), m.subject, &m.paragraphs);
    send_once(deps, event, user, &to, mail, Some(m.calendar)).await?;
    Ok(true)
}

async fn rsvp(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let ev = match events::load(deps, &str_field(event, "eventId")?).await {
        Ok(ev) => ev,
        Err(AppError::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    let user = UserId::trusted(str_field(event, "userId")?);
    let status: RsvpStatus = serde_json::from_value(event.data["status"].clone())
        .map_err(|e| AppError::Internal(format!("event {} carries no status: {e}", event.id)))?;
    Ok(usize::from(mail_one(deps, event, &ev, &user, status, false).await?))
}

async fn changed(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let ev = match events::load(deps, &str_field(event, "eventId")?).await {
        Ok(ev) => ev,
        Err(AppError::NotFound(_)) => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut sent = 0;
    let mut after = None;
    loop {
        let page = events::going_page(deps, &ev.id, after).await?;
        for r in &page.items {
            sent += usize::from(mail_one(deps, event, &ev, &r.user_id, RsvpStatus::Going, true).await?);
        }
        match page.next {
            Some(t) => after = Some(t),
            None => return Ok(sent),
        }
    }
}

pub struct CommunityEventsConsumer(pub Deps);

#[async_trait]
impl Consumer for CommunityEventsConsumer {
    fn queue(&self) -> WorkQueue {
        QUEUE
    }
    async fn handle(&self, m: &WorkMessage) -> Outcome {
        let event = match crate::event_of(m, |k| k == RSVP_CHANGED || k == EVENT_CHANGED) {
            Ok(Some(e)) => e,
            Ok(None) => return Outcome::Done,
            Err(poison) => return poison,
        };
        let done =
            if event.kind == RSVP_CHANGED { rsvp(&self.0, &event).await } else { changed(&self.0, &event).await };
        match done {
            Ok(n) => {
                tracing::info!(event = %event.id, mailed = n, "community event mailed");
                Outcome::Done
            }
            Err(e) => crate::outcome_of(&format!("community events on {}", event.id), e),
        }
    }
}
