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

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use shared::ids::Seq;
use shared::visitor::{ChatMessage, ClientFrame, ErrorCode, Hello, MsgKind, Send, ServerFrame};
use shared::{MAX_BODY_CHARS, MAX_PARTNERID_CHARS};
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use crate::conversation::{self, After};
use crate::db::{token_hash, DbError, DbResult, Site, Visitor};
use crate::hub::VisitorEvent;
use crate::routing;
use crate::security::{is_pending_token, pending_token, SignCheck};
use crate::wire::chat_message;
use crate::AppState;

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
    let started = match Box::pin(start(state, &hello)).await {
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

/// What a live visitor session holds between events.
struct Live {
    site_id: i64,
    /// `None` while pending (no message yet). Boxed: most idle tabs are pending.
    visitor: Option<Box<Visitor>>,
    token: String,
    profile: Profile,
    reception: Option<Box<crate::reception::Ctx>>,
    /// The visitor's hub subscription (once they have a row).
    sub: Option<crate::hub::VisitorSub>,
    /// While pending: told when another tab of theirs creates the row.
    pending: Option<crate::hub::PendingSub>,
    /// The highest sequence this tab has been sent.
    sent_upto: Seq,
    /// The visitor this tab counts as online (`visitor_tabs`).
    present: Option<i64>,
}

/// What woke a live session.
enum Event {
    Frame(Message),
    /// Another tab of this pending visitor started the conversation.
    Created,
    Hub(Result<VisitorEvent, RecvError>),
    Ping,
}

/// Welcome, replay, `synced`, the queue position, the reception frame, and this tab counted
/// as online. `None` ends the session.
async fn open<T: Sink<Message> + Unpin>(
    state: &AppState,
    started: Started,
    resume_from: Seq,
    asked: Asked,
    out: &mut Out<T>,
) -> Option<Live> {
    tracing::info!("visitor connected");
    let Started {
        site,
        visitor,
        token,
        profile,
    } = started;
    let sub = visitor.as_ref().map(|v| state.hub.subscribe_visitor(v.id));
    // A pending visitor's tab learns from the hub when another of their tabs (on any node:
    // the bus carries it) starts the conversation.
    let pending = visitor
        .is_none()
        .then(|| state.hub.subscribe_pending(token_hash(&token)));
    let welcome = ServerFrame::Welcome {
        token: token.clone(),
        // A pending visitor (no message yet) has no id until their first message.
        visitor_id: visitor
            .as_ref()
            .map(|v| v.id.to_string())
            .unwrap_or_default(),
        last_seq: Seq(visitor.as_ref().map_or(0, |v| v.last_seq as u64)),
    };
    if !out.send(&welcome).await {
        return None;
    }
    if let Ok(Some(params)) = LINK.try_with(Clone::clone) {
        let (state, sysnum, token) = (state.clone(), site.sysnum.clone(), token.clone());
        tokio::spawn(async move { crate::trace::record_link(&state, sysnum, token, params).await });
    }
    let mut sent_upto = resume_from;
    if let Some(v) = &visitor {
        if !catch_up(state, v.id, &mut sent_upto, out).await {
            return None;
        }
    }
    if !out
        .send(&ServerFrame::Synced {
            last_seq: sent_upto,
        })
        .await
    {
        return None;
    }
    if let Some(v) = &visitor {
        match routing::position_of(state, v).await {
            Ok(Some(position)) => {
                if !out.send(&ServerFrame::Queue { position }).await {
                    return None;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "queue position unavailable"),
        }
    }
    // Who receives this visitor (robot or people): the greeting, guide questions, the
    // hand-over control or the offline text.
    let started = crate::reception::start(
        state,
        &site,
        visitor.as_ref(),
        asked.group,
        asked.reception.as_deref(),
    );
    let reception = match started.await {
        Ok((ctx, frame)) => {
            if let Some(f) = frame {
                if !out.send(&ServerFrame::Reception(f)).await {
                    return None;
                }
            }
            Some(ctx)
        }
        Err(e) => {
            tracing::warn!(error = %e, "reception unavailable; people answer");
            None
        }
    };
    // This tab counts as the visitor being online, for agents on every node.
    let present = visitor.as_ref().map(|v| v.id);
    if let Some(id) = present {
        crate::presence::visitor_tab(state, id, true).await;
    }
    Some(Live {
        site_id: site.id,
        visitor: visitor.map(Box::new),
        token,
        profile,
        reception,
        sub,
        pending,
        sent_upto,
        present,
    })
}

impl Live {
    /// Handles one event; `false` ends the session.
    async fn on_event<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        event: Event,
        out: &mut Out<T>,
    ) -> bool {
        match event {
            Event::Frame(Message::Text(text)) => {
                // A pending visitor's first message creates their row (or finds the one
                // another tab of theirs created).
                if self.visitor.is_none()
                    && starts_conversation(text.as_str())
                    && !self.adopt(state, true, out).await
                {
                    return false;
                }
                let reception = self.reception.as_deref();
                on_text(
                    state,
                    self.site_id,
                    self.visitor.as_deref(),
                    reception,
                    text.as_str(),
                    &mut self.sent_upto,
                    out,
                )
                .await
            }
            Event::Frame(Message::Binary(_)) => {
                out.send(&bad_frame("binary frames are not accepted")).await
            }
            Event::Frame(Message::Close(_)) => false,
            Event::Frame(Message::Ping(_) | Message::Pong(_)) => true,
            Event::Created => {
                // Another tab of this pending visitor started the conversation: follow it.
                self.pending = None;
                self.adopt(state, false, out).await
            }
            Event::Hub(live) => self.on_hub(state, live, out).await,
            Event::Ping => out.raw(Message::Ping(Vec::new().into())).await,
        }
    }

    /// A pending visitor becomes a stored one, at their first message or when another tab of
    /// theirs announced it: their row is found or created with the token they hold (one
    /// writer job), the hello's profile applied (and, by the tab that made the row —
    /// `with_reception` —, its reception decision), the session subscribed, anything already
    /// stored replayed, the visitor's other pending tabs told, and this tab counted as them
    /// being online. `false` ends the session (after an error frame).
    async fn adopt<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        with_reception: bool,
        out: &mut Out<T>,
    ) -> bool {
        let reception = self.reception.as_deref().filter(|_| with_reception);
        let created = async {
            let v = state
                .db
                .visitor_for_token(self.site_id, &self.token)
                .await?;
            let v = self.profile.apply(state, v).await?;
            if let Some(ctx) = reception {
                crate::reception::adopted(state, ctx, &v).await?;
            }
            Ok::<_, DbError>(v)
        };
        let v = match created.await {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, "creating a visitor failed");
                out.send(&internal(None)).await;
                out.close(1011, "internal error").await;
                return false;
            }
        };
        self.sub = Some(state.hub.subscribe_visitor(v.id));
        if !catch_up(state, v.id, &mut self.sent_upto, out).await {
            return false;
        }
        // Tell this visitor's other pending tabs (none left when they told us).
        if let Some(p) = self.pending.take() {
            p.announce(v.id);
        }
        crate::presence::visitor_tab(state, v.id, true).await;
        self.present = Some(v.id);
        self.visitor = Some(Box::new(v));
        true
    }

    /// Something for this visitor's tabs from the hub.
    async fn on_hub<T: Sink<Message> + Unpin>(
        &mut self,
        state: &AppState,
        live: Result<VisitorEvent, RecvError>,
        out: &mut Out<T>,
    ) -> bool {
        let Some(v) = &self.visitor else { return false };
        let sent_upto = &mut self.sent_upto;
        match live {
            Ok(VisitorEvent::Queue(position)) => out.send(&ServerFrame::Queue { position }).await,
            Ok(VisitorEvent::Typing(typing)) => out.send(&ServerFrame::Typing { typing }).await,
            Ok(VisitorEvent::Reception(r)) => {
                out.send(&ServerFrame::Reception(r.as_ref().clone())).await
            }
            Ok(VisitorEvent::Message(m)) if m.seq as u64 <= sent_upto.0 => true,
            Ok(VisitorEvent::Message(m)) if m.seq as u64 == sent_upto.0 + 1 => {
                *sent_upto = Seq(m.seq as u64);
                out.send(&ServerFrame::Msg(chat_message(&m))).await
            }
            // Committed on another node.
            Ok(VisitorEvent::Committed(seq, _)) if seq <= sent_upto.0 => true,
            Ok(VisitorEvent::Committed(seq, Some(m))) if seq == sent_upto.0 + 1 => {
                *sent_upto = Seq(seq);
                out.send(&ServerFrame::Msg(ChatMessage::clone(&m))).await
            }
            // A gap (a publish overtook another, or we lagged), a message from another node,
            // or the bus reconnected: the database is the truth.
            Ok(VisitorEvent::Message(_) | VisitorEvent::Committed(..) | VisitorEvent::Resync)
            | Err(RecvError::Lagged(_)) => catch_up(state, v.id, sent_upto, out).await,
            Err(RecvError::Closed) => false,
        }
    }
}

/// The next event of the visitor's hub subscription (never, while there is none).
async fn next_event(sub: &mut Option<crate::hub::VisitorSub>) -> Result<VisitorEvent, RecvError> {
    match sub {
        Some(s) => s.rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The id a pending visitor's row got (never, while not pending).
async fn next_created(pending: &mut Option<crate::hub::PendingSub>) -> Result<i64, RecvError> {
    match pending {
        Some(p) => p.rx.recv().await,
        None => std::future::pending().await,
    }
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

/// An optional hello field, trimmed (empty is absent); refused when longer than `max`
/// characters or when it holds characters that disguise a name ([`shared::display_safe`]).
fn bounded<'a>(
    value: Option<&'a str>,
    max: usize,
    too_long: &'static str,
) -> Result<Option<&'a str>, Refusal> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(Refusal(ErrorCode::Invalid, too_long));
    }
    if value.is_some_and(|v| !shared::display_safe(v)) {
        return Err(Refusal(
            ErrorCode::Invalid,
            "partnerid and uname may not contain control, direction-changing or invisible characters",
        ));
    }
    Ok(value)
}

/// Validates the hello and finds (or creates) the visitor.
/// What `hello` starts: the site, the visitor (`None` while pending: an anonymous visitor
/// gets a row only with their first message), the token they hold, and what the hello said
/// about them.
struct Started {
    site: Site,
    visitor: Option<Visitor>,
    token: String,
    profile: Profile,
}

/// The hello's fields about the visitor, stored on their row (at once, or when a pending
/// visitor's row is created).
///
/// **The rule** (the one place it is applied: [`Profile::apply`]): a hello changes only what
/// it states. `uname`, a claimed `partnerid` and `source` are kept when absent. The routing
/// keys — `groupid` and [`Reception::ROUTE_KEYS`] (`agentid`, `agent_mode_flag`,
/// `transfer_action`, `is_vip`, `vip_level`, `queueFirst`, `flowType`/`flowCompanyId`/
/// `flowGroupId`, `platformUnionCode`) — are one set, the page's routing: a hello that carries
/// any of them replaces the stored group, route and priority with what it says (a page that
/// calls `zc("config")` with other values); a hello that carries none — the host-page
/// notifier's, a tab of a page without that config, a reconnect of a plain link — leaves
/// all of them as the row holds them. (Reception keys follow the same rule in
/// `crate::reception`.) Without this, the notifier's hello, which never carries the page's
/// config, cleared the route the chat frame's hello had just stored.
///
/// [`Reception::ROUTE_KEYS`]: shared::reception::Reception::ROUTE_KEYS
struct Profile {
    uname: Option<String>,
    claimed: Option<String>,
    source: Option<String>,
    /// What `groupid` and the routing keys asked of routing, resolved; `None` when the hello
    /// carries no routing key (the stored route stays).
    route: Option<routing::AskedRoute>,
}

impl Profile {
    async fn apply(&self, state: &AppState, visitor: Visitor) -> DbResult<Visitor> {
        let v = state
            .db
            .touch_visitor(
                visitor.id,
                self.uname.as_deref(),
                self.claimed.as_deref(),
                self.source.as_deref(),
                self.route.as_ref().map(|r| r.group),
            )
            .await?
            .unwrap_or(visitor);
        let Some(asked) = &self.route else {
            return Ok(v);
        };
        // The route is written only when it changed (most hellos ask the same as before).
        if v.route == asked.route && v.priority == asked.priority {
            return Ok(v);
        }
        Ok(state
            .db
            .set_visitor_route(v.id, asked.route.clone(), asked.priority)
            .await?
            .unwrap_or(v))
    }
}

async fn start(state: &AppState, hello: &Hello) -> DbResult<Result<Started, Refusal>> {
    let Some(site) = state.db.site_by_sysnum(hello.sysnum.as_str()).await? else {
        return Ok(Err(Refusal(
            ErrorCode::UnknownSite,
            "no site has this sysnum",
        )));
    };
    let partnerid = match bounded(
        hello.partnerid.as_deref(),
        MAX_PARTNERID_CHARS,
        "partnerid is longer than 300 characters",
    ) {
        Ok(p) => p,
        Err(r) => return Ok(Err(r)),
    };
    let uname = match bounded(
        hello.uname.as_deref(),
        MAX_UNAME_CHARS,
        "uname is longer than 100 characters",
    ) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r)),
    };
    let source = hello
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| s.len() <= 8);
    let check = SignCheck::parse(&site.sign_check).unwrap_or(SignCheck::Md5);
    let (visitor, token, claimed) = if check != SignCheck::Off {
        let (Some(p), Some(sign)) = (partnerid, hello.sign.as_deref()) else {
            return Ok(Err(Refusal(
                ErrorCode::SignInvalid,
                "partnerid and sign are required",
            )));
        };
        if !check.verify(site.sysnum.as_str(), &site.sign_key, p, sign) {
            return Ok(Err(Refusal(ErrorCode::SignInvalid, "sign does not match")));
        }
        let (v, t) = state.db.partner_visitor(site.id, p).await?;
        (Some(v), t, None)
    } else {
        let known = match hello.token.as_deref() {
            Some(t) if t.len() <= 128 => state.db.visitor_by_token(site.id, t).await?,
            _ => None,
        };
        match (known, hello.token.clone()) {
            (Some(v), Some(t)) => (Some(v), t, partnerid),
            (None, Some(t))
                if is_pending_token(&state.db.pending_token_key().await?, site.id, &t) =>
            {
                // Minted by us at an earlier hello; no message yet.
                (None, t, partnerid)
            }
            _ => {
                if let Some(why) = over_budget(state, site.id, true) {
                    return Ok(Err(Refusal(ErrorCode::RateLimited, why)));
                }
                let t = pending_token(&state.db.pending_token_key().await?, site.id);
                (None, t, partnerid)
            }
        }
    };
    let profile = Profile {
        uname: uname.map(str::to_owned),
        claimed: claimed.map(str::to_owned),
        source: source.map(str::to_owned),
        route: if states_route(hello) {
            Some(
                routing::resolve_hello(
                    state,
                    site.id,
                    hello.groupid.as_deref(),
                    hello.reception.as_deref(),
                )
                .await?,
            )
        } else {
            None
        },
    };
    let visitor = match visitor {
        Some(v) => Some(profile.apply(state, v).await?),
        None => None,
    };
    Ok(Ok(Started {
        site,
        visitor,
        token,
        profile,
    }))
}

/// Whether the hello states the page's routing ([`Profile`]'s rule): a `groupid` or any
/// routing key.
fn states_route(hello: &Hello) -> bool {
    hello
        .groupid
        .as_deref()
        .is_some_and(|g| !g.trim().is_empty())
        || hello.reception.as_deref().is_some_and(|r| r.states_route())
}

/// Sends every stored message after `sent_upto`, advancing it.
async fn catch_up<T: Sink<Message> + Unpin>(
    state: &AppState,
    visitor_id: i64,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    loop {
        let batch = match state
            .db
            .messages_after(visitor_id, *sent_upto, REPLAY_BATCH)
            .await
        {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "replay failed");
                out.send(&internal(None)).await;
                out.close(1011, "internal error").await;
                return false;
            }
        };
        let n = batch.len();
        for m in &batch {
            if !out.send(&ServerFrame::Msg(chat_message(m))).await {
                return false;
            }
            *sent_upto = Seq(m.seq as u64);
        }
        if (n as i64) < REPLAY_BATCH {
            return true;
        }
    }
}

async fn on_text<T: Sink<Message> + Unpin>(
    state: &AppState,
    site_id: i64,
    visitor: Option<&Visitor>,
    reception: Option<&crate::reception::Ctx>,
    text: &str,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    match serde_json::from_str::<ClientFrame>(text) {
        // A pending visitor's send is adopted before this (`live`); never `None` here.
        Ok(ClientFrame::Send(s)) => match visitor {
            Some(v) => on_send(state, site_id, v, reception, s, sent_upto, out).await,
            None => out.send(&internal(Some(s.cmid))).await,
        },
        Ok(ClientFrame::Ping) => out.send(&ServerFrame::Pong).await,
        // Typing before the first message has nobody to tell.
        Ok(ClientFrame::Typing { typing }) => {
            if let Some(v) = visitor {
                if let Err(e) = conversation::visitor_typing(state, v.id, typing).await {
                    tracing::warn!(error = %e, "typing notice failed");
                }
            }
            true
        }
        // "转人工": the tabs hear the outcome from the hub (`crate::reception::hand_over`).
        Ok(ClientFrame::Handover) => {
            if let (Some(ctx), Some(v)) = (reception, visitor) {
                if let Err(e) = conversation::hand_over(state, ctx, v).await {
                    tracing::error!(error = %e, "hand-over failed");
                    return out.send(&internal(None)).await;
                }
            }
            true
        }
        Ok(ClientFrame::Hello(_)) => {
            let e = ServerFrame::Error {
                code: ErrorCode::HelloFirst,
                message: "this session has already started".into(),
                cmid: None,
            };
            out.send(&e).await
        }
        Err(e) => out.send(&bad_frame(&e.to_string())).await,
    }
}

/// Checks a message body: text must have visible characters; media kinds (image, voice,
/// video, file) must be an http(s) URL; cards (product, order) a JSON object; every kind is
/// capped at 5000 characters and must be storable (no U+0000, `db::storable`).
pub fn validate_body(kind: MsgKind, body: &str) -> Result<(), &'static str> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err("body is longer than 5000 characters");
    }
    crate::db::storable(body)?;
    if body.trim().is_empty() {
        return Err(if kind == MsgKind::Text {
            "text is empty"
        } else {
            "body is empty"
        });
    }
    match kind {
        MsgKind::Text => Ok(()),
        MsgKind::Image | MsgKind::Voice | MsgKind::Video | MsgKind::File => {
            let url_like = (body.starts_with("https://") || body.starts_with("http://"))
                && !body.chars().any(|c| c.is_whitespace() || c.is_control());
            if url_like {
                Ok(())
            } else {
                Err("media messages must be an http(s) URL")
            }
        }
        MsgKind::Product | MsgKind::Order => {
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body) {
                Ok(_) => Ok(()),
                Err(_) => Err("card messages must be a JSON object"),
            }
        }
    }
}

async fn on_send<T: Sink<Message> + Unpin>(
    state: &AppState,
    site_id: i64,
    visitor: &Visitor,
    reception: Option<&crate::reception::Ctx>,
    s: Send,
    sent_upto: &mut Seq,
    out: &mut Out<T>,
) -> bool {
    if let Err(why) = validate_body(s.kind, &s.body) {
        return out
            .send(&ServerFrame::Error {
                code: ErrorCode::Invalid,
                message: why.into(),
                cmid: Some(s.cmid),
            })
            .await;
    }
    if !state.limits.visitor_msgs.check(&visitor.id) {
        return out
            .send(&ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: "too many messages; retry shortly".into(),
                cmid: Some(s.cmid),
            })
            .await;
    }
    if let Some(why) = over_budget(state, site_id, false) {
        return out
            .send(&ServerFrame::Error {
                code: ErrorCode::RateLimited,
                message: why.into(),
                cmid: Some(s.cmid),
            })
            .await;
    }
    // While the robot answers, the message is stored but not routed to agents (and the
    // waiting queue's bound does not apply: the visitor does not join it).
    let robot = match reception {
        Some(ctx) => crate::reception::robot_answers(state, ctx, visitor)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "reception state unavailable; people answer");
                false
            }),
        None => false,
    };
    let max_queue = i64::try_from(state.config.max_queue).unwrap_or(i64::MAX);
    let stored = if robot {
        (state.db)
            .insert_visitor_message(visitor.id, &s.cmid, s.kind, &s.body)
            .await
    } else {
        (state.db)
            .insert_visitor_message_bounded(visitor.id, &s.cmid, s.kind, &s.body, max_queue)
            .await
    };
    let stored = match stored {
        Ok(st) => st,
        Err(DbError::QueueFull) => {
            return out
                .send(&ServerFrame::Error {
                    code: ErrorCode::RateLimited,
                    message: "all agents are busy and the waiting queue is full; your message will be retried".into(),
                    cmid: Some(s.cmid),
                })
                .await;
        }
        Err(DbError::Invalid(why)) => {
            return out
                .send(&ServerFrame::Error {
                    code: ErrorCode::Invalid,
                    message: why.into(),
                    cmid: Some(s.cmid),
                })
                .await;
        }
        Err(e) => {
            tracing::error!(error = %e, "storing a visitor message failed");
            return out.send(&internal(Some(s.cmid))).await;
        }
    };
    let m = stored.message;
    let seq = Seq(m.seq as u64);
    let ack = ServerFrame::Ack {
        cmid: s.cmid,
        seq,
        ts: m.created_at,
    };
    // A new message's ack carries it to this tab (with the body the tab sent): when it is
    // the next one the tab is owed, the hub's copy is not sent to this tab again. If the
    // ack does not get through, the client retries with the same cmid; the message is
    // stored, so deliver it on.
    if out.send(&ack).await && !stored.duplicate && seq.0 == sent_upto.0 + 1 {
        *sent_upto = seq;
    }
    if stored.duplicate {
        return true;
    }
    let visitor_message = m.visitor_id;
    match reception {
        Some(ctx) if robot => {
            let (kind, body) = (m.kind, m.body.clone());
            conversation::committed(state, site_id, m, After::ToRobot).await;
            let answered = conversation::robot_reply(state, ctx, site_id, visitor, kind, &body);
            if let Err(e) = answered.await {
                tracing::error!(error = %e, visitor = visitor_message, "the robot's answer failed");
            }
        }
        _ => {
            let after = After::ToPeople {
                serving: stored.serving,
                reception,
            };
            conversation::committed(state, site_id, m, after).await;
        }
    }
    true
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
