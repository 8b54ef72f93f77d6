//! What the agent sends besides text: attachments (uploaded with `POST /api/files`, then sent
//! with `32300` and the `file_type` the server detected), product and order cards (`32300`
//! `file_type` 3/4 with the seed 003 field names), and the typing signal `32700`.

use leptos::ev;
use leptos::html;
use leptos::prelude::*;
use shared::agent::Request;
use shared::card::{parse_cents, safe_url, OrderBody, ProductBody};
use shared::visitor::MsgKind;

use crate::i18n::{place, t as tr};
use crate::store::Store;
use crate::{conn, http};

/// While the agent keeps typing, `32700 status 1` is repeated this often (the visitor's
/// indicator times out after 6 s).
const TYPING_EVERY_MS: f64 = 2000.0;

/// The agent's typing state: which chat we last said "typing" to, and when.
#[derive(Clone, Copy)]
pub struct Typing(StoredValue<Option<(String, f64)>>);

impl Typing {
    pub fn new() -> Self {
        Typing(StoredValue::new(None))
    }

    /// The reply box of `gid` changed: `typed` is whether it holds any text.
    pub fn input(&self, gid: &str, typed: bool) {
        let now = js_sys::Date::now();
        let last = self.0.get_value();
        let same = last.as_ref().is_some_and(|(g, _)| g == gid);
        if typed {
            if !same {
                self.stop();
            }
            if !same || last.is_some_and(|(_, t)| now - t >= TYPING_EVERY_MS) {
                conn::request(Request::typing(gid, true));
                self.0.set_value(Some((gid.to_owned(), now)));
            }
        } else {
            self.stop();
        }
    }

    /// Says "stopped" to the chat we said "typing" to, if any.
    pub fn stop(&self) {
        // `try_`: this also runs while the chat pane is being torn down.
        if let Some(Some((gid, _))) = self.0.try_get_value() {
            self.0.try_set_value(None);
            conn::request(Request::typing(&gid, false));
        }
    }

    /// The message was sent: the visitor's indicator clears on it, so just forget.
    pub fn sent(&self) {
        self.0.set_value(None);
    }
}

/// The paper-clip button: choose a file, upload it, send its URL.
#[component]
pub fn Attach(store: Store, gid: Signal<String>) -> impl IntoView {
    let input: NodeRef<html::Input> = NodeRef::new();
    let busy = RwSignal::new(false);
    let on_change = move |_: ev::Event| {
        let Some(el) = input.get_untracked() else {
            return;
        };
        let Some(file) = http::picked(&el) else {
            return;
        };
        el.set_value("");
        let token = store.token.get_untracked().unwrap_or_default();
        let gid = gid.get_untracked();
        busy.set(true);
        store.notice.set(place(&tr().uploading, &file.name));
        leptos::task::spawn_local(async move {
            match http::upload(&token, &file).await {
                Ok(up) => {
                    store.notice.set(String::new());
                    conn::request(Request::send(&gid, &up.url, up.file_type));
                }
                Err(why) => store.notice.set(why),
            }
            busy.set(false);
        });
    };
    view! {
        <input type="file" id="c-file" class="c-sr" node_ref=input data-testid="fd-c-file-input"
            on:change=on_change disabled=move || busy.get()/>
        <label for="c-file" class="c-btn" class=("c-busy", move || busy.get()) title=tr().attach_title>
            {tr().attach}
        </label>
    }
}

/// A `<label>` and `<input>` of the card form; the value is read back through `node`.
fn field(id: &'static str, label: &'static str, node: NodeRef<html::Input>) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id node_ref=node data-testid=id/>
    }
}

fn value(node: NodeRef<html::Input>) -> String {
    node.get_untracked()
        .map(|el| el.value().trim().to_owned())
        .unwrap_or_default()
}

/// `Some(value)` when the value is not empty (the card leaves the key out otherwise).
fn given(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// A URL field: empty, or an `http(s)` URL.
fn url_field(name: &str, v: String) -> Result<String, String> {
    if v.is_empty() || safe_url(&v).is_some() {
        Ok(v)
    } else {
        Err(place(&tr().url_must, name))
    }
}

/// The card form: a product card (title required) or an order card (order number required).
#[component]
pub fn CardForm(gid: Signal<String>, open: RwSignal<bool>) -> impl IntoView {
    let order = RwSignal::new(false);
    let (title, url, desc, note, picture) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let (code, total, count, custom, order_url) = (
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
        NodeRef::new(),
    );
    let status: NodeRef<html::Select> = NodeRef::new();
    let error = RwSignal::new(String::new());
    // The card's kind and its JSON (the `msg` of `32300`).
    let build = move || -> Result<(MsgKind, String), String> {
        if order.get_untracked() {
            let order_code = value(code);
            if order_code.is_empty() {
                return Err(tr().enter_order_no.into());
            }
            let s = status
                .get_untracked()
                .map(|s| s.value())
                .unwrap_or_default();
            let status_custom = given(value(custom));
            let t = value(total);
            let total_fee = if t.is_empty() {
                None
            } else {
                Some(parse_cents(&t).ok_or(tr().total_bad)?)
            };
            let n = value(count);
            let goods_count = if n.is_empty() {
                None
            } else {
                Some(n.parse().map_err(|_| tr().items_bad)?)
            };
            let card = OrderBody {
                create_time: js_sys::Date::now() as i64,
                goods_count,
                order_code,
                order_status: s.parse().unwrap_or(0),
                order_url: given(url_field(tr().the_link, value(order_url))?),
                status_custom,
                total_fee,
            };
            Ok((
                MsgKind::Order,
                serde_json::to_string(&card).map_err(|e| e.to_string())?,
            ))
        } else {
            let card_title = value(title);
            if card_title.is_empty() {
                return Err(tr().enter_title.into());
            }
            let card = ProductBody {
                card_title,
                card_url: given(url_field(tr().the_link, value(url))?),
                card_desc: given(value(desc)),
                card_note: given(value(note)),
                card_picture: given(url_field(tr().the_picture, value(picture))?),
            };
            Ok((
                MsgKind::Product,
                serde_json::to_string(&card).map_err(|e| e.to_string())?,
            ))
        }
    };
    let submit = move |e: ev::SubmitEvent| {
        e.prevent_default();
        match build() {
            Ok((kind, card)) => {
                error.set(String::new());
                conn::request(Request::send(&gid.get_untracked(), &card, kind.into()));
                open.set(false);
            }
            Err(why) => error.set(why),
        }
    };
    let statuses = [
        (1, tr().st_payment),
        (2, tr().st_shipment),
        (3, tr().st_transit),
        (4, tr().st_delivery),
        (5, tr().st_completed),
        (6, tr().st_review),
        (7, tr().st_cancelled),
        (0, tr().st_other),
    ];
    view! {
        <form class="c-cardform" data-testid="fd-c-cardform" on:submit=submit aria-label=tr().send_card_label>
            <fieldset class="c-kind">
                <legend>{tr().card}</legend>
                <label><input type="radio" name="c-kind" checked=move || !order.get()
                    data-testid="fd-c-kind-product" on:change=move |_| order.set(false)/>" "{tr().product}</label>
                <label><input type="radio" name="c-kind" checked=move || order.get()
                    data-testid="fd-c-kind-order" on:change=move |_| order.set(true)/>" "{tr().order}</label>
            </fieldset>
            <Show when=move || !order.get() fallback=move || view! {
                <div class="c-grid">
                    {field("fd-c-order-code", tr().order_number, code)}
                    <label for="fd-c-order-status">{tr().status}</label>
                    <select id="fd-c-order-status" node_ref=status data-testid="fd-c-order-status">
                        {statuses.map(|(n, l)| view! { <option value=n.to_string()>{l}</option> }).collect_view()}
                    </select>
                    {field("fd-c-order-custom", tr().other_status, custom)}
                    {field("fd-c-order-total", tr().total_label, total)}
                    {field("fd-c-order-count", tr().items_label, count)}
                    {field("fd-c-order-url", tr().link, order_url)}
                </div>
            }>
                <div class="c-grid">
                    {field("fd-c-card-title-in", tr().title, title)}
                    {field("fd-c-card-url", tr().link, url)}
                    {field("fd-c-card-desc", tr().description, desc)}
                    {field("fd-c-card-note", tr().price_note, note)}
                    {field("fd-c-card-picture", tr().picture_url, picture)}
                </div>
            </Show>
            <p class="c-err" role="alert" data-testid="fd-c-card-error">{move || error.get()}</p>
            <div class="c-row">
                <button type="submit" class="c-btn c-pri" data-testid="fd-c-card-send">{tr().send_card}</button>
                <button type="button" class="c-btn" on:click=move |_| open.set(false)>{tr().cancel}</button>

            </div>
        </form>
    }
}
