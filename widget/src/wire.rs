//! Messages crossing the iframe boundary with `postMessage`. Both directions use JSON
//! *strings*: the seed's host-page listener does `JSON.parse(e.data)` on every message, so a
//! plain object posted to the host would throw in the customer's code. Every post names the
//! exact target origin; every receiver checks `event.origin` and `event.source`.

/// What the chat page posts to the host page when the visitor collapses the window, exactly
/// as seed 003's listener expects (`JSON.stringify({name:"zc_post_message",data:{action:…}})`).
pub const COLLAPSE: &str = r#"{"name":"zc_post_message","data":{"action":"chat_collapse_window"}}"#;

/// The `name` and `data.action` inside [`COLLAPSE`].
pub const POST_NAME: &str = "zc_post_message";
pub const ACTION_COLLAPSE: &str = "chat_collapse_window";

/// What the launcher posts into the chat iframe each time the window is expanded, so the chat
/// page can move focus to its input.
pub const EXPAND: &str = r#"{"name":"fd_expand"}"#;
