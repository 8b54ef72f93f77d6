//! The agent's requests about one conversation: `32100` history, `32200` mark read, `32300`
//! send, `32400` transfer, `32500` suspend/resume, `32600` end chat, `32700` typing. Each
//! checks its fields and who may act, then calls the business step in `crate::conversation`
//! and builds its own response.

use shared::agent::{
    api, code, Empty, Envelope, HistoryData, MessageData, ReadData, Request, TypingData,
};
use shared::visitor::MsgKind;

use super::error::{AgentError, AgentResult};
use super::Login;
use crate::conversation::{self, visible_visitor};
use crate::db::Visitor;
use crate::visitor::validate_body;
use crate::wire::{agent_frame, message_info, AgentFrame};
use crate::AppState;

const MAX_PAGE_SIZE: i64 = 100;

/// The request's `gid` (absent or `0`: refused with `missing`).
fn gid(req: &Request, missing: i64) -> AgentResult<&str> {
    req.gid
        .as_ref()
        .and_then(|g| g.non_zero())
        .ok_or_else(|| AgentError::gid_missing(missing))
}

/// The visitor `gid` names, if this agent serves them (`-32303` no such visitor here,
/// `-32304` served by someone else or by nobody).
async fn served_visitor(state: &AppState, l: &Login, gid: &str) -> AgentResult<Visitor> {
    match visible_visitor(state, &l.agent, gid).await? {
        None => Err(AgentError::no_such_visitor()),
        Some(v) if v.agent_id != Some(l.agent.id) => Err(AgentError::not_serving()),
        Some(v) => Ok(v),
    }
}

/// The visitor a `32100`/`32200` request names, with its `group_id` (`gid_code` when `gid`
/// is missing or 0, `group_code` when `group_id` is missing).
async fn conversation_target(
    state: &AppState,
    l: &Login,
    req: &Request,
    gid_code: i64,
    group_code: i64,
) -> AgentResult<(Visitor, String)> {
    let gid = gid(req, gid_code)?;
    let group_id = req
        .group_id
        .as_ref()
        .ok_or_else(|| AgentError::refused(group_code, "group_id not null"))?;
    match visible_visitor(state, &l.agent, gid).await? {
        Some(v) => Ok((v, group_id.0.clone())),
        None => Err(AgentError::no_such_visitor()),
    }
}

/// `32100`: a page of the conversation, newest page first (`page_index` from 1).
pub async fn history(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let (v, group_id) = conversation_target(
        state,
        l,
        req,
        code::HISTORY_GID_MISSING,
        code::HISTORY_GROUP_MISSING,
    )
    .await?;
    let page_index = req
        .page_index
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(1)
        .clamp(1, i64::from(u32::MAX));
    let page_size = req
        .page_size
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(10)
        .clamp(1, MAX_PAGE_SIZE);
    let (list, total) = state.db.history_page(v.id, page_index, page_size).await?;
    Ok(agent_frame(&Envelope::ok(
        api::HISTORY,
        HistoryData {
            gid: v.id.to_string(),
            group_id,
            page_index: page_index as u32,
            page_size: page_size as u32,
            total: total as u64,
            list: list.iter().map(message_info).collect(),
        },
    )))
}

/// `32200`: everything the visitor wrote so far is read.
pub async fn mark_read(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let (v, group_id) = conversation_target(
        state,
        l,
        req,
        code::READ_GID_MISSING,
        code::READ_GROUP_MISSING,
    )
    .await?;
    state.db.mark_read(v.id, v.last_seq).await?;
    Ok(agent_frame(&Envelope::ok(
        api::MARK_READ,
        ReadData {
            group_id,
            gid: v.id.to_string(),
        },
    )))
}

/// `32300`: the agent writes to `gid` (`file_type` as seed 001 numbers it; text when absent).
pub async fn send(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::SEND_GID_MISSING)?;
    let msg = req
        .msg
        .as_ref()
        .map(|m| m.0.as_str())
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| AgentError::refused(code::SEND_MSG_MISSING, "msg not null"))?;
    let bad_kind = || AgentError::refused(code::SEND_INVALID, "file_type must be 0-6");
    let kind = match req.file_type.as_ref().map(|f| f.as_i64()) {
        None => MsgKind::Text,
        Some(n) => n
            .and_then(|n| u8::try_from(n).ok())
            .and_then(|n| MsgKind::try_from(n).ok())
            .ok_or_else(bad_kind)?,
    };
    validate_body(kind, msg).map_err(|why| AgentError::refused(code::SEND_INVALID, why))?;
    let m = conversation::agent_reply(state, &l.agent, gid, kind, msg).await??;
    Ok(agent_frame(&Envelope::ok(
        api::SEND,
        MessageData {
            gid: m.visitor_id.to_string(),
            message_info: message_info(&m),
        },
    )))
}

/// `32500`: `status` 1 suspends this connection (no new chats routed to it), 0 resumes it
/// (and the queue is served).
pub async fn suspend(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let on = match req.status.as_ref().and_then(|s| s.as_i64()) {
        Some(s @ (0 | 1)) => s == 1,
        _ => {
            return Err(AgentError::refused(
                code::BAD_FRAME,
                "status must be 0 (resume) or 1 (suspend)",
            ))
        }
    };
    state.db.set_conn_suspended(l.ix as i64, on).await?;
    if !on {
        conversation::drain(state, l.agent.site_id).await?;
    }
    Ok(agent_frame(&Envelope::ok(api::SUSPEND, Empty {})))
}

/// `32600` (extension): the agent ends the chat with `gid`, with the conversation's summary
/// when given (required by some sites: `workbench::closing`).
pub async fn end_chat(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::END_GID_MISSING)?;
    let v = served_visitor(state, l, gid).await?;
    let closing = super::workbench::closing(state, v.site_id, req).await?;
    let line = conversation::end_chat(state, &l.agent, &v, closing).await?;
    Ok(agent_frame(&Envelope::ok(
        api::END_CHAT,
        MessageData {
            gid: v.id.to_string(),
            message_info: message_info(&line),
        },
    )))
}

/// `32620` (extension, 邀请评价): ask visitor `gid`, whom this agent serves, to rate the chat
/// (`-32621` before an agent answered them in this chat). The answer is the system line.
pub async fn ask_rating(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::SEND_GID_MISSING)?;
    let v = served_visitor(state, l, gid).await?;
    let line = conversation::ask_rating(state, &v).await?.ok_or_else(|| {
        AgentError::refused(
            code::RATING_NOTHING_TO_RATE,
            "nothing to rate yet: answer the visitor first",
        )
    })?;
    Ok(agent_frame(&Envelope::ok(
        api::ASK_RATING,
        MessageData {
            gid: v.id.to_string(),
            message_info: message_info(&line),
        },
    )))
}

/// `32400`: hands the visitor `gid` to the agent connection `aix` (on any node). The
/// receiver may be suspended (a colleague chose them explicitly); suspension only stops
/// automatic routing.
pub async fn transfer(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::TRANSFER_GID_MISSING)?;
    let aix = req
        .aix
        .as_ref()
        .and_then(|a| a.non_zero())
        .ok_or_else(|| AgentError::refused(code::TRANSFER_AIX_MISSING, "aix not null"))?;
    let offline = || {
        AgentError::refused(
            code::TRANSFER_AIX_OFFLINE,
            "aix is not an online agent of this site",
        )
    };
    let target = match aix.parse::<i64>() {
        Ok(ix) => state.db.live_agent_conn(ix, state.alive_since()).await?,
        Err(_) => None,
    }
    .filter(|c| c.site_id == l.agent.site_id)
    .ok_or_else(offline)?;
    if target.agent_id == l.agent.id {
        return Err(AgentError::refused(
            code::TRANSFER_TO_SELF,
            "cannot transfer to yourself",
        ));
    }
    let v = visible_visitor(state, &l.agent, gid)
        .await?
        .ok_or_else(AgentError::no_such_visitor)?;
    let to = state
        .db
        .agent_by_id(target.agent_id)
        .await?
        .ok_or_else(offline)?;
    let body = conversation::transfer(state, &l.agent, l.ix, &v, &to, &target).await??;
    Ok(agent_frame(&Envelope::ok(api::TRANSFER, body)))
}

/// `32700` (extension): the agent is typing to `gid` (`status` 1) or stopped (0); every open
/// tab of the visitor shows it.
pub async fn typing(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let gid = gid(req, code::TYPING_GID_MISSING)?;
    let status = match req.status.as_ref().and_then(|s| s.as_i64()) {
        Some(s @ (0 | 1)) => s as u8,
        _ => {
            return Err(AgentError::refused(
                code::BAD_FRAME,
                "status must be 1 (typing) or 0 (stopped)",
            ))
        }
    };
    let v = served_visitor(state, l, gid).await?;
    state.hub.publish_typing(v.id, status == 1);
    Ok(agent_frame(&Envelope::ok(
        api::TYPING,
        TypingData {
            gid: v.id.to_string(),
            status,
        },
    )))
}
