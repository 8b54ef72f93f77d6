//! `/ws/agent`: the seed 001 agent protocol. Every request is answered with the
//! `{api_key, code, message, status, data}` envelope (types in `shared::agent`); visitor
//! messages are pushed as `32399`.
//!
//! A connection must log in (`31000`, a token from `POST /api/agent/login`) before anything
//! but a heartbeat; until then, and after the token expires, requests get `-9999`. Browser
//! connections (with an `Origin` header) are accepted only from this server's own origin or
//! the configured agent origins.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use shared::agent::{
    api, code, AdminEntry, Empty, Envelope, HistoryData, ListData, MessageData, ReadData, Request,
    TransferData, TypingData,
};
use shared::visitor::MsgKind;
use tokio::sync::mpsc;

use crate::db::{now_s, Agent, DbResult, Visitor};
use crate::hub::AgentFrame;
use crate::routing::{self, agent_frame, guest_entry, message_info};
use crate::visitor::validate_body;
use crate::AppState;

const MAX_PAGE_SIZE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws/agent", get(upgrade))
}

/// Whether a browser `Origin` may open an agent connection.
pub fn origin_allowed(state: &AppState, origin: &str) -> bool {
    origin == state.config.public_url || state.config.agent_origins.iter().any(|o| o == origin)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(|o| origin_allowed(&state, o));
        if !ok {
            return (
                StatusCode::FORBIDDEN,
                "origin not allowed for agent connections",
            )
                .into_response();
        }
    }
    let span = tracing::info_span!("agent", peer = %addr);
    crate::accept_socket(
        ws,
        state,
        addr.ip(),
        crate::Budget::Agent,
        span,
        session::<WebSocket>,
    )
}

/// A logged-in connection.
struct Login {
    ix: u64,
    agent: Agent,
    /// The token this connection is logged in with (the refreshed one, if refreshed).
    token: String,
    expires_at: i64,
}

/// Runs one agent connection over any stream/sink of WebSocket messages.
pub async fn session<S>(state: AppState, socket: S)
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message> + Unpin,
{
    let (mut tx, mut rx) = socket.split();
    let mut login: Option<Login> = None;
    let mut queue: Option<mpsc::Receiver<AgentFrame>> = None;
    let mut shutdown = state.shutdown.clone();
    let mut ping = tokio::time::interval(state.config.ping_interval);
    ping.tick().await;
    let started = Instant::now();
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            frame = rx.next() => {
                let Some(Ok(frame)) = frame else { break };
                last_heard = Instant::now();
                let text = match frame {
                    Message::Text(t) => t,
                    Message::Binary(_) => {
                        let e = agent_frame(&Envelope::error(0, code::BAD_FRAME, "binary frames are not accepted"));
                        if tx.send(Message::Text(e.as_ref().into())).await.is_err() { break; }
                        continue;
                    }
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                let reply = handle(&state, &mut login, &mut queue, text.as_str()).await;
                if tx.send(Message::Text(reply.as_ref().into())).await.is_err() { break; }
            }
            push = async {
                match queue.as_mut() {
                    Some(q) => q.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match push {
                    Some(f) => if tx.send(Message::Text(f.as_ref().into())).await.is_err() { break; },
                    None => {
                        let _ = tx.send(close(1008, "too slow")).await;
                        break;
                    }
                }
            }
            _ = ping.tick() => {
                let limit = if login.is_some() { state.config.idle_timeout } else { state.config.hello_timeout };
                if last_heard.elapsed() > limit || (login.is_none() && started.elapsed() > state.config.hello_timeout) {
                    let _ = tx.send(close(1001, "idle")).await;
                    break;
                }
                if tx.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
                if let Some(l) = login.as_ref() {
                    match still_allowed(&state, l).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::info!(ix = l.ix, agent = l.agent.id, "token revoked or agent disabled: closing");
                            let bye = agent_frame(&Envelope::error(api::LOGIN, code::RELOGIN, "please log in again"));
                            let _ = tx.send(Message::Text(bye.as_ref().into())).await;
                            let _ = tx.send(close(4001, "logged out")).await;
                            break;
                        }
                        Err(e) => tracing::warn!(error = %e, "agent re-check failed; keeping the connection"),
                    }
                }
            }
            _ = shutdown.changed() => {
                let _ = tx.send(close(1012, "server restarting")).await;
                break;
            }
        }
    }
    if let Some(l) = login {
        logout(&state, l.ix).await;
        tracing::info!(ix = l.ix, agent = l.agent.id, "agent disconnected");
    }
}

/// A logged-in connection ends: it leaves this node's hub and the shared presence. If it was
/// the agent's last one anywhere, the offline sweep (`cluster`) releases its visitors once the
/// grace has passed without a new connection.
async fn logout(state: &AppState, ix: u64) {
    state.hub.unregister_agent(ix);
    if let Err(e) = state.db.remove_agent_conn(ix as i64).await {
        tracing::warn!(error = %e, ix, "removing an agent connection's row failed");
    }
}

/// Whether a logged-in connection may stay: its token is live, its agent enabled and not all
/// of its groups disabled. Checked on every ping, so changes made by `frontdesk admin` (another
/// process) reach open sockets within one ping interval.
async fn still_allowed(state: &AppState, l: &Login) -> DbResult<bool> {
    if state.db.agent_token(&l.token).await?.is_none() {
        return Ok(false);
    }
    let Some(agent) = state.db.agent_by_id(l.agent.id).await? else {
        return Ok(false);
    };
    if agent.disabled {
        return Ok(false);
    }
    let groups = state.db.groups_of_agent(agent.id).await?;
    Ok(groups.is_empty() || groups.iter().any(|g| !g.disabled))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Answers one request frame.
async fn handle(
    state: &AppState,
    login: &mut Option<Login>,
    queue: &mut Option<mpsc::Receiver<AgentFrame>>,
    text: &str,
) -> AgentFrame {
    let req: Request = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let mut m = String::from("bad frame: ");
            m.extend(e.to_string().chars().take(200));
            return agent_frame(&Envelope::error(0, code::BAD_FRAME, m));
        }
    };
    let Some(key) = req.api_key() else {
        return agent_frame(&Envelope::error(0, code::BAD_FRAME, "api_key missing"));
    };
    if let Some(l) = login.as_ref() {
        if !state.limits.agent_reqs.check(&l.ix) {
            return agent_frame(&Envelope::error(
                key,
                code::RATE_LIMITED,
                "too many requests",
            ));
        }
    }
    let result = match key {
        api::HEARTBEAT => Ok(agent_frame(&Envelope {
            message: "pong".into(),
            ..Envelope::ok(api::HEARTBEAT, Empty {})
        })),
        api::LOGIN => do_login(state, login, queue, &req).await,
        _ => match login.as_ref() {
            Some(l) if l.expires_at > now_s() => match key {
                api::CHAT_LIST => chat_list(state, l, None)
                    .await
                    .map(|d| agent_frame(&Envelope::ok(key, d))),
                api::HISTORY => history(state, l, &req).await,
                api::MARK_READ => mark_read(state, l, &req).await,
                api::SEND => send(state, l, &req).await,
                api::SUSPEND => suspend(state, l, &req).await,
                api::TRANSFER => transfer(state, l, &req).await,
                api::END_CHAT => end_chat(state, l, &req).await,
                api::TYPING => typing(state, l, &req).await,
                api::VISIT => crate::trace::agent_visit(state, l.agent.site_id, &req).await,
                api::ON_SITE => crate::trace::agent_on_site(state, l.agent.site_id).await,
                api::INVITE => crate::trace::agent_invite(state, l.agent.site_id, &req).await,
                api::ONLINE_AGENTS => online(state, l)
                    .await
                    .map(|d| agent_frame(&Envelope::ok(key, d))),
                _ => Ok(agent_frame(&Envelope::error(
                    key,
                    code::UNKNOWN_API,
                    "unknown api_key",
                ))),
            },
            _ => Ok(agent_frame(&Envelope::error(
                key,
                code::RELOGIN,
                "please log in again",
            ))),
        },
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, api_key = key, "agent request failed");
        agent_frame(&Envelope::error(key, code::INTERNAL, "server error"))
    })
}

async fn do_login(
    state: &AppState,
    login: &mut Option<Login>,
    queue: &mut Option<mpsc::Receiver<AgentFrame>>,
    req: &Request,
) -> DbResult<AgentFrame> {
    let fail = |c: i64, m: &str| Ok(agent_frame(&Envelope::error(api::LOGIN, c, m)));
    let token = req.token.as_deref().unwrap_or("").trim();
    if token.is_empty() || token.len() > 128 {
        return fail(
            code::TOKEN_INVALID,
            "解析token失败: token missing or malformed",
        );
    }
    let Some(tok) = state.db.agent_token(token).await? else {
        return fail(
            code::TOKEN_INVALID,
            "解析token失败: unknown or expired token",
        );
    };
    let Some(agent) = state.db.agent_by_id(tok.agent_id).await? else {
        return fail(code::ADMIN_NOT_FOUND, "管理员admin_id不存在");
    };
    if agent.disabled {
        return fail(code::ADMIN_FORBIDDEN, "管理员被禁止登录或不存在");
    }
    let groups = state.db.groups_of_agent(agent.id).await?;
    if !groups.is_empty() && groups.iter().all(|g| g.disabled) {
        return fail(code::GROUP_FORBIDDEN, "客服组被禁止或不存在");
    }
    // Refresh when less than half of the token's lifetime is left.
    let ttl = state.config.agent_token_ttl.as_secs() as i64;
    let (is_refresh, refresh_token, expires_at) = if tok.expires_at - now_s() < ttl / 2 {
        let t = state.db.create_agent_token(agent.id, ttl).await?;
        (1, t, now_s() + ttl)
    } else {
        (0, String::new(), tok.expires_at)
    };
    if let Some(old) = login.take() {
        logout(state, old.ix).await;
    }
    // The `ix` is the connection's row: unique across nodes, seen by every node's routing.
    let node = state.node_id().await?;
    let ix = state
        .db
        .add_agent_conn(node, agent.id, agent.site_id)
        .await? as u64;
    *queue = Some(state.hub.register_agent(ix, agent.id, agent.site_id));
    tracing::info!(ix, agent = agent.id, "agent logged in");
    let token = if refresh_token.is_empty() {
        token.to_owned()
    } else {
        refresh_token.clone()
    };
    let l = Login {
        ix,
        agent,
        token,
        expires_at,
    };
    let data = chat_list(state, &l, Some((is_refresh, refresh_token))).await?;
    let site_id = l.agent.site_id;
    *login = Some(l);
    // New capacity: serve whoever waits (their 32401s follow this response).
    routing::drain_queue(state, site_id).await?;
    Ok(agent_frame(&Envelope::ok(api::LOGIN, data)))
}

async fn admin_list(state: &AppState, site_id: i64) -> DbResult<BTreeMap<String, AdminEntry>> {
    let loads: BTreeMap<i64, i64> = state.db.agent_loads(site_id).await?.into_iter().collect();
    let agents: BTreeMap<i64, Agent> = state
        .db
        .agents_of_site(site_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut out = BTreeMap::new();
    // Every node's connections (`db/cluster.rs`).
    for c in state
        .db
        .live_agent_conns(site_id, state.alive_since())
        .await?
    {
        let Some(a) = agents.get(&c.agent_id).cloned() else {
            continue;
        };
        let ix = c.ix.to_string();
        out.insert(
            ix.clone(),
            AdminEntry {
                ix,
                kf_id: a.id.to_string(),
                kf_account: a.account,
                kf_nick: a.nick,
                kf_headimgurl: a.headimgurl,
                status: if c.suspended { 2 } else { 1 },
                accepted_case: loads.get(&a.id).copied().unwrap_or(0) as u32,
            },
        );
    }
    Ok(out)
}

async fn chat_list(
    state: &AppState,
    l: &Login,
    refresh: Option<(u8, String)>,
) -> DbResult<ListData> {
    let site = l.agent.site_id;
    let mut guest_list = BTreeMap::new();
    // Tabs on other nodes count too.
    let elsewhere = crate::cluster::site_visitors_online_elsewhere(state, site).await?;
    for g in state.db.guests_for_agent(site, l.agent.id).await? {
        let v = &g.visitor;
        let online = state.hub.visitor_online(v.id) || elsewhere.contains(&v.id);
        let g = routing::guest_entry_of(v, g.last.as_ref(), g.unread, online);
        guest_list.insert(g.gid.clone(), g);
    }
    let (is_refresh, refresh_token) = refresh.unwrap_or((0, String::new()));
    Ok(ListData {
        ix: l.ix.to_string(),
        admin_list: admin_list(state, site).await?,
        guest_list,
        is_refresh,
        refresh_token,
    })
}

async fn online(state: &AppState, l: &Login) -> DbResult<BTreeMap<String, AdminEntry>> {
    admin_list(state, l.agent.site_id).await
}

/// The visitor `gid` names, if it belongs to the agent's site — or the agent serves them: a
/// visitor of a linked site routed here by `flowType` overflow (`routing::resolve_hello`
/// only links sites an operator linked to the same platform). No other visitor of another
/// site is ever visible.
async fn visitor_of(state: &AppState, l: &Login, gid: &str) -> DbResult<Option<Visitor>> {
    let Ok(id) = gid.parse::<i64>() else {
        return Ok(None);
    };
    Ok(state
        .db
        .visitor_by_id(id)
        .await?
        .filter(|v| v.site_id == l.agent.site_id || v.agent_id == Some(l.agent.id)))
}

/// The visitor `gid` names, if this agent serves them; else the error frame for `key`
/// (`-32303` no such visitor here, `-32304` served by someone else or by nobody).
async fn served_visitor(
    state: &AppState,
    l: &Login,
    gid: &str,
    key: i64,
) -> DbResult<Result<Visitor, AgentFrame>> {
    let fail = |c: i64, m: &str| Ok(Err(agent_frame(&Envelope::error(key, c, m))));
    match visitor_of(state, l, gid).await? {
        None => fail(code::GID_NOT_FOUND, "no such visitor"),
        Some(v) if v.agent_id != Some(l.agent.id) => {
            fail(code::NOT_YOUR_VISITOR, "you do not serve this visitor")
        }
        Some(v) => Ok(Ok(v)),
    }
}

/// The visitor a `32100`/`32200` request names, with its `group_id`; or the error frame
/// (`gid_code` when `gid` is missing or 0, `group_code` when `group_id` is missing).
async fn conversation_target(
    state: &AppState,
    l: &Login,
    req: &Request,
    key: i64,
    gid_code: i64,
    group_code: i64,
) -> DbResult<Result<(Visitor, String), AgentFrame>> {
    let fail = |c: i64, m: &str| Ok(Err(agent_frame(&Envelope::error(key, c, m))));
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return fail(gid_code, "gid not null");
    };
    let Some(group_id) = req.group_id.as_ref() else {
        return fail(group_code, "group_id not null");
    };
    match visitor_of(state, l, gid).await? {
        Some(v) => Ok(Ok((v, group_id.0.clone()))),
        None => fail(code::GID_NOT_FOUND, "no such visitor"),
    }
}

async fn history(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::HISTORY;
    let (v, group_id) = match conversation_target(
        state,
        l,
        req,
        key,
        code::HISTORY_GID_MISSING,
        code::HISTORY_GROUP_MISSING,
    )
    .await?
    {
        Ok(t) => t,
        Err(frame) => return Ok(frame),
    };
    let page_index = req
        .page_index
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(1)
        .clamp(1, i64::from(u32::MAX));
    let page_size = req
        .page_size
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(10)
        .clamp(1, MAX_PAGE_SIZE);
    let (list, total) = state.db.history_page(v.id, page_index, page_size).await?;
    Ok(agent_frame(&Envelope::ok(
        key,
        HistoryData {
            gid: v.id.to_string(),
            group_id,
            page_index: page_index as u32,
            page_size: page_size as u32,
            total: total as u64,
            list: list.iter().map(message_info).collect(),
        },
    )))
}

async fn mark_read(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::MARK_READ;
    let (v, group_id) = match conversation_target(
        state,
        l,
        req,
        key,
        code::READ_GID_MISSING,
        code::READ_GROUP_MISSING,
    )
    .await?
    {
        Ok(t) => t,
        Err(frame) => return Ok(frame),
    };
    state.db.mark_read(v.id, v.last_seq).await?;
    Ok(agent_frame(&Envelope::ok(
        key,
        ReadData {
            group_id,
            gid: v.id.to_string(),
        },
    )))
}

async fn send(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::SEND;
    let err = |c: i64, m: &str| Ok(agent_frame(&Envelope::error(key, c, m)));
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return err(code::SEND_GID_MISSING, "gid not null");
    };
    let Some(msg) = req
        .msg
        .as_ref()
        .map(|m| m.0.as_str())
        .filter(|m| !m.trim().is_empty())
    else {
        return err(code::SEND_MSG_MISSING, "msg not null");
    };
    let kind = match req.file_type.as_ref().map(|f| f.as_i64()) {
        None => MsgKind::Text,
        Some(Some(n)) => match u8::try_from(n).ok().and_then(|n| MsgKind::try_from(n).ok()) {
            Some(k) => k,
            None => return err(code::SEND_INVALID, "file_type must be 0-6"),
        },
        Some(None) => return err(code::SEND_INVALID, "file_type must be 0-6"),
    };
    if let Err(why) = validate_body(kind, msg) {
        return err(code::SEND_INVALID, why);
    }
    // The usual case: this agent serves the visitor. Checked and stored in one writer step.
    if let Ok(id) = gid.parse::<i64>() {
        if let Some(m) = state
            .db
            .insert_agent_message_if_serving(
                l.agent.site_id,
                id,
                (l.agent.id, &l.agent.nick),
                kind,
                msg,
            )
            .await?
        {
            let data = MessageData {
                gid: m.visitor_id.to_string(),
                message_info: message_info(&m),
            };
            routing::agent_message(state, l.agent.site_id, m).await;
            return Ok(agent_frame(&Envelope::ok(key, data)));
        }
    }
    let Some(v) = visitor_of(state, l, gid).await? else {
        return err(code::GID_NOT_FOUND, "no such visitor");
    };
    match v.agent_id {
        Some(a) if a == l.agent.id => {}
        Some(_) => return err(code::NOT_YOUR_VISITOR, "another agent serves this visitor"),
        None => {
            if !state.db.claim_visitor(v.id, l.agent.id).await? {
                return err(code::NOT_YOUR_VISITOR, "another agent serves this visitor");
            }
            Box::pin(crate::reception::agent_took(state, v.id, l.agent.id)).await;
        }
    }
    let m = state
        .db
        .insert_agent_message(v.id, l.agent.id, kind, msg)
        .await?;
    let data = MessageData {
        gid: v.id.to_string(),
        message_info: message_info(&m),
    };
    // The visitor's site (another one's after a `flowType` overflow: the fast path above
    // stores only for visitors of the agent's own site).
    routing::agent_message(state, v.site_id, m).await;
    Ok(agent_frame(&Envelope::ok(key, data)))
}

async fn suspend(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::SUSPEND;
    match req.status.as_ref().and_then(|s| s.as_i64()) {
        Some(s @ (0 | 1)) => {
            state.db.set_conn_suspended(l.ix as i64, s == 1).await?;
            if s == 0 {
                routing::drain_queue(state, l.agent.site_id).await?;
            }
            Ok(agent_frame(&Envelope::ok(key, Empty {})))
        }
        _ => Ok(agent_frame(&Envelope::error(
            key,
            code::BAD_FRAME,
            "status must be 0 (resume) or 1 (suspend)",
        ))),
    }
}

/// `32600` (extension): the agent ends the chat with `gid`. The visitor is no longer served
/// by anyone (a system line says so) and the freed capacity serves the queue.
async fn end_chat(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::END_CHAT;
    let err = |c: i64, m: &str| Ok(agent_frame(&Envelope::error(key, c, m)));
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return err(code::END_GID_MISSING, "gid not null");
    };
    let v = match served_visitor(state, l, gid, key).await? {
        Ok(v) => v,
        Err(frame) => return Ok(frame),
    };
    state.db.release_visitor(v.id, None).await?;
    let line = state.db.insert_system_message(v.id, "会话已结束").await?;
    let data = MessageData {
        gid: v.id.to_string(),
        message_info: message_info(&line),
    };
    routing::agent_message(state, v.site_id, line).await;
    routing::drain_queue(state, l.agent.site_id).await?;
    Ok(agent_frame(&Envelope::ok(key, data)))
}

/// `32400`: hands the visitor `gid` to the agent connection `aix`. The conversation goes on
/// unbroken: a system line records the transfer, the receiving agent gets `32401` with the
/// visitor and recent messages, the transferring agent gets `32402`. The receiver may be
/// suspended (a colleague chose them explicitly); suspension only stops automatic routing.
async fn transfer(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::TRANSFER;
    let err = |c: i64, m: &str| Ok(agent_frame(&Envelope::error(key, c, m)));
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return err(code::TRANSFER_GID_MISSING, "gid not null");
    };
    let Some(aix) = req.aix.as_ref().and_then(|a| a.non_zero()) else {
        return err(code::TRANSFER_AIX_MISSING, "aix not null");
    };
    // The receiving connection may be on any node.
    let target = match aix.parse::<i64>() {
        Ok(ix) => state.db.live_agent_conn(ix, state.alive_since()).await?,
        Err(_) => None,
    }
    .filter(|c| c.site_id == l.agent.site_id);
    let Some(target) = target else {
        return err(
            code::TRANSFER_AIX_OFFLINE,
            "aix is not an online agent of this site",
        );
    };
    if target.agent_id == l.agent.id {
        return err(code::TRANSFER_TO_SELF, "cannot transfer to yourself");
    }
    let Some(v) = visitor_of(state, l, gid).await? else {
        return err(code::GID_NOT_FOUND, "no such visitor");
    };
    let Some(to) = state.db.agent_by_id(target.agent_id).await? else {
        return err(
            code::TRANSFER_AIX_OFFLINE,
            "aix is not an online agent of this site",
        );
    };
    if !state.db.transfer_visitor(v.id, l.agent.id, to.id).await? {
        return err(code::NOT_YOUR_VISITOR, "another agent serves this visitor");
    }
    let line = state
        .db
        .insert_system_message(v.id, &format!("已为您转接客服 {}", to.nick))
        .await?;
    tracing::info!(
        gid = v.id,
        from = l.agent.id,
        to = to.id,
        "visitor transferred"
    );
    let data = message_info(&line);
    routing::agent_message(state, v.site_id, line).await;
    let v = state.db.visitor_by_id(v.id).await?.unwrap_or(v);
    let (recent, _) = state.db.history_page(v.id, 1, 20).await?;
    let body = TransferData {
        gid: v.id.to_string(),
        data,
        guest_info: guest_entry(state, &v).await?,
        recs: recent.iter().map(message_info).collect(),
        from_ix: l.ix.to_string(),
        to_ix: target.ix.to_string(),
    };
    state.hub.send_to_agent(
        to.id,
        &agent_frame(&Envelope::ok(api::TRANSFER_IN, body.clone())),
    );
    state.hub.send_to_agent(
        l.agent.id,
        &agent_frame(&Envelope::ok(api::TRANSFER_DONE, body.clone())),
    );
    // The transferring agent has room again.
    routing::drain_queue(state, l.agent.site_id).await?;
    Ok(agent_frame(&Envelope::ok(key, body)))
}

/// `32700` (extension): the agent is typing to `gid` (`status` 1) or stopped (0); every open
/// tab of the visitor shows it.
async fn typing(state: &AppState, l: &Login, req: &Request) -> DbResult<AgentFrame> {
    let key = api::TYPING;
    let err = |c: i64, m: &str| Ok(agent_frame(&Envelope::error(key, c, m)));
    let Some(gid) = req.gid.as_ref().and_then(|g| g.non_zero()) else {
        return err(code::TYPING_GID_MISSING, "gid not null");
    };
    let status = match req.status.as_ref().and_then(|s| s.as_i64()) {
        Some(s @ (0 | 1)) => s as u8,
        _ => return err(code::BAD_FRAME, "status must be 1 (typing) or 0 (stopped)"),
    };
    let v = match served_visitor(state, l, gid, key).await? {
        Ok(v) => v,
        Err(frame) => return Ok(frame),
    };
    state.hub.publish_typing(v.id, status == 1);
    Ok(agent_frame(&Envelope::ok(
        key,
        TypingData {
            gid: v.id.to_string(),
            status,
        },
    )))
}
