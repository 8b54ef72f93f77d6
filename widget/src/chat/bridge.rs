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
    /// The `message` listener, kept for the page's lifetime.
    static ON_MESSAGE: RefCell<Option<Listener>> = const { RefCell::new(None) };
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

/// Tells the launcher (and the site's own listener, seed-style) that the visitor collapsed the
/// window.
pub fn post_collapse(host: &str) {
    let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
        return;
    };
    let _ = parent.post_message(&JsValue::from_str(wire::COLLAPSE), host);
}

/// Calls `on_expand` whenever the launcher reports that the window was expanded.
pub fn listen_expand(host: String, on_expand: impl Fn() + 'static) -> Option<()> {
    let win = web_sys::window()?;
    let parent: JsValue = win.parent().ok()??.into();
    let cb = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let from_parent = ev.source().map(JsValue::from).as_ref() == Some(&parent);
        if from_parent
            && ev.origin() == host
            && ev.data().as_string().as_deref() == Some(wire::EXPAND)
        {
            on_expand();
        }
    });
    win.add_event_listener_with_callback("message", cb.as_ref().unchecked_ref())
        .ok()?;
    ON_MESSAGE.with(|m| *m.borrow_mut() = Some(cb));
    Some(())
}
