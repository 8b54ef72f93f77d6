//! A conversation's business steps, and the one place that says what happens after a message
//! is committed.
//!
//! Every stored message — a visitor's text, an agent's reply, the robot's answer, the
//! greeting said for an agent who took the chat, a system line (end, transfer) — goes
//! through [`committed`], in one fixed order:
//! 1. **publish** it to every open tab of the visitor (this node's hub, the bus for others),
//!    and to the site's supervisors and admins as `32841` ([`tell_watchers`]);
//! 2. **tell agents / route**: a visitor's message for people routes the visitor if nobody
//!    serves them ([`routing::route_message`]) and goes to the serving agent as `32399` (to
//!    every agent of the site while the visitor waits); a greeting goes to the agent it was
//!    said for; an agent's own reply, the robot's answer and system lines tell nobody (the
//!    sender has its response);
//! 3. **queue the push** to the site's custom push URL (`crate::push::enqueue`; system lines
//!    are not pushed).
//!
//! A visitor's message that starts a chat (routed because nobody served them) also queues
//! web pushes to the phones of the agents it concerns (`crate::webpush::new_chat`).
//!
//! Routing returns whom it assigned ([`routing::Assigned`]); each of them is [`greet`]ed here
//! and its agent told with `32401` ([`hand_to`]). The transport modules (`visitor.rs`,
//! `agent/`) call the steps below and build only their own responses.
//!
//! Architecture invariant: nothing below this module (routing, reception, push, presence,
//! hub) stores a message or calls up; a new kind of message gets a variant of [`After`],
//! not a copy of the steps.

use std::sync::Arc;

use shared::agent::{api, GuestEntry, TransferData};
use shared::visitor::{Author, MsgKind};

use crate::db::{Agent, AgentConnRow, DbResult, StoredMessage, Visitor};
use crate::metrics;
use crate::reception::{Ctx, Greeting};
use crate::routing::{self, Assigned};
use crate::wire::{
    guest_entry, transfer_data, transfer_frame, visitor_blocked_frame, visitor_message_frame,
    visitor_typing_frame, watch_message_frame,
};
use crate::AppState;

/// Who is told about a committed message besides the visitor's tabs (step 2 of
/// [`committed`]).
pub enum After<'a> {
    /// A visitor's message for people; `serving` is the agent who served them when it
    /// committed (read in the same transaction). `reception`: the session's, for the offline
    /// text when nobody can take them.
    ToPeople {
        serving: Option<i64>,
        reception: Option<&'a Ctx>,
    },
    /// A visitor's message the robot answers: no agent is told.
    ToRobot,
    /// An agent's own message (`32300`): that agent has its response.
    FromAgent,
    /// A message said for the agent it names — the greeting, or a supervisor's message in a
    /// chat that agent serves (a supervisor joined it): that agent gets `32399`.
    ForAgent(i64),
    /// The robot's answer, a system line: nobody.
    Quiet,
}

/// The steps after message `m` (of a visitor of site `site_id`) committed; see the module
/// doc. Failures of a step are logged and the next steps still run: the message is stored
/// either way, and clients catch up from the database.
pub async fn committed(state: &AppState, site_id: i64, m: StoredMessage, after: After<'_>) {
    state.metrics.stored(match m.author {
        Author::Visitor => metrics::Author::Visitor,
        Author::Agent => metrics::Author::Agent,
        Author::Robot => metrics::Author::Robot,
        Author::System => metrics::Author::System,
    });
    let m = Arc::new(m);
    state.hub.publish_visitor(m.visitor_id, m.clone());
    tell_watchers(state, site_id, &m).await;
    let serving = match after {
        After::ToPeople { serving, reception } => {
            match Box::pin(to_people(state, site_id, &m, serving, reception)).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "routing a visitor message failed");
                    serving
                }
            }
        }
        After::ForAgent(agent_id) => {
            state
                .hub
                .send_to_agent(agent_id, &visitor_message_frame(&m));
            Some(agent_id)
        }
        After::ToRobot | After::Quiet => None,
        After::FromAgent => m.agent_id,
    };
    crate::push::enqueue(state, site_id, &m, serving).await;
}

/// Step 1b: the site's supervisors and admins hear every message of it (`32841`, their "all
/// chats" view), on this node and — when another node has one of them, as the database said
/// at most `hub::WATCHERS_TTL` ago — on the others. Nothing is built when nobody watches.
async fn tell_watchers(state: &AppState, site_id: i64, m: &StoredMessage) {
    let elsewhere = match state.hub.watched_elsewhere(site_id) {
        Some(w) => w,
        None => {
            let asked = async {
                let node = state.node_id().await?;
                state
                    .db
                    .watched_elsewhere(site_id, node, state.alive_since())
                    .await
            };
            let w = asked.await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "asking for other nodes' supervisors failed");
                true
            });
            state.hub.remember_watched(site_id, w);
            w
        }
    };
    if elsewhere || state.hub.watched_here(site_id) {
        state
            .hub
            .send_to_watchers(site_id, &watch_message_frame(m), elsewhere);
    }
}

/// Step 2 for a visitor's message to people: route them if nobody serves them, greet whom
/// that assigned, then `32399` to the serving agent (or every agent of the site while they
/// wait); the offline text when nobody can take them. Returns who serves them.
async fn to_people(
    state: &AppState,
    site_id: i64,
    m: &StoredMessage,
    serving: Option<i64>,
    reception: Option<&Ctx>,
) -> DbResult<Option<i64>> {
    let serving = match serving {
        Some(a) => Some(a),
        None => {
            // A message for people while nobody serves the visitor: their conversation
            // starts here unless one is open (issue 25).
            state
                .db
                .open_conversation(site_id, m.visitor_id, m.seq, m.created_at)
                .await?;
            let r = routing::route_message(state, site_id, m).await?;
            // The waiters ahead first (each told with 32401), then this visitor's greeting:
            // the agent who takes them sees it before their message.
            hand_to(state, r.ahead).await?;
            if let (true, Some(agent)) = (r.assigned_now, r.serving) {
                greet(state, m.visitor_id, agent).await;
            }
            // A new chat: phones of agents with no console open hear of it.
            crate::webpush::new_chat(state, site_id, m, r.serving, r.assigned_now).await;
            r.serving
        }
    };
    let frame = visitor_message_frame(m);
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
    if let (Some(ctx), None) = (reception, serving) {
        crate::reception::routed(state, ctx, m).await?;
    }
    Ok(serving)
}

/// After a visitor's message the robot answers was published: the robot's reply is stored
/// and goes through [`committed`], then the tabs get the reception frame.
pub async fn robot_reply(
    state: &AppState,
    ctx: &Ctx,
    site_id: i64,
    v: &Visitor,
    kind: MsgKind,
    question: &str,
) -> DbResult<()> {
    let asked = std::time::Instant::now();
    let reply = crate::reception::reply(state, ctx, site_id, kind, question).await?;
    state.metrics.robot_answered(asked.elapsed());
    let Some(reply) = reply else {
        return Ok(());
    };
    let m = state
        .db
        .insert_robot_message(v.id, &reply.name, MsgKind::Text, &reply.text)
        .await?;
    committed(state, site_id, m, After::Quiet).await;
    crate::reception::replied(state, ctx, v.id, reply).await
}

/// An agent took visitor `visitor_id` (routing assigned them, or the agent answered a waiting
/// visitor): the tabs learn that a person answers, and the greeting (if the page or site has
/// one) is stored once per take — the site's as that agent's message, the page's as a system
/// line (`reception::Greeting`). Failures are logged: taking the
/// chat has happened either way.
pub async fn greet(state: &AppState, visitor_id: i64, agent_id: i64) {
    let greeted = async {
        state
            .db
            .conversation_taken(visitor_id, agent_id, crate::db::now_ms())
            .await?;
        let Some(v) = state.db.visitor_by_id(visitor_id).await? else {
            return Ok(());
        };
        let m = match crate::reception::taken(state, &v).await? {
            None => return Ok(()),
            Some(Greeting::Site(text)) => {
                state
                    .db
                    .insert_agent_message(v.id, agent_id, MsgKind::Text, &text)
                    .await?
            }
            Some(Greeting::Page(text)) => state.db.insert_system_message(v.id, &text).await?,
        };
        committed(state, v.site_id, m, After::ForAgent(agent_id)).await;
        crate::db::DbResult::Ok(())
    };
    if let Err(e) = Box::pin(greeted).await {
        tracing::warn!(error = %e, visitor = visitor_id, "agent greeting failed");
    }
}

/// Visitors routing handed to agents they did not choose (from the queue, re-queued from an
/// offline colleague, a hand-over): each is greeted, its agent told with `32401` (the visitor
/// and their recent messages), and the visitor that they are served.
pub async fn hand_to(state: &AppState, assigned: Assigned) -> DbResult<()> {
    for (visitor_id, agent_id) in assigned {
        greet(state, visitor_id, agent_id).await;
        let Some(v) = state.db.visitor_by_id(visitor_id).await? else {
            continue;
        };
        let (recent, _) = state.db.history_page(v.id, 1, 20).await?;
        let Some(last) = recent.last() else {
            continue;
        };
        let body = transfer_data(
            guest(state, &v).await?,
            last,
            &recent,
            String::new(),
            String::new(),
        );
        state
            .hub
            .send_to_agent(agent_id, &transfer_frame(api::TRANSFER_IN, &body));
        state.hub.publish_queue(v.id, 0);
    }
    Ok(())
}

/// Capacity may have appeared on site `site_id` (an agent logged in or resumed, a chat
/// ended, an agent went offline): waiters are served in queue order.
pub async fn drain(state: &AppState, site_id: i64) -> DbResult<()> {
    let assigned = routing::drain_queue(state, site_id).await?;
    hand_to(state, assigned).await
}

/// Visitor `visitor_id` of site `site_id` is blocked (issue 25: `crate::blocks`): nobody
/// serves them and they wait for nobody any more, so no agent's list shows them; the freed
/// capacity serves the queue.
pub async fn blocked(state: &AppState, site_id: i64, visitor_id: i64) -> DbResult<()> {
    let Some(v) = state.db.visitor_by_id(visitor_id).await? else {
        return Ok(());
    };
    if v.agent_id.is_none() && v.waiting_since.is_none() {
        return Ok(());
    }
    state.db.release_visitor(v.id, None).await?;
    released(state, site_id, &v).await
}

/// Blocked visitor `before` (as they were before they were released) is off the lists: the
/// agent who served them, or the site's agents while they waited, are told (`32802`), and
/// the freed capacity serves the queue.
pub async fn released(state: &AppState, site_id: i64, before: &Visitor) -> DbResult<()> {
    tracing::info!(gid = before.id, "blocked visitor released");
    let frame = visitor_blocked_frame(before.id);
    match (before.agent_id, before.waiting_since) {
        (Some(a), _) => {
            state.hub.send_to_agent(a, &frame);
        }
        (None, Some(_)) => {
            state.hub.send_to_site(site_id, &frame);
        }
        (None, None) => return Ok(()),
    }
    drain(state, site_id).await
}

/// Agent `agent_id` of site `site_id` is gone (no connection for the grace period): its
/// visitors are released or re-queued and the queue drained (`routing::agent_gone`).
pub async fn agent_gone(state: &AppState, site_id: i64, agent_id: i64) -> DbResult<()> {
    let assigned = routing::agent_gone(state, site_id, agent_id).await?;
    hand_to(state, assigned).await
}

/// The visitor asked for a person while the robot answered: when reception agrees, they
/// wait for people now and are routed like a visitor who wrote.
pub async fn hand_over(state: &AppState, ctx: &Ctx, v: &Visitor) -> DbResult<()> {
    if !crate::reception::hand_over(state, ctx, v).await? {
        return Ok(());
    }
    let Some(v) = state.db.visitor_by_id(v.id).await? else {
        return Ok(());
    };
    let assigned = routing::hand_over(state, &v).await?;
    hand_to(state, assigned).await
}

/// The visitor started or stopped typing: the serving agent is told (`32799`). Notices beyond
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
    state
        .hub
        .send_to_agent(agent_id, &visitor_typing_frame(visitor_id, typing));
    Ok(())
}

/// A visitor as seed 001 lists it, read now (last message, unread count, tabs on any node).
pub async fn guest(state: &AppState, v: &Visitor) -> DbResult<GuestEntry> {
    let last = state.db.last_message(v.id).await?;
    let unread = state.db.unread_count(v).await?;
    let online = crate::presence::visitor_online(state, v.id).await?;
    Ok(guest_entry(v, last.as_ref(), unread, online))
}

/// The visitor `gid` names as agent `agent` may see them: a visitor of the agent's site, or
/// one the agent serves (a visitor of a linked site routed here by `flowType` overflow, which
/// `routing::resolve_hello` allows only between sites an operator linked to the same
/// platform). No other visitor of another site is ever visible.
pub async fn visible_visitor(
    state: &AppState,
    agent: &Agent,
    gid: &str,
) -> DbResult<Option<Visitor>> {
    let Ok(id) = gid.parse::<i64>() else {
        return Ok(None);
    };
    Ok(state
        .db
        .visitor_by_id(id)
        .await?
        .filter(|v| v.site_id == agent.site_id || v.agent_id == Some(agent.id)))
}

/// Why an agent's step on a conversation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No visitor by that id that this agent may see.
    NoSuchVisitor,
    /// Another agent serves the visitor (or, where serving is required, nobody does).
    NotYours,
}

/// `32300`: agent `agent` writes to the visitor `gid` names. The usual case — the agent
/// serves the visitor — is checked and stored in one writer step; a visitor who waits is
/// claimed by answering (and greeted first). Returns the stored message.
pub async fn agent_reply(
    state: &AppState,
    agent: &Agent,
    gid: &str,
    kind: MsgKind,
    text: &str,
) -> DbResult<Result<StoredMessage, Refused>> {
    if let Ok(id) = gid.parse::<i64>() {
        let fast = state
            .db
            .insert_agent_message_if_serving(agent.site_id, id, (agent.id, &agent.nick), kind, text)
            .await?;
        if let Some(m) = fast {
            committed(state, agent.site_id, m.clone(), After::FromAgent).await;
            return Ok(Ok(m));
        }
    }
    let Some(v) = visible_visitor(state, agent, gid).await? else {
        return Ok(Err(Refused::NoSuchVisitor));
    };
    let after = match v.agent_id {
        Some(a) if a == agent.id => After::FromAgent,
        // A supervisor joins a colleague's chat of its own site: the colleague keeps it and
        // sees the message.
        Some(a) if agent.role.supervises() && v.site_id == agent.site_id => After::ForAgent(a),
        Some(_) => return Ok(Err(Refused::NotYours)),
        None => {
            if !state.db.claim_visitor(v.id, agent.id).await? {
                return Ok(Err(Refused::NotYours));
            }
            greet(state, v.id, agent.id).await;
            After::FromAgent
        }
    };
    let m = state
        .db
        .insert_agent_message(v.id, agent.id, kind, text)
        .await?;
    // The visitor's site (another one's after a `flowType` overflow: the fast path above
    // stores only for visitors of the agent's own site).
    committed(state, v.site_id, m.clone(), after).await;
    Ok(Ok(m))
}

/// `32600`: agent `agent` ends its chat with `v` (whom it serves). Nobody serves the visitor
/// any more (a system line says so), their conversation is closed with what the agent said
/// about it (`closing`: category, summary, labels, already checked), and the freed capacity
/// serves the queue. Returns the line.
pub async fn end_chat(
    state: &AppState,
    agent: &Agent,
    v: &Visitor,
    closing: crate::db::Closing,
) -> DbResult<StoredMessage> {
    state.db.release_visitor(v.id, None).await?;
    let line = state
        .db
        .insert_system_message(v.id, shared::visitor::CHAT_ENDED)
        .await?;
    committed(state, v.site_id, line.clone(), After::Quiet).await;
    state
        .db
        .close_conversation(
            v.site_id,
            v.id,
            agent.id,
            line.seq,
            line.created_at,
            closing,
        )
        .await?;
    drain(state, agent.site_id).await?;
    Ok(line)
}

/// `32842`: supervisor `taker` (connection `at`, its row) takes visitor `v` of its site: from
/// the agent serving them as a transfer that agent did not start (it gets `32402`, the taker
/// `32401`), or out of the queue as if it answered (greeted). `Refused::NotYours` when
/// someone else claimed a waiting visitor first.
pub async fn take(
    state: &AppState,
    taker: &Agent,
    at: &AgentConnRow,
    v: &Visitor,
) -> DbResult<Result<(), Refused>> {
    match v.agent_id {
        Some(serving) => {
            let Some(from) = state.db.agent_by_id(serving).await? else {
                return Ok(Err(Refused::NotYours));
            };
            tracing::info!(gid = v.id, taker = taker.id, from = serving, "chat taken");
            Ok(transfer(state, &from, at.ix as u64, v, taker, at)
                .await?
                .map(|_| ()))
        }
        None => {
            if !state.db.claim_visitor(v.id, taker.id).await? {
                return Ok(Err(Refused::NotYours));
            }
            greet(state, v.id, taker.id).await;
            Ok(Ok(()))
        }
    }
}

/// `32620`: an agent who serves `v` asks them to rate the chat: a system line the visitor's
/// chat answers with its rating panel. `None` before an agent said anything to them in this
/// chat (nothing to rate).
pub async fn ask_rating(state: &AppState, v: &Visitor) -> DbResult<Option<StoredMessage>> {
    if !state
        .db
        .chat_answered(v.id, shared::visitor::CHAT_ENDED)
        .await?
    {
        return Ok(None);
    }
    let line = state
        .db
        .insert_system_message(v.id, shared::visitor::RATE_INVITE)
        .await?;
    committed(state, v.site_id, line.clone(), After::Quiet).await;
    Ok(Some(line))
}

/// `32400`: agent `from` (connection `from_ix`) hands `v` to agent `to` on connection
/// `target`. The conversation goes on unbroken: a system line records the transfer, the
/// receiving agent gets `32401` with the visitor and recent messages, the transferring agent
/// `32402`; then the freed capacity serves the queue. Returns the body of both.
pub async fn transfer(
    state: &AppState,
    from: &Agent,
    from_ix: u64,
    v: &Visitor,
    to: &Agent,
    target: &AgentConnRow,
) -> DbResult<Result<TransferData, Refused>> {
    if !state.db.transfer_visitor(v.id, from.id, to.id).await? {
        return Ok(Err(Refused::NotYours));
    }
    state
        .db
        .conversation_taken(v.id, to.id, crate::db::now_ms())
        .await?;
    let line = state
        .db
        .insert_system_message(
            v.id,
            &format!("{}{}", shared::visitor::TRANSFERRED, to.nick),
        )
        .await?;
    tracing::info!(
        gid = v.id,
        from = from.id,
        to = to.id,
        "visitor transferred"
    );
    committed(state, v.site_id, line.clone(), After::Quiet).await;
    let v = state
        .db
        .visitor_by_id(v.id)
        .await?
        .unwrap_or_else(|| v.clone());
    let (recent, _) = state.db.history_page(v.id, 1, 20).await?;
    let body = transfer_data(
        guest(state, &v).await?,
        &line,
        &recent,
        from_ix.to_string(),
        target.ix.to_string(),
    );
    state
        .hub
        .send_to_agent(to.id, &transfer_frame(api::TRANSFER_IN, &body));
    state
        .hub
        .send_to_agent(from.id, &transfer_frame(api::TRANSFER_DONE, &body));
    // The transferring agent has room again.
    drain(state, from.site_id).await?;
    Ok(Ok(body))
}
