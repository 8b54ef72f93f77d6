//! Agents: accounts (`prefix@site`), nicks, passwords, enabled or not, external ids.

use super::*;

/// `kf_account` is `prefix@site`, as seed 002 spells it.
pub fn check_account(account: &str) -> Result<(), AdminError> {
    let ok = match account.split_once('@') {
        Some((prefix, site)) => {
            let part = |s: &str| {
                !s.is_empty()
                    && s.len() <= 64
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            };
            part(prefix) && part(site)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(AdminError::Invalid(
            "account must look like prefix@site (letters, digits, . _ -)".into(),
        ))
    }
}

/// An agent's nick: 1-64 characters, not only whitespace.
pub fn check_nick(nick: &str) -> Result<(), AdminError> {
    check_name("nick", nick, 64)
}

fn check_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 8 {
        return Err(AdminError::Invalid(
            "password must have at least 8 characters".into(),
        ));
    }
    Ok(())
}

async fn hash(password: &str) -> Result<String, AdminError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))?
        .map_err(|e| AdminError::Invalid(format!("hashing failed: {e}")))
}

pub struct NewAgent<'a> {
    pub sysnum: &'a str,
    pub account: &'a str,
    pub nick: &'a str,
    pub password: &'a str,
    pub groups: &'a [i64],
    pub max_chats: i64,
}

pub async fn create_agent(db: &Db, a: NewAgent<'_>) -> Result<AgentCreated, AdminError> {
    check_account(a.account)?;
    check_nick(a.nick)?;
    check_password(a.password)?;
    if !(1..=1000).contains(&a.max_chats) {
        return Err(AdminError::Invalid("max chats must be 1-1000".into()));
    }
    let site = db
        .site_by_sysnum(a.sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(a.sysnum.to_owned()))?;
    let phc = hash(a.password).await?;
    let agent = db
        .create_agent(
            site.id,
            a.account,
            a.nick.trim(),
            &phc,
            a.groups,
            a.max_chats,
        )
        .await
        .map_err(|e| match e {
            DbError::AccountTaken(_) => AdminError::Exists(a.account.to_owned()),
            DbError::NotFound(m) => AdminError::Invalid(m),
            e => AdminError::Db(e),
        })?;
    Ok(AgentCreated {
        kf_id: agent.id.to_string(),
        kf_account: agent.account,
    })
}

/// Disables (or re-enables) an agent; a disabled agent's open sockets close at their next
/// check. `revoke` also invalidates every token it holds.
pub async fn set_agent_disabled(db: &Db, account: &str, disabled: bool) -> Result<(), AdminError> {
    if !db.set_agent_disabled(account, disabled).await? {
        return Err(AdminError::Invalid(format!(
            "no agent with account {account}"
        )));
    }
    Ok(())
}

/// Revokes every token of an agent (its sockets close at their next check); returns how many.
pub async fn revoke_agent(db: &Db, account: &str) -> Result<u64, AdminError> {
    let agent = db
        .agent_by_account(account)
        .await?
        .ok_or_else(|| AdminError::Invalid(format!("no agent with account {account}")))?;
    Ok(db.revoke_agent_tokens(agent.id).await?)
}

/// Sets an agent's password (at least 8 characters) and revokes its current agent tokens.
/// Agents created through seed 002's `kfaccount/add` have a random password nobody knows
/// until an operator sets one with this (`frontdesk admin agent passwd`).
pub async fn set_password(db: &Db, account: &str, password: &str) -> Result<(), AdminError> {
    check_password(password)?;
    let phc = hash(password).await?;
    if db.set_agent_password(account.trim(), &phc).await? {
        Ok(())
    } else {
        Err(AdminError::NoAgent(account.trim().to_owned()))
    }
}

/// `admin agent set`: an agent's avatar (an `http(s)` URL, shown to visitors and in seed
/// 002's `kf_headimgurl`; `""` clears it), nick, most chats at once.
pub async fn set_agent(
    db: &Db,
    account: &str,
    avatar: Option<&str>,
    nick: Option<&str>,
    max_chats: Option<i64>,
) -> Result<(), AdminError> {
    let avatar = match avatar.map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(u) => Some(
            shared::card::safe_url(u)
                .filter(|u| u.len() <= 1000)
                .ok_or_else(|| AdminError::Invalid("avatar must be an http(s) URL".into()))?,
        ),
    };
    if let Some(n) = nick {
        check_nick(n)?;
    }
    if max_chats.is_some_and(|m| !(1..=1000).contains(&m)) {
        return Err(AdminError::Invalid("max chats must be 1-1000".into()));
    }
    if avatar.is_none() && nick.is_none() && max_chats.is_none() {
        return Err(AdminError::Invalid(
            "nothing to set: give --avatar, --nick or --max-chats".into(),
        ));
    }
    if db
        .update_agent(
            account.trim(),
            avatar.as_deref(),
            nick.map(str::trim),
            max_chats,
        )
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NoAgent(account.trim().to_owned()))
    }
}

/// Gives an agent (by kf_id) an external id; `""` clears it.
pub async fn set_agent_external_id(
    db: &Db,
    sysnum: &str,
    kf_id: i64,
    external_id: &str,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let external_id = external_id.trim();
    if !external_id.is_empty() {
        external_id_free(db, false, site.id, external_id, kf_id).await?;
    }
    db.set_agent_external_id(
        kf_id,
        Some(external_id.to_owned()).filter(|x| !x.is_empty()),
    )
    .await?;
    Ok(())
}

/// Checks an external id for an agent about to be created on `sysnum`.
pub async fn check_new_agent_external_id(
    db: &Db,
    sysnum: &str,
    external_id: &str,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    external_id_free(db, false, site.id, external_id.trim(), 0).await
}

/// An agent as `agent list` shows it (seed 002's field names).
#[derive(Debug, Serialize)]
pub struct AgentSummary {
    pub kf_id: String,
    pub kf_account: String,
    pub kf_nick: String,
    pub max_chats: i64,
    pub disabled: bool,
    /// The ids of the agent's skill groups.
    pub groups: Vec<i64>,
}

/// A site's agents, oldest first.
pub async fn list_agents(db: &Db, sysnum: &str) -> Result<Vec<AgentSummary>, AdminError> {
    let site = site_of(db, sysnum).await?;
    let mut out = Vec::new();
    for a in db.agents_of_site(site.id).await? {
        let groups = db.groups_of_agent(a.id).await?;
        out.push(AgentSummary {
            kf_id: a.id.to_string(),
            kf_account: a.account,
            kf_nick: a.nick,
            max_chats: a.max_chats,
            disabled: a.disabled,
            groups: groups.into_iter().map(|g| g.id).collect(),
        });
    }
    Ok(out)
}
