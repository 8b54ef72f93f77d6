//! The effectful shell of the visitor session on `/ws/visitor`: the socket, its timers and
//! the page's events. The rules live in [`super::session`] (a pure reducer over plain data);
//! this module feeds it decoded frames and the visitor's actions, carries out the
//! [`Effect`]s it returns (frames to send, storage, the host page, the lazy tier, timers) and
//! shows the resulting [`ChatState`] through the [`Store`] signals the view reads.
//!
//! A drop schedules a reconnect with exponential backoff and jitter (0.25–0.5 s doubling to
//! 5–10 s); `online` and the page becoming visible reconnect at once. A ping every 25 s keeps
//! proxies from closing an idle socket, and a minute without any frame closes a half-open
//! one. Where the page's own storage is unusable the first `hello` waits (at most 1.5 s,
//! `HOST_TOKEN_WAIT`) for the token the host page keeps ([`super::host`]).
//!
//! The connection lives in a thread-local [`Conn`]; socket and document handlers borrow it
//! briefly, and every borrow ends by showing the state ([`with`]). Leptos runs effects
//! asynchronously, so updating signals from inside a borrow does not re-enter it.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use shared::ids::{ClientMsgId, Sysnum};
use shared::visitor::{ClientFrame, MsgKind, ServerFrame};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, VisibilityState, WebSocket};

use super::host::HostStore;
use super::params::Params;
use super::session::{apply, ChatState, Effect};
use super::store::{Line, Pending, Status, Store};
use super::{bridge, lazy, outbox};

/// Ping this often while idle so proxies keep the socket and a dead one is noticed.
const PING_EVERY: Duration = Duration::from_secs(25);
/// No frame (not even a pong) for this long: consider the socket dead and reconnect.
const SILENCE_LIMIT_MS: f64 = 60_000.0;
/// How long the first `hello` waits for the host page's answer about the stored token.
const HOST_TOKEN_WAIT: Duration = Duration::from_millis(1500);
/// How often a continuing "visitor is typing" notice is repeated.
const TYPING_REPEAT_MS: f64 = 2000.0;
/// How long the agent's typing indicator stays without a repeat.
const AGENT_TYPING_SHOWN: Duration = Duration::from_secs(6);

struct Conn {
    params: Params,
    sysnum: Sysnum,
    /// The session itself; everything below is how it reaches the browser.
    state: ChatState,
    /// What the view reads: [`Conn::state`], shown by [`run`] and [`show`].
    store: Store,
    /// The status, queue position and typing indicator as last shown.
    shown: Line,
    ws: Option<WebSocket>,
    /// Bumped per socket, so events of a replaced socket are ignored.
    generation: u32,
    /// Handlers of the current socket (open, message, close), kept alive here.
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    reconnect: Option<TimeoutHandle>,
    /// When a `typing: true` notice was last sent (ms; 0 when the agent was told "stopped").
    typing_sent_at: f64,
    /// Hides the agent's typing indicator when no repeat arrives in time.
    typing_clear: Option<TimeoutHandle>,
    /// Only where our storage is unusable and the host origin is verified.
    host: Option<HostStore>,
    /// The verified origin of the page embedding this chat (`None` for the chat link): the
    /// stored token is bound to it (`outbox::token`).
    origin: Option<String>,
    /// Pending while the first `hello` waits for the host's answer; `connect` does nothing
    /// meanwhile.
    host_wait: Option<TimeoutHandle>,
    last_rx: f64,
    /// `online` / `visibilitychange` listeners and the heartbeat, kept for the page's life.
    _page_handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    _heartbeat: Option<IntervalHandle>,
}

thread_local! {
    static CONN: RefCell<Option<Conn>> = const { RefCell::new(None) };
}

/// Runs `f` on the connection, then shows what changed of its state ([`show`]).
fn with<R>(f: impl FnOnce(&mut Conn) -> R) -> Option<R> {
    CONN.with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        let c = c.as_mut()?;
        let r = f(c);
        show(c);
        Some(r)
    })
}

/// Shows the status line, the queue position and the typing indicator where they changed
/// since last shown, so a frame that changes none (a `pong`) re-renders nothing. (The lists
/// are shown on their effects, in [`run`], which spares the chat tier comparing them.)
fn show(c: &mut Conn) {
    let s = &c.state;
    let line = Line {
        status: s.status,
        queue: s.queue,
        agent_typing: s.agent_typing,
    };
    if line != c.shown {
        c.shown = line;
        c.store.line.set(line);
    }
}

/// Starts the session for this page (once). Without a valid `sysnum` it only marks the page
/// unavailable. `host` is the verified host origin when embedded by the launcher.
pub fn start(params: Params, store: Store, host: Option<String>) {
    let Some(sysnum) = params.sysnum.clone() else {
        store.line.set(Line {
            status: Status::Unavailable,
            ..Line::CONNECTING
        });
        return;
    };
    let state = ChatState::new(
        outbox::load(&sysnum),
        outbox::token(&sysnum, host.as_deref()),
    );
    if let Some(t) = &state.token {
        // Bind a token the notifier or an older page stored without its host.
        outbox::set_token(&sysnum, t, host.as_deref());
    }
    let origin = host.clone();
    // The stored outbox shows at once (this runs before the view is built).
    store.outbox.set(state.outbox.clone());
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
            state,
            store,
            shown: Line::CONNECTING,
            ws: None,
            generation: 0,
            handlers: Vec::new(),
            reconnect: None,
            typing_sent_at: 0.0,
            typing_clear: None,
            host: None,
            origin,
            host_wait: None,
            last_rx: 0.0,
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
                    c.host_wait = None;
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
        c.host = asked.map(HostStore::new);
        c.host_wait = wait;
        connect(c);
    });
}

/// The launcher's answer about the token it keeps for us (already shape-checked). Only the
/// first answer counts. In time, the first `hello` uses it; late (after [`HOST_TOKEN_WAIT`],
/// so we connected without it), [`ChatState::late_token`] decides.
fn on_host_token(token: Option<String>, sealed: Option<String>) {
    with(|c| {
        let Some(h) = &mut c.host else { return };
        if !h.answer(&token, sealed) {
            return;
        }
        if let Some(t) = c.host_wait.take() {
            t.clear();
            c.state.token = token;
            connect(c);
            return;
        }
        let fx = c.state.late_token(token);
        run(c, fx, "");
    });
}

/// What `box.js` made of the host page's sealed outbox (see [`HostStore::opened`]).
pub fn box_opened(json: Option<String>) {
    with(|c| {
        let Some(entries) = c.host.as_mut().and_then(|h| h.opened(json)) else {
            return;
        };
        let fx = c.state.unboxed(entries);
        run(c, fx, "");
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
        if c.ws.is_none() && !c.state.stopped {
            c.state.attempt = 0;
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
    c.state.closed();
}

fn connect(c: &mut Conn) {
    if c.state.stopped || c.host_wait.is_some() {
        return;
    }
    if let Some(t) = c.reconnect.take() {
        t.clear();
    }
    drop_socket(c);
    c.generation = c.generation.wrapping_add(1);
    let generation = c.generation;
    let link = !c.params.embed && !c.state.linked;
    let Some(ws) = ws_url(link).and_then(|u| WebSocket::new(&u).ok()) else {
        schedule_reconnect(c);
        return;
    };
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        with(|c| {
            if c.generation == generation {
                let hello = c.state.hello(&c.sysnum, &c.params);
                send_frame(c, &hello);
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
                        let fx = apply(&mut c.state, frame);
                        run(c, fx, &text);
                        // The lazy tier follows the conversation (once it is wanted).
                        lazy::frame(&text);
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
                c.state.closed();
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
    let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
    let Some(attempt) = c.state.reconnecting(online) else {
        return;
    };
    let delay = shared::reconnect_delay_ms(attempt, js_sys::Math::random());
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

/// Carries out what the session asked for, in order (`frame`: the server frame as it came,
/// for the lazy tier).
fn run(c: &mut Conn, effects: Vec<Effect>, frame: &str) {
    for e in effects {
        match e {
            Effect::Send(m) => {
                send_frame(c, &ClientFrame::Send(m));
            }
            Effect::Store(p) => {
                outbox::add(&c.sysnum, &p);
            }
            Effect::Forget(cmid) => outbox::remove(&c.sysnum, &cmid),
            Effect::Fail(cmid) => outbox::mark_failed(&c.sysnum, &cmid),
            Effect::Messages => c.store.messages.set(c.state.messages.clone()),
            Effect::Outbox => {
                c.store.outbox.set(c.state.outbox.clone());
                if let Some(h) = &mut c.host {
                    h.save(&c.sysnum, &c.state);
                }
            }
            Effect::OpenBox => {
                if let Some(h) = &mut c.host {
                    h.open(&c.sysnum, &c.state);
                }
            }
            Effect::SaveToken => {
                if let Some(t) = &c.state.token {
                    outbox::set_token(&c.sysnum, t, c.origin.as_deref());
                }
            }
            Effect::ShareToken => {
                if let Some(h) = &mut c.host {
                    h.share_token(&c.sysnum, &c.state);
                }
            }
            Effect::Reconnect => connect(c),
            // Never cancelled, so the handle is not kept; without a timer, the next error
            // schedules again.
            Effect::Resend(ms) => {
                let due = || {
                    with(|c| {
                        let fx = c.state.resend_due();
                        run(c, fx, "");
                    });
                };
                if set_timeout_with_handle(due, Duration::from_millis(ms.into())).is_err() {
                    c.state.resending = false;
                }
            }
            Effect::Stop => {
                if let Some(t) = c.reconnect.take() {
                    t.clear();
                }
                drop_socket(c);
            }
            Effect::Warn(message) => web_sys::console::warn_2(
                &"frontdesk: server said".into(),
                &JsValue::from_str(&message),
            ),
            // The lazy tier reads the frame itself (the JSON as it came).
            Effect::Reception => lazy::reception(frame),
            Effect::ClearChips => lazy::reception_clear(),
            Effect::AgentTyping(typing) => {
                if let Some(t) = c.typing_clear.take() {
                    t.clear();
                }
                if typing {
                    c.typing_clear = set_timeout_with_handle(
                        || {
                            with(|c| c.state.agent_typing = false);
                        },
                        AGENT_TYPING_SHOWN,
                    )
                    .ok();
                }
            }
        }
    }
}

/// Queues a new message (text, or from the lazy tier a card or an upload's URL): stored in
/// the outbox first, then sent if the session is synced (otherwise the next `synced` sends
/// it).
pub fn send(kind: MsgKind, body: String) {
    with(|c| {
        if c.state.stopped {
            return; // (checked here too, so no id is drawn for nothing)
        }
        let fx = c.state.send(Pending {
            cmid: outbox::new_cmid(),
            kind,
            body,
            failed: false,
        });
        run(c, fx, "");
    });
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
        if let Some(h) = &mut c.host {
            h.prefetch(&c.sysnum, &c.state);
        }
        if !c.state.synced {
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
        let fx = c.state.discard(cmid);
        run(c, fx, "");
    });
}
