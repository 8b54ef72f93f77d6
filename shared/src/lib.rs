//! Types that cross a process boundary: everything the server, the visitor widget and
//! the agent console say to each other.
//!
//! - [`ids`]: validated identifiers (`Sysnum`, `ClientMsgId`, `Seq`) — parse, don't validate.
//! - [`visitor`]: our own visitor protocol on `/ws/visitor` (SPEC §6): client message ids,
//!   per-conversation sequence numbers, acks after commit, resume from a sequence.
//! - [`agent`]: the seed 001 agent protocol on `/ws/agent`: the `{api_key, code, message,
//!   status, data}` envelope, every `api_key` and error code, and our documented extensions;
//!   one constructor per request a client sends (`Request::send`, …), and the bodies of
//!   `POST /api/agent/login` ([`agent::login`]).
//! - [`card`]: product and order cards (message kinds 3 and 4): the seeds' loose JSON, safe
//!   URLs only; the bodies an agent writes.
//! - [`config`]: the widget's `zc("config", …)` values that the server also needs to read.
//! - [`reception`]: reception modes, the robot and routing rules (seed 003 接待模式 …): what a
//!   page asks for in `hello`, and the reception state the server tells the chat page.
//! - [`admin`]: the site admin API's settings (issue 25: settings in the browser).
//! - [`leave`]: leave a message: templates, what a visitor leaves, what agents list and answer.
//! - [`rating`]: a visitor's rating of a chat, and the operators' list of them.
//! - [`robot`]: the FAQ robot's admin API (robots, FAQ entries, imports) for the console.
//! - [`report`]: a site's figures over a range of days (issue 25), for the admin view and
//!   `frontdesk admin report`.
//! - [`workbench`]: the agent's workbench (search, notes, a conversation's summary and
//!   labels) carried by the agent-socket extensions `329xx`, `3283x`, `3261x`.
//! - [`webpush`]: the console's push subscriptions and what a push carries (issue 27).
//!
//! Beside them: the size limits both ends enforce and [`reconnect_delay_ms`], the reconnect
//! policy of both browser clients.
//!
//! Invariant: this crate depends on `serde` only, so it compiles unchanged to native code and
//! to `wasm32-unknown-unknown`, and it never does I/O.

pub mod admin;
pub mod agent;
pub mod card;
pub mod config;
pub mod face;
pub mod ids;
pub mod leave;
pub mod rating;
pub mod reception;
pub mod report;
pub mod robot;
pub mod visit;
pub mod visitor;
pub mod webpush;
pub mod workbench;

/// Largest WebSocket frame either side accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest message body (text, or a URL for media kinds), in characters.
pub const MAX_BODY_CHARS: usize = 5000;
/// The reconnect delay both browser clients (chat page, agent console) wait before attempt
/// `attempt` (0-based): `min(10 s, 0.5 s · 2^attempt)`, then 50–100 % of that by `jitter`
/// (in `[0, 1)`, e.g. `Math.random()`), so a restarted server is not hit by every client in
/// the same millisecond.
pub fn reconnect_delay_ms(attempt: u32, jitter: f64) -> u32 {
    let cap = 500u32.saturating_mul(1 << attempt.min(5)).min(10_000);
    cap / 2 + (jitter.clamp(0.0, 1.0) * f64::from(cap / 2)) as u32
}

/// Whether `s` may be shown to agents as a name: no control characters, no bidirectional
/// controls (U+061C, U+200E/F, U+202A–E, U+2066–9: they reorder what follows, so
/// `"alice\u{202E}nimda"` reads as something else) and no invisible characters (U+200B,
/// U+2060, U+FEFF, U+00AD) that make two different names look the same. Joiners (U+200C/D)
/// stay allowed: scripts and emoji sequences need them.
pub fn display_safe(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{061C}'
                    | '\u{200E}'
                    | '\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200B}'
                    | '\u{2060}'
                    | '\u{FEFF}'
                    | '\u{00AD}'
            )
    })
}

/// Longest `partnerid` the seed allows (seed 003: "限制300字符").
pub const MAX_PARTNERID_CHARS: usize = 300;

#[cfg(test)]
mod tests {
    use super::{display_safe, reconnect_delay_ms};

    #[test]
    fn names_with_direction_or_invisible_characters_are_not_display_safe() {
        assert!(display_safe("智齿客服 Alice 👨\u{200D}👩\u{200D}👧"));
        assert!(!display_safe("alice\u{202E}nimda"));
        assert!(!display_safe("ad\u{200B}min"));
        assert!(!display_safe("\u{2067}x"));
        assert!(!display_safe("a\nb"));
        assert!(!display_safe("\u{FEFF}bob"));
    }

    #[test]
    fn reconnect_delay_doubles_to_ten_seconds_with_jitter() {
        assert_eq!(reconnect_delay_ms(0, 0.0), 250);
        assert_eq!(reconnect_delay_ms(0, 0.999), 499);
        assert_eq!(reconnect_delay_ms(1, 0.0), 500);
        assert_eq!(reconnect_delay_ms(4, 0.5), 6000);
        assert_eq!(reconnect_delay_ms(5, 0.0), 5000);
        assert_eq!(reconnect_delay_ms(u32::MAX, 1.0), 10_000);
    }
}
