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

/// What the launcher posts into the chat iframe each time the window is collapsed: from then
/// on the chat page does not count what it renders as shown (its `fd_seen` answer to
/// host.js, widget/index.html).
pub const COLLAPSED: &str = r#"{"name":"fd_collapse"}"#;

/// `name` of the token-store messages. Used only when the chat page's own storage is
/// unusable (third-party storage blocked): the launcher then keeps the visitor token in the
/// host page's first-party `localStorage["frontdesk:" + sysnum]`, and the unsent messages only
/// sealed ([`is_box`]) in `localStorage["frontdesk:box:" + sysnum]`.
///
/// - chat → host: [`STORE_GET`], [`store_set`]`(token)`, or `{"op":"box","box":B}` (posted by
///   `box.js`; `null` removes it);
/// - host → chat: [`store_answer`]`(token, box)`, in reply to a get.
///
/// Both sides accept them only with the usual origin and source checks and only a token of
/// the server's shape ([`is_token`]).
pub const STORE_NAME: &str = "fd_store";

/// The chat page asks the launcher for the stored token.
pub const STORE_GET: &str = r#"{"name":"fd_store","data":{"op":"get"}}"#;

/// The chat page tells the launcher to keep `token` (callers check [`is_token`] first, so it
/// needs no JSON escaping).
pub fn store_set(token: &str) -> String {
    let mut s = String::from(r#"{"name":"fd_store","data":{"op":"set","token":""#);
    s.push_str(token);
    s.push_str(r#""}}"#);
    s
}

/// The launcher's answer to [`STORE_GET`]: the stored token, or `null`, and the stored sealed
/// outbox if there is one (callers check [`is_token`] and [`is_box`] first, so neither needs
/// JSON escaping).
pub fn store_answer(token: Option<&str>, sealed: Option<&str>) -> String {
    let mut s = String::from(r#"{"name":"fd_store","data":{"token":"#);
    match token {
        Some(t) => {
            s.push('"');
            s.push_str(t);
            s.push('"');
        }
        None => s.push_str("null"),
    }
    if let Some(b) = sealed {
        s.push_str(r#","box":""#);
        s.push_str(b);
        s.push('"');
    }
    s.push_str("}}");
    s
}

/// The longest sealed outbox the launcher keeps (characters of base64).
pub const MAX_BOX: usize = 1 << 21;

/// The shape of a sealed outbox (`{"op":"box","box":…}` from the chat page's `box.js`, kept by
/// the launcher as `localStorage["frontdesk:box:" + sysnum]`): base64 of the AES-GCM nonce and
/// ciphertext, at most [`MAX_BOX`] characters. The host page only ever holds this ciphertext.
pub fn is_box(s: &str) -> bool {
    (16..=MAX_BOX).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}

/// The shape of a server-minted visitor token: 64 lowercase hex digits (32 random bytes).
/// Anything else crossing the iframe boundary is ignored rather than stored or sent.
pub fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_invitation_to_rate_loads_the_lazy_tier() {
        // widget/index.html's fdX loads the tier for a frame holding this line, so the rating
        // panel opens although nothing else asked for the tier.
        let page = include_str!("../index.html");
        assert!(page.contains(shared::visitor::RATE_INVITE));
        // ... and for the end of a chat (the leave-message entry, satDegree_A's rating).
        assert!(page.contains(shared::visitor::CHAT_ENDED));
    }

    use super::*;

    #[test]
    fn token_store_messages() {
        let t = "0123456789abcdef".repeat(4);
        assert!(is_token(&t));
        assert!(!is_token(&t.to_uppercase()));
        assert!(!is_token(&t[1..]));
        assert!(!is_token(&(t.clone() + "0")));
        assert!(!is_token(&t.replace('0', "\"")));
        assert_eq!(
            store_set(&t),
            String::from(r#"{"name":"fd_store","data":{"op":"set","token":""#) + &t + r#""}}"#
        );
        assert_eq!(
            store_answer(None, None),
            r#"{"name":"fd_store","data":{"token":null}}"#
        );
        assert_eq!(
            store_answer(Some(&t), None),
            String::from(r#"{"name":"fd_store","data":{"token":""#) + &t + r#""}}"#
        );
        assert_eq!(
            store_answer(None, Some("AAAAAAAAAAAAAAAAAAAA+/==")),
            r#"{"name":"fd_store","data":{"token":null,"box":"AAAAAAAAAAAAAAAAAAAA+/=="}}"#
        );
        assert!(is_box("AAAAAAAAAAAAAAAAAAAA+/=="));
        assert!(!is_box("AAAA"));
        assert!(!is_box("AAAAAAAAAAAAAAAAAAAA\"\"}"));
        assert!(!is_box(&"A".repeat(MAX_BOX + 1)));
    }
}
