//! Connections between people on the platform (issue 14): a request, the other's accept or
//! decline, and a block. The pair's state is ONE item (`CONNPAIR#<lower id>#<higher id>`) written
//! with a condition (absent, or the version read), so racing requests between the same two
//! people leave one pending request; each person's side (`CONNS#<id>`, their list) is written in
//! the same transaction. Nobody can learn who exists or who blocked them: an unknown id and a
//! person who blocked the caller answer the same 404.

use super::Listed;
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::platform::PlatformUser;
use crate::ports::Deps;
use crate::ports::store::{Condition, PageToken, Query, StoreError, TxWrite};
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

const MESSAGE: TextRule = TextRule::new(1, 500);
/// Racing writers re-read and try again this many times (each loss means another writer won).
const ATTEMPTS: usize = 10;

fn message_schema() -> utoipa::openapi::schema::Object {
    MESSAGE.opt_schema()
}

/// Where a pair of people stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairState {
    Pending,
    Connected,
    Declined,
    Blocked,
}

/// The pair's one item: the state and who asked (or blocked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionPair {
    pub a: UserId,
    pub b: UserId,
    pub state: PairState,
    /// Who sent the pending (or last) request.
    pub requester: UserId,
    /// Who blocked, when blocked.
    pub blocker: Option<UserId>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub version: u64,
}

impl Record for ConnectionPair {
    const ENTITY: &'static str = "ConnectionPair";
    fn key(&self) -> crate::ports::store::Key {
        keys::connection_pair(&self.a, &self.b)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// What a connection is, seen from its owner's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ConnectionStatus)]
pub enum ConnectionStatus {
    /// You asked; they have not answered.
    Requested,
    /// They asked you: accept or decline it.
    Incoming,
    Connected,
    /// You blocked them (they see nothing of it).
    Blocked,
}

/// One of your connections (your side of the pair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    #[schema(value_type = String)]
    pub owner_id: UserId,
    /// The other person.
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub name: String,
    pub status: ConnectionStatus,
    /// The request's note, if one was sent.
    pub message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub since: OffsetDateTime,
}

impl Record for Connection {
    const ENTITY: &'static str = "Connection";
    fn key(&self) -> crate::ports::store::Key {
        keys::connection(&self.owner_id, &self.user_id)
    }
    fn version(&self) -> u64 {
        1
    }
}

/// `POST /api/network/connect`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectInput {
    /// The person to connect with (a platform user or a candidate).
    #[schema(schema_with = crate::values::id_schema)]
    pub user_id: String,
    /// A short note to them.
    #[schema(schema_with = message_schema)]
    pub message: Option<String>,
}

/// A person's shown name, whether they signed up as a platform user or a candidate; `None` for
/// an id that names nobody.
async fn name_of(deps: &Deps, id: &UserId) -> AppResult<Option<String>> {
    if let Some(u) = record::get::<PlatformUser>(deps.store.as_ref(), &keys::platform_user(id)).await? {
        return Ok(Some(u.name()));
    }
    let c: Option<crate::model::candidate::Candidate> = record::get(deps.store.as_ref(), &keys::candidate(id)).await?;
    Ok(c.map(|c| c.name))
}

/// The one answer for "no such person" and "they blocked you".
fn nobody() -> AppError {
    AppError::NotFound("user")
}

async fn pair(deps: &Deps, a: &UserId, b: &UserId) -> AppResult<Option<ConnectionPair>> {
    Ok(record::get(deps.store.as_ref(), &keys::connection_pair(a, b)).await?)
}

fn side(
    owner: &UserId,
    other: &UserId,
    name: &str,
    status: ConnectionStatus,
    message: Option<String>,
    at: OffsetDateTime,
) -> Connection {
    Connection { owner_id: owner.clone(), user_id: other.clone(), name: name.to_owned(), status, message, since: at }
}

/// Writes the pair (conditional on what was read) and both sides; `None` for a side deletes it.
async fn write(
    deps: &Deps,
    before: Option<&ConnectionPair>,
    after: &ConnectionPair,
    sides: [(&UserId, &UserId, Option<&Connection>); 2],
) -> Result<(), StoreError> {
    let cond = before.map_or(Condition::NotExists, |p| Condition::VersionIs(p.version));
    let mut writes = vec![after.tx_put("pair", cond)?];
    for (owner, other, s) in sides {
        writes.push(match s {
            Some(s) => s.tx_put("side", Condition::None)?,
            None => TxWrite::delete("side", keys::connection(owner, other), Condition::None),
        });
    }
    deps.store.transact(writes).await
}

fn lost(e: StoreError) -> Option<AppError> {
    match e {
        StoreError::ConditionFailed { .. } => None,
        StoreError::TransactionCanceled { ref failed } if failed.iter().any(|l| l == "pair") => None,
        other => Some(other.into()),
    }
}

/// Asks `other` to connect. Asking again (or while connected) answers the standing connection;
/// when `other` has asked `me` already, it says so (409 request-waiting: accept theirs).
pub async fn connect(deps: &Deps, me: &UserId, input: ConnectInput) -> AppResult<Connection> {
    let mut c = Checks::default();
    let message = c.take(MESSAGE.parse_opt("message", input.message.as_deref())).flatten();
    let other = UserId::parse(input.user_id.trim());
    if other.is_none() {
        c.push("userId", "must be a user id");
    }
    c.finish()?;
    let other = other.ok_or_else(nobody)?;
    if &other == me {
        return Err(AppError::field("userId", "names you; connect with someone else"));
    }
    let their_name = name_of(deps, &other).await?.ok_or_else(nobody)?;
    let my_name = name_of(deps, me).await?.unwrap_or_default();
    for _ in 0..ATTEMPTS {
        let before = pair(deps, me, &other).await?;
        if let Some(p) = &before {
            match p.state {
                PairState::Blocked if p.blocker.as_ref() == Some(me) => {
                    return Err(AppError::conflict("blocked", "you blocked this person; nothing was sent"));
                }
                PairState::Blocked => return Err(nobody()),
                PairState::Pending if &p.requester == me => return mine(deps, me, &other).await,
                PairState::Pending => {
                    return Err(AppError::conflict(
                        "request-waiting",
                        "they asked you to connect already: accept their request instead",
                    ));
                }
                PairState::Connected => return mine(deps, me, &other).await,
                PairState::Declined => {}
            }
        }
        let now = deps.clock.now();
        let (a, b) = if me.as_str() <= other.as_str() { (me, &other) } else { (&other, me) };
        let after = ConnectionPair {
            a: a.clone(),
            b: b.clone(),
            state: PairState::Pending,
            requester: me.clone(),
            blocker: None,
            at: now,
            version: before.as_ref().map_or(1, |p| p.version + 1),
        };
        let out = side(me, &other, &their_name, ConnectionStatus::Requested, message.clone(), now);
        let inc = side(&other, me, &my_name, ConnectionStatus::Incoming, message.clone(), now);
        match write(deps, before.as_ref(), &after, [(me, &other, Some(&out)), (&other, me, Some(&inc))]).await {
            Ok(()) => return Ok(out),
            Err(e) => {
                if let Some(e) = lost(e) {
                    return Err(e);
                }
            }
        }
    }
    Err(AppError::conflict("concurrent-update", "the connection kept changing; retry"))
}

async fn mine(deps: &Deps, me: &UserId, other: &UserId) -> AppResult<Connection> {
    record::get(deps.store.as_ref(), &keys::connection(me, other)).await?.ok_or_else(nobody)
}

/// What the person asked answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Decline,
}

/// Accepts or declines `other`'s pending request to `me` (anything else: 404 connection request).
/// A decline removes the request from both lists; `other` may ask again later.
pub async fn answer(deps: &Deps, me: &UserId, other: &UserId, answer: Answer) -> AppResult<Option<Connection>> {
    for _ in 0..ATTEMPTS {
        let before = pair(deps, me, other)
            .await?
            .filter(|p| p.state == PairState::Pending && &p.requester == other)
            .ok_or(AppError::NotFound("connection request"))?;
        let now = deps.clock.now();
        let mut after = before.clone();
        after.version += 1;
        after.at = now;
        let (result, sides) = match answer {
            Answer::Accept => {
                after.state = PairState::Connected;
                let my_side = mine(deps, me, other).await?;
                let their_side = record::get::<Connection>(deps.store.as_ref(), &keys::connection(other, me)).await?;
                let m = Connection { status: ConnectionStatus::Connected, since: now, ..my_side };
                let t = their_side.map(|t| Connection { status: ConnectionStatus::Connected, since: now, ..t });
                (Some(m.clone()), [Some(m), t])
            }
            Answer::Decline => {
                after.state = PairState::Declined;
                (None, [None, None])
            }
        };
        let [m, t] = &sides;
        match write(deps, Some(&before), &after, [(me, other, m.as_ref()), (other, me, t.as_ref())]).await {
            Ok(()) => return Ok(result),
            Err(e) => {
                if let Some(e) = lost(e) {
                    return Err(e);
                }
            }
        }
    }
    Err(AppError::conflict("concurrent-update", "the connection kept changing; retry"))
}

/// Blocks `other`: whatever stood between them (a request either way, a connection) ends, their
/// side of it is removed, and their further requests answer as if `me` did not exist.
pub async fn block(deps: &Deps, me: &UserId, other: &UserId) -> AppResult<Connection> {
    if other == me {
        return Err(nobody());
    }
    let name = name_of(deps, other).await?.ok_or_else(nobody)?;
    for _ in 0..ATTEMPTS {
        let before = pair(deps, me, other).await?;
        match before.as_ref().filter(|p| p.state == PairState::Blocked).and_then(|p| p.blocker.as_ref()) {
            Some(b) if b == me => return mine(deps, me, other).await,
            Some(_) => return Err(nobody()),
            None => {}
        }
        let now = deps.clock.now();
        let (a, b) = if me.as_str() <= other.as_str() { (me, other) } else { (other, me) };
        let after = ConnectionPair {
            a: a.clone(),
            b: b.clone(),
            state: PairState::Blocked,
            requester: before.as_ref().map_or_else(|| me.clone(), |p| p.requester.clone()),
            blocker: Some(me.clone()),
            at: now,
            version: before.as_ref().map_or(1, |p| p.version + 1),
        };
        let mine = side(me, other, &name, ConnectionStatus::Blocked, None, now);
        match write(deps, before.as_ref(), &after, [(me, other, Some(&mine)), (other, me, None)]).await {
            Ok(()) => return Ok(mine),
            Err(e) => {
                if let Some(e) = lost(e) {
                    return Err(e);
                }
            }
        }
    }
    Err(AppError::conflict("concurrent-update", "the connection kept changing; retry"))
}

/// The caller's connections, requests both ways and blocks, by the other person's id.
pub async fn list(deps: &Deps, me: &UserId, limit: usize, after: Option<PageToken>) -> AppResult<Listed<Connection>> {
    let q = Query::table(keys::connections_pk(me)).limit(limit).after(after);
    let (items, page) = record::query::<Connection>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}
