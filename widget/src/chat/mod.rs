//! The chat page (Leptos CSR): what the visitor sees inside the launcher's iframe, or full
//! screen when the chat link is opened directly (phones, WeChat web-view).
//!
//! - [`params`]: the page's configuration, read once from `location.search`.
//! - [`store`]: the reactive state (messages by `seq`, the outbox, connection status) and the
//!   pure rules that change it (merge without duplicates).
//! - [`outbox`]: `localStorage` persistence of unsent messages and of the visitor token (and
//!   what happens when the browser blocks that storage in the iframe).
//! - [`conn`]: the `/ws/visitor` session: hello/replay/synced, acks, resends, reconnect.
//! - [`bridge`]: everything that talks to the host page through `postMessage`.
//! - [`media`]: how a message body is shown (text, image, player, file link, card).
//! - [`lazy`]: the door to the lazy tier (`crate::extras`), imported on first use.
//! - [`view`]: the components.

pub mod bridge;
pub mod conn;
pub mod lazy;
pub mod media;
pub mod outbox;
pub mod params;
pub mod store;
pub mod view;

/// Entry point of the `chat` binary.
pub fn mount() {
    leptos::mount::mount_to_body(view::App);
}
