//! `localStorage` persistence, keyed per site: the outbox of unsent messages (SPEC §6) and the
//! server-minted visitor token. Every change is a read-modify-write of the stored list, so two
//! tabs of the same site do not erase each other's entries. Storage can be unavailable
//! (private mode, blocked third-party storage): then everything works in memory for this page
//! only.

use shared::ids::{ClientMsgId, Sysnum};
use web_sys::Storage;

use super::store::Pending;

fn storage() -> Option<Storage> {
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
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn update(sysnum: &Sysnum, f: impl FnOnce(&mut Vec<Pending>)) -> bool {
    let Some(s) = storage() else { return false };
    let mut list = load(sysnum);
    f(&mut list);
    let k = key("outbox", sysnum);
    let done = if list.is_empty() {
        s.remove_item(&k)
    } else {
        match serde_json::to_string(&list) {
            Ok(json) => s.set_item(&k, &json),
            Err(_) => return false,
        }
    };
    done.is_ok()
}

/// Stores a new entry; called before the message is first sent. `false` if it could only be
/// kept in memory.
pub fn add(sysnum: &Sysnum, p: &Pending) -> bool {
    update(sysnum, |l| {
        if !l.iter().any(|x| x.cmid == p.cmid) {
            l.push(p.clone());
        }
    })
}

pub fn remove(sysnum: &Sysnum, cmid: &ClientMsgId) {
    update(sysnum, |l| l.retain(|x| &x.cmid != cmid));
}

pub fn mark_failed(sysnum: &Sysnum, cmid: &ClientMsgId) {
    update(sysnum, |l| {
        for x in l.iter_mut().filter(|x| &x.cmid == cmid) {
            x.failed = true;
        }
    });
}

pub fn token(sysnum: &Sysnum) -> Option<String> {
    storage()?.get_item(&key("token", sysnum)).ok().flatten()
}

pub fn set_token(sysnum: &Sysnum, token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(&key("token", sysnum), token);
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
