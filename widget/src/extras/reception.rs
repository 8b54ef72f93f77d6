//! The reception's part of the chat page (lazy tier): what a `reception` frame
//! (`shared::reception::ReceptionFrame`) shows. The chat page decodes the frame (it hides the
//! queue position while there is an offline text) and calls [`show`] with its JSON as it came,
//! the first time a frame with something to show arrives and on every change after, so a
//! human-only site never loads this. The page's own settings (`locale`, `to_customsys_*`)
//! are read from its query string here, as [`crate::chat::params`] reads the others.
//!
//! - the robot's greeting as a robot bubble at the top of the message list (`#fd-gr`, test
//!   hook `fd-greeting`; the stylesheet then hides the generic greeting), not stored;
//! - the suggestion chips (`#fd-k`, `fd-chip` buttons) in a bar above the input: a tap sends
//!   the text as the visitor's own message (put in the chat's input and sent with its send
//!   button), and the chat page clears them ([`clear`]) on the next message either way;
//! - the hand-over control (`fd-manual`, "转人工 / Talk to a person"): the chat page's export
//!   `fd_handover` sends `handover`; with `to_customsys_flag` and an `http(s)`
//!   `to_customsys_url` (percent-encoded or not, vetted by `shared::card::safe_url`:
//!   [`customsys`]) it opens that URL instead, in a new window (`to_customsys_open_style` 1) or
//!   in place of the page (the host page when embedded);
//! - the offline text under the status line (`#fd-off`, `fd-offline`), which the chat page
//!   shows instead of a queue position.
//!
//! Every string becomes a text node; nothing is parsed as HTML. The elements are made once,
//! next to the chat page's own (found by class), and live as long as the page.

use js_sys::{Array, Reflect, JSON};
use shared::config::{parse_flag, Locale};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, UrlSearchParams};

use super::{document, el};

#[wasm_bindgen]
extern "C" {
    /// The chat page's exports (its wasm-bindgen module is the global `wasmBindings`).
    #[wasm_bindgen(js_namespace = wasmBindings, js_name = fd_handover)]
    fn hand_over();
}

use crate::i18n::ReceptionTexts as Texts;

fn texts(locale: Locale) -> &'static Texts {
    crate::i18n::reception(locale)
}

const CSS: &str = ".fd-r .fd-b{border-left:3px solid var(--c)}.fd-gr{display:contents}.fd-gr:not(:empty)~.fd-e{display:none}\
.fd-rc{flex:none;display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:0 8px}\
.fd-k{display:flex;flex-wrap:wrap;gap:6px;flex:1;padding:4px 0}\
.fd-k:empty,.fd-hm[hidden]{display:none}\
.fd-k button,.fd-hm{padding:5px 12px;border:1px solid var(--c,#1e6fd9);border-radius:16px;\
background:#fff;color:var(--ct,#1e6fd9);font:inherit;font-size:13px;cursor:pointer;text-align:left}\
.fd-hm{flex:none;margin:4px 0 4px auto}";

/// `to_customsys_flag` with an `http(s)` `to_customsys_url` (percent-encoded or not): the URL
/// the hand-over control opens instead, and whether in a new window
/// (`to_customsys_open_style` 1). `get` reads the page's query.
pub fn customsys(get: impl Fn(&str) -> Option<String>) -> Option<(String, bool)> {
    let flag = |k: &str| get(k).and_then(|v| parse_flag(&v)).unwrap_or(false);
    if !flag("to_customsys_flag") {
        return None;
    }
    let url = shared::card::safe_url(get("to_customsys_url")?.trim())?;
    Some((url, flag("to_customsys_open_style")))
}

/// The page's query parameter `k`.
fn query(k: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()?.get(k)
}

/// A string field of the frame (absent, `null` or not a string: `None`).
fn text(frame: &JsValue, k: &str) -> Option<String> {
    Reflect::get(frame, &JsValue::from_str(k)).ok()?.as_string()
}

/// Shows a reception frame (see the module doc) given as the server's JSON; `""` removes the
/// chips (the next message came).
pub fn show(json: &str) {
    if json.is_empty() {
        return clear();
    }
    let Ok(frame) = JSON::parse(json) else { return };
    let t = texts(
        query("locale")
            .and_then(|l| Locale::parse(&l))
            .unwrap_or_default(),
    );
    let Some(doc) = document() else { return };
    let Some((top, chips, control, off)) = elements(&doc, t) else {
        return;
    };
    top.set_text_content(None);
    if let Some(g) = text(&frame, "greeting") {
        if let Some(m) = el(&doc, "div", "fd-m fd-a fd-r") {
            let robot = text(&frame, "robot");
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
    if let Ok(list) = Reflect::get(&frame, &JsValue::from_str("suggest")) {
        if Array::is_array(&list) {
            for q in Array::from(&list).iter().filter_map(|q| q.as_string()) {
                if let Some(b) = add_text(&doc, &chips, "button", "", &q) {
                    let _ = b.set_attribute("type", "button");
                    let _ = b.set_attribute("data-testid", "fd-chip");
                }
            }
        }
    }
    let offline = text(&frame, "offline");
    off.set_text_content(offline.as_deref());
    let _ = off.toggle_attribute_with_force("hidden", offline.is_none());
    // Nobody can take the chat: offer to leave a message instead (seed 003 `msg_flag`).
    #[cfg(feature = "json")]
    if offline.is_some() && !super::leave::prompts_off() {
        let _ = super::leave::offer(&off);
    }
    let manual = Reflect::get(&frame, &JsValue::from_str("manual"))
        .ok()
        .and_then(|m| m.as_bool())
        .unwrap_or(false);
    let _ = control.toggle_attribute_with_force("hidden", !manual);
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
        // A suggestion: sent as the visitor's own message, through the chat's own input and
        // send button (so it goes the way of anything the visitor types).
        let doc = document();
        let input = doc.as_ref().and_then(|d| d.get_element_by_id("fd-in"));
        let send = doc.and_then(|d| d.query_selector("[data-testid=fd-send]").ok().flatten());
        if let (Some(text), Some(input), Some(send)) = (b.text_content(), input, send) {
            if let Some(input) = input.dyn_ref::<web_sys::HtmlTextAreaElement>() {
                input.set_value(&text);
            }
            if let Some(send) = send.dyn_ref::<web_sys::HtmlElement>() {
                send.click();
            }
        }
        return;
    }
    match (customsys(query), web_sys::window()) {
        (Some((url, new_window)), Some(w)) => {
            let _ = if new_window {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn url(q: &[(&str, &str)]) -> Option<(String, bool)> {
        customsys(|k| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn customsys_url_encoded_or_not_http_only() {
        assert_eq!(
            url(&[
                ("to_customsys_flag", "true"),
                ("to_customsys_url", "https://www.sobot.com")
            ]),
            Some(("https://www.sobot.com".into(), false))
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "1"),
                ("to_customsys_url", "https%3A%2F%2Fa.example%2Fp%3Fx%3D1"),
                ("to_customsys_open_style", "1"),
            ]),
            Some(("https://a.example/p?x=1".into(), true))
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "1"),
                ("to_customsys_url", "javascript:alert(1)")
            ]),
            None
        );
        assert_eq!(
            url(&[
                ("to_customsys_flag", "0"),
                ("to_customsys_url", "https://a.example")
            ]),
            None
        );
        assert_eq!(url(&[("to_customsys_url", "https://a.example")]), None);
    }
}
