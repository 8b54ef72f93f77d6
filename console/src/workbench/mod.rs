//! The agent's workbench in the console (issue 25): search over the site's conversations,
//! private notes on the open chat, the summary asked for when a chat ends, and a read-only
//! viewer for any conversation of the site. Speaks only the `shared::agent` requests
//! (`Request::search`, `Request::note`, …); every string from the server is a text node (the
//! search's marked runs are `<mark>` elements holding text).
//!
//! - [`search`]: the search box and its hits (paged).
//! - [`notes`]: the open chat's notes and the form that adds one.
//! - [`end`]: "End chat" with its summary form (the site's categories, required or not).
//! - [`viewer`]: one conversation, read only: messages with the notes between them.
//! - [`canned`]: canned replies: `/shortcut` in the reply box, the panel of them.
//! - [`customer`]: the customer beside the chat: who, from where, their pages and their
//!   earlier conversations.

pub mod canned;
pub mod customer;
pub mod end;
pub mod notes;
pub mod search;
pub mod viewer;

use leptos::prelude::*;
use serde_json::Value;
use shared::agent::{api, Envelope};
use shared::workbench::{
    Canned, ConversationData, ConversationList, Note, NotesData, SearchData, SummaryRules,
};

use crate::store::Store;

/// The workbench's state (signals, `Copy`), part of [`Store`].
#[derive(Clone, Copy)]
pub struct Wb {
    /// The last search's answer.
    pub results: RwSignal<Option<SearchData>>,
    /// The query it was for.
    pub query: RwSignal<String>,
    /// The open chat's notes, oldest first.
    pub notes: RwSignal<Vec<Note>>,
    /// The site's summary rules, once asked.
    pub rules: RwSignal<Option<SummaryRules>>,
    /// The conversation shown read-only, if any.
    pub viewing: RwSignal<Option<ConversationData>>,
    /// Why the last workbench request was refused (shown where it was made).
    pub error: RwSignal<String>,
    /// The canned replies this agent may use, by shortcut.
    pub canned: RwSignal<Vec<Canned>>,
    /// Those matching the `/shortcut` being typed, and which one is picked.
    pub suggest: RwSignal<Vec<Canned>>,
    pub pick: RwSignal<usize>,
    /// The open chat's earlier conversations (`32831`).
    pub earlier: RwSignal<Option<ConversationList>>,
}

impl Wb {
    pub fn new() -> Self {
        Wb {
            results: RwSignal::new(None),
            query: RwSignal::new(String::new()),
            notes: RwSignal::new(Vec::new()),
            rules: RwSignal::new(None),
            viewing: RwSignal::new(None),
            error: RwSignal::new(String::new()),
            canned: RwSignal::new(Vec::new()),
            suggest: RwSignal::new(Vec::new()),
            pick: RwSignal::new(0),
            earlier: RwSignal::new(None),
        }
    }
}

impl Default for Wb {
    fn default() -> Self {
        Wb::new()
    }
}

/// Whether `key` is one of the workbench's answers.
pub fn handles(key: i64) -> bool {
    matches!(
        key,
        api::SEARCH
            | api::NOTE
            | api::NOTES
            | api::CONVERSATION
            | api::END_RULES
            | api::CANNED_LIST
            | api::CANNED_ADD
            | api::CANNED_DELETE
            | api::CONVERSATIONS
            | api::VISIT_CHANGED
    )
}

fn data<T: serde::de::DeserializeOwned>(frame: Value) -> Option<T> {
    serde_json::from_value::<Envelope<T>>(frame)
        .ok()
        .map(|e| e.data)
}

/// A successful answer to one of the workbench's requests.
pub fn handle(store: Store, key: i64, frame: Value) {
    let wb = store.wb;
    wb.error.set(String::new());
    match key {
        api::SEARCH => {
            if let Some(d) = data::<SearchData>(frame) {
                wb.results.set(Some(d));
            }
        }
        api::NOTE => {
            if let Some(n) = data::<Note>(frame) {
                if store.open.get_untracked().as_deref() == Some(n.gid.as_str()) {
                    wb.notes.update(|l| l.push(n));
                }
            }
        }
        api::NOTES => {
            if let Some(d) = data::<NotesData>(frame) {
                if store.open.get_untracked().as_deref() == Some(d.gid.as_str()) {
                    wb.notes.set(d.notes);
                }
            }
        }
        api::CONVERSATION => {
            if let Some(d) = data::<ConversationData>(frame) {
                wb.viewing.set(Some(d));
            }
        }
        api::END_RULES => {
            if let Some(r) = data::<SummaryRules>(frame) {
                wb.rules.set(Some(r));
            }
        }
        api::CANNED_LIST => {
            if let Some(l) = data::<Vec<Canned>>(frame) {
                wb.canned.set(l);
            }
        }
        api::CANNED_ADD => {
            if let Some(c) = data::<Canned>(frame) {
                wb.canned.update(|l| {
                    l.retain(|x| x.id != c.id);
                    l.push(c);
                    l.sort_by(|a, b| a.shortcut.cmp(&b.shortcut));
                });
            }
        }
        api::CANNED_DELETE => crate::conn::request(shared::agent::Request::canned_list()),
        api::CONVERSATIONS => {
            if let Some(l) = data::<ConversationList>(frame) {
                if store.open.get_untracked().as_deref() == Some(l.gid.as_str()) {
                    wb.earlier.set(Some(l));
                }
            }
        }
        // The open chat's page reported new values or another page: read the visit again.
        api::VISIT_CHANGED => {
            if let Some(c) = data::<shared::visit::VisitChanged>(frame) {
                if store.open.get_untracked().as_deref() == Some(c.gid.as_str()) {
                    crate::conn::visit(&c.gid);
                }
            }
        }
        _ => {}
    }
}

/// A refused workbench request (or `32600`, whose form is here): the reason is shown by the
/// form that sent it. Returns whether it was one of them.
pub fn failed(store: Store, key: i64, message: &str) -> bool {
    if handles(key) || key == api::END_CHAT {
        store.wb.error.set(message.to_owned());
        true
    } else {
        false
    }
}

/// `ts` (ms since the epoch) in the agent's time zone and language ([`crate::i18n::when`]).
pub fn when(ts: i64) -> String {
    crate::i18n::when(ts)
}
