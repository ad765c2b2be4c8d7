//! Community events (issue 14): a community's leaders and platform admins create them (title,
//! description, start and end with the time zone, an online link or a place, a capacity); anyone
//! signed in lists the upcoming ones (all, or one community's: gsi1/gsi2 by start, never a scan)
//! and answers going or not going. The seat count is a counter on the event written in the
//! RSVP's transaction, conditional on the event's version, so parallel RSVPs never take more
//! seats than there are. Each RSVP mails the person an RFC 5545 invite (`REQUEST`, or `CANCEL`
//! when they no longer go) with the event's stable UID and its `SEQUENCE`, raised by every change.

use super::Listed;
use crate::calendar::{self, EventInvite, Method, Person};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::platform::{Community, PersonRef};
use crate::ports::Deps;
use crate::ports::mail::CalendarPart;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError};
use crate::principal::Principal;
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use utoipa::openapi::schema::Object;

const TITLE: TextRule = TextRule::new(1, 200);
const DESCRIPTION: TextRule = TextRule::new(1, 5000);
const PLACE: TextRule = TextRule::new(1, 300);
const LINK: TextRule = TextRule::new(1, 2000);
/// The most seats an event has.
pub const MAX_CAPACITY: u32 = 10_000;
/// The longest event.
pub const MAX_HOURS: i64 = 72;
/// How far ahead an event may be planned.
pub const MAX_AHEAD_DAYS: i64 = 366;
/// Fresh reads after an RSVP lost a race (each loss means another RSVP or an edit won).
const ATTEMPTS: usize = 40;

fn title_schema() -> Object {
    TITLE.schema()
}
fn description_schema() -> Object {
    DESCRIPTION.schema()
}
fn place_schema() -> Object {
    PLACE.opt_schema()
}
fn link_schema() -> Object {
    LINK.opt_schema()
}
fn date_time_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
        .description(Some(
            "RFC 3339 with an offset, on a whole minute, such as 2026-12-03T18:00:00+01:00; stored in UTC",
        ))
        .build()
}
fn zone_schema() -> Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .min_length(Some(1))
        .max_length(Some(64))
        .description(Some("The event's IANA time zone (Europe/Berlin): its times are shown in it"))
        .build()
}

/// A community event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommunityEvent {
    pub id: String,
    pub community_id: String,
    pub community_name: String,
    pub title: String,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub ends_at: OffsetDateTime,
    pub time_zone: String,
    pub online_url: Option<String>,
    pub place: Option<String>,
    pub capacity: u32,
    /// Seats taken (RSVPs going): moved in each RSVP's transaction, never above `capacity`.
    pub going: u32,
    pub organizer: PersonRef,
    /// The RFC 5545 UID of every copy of its invite.
    pub ical_uid: String,
    /// The RFC 5545 SEQUENCE: raised by every change of the event.
    pub sequence: u32,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    pub version: u64,
}

fn sort_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).unwrap_or_default()
}

impl Record for CommunityEvent {
    const ENTITY: &'static str = "CommunityEvent";
    fn key(&self) -> crate::ports::store::Key {
        keys::community_event(&self.id)
    }
    fn gsi1(&self) -> Option<crate::ports::store::Key> {
        Some(keys::event_by_start(&sort_time(self.starts_at), &self.id))
    }
    fn gsi2(&self) -> Option<crate::ports::store::Key> {
        Some(keys::community_event_by_start(&self.community_id, &sort_time(self.starts_at), &self.id))
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Going or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RsvpStatus {
    Going,
    NotGoing,
}

/// A person's answer to an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rsvp {
    pub event_id: String,
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub status: RsvpStatus,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub version: u64,
}

impl Record for Rsvp {
    const ENTITY: &'static str = "EventRsvp";
    fn key(&self) -> crate::ports::store::Key {
        keys::event_rsvp(&self.event_id, &self.user_id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// `POST /api/network/events` (and, without `communityId`, `PUT /api/network/events/{id}`).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventInput {
    /// The community it belongs to (you lead it, or you are a platform admin); not changed by an edit.
    #[schema(schema_with = crate::values::id_schema)]
    pub community_id: Option<String>,
    #[schema(schema_with = title_schema, example = "Resume clinic night")]
    pub title: String,
    #[schema(schema_with = description_schema)]
    pub description: String,
    #[schema(schema_with = date_time_schema)]
    pub starts_at: String,
    /// After `startsAt`, at most 72 hours later.
    #[schema(schema_with = date_time_schema)]
    pub ends_at: String,
    #[schema(schema_with = zone_schema, example = "Europe/Berlin")]
    pub time_zone: String,
    /// An https link to join online; an online link, a place or both.
    #[schema(schema_with = link_schema)]
    pub online_url: Option<String>,
    #[schema(schema_with = place_schema)]
    pub place: Option<String>,
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: u32,
}

struct Parsed {
    title: String,
    description: String,
    starts_at: OffsetDateTime,
    ends_at: OffsetDateTime,
    time_zone: String,
    online_url: Option<String>,
    place: Option<String>,
    capacity: u32,
}

fn parse_time(c: &mut Checks, field: &str, s: &str) -> Option<OffsetDateTime> {
    match OffsetDateTime::parse(s.trim(), &Rfc3339) {
        Ok(t) if t.second() == 0 && t.nanosecond() == 0 => Some(t.to_offset(time::UtcOffset::UTC)),
        Ok(_) => {
            c.push(field, "must be on a whole minute");
            None
        }
        Err(_) => {
            c.push(field, "must be an RFC 3339 date-time with an offset, such as 2026-12-03T18:00:00+01:00");
            None
        }
    }
}

fn parse(deps: &Deps, c: &mut Checks, input: &EventInput) -> Parsed {
    let title = c.take(TITLE.parse("title", &input.title)).unwrap_or_default();
    let description = c.take(DESCRIPTION.parse("description", &input.description)).unwrap_or_default();
    let starts = parse_time(c, "startsAt", &input.starts_at);
    let ends = parse_time(c, "endsAt", &input.ends_at);
    let now = deps.clock.now();
    if let Some(s) = starts {
        if s <= now {
            c.push("startsAt", "must be in the future");
        } else if s > now + Duration::days(MAX_AHEAD_DAYS) {
            c.push("startsAt", format!("must be at most {MAX_AHEAD_DAYS} days ahead"));
        }
    }
    if let (Some(s), Some(e)) = (starts, ends)
        && (e <= s || e > s + Duration::hours(MAX_HOURS))
    {
        c.push("endsAt", format!("must be after startsAt and at most {MAX_HOURS} hours later"));
    }
    let time_zone = match calendar::parse_zone("timeZone", &input.time_zone) {
        Ok(_) => input.time_zone.trim().to_owned(),
        Err(e) => {
            c.push(e.field, e.reason);
            String::new()
        }
    };
    let online_url = c.take(LINK.parse_opt("onlineUrl", input.online_url.as_deref())).flatten();
    if let Some(u) = &online_url
        && !(u.starts_with("https://") && url::Url::parse(u).is_ok())
    {
        c.push("onlineUrl", "must be an https:// link");
    }
    let place = c.take(PLACE.parse_opt("place", input.place.as_deref())).flatten();
    if input.online_url.is_none() && input.place.is_none() {
        c.push("place", "give an online link (onlineUrl), a place, or both");
    }
    if !(1..=MAX_CAPACITY).contains(&input.capacity) {
        c.push("capacity", format!("must be a number from 1 to {MAX_CAPACITY}"));
    }
    let starts_at = starts.unwrap_or(now);
    Parsed {
        title,
        description,
        starts_at,
        ends_at: ends.unwrap_or(starts_at),
        time_zone,
        online_url,
        place,
        capacity: input.capacity,
    }
}

/// Whether the caller may create and change the community's events: one of its leaders, or a
/// platform admin.
fn may_run(p: &Principal, c: &Community) -> bool {
    p.has(Role::PlatformAdmin) || c.leaders.iter().any(|l| l.id == p.user_id)
}

pub async fn create(deps: &Deps, p: &Principal, input: EventInput) -> AppResult<CommunityEvent> {
    let mut c = Checks::default();
    let community_id = match input.community_id.as_deref().map(str::trim) {
        Some(id) if crate::values::JobId::parse(id).is_some() => Some(id.to_owned()),
        Some(_) => {
            c.push("communityId", "must be a community id");
            None
        }
        None => {
            c.push("communityId", "name the community the event belongs to");
            None
        }
    };
    let v = parse(deps, &mut c, &input);
    c.finish()?;
    let community_id = community_id.ok_or(AppError::NotFound("community"))?;
    let community = match super::communities::load(deps, &community_id).await {
        Ok(c) => c,
        Err(AppError::NotFound(_)) => return Err(AppError::field("communityId", "names no community")),
        Err(e) => return Err(e),
    };
    if !may_run(p, &community) {
        return Err(AppError::Forbidden("only the community's leaders and platform admins create its events".into()));
    }
    let organizer = super::communities::person(deps, &p.user_id).await?;
    let id = deps.ids.new_id().to_string();
    let now = deps.clock.now();
    let e = CommunityEvent {
        ical_uid: format!("event-{id}@clearview"),
        id,
        community_id: community.id.clone(),
        community_name: community.name.clone(),
        title: v.title,
        description: v.description,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        time_zone: v.time_zone,
        online_url: v.online_url,
        place: v.place,
        capacity: v.capacity,
        going: 0,
        organizer,
        sequence: 0,
        created_at: now,
        version: 1,
    };
    deps.store.put(e.to_item()?, Condition::NotExists).await?;
    Ok(e)
}

pub async fn load(deps: &Deps, id: &str) -> AppResult<CommunityEvent> {
    record::get(deps.store.as_ref(), &keys::community_event(id)).await?.ok_or(AppError::NotFound("event"))
}

/// Changes an event (If-Match required): its SEQUENCE rises, so calendars replace their copy.
/// The capacity never drops below the seats taken.
pub async fn update(
    deps: &Deps,
    p: &Principal,
    id: &str,
    if_match: Option<u64>,
    input: EventInput,
) -> AppResult<CommunityEvent> {
    let before = load(deps, id).await?;
    let community = super::communities::load(deps, &before.community_id).await?;
    if !may_run(p, &community) {
        return Err(AppError::Forbidden("only the community's leaders and platform admins change its events".into()));
    }
    let mut c = Checks::default();
    if input.community_id.as_deref().is_some_and(|cid| cid.trim() != before.community_id) {
        c.push("communityId", "an event stays in its community");
    }
    let v = parse(deps, &mut c, &input);
    if v.capacity < before.going {
        c.push("capacity", format!("must be at least the {} seats taken", before.going));
    }
    c.finish()?;
    super::check_version(if_match, before.version, true)?;
    let after = CommunityEvent {
        title: v.title,
        description: v.description,
        starts_at: v.starts_at,
        ends_at: v.ends_at,
        time_zone: v.time_zone,
        online_url: v.online_url,
        place: v.place,
        capacity: v.capacity,
        sequence: before.sequence + 1,
        version: before.version + 1,
        ..before.clone()
    };
    deps.store
        .put(after.to_item()?, Condition::VersionIs(before.version))
        .await
        .map_err(super::lost_update(before.version))?;
    publish(
        deps,
        EVENT_CHANGED,
        &format!("{}:{}", after.id, after.sequence),
        &after.id,
        json!({
            "eventId": after.id, "sequence": after.sequence,
        }),
    )
    .await?;
    Ok(after)
}

/// `GET /api/network/events`.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this community's events.
    #[param(min_length = 36, max_length = 36)]
    pub community_id: Option<String>,
    /// Page size (default 25).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `nextCursor` from the previous page.
    #[param(min_length = 1, max_length = 2048)]
    pub cursor: Option<String>,
}

/// Upcoming events (starting from now), soonest first: every community's, or one's.
pub async fn upcoming(
    deps: &Deps,
    community: Option<&str>,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<CommunityEvent>> {
    let from = sort_time(deps.clock.now());
    let q = match community {
        Some(c) => Query::index(Index::Gsi2, keys::community_events_pk(c)),
        None => Query::index(Index::Gsi1, keys::EVENTS_PK),
    };
    let q = q.between(from, "~").limit(limit).after(after);
    let (items, page) = record::query::<CommunityEvent>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// `POST /api/network/events/{id}/rsvp`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RsvpInput {
    pub status: RsvpStatus,
}

/// What an RSVP came to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RsvpView {
    pub event_id: String,
    pub status: RsvpStatus,
    /// Seats taken and the capacity, after this answer.
    pub going: u32,
    pub capacity: u32,
    /// Whether this answer changed anything (then the invite, or its cancellation, is mailed).
    pub changed: bool,
}

/// Answers going or not going. Going takes a seat (409 event-full when none is left); not going
/// gives it back; the same answer again changes nothing. Mails the invite or its cancellation.
pub async fn rsvp(deps: &Deps, p: &Principal, id: &str, input: RsvpInput) -> AppResult<RsvpView> {
    let mut attempt = 0;
    loop {
        let ev = load(deps, id).await?;
        if ev.starts_at <= deps.clock.now() {
            return Err(AppError::conflict("event-started", "the event has started; RSVPs are closed"));
        }
        let before: Option<Rsvp> = record::get(deps.store.as_ref(), &keys::event_rsvp(id, &p.user_id)).await?;
        let was_going = before.as_ref().is_some_and(|r| r.status == RsvpStatus::Going);
        let going = input.status == RsvpStatus::Going;
        if before.as_ref().is_some_and(|r| r.status == input.status) {
            return Ok(RsvpView {
                event_id: ev.id,
                status: input.status,
                going: ev.going,
                capacity: ev.capacity,
                changed: false,
            });
        }
        let mut after_ev = ev.clone();
        if going && !was_going {
            if ev.going >= ev.capacity {
                return Err(AppError::conflict("event-full", format!("all {} seats are taken", ev.capacity)));
            }
            after_ev.going += 1;
        } else if !going && was_going {
            after_ev.going = after_ev.going.saturating_sub(1);
        }
        after_ev.version += 1;
        let r = Rsvp {
            event_id: ev.id.clone(),
            user_id: p.user_id.clone(),
            status: input.status,
            at: deps.clock.now(),
            version: before.as_ref().map_or(1, |b| b.version + 1),
        };
        let writes = vec![
            after_ev.tx_put("event", Condition::VersionIs(ev.version))?,
            r.tx_put("rsvp", before.as_ref().map_or(Condition::NotExists, |b| Condition::VersionIs(b.version)))?,
        ];
        match deps.store.transact(writes).await {
            Ok(()) => {
                publish(
                    deps,
                    RSVP_CHANGED,
                    &format!("{}:{}:{}", ev.id, r.user_id, r.version),
                    &ev.id,
                    json!({
                        "eventId": ev.id, "userId": r.user_id, "status": r.status, "rsvpVersion": r.version,
                    }),
                )
                .await?;
                return Ok(RsvpView {
                    event_id: after_ev.id,
                    status: r.status,
                    going: after_ev.going,
                    capacity: after_ev.capacity,
                    changed: true,
                });
            }
            Err(StoreError::TransactionCanceled { .. }) if attempt < ATTEMPTS => {
                attempt += 1;
                super::communities::back_off(deps, attempt).await;
            }
            Err(StoreError::TransactionCanceled { .. }) => {
                return Err(AppError::conflict("concurrent-update", "the event is too contended; retry"));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn invite_of<'a>(ev: &'a CommunityEvent, organizer: &'a Person, attendee: Option<&'a Person>) -> EventInvite<'a> {
    EventInvite {
        uid: &ev.ical_uid,
        sequence: ev.sequence,
        summary: &ev.title,
        description: &ev.description,
        starts_at: ev.starts_at,
        ends_at: ev.ends_at,
        time_zone: &ev.time_zone,
        location: ev.place.as_deref(),
        url: ev.online_url.as_deref(),
        organizer,
        attendee,
    }
}

fn organizer_of(ev: &CommunityEvent) -> Person {
    Person { name: Some(ev.organizer.name.clone()), email: ev.organizer.email.clone() }
}

/// Published when someone answers going or not going (`data`: eventId, userId, status,
/// rsvpVersion); the community-events consumer mails them the invite or its cancellation.
pub const RSVP_CHANGED: &str = "community_event.rsvp";
/// Published when an event changes (`data`: eventId, sequence); the consumer mails everyone
/// going the invite with the raised SEQUENCE.
pub const EVENT_CHANGED: &str = "community_event.changed";

async fn publish(deps: &Deps, kind: &str, id: &str, subject: &str, data: serde_json::Value) -> AppResult<()> {
    let event = DomainEvent {
        id: format!("{kind}:{id}"),
        kind: kind.into(),
        org_id: String::new(),
        subject_id: subject.to_owned(),
        occurred_at: deps.clock.now(),
        data,
        correlation_id: None,
    };
    deps.events.publish(&event).await.map_err(|e| AppError::Unavailable(e.to_string()))
}

/// Who someone is on an invite: their platform profile's name and email, else their candidate
/// profile's; `None` when they are gone (erased).
pub async fn attendee(deps: &Deps, id: &UserId) -> AppResult<Option<Person>> {
    if let Some(u) =
        record::get::<crate::model::platform::PlatformUser>(deps.store.as_ref(), &keys::platform_user(id)).await?
    {
        return Ok(Some(Person { name: Some(u.name()), email: u.email }));
    }
    let c: Option<crate::model::candidate::Candidate> = record::get(deps.store.as_ref(), &keys::candidate(id)).await?;
    Ok(c.map(|c| Person { name: Some(c.name), email: c.email.to_string() }))
}

/// The mail for one person about an event: the invite (`REQUEST`, going) or its cancellation
/// (`CANCEL`, not going), with the event's UID and current SEQUENCE.
pub struct InviteMail {
    pub subject: String,
    pub paragraphs: Vec<String>,
    pub calendar: CalendarPart,
}

pub fn invite_mail(deps: &Deps, ev: &CommunityEvent, to: &Person, status: RsvpStatus, changed: bool) -> InviteMail {
    let organizer = organizer_of(ev);
    let method = if status == RsvpStatus::Going { Method::Request } else { Method::Cancel };
    let ics = calendar::event_invite(&invite_of(ev, &organizer, Some(to)), method, deps.clock.now());
    let when = calendar::local_time(ev.starts_at, &ev.time_zone);
    let whereabouts = match (&ev.place, &ev.online_url) {
        (Some(p), Some(u)) => format!("at {p} and online ({u})"),
        (Some(p), None) => format!("at {p}"),
        (None, Some(u)) => format!("online ({u})"),
        (None, None) => String::new(),
    };
    let (subject, paragraphs) = match (status, changed) {
        (RsvpStatus::Going, false) => (
            format!("You're going: {}", ev.title),
            vec![
                format!("You have a seat at {} ({} community) on {when}, {whereabouts}.", ev.title, ev.community_name),
                ev.description.clone(),
                "The invite is attached.".into(),
            ],
        ),
        (RsvpStatus::Going, true) => (
            format!("Changed: {}", ev.title),
            vec![
                format!("{} has changed: it is now on {when}, {whereabouts}.", ev.title),
                "The updated invite is attached; your calendar replaces the old entry.".into(),
            ],
        ),
        (RsvpStatus::NotGoing, _) => (
            format!("Not going: {}", ev.title),
            vec![format!("Your seat at {} on {when} is given back; the calendar entry is cancelled.", ev.title)],
        ),
    };
    InviteMail { subject, paragraphs, calendar: CalendarPart { method: method.as_str().into(), ics } }
}

/// The people going to an event, a page at a time from its partition.
pub async fn going_page(deps: &Deps, id: &str, after: Option<PageToken>) -> AppResult<Listed<Rsvp>> {
    let q = Query::table(format!("EVENT#{id}")).prefix(keys::EVENT_RSVP_PREFIX).limit(100).after(after);
    let (items, page) = record::query::<Rsvp>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items: items.into_iter().filter(|r| r.status == RsvpStatus::Going).collect(), next: page.next })
}

/// The event's calendar object to download (`METHOD:PUBLISH`, the stable UID, the SEQUENCE).
pub async fn invite(deps: &Deps, id: &str) -> AppResult<String> {
    let ev = load(deps, id).await?;
    let organizer = organizer_of(&ev);
    Ok(calendar::event_invite(&invite_of(&ev, &organizer, None), Method::Publish, deps.clock.now()))
}

/// The RSVPs going to an event, read from its partition (for the brute-force check of `going`).
pub async fn going_recount(deps: &Deps, id: &str) -> AppResult<u32> {
    let mut n = 0;
    let mut after = None;
    loop {
        let q = Query::table(format!("EVENT#{id}")).prefix(keys::EVENT_RSVP_PREFIX).limit(1000).after(after);
        let (items, page) = record::query::<Rsvp>(deps.store.as_ref(), &q).await?;
        n += items.iter().filter(|r| r.status == RsvpStatus::Going).count() as u32;
        match page.next {
            Some(t) => after = Some(t),
            None => return Ok(n),
        }
    }
}
