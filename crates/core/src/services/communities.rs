//! Communities and their leaders (issue 13): platform admins define communities and put
//! community leaders in them by skills and expertise; the platform manager places a non-profit
//! in a community at onboarding and gives it the next leader in turn who is under the
//! platform's cap.
//!
//! The round robin holds across Lambda instances without locks or scans: a non-profit takes the
//! community's next turn (an atomic counter), and turn `t` is leader `t mod n`'s. The
//! assignment is then ONE transaction over that leader's load counter (`version`-checked, so it
//! can never pass the cap), the platform settings (checked, so a lowered cap is seen), the
//! non-profit and its assignment marker (`NotExists`: a redelivered onboarding assigns nobody
//! twice). A writer that loses a race on the load reads it again; a full leader passes the
//! turn to the next with room. When every leader is full the non-profit joins the community's FIFO
//! line (`waitHead..waitTail`); capacity freed later (a leader added, the cap raised, an
//! assignment removed) assigns from the head of the line.

use super::Listed;
use super::platform::{load_nonprofit, load_user, tags};
use crate::error::{AppError, AppResult};
use crate::keys;
use crate::model::platform::{
    Assignment, AssignmentState, Community, LeaderLoad, Meeting, Nonprofit, NonprofitStatus, PersonRef,
    PlatformSettings, PlatformUser, WaitingNonprofit,
};
use crate::ports::Deps;
use crate::ports::queue::DomainEvent;
use crate::ports::store::{Condition, Index, PageToken, Query, StoreError, TxWrite};
use crate::rbac::Role;
use crate::record::{self, Record};
use crate::values::{Checks, TextRule, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use time::OffsetDateTime;

const NAME: TextRule = TextRule::new(1, 200);
const LONG: TextRule = TextRule::new(1, 2000);
/// How often one assignment retries after losing a race (each loss means another won).
const MAX_ATTEMPTS: usize = 400;

fn name_schema() -> utoipa::openapi::schema::Object {
    NAME.schema()
}
fn long_schema() -> utoipa::openapi::schema::Object {
    LONG.schema()
}

/// `POST /api/communities`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommunityInput {
    #[schema(schema_with = name_schema, example = "Workforce readiness")]
    pub name: String,
    #[schema(schema_with = long_schema)]
    pub description: String,
    /// Skills, services and expertise it is about; at least one.
    #[schema(schema_with = community_tags_schema)]
    pub tags: Vec<String>,
}

fn community_tags_schema() -> utoipa::openapi::schema::Array {
    let mut a = super::platform::tags_schema();
    a.min_items = Some(1);
    a
}

pub async fn create(deps: &Deps, input: CommunityInput) -> AppResult<Community> {
    let mut c = Checks::default();
    let name = c.take(NAME.parse("name", &input.name)).unwrap_or_default();
    let description = c.take(LONG.parse("description", &input.description)).unwrap_or_default();
    let tags = tags(&mut c, "tags", &input.tags);
    if input.tags.is_empty() {
        c.push("tags", "must name at least one skill or area of expertise");
    }
    c.finish()?;
    let community = Community {
        id: deps.ids.new_id().to_string(),
        name,
        description,
        tags,
        leaders: Vec::new(),
        wait_head: 0,
        wait_tail: 0,
        created_at: deps.clock.now(),
        version: 1,
    };
    deps.store.put(community.to_item()?, Condition::NotExists).await?;
    Ok(community)
}

pub async fn load(deps: &Deps, id: &str) -> AppResult<Community> {
    record::get(deps.store.as_ref(), &keys::community(id)).await?.ok_or(AppError::NotFound("community"))
}

pub async fn list(deps: &Deps, limit: usize, after: Option<PageToken>) -> AppResult<Listed<Community>> {
    let q = Query::index(Index::Gsi1, keys::COMMUNITIES_PK).limit(limit).after(after);
    let (items, page) = record::query::<Community>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

fn lower(v: &[String]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_lowercase()).collect()
}

/// `POST /api/communities/{id}/leaders`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaderInput {
    /// A platform user holding `community_leader` whose expertise shares a tag with the community.
    #[schema(schema_with = crate::values::id_schema)]
    pub user_id: String,
}

/// Adds a community leader (by skills and expertise), then gives waiting non-profits the room.
pub async fn add_leader(deps: &Deps, id: &str, input: LeaderInput) -> AppResult<Community> {
    let user_id = UserId::parse(input.user_id.trim()).ok_or_else(|| AppError::field("userId", "must be a user id"))?;
    let user: Option<PlatformUser> = record::get(deps.store.as_ref(), &keys::platform_user(&user_id)).await?;
    let mut community = None;
    for _ in 0..20 {
        let before = load(deps, id).await?;
        let Some(user) = &user else { return Err(AppError::field("userId", "names no platform user")) };
        if !user.holds(Role::CommunityLeader) {
            return Err(AppError::field("userId", "names a user without the community_leader role"));
        }
        if lower(&user.expertise).is_disjoint(&lower(&before.tags)) {
            return Err(AppError::field(
                "userId",
                format!("the leader's expertise shares nothing with the community's tags ({})", before.tags.join(", ")),
            ));
        }
        if before.leaders.iter().any(|l| l.id == user.id) {
            community = Some(before);
            break;
        }
        let mut after = before.clone();
        after.leaders.push(PersonRef { id: user.id.clone(), name: user.name(), email: user.email.clone() });
        after.version += 1;
        match deps.store.put(after.to_item()?, Condition::VersionIs(before.version)).await {
            Ok(()) => {
                community = Some(after);
                break;
            }
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let c = community.ok_or_else(|| AppError::conflict("concurrent-update", "the community kept changing; retry"))?;
    drain(deps, &c.id).await?;
    load(deps, &c.id).await
}

/// `PUT /api/communities/leader-cap`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapInput {
    /// The most non-profits one community leader may have.
    #[schema(minimum = 1, maximum = 1000)]
    pub leader_cap: u32,
}

async fn settings(deps: &Deps) -> AppResult<(PlatformSettings, Condition)> {
    Ok(match record::get::<PlatformSettings>(deps.store.as_ref(), &keys::platform_settings()).await? {
        Some(s) => {
            let v = s.version;
            (s, Condition::VersionIs(v))
        }
        None => (PlatformSettings { leader_cap: PlatformSettings::DEFAULT_CAP, version: 0 }, Condition::NotExists),
    })
}

pub async fn get_cap(deps: &Deps) -> AppResult<PlatformSettings> {
    Ok(settings(deps).await?.0)
}

/// Sets the platform's cap; a raised cap assigns waiting non-profits at once.
pub async fn set_cap(deps: &Deps, input: CapInput) -> AppResult<PlatformSettings> {
    if !(1..=1000).contains(&input.leader_cap) {
        return Err(AppError::field("leaderCap", "must be from 1 to 1000"));
    }
    let mut saved = None;
    for _ in 0..20 {
        let (before, cond) = settings(deps).await?;
        let after = PlatformSettings { leader_cap: input.leader_cap, version: before.version + 1 };
        match deps.store.put(after.to_item()?, cond).await {
            Ok(()) => {
                saved = Some(after);
                break;
            }
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let saved = saved.ok_or_else(|| AppError::conflict("concurrent-update", "the settings kept changing; retry"))?;
    let mut after = None;
    loop {
        let page = list(deps, 100, after).await?;
        for c in &page.items {
            drain(deps, &c.id).await?;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(saved)
}

/// Where a non-profit belongs: the community sharing the most tags with its services and
/// expertise (the oldest on a tie, and the oldest when none shares any). The tags come from
/// what the non-profit said at onboarding; automatic tagging can feed [`placement_tags`] later.
pub async fn place(deps: &Deps, n: &Nonprofit) -> AppResult<Option<String>> {
    let want = placement_tags(n);
    let (communities, _) =
        record::query::<Community>(deps.store.as_ref(), &Query::index(Index::Gsi1, keys::COMMUNITIES_PK).limit(100))
            .await?;
    let best = communities
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (lower(&c.tags).intersection(&want).count(), std::cmp::Reverse(*i)))
        .map(|(_, c)| c.id.clone());
    Ok(best)
}

/// The tags placement matches on (the seam for automatic tagging).
pub fn placement_tags(n: &Nonprofit) -> BTreeSet<String> {
    lower(&n.services).union(&lower(&n.expertise)).cloned().collect()
}

/// What an assignment attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    Assigned(PersonRef),
    /// Every leader is full (or there is none): it waits in line.
    Waiting,
    /// It had been assigned (or queued) already: nothing changed.
    Already,
}

/// The leader with room whose turn comes next (drain: one writer at a time per community, so
/// the turn is taken only when someone has room).
async fn next_leader(
    deps: &Deps,
    c: &Community,
    cap: u32,
    excluded: &[UserId],
) -> AppResult<Option<(PersonRef, LeaderLoad, Condition)>> {
    let mut open = Vec::new();
    for l in c.leaders.iter().filter(|l| !excluded.contains(&l.id)) {
        let (load, cond) = load_of(deps, &l.id).await?;
        if load.count < cap {
            open.push((l.clone(), load, cond));
        }
    }
    if open.is_empty() {
        return Ok(None);
    }
    let turn = next_turn(deps, &c.id).await? as usize;
    // The least loaded first (freed room is where the line goes), then by turn.
    let least = open.iter().map(|(_, l, _)| l.count).min().unwrap_or(0);
    let mut fewest: Vec<_> = open.into_iter().filter(|(_, l, _)| l.count == least).collect();
    let pick = turn % fewest.len();
    Ok(Some(fewest.swap_remove(pick)))
}

/// After a lost race, let the other writers run a few turns (a different number per writer,
/// so contenders spread out). Core has no timer; yielding works under any executor.
pub(crate) async fn back_off(deps: &Deps, attempt: usize) {
    let turns = (deps.ids.new_id().as_u128() % 8) as usize + attempt.min(8);
    for _ in 0..turns {
        YieldNow(false).await;
    }
}

struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

fn assignment_event(deps: &Deps, a: &Assignment) -> DomainEvent {
    DomainEvent {
        id: format!("{LEADER_ASSIGNED}:{}:{}", a.nonprofit_id, a.version),
        kind: LEADER_ASSIGNED.into(),
        org_id: String::new(),
        subject_id: a.nonprofit_id.clone(),
        occurred_at: deps.clock.now(),
        data: serde_json::json!({"nonprofitId": a.nonprofit_id, "communityId": a.community_id, "leader": a.leader}),
        correlation_id: None,
    }
}

/// Published when a non-profit gets its leader (the platform manager mails and schedules).
pub const LEADER_ASSIGNED: &str = "nonprofit.leader_assigned";

async fn announce(deps: &Deps, a: &Assignment) -> AppResult<()> {
    deps.events.publish(&assignment_event(deps, a)).await.map_err(|e| AppError::Unavailable(e.to_string()))
}

/// Takes the community's next turn: one atomic `ADD` (DynamoDB `UpdateItem`, one SQLite
/// transaction) that never conflicts, so 50 onboardings at once each get their own turn and
/// turn `t` goes to leader `t mod n`: the spread is even without every writer fighting over
/// one cursor. Only writers whose turns land on the same leader race, on that leader's load.
async fn next_turn(deps: &Deps, community: &str) -> AppResult<u64> {
    let key = keys::community_turns(community);
    // Turns never expire (a century ahead: DynamoDB's TTL leaves the item alone).
    let keep = deps.clock.now().unix_timestamp() + 100 * 365 * 24 * 3600;
    let t = deps.store.add_counts(&key, "CommunityTurns", keep, &[("turns", 1)]).await?;
    Ok(t.first().copied().unwrap_or(1).max(1) as u64 - 1)
}

async fn load_of(deps: &Deps, leader: &UserId) -> AppResult<(LeaderLoad, Condition)> {
    Ok(match record::get::<LeaderLoad>(deps.store.as_ref(), &keys::leader_load(leader)).await? {
        Some(l) => {
            let v = l.version;
            (l, Condition::VersionIs(v))
        }
        None => (LeaderLoad { leader_id: leader.clone(), count: 0, version: 0 }, Condition::NotExists),
    })
}

/// Assigns a (placed, not yet assigned) non-profit: the leader whose turn it is, or the next
/// after them with room under the cap; the end of the community's line when every leader is
/// full or someone is already waiting.
pub async fn assign(deps: &Deps, nonprofit: &str) -> AppResult<Placed> {
    // A released non-profit is assigned again (not to a leader it was released from); any other
    // assignment stands.
    let prior: Option<Assignment> = record::get(deps.store.as_ref(), &keys::assignment(nonprofit)).await?;
    let prior = match prior {
        Some(a) if a.state == AssignmentState::Released => Some(a),
        Some(_) => return Ok(Placed::Already),
        None => None,
    };
    let excluded: Vec<UserId> = prior.as_ref().map(|a| a.released_from.clone()).unwrap_or_default();
    let (assignment_version, assignment_cond) = match &prior {
        Some(a) => (a.version + 1, Condition::VersionIs(a.version)),
        None => (1, Condition::NotExists),
    };
    let mut n = load_nonprofit(deps, nonprofit).await?;
    let Some(cid) = n.community_id.clone() else { return Err(AppError::NotFound("community")) };
    let mut attempt = 0;
    'turn: while attempt < MAX_ATTEMPTS {
        let c = load(deps, &cid).await?;
        let leaders = c.leaders.len();
        if c.wait_head >= c.wait_tail && leaders > 0 {
            let turn = next_turn(deps, &cid).await?;
            // From the leader whose turn it is, the first with room.
            for step in 0..leaders {
                let leader = &c.leaders[(turn as usize + step) % leaders];
                if excluded.contains(&leader.id) {
                    continue;
                }
                // Races on this leader's load are retried on the same leader; the settings are
                // read again only when they changed.
                let mut current = settings(deps).await?;
                while attempt < MAX_ATTEMPTS {
                    attempt += 1;
                    let (s, s_cond) = current.clone();
                    let (mut load, l_cond) = load_of(deps, &leader.id).await?;
                    if load.count >= s.leader_cap {
                        break;
                    }
                    load.count += 1;
                    load.version += 1;
                    let now = deps.clock.now();
                    let a = Assignment {
                        nonprofit_id: n.id.clone(),
                        community_id: cid.clone(),
                        state: AssignmentState::Assigned,
                        leader: Some(leader.clone()),
                        at: now,
                        released_from: excluded.clone(),
                        version: assignment_version,
                    };
                    let mut np = n.clone();
                    np.leader = Some(leader.clone());
                    np.waiting_for_leader = false;
                    np.version += 1;
                    np.updated_at = now;
                    let writes = vec![
                        TxWrite::check("settings", keys::platform_settings(), s_cond),
                        load.tx_put("leader-load", l_cond)?,
                        a.tx_put("assignment", assignment_cond)?,
                        np.tx_put("nonprofit", Condition::VersionIs(n.version))?,
                    ];
                    match deps.store.transact(writes).await {
                        Ok(()) => {
                            announce(deps, &a).await?;
                            return Ok(Placed::Assigned(leader.clone()));
                        }
                        Err(StoreError::TransactionCanceled { failed }) => {
                            if failed.iter().any(|f| f == "assignment") {
                                return Ok(Placed::Already);
                            }
                            if failed.iter().any(|f| f == "nonprofit") {
                                n = load_nonprofit(deps, nonprofit).await?;
                            }
                            if failed.iter().any(|f| f == "settings") {
                                current = settings(deps).await?;
                            }
                            back_off(deps, attempt).await;
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        // Every leader is full (or someone waits already, or there is no leader): join the line.
        attempt += 1;
        let (_, s_cond) = settings(deps).await?;
        let now = deps.clock.now();
        let w =
            WaitingNonprofit { community_id: cid.clone(), seq: c.wait_tail, nonprofit_id: n.id.clone(), version: 1 };
        let mut community = c.clone();
        community.wait_tail += 1;
        community.version += 1;
        let a = Assignment {
            nonprofit_id: n.id.clone(),
            community_id: cid.clone(),
            state: AssignmentState::Waiting,
            leader: None,
            at: now,
            released_from: excluded.clone(),
            version: assignment_version,
        };
        let mut np = n.clone();
        np.waiting_for_leader = true;
        np.version += 1;
        np.updated_at = now;
        let writes = vec![
            // A cap raised meanwhile would have room: read again rather than wait.
            TxWrite::check("settings", keys::platform_settings(), s_cond),
            w.tx_put("wait-line", Condition::NotExists)?,
            community.tx_put("community", Condition::VersionIs(c.version))?,
            a.tx_put("assignment", assignment_cond)?,
            np.tx_put("nonprofit", Condition::VersionIs(n.version))?,
        ];
        match deps.store.transact(writes).await {
            Ok(()) => {
                // Room may have freed between the reads and the write: serve the line.
                drain(deps, &cid).await?;
                let now: Option<Assignment> = record::get(deps.store.as_ref(), &keys::assignment(nonprofit)).await?;
                return Ok(match now {
                    Some(a) if a.state == AssignmentState::Assigned => {
                        Placed::Assigned(a.leader.unwrap_or_else(leader_unknown))
                    }
                    _ => Placed::Waiting,
                });
            }
            Err(StoreError::TransactionCanceled { failed }) => {
                if failed.iter().any(|f| f == "assignment") {
                    return Ok(Placed::Already);
                }
                if failed.iter().any(|f| f == "nonprofit") {
                    n = load_nonprofit(deps, nonprofit).await?;
                }
                back_off(deps, attempt).await;
                continue 'turn;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unavailable("the community is too contended; retry".into()))
}

fn leader_unknown() -> PersonRef {
    PersonRef { id: UserId::trusted(""), name: String::new(), email: String::new() }
}

/// Assigns waiting non-profits from the head of the community's line while a leader has room.
/// Returns how many it assigned.
pub async fn drain(deps: &Deps, community: &str) -> AppResult<usize> {
    let mut assigned = 0;
    let mut attempt = 0;
    while attempt < MAX_ATTEMPTS {
        let c = load(deps, community).await?;
        if c.wait_head >= c.wait_tail {
            return Ok(assigned);
        }
        let head = keys::community_wait(community, c.wait_head);
        let waiting: Option<WaitingNonprofit> = record::get(deps.store.as_ref(), &head).await?;
        let mut next = c.clone();
        next.version += 1;
        next.wait_head += 1;
        let Some(w) = waiting else {
            // A line entry always exists between head and tail; skip a hole rather than stall.
            let _ = deps.store.transact(vec![next.tx_put("community", Condition::VersionIs(c.version))?]).await;
            continue;
        };
        let n = load_nonprofit(deps, &w.nonprofit_id).await?;
        let before: Option<Assignment> = record::get(deps.store.as_ref(), &keys::assignment(&n.id)).await?;
        let Some(before) = before.filter(|a| a.state == AssignmentState::Waiting) else {
            // Not waiting any more: drop it from the line.
            let _ = deps
                .store
                .transact(vec![
                    next.tx_put("community", Condition::VersionIs(c.version))?,
                    TxWrite::delete("wait-line", head, Condition::Exists),
                ])
                .await;
            continue;
        };
        // The head of the line is served first (FIFO), by a leader it was not released from.
        let (s, s_cond) = settings(deps).await?;
        let Some((leader, mut load, l_cond)) = next_leader(deps, &c, s.leader_cap, &before.released_from).await? else {
            return Ok(assigned);
        };
        load.count += 1;
        load.version += 1;
        let now = deps.clock.now();
        let mut a = before.clone();
        a.state = AssignmentState::Assigned;
        a.leader = Some(leader.clone());
        a.at = now;
        a.version += 1;
        let mut np = n.clone();
        np.leader = Some(leader.clone());
        np.waiting_for_leader = false;
        np.version += 1;
        np.updated_at = now;
        let writes = vec![
            TxWrite::check("settings", keys::platform_settings(), s_cond),
            next.tx_put("community", Condition::VersionIs(c.version))?,
            TxWrite::delete("wait-line", head, Condition::Exists),
            load.tx_put("leader-load", l_cond)?,
            a.tx_put("assignment", Condition::VersionIs(before.version))?,
            np.tx_put("nonprofit", Condition::VersionIs(n.version))?,
        ];
        match deps.store.transact(writes).await {
            Ok(()) => {
                announce(deps, &a).await?;
                assigned += 1;
            }
            Err(StoreError::TransactionCanceled { .. }) => {
                back_off(deps, attempt).await;
                attempt += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unavailable("the community is too contended; retry".into()))
}

/// Removes a leader's assignment of a non-profit: the leader's room goes to the next waiting,
/// and the non-profit goes back in line for another leader (never the one it was released from).
pub async fn release(deps: &Deps, community: &str, leader: &UserId, nonprofit: &str) -> AppResult<()> {
    for attempt in 0..MAX_ATTEMPTS {
        let a: Assignment = record::get::<Assignment>(deps.store.as_ref(), &keys::assignment(nonprofit))
            .await?
            .filter(|a| {
                a.community_id == community
                    && a.state == AssignmentState::Assigned
                    && a.leader.as_ref().is_some_and(|l| &l.id == leader)
            })
            .ok_or(AppError::NotFound("assignment"))?;
        let load: LeaderLoad = record::get(deps.store.as_ref(), &keys::leader_load(leader))
            .await?
            .ok_or_else(|| AppError::Internal(format!("leader {leader} has an assignment but no load")))?;
        let n = load_nonprofit(deps, nonprofit).await?;
        let mut after = a.clone();
        after.state = AssignmentState::Released;
        after.at = deps.clock.now();
        after.released_from.push(leader.clone());
        after.version += 1;
        let mut l = load.clone();
        l.count = l.count.saturating_sub(1);
        l.version += 1;
        let mut np = n.clone();
        np.leader = None;
        np.version += 1;
        np.updated_at = after.at;
        let writes = vec![
            after.tx_put("assignment", Condition::VersionIs(a.version))?,
            l.tx_put("leader-load", Condition::VersionIs(load.version))?,
            np.tx_put("nonprofit", Condition::VersionIs(n.version))?,
        ];
        match deps.store.transact(writes).await {
            Ok(()) => {
                // The freed room goes to the head of the line; then the released non-profit is
                // assigned again (another leader with room) or joins the end of the line.
                drain(deps, community).await?;
                assign(deps, nonprofit).await?;
                return Ok(());
            }
            Err(StoreError::TransactionCanceled { .. }) => back_off(deps, attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Unavailable("the assignment is too contended; retry".into()))
}

/// What onboarding came to (the platform manager logs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onboarded {
    pub completed_now: bool,
    pub placed: Option<Placed>,
}

/// The platform manager's work for one `offering.created`: record the non-profit↔offering
/// mapping; a PENDING non-profit becomes COMPLETE, is placed in a community and gets a leader.
/// Runs again harmlessly: the mapping is a plain put, COMPLETE is checked, and the assignment
/// marker makes a second assignment impossible.
pub async fn onboard(deps: &Deps, nonprofit: &str, offering: &str) -> AppResult<Onboarded> {
    let map = crate::ports::store::Item {
        key: keys::nonprofit_offering_map(nonprofit, offering),
        gsi1: None,
        gsi2: None,
        entity: "NonprofitOffering".into(),
        version: 1,
        expires_at: None,
        data: serde_json::json!({"nonprofitId": nonprofit, "offeringId": offering}),
    };
    deps.store.put(map, Condition::None).await?;
    let mut completed_now = false;
    for _ in 0..20 {
        let n = load_nonprofit(deps, nonprofit).await?;
        if n.status == NonprofitStatus::Complete && n.community_id.is_some() {
            break;
        }
        let mut after = n.clone();
        after.status = NonprofitStatus::Complete;
        if after.community_id.is_none() {
            after.community_id = place(deps, &n).await?;
        }
        after.version += 1;
        after.updated_at = deps.clock.now();
        match deps.store.put(after.to_item()?, Condition::VersionIs(n.version)).await {
            Ok(()) => {
                completed_now = n.status == NonprofitStatus::Pending;
                break;
            }
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let n = load_nonprofit(deps, nonprofit).await?;
    let placed = match n.community_id {
        Some(_) => Some(assign(deps, nonprofit).await?),
        None => None,
    };
    Ok(Onboarded { completed_now, placed })
}

/// The platform admins (mailed when a community's leaders are all full).
pub async fn platform_admins(deps: &Deps) -> AppResult<Vec<PlatformUser>> {
    let (admins, _) = record::query::<PlatformUser>(
        deps.store.as_ref(),
        &Query::index(Index::Gsi2, keys::PLATFORM_ADMINS_PK).limit(100),
    )
    .await?;
    Ok(admins)
}

/// A leader's non-profits and load, for the brute-force check of the counter.
pub async fn leader_assignments(deps: &Deps, leader: &UserId) -> AppResult<Vec<Assignment>> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let q = Query::index(Index::Gsi1, keys::assignment_by_leader_pk(leader)).limit(1000).after(after);
        let (items, page) = record::query::<Assignment>(deps.store.as_ref(), &q).await?;
        out.extend(items);
        match page.next {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// A leader's load and the platform cap.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderView {
    pub leader: PersonRef,
    pub assigned: u32,
    pub cap: u32,
}

/// The leaders of a community with their loads.
pub async fn leaders(deps: &Deps, id: &str) -> AppResult<Vec<LeaderView>> {
    let c = load(deps, id).await?;
    let cap = settings(deps).await?.0.leader_cap;
    let mut out = Vec::new();
    for l in c.leaders {
        let load: Option<LeaderLoad> = record::get(deps.store.as_ref(), &keys::leader_load(&l.id)).await?;
        out.push(LeaderView { leader: l, assigned: load.map_or(0, |l| l.count), cap });
    }
    Ok(out)
}

/// How long the introductory meeting lasts, and how far ahead a common slot is looked for.
pub const INTRO_MINUTES: u32 = 30;
pub const INTRO_HORIZON_DAYS: i64 = 21;

/// The introductory meeting's start: the first 30-minute slot at least a day after `at` that the
/// leader and every member who gave their availability can all make (read in each one's time
/// zone); when nobody gave any, or they share no slot in three weeks, [`introduction_time`].
pub async fn introduction_slot(
    deps: &Deps,
    nonprofit: &Nonprofit,
    leader: &PersonRef,
    at: OffsetDateTime,
) -> AppResult<OffsetDateTime> {
    let mut given = Vec::new();
    for id in std::iter::once(&leader.id).chain(nonprofit.members.iter().map(|m| &m.id)) {
        match load_user(deps, id).await {
            Ok(u) => given.extend(u.availability),
            Err(AppError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if given.is_empty() {
        return Ok(introduction_time(at));
    }
    let people: Vec<&crate::model::platform::Availability> = given.iter().collect();
    let not_before = at + time::Duration::days(1);
    Ok(super::availability::first_common_slot(not_before, &people, INTRO_MINUTES, INTRO_HORIZON_DAYS)
        .unwrap_or_else(|| introduction_time(at)))
}

/// The first weekday at least two days after `from`, 16:00 UTC: the introductory meeting when
/// nobody's availability is known (or they share none).
pub fn introduction_time(from: OffsetDateTime) -> OffsetDateTime {
    let mut d = (from + time::Duration::days(2)).date();
    while matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
        d = d.next_day().unwrap_or(d);
    }
    d.with_hms(16, 0, 0).map(|t| t.assume_utc()).unwrap_or(from)
}

/// The first Tuesday of the month after `from`, 17:00 UTC: the monthly community meeting's
/// first occurrence (`RRULE:FREQ=MONTHLY;BYDAY=1TU` repeats it).
pub fn community_meeting_start(from: OffsetDateTime) -> OffsetDateTime {
    let (y, m) = match from.month() {
        time::Month::December => (from.year() + 1, time::Month::January),
        m => (from.year(), m.next()),
    };
    let mut d = time::Date::from_calendar_date(y, m, 1).unwrap_or(from.date());
    while d.weekday() != time::Weekday::Tuesday {
        d = d.next_day().unwrap_or(d);
    }
    d.with_hms(17, 0, 0).map(|t| t.assume_utc()).unwrap_or(from)
}

pub const COMMUNITY_RRULE: &str = "FREQ=MONTHLY;BYDAY=1TU";

/// Writes the meetings an assignment schedules on each participant's schedule (idempotent: the
/// keys come from the assignment) and returns them (one per participant and meeting).
pub async fn schedule_meetings(
    deps: &Deps,
    nonprofit: &Nonprofit,
    community: &Community,
    leader: &PersonRef,
    at: OffsetDateTime,
) -> AppResult<Vec<Meeting>> {
    let intro_start = introduction_slot(deps, nonprofit, leader, at).await?;
    let monthly_start = community_meeting_start(at);
    let mut people = vec![leader.clone()];
    people.extend(nonprofit.members.iter().cloned());
    let mut out = Vec::new();
    for p in &people {
        for (kind, id, title, start, minutes, rrule) in [
            (
                crate::model::platform::MeetingKind::Introduction,
                format!("intro-{}", nonprofit.id),
                format!("Introduction: {} meets {}", nonprofit.name, leader.name),
                intro_start,
                30,
                None,
            ),
            (
                crate::model::platform::MeetingKind::Community,
                format!("community-{}", community.id),
                format!("{} monthly community meeting", community.name),
                monthly_start,
                60,
                Some(COMMUNITY_RRULE.to_owned()),
            ),
        ] {
            let m = Meeting {
                ical_uid: format!("{id}@clearview"),
                id,
                user_id: p.id.clone(),
                kind,
                title,
                starts_at: start,
                duration_minutes: minutes,
                rrule,
                nonprofit_id: nonprofit.id.clone(),
                community_id: community.id.clone(),
                organizer: leader.clone(),
                attendees: people.clone(),
                version: 1,
            };
            deps.store.put(m.to_item()?, Condition::None).await?;
            out.push(m);
        }
    }
    Ok(out)
}

/// A person's meeting schedule, by start time.
pub async fn meetings(
    deps: &Deps,
    user: &UserId,
    limit: usize,
    after: Option<PageToken>,
) -> AppResult<Listed<Meeting>> {
    let q = Query::table(keys::meetings_pk(user)).limit(limit).after(after);
    let (items, page) = record::query::<Meeting>(deps.store.as_ref(), &q).await?;
    Ok(Listed { items, next: page.next })
}

/// For views that name a leader without loading the profile again.
pub async fn person(deps: &Deps, id: &UserId) -> AppResult<PersonRef> {
    let u = load_user(deps, id).await?;
    Ok(PersonRef { id: u.id.clone(), name: u.name(), email: u.email })
}
