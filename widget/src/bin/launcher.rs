//! The host-page launcher bundle (`launcher.js` + `launcher_bg.wasm`), loaded by
//! `public/entrance.js`. Only the exports live here; the logic is in
//! `frontdesk_widget::launcher`.

use wasm_bindgen::prelude::*;

/// `boot(base_url, sysnum, class_name)`: called once before the queued `zc` calls replay.
#[wasm_bindgen]
pub fn boot(base_url: String, sysnum: String, class_name: String) {
    frontdesk_widget::launcher::boot(&base_url, &sysnum, &class_name);
}

/// `zc(name, arg)`: the real implementation behind the snippet's `window.zc`.
#[wasm_bindgen]
pub fn zc(name: JsValue, arg: JsValue) {
    frontdesk_widget::launcher::zc(name, arg);
}

/// `preload()`: creates the chat frame, collapsed (host.js, seed `async`).
#[wasm_bindgen]
pub fn preload() {
    frontdesk_widget::launcher::preload();
}

fn main() {}
