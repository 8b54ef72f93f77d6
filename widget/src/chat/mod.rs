//! The chat page (Leptos CSR): what the visitor sees inside the launcher's iframe, or full
//! screen when the chat link is opened directly (phones, WeChat web-view).
//!
//! - [`params`]: the page's configuration, read once from `location.search`.
//! - [`store`]: the reactive state the view reads (messages by `seq`, the outbox, connection
//!   status), a mirror of [`session::ChatState`], and the list rules (merge without
//!   duplicates).
//! - [`session`]: the `/ws/visitor` session's rules as a pure reducer over plain data —
//!   hello/replay/synced, acks, resends, errors, queue — returning what the shell must do.
//! - [`conn`]: the shell around it: the socket, reconnect with backoff, heartbeat, timers.
//! - [`outbox`]: `localStorage` persistence of unsent messages and of the visitor token (and
//!   what happens when the browser blocks that storage in the iframe).
//! - [`host`]: what the host page keeps for us when that storage is blocked (the token, the
//!   sealed outbox).
//! - [`bridge`]: everything that talks to the host page through `postMessage`.
//! - [`media`]: how a message body is shown (text, image, player, file link, card).
//! - [`lazy`]: the door to the lazy tier (`crate::extras`), imported on first use.
//! - [`view`]: the components.

pub mod bridge;
pub mod conn;
pub mod host;
pub mod lazy;
pub mod media;
pub mod outbox;
pub mod params;
pub mod session;
pub mod store;
pub mod view;

/// Entry point of the `chat` binary.
pub fn mount() {
    leptos::mount::mount_to_body(view::App);
}
