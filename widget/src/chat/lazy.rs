//! The chat page's door to its lazy tier (`crate::extras`, served from `extras/` beside the
//! page): the module is fetched with `import()` the first time a feature of it is used, and
//! never before, so it costs nothing until then. A failed load warns once and is retried on
//! the next use.
//!
//! The URLs carry the tier's build version (`FD_EXTRAS_V`, set by scripts/build-widget.sh
//! from the built files' hash), so the server can mark them immutable.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

// `fdEmoji` is defined by an inline script in widget/index.html (a wasm-bindgen `inline_js`
// snippet would be one more request on the way to "interactive"):
//   fdEmoji(version, button, input, locale) imports `extras/extras.js?v=…` once, inits it
//   with `extras_bg.wasm?v=…` and calls its `emoji(button, input, locale, emoji.json URL)`.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fdEmoji)]
    fn fd_emoji(version: &str, button: &HtmlElement, input: &HtmlTextAreaElement, locale: &str);
}

/// The lazy tier's build version.
const VERSION: &str = match option_env!("FD_EXTRAS_V") {
    Some(v) => v,
    None => "dev",
};

/// Opens or closes the emoji picker for `input`, loading the tier first if needed.
pub fn toggle_emoji(button: &HtmlElement, input: &HtmlTextAreaElement, locale: &str) {
    fd_emoji(VERSION, button, input, locale);
}
