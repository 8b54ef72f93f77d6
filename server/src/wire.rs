//! Stored rows as wire frames: the only code that turns what `db/` returns into what clients
//! read — seed 001's agent envelope (`shared::agent`) and our visitor protocol
//! (`shared::visitor`). Pure conversions: no I/O, no state.
//!
//! Architecture invariant: domain modules (conversation, routing, reception) never build a
//! frame field by field; they call these.

use std::sync::Arc;

use serde::Serialize;
use shared::agent::{
    api, Direction, Envelope, GuestEntry, MessageData, MessageInfo, Presence, TransferData,
    TypingData,
};
use shared::visitor::{Author, ChatMessage};

use shared::workbench::{Block, Canned, Conversation, HitField, Mark, Note, SearchHit};

use crate::db::{
    BlockRow, CannedRow, ConversationRow, LeaveTemplateRow, LeftRow, NoteRow, RatingRow, SearchRow,
    StoredMessage, Visitor,
};

/// A text frame ready to send to an agent connection (serialised once, shared by every
/// connection it goes to).
pub type AgentFrame = Arc<str>;

/// Serialises an agent-protocol envelope once, for any number of connections.
pub fn agent_frame<T: Serialize>(env: &Envelope<T>) -> AgentFrame {
    serde_json::to_string(env)
        .expect("protocol types always serialise")
        .into()
}

/// A stored message as seed 001 shows it.
pub fn message_info(m: &StoredMessage) -> MessageInfo {
    MessageInfo {
        id: m.id.to_string(),
        gid: m.visitor_id.to_string(),
        seq: m.seq as u64,
        msg: m.body.clone(),
        file_type: m.kind.into(),
        // The robot speaks to the visitor like an agent; `kf_nick` is its name.
        direction: Direction::of(m.author),
        kf_id: m.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        kf_nick: m.agent_nick.clone().unwrap_or_default(),
        timestamp: m.created_at / 1000,
        ts: m.created_at,
        sender: (m.author == Author::Robot).then(|| shared::agent::SENDER_ROBOT.to_owned()),
    }
}

/// A stored message as the visitor protocol shows it.
pub fn chat_message(m: &StoredMessage) -> ChatMessage {
    ChatMessage {
        seq: shared::ids::Seq(m.seq as u64),
        from: m.author,
        kind: m.kind,
        body: m.body.clone(),
        ts: m.created_at,
        cmid: m.cmid.clone(),
        nick: m.agent_nick.clone(),
    }
}

/// A visitor as seed 001 lists it, from their last message, unread count and whether they
/// have a chat tab open on some node.
pub fn guest_entry(
    v: &Visitor,
    last: Option<&StoredMessage>,
    unread: i64,
    online: bool,
) -> GuestEntry {
    GuestEntry {
        gid: v.id.to_string(),
        uname: v.uname.clone(),
        partnerid: v
            .partnerid
            .clone()
            .unwrap_or_else(|| v.claimed_partnerid.clone()),
        partnerid_verified: v.partnerid.is_some(),
        state: Presence::of(online),
        kf_id: v.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        unread: unread as u32,
        last_msg: last.map(message_info),
    }
}

/// `32399`: a visitor's message (or a greeting said for an agent) as agents receive it.
pub fn visitor_message_frame(m: &StoredMessage) -> AgentFrame {
    agent_frame(&Envelope::ok(
        api::VISITOR_MESSAGE,
        MessageData {
            gid: m.visitor_id.to_string(),
            message_info: message_info(m),
        },
    ))
}

/// `32841`: a message of any chat of the site, as its supervisors and admins receive it.
pub fn watch_message_frame(m: &StoredMessage) -> AgentFrame {
    agent_frame(&Envelope::ok(
        api::WATCH_MESSAGE,
        MessageData {
            gid: m.visitor_id.to_string(),
            message_info: message_info(m),
        },
    ))
}

/// `32401` (to the agent who receives a visitor) or `32402` (to the one who transferred).
pub fn transfer_frame(key: i64, body: &TransferData) -> AgentFrame {
    agent_frame(&Envelope::ok(key, body))
}

/// `32799`: visitor `visitor_id` started (`true`) or stopped typing.
pub fn visitor_typing_frame(visitor_id: i64, typing: bool) -> AgentFrame {
    agent_frame(&Envelope::ok(
        api::VISITOR_TYPING,
        TypingData {
            gid: visitor_id.to_string(),
            status: typing as u8,
        },
    ))
}

/// The body of `32401`/`32402` (a visitor handed to an agent): the visitor, the message that
/// says so (`data`: the last of `recent`, or a transfer's system line) and the recent
/// messages, oldest first.
pub fn transfer_data(
    guest: GuestEntry,
    data: &StoredMessage,
    recent: &[StoredMessage],
    from_ix: String,
    to_ix: String,
) -> TransferData {
    TransferData {
        gid: guest.gid.clone(),
        data: message_info(data),
        guest_info: guest,
        recs: recent.iter().map(message_info).collect(),
        from_ix,
        to_ix,
    }
}

/// A private note as agents see it (issue 25).
pub fn note_info(n: &NoteRow) -> Note {
    Note {
        id: n.id.to_string(),
        gid: n.visitor_id.to_string(),
        kf_id: n.agent_id.to_string(),
        kf_nick: n.agent_nick.clone(),
        after_seq: n.after_seq.max(0) as u64,
        msg: n.body.clone(),
        ts: n.created_at,
    }
}

/// A conversation as agents see it (issue 25).
pub fn conversation_info(c: &ConversationRow) -> Conversation {
    Conversation {
        id: c.id.to_string(),
        gid: c.visitor_id.to_string(),
        first_seq: c.first_seq.max(0) as u64,
        last_seq: c.last_seq.map(|s| s.max(0) as u64),
        kf_id: c.agent_id.map(|a| a.to_string()).unwrap_or_default(),
        kf_nick: c.agent_nick.clone().unwrap_or_default(),
        started_at: c.started_at,
        ended_at: c.ended_at,
        category: c.category.clone(),
        summary: c.summary.clone(),
        labels: c.labels.clone(),
    }
}

/// A search hit (issue 25), with the snippet `crate::search` marked.
pub fn search_hit(r: SearchRow, snippet: Vec<Mark>) -> SearchHit {
    let field = match r.kind.as_str() {
        "m" => HitField::Message,
        "n" => HitField::Note,
        "c" => HitField::Summary,
        _ => HitField::Profile,
    };
    SearchHit {
        gid: r.visitor_id.to_string(),
        uname: r.uname,
        partnerid_verified: r.partnerid.is_some(),
        partnerid: r.partnerid.unwrap_or(r.claimed_partnerid),
        field,
        seq: r.seq.max(0) as u64,
        conversation: r.conversation_id.map(|c| c.to_string()),
        snippet,
        ts: r.ts,
    }
}

/// A canned reply as agent `agent_id` sees it (issue 25): `mine` when it is the agent's own.
pub fn canned_info(c: &CannedRow, agent_id: i64) -> Canned {
    Canned {
        id: c.id.to_string(),
        shortcut: c.shortcut.clone(),
        text: c.text.clone(),
        mine: c.owner == agent_id,
    }
}

/// A block as the site admin API and `admin block list --json` show it (issue 25).
pub fn block_info(b: &BlockRow) -> Block {
    Block {
        id: b.id,
        visitor: b.visitor_id.map(|v| v.to_string()),
        ip: b.net.clone(),
        reason: b.reason.clone(),
        created_at: b.created_at,
        expires_at: b.expires_at,
        by: b.created_by.clone(),
    }
}

/// The customer beside the chat (issue 25, `32800`): visitor `v` as the CRM values `params`
/// (what their page passed) describe them, `vips` the site's VIP levels.
pub fn customer_info(
    params: &std::collections::BTreeMap<String, String>,
    v: &Visitor,
    vips: &[crate::db::VipLevel],
) -> shared::visit::Customer {
    use shared::visit::{Customer, Field, FieldGroup};
    let get = |k: &str| {
        params
            .get(k)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = get("realname")
        .or_else(|| get("uname"))
        .unwrap_or_else(|| v.uname.clone());
    let vip = match (get("is_vip").as_deref(), get("vip_level")) {
        (Some("1"), Some(level)) => Some(
            vips.iter()
                .find(|l| l.level_id == level || l.name == level)
                .map_or(level, |l| l.name.clone()),
        ),
        (Some("1"), None) => Some("VIP".to_owned()),
        _ => None,
    };
    let labels = get("user_label")
        .map(|l| {
            l.split([',', '|', '，'])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut fields = Vec::new();
    let partnerid = v
        .partnerid
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| Some(v.claimed_partnerid.clone()).filter(|p| !p.is_empty()))
        .or_else(|| get("partnerid"));
    if let Some(p) = partnerid {
        fields.push(Field {
            group: FieldGroup::Crm,
            key: "partnerid".into(),
            value: p,
        });
    }
    for key in ["realname", "uname", "tel", "email", "qq", "remark"] {
        if let Some(value) = get(key) {
            fields.push(Field {
                group: FieldGroup::Crm,
                key: key.into(),
                value,
            });
        }
    }
    for (key, group) in [
        ("params", FieldGroup::Params),
        ("customer_fields", FieldGroup::CustomerFields),
    ] {
        let Some(raw) = get(key) else { continue };
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&raw) {
            Ok(map) => fields.extend(map.into_iter().map(|(k, val)| Field {
                group,
                key: k,
                value: match val {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                },
            })),
            Err(_) => fields.push(Field {
                group,
                key: key.into(),
                value: raw,
            }),
        }
    }
    let source = get("source").unwrap_or_else(|| v.source.clone());
    Customer {
        name,
        face: get("face").and_then(|f| shared::card::safe_url(&f)),
        vip,
        labels,
        fields,
        source: shared::visit::source_label(&source)
            .map(str::to_owned)
            .unwrap_or(source),
        locale: get("locale").unwrap_or_default(),
    }
}

/// `32801` (issue 25): visitor `gid`'s page reported new CRM values.
pub fn visit_changed_frame(gid: i64) -> AgentFrame {
    agent_frame(&Envelope::ok(
        shared::agent::api::VISIT_CHANGED,
        shared::visit::VisitChanged {
            gid: gid.to_string(),
        },
    ))
}

/// `32802` (issue 25): visitor `gid` was blocked and left every list.
pub fn visitor_blocked_frame(gid: i64) -> AgentFrame {
    agent_frame(&Envelope::ok(
        shared::agent::api::VISITOR_BLOCKED,
        shared::visit::VisitChanged {
            gid: gid.to_string(),
        },
    ))
}
/// A stored template as the wire's (fields that do not read are dropped: only
/// `admin::leave` writes them).
pub fn left_template(row: &LeaveTemplateRow) -> shared::leave::Template {
    shared::leave::Template {
        templateid: row.templateid,
        name: row.name.clone(),
        fields: serde_json::from_str(&row.fields).unwrap_or_default(),
        contact_required: false,
    }
}

/// A row as agents see it.
pub fn left_message(row: LeftRow) -> shared::leave::LeftMessage {
    shared::leave::LeftMessage {
        id: row.id,
        gid: row.visitor_id.to_string(),
        uname: row.uname,
        partnerid: row.partnerid,
        content: row.content,
        fields: serde_json::from_str(&row.fields).unwrap_or_default(),
        templateid: row.templateid,
        groupid: row.group_id,
        source: row.source,
        done: row.done_at.is_some(),
        answer: row.answer,
        answered_by: row.answered_by,
        created_at: row.created_at,
        answered_at: row.answered_at,
    }
}

/// A stored rating as operators list it.
pub fn rating(row: RatingRow) -> shared::rating::Rating {
    shared::rating::Rating {
        gid: row.visitor_id.to_string(),
        visitor: row.visitor,
        agent: row.agent,
        score: u8::try_from(row.score).unwrap_or(0),
        comment: row.comment,
        tags: serde_json::from_str(&row.tags).unwrap_or_default(),
        at: row.updated_at,
    }
}
