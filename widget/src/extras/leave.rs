//! Leave a message (seed 003 留言), in the lazy tier: the form, in the chat page (offered
//! beside the offline text when nobody can take the chat, `msg_flag`; from the input bar with
//! `leave_msg_flag`) or as the whole stand-alone page `leavemessage.html?sysnum&uid&source=9
//! &uname&templateid&groupid&locale&t` ([`standalone`]).
//!
//! The form comes from `GET /api/leave/template` (`shared::leave::Template`), is sent as a
//! `shared::leave::LeaveRequest` to `POST /api/leave`, and a refusal (`LeaveError`) is shown
//! in the visitor's words beside the field it names. The chat page's visitor token
//! (`frontdesk.token.<sysnum>`) goes with it, so the agent's answer reaches that conversation;
//! a token the server made for a browser that had none is kept there for the next visit.
//! Everything shown is text nodes and attributes.
//!
//! Test hooks: `fd-leave` (the form's section), `fd-leave-open`, `fd-leave-content`,
//! `fd-leave-field` (with `data-name`), `fd-leave-send`, `fd-leave-cancel`, `fd-leave-error`,
//! `fd-leave-done`.

use std::cell::RefCell;

use js_sys::{Function, Object, Promise, Reflect};
use shared::leave::{FieldKind, LeaveError, LeaveRequest, Left, Template, MAX_CONTENT_CHARS};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, HtmlElement};

use super::page::{locale, query};
use super::{document, el};
use crate::i18n::{leave as texts, LeaveTexts};

const CSS: &str = "[hidden]{display:none!important}.fd-lv-end{flex:none;margin:0 8px 8px;text-align:center}.fd-lv{flex:1;min-height:0;overflow-y:auto;padding:16px;background:#fff}\
.fd-lv h2{margin:0 0 8px;font-size:16px}\
.fd-lv p{margin:0 0 12px;color:#57606a;font-size:14px}\
.fd-lv label{display:block;margin:12px 0 4px;font-size:14px;font-weight:600}\
.fd-lv input,.fd-lv textarea{display:block;width:100%;padding:8px 10px;border:1px solid #8c959f;border-radius:8px;font:inherit;font-size:16px}\
.fd-lv textarea{min-height:120px;resize:vertical}\
.fd-lv [aria-invalid=true]{border-color:#b42318}\
.fd-lv .fd-le{margin:4px 0 0;color:#b42318;font-size:13px}\
.fd-lv .fd-lo{margin:16px 0 0;padding:12px;border-radius:8px;background:#ecfdf3;color:#05603a}\
.fd-la{display:flex;justify-content:flex-end;gap:8px;margin-top:16px}\
.fd-la button,.fd-lb{min-height:40px;padding:0 18px;border-radius:20px;font:inherit;font-size:14px;cursor:pointer}\
.fd-lx{border:1px solid #8c959f;background:#fff;color:#1f2328}\
.fd-f .fd-lx{height:40px;padding:0 14px;border-radius:20px;font:inherit;font-size:14px;cursor:pointer}\
.fd-ls,.fd-lb{border:0;background:var(--c,#1e6fd9);color:var(--ci,#fff);font-weight:600}\
.fd-lb{display:block;width:max-content;margin:6px auto;min-height:32px}a.fd-lb{line-height:32px;text-decoration:none}";

/// The open form: its section and the handlers that live as long as it.
struct Open {
    section: Element,
    _handlers: Vec<Closure<dyn FnMut(Event)>>,
}

thread_local! {
    static OPEN: RefCell<Option<Open>> = const { RefCell::new(None) };
}

/// Whether the page turned the chat's leave-message prompts off (seed 003 `msg_flag` 1/true).
pub fn prompts_off() -> bool {
    super::page::on("msg_flag")
}

/// Whether the page asks for the input bar's leave-message button (`leave_msg_flag` 1/true).
pub fn button_on() -> bool {
    super::page::on("leave_msg_flag")
}

fn style(doc: &Document) -> Option<()> {
    if doc.get_element_by_id("fd-lv-css").is_none() {
        let s = el(doc, "style", "")?;
        s.set_id("fd-lv-css");
        s.set_text_content(Some(CSS));
        doc.head()?.append_child(&s).ok()?;
    }
    Some(())
}

/// The site's own leave-message page (seed 003 `leave_customsys_flag` 1 with
/// `leave_customsys_url`, encoded or not): only an `http(s)` URL.
fn custom_page() -> Option<String> {
    super::page::on("leave_customsys_flag")
        .then(|| query("leave_customsys_url"))
        .flatten()
        .and_then(|u| shared::card::safe_url(&u))
}

/// A "Leave a message" button appended to `parent` that opens the form in the chat (or a
/// link to the site's own page, [`custom_page`], in a new window).
pub fn offer(parent: &Element) -> Option<()> {
    let doc = document()?;
    style(&doc)?;
    if parent
        .query_selector("[data-testid=fd-leave-open]")
        .ok()?
        .is_some()
    {
        return Some(());
    }
    let t = texts(locale());
    if let Some(url) = custom_page() {
        let a = el(&doc, "a", "fd-lb")?;
        a.set_text_content(Some(t.open));
        for (k, v) in [
            ("href", url.as_str()),
            ("target", "_blank"),
            ("rel", "noopener noreferrer"),
            ("data-testid", "fd-leave-open"),
        ] {
            a.set_attribute(k, v).ok()?;
        }
        parent.append_child(&a).ok()?;
        return Some(());
    }
    let b = el(&doc, "button", "fd-lb")?;
    b.set_text_content(Some(t.open));
    b.set_attribute("type", "button").ok()?;
    b.set_attribute("data-testid", "fd-leave-open").ok()?;
    parent.append_child(&b).ok()?;
    let on = Closure::<dyn FnMut(Event)>::new(|_| open_in_chat());
    b.add_event_listener_with_callback("click", on.as_ref().unchecked_ref())
        .ok()?;
    // The button lives as long as the page.
    on.forget();
    Some(())
}

/// After a frame: once the last chat ended, the leave-message entry above the input (seed
/// 003 `msg_flag` 0 or absent: "会话结束后的留言入口"); gone again when a new chat starts.
pub fn follow_end(ended: bool) {
    let Some(doc) = document() else { return };
    match (ended && !prompts_off(), doc.get_element_by_id("fd-lv-end")) {
        (true, None) => {
            let _ = end_entry(&doc);
        }
        (false, Some(bar)) => bar.remove(),
        _ => {}
    }
}

fn end_entry(doc: &Document) -> Option<()> {
    let form = doc.query_selector(".fd-f").ok()??;
    let bar = el(doc, "div", "fd-lv-end")?;
    bar.set_id("fd-lv-end");
    bar.set_attribute("data-testid", "fd-leave-after-end")
        .ok()?;
    form.parent_node()?.insert_before(&bar, Some(&form)).ok()?;
    offer(&bar)
}

/// The input bar's button (`leave_msg_flag`).
pub fn bar_button() {
    let Some(form) = document().and_then(|d| d.query_selector(".fd-f").ok().flatten()) else {
        return;
    };
    let _ = offer(&form);
    if let Some(b) = form
        .query_selector("[data-testid=fd-leave-open]")
        .ok()
        .flatten()
    {
        let _ = b.set_attribute("class", "fd-lx");
    }
}

/// Shows the chat page's conversation parts (`show`) or hides them for the form.
fn chat_parts(doc: &Document, show: bool) {
    for sel in [".fd-l", ".fd-f", ".fd-rc", ".fd-cd"] {
        if let Ok(list) = doc.query_selector_all(sel) {
            for i in 0..list.length() {
                if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = e.toggle_attribute_with_force("hidden", !show);
                }
            }
        }
    }
}

/// Opens the form in place of the conversation (once; again after it was closed).
pub fn open_in_chat() {
    if OPEN.with(|o| o.borrow().is_some()) {
        return;
    }
    let Some(doc) = document() else { return };
    let Some(list) = doc.query_selector(".fd-l").ok().flatten() else {
        return;
    };
    let Some(section) = el(&doc, "section", "fd-lv") else {
        return;
    };
    if list
        .parent_node()
        .and_then(|p| p.insert_before(&section, Some(&list)).ok())
        .is_none()
    {
        return;
    }
    chat_parts(&doc, false);
    start(&doc, section, true);
}

/// The stand-alone page: the form is the page (in `#fd-lp`).
pub fn standalone() {
    let Some(doc) = document() else { return };
    let Some(main) = doc.get_element_by_id("fd-lp") else {
        return;
    };
    main.set_text_content(None);
    let t = texts(locale());
    doc.set_title(t.title);
    let _ = doc
        .document_element()
        .map(|h| h.set_attribute("lang", t.lang));
    let Some(section) = el(&doc, "section", "fd-lv") else {
        return;
    };
    let _ = main.append_child(&section);
    start(&doc, section, false);
}

/// Fills `section` with the heading and a loading line, then fetches the form.
fn start(doc: &Document, section: Element, in_chat: bool) {
    if style(doc).is_none() {
        return;
    }
    let t = texts(locale());
    let _ = section.set_attribute("data-testid", "fd-leave");
    let _ = section.set_attribute("aria-labelledby", "fd-lv-h");
    if let Some(h) = el(doc, "h2", "") {
        h.set_id("fd-lv-h");
        h.set_text_content(Some(t.title));
        let _ = section.append_child(&h);
    }
    if let Some(p) = el(doc, "p", "") {
        p.set_text_content(Some(t.intro));
        let _ = p.set_attribute("role", "status");
        let _ = p.set_attribute("id", "fd-lv-st");
        let _ = section.append_child(&p);
    }
    OPEN.with(|o| {
        *o.borrow_mut() = Some(Open {
            section: section.clone(),
            _handlers: Vec::new(),
        })
    });
    let sysnum = query("sysnum").unwrap_or_default();
    let mut url = String::from("/api/leave/template?sysnum=");
    url.push_str(&encode(&sysnum));
    if let Some(id) = query("templateid") {
        url.push_str("&templateid=");
        url.push_str(&encode(&id));
    }
    http("GET", &url, None, move |status, body| {
        let form = (status == 200)
            .then(|| serde_json::from_str::<Template>(&body).ok())
            .flatten();
        match form {
            Some(form) => {
                let _ = render(&form, in_chat);
            }
            None => status_line(texts(locale()).err_site, true),
        }
    });
}

/// The status line under the heading: what is going on, or what went wrong (`alert`).
fn status_line(s: &str, bad: bool) {
    if let Some(p) = document().and_then(|d| d.get_element_by_id("fd-lv-st")) {
        p.set_text_content(Some(s));
        let _ = p.set_attribute("role", if bad { "alert" } else { "status" });
        let _ = p.set_attribute("data-testid", if bad { "fd-leave-error" } else { "" });
    }
}

/// `encodeURIComponent`.
fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

/// The label a field shows: its template's, else the form's words for its kind.
fn label_of(f: &shared::leave::Field, t: &LeaveTexts) -> String {
    let mut s = if f.label.is_empty() {
        match f.kind {
            FieldKind::Phone => t.phone,
            FieldKind::Email => t.email,
            FieldKind::Text => f.name.as_str(),
        }
        .to_owned()
    } else {
        f.label.clone()
    };
    if !f.required {
        s.push_str(t.optional);
    }
    s
}

/// One labelled control in `form`: `(label, input)`.
fn control(
    doc: &Document,
    form: &Element,
    tag: &str,
    id: &str,
    label: &str,
) -> Option<(Element, Element)> {
    let l = el(doc, "label", "")?;
    l.set_text_content(Some(label));
    l.set_attribute("for", id).ok()?;
    form.append_child(&l).ok()?;
    let i = el(doc, tag, "")?;
    i.set_id(id);
    form.append_child(&i).ok()?;
    Some((l, i))
}

fn render(form_t: &Template, in_chat: bool) -> Option<()> {
    let doc = document()?;
    let section = OPEN.with(|o| o.borrow().as_ref().map(|o| o.section.clone()))?;
    let t = texts(locale());
    let form = el(&doc, "form", "")?;
    form.set_attribute("novalidate", "").ok()?;
    let (_, content) = control(&doc, &form, "textarea", "fd-lv-c", t.content)?;
    for (k, v) in [
        ("data-testid", "fd-leave-content"),
        ("required", ""),
        ("maxlength", &MAX_CONTENT_CHARS.to_string()),
        ("data-name", "content"),
    ] {
        content.set_attribute(k, v).ok()?;
    }
    for (n, f) in form_t.fields.iter().enumerate() {
        let mut id = String::from("fd-lv-f");
        id.push_str(&n.to_string());
        let (_, input) = control(&doc, &form, "input", &id, &label_of(f, t))?;
        let (ty, auto) = match f.kind {
            FieldKind::Phone => ("tel", "tel"),
            FieldKind::Email => ("email", "email"),
            FieldKind::Text => ("text", "off"),
        };
        for (k, v) in [
            ("type", ty),
            ("autocomplete", auto),
            ("maxlength", "200"),
            ("data-testid", "fd-leave-field"),
            ("data-name", f.name.as_str()),
        ] {
            input.set_attribute(k, v).ok()?;
        }
        if f.required {
            input.set_attribute("required", "").ok()?;
        }
    }
    let actions = el(&doc, "div", "fd-la")?;
    if in_chat {
        let back = el(&doc, "button", "fd-lx")?;
        back.set_text_content(Some(t.cancel));
        back.set_attribute("type", "button").ok()?;
        back.set_attribute("data-testid", "fd-leave-cancel").ok()?;
        actions.append_child(&back).ok()?;
        let on_back = Closure::<dyn FnMut(Event)>::new(|_| close());
        back.add_event_listener_with_callback("click", on_back.as_ref().unchecked_ref())
            .ok()?;
        keep(on_back);
    }
    let send = el(&doc, "button", "fd-ls")?;
    send.set_text_content(Some(t.submit));
    send.set_attribute("type", "submit").ok()?;
    send.set_attribute("data-testid", "fd-leave-send").ok()?;
    actions.append_child(&send).ok()?;
    form.append_child(&actions).ok()?;
    section.append_child(&form).ok()?;
    let templateid = form_t.templateid;
    let on_submit = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
        e.prevent_default();
        submit(templateid);
    });
    form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref())
        .ok()?;
    keep(on_submit);
    let _ = content.dyn_into::<HtmlElement>().ok()?.focus();
    Some(())
}

fn keep(h: Closure<dyn FnMut(Event)>) {
    OPEN.with(|o| {
        if let Some(o) = o.borrow_mut().as_mut() {
            o._handlers.push(h);
        }
    });
}

/// Closes the in-chat form and shows the conversation again.
fn close() {
    let Some(doc) = document() else { return };
    // Dropped after this event's handlers returned (one of them is running now).
    let open = OPEN.with(|o| o.borrow_mut().take());
    if let Some(o) = open {
        o.section.remove();
        let later = Closure::once(move || drop(o));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback(later.as_ref().unchecked_ref());
        }
        later.forget();
    }
    chat_parts(&doc, true);
    if let Some(i) = doc
        .get_element_by_id("fd-in")
        .and_then(|i| i.dyn_into::<HtmlElement>().ok())
    {
        let _ = i.focus();
    }
}

/// The value of the control of `el` (an input or a textarea).
fn value(e: &Element) -> String {
    Reflect::get(e, &JsValue::from_str("value"))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The chat session's token (from its `welcome`, `page::Conversation::token`), else (the
/// stand-alone page) the one this origin's storage keeps for the site.
fn visitor_token() -> Option<String> {
    super::page::conversation(|c| c.token.clone())
        .or_else(|| storage()?.get_item(&token_key()).ok().flatten())
}

fn token_key() -> String {
    let mut k = String::from("frontdesk.token.");
    k.push_str(&query("sysnum").unwrap_or_default());
    k
}

fn submit(templateid: i64) {
    let Some(section) = OPEN.with(|o| o.borrow().as_ref().map(|o| o.section.clone())) else {
        return;
    };
    clear_errors(&section);
    let mut r = LeaveRequest {
        sysnum: query("sysnum").unwrap_or_default(),
        token: visitor_token(),
        uid: query("uid").or_else(|| query("partnerid")),
        sign: query("sign"),
        uname: query("uname"),
        templateid: (templateid != 0).then(|| templateid.to_string()),
        groupid: query("groupid"),
        source: query("source"),
        ..LeaveRequest::default()
    };
    if let Ok(list) = section.query_selector_all("[data-name]") {
        for i in 0..list.length() {
            let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            let name = e.get_attribute("data-name").unwrap_or_default();
            let v = value(&e);
            if name == "content" {
                r.content = v;
            } else if !v.trim().is_empty() {
                r.fields.insert(name, v);
            }
        }
    }
    let Ok(body) = serde_json::to_string(&r) else {
        return;
    };
    set_busy(&section, true);
    http("POST", "/api/leave", Some(&body), move |status, body| {
        let Some(section) = OPEN.with(|o| o.borrow().as_ref().map(|o| o.section.clone())) else {
            return;
        };
        set_busy(&section, false);
        if status == 201 {
            if let Ok(left) = serde_json::from_str::<Left>(&body) {
                if let (Some(token), Some(s)) = (left.token, storage()) {
                    let _ = s.set_item(&token_key(), &token);
                }
                done(&section);
                return;
            }
        }
        refused(&section, serde_json::from_str::<LeaveError>(&body).ok());
    });
}

fn set_busy(section: &Element, busy: bool) {
    if let Ok(Some(b)) = section.query_selector("[data-testid=fd-leave-send]") {
        let _ = b.toggle_attribute_with_force("disabled", busy);
    }
}

fn clear_errors(section: &Element) {
    if let Ok(list) = section.query_selector_all(".fd-le") {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                e.remove();
            }
        }
    }
    if let Ok(list) = section.query_selector_all("[aria-invalid]") {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                let _ = e.remove_attribute("aria-invalid");
                let _ = e.remove_attribute("aria-describedby");
            }
        }
    }
    status_line(texts(locale()).intro, false);
}

/// The thanks, in place of the form.
fn done(section: &Element) {
    let t = texts(locale());
    if let Ok(Some(f)) = section.query_selector("form") {
        f.remove();
    }
    status_line("", false);
    let Some(doc) = document() else { return };
    if let Some(p) = el(&doc, "p", "fd-lo") {
        p.set_text_content(Some(t.thanks));
        let _ = p.set_attribute("role", "status");
        let _ = p.set_attribute("data-testid", "fd-leave-done");
        let _ = section.append_child(&p);
    }
    if section
        .parent_element()
        .and_then(|p| p.get_attribute("id"))
        .as_deref()
        != Some("fd-lp")
    {
        // In the chat: back to the conversation.
        if let Some(b) = el(&doc, "button", "fd-lx") {
            b.set_text_content(Some(t.cancel));
            let _ = b.set_attribute("type", "button");
            let _ = b.set_attribute("data-testid", "fd-leave-cancel");
            let _ = section.append_child(&b);
            let on = Closure::<dyn FnMut(Event)>::new(|_| close());
            let _ = b.add_event_listener_with_callback("click", on.as_ref().unchecked_ref());
            keep(on);
            if let Ok(b) = b.dyn_into::<HtmlElement>() {
                let _ = b.focus();
            }
        }
    }
}

/// A refusal, in the visitor's words, beside the field it names (or on the status line).
fn refused(section: &Element, e: Option<LeaveError>) {
    use shared::leave::error as code;
    let t = texts(locale());
    let Some(e) = e else {
        return status_line(t.failed, true);
    };
    let reason = match e.error.as_str() {
        code::REQUIRED => t.err_required,
        code::TOO_LONG => t.err_too_long,
        code::INVALID => t.err_invalid,
        code::CONTACT_REQUIRED => t.err_contact,
        code::RATE_LIMITED | code::SITE_FULL => t.err_limited,
        code::UNKNOWN_SITE | code::UNKNOWN_TEMPLATE | code::SIGN_INVALID => t.err_site,
        _ => t.failed,
    };
    let field = e.field.as_deref().and_then(|f| {
        let mut sel = String::from("[data-name=\"");
        sel.push_str(if f == "contact" { "phone" } else { f });
        sel.push_str("\"]");
        section.query_selector(&sel).ok().flatten()
    });
    let Some(input) = field else {
        return status_line(reason, true);
    };
    status_line(reason, true);
    let Some(doc) = document() else { return };
    if let Some(p) = el(&doc, "p", "fd-le") {
        p.set_text_content(Some(reason));
        p.set_id("fd-lv-err");
        let _ = input.after_with_node_1(&p);
        let _ = input.set_attribute("aria-invalid", "true");
        let _ = input.set_attribute("aria-describedby", "fd-lv-err");
    }
    if let Ok(i) = input.dyn_into::<HtmlElement>() {
        let _ = i.focus();
    }
}

/// `fetch(url, {method, body})` on our origin; `done(status, body text)` (status 0: the
/// request failed).
pub(super) fn http(
    method: &str,
    url: &str,
    body: Option<&str>,
    done: impl FnOnce(u16, String) + 'static,
) {
    let Some(w) = web_sys::window() else { return };
    let init = Object::new();
    let _ = Reflect::set(&init, &"method".into(), &method.into());
    if let Some(b) = body {
        let headers = Object::new();
        let _ = Reflect::set(&headers, &"content-type".into(), &"application/json".into());
        let _ = Reflect::set(&init, &"headers".into(), &headers);
        let _ = Reflect::set(&init, &"body".into(), &b.into());
    }
    let Some(fetch) = Reflect::get(&w, &"fetch".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return;
    };
    let Some(p) = fetch
        .call2(&w, &url.into(), &init)
        .ok()
        .and_then(|p| p.dyn_into::<Promise>().ok())
    else {
        return;
    };
    let done = std::rc::Rc::new(RefCell::new(Some(done)));
    let failed = done.clone();
    let on_res = Closure::once(move |res: JsValue| {
        let status = Reflect::get(&res, &"status".into())
            .ok()
            .and_then(|s| s.as_f64())
            .unwrap_or(0.0) as u16;
        let text = Reflect::get(&res, &"text".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .and_then(|f| f.call0(&res).ok())
            .and_then(|p| p.dyn_into::<Promise>().ok());
        let finish = move |body: String| {
            if let Some(d) = done.borrow_mut().take() {
                d(status, body);
            }
        };
        match text {
            Some(p) => {
                let ok = Closure::once(move |b: JsValue| finish(b.as_string().unwrap_or_default()));
                let _ = p.then(&ok);
                ok.forget();
            }
            None => finish(String::new()),
        }
    });
    let on_err = Closure::once(move |_: JsValue| {
        if let Some(d) = failed.borrow_mut().take() {
            d(0, String::new());
        }
    });
    let _ = p.then2(&on_res, &on_err);
    // One pair per request, each called at most once.
    on_res.forget();
    on_err.forget();
}
