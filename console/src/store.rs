//! Console state. All of it lives in signals that are `Copy`, created once by [`Store::new`].

use std::collections::BTreeMap;

use leptos::prelude::*;
use shared::agent::{AdminEntry, GuestEntry, ListData, MessageInfo, TransferData};

/// Messages per `32100` page.
pub const PAGE_SIZE: u32 = 20;

#[derive(Clone, Copy)]
pub struct Store {
    /// The console token; `None` shows the login form.
    pub token: RwSignal<Option<String>>,
    /// Shown on the login form (why we are there) or above the chat (a failed request).
    pub notice: RwSignal<String>,
    /// The socket is logged in (`31000` answered 200).
    pub online: RwSignal<bool>,
    /// Our connection id and `kf_id`.
    pub me_ix: RwSignal<String>,
    pub me_kf: RwSignal<String>,
    pub suspended: RwSignal<bool>,
    pub guests: RwSignal<BTreeMap<String, GuestEntry>>,
    pub agents: RwSignal<BTreeMap<String, AdminEntry>>,
    /// The open chat.
    pub open: RwSignal<Option<String>>,
    /// Its messages, by `seq`.
    pub messages: RwSignal<Vec<MessageInfo>>,
    /// Pages of history loaded so far and the total the server reported.
    pub pages: RwSignal<u32>,
    pub total: RwSignal<u64>,
    /// Visitors typing now (`32799`), by gid: when the indicator lapses (ms since the epoch).
    pub typing: RwSignal<BTreeMap<String, f64>>,
    /// The open chat's visit (`32800`): CRM/routing values and browse trace.
    pub visit: RwSignal<Option<shared::visit::VisitInfo>>,
    /// Visitors on the site now (`32810`).
    pub on_site: RwSignal<Vec<shared::visit::OnSite>>,
    /// The workbench (issue 25): search, notes, summaries, the conversation viewer.
    pub wb: crate::workbench::Wb,
    /// The site's open left messages and how many there are (`34000`, status 0).
    pub left: RwSignal<shared::leave::LeftList>,
    /// Our role, and for supervisors every chat of the site.
    pub sv: crate::supervise::Sv,
    /// The logged-in agent (`31000`/`32000`'s `me`, `32950`'s answer): role, language, zone.
    pub me: RwSignal<shared::agent::Me>,
    /// Why the server refused the language/zone settings (`-32951`'s message).
    pub prefs_error: RwSignal<String>,
    /// The language/zone form is open.
    pub prefs_open: RwSignal<bool>,
}

/// A visitor's typing indicator lapses this long after their last `32799 status 1` (they
/// repeat it every 2 s while typing).
pub const TYPING_LAPSE_MS: f64 = 6000.0;

impl Store {
    pub fn new(token: Option<String>) -> Self {
        Store {
            token: RwSignal::new(token),
            notice: RwSignal::new(String::new()),
            online: RwSignal::new(false),
            me_ix: RwSignal::new(String::new()),
            me_kf: RwSignal::new(String::new()),
            suspended: RwSignal::new(false),
            guests: RwSignal::new(BTreeMap::new()),
            agents: RwSignal::new(BTreeMap::new()),
            open: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            pages: RwSignal::new(0),
            total: RwSignal::new(0),
            typing: RwSignal::new(BTreeMap::new()),
            visit: RwSignal::new(None),
            on_site: RwSignal::new(Vec::new()),
            wb: crate::workbench::Wb::new(),
            left: RwSignal::new(shared::leave::LeftList {
                open: 0,
                items: Vec::new(),
            }),
            sv: crate::supervise::Sv::new(),
            me: RwSignal::new(shared::agent::Me::default()),
            prefs_error: RwSignal::new(String::new()),
            prefs_open: RwSignal::new(false),
        }
    }

    /// `31000`/`32000` data: replaces both lists.
    pub fn set_lists(&self, d: ListData) {
        if let Some(me) = &d.me {
            self.sv.role.set(me.role);
        }
        let me = d.admin_list.get(&d.ix).cloned();
        if let Some(me) = &me {
            self.me_kf.set(me.kf_id.clone());
            self.suspended.set(me.status == 2);
        }
        self.me_ix.set(d.ix);
        self.agents.set(d.admin_list);
        let open = self.open.get_untracked();
        self.guests.set(
            d.guest_list
                .into_values()
                .map(|mut g| {
                    if open.as_deref() == Some(g.gid.as_str()) {
                        g.unread = 0;
                    }
                    (g.gid.clone(), g)
                })
                .collect(),
        );
    }

    /// The agent as the server tells it: their language and zone apply at once (issue 25).
    pub fn set_me(&self, me: shared::agent::Me) {
        crate::i18n::apply(&me.locale, &me.tz);
        if self.me.with_untracked(|m| *m != me) {
            self.me.set(me);
        }
    }

    /// Adds messages of the open chat (history pages, live ones), each once, ordered by `seq`.
    pub fn merge(&self, gid: &str, list: Vec<MessageInfo>) {
        if self.open.get_untracked().as_deref() != Some(gid) {
            return;
        }
        self.messages.update(|m| {
            for info in list {
                if !m.iter().any(|x| x.id == info.id) {
                    m.push(info);
                }
            }
            m.sort_by_key(|x| x.seq);
        });
    }

    /// A visitor message (`32399`) or our own sent one: last message, unread, open chat.
    /// Returns false when the visitor is not in our lists yet.
    pub fn message(&self, info: MessageInfo, count_unread: bool) -> bool {
        let gid = info.gid.clone();
        let mut known = false;
        self.guests.update(|g| {
            if let Some(e) = g.get_mut(&gid) {
                known = true;
                if count_unread {
                    e.unread = e.unread.saturating_add(1);
                }
                e.last_msg = Some(info.clone());
            }
        });
        self.merge(&gid, vec![info]);
        known
    }

    /// `32401` (a chat handed to us), `32402`/`32400` (handed away): the entry as the server
    /// now sees it, and the recent messages.
    pub fn transfer(&self, d: TransferData) {
        let gid = d.gid.clone();
        let mine = d.guest_info.kf_id == self.me_kf.get_untracked();
        self.guests.update(|g| {
            g.insert(gid.clone(), d.guest_info.clone());
        });
        if mine {
            let mut recs = d.recs;
            recs.push(d.data);
            self.merge(&gid, recs);
        } else if self.open.get_untracked().as_deref() == Some(gid.as_str()) {
            self.close_chat();
        }
    }

    /// `32799`: `gid` started (`true`) or stopped typing. A start lapses by itself after
    /// [`TYPING_LAPSE_MS`].
    pub fn visitor_typing(&self, gid: String, on: bool) {
        if on {
            let until = js_sys::Date::now() + TYPING_LAPSE_MS;
            self.typing.update(|t| {
                t.insert(gid.clone(), until);
            });
            let typing = self.typing;
            set_timeout(
                move || {
                    let now = js_sys::Date::now();
                    typing.update(|t| t.retain(|_, until| *until > now));
                },
                std::time::Duration::from_millis(TYPING_LAPSE_MS as u64 + 50),
            );
        } else if self.typing.with_untracked(|t| t.contains_key(&gid)) {
            self.typing.update(|t| {
                t.remove(&gid);
            });
        }
    }

    pub fn close_chat(&self) {
        self.open.set(None);
        self.messages.set(Vec::new());
        self.pages.set(0);
        self.total.set(0);
        self.visit.set(None);
    }

    /// Sum of unread messages of our own chats (the tab title's count).
    pub fn unread_total(&self) -> u32 {
        let me = self.me_kf.get();
        self.guests.with(|g| {
            g.values()
                .filter(|e| !me.is_empty() && e.kf_id == me)
                .map(|e| e.unread)
                .sum()
        })
    }

    pub fn clear(&self) {
        self.online.set(false);
        self.guests.set(BTreeMap::new());
        self.agents.set(BTreeMap::new());
        self.typing.set(BTreeMap::new());
        self.sv.chats.set(BTreeMap::new());
        self.close_chat();
    }
}
