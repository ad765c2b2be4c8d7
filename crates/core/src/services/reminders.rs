//! Follow-up reminders on applications (employer use case 12): a staff member sets one with a
//! due time and a note; the `follow-up-reminders` schedule emails it to them when due. Pending
//! reminders sit in 16 gsi1 shards ordered by due time, so each run reads only what is due.

use super::{Actor, check_version};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::Reminder;
use crate::model::reminder::due_sort_key;
use crate::ports::Deps;
use crate::ports::mail::OutgoingEmail;
use crate::ports::store::{Condition, Query};
use crate::record::{self, Record};
use crate::values::TextRule;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::schema::Object;

const NOTE: TextRule = TextRule::new(1, 1000);
/// Most pending reminders on one application.
pub const MAX_PER_APPLICATION: usize = 20;
/// How far ahead a reminder may be set.
pub const MAX_AHEAD_DAYS: i64 = 366;

fn note_schema() -> Object {
    NOTE.schema()
}

/// `POST /api/applications/{id}/reminders`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReminderInput {
    /// When to be reminded (RFC 3339, in the future, at most a year ahead).
    #[schema(format = DateTime)]
    pub due_at: String,
    /// What to follow up on (never shown to the candidate).
    #[schema(schema_with = note_schema)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reminders {
    pub items: Vec<Reminder>,
}

pub async fn create(deps: &Deps, actor: &Actor, app_id: &str, input: ReminderInput) -> AppResult<Reminder> {
    let mut c = crate::values::Checks::default();
    let now = deps.clock.now();
    let due = match OffsetDateTime::parse(input.due_at.trim(), &time::format_description::well_known::Rfc3339) {
        Ok(d) if d <= now => {
            c.push("dueAt", "must be in the future");
            None
        }
        Ok(d) if d > now + time::Duration::days(MAX_AHEAD_DAYS) => {
            c.push("dueAt", format!("must be at most {MAX_AHEAD_DAYS} days ahead"));
            None
        }
        Ok(d) => Some(d.to_offset(time::UtcOffset::UTC)),
        Err(_) => {
            c.push("dueAt", "must be an RFC 3339 date-time such as 2026-12-01T09:00:00Z");
            None
        }
    };
    let note = c.take(NOTE.parse("note", &input.note));
    c.finish()?;
    let (Some(due), Some(note)) = (due, note) else {
        return Err(AppError::Internal("validated fields missing".into()));
    };
    let app = super::applications::load_in_org(deps, actor.org(), app_id).await?;
    let pending = list(deps, actor, app_id).await?.items.into_iter().filter(|r| r.sent_at.is_none()).count();
    if pending >= MAX_PER_APPLICATION {
        return Err(AppError::conflict(
            "too-many-reminders",
            format!("an application holds at most {MAX_PER_APPLICATION} pending reminders"),
        ));
    }
    let r = Reminder {
        id: deps.ids.new_id().to_string(),
        org_id: actor.org().clone(),
        application_id: app.id.clone(),
        job_id: app.job_id.clone(),
        job_title: app.job_title.clone(),
        set_by: actor.user.id.clone(),
        set_by_email: actor.user.email.as_str().to_owned(),
        due_at: due,
        note,
        sent_at: None,
        created_at: now,
        version: 1,
    };
    deps.store.put(r.to_item()?, Condition::NotExists).await?;
    Ok(r)
}

pub async fn list(deps: &Deps, actor: &Actor, app_id: &str) -> AppResult<Reminders> {
    super::applications::load_in_org(deps, actor.org(), app_id).await?;
    let q = Query::table(keys::org_pk(actor.org())).prefix(keys::reminder_prefix(app_id)).limit(100);
    let (items, _) = record::query::<Reminder>(deps.store.as_ref(), &q).await?;
    Ok(Reminders { items })
}

/// Removes a reminder: its author, or someone who may delete applications.
pub async fn delete(deps: &Deps, actor: &Actor, app_id: &str, id: &str, if_match: Option<u64>) -> AppResult<()> {
    let key = keys::reminder(actor.org(), app_id, id);
    let r: Reminder = record::get(deps.store.as_ref(), &key).await?.ok_or(AppError::NotFound("reminder"))?;
    if r.set_by != actor.user.id && !actor.can(crate::rbac::Permission::ApplicationsDelete) {
        return Err(AppError::Forbidden("only its author (or an admin or HR manager) removes a reminder".into()));
    }
    check_version(if_match, r.version, false)?;
    deps.store.delete(&key, Condition::VersionIs(r.version)).await.map_err(super::lost_update(r.version))?;
    Ok(())
}

/// Every pending reminder due at `now`, across the shards.
pub async fn due(deps: &Deps, now: OffsetDateTime) -> AppResult<Vec<Reminder>> {
    super::due_in_shards(deps, keys::REMINDER_SHARDS, keys::reminder_due_pk, &format!("{}#~", due_sort_key(now))).await
}

/// The reminder email: to the staff member who set it; no candidate name (blind review holds
/// in the inbox too), a link to the application.
pub fn email(r: &Reminder) -> OutgoingEmail {
    OutgoingEmail {
        to: r.set_by_email.clone(),
        subject: format!("Follow-up due: {} application", r.job_title),
        text_body: format!(
            "You asked to be reminded about an application to {}.\n\nYour note: {}\n\nOpen it: /api/applications/{}\n",
            r.job_title, r.note, r.application_id
        ),
        html_body: Some(format!(
            "<p>You asked to be reminded about an application to <strong>{}</strong>.</p><p>Your note: {}</p><p><a href=\"/api/applications/{}\">Open the application</a></p>",
            ammonia::clean_text(&r.job_title),
            ammonia::clean_text(&r.note),
            ammonia::clean_text(&r.application_id)
        )),
        dedupe_key: Some(format!("reminder:{}", r.id)),
        calendar: None,
    }
}

/// Sends every due reminder (at least once: the mail's dedupe key keeps a retry from sending
/// twice where the mailer honours it) and marks it sent, which takes it out of the due index.
/// Returns how many were sent; one failure does not hold the others back.
pub async fn send_due(deps: &Deps, now: OffsetDateTime) -> AppResult<usize> {
    let mut sent = 0;
    let mut failed = None;
    for r in due(deps, now).await? {
        let result = async {
            deps.mail.send(email(&r)).await.map_err(|e| AppError::Unavailable(e.to_string()))?;
            let mut done = r.clone();
            done.sent_at = Some(now);
            done.version += 1;
            match deps.store.put(done.to_item()?, Condition::VersionIs(r.version)).await {
                Ok(()) => Ok(()),
                // Deleted or changed meanwhile: nothing left to mark.
                Err(crate::ports::store::StoreError::ConditionFailed { .. }) => Ok(()),
                Err(e) => Err(AppError::from(e)),
            }
        }
        .await;
        match result {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(reminder = %r.id, error = %e, "follow-up reminder not sent");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(sent),
    }
}
