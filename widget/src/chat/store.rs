//! The page's reactive state (the signals the view reads, a mirror of the session's
//! `session::ChatState`) and the list rules the session uses. Messages are kept sorted by
//! `seq` and unique by `seq` (the server replays and broadcasts, the ack path inserts too, so
//! the same message can arrive two or three times). An outbox entry leaves the outbox when its
//! ack, or a `msg` carrying its `cmid`, arrives — and the message is then in `messages`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::ids::{ClientMsgId, Seq};
use shared::visitor::{ChatMessage, MsgKind};

/// A message the visitor wrote that the server has not acknowledged yet. Stored in
/// `localStorage` before it is first sent, so a reload resends it with the same `cmid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub cmid: ClientMsgId,
    pub kind: MsgKind,
    pub body: String,
    /// The server refused it as `invalid`: shown as failed, never resent, removable.
    #[serde(default)]
    pub failed: bool,
}

/// What the status line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Online,
    Reconnecting,
    Offline,
    /// The security check failed (`sign_invalid`): seed 003's refusal, no session.
    Refused,
    /// Unknown or missing `sysnum`, or a hello the server calls invalid.
    Unavailable,
    /// The site blocked this visitor or their address (`blocked`): a polite refusal.
    Blocked,
}

impl Status {
    /// No further connection attempts will be made.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Refused | Status::Unavailable | Status::Blocked
        )
    }
}

/// The page's state as the view reads it; `Copy`, so closures capture it freely. Only `conn`
/// writes it, from the session's state.
#[derive(Debug, Clone, Copy)]
pub struct Store {
    pub messages: RwSignal<Vec<ChatMessage>>,
    pub outbox: RwSignal<Vec<Pending>>,
    /// The status lines above and below the conversation, in one signal: they change
    /// rarely, and one signal type instead of three saves the chat tier bytes.
    pub line: RwSignal<Line>,
}

/// What the status lines say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub status: Status,
    /// Place in the waiting queue (`queue` frames); 0 when not waiting.
    pub queue: u32,
    /// The serving agent is typing (`typing` frames; cleared by their message or a timeout).
    pub agent_typing: bool,
}

impl Line {
    /// Before the session says anything.
    pub const CONNECTING: Line = Line {
        status: Status::Connecting,
        queue: 0,
        agent_typing: false,
    };
}

/// Nothing to show yet: `conn::start` fills it before the view is built.
impl Default for Store {
    fn default() -> Self {
        Store {
            messages: RwSignal::new(Vec::new()),
            outbox: RwSignal::new(Vec::new()),
            line: RwSignal::new(Line::CONNECTING),
        }
    }
}

/// Inserts `m` at its place by `seq`; a second copy of a `seq` is dropped. Returns whether
/// the list changed.
pub fn merge(list: &mut Vec<ChatMessage>, m: ChatMessage) -> bool {
    match list.binary_search_by_key(&m.seq, |x| x.seq) {
        Ok(_) => false,
        Err(at) => {
            list.insert(at, m);
            true
        }
    }
}

/// The highest sequence held: what a reconnecting hello asks the server to resume after.
pub fn last_seq(list: &[ChatMessage]) -> Seq {
    list.last().map(|m| m.seq).unwrap_or_default()
}

/// Removes and returns the outbox entry for `cmid`.
pub fn take_pending(outbox: &mut Vec<Pending>, cmid: &ClientMsgId) -> Option<Pending> {
    let at = outbox.iter().position(|p| &p.cmid == cmid)?;
    Some(outbox.remove(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::visitor::Author;

    fn msg(seq: u64) -> ChatMessage {
        ChatMessage {
            seq: Seq(seq),
            from: Author::Agent,
            kind: MsgKind::Text,
            body: seq.to_string(),
            ts: 0,
            cmid: None,
            nick: None,
        }
    }

    #[test]
    fn merge_keeps_order_and_drops_duplicates() {
        let mut list = Vec::new();
        for s in [3, 1, 2, 3, 1, 5] {
            merge(&mut list, msg(s));
        }
        let seqs: Vec<u64> = list.iter().map(|m| m.seq.0).collect();
        assert_eq!(seqs, [1, 2, 3, 5]);
        assert_eq!(last_seq(&list), Seq(5));
        assert_eq!(last_seq(&[]), Seq(0));
    }

    #[test]
    fn pending_round_trips_through_json() {
        let p = Pending {
            cmid: ClientMsgId::parse("abc").unwrap(),
            kind: MsgKind::Text,
            body: "你好 <b>".into(),
            failed: false,
        };
        let json = serde_json::to_string(&[p.clone()]).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<Pending>>(&json).unwrap(),
            [p.clone()]
        );
        let mut outbox = vec![p.clone()];
        assert_eq!(take_pending(&mut outbox, &p.cmid), Some(p));
        assert!(outbox.is_empty());
    }
}
