//! Desktop notification (only when the agent granted it), a short WebAudio beep, and the tab
//! title `(N) Frontdesk`. `Notification` and `AudioContext` are reached through
//! `js_sys::Reflect`, so the console needs no web-sys features beyond the widget's.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::VisibilityState;

const TITLE: &str = "Frontdesk";

thread_local! {
    static AUDIO: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = get(obj, method)?.dyn_into::<Function>().ok()?;
    f.apply(obj, &args.iter().collect::<Array>()).ok()
}

fn construct(name: &str, args: &[JsValue]) -> Option<JsValue> {
    let ctor = get(&js_sys::global(), name)?.dyn_into::<Function>().ok()?;
    Reflect::construct(&ctor, &args.iter().collect::<Array>()).ok()
}

pub fn page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| d.visibility_state() == VisibilityState::Visible)
}

/// On a user gesture: ask for notification permission (once) and unlock audio.
pub fn on_user_gesture() {
    if let Some(n) = get(&js_sys::global(), "Notification") {
        if get(&n, "permission").and_then(|p| p.as_string()).as_deref() == Some("default") {
            let _ = call(&n, "requestPermission", &[]);
        }
    }
    AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_none() {
            *a = construct("AudioContext", &[]);
        }
    });
}

fn beep() {
    AUDIO.with(|a| {
        let a = a.borrow();
        let Some(ctx) = a.as_ref() else { return };
        let (Some(osc), Some(gain)) = (
            call(ctx, "createOscillator", &[]),
            call(ctx, "createGain", &[]),
        ) else {
            return;
        };
        if let Some(f) = get(&osc, "frequency") {
            let _ = Reflect::set(&f, &"value".into(), &880.into());
        }
        if let Some(g) = get(&gain, "gain") {
            let _ = Reflect::set(&g, &"value".into(), &0.05.into());
        }
        let Some(dest) = get(ctx, "destination") else {
            return;
        };
        let _ = call(&osc, "connect", std::slice::from_ref(&gain));
        let _ = call(&gain, "connect", &[dest]);
        let now = get(ctx, "currentTime")
            .and_then(|t| t.as_f64())
            .unwrap_or(0.0);
        let _ = call(&osc, "start", &[now.into()]);
        let _ = call(&osc, "stop", &[(now + 0.15).into()]);
    });
}

fn desktop(title: &str, body: &str) {
    let Some(n) = get(&js_sys::global(), "Notification") else {
        return;
    };
    if get(&n, "permission").and_then(|p| p.as_string()).as_deref() != Some("granted") {
        return;
    }
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"body".into(), &body.into());
    let _ = Reflect::set(&opts, &"tag".into(), &"frontdesk".into());
    let _ = construct("Notification", &[title.into(), opts.into()]);
}

/// A new visitor message somewhere the agent is not looking.
pub fn alert(who: &str, text: &str) {
    let title = if who.is_empty() {
        crate::i18n::t().new_message.to_owned()
    } else {
        crate::i18n::place(&crate::i18n::t().new_message_from, who)
    };
    // Notification bodies are plain text; keep them short.
    let body: String = text.chars().take(140).collect();
    desktop(&title, &body);
    beep();
}

pub fn set_title(unread: u32) {
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        if unread == 0 {
            d.set_title(TITLE);
        } else {
            d.set_title(&format!("({unread}) {TITLE}"));
        }
    }
}
