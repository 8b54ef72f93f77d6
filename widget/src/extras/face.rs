//! Avatars in the chat (seed 003 `show_face`: "1: show the agents' avatars; with `face` set
//! too, the visitor's"), in the lazy tier, which loads on such a page (`show_face` in the
//! query; widget/index.html). Each agent's message gets the avatar operators set for that
//! agent (`POST /api/visitor/faces`: the avatars of the agents who wrote in this
//! conversation, by the nick their messages show), or a circle with the nick's first
//! character when it has none; each of the visitor's messages gets `face` when the page
//! passes one (encoded or not). Only http(s) URLs are ever used (`shared::card::safe_url`);
//! `<img>` elements with an empty `alt` (the nick beside them says who wrote), no referrer,
//! hidden when the picture does not load.
//!
//! The list of messages is watched (a `MutationObserver` on its children), so messages
//! rendered later, replays and reconnects get theirs too; the avatars are asked for again
//! only when a message shows a nick the last answer did not cover.
//!
//! Test hooks: `fd-face` on each avatar (`data-nick` on agents').

use std::cell::RefCell;

use shared::card::safe_url;
use shared::face::{Faces, FacesRequest};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit};

use super::page::{self, conversation, query};
use super::{document, el};

const CSS: &str = ".fd-fa{position:relative;padding-left:36px}.fd-v.fd-fa{padding-left:0;padding-right:36px}\
.fd-av{position:absolute;top:0;left:0;width:28px;height:28px;border-radius:50%;object-fit:cover;background:#d0d7de;color:#1f2328;font-size:13px;font-weight:600;line-height:28px;text-align:center}\
.fd-v>.fd-av{left:auto;right:0}";

#[derive(Default)]
struct State {
    /// Started: the style is in, the list watched.
    started: bool,
    /// (nick, avatar URL), as the server last answered (a handful: a `Vec` is smaller code
    /// than a map in this tier).
    faces: Vec<(String, String)>,
    /// Nicks seen on agents' messages (each makes one request at most).
    asked: Vec<String>,
    /// A request is under way; `again`: a new nick came meanwhile.
    in_flight: bool,
    again: bool,
    /// The observer and its callback, alive as long as the page.
    observer: Option<(MutationObserver, Closure<dyn FnMut()>)>,
    /// Hides a picture that does not load (no broken-image icon), alive as long as the page.
    on_error: Option<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// After a frame: on a `show_face` page, starts (once), and asks for the avatars again when
/// an agent's message shows a nick not asked for yet (`nick`, from a `msg` frame).
pub fn follow(nick: Option<&str>) {
    if !page::on("show_face") {
        return;
    }
    start();
    let new = nick.is_some_and(|n| {
        STATE.with(|s| {
            let asked = &mut s.borrow_mut().asked;
            let new = !asked.iter().any(|a| a == n);
            if new {
                asked.push(n.to_owned());
            }
            new
        })
    });
    if new {
        ask();
    }
    decorate();
}

fn start() -> Option<()> {
    if STATE.with(|s| s.borrow().started) {
        return Some(());
    }
    let doc = document()?;
    let list = doc.query_selector(".fd-l").ok()??;
    let style = el(&doc, "style", "")?;
    style.set_text_content(Some(CSS));
    doc.head()?.append_child(&style).ok()?;
    let cb = Closure::<dyn FnMut()>::new(decorate);
    let observer = MutationObserver::new(cb.as_ref().unchecked_ref()).ok()?;
    let init = MutationObserverInit::new();
    init.set_child_list(true);
    observer.observe_with_options(&list, &init).ok()?;
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(|e: web_sys::Event| {
        if let Some(img) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) {
            let _ = img.set_attribute("hidden", "");
        }
    });
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.started = true;
        s.observer = Some((observer, cb));
        s.on_error = Some(on_error);
    });
    Some(())
}

/// Asks the server for the conversation's avatars (one request at a time).
fn ask() {
    let Some(token) = conversation(|c| c.token.clone()) else {
        return;
    };
    let busy = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.again = s.in_flight;
        std::mem::replace(&mut s.in_flight, true)
    });
    if busy {
        return;
    }
    let r = FacesRequest {
        sysnum: query("sysnum").unwrap_or_default(),
        token,
    };
    let Ok(body) = serde_json::to_string(&r) else {
        return;
    };
    super::leave::http("POST", "/api/visitor/faces", Some(&body), |status, body| {
        let again = STATE.with(|s| {
            let mut s = s.borrow_mut();
            if let (200, Ok(f)) = (status, serde_json::from_str::<Faces>(&body)) {
                s.faces = f
                    .faces
                    .into_iter()
                    .filter_map(|f| Some((f.nick, safe_url(&f.avatar)?)))
                    .collect();
            }
            s.in_flight = false;
            std::mem::take(&mut s.again)
        });
        if again {
            ask();
        }
        decorate();
    });
}

/// Puts the right avatar on every message of the list that lacks it or has another one.
fn decorate() {
    let Some(doc) = document() else { return };
    let Ok(list) = doc.query_selector_all(".fd-l>.fd-m:not(.fd-y)") else {
        return;
    };
    let visitor_face = query("face").and_then(|f| safe_url(&f));
    for i in 0..list.length() {
        let Some(m) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        let want = if m.class_list().contains("fd-v") {
            visitor_face.clone().map(Avatar::Picture)
        } else {
            let nick = m
                .query_selector(".fd-n")
                .ok()
                .flatten()
                .and_then(|n| n.text_content())
                .unwrap_or_default();
            let url = STATE.with(|s| {
                let s = s.borrow();
                s.faces
                    .iter()
                    .find(|(n, _)| *n == nick)
                    .map(|(_, u)| u.clone())
            });
            Some(match url {
                Some(url) => Avatar::Picture(url),
                None => Avatar::Initial(nick.chars().next().map(String::from).unwrap_or_default()),
            })
        };
        let _ = put(&doc, &m, want);
    }
}

enum Avatar {
    Picture(String),
    /// The nick's first character, when the agent has no avatar.
    Initial(String),
}

/// Makes `m`'s avatar `want` (none: no avatar), replacing another one.
fn put(doc: &web_sys::Document, m: &Element, want: Option<Avatar>) -> Option<()> {
    let key = match &want {
        Some(Avatar::Picture(u)) => format!("p{u}"),
        Some(Avatar::Initial(c)) => format!("i{c}"),
        None => String::new(),
    };
    let old = m.query_selector(":scope>.fd-av").ok().flatten();
    if old
        .as_ref()
        .and_then(|o| o.get_attribute("data-key"))
        .unwrap_or_default()
        == key
    {
        return Some(());
    }
    if let Some(o) = old {
        o.remove();
    }
    let _ = m.class_list().toggle_with_force("fd-fa", want.is_some());
    let av = match want? {
        Avatar::Picture(url) => {
            let img = el(doc, "img", "fd-av")?;
            for (k, v) in [
                ("alt", ""),
                ("referrerpolicy", "no-referrer"),
                ("src", &url),
            ] {
                img.set_attribute(k, v).ok()?;
            }
            img
        }
        Avatar::Initial(c) => {
            let span = el(doc, "span", "fd-av")?;
            span.set_attribute("aria-hidden", "true").ok()?;
            span.set_text_content(Some(&c));
            span
        }
    };
    av.set_attribute("data-key", &key).ok()?;
    av.set_attribute("data-testid", "fd-face").ok()?;
    if let Some(n) = m.query_selector(".fd-n").ok().flatten() {
        av.set_attribute("data-nick", &n.text_content().unwrap_or_default())
            .ok()?;
    }
    m.prepend_with_node_1(&av).ok()?;
    Some(())
}
