//! What each fuzz target checks, one function per target. Compiled twice: by the fuzz crate
//! (`fuzz/fuzz_targets/*.rs`, nightly, libFuzzer) and by the integration tests
//! (`tests/it/fuzz_replay.rs`, stable), which replay the committed corpus and every crash
//! repro through the same functions. A check fails by panicking: a decoder that panics on
//! its input, or a property that does not hold.

use shared::agent::Request;
use shared::card::{OrderBody, ProductBody, RawCard, RawGood};
use shared::visitor::{ClientFrame, ServerFrame};

/// `value` encodes, and its encoding decodes to the same value.
fn round_trips<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let s = serde_json::to_string(value).expect("a decoded value encodes");
    let back: T = serde_json::from_str(&s).unwrap_or_else(|e| panic!("{s} does not decode: {e}"));
    assert_eq!(&back, value, "{s} decodes to something else");
}

/// The visitor protocol: the chat page's hand-written `ServerFrame` decoder and the
/// server's `ClientFrame` decoder take any bytes; what they accept round-trips.
pub fn visitor_frames(data: &[u8]) {
    if let Ok(f) = serde_json::from_slice::<ServerFrame>(data) {
        round_trips(&f);
    }
    if let Ok(f) = serde_json::from_slice::<ClientFrame>(data) {
        round_trips(&f);
    }
}

/// Seed 001's envelope as agents send it (numbers as strings, strings as numbers).
pub fn agent_request(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<Request>(data) {
        let _ = r.api_key();
        round_trips(&r);
    }
}

/// A chat page's query string: the reception keys (`Reception::from_query`), the sysnum,
/// and seed 003's config values.
pub fn reception_query(data: &[u8]) {
    let q = String::from_utf8_lossy(data);
    if let Some(r) = shared::reception::Reception::from_query(&q) {
        let _ = (
            r.mode(),
            r.robot_id(),
            r.faq_group(),
            r.guide(),
            r.show_manual(),
        );
        let _ = (r.robot_hello(), r.agent(), r.states_route());
    }
    let _ = shared::ids::Sysnum::from_query(&q);
    for part in q.split('&') {
        let v = part.split_once('=').map_or(part, |(_, v)| v);
        let _ = shared::config::parse_color(v);
        let _ = shared::config::parse_location(v);
        let _ = shared::config::parse_flag(v);
        let _ = shared::config::is_http_url(v);
        let _ = shared::config::Locale::parse(v);
    }
}

/// Product and order cards (seed 003 `card_*`/`order_*`, seed 000 `product`) as message
/// bodies, and the URL and money helpers they go through.
pub fn card(data: &[u8]) {
    if let Ok(c) = serde_json::from_slice::<RawCard>(data) {
        if let Some(p) = c.product() {
            assert!(!p.title.trim().is_empty(), "a product card has a title");
        }
        let _ = c.order(|g| serde_json::from_str::<Vec<RawGood>>(g).ok());
    }
    if let Ok(b) = serde_json::from_slice::<ProductBody>(data) {
        round_trips(&b);
    }
    if let Ok(b) = serde_json::from_slice::<OrderBody>(data) {
        round_trips(&b);
    }
    let s = String::from_utf8_lossy(data);
    if let Some(u) = shared::card::safe_url(&s) {
        assert!(
            u.starts_with("http://") || u.starts_with("https://") || u.starts_with('/'),
            "safe_url let {u:?} through"
        );
    }
    let _ = shared::card::percent_decode(&s);
    let _ = shared::card::file_name(&s);
    if let Some(c) = shared::card::parse_cents(&s) {
        let _ = (shared::card::money(c), shared::card::price(c));
    }
}

/// The FAQ import file (CSV or JSON lines): any text gives rows or an error.
pub fn faq_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(rows) = frontdesk_server::robot::faqfile::parse(&text) {
        assert!(rows.len() <= frontdesk_server::robot::faqfile::MAX_ROWS);
    }
}

/// Upload sniffing: any bytes and name give a type or a refusal, and feeding the same
/// bytes in two chunks decides the same as in one.
pub fn sniff(data: &[u8]) {
    let (name_len, body) = match data.split_first() {
        Some((&n, rest)) => ((n as usize).min(rest.len()).min(40), rest),
        None => return,
    };
    let (name, body) = body.split_at(name_len);
    let name = String::from_utf8_lossy(name);
    let whole = frontdesk_server::files::sniff(body, &name);
    let cut = body.len() / 2;
    let mut s = frontdesk_server::files::Sniffer::default();
    s.feed(&body[..cut]);
    s.feed(&body[cut..]);
    assert_eq!(s.finish(&name), whole, "chunking changed the decision");
}
