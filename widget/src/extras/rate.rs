//! Rating the chat (seed 003 `feedback_flag`: a control once an agent has answered;
//! `satDegree_A`: when the agent ends the chat), in the lazy tier: 1–5 stars (a radio
//! group), then tags for that score (toggle buttons: a set of complaints for 1–3 stars, of
//! praise for 4–5, in the visitor's language; choosing a score of the other set replaces
//! them and drops what was chosen) and an optional comment, sent as
//! `shared::rating::RateRequest` to `POST /api/visitor/rating` with the session's token (the
//! tags as the visitor read them, which is what agents see); the visitor may change it until
//! the next chat. Text nodes and attributes only.
//!
//! Test hooks: `fd-rate-open`, `fd-rate` (the panel), `fd-rate-star` (with `data-score`),
//! `fd-rate-tag` (with `data-tag`, its text), `fd-rate-comment`, `fd-rate-send`,
//! `fd-rate-done`, `fd-rate-error`.

use std::cell::RefCell;

use shared::rating::{RateRequest, Rated, MAX_COMMENT_CHARS};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement};

use super::page::{self, conversation, locale, query};
use super::{document, el};
use crate::i18n::rate as texts;

const CSS: &str = ".fd-rt{flex:0 1 auto;min-height:0;overflow-y:auto;margin:0 8px 8px;padding:12px;border-radius:12px;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
.fd-rt h2{margin:0 0 6px;font-size:14px}\
.fd-rs{display:flex;gap:4px;border:0;margin:0;padding:0}\
.fd-rs label{font-size:28px;line-height:1;color:#8c959f;cursor:pointer}\
.fd-rs input{position:absolute;opacity:0;width:1px;height:1px}\
.fd-rs input:checked+span,.fd-rs label.on span{color:#b54708}\
.fd-rs input:focus-visible+span{outline:2px solid var(--ct,#1e6fd9);outline-offset:2px}\
.fd-tg{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}\
.fd-tg button{margin:0;min-height:32px;padding:0 12px;border:1px solid #8c959f;border-radius:16px;background:#fff;color:#1f2328;font-weight:400;font-size:13px}\
.fd-tg button[aria-pressed=true]{border-color:var(--c,#1e6fd9);background:var(--c,#1e6fd9);color:var(--ci,#fff)}\
.fd-tg button[aria-pressed=true]::before{content:'✓ '}\
.fd-rt button:focus-visible{outline:2px solid var(--ct,#1e6fd9);outline-offset:2px}\
.fd-rt textarea{display:block;width:100%;margin-top:8px;padding:6px 10px;border:1px solid #8c959f;border-radius:8px;font:inherit;font-size:16px}\
.fd-rt button{margin-top:8px;min-height:36px;padding:0 16px;border:0;border-radius:18px;background:var(--c,#1e6fd9);color:var(--ci,#fff);font:inherit;font-weight:600;cursor:pointer}\
.fd-rt p{margin:6px 0 0;font-size:13px}";

/// The look of the buttons the tier puts above the chat's input (class `fd-rb`: "Rate this
/// chat", "Send a picture or file"), injected once by whichever comes first.
const BAR_BUTTON_CSS: &str = ".fd-rb{display:block;width:max-content;margin:6px auto;min-height:32px;padding:0 14px;border:1px solid #8c959f;border-radius:16px;background:#fff;color:#1f2328;font:inherit;font-size:13px;cursor:pointer}\
.fd-rb:focus-visible{outline:2px solid var(--ct,#1e6fd9);outline-offset:2px}";

/// Injects [`BAR_BUTTON_CSS`] once.
pub fn bar_button_style(doc: &web_sys::Document) -> Option<()> {
    if doc.get_element_by_id("fd-rb-css").is_none() {
        let s = el(doc, "style", "")?;
        s.set_id("fd-rb-css");
        s.set_text_content(Some(BAR_BUTTON_CSS));
        doc.head()?.append_child(&s).ok()?;
    }
    Some(())
}

/// An event handler kept as long as the page.
type Handler = Closure<dyn FnMut(Event)>;

thread_local! {
    /// The button's and the panel's handlers, alive as long as the page.
    static HANDLERS: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
}

/// After a frame changed what the tier knows: offer the rating when the page asks for it
/// (`feedback_flag` once an agent answered; `satDegree_A` or `feedback_flag` once the chat
/// ended) or the agent did (`32620`, in this chat: the panel opens at once when the
/// invitation arrives live, the button stays after a reload).
pub fn follow() {
    let (answered, ended, invited) = conversation(|c| (c.answered, c.ended, c.invited));
    let wanted = invited
        || (answered && page::on("feedback_flag"))
        || (ended && (page::on("satDegree_A") || page::on("feedback_flag")));
    if wanted {
        let _ = offer();
    }
    if page::take_invitation() {
        let _ = panel();
    }
}

/// The panel at once (`show_evaluate`: the visitor is closing the window of a chat an agent
/// answered; the chat page asks once).
pub fn now() {
    let _ = offer();
    if document().is_some_and(|d| d.get_element_by_id("fd-rt").is_none()) {
        let _ = panel();
    }
}

fn offer() -> Option<()> {
    let doc = document()?;
    if doc.get_element_by_id("fd-rate-open").is_some() || doc.get_element_by_id("fd-rt").is_some() {
        return Some(());
    }
    if doc.get_element_by_id("fd-rt-css").is_none() {
        let s = el(&doc, "style", "")?;
        s.set_id("fd-rt-css");
        s.set_text_content(Some(CSS));
        doc.head()?.append_child(&s).ok()?;
    }
    bar_button_style(&doc)?;
    let form = doc.query_selector(".fd-f").ok()??;
    let t = texts(locale());
    let b = el(&doc, "button", "fd-rb")?;
    b.set_id("fd-rate-open");
    b.set_text_content(Some(t.open));
    b.set_attribute("type", "button").ok()?;
    b.set_attribute("data-testid", "fd-rate-open").ok()?;
    form.parent_node()?.insert_before(&b, Some(&form)).ok()?;
    let h = Closure::<dyn FnMut(Event)>::new(|_| {
        let _ = panel();
    });
    b.add_event_listener_with_callback("click", h.as_ref().unchecked_ref())
        .ok()?;
    HANDLERS.with(|v| v.borrow_mut().push(h));
    Some(())
}

/// The rating panel, in place of the button.
fn panel() -> Option<()> {
    let doc = document()?;
    let t = texts(locale());
    let button = doc.get_element_by_id("fd-rate-open")?;
    let sec = el(&doc, "section", "fd-rt")?;
    sec.set_id("fd-rt");
    sec.set_attribute("data-testid", "fd-rate").ok()?;
    sec.set_attribute("aria-labelledby", "fd-rt-h").ok()?;
    let h = el(&doc, "h2", "")?;
    h.set_id("fd-rt-h");
    h.set_text_content(Some(t.title));
    sec.append_child(&h).ok()?;
    let stars = el(&doc, "fieldset", "fd-rs")?;
    let legend = el(&doc, "legend", "fd-sr")?;
    legend.set_text_content(Some(t.stars));
    stars.append_child(&legend).ok()?;
    let names = [t.score_1, t.score_2, t.score_3, t.score_4, t.score_5];
    for (n, name) in (1..=5u8).zip(names) {
        let label = el(&doc, "label", "")?;
        let input = el(&doc, "input", "")?;
        let score = n.to_string();
        for (k, v) in [
            ("type", "radio"),
            ("name", "fd-score"),
            ("value", score.as_str()),
            ("data-testid", "fd-rate-star"),
            ("data-score", score.as_str()),
            ("aria-label", name),
        ] {
            input.set_attribute(k, v).ok()?;
        }
        label.append_child(&input).ok()?;
        let star = el(&doc, "span", "")?;
        star.set_text_content(Some("★"));
        star.set_attribute("aria-hidden", "true").ok()?;
        label.append_child(&star).ok()?;
        stars.append_child(&label).ok()?;
    }
    sec.append_child(&stars).ok()?;
    let tags = el(&doc, "div", "fd-tg")?;
    tags.set_id("fd-rt-tg");
    tags.set_attribute("role", "group").ok()?;
    tags.set_attribute("aria-label", t.tags).ok()?;
    tags.set_attribute("hidden", "").ok()?;
    sec.append_child(&tags).ok()?;
    let comment = el(&doc, "textarea", "")?;
    for (k, v) in [
        ("data-testid", "fd-rate-comment"),
        ("aria-label", t.comment),
        ("placeholder", t.comment),
        ("rows", "2"),
        ("maxlength", &MAX_COMMENT_CHARS.to_string()),
    ] {
        comment.set_attribute(k, v).ok()?;
    }
    sec.append_child(&comment).ok()?;
    let send = el(&doc, "button", "")?;
    send.set_text_content(Some(t.send));
    send.set_attribute("type", "button").ok()?;
    send.set_attribute("data-testid", "fd-rate-send").ok()?;
    sec.append_child(&send).ok()?;
    let status = el(&doc, "p", "")?;
    status.set_id("fd-rt-st");
    status.set_attribute("role", "status").ok()?;
    sec.append_child(&status).ok()?;
    button.parent_node()?.replace_child(&sec, &button).ok()?;
    // Stars light up to the chosen one, and its tags show.
    let on_change = Closure::<dyn FnMut(Event)>::new(|_| {
        light();
        let _ = offer_tags();
    });
    stars
        .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())
        .ok()?;
    let on_tag = Closure::<dyn FnMut(Event)>::new(toggle_tag);
    tags.add_event_listener_with_callback("click", on_tag.as_ref().unchecked_ref())
        .ok()?;
    let on_send = Closure::<dyn FnMut(Event)>::new(|_| submit());
    send.add_event_listener_with_callback("click", on_send.as_ref().unchecked_ref())
        .ok()?;
    HANDLERS.with(|v| v.borrow_mut().extend([on_change, on_tag, on_send]));
    if let Some(first) = stars
        .query_selector("input")
        .ok()
        .flatten()
        .and_then(|i| i.dyn_into::<HtmlElement>().ok())
    {
        let _ = first.focus();
    }
    Some(())
}

/// The chosen score (0: none).
fn chosen() -> u8 {
    document()
        .and_then(|d| d.query_selector("#fd-rt input:checked").ok().flatten())
        .and_then(|i| i.get_attribute("value"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn light() {
    let score = chosen();
    let Some(doc) = document() else { return };
    if let Ok(list) = doc.query_selector_all("#fd-rt label") {
        for i in 0..list.length() {
            if let Some(l) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = l.class_list().toggle_with_force("on", (i as u8) < score);
            }
        }
    }
}

/// The tags offered for `score`: complaints for 1–3 stars, praise for 4–5 (`None`: no score).
fn tag_set(score: u8) -> Option<(&'static str, [&'static str; 4])> {
    let t = texts(locale());
    match score {
        1..=3 => Some(("low", [t.tag_low_1, t.tag_low_2, t.tag_low_3, t.tag_low_4])),
        4..=5 => Some((
            "high",
            [t.tag_high_1, t.tag_high_2, t.tag_high_3, t.tag_high_4],
        )),
        _ => None,
    }
}

/// Shows the chosen score's tags; a score of the other set replaces them (what was chosen of
/// the old set is dropped), one of the same set keeps them as they are.
fn offer_tags() -> Option<()> {
    let doc = document()?;
    let row = doc.get_element_by_id("fd-rt-tg")?;
    let (set, names) = tag_set(chosen())?;
    if row.get_attribute("data-set").as_deref() == Some(set) {
        return Some(());
    }
    row.set_text_content(None);
    row.set_attribute("data-set", set).ok()?;
    for name in names {
        let b = el(&doc, "button", "")?;
        b.set_text_content(Some(name));
        for (k, v) in [
            ("type", "button"),
            ("aria-pressed", "false"),
            ("data-testid", "fd-rate-tag"),
            ("data-tag", name),
        ] {
            b.set_attribute(k, v).ok()?;
        }
        row.append_child(&b).ok()?;
    }
    row.remove_attribute("hidden").ok()?;
    Some(())
}

/// A click (or Enter/Space) on a tag turns it on or off.
fn toggle_tag(e: Event) {
    let Some(b) = e
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .filter(|t| t.tag_name() == "BUTTON")
    else {
        return;
    };
    let on = b.get_attribute("aria-pressed").as_deref() == Some("true");
    let _ = b.set_attribute("aria-pressed", if on { "false" } else { "true" });
}

/// The chosen tags' texts, in the order shown.
fn chosen_tags() -> Vec<String> {
    let Some(list) = document().and_then(|d| {
        d.query_selector_all("#fd-rt-tg button[aria-pressed=true]")
            .ok()
    }) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| {
            list.item(i)?
                .dyn_into::<Element>()
                .ok()?
                .get_attribute("data-tag")
        })
        .collect()
}

fn say(s: &str, bad: bool) {
    if let Some(p) = document().and_then(|d| d.get_element_by_id("fd-rt-st")) {
        p.set_text_content(Some(s));
        let _ = p.set_attribute("role", if bad { "alert" } else { "status" });
        let _ = p.set_attribute(
            "data-testid",
            if bad { "fd-rate-error" } else { "fd-rate-done" },
        );
    }
}

fn submit() {
    let t = texts(locale());
    let score = chosen();
    if score == 0 {
        return say(t.pick, true);
    }
    let comment = document()
        .and_then(|d| d.query_selector("#fd-rt textarea").ok().flatten())
        .and_then(|e| js_sys::Reflect::get(&e, &"value".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let r = RateRequest {
        sysnum: query("sysnum").unwrap_or_default(),
        token: conversation(|c| c.token.clone()).unwrap_or_default(),
        score,
        tags: chosen_tags(),
        comment,
    };
    let Ok(body) = serde_json::to_string(&r) else {
        return;
    };
    super::leave::http(
        "POST",
        "/api/visitor/rating",
        Some(&body),
        |status, body| {
            let t = texts(locale());
            match (status, serde_json::from_str::<Rated>(&body)) {
                (200, Ok(_)) => say(t.thanks, false),
                _ => say(t.failed, true),
            }
        },
    );
}
