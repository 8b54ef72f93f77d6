//! Product and order cards: the JSON body of a message whose kind is 3 (product) or 4 (order).
//!
//! The fields are the seed's own (seed 003 `card_*` and `order_*`/`goods`, seed 000's
//! `product` JSON `{pid, title, img, info, price, url}`), and they arrive as the seeds send
//! them: numbers as strings, URLs `encodeURIComponent`-ed, `goods` as a JSON string. Parse a
//! body with `serde_json::from_str::<RawCard>` (this crate stays serde-only), then
//! [`RawCard::product`] / [`RawCard::order`] give the normalised card.
//!
//! Every URL goes through [`safe_url`]: only an absolute `http:`/`https:` URL (after undoing
//! one level of percent-encoding) may become a link or an image source; anything else
//! (`javascript:`, `data:`, a mini-program page path) is dropped from links and images.
//! Titles and texts are plain strings that callers render as text nodes.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::config::{is_http_url, Locale};

/// A value the seeds send either as a JSON string or as a number (or a boolean); anything
/// else (an object, an array) fails the card.
///
/// `Deserialize` is written by hand: it accepts exactly what `#[serde(untagged)]` over these
/// variants would, without serde's buffered `Content` machinery, which cost the chat page's
/// wasm bundle about 20 KB gzip.
#[derive(Debug, Clone)]
pub enum Loose {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Loose {
    pub fn text(&self) -> String {
        match self {
            Loose::Str(s) => s.clone(),
            Loose::Int(n) => n.to_string(),
            Loose::Float(f) => float_text(*f),
            Loose::Bool(b) => b.to_string(),
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Loose::Str(s) => s.trim().parse().ok(),
            Loose::Int(n) => Some(*n),
            Loose::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }
}

/// A JSON float as text: the shortest decimal with at most 9 fraction digits that reads back
/// as `f` (so `399.5` → `"399.5"`, `0.1` → `"0.1"`), else `f` rounded to 9 decimals; from
/// 10^19 on, `<mantissa>e<exponent>`. Written out because core's float formatting costs the
/// chat page's wasm bundle about 8 KB gzip; card values are prices and ids, not science.
fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return String::new(); // JSON has no NaN or infinity
    }
    let mut a = f.abs();
    let sign = if f < 0.0 { "-" } else { "" };
    if a >= 1e19 {
        let mut e = 0;
        while a >= 10.0 {
            a /= 10.0;
            e += 1;
        }
        return format!("{sign}{}e{e}", float_text(a));
    }
    let (mut k, mut scale) = (0, 1.0);
    while k < 9 && (a * scale).round() / scale != a {
        k += 1;
        scale *= 10.0;
    }
    let mut s = ((a * scale).round() as u64).to_string();
    if k > 0 {
        while s.len() <= k {
            s.insert(0, '0');
        }
        s.insert(s.len() - k, '.');
        let end = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(end);
    }
    if s == "0" {
        s
    } else {
        format!("{sign}{s}")
    }
}

/// One good of an order card (`{name, pictureUrl}`).
#[derive(Debug, Clone, Deserialize)]
pub struct RawGood {
    #[serde(default)]
    pub name: Option<Loose>,
    #[serde(default, rename = "pictureUrl")]
    pub picture_url: Option<Loose>,
}

/// `goods`: an array, or (as seed 003 sends it) that array as a JSON string. (`Deserialize`
/// by hand, as for [`Loose`].)
#[derive(Debug, Clone)]
pub enum RawGoods {
    List(Vec<RawGood>),
    Text(String),
}

impl RawCard {
    /// Sets the field called `key` (a seed card key: `card_*`, seed 000's product keys,
    /// `order_*`, `goods`) to `value` as a page gives it — a query parameter or a
    /// `zc("config")` value, every one a string; `false` for any other key. What the chat
    /// page's lazy tier builds the card of a page from (it has no JSON parser of its own).
    pub fn set(&mut self, key: &str, value: String) -> bool {
        if key == "goods" {
            self.goods = Some(RawGoods::Text(value));
            return true;
        }
        match self.field(key) {
            Some(slot) => {
                *slot = Some(Loose::Str(value));
                true
            }
            None => false,
        }
    }

    /// The loose field called `key`, if there is one.
    fn field(&mut self, key: &str) -> Option<&mut Option<Loose>> {
        Some(match key {
            "card_title" => &mut self.card_title,
            "card_url" => &mut self.card_url,
            "card_desc" => &mut self.card_desc,
            "card_note" => &mut self.card_note,
            "card_picture" => &mut self.card_picture,
            "title" => &mut self.title,
            "url" => &mut self.url,
            "info" => &mut self.info,
            "price" => &mut self.price,
            "img" => &mut self.img,
            "order_status" => &mut self.order_status,
            "status_custom" => &mut self.status_custom,
            "create_time" => &mut self.create_time,
            "order_code" => &mut self.order_code,
            "order_url" => &mut self.order_url,
            "goods_count" => &mut self.goods_count,
            "total_fee" => &mut self.total_fee,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for RawCard {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCard;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a card object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCard, A::Error> {
                let mut card = RawCard::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "goods" {
                        card.goods = map.next_value()?;
                    } else if let Some(slot) = card.field(&key) {
                        *slot = map.next_value()?;
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(card)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
                Ok(Loose::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
                Ok(Loose::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
                Ok(i64::try_from(v).map_or(Loose::Float(v as f64), Loose::Int))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
                Ok(Loose::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
                Ok(Loose::Bool(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawGoods {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawGoods;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of goods, or that list as a JSON string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawGoods, E> {
                Ok(RawGoods::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RawGoods, E> {
                Ok(RawGoods::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawGoods, A::Error> {
                let mut list = Vec::new();
                while let Some(good) = seq.next_element()? {
                    list.push(good);
                }
                Ok(RawGoods::List(list))
            }
        }
        d.deserialize_any(V)
    }
}

/// A card body as sent, every field optional and loosely typed. It must be a JSON object;
/// unknown keys are ignored, and of a repeated key the last one counts. (`Deserialize` by
/// hand: one code path for the 17 loose fields instead of serde's per-field one.)
#[derive(Debug, Clone, Default)]
pub struct RawCard {
    // Product, seed 003.
    pub card_title: Option<Loose>,
    pub card_url: Option<Loose>,
    pub card_desc: Option<Loose>,
    pub card_note: Option<Loose>,
    pub card_picture: Option<Loose>,
    // Product, seed 000.
    pub title: Option<Loose>,
    pub url: Option<Loose>,
    pub info: Option<Loose>,
    pub price: Option<Loose>,
    pub img: Option<Loose>,
    // Order, seed 003.
    pub order_status: Option<Loose>,
    pub status_custom: Option<Loose>,
    pub create_time: Option<Loose>,
    pub order_code: Option<Loose>,
    pub order_url: Option<Loose>,
    pub goods_count: Option<Loose>,
    pub total_fee: Option<Loose>,
    pub goods: Option<RawGoods>,
}

/// A product card, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub title: String,
    /// A safe `http(s)` link, if the card has one.
    pub url: Option<String>,
    pub desc: String,
    /// The seed's tag line, e.g. a price.
    pub note: String,
    pub picture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Good {
    pub name: String,
    pub picture: Option<String>,
}

/// An order card, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// 0 (custom, see `status_custom`) … 7; anything else is treated as 0.
    pub status: u8,
    pub status_custom: String,
    /// Milliseconds since the epoch.
    pub create_time: Option<i64>,
    pub code: String,
    pub url: Option<String>,
    pub goods_count: Option<i64>,
    /// In cents (fen).
    pub total_fee: Option<i64>,
    pub goods: Vec<Good>,
}

/// A product card as an agent writes it (the console's card form; `32300` `file_type` 3 with
/// this as `msg`): seed 003's `card_*` keys, each present only when given. Fields in
/// alphabetical order, as the console has always sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_desc: Option<String>,
    /// The tag line, e.g. a price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_note: Option<String>,
    /// An `http(s)` image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_picture: Option<String>,
    /// Required by the seed.
    pub card_title: String,
    /// An `http(s)` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_url: Option<String>,
}

/// An order card as an agent writes it (`32300` `file_type` 4 with this as `msg`): seed 003's
/// `order_*` keys, numbers as numbers, each optional one present only when given. Fields in
/// alphabetical order, as the console has always sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderBody {
    /// Milliseconds since the epoch.
    pub create_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_count: Option<u32>,
    /// The order number, required.
    pub order_code: String,
    /// 1 … 7 (see [`order_status_label`]), or 0 with `status_custom`.
    pub order_status: u8,
    /// An `http(s)` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_custom: Option<String>,
    /// In cents (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_fee: Option<i64>,
}

fn text(v: &Option<Loose>) -> String {
    v.as_ref().map(Loose::text).unwrap_or_default()
}

fn first_text(a: &Option<Loose>, b: &Option<Loose>) -> String {
    let t = text(a);
    if t.trim().is_empty() {
        text(b)
    } else {
        t
    }
}

fn url(v: &Option<Loose>) -> Option<String> {
    v.as_ref().and_then(|v| safe_url(&v.text()))
}

impl RawCard {
    /// The product card, or `None` when it has no title (seed 003: `card_title` is required).
    pub fn product(&self) -> Option<Product> {
        let title = first_text(&self.card_title, &self.title);
        if title.trim().is_empty() {
            return None;
        }
        Some(Product {
            title,
            url: url(&self.card_url).or_else(|| url(&self.url)),
            desc: first_text(&self.card_desc, &self.info),
            note: first_text(&self.card_note, &self.price),
            picture: url(&self.card_picture).or_else(|| url(&self.img)),
        })
    }

    /// The order card, or `None` when it has neither a code nor goods nor a status.
    /// `goods_json` parses `goods` when it was sent as a JSON string (seed 003 does):
    /// pass `|s| serde_json::from_str(s).ok()`.
    pub fn order(&self, goods_json: impl FnOnce(&str) -> Option<Vec<RawGood>>) -> Option<Order> {
        let goods: Vec<RawGood> = match &self.goods {
            Some(RawGoods::List(l)) => l.clone(),
            Some(RawGoods::Text(s)) => goods_text(s, goods_json),
            None => Vec::new(),
        };
        let goods: Vec<Good> = goods
            .iter()
            .map(|g| Good {
                name: text(&g.name),
                picture: url(&g.picture_url),
            })
            .filter(|g| !g.name.trim().is_empty() || g.picture.is_some())
            .collect();
        let code = text(&self.order_code);
        if code.trim().is_empty() && goods.is_empty() && self.order_status.is_none() {
            return None;
        }
        let status = self
            .order_status
            .as_ref()
            .and_then(Loose::int)
            .and_then(|s| u8::try_from(s).ok())
            .filter(|s| *s <= 7)
            .unwrap_or(0);
        Some(Order {
            status,
            status_custom: text(&self.status_custom),
            create_time: self.create_time.as_ref().and_then(Loose::int),
            code,
            url: url(&self.order_url),
            goods_count: self.goods_count.as_ref().and_then(Loose::int),
            total_fee: self.total_fee.as_ref().and_then(Loose::int),
            goods,
        })
    }
}

/// `goods` sent as a string: the JSON array itself, possibly percent-encoded once, read by
/// the caller's JSON parser (`json`, e.g. `|s| serde_json::from_str(s).ok()`: this crate
/// stays serde-only, and both browser bundles already link serde_json). Text that is not
/// such an array yields no goods.
fn goods_text(s: &str, json: impl FnOnce(&str) -> Option<Vec<RawGood>>) -> Vec<RawGood> {
    let decoded;
    let s = if s.trim_start().starts_with('%') {
        match percent_decode(s) {
            Some(d) => {
                decoded = d;
                decoded.as_str()
            }
            None => return Vec::new(),
        }
    } else {
        s
    };
    json(s).unwrap_or_default()
}

/// Undoes one level of `encodeURIComponent`; `None` if an escape is malformed or the bytes
/// are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A URL that may become a link or an image source: `raw` itself when it is an absolute
/// `http(s)` URL, else `raw` percent-decoded once when *that* is one (seed 003 asks sites to
/// `encodeURIComponent` card URLs). Everything else is `None`. The scheme comes back in lower
/// case (`HTTP://x` → `http://x`), so whoever checks the result by its prefix agrees with
/// [`is_http_url`], which takes schemes in any case as browsers do.
pub fn safe_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let url = if is_http_url(raw) {
        raw.to_owned()
    } else {
        let lower = raw.get(..10).unwrap_or(raw).to_ascii_lowercase();
        if !(lower.starts_with("http%3a") || lower.starts_with("https%3a")) {
            return None;
        }
        percent_decode(raw).filter(|d| is_http_url(d))?
    };
    // is_http_url held, so the URL starts with an ASCII `http://` or `https://` in some case.
    let scheme = if url.as_bytes()[4] == b':' { 4 } else { 5 };
    Some(url[..scheme].to_ascii_lowercase() + &url[scheme..])
}

/// `total_fee` in cents as `12.34`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// An order's fee in cents (fen) as shown: `¥10.00`. The seeds' amounts are in yuan, so the
/// sign is the same in every locale.
pub fn price(cents: i64) -> String {
    format!("¥{}", money(cents))
}

/// An amount typed by a person, `12.34`, `12.5` or `12`, in cents; `None` for anything else
/// (signs, exponents, more than two decimals, separators).
pub fn parse_cents(s: &str) -> Option<i64> {
    let (whole, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (s, ""),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(frac)
}

/// The name to show for a file URL: its last path segment (no query or fragment),
/// percent-decoded, without control or bidirectional-override characters (so a name cannot
/// pretend to end in another extension). A URL without such a segment is shown whole.
pub fn file_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let Some((_host, path)) = rest.split_once('/') else {
        return url.to_owned();
    };
    let seg = path.rsplit('/').next().unwrap_or("");
    let decoded = percent_decode(seg).unwrap_or_else(|| seg.to_owned());
    let name: String = decoded
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200e}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    let name = name.trim();
    if name.is_empty() {
        url.to_owned()
    } else {
        name.to_owned()
    }
}

/// The seed's order status names (1–7); 0 means "use `status_custom`".
pub fn order_status_label(status: u8, locale: Locale) -> &'static str {
    const CN: [&str; 7] = [
        "待付款",
        "待发货",
        "运输中",
        "派送中",
        "已完成",
        "待评价",
        "已取消",
    ];
    const TW: [&str; 7] = [
        "待付款",
        "待發貨",
        "運輸中",
        "派送中",
        "已完成",
        "待評價",
        "已取消",
    ];
    const EN: [&str; 7] = [
        "Awaiting payment",
        "Awaiting shipment",
        "In transit",
        "Out for delivery",
        "Completed",
        "Awaiting review",
        "Cancelled",
    ];
    let names = match locale {
        Locale::Cn => &CN,
        Locale::Tw => &TW,
        Locale::En => &EN,
    };
    match status {
        1..=7 => names[usize::from(status) - 1],
        _ => "",
    }
}

impl Order {
    /// The status to show: the seed's name, or `status_custom` for 0.
    pub fn status_text(&self, locale: Locale) -> String {
        match order_status_label(self.status, locale) {
            "" => self.status_custom.clone(),
            s => s.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> RawCard {
        serde_json::from_str(json).unwrap()
    }

    /// The JSON parser the browser bundles pass for `goods` sent as a string.
    fn json(s: &str) -> Option<Vec<RawGood>> {
        serde_json::from_str(s).ok()
    }

    #[test]
    fn seed_003_product_with_encoded_urls() {
        let p = raw(
            r#"{"card_title":"云客服_智齿客服","card_url":"http%3A%2F%2Fwww.sobot.com",
            "card_desc":"云客服","card_note":"1500,2000",
            "card_picture":"https%3A%2F%2Fimg.sobot.com%2Fconsole%2Fcommon%2Fface%2Fadmin.png"}"#,
        )
        .product()
        .unwrap();
        assert_eq!(p.title, "云客服_智齿客服");
        assert_eq!(p.url.as_deref(), Some("http://www.sobot.com"));
        assert_eq!(p.note, "1500,2000");
        assert_eq!(
            p.picture.as_deref(),
            Some("https://img.sobot.com/console/common/face/admin.png")
        );
    }

    #[test]
    fn seed_000_product() {
        let p = raw(r#"{"pid":1,"title":" Apple MacBook Air ","img":"http://www.wolive.cc/assets/images/pro.jpg",
            "info":"13.3英寸","price":"¥7588.00","url":"http://www.wolive.cc/demo/index/product1"}"#)
        .product()
        .unwrap();
        assert_eq!(p.title, " Apple MacBook Air ");
        assert_eq!(p.note, "¥7588.00");
        assert_eq!(p.desc, "13.3英寸");
        assert_eq!(
            p.url.as_deref(),
            Some("http://www.wolive.cc/demo/index/product1")
        );
    }

    #[test]
    fn a_schemes_case_is_normalised() {
        assert_eq!(
            safe_url("HTTPS://a.example/Path").as_deref(),
            Some("https://a.example/Path")
        );
        assert_eq!(
            safe_url("hTtp%3A%2F%2Fa.example%2FX").as_deref(),
            Some("http://a.example/X")
        );
        // The fuzzer's find (fuzz/regressions/card/): a mixed-case scheme with non-ASCII after it.
        let found = "hTtp://x\u{75d}\u{fffd}//\u{353}}";
        assert!(safe_url(found).unwrap().starts_with("http://x"));
    }

    #[test]
    fn unsafe_urls_are_dropped() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "javascript%3Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/pages/goods/index?id=1",
            "http%3A%2F%2Fa b",
            "%E0%A4%A",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
        let p = raw(
            r#"{"card_title":"<img src=x onerror=alert(1)>","card_url":"javascript:alert(1)",
            "card_picture":"javascript:alert(2)"}"#,
        )
        .product()
        .unwrap();
        assert_eq!(p.title, "<img src=x onerror=alert(1)>");
        assert_eq!((p.url, p.picture), (None, None));
    }

    #[test]
    fn product_needs_a_title() {
        assert!(raw(r#"{"card_url":"http://a.example"}"#)
            .product()
            .is_none());
        assert!(raw("{}").product().is_none());
    }

    /// Seed 003's cards as a page passes them (query parameters, every value a string):
    /// `zc("config")` with `encodeURIComponent` URLs and `JSON.stringify(goods)`, and the
    /// chat link's raw `goods=[…]`.
    #[test]
    fn cards_from_page_values() {
        let mut c = RawCard::default();
        for (k, v) in [
            ("card_title", "云客服_智齿客服"),
            ("card_url", "http%3A%2F%2Fwww.sobot.com"),
            ("card_desc", "云客服,在线客服系统"),
            ("card_note", "1500,2000"),
            (
                "card_picture",
                "https%3A%2F%2Fimg.sobot.com%2Fconsole%2Fcommon%2Fface%2Fadmin.png",
            ),
        ] {
            assert!(c.set(k, v.into()));
        }
        assert!(!c.set("color", "04babc".into()));
        let p = c.product().unwrap();
        assert_eq!(p.url.as_deref(), Some("http://www.sobot.com"));
        assert_eq!(
            p.picture.as_deref(),
            Some("https://img.sobot.com/console/common/face/admin.png")
        );
        // JSON.stringify([{name, pictureUrl: encodeURIComponent(…)}]) and the link's raw array.
        for goods in [
            r#"[{"name":"saaadad","pictureUrl":"https%3A%2F%2Fimg.sobot.com%2Fconsole%2Fcommon%2Fface%2Fadmin.png"}]"#,
            r#"[{"name":"saaadad","pictureUrl":"https://img.sobot.com/console/common/face/admin.png"}]"#,
        ] {
            let mut o = RawCard::default();
            for (k, v) in [
                ("order_status", "1"),
                ("create_time", "1586414406391"),
                ("order_code", "121212"),
                ("order_url", "http://www.sobot.com"),
                ("goods_count", "2"),
                ("total_fee", "1000"),
                ("goods", goods),
            ] {
                assert!(o.set(k, v.into()));
            }
            let o = o.order(json).unwrap();
            assert_eq!((o.status, o.code.as_str()), (1, "121212"));
            assert_eq!(o.total_fee, Some(1000));
            assert_eq!(
                o.goods,
                vec![Good {
                    name: "saaadad".into(),
                    picture: Some("https://img.sobot.com/console/common/face/admin.png".into())
                }]
            );
        }
    }

    #[test]
    fn seed_003_order_with_goods_as_string() {
        let o = raw(r#"{"order_status":1,"status_custom":"自定义状态","create_time":"1586414406391",
            "order_code":11111,"order_url":"http%3A%2F%2Fwww.sobot.com","goods_count":"2","total_fee":1000,
            "goods":"[{\"name\":\"saaadad\",\"pictureUrl\":\"https%3A%2F%2Fimg.sobot.com%2Fa.png\"}]"}"#)
        .order(json)
        .unwrap();
        assert_eq!(o.status, 1);
        assert_eq!(o.status_text(Locale::Cn), "待付款");
        assert_eq!(o.status_text(Locale::En), "Awaiting payment");
        assert_eq!(o.create_time, Some(1_586_414_406_391));
        assert_eq!(o.code, "11111");
        assert_eq!(o.url.as_deref(), Some("http://www.sobot.com"));
        assert_eq!(o.goods_count, Some(2));
        assert_eq!(o.total_fee.map(money).as_deref(), Some("10.00"));
        assert_eq!(
            o.goods,
            vec![Good {
                name: "saaadad".into(),
                picture: Some("https://img.sobot.com/a.png".into())
            }]
        );
    }

    #[test]
    fn order_custom_status_and_goods_as_array() {
        let o = raw(
            r#"{"order_status":"0","status_custom":"Packed","order_code":"A-1",
            "goods":[{"name":"x","pictureUrl":"javascript:alert(1)"}]}"#,
        )
        .order(json)
        .unwrap();
        assert_eq!(o.status_text(Locale::En), "Packed");
        assert_eq!(o.goods[0].picture, None);
        let o = raw(r#"{"order_status":99,"order_code":"B"}"#)
            .order(json)
            .unwrap();
        assert_eq!(o.status, 0);
        assert!(raw(r#"{"card_title":"x"}"#).order(json).is_none());
    }

    #[test]
    fn floats_read_as_written() {
        let cases: [(f64, &str); 14] = [
            (399.5, "399.5"),
            (0.1, "0.1"),
            (399.99, "399.99"),
            (-2.25, "-2.25"),
            (123456.789, "123456.789"),
            (7588.0, "7588"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.3"),
            (1e-12, "0"),
            (-1e-12, "0"),
            (9007199254740993.0, "9007199254740992"),
            (1e16, "10000000000000000"),
            (1.5e300, "1.5e300"),
            (-2e19, "-2e19"),
        ];
        for (f, want) in cases {
            assert_eq!(Loose::Float(f).text(), want, "{f:e}");
        }
        let p = raw(r#"{"card_title":12.5,"card_note":1e2,"card_desc":-0.75}"#)
            .product()
            .unwrap();
        assert_eq!(
            (p.title.as_str(), p.note.as_str(), p.desc.as_str()),
            ("12.5", "100", "-0.75")
        );
        assert_eq!(Loose::Float(1e2).int(), Some(100));
    }

    #[test]
    fn card_json_shapes() {
        // Unknown keys (seed 000's `pid`, anything nested) are ignored; null is absent; the
        // last of a repeated key counts.
        let c = raw(
            r#"{"pid":{"a":[1,{"b":null}]},"card_title":"a","card_title":"b","card_url":null,
            "goods":[{"name":"g","pictureUrl":null,"extra":[1]}]}"#,
        );
        assert_eq!(c.product().unwrap().title, "b");
        assert!(c.card_url.is_none());
        assert_eq!(c.order(json).unwrap().goods[0].name, "g");
        // Not an object, or a field that is neither text nor a number: no card at all.
        for bad in [
            "[]",
            r#"["a"]"#,
            "\"x\"",
            "null",
            r#"{"card_title":["a"]}"#,
            r#"{"card_title":{"a":1}}"#,
            r#"{"goods":7}"#,
            r#"{"goods":[1]}"#,
            r#"{"card_title":"a""#,
        ] {
            assert!(serde_json::from_str::<RawCard>(bad).is_err(), "{bad}");
        }
        // Numbers beyond i64 are still text.
        let p = raw(r#"{"card_title":18446744073709551615}"#)
            .product()
            .unwrap();
        assert_eq!(p.title, "1.844674407e19");
    }

    #[test]
    fn money_formats_cents() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(123456), "1234.56");
        assert_eq!(money(-250), "-2.50");
        assert_eq!(price(1000), "¥10.00");
        assert_eq!(price(7), "¥0.07");
    }

    #[test]
    fn amounts_to_cents() {
        assert_eq!(parse_cents("12.5"), Some(1250));
        assert_eq!(parse_cents("12.34"), Some(1234));
        assert_eq!(parse_cents("7"), Some(700));
        assert_eq!(parse_cents("0.05"), Some(5));
        for bad in [
            "",
            ".5",
            "1.",
            "1.234",
            "-1",
            "1e3",
            "1,5",
            "１",
            "99999999999999999999",
        ] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
    }

    #[test]
    fn file_names_from_urls() {
        assert_eq!(
            file_name("http://h/files/ab12/Q3%20report%20%E6%8A%A5%E5%91%8A.pdf"),
            "Q3 report 报告.pdf"
        );
        assert_eq!(file_name("https://h/x/a.png?v=1#top"), "a.png");
        assert_eq!(file_name("https://h/x/%ZZ.txt"), "%ZZ.txt");
    }

    #[test]
    fn file_names_keep_no_tricks() {
        assert_eq!(
            file_name("https://h.example/a/b/report.pdf?x=1#p2"),
            "report.pdf"
        );
        assert_eq!(
            file_name("https://h.example/a/report%2Fx.pdf"),
            "report/x.pdf"
        );
        // Malformed escapes are shown as they are.
        assert_eq!(file_name("https://h.example/100%zz.txt"), "100%zz.txt");
        // No segment: the whole URL.
        assert_eq!(file_name("https://h.example/"), "https://h.example/");
        assert_eq!(file_name("https://h.example"), "https://h.example");
        assert_eq!(
            file_name("https://h.example/dir/?q"),
            "https://h.example/dir/?q"
        );
        // Controls and bidi overrides are dropped (U+202E before "fdp.exe" shows "exe.pdf").
        assert_eq!(file_name("https://h.example/a%E2%80%AEfdp.exe"), "afdp.exe");
        assert_eq!(file_name("https://h.example/a%0Ab%00.txt"), "ab.txt");
        assert_eq!(
            file_name("https://h.example/%E2%80%AE"),
            "https://h.example/%E2%80%AE"
        );
    }

    fn goods_of(goods: &str) -> Vec<Good> {
        let body = serde_json::json!({ "order_code": "A", "goods": goods }).to_string();
        raw(&body).order(json).unwrap().goods
    }

    #[test]
    fn goods_as_string_edge_cases() {
        // A `}` inside a name does not cut it; escaped emoji (PHP's json_encode writes
        // UTF-16 surrogate pairs) and other escapes come out as the characters.
        let g = goods_of(
            r#"[{"name":"Socks {blue} x2","pictureUrl":"https://a.example/p.png"},{"name":"Mug \ud83d\ude00 \"big\" \u4e2d\/\\"}]"#,
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].name, "Socks {blue} x2");
        assert_eq!(g[0].picture.as_deref(), Some("https://a.example/p.png"));
        assert_eq!(g[1].name, "Mug \u{1F600} \"big\" 中/\\");
        // Key order, nested values and unknown keys do not matter.
        let g = goods_of(r#"[{"pictureUrl":null,"extra":{"a":"}","b":[1,{}]},"name":"x"}]"#);
        assert_eq!(g[0].name, "x");
        // Percent-encoded once, as seed 003's encodeURIComponent sends it.
        let g = goods_of("%5B%7B%22name%22%3A%22a%7Db%20%5Cud83d%5Cude00%22%7D%5D");
        assert_eq!(g[0].name, "a}b \u{1F600}");
        // Not an array of objects, or broken: no goods, and no panic.
        for bad in [
            "",
            "[",
            "[{",
            "[{\"name\":",
            "[{\"name\":\"a\\u12\"}]",
            "[{\"name\":\"\\ud83d\"}]",
            "}{",
            "%ZZ",
            "[1]",
            "{\"name\":\"a\"}",
        ] {
            assert!(goods_of(bad).is_empty(), "{bad}");
        }
    }
}

#[cfg(test)]
mod bodies {
    use super::*;
    use serde_json::{json, Map, Value};

    fn put(card: &mut Map<String, Value>, key: &str, value: &str) {
        if !value.is_empty() {
            card.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }

    /// What the console's card form sent before it used [`ProductBody`] and [`OrderBody`]:
    /// the same bytes, and the widget reads them back.
    #[test]
    fn bodies_are_what_the_console_sent() {
        let mut old = Map::new();
        put(&mut old, "card_title", "Tea \"Oolong\"");
        put(&mut old, "card_url", "https://shop.test/p/1");
        put(&mut old, "card_desc", "");
        put(&mut old, "card_note", "¥12.50");
        put(&mut old, "card_picture", "");
        let p = ProductBody {
            card_title: "Tea \"Oolong\"".into(),
            card_url: Some("https://shop.test/p/1".into()),
            card_note: Some("¥12.50".into()),
            ..ProductBody::default()
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, Value::Object(old).to_string());
        let shown = serde_json::from_str::<RawCard>(&json)
            .unwrap()
            .product()
            .unwrap();
        assert_eq!(shown.title, "Tea \"Oolong\"");
        assert_eq!(shown.url.as_deref(), Some("https://shop.test/p/1"));
        assert_eq!(shown.note, "¥12.50");

        let mut old = Map::new();
        put(&mut old, "order_code", "A-1");
        old.insert("order_status".into(), json!(0u8));
        put(&mut old, "status_custom", "On hold");
        old.insert("total_fee".into(), json!(1250i64));
        old.insert("goods_count".into(), json!(3u32));
        put(&mut old, "order_url", "https://shop.test/o/A-1");
        old.insert("create_time".into(), json!(1_700_000_000_000i64));
        let o = OrderBody {
            create_time: 1_700_000_000_000,
            goods_count: Some(3),
            order_code: "A-1".into(),
            order_status: 0,
            order_url: Some("https://shop.test/o/A-1".into()),
            status_custom: Some("On hold".into()),
            total_fee: Some(1250),
        };
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(json, Value::Object(old).to_string());
        let shown = serde_json::from_str::<RawCard>(&json)
            .unwrap()
            .order(|_| None)
            .unwrap();
        assert_eq!(
            (
                shown.code.as_str(),
                shown.status,
                shown.total_fee,
                shown.goods_count
            ),
            ("A-1", 0, Some(1250), Some(3))
        );
        assert_eq!(shown.status_text(Locale::En), "On hold");
        assert_eq!(shown.create_time, Some(1_700_000_000_000));

        let mut old = Map::new();
        put(&mut old, "order_code", "B");
        old.insert("order_status".into(), json!(5u8));
        old.insert("create_time".into(), json!(1i64));
        let o = OrderBody {
            create_time: 1,
            order_code: "B".into(),
            order_status: 5,
            ..OrderBody::default()
        };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            Value::Object(old).to_string()
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn given() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(".+")
    }

    proptest! {
        #[test]
        fn product_bodies_round_trip(card_title in ".+", (card_desc, card_note, card_picture, card_url) in (given(), given(), given(), given())) {
            let p = ProductBody { card_desc, card_note, card_picture, card_title, card_url };
            let json = serde_json::to_string(&p).unwrap();
            prop_assert_eq!(serde_json::from_str::<ProductBody>(&json).unwrap(), p.clone());
            let shown = serde_json::from_str::<RawCard>(&json).unwrap().product();
            prop_assert_eq!(shown.map(|s| s.title), (!p.card_title.trim().is_empty()).then_some(p.card_title));
        }

        #[test]
        fn order_bodies_round_trip(
            order_code in ".+", order_status in 0u8..8, create_time in any::<i64>(),
            goods_count in proptest::option::of(any::<u32>()), total_fee in proptest::option::of(any::<i64>()),
            (order_url, status_custom) in (given(), given()),
        ) {
            let o = OrderBody { create_time, goods_count, order_code, order_status, order_url, status_custom, total_fee };
            let json = serde_json::to_string(&o).unwrap();
            prop_assert_eq!(serde_json::from_str::<OrderBody>(&json).unwrap(), o);
        }
        #[test]
        fn never_panics_and_only_http_survives(s in ".*") {
            let _ = goods_text(&s, |t| serde_json::from_str(t).ok());
            let _ = percent_decode(&s);
            let _ = parse_cents(&s);
            let _ = file_name(&s);
            if let Some(u) = safe_url(&s) {
                prop_assert!(is_http_url(&u));
                prop_assert!(u.starts_with("http://") || u.starts_with("https://"));
            }
        }

        #[test]
        fn decimal_floats_read_back(m in -1_000_000_000_000i64..1_000_000_000_000, k in 0u32..7) {
            let f = m as f64 / 10f64.powi(k as i32);
            let text = float_text(f);
            prop_assert_eq!(text.parse::<f64>().unwrap(), f, "{}", text);
        }

        #[test]
        fn any_float_has_some_text(f in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO) {
            let text = float_text(f);
            prop_assert!(!text.is_empty());
            prop_assert!(text.len() < 40, "{}", text);
        }
    }
}
