//! The agent console served at `/console/`: login over `POST /api/agent/login`, then seed 001's
//! agent protocol on `/ws/agent` with the types of `shared::agent` (SPEC §7).
//!
//! - [`store`]: the reactive state (lists, the open chat) and how frames change it.
//! - [`conn`]: the socket: login `31000`, heartbeats, reconnect with backoff, requests.
//! - [`view`]: the components. Every visitor-supplied string is a text node or an attribute
//!   value; a non-text message is a link only when it is an `http(s)` URL.
//! - [`notify`]: desktop notification, beep and the tab title.

mod conn;
mod notify;
mod store;
mod view;

fn main() {
    leptos::mount::mount_to_body(view::App);
}
