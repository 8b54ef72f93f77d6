//! What the host page keeps for this chat page when the page's own storage is unusable but
//! it is embedded with a verified host origin (see [`super::outbox`] for when and why): the
//! visitor token, through the launcher's `fd_store` messages ([`super::bridge`]), and the
//! outbox, only sealed.
//!
//! The first `hello` waits for the launcher's answer about the token (the shell's
//! `HOST_TOKEN_WAIT`), and each `welcome` with a token the host does not hold yet hands it
//! over ([`HostStore::share_token`]). A page with working storage never makes that round
//! trip.
//!
//! The unsent messages: `box.js` (the lazy tier, through `fdBox` in widget/index.html)
//! encrypts the outbox with AES-GCM under a key only our origin gets from the server
//! (`POST /api/visitor/box-key`) and posts the ciphertext to the launcher after every change
//! ([`HostStore::save`]). The key is fetched when the visitor first types
//! ([`HostStore::prefetch`]), so a message sent while the server is unreachable is still
//! sealed. The launcher's answer to the token question carries the box; it is opened once
//! the session is `synced` (the key needs the server) and its entries join the outbox and are
//! sent with their original `cmid` ([`super::session::ChatState::unboxed`]), so a message
//! the server already had is stored once. Until it is opened nothing is sealed over it.

use shared::ids::Sysnum;
use wasm_bindgen::prelude::*;

use super::session::ChatState;
use super::store::Pending;
use super::{bridge, outbox};

// `fdBox(version, op, a, b, c, d)` is defined by an inline script in widget/index.html: it
// imports `extras/box.js?v=…` once and runs `op(a, b, c, d)` (a failure is one console
// warning). Ops: `prefetch(sysnum, token)`, `save(sysnum, token, json, host)`, and
// `open(sysnum, token, box)`, whose result goes to [`super::conn::box_opened`] (the chat
// binary's export `fd_box_opened`).
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

/// What the host page holds for us, as far as we know.
pub struct HostStore {
    /// The verified host origin: the only target of the token messages.
    host: String,
    /// The launcher answered our `get`. Until then nothing is handed over: a launcher that
    /// never answers (an old one, or a busy host page) must not have its token overwritten.
    answered: bool,
    /// The token the host holds as far as we know; a `set` is posted only when ours differs.
    held: Option<String>,
    /// The sealed outbox the launcher answered with, until it is opened (after `synced`).
    sealed: Option<String>,
    /// `box.js` is opening [`HostStore::sealed`]: nothing is sealed over it meanwhile.
    opening: bool,
    /// The host holds a box (so an empty outbox must be posted to remove it).
    boxed: bool,
    /// The key was asked for (on the first keystroke with a token).
    prefetched: bool,
}

impl HostStore {
    /// Nothing known yet about what the host page at `host` (already asked) holds.
    pub fn new(host: String) -> Self {
        HostStore {
            host,
            answered: false,
            held: None,
            sealed: None,
            opening: false,
            boxed: false,
            prefetched: false,
        }
    }

    /// Records the launcher's answer; `false` for any but the first, which alone counts.
    pub fn answer(&mut self, token: &Option<String>, sealed: Option<String>) -> bool {
        if self.answered {
            return false;
        }
        self.answered = true;
        self.held = token.clone();
        self.boxed = sealed.is_some();
        self.sealed = sealed;
        true
    }

    /// Gives the launcher our token if it does not hold it yet (and it has answered at all).
    pub fn share_token(&mut self, sysnum: &Sysnum, s: &ChatState) {
        let Some(token) = &s.token else { return };
        if self.answered && self.held.as_ref() != Some(token) {
            bridge::post_token(&self.host, token);
            self.held = Some(token.clone());
            // A box sealed for the old token could not be opened with the new one.
            self.save(sysnum, s);
        }
    }

    /// Seals the outbox for the host page: only once it answered, with a token, and with no
    /// box still to be opened. An empty outbox (`[]`) removes the box.
    #[inline(never)]
    pub fn save(&mut self, sysnum: &Sysnum, s: &ChatState) {
        let Some(token) = &s.token else { return };
        if !self.answered || self.sealed.is_some() || self.opening {
            return;
        }
        if s.outbox.is_empty() && !self.boxed {
            return;
        }
        self.boxed = !s.outbox.is_empty();
        let json = outbox::to_json(&s.outbox).unwrap_or_default();
        fd_box(BOX_V, "save", sysnum.as_str(), token, &json, &self.host);
    }

    /// Opens the box the launcher kept (after `synced`); [`HostStore::opened`] takes the
    /// result.
    #[inline(never)]
    pub fn open(&mut self, sysnum: &Sysnum, s: &ChatState) {
        let Some(token) = &s.token else { return };
        let Some(sealed) = self.sealed.as_deref().filter(|_| !self.opening) else {
            return;
        };
        fd_box(BOX_V, "open", sysnum.as_str(), token, sealed, "");
        self.opening = true;
    }

    /// What `box.js` made of the box: the outbox JSON (its entries are returned, to join the
    /// outbox), `""` for a box this visitor's key does not open (dropped: no entries), or
    /// `None` when the key could not be had (`None` here; tried again at the next `synced`).
    pub fn opened(&mut self, json: Option<String>) -> Option<Vec<Pending>> {
        self.opening = false;
        let json = json?;
        self.sealed = None;
        Some(outbox::parse(&json))
    }

    /// Asks `box.js` for the key ahead of the first save (on the visitor's first keystroke),
    /// so a message written while the server is unreachable can still be sealed.
    pub fn prefetch(&mut self, sysnum: &Sysnum, s: &ChatState) {
        let Some(token) = &s.token else { return };
        if !self.prefetched {
            self.prefetched = true;
            fd_box(BOX_V, "prefetch", sysnum.as_str(), token, "", "");
        }
    }
}
