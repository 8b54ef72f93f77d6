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

#[cfg(test)]
mod tests {
    use super::*;

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
