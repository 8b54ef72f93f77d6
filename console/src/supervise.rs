//! Roles in the console (issue 25, item 10). A supervisor (or admin) sees every chat of the
//! site in "All chats" (`32840`, kept live by `32841`), opens any of them in the chat pane —
//! reading does not mark it read for the agent who serves it — writes in it (an ordinary
//! `32300`: the serving agent keeps the chat and sees the message) or takes it (`32842`).
//! Also the agent's invitation to rate (`32620`) and an admin's link to the admin view, which
//! signs in with the agent's own console token. Visitor text is only ever text nodes.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;
use shared::agent::{api, Envelope, MessageData, Request, Role, WatchList, Watched};

use crate::i18n::{place, t};
use crate::store::Store;
use crate::{conn, media};

/// The supervisor's state (signals, `Copy`), part of [`Store`].
#[derive(Clone, Copy)]
pub struct Sv {
    /// Our role (`31000`/`32000`'s `me`).
    pub role: RwSignal<Role>,
    /// Every chat of the site, by gid (supervisors and admins only).
    pub chats: RwSignal<BTreeMap<String, Watched>>,
}

impl Sv {
    pub fn new() -> Self {
        Sv {
            role: RwSignal::new(Role::Agent),
            chats: RwSignal::new(BTreeMap::new()),
        }
    }

    pub fn supervises(&self) -> bool {
        self.role.get().supervises()
    }
}

impl Default for Sv {
    fn default() -> Self {
        Sv::new()
    }
}

/// Whether `key` is one of this module's answers or pushes.
pub fn handles(key: i64) -> bool {
    matches!(
        key,
        api::WATCH_LIST | api::WATCH_MESSAGE | api::TAKE | api::ASK_RATING
    )
}

fn data<T: serde::de::DeserializeOwned>(frame: Value) -> Option<T> {
    serde_json::from_value::<Envelope<T>>(frame)
        .ok()
        .map(|e| e.data)
}

/// A successful answer or push of [`handles`]' keys.
pub fn handle(store: Store, key: i64, frame: Value) {
    match key {
        api::WATCH_LIST => {
            if let Some(d) = data::<WatchList>(frame) {
                store.sv.chats.set(
                    d.chats
                        .into_iter()
                        .map(|w| (w.guest.gid.clone(), w))
                        .collect(),
                );
            }
        }
        api::WATCH_MESSAGE => {
            let Some(d) = data::<MessageData>(frame) else {
                return;
            };
            let known = store.sv.chats.with_untracked(|c| c.contains_key(&d.gid));
            store.sv.chats.update(|c| {
                if let Some(w) = c.get_mut(&d.gid) {
                    w.guest.last_msg = Some(d.message_info.clone());
                }
            });
            // Our own chats have their messages from 32399/32300; a watched one only here.
            if !is_ours(store, &d.gid) {
                store.merge(&d.gid, vec![d.message_info]);
            }
            if !known {
                conn::request(Request::watch_list());
            }
        }
        api::TAKE => {
            if let Some(w) = data::<Watched>(frame) {
                let gid = w.guest.gid.clone();
                store.guests.update(|g| {
                    g.insert(gid.clone(), w.guest.clone());
                });
                store.sv.chats.update(|c| {
                    c.insert(gid.clone(), w);
                });
                store.notice.set(t().taken.into());
                conn::mark_read(&gid);
            }
        }
        api::ASK_RATING => {
            if let Some(d) = data::<MessageData>(frame) {
                store.message(d.message_info, false);
                store.notice.set(t().rating_asked.into());
            }
        }
        _ => {}
    }
}

/// Whether we serve `gid` (or they wait in our lists).
fn is_ours(store: Store, gid: &str) -> bool {
    store.guests.with_untracked(|g| g.contains_key(gid))
}

/// Opens a chat of "All chats" in the chat pane, without marking it read.
fn open_watched(store: Store, gid: String) {
    crate::view::show_chat(store, &gid);
}

/// The guest entry of the open chat when it is one we only watch.
pub fn watched_guest(store: Store, gid: &str) -> Option<shared::agent::GuestEntry> {
    store.sv.chats.with(|c| c.get(gid).map(|w| w.guest.clone()))
}

/// "All chats" in the side bar, for supervisors and admins: every chat of the site, with who
/// serves it (or "waiting").
#[component]
pub fn AllChats(store: Store) -> impl IntoView {
    let chats = move || {
        let mut v: Vec<Watched> = store.sv.chats.with(|c| c.values().cloned().collect());
        v.sort_by_key(|w| std::cmp::Reverse(w.guest.last_msg.as_ref().map_or(0, |m| m.ts)));
        v
    };
    view! {
        <Show when=move || store.sv.supervises()>
            <h2 id="c-h-all">{t().all_chats}</h2>
            <button type="button" class="c-btn" data-testid="fd-c-all-refresh"
                disabled=move || !store.online.get()
                on:click=move |_| conn::request(Request::watch_list())>{t().refresh}</button>
            <ul data-testid="fd-c-all" aria-labelledby="c-h-all">
                <For each=chats
                    key=|w| (w.guest.gid.clone(), w.guest.kf_id.clone(),
                        w.guest.last_msg.as_ref().map(|m| m.id.clone()).unwrap_or_default())
                    children=move |w| {
                        let gid = w.guest.gid.clone();
                        let selected = {
                            let gid = gid.clone();
                            move || store.open.with(|o| o.as_deref() == Some(gid.as_str()))
                        };
                        let last = w.guest.last_msg.as_ref().map(media::preview).unwrap_or_default();
                        let name = crate::view::guest_name(&w.guest);
                        let who = if w.guest.kf_id.is_empty() {
                            t().all_waiting.to_owned()
                        } else {
                            place(&t().all_served_by, &w.kf_nick)
                        };
                        let item_gid = gid.clone();
                        view! {
                            <li data-testid="fd-c-all-chat" data-gid=item_gid>
                                <button type="button" class="c-item" class=("c-sel", selected)
                                    on:click=move |_| open_watched(store, gid.clone())>
                                    <span class="c-who">{name}
                                        <span class="c-last">{last}</span>
                                        <span class="c-muted" data-testid="fd-c-all-who">{who}</span>
                                    </span>
                                </button>
                            </li>
                        }
                    }/>
            </ul>
        </Show>
    }
}

/// In the chat pane's header: "Take" for a supervisor on a chat it does not serve, "Ask for a
/// rating" on one it serves.
#[component]
pub fn ChatActions(store: Store, gid: Signal<String>, mine: Signal<bool>) -> impl IntoView {
    view! {
        <Show when=move || !mine.get() && store.sv.supervises()>
            <button type="button" class="c-btn" data-testid="fd-c-take"
                on:click=move |_| conn::request(Request::take(&gid.get_untracked()))>{t().take}</button>
        </Show>
        <Show when=move || mine.get()>
            <button type="button" class="c-btn" data-testid="fd-c-ask-rating"
                on:click=move |_| conn::request(Request::ask_rating(&gid.get_untracked()))>{t().ask_rating}</button>
        </Show>
    }
}

/// An admin's link to the admin view (signed in there with this console's token).
#[component]
pub fn AdminLink(store: Store) -> impl IntoView {
    view! {
        <Show when=move || store.sv.role.get() == Role::Admin>
            <a class="c-btn" href="?admin" data-testid="fd-c-site-admin">{t().site_admin}</a>
        </Show>
    }
}
