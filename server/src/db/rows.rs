//! What a row reads as: every type a query answers with, each mapped from its columns by
//! `#[derive(sqlx::FromRow)]` (fields named as the columns; `rename` where they differ).
//! Owns no table and runs no query.
//!
//! A column that is not stored as the field's Rust type is read through a small column type
//! of this file with `#[sqlx(try_from = …)]`: [`Flag`] (0/1 integer → `bool`), [`SysnumCol`]
//! (refused with [`DbError::Corrupt`](super::DbError::Corrupt) when it does not parse, as
//! before), [`AuthorText`], [`KindCode`], [`CmidText`], [`ModeCode`], [`ManualAfter`],
//! [`Origins`], [`Phrasings`], [`AnswererText`], [`ReceptionJson`], [`Labels`]. The others fall back as
//! the hand-written readers did (an unknown author reads as `system`, an unknown kind as
//! `text`, an invalid `cmid` as none; the schema's CHECKs keep the first two from being
//! stored at all).
//!
//! Column lists that several files select: [`SITE_COLS`], [`AGENT_COLS`], [`VISITOR_COLS`]
//! and [`MSG_SELECT`]; the others live beside their queries.
//!
//! One reader stays hand-written: `native.rs`'s `message_row`, which reads a rusqlite row
//! (SQLite's message path has no sqlx row); it shares [`author_of`], [`cmid_of`] and
//! [`kind_of`] with [`StoredMessage`]'s column types.

use shared::ids::{ClientMsgId, Sysnum};
use shared::reception::{Answerer, Mode};
use shared::visitor::{Author, MsgKind};

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;

use super::reception::ReceptionValues;

pub(super) const SITE_COLS: &str =
    "id, sysnum, name, appid, secret, sign_key, sign_check, page_trust, push_url, push_allow_private, origins, reception, manual_after, offline_title, agent_hello";
pub(super) const AGENT_COLS: &str =
    "id, site_id, account, nick, headimgurl, password_hash, max_chats, disabled, role, locale, tz";
/// A visitor row as [`Visitor`] reads it (`last_seq`: see `last_seq_sql!`).
pub(super) const VISITOR_COLS: &str = concat!(
    "id, site_id, partnerid, claimed_partnerid, uname, source, agent_id, ",
    last_seq_sql!(),
    " AS last_seq, agent_read_seq, waiting_since, group_id, route, priority"
);
pub(super) const MSG_SELECT: &str = concat!(
    "SELECT ",
    msg_cols!(),
    " FROM messages m LEFT JOIN agents a ON a.id = m.agent_id"
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Site {
    pub id: i64,
    #[sqlx(try_from = "SysnumCol")]
    pub sysnum: Sysnum,
    pub name: String,
    pub appid: String,
    pub secret: String,
    pub sign_key: String,
    pub sign_check: String,
    /// `auto`, `on` or `off` (`admin site set --page-trust`): see `visitor/start.rs`.
    pub page_trust: String,
    pub push_url: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub push_allow_private: bool,
    #[sqlx(try_from = "Origins")]
    pub origins: Vec<String>,
    /// Reception settings (`admin site set --reception …`), read with the row.
    #[sqlx(flatten)]
    pub reception: SiteReception,
}

/// The site's reception settings (`admin site set --reception 1-4 --manual-after N
/// --offline-title T --agent-hello T`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteReception {
    /// The mode for pages that do not say (`type`); default human only (2).
    #[sqlx(rename = "reception", try_from = "ModeCode")]
    pub mode: Mode,
    /// Robot answers that miss before `show_manual` shows the hand-over control; default 1.
    #[sqlx(try_from = "ManualAfter")]
    pub manual_after: u32,
    pub offline_title: Option<String>,
    pub agent_hello: Option<String>,
}

impl Default for SiteReception {
    fn default() -> Self {
        SiteReception {
            mode: Mode::HumanOnly,
            manual_after: 1,
            offline_title: None,
            agent_hello: None,
        }
    }
}

/// A VIP level a site defines (`vip_level` names it by `level_id` or `name`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct VipLevel {
    pub level_id: String,
    pub name: String,
    /// Higher ranks are served first.
    #[sqlx(rename = "vip_rank")]
    pub rank: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub site_id: i64,
    pub groupname: String,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
}

/// A group as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRouting {
    pub id: i64,
    pub site_id: i64,
    pub external_id: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
    /// Working hours (`rules::Hours`) and their IANA zone; no hours: always on duty.
    pub hours: Option<String>,
    pub tz: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Agent {
    pub id: i64,
    pub site_id: i64,
    pub account: String,
    pub nick: String,
    pub headimgurl: String,
    pub password_hash: String,
    pub max_chats: i64,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
    #[sqlx(try_from = "String")]
    pub role: shared::agent::Role,
    /// Its console's language (`cn`, `en`, `tw`; `""`: the browser's).
    pub locale: String,
    /// Its console's time zone (IANA; `""`: the browser's).
    pub tz: String,
}

/// Result of a token lookup.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentToken {
    pub agent_id: i64,
    pub expires_at: i64,
}

/// What an access token names, whether or not it has expired.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessToken {
    pub site_id: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Visitor {
    pub id: i64,
    pub site_id: i64,
    pub partnerid: Option<String>,
    pub claimed_partnerid: String,
    pub uname: String,
    pub source: String,
    pub agent_id: Option<i64>,
    pub last_seq: i64,
    pub agent_read_seq: i64,
    /// Set while the visitor waits for an agent (unix ms of their first unanswered message).
    pub waiting_since: Option<i64>,
    /// The skill group the visitor asked for.
    pub group_id: Option<i64>,
    /// The rest of the route their page asked for (JSON, `rules::Route`), if any.
    pub route: Option<String>,
    /// Queue priority (`rules::priority`): higher waits less.
    pub priority: i64,
}

/// A visitor as an agent's chat list shows it.
#[derive(Debug, Clone)]
pub struct Guest {
    pub visitor: Visitor,
    /// The conversation's latest message.
    pub last: Option<StoredMessage>,
    /// Visitor messages after the serving agent's read mark.
    pub unread: i64,
}

/// A row of the guest list's query: the visitor and its unread count.
#[derive(sqlx::FromRow)]
pub(super) struct GuestRow {
    #[sqlx(flatten)]
    pub visitor: Visitor,
    pub unread: i64,
}

/// A visitor's reception state as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ReceptionState {
    /// `None`: never set (a human-only visitor from before, or one whose hello had no robot).
    #[sqlx(try_from = "AnswererText")]
    pub answerer: Option<Answerer>,
    #[sqlx(rename = "robot_misses")]
    pub misses: i64,
    #[sqlx(rename = "reception", try_from = "ReceptionJson")]
    pub values: Option<ReceptionValues>,
}

impl ReceptionState {
    /// Who answers now (human unless the robot was set).
    pub fn robot_answers(&self) -> bool {
        self.answerer == Some(Answerer::Robot)
    }
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub visitor_id: i64,
    pub seq: i64,
    #[sqlx(try_from = "AuthorText")]
    pub author: Author,
    pub agent_id: Option<i64>,
    pub agent_nick: Option<String>,
    #[sqlx(try_from = "CmidText")]
    pub cmid: Option<ClientMsgId>,
    #[sqlx(try_from = "KindCode")]
    pub kind: MsgKind,
    pub body: String,
    pub created_at: i64,
}

/// Result of storing a visitor message.
#[derive(Debug, Clone)]
pub struct Stored {
    pub message: StoredMessage,
    /// The `cmid` had been stored before; `message` is the original.
    pub duplicate: bool,
    /// The agent serving the visitor when the message committed (read in the same
    /// transaction, so routing needs no second look-up).
    pub serving: Option<i64>,
}

/// A live agent connection as every node sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgentConnRow {
    pub ix: i64,
    pub node_id: i64,
    pub agent_id: i64,
    pub site_id: i64,
    #[sqlx(try_from = "Flag")]
    pub suspended: bool,
}

/// An agent whose last connection went away longer ago than the grace and who still serves
/// visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct GoneAgent {
    pub agent_id: i64,
    pub site_id: i64,
}

/// A visitor on a site, as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PresenceRow {
    pub id: i64,
    pub vid: String,
    /// The visitor's row (`gid`) once they have one.
    pub visitor_id: Option<i64>,
    pub url: String,
    pub title: String,
    pub since: i64,
    pub renewed_at: i64,
    /// An invitation no poll has taken yet.
    pub invite: Option<String>,
}

/// A robot as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RobotRow {
    /// The row id (unique over all sites).
    pub id: i64,
    pub site_id: i64,
    /// The site's own number for it (seed 003 `robotid`).
    pub robotid: i64,
    pub name: String,
    /// The greeting; empty = the default one of the visitor's locale.
    pub hello: String,
    /// Bumped by every change of its FAQ.
    pub version: i64,
}

/// An FAQ entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FaqRow {
    pub id: i64,
    /// The robot's row id.
    pub robot_id: i64,
    pub faq_group: Option<i64>,
    pub question: String,
    pub answer: String,
    /// Other phrasings of the question.
    #[sqlx(rename = "phrasings", try_from = "Phrasings")]
    pub similar: Vec<String>,
}

/// One message (or left message) to push and where its delivery stands.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushDelivery {
    pub id: i64,
    /// The message pushed, or `None` for a left message.
    pub message_id: Option<i64>,
    /// The left message pushed (issue 24), or `None` for a message.
    pub left_id: Option<i64>,
    pub site_id: i64,
    pub url: String,
    /// The exact JSON body that is POSTed (and signed).
    pub payload: String,
    /// `pending`, `delivered`, `failed` (gave up or permanent error) or `refused` (the
    /// target address is not allowed; nothing was sent).
    pub state: String,
    pub attempts: i64,
    /// Unix milliseconds.
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// One delivery attempt as logged.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushAttempt {
    pub attempt: i64,
    /// Unix milliseconds.
    pub at: i64,
    /// `delivered`, `retry`, `failed` or `refused`.
    pub outcome: String,
    pub status: Option<i64>,
    pub error: Option<String>,
}

/// A stored upload.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredFile {
    pub id: String,
    pub site_id: i64,
    pub name: String,
    pub mime: String,
    pub kind: i64,
    pub size: i64,
}

/// A stored page of a visit's trace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPage {
    pub kind: String,
    pub url: String,
    pub title: String,
    pub referrer: String,
    pub args: String,
    pub at: i64,
}

/// A conversation (issue 25: `db/conversations.rs`), with its agent's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: i64,
    pub first_seq: i64,
    /// `None` while it is going on.
    pub last_seq: Option<i64>,
    pub agent_id: Option<i64>,
    pub agent_nick: Option<String>,
    pub group_id: Option<i64>,
    /// Unix milliseconds: its first message, when an agent first took it, when it ended.
    pub started_at: i64,
    pub assigned_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub category: String,
    pub summary: String,
    #[sqlx(try_from = "Labels")]
    pub labels: Vec<String>,
}

/// A private note (issue 25: `db/notes.rs`), with its agent's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: i64,
    pub agent_id: i64,
    pub agent_nick: String,
    pub after_seq: i64,
    pub body: String,
    pub created_at: i64,
}

/// A canned reply (issue 25: `db/canned.rs`); `owner` 0 is the site's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct CannedRow {
    pub id: i64,
    pub site_id: i64,
    pub owner: i64,
    pub shortcut: String,
    #[sqlx(rename = "body")]
    pub text: String,
}

/// A block (issue 25: `db/blocks.rs`): exactly one of `visitor_id` and `net` (canonical
/// CIDR text) is set; `expires_at` `None`: until deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct BlockRow {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: Option<i64>,
    pub net: Option<String>,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// A message as the search indexer reads it (`db/search.rs`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IndexRow {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: i64,
    #[sqlx(try_from = "AuthorText")]
    pub author: Author,
    #[sqlx(try_from = "KindCode")]
    pub kind: MsgKind,
    pub body: String,
    pub created_at: i64,
}

/// One search hit as stored (`db/search.rs`): `kind` `m` message, `n` note, `c`
/// conversation summary, `p` the visitor's profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchRow {
    pub kind: String,
    pub ref_id: i64,
    pub visitor_id: i64,
    pub seq: i64,
    pub ts: i64,
    pub body: String,
    pub uname: String,
    pub partnerid: Option<String>,
    pub claimed_partnerid: String,
    pub conversation_id: Option<i64>,
    /// A profile hit's CRM values (JSON), to show the one that matched.
    pub params: Option<String>,
}

// ----- column types -----------------------------------------------------------------------

/// A stored value the schema does not allow; [`super::DbError`] turns it into
/// [`DbError::Corrupt`](super::DbError::Corrupt) (with the column's name).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Corrupt(String);

/// A 0/1 integer flag (no backend stores `BOOLEAN` here).
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct Flag(i64);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0 != 0
    }
}

/// `sites.sysnum`: must parse, else the row is refused. It is checked in `decode`, not in a
/// `try_from` conversion, because sqlx (0.8.6) passes a `try_from` error on as an
/// "unprintable error" string: only an error returned by `decode` keeps its type, so
/// [`super::DbError`] can tell it is [`Corrupt`].
pub(super) struct SysnumCol(Sysnum);

impl sqlx::Type<Any> for SysnumCol {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }
    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for SysnumCol {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        let s = <String as sqlx::Decode<Any>>::decode(value)?;
        match Sysnum::parse(&s) {
            Ok(sysnum) => Ok(SysnumCol(sysnum)),
            Err(e) => Err(Box::new(Corrupt(e.to_string()))),
        }
    }
}

impl From<SysnumCol> for Sysnum {
    fn from(s: SysnumCol) -> Sysnum {
        s.0
    }
}

/// `sites.origins`: comma-separated.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct Origins(String);

impl From<Origins> for Vec<String> {
    fn from(o: Origins) -> Vec<String> {
        o.0.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// `sites.reception`: the default mode (1–4), human only if unknown.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct ModeCode(i64);

impl From<ModeCode> for Mode {
    fn from(n: ModeCode) -> Mode {
        Mode::parse(&n.0.to_string()).unwrap_or(Mode::HumanOnly)
    }
}

/// `sites.manual_after`: 1 if out of range.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct ManualAfter(i64);

impl From<ManualAfter> for u32 {
    fn from(n: ManualAfter) -> u32 {
        u32::try_from(n.0).unwrap_or(1)
    }
}

/// `messages.author`.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct AuthorText(String);

impl From<AuthorText> for Author {
    fn from(a: AuthorText) -> Author {
        author_of(&a.0)
    }
}

/// `messages.cmid`.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct CmidText(Option<String>);

impl From<CmidText> for Option<ClientMsgId> {
    fn from(c: CmidText) -> Option<ClientMsgId> {
        cmid_of(c.0)
    }
}

/// `messages.kind`.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct KindCode(i64);

impl From<KindCode> for MsgKind {
    fn from(k: KindCode) -> MsgKind {
        kind_of(k.0)
    }
}

/// `faqs.phrasings`: written only by `add_faqs` (a JSON array); anything else reads as no
/// phrasings.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct Phrasings(String);

impl From<Phrasings> for Vec<String> {
    fn from(p: Phrasings) -> Vec<String> {
        serde_json::from_str(&p.0).unwrap_or_default()
    }
}

/// `visitors.answerer`: `robot`, `human` or not set.
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct AnswererText(Option<String>);

impl From<AnswererText> for Option<Answerer> {
    fn from(a: AnswererText) -> Option<Answerer> {
        match a.0.as_deref() {
            Some("robot") => Some(Answerer::Robot),
            Some("human") => Some(Answerer::Human),
            _ => None,
        }
    }
}

/// `visitors.reception`: a value this version cannot read counts as none (the next hello
/// writes it again).
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct ReceptionJson(Option<String>);

impl From<ReceptionJson> for Option<ReceptionValues> {
    fn from(v: ReceptionJson) -> Option<ReceptionValues> {
        v.0.and_then(|v| serde_json::from_str(&v).ok())
    }
}

/// `conversations.labels`: comma-separated (labels hold no comma).
#[derive(sqlx::Type)]
#[sqlx(transparent, no_pg_array)]
pub(super) struct Labels(String);

impl From<Labels> for Vec<String> {
    fn from(l: Labels) -> Vec<String> {
        l.0.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// A stored `author` column as the author.
pub(super) fn author_of(author: &str) -> Author {
    Author::parse(author).unwrap_or(Author::System)
}

/// A stored `cmid` column as the client message id.
pub(super) fn cmid_of(cmid: Option<String>) -> Option<ClientMsgId> {
    cmid.and_then(|c| ClientMsgId::parse(&c).ok())
}

/// A stored `kind` column as the message kind.
pub(super) fn kind_of(kind: i64) -> MsgKind {
    u8::try_from(kind)
        .ok()
        .and_then(|k| MsgKind::try_from(k).ok())
        .unwrap_or(MsgKind::Text)
}

/// A `leave_templates` row (`fields`: the JSON array as stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeaveTemplateRow {
    pub id: i64,
    pub site_id: i64,
    pub templateid: i64,
    pub name: String,
    pub fields: String,
}

/// A `left_messages` row with its visitor's name and partnerid and the answering agent's
/// nick (`fields`: the JSON array as stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeftRow {
    pub id: i64,
    pub site_id: i64,
    pub visitor_id: i64,
    pub templateid: i64,
    pub group_id: Option<i64>,
    pub source: String,
    pub content: String,
    pub fields: String,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    pub done_at: Option<i64>,
    pub created_at: i64,
    pub uname: String,
    pub partnerid: String,
}

/// A rating with its visitor's name (or partnerid) and the rated agent's account (`tags`:
/// the JSON array as stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub visitor_id: i64,
    pub visitor: String,
    pub agent: String,
    pub score: i64,
    pub tags: String,
    pub comment: String,
    pub updated_at: i64,
}
