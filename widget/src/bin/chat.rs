//! The chat page bundle served at `/chat/h5/v2/index.html`. Everything lives in
//! `frontdesk_widget::chat`.

use wasm_bindgen::prelude::*;

/// `fd_box_opened(json)`: what the sealed-outbox module made of the host page's box (called
/// by `fdBox` in widget/index.html; see `frontdesk_widget::chat::conn::box_opened`).
#[wasm_bindgen]
pub fn fd_box_opened(json: Option<String>) {
    frontdesk_widget::chat::conn::box_opened(json);
}

/// `fd_handover()`: the visitor tapped "转人工 / Talk to a person".
#[wasm_bindgen]
pub fn fd_handover() {
    frontdesk_widget::chat::conn::hand_over();
}

/// `fd_send(kind, body)`: the lazy tier sends a message of seed 001 `kind` (a card of the
/// page, an uploaded file's URL) through the chat's outbox, like anything the visitor types.
#[wasm_bindgen]
pub fn fd_send(kind: u8, body: String) {
    if let Ok(kind) = shared::visitor::MsgKind::try_from(kind) {
        frontdesk_widget::chat::conn::send(kind, body);
    }
}

fn main() {
    frontdesk_widget::chat::mount();
}
