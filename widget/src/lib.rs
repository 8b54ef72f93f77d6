//! The visitor side of Frontdesk, compiled to WebAssembly. One crate, three bundles:
//!
//! - [`launcher`] (bin `launcher`): runs inside the customer's host page, loaded by
//!   `public/entrance.js`. It implements seed 003's `zc(...)` API, draws the round launcher
//!   (or binds the site's own buttons) and lazily creates the chat iframe. It uses only
//!   `wasm-bindgen`/`js-sys`/`web-sys` and is built without the `chat` feature, so nothing of
//!   Leptos or serde_json reaches the host page.
//! - `chat` (bin `chat`, feature `chat`): the Leptos chat page served at
//!   `/chat/h5/v2/index.html`, shown in that iframe or opened as a plain link. It speaks the
//!   visitor protocol (`shared::visitor`) over `/ws/visitor` and keeps unsent messages in a
//!   `localStorage` outbox (in memory, with only the visitor token kept by the launcher, where
//!   the browser blocks storage in the iframe; see `chat::outbox`).
//! - [`extras`] (bin `extras`): the chat page's lazy tier, imported on first use (today the
//!   emoji picker). Plain `web-sys` like the launcher; nothing of it is on the way to
//!   "interactive".
//! - [`i18n`]: every user-visible string in the three seed locales, shared by both.
//! - [`wire`]: the few postMessage strings the two sides and the host page exchange.
//!
//! Invariant for both: nothing visitor-, agent- or site-supplied is ever inserted as HTML;
//! it becomes text nodes or attribute values, and only `http(s)` URLs become links.

pub mod extras;
pub mod i18n;
pub mod launcher;
pub mod wire;

#[cfg(feature = "chat")]
pub mod chat;
