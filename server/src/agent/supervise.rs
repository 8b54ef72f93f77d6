//! A supervisor's (or admin's) requests (issue 25, roles): `32840` every chat of the site,
//! `32842` take one. Joining a colleague's chat is `32300` (`conversation::agent_reply`
//! lets a supervisor write in it); every message of the site reaches them as `32841`
//! (`conversation::tell_watchers`).

use std::collections::HashMap;

use shared::agent::{api, code, Envelope, Request, WatchList, Watched};

use super::error::{AgentError, AgentResult};
use super::Login;
use crate::conversation::{self, guest, visible_visitor};
use crate::wire::{agent_frame, guest_entry, AgentFrame};
use crate::AppState;

/// The request needs a supervisor's or admin's role (`-31005`).
fn supervisor(l: &Login) -> AgentResult<()> {
    if l.agent.role.supervises() {
        Ok(())
    } else {
        Err(AgentError::refused(
            code::ROLE_FORBIDDEN,
            "only a supervisor or an admin may do this",
        ))
    }
}

/// `32840`: every chat of the site now (served by anyone or waiting), the latest seen first,
/// each with the name of the agent serving it.
pub async fn watch_list(state: &AppState, l: &Login) -> AgentResult<AgentFrame> {
    supervisor(l)?;
    let site = l.agent.site_id;
    let nicks: HashMap<i64, String> = state
        .db
        .agents_of_site(site)
        .await?
        .into_iter()
        .map(|a| (a.id, a.nick))
        .collect();
    let elsewhere = crate::presence::site_visitors_online_elsewhere(state, site).await?;
    let mut chats = Vec::new();
    for g in state.db.site_chats(site).await? {
        let v = &g.visitor;
        let online = state.hub.visitor_online(v.id) || elsewhere.contains(&v.id);
        let kf_nick = v
            .agent_id
            .and_then(|a| nicks.get(&a).cloned())
            .unwrap_or_default();
        chats.push(Watched {
            guest: guest_entry(v, g.last.as_ref(), g.unread, online),
            kf_nick,
        });
    }
    Ok(agent_frame(&Envelope::ok(
        api::WATCH_LIST,
        WatchList { chats },
    )))
}

/// `32842`: take visitor `gid` of this site from whoever serves them (they get `32402`, this
/// connection `32401` as after a transfer) or out of the queue; the answer is the visitor
/// as [`WatchList`] shows them, now this agent's.
pub async fn take(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    supervisor(l)?;
    let gid = req
        .gid
        .as_ref()
        .and_then(|g| g.non_zero())
        .ok_or_else(|| AgentError::gid_missing(code::SEND_GID_MISSING))?;
    let v = visible_visitor(state, &l.agent, gid)
        .await?
        .filter(|v| v.site_id == l.agent.site_id)
        .ok_or_else(AgentError::no_such_visitor)?;
    if v.agent_id == Some(l.agent.id) {
        return Err(AgentError::refused(
            code::TAKE_OWN,
            "you already serve this visitor",
        ));
    }
    let at = state
        .db
        .live_agent_conn(l.ix as i64, state.alive_since())
        .await?
        .ok_or_else(|| AgentError::refused(code::RELOGIN, "please log in again"))?;
    conversation::take(state, &l.agent, &at, &v).await??;
    let now = state
        .db
        .visitor_by_id(v.id)
        .await?
        .ok_or_else(AgentError::no_such_visitor)?;
    Ok(agent_frame(&Envelope::ok(
        api::TAKE,
        Watched {
            guest: guest(state, &now).await?,
            kf_nick: l.agent.nick.clone(),
        },
    )))
}
