//! The chat page's side of the iframe boundary. Posts go only to the verified host origin
//! (never `"*"`) and are JSON strings ([`crate::wire`]); incoming messages are accepted only
//! from that origin *and* from `window.parent`.

use std::cell::RefCell;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DomStringList, MessageEvent, Url};

use super::params::Params;
use crate::wire;

type Listener = Closure<dyn FnMut(MessageEvent)>;

thread_local! {
    /// The `message` listeners, kept for the page's lifetime.
    static ON_MESSAGE: RefCell<Vec<Listener>> = const { RefCell::new(Vec::new()) };
}

fn parent() -> Option<web_sys::Window> {
    web_sys::window()?.parent().ok()?
}

/// The origin to talk to, if any: `host` must be a bare origin, and where the browser tells us
/// our ancestors (`location.ancestorOrigins`, Chromium/WebKit) it must be our parent's.
pub fn host_origin(params: &Params) -> Option<String> {
    if !params.embed {
        return None;
    }
    let host = params.host.as_deref()?;
    if Url::new(host).ok()?.origin() != host {
        return None;
    }
    let win = web_sys::window()?;
    let ancestors = Reflect::get(&win.location(), &"ancestorOrigins".into()).ok()?;
    if !ancestors.is_undefined() && !ancestors.is_null() {
        let list: DomStringList = ancestors.unchecked_into();
        if list.item(0).as_deref() != Some(host) {
            return None;
        }
    }
    Some(host.to_owned())
}

/// Posts a JSON string to the host page, to exactly `host`.
fn post(host: &str, msg: &str) -> Option<()> {
    parent()?.post_message(&JsValue::from_str(msg), host).ok()
}

/// Calls `f` with the data of every string message from `host` *and* `window.parent`.
fn listen(host: String, f: impl Fn(&str) + 'static) -> Option<()> {
    let win = web_sys::window()?;
    let parent: JsValue = parent()?.into();
    let cb = Listener::new(move |ev: MessageEvent| {
        let from_parent = ev.source().map(JsValue::from).as_ref() == Some(&parent);
        if from_parent && ev.origin() == host {
            if let Some(data) = ev.data().as_string() {
                f(&data);
            }
        }
    });
    win.add_event_listener_with_callback("message", cb.as_ref().unchecked_ref())
        .ok()?;
    ON_MESSAGE.with(|m| m.borrow_mut().push(cb));
    Some(())
}

/// Tells the launcher (and the site's own listener, seed-style) that the visitor collapsed the
/// window.
pub fn post_collapse(host: &str) {
    post(host, wire::COLLAPSE);
}

/// Calls `on_expand` whenever the launcher reports that the window was expanded.
pub fn listen_expand(host: String, on_expand: impl Fn() + 'static) -> Option<()> {
    listen(host, move |data| {
        if data == wire::EXPAND {
            on_expand();
        }
    })
}

/// Asks the launcher for the visitor token it keeps for us ([`wire::STORE_GET`]); every
/// answer calls `on_answer` with the token, or `None` for `null` or anything that is not a
/// valid token, and the sealed outbox it keeps, if any ([`wire::is_box`]). `None` here if the
/// question could not be posted (no parent).
///
/// Only for a page whose own storage is unusable: see [`super::outbox`] for why only the token
/// and sealed messages cross, never readable ones.
pub fn ask_token(
    host: String,
    on_answer: impl Fn(Option<String>, Option<String>) + 'static,
) -> Option<()> {
    let to = host.clone();
    listen(host, move |data| {
        let Ok(msg) = js_sys::JSON::parse(data) else {
            return;
        };
        let field = |v: &JsValue, k: &str| Reflect::get(v, &JsValue::from_str(k)).ok();
        if field(&msg, "name").and_then(|n| n.as_string()).as_deref() != Some(wire::STORE_NAME) {
            return;
        }
        let Some(data) = field(&msg, "data").filter(JsValue::is_object) else {
            return;
        };
        // An answer carries `token` (a string or null); our own `op` shapes are not answers.
        let Some(token) = field(&data, "token").filter(|t| !t.is_undefined()) else {
            return;
        };
        let sealed = field(&data, "box").and_then(|b| b.as_string());
        on_answer(
            token.as_string().filter(|t| wire::is_token(t)),
            sealed.filter(|b| wire::is_box(b)),
        );
    })?;
    post(&to, wire::STORE_GET)
}

/// Hands the (new) visitor token to the launcher to keep; nothing is posted unless it has the
/// server's token shape.
pub fn post_token(host: &str, token: &str) {
    if wire::is_token(token) {
        post(host, &wire::store_set(token));
    }
}
