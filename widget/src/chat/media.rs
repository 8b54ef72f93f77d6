//! What a message body is shown as: the pure decision behind `view::body_view`, kept out of
//! the components so it can be tested natively.
//!
//! Media kinds (image, voice, video, file) are shown as such only when the body passes
//! [`safe_url`] (`http(s)` only); cards (product, order) only when the body parses as a
//! seed card ([`shared::card`]). Everything else falls back to the raw body as text.

use shared::card::{file_name, safe_url, Order, Product, RawCard};
use shared::visitor::MsgKind;

/// A message body, ready for the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Text(String),
    Image(String),
    Voice(String),
    Video(String),
    File { url: String, name: String },
    Product(Product),
    Order(Order),
}

/// Decides how a message of `kind` with `body` is shown.
pub fn shown(kind: MsgKind, body: String) -> Shown {
    let url = || safe_url(&body);
    let card = || serde_json::from_str::<RawCard>(&body).ok();
    let decided = match kind {
        MsgKind::Text => None,
        MsgKind::Image => url().map(Shown::Image),
        MsgKind::Voice => url().map(Shown::Voice),
        MsgKind::Video => url().map(Shown::Video),
        MsgKind::File => url().map(|url| Shown::File {
            name: file_name(&url),
            url,
        }),
        MsgKind::Product => card().and_then(|c| c.product()).map(Shown::Product),
        MsgKind::Order => card()
            .and_then(|c| c.order(|g| serde_json::from_str(g).ok()))
            .map(Shown::Order),
    };
    decided.unwrap_or(Shown::Text(body))
}

/// A local date and time as `YYYY-MM-DD HH:MM` (month 1–12).
pub fn date_time(year: u32, month: u32, day: u32, hour: u32, minute: u32) -> String {
    // Digits by hand: `format!` with widths would link core's padding code for this alone.
    let mut s = String::with_capacity(16);
    for (n, width, sep) in [
        (year, 4, '-'),
        (month, 2, '-'),
        (day, 2, ' '),
        (hour, 2, ':'),
        (minute, 2, '\0'),
    ] {
        digits(&mut s, n, width);
        if sep != '\0' {
            s.push(sep);
        }
    }
    s
}

/// `n` in decimal, zero-padded to at least `width` digits.
pub fn digits(out: &mut String, n: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let (mut i, mut n) = (buf.len(), n);
    while n > 0 || buf.len() - i < width {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::card::{price, Good};

    fn text(s: &str) -> Shown {
        Shown::Text(s.to_owned())
    }

    #[test]
    fn media_needs_an_http_url() {
        let png = "http://127.0.0.1:8080/files/ab/cat.png";
        assert_eq!(shown(MsgKind::Image, png.into()), Shown::Image(png.into()));
        assert_eq!(
            shown(MsgKind::Voice, "https://a.example/v.mp3".into()),
            Shown::Voice("https://a.example/v.mp3".into())
        );
        assert_eq!(
            shown(MsgKind::Video, "https://a.example/v.mp4".into()),
            Shown::Video("https://a.example/v.mp4".into())
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:image/png;base64,iVBORw0KGgo=",
            "/files/ab/cat.png",
            "cat.png",
        ] {
            for kind in [
                MsgKind::Image,
                MsgKind::Voice,
                MsgKind::Video,
                MsgKind::File,
            ] {
                assert_eq!(shown(kind, bad.into()), text(bad), "{kind:?} {bad}");
            }
        }
        // A text message that happens to be a URL stays text.
        assert_eq!(shown(MsgKind::Text, png.into()), text(png));
    }

    #[test]
    fn dates_are_zero_padded() {
        assert_eq!(date_time(2026, 3, 7, 9, 5), "2026-03-07 09:05");
        assert_eq!(date_time(12345, 12, 31, 23, 59), "12345-12-31 23:59");
        assert_eq!(date_time(0, 0, 0, 0, 0), "0000-00-00 00:00");
        let mut s = String::new();
        digits(&mut s, u32::MAX, 2);
        assert_eq!(s, "4294967295");
    }

    #[test]
    fn files_show_their_decoded_name() {
        let url = "http://h.example/files/0123/%E6%8A%A5%E4%BB%B7%20Q3.pdf";
        assert_eq!(
            shown(MsgKind::File, url.into()),
            Shown::File {
                url: url.into(),
                name: "报价 Q3.pdf".into()
            }
        );
    }

    #[test]
    fn cards_parse_or_fall_back_to_text() {
        let body = r#"{"card_title":"Shoes","card_url":"http%3A%2F%2Fshop.example%2Fp%2F1",
            "card_desc":"Light","card_note":"¥399.00"}"#;
        match shown(MsgKind::Product, body.into()) {
            Shown::Product(p) => {
                assert_eq!(p.title, "Shoes");
                assert_eq!(p.url.as_deref(), Some("http://shop.example/p/1"));
                assert_eq!((p.desc.as_str(), p.note.as_str()), ("Light", "¥399.00"));
                assert_eq!(p.picture, None);
            }
            other => panic!("{other:?}"),
        }
        let order = r#"{"order_status":"3","order_code":"A1","total_fee":"1000",
            "goods":"[{\"name\":\"Shoes\",\"pictureUrl\":\"javascript:x\"}]"}"#;
        match shown(MsgKind::Order, order.into()) {
            Shown::Order(o) => {
                assert_eq!((o.status, o.code.as_str()), (3, "A1"));
                assert_eq!(o.total_fee.map(price).as_deref(), Some("¥10.00"));
                assert_eq!(
                    o.goods,
                    vec![Good {
                        name: "Shoes".into(),
                        picture: None
                    }]
                );
            }
            other => panic!("{other:?}"),
        }
        for (kind, bad) in [
            (MsgKind::Product, "not json"),
            (MsgKind::Product, "[1,2]"),
            (MsgKind::Product, r#"{"card_url":"http://a.example"}"#),
            (MsgKind::Product, r#"{"card_title":{"x":1}}"#),
            (MsgKind::Order, r#"{"card_title":"only a product"}"#),
            (MsgKind::Order, "{"),
        ] {
            assert_eq!(shown(kind, bad.into()), text(bad), "{kind:?} {bad}");
        }
    }

    #[test]
    fn card_urls_are_never_unsafe() {
        let body = r#"{"card_title":"<img src=x onerror=alert(1)>","card_url":"javascript:alert(1)",
            "card_picture":"data:image/svg+xml,<svg onload=alert(1)>"}"#;
        let Shown::Product(p) = shown(MsgKind::Product, body.into()) else {
            panic!("a product card");
        };
        assert_eq!(p.title, "<img src=x onerror=alert(1)>");
        assert_eq!((p.url, p.picture), (None, None));
    }

    #[test]
    fn dates() {
        assert_eq!(date_time(2020, 4, 9, 14, 40), "2020-04-09 14:40");
        assert_eq!(date_time(2026, 12, 31, 0, 5), "2026-12-31 00:05");
    }
}
