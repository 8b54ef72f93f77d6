//! Who serves a visitor and who hears about a message.
//!
//! Policy: a visitor with no serving agent is assigned, on their message, to the online,
//! non-suspended agent of the site with the fewest served visitors, among those below their
//! `max_chats`. When nobody can take them the visitor waits: their messages go to every
//! online agent of the site (each sees the waiting visitor in `guest_list`), and the first
//! agent who answers (`32300`) claims them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use shared::agent::{api, Envelope, MessageData, MessageInfo};
use shared::visitor::{Author, ChatMessage};

use crate::db::{DbResult, StoredMessage};
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
            Author::Agent => "to_visiter",
            Author::System => "system",
        }
        .to_owned(),
        kf_id: m.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        kf_nick: m.agent_nick.clone().unwrap_or_default(),
        timestamp: m.created_at / 1000,
        ts: m.created_at,
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

/// Picks and claims an agent for a waiting visitor. `None` when nobody can take them.
pub async fn assign(state: &AppState, site_id: i64, visitor_id: i64) -> DbResult<Option<i64>> {
    let available: BTreeSet<i64> = state
        .hub
        .agent_conns(site_id)
        .into_iter()
        .filter(|c| !c.suspended)
        .map(|c| c.agent_id)
        .collect();
    if available.is_empty() {
        return Ok(None);
    }
    let loads: BTreeMap<i64, i64> = state.db.agent_loads(site_id).await?.into_iter().collect();
    let mut best: Option<(i64, i64)> = None;
    for agent_id in available {
        let Some(agent) = state.db.agent_by_id(agent_id).await? else {
            continue;
        };
        let load = loads.get(&agent_id).copied().unwrap_or(0);
        if agent.disabled || load >= agent.max_chats {
            continue;
        }
        if best.is_none_or(|(_, l)| load < l) {
            best = Some((agent_id, load));
        }
    }
    let Some((agent_id, _)) = best else {
        return Ok(None);
    };
    if state.db.claim_visitor(visitor_id, agent_id).await? {
        tracing::info!(visitor_id, agent_id, "visitor assigned");
        Ok(Some(agent_id))
    } else {
        // Someone claimed the visitor meanwhile: whoever it is serves them.
        Ok(state
            .db
            .visitor_by_id(visitor_id)
            .await?
            .and_then(|v| v.agent_id))
    }
}

/// After a visitor's message is committed: make sure someone serves the visitor, push
/// `32399` to the serving agent (or, while the visitor waits, to every agent of the site)
/// and queue the site's custom push.
pub async fn visitor_message(state: &AppState, site_id: i64, m: &StoredMessage) -> DbResult<()> {
    let serving = match state.db.visitor_by_id(m.visitor_id).await? {
        Some(v) if v.agent_id.is_some() => v.agent_id,
        Some(_) => assign(state, site_id, m.visitor_id).await?,
        None => return Ok(()),
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

/// After an agent's message is committed: show it in every open tab of the visitor and
/// queue the site's custom push.
pub async fn agent_message(state: &AppState, site_id: i64, m: StoredMessage) {
    let m = Arc::new(m);
    state.hub.publish_visitor(m.visitor_id, m.clone());
    crate::push::enqueue(state, site_id, &m, m.agent_id).await;
}
