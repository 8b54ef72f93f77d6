//! The reception's part of the chat page (lazy tier): what a `reception` frame
//! (`shared::reception::ReceptionFrame`, decoded by the chat page) shows. The chat page calls
//! [`show`] with the frame's fields the first time a frame arrives and on every change, so a
//! human-only site never loads this.
//!
//! - the robot's greeting as a robot bubble at the top of the message list (`#fd-gr`, test
//!   hook `fd-greeting`; the stylesheet then hides the generic greeting), not stored;
//! - the suggestion chips (`#fd-k`, `fd-chip` buttons) in a bar above the input: a tap sends
//!   the text as the visitor's own message (the chat page's export `fd_chip`), and the chat
//!   page clears them ([`clear`]) on the next message either way;
//! - the hand-over control (`fd-manual`, "转人工 / Talk to a person"): the chat page's export
//!   `fd_handover` sends `handover`; with `to_customsys_flag` and an `http(s)`
//!   `to_customsys_url` (already vetted by `shared::card::safe_url` in the chat page) it opens
//!   that URL instead, in a new window (`to_customsys_open_style` 1) or in place of the page
//!   (the host page when embedded);
//! - the offline text under the status line (`#fd-off`, `fd-offline`), which the chat page
//!   shows instead of a queue position.
//!
//! Every string becomes a text node; nothing is parsed as HTML. The elements are made once,
//! next to the chat page's own (found by class), and live as long as the page.

use shared::config::Locale;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event};

use super::{document, el};

#[wasm_bindgen]
extern "C" {
    /// The chat page's exports (its wasm-bindgen module is the global `wasmBindings`).
    #[wasm_bindgen(js_namespace = wasmBindings, js_name = fd_chip)]
    fn chip_tapped(text: &str);
    #[wasm_bindgen(js_namespace = wasmBindings, js_name = fd_handover)]
    fn hand_over();
}

struct Texts {
    manual: &'static str,
    /// The robot's name when the frame has none.
    robot: &'static str,
    /// The chips' accessible group name.
    suggest: &'static str,
}

fn texts(locale: Locale) -> &'static Texts {
    match locale {
        Locale::Cn => &Texts {
            manual: "转人工",
            robot: "智能客服",
            suggest: "您可能想问",
        },
        Locale::En => &Texts {
            manual: "Talk to a person",
            robot: "Assistant",
            suggest: "You may want to ask",
        },
        Locale::Tw => &Texts {
            manual: "轉人工",
            robot: "智能客服",
            suggest: "您可能想問",
        },
    }
}

const CSS: &str = ".fd-gr{display:contents}.fd-gr:not(:empty)~.fd-e{display:none}\
.fd-rc{flex:none;display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:0 8px}\
.fd-k{display:flex;flex-wrap:wrap;gap:6px;flex:1;padding:4px 0}\
.fd-k:empty,.fd-hm[hidden]{display:none}\
.fd-k button,.fd-hm{padding:5px 12px;border:1px solid var(--c,#1e6fd9);border-radius:16px;\
background:#fff;color:var(--c,#1e6fd9);font:inherit;font-size:13px;cursor:pointer;text-align:left}\
.fd-hm{flex:none;margin:4px 0 4px auto}";

/// Separates the suggestions in [`show`]'s `suggest` (a record separator: never in a question).
pub const SEP: char = '\u{1e}';

/// Shows a reception frame (see the module doc). `suggest` is the questions joined by [`SEP`];
/// `customsys` the vetted `to_customsys_url`, opened in a new window when `new_window`.
#[allow(clippy::too_many_arguments)]
pub fn show(
    locale: &str,
    robot: Option<String>,
    greeting: Option<String>,
    suggest: &str,
    manual: bool,
    offline: Option<String>,
    customsys: Option<String>,
    new_window: bool,
) {
    let t = texts(Locale::parse(locale).unwrap_or_default());
    let Some(doc) = document() else { return };
    let Some((top, chips, control, off)) = elements(&doc, t) else {
        return;
    };
    top.set_text_content(None);
    if let Some(g) = greeting {
        if let Some(m) = el(&doc, "div", "fd-m fd-a fd-r") {
            add_text(
                &doc,
                &m,
                "span",
                "fd-n",
                robot.as_deref().unwrap_or(t.robot),
            );
            if let Some(b) = add_text(&doc, &m, "div", "fd-b", &g) {
                let _ = b.set_attribute("data-testid", "fd-greeting");
            }
            let _ = top.append_child(&m);
        }
    }
    chips.set_text_content(None);
    for q in suggest.split(SEP).filter(|q| !q.is_empty()) {
        if let Some(b) = add_text(&doc, &chips, "button", "", q) {
            let _ = b.set_attribute("type", "button");
            let _ = b.set_attribute("data-testid", "fd-chip");
        }
    }
    off.set_text_content(offline.as_deref());
    let _ = off.toggle_attribute_with_force("hidden", offline.is_none());
    let _ = control.toggle_attribute_with_force("hidden", !manual);
    let _ = control.set_attribute("data-url", customsys.as_deref().unwrap_or(""));
    let _ = control.set_attribute("data-new", if new_window { "1" } else { "" });
}

/// Removes the chips (the next message came).
pub fn clear() {
    if let Some(chips) = document().and_then(|d| d.get_element_by_id("fd-k")) {
        chips.set_text_content(None);
    }
}

fn add_text(doc: &Document, parent: &Element, tag: &str, class: &str, s: &str) -> Option<Element> {
    let e = el(doc, tag, class)?;
    e.set_text_content(Some(s));
    parent.append_child(&e).ok()?;
    Some(e)
}

/// The greeting slot, the chips, the hand-over button and the offline line: found, or made
/// the first time (with the CSS and the bar's click listener).
fn elements(doc: &Document, t: &Texts) -> Option<(Element, Element, Element, Element)> {
    let find = |id: &str| doc.get_element_by_id(id);
    if let (Some(top), Some(chips), Some(control), Some(off)) =
        (find("fd-gr"), find("fd-k"), find("fd-hm"), find("fd-off"))
    {
        return Some((top, chips, control, off));
    }
    let list = doc.query_selector(".fd-l").ok()??;
    let form = doc.query_selector(".fd-f").ok()??;
    let status = doc.query_selector(".fd-s").ok()??;
    let body = doc.body()?;
    let style = el(doc, "style", "")?;
    style.set_text_content(Some(CSS));
    doc.head()?.append_child(&style).ok()?;

    let top = el(doc, "div", "fd-gr")?;
    top.set_id("fd-gr");
    list.prepend_with_node_1(&top).ok()?;

    let off = el(doc, "p", "fd-s fd-warn")?;
    off.set_id("fd-off");
    for (k, v) in [
        ("data-testid", "fd-offline"),
        ("role", "status"),
        ("hidden", ""),
    ] {
        let _ = off.set_attribute(k, v);
    }
    body.insert_before(&off, status.next_sibling().as_ref())
        .ok()?;

    let bar = el(doc, "div", "fd-rc")?;
    let chips = el(doc, "div", "fd-k")?;
    chips.set_id("fd-k");
    let _ = chips.set_attribute("role", "group");
    let _ = chips.set_attribute("aria-label", t.suggest);
    bar.append_child(&chips).ok()?;
    let control = add_text(doc, &bar, "button", "fd-hm", t.manual)?;
    control.set_id("fd-hm");
    for (k, v) in [
        ("type", "button"),
        ("data-testid", "fd-manual"),
        ("hidden", ""),
    ] {
        let _ = control.set_attribute(k, v);
    }
    body.insert_before(&bar, Some(&form)).ok()?;
    let on_click = Closure::<dyn FnMut(Event)>::new(|e: Event| {
        if let Some(b) = e.target().and_then(|b| b.dyn_into::<Element>().ok()) {
            clicked(&b);
        }
    });
    bar.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok()?;
    // The bar lives as long as the page.
    on_click.forget();
    Some((top, chips, control, off))
}

fn clicked(b: &Element) {
    if b.tag_name() != "BUTTON" {
        return;
    }
    if b.id() != "fd-hm" {
        // A suggestion: sent as the visitor's own message.
        if let Some(text) = b.text_content() {
            chip_tapped(&text);
        }
        return;
    }
    let url = b.get_attribute("data-url").filter(|u| !u.is_empty());
    match (url, web_sys::window()) {
        (Some(url), Some(w)) => {
            let _ = if b.get_attribute("data-new").as_deref() == Some("1") {
                w.open_with_url_and_target_and_features(&url, "_blank", "noopener")
            } else {
                w.open_with_url_and_target(&url, "_top")
            };
        }
        _ => {
            let _ = b.toggle_attribute_with_force("hidden", true);
            hand_over();
        }
    }
}
