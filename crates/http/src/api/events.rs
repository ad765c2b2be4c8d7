//! `/api/network/events/*`: community events (created and changed by the community's leaders
//! and platform admins), the upcoming ones for anyone signed in, RSVPs that hold the seat count
//! under races, and the event's RFC 5545 invite.

use super::{Page, PageQuery, page, page_of, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{Access::*, CalendarText, Created, Grant::*, IfMatch, Json, Query, Route, Tagged};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::events::{self, CommunityEvent, EventInput, EventsQuery, RsvpInput, RsvpView};

pub static ROUTES: &[Route] = &[LIST, CREATE, GET, UPDATE, RSVP, INVITE];

/// Everyone who signs in outside an employer: candidates and the platform's roles.
const PEOPLE: &[Role] = &Role::PLATFORM;
const ORGANIZERS: &[Role] = &[Role::CommunityLeader, Role::PlatformAdmin];

pub const LIST: Route = Route {
    name: "network-events",
    method: "GET",
    path: "/api/network/events",
    access: Platform(PEOPLE),
    summary: "Upcoming community events, soonest first: every community's, or one's (communityId)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(list),
};
async fn list(app: App, req: Req, Query(q): Query<EventsQuery>) -> Result<Json<Page<CommunityEvent>>, AppError> {
    req.candidate()?;
    let community = match q.community_id.as_deref() {
        Some(c) if clearview_core::values::JobId::parse(c).is_some() => Some(c.to_owned()),
        Some(_) => return Err(AppError::field("communityId", "must be a community id")),
        None => None,
    };
    let scope = format!("events:{}", community.as_deref().unwrap_or("all"));
    let (limit, after) = page(&app, &scope, &PageQuery { limit: q.limit, cursor: q.cursor.clone() })?;
    let listed = events::upcoming(&app.deps, community.as_deref(), limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |e| e)))
}

pub const CREATE: Route = Route {
    name: "network-events-create",
    method: "POST",
    path: "/api/network/events",
    access: Platform(ORGANIZERS),
    summary: "Create an event of a community you lead (community leaders) or of any community (platform admins): times with the time zone, an online link or a place, a capacity",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(create),
};
async fn create(app: App, req: Req, Json(input): Json<EventInput>) -> Result<Created<CommunityEvent>, AppError> {
    let e = events::create(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/network/events/{}", e.id), Some(e.version));
    Ok(Created { body: e, location, version })
}

pub const GET: Route = Route {
    name: "network-events-get",
    method: "GET",
    path: "/api/network/events/{id}",
    access: Platform(PEOPLE),
    summary: "One event, with its seats taken and its invite's SEQUENCE",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(get),
};
async fn get(app: App, req: Req, _: ()) -> Result<Tagged<CommunityEvent>, AppError> {
    let e = events::load(&app.deps, &uuid_id(&req, "event")?).await?;
    let v = e.version;
    Ok(Tagged(e, v))
}

pub const UPDATE: Route = Route {
    name: "network-events-update",
    method: "PUT",
    path: "/api/network/events/{id}",
    access: Platform(ORGANIZERS),
    summary: "Change an event (its community's leaders, platform admins; If-Match required): the invite's SEQUENCE rises and everyone going is mailed the updated invite; the capacity never drops below the seats taken",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(update),
};
async fn update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<EventInput>),
) -> Result<Tagged<CommunityEvent>, AppError> {
    let id = uuid_id(&req, "event")?;
    let e = events::update(&app.deps, req.candidate()?, &id, version, input).await?;
    let v = e.version;
    Ok(Tagged(e, v))
}

pub const RSVP: Route = Route {
    name: "network-events-rsvp",
    method: "POST",
    path: "/api/network/events/{id}/rsvp",
    access: Platform(PEOPLE),
    summary: "Going or not going: going takes a seat (409 event-full when none is left) and you are mailed the invite (text/calendar, METHOD:REQUEST); not going gives it back and you are mailed its cancellation (METHOD:CANCEL)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(rsvp),
};
async fn rsvp(app: App, req: Req, Json(input): Json<RsvpInput>) -> Result<Json<RsvpView>, AppError> {
    let id = uuid_id(&req, "event")?;
    Ok(Json(events::rsvp(&app.deps, req.candidate()?, &id, input).await?))
}

pub const INVITE: Route = Route {
    name: "network-events-invite",
    method: "GET",
    path: "/api/network/events/{id}/invite.ics",
    access: Platform(PEOPLE),
    summary: "The event's RFC 5545 calendar object (text/calendar, METHOD:PUBLISH): its UID is stable and its SEQUENCE rises with every change",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(invite),
};
async fn invite(app: App, req: Req, _: ()) -> Result<CalendarText, AppError> {
    Ok(CalendarText(events::invite(&app.deps, &uuid_id(&req, "event")?).await?))
}
