//! Pictures and files from the visitor (issue 24 item 5, seed 003 `photo_flag`), in the lazy
//! tier: once an agent serves the chat, a "Send a picture or file" control above the input
//! (and pasting an image into the input) uploads the file to `POST /api/visitor/files` with
//! the session's token — a preview of a picture, a progress bar — then sends its URL through
//! the chat's outbox (`fd_send`) as the kind the server sniffed (1 image, 2 voice, 5 video, 6
//! file). shot.rs's screenshots take the same path ([`upload`]). A refused file gets a reason
//! in the visitor's locale; the server checks everything again (type by content, 10 MiB,
//! quota, rate limits, only once served).
//!
//! Test hooks: `fd-up-open`, `fd-up-file` (the file input), `fd-up` (the panel),
//! `fd-up-progress`, `fd-up-error`, `fd-up-done`.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use shared::agent::Uploaded;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

use super::page::{self, conversation, locale, query};
use super::{document, el};
use crate::i18n::upload as texts;

/// The server's cap (server/src/files.rs `MAX_UPLOAD`), checked here first to spare the upload.
const MAX_BYTES: f64 = 10.0 * 1024.0 * 1024.0;

const CSS: &str = ".fd-up{flex:none;margin:0 8px 8px;padding:8px 12px;border-radius:12px;background:#fff;box-shadow:0 1px 3px rgba(0,0,0,.12);font-size:13px}\
.fd-up img{display:block;max-width:120px;max-height:90px;margin-bottom:6px;border-radius:6px}\
.fd-up progress{display:block;width:100%}\
.fd-up p{margin:4px 0 0}";

type Handler = Closure<dyn FnMut(Event)>;

thread_local! {
    static HANDLERS: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
}

/// After a frame changed what the tier knows: the control, once an agent serves the chat on
/// a page with `photo_flag`.
pub fn follow() {
    if conversation(|c| c.answered) && page::on("photo_flag") {
        let _ = offer();
    }
}

fn offer() -> Option<()> {
    let doc = document()?;
    if doc.get_element_by_id("fd-up-open").is_some() {
        return Some(());
    }
    let s = el(&doc, "style", "")?;
    s.set_text_content(Some(CSS));
    doc.head()?.append_child(&s).ok()?;
    super::rate::bar_button_style(&doc)?;
    let form = doc.query_selector(".fd-f").ok()??;
    let t = texts(locale());
    let b = el(&doc, "button", "fd-rb")?;
    b.set_id("fd-up-open");
    b.set_text_content(Some(t.open));
    for (k, v) in [("type", "button"), ("data-testid", "fd-up-open")] {
        b.set_attribute(k, v).ok()?;
    }
    let input = el(&doc, "input", "fd-sr")?;
    for (k, v) in [
        ("type", "file"),
        ("id", "fd-up-file"),
        ("data-testid", "fd-up-file"),
        ("tabindex", "-1"),
        ("aria-hidden", "true"),
        (
            "accept",
            "image/*,.pdf,.zip,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,.csv,.log,.mp4,.mp3,.ogg,.wav",
        ),
    ] {
        input.set_attribute(k, v).ok()?;
    }
    let parent = form.parent_node()?;
    parent.insert_before(&b, Some(&form)).ok()?;
    parent.insert_before(&input, Some(&form)).ok()?;
    let pick = input.clone();
    let on_click = Closure::<dyn FnMut(Event)>::new(move |_| {
        if let Some(i) = pick.dyn_ref::<web_sys::HtmlElement>() {
            i.click();
        }
    });
    b.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok()?;
    let on_change = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        let Some(target) = e.target() else { return };
        if let Some(f) = first_file(&Reflect::get(&target, &"files".into()).unwrap_or_default()) {
            upload(f);
        }
        let _ = Reflect::set(&target, &"value".into(), &"".into());
    });
    input
        .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref())
        .ok()?;
    // A picture pasted into the input is sent the same way.
    let on_paste = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        let files = Reflect::get(&e, &"clipboardData".into())
            .and_then(|d| Reflect::get(&d, &"files".into()))
            .unwrap_or_default();
        if let Some(f) = first_file(&files) {
            e.prevent_default();
            upload(f);
        }
    });
    if let Some(area) = form.query_selector("textarea").ok().flatten() {
        area.add_event_listener_with_callback("paste", on_paste.as_ref().unchecked_ref())
            .ok()?;
    }
    HANDLERS.with(|v| v.borrow_mut().extend([on_click, on_change, on_paste]));
    // The screenshot tool beside it, where the page and the device allow it.
    let _ = super::shot::offer(&b);
    Some(())
}

/// The first file of a `FileList`, if any.
fn first_file(list: &JsValue) -> Option<JsValue> {
    let f = Reflect::get(list, &0.into()).ok()?;
    (!f.is_undefined() && !f.is_null()).then_some(f)
}

fn text_of(v: &JsValue, k: &str) -> String {
    Reflect::get(v, &k.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The panel for one upload, replacing the previous one: a preview of a picture, a progress
/// bar and a status line.
fn panel(file: &JsValue) -> Option<(Element, Element)> {
    let doc = document()?;
    if let Some(old) = doc.get_element_by_id("fd-up") {
        old.remove();
    }
    let sec = el(&doc, "section", "fd-up")?;
    sec.set_id("fd-up");
    sec.set_attribute("data-testid", "fd-up").ok()?;
    let size = Reflect::get(file, &"size".into())
        .ok()
        .and_then(|s| s.as_f64())
        .unwrap_or(0.0);
    if text_of(file, "type").starts_with("image/") && size <= MAX_BYTES {
        let img = el(&doc, "img", "")?;
        img.set_attribute("alt", &text_of(file, "name")).ok()?;
        sec.append_child(&img).ok()?;
        let _ = preview(file, img);
    }
    let bar = el(&doc, "progress", "")?;
    for (k, v) in [
        ("max", "100"),
        ("value", "0"),
        ("data-testid", "fd-up-progress"),
    ] {
        bar.set_attribute(k, v).ok()?;
    }
    bar.set_attribute("aria-label", texts(locale()).sending)
        .ok()?;
    sec.append_child(&bar).ok()?;
    let status = el(&doc, "p", "")?;
    status.set_attribute("role", "status").ok()?;
    status.set_text_content(Some(texts(locale()).sending));
    sec.append_child(&status).ok()?;
    let form = doc.query_selector(".fd-f").ok()??;
    form.parent_node()?.insert_before(&sec, Some(&form)).ok()?;
    Some((bar, status))
}

/// Shows `file` in `img` as a `data:` URL read by a `FileReader` (the chat page's CSP allows
/// `data:` pictures, not `blob:` ones).
fn preview(file: &JsValue, img: Element) -> Option<()> {
    let w = web_sys::window()?;
    let ctor: Function = Reflect::get(&w, &"FileReader".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let reader = Reflect::construct(&ctor, &js_sys::Array::new()).ok()?;
    let r = reader.clone();
    let loaded = Closure::once(move |_: JsValue| {
        if let Some(url) = Reflect::get(&r, &"result".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            let _ = img.set_attribute("src", &url);
        }
    });
    Reflect::set(&reader, &"onload".into(), loaded.as_ref()).ok()?;
    let read: Function = Reflect::get(&reader, &"readAsDataURL".into())
        .ok()?
        .dyn_into()
        .ok()?;
    read.call1(&reader, file).ok()?;
    // Called once, by this reader only.
    loaded.forget();
    Some(())
}

fn say(status: &Element, s: &str, bad: bool) {
    status.set_text_content(Some(s));
    let _ = status.set_attribute("role", if bad { "alert" } else { "status" });
    let _ = status.set_attribute(
        "data-testid",
        if bad { "fd-up-error" } else { "fd-up-done" },
    );
}

/// The visitor's words for a refusal (`{error}` of the server's answer).
fn reason(status: u16, body: &str) -> &'static str {
    let t = texts(locale());
    let code = js_sys::JSON::parse(body)
        .ok()
        .map(|v| text_of(&v, "error"))
        .unwrap_or_default();
    match (status, code.as_str()) {
        (_, "too_large") | (413, _) => t.too_large,
        (_, "unsupported_type") | (415, _) => t.unsupported,
        (_, "not_served") => t.not_served,
        (_, "too_many_uploads" | "rate_limited") => t.busy,
        _ => t.failed,
    }
}

/// Sends `file` (a `File`: picked, pasted or a screenshot, shot.rs) with its panel: the one
/// way a visitor's file reaches the chat.
pub fn upload(file: JsValue) {
    let Some((bar, status)) = panel(&file) else {
        return;
    };
    let size = Reflect::get(&file, &"size".into())
        .ok()
        .and_then(|s| s.as_f64())
        .unwrap_or(0.0);
    if size > MAX_BYTES {
        return say(&status, texts(locale()).too_large, true);
    }
    if send(&file, bar, status.clone()).is_none() {
        say(&status, texts(locale()).failed, true);
    }
}

/// `POST /api/visitor/files` with an `XMLHttpRequest` (for its upload progress).
fn send(file: &JsValue, bar: Element, status: Element) -> Option<()> {
    let w = web_sys::window()?;
    let ctor: Function = Reflect::get(&w, &"XMLHttpRequest".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let xhr = Reflect::construct(&ctor, &js_sys::Array::new()).ok()?;
    let call = |name: &str, args: &[JsValue]| -> Option<JsValue> {
        let f: Function = Reflect::get(&xhr, &name.into()).ok()?.dyn_into().ok()?;
        f.apply(&xhr, &args.iter().collect::<js_sys::Array>()).ok()
    };
    let name = text_of(file, "name");
    let mut url = String::from("/api/visitor/files?sysnum=");
    url.push_str(&String::from(js_sys::encode_uri_component(
        &query("sysnum").unwrap_or_default(),
    )));
    url.push_str("&name=");
    url.push_str(&String::from(js_sys::encode_uri_component(
        if name.is_empty() { "file" } else { &name },
    )));
    call("open", &["POST".into(), url.into()])?;
    let mut auth = String::from("Bearer ");
    auth.push_str(&conversation(|c| c.token.clone()).unwrap_or_default());
    call("setRequestHeader", &["authorization".into(), auth.into()])?;
    let progress = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let n = |k: &str| Reflect::get(&e, &k.into()).ok().and_then(|v| v.as_f64());
        if let (Some(done), Some(total)) = (n("loaded"), n("total")) {
            if total > 0.0 {
                let _ = Reflect::set(&bar, &"value".into(), &(done * 100.0 / total).into());
            }
        }
    });
    let upload = Reflect::get(&xhr, &"upload".into()).ok()?;
    Reflect::set(&upload, &"onprogress".into(), progress.as_ref()).ok()?;
    let answer = xhr.clone();
    let loaded = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let code = Reflect::get(&answer, &"status".into())
            .ok()
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0) as u16;
        let body = text_of(&answer, "responseText");
        match (code, serde_json::from_str::<Uploaded>(&body)) {
            (200, Ok(up)) => {
                super::card::send(up.file_type, &up.url);
                say(&status, texts(locale()).sent, false);
            }
            _ => say(&status, reason(code, &body), true),
        }
    });
    Reflect::set(&xhr, &"onloadend".into(), loaded.as_ref()).ok()?;
    call("send", std::slice::from_ref(file))?;
    // One pair per upload, each called by this request only.
    progress.forget();
    loaded.forget();
    Some(())
}
