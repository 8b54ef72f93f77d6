//! Who serves a visitor and who hears about a message.
//!
//! Policy: a visitor with no serving agent enters the queue with their message and is
//! assigned to the online, non-suspended agent of the site (of their skill group, if they
//! asked for one) with the fewest served visitors, among those below their `max_chats`.
//! When nobody can take them they wait and see their place; the oldest waiter is served
//! first as soon as capacity appears (an agent logs in or resumes, a chat ends, an agent goes
//! offline). While waiting, their messages go to every online agent of the site (each sees
//! the waiting visitor in `guest_list`), and an agent who answers (`32300`) claims them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use shared::agent::{
    api, Envelope, GuestEntry, MessageData, MessageInfo, TransferData, TypingData,
};
use shared::visitor::{Author, ChatMessage};

use crate::db::{Claim, DbResult, StoredMessage, Visitor};
use crate::hub::AgentFrame;
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

/// Picks and claims an agent for a visitor who has none: among online, non-suspended,
/// enabled agents of the site (of the visitor's group, if they asked for one) with fewer
/// served visitors than their `max_chats`, the least loaded (ties: lowest kf_id).
/// `None` when nobody can take them.
pub async fn assign(state: &AppState, v: &Visitor) -> DbResult<Option<i64>> {
    // Connections on every node (`db/cluster.rs`), with their `suspended`.
    let available: BTreeSet<i64> = state
        .db
        .live_agent_conns(v.site_id, state.alive_since())
        .await?
        .into_iter()
        .filter(|c| !c.suspended)
        .map(|c| c.agent_id)
        .collect();
    if available.is_empty() {
        return Ok(None);
    }
    let loads: BTreeMap<i64, i64> = state.db.agent_loads(v.site_id).await?.into_iter().collect();
    let mut candidates: Vec<(i64, i64)> = Vec::new();
    for agent_id in available {
        let Some(agent) = state.db.agent_by_id(agent_id).await? else {
            continue;
        };
        let load = loads.get(&agent_id).copied().unwrap_or(0);
        if agent.disabled || load >= agent.max_chats {
            continue;
        }
        if let Some(g) = v.group_id {
            if !state.db.enabled_group_ids(agent_id).await?.contains(&g) {
                continue;
            }
        }
        candidates.push((load, agent_id));
    }
    // Least loaded first (ties: lowest kf_id). The loads above are a snapshot: the claim
    // itself enforces `max_chats`, and an agent found full meanwhile is passed over.
    candidates.sort_unstable();
    for (_, agent_id) in candidates {
        match state.db.assign_visitor(v.id, agent_id).await? {
            Claim::Claimed => {
                tracing::info!(visitor = v.id, agent_id, "visitor assigned");
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
/// same agents (same group, or both site-wide). `None` when not waiting.
pub async fn position_of(state: &AppState, v: &Visitor) -> DbResult<Option<u32>> {
    if v.agent_id.is_some() || v.waiting_since.is_none() {
        return Ok(None);
    }
    let queue = state.db.queue(v.site_id).await?;
    let mut n = 0;
    for w in queue.iter().filter(|w| w.group_id == v.group_id) {
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
    let mut counters: BTreeMap<Option<i64>, u32> = BTreeMap::new();
    for w in &queue {
        let n = counters.entry(w.group_id).or_insert(0);
        *n += 1;
        state.hub.publish_queue(w.id, *n);
    }
    Ok(())
}

/// Serves waiting visitors, oldest first, while agents have room; the agent who takes one is
/// sent `32401` (visitor info and recent messages) and the visitor learns they are served.
/// Call whenever capacity may have appeared (login, resume, end of a chat, agent offline).
pub async fn drain_queue(state: &AppState, site_id: i64) -> DbResult<()> {
    for w in state.db.queue(site_id).await? {
        if let Some(agent_id) = assign(state, &w).await? {
            notify_assigned(state, w.id, agent_id).await?;
        }
    }
    announce_positions(state, site_id).await
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
            Some(v) => {
                // Older waiters of the same group go first: only try when nobody is ahead.
                let position = position_of(state, &v).await?;
                let assigned = match position {
                    Some(1) => assign(state, &v).await?,
                    _ => None,
                };
                match (assigned, position) {
                    (None, Some(p)) => state.hub.publish_queue(v.id, p),
                    // The head of the queue left it: whoever queued behind meanwhile (and
                    // saw someone ahead, so did not try) may now be served, and everyone
                    // still waiting moves up.
                    (Some(_), _) => drain_queue(state, site_id).await?,
                    (None, None) => {}
                }
                assigned
            }
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
