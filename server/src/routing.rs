//! Who serves a visitor and who hears about a message.
//!
//! Policy: a visitor with no serving agent enters the queue with their message and is
//! assigned by their route (what their page asked at hello, stored on the row by
//! [`resolve_hello`]: `agentid`, `groupid`, `transfer_action`, `flowType`) as `rules::decide`
//! says, from one snapshot of the agents online on every node, their loads, groups and duty
//! hours; with no route, to the online, non-suspended agent of the site with the fewest served
//! visitors below their `max_chats`. When nobody can take them they wait and see their place.
//! Queue order: `queueFirst` first, then VIPs by their level's rank (higher first), then
//! everyone else first come first served (`priority` desc, then waiting time); positions count
//! only waiters for the same target. Waiters are served in that order as soon as capacity
//! appears (an agent logs in or resumes, a chat ends, an agent goes offline). While waiting,
//! their messages go to every online agent of the site (each sees the waiting visitor in
//! `guest_list`), and an agent who answers (`32300`) claims them. [`availability`] tells the
//! reception flow whether anyone can take a visitor now.
//!
//! Architecture invariant: routing decides, claims and tells waiting visitors their places;
//! it returns whom it assigned ([`Assigned`]) and never greets, stores a message or pushes
//! an agent frame — `crate::conversation` does, after it.

use std::collections::BTreeMap;

use shared::reception::{Reception, RuleTarget};
use shared::visitor::Author;

use crate::db::{Claim, DbResult, StoredMessage, Visitor};
use crate::metrics::Routing;
use crate::rules::{self, AgentSnap, Decision, GroupSnap, Route, Snapshot};
use crate::AppState;

/// Visitors routing just handed to agents, `(visitor, agent)`, in the order it did: the
/// caller (`crate::conversation`) greets each and tells each agent. Routing itself tells
/// nobody but the waiting visitors their places.
pub type Assigned = Vec<(i64, i64)>;

/// Whether a person can take a visitor now (by their stored route and the agents online on
/// every node): someone free (`Available`), someone fitting online and on duty but full or
/// suspended (`Busy`: the visitor would wait in the queue), or nobody (`Nobody`: nobody who
/// could take them is online, every such group is off duty, or the strictly requested agent
/// is offline). A visitor someone serves already is `Available`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    Busy,
    Nobody,
}

/// See [`Availability`].
pub async fn availability(state: &AppState, v: &Visitor) -> DbResult<Availability> {
    if v.agent_id.is_some() {
        return Ok(Availability::Available);
    }
    let mut snap = Snap::default();
    Ok(match decide(state, v, &mut snap).await? {
        Decision::Serve(_) => Availability::Available,
        Decision::Busy => Availability::Busy,
        Decision::Nobody => Availability::Nobody,
    })
}

/// The visitor's route as stored (see `rules::Route`).
pub fn route_of(v: &Visitor) -> Route {
    Route::from_stored(v.route.as_deref(), v.group_id)
}

/// A [`Snapshot`] of the sites read so far (the visitor's, and a linked site a route
/// overflows to): one read per site per query, whatever the number of candidates.
#[derive(Default)]
struct Snap {
    sites: Vec<i64>,
    snap: Snapshot,
}

impl Snap {
    async fn load(&mut self, state: &AppState, site_id: i64) -> DbResult<()> {
        if self.sites.contains(&site_id) {
            return Ok(());
        }
        // Connections on every node (`db/cluster.rs`), with their `suspended`.
        let conns = state
            .db
            .live_agent_conns(site_id, state.alive_since())
            .await?;
        let loads: BTreeMap<i64, i64> = state.db.agent_loads(site_id).await?.into_iter().collect();
        let mut groups_of: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (agent, group) in state.db.group_memberships(site_id).await? {
            groups_of.entry(agent).or_default().push(group);
        }
        for a in state.db.agents_of_site(site_id).await? {
            if a.disabled {
                continue;
            }
            let mine = conns.iter().filter(|c| c.agent_id == a.id);
            let online = mine.clone().next().is_some();
            let suspended = online && mine.clone().all(|c| c.suspended);
            self.snap.agents.push(AgentSnap {
                id: a.id,
                site_id,
                online,
                suspended,
                load: loads.get(&a.id).copied().unwrap_or(0),
                max_chats: a.max_chats,
                groups: groups_of.remove(&a.id).unwrap_or_default(),
            });
        }
        let now = jiff::Timestamp::now();
        for g in state.db.routing_groups(site_id).await? {
            if g.disabled {
                continue;
            }
            self.snap.groups.push(GroupSnap {
                id: g.id,
                site_id,
                on_duty: group_on_duty(&g, now),
            });
        }
        self.sites.push(site_id);
        Ok(())
    }
}

/// Whether a group is on duty at `now` (no hours: always; hours that no longer parse, e.g. a
/// zone the system lost: on duty, with a warning, rather than nobody ever served).
fn group_on_duty(g: &crate::db::GroupRouting, now: jiff::Timestamp) -> bool {
    let Some(h) = g.hours.as_deref() else {
        return true;
    };
    let tz = g.tz.as_deref().unwrap_or("UTC");
    match (rules::Hours::parse(h), rules::time_zone(tz)) {
        (Ok(h), Ok(tz)) => rules::on_duty(&h, &tz, now),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(group = g.id, error = %e, "working hours ignored");
            true
        }
    }
}

/// The decision for `v` from `snap` (reading the sites it needs first).
async fn decide(state: &AppState, v: &Visitor, snap: &mut Snap) -> DbResult<Decision> {
    let route = route_of(v);
    snap.load(state, v.site_id).await?;
    if let Some(f) = route.flow {
        snap.load(state, f.site_id).await?;
    }
    Ok(rules::decide(&route, v.site_id, &snap.snap))
}

/// Who serves a visitor after [`assign_from`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Assignment {
    agent: i64,
    /// Claimed by this call (else someone claimed them meanwhile: not news).
    here: bool,
}

/// Picks and claims an agent for a visitor who has none, by the visitor's route
/// ([`rules::decide`]): the candidates in order, the first whose claim succeeds (the claim
/// itself enforces `max_chats`; an agent found full meanwhile is passed over). `None` when
/// nobody can take them.
async fn assign_from(
    state: &AppState,
    v: &Visitor,
    snap: &mut Snap,
) -> DbResult<Option<Assignment>> {
    let Decision::Serve(candidates) = decide(state, v, snap).await? else {
        return Ok(None);
    };
    for agent_id in candidates {
        match state.db.assign_visitor(v.id, agent_id).await? {
            Claim::Claimed => {
                snap.snap.took(agent_id);
                tracing::info!(visitor = v.id, agent_id, "visitor assigned");
                return Ok(Some(Assignment {
                    agent: agent_id,
                    here: true,
                }));
            }
            // Someone claimed the visitor meanwhile: whoever it is serves them.
            Claim::Taken => {
                let by = state.db.visitor_by_id(v.id).await?.and_then(|v| v.agent_id);
                return Ok(by.map(|agent| Assignment { agent, here: false }));
            }
            Claim::Full => continue,
        }
    }
    Ok(None)
}

/// The visitor's place in their queue (1 = next), counting only waiters who compete for the
/// same target (`Route::queue_key`: the same agent, group or site), in queue order
/// (priority, then waiting time). `None` when not waiting.
pub async fn position_of(state: &AppState, v: &Visitor) -> DbResult<Option<u32>> {
    if v.agent_id.is_some() || v.waiting_since.is_none() {
        return Ok(None);
    }
    let key = route_of(v).queue_key();
    let queue = state.db.queue(v.site_id).await?;
    let mut n = 0;
    for w in queue.iter().filter(|w| route_of(w).queue_key() == key) {
        n += 1;
        if w.id == v.id {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// Tells every waiting visitor of the site their current place.
async fn announce_positions(state: &AppState, site_id: i64) -> DbResult<()> {
    let queue = state.db.queue(site_id).await?;
    let mut counters: BTreeMap<String, u32> = BTreeMap::new();
    for w in &queue {
        let n = counters.entry(route_of(w).queue_key()).or_insert(0);
        *n += 1;
        state.hub.publish_queue(w.id, *n);
    }
    Ok(())
}

/// Serves waiting visitors in queue order (priority, then oldest first) while agents have
/// room, from one snapshot, and tells everyone still waiting their place. Returns whom it
/// assigned (each agent is to get `32401`). Call whenever capacity may have appeared
/// (login, resume, end of a chat, agent offline).
///
/// The queues of sites linked to the same platform are drained too: their waiters may
/// overflow to this site's agents (`flowType`).
pub async fn drain_queue(state: &AppState, site_id: i64) -> DbResult<Assigned> {
    let mut snap = Snap::default();
    let mut sites = vec![site_id];
    sites.extend(state.db.linked_sites(site_id).await?);
    let mut assigned = Assigned::new();
    for site in sites {
        let queue = state.db.queue(site).await?;
        if queue.is_empty() {
            continue;
        }
        for w in queue {
            if let Some(Assignment { agent, here: true }) =
                assign_from(state, &w, &mut snap).await?
            {
                assigned.push((w.id, agent));
            }
        }
        announce_positions(state, site).await?;
    }
    Ok(assigned)
}

/// A visitor who waits now (just enqueued with [`crate::db::Db::enqueue`]): serve them if
/// their turn and someone fitting is free (after the waiters ahead, see [`serve_waiter`]),
/// else tell them their place; when the queue changed, everyone waiting learns their place.
/// Returns who serves them now (and whether this call assigned them) and the waiters ahead
/// whom it assigned.
async fn route_waiter(
    state: &AppState,
    site_id: i64,
    v: &Visitor,
) -> DbResult<(Option<Assignment>, Assigned)> {
    let (serving, ahead) = serve_waiter(state, site_id, v).await?;
    if serving.is_some() || !ahead.is_empty() || v.priority > 0 {
        // Someone left the queue, or a priority visitor went ahead of others.
        announce_positions(state, site_id).await?;
    } else if let Some(p) = position_of(state, v).await? {
        state.hub.publish_queue(v.id, p);
    }
    Ok((serving, ahead))
}

/// Serves `v`, who waits now, in queue order from one snapshot: waiters ahead of them (higher
/// priority, or waiting longer) whom someone can take are served first, then `v` if someone
/// fitting is still free. Returns who serves `v` and whom it assigned ahead of them. Waiters
/// ahead normally cannot be served (they would have been when capacity appeared), so this
/// costs the queue read and the snapshot.
async fn serve_waiter(
    state: &AppState,
    site_id: i64,
    v: &Visitor,
) -> DbResult<(Option<Assignment>, Assigned)> {
    let mut snap = Snap::default();
    let mut ahead = Assigned::new();
    for w in state.db.queue(site_id).await? {
        if w.id == v.id {
            return Ok((assign_from(state, &w, &mut snap).await?, ahead));
        }
        if let Some(Assignment { agent, here: true }) = assign_from(state, &w, &mut snap).await? {
            ahead.push((w.id, agent));
        }
    }
    // Not waiting any more: someone took them meanwhile.
    let by = state.db.visitor_by_id(v.id).await?.and_then(|v| v.agent_id);
    Ok((by.map(|agent| Assignment { agent, here: false }), ahead))
}

/// A visitor's message committed while nobody served them (`serving` as the writer read it):
/// they join the queue at that message and are routed (`route_waiter`). Returns who serves
/// them now — whether this call assigned them — and the waiters ahead it assigned.
pub async fn route_message(state: &AppState, site_id: i64, m: &StoredMessage) -> DbResult<Routed> {
    match state.db.enqueue(m.visitor_id, m.created_at).await? {
        // Served meanwhile (an agent answered or claimed them).
        None => {
            state.metrics.routed(Routing::Served);
            Ok(Routed {
                serving: state
                    .db
                    .visitor_by_id(m.visitor_id)
                    .await?
                    .and_then(|v| v.agent_id),
                assigned_now: false,
                ahead: Assigned::new(),
            })
        }
        Some(v) => {
            let (serving, ahead) = route_waiter(state, site_id, &v).await?;
            state.metrics.routed(if serving.is_some() {
                Routing::Assigned
            } else {
                Routing::Queued
            });
            Ok(Routed {
                serving: serving.map(|a| a.agent),
                assigned_now: serving.is_some_and(|a| a.here),
                ahead,
            })
        }
    }
}

/// What [`route_message`] did.
pub struct Routed {
    /// Who serves the visitor now.
    pub serving: Option<i64>,
    /// `serving` was assigned by this call (to be greeted).
    pub assigned_now: bool,
    /// Waiters ahead of them assigned meanwhile.
    pub ahead: Assigned,
}

/// An agent is gone (no connection for the grace period): each visitor it served whose last
/// message is the visitor's (unanswered) goes back to the queue at that message's time, so
/// they keep their place and are served next; the others are released and routed again when
/// they next write. Then the queue is drained to the remaining agents (returned).
pub async fn agent_gone(state: &AppState, site_id: i64, agent_id: i64) -> DbResult<Assigned> {
    for v in state.db.visitors_of_agent(agent_id).await? {
        let last = state.db.last_message(v.id).await?;
        let requeue = last
            .filter(|m| m.author == Author::Visitor)
            .map(|m| m.created_at);
        state.db.release_visitor(v.id, requeue).await?;
    }
    tracing::info!(
        agent_id,
        "agent offline: its visitors were released or re-queued"
    );
    drain_queue(state, site_id).await
}

/// What a hello asked of routing, resolved to ids for the visitor row: the group (`groupid`,
/// an id or external id of the site), the rest of the route (`rules::Route` as JSON) and the
/// queue priority.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AskedRoute {
    pub group: Option<i64>,
    pub route: Option<String>,
    pub priority: i64,
}

/// At most this many `transfer_action` rules are kept (each is a look-up).
const MAX_RULES: usize = 16;

/// Resolves `Hello.groupid` and `Hello.reception` for a visitor of `site_id`. Nonsense is
/// dropped, never an error: an unknown agent or group stays "unknown" (an unknown strict
/// agent means nobody), a malformed `transfer_action` is ignored with a warning, a `flowType`
/// to a site not linked to the same platform (or not the page's `platformUnionCode`) is
/// ignored with a warning.
pub async fn resolve_hello(
    state: &AppState,
    site_id: i64,
    groupid: Option<&str>,
    reception: Option<&Reception>,
) -> DbResult<AskedRoute> {
    let db = &state.db;
    let group = match groupid.map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => db.resolve_group(site_id, g).await?,
        None => None,
    };
    let Some(r) = reception else {
        return Ok(AskedRoute {
            group,
            ..AskedRoute::default()
        });
    };
    let mut route = Route::default();
    if let Some(a) = r.agent() {
        route.agent_asked = true;
        route.agent = db.resolve_agent(site_id, a).await?;
        route.strict = r.agent_strict();
    }
    match r.transfer_rules(|s| serde_json::from_str(s).map_err(|e| e.to_string())) {
        Ok(list) => {
            if list.len() > MAX_RULES {
                tracing::warn!(
                    site_id,
                    n = list.len(),
                    "transfer_action: rules after the first {MAX_RULES} ignored"
                );
            }
            for t in list.into_iter().take(MAX_RULES) {
                let to = match t.target {
                    RuleTarget::Group => rules::To::Group(db.resolve_group(site_id, &t.id).await?),
                    RuleTarget::Agent => rules::To::Agent(db.resolve_agent(site_id, &t.id).await?),
                };
                route.rules.push(rules::Rule {
                    to,
                    overflow: t.overflow,
                    spill: t.spill.map(|s| s as i64),
                });
            }
        }
        Err(e) => tracing::warn!(site_id, error = %e, "transfer_action ignored"),
    }
    if let (Some(kind), Some(company), Some(g)) = (r.flow(), r.flow_company(), r.flow_group()) {
        route.flow = flow_target(state, site_id, company, g, r.platform())
            .await?
            .map(|(site_id, group_id)| rules::Flow {
                when: kind as i64,
                site_id,
                group_id,
            });
    }
    // seed 003: a `vip_level` passed for a normal customer (`is_vip` 0, the default) counts
    // for nothing.
    let vip_rank = if r.vip() {
        let levels = db.vip_levels(site_id).await?;
        let named = r.vip_level().and_then(|l| {
            levels
                .iter()
                .find(|v| v.level_id == l)
                .or_else(|| levels.iter().find(|v| v.name == l))
        });
        match named {
            Some(v) => Some(v.rank),
            // `is_vip` without a known level: the lowest VIP rank.
            None => Some(levels.iter().map(|v| v.rank).min().unwrap_or(0)),
        }
    } else {
        None
    };
    Ok(AskedRoute {
        group,
        route: route.to_json(),
        priority: rules::priority(r.queue_first(), vip_rank),
    })
}

/// The `(site, group)` a `flowType` overflow goes to: `company` is the other site's sysnum or
/// business id, `group` its group's id or external id; only when both sites are linked to
/// the same platform, and that platform is the page's `platformUnionCode` if it gave one.
async fn flow_target(
    state: &AppState,
    site_id: i64,
    company: &str,
    group: &str,
    page_platform: Option<&str>,
) -> DbResult<Option<(i64, i64)>> {
    let db = &state.db;
    let other = match db.site_by_sysnum(company).await? {
        Some(s) => Some(s),
        None => match company.parse::<i64>() {
            Ok(id) => db.site_by_id(id).await?,
            Err(_) => None,
        },
    };
    let Some(other) = other.filter(|o| o.id != site_id) else {
        tracing::warn!(
            site_id,
            company,
            "flowCompanyId names no other site: overflow ignored"
        );
        return Ok(None);
    };
    let (mine, theirs) = (
        db.site_platform(site_id).await?,
        db.site_platform(other.id).await?,
    );
    let linked = matches!((&mine, &theirs), (Some(a), Some(b)) if a == b)
        && page_platform.is_none_or(|p| Some(p) == mine.as_deref());
    if !linked {
        tracing::warn!(
            site_id,
            other = other.id,
            "flowType: the sites are not linked to the same platform: overflow ignored"
        );
        return Ok(None);
    }
    match db.resolve_group(other.id, group).await? {
        Some(g) => Ok(Some((other.id, g))),
        None => {
            tracing::warn!(
                site_id,
                other = other.id,
                group,
                "flowGroupId names no group of that site: overflow ignored"
            );
            Ok(None)
        }
    }
}

/// The visitor asked for a person while the robot answered (`crate::conversation::hand_over`):
/// they join the queue now, without a new message, and are routed like a visitor who wrote
/// (`route_waiter`). Returns whom it assigned, the visitor themself included (who, having
/// sent nothing, gets a `32401` with the conversation so far, the robot's part included).
pub async fn hand_over(state: &AppState, v: &Visitor) -> DbResult<Assigned> {
    let Some(w) = state.db.enqueue(v.id, crate::db::now_ms()).await? else {
        return Ok(Assigned::new()); // someone serves them already
    };
    let (serving, mut assigned) = route_waiter(state, v.site_id, &w).await?;
    if let Some(Assignment { agent, here: true }) = serving {
        assigned.push((w.id, agent));
    }
    Ok(assigned)
}
