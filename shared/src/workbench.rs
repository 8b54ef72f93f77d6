//! The agent's workbench (issue 25): what the console shows beside a chat and around it —
//! search over the site's conversations, private notes, a conversation's summary and
//! labels. The agent-socket extensions that carry these are listed in [`crate::agent::api`]
//! (`32600` with a summary, `32610`, `32830`, `32900`, `32910`, `32911`).
//!
//! A *conversation* is a stretch of a visitor's one thread (seed 001's `gid` names the
//! thread): it starts with the visitor's first message for people after the previous one
//! ended, and ends when an agent ends the chat (`32600`), which may give it a category, a
//! summary and labels. Notes are agents' words about the visitor, placed after the message
//! they follow (`after_seq`); the visitor and the site's push URL never see them.

use serde::{Deserialize, Serialize};

use crate::agent::MessageInfo;

/// Longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most hits a search page returns.
pub const MAX_PAGE_SIZE: u32 = 50;
/// Longest category, summary and label, in characters; most labels on a conversation.
pub const MAX_CATEGORY_CHARS: usize = 64;
pub const MAX_SUMMARY_CHARS: usize = 2000;
pub const MAX_LABEL_CHARS: usize = 32;
pub const MAX_LABELS: usize = 10;

/// A run of a hit's text: `hit` when it matched the query (the console marks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hit: bool,
}

/// Where a search hit was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitField {
    /// A message's text (visitor, agent or robot).
    Message,
    /// An agent's private note.
    Note,
    /// A conversation's category, summary or labels.
    Summary,
    /// The visitor's name, `partnerid` or CRM values.
    Profile,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The visitor (seed 001 `gid`).
    pub gid: String,
    pub uname: String,
    /// Verified or claimed (`partnerid_verified`), as in `crate::agent::GuestEntry`.
    pub partnerid: String,
    #[serde(default)]
    pub partnerid_verified: bool,
    pub field: HitField,
    /// The message's `seq` (a note: the `seq` it follows; a summary: the conversation's
    /// last); 0 for a profile hit.
    pub seq: u64,
    /// The conversation holding the hit, when there is one ([`crate::agent::api::CONVERSATION`]
    /// opens it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// The text around the match, the matched runs marked.
    pub snippet: Vec<Mark>,
    /// When it was written (ms since the epoch).
    pub ts: i64,
}

/// `data` of `32900`: hits newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchData {
    pub q: String,
    pub total: u64,
    pub page_index: u32,
    pub page_size: u32,
    pub hits: Vec<SearchHit>,
}

/// A private note (`32910`, `32911`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub gid: String,
    /// The agent who wrote it.
    pub kf_id: String,
    pub kf_nick: String,
    /// The `seq` of the conversation's last message when it was written (it shows after it).
    pub after_seq: u64,
    pub msg: String,
    /// ms since the epoch.
    pub ts: i64,
}

/// `data` of `32911`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotesData {
    pub gid: String,
    pub notes: Vec<Note>,
}

/// A conversation of a visitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub gid: String,
    pub first_seq: u64,
    /// `None` while it is going on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
    /// The agent who served it last (empty: nobody took it).
    pub kf_id: String,
    pub kf_nick: String,
    /// ms since the epoch.
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<i64>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// `data` of `32831`: visitor `gid`'s conversations and those of the site's other visitors
/// with the same `partnerid` (`Conversation::gid` tells them apart), newest first, at most
/// [`MAX_EARLIER`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationList {
    pub gid: String,
    /// The `partnerid` they were matched by (empty: this visitor's only).
    #[serde(default)]
    pub partnerid: String,
    pub conversations: Vec<Conversation>,
}

/// Most conversations `32831` lists.
pub const MAX_EARLIER: usize = 50;

/// `data` of `32830`: a conversation with its messages (oldest first, at most
/// [`MAX_CONVERSATION_MESSAGES`], the last ones when longer) and notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationData {
    pub conversation: Conversation,
    pub messages: Vec<MessageInfo>,
    pub notes: Vec<Note>,
}

/// Most messages `32830` returns.
pub const MAX_CONVERSATION_MESSAGES: u32 = 500;

/// What an agent gives when ending a chat (`32600`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndSummary {
    pub category: String,
    pub summary: String,
    pub labels: Vec<String>,
}

/// `data` of `32610`: whether the site requires a summary when a chat ends, and the
/// categories it offers (empty: any text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRules {
    pub required: bool,
    pub categories: Vec<String>,
}

impl EndSummary {
    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.category.trim().is_empty()
            && self.summary.trim().is_empty()
            && self.labels.iter().all(|l| l.trim().is_empty())
    }

    /// The summary trimmed, empty labels dropped and repeats removed; refused (with the
    /// reason) when a field is too long, holds NUL or a control character (but line breaks
    /// in the summary), a category is not among `rules.categories` (when it has any), or
    /// `rules.required` and the category or the summary is missing.
    pub fn checked(&self, rules: &SummaryRules) -> Result<EndSummary, &'static str> {
        let category = self.category.trim().to_owned();
        let summary = self.summary.trim().to_owned();
        let mut labels: Vec<String> = Vec::new();
        for l in &self.labels {
            let l = l.trim();
            if !l.is_empty() && !labels.iter().any(|x| x == l) {
                labels.push(l.to_owned());
            }
        }
        let bad = |s: &str, breaks: bool| {
            s.chars()
                .any(|c| c.is_control() && !(breaks && (c == '\n' || c == '\t')))
        };
        if category.chars().count() > MAX_CATEGORY_CHARS || bad(&category, false) {
            return Err("the category is longer than 64 characters or holds control characters");
        }
        if summary.chars().count() > MAX_SUMMARY_CHARS || bad(&summary, true) {
            return Err("the summary is longer than 2000 characters or holds control characters");
        }
        if labels.len() > MAX_LABELS
            || labels
                .iter()
                .any(|l| l.chars().count() > MAX_LABEL_CHARS || bad(l, false) || l.contains(','))
        {
            return Err("at most 10 labels of at most 32 characters each, without commas");
        }
        if !rules.categories.is_empty()
            && !category.is_empty()
            && !rules.categories.contains(&category)
        {
            return Err("the category is not one of the site's");
        }
        if rules.required && (category.is_empty() || summary.is_empty()) {
            return Err("this site requires a category and a summary when a chat ends");
        }
        Ok(EndSummary {
            category,
            summary,
            labels,
        })
    }
}

/// A canned reply (`32920`): `/` + `shortcut` in the composer puts its text there, with
/// [`fill`]ed variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Canned {
    pub id: String,
    pub shortcut: String,
    pub text: String,
    /// The agent's own (else the site's, for every agent).
    #[serde(default)]
    pub mine: bool,
}

/// Longest shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 32;
/// Most canned replies a site, or one agent, keeps.
pub const MAX_CANNED: usize = 1000;

/// Whether `s` can be a shortcut: 1-32 characters, no whitespace, `/`, `{`, `}` or control
/// characters (the composer reads `/` + shortcut up to the first space).
pub fn check_shortcut(s: &str) -> Result<(), &'static str> {
    let n = s.chars().count();
    if n == 0 || n > MAX_SHORTCUT_CHARS {
        return Err("a shortcut is 1-32 characters");
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '{' | '}'))
        || !crate::display_safe(s)
    {
        return Err("a shortcut has no spaces, slashes, braces or invisible characters");
    }
    Ok(())
}

/// What a canned reply's variables stand for in one chat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars {
    /// `{name}`: the visitor's name (their `uname`, else their `partnerid`, else empty).
    pub name: String,
    /// `{partnerid}`.
    pub partnerid: String,
    /// `{agent}`: the agent's nick.
    pub agent: String,
}

/// `text` with `{name}`, `{partnerid}` and `{agent}` replaced; any other `{…}` stays as it
/// is.
pub fn fill(text: &str, vars: &Vars) -> String {
    text.replace("{name}", &vars.name)
        .replace("{partnerid}", &vars.partnerid)
        .replace("{agent}", &vars.agent)
}

/// Blocks (the site admin API `/api/admin/block/…`, server `adminapi.rs`; the console's admin
/// view; `frontdesk admin block`): a visitor (their `gid`) or an address range kept out of a
/// site's chat, with a reason and an optional expiry. Answers carry `errcode`/`errmsg` like
/// [`crate::robot`]'s, and an error answer is only [`crate::robot::Status`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub id: i64,
    /// The visitor's `gid`, for a block of one visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    /// The address range (`203.0.113.0/24`, `2001:db8::/64`), for a block by address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    pub reason: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// When it stops applying (ms); `None`: until deleted.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Who added it: `cli`, `admin` (the site admin view).
    #[serde(default)]
    pub by: String,
}

/// `GET /api/admin/block/list`: the site's blocks that still apply, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockList {
    pub errcode: i64,
    pub errmsg: String,
    pub blocks: Vec<Block>,
}

/// `POST /api/admin/block/add`: exactly one of `ip` (an address or CIDR range) and
/// `visitor` (a `gid` of the site); `days` 1-3650, absent: until deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockAdd {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    #[serde(default)]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// The answer to [`BlockAdd`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockAdded {
    pub errcode: i64,
    pub errmsg: String,
    pub id: i64,
}

/// `POST /api/admin/block/delete`: the site's block `id` (answered with
/// [`crate::robot::Status`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDelete {
    pub id: i64,
}

/// Longest block reason, in characters; longest block, in days.
pub const MAX_BLOCK_REASON_CHARS: usize = 200;
pub const MAX_BLOCK_DAYS: u32 = 3650;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn summaries_are_checked_against_the_sites_rules() {
        let free = SummaryRules::default();
        let s = EndSummary {
            category: " 退货 ".into(),
            summary: "客户要求退货\n已处理".into(),
            labels: vec!["vip".into(), " vip ".into(), "".into(), "refund".into()],
        };
        let ok = s.checked(&free).unwrap();
        assert_eq!(ok.category, "退货");
        assert_eq!(ok.labels, vec!["vip", "refund"]);
        let strict = SummaryRules {
            required: true,
            categories: vec!["退货".into(), "咨询".into()],
        };
        assert!(s.checked(&strict).is_ok());
        assert!(EndSummary::default().checked(&strict).is_err());
        assert!(EndSummary::default().checked(&free).is_ok());
        let other = EndSummary {
            category: "其他".into(),
            ..s.clone()
        };
        assert_eq!(
            other.checked(&strict),
            Err("the category is not one of the site's")
        );
        let long = EndSummary {
            labels: vec!["x".repeat(33)],
            ..EndSummary::default()
        };
        assert!(long.checked(&free).is_err());
        let comma = EndSummary {
            labels: vec!["a,b".into()],
            ..EndSummary::default()
        };
        assert!(comma.checked(&free).is_err());
        let nul = EndSummary {
            summary: "a\u{0}b".into(),
            ..EndSummary::default()
        };
        assert!(nul.checked(&free).is_err());
    }

    #[test]
    fn shortcuts_and_variables() {
        assert!(check_shortcut("hi").is_ok());
        assert!(check_shortcut("退货").is_ok());
        assert!(check_shortcut("").is_err());
        assert!(check_shortcut("a b").is_err());
        assert!(check_shortcut("a/b").is_err());
        assert!(check_shortcut(&"x".repeat(33)).is_err());
        let v = Vars {
            name: "小明".into(),
            partnerid: "u-1".into(),
            agent: "Kim".into(),
        };
        assert_eq!(
            fill("{name}您好，我是{agent}（{partnerid}）{other}", &v),
            "小明您好，我是Kim（u-1）{other}"
        );
    }

    proptest! {
        #[test]
        fn block_shapes_round_trip(id in any::<i64>(), text in ".*", at in any::<i64>(),
            exp in proptest::option::of(any::<i64>()), ip in any::<bool>(), days in proptest::option::of(any::<u32>())) {
            let b = Block { id, visitor: (!ip).then(|| text.clone()), ip: ip.then(|| text.clone()),
                reason: text.clone(), created_at: at, expires_at: exp, by: text.clone() };
            let l = BlockList { errcode: 0, errmsg: text.clone(), blocks: vec![b] };
            let json = serde_json::to_string(&l).unwrap();
            prop_assert_eq!(serde_json::from_str::<BlockList>(&json).unwrap(), l);
            let a = BlockAdd { ip: ip.then(|| text.clone()), visitor: (!ip).then(|| text.clone()), reason: text.clone(), days };
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<BlockAdd>(&json).unwrap(), a);
            let d = BlockDelete { id };
            prop_assert_eq!(serde_json::from_str::<BlockDelete>(&serde_json::to_string(&d).unwrap()).unwrap(), d);
            let r = BlockAdded { errcode: 0, errmsg: text, id };
            prop_assert_eq!(serde_json::from_str::<BlockAdded>(&serde_json::to_string(&r).unwrap()).unwrap(), r);
        }

        #[test]
        fn conversation_lists_round_trip(text in ".*", at in any::<i64>(), end in proptest::option::of(any::<i64>())) {
            let c = Conversation { id: text.clone(), gid: text.clone(), first_seq: 1, last_seq: None,
                kf_id: text.clone(), kf_nick: text.clone(), started_at: at, ended_at: end,
                category: text.clone(), summary: text.clone(), labels: vec![text.clone()] };
            let l = ConversationList { gid: text.clone(), partnerid: text, conversations: vec![c] };
            let json = serde_json::to_string(&l).unwrap();
            prop_assert_eq!(serde_json::from_str::<ConversationList>(&json).unwrap(), l);
        }

        #[test]
        fn canned_round_trips(shortcut in ".*", text in ".*", mine in any::<bool>()) {
            let c = vec![Canned { id: "1".into(), shortcut, text, mine }];
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<Vec<Canned>>(&json).unwrap(), c);
        }

        #[test]
        fn search_data_round_trips(text in ".*", hit in any::<bool>(), seq in any::<u64>(), ts in any::<i64>(),
            conv in proptest::option::of("[0-9]{1,6}")) {
            let d = SearchData { q: text.clone(), total: 1, page_index: 1, page_size: 20, hits: vec![SearchHit {
                gid: "7".into(), uname: text.clone(), partnerid: String::new(), partnerid_verified: hit,
                field: HitField::Note, seq, conversation: conv, snippet: vec![Mark { text: text.clone(), hit }], ts }] };
            let json = serde_json::to_string(&d).unwrap();
            prop_assert_eq!(serde_json::from_str::<SearchData>(&json).unwrap(), d);
        }

        #[test]
        fn conversations_and_notes_round_trip(text in ".*", last in proptest::option::of(any::<u64>()),
            ended in proptest::option::of(any::<i64>()), labels in proptest::collection::vec(".*", 0..3)) {
            let c = Conversation { id: "1".into(), gid: "2".into(), first_seq: 1, last_seq: last, kf_id: String::new(),
                kf_nick: text.clone(), started_at: 5, ended_at: ended, category: text.clone(), summary: text.clone(), labels };
            let n = Note { id: "3".into(), gid: "2".into(), kf_id: "1001".into(), kf_nick: text.clone(), after_seq: 4,
                msg: text.clone(), ts: 9 };
            let d = ConversationData { conversation: c, messages: Vec::new(), notes: vec![n] };
            let json = serde_json::to_string(&d).unwrap();
            prop_assert_eq!(serde_json::from_str::<ConversationData>(&json).unwrap(), d);
            let r = SummaryRules { required: true, categories: vec![text] };
            let json = serde_json::to_string(&r).unwrap();
            prop_assert_eq!(serde_json::from_str::<SummaryRules>(&json).unwrap(), r);
        }
    }
}
