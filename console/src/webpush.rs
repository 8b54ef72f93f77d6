//! The console as an installed app with push notifications (issue 27 item 6): the service
//! worker (`/console/sw.js`, scope `/console/`, from `console/pwa/`) is registered at start,
//! which with the manifest makes the console installable; the agent's "Notifications on this
//! device" switch subscribes this browser's push service with the server's VAPID key and
//! hands the subscription to the server (`shared::webpush`), or unsubscribes and deletes it.
//! A tap on a notification opens `/console/#chat=<gid>` or tells an open console
//! (`postMessage {type: "frontdesk-open-chat", gid}`); [`wanted_chat`] and [`on_open_chat`]
//! are how the console hears it.
//!
//! The browser APIs (`navigator.serviceWorker`, `PushManager`, `Notification`) are reached
//! through `js_sys::Reflect`, as `notify.rs` does, so no web-sys features are added.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use leptos::prelude::*;
use shared::webpush::{Subscribed, Subscription, Unsubscribe, VapidKey};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::{place, t};

const WORKER: &str = "/console/sw.js";
const SCOPE: &str = "/console/";

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let f = get(obj, method)
        .and_then(|f| f.dyn_into::<Function>().ok())
        .ok_or_else(|| JsValue::from_str(method))?;
    f.apply(obj, &args.iter().collect::<Array>())
}

/// Awaits `obj.method(args…)`'s promise.
async fn call_async(obj: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let p = call(obj, method, args)?.dyn_into::<Promise>()?;
    JsFuture::from(p).await
}

fn container() -> Option<JsValue> {
    let nav = get(&js_sys::global(), "navigator")?;
    get(&nav, "serviceWorker")
}

/// Whether this browser can take push subscriptions here (a secure context with service
/// workers and `PushManager`).
fn supported() -> bool {
    container().is_some() && get(&js_sys::global(), "PushManager").is_some()
}

/// Registers the service worker (at start: the console is then installable). Errors are
/// ignored: without it the console works as before.
pub fn register() {
    let Some(c) = container() else { return };
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"scope".into(), &SCOPE.into());
    if let Ok(p) = call(&c, "register", &[WORKER.into(), opts.into()]) {
        if let Ok(p) = p.dyn_into::<Promise>() {
            // Before the app mounts, so not Leptos' executor: a failure is only ignored.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    }
}

/// The registration, once the worker is active.
async fn ready() -> Result<JsValue, JsValue> {
    let c = container().ok_or_else(|| JsValue::from_str("serviceWorker"))?;
    let p = get(&c, "ready")
        .ok_or_else(|| JsValue::from_str("ready"))?
        .dyn_into::<Promise>()?;
    JsFuture::from(p).await
}

/// This browser's subscription, if it has one.
async fn current() -> Option<JsValue> {
    let reg = ready().await.ok()?;
    let pm = get(&reg, "pushManager")?;
    call_async(&pm, "getSubscription", &[])
        .await
        .ok()
        .filter(|s| !s.is_null() && !s.is_undefined())
}

/// `method url` with the agent's token (and a JSON `body`) → (status, text).
async fn fetch(
    method: &str,
    url: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u16, String), String> {
    let auth = format!("Bearer {token}");
    let mut headers = vec![("authorization", auth.as_str())];
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    let body = body.map(JsValue::from);
    crate::http::request(method, url, &headers, body.as_ref()).await
}

fn js_text(e: &JsValue) -> String {
    get(e, "message")
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Unpadded base64url → bytes (the VAPID key for `applicationServerKey`).
fn unb64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.trim_end_matches('=').bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// Turns notifications on: permission, the server's key, the subscription, the server.
async fn enable(token: &str) -> Result<(), String> {
    if !supported() {
        return Err(t().push_unsupported.into());
    }
    register();
    let n = get(&js_sys::global(), "Notification").ok_or(t().push_unsupported)?;
    let permission = call_async(&n, "requestPermission", &[])
        .await
        .ok()
        .and_then(|p| p.as_string())
        .unwrap_or_default();
    if permission != "granted" {
        return Err(t().push_denied.into());
    }
    let failed = |why: String| place(&t().push_failed, &why);
    let (status, text) = fetch("GET", "/api/agent/push/key", token, None).await?;
    if status == 401 {
        return Err(t().session_expired.into());
    }
    let key = serde_json::from_str::<VapidKey>(&text)
        .ok()
        .and_then(|k| unb64(&k.key))
        .ok_or_else(|| failed(format!("HTTP {status}")))?;
    let reg = ready().await.map_err(|e| failed(js_text(&e)))?;
    let pm = get(&reg, "pushManager").ok_or(t().push_unsupported)?;
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"userVisibleOnly".into(), &true.into());
    let _ = Reflect::set(
        &opts,
        &"applicationServerKey".into(),
        &Uint8Array::from(key.as_slice()).into(),
    );
    let sub = call_async(&pm, "subscribe", &[opts.into()])
        .await
        .map_err(|e| failed(js_text(&e)))?;
    let json = call(&sub, "toJSON", &[]).map_err(|e| failed(js_text(&e)))?;
    let json = js_sys::JSON::stringify(&json)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    let s: Subscription = serde_json::from_str(&json).map_err(|e| failed(e.to_string()))?;
    let body = serde_json::to_string(&s).map_err(|e| failed(e.to_string()))?;
    let (status, text) = fetch("POST", "/api/agent/push/subscription", token, Some(body)).await?;
    match status {
        200 => serde_json::from_str::<Subscribed>(&text)
            .map(|_| ())
            .map_err(|_| t().unexpected_answer.to_owned()),
        401 => Err(t().session_expired.into()),
        _ => {
            let why = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| format!("HTTP {status}"));
            // The server refused it: don't leave a subscription it will never use.
            let _ = call_async(&sub, "unsubscribe", &[]).await;
            Err(failed(why))
        }
    }
}

/// Turns notifications off: the browser's subscription and the server's copy.
async fn disable(token: &str) -> Result<(), String> {
    let Some(sub) = current().await else {
        return Ok(());
    };
    let endpoint = get(&sub, "endpoint")
        .and_then(|e| e.as_string())
        .unwrap_or_default();
    let _ = call_async(&sub, "unsubscribe", &[]).await;
    let body = serde_json::to_string(&Unsubscribe { endpoint }).map_err(|e| e.to_string())?;
    match fetch("DELETE", "/api/agent/push/subscription", token, Some(body)).await? {
        (204, _) => Ok(()),
        (401, _) => Err(t().session_expired.into()),
        (s, _) => Err(place(&t().push_failed, &format!("HTTP {s}"))),
    }
}

/// The chat a notification asked for when it opened this console (`#chat=<gid>`), once.
pub fn wanted_chat() -> Option<String> {
    let loc = web_sys::window()?.location();
    let gid = loc.hash().ok()?.strip_prefix("#chat=")?.to_owned();
    let _ = loc.set_hash("");
    (!gid.is_empty()).then_some(gid)
}

/// Calls `open(gid)` whenever the service worker says a notification for chat `gid` was
/// tapped while this console is open.
pub fn on_open_chat(open: impl Fn(String) + 'static) {
    let Some(c) = container() else { return };
    let cb = Closure::<dyn Fn(JsValue)>::new(move |e: JsValue| {
        let Some(data) = get(&e, "data") else { return };
        if get(&data, "type").and_then(|t| t.as_string()).as_deref() == Some("frontdesk-open-chat")
        {
            if let Some(gid) = get(&data, "gid").and_then(|g| g.as_string()) {
                open(gid);
            }
        }
    });
    let _ = call(
        &c,
        "addEventListener",
        &["message".into(), cb.as_ref().clone()],
    );
    // Kept as long as the page (the listener is never removed).
    LISTENER.with(|l| *l.borrow_mut() = Some(cb));
}

type Listener = Closure<dyn Fn(JsValue)>;

thread_local! {
    /// The `message` listener of [`on_open_chat`].
    static LISTENER: std::cell::RefCell<Option<Listener>> = const { std::cell::RefCell::new(None) };
}

/// The "Notifications on this device" switch of the agent's settings.
#[component]
pub fn PushSwitch(token: RwSignal<Option<String>>) -> impl IntoView {
    let on = RwSignal::new(false);
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let busy = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(String::new());
    if supported() {
        leptos::task::spawn_local(async move {
            on.set(current().await.is_some());
        });
    }
    let toggle = move |_| {
        let want = !on.get_untracked();
        let tok = token.get_untracked().unwrap_or_default();
        busy.set(true);
        error.set(String::new());
        note.set(String::new());
        leptos::task::spawn_local(async move {
            let r = if want {
                enable(&tok).await
            } else {
                disable(&tok).await
            };
            match r {
                Ok(()) => {
                    on.set(want);
                    if want {
                        note.set(t().push_on.to_owned());
                    }
                }
                Err(e) => error.set(e),
            }
            // The box shows what is, also when the click's own toggle did not happen.
            if let Some(el) = input.get_untracked() {
                el.set_checked(on.get_untracked());
            }
            busy.set(false);
        });
    };
    view! {
        <label class="c-push">
            <input type="checkbox" role="switch" data-testid="fd-c-push" node_ref=input
                prop:checked=move || on.get() disabled=move || busy.get() on:change=toggle/>
            {t().push}
        </label>
        <p class="c-muted" data-testid="fd-c-push-note">{move || note.get()}</p>
        <p class="c-err" role="alert" data-testid="fd-c-push-error">{move || error.get()}</p>
    }
}
