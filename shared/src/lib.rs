//! Types that cross a process boundary: everything the server, the visitor widget and
//! the agent console say to each other.
//!
//! - [`ids`]: validated identifiers (`Sysnum`, `ClientMsgId`, `Seq`) — parse, don't validate.
//! - [`visitor`]: our own visitor protocol on `/ws/visitor` (SPEC §6): client message ids,
//!   per-conversation sequence numbers, acks after commit, resume from a sequence.
//! - [`agent`]: the seed 001 agent protocol on `/ws/agent`: the `{api_key, code, message,
//!   status, data}` envelope, every `api_key` and error code, and our documented extensions.
//! - [`card`]: product and order cards (message kinds 3 and 4): the seeds' loose JSON, safe
//!   URLs only.
//! - [`config`]: the widget's `zc("config", …)` values that the server also needs to read.
//!
//! Invariant: this crate depends on `serde` only, so it compiles unchanged to native code and
//! to `wasm32-unknown-unknown`, and it never does I/O.

pub mod agent;
pub mod card;
pub mod config;
pub mod ids;
pub mod visitor;

/// Largest WebSocket frame either side accepts, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest message body (text, or a URL for media kinds), in characters.
pub const MAX_BODY_CHARS: usize = 5000;
/// Longest `partnerid` the seed allows (seed 003: "限制300字符").
pub const MAX_PARTNERID_CHARS: usize = 300;
