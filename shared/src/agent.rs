//! The agent protocol of seed 001 on `/ws/agent`: every frame is a JSON object with an
//! `api_key`; every answer is the envelope `{api_key, code, message, status, data}` with
//! `code: 200, status: "Success"` on success and a negative seed code otherwise.
//!
//! Requests are parsed leniently the way the seed's PHP-era clients send them: ids and numbers
//! may arrive as JSON numbers or as strings (`"gid": 12` and `"gid": "12"` mean the same).
//!
//! Our extensions (not in the seed) use new codes in the same style and are listed in
//! [`code`] and [`api`] with an "extension" note.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// `api_key` values.
pub mod api {
    /// Not an api_key: heartbeats carry only `call_type: 0` and are answered with this key.
    pub const HEARTBEAT: i64 = 0;
    /// Login with a console token → `ix`, `admin_list`, `guest_list`, `is_refresh`, `refresh_token`.
    pub const LOGIN: i64 = 31000;
    /// The chat list (same data shape as login).
    pub const CHAT_LIST: i64 = 32000;
    /// Paged history of one visitor: `gid`, `group_id`, `page_index`, `page_size`.
    pub const HISTORY: i64 = 32100;
    /// Mark a visitor's messages read: `gid`, `group_id`.
    pub const MARK_READ: i64 = 32200;
    /// Agent sends to a visitor: `gid`, `msg`, `file_type`.
    pub const SEND: i64 = 32300;
    /// Pushed to agents: a visitor sent a message (`data.gid`, `data.message_info`).
    pub const VISITOR_MESSAGE: i64 = 32399;
    /// Transfer a visitor to another agent: `gid`, `aix`.
    pub const TRANSFER: i64 = 32400;
    /// Pushed to the receiving agent of a transfer.
    pub const TRANSFER_IN: i64 = 32401;
    /// Pushed to the transferring agent when the transfer is done.
    pub const TRANSFER_DONE: i64 = 32402;
    /// Suspend (`status: 1`) or resume (`status: 0`).
    pub const SUSPEND: i64 = 32500;
    /// Online agents.
    pub const ONLINE_AGENTS: i64 = 33000;
    /// Extension: end the chat with visitor `gid` (frees the agent's capacity; the visitor
    /// is served again, by whoever is free, when they next write). Optional `category`,
    /// `summary` and `labels` close the conversation with its summary
    /// (`crate::workbench::Conversation`); a site that requires a summary refuses the end
    /// without one (`code::END_SUMMARY_REQUIRED`). Response data: the system line that
    /// ends it ([`MessageData`]).
    pub const END_CHAT: i64 = 32600;
    /// Extension: the site's rules for a conversation's summary (response data
    /// `crate::workbench::SummaryRules`).
    pub const END_RULES: i64 = 32610;
    /// Extension: the agent is typing to visitor `gid` (`status: 1`) or stopped (`status: 0`).
    pub const TYPING: i64 = 32700;
    /// Extension, pushed to the serving agent: visitor `gid` is typing (`data.status` 1/0).
    pub const VISITOR_TYPING: i64 = 32799;
    /// Extension: visitor `gid`'s stored CRM/routing parameters and browse trace
    /// (response data `crate::visit::VisitInfo`). Any agent of the visitor's site.
    pub const VISIT: i64 = 32800;
    /// Extension: the visitors on the site right now whose pages allow agent invitations
    /// (`invite_flag`): data `Vec<crate::visit::OnSite>`.
    pub const ON_SITE: i64 = 32810;
    /// Extension (push, issue 25): the page of visitor `gid` reported new CRM values
    /// (`zc("config")` again) or another page: data `crate::visit::VisitChanged`. Sent to the
    /// agent serving them, or to the site's agents while they wait (else to nobody).
    pub const VISIT_CHANGED: i64 = 32801;
    /// Extension (push, issue 25): visitor `gid` was blocked and is in nobody's list any more:
    /// data `crate::visit::VisitChanged`. Sent to the agent who served them, or to the site's
    /// agents while they waited.
    pub const VISITOR_BLOCKED: i64 = 32802;
    /// Extension: invite the visitor on site `gid` (an [`crate::visit::OnSite`] `vid`), with
    /// `msg` as the invitation's text (optional).
    pub const INVITE: i64 = 32811;
    /// Extension: one conversation to read (read-only), by conversation `id`, or the one of
    /// visitor `gid` holding message `seq`: response data
    /// `crate::workbench::ConversationData` (its messages and notes). Any agent of the
    /// visitor's site.
    pub const CONVERSATION: i64 = 32830;
    /// Extension (issue 25): the conversations of visitor `gid` and of the site's other
    /// visitors with the same `partnerid`, newest first: response data
    /// `crate::workbench::ConversationList`. Any agent of the visitor's site.
    pub const CONVERSATIONS: i64 = 32831;
    /// Extension: search the site's conversations for `q` (visitor name, `partnerid`, CRM
    /// values, message text, notes, summaries and labels), page `page_index` (from 1) of
    /// `page_size`: response data `crate::workbench::SearchData`.
    pub const SEARCH: i64 = 32900;
    /// Extension: a private note `msg` in visitor `gid`'s conversation, for agents only
    /// (never the visitor, never the push URL): response data `crate::workbench::Note`.
    pub const NOTE: i64 = 32910;
    /// Extension: the notes of visitor `gid`: response data `crate::workbench::NotesData`.
    pub const NOTES: i64 = 32911;
    /// Extension: the canned replies this agent may use — the site's and its own: response
    /// data `Vec<crate::workbench::Canned>` (by shortcut).
    pub const CANNED_LIST: i64 = 32920;
    /// Extension: add one of the agent's own canned replies, `shortcut` and `msg` (the text,
    /// with variables such as `{name}`), or change the text of its reply with that shortcut:
    /// response data `crate::workbench::Canned`.
    pub const CANNED_ADD: i64 = 32921;
    /// Extension: delete the agent's own canned reply `id`.
    pub const CANNED_DELETE: i64 = 32922;
    /// Extension: the site's left messages (`crate::leave`), newest first: `status` 0 open
    /// only, 1 done only, absent all; `page_index` (1 = newest), `page_size` (≤ 100) →
    /// data `crate::leave::LeftList`.
    pub const LEAVE_LIST: i64 = 34000;
    /// Extension: answer left message `id` with `msg`: stored on it (done), and said as the
    /// agent in the visitor's conversation, where they see it on their next visit → data
    /// the `crate::leave::LeftMessage`.
    pub const LEAVE_ANSWER: i64 = 34100;
    /// Extension: mark left message `id` done (`status: 1`) or open again (`status: 0`) →
    /// data the `crate::leave::LeftMessage`.
    pub const LEAVE_DONE: i64 = 34200;
    /// Extension (issue 25, 邀请评价): ask visitor `gid`, whom this agent serves and has
    /// answered, to rate the chat: a system line ([`crate::visitor::RATE_INVITE`]) the
    /// visitor's chat answers with its rating panel → data [`MessageData`] (the line).
    pub const ASK_RATING: i64 = 32620;
    /// Extension (issue 25): this agent's own console language (`locale`: `cn`, `en`, `tw`,
    /// `""` the browser's) and time zone (`tz`: an IANA name, `""` the browser's); absent
    /// fields are kept → data [`Me`].
    pub const PREFS: i64 = 32950;
    /// Extension (issue 25, supervisors and admins): every chat of the site now — served by
    /// anyone or waiting → data [`WatchList`].
    pub const WATCH_LIST: i64 = 32840;
    /// Extension (push, issue 25): a message in any chat of the site, to its supervisors and
    /// admins (their "all chats" view): data [`MessageData`].
    pub const WATCH_MESSAGE: i64 = 32841;
    /// Extension (issue 25, supervisors and admins): take visitor `gid` from whoever serves
    /// them (or out of the queue): they are this agent's from now on; the agent who served
    /// them gets `32402` as after a transfer → data [`TransferData`] (as `32401`).
    pub const TAKE: i64 = 32842;
}

/// `call_type` values (seed 001 "common").
pub mod call_type {
    pub const HEARTBEAT: i64 = 0;
    pub const VISITOR: i64 = 1;
    pub const AGENT: i64 = 3;
}

/// Response codes.
pub mod code {
    pub const OK: i64 = 200;
    /// Log in again (no login yet on this connection, or the token expired/was revoked).
    pub const RELOGIN: i64 = -9999;
    /// 解析token失败: the token is malformed or unknown.
    pub const TOKEN_INVALID: i64 = -31001;
    /// 管理员admin_id不存在: the token's agent no longer exists.
    pub const ADMIN_NOT_FOUND: i64 = -31002;
    /// 管理员被禁止登录或不存在: the agent is disabled.
    pub const ADMIN_FORBIDDEN: i64 = -31003;
    /// 客服组被禁止或不存在: every group of the agent is disabled.
    pub const GROUP_FORBIDDEN: i64 = -31004;
    pub const HISTORY_GID_MISSING: i64 = -32101;
    pub const HISTORY_GROUP_MISSING: i64 = -32102;
    pub const READ_GID_MISSING: i64 = -32201;
    pub const READ_GROUP_MISSING: i64 = -32202;
    pub const SEND_GID_MISSING: i64 = -32301;
    pub const SEND_MSG_MISSING: i64 = -32302;
    pub const TRANSFER_GID_MISSING: i64 = -32403;
    pub const TRANSFER_AIX_MISSING: i64 = -32404;

    /// Extension: the frame is not a JSON object of this protocol.
    pub const BAD_FRAME: i64 = -30001;
    /// Extension: unknown `api_key`.
    pub const UNKNOWN_API: i64 = -30002;
    /// Extension: too many requests on this connection; slow down.
    pub const RATE_LIMITED: i64 = -30003;
    /// Extension: a server-side failure; nothing was changed.
    pub const INTERNAL: i64 = -30005;
    /// Extension: `gid` names no visitor of this agent's site.
    pub const GID_NOT_FOUND: i64 = -32303;
    /// Extension: the visitor is being served by another agent.
    pub const NOT_YOUR_VISITOR: i64 = -32304;
    /// Extension: `msg` too long or `file_type` not 0–6.
    pub const SEND_INVALID: i64 = -32305;
    /// Extension: `32600` without `gid`.
    pub const END_GID_MISSING: i64 = -32601;
    /// Extension: `32700` without `gid`.
    pub const TYPING_GID_MISSING: i64 = -32701;
    /// Extension: `32800` without `gid`.
    pub const VISIT_GID_MISSING: i64 = -32801;
    /// Extension: `32811` names no visitor on the site now (left, or never there).
    pub const INVITE_NOT_ON_SITE: i64 = -32811;
    /// Extension: `32600` without the summary the site requires.
    pub const END_SUMMARY_REQUIRED: i64 = -32602;
    /// Extension: `32600` with a category, summary or label that is too long, or a category
    /// not among the site's.
    pub const END_SUMMARY_INVALID: i64 = -32603;
    /// Extension: `32830` names no conversation this agent may read.
    pub const CONVERSATION_NOT_FOUND: i64 = -32831;
    /// Extension: `32900` without a query, or one longer than 200 characters.
    pub const SEARCH_QUERY_INVALID: i64 = -32901;
    /// Extension: `32910`/`32911` without `gid`.
    pub const NOTE_GID_MISSING: i64 = -32911;
    /// Extension: `32910` with no text, or more than `crate::MAX_BODY_CHARS`.
    pub const NOTE_INVALID: i64 = -32912;
    /// Extension: `32921` with a shortcut or text that is not allowed (the message says why).
    pub const CANNED_INVALID: i64 = -32921;
    /// Extension: `32922` names no canned reply of this agent.
    pub const CANNED_NOT_FOUND: i64 = -32922;
    /// Extension: `34100`/`34200` without `id`.
    pub const LEAVE_ID_MISSING: i64 = -34101;
    /// Extension: `id` names no left message of this agent's site.
    pub const LEAVE_NOT_FOUND: i64 = -34102;
    /// Extension: `34100`'s `msg` is empty, too long or has control characters.
    pub const LEAVE_ANSWER_INVALID: i64 = -34103;
    /// Extension: `aix` names no online agent connection of this site.
    pub const TRANSFER_AIX_OFFLINE: i64 = -32405;
    /// Extension: `aix` is the transferring agent itself.
    pub const TRANSFER_TO_SELF: i64 = -32406;
    /// Extension: the request needs a supervisor's or an admin's role (`32840`, `32842`).
    pub const ROLE_FORBIDDEN: i64 = -31005;
    /// Extension: `32620` before this agent answered the visitor (nothing to rate yet).
    pub const RATING_NOTHING_TO_RATE: i64 = -32621;
    /// Extension: `32950` with a `locale` or `tz` that is not one (the message says which).
    pub const PREFS_INVALID: i64 = -32951;
    /// Extension: `32842` on a visitor this agent already serves.
    pub const TAKE_OWN: i64 = -32843;
}

pub const STATUS_SUCCESS: &str = "Success";
pub const STATUS_FAIL: &str = "Fail";

/// An id or number that clients send either as a JSON number or as a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flex(pub String);

impl Flex {
    /// The value, or `None` when it is empty, `0` or `"0"` — the seed's "not given".
    pub fn non_zero(&self) -> Option<&str> {
        match self.0.trim() {
            "" | "0" => None,
            s => Some(s),
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.0.trim().parse().ok()
    }
}

impl Serialize for Flex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Flex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Flex;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flex, E> {
                Ok(Flex(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Flex, E> {
                Ok(Flex(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Flex, E> {
                Ok(Flex(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Flex, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Flex((v as i64).to_string()))
                } else {
                    Err(E::custom("expected an integer"))
                }
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flex, E> {
                Ok(Flex(if v { "1" } else { "0" }.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Any request frame. Which fields matter depends on `api_key`; missing ones are `None`.
///
/// Build the frames a client sends with the constructors below ([`Request::send`],
/// [`Request::history`], …: one per `api_key`), so each request's shape is written once.
/// Serialized, a request keeps the bytes the console has always sent: fields in alphabetical
/// order (the order of `serde_json`'s map, which the console's frames were built with), the
/// seed's numeric fields (`api_key`, `call_type`, `file_type`, `group_id`, `page_index`,
/// `page_size`, `status`) as JSON numbers when they hold an integer, and ids and texts
/// (`aix`, `gid`, `msg`, `token`) as strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aix: Option<Flex>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub api_key: Option<Flex>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub call_type: Option<Flex>,
    /// Extension: a conversation's category (`32600`), a canned reply's scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub file_type: Option<Flex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<Flex>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub group_id: Option<Flex>,
    /// Extension: the id of a conversation, a note, a canned reply, a block or a left message
    /// the request names.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub id: Option<Flex>,
    /// Extension: a conversation's labels (`32600`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Extension: a console language (`32950`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Message text (or the URL of a media message, or a card's JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msg: Option<Flex>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub page_index: Option<Flex>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub page_size: Option<Flex>,
    /// Extension: a search query (`32900`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Extension: a message's position in its conversation (`32830`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub seq: Option<Flex>,
    /// Extension: a canned reply's shortcut (`32921`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortcut: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "number_if_integer"
    )]
    pub status: Option<Flex>,
    /// Extension: a conversation's summary (`32600`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Extension: a time zone, an IANA name (`32950`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
}

/// A numeric field of [`Request`]: a JSON number when the text is an integer written the way
/// Rust writes it (so it parses back to the same text), else the text as a string.
fn number_if_integer<S: serde::Serializer>(v: &Option<Flex>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(Flex(t)) => match t.parse::<i64>() {
            Ok(n) if n.to_string() == *t => s.serialize_i64(n),
            _ => s.serialize_str(t),
        },
        None => s.serialize_none(),
    }
}

fn num(n: i64) -> Option<Flex> {
    Some(Flex(n.to_string()))
}

fn text(t: &str) -> Option<Flex> {
    Some(Flex(t.to_owned()))
}

/// `group_id` of `32100`/`32200`: the seed requires the field, but the server finds the
/// visitor by `gid` and only echoes it, so clients send `0`.
const NO_GROUP: i64 = 0;

impl Request {
    /// The `api_key`, or [`api::HEARTBEAT`] for a frame that is only `{call_type: 0}`.
    pub fn api_key(&self) -> Option<i64> {
        match (&self.api_key, &self.call_type) {
            (Some(k), _) => k.as_i64(),
            (None, Some(ct)) if ct.as_i64() == Some(call_type::HEARTBEAT) => Some(api::HEARTBEAT),
            _ => None,
        }
    }

    fn key(api_key: i64) -> Request {
        Request {
            api_key: num(api_key),
            ..Request::default()
        }
    }

    fn for_gid(api_key: i64, gid: &str) -> Request {
        Request {
            gid: text(gid),
            ..Request::key(api_key)
        }
    }

    /// The heartbeat `{call_type: 0}` (seed 001 "common", [`call_type::HEARTBEAT`]).
    pub fn heartbeat() -> Request {
        Request {
            call_type: num(call_type::HEARTBEAT),
            ..Request::default()
        }
    }

    /// `31000` ([`api::LOGIN`]): log this connection in as an agent (`call_type: 3`) with the
    /// token of `POST /api/agent/login`.
    pub fn login(token: &str) -> Request {
        Request {
            call_type: num(call_type::AGENT),
            token: Some(token.to_owned()),
            ..Request::key(api::LOGIN)
        }
    }

    /// `32000` ([`api::CHAT_LIST`]): the chat list.
    pub fn chat_list() -> Request {
        Request::key(api::CHAT_LIST)
    }

    /// `32100` ([`api::HISTORY`]): page `page_index` (1 = newest) of visitor `gid`'s
    /// messages, `page_size` a page (`group_id` 0).
    pub fn history(gid: &str, page_index: u32, page_size: u32) -> Request {
        Request {
            group_id: num(NO_GROUP),
            page_index: num(page_index.into()),
            page_size: num(page_size.into()),
            ..Request::for_gid(api::HISTORY, gid)
        }
    }

    /// `32200` ([`api::MARK_READ`]): visitor `gid`'s messages are read (`group_id` 0).
    pub fn mark_read(gid: &str) -> Request {
        Request {
            group_id: num(NO_GROUP),
            ..Request::for_gid(api::MARK_READ, gid)
        }
    }

    /// `32300` ([`api::SEND`]): send `msg` to visitor `gid`; `file_type` is the seed's kind
    /// (0 text, 1 image, 2 voice, 3 product, 4 order, 5 video, 6 file; `u8::from(MsgKind)`):
    /// for media `msg` is the URL, for cards the card's JSON.
    pub fn send(gid: &str, msg: &str, file_type: u8) -> Request {
        Request {
            msg: text(msg),
            file_type: num(file_type.into()),
            ..Request::for_gid(api::SEND, gid)
        }
    }

    /// `32400` ([`api::TRANSFER`]): hand visitor `gid` to the agent connection `aix` (its
    /// [`AdminEntry::ix`]).
    pub fn transfer(gid: &str, aix: &str) -> Request {
        Request {
            aix: text(aix),
            ..Request::for_gid(api::TRANSFER, gid)
        }
    }

    /// `32500` ([`api::SUSPEND`]): suspend (`status: 1`) or resume (`status: 0`).
    pub fn suspend(on: bool) -> Request {
        Request {
            status: num(on.into()),
            ..Request::key(api::SUSPEND)
        }
    }

    /// `33000` ([`api::ONLINE_AGENTS`]): the site's online agents.
    pub fn online_agents() -> Request {
        Request::key(api::ONLINE_AGENTS)
    }

    /// `32600` ([`api::END_CHAT`], extension): end the chat with visitor `gid`.
    pub fn end_chat(gid: &str) -> Request {
        Request::for_gid(api::END_CHAT, gid)
    }

    /// `32600` ([`api::END_CHAT`], extension) with the conversation's summary: `category`
    /// (one of the site's, or any text when it has none), `summary` and `labels`.
    pub fn end_chat_with(gid: &str, s: &crate::workbench::EndSummary) -> Request {
        Request {
            category: Some(s.category.clone()),
            summary: Some(s.summary.clone()),
            labels: Some(s.labels.clone()),
            ..Request::for_gid(api::END_CHAT, gid)
        }
    }

    /// `32610` ([`api::END_RULES`], extension): the site's summary rules.
    pub fn end_rules() -> Request {
        Request::key(api::END_RULES)
    }

    /// `32830` ([`api::CONVERSATION`], extension): conversation `id`.
    pub fn conversation(id: &str) -> Request {
        Request {
            id: text(id),
            ..Request::key(api::CONVERSATION)
        }
    }

    /// `32831` ([`api::CONVERSATIONS`], extension): visitor `gid`'s conversations, and those
    /// of the site's visitors with the same `partnerid`.
    pub fn conversations(gid: &str) -> Request {
        Request::for_gid(api::CONVERSATIONS, gid)
    }

    /// `32830` ([`api::CONVERSATION`], extension): the conversation of visitor `gid` that
    /// holds message `seq`.
    pub fn conversation_at(gid: &str, seq: u64) -> Request {
        Request {
            seq: Some(Flex(seq.to_string())),
            ..Request::for_gid(api::CONVERSATION, gid)
        }
    }

    /// `32900` ([`api::SEARCH`], extension): page `page_index` (from 1) of `page_size` hits
    /// for `q`.
    pub fn search(q: &str, page_index: u32, page_size: u32) -> Request {
        Request {
            q: Some(q.to_owned()),
            page_index: num(page_index.into()),
            page_size: num(page_size.into()),
            ..Request::key(api::SEARCH)
        }
    }

    /// `32910` ([`api::NOTE`], extension): a private note `msg` on visitor `gid`.
    pub fn note(gid: &str, msg: &str) -> Request {
        Request {
            msg: text(msg),
            ..Request::for_gid(api::NOTE, gid)
        }
    }

    /// `32911` ([`api::NOTES`], extension): visitor `gid`'s notes.
    pub fn notes(gid: &str) -> Request {
        Request::for_gid(api::NOTES, gid)
    }

    /// `32920` ([`api::CANNED_LIST`], extension): the canned replies this agent may use.
    pub fn canned_list() -> Request {
        Request::key(api::CANNED_LIST)
    }

    /// `32921` ([`api::CANNED_ADD`], extension): the agent's own canned reply `shortcut` →
    /// `text`.
    pub fn canned_add(shortcut: &str, text: &str) -> Request {
        Request {
            shortcut: Some(shortcut.to_owned()),
            msg: Some(Flex(text.to_owned())),
            ..Request::key(api::CANNED_ADD)
        }
    }

    /// `32922` ([`api::CANNED_DELETE`], extension): delete the agent's own canned reply `id`.
    pub fn canned_delete(id: &str) -> Request {
        Request {
            id: text(id),
            ..Request::key(api::CANNED_DELETE)
        }
    }

    /// `32700` ([`api::TYPING`], extension): typing to visitor `gid` (`status: 1`) or stopped
    /// (`status: 0`).
    pub fn typing(gid: &str, on: bool) -> Request {
        Request {
            status: num(on.into()),
            ..Request::for_gid(api::TYPING, gid)
        }
    }

    /// `32800` ([`api::VISIT`], extension): visitor `gid`'s CRM/routing values and trace.
    pub fn visit(gid: &str) -> Request {
        Request::for_gid(api::VISIT, gid)
    }

    /// `32810` ([`api::ON_SITE`], extension): who is on the site now.
    pub fn on_site() -> Request {
        Request::key(api::ON_SITE)
    }

    /// `32811` ([`api::INVITE`], extension): invite the visitor on site `vid` (an
    /// [`crate::visit::OnSite`] `vid`, sent as `gid`), with `msg` as the invitation's text when
    /// given.
    pub fn invite(vid: &str, msg: Option<&str>) -> Request {
        Request {
            msg: msg.and_then(text),
            ..Request::for_gid(api::INVITE, vid)
        }
    }

    /// `32620` ([`api::ASK_RATING`], extension): ask visitor `gid` to rate the chat.
    pub fn ask_rating(gid: &str) -> Request {
        Request::for_gid(api::ASK_RATING, gid)
    }

    /// `32950` ([`api::PREFS`], extension): this agent's console language and time zone
    /// (`None` keeps one, `""` means the browser's).
    pub fn prefs(locale: Option<&str>, tz: Option<&str>) -> Request {
        Request {
            locale: locale.map(str::to_owned),
            tz: tz.map(str::to_owned),
            ..Request::key(api::PREFS)
        }
    }

    /// `32840` ([`api::WATCH_LIST`], extension): every chat of the site now.
    pub fn watch_list() -> Request {
        Request::key(api::WATCH_LIST)
    }

    /// `32842` ([`api::TAKE`], extension): take visitor `gid`.
    pub fn take(gid: &str) -> Request {
        Request::for_gid(api::TAKE, gid)
    }

    /// `34000` ([`api::LEAVE_LIST`], extension): the site's left messages, `done` `Some(false)`
    /// open only, `Some(true)` done only, `None` all; page `page_index` (1 = newest).
    pub fn leave_list(done: Option<bool>, page_index: u32, page_size: u32) -> Request {
        Request {
            status: done.and_then(|d| num(d.into())),
            page_index: num(page_index.into()),
            page_size: num(page_size.into()),
            ..Request::key(api::LEAVE_LIST)
        }
    }

    /// `34100` ([`api::LEAVE_ANSWER`], extension): answer left message `id` with `msg`.
    pub fn leave_answer(id: i64, msg: &str) -> Request {
        Request {
            id: num(id),
            msg: text(msg),
            ..Request::key(api::LEAVE_ANSWER)
        }
    }

    /// `34200` ([`api::LEAVE_DONE`], extension): left message `id` done, or open again.
    pub fn leave_done(id: i64, done: bool) -> Request {
        Request {
            id: num(id),
            status: num(done.into()),
            ..Request::key(api::LEAVE_DONE)
        }
    }
}

/// The response envelope. `data` is `{}` when there is nothing to say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub api_key: i64,
    pub code: i64,
    pub message: String,
    pub status: String,
    pub data: T,
}

/// An empty `data: {}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

impl<T> Envelope<T> {
    pub fn ok(api_key: i64, data: T) -> Self {
        Envelope {
            api_key,
            code: code::OK,
            message: String::new(),
            status: STATUS_SUCCESS.to_owned(),
            data,
        }
    }
}

impl Envelope<Empty> {
    pub fn error(api_key: i64, code: i64, message: impl Into<String>) -> Self {
        Envelope {
            api_key,
            code,
            message: message.into(),
            status: STATUS_FAIL.to_owned(),
            data: Empty {},
        }
    }
}

/// One agent in `admin_list` or the `33000` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminEntry {
    /// The connection id of this agent (a `32400` `aix` names it).
    pub ix: String,
    pub kf_id: String,
    pub kf_account: String,
    pub kf_nick: String,
    pub kf_headimgurl: String,
    /// 1 online, 2 suspended.
    pub status: u8,
    /// Conversations this agent is serving now.
    pub accepted_case: u32,
}

/// One visitor in `guest_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestEntry {
    pub gid: String,
    pub uname: String,
    pub partnerid: String,
    /// Our extension: `true` when `partnerid` was verified by the site's `sign` check;
    /// `false` when it is only what the page claimed (anyone can claim any id), so agents
    /// must not trust it as an identity.
    #[serde(default)]
    pub partnerid_verified: bool,
    /// `online` while the visitor has the chat open, else `offline`.
    pub state: Presence,
    /// The agent serving this visitor (`kf_id`), empty while the visitor is waiting.
    pub kf_id: String,
    /// Visitor messages the serving agent has not marked read.
    pub unread: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_msg: Option<MessageInfo>,
}

/// One message as agents see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageInfo {
    /// Server id of the message.
    pub id: String,
    pub gid: String,
    /// Position inside the visitor's conversation.
    pub seq: u64,
    pub msg: String,
    pub file_type: u8,
    /// `to_service` (visitor → agent), `to_visiter` (agent → visitor) or `system`,
    /// spelled as seed 000's push.
    pub direction: Direction,
    /// The agent who wrote it, empty for visitor and system messages.
    pub kf_id: String,
    pub kf_nick: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    /// Our extension, not in seed 001: `"robot"` on the site's FAQ robot's messages (which
    /// seed 001's fields show as `to_visiter` with an empty `kf_id` and the robot's name in
    /// `kf_nick`); absent on every other message. Clients that do not know it ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
}

/// Which way a message went: seed 001's `direction`, spelled as seed 000's push spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    /// Visitor → agent.
    #[serde(rename = "to_service")]
    ToService,
    /// Agent (or the site's robot) → visitor.
    #[serde(rename = "to_visiter")]
    ToVisiter,
    /// A line of the system (chat ended, transferred).
    #[serde(rename = "system")]
    System,
}

impl Direction {
    /// The direction of a message by its author: the robot speaks to the visitor like an
    /// agent.
    pub fn of(author: crate::visitor::Author) -> Direction {
        use crate::visitor::Author;
        match author {
            Author::Visitor => Direction::ToService,
            Author::Agent | Author::Robot => Direction::ToVisiter,
            Author::System => Direction::System,
        }
    }
}

/// Whether a visitor has a chat tab open (`guest_list[..].state`; the seed 000 push's
/// `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Offline,
}

impl Presence {
    pub fn of(online: bool) -> Presence {
        if online {
            Presence::Online
        } else {
            Presence::Offline
        }
    }
}

/// [`MessageInfo::sender`] of a robot message.
pub const SENDER_ROBOT: &str = "robot";

/// `data` of `31000` and `32000`. The lists are JSON objects keyed by `ix` and `gid`, as the
/// seed shows them (`{}`); each entry also carries its own key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListData {
    pub ix: String,
    pub admin_list: BTreeMap<String, AdminEntry>,
    pub guest_list: BTreeMap<String, GuestEntry>,
    pub is_refresh: u8,
    pub refresh_token: String,
    /// Extension (issue 25): who is logged in — role, console language and time zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub me: Option<Me>,
}

/// An agent's role on its site (issue 25): an `agent` serves its own chats; a `supervisor`
/// also sees every chat of the site and may write in one (join) or take it; an `admin` also
/// changes the site's settings in the console's admin view.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Sees every chat of the site, may join or take one.
    pub fn supervises(self) -> bool {
        self >= Role::Supervisor
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(s: String) -> Result<Role, String> {
        Role::parse(&s).ok_or_else(|| format!("no role {s:?}: agent, supervisor or admin"))
    }
}

/// The logged-in agent as `31000`/`32000` (in [`ListData::me`]) and `32950` tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub kf_id: String,
    pub kf_account: String,
    pub kf_nick: String,
    pub role: Role,
    /// `cn`, `en`, `tw`, or `""`: the browser's.
    #[serde(default)]
    pub locale: String,
    /// An IANA time zone, or `""`: the browser's.
    #[serde(default)]
    pub tz: String,
}

/// One chat in [`WatchList`]: the visitor as `guest_list` shows them, and who serves them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    #[serde(flatten)]
    pub guest: GuestEntry,
    /// The serving agent's name; `""` while the visitor waits.
    pub kf_nick: String,
}

/// `data` of `32840`: every chat of the site now (served or waiting), the latest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchList {
    pub chats: Vec<Watched>,
}

/// `data` of `32300` responses and `32399` pushes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageData {
    pub gid: String,
    pub message_info: MessageInfo,
}

/// `data` of `32100`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryData {
    pub gid: String,
    pub group_id: String,
    pub page_index: u32,
    pub page_size: u32,
    pub total: u64,
    /// Oldest first within the page; page 1 is the newest page.
    pub list: Vec<MessageInfo>,
}

/// `data` of the `32400` response, and of the `32401` (to the receiving agent) and `32402`
/// (to the transferring agent) pushes: the visitor, the system line the transfer wrote into
/// the conversation, and the most recent messages (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferData {
    pub gid: String,
    /// The system message recorded in the conversation ("发送的信息").
    pub data: MessageInfo,
    pub guest_info: GuestEntry,
    pub recs: Vec<MessageInfo>,
    /// `ix` of the transferring and the receiving connection.
    pub from_ix: String,
    pub to_ix: String,
}

/// The answer of `POST /api/files` (an agent upload, REST beside this protocol): send `url`
/// with `32300` and this `file_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub url: String,
    pub name: String,
    pub mime: String,
    pub size: usize,
    /// The seed 001 `file_type` to send the URL with.
    pub file_type: u8,
}

/// `POST /api/agent/login` (REST beside this protocol): an agent's account and password → the
/// token to log the socket in with ([`Request::login`], `31000`). Errors are HTTP statuses
/// (401 wrong account or password, 403 disabled, 429 too many attempts) with a JSON body
/// `{error, message}`.
pub mod login {
    use std::fmt;

    use serde::{Deserialize, Serialize};

    /// The request body.
    #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LoginRequest {
        pub account: String,
        pub password: String,
    }

    /// Without the password, so a logged request shows none.
    impl fmt::Debug for LoginRequest {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("LoginRequest")
                .field("account", &self.account)
                .finish_non_exhaustive()
        }
    }

    /// The answer (HTTP 200).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct LoginResponse {
        /// The console token: `31000`'s `token`, and `Bearer` for `POST /api/files`.
        pub token: String,
        /// Seconds the token is valid.
        pub expires_in: u64,
        pub kf_id: String,
        pub kf_account: String,
        pub kf_nick: String,
        /// Extension (issue 25): the agent's role.
        #[serde(default)]
        pub role: super::Role,
    }
}

/// `data` of the `32700` response and the `32799` push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingData {
    pub gid: String,
    /// 1 typing, 0 stopped.
    pub status: u8,
}

/// `data` of `32200`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadData {
    pub group_id: String,
    pub gid: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seed_login_request_parses() {
        let r: Request =
            serde_json::from_str(r#"{ "api_key" : 31000, "call_type" :3, "token":"" }"#).unwrap();
        assert_eq!(r.api_key(), Some(api::LOGIN));
        assert_eq!(r.token.as_deref(), Some(""));
    }

    #[test]
    fn numbers_and_strings_are_the_same_id() {
        let a: Request =
            serde_json::from_str(r#"{"api_key":32300,"gid":12,"msg":"hi","file_type":0}"#).unwrap();
        let b: Request =
            serde_json::from_str(r#"{"api_key":"32300","gid":"12","msg":"hi","file_type":"0"}"#)
                .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.gid.unwrap().non_zero(), Some("12"));
        let zero: Request = serde_json::from_str(r#"{"api_key":32100,"gid":0}"#).unwrap();
        assert_eq!(zero.gid.unwrap().non_zero(), None);
    }

    #[test]
    fn heartbeat_is_call_type_zero() {
        let r: Request = serde_json::from_str(r#"{"call_type":0}"#).unwrap();
        assert_eq!(r.api_key(), Some(api::HEARTBEAT));
        let r: Request = serde_json::from_str(r#"{"call_type":3}"#).unwrap();
        assert_eq!(r.api_key(), None);
    }

    #[test]
    fn envelope_shape_matches_seed() {
        let v = serde_json::to_value(Envelope::error(31000, code::TOKEN_INVALID, "bad")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"api_key":31000,"code":-31001,"message":"bad","status":"Fail","data":{}})
        );
        let v = serde_json::to_value(Envelope::ok(32500, Empty {})).unwrap();
        assert_eq!(v["code"], 200);
        assert_eq!(v["status"], "Success");
    }

    /// Every constructor against the `json!` the console built the same frame with before it
    /// used them: the same bytes (serde_json's map orders keys alphabetically).
    #[test]
    fn constructors_send_what_the_console_sent() {
        use serde_json::json;
        let (gid, aix, token) = ("12", "7", "tok.en");
        let cases = [
            (Request::heartbeat(), json!({"call_type": 0})),
            (
                Request::login(token),
                json!({"api_key": api::LOGIN, "call_type": 3, "token": token}),
            ),
            (Request::chat_list(), json!({"api_key": api::CHAT_LIST})),
            (
                Request::history(gid, 2, 20),
                json!({"api_key": api::HISTORY, "gid": gid, "group_id": 0,
                    "page_index": 2u32, "page_size": 20u32}),
            ),
            (
                Request::mark_read(gid),
                json!({"api_key": api::MARK_READ, "gid": gid, "group_id": 0}),
            ),
            (
                Request::send(gid, "hi \"there\"", 0),
                json!({"api_key": api::SEND, "gid": gid, "msg": "hi \"there\"", "file_type": 0}),
            ),
            (
                Request::send(gid, "https://x.test/a.png", 1),
                json!({"api_key": api::SEND, "gid": gid, "msg": "https://x.test/a.png",
                    "file_type": 1u8}),
            ),
            (
                Request::transfer(gid, aix),
                json!({"api_key": api::TRANSFER, "gid": gid, "aix": aix}),
            ),
            (
                Request::suspend(true),
                json!({"api_key": api::SUSPEND, "status": 1}),
            ),
            (
                Request::suspend(false),
                json!({"api_key": api::SUSPEND, "status": 0}),
            ),
            (
                Request::online_agents(),
                json!({"api_key": api::ONLINE_AGENTS}),
            ),
            (
                Request::end_chat(gid),
                json!({"api_key": api::END_CHAT, "gid": gid}),
            ),
            (
                Request::typing(gid, true),
                json!({"api_key": api::TYPING, "gid": gid, "status": 1}),
            ),
            (
                Request::typing(gid, false),
                json!({"api_key": api::TYPING, "gid": gid, "status": 0}),
            ),
            (
                Request::visit(gid),
                json!({"api_key": api::VISIT, "gid": gid}),
            ),
            (Request::on_site(), json!({"api_key": api::ON_SITE})),
            (
                Request::invite("v-1", None),
                json!({"api_key": api::INVITE, "gid": "v-1"}),
            ),
        ];
        for (req, old) in cases {
            assert_eq!(serde_json::to_string(&req).unwrap(), old.to_string());
        }
        // Spelled out once, so a change of serde_json's key order would show here too.
        assert_eq!(
            serde_json::to_string(&Request::send("12", "hi", 0)).unwrap(),
            r#"{"api_key":32300,"file_type":0,"gid":"12","msg":"hi"}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::transfer("12", "7")).unwrap(),
            r#"{"aix":"7","api_key":32400,"gid":"12"}"#
        );
        assert_eq!(
            serde_json::to_string(&Request::invite("v-1", Some("Hello"))).unwrap(),
            r#"{"api_key":32811,"gid":"v-1","msg":"Hello"}"#
        );
    }

    #[test]
    fn constructors_are_what_the_server_reads() {
        let parse = |r: &Request| -> Request {
            serde_json::from_str(&serde_json::to_string(r).unwrap()).unwrap()
        };
        let r = parse(&Request::history("12", 3, 20));
        assert_eq!(r.api_key(), Some(api::HISTORY));
        assert_eq!(r.gid.as_ref().and_then(Flex::non_zero), Some("12"));
        assert_eq!(r.group_id.as_ref().map(|g| g.0.as_str()), Some("0"));
        assert_eq!(r.page_index.as_ref().and_then(Flex::as_i64), Some(3));
        assert_eq!(r.page_size.as_ref().and_then(Flex::as_i64), Some(20));
        assert_eq!(parse(&Request::heartbeat()).api_key(), Some(api::HEARTBEAT));
        let login = parse(&Request::login("t"));
        assert_eq!(login.api_key(), Some(api::LOGIN));
        assert_eq!(
            login.call_type.as_ref().and_then(Flex::as_i64),
            Some(call_type::AGENT)
        );
        assert_eq!(login.token.as_deref(), Some("t"));
        let s = parse(&Request::suspend(true));
        assert_eq!(s.status.as_ref().and_then(Flex::as_i64), Some(1));
        let t = parse(&Request::transfer("12", "7"));
        assert_eq!(t.aix.as_ref().and_then(Flex::non_zero), Some("7"));
    }

    #[test]
    fn numeric_fields_are_numbers_only_for_integers_as_written() {
        let with_status = |s: &str| {
            serde_json::to_string(&Request {
                status: Some(Flex(s.into())),
                ..Request::default()
            })
            .unwrap()
        };
        assert_eq!(with_status("1"), r#"{"status":1}"#);
        assert_eq!(with_status("-32"), r#"{"status":-32}"#);
        for text in [
            "007",
            "+1",
            "-0",
            " 1",
            "1.0",
            "",
            "x",
            "99999999999999999999",
        ] {
            assert_eq!(
                with_status(text),
                format!("{{\"status\":{}}}", serde_json::to_string(text).unwrap())
            );
        }
        // Ids and texts stay strings whatever they hold.
        assert_eq!(
            serde_json::to_string(&Request::send("1", "2", 0)).unwrap(),
            r#"{"api_key":32300,"file_type":0,"gid":"1","msg":"2"}"#
        );
    }

    #[test]
    fn login_bodies_are_what_the_console_and_server_sent() {
        use login::{LoginRequest, LoginResponse};
        let req = LoginRequest {
            account: "alice@example.com".into(),
            password: "p\"w".into(),
        };
        let old = serde_json::json!({"account": "alice@example.com", "password": "p\"w"});
        assert_eq!(serde_json::to_string(&req).unwrap(), old.to_string());
        assert!(
            !format!("{req:?}").contains("p\"w"),
            "Debug shows no password"
        );
        let answer = r#"{"token":"abc","expires_in":86400,"kf_id":"3","kf_account":"alice@example.com","kf_nick":"Alice"}"#;
        let resp: LoginResponse = serde_json::from_str(answer).unwrap();
        assert_eq!((resp.token.as_str(), resp.role), ("abc", Role::Agent));
        // The answer as before, and the role after it.
        let now = serde_json::to_string(&resp).unwrap();
        assert_eq!(
            now,
            answer.replace(r#""Alice"}"#, r#""Alice","role":"agent"}"#)
        );
    }

    fn arb_flex() -> impl Strategy<Value = Option<Flex>> {
        proptest::option::of(
            prop_oneof![
                ".*",
                any::<i64>().prop_map(|n| n.to_string()),
                "[0-9+-]{0,4}"
            ]
            .prop_map(Flex),
        )
    }

    fn arb_info() -> impl Strategy<Value = MessageInfo> {
        (
            "[0-9]{1,8}",
            "[0-9]{1,8}",
            any::<u64>(),
            ".*",
            0u8..7,
            prop_oneof![
                Just(Direction::ToService),
                Just(Direction::ToVisiter),
                Just(Direction::System)
            ],
            ".*",
            any::<i64>(),
            any::<bool>(),
        )
            .prop_map(
                |(id, gid, seq, msg, file_type, dir, nick, ts, robot)| MessageInfo {
                    id,
                    gid,
                    seq,
                    msg,
                    file_type,
                    direction: dir,
                    kf_id: String::new(),
                    kf_nick: nick,
                    timestamp: ts / 1000,
                    ts,
                    sender: robot.then(|| SENDER_ROBOT.to_owned()),
                },
            )
    }

    #[test]
    fn direction_and_presence_are_spelled_as_the_seeds_spell_them() {
        use crate::visitor::Author;
        for (author, wire) in [
            (Author::Visitor, "\"to_service\""),
            (Author::Agent, "\"to_visiter\""),
            (Author::Robot, "\"to_visiter\""),
            (Author::System, "\"system\""),
        ] {
            let d = Direction::of(author);
            assert_eq!(serde_json::to_string(&d).unwrap(), wire);
            assert_eq!(serde_json::from_str::<Direction>(wire).unwrap(), d);
        }
        assert_eq!(
            serde_json::to_string(&Presence::of(true)).unwrap(),
            "\"online\""
        );
        assert_eq!(
            serde_json::to_string(&Presence::of(false)).unwrap(),
            "\"offline\""
        );
        assert!(serde_json::from_str::<Direction>("\"sideways\"").is_err());
    }

    #[test]
    fn robot_sender_is_an_optional_extension() {
        // A seed 001 message without the extension still parses (and gets none) …
        let seed = r#"{"id":"1","gid":"9","seq":1,"msg":"hi","file_type":0,"direction":"to_visiter","kf_id":"","kf_nick":"小智","timestamp":1,"ts":1000}"#;
        let m: MessageInfo = serde_json::from_str(seed).unwrap();
        assert_eq!(m.sender, None);
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            seed,
            "absent stays absent"
        );
        // … and a client that reads only seed 001's fields reads ours unchanged.
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct SeedOnly {
            direction: String,
            kf_id: String,
            kf_nick: String,
        }
        let ours = MessageInfo {
            sender: Some(SENDER_ROBOT.into()),
            ..m
        };
        let wire = serde_json::to_string(&ours).unwrap();
        assert!(wire.ends_with(r#","sender":"robot"}"#), "{wire}");
        let old: SeedOnly = serde_json::from_str(&wire).unwrap();
        assert_eq!(
            (old.direction.as_str(), old.kf_nick.as_str()),
            ("to_visiter", "小智")
        );
    }

    proptest! {
        #[test]
        fn requests_round_trip(
            (a, b, c, d, e) in (arb_flex(), arb_flex(), arb_flex(), arb_flex(), arb_flex()),
            (f, g, h, i) in (arb_flex(), arb_flex(), arb_flex(), arb_flex()),
            (status, token) in (arb_flex(), proptest::option::of(".*")),
            (id, seq, q, shortcut) in (arb_flex(), arb_flex(), proptest::option::of(".*"), proptest::option::of(".*")),
            (category, summary, labels) in (proptest::option::of(".*"), proptest::option::of(".*"),
                proptest::option::of(proptest::collection::vec(".*", 0..3))),
            (locale, tz) in (proptest::option::of(".*"), proptest::option::of(".*")),
        ) {
            let r = Request { api_key: a, call_type: b, token, gid: c, group_id: d, page_index: e,
                page_size: f, msg: g, file_type: h, aix: i, status, id, seq, q, shortcut, category,
                summary, labels, locale, tz };
            let json = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
        }

        #[test]
        fn constructed_requests_round_trip(
            gid in ".*", text in ".*", n in any::<u32>(), m in any::<u32>(), kind in 0u8..7, on in any::<bool>(),
            invite_text in proptest::option::of(".*"),
        ) {
            let all = [
                Request::heartbeat(), Request::login(&text), Request::chat_list(),
                Request::history(&gid, n, m), Request::mark_read(&gid), Request::send(&gid, &text, kind),
                Request::transfer(&gid, &text), Request::suspend(on), Request::online_agents(),
                Request::end_chat(&gid), Request::typing(&gid, on), Request::visit(&gid),
                Request::on_site(), Request::invite(&gid, invite_text.as_deref()),
                Request::end_chat_with(&gid, &crate::workbench::EndSummary { category: text.clone(),
                    summary: gid.clone(), labels: vec![text.clone()] }),
                Request::end_rules(), Request::conversation(&gid), Request::conversation_at(&gid, n.into()),
                Request::search(&text, n, m), Request::note(&gid, &text), Request::notes(&gid),
                Request::canned_list(), Request::canned_add(&gid, &text), Request::canned_delete(&gid),
                Request::conversations(&gid),
                Request::leave_list(Some(on), n, m), Request::leave_list(None, n, m),
                Request::leave_answer(i64::from(n), &text), Request::leave_done(i64::from(m), on),
                Request::ask_rating(&gid), Request::prefs(Some(&text), invite_text.as_deref()),
                Request::prefs(None, Some(&gid)), Request::watch_list(), Request::take(&gid),
            ];
            for r in all {
                let json = serde_json::to_string(&r).unwrap();
                prop_assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
            }
            // The bytes of the console's old `json!` frames, whatever the values.
            use serde_json::json;
            let same = [
                (Request::send(&gid, &text, kind), json!({"api_key": api::SEND, "gid": gid, "msg": text, "file_type": kind})),
                (Request::history(&gid, n, m), json!({"api_key": api::HISTORY, "gid": gid, "group_id": 0, "page_index": n, "page_size": m})),
                (Request::transfer(&gid, &text), json!({"api_key": api::TRANSFER, "gid": gid, "aix": text})),
                (Request::typing(&gid, on), json!({"api_key": api::TYPING, "gid": gid, "status": u8::from(on)})),
                (Request::login(&text), json!({"api_key": api::LOGIN, "call_type": 3, "token": text})),
            ];
            for (r, old) in same {
                prop_assert_eq!(serde_json::to_string(&r).unwrap(), old.to_string());
            }
        }

        #[test]
        fn login_round_trips(account in ".*", password in ".*", token in ".*", expires_in in any::<u64>(), nick in ".*",
            role in proptest::sample::select(Role::ALL.to_vec())) {
            let req = login::LoginRequest { account: account.clone(), password };
            let json = serde_json::to_string(&req).unwrap();
            prop_assert_eq!(serde_json::from_str::<login::LoginRequest>(&json).unwrap(), req);
            let resp = login::LoginResponse { token, expires_in, kf_id: "1".into(), kf_account: account, kf_nick: nick, role };
            let json = serde_json::to_string(&resp).unwrap();
            prop_assert_eq!(serde_json::from_str::<login::LoginResponse>(&json).unwrap(), resp);
        }

        #[test]
        fn message_data_round_trips(info in arb_info()) {
            let e = Envelope::ok(api::VISITOR_MESSAGE, MessageData { gid: info.gid.clone(), message_info: info });
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<Envelope<MessageData>>(&json).unwrap(), e);
        }

        #[test]
        fn list_data_round_trips(info in proptest::option::of(arb_info()), nick in ".*", unread in any::<u32>()) {
            let mut admin_list = BTreeMap::new();
            admin_list.insert("7".to_owned(), AdminEntry { ix: "7".into(), kf_id: "1001".into(),
                kf_account: "a@b".into(), kf_nick: nick.clone(), kf_headimgurl: String::new(), status: 1, accepted_case: 2 });
            let mut guest_list = BTreeMap::new();
            guest_list.insert("9".to_owned(), GuestEntry { gid: "9".into(), uname: nick, partnerid: String::new(), partnerid_verified: false,
                state: Presence::Online, kf_id: "1001".into(), unread, last_msg: info });
            let e = Envelope::ok(api::LOGIN, ListData { ix: "7".into(), admin_list, guest_list, is_refresh: 0, refresh_token: String::new(), me: None });
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<Envelope<ListData>>(&json).unwrap(), e);
        }

        #[test]
        fn transfer_round_trips(info in arb_info(), recs in proptest::collection::vec(arb_info(), 0..3), nick in ".*") {
            let guest_info = GuestEntry { gid: info.gid.clone(), uname: nick, partnerid: String::new(), partnerid_verified: false,
                state: Presence::Offline, kf_id: "1002".into(), unread: 0, last_msg: Some(info.clone()) };
            let e = Envelope::ok(api::TRANSFER_IN, TransferData { gid: info.gid.clone(), data: info,
                guest_info, recs, from_ix: "1".into(), to_ix: "2".into() });
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<Envelope<TransferData>>(&json).unwrap(), e);
        }

        #[test]
        fn history_round_trips(list in proptest::collection::vec(arb_info(), 0..4), total in any::<u64>()) {
            let e = Envelope::ok(api::HISTORY, HistoryData { gid: "1".into(), group_id: "0".into(), page_index: 1, page_size: 10, total, list });
            let json = serde_json::to_string(&e).unwrap();
            prop_assert_eq!(serde_json::from_str::<Envelope<HistoryData>>(&json).unwrap(), e);
        }
    }
}
