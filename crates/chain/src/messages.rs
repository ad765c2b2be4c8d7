//! The `consultant-messages` consumer: when staff write in a thread, the consultant is mailed;
//! when the consultant writes, the staff who took part in the thread are (or, before any did,
//! the organisation's admins). Once per message and person, however often the event comes.

use crate::email::render;
use crate::interviews::send_once;
use async_trait::async_trait;
use clearview_core::calendar::Person;
use clearview_core::error::{AppError, AppResult};
use clearview_core::keys;
use clearview_core::model::message::{Message, Side, Thread};
use clearview_core::model::{User, UserStatus};
use clearview_core::ports::Deps;
use clearview_core::ports::queue::{Consumer, DomainEvent, Outcome, WorkMessage, WorkQueue};
use clearview_core::ports::store::{Key, Query};
use clearview_core::rbac::Role;
use clearview_core::record;
use clearview_core::values::{OrgId, UserId};

/// The queue `message.*` events reach.
pub const QUEUE: WorkQueue = WorkQueue::named("consultant-messages");
/// The event kinds' common prefix (the subscription's filter).
pub const EVENTS: &str = "message.";

async fn staff(deps: &Deps, org: &OrgId, id: &UserId) -> AppResult<Option<User>> {
    Ok(record::get::<User>(deps.store.as_ref(), &keys::user(org, id))
        .await?
        .filter(|u| u.status != UserStatus::Disabled))
}

/// Who reads a message: the other side of its thread.
async fn readers(deps: &Deps, thread: &Thread, message: &Message) -> AppResult<Vec<User>> {
    let org = &thread.org_id;
    match message.side {
        Side::Staff => Ok(staff(deps, org, &thread.consultant_id).await?.into_iter().collect()),
        Side::Consultant => {
            let mut out = Vec::new();
            for id in &thread.staff_participants {
                out.extend(staff(deps, org, id).await?);
            }
            if out.is_empty() {
                // Nobody on the staff side has written yet: the organisation's admins hear of it.
                let q = Query::table(keys::org_pk(org)).prefix(keys::USER_PREFIX).limit(1000);
                let (users, _) = record::query::<User>(deps.store.as_ref(), &q).await?;
                out.extend(users.into_iter().filter(|u| u.role == Role::Admin && u.status != UserStatus::Disabled));
            }
            Ok(out)
        }
    }
}

/// Mails the other side of the thread about one message. Returns how many were mailed.
pub async fn deliver(deps: &Deps, event: &DomainEvent) -> AppResult<usize> {
    let org =
        OrgId::parse(&event.org_id).ok_or_else(|| AppError::Internal(format!("event {} has no org", event.id)))?;
    let thread_id = event.data["threadId"].as_str().unwrap_or_default();
    let message_sk = event.data["messageKey"].as_str().unwrap_or_default();
    let Some(thread) = record::get::<Thread>(deps.store.as_ref(), &keys::thread(&org, thread_id)).await? else {
        return Ok(0);
    };
    let key = Key::new(keys::thread_messages_pk(&org, thread_id), message_sk);
    let Some(message) = record::get::<Message>(deps.store.as_ref(), &key).await? else {
        return Ok(0);
    };
    let author = message.author_name.clone().unwrap_or_else(|| match message.side {
        Side::Staff => "The hiring team".to_owned(),
        Side::Consultant => "Your DEI consultant".to_owned(),
    });
    let mut sent = 0;
    for reader in readers(deps, &thread, &message).await? {
        let about = message.attachment.as_ref().or(thread.attachment.as_ref()).map(|a| {
            format!(
                "It is about {} ({}).",
                a.job_title,
                match a.kind {
                    clearview_core::model::message::AttachmentKind::Job => "the job posting",
                    clearview_core::model::message::AttachmentKind::BiasAudit => "its bias audit",
                }
            )
        });
        let mut paragraphs = vec![format!("{author} wrote in “{}”:", thread.subject), message.body.clone()];
        paragraphs.extend(about);
        paragraphs.push(format!(
            "Reply in ClearView: GET /api/employers/{}/messages/{} shows the thread.",
            thread.org_id, thread.id
        ));
        let mail =
            render(reader.name.as_deref().unwrap_or("there"), format!("New message: {}", thread.subject), &paragraphs);
        let to = Person { name: reader.name.clone(), email: reader.email.to_string() };
        send_once(deps, event, &reader.id, &to, mail, None).await?;
        sent += 1;
    }
    Ok(sent)
}

pub struct ConsultantMessagesConsumer(pub Deps);

#[async_trait]
impl Consumer for ConsultantMessagesConsumer {
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
                tracing::info!(event = %event.id, mailed = n, "consultant message mailed");
                Outcome::Done
            }
            Err(e) => crate::outcome_of(&format!("mailing {}", event.id), e),
        }
    }
}
