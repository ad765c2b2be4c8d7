//! Conversations between an organisation's staff and its DEI consultants (employer use case 9).
//!
//! A thread is between the organisation's staff (as a team) and one consultant, optionally about
//! a job or its bias audit. Each message is stored once: with an `Idempotency-Key`, a marker
//! written in the same transaction as the message makes a retry return the stored message
//! instead of a second one. Unread counts are counters kept in that transaction too (per thread,
//! per side, and per side across threads), so the inbox never counts messages. The other side
//! is told by email through the `consultant-messages` consumer (once per message and person).

use super::{Actor, Listed};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::message::{Attachment, AttachmentKind, Message, Side, Thread};
use crate::model::{Job, User, UserStatus};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, Item, PageToken, Query, StoreError, TxWrite};
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, JobId, TextRule, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::openapi::schema::Object;

const BODY: TextRule = TextRule::new(1, 5000);
const SUBJECT: TextRule = TextRule::new(1, 200);
/// The event that tells the other side (the `consultant-messages` consumer mails it).
pub const SENT: &str = "message.sent";

fn body_schema() -> Object {
    BODY.schema()
}
fn subject_schema() -> Object {
    SUBJECT.schema()
}

/// What a message is about: a job (its posting and ad-language report) or its bias audit.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentInput {
    pub kind: AttachmentKind,
    #[schema(schema_with = crate::values::id_schema)]
    pub job_id: String,
}

/// `POST /api/employers/{id}/messages`: a new thread (no `threadId`; staff name the consultant)
/// or a reply in one.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SendInput {
    /// The consultant the conversation is with: required when staff start a thread; a
    /// consultant may give only their own id.
    #[schema(schema_with = crate::values::id_schema)]
    pub consultant_id: Option<String>,
    /// The thread to reply in; absent: a new thread.
    #[schema(schema_with = crate::values::id_schema)]
    pub thread_id: Option<String>,
    /// A new thread's subject (default: the start of the message).
    #[schema(schema_with = subject_schema)]
    pub subject: Option<String>,
    #[schema(schema_with = body_schema)]
    pub message: String,
    /// A job or a job's bias audit the message is about (on a new thread, the thread's too).
    pub attachment: Option<AttachmentInput>,
}

/// What sending answers: the thread as it is now and the message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    pub thread: Thread,
    pub message: Message,
}

/// The caller's side of the conversations.
pub fn side_of(actor: &Actor) -> Side {
    if actor.user.role == Role::DeiConsultant { Side::Consultant } else { Side::Staff }
}

/// Whose unread counter: the staff team's, or the consultant's.
fn side_key(side: Side, consultant: &UserId) -> String {
    match side {
        Side::Staff => "staff".to_owned(),
        Side::Consultant => consultant.to_string(),
    }
}

async fn consultant(deps: &Deps, actor: &Actor, raw: &str) -> AppResult<User> {
    let bad = || AppError::field("consultantId", "is not a DEI consultant of this organisation");
    let id = UserId::parse(raw.trim()).ok_or_else(bad)?;
    let user: Option<User> = record::get(deps.store.as_ref(), &keys::user(actor.org(), &id)).await?;
    match user {
        Some(u) if u.role == Role::DeiConsultant && u.status != UserStatus::Disabled => Ok(u),
        _ => Err(bad()),
    }
}

async fn attachment(deps: &Deps, actor: &Actor, input: &AttachmentInput) -> AppResult<Attachment> {
    let bad = || AppError::field("attachment.jobId", "is not a job of this organisation");
    let id = JobId::parse(input.job_id.trim()).ok_or_else(bad)?;
    let job: Job = record::get(deps.store.as_ref(), &keys::job(actor.org(), &id)).await?.ok_or_else(bad)?;
    Ok(Attachment { kind: input.kind, job_id: job.id.clone(), job_title: job.title.clone() })
}

/// A thread of the caller's organisation the caller takes part in (a consultant: only their own).
async fn load_thread(deps: &Deps, actor: &Actor, id: &str) -> AppResult<Thread> {
    let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("thread"))?.to_string();
    let thread: Thread =
        record::get(deps.store.as_ref(), &keys::thread(actor.org(), &id)).await?.ok_or(AppError::NotFound("thread"))?;
    if side_of(actor) == Side::Consultant && thread.consultant_id != actor.user.id {
        return Err(AppError::NotFound("thread"));
    }
    Ok(thread)
}

fn once_hash(actor: &Actor, key: &str) -> String {
    let digest = Sha256::digest(format!("{}\n{}", actor.user.id, key).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sends a message. Returns it and whether it is new (false: the `Idempotency-Key` had already
/// stored it, and the stored one is returned).
pub async fn send(
    deps: &Deps,
    actor: &Actor,
    input: SendInput,
    idempotency_key: Option<&str>,
) -> AppResult<(Sent, bool)> {
    let side = side_of(actor);
    let mut c = Checks::default();
    let body = c.take(BODY.parse("message", &input.message));
    let subject = c.take(SUBJECT.parse_opt("subject", input.subject.as_deref()));
    if input.thread_id.is_some() && input.subject.is_some() {
        c.push("subject", "only a new thread has a subject");
    }
    if side == Side::Staff && input.thread_id.is_none() && input.consultant_id.is_none() {
        c.push("consultantId", "is required to start a thread");
    }
    c.finish()?;
    let (Some(body), Some(subject)) = (body, subject) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let named = match (&input.consultant_id, side) {
        (Some(raw), Side::Staff) => Some(consultant(deps, actor, raw).await?),
        (Some(raw), Side::Consultant) if raw.trim() != actor.user.id.as_str() => {
            return Err(AppError::field("consultantId", "a consultant writes only in their own conversations"));
        }
        _ => None,
    };
    let attached = match &input.attachment {
        Some(a) => Some(attachment(deps, actor, a).await?),
        None => None,
    };
    let once = idempotency_key.map(|k| keys::message_once(actor.org(), &once_hash(actor, k)));
    if let Some(key) = &once
        && let Some(sent) = already_sent(deps, actor, key).await?
    {
        return Ok((sent, false));
    }

    for _ in 0..5 {
        let now = deps.clock.now();
        let (before, mut thread) = match &input.thread_id {
            Some(id) => {
                let t = load_thread(deps, actor, id).await?;
                if let Some(n) = &named
                    && n.id != t.consultant_id
                {
                    return Err(AppError::field("consultantId", "is not the consultant of this thread"));
                }
                (Some(t.clone()), t)
            }
            None => {
                let consultant_id = match side {
                    Side::Staff => named
                        .as_ref()
                        .map(|u| u.id.clone())
                        .ok_or_else(|| AppError::field("consultantId", "is required to start a thread"))?,
                    Side::Consultant => actor.user.id.clone(),
                };
                let subject = subject.clone().unwrap_or_else(|| {
                    let first: String = body.chars().take(80).collect();
                    if body.chars().count() > 80 { format!("{}…", first.trim_end()) } else { first }
                });
                let t = Thread {
                    id: deps.ids.new_id().to_string(),
                    org_id: actor.org().clone(),
                    consultant_id,
                    subject,
                    attachment: attached.clone(),
                    started_by: actor.user.id.clone(),
                    staff_participants: Vec::new(),
                    messages: 0,
                    unread_by_staff: 0,
                    unread_by_consultant: 0,
                    created_at: now,
                    last_message_at: now,
                    version: 0,
                };
                (None, t)
            }
        };
        let message = Message {
            id: deps.ids.new_id().to_string(),
            thread_id: thread.id.clone(),
            org_id: actor.org().clone(),
            author_id: actor.user.id.clone(),
            author_name: actor.user.name.clone(),
            side,
            body: body.clone(),
            attachment: attached.clone(),
            sent_at: now,
        };
        thread.messages += 1;
        thread.last_message_at = now;
        thread.version += 1;
        // The other side has one more to read.
        let reader_key = match side {
            Side::Staff => {
                thread.unread_by_consultant += 1;
                if !thread.staff_participants.contains(&actor.user.id) {
                    thread.staff_participants.push(actor.user.id.clone());
                }
                side_key(Side::Consultant, &thread.consultant_id)
            }
            Side::Consultant => {
                thread.unread_by_staff += 1;
                side_key(Side::Staff, &thread.consultant_id)
            }
        };
        let condition = match &before {
            Some(b) => Condition::VersionIs(b.version),
            None => Condition::NotExists,
        };
        let mut writes = vec![
            thread.tx_put("thread", condition)?,
            message.tx_put("message", Condition::NotExists)?,
            TxWrite::add("unread", keys::unread_messages(actor.org(), &reader_key), "UnreadMessages", None, 1),
        ];
        if let Some(key) = &once {
            writes.push(TxWrite::put(
                "once",
                Item {
                    key: key.clone(),
                    gsi1: None,
                    gsi2: None,
                    entity: "MessageOnce".into(),
                    version: 1,
                    expires_at: Some(now.unix_timestamp() + 30 * 24 * 3600),
                    data: serde_json::json!({"threadId": thread.id, "messageKey": message.key().sk}),
                },
                Condition::NotExists,
            ));
        }
        match deps.store.transact(writes).await {
            Ok(()) => {
                announce(deps, &message).await?;
                return Ok((Sent { thread, message }, true));
            }
            Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "once") => {
                if let Some(key) = &once
                    && let Some(sent) = already_sent(deps, actor, key).await?
                {
                    return Ok((sent, false));
                }
                return Err(AppError::conflict("concurrent-update", "this message is being sent: retry"));
            }
            // Another message moved the thread on: read it again and retry.
            Err(StoreError::TransactionCanceled { failed }) if failed.iter().any(|l| l == "thread") => continue,
            Err(StoreError::Throttled(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the thread is busy: retry"))
}

/// The message an idempotency marker points at, with its thread (and the event sent again, so
/// a send whose announcement failed is told once the retry comes; the consumer mails once).
async fn already_sent(deps: &Deps, actor: &Actor, key: &crate::ports::store::Key) -> AppResult<Option<Sent>> {
    let Some(marker) = deps.store.get(key).await? else {
        return Ok(None);
    };
    let thread_id = marker.data["threadId"].as_str().unwrap_or_default().to_owned();
    let sk = marker.data["messageKey"].as_str().unwrap_or_default().to_owned();
    let thread: Thread = record::get(deps.store.as_ref(), &keys::thread(actor.org(), &thread_id))
        .await?
        .ok_or_else(|| AppError::Internal(format!("message marker names a missing thread {thread_id}")))?;
    let message: Message = record::get(
        deps.store.as_ref(),
        &crate::ports::store::Key::new(keys::thread_messages_pk(actor.org(), &thread_id), sk),
    )
    .await?
    .ok_or_else(|| AppError::Internal("message marker names a missing message".into()))?;
    announce(deps, &message).await?;
    Ok(Some(Sent { thread, message }))
}

async fn announce(deps: &Deps, m: &Message) -> AppResult<()> {
    let event = DomainEvent {
        id: format!("{SENT}:{}", m.id),
        kind: SENT.into(),
        org_id: m.org_id.to_string(),
        subject_id: m.thread_id.clone(),
        occurred_at: m.sent_at,
        data: serde_json::json!({"threadId": m.thread_id, "messageKey": m.key().sk}),
        correlation_id: None,
    };
    deps.events.publish(&event).await.map_err(|e| AppError::Unavailable(e.to_string()))
}

/// The caller's threads, latest activity first, and how many messages the caller's side has
/// not read across all of them (a counter, not a count).
pub async fn list(
    deps: &Deps,
    actor: &Actor,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<(Listed<Thread>, u64)> {
    let side = side_of(actor);
    let (q, unread_key) = match side {
        Side::Staff => (Query::index(Index::Gsi1, keys::threads_pk(actor.org())), "staff".to_owned()),
        Side::Consultant => (
            Query::index(Index::Gsi2, keys::consultant_threads_pk(actor.org(), &actor.user.id)),
            actor.user.id.to_string(),
        ),
    };
    let q = q.descending().limit(limit).after(after);
    let (items, page) = record::query::<Thread>(deps.store.as_ref(), &q).await?;
    let unread = deps
        .store
        .get(&keys::unread_messages(actor.org(), &unread_key))
        .await?
        .and_then(|i| i.data["count"].as_i64())
        .unwrap_or(0)
        .max(0) as u64;
    Ok((Listed { items, next: page.next }, unread))
}

/// A thread's messages, oldest first (reading changes nothing: `mark_read` does).
pub async fn read(
    deps: &Deps,
    actor: &Actor,
    thread_id: &str,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<(Thread, Listed<Message>)> {
    let thread = load_thread(deps, actor, thread_id).await?;
    let q = Query::table(keys::thread_messages_pk(actor.org(), &thread.id)).prefix("MSG#").limit(limit).after(after);
    let (items, page) = record::query::<Message>(deps.store.as_ref(), &q).await?;
    Ok((thread, Listed { items, next: page.next }))
}

/// Marks the caller's side's messages in a thread read: the thread's count and the side's
/// total go down together, in one transaction. Already read: nothing changes.
pub async fn mark_read(deps: &Deps, actor: &Actor, thread_id: &str) -> AppResult<Thread> {
    let side = side_of(actor);
    let mut thread = load_thread(deps, actor, thread_id).await?;
    for _ in 0..5 {
        let n = thread.unread_for(side);
        if n == 0 {
            return Ok(thread);
        }
        let mut after = thread.clone();
        match side {
            Side::Staff => after.unread_by_staff = 0,
            Side::Consultant => after.unread_by_consultant = 0,
        }
        after.version += 1;
        let key = side_key(side, &thread.consultant_id);
        let writes = vec![
            after.tx_put("thread", Condition::VersionIs(thread.version))?,
            TxWrite::add("unread", keys::unread_messages(actor.org(), &key), "UnreadMessages", None, -i64::from(n)),
        ];
        match deps.store.transact(writes).await {
            Ok(()) => return Ok(after),
            // A message arrived meanwhile: read the thread again and mark that one read too.
            Err(StoreError::TransactionCanceled { .. } | StoreError::Throttled(_)) => {
                thread = load_thread(deps, actor, &thread.id).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::conflict("concurrent-update", "the thread is busy: retry"))
}
