//! What a message body is shown as: the pure decision behind `view::body_view`, kept out of
//! the components so it can be tested natively.
//!
//! Media kinds (image, voice, video, file) are shown as such only when the body passes
//! [`safe_url`] (`http(s)` only); cards (product, order) are the lazy tier's to draw
//! (`extras::card::message`, which reads them with [`shared::card`]). Everything else is the
//! raw body as text.

use shared::card::{file_name, safe_url};
use shared::visitor::MsgKind;

/// A message body, ready for the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Text(String),
    Image(String),
    Voice(String),
    Video(String),
    File {
        url: String,
        name: String,
    },
    /// A product (3) or order (4) card: drawn by the lazy tier.
    Card(u8),
}

/// Decides how a message of `kind` with `body` is shown.
pub fn shown(kind: MsgKind, body: String) -> Shown {
    let url = || safe_url(&body);
    let decided = match kind {
        MsgKind::Text => None,
        MsgKind::Image => url().map(Shown::Image),
        MsgKind::Voice => url().map(Shown::Voice),
        MsgKind::Video => url().map(Shown::Video),
        MsgKind::File => url().map(|url| Shown::File {
            name: file_name(&url),
            url,
        }),
        MsgKind::Product | MsgKind::Order => Some(Shown::Card(u8::from(kind))),
    };
    decided.unwrap_or(Shown::Text(body))
}

/// A text message cut into plain text and `http(s)` links (seed 003 `is_link`): a link starts
/// at `http://` or `https://` (any case) and runs to the first space, control, quote, angle
/// bracket or non-ASCII character, less trailing punctuation; it is a link only when
/// [`safe_url`] takes it (then `href` is its answer). Nothing else — `javascript:`, `data:`,
/// `www.` — ever becomes one.
pub fn linked(text: &str) -> Vec<(&str, Option<String>)> {
    let mut out = Vec::new();
    let (mut rest, lower) = (text, text.to_ascii_lowercase());
    let mut offset = 0;
    while let Some(at) = ["http://", "https://"]
        .iter()
        .filter_map(|p| lower[offset..].find(p))
        .min()
    {
        let start = offset + at;
        let tail = &text[start..];
        let len = tail
            .find(|c: char| {
                !c.is_ascii()
                    || c.is_ascii_whitespace()
                    || c.is_ascii_control()
                    || "<>\"'`".contains(c)
            })
            .unwrap_or(tail.len());
        let url = tail[..len].trim_end_matches(|c: char| ".,;:!?)]}".contains(c));
        offset = start + url.len().max(1);
        let Some(href) = safe_url(url).filter(|_| url.len() > "https://".len() - 1) else {
            continue;
        };
        let before = &rest[..start - (text.len() - rest.len())];
        if !before.is_empty() {
            out.push((before, None));
        }
        out.push((url, Some(href)));
        rest = &text[start + url.len()..];
    }
    if !rest.is_empty() {
        out.push((rest, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_become_links() {
        let l = |s| {
            linked(s)
                .into_iter()
                .map(|(t, h)| (t.to_owned(), h))
                .collect::<Vec<_>>()
        };
        assert_eq!(l("no link here"), vec![("no link here".into(), None)]);
        assert_eq!(
            l("see https://shop.example/p?x=1&y=2, thanks"),
            vec![
                ("see ".into(), None),
                (
                    "https://shop.example/p?x=1&y=2".into(),
                    Some("https://shop.example/p?x=1&y=2".into())
                ),
                (", thanks".into(), None)
            ]
        );
        // A URL ends where Chinese text starts; the scheme comes back in lower case.
        assert_eq!(
            l("请访问HTTP://a.example/x。谢谢"),
            vec![
                ("请访问".into(), None),
                (
                    "HTTP://a.example/x".into(),
                    Some("http://a.example/x".into())
                ),
                ("。谢谢".into(), None)
            ]
        );
        for never in [
            "javascript:alert(1)",
            "click javascript:location='http://x' now",
            "data:text/html,<b>x</b>",
            "www.example.com",
            "http:// nothing",
            "https://",
            "<a href=\"http\">x</a>",
        ] {
            let parts = linked(never);
            assert!(
                parts
                    .iter()
                    .all(|(t, h)| h.is_none() || t.starts_with("http")),
                "{never}: {parts:?}"
            );
            assert_eq!(parts.iter().map(|(t, _)| *t).collect::<String>(), never);
        }
        // Every character is kept, in order, whatever is linked.
        let s = "a http://x.example b https://y.example/ c";
        assert_eq!(linked(s).iter().map(|(t, _)| *t).collect::<String>(), s);
        assert_eq!(linked(s).iter().filter(|(_, h)| h.is_some()).count(), 2);
    }

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
}
