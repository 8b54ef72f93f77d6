//! The chat page's components. Every visitor, agent or site string is rendered as a text node
//! or an attribute value (Leptos never parses them as HTML); a URL becomes a link, an image
//! or a player source only when it passes `shared::card::safe_url` (`http(s)` only).
//!
//! Test hooks: `data-testid="fd-msg"` (with `data-seq`, `data-from`, `data-kind`) and
//! `fd-msg-pending` (with `data-cmid`, `data-failed`) sit on the bubble itself, whose text is
//! exactly the message body for text messages; the author's name and the time are siblings
//! outside it. Inside a bubble: `fd-img` (an image message's `<img>`), `fd-file` (a file
//! link), `fd-card` (with `data-card="product"|"order"`), `fd-card-title`, `fd-card-link`.

use std::sync::atomic::{AtomicBool, Ordering};

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::visitor::{Author, ChatMessage, MsgKind};
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::Element;

use super::media::{self, Shown};
use super::params::Params;
use super::store::{Pending, Status, Store};
use super::{bridge, conn, lazy};
use crate::i18n::{place, texts, Texts};

/// Sets what lives outside `<body>`: document title and `lang`. The theme colour's CSS
/// variables (`--c`, `--ci` black or white text on it, `--ct` it as text on white) are set by
/// `index.html`'s first script from the same `color` before this runs: the contrast rule
/// (`shared::config::ink_on`, `on_white`) costs the chat's budgeted bundle nothing there.
fn apply_page(t: &Texts, custom_title: Option<&str>) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    doc.set_title(custom_title.unwrap_or(t.title));
    if let Some(root) = doc.document_element() {
        let _ = root.set_attribute("lang", t.lang);
    }
}

#[component]
pub fn App() -> impl IntoView {
    let params = Params::from_location();
    LINKS.store(params.links, Ordering::Relaxed);
    let t = texts(params.locale);
    apply_page(t, params.custom_title.as_deref());
    // The header (seed 003 `top_bar_flag`/`title_flag`/`custom_title`): hidden on a chat link
    // that says `top_bar_flag=0`; with `top_bar_flag=1` its title is the custom one (2) or
    // the serving agent's name (3).
    let no_header = !params.embed && params.top_bar == Some(false);
    let custom = match (params.top_bar, params.title_flag) {
        (Some(true), 2) => params.custom_title.clone(),
        _ => None,
    };
    let agent_title = params.top_bar == Some(true) && params.title_flag == 3;
    let history = params.history_minutes;
    let store = Store::default();
    let host = bridge::host_origin(&params);
    let input: NodeRef<html::Textarea> = NodeRef::new();
    let focus_input = move || {
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    // Seed 003 `show_evaluate=1`: closing the window of a chat an agent answered asks for a
    // rating first (once; the next close closes).
    let evaluate = params.show_evaluate;
    let asked = StoredValue::new(false);
    let close = move |h: &str| {
        if evaluate && !asked.get_value() && answered(&store) {
            asked.set_value(true);
            lazy::rate_now();
        } else {
            bridge::post_collapse(h);
        }
    };
    if let Some(h) = host.clone() {
        bridge::listen_expand(h.clone(), focus_input);
        // Escape collapses the window, like the header button.
        let on_key = window_event_listener(ev::keydown, move |e| {
            if e.key() == "Escape" && !e.is_composing() {
                close(&h);
            }
        });
        on_cleanup(move || on_key.remove());
    }
    let embed = params.embed;
    let emoji = params.emoji;
    conn::start(params, store, host.clone());
    // The lazy tier, at once when the page's parameters ask for what it shows (a card, …).
    lazy::page();
    // The window was just opened by the launcher: put the cursor in the input. (On a phone
    // opening the link directly, the keyboard should not pop up uninvited.)
    Effect::new(move |_| {
        if embed && input.get().is_some() {
            focus_input();
        }
    });

    let collapse = host.map(|h| {
        view! {
            <button type="button" class="fd-x" data-testid="fd-collapse" aria-label=t.collapse
                title=t.collapse on:click=move |_| close(&h)>
                <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <path d="M5 11h14v2H5z"></path>
                </svg>
            </button>
        }
    });

    let status = move || match store.line.get().status {
        Status::Connecting => t.connecting,
        Status::Online => t.online,
        Status::Reconnecting => t.reconnecting,
        Status::Offline => t.offline,
        Status::Refused => t.refused,
        Status::Unavailable => t.unavailable,
        Status::Blocked => t.blocked,
    };
    let is_final = move || store.line.get().status.is_final();
    let is_down = move || {
        matches!(
            store.line.get().status,
            Status::Reconnecting | Status::Offline
        )
    };
    let waiting = move || !is_final() && store.line.get().queue != 0;

    view! {
        <header class="fd-h" hidden=no_header>
            <h1 data-testid="fd-title">{move || match &custom {
                Some(c) => c.clone(),
                None if agent_title => agent_nick(&store).unwrap_or_else(|| t.title.into()),
                None => t.title.into(),
            }}</h1>
            {collapse}
        </header>
        <p class="fd-s" class=("fd-bad", is_final) class=("fd-warn", is_down) data-testid="fd-status"
            role="status">
            {status}
        </p>
        <Show when=waiting>
            <p class="fd-s fd-warn" data-testid="fd-queue" role="status">
                {move || place(&t.queue, &store.line.get().queue.to_string())}
            </p>
        </Show>
        <Show when=move || !is_final()>
            <Conversation store t input emoji history/>
        </Show>
    }
}

#[component]
fn Conversation(
    store: Store,
    t: &'static Texts,
    input: NodeRef<html::Textarea>,
    emoji: bool,
    history: Option<u32>,
) -> impl IntoView {
    let list: NodeRef<html::Div> = NodeRef::new();
    // Seed 003 `time`: the history of only the last `history` minutes before the page opened.
    let since = history.map_or(0.0, |m| js_sys::Date::now() - f64::from(m) * 60_000.0) as i64;
    // Keep the newest message in view.
    Effect::new(move |_| {
        store.messages.track();
        store.outbox.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });
    let empty = move || store.messages.with(Vec::is_empty) && store.outbox.with(Vec::is_empty);
    let submit = move || {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let text = el.value();
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        conn::send(MsgKind::Text, text.to_owned());
        el.set_value("");
        conn::typing(false);
        let _ = el.focus();
    };
    view! {
        <div class="fd-l" node_ref=list role="log" aria-live="polite"
            on:load:capture=move |e: ev::Event| keep_at_bottom(list, &e)>
            <Show when=empty>
                <p class="fd-e">{t.greeting}</p>
            </Show>
            <For each=move || {
                    let mut m = store.messages.get();
                    m.retain(|m| m.ts >= since);
                    m
                } key=|m| m.seq.0
                children=move |m| bubble(m, t)/>
            <For each=move || store.outbox.get() key=|p| (p.cmid.clone(), p.failed)
                children=move |p| pending(p, t)/>
        </div>
        <Show when=move || store.line.get().agent_typing>
            <p class="fd-s" data-testid="fd-typing" role="status">{t.agent_typing}</p>
        </Show>
        <form class="fd-f" on:submit=move |e: ev::SubmitEvent| {
            e.prevent_default();
            submit();
        }>
            <label for="fd-in" class="fd-sr">{t.input_label}</label>
            <textarea id="fd-in" node_ref=input data-testid="fd-input" rows="1" maxlength="5000"
                placeholder=t.placeholder enterkeyhint="send"
                on:input=move |_| {
                    let typed = input.get_untracked().is_some_and(|el| !el.value().trim().is_empty());
                    conn::typing(typed);
                }
                on:keydown=move |e: ev::KeyboardEvent| {
                    // Enter sends, Shift+Enter is a newline; never while an IME is composing.
                    if e.key() == "Enter" && !e.shift_key() && !e.is_composing() && e.key_code() != 229 {
                        e.prevent_default();
                        submit();
                    }
                }></textarea>
            {emoji.then(|| emoji_button(input, t))}
            <button type="submit" class="fd-send" data-testid="fd-send">{t.send}</button>
        </form>
    }
}

/// The emoji button: opens the picker of the lazy tier (loaded on the first click).
fn emoji_button(input: NodeRef<html::Textarea>, t: &'static Texts) -> impl IntoView {
    view! {
        <button type="button" class="fd-x fd-em" data-testid="fd-emoji" aria-label=t.emoji
            title=t.emoji aria-expanded="false"
            on:click=move |e: ev::MouseEvent| {
                let button = e.current_target().and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                if let (Some(b), Some(i)) = (button, input.get_untracked()) {
                    lazy::toggle_emoji(&b, &i, t.locale.as_str());
                }
            }>
            <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zM8.5 11a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5c2.3 0 4.3-1.4 5.1-3.5H6.9c.8 2.1 2.8 3.5 5.1 3.5z"></path>
            </svg>
        </button>
    }
}

/// A picture that finished loading made the list taller: if the visitor was at the bottom
/// before that, stay there (an image arriving must not push the newest messages away).
fn keep_at_bottom(list: NodeRef<html::Div>, e: &web_sys::Event) {
    let grown = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
    let (Some(el), Some(grown)) = (list.get_untracked(), grown) else {
        return;
    };
    let gap = el.scroll_height() - el.scroll_top() - el.client_height();
    if gap - grown.offset_height() < 48 {
        el.set_scroll_top(el.scroll_height());
    }
}

/// `HH:MM` in the visitor's time zone.
fn clock(ts: i64) -> String {
    let d = js_sys::Date::new(&(ts as f64).into());
    let (h, m) = (d.get_hours(), d.get_minutes());
    let mut s = String::with_capacity(5);
    for (i, n) in [h, m].into_iter().enumerate() {
        if i == 1 {
            s.push(':');
        }
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    }
    s
}

/// seed 003 `is_link` (`Params::links`): whether `http(s)` URLs in text messages are links.
static LINKS: AtomicBool = AtomicBool::new(true);

/// `rel` of every link to something outside the chat page.
const REL: &str = "noopener noreferrer";

/// Fills a bubble (a `use:` directive) with a message body: text, or (when it is safe to) an
/// image, a player, a file link or a card; [`media::shown`] decides which.
///
/// Built with plain DOM calls rather than `view!`: a bubble's content never changes, and
/// this keeps the bundle small. Every value is set with `set_text_content` or
/// `set_attribute`, never as HTML, and every `href`/`src` has passed `safe_url`.
fn fill(bubble: Element, (kind, body, t): (MsgKind, String, &'static Texts)) {
    bubble.set_text_content(None);
    let b = &bubble;
    let body_text = matches!(kind, MsgKind::Product | MsgKind::Order)
        .then(|| body.clone())
        .unwrap_or_default();
    match media::shown(kind, body) {
        Shown::Text(s) if LINKS.load(Ordering::Relaxed) => {
            for (part, href) in media::linked(&s) {
                match href {
                    Some(href) => {
                        link(b, "", &href).set_text_content(Some(part));
                    }
                    None => {
                        let _ = b.append_child(&document().create_text_node(part));
                    }
                }
            }
        }
        Shown::Text(s) => b.set_text_content(Some(&s)),
        Shown::Image(src) => {
            let a = link(b, "", &src);
            set(&a, &[("title", t.open)]);
            set(
                &picture(&a, "fd-im", &src, t.image),
                &[("data-testid", "fd-img")],
            );
        }
        Shown::Voice(src) => player(b, "audio", "none", &src, t),
        Shown::Video(src) => player(b, "video", "metadata", &src, t),
        Shown::File { url, name } => {
            let a = link(b, "fd-fi", &url);
            set(&a, &[("data-testid", "fd-file"), ("download", "")]);
            line(&a, "fd-ct", &name);
            line(&a, "fd-cs", t.download);
        }
        Shown::Card(kind) => {
            // The body as text until the lazy tier draws the card over it.
            b.set_text_content(Some(&body_text));
            lazy::card(b, kind, &body_text);
        }
    }
}

/// Appends a new `<tag class=…>` to `parent`.
fn add(parent: &Element, tag: &str, class: &str) -> Element {
    let el = document().create_element(tag).unwrap_throw();
    if !class.is_empty() {
        el.set_class_name(class);
    }
    let _ = parent.append_child(&el);
    el
}

/// Appends `<span class=…>text</span>` (a text node), unless `text` is blank.
fn line(parent: &Element, class: &str, text: &str) -> Option<Element> {
    if text.trim().is_empty() {
        return None;
    }
    let el = add(parent, "span", class);
    el.set_text_content(Some(text));
    Some(el)
}

fn set(el: &Element, attrs: &[(&str, &str)]) {
    for (k, v) in attrs {
        let _ = el.set_attribute(k, v);
    }
}

/// A link that opens `href` (which passed `safe_url`) in a new tab.
fn link(parent: &Element, class: &str, href: &str) -> Element {
    let a = add(parent, "a", class);
    set(&a, &[("href", href), ("rel", REL), ("target", "_blank")]);
    a
}

/// Appends a lazily loaded `<img>` of `src` (which passed `safe_url`); `alt` "" is decorative.
fn picture(parent: &Element, class: &str, src: &str, alt: &str) -> Element {
    let img = add(parent, "img", class);
    set(&img, &[("alt", alt), ("loading", "lazy"), ("src", src)]);
    img
}

/// `<audio>`/`<video>` with controls, and a link to open the file where the player cannot.
fn player(bubble: &Element, tag: &str, preload: &str, src: &str, t: &Texts) {
    let m = add(bubble, tag, "");
    set(
        &m,
        &[
            ("controls", ""),
            ("playsinline", ""),
            ("preload", preload),
            ("src", src),
        ],
    );
    link(bubble, "fd-o", src).set_text_content(Some(t.open));
}

/// The name of the agent who wrote last, if any.
fn agent_nick(store: &Store) -> Option<String> {
    store.messages.with(|m| {
        m.iter()
            .rev()
            .find(|m| m.from == Author::Agent)
            .and_then(|m| m.nick.clone())
    })
}

/// Whether an agent wrote since the last chat ended (there is a chat to rate).
fn answered(store: &Store) -> bool {
    store.messages.with_untracked(|m| {
        m.iter()
            .rev()
            .find_map(|m| match m.from {
                Author::Agent => Some(true),
                Author::System if m.body == shared::visitor::CHAT_ENDED => Some(false),
                _ => None,
            })
            .unwrap_or(false)
    })
}

/// A system line in the visitor's locale: the server stores the seed's Chinese lines (agents'
/// clients read them as they are).
fn system_line(body: String, t: &Texts) -> String {
    use shared::visitor::{CHAT_ENDED, RATE_INVITE, TRANSFERRED};
    if body == CHAT_ENDED {
        return t.ended.into();
    }
    if body == RATE_INVITE {
        return t.rate_invite.into();
    }
    match body.strip_prefix(TRANSFERRED) {
        Some(nick) => crate::i18n::place(&t.transferred, nick),
        None => body,
    }
}

fn bubble(m: ChatMessage, t: &'static Texts) -> impl IntoView {
    let class = match m.from {
        Author::Visitor => "fd-m fd-v",
        Author::Agent => "fd-m fd-a",
        Author::Robot => "fd-m fd-a fd-r",
        Author::System => "fd-m fd-y",
    };
    let name = matches!(m.from, Author::Agent | Author::Robot)
        .then(|| m.nick.clone().unwrap_or_else(|| t.agent.into()));
    let body = if m.from == Author::System && m.kind == MsgKind::Text {
        system_line(m.body, t)
    } else {
        m.body
    };
    view! {
        <div class=class>
            {name.map(|n| view! { <span class="fd-n">{n}</span> })}
            <div class="fd-b" data-testid="fd-msg" data-seq=m.seq.0.to_string()
                data-from=m.from.as_str() data-kind=u8::from(m.kind).to_string()
                use:fill=(m.kind, body, t)></div>
            <time class="fd-t">{clock(m.ts)}</time>
        </div>
    }
}

fn pending(p: Pending, t: &'static Texts) -> impl IntoView {
    let failed = p.failed;
    let cmid = p.cmid.clone();
    view! {
        <div class="fd-m fd-v fd-p" class=("fd-fail", failed)>
            <div class="fd-b" data-testid="fd-msg-pending" data-cmid=p.cmid.as_str().to_owned()
                data-failed=failed.to_string() use:fill=(p.kind, p.body, t)></div>
            <span class="fd-t">{if failed { t.failed } else { t.sending }}</span>
            {failed.then(|| view! {
                <button type="button" class="fd-rm" on:click=move |_| conn::discard(&cmid)>
                    {t.remove}
                </button>
            })}
        </div>
    }
}
