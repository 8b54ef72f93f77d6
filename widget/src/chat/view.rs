//! The chat page's components. Every visitor, agent or site string is rendered as a text node
//! or an attribute value (Leptos never parses them as HTML); a non-text message becomes a link
//! only when its body is an `http(s)` URL.
//!
//! Test hooks: `data-testid="fd-msg"` (with `data-seq`, `data-from`) and `fd-msg-pending`
//! (with `data-cmid`, `data-failed`) sit on the bubble itself, whose text is exactly the
//! message body; the author's name and the time are siblings outside it.

use leptos::either::Either;
use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::config::is_http_url;
use shared::visitor::{Author, ChatMessage, MsgKind};
use wasm_bindgen::JsCast;

use super::params::Params;
use super::store::{Pending, Status, Store};
use super::{bridge, conn, outbox};
use crate::i18n::{texts, Texts};

/// Sets what lives outside `<body>`: document title, `lang`, and the theme colour as the CSS
/// variable `--c` used by the stylesheet in `index.html`.
fn apply_page(params: &Params, t: &Texts) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    doc.set_title(t.title);
    if let Some(root) = doc.document_element() {
        let _ = root.set_attribute("lang", t.lang);
        if let Ok(root) = root.dyn_into::<web_sys::HtmlElement>() {
            let mut c = String::from("#");
            c.push_str(&params.color);
            let _ = root.style().set_property("--c", &c);
        }
    }
}

#[component]
pub fn App() -> impl IntoView {
    let params = Params::from_location();
    let t = texts(params.locale);
    apply_page(&params, t);
    let store = Store::new(params.sysnum.as_ref().map(outbox::load).unwrap_or_default());
    let host = bridge::host_origin(&params);
    let input: NodeRef<html::Textarea> = NodeRef::new();
    let focus_input = move || {
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    if let Some(h) = host.clone() {
        bridge::listen_expand(h.clone(), focus_input);
        // Escape collapses the window, like the header button.
        let on_key = window_event_listener(ev::keydown, move |e| {
            if e.key() == "Escape" && !e.is_composing() {
                bridge::post_collapse(&h);
            }
        });
        on_cleanup(move || on_key.remove());
    }
    let embed = params.embed;
    conn::start(params, store, host.clone());
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
                title=t.collapse on:click=move |_| bridge::post_collapse(&h)>
                <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                    <path d="M5 11h14v2H5z"></path>
                </svg>
            </button>
        }
    });

    let status = move || match store.status.get() {
        Status::Connecting => t.connecting,
        Status::Online => t.online,
        Status::Reconnecting => t.reconnecting,
        Status::Offline => t.offline,
        Status::Refused => t.refused,
        Status::Unavailable => t.unavailable,
    };
    let is_final = move || store.status.get().is_final();
    let is_down = move || matches!(store.status.get(), Status::Reconnecting | Status::Offline);
    let waiting = move || !is_final() && store.queue.get() != 0;

    view! {
        <header class="fd-h">
            <h1>{t.title}</h1>
            {collapse}
        </header>
        <p class="fd-s" class=("fd-bad", is_final) class=("fd-warn", is_down) data-testid="fd-status"
            role="status">
            {status}
        </p>
        <Show when=waiting>
            <p class="fd-s fd-warn" data-testid="fd-queue" role="status">
                {move || format!("{}{}{}", t.queue.0, store.queue.get(), t.queue.1)}
            </p>
        </Show>
        <Show when=move || !is_final()>
            <Conversation store t input/>
        </Show>
    }
}

#[component]
fn Conversation(store: Store, t: &'static Texts, input: NodeRef<html::Textarea>) -> impl IntoView {
    let list: NodeRef<html::Div> = NodeRef::new();
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
        conn::send_text(text.to_owned());
        el.set_value("");
        conn::typing(false);
        let _ = el.focus();
    };
    view! {
        <div class="fd-l" node_ref=list role="log" aria-live="polite">
            <Show when=empty>
                <p class="fd-e">{t.greeting}</p>
            </Show>
            <For each=move || store.messages.get() key=|m| m.seq.0
                children=move |m| bubble(m, t)/>
            <For each=move || store.outbox.get() key=|p| (p.cmid.clone(), p.failed)
                children=move |p| pending(p, t)/>
        </div>
        <Show when=move || store.agent_typing.get()>
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
            <button type="submit" class="fd-send" data-testid="fd-send">{t.send}</button>
        </form>
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

fn body_view(kind: MsgKind, body: String) -> impl IntoView {
    if kind != MsgKind::Text && is_http_url(&body) {
        Either::Left(view! {
            <a href=body.clone() rel="noopener noreferrer" target="_blank">{body.clone()}</a>
        })
    } else {
        Either::Right(body)
    }
}

fn bubble(m: ChatMessage, t: &'static Texts) -> impl IntoView {
    let class = match m.from {
        Author::Visitor => "fd-m fd-v",
        Author::Agent => "fd-m fd-a",
        Author::System => "fd-m fd-y",
    };
    let name = (m.from == Author::Agent).then(|| m.nick.clone().unwrap_or_else(|| t.agent.into()));
    view! {
        <div class=class>
            {name.map(|n| view! { <span class="fd-n">{n}</span> })}
            <div class="fd-b" data-testid="fd-msg" data-seq=m.seq.0.to_string()
                data-from=m.from.as_str()>
                {body_view(m.kind, m.body)}
            </div>
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
                data-failed=failed.to_string()>
                {body_view(p.kind, p.body)}
            </div>
            <span class="fd-t">{if failed { t.failed } else { t.sending }}</span>
            {failed.then(|| view! {
                <button type="button" class="fd-rm" on:click=move |_| conn::discard(&cmid)>
                    {t.remove}
                </button>
            })}
        </div>
    }
}
