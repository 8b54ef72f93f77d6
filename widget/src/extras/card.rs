//! A card from the page (seed 003 卡片参数, seed 000 `product`): the page's `card_title`,
//! `card_url`, `card_desc`, `card_note`, `card_picture` (a product), its `order_status`,
//! `status_custom`, `create_time`, `order_code`, `order_url`, `goods_count`, `total_fee`,
//! `goods` (an order), or seed 000's `product` JSON (`{pid, title, img, info, price, url}`),
//! shown at the top of the chat with a send control. Values come as the seed writes them —
//! `encodeURIComponent`-ed or not, `goods` as `JSON.stringify(goods)` or a link's raw
//! `goods=[…]` — and are read by `shared::card` exactly as an agent's client reads them.
//!
//! Sent, the card goes through the chat's outbox (`fd_send`) as kind 3 (product) or 4
//! (order), its body the page's values as a JSON object of strings (seed 000's product as
//! given); the panel then goes. The preview is text nodes and attributes only; links and
//! images only from `safe_url` (`http(s)`).
//!
//! Card *messages* in the conversation (kind 3/4, the visitor's or an agent's) are drawn here
//! too, with the same preview ([`message`]), so the chat page's size-budgeted bundle carries
//! no card reader: it hands the bubble over and shows the body as text until this tier runs.
//!
//! Test hooks: `fd-page-card` (with `data-card="product"|"order"`), `fd-page-card-send`,
//! `fd-page-card-close`, and inside the preview `fd-card-title`; a card message is
//! `fd-card` (with `data-card`), its link `fd-card-link`, an order's status `fd-order-status`.

use js_sys::{Object, Reflect, JSON};
use shared::card::{order_status_label, price, Order, Product, RawCard, RawGood};
use shared::visitor::MsgKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event};

use super::page::{locale, query};
use super::{document, el};
use crate::i18n::{card as texts, place, CardTexts};

#[wasm_bindgen]
extern "C" {
    /// The chat page's export: queue a message of `kind` with `body` in its outbox.
    #[wasm_bindgen(js_namespace = wasmBindings, js_name = fd_send)]
    pub fn send(kind: u8, body: &str);
}

#[cfg(any(feature = "json", feature = "chat"))]
/// What a card message's body is: a product or an order (seed 003's values, or seed 000's
/// product), or `None` when it is no card of `kind` (then it stays text).
pub enum MessageCard {
    Product(Product),
    Order(Order),
}

#[cfg(any(feature = "json", feature = "chat"))]
/// Reads a card message: `kind` 3 product, 4 order; `None` for anything else.
pub fn read_message(kind: u8, body: &str) -> Option<MessageCard> {
    let raw: RawCard = serde_json::from_str(body).ok()?;
    match kind {
        3 => raw.product().map(MessageCard::Product),
        4 => raw
            .order(|g| serde_json::from_str::<Vec<RawGood>>(g).ok())
            .map(MessageCard::Order),
        _ => None,
    }
}

#[cfg(any(feature = "json", feature = "chat"))]
/// Draws card message `body` of `kind` into `bubble` (the chat page's `fd-b`), in place of
/// the text the page put there; a body that is no card stays as it is.
pub fn message(bubble: &Element, kind: u8, body: &str) {
    let drawn = (|| {
        let doc = document()?;
        let card = match read_message(kind, body)? {
            MessageCard::Product(p) => preview_product(&doc, &p)?,
            MessageCard::Order(o) => preview_order(&doc, &o, texts(locale()))?,
        };
        card.set_attribute("data-testid", "fd-card").ok()?;
        bubble.set_text_content(None);
        bubble.append_child(&card).ok()
    })();
    if drawn.is_none() {
        bubble.set_text_content(Some(body));
    }
}

const PRODUCT_KEYS: [&str; 5] = [
    "card_title",
    "card_url",
    "card_desc",
    "card_note",
    "card_picture",
];
const ORDER_KEYS: [&str; 8] = [
    "order_status",
    "status_custom",
    "create_time",
    "order_code",
    "order_url",
    "goods_count",
    "total_fee",
    "goods",
];

const CSS: &str = ".fd-cd{flex:none;margin:8px 8px 0;padding:10px;border-radius:12px;background:#fff;\
box-shadow:0 1px 3px rgba(0,0,0,.12);max-height:45vh;overflow-y:auto}\
.fd-cd>h2{margin:0 0 6px;font-size:12px;font-weight:600;color:#57606a}\
.fd-cd .fd-c{width:auto;white-space:normal}\
.fd-cd .fd-cl{color:inherit}\
.fd-cda{display:flex;justify-content:flex-end;gap:8px;margin-top:8px}\
.fd-cda button{min-height:36px;padding:0 14px;border-radius:18px;font:inherit;font-size:14px;cursor:pointer}\
.fd-cdx{border:1px solid #c9d1d9;background:#fff;color:#1f2328}\
.fd-cds{border:0;background:var(--c,#1e6fd9);color:var(--ci,#fff);font-weight:600}";

/// The card(s) the page's query describes: `(kind, body, card)`.
fn page_cards() -> Vec<(MsgKind, String, RawCard)> {
    let mut out = Vec::new();
    // Seed 003's product, else seed 000's `product` JSON.
    if query("card_title").is_some() {
        if let Some(c) = from_keys(&PRODUCT_KEYS) {
            out.push((MsgKind::Product, c.0, c.1));
        }
    } else if let Some(json) = query("product") {
        if let Some(c) = from_json(&json) {
            out.push((MsgKind::Product, c.0, c.1));
        }
    }
    if ORDER_KEYS.iter().any(|k| query(k).is_some()) {
        if let Some(c) = from_keys(&ORDER_KEYS) {
            out.push((MsgKind::Order, c.0, c.1));
        }
    }
    out
}

/// The body (a JSON object of the given values) and the card of `keys` in the query.
fn from_keys(keys: &[&str]) -> Option<(String, RawCard)> {
    let obj = Object::new();
    let mut card = RawCard::default();
    for k in keys {
        if let Some(v) = query(k) {
            Reflect::set(&obj, &JsValue::from_str(k), &JsValue::from_str(&v)).ok()?;
            card.set(k, v);
        }
    }
    let body = JSON::stringify(&obj).ok()?.as_string()?;
    Some((body, card))
}

/// Seed 000's product: a JSON object; its text values read as a card's.
fn from_json(json: &str) -> Option<(String, RawCard)> {
    let v = JSON::parse(json)
        .ok()
        .filter(|v| v.is_object() && !js_sys::Array::is_array(v))?;
    let mut card = RawCard::default();
    for k in ["title", "img", "info", "price", "url"] {
        if let Some(s) = text_of(&Reflect::get(&v, &JsValue::from_str(k)).ok()?) {
            card.set(k, s);
        }
    }
    Some((JSON::stringify(&v).ok()?.as_string()?, card))
}

/// A string or a number as text (what `shared::card::Loose` accepts).
fn text_of(v: &JsValue) -> Option<String> {
    v.as_string().or_else(|| {
        v.as_f64()?;
        JSON::stringify(v).ok()?.as_string()
    })
}

/// `goods` given as a JSON string, read with the browser's parser.
fn goods(json: &str) -> Option<Vec<RawGood>> {
    let list = JSON::parse(json).ok().filter(js_sys::Array::is_array)?;
    let mut out = Vec::new();
    for g in js_sys::Array::from(&list).iter() {
        if !g.is_object() {
            return None;
        }
        let get = |k: &str| {
            Reflect::get(&g, &JsValue::from_str(k))
                .ok()
                .as_ref()
                .and_then(text_of)
                .map(shared::card::Loose::Str)
        };
        out.push(RawGood {
            name: get("name"),
            picture_url: get("pictureUrl"),
        });
    }
    Some(out)
}

/// Shows the page's cards at the top of the chat (once; nothing without a conversation to
/// put them in).
pub fn show() {
    let cards = page_cards();
    if cards.is_empty() {
        return;
    }
    let _ = build(cards);
}

fn build(cards: Vec<(MsgKind, String, RawCard)>) -> Option<()> {
    let doc = document()?;
    let list = doc.query_selector(".fd-l").ok()??;
    if doc.get_element_by_id("fd-cd-css").is_none() {
        let style = el(&doc, "style", "")?;
        style.set_id("fd-cd-css");
        style.set_text_content(Some(CSS));
        doc.head()?.append_child(&style).ok()?;
    }
    let t = texts(locale());
    for (kind, body, card) in cards {
        let (name, shown) = match kind {
            MsgKind::Order => (
                "order",
                card.order(goods).map(|o| preview_order(&doc, &o, t)),
            ),
            _ => ("product", card.product().map(|p| preview_product(&doc, &p))),
        };
        let Some(Some(preview)) = shown else { continue };
        let panel = el(&doc, "section", "fd-cd")?;
        for (k, v) in [
            ("data-testid", "fd-page-card"),
            ("data-card", name),
            ("aria-label", t.label),
        ] {
            panel.set_attribute(k, v).ok()?;
        }
        add_text(&doc, &panel, "h2", "", t.label)?;
        panel.append_child(&preview).ok()?;
        let actions = el(&doc, "div", "fd-cda")?;
        let close = button(&doc, &actions, "fd-cdx", "fd-page-card-close", t.close)?;
        let send_b = button(&doc, &actions, "fd-cds", "fd-page-card-send", t.send)?;
        panel.append_child(&actions).ok()?;
        list.parent_node()?
            .insert_before(&panel, Some(&list))
            .ok()?;
        let kind = u8::from(kind);
        let p = panel.clone();
        let on_send = Closure::<dyn FnMut(Event)>::new(move |_| {
            send(kind, &body);
            p.remove();
            focus_input();
        });
        send_b
            .add_event_listener_with_callback("click", on_send.as_ref().unchecked_ref())
            .ok()?;
        let p = panel.clone();
        let on_close = Closure::<dyn FnMut(Event)>::new(move |_| {
            p.remove();
            focus_input();
        });
        close
            .add_event_listener_with_callback("click", on_close.as_ref().unchecked_ref())
            .ok()?;
        // The panel lives until it is sent or dismissed; its handlers as long as the page.
        on_send.forget();
        on_close.forget();
    }
    Some(())
}

fn focus_input() {
    if let Some(i) = document()
        .and_then(|d| d.get_element_by_id("fd-in"))
        .and_then(|i| i.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = i.focus();
    }
}

fn button(
    doc: &Document,
    parent: &Element,
    class: &str,
    testid: &str,
    label: &str,
) -> Option<Element> {
    let b = add_text(doc, parent, "button", class, label)?;
    b.set_attribute("type", "button").ok()?;
    b.set_attribute("data-testid", testid).ok()?;
    Some(b)
}

/// `<tag class>text</tag>` appended to `parent` (nothing for blank text).
fn add_text(
    doc: &Document,
    parent: &Element,
    tag: &str,
    class: &str,
    text: &str,
) -> Option<Element> {
    if text.trim().is_empty() {
        return None;
    }
    let e = el(doc, tag, class)?;
    e.set_text_content(Some(text));
    parent.append_child(&e).ok()?;
    Some(e)
}

fn picture(doc: &Document, parent: &Element, class: &str, src: &str) -> Option<()> {
    let img = el(doc, "img", class)?;
    for (k, v) in [("alt", ""), ("loading", "lazy"), ("src", src)] {
        img.set_attribute(k, v).ok()?;
    }
    parent.append_child(&img).ok()?;
    Some(())
}

/// The card's frame (`fd-c`, a link when the card has a safe URL): the element its content
/// goes into, and the frame.
fn frame(doc: &Document, kind: &str, url: Option<&str>) -> Option<(Element, Element)> {
    let c = el(doc, "div", "fd-c")?;
    c.set_attribute("data-card", kind).ok()?;
    let inner = match url {
        Some(href) => {
            let a = el(doc, "a", "fd-cl")?;
            for (k, v) in [
                ("href", href),
                ("rel", "noopener noreferrer"),
                ("target", "_blank"),
            ] {
                a.set_attribute(k, v).ok()?;
            }
            a.set_attribute("data-testid", "fd-card-link").ok()?;
            c.append_child(&a).ok()?;
            a
        }
        None => c.clone(),
    };
    Some((inner, c))
}

fn preview_product(doc: &Document, p: &Product) -> Option<Element> {
    let (inner, c) = frame(doc, "product", p.url.as_deref())?;
    let row = el(doc, "div", "fd-pc")?;
    inner.append_child(&row).ok()?;
    if let Some(src) = &p.picture {
        picture(doc, &row, "fd-cp", src)?;
    }
    let x = el(doc, "div", "fd-cx")?;
    row.append_child(&x).ok()?;
    if let Some(t) = add_text(doc, &x, "span", "fd-ct", &p.title) {
        t.set_attribute("data-testid", "fd-card-title").ok()?;
    }
    add_text(doc, &x, "span", "fd-cs", &p.desc);
    add_text(doc, &x, "span", "fd-cn", &p.note);
    Some(c)
}

fn preview_order(doc: &Document, o: &Order, t: &CardTexts) -> Option<Element> {
    let (inner, c) = frame(doc, "order", o.url.as_deref())?;
    let head = el(doc, "div", "fd-oh")?;
    inner.append_child(&head).ok()?;
    if let Some(e) = add_text(doc, &head, "span", "fd-ct", t.order) {
        e.set_attribute("data-testid", "fd-card-title").ok()?;
    }
    let status = match order_status_label(o.status, t.locale) {
        "" => o.status_custom.as_str(),
        s => s,
    };
    if let Some(s) = add_text(doc, &head, "span", "fd-os", status) {
        s.set_attribute("data-testid", "fd-order-status").ok()?;
    }
    if !o.code.is_empty() {
        add_text(doc, &inner, "span", "fd-cs", &place(&t.order_no, &o.code));
    }
    if let Some(when) = o.create_time.and_then(date_time) {
        add_text(doc, &inner, "span", "fd-cs", &when);
    }
    if !o.goods.is_empty() {
        let list = el(doc, "ul", "fd-g")?;
        inner.append_child(&list).ok()?;
        for g in &o.goods {
            let li = el(doc, "li", "")?;
            list.append_child(&li).ok()?;
            if let Some(src) = &g.picture {
                picture(doc, &li, "", src)?;
            }
            add_text(doc, &li, "span", "", &g.name);
        }
    }
    let mut sum = Vec::new();
    if let Some(n) = o.goods_count {
        let pieces = if n == 1 { &t.items_one } else { &t.items_other };
        sum.push(place(pieces, &n.to_string()));
    }
    if let Some(fee) = o.total_fee {
        sum.push(place(&t.total, &price(fee)));
    }
    add_text(doc, &inner, "span", "fd-cs fd-ot", &sum.join(" · "));
    Some(c)
}

/// `YYYY-MM-DD HH:MM` in the visitor's time zone; `None` for no date.
fn date_time(ms: i64) -> Option<String> {
    let d = js_sys::Date::new(&(ms as f64).into());
    if d.get_time().is_nan() {
        return None;
    }
    let mut s = String::with_capacity(16);
    for (n, width, sep) in [
        (d.get_full_year(), 4, "-"),
        (d.get_month() + 1, 2, "-"),
        (d.get_date(), 2, " "),
        (d.get_hours(), 2, ":"),
        (d.get_minutes(), 2, ""),
    ] {
        let digits = n.to_string();
        for _ in digits.len()..width {
            s.push('0');
        }
        s.push_str(&digits);
        s.push_str(sep);
    }
    Some(s)
}

#[cfg(all(test, any(feature = "json", feature = "chat")))]
mod tests {
    use super::*;
    use shared::card::{price, Good};

    #[test]
    fn card_messages_parse_or_stay_text() {
        let body = r#"{"card_title":"Shoes","card_url":"http%3A%2F%2Fshop.example%2Fp%2F1",
            "card_desc":"Light","card_note":"¥399.00"}"#;
        let Some(MessageCard::Product(p)) = read_message(3, body) else {
            panic!("a product");
        };
        assert_eq!(p.title, "Shoes");
        assert_eq!(p.url.as_deref(), Some("http://shop.example/p/1"));
        assert_eq!((p.desc.as_str(), p.note.as_str()), ("Light", "¥399.00"));
        assert_eq!(p.picture, None);
        let order = r#"{"order_status":"3","order_code":"A1","total_fee":"1000",
            "goods":"[{\"name\":\"Shoes\",\"pictureUrl\":\"javascript:x\"}]"}"#;
        let Some(MessageCard::Order(o)) = read_message(4, order) else {
            panic!("an order");
        };
        assert_eq!((o.status, o.code.as_str()), (3, "A1"));
        assert_eq!(o.total_fee.map(price).as_deref(), Some("¥10.00"));
        assert_eq!(
            o.goods,
            vec![Good {
                name: "Shoes".into(),
                picture: None
            }]
        );
        for (kind, bad) in [
            (3, "not json"),
            (3, "[1,2]"),
            (3, r#"{"card_url":"http://a.example"}"#),
            (3, r#"{"card_title":{"x":1}}"#),
            (4, r#"{"card_title":"only a product"}"#),
            (4, "{"),
            (0, r#"{"card_title":"Shoes"}"#),
        ] {
            assert!(read_message(kind, bad).is_none(), "{kind} {bad}");
        }
    }

    #[test]
    fn card_urls_are_never_unsafe() {
        let body = r#"{"card_title":"<img src=x onerror=alert(1)>","card_url":"javascript:alert(1)",
            "card_picture":"data:image/svg+xml,<svg onload=alert(1)>"}"#;
        let Some(MessageCard::Product(p)) = read_message(3, body) else {
            panic!("a product card");
        };
        assert_eq!(p.title, "<img src=x onerror=alert(1)>");
        assert_eq!((p.url, p.picture), (None, None));
    }
}
