//! The agent socket on `/ws/agent` (same origin, so the server's Origin check passes).
//!
//! open → `31000 {token}` → lists; heartbeats `{call_type: 0}` every 25 s, `33000` every 5 s
//! and `32000` every 15 s; a drop reconnects with exponential backoff and jitter (and
//! logs in again, which refreshes the lists). `-9999`/token errors on `31000`, or a close
//! with 4001, end the session: back to the login form with a message.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use serde_json::Value;
use shared::agent::{
    api, code, AdminEntry, Envelope, ListData, MessageData, Request, TransferData, TypingData,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::store::{Store, PAGE_SIZE};
use crate::{media, notify};

const TOKEN_KEY: &str = "frontdesk-console-token";
const HEARTBEAT_EVERY: Duration = Duration::from_secs(25);
/// The online agents are polled this often (the server pushes no change of that list); the
/// chat list every third time.
const REFRESH_EVERY: Duration = Duration::from_secs(5);

struct Conn {
    store: Store,
    ws: Option<WebSocket>,
    generation: u32,
    handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    attempt: u32,
    reconnect: Option<TimeoutHandle>,
    timers: Vec<IntervalHandle>,
    ticks: u32,
}

thread_local! {
    static CONN: RefCell<Option<Conn>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Conn) -> R) -> Option<R> {
    CONN.with(|c| c.try_borrow_mut().ok()?.as_mut().map(f))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The token kept for this tab (survives a reload, not closing the tab).
pub fn saved_token() -> Option<String> {
    storage()?
        .get_item(TOKEN_KEY)
        .ok()?
        .filter(|t| !t.is_empty())
}

fn save_token(token: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match token {
            Some(t) => s.set_item(TOKEN_KEY, t),
            None => s.remove_item(TOKEN_KEY),
        };
    }
}

/// Starts (or restarts) the session with `token`.
pub fn start(store: Store, token: String) {
    save_token(Some(&token));
    store.notice.set(String::new());
    store.token.set(Some(token));
    let fresh = CONN.with(|c| {
        let Ok(mut c) = c.try_borrow_mut() else {
            return false;
        };
        if c.is_some() {
            return false;
        }
        *c = Some(Conn {
            store,
            ws: None,
            generation: 0,
            handlers: Vec::new(),
            attempt: 0,
            reconnect: None,
            timers: Vec::new(),
            ticks: 0,
        });
        true
    });
    if fresh {
        let timers = [
            set_interval_with_handle(
                || {
                    with(|c| send(c, &Request::heartbeat()));
                },
                HEARTBEAT_EVERY,
            ),
            set_interval_with_handle(
                || {
                    with(|c| {
                        c.ticks = c.ticks.wrapping_add(1);
                        if c.store.online.get_untracked() {
                            if c.ticks % 3 == 0 {
                                send(c, &Request::chat_list());
                                send(c, &left_list());
                                if c.store.sv.role.get_untracked().supervises() {
                                    send(c, &Request::watch_list());
                                }
                            }
                            send(c, &Request::online_agents());
                        }
                    });
                },
                REFRESH_EVERY,
            ),
        ];
        with(|c| c.timers = timers.into_iter().filter_map(Result::ok).collect());
    }
    with(|c| {
        c.attempt = 0;
        connect(c);
    });
}

/// Ends the session: back to the login form showing `why`.
pub fn logout(why: &str) {
    save_token(None);
    let conn = CONN.with(|c| c.try_borrow_mut().ok().and_then(|mut c| c.take()));
    if let Some(mut c) = conn {
        drop_socket(&mut c);
        // We may be inside one of these handlers (a `-9999` frame, a 4001 close): dropping a
        // closure while it runs is an error, so they are leaked (once per logout).
        for h in c.handlers.drain(..) {
            h.forget();
        }
        if let Some(t) = c.reconnect.take() {
            t.clear();
        }
        for t in c.timers.drain(..) {
            t.clear();
        }
        c.store.clear();
        c.store.token.set(None);
        c.store.notice.set(why.to_owned());
    }
    notify::set_title(0);
}

fn ws_url() -> Option<String> {
    let loc = web_sys::window()?.location();
    let scheme = if loc.protocol().ok()? == "https:" {
        "wss://"
    } else {
        "ws://"
    };
    Some(format!("{scheme}{}/ws/agent", loc.host().ok()?))
}

fn drop_socket(c: &mut Conn) {
    if let Some(ws) = c.ws.take() {
        ws.set_onopen(None);
        ws.set_onmessage(None);
        ws.set_onclose(None);
        let _ = ws.close();
    }
    c.store.online.set(false);
}

fn connect(c: &mut Conn) {
    if let Some(t) = c.reconnect.take() {
        t.clear();
    }
    drop_socket(c);
    c.generation = c.generation.wrapping_add(1);
    let generation = c.generation;
    let Some(ws) = ws_url().and_then(|u| WebSocket::new(&u).ok()) else {
        schedule_reconnect(c);
        return;
    };
    let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        with(|c| {
            if c.generation == generation {
                let token = c.store.token.get_untracked().unwrap_or_default();
                send(c, &Request::login(&token));
            }
        });
    });
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let Some(text) = e.unchecked_ref::<MessageEvent>().data().as_string() else {
            return;
        };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            return;
        };
        let current = with(|c| (c.generation == generation).then_some(c.store)).flatten();
        if let Some(store) = current {
            handle(store, frame);
        }
    });
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let code = e.unchecked_ref::<CloseEvent>().code();
        let current = with(|c| c.generation == generation).unwrap_or(false);
        if !current {
            return;
        }
        if code == 4001 {
            logout(crate::i18n::t().logged_out_again);
            return;
        }
        with(|c| {
            c.ws = None;
            c.store.online.set(false);
            schedule_reconnect(c);
        });
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    c.handlers = vec![on_open, on_message, on_close];
    c.ws = Some(ws);
}

fn schedule_reconnect(c: &mut Conn) {
    let delay = shared::reconnect_delay_ms(c.attempt, js_sys::Math::random());
    c.attempt = c.attempt.saturating_add(1);
    c.store.notice.set(crate::i18n::t().reconnecting.into());
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

fn send(c: &Conn, frame: &Request) -> bool {
    let Some(ws) = &c.ws else { return false };
    ws.ready_state() == WebSocket::OPEN
        && serde_json::to_string(frame).is_ok_and(|text| ws.send_with_str(&text).is_ok())
}

/// Sends a request on the current socket (dropped while disconnected: the lists are
/// reloaded on reconnect).
pub fn request(frame: Request) {
    with(|c| {
        if !send(c, &frame) {
            c.store.notice.set(crate::i18n::t().not_connected.into());
        }
    });
}

fn data<T: serde::de::DeserializeOwned>(frame: Value) -> Option<T> {
    serde_json::from_value::<Envelope<T>>(frame)
        .ok()
        .map(|e| e.data)
}

fn handle(store: Store, frame: Value) {
    let key = frame.get("api_key").and_then(Value::as_i64).unwrap_or(-1);
    let status = frame.get("code").and_then(Value::as_i64).unwrap_or(0);
    if status == code::RELOGIN {
        logout(crate::i18n::t().session_ended);
        return;
    }
    if status != code::OK {
        if key == api::LOGIN {
            logout(crate::i18n::t().session_expired);
            return;
        }
        if key == api::TYPING {
            // Only a hint (the chat may have just been transferred or ended).
            return;
        }
        let msg = frame.get("message").and_then(Value::as_str).unwrap_or("");
        if key == api::PREFS {
            store.prefs_error.set(msg.to_owned());
            return;
        }
        crate::workbench::failed(store, key, msg);
        store.notice.set(
            crate::i18n::place(
                &crate::i18n::t().request_failed,
                &format!("{key} ({status})"),
            ) + " "
                + msg,
        );
        return;
    }
    match key {
        api::LOGIN | api::CHAT_LIST => {
            let Some(d) = data::<ListData>(frame) else {
                return;
            };
            if d.is_refresh == 1 && !d.refresh_token.is_empty() {
                save_token(Some(&d.refresh_token));
                store.token.set(Some(d.refresh_token.clone()));
            }
            if key == api::LOGIN {
                // The agent's language and zone, from the server (they follow the agent to
                // another browser). Only on login and `32950`'s answer: the server's `32000`
                // shows the `me` of the connection's login, which a `32950` since then has
                // changed.
                if let Some(me) = d.me.clone() {
                    store.set_me(me);
                }
                with(|c| c.attempt = 0);
                store.online.set(true);
                store.notice.set(String::new());
                request(left_list());
            }
            store.set_lists(d);
            if key == api::LOGIN && store.sv.role.get_untracked().supervises() {
                request(Request::watch_list());
            }
            // Re-read the open chat's newest page after a reconnect.
            if key == api::LOGIN {
                if let Some(gid) = store.open.get_untracked() {
                    history(&gid, 1);
                }
            }
        }
        api::PREFS => {
            if let Some(me) = data::<shared::agent::Me>(frame) {
                store.prefs_error.set(String::new());
                store.set_me(me);
            }
        }
        api::VISITOR_MESSAGE => {
            let Some(d) = data::<MessageData>(frame) else {
                return;
            };
            let gid = d.gid.clone();
            let visible = notify::page_visible();
            let is_open = store.open.get_untracked().as_deref() == Some(gid.as_str());
            let seen = is_open && visible;
            let text = media::preview(&d.message_info);
            store.visitor_typing(gid.clone(), false);
            if !store.message(d.message_info, !seen) {
                request(Request::chat_list());
            }
            if is_open {
                visit(&gid); // a chat started on a page adds it to the trace
            }
            if seen {
                mark_read(&gid);
            } else {
                let name = store
                    .guests
                    .with_untracked(|g| g.get(&gid).map(|e| e.uname.clone()))
                    .unwrap_or_default();
                notify::alert(&name, &text);
            }
        }
        api::SEND => {
            if let Some(d) = data::<MessageData>(frame) {
                store.message(d.message_info, false);
            }
        }
        api::HISTORY => {
            if let Some(d) = data::<shared::agent::HistoryData>(frame) {
                if store.open.get_untracked().as_deref() == Some(d.gid.as_str()) {
                    store.total.set(d.total);
                    store.pages.update(|p| *p = (*p).max(d.page_index));
                    store.merge(&d.gid, d.list);
                }
            }
        }
        api::TRANSFER_IN => {
            if let Some(d) = data::<TransferData>(frame) {
                let name = d.guest_info.uname.clone();
                store.transfer(d);
                notify::alert(&name, crate::i18n::t().handed_to_you);
            }
        }
        api::TRANSFER | api::TRANSFER_DONE => {
            if let Some(d) = data::<TransferData>(frame) {
                store.transfer(d);
            }
        }
        api::VISITOR_TYPING => {
            if let Some(d) = data::<TypingData>(frame) {
                store.visitor_typing(d.gid, d.status == 1);
            }
        }
        api::ONLINE_AGENTS => {
            if let Some(d) = data::<std::collections::BTreeMap<String, AdminEntry>>(frame) {
                store.agents.set(d);
            }
        }
        api::VISIT => {
            if let Some(d) = data::<shared::visit::VisitInfo>(frame) {
                if store.open.get_untracked().as_deref() == Some(d.gid.as_str()) {
                    store.visit.set(Some(d));
                }
            }
        }
        api::ON_SITE => {
            if let Some(d) = data::<Vec<shared::visit::OnSite>>(frame) {
                store.on_site.set(d);
            }
        }
        api::LEAVE_LIST => {
            if let Some(d) = data::<shared::leave::LeftList>(frame) {
                store.left.set(d);
            }
        }
        api::LEAVE_ANSWER | api::LEAVE_DONE => {
            store.notice.set(if key == api::LEAVE_ANSWER {
                crate::i18n::t().answer_sent.into()
            } else {
                crate::i18n::t().marked_done.into()
            });
            request(left_list());
        }
        api::INVITE => {
            store.notice.set(crate::i18n::t().invitation_sent.into());
        }
        api::SUSPEND => {
            store.suspended.update(|s| *s = !*s);
        }
        // A visitor was blocked (issue 25): off our lists at once.
        api::VISITOR_BLOCKED => {
            if let Some(d) = data::<shared::visit::VisitChanged>(frame) {
                store.guests.update(|g| {
                    g.remove(&d.gid);
                });
                if store.open.get_untracked().as_deref() == Some(d.gid.as_str()) {
                    store.close_chat();
                }
            }
        }
        api::END_CHAT => {
            if let Some(gid) = store.open.get_untracked() {
                store.guests.update(|g| {
                    g.remove(&gid);
                });
                store.close_chat();
            }
            request(Request::chat_list());
        }
        k if crate::workbench::handles(k) => crate::workbench::handle(store, k, frame),
        k if crate::supervise::handles(k) => crate::supervise::handle(store, k, frame),
        _ => {}
    }
}

/// The open left messages, newest first (`34000`): the console's "Left messages" list.
pub fn left_list() -> Request {
    Request::leave_list(Some(false), 1, 50)
}

pub fn history(gid: &str, page: u32) {
    request(Request::history(gid, page, PAGE_SIZE));
}

/// Asks for visitor `gid`'s visit (`32800`, extension): shown beside the conversation.
pub fn visit(gid: &str) {
    request(Request::visit(gid));
}

pub fn mark_read(gid: &str) {
    request(Request::mark_read(gid));
}
