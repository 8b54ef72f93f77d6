//! The chat page's lazy tier (`extras.js` + `extras_bg.wasm`), imported by the chat page the
//! first time a visitor uses one of its features. Only the exports live here; the logic is
//! in `frontdesk_widget::extras`.

use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, HtmlTextAreaElement};

/// `emoji(button, input, locale, data_url)`: opens or closes the emoji picker.
#[wasm_bindgen]
pub fn emoji(button: HtmlElement, input: HtmlTextAreaElement, locale: String, data_url: String) {
    frontdesk_widget::extras::toggle_emoji(button, input, &locale, &data_url);
}

/// `reception(locale, robot, greeting, suggest, manual, offline, customsys, new_window)`: shows
/// a reception frame (`frontdesk_widget::extras::reception::show`).
#[wasm_bindgen]
#[allow(clippy::too_many_arguments)]
pub fn reception(
    locale: String,
    robot: Option<String>,
    greeting: Option<String>,
    suggest: String,
    manual: bool,
    offline: Option<String>,
    customsys: Option<String>,
    new_window: bool,
) {
    frontdesk_widget::extras::reception::show(
        &locale, robot, greeting, &suggest, manual, offline, customsys, new_window,
    );
}

/// `reception_clear()`: removes the suggestion chips.
#[wasm_bindgen]
pub fn reception_clear() {
    frontdesk_widget::extras::reception::clear();
}

fn main() {}
