//! The agent console served at `/console/`: login over `POST /api/agent/login`, then seed 001's
//! agent protocol on `/ws/agent` with the types of `shared::agent` (SPEC §7).
//!
//! - [`store`]: the reactive state (lists, the open chat) and how frames change it.
//! - [`conn`]: the socket: login `31000`, heartbeats, reconnect with backoff, requests.
//! - [`view`]: the components. Every visitor-supplied string is a text node or an attribute
//!   value.
//! - [`media`]: message bodies by kind (image, voice, video, file, product and order cards);
//!   only `http(s)` URLs become links or sources.
//! - [`compose`]: attachments, cards and the typing signal.
//! - [`http`]: the REST calls (login, upload).
//! - [`i18n`]: the agent's language (`console-…` strings of `shared/locales/*.ftl`, compiled
//!   in) and time zone, and how times are shown.
//! - [`notify`]: desktop notification, beep and the tab title.
//! - [`webpush`]: the service worker (an installable console) and the "Notifications on
//!   this device" switch: push subscriptions for new chats while no console is open.
//! - [`admin`]: the site admin view (`?admin`): the FAQ robot's entries, blocks, reports;
//!   [`settings`]: the site's settings there; [`people`]: its groups and agents;
//!   [`audit`]: its VIP levels and audit log; [`forms`]: its leave-message forms and canned
//!   replies.
//! - [`supervise`]: roles: a supervisor's "All chats" (join, take), the invitation to rate,
//!   an admin's way to the admin view.
//! - [`workbench`]: the agent's workbench (issue 25): search, notes, summaries, the
//!   read-only conversation viewer.

mod admin;
mod audit;
mod compose;
mod conn;
mod forms;
mod http;
mod i18n;
mod media;
mod notify;
mod people;
mod report;
mod settings;
mod store;
mod supervise;
mod view;
mod webpush;
mod workbench;

fn main() {
    webpush::register();
    leptos::mount::mount_to_body(view::App);
}
