//! How a message body is shown, by seed 001 `file_type`: text; an image inline; voice and
//! video with the browser's player; a file as a download link; product and order cards from
//! [`shared::card`]. Every URL that becomes an `href` or `src` passed
//! [`shared::card::safe_url`] (`http(s)` only); every other string is a text node.
//!
//! Media on another host than this server (a visitor can send any URL) is click-to-load:
//! the agent sees "Load image from HOST" and the browser requests nothing from that host
//! until the agent clicks, so a visitor cannot learn agents' addresses or make their
//! browsers call internal hosts by sending a URL. Our own uploads (`/files/…`) load at once.

use crate::i18n::{place, place2, t};
use leptos::prelude::*;
use shared::agent::MessageInfo;
use shared::card::{file_name, price, safe_url, Order, Product, RawCard};
use shared::visitor::MsgKind;

fn kind(m: &MessageInfo) -> MsgKind {
    MsgKind::try_from(m.file_type).unwrap_or(MsgKind::Text)
}

fn card(m: &MessageInfo) -> Option<RawCard> {
    serde_json::from_str::<RawCard>(&m.msg).ok()
}

/// One line for lists and notifications.
pub fn preview(m: &MessageInfo) -> String {
    match kind(m) {
        MsgKind::Text => m.msg.clone(),
        MsgKind::Image => format!("[{}]", t().image),
        MsgKind::Voice => format!("[{}]", t().voice),
        MsgKind::Video => format!("[{}]", t().video),
        MsgKind::File => format!("[{}] {}", t().file, file_name(&m.msg)),
        MsgKind::Product => match card(m).and_then(|c| c.product()) {
            Some(p) => format!("[{}] {}", t().product, p.title),
            None => format!("[{}]", t().product),
        },
        MsgKind::Order => match card(m).and_then(|c| c.order(|g| serde_json::from_str(g).ok())) {
            Some(o) => format!("[{}] {}", t().order, o.code),
            None => format!("[{}]", t().order),
        },
    }
}

/// Whether `url` is on this server's origin (our uploads).
fn ours(url: &str) -> bool {
    let origin = window().location().origin().unwrap_or_default();
    !origin.is_empty() && url.starts_with(&format!("{origin}/"))
}

/// The host part of an `http(s)` URL, for the click-to-load label.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].rsplit('@').next().unwrap_or("").to_owned()
}

/// `make()` at once for our own URLs; for any other host a button first, and `make()` only
/// after the agent clicked it.
pub(crate) fn gated(
    url: &str,
    what: &'static str,
    make: impl Fn() -> AnyView + Send + Sync + 'static,
) -> AnyView {
    if ours(url) {
        return make();
    }
    let label = place2(&t().load_from, what, &host(url));
    let shown = RwSignal::new(false);
    view! {
        {move || {
            if shown.get() {
                make()
            } else {
                let label = label.clone();
                view! {
                    <button type="button" class="c-btn c-load" data-testid="fd-c-load"
                        on:click=move |_| shown.set(true)>{label}</button>
                }
                .into_any()
            }
        }}
    }
    .into_any()
}

fn link(url: String, text: String) -> AnyView {
    view! {
        <a href=url rel="noopener noreferrer" target="_blank">{text}</a>
    }
    .into_any()
}

/// A card: the whole of it a link when it has a (safe) URL.
fn shell(kind: &'static str, url: Option<String>, inner: impl IntoView + 'static) -> AnyView {
    match url {
        Some(url) => view! {
            <a class="c-card" data-testid="fd-c-card" data-card=kind href=url
                rel="noopener noreferrer" target="_blank">{inner}</a>
        }
        .into_any(),
        None => view! { <div class="c-card" data-testid="fd-c-card" data-card=kind>{inner}</div> }
            .into_any(),
    }
}

fn product_view(p: Product) -> AnyView {
    let inner = view! {
        {p.picture.map(|src| {
            let s = src.clone();
            gated(&src, t().what_picture, move || {
                view! { <img class="c-card-pic" src=s.clone() alt="" loading="lazy"/> }.into_any()
            })
        })}
        <span class="c-card-text">
            <strong data-testid="fd-c-card-title">{p.title}</strong>
            {(!p.desc.is_empty()).then(|| view! { <span class="c-card-desc">{p.desc}</span> })}
            {(!p.note.is_empty()).then(|| view! { <span class="c-card-note">{p.note}</span> })}
        </span>
    };
    shell("product", p.url, inner)
}

fn order_view(o: Order) -> AnyView {
    let status = o.status_text(crate::i18n::locale().get_untracked());
    let created = o.create_time.map(crate::i18n::when);
    let total = o.total_fee.map(price);
    let count = o.goods_count;
    let goods = o
        .goods
        .into_iter()
        .map(|g| {
            view! {
                <li>
                    {g.picture.map(|src| {
                        let s = src.clone();
                        gated(&src, t().what_picture, move || {
                            view! { <img class="c-card-thumb" src=s.clone() alt="" loading="lazy"/> }
                                .into_any()
                        })
                    })}
                    {g.name}
                </li>
            }
        })
        .collect_view();
    let body = view! {
        <span class="c-card-text">
            <strong data-testid="fd-c-card-title">{place(&t().order_no, &o.code)}</strong>
            <span class="c-card-note">{status}</span>
            {created.map(|c| view! { <span class="c-card-desc">{c}</span> })}
            <ul class="c-card-goods">{goods}</ul>
            {(count.is_some() || total.is_some()).then(|| view! {
                <span class="c-card-desc">
                    {count.map(|n| place(&t().items, &n.to_string()) + " ")}
                    {total.map(|v| place(&t().total, &v))}
                </span>
            })}
        </span>
    };
    shell("order", o.url, body)
}

/// The body of one message.
pub fn body(m: &MessageInfo) -> AnyView {
    let text = m.msg.clone();
    let url = safe_url(&m.msg);
    match (kind(m), url) {
        (MsgKind::Image, Some(src)) => gated(&src.clone(), t().what_image, move || {
            let href = src.clone();
            view! {
                <a href=href rel="noopener noreferrer" target="_blank">
                    <img class="c-img" data-testid="fd-c-img" src=src.clone() alt=t().image loading="lazy"/>
                </a>
            }
            .into_any()
        }),
        (MsgKind::Voice, Some(src)) => gated(&src.clone(), t().what_voice, move || {
            let fallback = link(src.clone(), t().voice_message.into());
            view! { <audio controls preload="none" src=src.clone()>{fallback}</audio> }.into_any()
        }),
        (MsgKind::Video, Some(src)) => gated(&src.clone(), t().what_video, move || {
            let fallback = link(src.clone(), t().video.into());

            view! { <video class="c-img" controls preload="metadata" src=src.clone()>{fallback}</video> }
                .into_any()
        }),
        (MsgKind::File, Some(src)) => {
            let name = file_name(&src);
            let text = name.clone();
            view! {
                <a class="c-file" data-testid="fd-c-file" href=src rel="noopener noreferrer" target="_blank"
                    download=name>{text}</a>
            }
            .into_any()
        }
        (MsgKind::Product, _) => match card(m).and_then(|c| c.product()) {
            Some(p) => product_view(p),
            None => text.into_any(),
        },
        (MsgKind::Order, _) => {
            match card(m).and_then(|c| c.order(|g| serde_json::from_str(g).ok())) {
                Some(o) => order_view(o),
                None => text.into_any(),
            }
        }
        _ => text.into_any(),
    }
}
