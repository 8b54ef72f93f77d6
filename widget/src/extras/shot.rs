//! The screenshot tool (seed 003 `cut_flag`: on the PC chat page by default, `cut_flag=hide`
//! hides it), in the lazy tier beside upload.rs's "Send a picture or file" and under the same
//! condition (`photo_flag`, an agent serving), on a desktop only (a fine pointer, a screen at
//! least 600 px wide, not a phone's browser, not seed 003's mini-program `source=10`) whose
//! browser can capture (`navigator.mediaDevices.getDisplayMedia`).
//!
//! "Screenshot" asks the browser for a screen, window or tab (`getDisplayMedia({video: true,
//! audio: false})`; the loader's iframe allows `display-capture`), draws the capture's first
//! frame on a canvas (at most 1920 px on its long side, so a large screen stays a picture the
//! server takes), stops every track at once, and shows the picture with "Send" and "Cancel".
//! Sent, it is a PNG file `screenshot.png` that goes through upload.rs's one upload path like
//! a picked picture. A visitor who cancels the browser's picker or refuses gets a short
//! reason; nothing is thrown. The preview is a `data:` URL (the chat page's CSP allows
//! `data:` pictures, not `blob:`).
//!
//! Test hooks: `fd-shot-open`, `fd-shot` (the preview), `fd-shot-send`, `fd-shot-cancel`,
//! `fd-shot-error`.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement};

use super::page::{locale, query};
use super::{document, el};
use crate::i18n::shot as texts;

/// The longest side of a screenshot, in pixels.
const MAX_SIDE: f64 = 1920.0;

const CSS: &str = ".fd-ur{display:flex;flex-wrap:wrap;justify-content:center;gap:8px;margin:6px 8px}\
.fd-ur .fd-rb{margin:0}\
.fd-sh button:focus-visible{outline:2px solid var(--ct,#1e6fd9);outline-offset:2px}\
.fd-sh img{display:block;max-width:100%;max-height:160px;margin-bottom:6px;border:1px solid #d0d7de;border-radius:6px}\
.fd-sh button{min-height:32px;margin-right:8px;padding:0 14px;border:1px solid #8c959f;border-radius:16px;background:#fff;color:#1f2328;font:inherit;font-size:13px;cursor:pointer}\
.fd-sh button.fd-go{border-color:var(--c,#1e6fd9);background:var(--c,#1e6fd9);color:var(--ci,#fff);font-weight:600}";

type Handler = Closure<dyn FnMut(Event)>;

thread_local! {
    /// The control's handler, alive as long as the page.
    static HANDLERS: RefCell<Vec<Handler>> = const { RefCell::new(Vec::new()) };
    /// The screenshot shown for sending (a `File`) and the preview's button handlers.
    static SHOT: RefCell<Option<(JsValue, [Handler; 2])>> = const { RefCell::new(None) };
    /// A capture under way: a second click waits for it.
    static BUSY: RefCell<bool> = const { RefCell::new(false) };
    /// The stream granted, until its first frame is drawn or [`WAIT_MS`] pass.
    static STREAM: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// How long a granted capture may take to show its first frame.
const WAIT_MS: i32 = 5000;

/// `obj.name(...args)`.
fn call(obj: &JsValue, name: &str, args: &[JsValue]) -> Option<JsValue> {
    let f: Function = Reflect::get(obj, &name.into()).ok()?.dyn_into().ok()?;
    f.apply(obj, &args.iter().collect::<Array>()).ok()
}

fn get(obj: &JsValue, k: &str) -> JsValue {
    Reflect::get(obj, &k.into()).unwrap_or_default()
}

fn matches(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| call(&w, "matchMedia", &[query.into()]))
        .is_some_and(|m| get(&m, "matches").as_bool() == Some(true))
}

/// Whether this page offers the tool: not hidden, a desktop, a browser that can capture.
fn wanted() -> bool {
    let Some(w) = web_sys::window() else {
        return false;
    };
    let nav = get(&w, "navigator");
    let phone = get(&nav, "userAgent").as_string().is_some_and(|ua| {
        ["Mobi", "Android", "iPhone", "iPad"]
            .iter()
            .any(|p| ua.contains(p))
    });
    let wide = get(&get(&w, "screen"), "width")
        .as_f64()
        .is_some_and(|px| px >= 600.0);
    let devices = get(&nav, "mediaDevices");
    query("cut_flag").as_deref() != Some("hide")
        && query("source").as_deref() != Some("10")
        && !phone
        && wide
        && matches("(pointer: fine)")
        && !devices.is_undefined()
        && get(&devices, "getDisplayMedia").is_function()
}

/// Puts "Screenshot" beside `upload` (upload.rs's button, already in the page), both in one
/// row, when this page offers it.
pub fn offer(upload: &Element) -> Option<()> {
    let doc = document()?;
    if !wanted() || doc.get_element_by_id("fd-shot-open").is_some() {
        return Some(());
    }
    let s = el(&doc, "style", "")?;
    s.set_text_content(Some(CSS));
    doc.head()?.append_child(&s).ok()?;
    let row = el(&doc, "div", "fd-ur")?;
    upload
        .parent_node()?
        .insert_before(&row, Some(upload))
        .ok()?;
    row.append_child(upload).ok()?;
    let b = el(&doc, "button", "fd-rb")?;
    b.set_id("fd-shot-open");
    b.set_text_content(Some(texts(locale()).open));
    for (k, v) in [("type", "button"), ("data-testid", "fd-shot-open")] {
        b.set_attribute(k, v).ok()?;
    }
    row.append_child(&b).ok()?;
    let on_click = Closure::<dyn FnMut(Event)>::new(|_| {
        if !BUSY.with(|b| b.replace(true)) && capture().is_none() {
            BUSY.with(|b| *b.borrow_mut() = false);
            fail(texts(locale()).failed);
        }
    });
    b.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok()?;
    HANDLERS.with(|v| v.borrow_mut().push(on_click));
    Some(())
}

/// Asks for a capture (the click's user activation is what lets the browser show its picker).
fn capture() -> Option<()> {
    let w = web_sys::window()?;
    let devices = get(&get(&w, "navigator"), "mediaDevices");
    let opts = Object::new();
    Reflect::set(&opts, &"video".into(), &true.into()).ok()?;
    Reflect::set(&opts, &"audio".into(), &false.into()).ok()?;
    let asked: Promise = call(&devices, "getDisplayMedia", &[opts.into()])?
        .dyn_into()
        .ok()?;
    let got = Closure::once(move |stream: JsValue| {
        if first_frame(stream.clone()).is_none() {
            STREAM.with(|s| s.borrow_mut().take());
            stop(&stream);
            done(None);
        }
    });
    let refused = Closure::once(move |e: JsValue| {
        BUSY.with(|b| *b.borrow_mut() = false);
        let t = texts(locale());
        // The picker cancelled or capture refused (by the visitor or the browser's policy).
        fail(match get(&e, "name").as_string().as_deref() {
            Some("NotAllowedError" | "AbortError") => t.cancelled,
            _ => t.failed,
        });
    });
    let _ = asked.then2(&got, &refused);
    // Each called once, by this request only.
    got.forget();
    refused.forget();
    Some(())
}

/// Plays `stream` in a detached, muted `<video>` and draws its first frame once it has one
/// (or gives up after [`WAIT_MS`]).
fn first_frame(stream: JsValue) -> Option<()> {
    let doc = document()?;
    let video = el(&doc, "video", "")?;
    STREAM.with(|s| *s.borrow_mut() = Some(stream.clone()));
    Reflect::set(&video, &"muted".into(), &true.into()).ok()?;
    Reflect::set(&video, &"srcObject".into(), &stream).ok()?;
    let v = video.clone();
    let loaded = Closure::once(move |_: JsValue| {
        let Some(s) = STREAM.with(|s| s.borrow_mut().take()) else {
            return; // too late: already given up
        };
        let file = draw(&v);
        stop(&s);
        let _ = Reflect::set(&v, &"srcObject".into(), &JsValue::NULL);
        done(file);
    });
    Reflect::set(&video, &"onloadeddata".into(), loaded.as_ref()).ok()?;
    loaded.forget();
    let late = Closure::once(move || {
        if let Some(s) = STREAM.with(|s| s.borrow_mut().take()) {
            stop(&s);
            done(None);
        }
    });
    web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            late.as_ref().unchecked_ref(),
            WAIT_MS,
        )
        .ok()?;
    late.forget();
    if let Some(p) = call(&video, "play", &[]).and_then(|p| p.dyn_into::<Promise>().ok()) {
        // A refused play shows as no frame: the capture fails below, not with an exception.
        let ignore = Closure::once(move |_: JsValue| {});
        let _ = p.catch(&ignore);
        ignore.forget();
    }
    Some(())
}

/// Stops every track of `stream` (the browser's "sharing" indicator goes away).
fn stop(stream: &JsValue) {
    if let Some(tracks) = call(stream, "getTracks", &[]) {
        for t in Array::from(&tracks).iter() {
            let _ = call(&t, "stop", &[]);
        }
    }
}

/// The video's current frame as a canvas, scaled to at most [`MAX_SIDE`], with its preview
/// (a PNG `data:` URL).
fn draw(video: &Element) -> Option<(JsValue, String)> {
    let (w, h) = (
        get(video, "videoWidth").as_f64()?,
        get(video, "videoHeight").as_f64()?,
    );
    if w < 1.0 || h < 1.0 {
        return None;
    }
    let scale = (MAX_SIDE / w.max(h)).min(1.0);
    let (cw, ch) = ((w * scale).round(), (h * scale).round());
    let canvas = el(&document()?, "canvas", "")?;
    Reflect::set(&canvas, &"width".into(), &cw.into()).ok()?;
    Reflect::set(&canvas, &"height".into(), &ch.into()).ok()?;
    let ctx = call(&canvas, "getContext", &["2d".into()])?;
    let args = [
        JsValue::from(video.clone()),
        0.into(),
        0.into(),
        cw.into(),
        ch.into(),
    ];
    call(&ctx, "drawImage", &args)?;
    let url = call(&canvas, "toDataURL", &["image/png".into()])?.as_string()?;
    Some((canvas.into(), url))
}

/// The capture is over: the canvas becomes a PNG file and the preview shows, or the visitor
/// reads why not.
fn done(shot: Option<(JsValue, String)>) {
    let Some((canvas, url)) = shot else {
        BUSY.with(|b| *b.borrow_mut() = false);
        return fail(texts(locale()).failed);
    };
    let blob = Closure::once(move |blob: JsValue| {
        BUSY.with(|b| *b.borrow_mut() = false);
        match png_file(&blob).and_then(|f| preview(f, &url)) {
            Some(()) => {}
            None => fail(texts(locale()).failed),
        }
    });
    if call(
        &canvas,
        "toBlob",
        &[blob.as_ref().clone(), "image/png".into()],
    )
    .is_none()
    {
        BUSY.with(|b| *b.borrow_mut() = false);
        return fail(texts(locale()).failed);
    }
    blob.forget();
}

/// `new File([blob], "screenshot.png", {type: "image/png"})`: what upload.rs sends, named.
fn png_file(blob: &JsValue) -> Option<JsValue> {
    if blob.is_null() || blob.is_undefined() {
        return None;
    }
    let w = web_sys::window()?;
    let ctor: Function = Reflect::get(&w, &"File".into()).ok()?.dyn_into().ok()?;
    let opts = Object::new();
    Reflect::set(&opts, &"type".into(), &"image/png".into()).ok()?;
    let args: Array = [
        Array::of1(blob).into(),
        JsValue::from_str("screenshot.png"),
        opts.into(),
    ]
    .iter()
    .collect();
    Reflect::construct(&ctor, &args).ok()
}

/// The panel above the input (one at a time), replacing the previous one.
fn section() -> Option<Element> {
    let doc = document()?;
    if let Some(old) = doc.get_element_by_id("fd-sh") {
        old.remove();
    }
    SHOT.with(|s| s.borrow_mut().take());
    let sec = el(&doc, "section", "fd-up fd-sh")?;
    sec.set_id("fd-sh");
    let form = doc.query_selector(".fd-f").ok()??;
    form.parent_node()?.insert_before(&sec, Some(&form)).ok()?;
    Some(sec)
}

fn fail(reason: &str) {
    let Some(sec) = section() else { return };
    let Some(p) = document().and_then(|d| el(&d, "p", "")) else {
        return;
    };
    p.set_text_content(Some(reason));
    let _ = p.set_attribute("role", "alert");
    let _ = p.set_attribute("data-testid", "fd-shot-error");
    let _ = sec.append_child(&p);
}

/// The screenshot with "Send" (upload.rs takes it from there) and "Cancel".
fn preview(file: JsValue, url: &str) -> Option<()> {
    let doc = document()?;
    let t = texts(locale());
    let sec = section()?;
    sec.set_attribute("data-testid", "fd-shot").ok()?;
    sec.set_attribute("aria-label", t.title).ok()?;
    let img = el(&doc, "img", "")?;
    img.set_attribute("src", url).ok()?;
    img.set_attribute("alt", t.title).ok()?;
    sec.append_child(&img).ok()?;
    let send = el(&doc, "button", "fd-go")?;
    let cancel = el(&doc, "button", "")?;
    for (b, label, id) in [
        (&send, t.send, "fd-shot-send"),
        (&cancel, t.cancel, "fd-shot-cancel"),
    ] {
        b.set_text_content(Some(label));
        b.set_attribute("type", "button").ok()?;
        b.set_attribute("data-testid", id).ok()?;
        sec.append_child(b).ok()?;
    }
    let on_send = Closure::<dyn FnMut(Event)>::new(|_| finish(true));
    send.add_event_listener_with_callback("click", on_send.as_ref().unchecked_ref())
        .ok()?;
    let on_cancel = Closure::<dyn FnMut(Event)>::new(|_| finish(false));
    cancel
        .add_event_listener_with_callback("click", on_cancel.as_ref().unchecked_ref())
        .ok()?;
    SHOT.with(|s| *s.borrow_mut() = Some((file, [on_send, on_cancel])));
    send.dyn_into::<HtmlElement>().ok()?.focus().ok()
}

/// Closes the preview; `send` hands the picture to the upload.
fn finish(send: bool) {
    let Some(doc) = document() else { return };
    if let Some(sec) = doc.get_element_by_id("fd-sh") {
        sec.remove();
    }
    // The handler running now is one of those taken: drop them after it returns.
    let Some((file, handlers)) = SHOT.with(|s| s.borrow_mut().take()) else {
        return;
    };
    let keep = Closure::once(move || drop(handlers));
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback(keep.as_ref().unchecked_ref());
    }
    keep.forget();
    if send {
        super::upload::upload(file);
    } else if let Some(b) = doc
        .get_element_by_id("fd-shot-open")
        .and_then(|b| b.dyn_into::<HtmlElement>().ok())
    {
        let _ = b.focus();
    }
}
