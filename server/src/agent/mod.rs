//! `/ws/agent`: the seed 001 agent protocol. Every request is answered with the
//! `{api_key, code, message, status, data}` envelope (types in `shared::agent`); visitor
//! messages are pushed as `32399`.
//!
//! A connection must log in (`31000`, a token from `POST /api/agent/login`) before anything
//! but a heartbeat; until then, and after the token expires, requests get `-9999`. Browser
//! connections (with an `Origin` header) are accepted only from this server's own origin or
//! the configured agent origins.
//!
//! Layout: this file upgrades the socket, runs the session and dispatches each request by
//! `api_key` ([`handle`]: dispatch only); `login.rs` has `31000` and the lists (`32000`,
//! `33000`), `chats.rs` the requests about one conversation (`32100`–`32700`), whose business
//! steps are `crate::conversation`'s; the visit extensions (`328xx`) are `crate::trace`'s;
//! `workbench.rs` the workbench's (issue 25: search, notes, conversations, summaries).
//! Every handler returns `Result<AgentFrame, AgentError>` (`error.rs`).

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use shared::agent::{api, code, Empty, Envelope, Request};
use tokio::sync::mpsc;

use crate::db::{expired, now_s, Agent, DbResult};
use crate::wire::{agent_frame, AgentFrame};
use crate::AppState;

mod chats;
mod error;
mod leave;
mod login;
mod supervise;
mod workbench;

pub use error::{AgentError, AgentResult};

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
                    Some(f) => {
                        state.metrics.delivered_to_agents.inc();
                        if tx.send(Message::Text(f.as_ref().into())).await.is_err() { break; }
                    }
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
                if let Some(l) = login.as_mut() {
                    match still_allowed(&state, l).await {
                        Ok(Some(agent)) => {
                            // Another role from now on (`admin agent set --role`).
                            if agent.role != l.agent.role {
                                state.hub.set_watching(l.ix, agent.role.supervises());
                                l.agent.role = agent.role;
                            }
                        }
                        Ok(None) => {
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

/// Whether a logged-in connection may stay — its token is live, its agent enabled and not all
/// of its groups disabled — and the agent as it is now (its role may have changed). Checked
/// on every ping, so changes made by `frontdesk admin` (another process) reach open sockets
/// within one ping interval.
async fn still_allowed(state: &AppState, l: &Login) -> DbResult<Option<Agent>> {
    if state.db.agent_token(&l.token).await?.is_none() {
        return Ok(None);
    }
    let Some(agent) = state.db.agent_by_id(l.agent.id).await? else {
        return Ok(None);
    };
    if agent.disabled {
        return Ok(None);
    }
    let groups = state.db.groups_of_agent(agent.id).await?;
    Ok((groups.is_empty() || groups.iter().any(|g| !g.disabled)).then_some(agent))
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Answers one request frame: decode, check the login and the rate, then one handler per
/// `api_key` (dispatch only). A handler's [`AgentError`] becomes the error envelope for the
/// request's key; a storage error is logged and answered `INTERNAL`.
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
    // A logged-in connection's every request (heartbeats included) counts.
    let within = login
        .as_ref()
        .is_none_or(|l| state.limits.agent_reqs.check(&l.ix));
    let result = match key {
        _ if !within => Err(AgentError::refused(code::RATE_LIMITED, "too many requests")),
        api::HEARTBEAT => Ok(agent_frame(&Envelope {
            message: "pong".into(),
            ..Envelope::ok(api::HEARTBEAT, Empty {})
        })),
        api::LOGIN => login::login(state, login, queue, &req).await,
        _ => match login.as_ref() {
            Some(l) if !expired(l.expires_at, now_s()) => logged_in(state, l, key, &req).await,
            _ => Err(AgentError::refused(code::RELOGIN, "please log in again")),
        },
    };
    result.unwrap_or_else(|e| match e {
        AgentError::Refused { code, message } => agent_frame(&Envelope::error(key, code, message)),
        AgentError::Db(e) => {
            tracing::error!(error = %e, api_key = key, "agent request failed");
            agent_frame(&Envelope::error(key, code::INTERNAL, "server error"))
        }
    })
}

/// The requests of a logged-in connection, within its request budget.
async fn logged_in(
    state: &AppState,
    l: &Login,
    key: i64,
    req: &Request,
) -> AgentResult<AgentFrame> {
    if !state.limits.agent_reqs.check(&l.ix) {
        return Err(AgentError::refused(code::RATE_LIMITED, "too many requests"));
    }
    let site = l.agent.site_id;
    match key {
        api::CHAT_LIST => login::chats(state, l).await,
        api::ONLINE_AGENTS => login::online(state, l).await,
        api::PREFS => login::prefs(state, l, req).await,
        api::WATCH_LIST => supervise::watch_list(state, l).await,
        api::TAKE => supervise::take(state, l, req).await,
        api::ASK_RATING => chats::ask_rating(state, l, req).await,
        api::HISTORY => chats::history(state, l, req).await,
        api::MARK_READ => chats::mark_read(state, l, req).await,
        api::SEND => chats::send(state, l, req).await,
        api::SUSPEND => chats::suspend(state, l, req).await,
        api::TRANSFER => chats::transfer(state, l, req).await,
        api::END_CHAT => chats::end_chat(state, l, req).await,
        api::TYPING => chats::typing(state, l, req).await,
        api::VISIT => Ok(crate::trace::agent_visit(state, site, req).await?),
        api::ON_SITE => Ok(crate::trace::agent_on_site(state, site).await?),
        api::INVITE => Ok(crate::trace::agent_invite(state, site, req).await?),
        api::END_RULES => workbench::end_rules(state, l).await,
        api::CONVERSATION => workbench::conversation(state, l, req).await,
        api::SEARCH => workbench::search(state, l, req).await,
        api::NOTE => workbench::note(state, l, req).await,
        api::NOTES => workbench::notes(state, l, req).await,
        api::CONVERSATIONS => workbench::conversations(state, l, req).await,
        api::CANNED_LIST => workbench::canned_list(state, l).await,
        api::CANNED_ADD => workbench::canned_add(state, l, req).await,
        api::CANNED_DELETE => workbench::canned_delete(state, l, req).await,
        api::LEAVE_LIST => leave::list(state, l, req).await,
        api::LEAVE_ANSWER => leave::answer(state, l, req).await,
        api::LEAVE_DONE => leave::done(state, l, req).await,
        _ => Err(AgentError::refused(code::UNKNOWN_API, "unknown api_key")),
    }
}
