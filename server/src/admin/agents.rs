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
    pub role: shared::agent::Role,
}

pub async fn create_agent(db: &Db, a: NewAgent<'_>) -> Result<AgentCreated, AdminError> {
    check_account(a.account)?;
    check_nick(a.nick)?;
    check_password(a.password)?;
    check_max_chats(a.max_chats)?;
    let site = db
        .site_by_sysnum(a.sysnum)
        .await?
        .ok_or_else(|| AdminError::NoSite(a.sysnum.to_owned()))?;
    let phc = hash(a.password).await?;
    let agent = db
        .create_agent(
            site.id,
            crate::db::NewAgentRow {
                account: a.account,
                nick: a.nick.trim(),
                password_hash: &phc,
                groups: a.groups,
                max_chats: a.max_chats,
                role: a.role,
            },
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

/// A site's agents with their groups, as the admin API lists them.
pub async fn list_agents(
    db: &Db,
    sysnum: &str,
) -> Result<Vec<shared::admin::AgentInfo>, AdminError> {
    let site = site_of(db, sysnum).await?;
    let mut out = Vec::new();
    for a in db.agents_of_site(site.id).await? {
        let groups = db.groups_of_agent(a.id).await?;
        out.push(shared::admin::AgentInfo {
            kf_id: a.id,
            kf_account: a.account,
            nick: a.nick,
            groups: groups.into_iter().map(|g| g.id).collect(),
            max_chats: a.max_chats,
            disabled: a.disabled,
            avatar: a.headimgurl,
            role: a.role,
        });
    }
    Ok(out)
}

fn check_max_chats(n: i64) -> Result<(), AdminError> {
    if !(1..=1000).contains(&n) {
        return Err(AdminError::Invalid("max chats must be 1-1000".into()));
    }
    Ok(())
}

/// Changes agent `s.account` of site `sysnum` (`admin agent set`, `passwd`,
/// `disable`/`enable`; the admin API's `agent/set`): nick, most chats, groups (all of
/// them), enabled or not, a new password (which ends its logins). Every value is checked
/// before anything is stored; an account of another site is [`AdminError::NoAgent`].
pub async fn set_agent(
    db: &Db,
    sysnum: &str,
    s: shared::admin::AgentSet,
) -> Result<(), AdminError> {
    let site = site_of(db, sysnum).await?;
    let account = s.account.trim();
    let agent = db
        .agent_by_account(account)
        .await?
        .filter(|a| a.site_id == site.id)
        .ok_or_else(|| AdminError::NoAgent(account.to_owned()))?;
    if let Some(n) = &s.nick {
        check_nick(n)?;
    }
    if let Some(n) = s.max_chats {
        check_max_chats(n)?;
    }
    if let Some(p) = &s.password {
        check_password(p)?;
    }
    // An avatar is an http(s) URL (encoded or not, seed 003 style); "" clears it.
    let avatar = match s.avatar.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(String::new()),
        Some(u) => Some(
            shared::card::safe_url(u)
                .filter(|u| u.len() <= 1000)
                .ok_or_else(|| AdminError::Invalid("avatar must be an http(s) URL".into()))?,
        ),
    };
    if s.nick.is_none()
        && s.max_chats.is_none()
        && s.groups.is_none()
        && s.disabled.is_none()
        && s.password.is_none()
        && avatar.is_none()
        && s.role.is_none()
    {
        return Err(AdminError::Invalid(
            "nothing to set: give --avatar, --nick, --max-chats, --role or --group".into(),
        ));
    }
    if let Some(groups) = &s.groups {
        let ours = db.groups_of_site(site.id).await?;
        if let Some(g) = groups.iter().find(|g| !ours.iter().any(|o| o.id == **g)) {
            return Err(AdminError::Invalid(format!(
                "group {g} is not a group of this site"
            )));
        }
    }
    db.set_agent_profile(
        site.id,
        agent.id,
        crate::db::Profile {
            nick: s.nick.map(|n| n.trim().to_owned()),
            max_chats: s.max_chats,
            groups: s.groups,
            headimgurl: avatar,
            role: s.role,
        },
    )
    .await?;
    if let Some(p) = &s.password {
        set_password(db, account, p).await?;
    }
    if let Some(d) = s.disabled {
        set_agent_disabled(db, account, d).await?;
    }
    Ok(())
}

/// The sysnum of the site agent `account` belongs to.
pub async fn site_of_agent(db: &Db, account: &str) -> Result<String, AdminError> {
    let account = account.trim();
    let agent = db
        .agent_by_account(account)
        .await?
        .ok_or_else(|| AdminError::NoAgent(account.to_owned()))?;
    let site = db
        .site_by_id(agent.site_id)
        .await?
        .ok_or_else(|| AdminError::NoAgent(account.to_owned()))?;
    Ok(site.sysnum.to_string())
}
