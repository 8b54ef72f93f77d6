//! The visitor session on `/ws/visitor` (SPEC §6, `shared::visitor`).
//!
//! Each connection: open → `hello {token, last_seq, …}` → `welcome` → replayed `msg`s →
//! `synced`; only then is the outbox (re)sent, every entry with its original `cmid`, so the
//! server's per-`cmid` idempotency turns a resend into the original ack. Entries leave the
//! outbox on `ack` or on a `msg` carrying their `cmid`. A drop schedules a reconnect with
//! exponential backoff and jitter (0.25–0.5 s doubling to 5–10 s); `online` and the page
//! becoming visible reconnect at once. `sign_invalid`/`unknown_site` stop for good.
//!
//! Where the page's own storage is unusable but it is embedded with a verified host origin,
//! the visitor token lives with the launcher in the host page (see [`super::outbox`]): the
//! first `hello` waits for the launcher's answer (at most 1.5 s, `HOST_TOKEN_WAIT`) and each
//! `welcome` with a token the host does not hold yet hands it over. A page with working
//! storage never makes that round trip.
//!
//! There the unsent messages are kept in the host page too, sealed: `box.js` (the lazy tier,
//! through `fdBox` in widget/index.html) encrypts the outbox with AES-GCM under a key only our
//! origin gets from the server (`POST /api/visitor/box-key`) and posts the ciphertext to the
//! launcher after every change ([`save_box`]). The key is fetched when the visitor first types
//! ([`typing`]), so a message sent while the server is unreachable is still sealed. The
//! launcher's answer to the token question carries the box; it is opened once the session is
//! `synced` (the key needs the server) and its entries join the outbox and are sent with
//! their original `cmid`, so a message the server already had is stored once. Until it is
//! opened nothing is sealed over it.
//!
//! The connection lives in a thread-local [`Conn`]; socket and document handlers borrow it
//! briefly. Leptos runs effects asynchronously, so updating signals from inside a borrow does
//! not re-enter it.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use shared::ids::{ClientMsgId, Sysnum};
use shared::visitor::{
    Author, ChatMessage, ClientFrame, ErrorCode, Hello, MsgKind, Send, ServerFrame,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, VisibilityState, WebSocket};

use super::params::Params;
use super::store::{last_seq, merge, take_pending, Pending, Status, Store};
use super::{bridge, lazy, outbox};

/// Ping this often while idle so proxies keep the socket and a dead one is noticed.
const PING_EVERY: Duration = Duration::from_secs(25);
/// No frame (not even a pong) for this long: consider the socket dead and reconnect.
const SILENCE_LIMIT_MS: f64 = 60_000.0;
/// How long the first `hello` waits for the host page's answer about the stored token.
const HOST_TOKEN_WAIT: Duration = Duration::from_millis(1500);

// `fdBox(version, op, a, b, c, d)` is defined by an inline script in widget/index.html: it
// imports `extras/box.js?v=…` once and runs `op(a, b, c, d)` (a failure is one console
// warning). Ops: `prefetch(sysnum, token)`, `save(sysnum, token, json, host)`, and
// `open(sysnum, token, box)`, whose result goes to [`box_opened`] (the chat binary's export
// `fd_box_opened`).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fdBox)]
    fn fd_box(version: &str, op: &str, a: &str, b: &str, c: &str, d: &str);
}

/// The lazy tier's build version (the URL of `box.js`).
const BOX_V: &str = match option_env!("FD_EXTRAS_V") {
    Some(v) => v,
    None => "dev",
};

/// The visitor token kept by the launcher in the host page (only when our own storage is
/// unusable).
struct HostStore {
    /// The verified host origin: the only target of the token messages.
    host: String,
    /// The launcher answered our `get`. Until then nothing is handed over: a launcher that
    /// never answers (an old one, or a busy host page) must not have its token overwritten.
    answered: bool,
    /// The token the host holds as far as we know; a `set` is posted only when ours differs.
    held: Option<String>,
    /// Pending while the first `hello` waits for the answer; `connect` does nothing meanwhile.
    wait: Option<TimeoutHandle>,
    /// The sealed outbox the launcher answered with, until it is opened (after `synced`).
    sealed: Option<String>,
    /// `box.js` is opening [`HostStore::sealed`]: nothing is sealed over it meanwhile.
    opening: bool,
    /// The host holds a box (so an empty outbox must be posted to remove it).
    boxed: bool,
    /// The key was asked for (on the first keystroke with a token).
    prefetched: bool,
}

struct Conn {
    params: Params,
    sysnum: Sysnum,
    store: Store,
    ws: Option<WebSocket>,
    /// Bumped per socket, so events of a replaced socket are ignored.
    generation: u32,
    /// Handlers of the current socket (open, message, close), kept alive here.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    /// `synced` arrived on the current socket: sends go out directly.
    synced: bool,
    /// Failed connection attempts since the last `synced` (drives the backoff).
    attempt: u32,
    reconnect: Option<TimeoutHandle>,
    /// Outbox retry after `rate_limited`/`internal`.
    resend: Option<TimeoutHandle>,
    resend_attempt: u32,
    /// When a `typing: true` notice was last sent (ms; 0 when the agent was told "stopped").
    typing_sent_at: f64,
    /// Hides the agent's typing indicator when no repeat arrives in time.
    typing_clear: Option<TimeoutHandle>,
    token: Option<String>,
    host_store: Option<HostStore>,
    last_rx: f64,
    stopped: bool,
    /// A `welcome` arrived since the page loaded: the chat link's query went with it.
    linked: bool,
    /// The last reception frame said nobody is available (its text replaces the queue).
    offline: bool,
    /// A reception frame arrived: the lazy tier shows its chips, which messages clear.
    reception: bool,
    /// `online` / `visibilitychange` listeners and the heartbeat, kept for the page's life.
    _page_handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    _heartbeat: Option<IntervalHandle>,
}

/// How often a continuing "visitor is typing" notice is repeated.
const TYPING_REPEAT_MS: f64 = 2000.0;
/// How long the agent's typing indicator stays without a repeat.
const AGENT_TYPING_SHOWN: Duration = Duration::from_secs(6);

thread_local! {
    static CONN: RefCell<Option<Conn>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Conn) -> R) -> Option<R> {
    CONN.with(|c| c.try_borrow_mut().ok()?.as_mut().map(f))
}

/// Starts the session for this page (once). Without a valid `sysnum` it only marks the page
/// unavailable. `host` is the verified host origin when embedded by the launcher.
pub fn start(params: Params, store: Store, host: Option<String>) {
    let Some(sysnum) = params.sysnum.clone() else {
        store.line.update(|l| l.status = Status::Unavailable);
        return;
    };
    let token = outbox::token(&sysnum);
    let host = host.filter(|_| !outbox::persistent());
    let installed = CONN.with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return false;
        };
        if c.is_some() {
            return false;
        }
        *c = Some(Conn {
            params,
            sysnum,
            store,
            ws: None,
            generation: 0,
            handlers: Vec::new(),
            synced: false,
            attempt: 0,
            reconnect: None,
            resend: None,
            resend_attempt: 0,
            typing_sent_at: 0.0,
            typing_clear: None,
            token,
            host_store: None,
            last_rx: 0.0,
            stopped: false,
            linked: false,
            offline: false,
            reception: false,
            _page_handlers: Vec::new(),
            _heartbeat: None,
        });
        true
    });
    if !installed {
        return;
    }
    let handlers = page_handlers();
    let heartbeat = set_interval_with_handle(heartbeat, PING_EVERY).ok();
    let asked = host.and_then(|h| bridge::ask_token(h.clone(), on_host_token).map(|_| h));
    let wait = asked.as_ref().and_then(|_| {
        set_timeout_with_handle(
            || {
                with(|c| {
                    if let Some(h) = &mut c.host_store {
                        h.wait = None;
                    }
                    connect(c);
                });
            },
            HOST_TOKEN_WAIT,
        )
        .ok()
    });
    with(|c| {
        c._page_handlers = handlers;
        c._heartbeat = heartbeat;
        c.host_store = asked.map(|host| HostStore {
            host,
            answered: false,
            held: None,
            wait,
            sealed: None,
            opening: false,
            boxed: false,
            prefetched: false,
        });
        connect(c);
    });
}

/// The launcher's answer about the token it keeps for us (already shape-checked). Only the
/// first answer counts. In time, the first `hello` uses it. Late (after [`HOST_TOKEN_WAIT`],
/// so we connected without it), it is adopted only while this page holds nothing of the
/// visitor's yet; otherwise our newer token is handed over instead.
fn on_host_token(token: Option<String>, sealed: Option<String>) {
    with(|c| {
        let Some(h) = &mut c.host_store else { return };
        if h.answered {
            return;
        }
        h.answered = true;
        h.held = token.clone();
        h.boxed = sealed.is_some();
        h.sealed = sealed;
        if let Some(t) = h.wait.take() {
            t.clear();
            c.token = token;
            connect(c);
            return;
        }
        let untouched = c.store.outbox.with_untracked(Vec::is_empty)
            && c.store
                .messages
                .with_untracked(|m| m.iter().all(|m| m.from != Author::Visitor));
        match token {
            Some(t) if untouched && c.token.as_ref() != Some(&t) => {
                c.store.messages.set(Vec::new());
                c.token = Some(t);
                c.attempt = 0;
                connect(c);
            }
            _ => {
                hand_over_token(c);
                if c.synced {
                    open_box(c); // a late answer: the session is already up
                }
            }
        }
    });
}

/// Gives the launcher our token if it does not hold it yet (and it has answered at all).
fn hand_over_token(c: &mut Conn) {
    let (Some(h), Some(token)) = (&mut c.host_store, &c.token) else {
        return;
    };
    if h.answered && h.held.as_ref() != Some(token) {
        bridge::post_token(&h.host, token);
        h.held = Some(token.clone());
        // A box sealed for the old token could not be opened with the new one.
        save_box(c);
    }
}

/// Seals the outbox for the host page (see the module doc): only with a host store that
/// answered, a token, and no box still to be opened. An empty outbox (`[]`) removes the box.
#[inline(never)]
fn save_box(c: &mut Conn) {
    let (Some(h), Some(token)) = (&mut c.host_store, &c.token) else {
        return;
    };
    if !h.answered || h.sealed.is_some() || h.opening {
        return;
    }
    let list = c.store.outbox.get_untracked();
    if list.is_empty() && !h.boxed {
        return;
    }
    h.boxed = !list.is_empty();
    let json = outbox::to_json(&list).unwrap_or_default();
    fd_box(BOX_V, "save", c.sysnum.as_str(), token, &json, &h.host);
}

/// Opens the box the launcher kept (after `synced`); [`box_opened`] takes the result.
#[inline(never)]
fn open_box(c: &mut Conn) {
    let (Some(h), Some(token)) = (&mut c.host_store, &c.token) else {
        return;
    };
    let Some(sealed) = h.sealed.as_deref().filter(|_| !h.opening) else {
        return;
    };
    fd_box(BOX_V, "open", c.sysnum.as_str(), token, sealed, "");
    h.opening = true;
}

/// What `box.js` made of the box: the outbox JSON (its entries join the outbox and are sent
/// with their own `cmid`), `""` for a box this visitor's key does not open (dropped), or
/// `None` when the key could not be had (tried again at the next `synced`).
pub fn box_opened(json: Option<String>) {
    with(|c| {
        let Some(h) = &mut c.host_store else { return };
        h.opening = false;
        let Some(json) = json else { return };
        h.sealed = None;
        c.store.outbox.update(|o| {
            for p in outbox::parse(&json) {
                if !o.iter().any(|m| m.cmid == p.cmid) {
                    o.push(p);
                }
            }
        });
        // Everything unsent goes (again): the server stores each `cmid` once.
        flush(c);
        save_box(c);
    });
}

/// Reconnect at once when the network comes back or the page becomes visible again.
fn page_handlers() -> Vec<Closure<dyn FnMut(JsValue)>> {
    let mut out = Vec::new();
    let Some(win) = web_sys::window() else {
        return out;
    };
    let wake = || Closure::<dyn FnMut(JsValue)>::new(|_| wake_up());
    let online = wake();
    if win
        .add_event_listener_with_callback("online", online.as_ref().unchecked_ref())
        .is_ok()
    {
        out.push(online);
    }
    if let Some(doc) = win.document() {
        let visible = wake();
        if doc
            .add_event_listener_with_callback("visibilitychange", visible.as_ref().unchecked_ref())
            .is_ok()
        {
            out.push(visible);
        }
    }
    out
}

fn wake_up() {
    let visible = web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == VisibilityState::Visible);
    if !visible {
        return;
    }
    with(|c| {
        if c.ws.is_none() && !c.stopped {
            c.attempt = 0;
            connect(c);
        }
    });
}

fn heartbeat() {
    with(|c| {
        let Some(ws) = &c.ws else { return };
        if ws.ready_state() != WebSocket::OPEN {
            return;
        }
        if js_sys::Date::now() - c.last_rx > SILENCE_LIMIT_MS {
            // Half-open socket: close it and let on_close reconnect.
            let _ = ws.close();
            return;
        }
        send_frame(c, &ClientFrame::Ping);
    });
}

/// The socket's URL; with `link`, the page's query too (a chat link's CRM/routing values,
/// which the server records with the visit: `trace::link_params`).
fn ws_url(link: bool) -> Option<String> {
    let loc = web_sys::window()?.location();
    let mut url = String::from(if loc.protocol().ok()? == "https:" {
        "wss://"
    } else {
        "ws://"
    });
    url.push_str(&loc.host().ok()?);
    url.push_str("/ws/visitor");
    if link {
        url.push_str(&loc.search().ok()?);
    }
    Some(url)
}

fn drop_socket(c: &mut Conn) {
    if let Some(ws) = c.ws.take() {
        ws.set_onopen(None);
        ws.set_onmessage(None);
        ws.set_onclose(None);
        ws.set_onerror(None);
        let _ = ws.close();
    }
    c.synced = false;
}

fn connect(c: &mut Conn) {
    if c.stopped || c.host_store.as_ref().is_some_and(|h| h.wait.is_some()) {
        return;
    }
    if let Some(t) = c.reconnect.take() {
        t.clear();
    }
    drop_socket(c);
    c.generation = c.generation.wrapping_add(1);
    let generation = c.generation;
    let link = !c.params.embed && !c.linked;
    let Some(ws) = ws_url(link).and_then(|u| WebSocket::new(&u).ok()) else {
        schedule_reconnect(c);
        return;
    };
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        with(|c| {
            if c.generation == generation {
                send_hello(c);
            }
        });
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let Some(text) = e.unchecked_ref::<MessageEvent>().data().as_string() else {
            return;
        };
        match serde_json::from_str::<ServerFrame>(&text) {
            Ok(frame) => {
                with(|c| {
                    if c.generation == generation {
                        c.last_rx = js_sys::Date::now();
                        handle(c, frame, &text);
                    }
                });
            }
            Err(_) => web_sys::console::warn_2(
                &"frontdesk: unreadable frame".into(),
                &JsValue::from_str(&text),
            ),
        }
    });
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        with(|c| {
            if c.generation == generation {
                c.ws = None;
                c.synced = false;
                schedule_reconnect(c);
            }
        });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    c.handlers = vec![on_open, on_message, on_close];
    c.ws = Some(ws);
    // Counts as activity: a socket that opens but never answers is dropped by the heartbeat.
    c.last_rx = js_sys::Date::now();
}

fn schedule_reconnect(c: &mut Conn) {
    if c.stopped {
        return;
    }
    let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
    c.store.line.update(|l| {
        l.status = if online {
            Status::Reconnecting
        } else {
            Status::Offline
        }
    });
    let delay = shared::reconnect_delay_ms(c.attempt, js_sys::Math::random());
    c.attempt = c.attempt.saturating_add(1);
    if let Some(t) = c.reconnect.take() {
        t.clear();
    }
    c.reconnect = set_timeout_with_handle(
        || {
            with(|c| {
                c.reconnect = None;
                connect(c);
            });
        },
        Duration::from_millis(delay.into()),
    )
    .ok();
}

fn send_frame(c: &Conn, frame: &ClientFrame) -> bool {
    let Some(ws) = &c.ws else { return false };
    if ws.ready_state() != WebSocket::OPEN {
        return false;
    }
    match serde_json::to_string(frame) {
        Ok(json) => ws.send_with_str(&json).is_ok(),
        Err(_) => false,
    }
}

fn send_hello(c: &mut Conn) {
    let p = &c.params;
    let hello = Hello {
        sysnum: c.sysnum.clone(),
        token: c.token.clone(),
        partnerid: p.partnerid.clone(),
        sign: p.sign.clone(),
        uname: p.uname.clone(),
        source: p.source.clone(),
        groupid: p.groupid.clone(),
        reception: None,
        query: p.query.clone(),
        last_seq: c.store.messages.with_untracked(|m| last_seq(m)),
    };
    send_frame(c, &ClientFrame::Hello(hello));
}

fn send_pending(c: &Conn, p: &Pending) {
    send_frame(
        c,
        &ClientFrame::Send(Send {
            cmid: p.cmid.clone(),
            kind: p.kind,
            body: p.body.clone(),
        }),
    );
}

/// Resends every live outbox entry (after `synced`, or a retryable error).
fn flush(c: &Conn) {
    if !c.synced {
        return;
    }
    for p in c.store.outbox.get_untracked() {
        if !p.failed {
            send_pending(c, &p);
        }
    }
}

fn schedule_resend(c: &mut Conn) {
    if c.resend.is_some() {
        return;
    }
    let delay = 1000u32
        .saturating_mul(1 << c.resend_attempt.min(4))
        .min(15_000);
    c.resend_attempt = c.resend_attempt.saturating_add(1);
    c.resend = set_timeout_with_handle(
        || {
            with(|c| {
                c.resend = None;
                flush(c);
            });
        },
        Duration::from_millis(delay.into()),
    )
    .ok();
}

/// Forgets `cmid` from the outbox (memory and storage); returns the entry if it was ours.
fn settle(c: &mut Conn, cmid: &ClientMsgId) -> Option<Pending> {
    let p = c
        .store
        .outbox
        .try_update(|o| take_pending(o, cmid))
        .flatten();
    outbox::remove(&c.sysnum, cmid);
    if p.is_some() {
        save_box(c);
    }
    p
}

fn stop(c: &mut Conn, status: Status) {
    c.stopped = true;
    c.store.line.update(|l| l.status = status);
    if let Some(t) = c.reconnect.take() {
        t.clear();
    }
    drop_socket(c);
}

/// One decoded frame (`text`: as it came, for the lazy tier).
fn handle(c: &mut Conn, frame: ServerFrame, text: &str) {
    match frame {
        ServerFrame::Reception(r) => {
            c.offline = r.offline.is_some();
            if c.offline {
                c.store.line.update(|l| l.queue = 0);
            }
            let empty = r.greeting.is_none() && r.suggest.is_empty() && !r.manual;
            if empty && !c.offline && !c.reception {
                return; // nothing to show, nothing shown: no need for the lazy tier
            }
            c.reception = true;
            // The lazy tier reads the frame itself (the JSON as it came).
            lazy::reception(text);
        }
        ServerFrame::Welcome {
            token,
            last_seq: server_last,
            ..
        } => {
            if c.token.as_deref() != Some(token.as_str()) {
                if c.token.is_some() {
                    // A different visitor now: what we show belongs to the old one.
                    c.store.messages.set(Vec::new());
                }
                outbox::set_token(&c.sysnum, &token);
                c.token = Some(token);
            }
            c.linked = true;
            hand_over_token(c);
            let held = c.store.messages.with_untracked(|m| last_seq(m));
            if server_last < held {
                // The server knows less than we show (its data was reset): start over.
                c.store.messages.set(Vec::new());
                c.attempt = 0;
                connect(c);
            }
        }
        ServerFrame::Msg(m) => {
            if m.from == Author::Agent {
                c.store.line.update(|l| l.agent_typing = false);
            }
            clear_chips(c);
            if let Some(cmid) = &m.cmid {
                settle(c, cmid);
            }
            c.store.messages.update(|list| {
                merge(list, m);
            });
        }
        ServerFrame::Synced { .. } => {
            c.synced = true;
            c.attempt = 0;
            c.store.line.update(|l| l.status = Status::Online);
            flush(c);
            open_box(c);
        }
        ServerFrame::Ack { cmid, seq, ts } => {
            c.resend_attempt = 0;
            if let Some(p) = settle(c, &cmid) {
                let m = ChatMessage {
                    seq,
                    from: Author::Visitor,
                    kind: p.kind,
                    body: p.body,
                    ts,
                    cmid: Some(cmid),
                    nick: None,
                };
                c.store.messages.update(|list| {
                    merge(list, m);
                });
            }
        }
        ServerFrame::Error {
            code,
            message,
            cmid,
        } => match code {
            ErrorCode::RateLimited | ErrorCode::Internal => schedule_resend(c),
            ErrorCode::Invalid => match cmid {
                Some(cmid) => {
                    c.store.outbox.update(|o| {
                        for p in o.iter_mut().filter(|p| p.cmid == cmid) {
                            p.failed = true;
                        }
                    });
                    outbox::mark_failed(&c.sysnum, &cmid);
                    save_box(c);
                }
                None => {
                    warn_server(&message);
                    stop(c, Status::Unavailable);
                }
            },
            ErrorCode::SignInvalid => stop(c, Status::Refused),
            ErrorCode::UnknownSite => {
                warn_server(&message);
                stop(c, Status::Unavailable);
            }
            ErrorCode::BadFrame | ErrorCode::HelloFirst => warn_server(&message),
        },
        ServerFrame::Pong => {}
        // Nobody available: the reception's offline text stands instead of a position.
        ServerFrame::Queue { position } => c
            .store
            .line
            .update(|l| l.queue = if c.offline { 0 } else { position }),
        ServerFrame::Typing { typing } => {
            if let Some(t) = c.typing_clear.take() {
                t.clear();
            }
            c.store.line.update(|l| l.agent_typing = typing);
            if typing {
                c.typing_clear = set_timeout_with_handle(
                    || {
                        with(|c| c.store.line.update(|l| l.agent_typing = false));
                    },
                    AGENT_TYPING_SHOWN,
                )
                .ok();
            }
        }
    }
}

fn warn_server(message: &str) {
    web_sys::console::warn_2(
        &"frontdesk: server said".into(),
        &JsValue::from_str(message),
    );
}

/// Queues a new text message: stored in the outbox first, then sent if the session is synced
/// (otherwise the next `synced` sends it).
pub fn send_text(body: String) {
    with(|c| {
        if c.stopped {
            return;
        }
        let p = Pending {
            cmid: outbox::new_cmid(),
            kind: MsgKind::Text,
            body,
            failed: false,
        };
        outbox::add(&c.sysnum, &p);
        c.store.outbox.update(|o| o.push(p.clone()));
        clear_chips(c);
        if c.synced {
            send_pending(c, &p);
        }
        save_box(c);
    });
}

/// Suggestions answer the last robot message only: the next message either way clears them.
fn clear_chips(c: &Conn) {
    if c.reception {
        lazy::reception_clear();
    }
}

/// The visitor asks for a person (the lazy tier's "转人工" control; with `to_customsys_url`
/// that opens the URL instead and never gets here).
pub fn hand_over() {
    with(|c| {
        send_frame(c, &ClientFrame::Handover);
    });
}

/// Tells the agent whether the visitor is typing: `true` at most every 2 s while they type,
/// `false` once when they clear the input or send.
pub fn typing(now_typing: bool) {
    with(|c| {
        if let (Some(h), Some(token)) = (&mut c.host_store, &c.token) {
            if !h.prefetched {
                h.prefetched = true;
                fd_box(BOX_V, "prefetch", c.sysnum.as_str(), token, "", "");
            }
        }
        if !c.synced {
            return;
        }
        let now = js_sys::Date::now();
        if now_typing {
            if now - c.typing_sent_at < TYPING_REPEAT_MS {
                return;
            }
            c.typing_sent_at = now;
        } else {
            if c.typing_sent_at == 0.0 {
                return;
            }
            c.typing_sent_at = 0.0;
        }
        send_frame(c, &ClientFrame::Typing { typing: now_typing });
    });
}

/// Drops a failed entry at the visitor's request.
pub fn discard(cmid: &ClientMsgId) {
    with(|c| {
        settle(c, cmid);
    });
}
