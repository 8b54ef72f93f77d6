//! The chat page's door to its lazy tier (`crate::extras`, served from `extras/` beside the
//! page): the module is fetched with `import()` the first time a feature of it is used, and
//! never before, so it costs nothing until then. A failed load warns once and is retried on
//! the next use.
//!
//! The URLs carry the tier's build version (`FD_EXTRAS_V`, set by scripts/build-widget.sh
//! from the built files' hash), so the server can mark them immutable.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

// `fdX` is defined by an inline script in widget/index.html (a wasm-bindgen `inline_js`
// snippet would be one more request on the way to "interactive"):
//   fdX(version, name, …args) imports `extras/extras.js?v=…` once, inits it with
//   `extras_bg.wasm?v=…` and calls its export `name(…args)` (`emoji` gets the emoji.json URL
//   appended).
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fdX)]
    fn fd_emoji(
        version: &str,
        name: &str,
        button: &HtmlElement,
        input: &HtmlTextAreaElement,
        locale: &str,
    );
    #[wasm_bindgen(js_name = fdX)]
    fn fd_reception(version: &str, name: &str, frame: &str);
    #[wasm_bindgen(js_name = fdX)]
    fn fd_card(version: &str, name: &str, bubble: &web_sys::Element, kind: u8, body: &str);
}

/// The lazy tier's build version.
const VERSION: &str = match option_env!("FD_EXTRAS_V") {
    Some(v) => v,
    None => "dev",
};

/// Opens or closes the emoji picker for `input`, loading the tier first if needed.
pub fn toggle_emoji(button: &HtmlElement, input: &HtmlTextAreaElement, locale: &str) {
    fd_emoji(VERSION, "emoji", button, input, locale);
}

/// Shows a `reception` frame (its JSON as it came; `extras::reception::show`), loading the
/// tier first if needed.
pub fn reception(frame: &str) {
    fd_reception(VERSION, "reception", frame);
}

/// Removes the suggestion chips (only called once [`reception`] was).
pub fn reception_clear() {
    fd_reception(VERSION, "reception", "");
}

/// Loads the tier now if the page's query asks for something it shows from the start
/// (`fdX` decides by the query: a card, the leave-message or rating controls, …; see
/// widget/index.html), then calls its `page()`.
pub fn page() {
    fd_reception(VERSION, "page", "");
}

/// The rating panel at once, loading the tier first if needed (`extras::rate::now`).
pub fn rate_now() {
    fd_reception(VERSION, "rate_now", "");
}

/// Hands a server frame, as it came, to the tier's `frame()`: at once when it is loaded,
/// kept (a bounded queue, replayed in order) while it loads or may be wanted, dropped
/// otherwise (widget/index.html).
pub fn frame(json: &str) {
    fd_reception(VERSION, "frame", json);
}

/// Draws a card message (kind 3/4) into `bubble` (`extras::card::message`), loading the tier
/// first if needed; until then the bubble shows the body as text.
pub fn card(bubble: &web_sys::Element, kind: u8, body: &str) {
    fd_card(VERSION, "card_message", bubble, kind, body);
}
