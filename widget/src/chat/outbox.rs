//! `localStorage` persistence, keyed per site: the outbox of unsent messages (SPEC §6) and the
//! server-minted visitor token. Every change is a read-modify-write of the stored list, so two
//! tabs of the same site do not erase each other's entries.
//!
//! Storage can be unusable: private modes, and above all a browser that blocks third-party
//! storage while this page runs in the launcher's iframe on another site (Chrome with
//! third-party cookies blocked throws `SecurityError` on `localStorage` *and*
//! `sessionStorage` there). [`persistent`] tells; then every function here is a no-op and:
//!
//! - **the visitor token** is kept by the launcher in the host page's first-party storage, if
//!   the page is embedded with a verified host origin (`conn` asks for it before the first
//!   `hello` and `host` hands over a new one after `welcome`, through `bridge`). So a reload, or
//!   closing the tab and coming back, still finds the conversation;
//! - **the outbox** lives in memory, and the launcher keeps it only *sealed* (AES-GCM under a
//!   key the server gives our origin alone; `host` and widget/box.js), so a reload before the
//!   server acked a message resends it and no host-page script reads the text (SPEC §4.1 lets
//!   the host page receive message contents only through the documented callbacks). The token
//!   crosses in the clear (which lets the host page's scripts resume this visitor's session,
//!   as any first-party credential would; they are the site's own). Where WebCrypto is missing
//!   (a chat frame in a page that is not a secure context) or the key could not be had before
//!   the server became unreachable, the outbox stays in memory only, as before.
//!
//! Without a verified host (a blocked link opened directly) both live in memory only.

use std::cell::Cell;

use shared::ids::{ClientMsgId, Sysnum};
use shared::visitor::MsgKind;
use wasm_bindgen::JsValue;
use web_sys::Storage;

use super::store::Pending;

thread_local! {
    /// The result of the probe in [`persistent`], taken once per page.
    static USABLE: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Whether this page can keep things across a reload: `localStorage` is reachable and a
/// write to it succeeds. Probed once.
pub fn persistent() -> bool {
    let probe = || {
        let s = web_sys::window()?.local_storage().ok()??;
        s.set_item("frontdesk.probe", "1").ok()?;
        s.remove_item("frontdesk.probe").ok()
    };
    USABLE.with(|u| {
        u.get().unwrap_or_else(|| {
            let ok = probe().is_some();
            u.set(Some(ok));
            ok
        })
    })
}

fn storage() -> Option<Storage> {
    if !persistent() {
        return None;
    }
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(what: &str, sysnum: &Sysnum) -> String {
    let mut k = String::from("frontdesk.");
    k.push_str(what);
    k.push('.');
    k.push_str(sysnum.as_str());
    k
}

/// The stored outbox; unreadable entries are dropped.
pub fn load(sysnum: &Sysnum) -> Vec<Pending> {
    storage()
        .and_then(|s| s.get_item(&key("outbox", sysnum)).ok().flatten())
        .map(|json| parse(&json))
        .unwrap_or_default()
}

/// An outbox from its JSON (as stored, or opened from the host page's sealed box: what
/// [`to_json`] wrote); nothing if unreadable, and entries without a valid `cmid`, `kind` or
/// `body` are dropped. Read with the browser's `JSON.parse` rather than `Pending`'s serde
/// derive, whose generated visitor cost the chat tier more (size budget); the shape is the
/// derive's (`kind` a number, `failed` optional).
#[inline(never)]
pub fn parse(json: &str) -> Vec<Pending> {
    let list = js_sys::JSON::parse(json).unwrap_or_default();
    if !js_sys::Array::is_array(&list) {
        return Vec::new();
    }
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|e| {
            let get = |k: &str| js_sys::Reflect::get(&e, &JsValue::from_str(k)).ok();
            Some(Pending {
                cmid: ClientMsgId::parse(&get("cmid")?.as_string()?).ok()?,
                kind: MsgKind::try_from(get("kind")?.as_f64()? as u8).ok()?,
                body: get("body")?.as_string()?,
                failed: get("failed").and_then(|f| f.as_bool()).unwrap_or(false),
            })
        })
        .collect()
}

/// An outbox as JSON (never inlined, like [`parse`]).
#[inline(never)]
pub fn to_json(list: &[Pending]) -> Option<String> {
    serde_json::to_string(list).ok()
}

/// Read-modify-write of the stored list. `f` is a `dyn`: one copy of this body serves
/// [`add`], [`remove`] and [`mark_failed`] (chat tier size).
fn update(sysnum: &Sysnum, f: &dyn Fn(&mut Vec<Pending>)) -> bool {
    let Some(s) = storage() else { return false };
    let mut list = load(sysnum);
    f(&mut list);
    let k = key("outbox", sysnum);
    let done = if list.is_empty() {
        s.remove_item(&k)
    } else {
        match to_json(&list) {
            Some(json) => s.set_item(&k, &json),
            None => return false,
        }
    };
    done.is_ok()
}

/// Stores a new entry; called before the message is first sent. `false` if it could only be
/// kept in memory.
pub fn add(sysnum: &Sysnum, p: &Pending) -> bool {
    update(sysnum, &|l| {
        if !l.iter().any(|x| x.cmid == p.cmid) {
            l.push(p.clone());
        }
    })
}

pub fn remove(sysnum: &Sysnum, cmid: &ClientMsgId) {
    update(sysnum, &|l| l.retain(|x| &x.cmid != cmid));
}

pub fn mark_failed(sysnum: &Sysnum, cmid: &ClientMsgId) {
    update(sysnum, &|l| {
        for x in l.iter_mut().filter(|x| &x.cmid == cmid) {
            x.failed = true;
        }
    });
}

/// The stored visitor token, unless it is bound to another host page than `host` (the
/// verified origin of the page embedding this chat; `None` for the chat link): a token is
/// bound to the host page it was first used on (`frontdesk.host.<sysnum>`, written by this
/// page and the notifier frame), so a page of another origin that frames us or the notifier
/// — where the browser shares our storage between sites — never uses the visitor's token
/// (issue 22).
pub fn token(sysnum: &Sysnum, host: Option<&str>) -> Option<String> {
    let s = storage()?;
    let bound = s.get_item(&key("host", sysnum)).ok().flatten();
    if matches!((host, bound.as_deref()), (Some(h), Some(b)) if h != b) {
        return None;
    }
    s.get_item(&key("token", sysnum)).ok().flatten()
}

/// Stores the visitor token, bound to `host` when embedded (see [`token`]); nothing when
/// the stored one is bound to another host page (a page of another origin cannot replace the
/// visitor's token).
pub fn set_token(sysnum: &Sysnum, token: &str, host: Option<&str>) {
    let Some(s) = storage() else { return };
    let bound = s.get_item(&key("host", sysnum)).ok().flatten();
    if matches!((host, bound.as_deref()), (Some(h), Some(b)) if h != b) {
        return;
    }
    let _ = s.set_item(&key("token", sysnum), token);
    if let Some(h) = host {
        let _ = s.set_item(&key("host", sysnum), h);
    }
}

/// A fresh client message id: 16 random bytes from `crypto.getRandomValues` as 32 hex digits
/// (falls back to `Math.random` where there is no Web Crypto).
pub fn new_cmid() -> ClientMsgId {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .and_then(|c| c.get_random_values_with_u8_array(&mut bytes).ok())
        .is_some();
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    ClientMsgId::parse(&s).expect("32 hex digits are a valid cmid")
}
