//! The visitor protocol on `/ws/visitor` (SPEC §6): JSON text frames, one object each,
//! tagged by `"type"`.
//!
//! A session goes: the client sends [`ClientFrame::Hello`] with the last [`Seq`] it holds;
//! the server answers [`ServerFrame::Welcome`], replays every message after that sequence as
//! [`ServerFrame::Msg`], then [`ServerFrame::Synced`]. Each [`ClientFrame::Send`] carries a
//! [`ClientMsgId`]; the server stores it once, assigns the next sequence and sends
//! [`ServerFrame::Ack`] only after the row is durably committed. Sending the same id again
//! returns the original ack. New messages from either side arrive live as `Msg` (also the
//! visitor's own, so every open tab shows them); clients de-duplicate by `seq`.

use serde::{Deserialize, Serialize};

use crate::ids::{ClientMsgId, Seq, Sysnum};

/// Message kinds, numbered as seed 001's `file_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum MsgKind {
    Text = 0,
    Image = 1,
    Voice = 2,
    Product = 3,
    Order = 4,
    Video = 5,
    File = 6,
}

impl MsgKind {
    pub const ALL: [MsgKind; 7] = [
        MsgKind::Text,
        MsgKind::Image,
        MsgKind::Voice,
        MsgKind::Product,
        MsgKind::Order,
        MsgKind::Video,
        MsgKind::File,
    ];
}

impl TryFrom<u8> for MsgKind {
    type Error = &'static str;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        MsgKind::ALL
            .get(v as usize)
            .copied()
            .ok_or("file_type must be 0-6")
    }
}

impl From<MsgKind> for u8 {
    fn from(k: MsgKind) -> u8 {
        k as u8
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Visitor,
    Agent,
    System,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
            Author::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "visitor" => Some(Author::Visitor),
            "agent" => Some(Author::Agent),
            "system" => Some(Author::System),
            _ => None,
        }
    }
}

/// What the visitor tells about themself when a session starts. Everything here is
/// visitor-supplied: it is stored and shown as text, never trusted for identity unless
/// `sign` verifies (then `partnerid` names the visitor across devices).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub sysnum: Sysnum,
    /// The server-minted visitor token this browser holds, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partnerid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uname: Option<String>,
    /// seed 003 `source`: 0 desktop, 1 WeChat, 4 mobile web, 10 mini-program, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The highest sequence the client already shows; the server replays what follows.
    #[serde(default)]
    pub last_seq: Seq,
    /// seed 003 `groupid`: route this visitor inside that skill group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupid: Option<String>,
}

impl Default for Sysnum {
    fn default() -> Self {
        Sysnum::parse("00000000000000000000000000000000").expect("valid literal")
    }
}

/// A message the visitor sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Send {
    pub cmid: ClientMsgId,
    pub kind: MsgKind,
    pub body: String,
}

/// Frames from the visitor's browser to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Hello(Hello),
    Send(Send),
    Ping,
    /// The visitor is typing (`true`, repeated at most every few seconds while they type) or
    /// stopped (`false`). Shown to the serving agent as `32799`.
    Typing {
        typing: bool,
    },
}

/// One stored message as the visitor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub seq: Seq,
    pub from: Author,
    pub kind: MsgKind,
    pub body: String,
    /// Milliseconds since the Unix epoch, server clock.
    pub ts: i64,
    /// The client id, on the visitor's own messages (lets the sender match its outbox).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmid: Option<ClientMsgId>,
    /// The agent's display name, on agent messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
}

/// Machine-readable reasons in [`ServerFrame::Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not a frame this protocol knows. The connection stays usable.
    BadFrame,
    /// Anything but `hello` before the session started, or a second `hello`.
    HelloFirst,
    /// No site has this `sysnum`.
    UnknownSite,
    /// The site requires the security check and `partnerid`/`sign` are missing or wrong.
    /// The connection is closed after this frame.
    SignInvalid,
    /// A field is out of range (body empty or too long, partnerid too long, …).
    Invalid,
    /// Too many messages too fast; retry later with the same `cmid`.
    RateLimited,
    /// A server-side failure; nothing was stored, retry with the same `cmid`.
    Internal,
}

/// Frames from the server to the visitor's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The session started. Keep `token` (it names this visitor from now on).
    Welcome {
        token: String,
        /// The visitor id agents see as `gid`.
        visitor_id: String,
        /// The conversation's latest sequence at the time of the hello.
        last_seq: Seq,
    },
    /// The replay after `hello` is complete: everything up to `last_seq` has been sent.
    Synced {
        last_seq: Seq,
    },
    /// `cmid` is durably stored as `seq`.
    Ack {
        cmid: ClientMsgId,
        seq: Seq,
        ts: i64,
    },
    Msg(ChatMessage),
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cmid: Option<ClientMsgId>,
    },
    Pong,
    /// Every agent who could serve this visitor is busy: the visitor waits at `position`
    /// (1 = next). `position: 0` means an agent serves the visitor now.
    Queue {
        position: u32,
    },
    /// The serving agent is typing (`true`) or stopped (`false`). Clients hide the indicator
    /// on `false`, on the agent's next message, or after a few seconds without a repeat.
    Typing {
        typing: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_cmid() -> impl Strategy<Value = ClientMsgId> {
        "[A-Za-z0-9_-]{1,64}".prop_map(|s| ClientMsgId::parse(&s).unwrap())
    }
    fn arb_kind() -> impl Strategy<Value = MsgKind> {
        (0u8..7).prop_map(|k| MsgKind::try_from(k).unwrap())
    }
    fn arb_author() -> impl Strategy<Value = Author> {
        prop_oneof![
            Just(Author::Visitor),
            Just(Author::Agent),
            Just(Author::System)
        ]
    }
    fn arb_code() -> impl Strategy<Value = ErrorCode> {
        prop_oneof![
            Just(ErrorCode::BadFrame),
            Just(ErrorCode::HelloFirst),
            Just(ErrorCode::UnknownSite),
            Just(ErrorCode::SignInvalid),
            Just(ErrorCode::Invalid),
            Just(ErrorCode::RateLimited),
            Just(ErrorCode::Internal),
        ]
    }

    fn arb_client() -> impl Strategy<Value = ClientFrame> {
        prop_oneof![
            (
                "[0-9a-f]{32}",
                proptest::option::of(".*"),
                proptest::option::of(".*"),
                proptest::option::of(".*"),
                proptest::option::of(".*"),
                proptest::option::of("[0-9]{1,2}"),
                any::<u64>()
            )
                .prop_map(|(s, token, partnerid, sign, uname, source, seq)| {
                    ClientFrame::Hello(Hello {
                        sysnum: Sysnum::parse(&s).unwrap(),
                        token,
                        partnerid,
                        sign,
                        uname,
                        source,
                        last_seq: Seq(seq),
                        groupid: None,
                    })
                }),
            (arb_cmid(), arb_kind(), ".*").prop_map(|(cmid, kind, body)| ClientFrame::Send(Send {
                cmid,
                kind,
                body
            })),
            Just(ClientFrame::Ping),
            any::<bool>().prop_map(|typing| ClientFrame::Typing { typing }),
        ]
    }

    fn arb_server() -> impl Strategy<Value = ServerFrame> {
        prop_oneof![
            (".*", "[0-9]{1,10}", any::<u64>()).prop_map(|(token, visitor_id, s)| {
                ServerFrame::Welcome {
                    token,
                    visitor_id,
                    last_seq: Seq(s),
                }
            }),
            any::<u64>().prop_map(|s| ServerFrame::Synced { last_seq: Seq(s) }),
            (arb_cmid(), any::<u64>(), any::<i64>()).prop_map(|(cmid, s, ts)| ServerFrame::Ack {
                cmid,
                seq: Seq(s),
                ts
            }),
            (
                any::<u64>(),
                arb_author(),
                arb_kind(),
                ".*",
                any::<i64>(),
                proptest::option::of(arb_cmid()),
                proptest::option::of(".*")
            )
                .prop_map(|(s, from, kind, body, ts, cmid, nick)| {
                    ServerFrame::Msg(ChatMessage {
                        seq: Seq(s),
                        from,
                        kind,
                        body,
                        ts,
                        cmid,
                        nick,
                    })
                }),
            (arb_code(), ".*", proptest::option::of(arb_cmid())).prop_map(
                |(code, message, cmid)| ServerFrame::Error {
                    code,
                    message,
                    cmid
                }
            ),
            Just(ServerFrame::Pong),
            any::<u32>().prop_map(|position| ServerFrame::Queue { position }),
            any::<bool>().prop_map(|typing| ServerFrame::Typing { typing }),
        ]
    }

    proptest! {
        #[test]
        fn client_frames_round_trip(f in arb_client()) {
            let json = serde_json::to_string(&f).unwrap();
            prop_assert_eq!(serde_json::from_str::<ClientFrame>(&json).unwrap(), f);
        }

        #[test]
        fn server_frames_round_trip(f in arb_server()) {
            let json = serde_json::to_string(&f).unwrap();
            prop_assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), f);
        }
    }

    #[test]
    fn wire_shape_is_tagged_snake_case() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"send","cmid":"abc","kind":0,"body":"hi"}"#).unwrap();
        assert_eq!(
            f,
            ClientFrame::Send(Send {
                cmid: ClientMsgId::parse("abc").unwrap(),
                kind: MsgKind::Text,
                body: "hi".into()
            })
        );
        let hello: ClientFrame =
            serde_json::from_str(r#"{"type":"hello","sysnum":"3542411be2184c8cb6b48d66ca1b2730"}"#)
                .unwrap();
        assert!(matches!(hello, ClientFrame::Hello(h) if h.last_seq == Seq(0)));
        assert!(serde_json::from_str::<ClientFrame>(
            r#"{"type":"send","cmid":"a","kind":7,"body":""}"#
        )
        .is_err());
        let ack = serde_json::to_string(&ServerFrame::Ack {
            cmid: ClientMsgId::parse("x").unwrap(),
            seq: Seq(3),
            ts: 5,
        })
        .unwrap();
        assert_eq!(ack, r#"{"type":"ack","cmid":"x","seq":3,"ts":5}"#);
    }
}
