//! The visitor session's rules as a pure reducer: [`ChatState`] is plain data (what the page
//! shows and what the session knows), [`apply`] folds one server frame into it and returns
//! the [`Effect`]s the shell ([`super::conn`]) must carry out. What the visitor, the socket
//! and the timers do to the session ([`ChatState::send`], [`ChatState::closed`],
//! [`ChatState::resend_due`], …) are transitions of the same kind. Nothing here touches the
//! browser (no web-sys, no signals, no timers, no clock, no randomness), so every rule is
//! unit-tested natively (`cargo test -p frontdesk-widget --lib`).
//!
//! The protocol from the page's side (SPEC §6, `shared::visitor`): each connection opens →
//! `hello {token, last_seq, …}` ([`ChatState::hello`]) → `welcome` → replayed `msg`s →
//! `synced`; only then is the outbox (re)sent, every entry with its original `cmid`, so the
//! server's per-`cmid` idempotency turns a resend into the original ack. Entries leave the
//! outbox on `ack` or on a `msg` carrying their `cmid`. `invalid` marks an entry failed (never
//! resent); `rate_limited`/`internal` resend the outbox later, once per pending retry, with a
//! backoff from 1 s doubling to 15 s. `sign_invalid`/`unknown_site` stop for good.

use shared::ids::{ClientMsgId, Sysnum};
use shared::visitor::{Author, ChatMessage, ClientFrame, ErrorCode, Hello, Send, ServerFrame};

use super::params::Params;
use super::store::{last_seq, merge, take_pending, Pending, Status};

/// The session as plain data. The shell owns one and changes it through this module's
/// transitions (assigning directly only a token the host page gave in time, `attempt` on
/// waking up and the typing indicator's timeout); it shows it in the `Store` signals, the
/// lists on [`Effect::Messages`] and [`Effect::Outbox`], the rest after every change.
#[cfg_attr(test, derive(Debug))]
pub struct ChatState {
    /// The conversation, sorted and unique by `seq` ([`merge`]).
    pub messages: Vec<ChatMessage>,
    /// What the visitor wrote that the server has not acknowledged yet, oldest first.
    pub outbox: Vec<Pending>,
    pub status: Status,
    /// Place in the waiting queue; 0 when not waiting, or while nobody is available.
    pub queue: u32,
    /// The serving agent is typing (the shell hides it again after a few seconds).
    pub agent_typing: bool,
    /// The visitor token: stored, the host page's, or the last `welcome`'s.
    pub token: Option<String>,
    /// `synced` arrived on the current socket: sends go out directly.
    pub synced: bool,
    /// Failed connection attempts since the last `synced` (drives the reconnect backoff).
    pub attempt: u32,
    /// An outbox resend is scheduled ([`Effect::Resend`]): further errors wait for it.
    pub resending: bool,
    /// Resends since the last `ack` (drives the resend backoff).
    pub resend_attempt: u32,
    /// The session ended for good (refused, unknown site): no more connections or sends.
    pub stopped: bool,
    /// A `welcome` arrived since the page loaded: the chat link's query went with it.
    pub linked: bool,
    /// The last reception frame said nobody is available (its text replaces the queue).
    pub offline: bool,
    /// A reception frame was shown: the lazy tier shows its chips, which messages clear.
    pub reception: bool,
}

/// What the shell must do after a transition, in order.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub enum Effect {
    /// Send this outbox entry (a `send` frame) if the socket is open; dropped otherwise: the
    /// outbox, not the socket, is what makes a message arrive.
    Send(Send),
    /// Keep this new outbox entry in storage (before it is first sent).
    Store(Pending),
    /// Forget this `cmid` in storage (acknowledged, or discarded).
    Forget(ClientMsgId),
    /// Mark this `cmid` failed in storage.
    Fail(ClientMsgId),
    /// The conversation changed: show [`ChatState::messages`].
    Messages,
    /// The outbox changed: show [`ChatState::outbox`], and seal it again for the host page
    /// where the host keeps it.
    Outbox,
    /// The session is synced: open the host page's sealed outbox, if it answered with one.
    OpenBox,
    /// A `welcome` named a new token: store [`ChatState::token`].
    SaveToken,
    /// Offer [`ChatState::token`] to the host page (it is posted only if the host holds
    /// another one).
    ShareToken,
    /// Drop the socket and connect again now.
    Reconnect,
    /// Call [`ChatState::resend_due`] after this many milliseconds.
    Resend(u32),
    /// Stop for good: close the socket, cancel any reconnect ([`ChatState::status`] says why).
    Stop,
    /// Log what the server said (a console warning).
    Warn(String),
    /// Hand the `reception` frame, as it came, to the lazy tier.
    Reception,
    /// Remove the lazy tier's suggestion chips.
    ClearChips,
    /// The agent's typing indicator was just set to this: restart (`true`) or cancel
    /// (`false`) the timer that hides it.
    AgentTyping(bool),
}

impl ChatState {
    /// A session that has not connected yet, with the stored `outbox` and `token`.
    pub fn new(outbox: Vec<Pending>, token: Option<String>) -> Self {
        ChatState {
            messages: Vec::new(),
            outbox,
            status: Status::Connecting,
            queue: 0,
            agent_typing: false,
            token,
            synced: false,
            attempt: 0,
            resending: false,
            resend_attempt: 0,
            stopped: false,
            linked: false,
            offline: false,
            reception: false,
        }
    }

    /// The `hello` a new socket opens with: it resumes after the highest `seq` held.
    pub fn hello(&self, sysnum: &Sysnum, p: &Params) -> ClientFrame {
        ClientFrame::Hello(Hello {
            sysnum: sysnum.clone(),
            token: self.token.clone(),
            partnerid: p.partnerid.clone(),
            sign: p.sign.clone(),
            uname: p.uname.clone(),
            source: p.source.clone(),
            groupid: p.groupid.clone(),
            reception: None,
            query: p.query.clone(),
            last_seq: last_seq(&self.messages),
        })
    }

    /// The socket is gone (closed, or dropped to be replaced): nothing goes out directly
    /// until the next `synced`.
    pub fn closed(&mut self) {
        self.synced = false;
    }

    /// A reconnect is to be scheduled: says so (`online`: the browser thinks the network is
    /// there) and returns the attempt number for the backoff, or `None` once stopped.
    pub fn reconnecting(&mut self, online: bool) -> Option<u32> {
        if self.stopped {
            return None;
        }
        self.status = if online {
            Status::Reconnecting
        } else {
            Status::Offline
        };
        let attempt = self.attempt;
        self.attempt = attempt.saturating_add(1);
        Some(attempt)
    }

    /// The visitor sends `p` (a fresh `cmid`): stored first, then sent if the session is
    /// synced (otherwise the next `synced` sends it). Ignored once stopped.
    pub fn send(&mut self, p: Pending) -> Vec<Effect> {
        let mut fx = Vec::new();
        if self.stopped {
            return fx;
        }
        fx.push(Effect::Store(p.clone()));
        self.clear_chips(&mut fx);
        if self.synced {
            fx.push(send(&p));
        }
        self.outbox.push(p);
        fx.push(Effect::Outbox);
        fx
    }

    /// The visitor drops an entry (a failed one, from its bubble).
    pub fn discard(&mut self, cmid: &ClientMsgId) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.settle(cmid, &mut fx);
        fx
    }

    /// The resend timer fired: everything live in the outbox goes again (if synced).
    pub fn resend_due(&mut self) -> Vec<Effect> {
        self.resending = false;
        let mut fx = Vec::new();
        self.flush(&mut fx);
        fx
    }

    /// The host page's sealed outbox was opened: its entries join the outbox (once per
    /// `cmid`) and everything unsent goes again — the server stores each `cmid` once.
    pub fn unboxed(&mut self, entries: Vec<Pending>) -> Vec<Effect> {
        for p in entries {
            if !self.outbox.iter().any(|m| m.cmid == p.cmid) {
                self.outbox.push(p);
            }
        }
        let mut fx = Vec::new();
        self.flush(&mut fx);
        fx.push(Effect::Outbox);
        fx
    }

    /// The host page's stored token arrived after we connected without it. It is adopted
    /// (and the page reconnects as that visitor) only while this page holds nothing of the
    /// visitor's yet; otherwise our token is offered to the host instead.
    pub fn late_token(&mut self, token: Option<String>) -> Vec<Effect> {
        let untouched =
            self.outbox.is_empty() && self.messages.iter().all(|m| m.from != Author::Visitor);
        match token {
            Some(t) if untouched && self.token.as_ref() != Some(&t) => {
                self.messages.clear();
                self.token = Some(t);
                self.attempt = 0;
                vec![Effect::Messages, Effect::Reconnect]
            }
            _ => {
                let mut fx = vec![Effect::ShareToken];
                if self.synced {
                    fx.push(Effect::OpenBox); // the session is already up
                }
                fx
            }
        }
    }

    /// Every live outbox entry, again, once synced.
    fn flush(&self, fx: &mut Vec<Effect>) {
        if !self.synced {
            return;
        }
        for p in self.outbox.iter().filter(|p| !p.failed) {
            fx.push(send(p));
        }
    }

    /// Forgets `cmid` (memory and storage); returns the entry if it was in this outbox.
    fn settle(&mut self, cmid: &ClientMsgId, fx: &mut Vec<Effect>) -> Option<Pending> {
        let p = take_pending(&mut self.outbox, cmid);
        // Storage too even if not ours here: another tab of the site may have sent it.
        fx.push(Effect::Forget(cmid.clone()));
        if p.is_some() {
            fx.push(Effect::Outbox);
        }
        p
    }

    /// Puts `m` in its place in the conversation, unless its `seq` is there already.
    fn insert(&mut self, m: ChatMessage, fx: &mut Vec<Effect>) {
        if merge(&mut self.messages, m) {
            fx.push(Effect::Messages);
        }
    }

    /// Suggestions answer the last robot message only: the next message either way clears
    /// them.
    fn clear_chips(&self, fx: &mut Vec<Effect>) {
        if self.reception {
            fx.push(Effect::ClearChips);
        }
    }

    fn stop(&mut self, status: Status, fx: &mut Vec<Effect>) {
        self.stopped = true;
        self.synced = false;
        self.status = status;
        fx.push(Effect::Stop);
    }

    fn schedule_resend(&mut self, fx: &mut Vec<Effect>) {
        if self.resending {
            return;
        }
        let delay = 1000u32
            .saturating_mul(1 << self.resend_attempt.min(4))
            .min(15_000);
        self.resend_attempt = self.resend_attempt.saturating_add(1);
        self.resending = true;
        fx.push(Effect::Resend(delay));
    }
}

/// Sends an outbox entry (always with its original `cmid`).
fn send(p: &Pending) -> Effect {
    Effect::Send(Send {
        cmid: p.cmid.clone(),
        kind: p.kind,
        body: p.body.clone(),
    })
}

/// Folds one server frame into `s`; returns what the shell must do, in order.
pub fn apply(s: &mut ChatState, frame: ServerFrame) -> Vec<Effect> {
    let mut fx = Vec::new();
    match frame {
        ServerFrame::Reception(r) => {
            s.offline = r.offline.is_some();
            if s.offline {
                s.queue = 0;
            }
            let empty = r.greeting.is_none() && r.suggest.is_empty() && !r.manual;
            // Nothing to show and nothing shown: no need for the lazy tier.
            if !empty || s.offline || s.reception {
                s.reception = true;
                fx.push(Effect::Reception);
            }
        }
        ServerFrame::Welcome {
            token,
            last_seq: server_last,
            ..
        } => {
            if s.token.as_deref() != Some(token.as_str()) {
                if s.token.is_some() {
                    // A different visitor now: what we show belongs to the old one.
                    s.messages.clear();
                    fx.push(Effect::Messages);
                }
                s.token = Some(token);
                fx.push(Effect::SaveToken);
            }
            s.linked = true;
            fx.push(Effect::ShareToken);
            if server_last < last_seq(&s.messages) {
                // The server knows less than we show (its data was reset): start over.
                s.messages.clear();
                s.attempt = 0;
                fx.push(Effect::Messages);
                fx.push(Effect::Reconnect);
            }
        }
        ServerFrame::Msg(m) => {
            if m.from == Author::Agent {
                s.agent_typing = false;
            }
            s.clear_chips(&mut fx);
            if let Some(cmid) = &m.cmid {
                s.settle(cmid, &mut fx);
            }
            s.insert(m, &mut fx);
        }
        ServerFrame::Synced { .. } => {
            s.synced = true;
            s.attempt = 0;
            s.status = Status::Online;
            s.flush(&mut fx);
            fx.push(Effect::OpenBox);
        }
        ServerFrame::Ack { cmid, seq, ts } => {
            s.resend_attempt = 0;
            if let Some(p) = s.settle(&cmid, &mut fx) {
                let m = ChatMessage {
                    seq,
                    from: Author::Visitor,
                    kind: p.kind,
                    body: p.body,
                    ts,
                    cmid: Some(cmid),
                    nick: None,
                };
                s.insert(m, &mut fx);
            }
        }
        ServerFrame::Error {
            code,
            message,
            cmid,
        } => match code {
            ErrorCode::RateLimited | ErrorCode::Internal => s.schedule_resend(&mut fx),
            ErrorCode::Invalid => match cmid {
                Some(cmid) => {
                    for p in s.outbox.iter_mut().filter(|p| p.cmid == cmid) {
                        p.failed = true;
                    }
                    fx.push(Effect::Fail(cmid));
                    fx.push(Effect::Outbox);
                }
                None => {
                    fx.push(Effect::Warn(message));
                    s.stop(Status::Unavailable, &mut fx);
                }
            },
            ErrorCode::SignInvalid => s.stop(Status::Refused, &mut fx),
            ErrorCode::Blocked => s.stop(Status::Blocked, &mut fx),
            ErrorCode::UnknownSite => {
                fx.push(Effect::Warn(message));
                s.stop(Status::Unavailable, &mut fx);
            }
            ErrorCode::BadFrame | ErrorCode::HelloFirst => fx.push(Effect::Warn(message)),
        },
        ServerFrame::Pong => {}
        // Nobody available: the reception's offline text stands instead of a position.
        ServerFrame::Queue { position } => s.queue = if s.offline { 0 } else { position },
        ServerFrame::Typing { typing } => {
            s.agent_typing = typing;
            fx.push(Effect::AgentTyping(typing));
        }
    }
    fx
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::Seq;
    use shared::reception::{Answerer, ReceptionFrame};
    use shared::visitor::MsgKind;

    const SYSNUM: &str = "0123456789abcdef0123456789abcdef";

    fn cmid(s: &str) -> ClientMsgId {
        ClientMsgId::parse(s).unwrap()
    }

    fn pending(c: &str, body: &str) -> Pending {
        Pending {
            cmid: cmid(c),
            kind: MsgKind::Text,
            body: body.into(),
            failed: false,
        }
    }

    fn msg(seq: u64, from: Author, c: Option<&str>) -> ChatMessage {
        ChatMessage {
            seq: Seq(seq),
            from,
            kind: MsgKind::Text,
            body: format!("m{seq}"),
            ts: 1000 + seq as i64,
            cmid: c.map(cmid),
            nick: None,
        }
    }

    fn agent(seq: u64) -> ServerFrame {
        ServerFrame::Msg(msg(seq, Author::Agent, None))
    }

    fn welcome(token: &str, last: u64) -> ServerFrame {
        ServerFrame::Welcome {
            token: token.into(),
            visitor_id: String::new(),
            last_seq: Seq(last),
        }
    }

    fn synced(last: u64) -> ServerFrame {
        ServerFrame::Synced {
            last_seq: Seq(last),
        }
    }

    fn ack(c: &str, seq: u64) -> ServerFrame {
        ServerFrame::Ack {
            cmid: cmid(c),
            seq: Seq(seq),
            ts: 5000 + seq as i64,
        }
    }

    fn error(code: ErrorCode, c: Option<&str>) -> ServerFrame {
        ServerFrame::Error {
            code,
            message: "said so".into(),
            cmid: c.map(cmid),
        }
    }

    fn reception(offline: Option<&str>, suggest: &[&str]) -> ServerFrame {
        ServerFrame::Reception(ReceptionFrame {
            mode: Answerer::Human,
            robot: None,
            greeting: None,
            suggest: suggest.iter().map(|s| s.to_string()).collect(),
            manual: false,
            offline: offline.map(Into::into),
        })
    }

    /// What the shell puts on the socket for `p`.
    fn sent(p: &Pending) -> Effect {
        Effect::Send(Send {
            cmid: p.cmid.clone(),
            kind: p.kind,
            body: p.body.clone(),
        })
    }

    fn seqs(s: &ChatState) -> Vec<u64> {
        s.messages.iter().map(|m| m.seq.0).collect()
    }

    fn cmids(s: &ChatState) -> Vec<&str> {
        s.outbox.iter().map(|p| p.cmid.as_str()).collect()
    }

    fn hello_last_seq(s: &ChatState) -> Seq {
        let sysnum = Sysnum::parse(SYSNUM).unwrap();
        let (params, _) = Params::parse(&format!("?sysnum={SYSNUM}"), |_| None);
        match s.hello(&sysnum, &params) {
            ClientFrame::Hello(h) => {
                assert_eq!(h.token, s.token);
                assert_eq!(h.query.as_deref(), Some(&*format!("?sysnum={SYSNUM}")));
                h.last_seq
            }
            other => panic!("not a hello: {other:?}"),
        }
    }

    /// A session that went through `welcome` and `synced` with `token`.
    fn online(token: &str, outbox: Vec<Pending>) -> ChatState {
        let mut s = ChatState::new(outbox, Some(token.into()));
        apply(&mut s, welcome(token, 0));
        apply(&mut s, synced(0));
        s
    }

    #[test]
    fn the_first_welcome_keeps_its_token_and_nothing_is_sent_before_synced() {
        let mut s = ChatState::new(vec![pending("a", "hi")], None);
        assert_eq!(hello_last_seq(&s), Seq(0));
        assert_eq!(
            apply(&mut s, welcome("t1", 0)),
            [Effect::SaveToken, Effect::ShareToken]
        );
        assert_eq!(s.token.as_deref(), Some("t1"));
        assert!(s.linked && !s.synced);
        assert_eq!(s.status, Status::Connecting);
        assert_eq!(
            apply(&mut s, synced(0)),
            [sent(&pending("a", "hi")), Effect::OpenBox]
        );
        assert_eq!(s.status, Status::Online);
    }

    #[test]
    fn a_reconnect_resumes_after_last_seq_and_the_replay_shows_each_message_once() {
        let mut s = online("t1", Vec::new());
        assert_eq!(apply(&mut s, agent(1)), [Effect::Messages]);
        assert_eq!(apply(&mut s, agent(2)), [Effect::Messages]);

        // The socket drops; the next one says hello with what we hold.
        s.closed();
        assert!(!s.synced);
        assert_eq!(s.reconnecting(true), Some(0));
        assert_eq!(s.status, Status::Reconnecting);
        assert_eq!(hello_last_seq(&s), Seq(2));

        // Same visitor, the server is ahead: nothing is cleared, nothing re-stored.
        assert_eq!(apply(&mut s, welcome("t1", 4)), [Effect::ShareToken]);
        assert_eq!(seqs(&s), [1, 2]);
        // The replay overlaps what we hold (the server resends from `last_seq`).
        assert_eq!(apply(&mut s, agent(2)), []);
        assert_eq!(apply(&mut s, agent(3)), [Effect::Messages]);
        assert_eq!(apply(&mut s, agent(4)), [Effect::Messages]);
        assert_eq!(apply(&mut s, synced(4)), [Effect::OpenBox]);
        assert_eq!(seqs(&s), [1, 2, 3, 4]);
        assert_eq!((s.status, s.attempt, s.synced), (Status::Online, 0, true));
        assert_eq!(hello_last_seq(&s), Seq(4));
    }

    #[test]
    fn a_welcome_for_another_visitor_clears_the_old_conversation() {
        let mut s = online("t1", Vec::new());
        apply(&mut s, agent(1));
        apply(&mut s, agent(2));
        s.closed();
        assert_eq!(
            apply(&mut s, welcome("t2", 0)),
            [Effect::Messages, Effect::SaveToken, Effect::ShareToken]
        );
        assert!(s.messages.is_empty());
        assert_eq!(s.token.as_deref(), Some("t2"));
    }

    #[test]
    fn a_server_that_knows_less_than_we_show_starts_over() {
        let mut s = online("t1", Vec::new());
        for seq in 1..=5 {
            apply(&mut s, agent(seq));
        }
        s.closed();
        s.reconnecting(true);
        s.reconnecting(true);
        assert_eq!(
            apply(&mut s, welcome("t1", 2)),
            [Effect::ShareToken, Effect::Messages, Effect::Reconnect]
        );
        assert!(s.messages.is_empty());
        assert_eq!(s.attempt, 0, "the fresh start is not a failed attempt");
        assert_eq!(hello_last_seq(&s), Seq(0));
    }

    #[test]
    fn an_ack_delivers_the_pending_entry_by_cmid_and_a_duplicate_ack_is_harmless() {
        let mut s = online("t1", vec![pending("a", "hi"), pending("b", "yo")]);
        s.resend_attempt = 3;
        assert_eq!(
            apply(&mut s, ack("b", 7)),
            [Effect::Forget(cmid("b")), Effect::Outbox, Effect::Messages]
        );
        assert_eq!(cmids(&s), ["a"]);
        assert_eq!(
            s.messages,
            [ChatMessage {
                seq: Seq(7),
                from: Author::Visitor,
                kind: MsgKind::Text,
                body: "yo".into(),
                ts: 5007,
                cmid: Some(cmid("b")),
                nick: None,
            }]
        );
        assert_eq!(s.resend_attempt, 0);

        // The same ack again (a resend the server answered twice): storage is told to forget
        // it (another tab may hold it), nothing else changes.
        assert_eq!(apply(&mut s, ack("b", 7)), [Effect::Forget(cmid("b"))]);
        assert_eq!(seqs(&s), [7]);
        assert_eq!(cmids(&s), ["a"]);
    }

    #[test]
    fn our_message_coming_back_settles_its_entry_before_or_without_the_ack() {
        let mut s = online("t1", vec![pending("a", "hi")]);
        let echo = msg(3, Author::Visitor, Some("a"));
        assert_eq!(
            apply(&mut s, ServerFrame::Msg(echo.clone())),
            [Effect::Forget(cmid("a")), Effect::Outbox, Effect::Messages]
        );
        assert!(s.outbox.is_empty());
        // Its ack after the message: no second bubble.
        assert_eq!(apply(&mut s, ack("a", 3)), [Effect::Forget(cmid("a"))]);
        assert_eq!(s.messages, [echo]);
    }

    #[test]
    fn messages_are_ordered_by_seq_and_a_seq_already_held_is_not_shown_twice() {
        let mut s = online("t1", Vec::new());
        let mut shown = 0;
        for seq in [5, 2, 5, 9, 2, 7] {
            let fx = apply(&mut s, agent(seq));
            shown += fx.iter().filter(|e| **e == Effect::Messages).count();
        }
        assert_eq!(seqs(&s), [2, 5, 7, 9]);
        assert_eq!(shown, 4, "duplicates change nothing the view must redraw");

        // A second copy with other contents does not replace the first.
        let mut other = msg(5, Author::Agent, None);
        other.body = "changed".into();
        assert_eq!(apply(&mut s, ServerFrame::Msg(other)), []);
        assert_eq!(s.messages[1].body, "m5");
    }

    #[test]
    fn an_invalid_entry_is_marked_failed_never_resent_and_can_be_discarded() {
        let mut s = online("t1", vec![pending("a", "bad"), pending("b", "ok")]);
        assert_eq!(
            apply(&mut s, error(ErrorCode::Invalid, Some("a"))),
            [Effect::Fail(cmid("a")), Effect::Outbox]
        );
        assert!(s.outbox[0].failed && !s.outbox[1].failed);
        assert!(!s.stopped);
        assert_eq!(s.status, Status::Online);

        // Not after a reconnect, not on a resend.
        s.closed();
        apply(&mut s, welcome("t1", 0));
        assert_eq!(
            apply(&mut s, synced(0)),
            [sent(&pending("b", "ok")), Effect::OpenBox]
        );
        assert_eq!(s.resend_due(), [sent(&pending("b", "ok"))]);

        assert_eq!(
            s.discard(&cmid("a")),
            [Effect::Forget(cmid("a")), Effect::Outbox]
        );
        assert_eq!(cmids(&s), ["b"]);
    }

    #[test]
    fn rate_limited_and_internal_schedule_one_resend_at_a_time_with_backoff() {
        let mut s = online("t1", vec![pending("a", "hi")]);
        let a = || sent(&pending("a", "hi"));
        assert_eq!(
            apply(&mut s, error(ErrorCode::RateLimited, Some("a"))),
            [Effect::Resend(1000)]
        );
        // A second error while the resend is pending waits for it.
        assert_eq!(apply(&mut s, error(ErrorCode::Internal, None)), []);
        assert_eq!(s.resend_due(), [a()]);
        assert_eq!(cmids(&s), ["a"], "a resend keeps the entry until its ack");

        let mut delays = Vec::new();
        for _ in 0..6 {
            match &apply(&mut s, error(ErrorCode::Internal, Some("a")))[..] {
                [Effect::Resend(ms)] => delays.push(*ms),
                other => panic!("{other:?}"),
            }
            assert_eq!(s.resend_due(), [a()]);
        }
        assert_eq!(delays, [2000, 4000, 8000, 15_000, 15_000, 15_000]);

        // An ack means the server is fine again: the backoff starts over.
        apply(&mut s, ack("a", 1));
        assert_eq!(
            apply(&mut s, error(ErrorCode::RateLimited, None)),
            [Effect::Resend(1000)]
        );
        // Due while disconnected: nothing goes out (the next `synced` sends), and the backoff
        // goes on.
        s.send(pending("c", "later"));
        s.closed();
        assert_eq!(s.resend_due(), []);
        assert!(!s.resending);
        assert_eq!(
            apply(&mut s, error(ErrorCode::RateLimited, None)),
            [Effect::Resend(2000)]
        );
    }

    #[test]
    fn the_outbox_waits_for_synced_and_a_retry_after_a_reconnect_keeps_the_cmids() {
        let mut s = ChatState::new(Vec::new(), Some("t1".into()));
        let (a, b, c) = (pending("a", "1"), pending("b", "2"), pending("c", "3"));
        // Written while connecting: stored, not sent.
        assert_eq!(
            s.send(a.clone()),
            [Effect::Store(a.clone()), Effect::Outbox]
        );
        apply(&mut s, welcome("t1", 0));
        assert_eq!(apply(&mut s, synced(0)), [sent(&a), Effect::OpenBox]);
        // Written while synced: stored, then sent.
        assert_eq!(
            s.send(b.clone()),
            [Effect::Store(b.clone()), sent(&b), Effect::Outbox]
        );
        // No ack came; the socket drops; one more is written meanwhile.
        s.closed();
        assert_eq!(
            s.send(c.clone()),
            [Effect::Store(c.clone()), Effect::Outbox]
        );
        assert_eq!(s.reconnecting(false), Some(0));
        assert_eq!(s.status, Status::Offline);
        // Back: every entry again, in order, with its own cmid.
        assert_eq!(apply(&mut s, welcome("t1", 0)), [Effect::ShareToken]);
        assert_eq!(
            apply(&mut s, synced(0)),
            [sent(&a), sent(&b), sent(&c), Effect::OpenBox]
        );
        for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
            apply(&mut s, ack(id, i as u64 + 1));
        }
        assert!(s.outbox.is_empty());
        assert_eq!(seqs(&s), [1, 2, 3]);
    }

    #[test]
    fn sign_invalid_stops_for_good() {
        let mut s = online("t1", Vec::new());
        assert_eq!(
            apply(&mut s, error(ErrorCode::SignInvalid, None)),
            [Effect::Stop]
        );
        assert_eq!(s.status, Status::Refused);
        assert!(s.stopped && !s.synced);
        assert_eq!(s.reconnecting(true), None);
        assert_eq!(s.status, Status::Refused);
        assert_eq!(s.send(pending("a", "hi")), []);
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn a_blocked_visitor_stops_for_good_with_the_polite_refusal() {
        let mut s = online("t1", Vec::new());
        assert_eq!(
            apply(&mut s, error(ErrorCode::Blocked, Some("a"))),
            [Effect::Stop]
        );
        assert_eq!(s.status, Status::Blocked);
        assert!(s.status.is_final());
        assert_eq!(s.reconnecting(true), None);
    }

    #[test]
    fn an_unknown_site_or_a_refused_hello_warns_and_stops_a_bad_frame_only_warns() {
        for code in [ErrorCode::BadFrame, ErrorCode::HelloFirst] {
            let mut s = online("t1", Vec::new());
            assert_eq!(
                apply(&mut s, error(code, None)),
                [Effect::Warn("said so".into())]
            );
            assert!(!s.stopped);
            assert_eq!(s.status, Status::Online);
        }
        for code in [ErrorCode::UnknownSite, ErrorCode::Invalid] {
            let mut s = online("t1", Vec::new());
            assert_eq!(
                apply(&mut s, error(code, None)),
                [Effect::Warn("said so".into()), Effect::Stop]
            );
            assert!(s.stopped);
            assert_eq!(s.status, Status::Unavailable);
        }
    }

    #[test]
    fn reconnect_attempts_count_up_say_whether_offline_and_reset_on_synced() {
        let mut s = ChatState::new(Vec::new(), None);
        assert_eq!(s.reconnecting(true), Some(0));
        assert_eq!(s.status, Status::Reconnecting);
        assert_eq!(s.reconnecting(false), Some(1));
        assert_eq!(s.status, Status::Offline);
        assert_eq!(s.reconnecting(true), Some(2));
        apply(&mut s, welcome("t1", 0));
        assert_eq!(s.attempt, 3, "a welcome alone is not a working session yet");
        apply(&mut s, synced(0));
        assert_eq!((s.attempt, s.status), (0, Status::Online));
    }

    #[test]
    fn the_queue_position_shows_unless_nobody_is_available() {
        let mut s = online("t1", Vec::new());
        assert_eq!(apply(&mut s, ServerFrame::Queue { position: 3 }), []);
        assert_eq!(s.queue, 3);
        assert_eq!(
            apply(&mut s, reception(Some("nobody here"), &[])),
            [Effect::Reception]
        );
        assert_eq!(s.queue, 0, "the offline text replaces the position");
        apply(&mut s, ServerFrame::Queue { position: 2 });
        assert_eq!(s.queue, 0);
        // Someone is available again.
        assert_eq!(apply(&mut s, reception(None, &[])), [Effect::Reception]);
        apply(&mut s, ServerFrame::Queue { position: 2 });
        assert_eq!(s.queue, 2);
        apply(&mut s, ServerFrame::Queue { position: 0 });
        assert_eq!(s.queue, 0);
    }

    #[test]
    fn the_lazy_tier_is_needed_only_once_a_reception_has_something_to_show() {
        let mut s = online("t1", Vec::new());
        assert_eq!(apply(&mut s, reception(None, &[])), []);
        assert!(!s.reception);
        assert_eq!(apply(&mut s, agent(1)), [Effect::Messages]);
        assert_eq!(
            apply(&mut s, reception(None, &["price?"])),
            [Effect::Reception]
        );
        // Chips answer the last robot message: the next message either way clears them.
        assert_eq!(
            apply(&mut s, agent(2)),
            [Effect::ClearChips, Effect::Messages]
        );
        let p = pending("a", "hi");
        assert_eq!(
            s.send(p.clone()),
            [
                Effect::Store(p.clone()),
                Effect::ClearChips,
                sent(&p),
                Effect::Outbox
            ]
        );
        // Once shown, an empty reception is passed on too (it clears what is shown).
        assert_eq!(apply(&mut s, reception(None, &[])), [Effect::Reception]);
    }

    #[test]
    fn the_agent_typing_indicator_ends_with_their_message() {
        let mut s = online("t1", Vec::new());
        assert_eq!(
            apply(&mut s, ServerFrame::Typing { typing: true }),
            [Effect::AgentTyping(true)]
        );
        assert!(s.agent_typing);
        apply(&mut s, ServerFrame::Msg(msg(1, Author::Visitor, None)));
        assert!(s.agent_typing, "the visitor's own message does not hide it");
        apply(&mut s, agent(2));
        assert!(!s.agent_typing);
        apply(&mut s, ServerFrame::Typing { typing: true });
        assert_eq!(
            apply(&mut s, ServerFrame::Typing { typing: false }),
            [Effect::AgentTyping(false)]
        );
        assert!(!s.agent_typing);
    }

    #[test]
    fn a_late_host_token_is_adopted_only_while_nothing_here_is_the_visitors() {
        // Only agent messages so far: the host's visitor wins, we reconnect as them.
        let mut s = online("mine", Vec::new());
        apply(&mut s, agent(1));
        s.attempt = 2;
        assert_eq!(
            s.late_token(Some("host".into())),
            [Effect::Messages, Effect::Reconnect]
        );
        assert_eq!(s.token.as_deref(), Some("host"));
        assert!(s.messages.is_empty());
        assert_eq!(s.attempt, 0);

        // The visitor wrote here (sent, or still in the outbox): ours is handed over instead,
        // and the session being up, the host's box is opened now.
        let mut wrote = online("mine", Vec::new());
        apply(&mut wrote, ServerFrame::Msg(msg(1, Author::Visitor, None)));
        let mut pending_here = ChatState::new(vec![pending("a", "hi")], Some("mine".into()));
        for (s, open) in [(&mut wrote, true), (&mut pending_here, false)] {
            let mut want = vec![Effect::ShareToken];
            if open {
                want.push(Effect::OpenBox);
            }
            assert_eq!(s.late_token(Some("host".into())), want);
            assert_eq!(s.token.as_deref(), Some("mine"));
        }
        // The host has none, or the same: nothing to adopt.
        let mut same = ChatState::new(Vec::new(), Some("mine".into()));
        assert_eq!(same.late_token(Some("mine".into())), [Effect::ShareToken]);
        assert_eq!(same.late_token(None), [Effect::ShareToken]);
        assert_eq!(same.token.as_deref(), Some("mine"));
    }

    #[test]
    fn an_opened_box_joins_the_outbox_once_per_cmid_and_goes_out_when_synced() {
        let mut s = ChatState::new(vec![pending("a", "mine")], Some("t1".into()));
        let boxed = vec![pending("a", "boxed copy"), pending("b", "from the box")];
        assert_eq!(s.unboxed(boxed.clone()), [Effect::Outbox]);
        assert_eq!(cmids(&s), ["a", "b"]);
        assert_eq!(s.outbox[0].body, "mine");

        let mut s = online("t1", vec![pending("a", "mine")]);
        assert_eq!(
            s.unboxed(boxed),
            [
                sent(&pending("a", "mine")),
                sent(&pending("b", "from the box")),
                Effect::Outbox
            ]
        );
    }
}
