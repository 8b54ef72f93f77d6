//! `31000` login and the agent's lists: `32000` the chat list (also the login's answer) and
//! `33000` the online agents of the site (`admin_list`).

use std::collections::BTreeMap;

use shared::agent::{api, code, AdminEntry, Envelope, ListData, Me, Request};
use tokio::sync::mpsc;

use super::error::{AgentError, AgentResult};
use super::{logout, Login};
use crate::db::{now_s, Agent, DbResult};
use crate::wire::{agent_frame, guest_entry, AgentFrame};
use crate::AppState;

/// `31000`: the token from `POST /api/agent/login` logs this connection in (refreshed when
/// less than half of its lifetime is left); the answer is the chat list. A connection that
/// logs in again leaves its old login. New capacity: whoever waits is served.
pub async fn login(
    state: &AppState,
    login: &mut Option<Login>,
    queue: &mut Option<mpsc::Receiver<AgentFrame>>,
    req: &Request,
) -> AgentResult<AgentFrame> {
    let fail = |c: i64, m: &'static str| Err(AgentError::refused(c, m));
    let token = req.token.as_deref().unwrap_or("").trim();
    if token.is_empty() || token.len() > 128 {
        return fail(
            code::TOKEN_INVALID,
            "解析token失败: token missing or malformed",
        );
    }
    let Some(tok) = state.db.agent_token(token).await? else {
        return fail(
            code::TOKEN_INVALID,
            "解析token失败: unknown or expired token",
        );
    };
    let Some(agent) = state.db.agent_by_id(tok.agent_id).await? else {
        return fail(code::ADMIN_NOT_FOUND, "管理员admin_id不存在");
    };
    if agent.disabled {
        return fail(code::ADMIN_FORBIDDEN, "管理员被禁止登录或不存在");
    }
    let groups = state.db.groups_of_agent(agent.id).await?;
    if !groups.is_empty() && groups.iter().all(|g| g.disabled) {
        return fail(code::GROUP_FORBIDDEN, "客服组被禁止或不存在");
    }
    // Refresh when less than half of the token's lifetime is left — within 30 days of the
    // password login it descends from (`Db::refresh_agent_token`); after that the token runs
    // out and the agent logs in with the password again.
    let ttl = state.config.agent_token_ttl.as_secs() as i64;
    let refreshed = if tok.expires_at - now_s() < ttl / 2 {
        state.db.refresh_agent_token(token, ttl).await?
    } else {
        None
    };
    let (is_refresh, refresh_token, expires_at) = match refreshed {
        Some(t) => (1, t, now_s() + ttl),
        None => (0, String::new(), tok.expires_at),
    };
    if let Some(old) = login.take() {
        logout(state, old.ix).await;
    }
    // The `ix` is the connection's row: unique across nodes, seen by every node's routing.
    let node = state.node_id().await?;
    let ix = state
        .db
        .add_agent_conn(node, agent.id, agent.site_id)
        .await? as u64;
    *queue = Some(
        state
            .hub
            .register_agent(ix, agent.id, agent.site_id, agent.role.supervises()),
    );
    tracing::info!(ix, agent = agent.id, "agent logged in");
    let token = if refresh_token.is_empty() {
        token.to_owned()
    } else {
        refresh_token.clone()
    };
    let l = Login {
        ix,
        agent,
        token,
        expires_at,
    };
    let data = chat_list(state, &l, Some((is_refresh, refresh_token))).await?;
    let site_id = l.agent.site_id;
    *login = Some(l);
    // New capacity: serve whoever waits (their 32401s follow this response).
    crate::conversation::drain(state, site_id).await?;
    Ok(agent_frame(&Envelope::ok(api::LOGIN, data)))
}

/// `32000`: the chat list.
pub async fn chats(state: &AppState, l: &Login) -> AgentResult<AgentFrame> {
    let data = chat_list(state, l, None).await?;
    Ok(agent_frame(&Envelope::ok(api::CHAT_LIST, data)))
}

/// `33000`: the site's agents online on any node.
pub async fn online(state: &AppState, l: &Login) -> AgentResult<AgentFrame> {
    let data = admin_list(state, l.agent.site_id).await?;
    Ok(agent_frame(&Envelope::ok(api::ONLINE_AGENTS, data)))
}

async fn admin_list(state: &AppState, site_id: i64) -> DbResult<BTreeMap<String, AdminEntry>> {
    let loads: BTreeMap<i64, i64> = state.db.agent_loads(site_id).await?.into_iter().collect();
    let agents: BTreeMap<i64, Agent> = state
        .db
        .agents_of_site(site_id)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut out = BTreeMap::new();
    // Every node's connections (`db/cluster.rs`).
    for c in state
        .db
        .live_agent_conns(site_id, state.alive_since())
        .await?
    {
        let Some(a) = agents.get(&c.agent_id).cloned() else {
            continue;
        };
        let ix = c.ix.to_string();
        out.insert(
            ix.clone(),
            AdminEntry {
                ix,
                kf_id: a.id.to_string(),
                kf_account: a.account,
                kf_nick: a.nick,
                kf_headimgurl: a.headimgurl,
                status: if c.suspended { 2 } else { 1 },
                accepted_case: loads.get(&a.id).copied().unwrap_or(0) as u32,
            },
        );
    }
    Ok(out)
}

/// The logged-in agent as `31000`, `32000` and `32950` tell it.
pub fn me(a: &Agent) -> Me {
    Me {
        kf_id: a.id.to_string(),
        kf_account: a.account.clone(),
        kf_nick: a.nick.clone(),
        role: a.role,
        locale: a.locale.clone(),
        tz: a.tz.clone(),
    }
}

async fn chat_list(
    state: &AppState,
    l: &Login,
    refresh: Option<(u8, String)>,
) -> DbResult<ListData> {
    let site = l.agent.site_id;
    let mut guest_list = BTreeMap::new();
    // Tabs on other nodes count too.
    let elsewhere = crate::presence::site_visitors_online_elsewhere(state, site).await?;
    for g in state.db.guests_for_agent(site, l.agent.id).await? {
        let v = &g.visitor;
        let online = state.hub.visitor_online(v.id) || elsewhere.contains(&v.id);
        let g = guest_entry(v, g.last.as_ref(), g.unread, online);
        guest_list.insert(g.gid.clone(), g);
    }
    let (is_refresh, refresh_token) = refresh.unwrap_or((0, String::new()));
    Ok(ListData {
        ix: l.ix.to_string(),
        admin_list: admin_list(state, site).await?,
        guest_list,
        is_refresh,
        refresh_token,
        // Read now: `32950` may have changed it since this connection logged in.
        me: Some(me(&state
            .db
            .agent_by_id(l.agent.id)
            .await?
            .unwrap_or_else(|| l.agent.clone()))),
    })
}

/// `32950`: this agent's console language (`cn`, `en`, `tw`; `""` the browser's) and time
/// zone (an IANA name; `""` the browser's). Absent fields are kept; the answer is [`Me`].
pub async fn prefs(state: &AppState, l: &Login, req: &Request) -> AgentResult<AgentFrame> {
    let bad = |m: String| AgentError::refused(code::PREFS_INVALID, m);
    let locale = match req.locale.as_deref().map(str::trim) {
        None => None,
        Some(x @ ("" | "cn" | "en" | "tw")) => Some(x.to_owned()),
        Some(x) => {
            let x: String = x.chars().take(20).collect();
            return Err(bad(format!(
                "locale must be cn, en, tw or empty, not {x:?}"
            )));
        }
    };
    let tz = match req.tz.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(z) if z.len() > 64 => return Err(bad("unknown time zone".into())),
        Some(z) => {
            crate::rules::time_zone(z).map_err(bad)?;
            Some(z.to_owned())
        }
    };
    if locale.is_none() && tz.is_none() {
        return Err(bad("nothing to set: give locale or tz".into()));
    }
    state.db.set_agent_prefs(l.agent.id, locale, tz).await?;
    let a = state
        .db
        .agent_by_id(l.agent.id)
        .await?
        .unwrap_or_else(|| l.agent.clone());
    Ok(agent_frame(&Envelope::ok(api::PREFS, me(&a))))
}
