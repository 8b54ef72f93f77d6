//! The launcher: seed 003's `zc(...)` API inside the customer's page (SPEC §4.2/§4.3).
//!
//! `public/entrance.js` loads this module, calls [`boot`], replays the snippet's queued
//! `zc(...)` calls through [`zc`] and then routes every later call here. The first drawing is
//! deferred until that replay is done (a microtask, or `DOMContentLoaded` while the page is
//! still parsing), so `color`, `manual` and `custom` from the queue take effect before anything
//! is shown.
//!
//! Host-page etiquette: nothing here throws into the page (every fallible step returns `None`
//! and at worst logs one `console.warn`), nothing is created with `innerHTML`, callbacks from
//! the host are invoked only after our state borrow is released (they may call `zc` again),
//! and the chat iframe is created on the first open only.
//!
//! From the chat iframe it accepts only two things (origin *and* source checked): the seed's
//! collapse message, and — for a chat page whose own storage the browser blocks as
//! third-party — the visitor token and the sealed outbox to keep in this page's `localStorage`
//! ([`wire::STORE_NAME`]). Message contents never come here in the clear.
//!
//! Size matters more than elegance here: no `format!`, no `serde`, no panicking calls.

use std::cell::RefCell;
use std::mem::take;

use js_sys::{Array, Function, Object, Promise, Reflect};
use shared::config::{parse_color, parse_flag, parse_location, Locale, DEFAULT_COLOR};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    console, Document, Element, Event, HtmlElement, HtmlIFrameElement, MessageEvent, Url,
};

use crate::i18n::launcher_texts;
use crate::wire;

/// Everything the launcher knows about one host page. Lives in [`STATE`] for the page's
/// lifetime; the `Closure`s are kept here (instead of `forget()`) because the DOM holds
/// references to them for as long as the page lives.
struct Launcher {
    /// Origin of the Frontdesk server (`new URL(base).origin`): where the iframe points and
    /// the only origin whose messages are accepted.
    origin: String,
    sysnum: String,
    /// `className` of the loader `<script>`: the custom-button class under `custom:true`.
    class_name: String,

    color: String,
    location: u8,
    locale: Locale,
    manual: bool,
    custom: bool,
    /// Every other scalar `zc("config")` value, in first-set order, passed to the chat page
    /// as query parameters.
    params: Vec<(String, String)>,

    /// The deferred start ran (queue replayed, DOM parsed).
    started: bool,
    /// `zc("frame_manual")` was called (only matters with `manual:true`).
    released: bool,
    /// Launcher or custom buttons are installed.
    installed: bool,
    expanded: bool,
    /// The chat iframe fired `load`.
    loaded: bool,

    button: Option<HtmlElement>,
    panel: Option<HtmlElement>,
    frame: Option<HtmlIFrameElement>,

    /// `frame_manual` and `frame_ready` callbacks until the widget is ready ([`ready`]).
    ready_cbs: Vec<Function>,
    /// Command names already warned about, so each one warns once.
    warned: Vec<String>,

    on_start: Option<Closure<dyn FnMut(JsValue)>>,
    on_toggle: Option<Closure<dyn FnMut(Event)>>,
    on_open: Option<Closure<dyn FnMut(Event)>>,
    on_load: Option<Closure<dyn FnMut(Event)>>,
    on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
}

thread_local! {
    static STATE: RefCell<Option<Launcher>> = const { RefCell::new(None) };
}

/// Runs `f` on the state. `None` before [`boot`] or on re-entrance (which the design avoids:
/// host callbacks run only after the borrow ends).
fn with<R>(f: impl FnOnce(&mut Launcher) -> R) -> Option<R> {
    STATE.with(|s| s.try_borrow_mut().ok()?.as_mut().map(f))
}

const CSS: &str = "\
.fd-launcher{position:fixed;bottom:24px;right:24px;left:auto;z-index:2147483000;width:56px;height:56px;margin:0;padding:0;border:0;border-radius:50%;color:#fff;cursor:pointer;display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.28)}\
.fd-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}\
.fd-launcher svg{width:28px;height:28px;fill:currentColor;filter:drop-shadow(0 0 1px rgba(0,0,0,.6))}\
.fd-launcher[aria-expanded=true] .fd-i1,.fd-launcher[aria-expanded=false] .fd-i2{display:none}\
.fd-panel{position:fixed;bottom:92px;right:24px;left:auto;z-index:2147483000;width:380px;height:600px;max-width:calc(100vw - 48px);max-height:calc(100vh - 116px);border-radius:12px;overflow:hidden;background:#fff;box-shadow:0 8px 32px rgba(0,0,0,.28)}\
.fd-left{right:auto;left:24px}\
.fd-panel[hidden]{display:none}\
.fd-panel iframe{display:block;width:100%;height:100%;border:0}\
@media (max-width:500px){.fd-panel{top:0;right:0;bottom:0;left:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}.fd-launcher.fd-open{display:none}}";

const ICON_CHAT: &str = "M12 3C6.5 3 2 6.6 2 11c0 2.4 1.3 4.5 3.4 6L4.5 21l4.3-2.2c1 .3 2.1.4 3.2.4 5.5 0 10-3.6 10-8s-4.5-8-10-8z";
const ICON_CLOSE: &str =
    "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z";

fn document() -> Option<Document> {
    web_sys::window()?.document()
}

fn warn(msg: &str, detail: &JsValue) {
    console::warn_2(&JsValue::from_str(msg), detail);
}

/// Calls a host callback; an exception in it is reported, never propagated into our state.
fn call_all(cbs: Vec<Function>, arg: &JsValue) {
    for cb in cbs {
        if let Err(e) = cb.call1(&JsValue::UNDEFINED, arg) {
            console::error_2(&JsValue::from_str("frontdesk: zc callback threw"), &e);
        }
    }
}

/// Called once by entrance.js with the Frontdesk origin, the site's `sysnum` and the loader
/// script's `className`. A second call is ignored.
pub fn boot(base_url: &str, sysnum: &str, class_name: &str) {
    let Some(origin) = Url::new(base_url).ok().map(|u| u.origin()) else {
        warn("frontdesk: bad base url", &JsValue::from_str(base_url));
        return;
    };
    let fresh = STATE.with(|s| {
        let Ok(mut s) = s.try_borrow_mut() else {
            return false;
        };
        if s.is_some() {
            return false;
        }
        *s = Some(Launcher {
            origin,
            sysnum: sysnum.into(),
            class_name: class_name.trim().into(),
            color: DEFAULT_COLOR.into(),
            location: 1,
            locale: Locale::Cn,
            manual: false,
            custom: false,
            params: Vec::new(),
            started: false,
            released: false,
            installed: false,
            expanded: false,
            loaded: false,
            button: None,
            panel: None,
            frame: None,
            ready_cbs: Vec::new(),
            warned: Vec::new(),
            on_start: None,
            on_toggle: None,
            on_open: None,
            on_load: None,
            on_message: None,
        });
        true
    });
    if fresh {
        schedule_start();
    }
}

/// Starts after the synchronous replay in entrance.js (a microtask), or after the document
/// is parsed, so custom buttons further down the page exist.
fn schedule_start() -> Option<()> {
    let doc = document()?;
    with(|st| {
        let cb = Closure::<dyn FnMut(JsValue)>::new(|_| start());
        if doc.ready_state() == "loading" {
            doc.add_event_listener_with_callback("DOMContentLoaded", cb.as_ref().unchecked_ref())
                .ok()?;
        } else {
            let _ = Promise::resolve(&JsValue::UNDEFINED).then(&cb);
        }
        st.on_start = Some(cb);
        Some(())
    })?
}

fn start() {
    with(|st| {
        st.started = true;
        if !st.manual || st.released {
            install(st);
        }
    });
    ready();
}

/// Calls the `frame_manual` and `frame_ready` callbacks (in the order they were given) once
/// the widget is ready: the launcher shown or the custom buttons bound, on page load; a
/// callback given after that is called at once.
fn ready() {
    let cbs = with(|st| {
        if st.installed {
            take(&mut st.ready_cbs)
        } else {
            Vec::new()
        }
    });
    call_all(cbs.unwrap_or_default(), &JsValue::UNDEFINED);
}

/// The `zc(name, arg)` dispatcher. Never throws.
pub fn zc(name: JsValue, arg: JsValue) {
    let Some(name) = name.as_string() else {
        warn("frontdesk: zc() needs a command name", &name);
        return;
    };
    match name.as_str() {
        "config" => config(&arg),
        "frame_manual" => frame_manual(arg),
        "dynamic_ready" => {
            with(|st| {
                if st.installed && st.custom && st.button.is_none() {
                    bind_custom(st);
                }
            });
        }
        "frame_ready" => frame_ready(arg),
        "frame_status" => frame_status(arg),
        _ => {
            let first = with(|st| {
                let first = !st.warned.contains(&name);
                if first {
                    st.warned.push(name.clone());
                }
                first
            });
            if first == Some(true) {
                warn(
                    "frontdesk: unsupported zc command",
                    &JsValue::from_str(&name),
                );
            }
        }
    }
}

/// A config value as the seed passes it: strings as-is, numbers in JS's own notation,
/// booleans as `true`/`false`. Objects, functions, null and undefined give `None`.
fn scalar(v: &JsValue) -> Option<String> {
    if let Some(s) = v.as_string() {
        return Some(s);
    }
    if let Some(b) = v.as_bool() {
        return Some(if b { "true" } else { "false" }.into());
    }
    v.as_f64()?;
    v.unchecked_ref::<js_sys::Number>()
        .to_string_with_radix(10)
        .ok()
        .map(String::from)
}

fn config(arg: &JsValue) {
    if !arg.is_object() || arg.is_function() {
        warn("frontdesk: zc(\"config\") needs an object", arg);
        return;
    }
    let entries = Object::entries(arg.unchecked_ref());
    let mut bad: Vec<(JsValue, JsValue)> = Vec::new();
    with(|st| {
        for entry in entries.iter() {
            let entry: Array = entry.unchecked_into();
            let key = entry.get(0).as_string().unwrap_or_default();
            let value = entry.get(1);
            let text = scalar(&value);
            let ok = match key.as_str() {
                "color" => text.as_deref().and_then(parse_color).map(|c| st.color = c),
                "location" => text
                    .as_deref()
                    .and_then(parse_location)
                    .map(|l| st.location = l),
                "locale" => text
                    .as_deref()
                    .and_then(Locale::parse)
                    .map(|l| st.locale = l),
                "manual" => text.as_deref().and_then(parse_flag).map(|f| st.manual = f),
                "custom" => text.as_deref().and_then(parse_flag).map(|f| st.custom = f),
                // Set by the loader itself; a config value must not redirect the iframe.
                "sysnum" | "embed" | "host" | "" => Some(()),
                _ => {
                    set_param(&mut st.params, key.as_str(), text);
                    Some(())
                }
            };
            if ok.is_none() {
                bad.push((JsValue::from_str(&key), value));
            }
        }
        look(st);
    });
    for (key, value) in bad {
        console::warn_3(
            &JsValue::from_str("frontdesk: ignoring invalid zc config value"),
            &key,
            &value,
        );
    }
}

/// Later values override earlier ones in place; `null`/`undefined` removes the key; objects
/// (e.g. `pre_visit_args`) are not query parameters and are left alone.
fn set_param(params: &mut Vec<(String, String)>, key: &str, value: Option<String>) {
    let at = params.iter().position(|(k, _)| k == key);
    match (at, value) {
        (Some(i), Some(v)) => params[i].1 = v,
        (None, Some(v)) => params.push((key.into(), v)),
        (Some(i), None) => {
            params.remove(i);
        }
        (None, None) => {}
    }
}

fn frame_manual(cb: JsValue) {
    with(|st| {
        st.released = true;
        if let Ok(f) = cb.dyn_into::<Function>() {
            st.ready_cbs.push(f);
        }
        if st.started {
            install(st);
        }
    });
    ready();
}

fn frame_ready(cb: JsValue) {
    let Ok(cb) = cb.dyn_into::<Function>() else {
        warn(
            "frontdesk: zc(\"frame_ready\") needs a function",
            &JsValue::UNDEFINED,
        );
        return;
    };
    with(|st| st.ready_cbs.push(cb));
    ready();
}

fn frame_status(cb: JsValue) {
    let open = with(|st| !st.expanded).unwrap_or(false);
    let state = set_expanded(open);
    if let (Some(state), Ok(cb)) = (state, cb.dyn_into::<Function>()) {
        let word = if state { "expand" } else { "collapse" };
        call_all(vec![cb], &JsValue::from_str(word));
    }
}

/// Shows the launcher (or binds the custom buttons). Idempotent.
fn install(st: &mut Launcher) -> Option<()> {
    if st.installed {
        return Some(());
    }
    st.installed = true;
    let doc = document()?;
    if doc.get_element_by_id("fd-style").is_none() {
        let style = doc.create_element("style").ok()?;
        style.set_id("fd-style");
        style.set_text_content(Some(CSS));
        let parent: Element = match doc.head() {
            Some(h) => h.into(),
            None => doc.body()?.into(),
        };
        parent.append_child(&style).ok()?;
    }
    if st.custom {
        if !st.class_name.is_empty() {
            bind_custom(st);
            return Some(());
        }
        warn(
            "frontdesk: custom:true needs a className on the loader script; showing the default launcher",
            &JsValue::UNDEFINED,
        );
    }
    let button: HtmlElement = doc.create_element("button").ok()?.dyn_into().ok()?;
    button.set_attribute("type", "button").ok()?;
    button.set_attribute("data-testid", "fd-launcher").ok()?;
    for (class, d) in [("fd-i1", ICON_CHAT), ("fd-i2", ICON_CLOSE)] {
        let svg = icon(&doc, class, d)?;
        button.append_child(&svg).ok()?;
    }
    let cb = Closure::<dyn FnMut(Event)>::new(|_| {
        let open = with(|st| !st.expanded).unwrap_or(false);
        set_expanded(open);
    });
    button
        .add_event_listener_with_callback("click", cb.as_ref().unchecked_ref())
        .ok()?;
    st.on_toggle = Some(cb);
    doc.body()?.append_child(&button).ok()?;
    st.button = Some(button);
    look(st);
    Some(())
}

fn icon(doc: &Document, class: &str, d: &str) -> Option<Element> {
    const NS: Option<&str> = Some("http://www.w3.org/2000/svg");
    let svg = doc.create_element_ns(NS, "svg").ok()?;
    svg.set_attribute("class", class).ok()?;
    svg.set_attribute("viewBox", "0 0 24 24").ok()?;
    svg.set_attribute("aria-hidden", "true").ok()?;
    svg.set_attribute("focusable", "false").ok()?;
    let path = doc.create_element_ns(NS, "path").ok()?;
    path.set_attribute("d", d).ok()?;
    svg.append_child(&path).ok()?;
    Some(svg)
}

/// Binds every element carrying the loader's className. Re-binding is harmless: the same
/// listener function added twice to one element is a no-op in the DOM.
fn bind_custom(st: &mut Launcher) -> Option<()> {
    let doc = document()?;
    if st.on_open.is_none() {
        st.on_open = Some(Closure::<dyn FnMut(Event)>::new(|e: Event| {
            e.prevent_default();
            set_expanded(true);
        }));
    }
    let cb: &Function = st.on_open.as_ref()?.as_ref().unchecked_ref();
    let found = doc.get_elements_by_class_name(&st.class_name);
    for i in 0..found.length() {
        let Some(el) = found.item(i) else { continue };
        if el.tag_name().eq_ignore_ascii_case("script") {
            continue; // the loader script itself carries the class
        }
        let _ = el.add_event_listener_with_callback("click", cb);
    }
    Some(())
}

/// Applies colour, side, locale and expanded state to whatever exists yet.
fn look(st: &Launcher) -> Option<()> {
    let (label, frame_title) = launcher_texts(st.locale);
    let left = st.location == 2;
    if let Some(b) = &st.button {
        let mut class = String::from("fd-launcher");
        if left {
            class.push_str(" fd-left");
        }
        if st.expanded {
            class.push_str(" fd-open");
        }
        b.set_class_name(&class);
        let mut bg = String::from("#");
        bg.push_str(&st.color);
        b.style().set_property("background-color", &bg).ok()?;
        b.set_attribute("aria-label", label).ok()?;
        b.set_title(label);
        b.set_attribute("aria-expanded", if st.expanded { "true" } else { "false" })
            .ok()?;
    }
    if let Some(p) = &st.panel {
        p.set_class_name(if left { "fd-panel fd-left" } else { "fd-panel" });
    }
    if let Some(f) = &st.frame {
        f.set_title(frame_title);
    }
    Some(())
}

/// The chat page's URL: loader values first, then the site's passed-through config.
fn chat_url(st: &Launcher) -> Option<String> {
    let mut href = st.origin.clone();
    href.push_str("/chat/h5/v2/index.html");
    let url = Url::new(&href).ok()?;
    let q = url.search_params();
    q.append("sysnum", &st.sysnum);
    q.append("embed", "1");
    q.append("host", &web_sys::window()?.location().origin().ok()?);
    q.append("color", &st.color);
    q.append("locale", st.locale.as_str());
    for (k, v) in &st.params {
        q.append(k, v);
    }
    Some(url.href())
}

/// Creates the floating window and its iframe on first use.
fn ensure_frame(st: &mut Launcher) -> Option<()> {
    if st.panel.is_some() {
        return Some(());
    }
    let doc = document()?;
    let win = web_sys::window()?;
    let panel: HtmlElement = doc.create_element("div").ok()?.dyn_into().ok()?;
    panel.set_hidden(true);
    let frame: HtmlIFrameElement = doc.create_element("iframe").ok()?.dyn_into().ok()?;
    frame.set_attribute("data-testid", "fd-frame").ok()?;
    // The chat's screenshot tool (extras/shot.rs) captures the screen from inside the frame.
    frame
        .set_attribute("allow", "clipboard-write; display-capture")
        .ok()?;

    let on_load = Closure::<dyn FnMut(Event)>::new(|_| {
        with(|st| {
            st.loaded = true;
            if st.expanded {
                post_to_frame(st, wire::EXPAND);
            }
        });
    });
    frame
        .add_event_listener_with_callback("load", on_load.as_ref().unchecked_ref())
        .ok()?;
    st.on_load = Some(on_load);

    if st.on_message.is_none() {
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(on_message);
        win.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref())
            .ok()?;
        st.on_message = Some(on_message);
    }

    frame.set_src(&chat_url(st)?);
    panel.append_child(&frame).ok()?;
    doc.body()?.append_child(&panel).ok()?;
    st.panel = Some(panel);
    st.frame = Some(frame);
    look(st);
    Some(())
}

fn post_to_frame(st: &Launcher, msg: &str) -> Option<()> {
    let win = st.frame.as_ref()?.content_window()?;
    win.post_message(&JsValue::from_str(msg), &st.origin).ok()
}

/// Opens or closes the floating window; returns the new state (`None` if it could not be
/// created, e.g. before boot).
fn set_expanded(open: bool) -> Option<bool> {
    with(|st| {
        if open {
            ensure_frame(st)?;
        }
        st.expanded = open && st.panel.is_some();
        let panel = st.panel.as_ref()?;
        panel.set_hidden(!st.expanded);
        look(st);
        if st.expanded {
            let _ = st.frame.as_ref()?.focus();
            if st.loaded {
                post_to_frame(st, wire::EXPAND);
            }
        } else {
            if st.loaded {
                post_to_frame(st, wire::COLLAPSED);
            }
            // Focus was inside the chat (its collapse button): give it back to the launcher.
            let frame: Option<JsValue> = st.frame.clone().map(Into::into);
            let active: Option<JsValue> = document()?.active_element().map(Into::into);
            if frame.is_some() && active == frame {
                if let Some(b) = &st.button {
                    let _ = b.focus();
                }
            }
        }
        Some(st.expanded)
    })
    .flatten()
}

/// `preload()` (host.js, seed `async`): creates the chat frame now, collapsed.
pub fn preload() {
    with(ensure_frame);
}

/// Messages from the chat iframe: only from our origin *and* from that very window.
fn on_message(ev: MessageEvent) {
    let trusted = with(|st| {
        let frame: JsValue = st.frame.as_ref()?.content_window()?.into();
        let source: JsValue = ev.source()?.into();
        (ev.origin() == st.origin && source == frame).then_some(())
    })
    .flatten();
    if trusted.is_none() {
        return;
    }
    let Some(text) = ev.data().as_string() else {
        return;
    };
    let Ok(msg) = js_sys::JSON::parse(&text) else {
        return;
    };
    let field = |v: &JsValue, k: &str| Reflect::get(v, &JsValue::from_str(k)).ok();
    let string = |v: &JsValue, k: &str| field(v, k).and_then(|v| v.as_string());
    let name = string(&msg, "name");
    let Some(data) = field(&msg, "data").filter(JsValue::is_object) else {
        return;
    };
    if name.as_deref() == Some(wire::STORE_NAME) {
        let op = string(&data, "op");
        let token = string(
            &data,
            if op.as_deref() == Some("box") {
                "box"
            } else {
                "token"
            },
        );
        with(|st| store_token(st, op.as_deref(), token.as_deref()));
    } else if name.as_deref() == Some(wire::POST_NAME)
        && string(&data, "action").as_deref() == Some(wire::ACTION_COLLAPSE)
    {
        set_expanded(false);
    }
}

/// The chat page's token store (see [`wire::STORE_NAME`]), used only when its own storage is
/// blocked: the visitor token, validated, in this page's first-party storage, and the sealed
/// outbox (`op: "box"`, `value` is the box or `None` to remove it; ciphertext only). A `get`
/// is always answered, with `null` when nothing valid is stored or storage throws here too.
fn store_token(st: &Launcher, op: Option<&str>, value: Option<&str>) -> Option<()> {
    let mut key = String::from("frontdesk:");
    key.push_str(&st.sysnum);
    let mut box_key = String::from("frontdesk:box:");
    box_key.push_str(&st.sysnum);
    let storage = web_sys::window()?.local_storage().ok().flatten();
    match op? {
        "get" => {
            let read = |k: &str| storage.as_ref()?.get_item(k).ok().flatten();
            let held = read(&key).filter(|t| wire::is_token(t));
            let sealed = read(&box_key).filter(|b| wire::is_box(b));
            post_to_frame(st, &wire::store_answer(held.as_deref(), sealed.as_deref()))
        }
        "set" => {
            let token = value.filter(|t| wire::is_token(t))?;
            storage?.set_item(&key, token).ok()
        }
        "box" => match value.filter(|b| wire::is_box(b)) {
            Some(b) => storage?.set_item(&box_key, b).ok(),
            None => storage?.remove_item(&box_key).ok(),
        },
        _ => None,
    }
}
