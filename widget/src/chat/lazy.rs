//! The chat page's door to its lazy tier (`crate::extras`, served from `extras/` beside the
//! page): the module is fetched with `import()` the first time a feature of it is used, and
//! never before, so it costs nothing until then. A failed load warns once and is retried on
//! the next use.
//!
//! The URLs carry the tier's build version (`FD_EXTRAS_V`, set by scripts/build-widget.sh
//! from the built files' hash), so the server can mark them immutable.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

#[wasm_bindgen(inline_js = "let m;\
export function fdEmoji(v, button, input, locale) {\
const b = new URL('extras/', document.baseURI).href, q = '?v=' + v;\
m = m || import(b + 'extras.js' + q).then((x) => x.default({ module_or_path: b + 'extras_bg.wasm' + q }).then(() => x));\
m.then((x) => x.emoji(button, input, locale, b + 'emoji.json' + q), (e) => { m = null; console.warn('frontdesk: could not load the emoji picker', e); });\
}")]
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
