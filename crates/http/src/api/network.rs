//! `/api/network/*`: career mentors (their profile, matching a candidate's gaps against mentors'
//! skills and places left, requests and the mentor's answer); connections between people (a
//! request, accept, decline, block: an unknown id and a person who blocked the caller answer the
//! same 404); community events (created and changed by the community's leaders and platform
//! admins, upcoming ones for anyone signed in, RSVPs holding the seat count under races, the
//! event's RFC 5545 invite).

use super::{Page, PageQuery, page, page_of, user_id, uuid_id};
use crate::App;
use crate::handler;
use crate::request::Req;
use crate::routes::{
    Access::*, CalendarText, Created, Grant::*, IfMatch, Json, NoContent, OptionalIfMatch, Query, Route, Tagged,
};
use clearview_core::AppError;
use clearview_core::rbac::Role;
use clearview_core::services::careers::GapsQuery;
use clearview_core::services::connections::{self, Answer, ConnectInput, Connection};
use clearview_core::services::events::{self, CommunityEvent, EventInput, EventsQuery, RsvpInput, RsvpView};
use clearview_core::services::network::{self, MenteeRequest, MentorProfile};
use clearview_core::values::UserId;

pub static ROUTES: &[Route] = &[
    MENTORS,
    MENTOR_PROFILE,
    MENTOR_REQUEST,
    MY_REQUESTS,
    MY_REQUEST_WITHDRAW,
    MENTEE_REQUESTS,
    MENTEE_ACCEPT,
    MENTEE_DECLINE,
    MENTEE_FEEDBACK,
    CONNECT,
    CONNECTIONS,
    CONNECTION_ACCEPT,
    CONNECTION_DECLINE,
    CONNECTION_BLOCK,
    EVENTS,
    EVENTS_CREATE,
    EVENTS_GET,
    EVENTS_UPDATE,
    EVENTS_RSVP,
    EVENTS_INVITE,
];

/// Everyone who signs in outside an employer: candidates and the platform's roles.
const PEOPLE: &[Role] = &Role::PLATFORM;

pub const MENTORS: Route = Route {
    name: "network-mentors",
    method: "GET",
    path: "/api/network/mentors",
    access: Candidate,
    summary: "Career mentors for your five most useful gaps against an occupation (target), a job (jobId) or, by default, your newest goal: mentors with places left, most gaps covered first",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentors),
};
async fn mentors(app: App, req: Req, Query(q): Query<GapsQuery>) -> Result<Json<network::MentorMatches>, AppError> {
    Ok(Json(network::mentors(&app.deps, &req.candidate()?.user_id, &q).await?))
}

pub const MENTOR_PROFILE: Route = Route {
    name: "network-mentor-profile",
    method: "PUT",
    path: "/api/network/mentors/me",
    access: Platform(&[Role::CareerMentor]),
    summary: "Create or replace your mentor profile (career mentors): the skills you mentor (names of the skills vocabulary) and how many mentees you take; If-Match optional",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(set_profile),
};
async fn set_profile(
    app: App,
    req: Req,
    (OptionalIfMatch(version), Json(input)): (OptionalIfMatch, Json<network::MentorInput>),
) -> Result<Tagged<MentorProfile>, AppError> {
    let m = network::set_profile(&app.deps, req.candidate()?, version, input).await?;
    let v = m.version;
    Ok(Tagged(m, v))
}

pub const MENTOR_REQUEST: Route = Route {
    name: "network-mentor-request",
    method: "POST",
    path: "/api/network/mentors/{id}/requests",
    access: Candidate,
    summary: "Ask a mentor to mentor you (asking again answers the first request)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(request),
};
async fn request(
    app: App,
    req: Req,
    Json(input): Json<network::RequestInput>,
) -> Result<Json<MenteeRequest>, AppError> {
    let mentor = super::user_id(&req, "id")?;
    Ok(Json(network::request(&app.deps, &req.candidate()?.user_id, &mentor, input).await?))
}

pub const MY_REQUESTS: Route = Route {
    name: "network-mentor-requests",
    method: "GET",
    path: "/api/network/mentor-requests",
    access: Candidate,
    summary: "Your requests to mentors and their answers",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(my_requests),
};
async fn my_requests(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<MenteeRequest>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("mentor-requests:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = network::requests_of(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

pub const MY_REQUEST_WITHDRAW: Route = Route {
    name: "network-mentor-request-withdraw",
    method: "POST",
    path: "/api/network/mentor-requests/{mentorId}/withdraw",
    access: Candidate,
    summary: "Withdraw your pending request to a mentor (409 not-pending once the mentor has answered; withdrawing again answers the withdrawn request; asking the mentor again later makes a new request)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(withdraw),
};
async fn withdraw(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let mentor = super::user_id(&req, "mentorId")?;
    Ok(Json(network::withdraw(&app.deps, &req.candidate()?.user_id, &mentor).await?))
}

pub const MENTEE_REQUESTS: Route = Route {
    name: "network-mentee-requests",
    method: "GET",
    path: "/api/network/mentee-requests",
    access: Platform(&[Role::CareerMentor]),
    summary: "Candidates' requests to you (career mentors), pending and answered",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentee_requests),
};
async fn mentee_requests(
    app: App,
    req: Req,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<MenteeRequest>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("mentee-requests:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = network::requests_to(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |r| r)))
}

fn candidate_id(req: &Req) -> Result<UserId, AppError> {
    super::user_id(req, "candidateId")
}

pub const MENTEE_ACCEPT: Route = Route {
    name: "network-mentee-accept",
    method: "POST",
    path: "/api/network/mentee-requests/{candidateId}/accept",
    access: Platform(&[Role::CareerMentor]),
    summary: "Accept a candidate's request (takes one of your places; 409 mentor-at-capacity when none is left)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(accept),
};
async fn accept(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::answer(&app.deps, &req.candidate()?.user_id, &candidate, true).await?))
}

pub const MENTEE_DECLINE: Route = Route {
    name: "network-mentee-decline",
    method: "POST",
    path: "/api/network/mentee-requests/{candidateId}/decline",
    access: Platform(&[Role::CareerMentor]),
    summary: "Decline a candidate's request",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(decline),
};
async fn decline(app: App, req: Req, _: ()) -> Result<Json<MenteeRequest>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::answer(&app.deps, &req.candidate()?.user_id, &candidate, false).await?))
}

pub const MENTEE_FEEDBACK: Route = Route {
    name: "network-mentee-feedback",
    method: "GET",
    path: "/api/network/mentees/{candidateId}/feedback",
    access: Platform(&[Role::CareerMentor]),
    summary: "The roadmap feedback of a candidate whose request you accepted (career mentors; anyone else's answers 404)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(mentee_feedback),
};
async fn mentee_feedback(app: App, req: Req, _: ()) -> Result<Json<network::MenteeFeedback>, AppError> {
    let candidate = candidate_id(&req)?;
    Ok(Json(network::mentee_feedback(&app.deps, &req.candidate()?.user_id, &candidate).await?))
}

// ------------------------------------------------------------------ connections

pub const CONNECT: Route = Route {
    name: "network-connect",
    method: "POST",
    path: "/api/network/connect",
    access: Platform(PEOPLE),
    summary: "Ask someone on the platform to connect (one pending request per pair: asking again answers the same request; 404 for an unknown id and for a person who blocked you alike; 409 request-waiting when they asked you first)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(connect),
};
async fn connect(app: App, req: Req, Json(input): Json<ConnectInput>) -> Result<Created<Connection>, AppError> {
    let c = connections::connect(&app.deps, &req.candidate()?.user_id, input).await?;
    Ok(Created { body: c, location: "/api/network/connections".into(), version: None })
}

pub const CONNECTIONS: Route = Route {
    name: "network-connections",
    method: "GET",
    path: "/api/network/connections",
    access: Platform(PEOPLE),
    summary: "Your connections, requests you sent (requested), requests to you (incoming) and people you blocked",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(connections_list),
};
async fn connections_list(app: App, req: Req, Query(q): Query<PageQuery>) -> Result<Json<Page<Connection>>, AppError> {
    let me = &req.candidate()?.user_id;
    let scope = format!("connections:{me}");
    let (limit, after) = page(&app, &scope, &q)?;
    let listed = connections::list(&app.deps, me, limit, after).await?;
    Ok(Json(page_of(&app, &scope, listed, |c| c)))
}

pub const CONNECTION_ACCEPT: Route = Route {
    name: "network-connection-accept",
    method: "POST",
    path: "/api/network/connections/{userId}/accept",
    access: Platform(PEOPLE),
    summary: "Accept a person's pending request to connect with you (404 when there is none)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(connection_accept),
};
async fn connection_accept(app: App, req: Req, _: ()) -> Result<Json<Connection>, AppError> {
    let other = user_id(&req, "userId")?;
    let me = &req.candidate()?.user_id;
    connections::answer(&app.deps, me, &other, Answer::Accept)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound("connection request"))
}

pub const CONNECTION_DECLINE: Route = Route {
    name: "network-connection-decline",
    method: "POST",
    path: "/api/network/connections/{userId}/decline",
    access: Platform(PEOPLE),
    summary: "Decline a person's pending request to connect with you; it leaves both lists (404 when there is none)",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(connection_decline),
};
async fn connection_decline(app: App, req: Req, _: ()) -> Result<NoContent, AppError> {
    let other = user_id(&req, "userId")?;
    connections::answer(&app.deps, &req.candidate()?.user_id, &other, Answer::Decline).await?;
    Ok(NoContent)
}

pub const CONNECTION_BLOCK: Route = Route {
    name: "network-connection-block",
    method: "POST",
    path: "/api/network/connections/{userId}/block",
    access: Platform(PEOPLE),
    summary: "Block a person: any request or connection between you ends and their further requests answer 404, as for an unknown id",
    idempotent: false,
    grants: &[TableRead, TableWrite],
    handler: handler!(connection_block),
};
async fn connection_block(app: App, req: Req, _: ()) -> Result<Json<Connection>, AppError> {
    let other = user_id(&req, "userId")?;
    Ok(Json(connections::block(&app.deps, &req.candidate()?.user_id, &other).await?))
}

// ------------------------------------------------------------------ community events

const ORGANIZERS: &[Role] = &[Role::CommunityLeader, Role::PlatformAdmin];

pub const EVENTS: Route = Route {
    name: "network-events",
    method: "GET",
    path: "/api/network/events",
    access: Platform(PEOPLE),
    summary: "Upcoming community events, soonest first: every community's, or one's (communityId)",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(events_list),
};
async fn events_list(app: App, req: Req, Query(q): Query<EventsQuery>) -> Result<Json<Page<CommunityEvent>>, AppError> {
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

pub const EVENTS_CREATE: Route = Route {
    name: "network-events-create",
    method: "POST",
    path: "/api/network/events",
    access: Platform(ORGANIZERS),
    summary: "Create an event of a community you lead (community leaders) or of any community (platform admins): times with the time zone, an online link or a place, a capacity",
    idempotent: true,
    grants: &[TableRead, TableWrite],
    handler: handler!(events_create),
};
async fn events_create(app: App, req: Req, Json(input): Json<EventInput>) -> Result<Created<CommunityEvent>, AppError> {
    let e = events::create(&app.deps, req.candidate()?, input).await?;
    let (location, version) = (format!("/api/network/events/{}", e.id), Some(e.version));
    Ok(Created { body: e, location, version })
}

pub const EVENTS_GET: Route = Route {
    name: "network-events-get",
    method: "GET",
    path: "/api/network/events/{id}",
    access: Platform(PEOPLE),
    summary: "One event, with its seats taken and its invite's SEQUENCE",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(events_get),
};
async fn events_get(app: App, req: Req, _: ()) -> Result<Tagged<CommunityEvent>, AppError> {
    let e = events::load(&app.deps, &uuid_id(&req, "event")?).await?;
    let v = e.version;
    Ok(Tagged(e, v))
}

pub const EVENTS_UPDATE: Route = Route {
    name: "network-events-update",
    method: "PUT",
    path: "/api/network/events/{id}",
    access: Platform(ORGANIZERS),
    summary: "Change an event (its community's leaders, platform admins; If-Match required): the invite's SEQUENCE rises and everyone going is mailed the updated invite; the capacity never drops below the seats taken",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(events_update),
};
async fn events_update(
    app: App,
    req: Req,
    (IfMatch(version), Json(input)): (IfMatch, Json<EventInput>),
) -> Result<Tagged<CommunityEvent>, AppError> {
    let id = uuid_id(&req, "event")?;
    let e = events::update(&app.deps, req.candidate()?, &id, version, input).await?;
    let v = e.version;
    Ok(Tagged(e, v))
}

pub const EVENTS_RSVP: Route = Route {
    name: "network-events-rsvp",
    method: "POST",
    path: "/api/network/events/{id}/rsvp",
    access: Platform(PEOPLE),
    summary: "Going or not going: going takes a seat (409 event-full when none is left) and you are mailed the invite (text/calendar, METHOD:REQUEST); not going gives it back and you are mailed its cancellation (METHOD:CANCEL)",
    idempotent: false,
    grants: &[TableRead, TableWrite, PublishEvents],
    handler: handler!(events_rsvp),
};
async fn events_rsvp(app: App, req: Req, Json(input): Json<RsvpInput>) -> Result<Json<RsvpView>, AppError> {
    let id = uuid_id(&req, "event")?;
    Ok(Json(events::rsvp(&app.deps, req.candidate()?, &id, input).await?))
}

pub const EVENTS_INVITE: Route = Route {
    name: "network-events-invite",
    method: "GET",
    path: "/api/network/events/{id}/invite.ics",
    access: Platform(PEOPLE),
    summary: "The event's RFC 5545 calendar object (text/calendar, METHOD:PUBLISH): its UID is stable and its SEQUENCE rises with every change",
    idempotent: false,
    grants: &[TableRead],
    handler: handler!(events_invite),
};
async fn events_invite(app: App, req: Req, _: ()) -> Result<CalendarText, AppError> {
    Ok(CalendarText(events::invite(&app.deps, &uuid_id(&req, "event")?).await?))
}
