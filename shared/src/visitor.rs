//! The visitor protocol on `/ws/visitor` (SPEC §6): JSON text frames, one object each,
//! tagged by `"type"`.
//!
//! A session goes: the client sends [`ClientFrame::Hello`] with the last [`Seq`] it holds;
//! the server answers [`ServerFrame::Welcome`], replays every message after that sequence as
//! [`ServerFrame::Msg`], then [`ServerFrame::Synced`]. Each [`ClientFrame::Send`] carries a
//! [`ClientMsgId`]; the server stores it once, assigns the next sequence and sends
//! [`ServerFrame::Ack`] only after the row is durably committed. Sending the same id again
//! returns the original ack. New messages from either side arrive live as `Msg` (also the
//! visitor's own, so every open tab shows them), except that the tab which sent a message
//! has it as its `Ack` (with the body it sent) and gets no `Msg` of it when the ack's `seq`
//! is the next one that tab was owed; clients de-duplicate by `seq`.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::ids::{ClientMsgId, Seq, Sysnum};
use crate::reception::{Answerer, Reception, ReceptionFrame};

/// The body of the system line that ends a chat (`32600`, an agent ends it). Agents (seed
/// 001 clients) read it as it is; visitors' pages show it in their locale and offer what
/// follows a chat (seed 003 `msg_flag`, `satDegree_A`) when they see it.
pub const CHAT_ENDED: &str = "会话已结束";

/// The start of the system line that records a transfer (`32400`); the receiving agent's nick
/// follows. Visitors' pages show it in their locale.
pub const TRANSFERRED: &str = "已为您转接客服 ";

/// The body of the system line by which an agent asks the visitor to rate the chat (`32620`,
/// 邀请评价). Visitors' pages show it in their locale and open their rating panel.
pub const RATE_INVITE: &str = "客服邀请您对本次服务进行评价";

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
    /// The site's FAQ robot (reception `type` 1, 3, 4); `nick` is the robot's name.
    Robot,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent => "agent",
            Author::System => "system",
            Author::Robot => "robot",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "visitor" => Some(Author::Visitor),
            "agent" => Some(Author::Agent),
            "system" => Some(Author::System),
            "robot" => Some(Author::Robot),
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
    /// seed 003 `groupid`: route this visitor inside that skill group (its id or external id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groupid: Option<String>,
    /// seed 003's reception keys (`type`, `robotid`, `agentid`, `transfer_action`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception: Option<Box<Reception>>,
    /// The chat page's own query string (`location.search`, as the launcher or a chat link
    /// wrote it): when `reception` is absent the server reads the reception keys from it
    /// ([`Reception::from_query`]). Our addition, so the size-critical chat page need not
    /// parse them itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
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
    /// The visitor asks for a person ("转人工 / Talk to a person") while the robot answers.
    Handover,
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
    /// The site blocked this visitor or their address (issue 25): the chat page shows a polite
    /// refusal and stops; nothing was stored. The connection is closed after this frame.
    Blocked,
}

/// Frames from the server to the visitor's browser.
///
/// `Serialize` is derived (the server's encoder, the wire format); `Deserialize` is written
/// by hand below: it reads the same internally tagged JSON in one pass, without serde's
/// buffered `Content` machinery, which the chat page would otherwise run on every frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The session started. Keep `token` (it names this visitor from now on).
    Welcome {
        token: String,
        /// The visitor id agents see as `gid`; empty while the visitor is pending (an
        /// anonymous visitor is stored, and gets an id, only with their first message).
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
    /// Who receives the visitor now (robot or human), the robot's greeting and suggestions,
    /// the hand-over control, the offline prompt. See [`ReceptionFrame`].
    Reception(ReceptionFrame),
}

/// The `"type"` of a [`ServerFrame`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Welcome,
    Synced,
    Ack,
    Msg,
    Error,
    Pong,
    Queue,
    Typing,
    Reception,
}

const TAGS: &[&str] = &[
    "welcome",
    "synced",
    "ack",
    "msg",
    "error",
    "pong",
    "queue",
    "typing",
    "reception",
];

/// Every key any [`ServerFrame`] variant has (each has one type across variants), plus
/// `type` and everything else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    Token,
    VisitorId,
    LastSeq,
    Cmid,
    Seq,
    Ts,
    From,
    Kind,
    Body,
    Nick,
    Code,
    Message,
    Position,
    Typing,
    Mode,
    Robot,
    Greeting,
    Suggest,
    Manual,
    Offline,
    Other,
}

impl Tag {
    fn parse(s: &str) -> Option<Tag> {
        Some(match s {
            "welcome" => Tag::Welcome,
            "synced" => Tag::Synced,
            "ack" => Tag::Ack,
            "msg" => Tag::Msg,
            "error" => Tag::Error,
            "pong" => Tag::Pong,
            "queue" => Tag::Queue,
            "typing" => Tag::Typing,
            "reception" => Tag::Reception,
            _ => return None,
        })
    }

    /// Whether a frame of this type has the field `k` (others are skipped, as serde does).
    fn has(self, k: Key) -> bool {
        use Key as K;
        match self {
            Tag::Welcome => matches!(k, K::Token | K::VisitorId | K::LastSeq),
            Tag::Synced => k == K::LastSeq,
            Tag::Ack => matches!(k, K::Cmid | K::Seq | K::Ts),
            Tag::Msg => matches!(
                k,
                K::Seq | K::From | K::Kind | K::Body | K::Ts | K::Cmid | K::Nick
            ),
            Tag::Error => matches!(k, K::Code | K::Message | K::Cmid),
            Tag::Pong => false,
            Tag::Queue => k == K::Position,
            Tag::Typing => k == K::Typing,
            Tag::Reception => matches!(
                k,
                K::Mode | K::Robot | K::Greeting | K::Suggest | K::Manual | K::Offline
            ),
        }
    }
}

impl Key {
    fn parse(s: &str) -> Key {
        match s {
            "type" => Key::Type,
            "token" => Key::Token,
            "visitor_id" => Key::VisitorId,
            "last_seq" => Key::LastSeq,
            "cmid" => Key::Cmid,
            "seq" => Key::Seq,
            "ts" => Key::Ts,
            "from" => Key::From,
            "kind" => Key::Kind,
            "body" => Key::Body,
            "nick" => Key::Nick,
            "code" => Key::Code,
            "message" => Key::Message,
            "position" => Key::Position,
            "typing" => Key::Typing,
            "mode" => Key::Mode,
            "robot" => Key::Robot,
            "greeting" => Key::Greeting,
            "suggest" => Key::Suggest,
            "manual" => Key::Manual,
            "offline" => Key::Offline,
            _ => Key::Other,
        }
    }
}

/// Reads an object key or the `type` value as a plain string, borrowed when it can be.
struct Ident<T>(T);

impl<'de> Deserialize<'de> for Ident<Key> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ident<Key>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Ident(Key::parse(v)))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for Ident<Tag> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Ident<Tag>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a frame type")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Tag::parse(v)
                    .map(Ident)
                    .ok_or_else(|| E::unknown_variant(v, TAGS))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Fills `slot` from the next value, refusing a second occurrence of the key. Never inlined:
/// one copy per value type instead of one per key (the chat page's size).
#[inline(never)]
fn put<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

fn need<T, E: de::Error>(v: Option<T>, name: &'static str) -> Result<T, E> {
    v.ok_or_else(|| E::missing_field(name))
}

impl<'de> Deserialize<'de> for ServerFrame {
    /// Accepts what the derived (internally tagged) decoder accepts from an object: `type`
    /// anywhere, unknown keys ignored, optional fields absent or `null`, a repeated key an
    /// error. Keys that only other frame types have are skipped once `type` is known (the
    /// server always writes it first) and type-checked before.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ServerFrame;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a server frame")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServerFrame, A::Error> {
                let mut tag: Option<Tag> = None;
                let (mut token, mut visitor_id, mut body, mut message) = (None, None, None, None);
                let (mut last_seq, mut seq, mut ts) = (None::<Seq>, None::<Seq>, None::<i64>);
                let mut cmid: Option<Option<ClientMsgId>> = None;
                let mut nick: Option<Option<String>> = None;
                let (mut from, mut kind, mut code) = (None, None, None);
                let (mut position, mut typing) = (None::<u32>, None::<bool>);
                let (mut mode, mut manual) = (None::<Answerer>, None::<bool>);
                let (mut robot, mut greeting, mut offline) = (
                    None::<Option<String>>,
                    None::<Option<String>>,
                    None::<Option<String>>,
                );
                let mut suggest = None::<Vec<String>>;
                while let Some(Ident(k)) = map.next_key::<Ident<Key>>()? {
                    if k == Key::Type {
                        if tag.is_some() {
                            return Err(de::Error::duplicate_field("type"));
                        }
                        tag = Some(map.next_value::<Ident<Tag>>()?.0);
                        continue;
                    }
                    if k == Key::Other || tag.is_some_and(|t| !t.has(k)) {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    match k {
                        Key::Token => put(&mut map, &mut token, "token")?,
                        Key::VisitorId => put(&mut map, &mut visitor_id, "visitor_id")?,
                        Key::LastSeq => put(&mut map, &mut last_seq, "last_seq")?,
                        Key::Cmid => put(&mut map, &mut cmid, "cmid")?,
                        Key::Seq => put(&mut map, &mut seq, "seq")?,
                        Key::Ts => put(&mut map, &mut ts, "ts")?,
                        Key::From => put(&mut map, &mut from, "from")?,
                        Key::Kind => put(&mut map, &mut kind, "kind")?,
                        Key::Body => put(&mut map, &mut body, "body")?,
                        Key::Nick => put(&mut map, &mut nick, "nick")?,
                        Key::Code => put(&mut map, &mut code, "code")?,
                        Key::Message => put(&mut map, &mut message, "message")?,
                        Key::Position => put(&mut map, &mut position, "position")?,
                        Key::Typing => put(&mut map, &mut typing, "typing")?,
                        Key::Mode => put(&mut map, &mut mode, "mode")?,
                        Key::Robot => put(&mut map, &mut robot, "robot")?,
                        Key::Greeting => put(&mut map, &mut greeting, "greeting")?,
                        Key::Suggest => put(&mut map, &mut suggest, "suggest")?,
                        Key::Manual => put(&mut map, &mut manual, "manual")?,
                        Key::Offline => put(&mut map, &mut offline, "offline")?,
                        Key::Type | Key::Other => {}
                    }
                }
                Ok(match need(tag, "type")? {
                    Tag::Welcome => ServerFrame::Welcome {
                        token: need(token, "token")?,
                        visitor_id: need(visitor_id, "visitor_id")?,
                        last_seq: need(last_seq, "last_seq")?,
                    },
                    Tag::Synced => ServerFrame::Synced {
                        last_seq: need(last_seq, "last_seq")?,
                    },
                    Tag::Ack => ServerFrame::Ack {
                        cmid: need(cmid.flatten(), "cmid")?,
                        seq: need(seq, "seq")?,
                        ts: need(ts, "ts")?,
                    },
                    Tag::Msg => ServerFrame::Msg(ChatMessage {
                        seq: need(seq, "seq")?,
                        from: need(from, "from")?,
                        kind: need(kind, "kind")?,
                        body: need(body, "body")?,
                        ts: need(ts, "ts")?,
                        cmid: cmid.flatten(),
                        nick: nick.flatten(),
                    }),
                    Tag::Error => ServerFrame::Error {
                        code: need(code, "code")?,
                        message: need(message, "message")?,
                        cmid: cmid.flatten(),
                    },
                    Tag::Pong => ServerFrame::Pong,
                    Tag::Queue => ServerFrame::Queue {
                        position: need(position, "position")?,
                    },
                    Tag::Typing => ServerFrame::Typing {
                        typing: need(typing, "typing")?,
                    },
                    Tag::Reception => ServerFrame::Reception(ReceptionFrame {
                        mode: need(mode, "mode")?,
                        robot: robot.flatten(),
                        greeting: greeting.flatten(),
                        suggest: suggest.unwrap_or_default(),
                        manual: manual.unwrap_or_default(),
                        offline: offline.flatten(),
                    }),
                })
            }
        }
        d.deserialize_map(V)
    }
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
            Just(Author::System),
            Just(Author::Robot)
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
            Just(ErrorCode::Blocked),
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
                any::<u64>(),
                proptest::option::of(("[1-4]", proptest::option::of(".*")))
            )
                .prop_map(|(s, token, partnerid, sign, uname, source, seq, rc)| {
                    ClientFrame::Hello(Hello {
                        sysnum: Sysnum::parse(&s).unwrap(),
                        token,
                        partnerid,
                        sign,
                        uname,
                        source,
                        last_seq: Seq(seq),
                        groupid: None,
                        query: None,
                        reception: rc.map(|(mode, transfer_action)| {
                            Box::new(Reception {
                                mode: Some(mode),
                                transfer_action,
                                ..Reception::default()
                            })
                        }),
                    })
                }),
            (arb_cmid(), arb_kind(), ".*").prop_map(|(cmid, kind, body)| ClientFrame::Send(Send {
                cmid,
                kind,
                body
            })),
            Just(ClientFrame::Ping),
            any::<bool>().prop_map(|typing| ClientFrame::Typing { typing }),
            Just(ClientFrame::Handover),
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
            (
                any::<bool>(),
                proptest::option::of(".*"),
                proptest::option::of(".*"),
                proptest::collection::vec(".*", 0..4),
                any::<bool>(),
                proptest::option::of(".*"),
            )
                .prop_map(|(human, robot, greeting, suggest, manual, offline)| {
                    ServerFrame::Reception(ReceptionFrame {
                        mode: if human {
                            Answerer::Human
                        } else {
                            Answerer::Robot
                        },
                        robot,
                        greeting,
                        suggest,
                        manual,
                        offline,
                    })
                }),
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

    /// The derived decoder the hand-written one replaces: the reference it must agree with.
    #[derive(Debug, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Derived {
        Welcome {
            token: String,
            visitor_id: String,
            last_seq: Seq,
        },
        Synced {
            last_seq: Seq,
        },
        Ack {
            cmid: ClientMsgId,
            seq: Seq,
            ts: i64,
        },
        Msg(ChatMessage),
        Error {
            code: ErrorCode,
            message: String,
            #[serde(default)]
            cmid: Option<ClientMsgId>,
        },
        Pong,
        Queue {
            position: u32,
        },
        Typing {
            typing: bool,
        },
        Reception(ReceptionFrame),
    }

    impl From<Derived> for ServerFrame {
        fn from(d: Derived) -> ServerFrame {
            match d {
                Derived::Welcome {
                    token,
                    visitor_id,
                    last_seq,
                } => ServerFrame::Welcome {
                    token,
                    visitor_id,
                    last_seq,
                },
                Derived::Synced { last_seq } => ServerFrame::Synced { last_seq },
                Derived::Ack { cmid, seq, ts } => ServerFrame::Ack { cmid, seq, ts },
                Derived::Msg(m) => ServerFrame::Msg(m),
                Derived::Error {
                    code,
                    message,
                    cmid,
                } => ServerFrame::Error {
                    code,
                    message,
                    cmid,
                },
                Derived::Pong => ServerFrame::Pong,
                Derived::Queue { position } => ServerFrame::Queue { position },
                Derived::Typing { typing } => ServerFrame::Typing { typing },
                Derived::Reception(r) => ServerFrame::Reception(r),
            }
        }
    }

    /// Both decoders on one text: the same frame, or both refuse it.
    fn agree(json: &str) -> Result<(), TestCaseError> {
        let ours = serde_json::from_str::<ServerFrame>(json).ok();
        let reference = serde_json::from_str::<Derived>(json)
            .ok()
            .map(ServerFrame::from);
        prop_assert_eq!(ours, reference, "{}", json);
        Ok(())
    }

    /// Edits of an encoded frame: drop a key, add an unknown one, put `type` last, set a
    /// value to `null`, repeat a key.
    fn mutate(json: &str, edit: u8, pick: usize) -> String {
        let serde_json::Value::Object(map) = serde_json::from_str(json).unwrap() else {
            unreachable!()
        };
        let mut pairs: Vec<(String, serde_json::Value)> = map.into_iter().collect();
        let i = pick % pairs.len();
        match edit % 5 {
            0 => {
                pairs.remove(i);
            }
            1 => pairs.insert(i, ("zz_extra".into(), serde_json::json!({"a": [1, "x"]}))),
            2 => {
                let t = pairs.iter().position(|(k, _)| k == "type").unwrap();
                let p = pairs.remove(t);
                pairs.push(p);
            }
            3 => pairs[i].1 = serde_json::Value::Null,
            _ => {
                let p = pairs[i].clone();
                pairs.push(p);
            }
        }
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    proptest! {
        #[test]
        fn hand_decoder_reads_what_the_encoder_writes(f in arb_server()) {
            let json = serde_json::to_string(&f).unwrap();
            prop_assert_eq!(serde_json::from_str::<ServerFrame>(&json).unwrap(), f);
            agree(&json)?;
        }

        #[test]
        fn hand_decoder_agrees_with_derived_on_edited_frames(
            f in arb_server(), edit in any::<u8>(), pick in any::<usize>()
        ) {
            let json = serde_json::to_string(&f).unwrap();
            agree(&mutate(&json, edit, pick))?;
        }

        #[test]
        fn hand_decoder_never_panics(s in ".*") {
            let _ = serde_json::from_str::<ServerFrame>(&s);
        }
    }

    #[test]
    fn hand_decoder_edge_cases() {
        for json in [
            r#"{"type":"pong"}"#,
            r#"{"type":"pong","seq":"not a number"}"#,
            r#"{"seq":1,"type":"queue","position":2}"#,
            r#"{"type":"nope"}"#,
            r#"{"type":"ack","type":"ack","cmid":"a","seq":1,"ts":2}"#,
            r#"{"type":"ack","cmid":null,"seq":1,"ts":2}"#,
            r#"{"type":"ack","cmid":"bad id!","seq":1,"ts":2}"#,
            r#"{"type":"synced","last_seq":-1}"#,
            r#"{"type":"synced","last_seq":1.5}"#,
            r#"{"type":"msg","seq":1,"from":"agent","kind":7,"body":"","ts":0}"#,
            r#"{"type":"msg","seq":1,"from":"bot","kind":0,"body":"","ts":0}"#,
            r#"{"type":"msg","seq":1,"from":"agent","kind":0,"body":"\ud83d\ude00","ts":0,"nick":null}"#,
            r#"{"type":"error","code":"invalid","message":"m","cmid":null}"#,
            r#"{"type":"typing"}"#,
            r#"{"type":"reception","mode":"robot"}"#,
            r#"{"type":"reception","mode":"bot"}"#,
            r#"{"type":"reception","mode":"human","manual":null}"#,
            r#"{"type":"reception","mode":"robot","suggest":null,"robot":null}"#,
            r#"{"type":"reception","mode":"robot","suggest":["a",1]}"#,
            r#"{"type":"reception","mode":"robot","suggest":["问"],"manual":true,"offline":"x","greeting":"<b>"}"#,
            r#"[]"#,
            r#""pong""#,
            r#"{}"#,
        ] {
            agree(json).unwrap();
        }
        assert_eq!(
            serde_json::from_str::<ServerFrame>(r#"{"position":3,"type":"queue"}"#).unwrap(),
            ServerFrame::Queue { position: 3 }
        );
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
