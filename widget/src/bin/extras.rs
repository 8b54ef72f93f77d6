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

/// `reception(frame)`: shows a `reception` frame, its JSON as the server sent it
/// (`frontdesk_widget::extras::reception::show`).
#[wasm_bindgen]
pub fn reception(frame: String) {
    frontdesk_widget::extras::reception::show(&frame);
}

/// `page()`: shows what the chat page's query asks for from the start (a card, …).
#[wasm_bindgen]
pub fn page() {
    frontdesk_widget::extras::page::page();
}

/// `rate_now()`: the rating panel at once (seed 003 `show_evaluate`: the visitor closes the
/// window of a chat an agent answered).
#[cfg(feature = "json")]
#[wasm_bindgen]
pub fn rate_now() {
    frontdesk_widget::extras::rate::now();
}

/// `frame(json)`: a server frame, as the chat page received it.
#[wasm_bindgen]
pub fn frame(json: String) {
    frontdesk_widget::extras::page::frame(&json);
}

#[cfg(feature = "json")]
/// `leave_page()`: the stand-alone leave-message page (`leavemessage.html`) shows its form.
/// A card message (kind 3/4) drawn into its bubble (`extras::card::message`).
#[wasm_bindgen]
pub fn card_message(bubble: web_sys::Element, kind: u8, body: String) {
    frontdesk_widget::extras::card::message(&bubble, kind, &body);
}

#[wasm_bindgen]
pub fn leave_page() {
    frontdesk_widget::extras::leave::standalone();
}

fn main() {}
