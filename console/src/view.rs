//! The console's components. Visitor-supplied strings (uname, partnerid, message text) are
//! only ever text nodes or attribute values; nothing is parsed as HTML.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::{Direction, GuestEntry, MessageInfo, Request};
use shared::visitor::MsgKind;

use crate::compose::{Attach, CardForm, Typing};
use crate::i18n::{self, place, t};
use crate::store::Store;
use crate::{conn, http, media, notify};

#[component]
pub fn App() -> impl IntoView {
    i18n::set_html_lang();
    if crate::admin::wanted() {
        // Re-rendered when the language or zone changes.
        return (move || {
            i18n::locale().track();
            i18n::tz().track();
            view! { <crate::admin::AdminView/> }
        })
        .into_any();
    }
    let store = Store::new(None);
    // Opened under a host name the agent socket refuses: say so instead of reconnecting
    // for ever. A saved session resumes once the origin is known to be fine.
    let wrong_origin = RwSignal::new(None::<(String, String)>);
    leptos::task::spawn_local(async move {
        match http::wrong_origin().await {
            Some(w) => wrong_origin.set(Some(w)),
            None => {
                if let Some(t) = conn::saved_token() {
                    conn::start(store, t);
                }
            }
        }
    });
    // The tab title counts unread messages of our own chats.
    Effect::new(move |_| notify::set_title(store.unread_total()));
    // A tapped notification (`webpush`): its chat opens once the agent's lists have it.
    let wanted = RwSignal::new(crate::webpush::wanted_chat());
    crate::webpush::on_open_chat(move |gid| wanted.set(Some(gid)));
    Effect::new(move |_| {
        let Some(gid) = wanted.get() else { return };
        if store.guests.with(|g| g.contains_key(&gid)) {
            wanted.set(None);
            show_chat(store, &gid);
        }
    });
    view! {
        <Show when=move || wrong_origin.with(Option::is_none)
            fallback=move || view! { <WrongOrigin wrong_origin/> }>
            <Show when=move || store.token.with(Option::is_some)
                fallback=move || view! { <Login store/> }>
                // The agent's language or zone changed (theirs on login, or the settings):
                // the whole view is rendered again in it; the state is in `store`.
                {move || {
                    i18n::locale().track();
                    i18n::tz().track();
                    view! { <Console store/> }
                }}
            </Show>
        </Show>
    }
    .into_any()
}

/// The console is open under an origin the agent socket refuses.
#[component]
fn WrongOrigin(wrong_origin: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let (public, why) = wrong_origin.get_untracked().unwrap_or_default();
    let href = format!("{public}/console/");
    view! {
        <main>
            <div class="c-login" role="alert" data-testid="fd-c-wrong-origin">
                <h1>{t().wrong_origin}</h1>
                <p>{why}</p>
                <a class="c-btn c-pri" href=href.clone() data-testid="fd-c-right-origin">{place(&t().open_at, &href)}</a>
            </div>
        </main>
    }
}

#[component]
fn Login(store: Store) -> impl IntoView {
    let account: NodeRef<html::Input> = NodeRef::new();
    let password: NodeRef<html::Input> = NodeRef::new();
    let busy = RwSignal::new(false);
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        notify::on_user_gesture();
        let (Some(a), Some(p)) = (account.get_untracked(), password.get_untracked()) else {
            return;
        };
        let (a, p) = (a.value(), p.value());
        if a.trim().is_empty() || p.is_empty() {
            store.notice.set(t().login_empty.into());
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            match http::login(a.trim().to_owned(), p).await {
                Ok(token) => conn::start(store, token),
                Err(msg) => store.notice.set(msg),
            }
            busy.set(false);
        });
    };
    view! {
        <main>
            <form class="c-login" on:submit=submit aria-labelledby="c-login-h">
                <h1 id="c-login-h">{move || i18n::tracked().login_title}</h1>
                <label for="c-account">{move || i18n::tracked().account}</label>
                <input id="c-account" node_ref=account data-testid="fd-c-account" autocomplete="username" required/>
                <label for="c-password">{move || i18n::tracked().password}</label>
                <input id="c-password" node_ref=password type="password" data-testid="fd-c-password"
                    autocomplete="current-password" required/>
                <p class="c-err" role="alert" data-testid="fd-c-error">{move || store.notice.get()}</p>
                <button type="submit" class="c-btn c-pri" data-testid="fd-c-login" disabled=move || busy.get()>
                    {move || i18n::tracked().login}
                </button>
                <a href="?admin" data-testid="fd-c-admin-link">{move || i18n::tracked().admin_link}</a>
                <LangPick/>
            </form>
        </main>
    }
}

pub(crate) fn guest_name(g: &GuestEntry) -> String {
    if !g.uname.is_empty() {
        g.uname.clone()
    } else if !g.partnerid.is_empty() {
        g.partnerid.clone()
    } else {
        place(&t().visitor, &g.gid)
    }
}

/// Opens one of our chats: shown, and marked read.
fn open_chat(store: Store, gid: String) {
    if !show_chat(store, &gid) {
        return;
    }
    store.guests.update(|g| {
        if let Some(e) = g.get_mut(&gid) {
            e.unread = 0;
        }
    });
    conn::mark_read(&gid);
}

/// Shows chat `gid` in the chat pane (its newest messages and visit); false when it is the
/// open one already. Reading it marks nothing read (`supervise`: a colleague's chat).
pub(crate) fn show_chat(store: Store, gid: &str) -> bool {
    notify::on_user_gesture();
    if store.open.get_untracked().as_deref() == Some(gid) {
        return false;
    }
    store.close_chat();
    store.open.set(Some(gid.to_owned()));
    store.notice.set(String::new());
    conn::history(gid, 1);
    conn::visit(gid);
    true
}

/// Who is on the site now (`32810`, pages with `invite_flag`), each with an "Invite" button
/// (`32811`): the invitation appears on that visitor's page. Refreshed on demand.
#[component]
fn OnSiteList(store: Store) -> impl IntoView {
    let refresh = move |_| conn::request(Request::on_site());
    view! {
        <h2 id="c-h-site">{t().on_site}</h2>
        <button type="button" class="c-btn" data-testid="fd-c-onsite-refresh"
            disabled=move || !store.online.get() on:click=refresh>{t().refresh}</button>
        <ul data-testid="fd-c-onsite" aria-labelledby="c-h-site">
            <For each=move || store.on_site.get() key=|v| (v.vid.clone(), v.url.clone(), v.last)
                children=move |v| {
                    let vid = v.vid.clone();
                    let mins = place(&t().minutes, &((v.last - v.since).max(0) / 60_000).to_string());
                    view! {
                        <li class="c-agent" data-testid="fd-c-visitor-on-site" data-vid=v.vid.clone()>
                            {v.title.clone()} " "
                            <span class="c-muted">{v.url.clone()} " · " {mins}</span> " "
                            <button type="button" class="c-btn" data-testid="fd-c-invite"
                                on:click=move |_| conn::request(Request::invite(&vid, None))>
                                {t().invite}
                            </button>
                        </li>
                    }
                }/>
        </ul>
    }
}

/// The site's open left messages (`34000`, extension): each with what the visitor left, an
/// answer box (`34100`: said in the visitor's chat, which they see on their next visit) and
/// "Done" (`34200`). Visitor text as text.
#[component]
fn LeftMessages(store: Store) -> impl IntoView {
    view! {
        <h2 id="c-h-left">{t().left_title}" "
            <span class="c-muted" data-testid="fd-c-left-count">
                {move || place(&t().left_open, &store.left.with(|l| l.open).to_string())}
            </span>
        </h2>
        <ul data-testid="fd-c-left" aria-labelledby="c-h-left">
            <For each=move || store.left.get().items key=|m| (m.id, m.done)
                children=move |m| {
                    let id = m.id;
                    let answer: NodeRef<html::Textarea> = NodeRef::new();
                    let box_id = format!("c-left-{id}");
                    let who = if m.uname.is_empty() { place(&t().visitor, &m.gid) } else { m.uname.clone() };
                    let send = move |_| {
                        if let Some(t) = answer.get() {
                            let text = t.value();
                            if !text.trim().is_empty() {
                                conn::request(Request::leave_answer(id, &text));
                            }
                        }
                    };
                    view! {
                        <li class="c-agent c-left" data-testid="fd-c-left-item" data-id=id.to_string()>
                            <strong>{who}</strong>" "
                            <span class="c-muted">{m.partnerid.clone()}</span>" "
                            {i18n::time_view(m.created_at)}
                            <p class="c-left-text" data-testid="fd-c-left-content">{m.content.clone()}</p>
                            <ul>
                                {m.fields.iter().map(|f| view! {
                                    <li class="c-muted">{f.label.clone()}": "{f.value.clone()}</li>
                                }).collect_view()}
                            </ul>
                            <label for=box_id.clone()>{t().answer}</label>
                            <textarea id=box_id data-testid="fd-c-left-answer" node_ref=answer rows="2"></textarea>
                            <button type="button" class="c-btn" data-testid="fd-c-left-send" on:click=send>{t().send_answer}</button>" "
                            <button type="button" class="c-btn" data-testid="fd-c-left-done"
                                on:click=move |_| conn::request(Request::leave_done(id, true))>{t().done}</button>
                        </li>
                    }
                }/>
        </ul>
    }
}

/// One visitor in a list; the key includes what it shows, so changes re-render it.
fn guest_item(store: Store, g: GuestEntry) -> impl IntoView {
    let gid = g.gid.clone();
    let selected = {
        let gid = gid.clone();
        move || store.open.with(|o| o.as_deref() == Some(gid.as_str()))
    };
    let last = g.last_msg.as_ref().map(media::preview).unwrap_or_default();
    let unread = g.unread;
    let name = guest_name(&g);
    let item_gid = gid.clone();
    // The button's name is its visible text (name, last message, the badge's count) and
    // " unread" for screen readers after the count: a label of its own would hide what a
    // sighted speech user reads off it.
    view! {
        <li data-testid="fd-c-guest" data-gid=item_gid>
            <button type="button" class="c-item" class=("c-sel", selected)
                on:click=move |_| open_chat(store, gid.clone())>
                <span class="c-who">{name}<span class="c-last">{last}</span></span>
                {(unread > 0).then(|| view! {
                    <span class="c-badge" data-testid="fd-c-unread">{unread.to_string()}</span>
                    <span class="c-sr">" "{t().unread}</span>
                })}
            </button>
        </li>
    }
}

fn guest_key(g: &GuestEntry) -> (String, u32, String, String) {
    (
        g.gid.clone(),
        g.unread,
        g.last_msg
            .as_ref()
            .map(|m| m.id.clone())
            .unwrap_or_default(),
        g.uname.clone(),
    )
}

#[component]
fn Console(store: Store) -> impl IntoView {
    let waiting = move || {
        store.guests.with(|g| {
            g.values()
                .filter(|e| e.kf_id.is_empty())
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let mine = move || {
        let me = store.me_kf.get();
        store.guests.with(|g| {
            let mut v: Vec<GuestEntry> = g
                .values()
                .filter(|e| !me.is_empty() && e.kf_id == me)
                .cloned()
                .collect();
            v.sort_by_key(|e| std::cmp::Reverse(e.last_msg.as_ref().map_or(0, |m| m.ts)));
            v
        })
    };
    let others = move || {
        let me = store.me_ix.get();
        store.agents.with(|a| {
            a.values()
                .filter(|e| e.ix != me)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let me_nick = move || {
        let me = store.me_ix.get();
        store
            .agents
            .with(|a| a.get(&me).map(|e| e.kf_nick.clone()))
            .unwrap_or_default()
    };
    let suspend = move |_| {
        notify::on_user_gesture();
        conn::request(Request::suspend(!store.suspended.get_untracked()));
    };
    view! {
        // On a phone one of the two shows at a time (index.html's narrow layout): the lists,
        // or the open chat with a "Chats" button back to them.
        <div class="c-app" class:c-chat-open=move || store.open.with(Option::is_some)>
            <nav class="c-side" aria-label=t().chats>
                <div class="c-top">
                    <span>{me_nick}</span>
                    // Enabled once the socket session (31000) is live: a request sent before
                    // that would be dropped or answered with -9999.
                    <button type="button" class="c-btn" data-testid="fd-c-suspend"
                        disabled=move || !store.online.get()
                        aria-pressed=move || store.suspended.get().to_string() on:click=suspend>
                        {move || if store.suspended.get() { t().resume } else { t().suspend }}
                    </button>
                    <button type="button" class="c-btn" data-testid="fd-c-logout"
                        on:click=move |_| conn::logout(t().logged_out)>{t().logout}</button>
                    <crate::supervise::AdminLink store/>
                </div>
                <Prefs store/>
                <h2 id="c-h-wait">{t().waiting}</h2>
                <ul data-testid="fd-c-waiting" aria-labelledby="c-h-wait">
                    <For each=waiting key=guest_key children=move |g| guest_item(store, g)/>
                </ul>
                <h2 id="c-h-mine">{t().my_chats}</h2>
                <ul data-testid="fd-c-mine" aria-labelledby="c-h-mine">
                    <For each=mine key=guest_key children=move |g| guest_item(store, g)/>
                </ul>
                <h2 id="c-h-agents">{t().agents_online}</h2>
                <ul data-testid="fd-c-agents" aria-labelledby="c-h-agents">
                    <For each=others key=|a| (a.ix.clone(), a.status, a.accepted_case)
                        children=move |a| view! {
                            <li class="c-agent" data-testid="fd-c-agent" data-ix=a.ix.clone()>
                                {a.kf_nick.clone()}" "
                                <span class="c-muted">
                                    {if a.status == 2 { t().suspended.to_owned() } else { place(&t().chats_count, &a.accepted_case.to_string()) }}
                                </span>
                            </li>
                        }/>
                </ul>
                <crate::supervise::AllChats store/>
                <OnSiteList store/>
                <crate::workbench::search::Search store/>
                <crate::workbench::canned::CannedPanel store/>
                <LeftMessages store/>
            </nav>
            <main class="c-main">
                <Show when=move || !store.notice.with(String::is_empty)>
                    <p class="c-status" role="status" data-testid="fd-c-status">{move || store.notice.get()}</p>
                </Show>
                <crate::workbench::viewer::Viewer store/>
                <Show when=move || store.open.with(Option::is_some)
                    fallback=|| view! { <p class="c-empty">{t().choose_chat}</p> }>
                    <ChatPane store/>
                </Show>
            </main>
        </div>
    }
}

#[component]
fn ChatPane(store: Store) -> impl IntoView {
    let input: NodeRef<html::Textarea> = NodeRef::new();
    let list: NodeRef<html::Div> = NodeRef::new();
    let gid = move || store.open.get().unwrap_or_default();
    let guest = move || {
        let gid = gid();
        store
            .guests
            .with(|g| g.get(&gid).cloned())
            .or_else(|| crate::supervise::watched_guest(store, &gid))
    };
    let title = move || guest().map(|g| guest_name(&g)).unwrap_or_default();
    let partner = move || {
        guest()
            .filter(|g| !g.partnerid.is_empty())
            .map(|g| (g.partnerid, g.partnerid_verified))
    };
    let is_mine = move || {
        let me = store.me_kf.get();
        guest().is_some_and(|g| !me.is_empty() && g.kf_id == me)
    };
    // Focus the input when a chat opens.
    Effect::new(move |_| {
        store.open.track();
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    // Keep the newest message in view (unless older ones were just prepended).
    let newest = Memo::new(move |_| store.messages.with(|m| m.last().map(|m| m.id.clone())));
    Effect::new(move |_| {
        newest.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    let has_older = move || {
        u64::from(store.pages.get()) * u64::from(crate::store::PAGE_SIZE) < store.total.get()
    };
    let load_older = move || {
        if has_older() {
            conn::history(&gid(), store.pages.get_untracked() + 1);
        }
    };
    let on_scroll = move |_| {
        if list.get_untracked().is_some_and(|el| el.scroll_top() == 0) {
            load_older();
        }
    };
    let typing = Typing::new();
    // Leaving a chat (another one opened, or it closed) ends "typing" there.
    Effect::new(move |_| {
        store.open.track();
        typing.stop();
    });
    on_cleanup(move || typing.stop());
    let submit = move || {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        conn::request(Request::send(&gid(), text, MsgKind::Text.into()));
        typing.sent();
        el.set_value("");
        let _ = el.focus();
    };
    let gid_signal = Signal::derive(gid);
    let card_open = RwSignal::new(false);
    let visitor_typing = move || {
        let gid = gid();
        store.typing.with(|t| t.contains_key(&gid))
    };
    let others = move || {
        let me = store.me_ix.get();
        store.agents.with(|a| {
            a.values()
                .filter(|e| e.ix != me && e.status == 1)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <header class="c-head">
            <button type="button" class="c-btn c-back" data-testid="fd-c-back"
                on:click=move |_| store.close_chat()>"‹ "{t().chats}</button>
            <h2 data-testid="fd-c-title">{title}
                {move || partner().map(|(p, verified)| view! {
                    " " <span class="c-muted" data-testid="fd-c-partnerid">{p}</span>
                    {(!verified).then(|| view! {
                        " " <span class="c-muted c-unverified" data-testid="fd-c-unverified"
                            title=t().unverified_title>
                            {t().unverified}
                        </span>
                    })}
                })}
            </h2>
            <Show when=is_mine>
                <For each=others key=|a| a.ix.clone() children=move |a| {
                    let ix = a.ix.clone();
                    view! {
                        <button type="button" class="c-btn" data-testid="fd-c-transfer" data-aix=ix.clone()
                            on:click=move |_| conn::request(Request::transfer(&gid(), &ix))>
                            {place(&t().transfer_to, &a.kf_nick)}
                        </button>
                    }
                }/>
                <crate::workbench::end::EndChat store gid=gid_signal/>
            </Show>
            <crate::supervise::ChatActions store gid=gid_signal mine=Signal::derive(is_mine)/>
        </header>
        <crate::workbench::customer::CustomerPanel store/>
        <crate::workbench::notes::Notes store/>
        <div class="c-list" node_ref=list role="log" aria-label=t().messages data-testid="fd-c-messages"
            on:scroll=on_scroll>
            <Show when=has_older>
                <button type="button" class="c-btn" data-testid="fd-c-older" on:click=move |_| load_older()>
                    {t().load_older}
                </button>
            </Show>
            <For each=move || store.messages.get() key=|m| m.id.clone() children=message/>
        </div>
        <Show when=visitor_typing>
            <p class="c-typing" data-testid="fd-c-typing" role="status">{t().visitor_typing}</p>
        </Show>
        <Show when=move || is_mine() && card_open.get()>
            <CardForm gid=gid_signal open=card_open/>
        </Show>
        <crate::workbench::canned::Suggest store input/>
        <form class="c-form" on:submit=move |e: ev::SubmitEvent| {
            e.prevent_default();
            submit();
        }>
            <Show when=is_mine>
                <div class="c-tools">
                    <Attach store gid=gid_signal/>
                    <button type="button" class="c-btn" data-testid="fd-c-card-toggle"
                        aria-expanded=move || card_open.get().to_string()
                        on:click=move |_| card_open.update(|o| *o = !*o)>{t().card}</button>
                </div>
            </Show>
            <label for="c-in" class="c-sr">{t().reply}</label>
            <textarea id="c-in" node_ref=input data-testid="fd-c-input" rows="2" maxlength="5000"
                placeholder=t().reply_placeholder
                on:input=move |_| {
                    crate::workbench::canned::on_input(store, input);
                    let typed = input.get_untracked().is_some_and(|el| !el.value().trim().is_empty());
                    if is_mine() {
                        typing.input(&gid(), typed);
                    }
                }
                on:keydown=move |e: ev::KeyboardEvent| {
                    if crate::workbench::canned::on_key(store, input, &e) {
                        return;
                    }
                    if e.key() == "Enter" && !e.shift_key() && !e.is_composing() && e.key_code() != 229 {
                        e.prevent_default();
                        submit();
                    }
                }></textarea>
            <button type="submit" class="c-btn c-pri" data-testid="fd-c-send">{t().send}</button>
        </form>
    }
}

/// One message of the open conversation (history, a `32401` transcript, or live). The site's
/// robot (`sender: "robot"`, our extension of seed 001) is marked with a label and its name
/// above its body, so the agent who takes over tells its answers from a colleague's.
fn message(m: MessageInfo) -> impl IntoView {
    let robot = m.sender.as_deref() == Some(shared::agent::SENDER_ROBOT);
    let from = match m.direction {
        _ if robot => "robot",
        Direction::ToService => "visitor",
        Direction::ToVisiter => "agent",
        Direction::System => "system",
    };
    let label = robot.then(|| {
        view! {
            <span class="c-robot" data-testid="fd-c-robot">{place(&t().robot, &m.kf_nick)}</span>
        }
    });
    view! {
        <div class="c-msg" data-testid="fd-c-msg" data-from=from data-seq=m.seq.to_string()
            data-kind=m.file_type.to_string()>{label}{media::body(&m)}</div>
        // Beside the bubble, not in it: the bubble's text is the message's, exactly.
        {i18n::time_view(m.ts)}
    }
}

/// The login page's language choice (before any agent is known: the browser's, or this
/// pick for this page).
#[component]
pub fn LangPick() -> impl IntoView {
    let pick = move |e: ev::Event| {
        let v = event_target_value(&e);
        i18n::apply(&v, &i18n::tz().get_untracked());
    };
    view! {
        <select class="c-lang" data-testid="fd-c-login-lang" on:change=pick
            aria-label=move || i18n::tracked().language>
            {[shared::config::Locale::Cn, shared::config::Locale::En, shared::config::Locale::Tw]
                .into_iter()
                .map(|l| view! {
                    <option value=l.as_str() selected=move || i18n::locale().get() == l>
                        {move || lang_name(l)}
                    </option>
                })
                .collect_view()}
        </select>
    }
}

/// Each language's name in the console's language (no Chinese in the `en` chrome).
fn lang_name(l: shared::config::Locale) -> &'static str {
    let t = i18n::tracked();
    match l {
        shared::config::Locale::Cn => t.lang_cn,
        shared::config::Locale::En => t.lang_en,
        shared::config::Locale::Tw => t.lang_tw,
    }
}

/// The agent's language and time zone (`32950`): saved on the server (they follow the agent
/// to another browser) and applied at once; a refused value shows the server's message.
#[component]
fn Prefs(store: Store) -> impl IntoView {
    // In the store: the view is rendered again when the language changes, and the form
    // stays open to show what was saved.
    let open = store.prefs_open;
    let lang: NodeRef<html::Select> = NodeRef::new();
    let zone: NodeRef<html::Input> = NodeRef::new();
    let save = move |e: ev::SubmitEvent| {
        e.prevent_default();
        let (Some(l), Some(z)) = (lang.get_untracked(), zone.get_untracked()) else {
            return;
        };
        let (l, z) = (l.value(), z.value());
        store.prefs_error.set(String::new());
        conn::request(Request::prefs(Some(&l), Some(z.trim())));
    };
    let me = store.me;
    view! {
        <button type="button" class="c-btn" data-testid="fd-c-prefs-toggle"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>{t().prefs}</button>
        <Show when=move || open.get()>
            <form class="c-prefs" data-testid="fd-c-prefs" on:submit=save>
                <label for="c-pref-lang">{t().language}</label>
                <select id="c-pref-lang" node_ref=lang data-testid="fd-c-pref-lang">
                    <option value="" selected=move || me.with(|m| m.locale.is_empty())>{t().browser_default}</option>
                    {[shared::config::Locale::Cn, shared::config::Locale::En, shared::config::Locale::Tw]
                        .into_iter()
                        .map(|l| view! {
                            <option value=l.as_str() selected=move || me.with(|m| m.locale == l.as_str())>
                                {move || lang_name(l)}
                            </option>
                        })
                        .collect_view()}
                </select>
                <label for="c-pref-tz">{t().time_zone}</label>
                <input id="c-pref-tz" node_ref=zone data-testid="fd-c-pref-tz" list="c-zones"
                    placeholder=i18n::browser_tz() value=me.get_untracked().tz autocomplete="off"/>
                <datalist id="c-zones">
                    {i18n::zones().into_iter().map(|z| view! { <option value=z/> }).collect_view()}
                </datalist>
                <button type="submit" class="c-btn c-pri" data-testid="fd-c-pref-save"
                    disabled=move || !store.online.get()>{t().save}</button>
                <p class="c-err" role="alert" data-testid="fd-c-pref-error">{move || store.prefs_error.get()}</p>
                <crate::webpush::PushSwitch token=store.token/>
            </form>
        </Show>
    }
}
