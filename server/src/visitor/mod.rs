//! `/ws/visitor`: one visitor session per WebSocket (SPEC §6, types in `shared::visitor`).
//!
//! A session subscribes to its conversation *before* replaying the backlog, so no message
//! committed in between is missed; it tracks the highest sequence it has sent and drops
//! live duplicates, and on a gap (lag, out-of-order publish) it catches up from the
//! database. A `send` is acknowledged only after the row is committed; a repeated `cmid`
//! returns the original ack and stores nothing.
//!
//! Identity: a visitor is whoever holds the token the server minted for them. A `partnerid`
//! names a visitor across devices only when the site's security check verifies `sign`;
//! unsigned, it is stored as a display field and gives access to nothing.
//!
//! Layout: this file upgrades the socket and runs the session (hello, then the live loop);
//! `start.rs` checks the hello and finds the visitor (and holds the rule for what a hello
//! changes on their row, `Profile`); `live.rs` is the session's state between events
//! (welcome and replay, adopting a row, hub events); `send.rs` handles the visitor's frames
//! (`send`, typing, hand-over), whose steps after the commit are `crate::conversation`'s.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use shared::visitor::{ClientFrame, ErrorCode, Hello, ServerFrame};
use tracing::Instrument;

use crate::AppState;

mod live;
mod send;
mod start;

use live::{next_created, next_event, open, Event, Live};
pub use send::validate_body;
use start::start;

/// Longest `uname` accepted, in characters.
pub const MAX_UNAME_CHARS: usize = 100;
/// Messages replayed per database round trip.
const REPLAY_BATCH: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws/visitor", get(upgrade))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if !crate::security::same_origin(&state, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "visitor sockets are only for the chat page's own origin",
        )
            .into_response();
    }
    let span = tracing::info_span!("visitor_ws", peer = %addr);
    let client = crate::clientip::bucket(addr.ip());
    let link = crate::trace::link_params(uri.query().unwrap_or_default());
    crate::accept_socket(
        ws,
        state,
        addr.ip(),
        crate::Budget::Visitor,
        span,
        move |state, socket| {
            LINK.scope(
                link,
                CLIENT.scope(client, session::<WebSocket>(state, socket)),
            )
        },
    )
}

tokio::task_local! {
    /// The client (its [`crate::clientip::bucket`]) a session runs for, for the per-client
    /// limits on new visitors and messages. Absent in sessions started without a socket
    /// (tests driving [`session`] directly): then only the per-site limits apply.
    static CLIENT: std::net::IpAddr;
    /// CRM/routing values of a chat link opened directly (the chat page passes its query on
    /// its first socket: `crate::trace::link_params`), recorded with the visit once the
    /// session knows the visitor's token.
    static LINK: Option<std::collections::BTreeMap<String, String>>;
}

/// Per-client and per-site budgets (see `Limits`): `None` when within them, else the refusal
/// message. `new_visitor` picks the new-visitor budgets, else the message budgets.
fn over_budget(state: &AppState, site_id: i64, new_visitor: bool) -> Option<&'static str> {
    let l = &state.limits;
    let client = CLIENT.try_with(|c| *c).ok();
    if new_visitor {
        if client.is_some_and(|c| !l.new_visitors_per_client.check(&c)) {
            return Some("too many new conversations from this address; try again later");
        }
        if !l.new_visitors_per_site.check(&site_id) {
            return Some("this site is receiving too many new conversations; try again shortly");
        }
    } else {
        if client.is_some_and(|c| !l.msgs_per_client.check(&c)) {
            return Some("too many messages from this address; retry shortly");
        }
        if !l.msgs_per_site.check(&site_id) {
            return Some("this site is receiving too many messages; retry shortly");
        }
    }
    None
}

/// A refusal at session start: the error frame to send before closing.
struct Refusal(ErrorCode, &'static str);

/// Runs one visitor session over any stream/sink of WebSocket messages.
///
/// Not an `async fn`: the socket is split before the future exists, so the future does not
/// keep room for the unsplit socket beside its halves.
pub fn session<S>(state: AppState, socket: S) -> impl std::future::Future<Output = ()>
where
    S: Stream<Item = Result<Message, axum::Error>> + Sink<Message> + Unpin,
{
    let (tx, rx) = socket.split();
    run(state, rx, Out { tx })
}

async fn run<R, T>(state: AppState, mut rx: R, mut out: Out<T>)
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    T: Sink<Message> + Unpin,
{
    // Boxed: the opening is large and runs once; the idle session should not keep room for
    // it. The session's state is boxed too: moved from here into `live_loop`, it would
    // otherwise take room in both futures.
    let Some((live, span)) = Box::pin(begin(&state, &mut rx, &mut out)).await else {
        return;
    };
    live_loop(&state, live, &mut rx, &mut out)
        .instrument(span)
        .await;
}

/// `hello`, its checks, then [`open`]: the session's state, or `None` when it ended.
async fn begin<R, T>(
    state: &AppState,
    rx: &mut R,
    out: &mut Out<T>,
) -> Option<(Box<Live>, tracing::Span)>
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    T: Sink<Message> + Unpin,
{
    let mut hello = wait_hello(state, rx, out).await?;
    // The chat page sends its query string; the reception keys are read from it here.
    if let Some(q) = hello.query.take() {
        if hello.reception.is_none() {
            hello.reception = shared::reception::Reception::from_query(&q).map(Box::new);
        }
    }
    let started = match Box::pin(start(state, &mut hello)).await {
        Ok(Ok(v)) => v,
        Ok(Err(Refusal(code, message))) => {
            out.send(&ServerFrame::Error {
                code,
                message: message.into(),
                cmid: None,
            })
            .await;
            out.close(4000 + code as u16, message).await;
            return None;
        }
        Err(e) => {
            tracing::error!(error = %e, "visitor session start failed");
            out.send(&internal(None)).await;
            out.close(1011, "internal error").await;
            return None;
        }
    };
    let gid = started.visitor.as_ref().map(|v| v.id);
    let span = tracing::info_span!("visitor", site = started.site.id, gid);
    let asked = Asked {
        reception: hello.reception,
        group: hello.groupid.as_deref().and_then(|g| g.trim().parse().ok()),
    };
    let live = open(state, started, hello.last_seq, asked, out)
        .instrument(span.clone())
        .await?;
    Some((Box::new(live), span))
}

/// What the hello asked of reception (`crate::reception::start` reads it after `synced`).
struct Asked {
    reception: Option<Box<shared::reception::Reception>>,
    /// The numeric `groupid`, for a pending visitor's availability.
    group: Option<i64>,
}

/// The started session's live traffic until either side leaves.
///
/// This future is what every idle visitor costs, so it holds only the session's state
/// ([`Live`]), the socket halves and the futures of the `select!`; everything that happens
/// on an event runs in a boxed future that lives only while it runs.
async fn live_loop<R, T>(state: &AppState, mut s: Box<Live>, rx: &mut R, out: &mut Out<T>)
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    T: Sink<Message> + Unpin,
{
    let mut shutdown = state.shutdown.clone();
    let mut ping = tokio::time::interval(state.config.ping_interval);
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        let event = tokio::select! {
            frame = rx.next() => match frame {
                Some(Ok(frame)) => {
                    last_heard = Instant::now();
                    Event::Frame(frame)
                }
                _ => break,
            },
            _ = next_created(&mut s.pending), if s.pending.is_some() => Event::Created,
            live = next_event(&mut s.sub), if s.sub.is_some() => Event::Hub(live),
            _ = ping.tick() => {
                if last_heard.elapsed() > state.config.idle_timeout {
                    Box::pin(out.close(1001, "idle")).await;
                    break;
                }
                Event::Ping
            }
            _ = shutdown.changed() => {
                Box::pin(out.close(1012, "server restarting")).await;
                break;
            }
        };
        if !Box::pin(s.on_event(state, event, out)).await {
            break;
        }
    }
    if let Some(id) = s.present {
        Box::pin(crate::presence::visitor_tab(state, id, false)).await;
    }
    tracing::info!("visitor disconnected");
}

/// Whether a frame needs the visitor's row: a `send`, or a `handover` (it queues them).
fn starts_conversation(text: &str) -> bool {
    matches!(
        serde_json::from_str::<ClientFrame>(text),
        Ok(ClientFrame::Send(_) | ClientFrame::Handover)
    )
}

/// Waits for the first frame, which must be `hello`. Other frames get `hello_first`.
async fn wait_hello<R, T>(state: &AppState, rx: &mut R, out: &mut Out<T>) -> Option<Hello>
where
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    T: Sink<Message> + Unpin,
{
    let deadline = tokio::time::Instant::now() + state.config.hello_timeout;
    loop {
        let frame = match tokio::time::timeout_at(deadline, rx.next()).await {
            Ok(Some(Ok(f))) => f,
            Ok(_) => return None,
            Err(_) => {
                out.close(1008, "no hello").await;
                return None;
            }
        };
        let text = match frame {
            Message::Text(t) => t,
            Message::Close(_) => return None,
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Binary(_) => {
                if !out.send(&bad_frame("binary frames are not accepted")).await {
                    return None;
                }
                continue;
            }
        };
        match serde_json::from_str::<ClientFrame>(text.as_str()) {
            Ok(ClientFrame::Hello(h)) => return Some(h),
            // Nobody to tell before the session started.
            Ok(ClientFrame::Typing { .. } | ClientFrame::Handover) => {}
            Ok(ClientFrame::Ping) => {
                if !out.send(&ServerFrame::Pong).await {
                    return None;
                }
            }
            Ok(ClientFrame::Send(s)) => {
                let e = ServerFrame::Error {
                    code: ErrorCode::HelloFirst,
                    message: "send hello first".into(),
                    cmid: Some(s.cmid),
                };
                if !out.send(&e).await {
                    return None;
                }
            }
            Err(e) => {
                if !out.send(&bad_frame(&e.to_string())).await {
                    return None;
                }
            }
        }
    }
}

fn bad_frame(detail: &str) -> ServerFrame {
    let mut message = String::from("bad frame: ");
    message.extend(detail.chars().take(200));
    ServerFrame::Error {
        code: ErrorCode::BadFrame,
        message,
        cmid: None,
    }
}

fn internal(cmid: Option<shared::ids::ClientMsgId>) -> ServerFrame {
    ServerFrame::Error {
        code: ErrorCode::Internal,
        message: "server error; nothing was stored, retry".into(),
        cmid,
    }
}

/// The sending half of a session.
struct Out<T> {
    tx: T,
}

impl<T: Sink<Message> + Unpin> Out<T> {
    /// Sends a frame; false when the connection is gone.
    async fn send(&mut self, f: &ServerFrame) -> bool {
        let json = serde_json::to_string(f).expect("protocol types always serialise");
        self.raw(Message::Text(json.into())).await
    }

    async fn raw(&mut self, m: Message) -> bool {
        self.tx.send(m).await.is_ok()
    }

    async fn close(&mut self, code: u16, reason: &'static str) {
        let _ = self
            .tx
            .send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            })))
            .await;
    }
}
