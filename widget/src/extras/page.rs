//! The lazy tier's view of the page and of the conversation: what the page's query asks for
//! from the start ([`page`], called once by the chat page when `fdX` in widget/index.html
//! found such a parameter), and the server frames it follows from then on ([`frame`]: the
//! chat page hands each one over as it came, and the ones before the tier loaded in order),
//! so that what it shows can depend on the conversation (an agent answered, the chat ended).
//!
//! The query is the chat page's own (`location.search`): the launcher passes every
//! `zc("config")` value there, a chat link writes them itself.

use std::cell::RefCell;

use js_sys::{Reflect, JSON};
use shared::config::Locale;
use wasm_bindgen::JsValue;
use web_sys::UrlSearchParams;

use super::card;

/// The page's query parameter `k`, trimmed; `None` when absent or blank.
pub fn query(k: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let v = UrlSearchParams::new_with_str(&search).ok()?.get(k)?;
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Whether the page turns seed 003 switch `k` on (`1` or `true`).
pub fn on(k: &str) -> bool {
    matches!(query(k).as_deref(), Some("1" | "true"))
}

/// The page's `locale` (default `cn`).
pub fn locale() -> Locale {
    query("locale")
        .and_then(|l| Locale::parse(&l))
        .unwrap_or_default()
}

/// What the tier knows of the conversation from the frames it saw.
#[derive(Default)]
pub struct Conversation {
    /// An agent wrote since the chat (re)started: the visitor is served by a person.
    pub answered: bool,
    /// The last chat was ended (the system line `shared::visitor::CHAT_ENDED`) and no agent
    /// wrote since.
    pub ended: bool,
    /// The serving agent asked for a rating in this chat (the system line
    /// `shared::visitor::RATE_INVITE`, `32620`).
    pub invited: bool,
    /// ... and that line arrived live (after `synced`), not in a replay: open the panel.
    pub invited_now: bool,
    /// The replay of the conversation is over: later messages are live.
    pub synced: bool,
    /// The session's visitor token (its `welcome`), wherever the chat page keeps it (its
    /// storage, or the host page's): requests on the visitor's behalf (leave a message).
    pub token: Option<String>,
}

thread_local! {
    static STARTED: RefCell<bool> = const { RefCell::new(false) };
    static CONV: RefCell<Conversation> = RefCell::new(Conversation::default());
}

/// Whether an invitation to rate just arrived live (once: it is taken).
pub fn take_invitation() -> bool {
    CONV.with(|c| std::mem::take(&mut c.borrow_mut().invited_now))
}

/// Reads the conversation as the tier knows it.
pub fn conversation<R>(f: impl FnOnce(&Conversation) -> R) -> R {
    CONV.with(|c| f(&c.borrow()))
}

/// Shows what the page's query asks for (once).
pub fn page() {
    if STARTED.with(|s| s.replace(true)) {
        return;
    }
    card::show();
    #[cfg(feature = "json")]
    if super::leave::button_on() {
        super::leave::bar_button();
    }
}

/// A string field of a frame.
fn field(frame: &JsValue, k: &str) -> Option<String> {
    Reflect::get(frame, &JsValue::from_str(k)).ok()?.as_string()
}

/// One server frame as the chat page received it (its JSON).
pub fn frame(json: &str) {
    let Ok(f) = JSON::parse(json) else { return };
    match field(&f, "type").as_deref() {
        Some("msg") => {}
        Some("welcome") => {
            let token = field(&f, "token");
            CONV.with(|c| c.borrow_mut().token = token);
            return;
        }
        Some("synced") => {
            CONV.with(|c| c.borrow_mut().synced = true);
            #[cfg(feature = "json")]
            super::face::follow(None);
            return;
        }
        _ => return,
    }
    let from = field(&f, "from");
    let body = field(&f, "body").unwrap_or_default();
    CONV.with(|c| {
        let mut c = c.borrow_mut();
        match from.as_deref() {
            Some("agent") => {
                c.answered = true;
                c.ended = false;
            }
            Some("system") if body == shared::visitor::CHAT_ENDED => {
                c.answered = false;
                c.ended = true;
                c.invited = false;
            }
            Some("system") if body == shared::visitor::RATE_INVITE => {
                c.invited = true;
                c.invited_now = c.synced;
            }
            _ => {}
        }
    });
    #[cfg(feature = "json")]
    {
        let nick = (from.as_deref() == Some("agent"))
            .then(|| field(&f, "nick"))
            .flatten();
        super::face::follow(nick.as_deref());
        super::rate::follow();
        super::upload::follow();
        super::leave::follow_end(conversation(|c| c.ended));
    }
}
