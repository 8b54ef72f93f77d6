//! The agent's requests about left messages (issue 24, extensions): `34000` list, `34100`
//! answer, `34200` done / open again. Each checks its fields, then calls `crate::leave`.

use shared::agent::{api, code, Envelope, Request};

use super::error::{AgentError, AgentResult};
use super::Login;
use crate::leave::{self, Refusal};
use crate::wire::{agent_frame, AgentFrame};
use crate::AppState;

/// The request's `id` (absent or `0`: `-34101`).
fn id(req: &Request) -> AgentResult<i64> {
    req.id
        .as_ref()
        .and_then(|i| i.non_zero())
        .and_then(|i| i.parse().ok())
        .ok_or_else(|| AgentError::refused(code::LEAVE_ID_MISSING, "id not null"))
}

fn refused(r: Refusal) -> AgentError {
    match r {
        Refusal::NotFound => AgentError::refused(code::LEAVE_NOT_FOUND, "no such left message"),
        Refusal::BadAnswer => AgentError::refused(
            code::LEAVE_ANSWER_INVALID,
            "the answer is empty, too long or has control characters",
        ),
    }
}

/// `34000`: a page of the site's left messages and how many are open.
pub async fn list(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let done = match req.status.as_ref().and_then(|s| s.as_i64()) {
        Some(0) => Some(false),
        Some(1) => Some(true),
        _ => None,
    };
    let page = req
        .page_index
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(1);
    let size = req
        .page_size
        .as_ref()
        .and_then(|p| p.as_i64())
        .unwrap_or(20);
    let data = leave::list(state, l.agent.site_id, done, page, size).await?;
    Ok(agent_frame(&Envelope::ok(api::LEAVE_LIST, data)))
}

/// `34100`: answer left message `id` with `msg`.
pub async fn answer(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let id = id(req)?;
    let msg = req.msg.as_ref().map_or("", |m| m.0.as_str());
    let m = leave::answer(state, &l.agent, id, msg)
        .await?
        .map_err(refused)?;
    Ok(agent_frame(&Envelope::ok(api::LEAVE_ANSWER, m)))
}

/// `34200`: left message `id` done (`status: 1`, the default) or open again (`0`).
pub async fn done(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let id = id(req)?;
    let done = req.status.as_ref().and_then(|s| s.as_i64()) != Some(0);
    let m = leave::set_done(state, &l.agent, id, done)
        .await?
        .map_err(refused)?;
    Ok(agent_frame(&Envelope::ok(api::LEAVE_DONE, m)))
}
