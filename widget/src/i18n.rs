//! User-visible strings for seed 003's `locale` values: `cn` (simplified Chinese, default),
//! `en` and `tw` (traditional Chinese). One Fluent file per locale, `shared/locales/*.ftl`,
//! is parsed by the `fluent-syntax` crate and compiled by `build.rs` into static tables —
//! one struct per table (`chat-…` keys are [`ChatTexts`], `launcher-…` [`LauncherTexts`],
//! the lazy tier's `emoji-…`, `card-…`, …), one `static` per locale — so nothing is parsed
//! or formatted at run time beyond filling in a placeholder, and each bundle links only the
//! tables it uses: the launcher does not carry the chat page's strings, nor the chat page
//! those of its lazy tier. A value with placeholders is an array of the pieces around them.

include!(concat!(env!("OUT_DIR"), "/texts.rs"));

use shared::config::Locale;

/// The chat page's strings (`chat-…`).
pub type Texts = ChatTexts;

/// `pieces` with `value` between the first two (a one-placeholder string).
pub fn place(pieces: &[&str; 2], value: &str) -> String {
    let mut s = String::from(pieces[0]);
    s.push_str(value);
    s.push_str(pieces[1]);
    s
}

impl ChatTexts {
    /// An order's number of goods: "共 2 件", "1 item", "2 items".
    pub fn items(&self, n: i64) -> String {
        place(
            if n == 1 {
                &self.items_one
            } else {
                &self.items_other
            },
            &n.to_string(),
        )
    }
}

/// The chat page's strings in `locale`.
pub fn texts(locale: Locale) -> &'static Texts {
    chat(locale)
}

/// The launcher's two strings: the button's accessible name/tooltip and the iframe's `title`.
pub fn launcher_texts(locale: Locale) -> (&'static str, &'static str) {
    let t = launcher(locale);
    (t.label, t.frame_title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_their_locale_and_count_items() {
        for l in [Locale::Cn, Locale::En, Locale::Tw] {
            assert_eq!(texts(l).locale, l);
        }
        assert_eq!(CHAT_EN.items(1), "1 item");
        assert_eq!(CHAT_EN.items(2), "2 items");
        assert_eq!(CHAT_CN.items(2), "共 2 件");
        assert_eq!(CHAT_TW.items(1), "共 1 件");
        assert_eq!(
            place(&CHAT_EN.queue, "3"),
            "All agents are busy. You are number 3 in the queue"
        );
        assert_eq!(place(&CHAT_EN.order_no, "A1"), "Order no. A1");
        assert_eq!(place(&CHAT_CN.total, "¥1.00"), "合计:¥1.00");
    }

    /// No Chinese character in an English string (issue 24: no hard-coded Chinese left in
    /// `locale=en`).
    #[test]
    fn english_tables_have_no_chinese() {
        let text = include_str!("../../shared/locales/en.ftl");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                !line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "en.ftl: {line}"
            );
        }
    }
}
