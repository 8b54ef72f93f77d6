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

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use shared::agent::{
    api, Envelope, GuestEntry, MessageData, MessageInfo, TransferData, TypingData,
};
use shared::reception::{Reception, RuleTarget};
use shared::visitor::{Author, ChatMessage};

use crate::db::{Claim, DbResult, StoredMessage, Visitor};
use crate::hub::AgentFrame;
use crate::rules::{self, AgentSnap, Decision, GroupSnap, Route, Snapshot};
use crate::AppState;

/// Serialises an agent-protocol envelope once, for any number of connections.
pub fn agent_frame<T: Serialize>(env: &Envelope<T>) -> AgentFrame {
    serde_json::to_string(env)
        .expect("protocol types always serialise")
        .into()
}

/// A stored message as seed 001 shows it.
pub fn message_info(m: &StoredMessage) -> MessageInfo {
    MessageInfo {
        id: m.id.to_string(),
        gid: m.visitor_id.to_string(),
        seq: m.seq as u64,
        msg: m.body.clone(),
        file_type: m.kind.into(),
        direction: match m.author {
            Author::Visitor => "to_service",
            // The robot speaks to the visitor like an agent; `kf_nick` is its name.
            Author::Agent | Author::Robot => "to_visiter",
            Author::System => "system",
        }
        .to_owned(),
        kf_id: m.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        kf_nick: m.agent_nick.clone().unwrap_or_default(),
        timestamp: m.created_at / 1000,
        ts: m.created_at,
        sender: (m.author == Author::Robot).then(|| shared::agent::SENDER_ROBOT.to_owned()),
    }
}

/// A stored message as the visitor protocol shows it.
pub fn chat_message(m: &StoredMessage) -> ChatMessage {
    ChatMessage {
        seq: shared::ids::Seq(m.seq as u64),
        from: m.author,
        kind: m.kind,
        body: m.body.clone(),
        ts: m.created_at,
        cmid: m.cmid.clone(),
        nick: m.agent_nick.clone(),
    }
}

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

/// Picks and claims an agent for a visitor who has none, by the visitor's route
/// ([`rules::decide`]): the candidates in order, the first whose claim succeeds (the claim
/// itself enforces `max_chats`; an agent found full meanwhile is passed over). `None` when
/// nobody can take them.
pub async fn assign(state: &AppState, v: &Visitor) -> DbResult<Option<i64>> {
    assign_from(state, v, &mut Snap::default()).await
}

async fn assign_from(state: &AppState, v: &Visitor, snap: &mut Snap) -> DbResult<Option<i64>> {
    let Decision::Serve(candidates) = decide(state, v, snap).await? else {
        return Ok(None);
    };
    for agent_id in candidates {
        match state.db.assign_visitor(v.id, agent_id).await? {
            Claim::Claimed => {
                snap.snap.took(agent_id);
                tracing::info!(visitor = v.id, agent_id, "visitor assigned");
                Box::pin(crate::reception::agent_took(state, v.id, agent_id)).await;
                return Ok(Some(agent_id));
            }
            // Someone claimed the visitor meanwhile: whoever it is serves them.
            Claim::Taken => {
                return Ok(state.db.visitor_by_id(v.id).await?.and_then(|v| v.agent_id))
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
/// room, from one snapshot; the agent who takes one is sent `32401` (visitor info and recent
/// messages) and the visitor learns they are served. Call whenever capacity may have
/// appeared (login, resume, end of a chat, agent offline).
///
/// The queues of sites linked to the same platform are drained too: their waiters may
/// overflow to this site's agents (`flowType`).
pub async fn drain_queue(state: &AppState, site_id: i64) -> DbResult<()> {
    let mut snap = Snap::default();
    let mut sites = vec![site_id];
    sites.extend(state.db.linked_sites(site_id).await?);
    for site in sites {
        let queue = state.db.queue(site).await?;
        if queue.is_empty() {
            continue;
        }
        for w in queue {
            if let Some(agent_id) = assign_from(state, &w, &mut snap).await? {
                notify_assigned(state, w.id, agent_id).await?;
            }
        }
        announce_positions(state, site).await?;
    }
    Ok(())
}

/// A visitor who waits now (just enqueued with [`crate::db::Db::enqueue`]): serve them if
/// their turn and someone fitting is free (after the waiters ahead, see [`serve_waiter`]),
/// else tell them their place; when the queue changed, everyone waiting learns their place.
/// Returns who serves them now. (The entry point for anything that puts a visitor in the
/// queue: a message, a hand-over.)
pub async fn route_waiter(state: &AppState, site_id: i64, v: &Visitor) -> DbResult<Option<i64>> {
    let (assigned, moved) = serve_waiter(state, site_id, v).await?;
    if assigned.is_some() || moved || v.priority > 0 {
        // Someone left the queue, or a priority visitor went ahead of others.
        announce_positions(state, site_id).await?;
    } else if let Some(p) = position_of(state, v).await? {
        state.hub.publish_queue(v.id, p);
    }
    Ok(assigned)
}

/// Serves `v`, who waits now, in queue order from one snapshot: waiters ahead of them (higher
/// priority, or waiting longer) whom someone can take are served first (each agent told with
/// a `32401`), then `v` if someone fitting is still free. Returns who serves `v` and whether
/// anyone ahead left the queue. Waiters ahead normally cannot be served (they would have been
/// when capacity appeared), so this costs the queue read and the snapshot.
async fn serve_waiter(
    state: &AppState,
    site_id: i64,
    v: &Visitor,
) -> DbResult<(Option<i64>, bool)> {
    let mut snap = Snap::default();
    let mut moved = false;
    for w in state.db.queue(site_id).await? {
        if w.id == v.id {
            return Ok((assign_from(state, &w, &mut snap).await?, moved));
        }
        if let Some(agent_id) = assign_from(state, &w, &mut snap).await? {
            notify_assigned(state, w.id, agent_id).await?;
            moved = true;
        }
    }
    // Not waiting any more: someone took them meanwhile.
    let agent = state.db.visitor_by_id(v.id).await?.and_then(|v| v.agent_id);
    Ok((agent, moved))
}

/// Tells an agent it now serves a visitor it did not choose (from the queue, or re-queued
/// from an offline colleague) with a `32401`, and the visitor that they are served.
async fn notify_assigned(state: &AppState, visitor_id: i64, agent_id: i64) -> DbResult<()> {
    let Some(v) = state.db.visitor_by_id(visitor_id).await? else {
        return Ok(());
    };
    let (recent, _) = state.db.history_page(v.id, 1, 20).await?;
    let Some(last) = recent.last() else {
        return Ok(());
    };
    let body = TransferData {
        gid: v.id.to_string(),
        data: message_info(last),
        guest_info: guest_entry(state, &v).await?,
        recs: recent.iter().map(message_info).collect(),
        from_ix: String::new(),
        to_ix: String::new(),
    };
    state.hub.send_to_agent(
        agent_id,
        &agent_frame(&Envelope::ok(api::TRANSFER_IN, body)),
    );
    state.hub.publish_queue(v.id, 0);
    Ok(())
}

/// A visitor as seed 001 lists it.
pub async fn guest_entry(state: &AppState, v: &Visitor) -> DbResult<GuestEntry> {
    let last = state.db.last_message(v.id).await?;
    let unread = state.db.unread_count(v).await?;
    let online = crate::cluster::visitor_online(state, v.id).await?;
    Ok(guest_entry_of(v, last.as_ref(), unread, online))
}

/// [`guest_entry`] from what the caller already read (the chat list reads every guest's last
/// message and unread count in one go, see `Db::guests_for_agent`); `online`: the visitor has
/// a chat tab open on some node.
pub fn guest_entry_of(
    v: &Visitor,
    last: Option<&StoredMessage>,
    unread: i64,
    online: bool,
) -> GuestEntry {
    GuestEntry {
        gid: v.id.to_string(),
        uname: v.uname.clone(),
        partnerid: v
            .partnerid
            .clone()
            .unwrap_or_else(|| v.claimed_partnerid.clone()),
        partnerid_verified: v.partnerid.is_some(),
        state: if online { "online" } else { "offline" }.into(),
        kf_id: v.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        unread: unread as u32,
        last_msg: last.map(message_info),
    }
}

/// After a visitor's message is committed: make sure someone serves the visitor (or queue
/// them and tell them their place), push `32399` to the serving agent (or, while the
/// visitor waits, to every agent of the site) and queue the site's custom push.
///
/// `serving` is the agent who served the visitor when the message committed (read in the same
/// transaction): a served visitor's message costs no further query here.
pub async fn visitor_message(
    state: &AppState,
    site_id: i64,
    m: &StoredMessage,
    serving: Option<i64>,
) -> DbResult<()> {
    let serving = match serving {
        Some(a) => Some(a),
        None => match state.db.enqueue(m.visitor_id, m.created_at).await? {
            // Served meanwhile (an agent answered or claimed them).
            None => state
                .db
                .visitor_by_id(m.visitor_id)
                .await?
                .and_then(|v| v.agent_id),
            Some(v) => route_waiter(state, site_id, &v).await?,
        },
    };
    let frame = agent_frame(&Envelope::ok(
        api::VISITOR_MESSAGE,
        MessageData {
            gid: m.visitor_id.to_string(),
            message_info: message_info(m),
        },
    ));
    let delivered = match serving {
        Some(agent_id) => state.hub.send_to_agent(agent_id, &frame),
        None => state.hub.send_to_site(site_id, &frame),
    };
    tracing::debug!(
        visitor = m.visitor_id,
        seq = m.seq,
        delivered,
        "32399 pushed"
    );
    crate::push::enqueue(state, site_id, m, serving).await;
    Ok(())
}

/// The visitor started or stopped typing: tell the serving agent (`32799`). Notices beyond
/// a few per second are dropped; nobody is told while the visitor waits.
pub async fn visitor_typing(state: &AppState, visitor_id: i64, typing: bool) -> DbResult<()> {
    if typing && !state.limits.typing.check(&visitor_id) {
        return Ok(());
    }
    let Some(agent_id) = state
        .db
        .visitor_by_id(visitor_id)
        .await?
        .and_then(|v| v.agent_id)
    else {
        return Ok(());
    };
    let data = TypingData {
        gid: visitor_id.to_string(),
        status: typing as u8,
    };
    state.hub.send_to_agent(
        agent_id,
        &agent_frame(&Envelope::ok(api::VISITOR_TYPING, data)),
    );
    Ok(())
}

/// An agent is gone (no connection for the grace period): each visitor it served whose last
/// message is the visitor's (unanswered) goes back to the queue at that message's time, so
/// they keep their place and are served next; the others are released and routed again when
/// they next write. Then the queue is drained to the remaining agents.
pub async fn agent_gone(state: &AppState, site_id: i64, agent_id: i64) -> DbResult<()> {
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

/// After an agent's (or a system) message is committed: show it in every open tab of the
/// visitor and queue the site's custom push.
pub async fn agent_message(state: &AppState, site_id: i64, m: StoredMessage) {
    let m = Arc::new(m);
    state.hub.publish_visitor(m.visitor_id, m.clone());
    crate::push::enqueue(state, site_id, &m, m.agent_id).await;
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

/// The visitor asked for a person while the robot answered (`crate::reception::hand_over`):
/// they join the queue now, without a new message, and are routed like a visitor who wrote
/// ([`route_waiter`]); the agent who takes them gets `32401` with the conversation so far,
/// the robot's part included.
pub async fn hand_over(state: &AppState, v: &Visitor) -> DbResult<()> {
    let Some(w) = state.db.enqueue(v.id, crate::db::now_ms()).await? else {
        return Ok(()); // someone serves them already
    };
    if let Some(agent_id) = route_waiter(state, v.site_id, &w).await? {
        notify_assigned(state, w.id, agent_id).await?;
    }
    Ok(())
}
