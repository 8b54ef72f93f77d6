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

use crate::db::{LeaveTemplateRow, LeftRow, RatingRow, StoredMessage, Visitor};

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
