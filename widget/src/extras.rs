//! The chat page's lazy tier (bin `extras`, `extras.js` + `extras_bg.wasm`): features the chat
//! needs only once a visitor asks for them, loaded with `import()` on first use so they cost
//! nothing on the way to "interactive". Like the launcher it is plain `web-sys` (no Leptos, no
//! serde_json) and is built without the `chat` feature.
//!
//! Today it holds the emoji picker (seed 003 `emoji_state`; the chat page hides its button
//! with `emoji_state: "hide"`). [`toggle_emoji`] opens or closes a panel above the chat's
//! input; its emoji come from a static JSON file fetched the first time the panel opens
//! (`[{"cn","en","tw": group name, "e": "space-separated emoji"}]`). Picking one inserts it at
//! the input's caret (replacing a selection) and fires `input`, so the chat sees it as typed.
//! Keyboard: arrows, Home and End move between emoji, Enter or Space picks, Escape closes
//! and returns focus to the emoji button, Tab leaves. The panel's own CSS is injected with it.
//!
//! Nothing from the data file is parsed as HTML: emoji and group names become text nodes.
//! Size matters as for the launcher: no `format!`, no panicking calls.

pub mod card;
#[cfg(feature = "json")]
pub mod face;
#[cfg(feature = "json")]
pub mod leave;
pub mod page;
#[cfg(feature = "json")]
pub mod rate;
pub mod reception;
#[cfg(feature = "json")]
pub mod shot;
#[cfg(feature = "json")]
pub mod upload;

use std::cell::RefCell;

use js_sys::{Array, Promise, Reflect, JSON};
use shared::config::Locale;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, HtmlElement, HtmlTextAreaElement, KeyboardEvent};

/// The picker's own strings (`emoji-…`).
fn emoji_texts(locale: Locale) -> &'static crate::i18n::EmojiTexts {
    crate::i18n::emoji(locale)
}

/// Emoji per row; arrow up/down move by this many.
const COLUMNS: i32 = 8;

const CSS: &str = ".fd-f{position:relative}.fd-ep{position:absolute;left:8px;right:8px;bottom:100%;margin-bottom:6px;\
max-height:220px;overflow-y:auto;padding:8px;background:#fff;border:1px solid #e5e7eb;\
border-radius:12px;box-shadow:0 4px 16px rgba(0,0,0,.15);z-index:2}\
.fd-ep h2{margin:4px 2px;font-size:12px;font-weight:600;color:#57606a}\
.fd-eg{display:grid;grid-template-columns:repeat(8,1fr);gap:2px}\
.fd-eg button{height:36px;border:0;border-radius:6px;background:none;font-size:22px;line-height:1;\
cursor:pointer;padding:0}\
.fd-eg button:hover,.fd-eg button:focus-visible{background:#eef2f7}\
.fd-ep p{margin:8px;color:#57606a;font-size:13px}";

/// The open (or opening) picker of this page.
struct Picker {
    panel: HtmlElement,
    button: HtmlElement,
    input: HtmlTextAreaElement,
    /// The panel's `keydown` and `click` handlers, alive as long as the panel.
    _on_key: Closure<dyn FnMut(KeyboardEvent)>,
    _on_click: Closure<dyn FnMut(Event)>,
}

/// A promise handler kept alive while its promise is pending.
type Handler = Closure<dyn FnMut(JsValue)>;

thread_local! {
    static PICKER: RefCell<Option<Picker>> = const { RefCell::new(None) };
    /// The emoji data once fetched (a parsed JSON array), kept for the next opening.
    static DATA: RefCell<Option<JsValue>> = const { RefCell::new(None) };
    /// The `then` handlers of the fetch under way.
    static FETCHING: RefCell<Option<(Handler, Handler)>> = const { RefCell::new(None) };
}

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn el(doc: &Document, tag: &str, class: &str) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    Some(e)
}

fn text(parent: &Element, tag: &str, s: &str) -> Option<Element> {
    let doc = document()?;
    let e = el(&doc, tag, "")?;
    e.set_text_content(Some(s));
    parent.append_child(&e).ok()?;
    Some(e)
}

/// Opens the picker above `button`'s form, or closes it when it is open. `data_url` is the
/// emoji file, `locale` seed 003's `cn`/`en`/`tw`.
pub fn toggle_emoji(button: HtmlElement, input: HtmlTextAreaElement, locale: &str, data_url: &str) {
    if close(false) {
        return;
    }
    let _ = open(
        button,
        input,
        Locale::parse(locale).unwrap_or_default(),
        data_url,
    );
}

/// Removes the panel; `true` if one was open. `refocus` puts focus back on the emoji button.
fn close(refocus: bool) -> bool {
    let Some(p) = PICKER.with(|s| s.borrow_mut().take()) else {
        return false;
    };
    p.panel.remove();
    let _ = p.button.set_attribute("aria-expanded", "false");
    if refocus {
        let _ = p.button.focus();
    }
    true
}

fn open(
    button: HtmlElement,
    input: HtmlTextAreaElement,
    locale: Locale,
    data_url: &str,
) -> Option<()> {
    let doc = document()?;
    if doc.get_element_by_id("fd-ep-css").is_none() {
        let style = el(&doc, "style", "")?;
        style.set_id("fd-ep-css");
        style.set_text_content(Some(CSS));
        doc.head()?.append_child(&style).ok()?;
    }
    let t = emoji_texts(locale);
    let panel: HtmlElement = el(&doc, "div", "fd-ep")?.dyn_into().ok()?;
    panel.set_id("fd-ep");
    for (k, v) in [
        ("role", "dialog"),
        ("aria-label", t.label),
        ("data-testid", "fd-emoji-panel"),
    ] {
        panel.set_attribute(k, v).ok()?;
    }
    let on_key = Closure::<dyn FnMut(KeyboardEvent)>::new(on_key);
    panel
        .add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref())
        .ok()?;
    let on_click = Closure::<dyn FnMut(Event)>::new(on_click);
    panel
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok()?;
    // Inside the input's form (positioned), right above it.
    let form = input.closest("form").ok().flatten()?;
    form.append_child(&panel).ok()?;
    let _ = button.set_attribute("aria-expanded", "true");
    let _ = button.set_attribute("aria-controls", "fd-ep");
    PICKER.with(|s| {
        *s.borrow_mut() = Some(Picker {
            panel: panel.clone(),
            button,
            input,
            _on_key: on_key,
            _on_click: on_click,
        })
    });
    match DATA.with(|d| d.borrow().clone()) {
        Some(data) => fill(&panel, &data, locale),
        None => {
            text(&panel, "p", t.loading)?;
            fetch(data_url, locale);
        }
    }
    Some(())
}

/// Fetches and parses the emoji file once; fills the panel if it is still open.
fn fetch(url: &str, locale: Locale) {
    if FETCHING.with(|f| f.borrow().is_some()) {
        return;
    }
    let Some(w) = web_sys::window() else { return };
    let on_ok = Closure::<dyn FnMut(JsValue)>::new(move |res: JsValue| {
        let ok = Reflect::get(&res, &"ok".into())
            .ok()
            .and_then(|v| v.as_bool())
            == Some(true);
        let text = Reflect::get(&res, &"text".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            .and_then(|f| f.call0(&res).ok())
            .and_then(|p| p.dyn_into::<Promise>().ok());
        match (ok, text) {
            (true, Some(p)) => {
                let done = Closure::once(move |body: JsValue| {
                    let data = body
                        .as_string()
                        .and_then(|s| JSON::parse(&s).ok())
                        .filter(Array::is_array);
                    loaded(data, locale);
                });
                let fail = Closure::once(move |_: JsValue| loaded(None, locale));
                let _ = p.then2(&done, &fail);
                done.forget();
                fail.forget();
            }
            _ => loaded(None, locale),
        }
    });
    let on_err = Closure::<dyn FnMut(JsValue)>::new(move |_| loaded(None, locale));
    let _ = w.fetch_with_str(url).then2(&on_ok, &on_err);
    FETCHING.with(|f| *f.borrow_mut() = Some((on_ok, on_err)));
}

/// The fetch ended: keep the data (or allow a retry) and show it in the open panel.
fn loaded(data: Option<JsValue>, locale: Locale) {
    // The handlers that called us stay alive until they return: drop them later.
    let handlers = FETCHING.with(|f| f.borrow_mut().take());
    if let Some(h) = handlers {
        let keep = Closure::once(move || drop(h));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(keep.as_ref().unchecked_ref());
        }
        keep.forget();
    }
    if let Some(d) = &data {
        DATA.with(|s| *s.borrow_mut() = Some(d.clone()));
    }
    let Some(panel) = PICKER.with(|s| s.borrow().as_ref().map(|p| p.panel.clone())) else {
        return;
    };
    panel.set_text_content(None);
    match data {
        Some(d) => fill(&panel, &d, locale),
        None => {
            let _ = text(&panel, "p", emoji_texts(locale).failed);
        }
    }
}

/// Builds one titled grid of buttons per group and focuses the first emoji.
fn fill(panel: &HtmlElement, data: &JsValue, locale: Locale) {
    let Some(doc) = document() else { return };
    let key = match locale {
        Locale::Cn => "cn",
        Locale::En => "en",
        Locale::Tw => "tw",
    };
    let mut first: Option<HtmlElement> = None;
    for group in Array::from(data).iter() {
        let name = Reflect::get(&group, &key.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let emoji = Reflect::get(&group, &"e".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        let (Some(title), Some(grid)) = (text(panel, "h2", &name), el(&doc, "div", "fd-eg")) else {
            return;
        };
        let _ = grid.set_attribute("role", "group");
        let _ = grid.set_attribute("aria-label", &name);
        let _ = title.set_attribute("aria-hidden", "true");
        for e in emoji.split_whitespace() {
            let Some(b) = text(&grid, "button", e) else {
                return;
            };
            let _ = b.set_attribute("type", "button");
            let _ = b.set_attribute("data-testid", "fd-emoji-item");
            if first.is_none() {
                first = b.dyn_into().ok();
            }
        }
        if panel.append_child(&grid).is_err() {
            return;
        }
    }
    if let Some(b) = first {
        let _ = b.focus();
    }
}

/// The emoji buttons of the open panel, in order.
fn items(panel: &HtmlElement) -> Vec<HtmlElement> {
    let Ok(list) = panel.query_selector_all(".fd-eg button") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

fn on_key(e: KeyboardEvent) {
    let Some(panel) = PICKER.with(|s| s.borrow().as_ref().map(|p| p.panel.clone())) else {
        return;
    };
    let key = e.key();
    if key == "Escape" {
        // Ours: the chat page would otherwise collapse the whole window.
        e.prevent_default();
        e.stop_propagation();
        close(true);
        return;
    }
    let all = items(&panel);
    let active = document().and_then(|d| d.active_element());
    let Some(at) = all.iter().position(|b| {
        active
            .as_ref()
            .is_some_and(|a| a == b.unchecked_ref::<Element>())
    }) else {
        return;
    };
    let last = all.len() as i32 - 1;
    let to = match key.as_str() {
        "ArrowRight" => at as i32 + 1,
        "ArrowLeft" => at as i32 - 1,
        "ArrowDown" => at as i32 + COLUMNS,
        "ArrowUp" => at as i32 - COLUMNS,
        "Home" => 0,
        "End" => last,
        _ => return,
    };
    e.prevent_default();
    if let Some(b) = all.get(to.clamp(0, last) as usize) {
        let _ = b.focus();
    }
}

/// A click (or Enter/Space, which click a button) on an emoji inserts it at the caret.
fn on_click(e: Event) {
    let Some(b) = e
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .filter(|t| t.tag_name() == "BUTTON")
    else {
        return;
    };
    let Some(emoji) = b.text_content() else {
        return;
    };
    let Some(input) = PICKER.with(|s| s.borrow().as_ref().map(|p| p.input.clone())) else {
        return;
    };
    let len = input.value().encode_utf16().count() as u32;
    let start = input.selection_start().ok().flatten().unwrap_or(len);
    let end = input.selection_end().ok().flatten().unwrap_or(start);
    let max = input.max_length();
    let after = len.saturating_sub(end.saturating_sub(start)) + emoji.encode_utf16().count() as u32;
    if max >= 0 && after > max as u32 {
        return; // would pass the input's maxlength
    }
    let _ = input.set_range_text_with_start_and_end_and_mode(&emoji, start, end, "end");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    if let Ok(ev) = Event::new_with_event_init_dict("input", &init) {
        let _ = input.dispatch_event(&ev);
    }
    close(false);
    let _ = input.focus();
}
