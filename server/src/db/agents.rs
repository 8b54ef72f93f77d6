//! Agents and their skill groups.
//!
//! Owns `agents`, `agent_groups` and `agent_group_members` (with the hosted system's
//! external ids of agents and groups, and groups' working hours).
//!
//! Methods: `create_agent`, `agent_by_id`, `agent_by_account`, `agents_of_site`,
//! `set_agent_disabled`, `set_agent_password`, `set_agent_profile`, `set_agent_prefs`, `account_suffix_used_elsewhere`,
//! `set_agent_external_id`, `resolve_agent`, `create_group`, `groups_of_site`,
//! `groups_of_agent`, `enabled_group_ids`, `set_group_disabled`, `set_group_routing`,
//! `resolve_group`, `external_id_owner`, `routing_groups`, `group_memberships`,
//! `agent_faces_of_visitor`.
//!
//! Routing reads a site's agents, groups and memberships with one query each
//! (`agents_of_site`, `routing_groups`, `group_memberships`), never one per candidate.

use super::rows::AGENT_COLS;
use super::{
    is_unique_violation, now_s, tokens, Agent, Backend, Db, DbError, DbResult, Group, GroupRouting,
};

/// A new agent's row ([`Db::create_agent`]); the password already hashed.
#[derive(Debug)]
pub struct NewAgentRow<'a> {
    pub account: &'a str,
    pub nick: &'a str,
    pub password_hash: &'a str,
    pub groups: &'a [i64],
    pub max_chats: i64,
    pub role: shared::agent::Role,
}

/// What [`Db::set_agent_profile`] changes; `None` keeps a value.
#[derive(Debug, Default)]
pub struct Profile {
    pub nick: Option<String>,
    pub max_chats: Option<i64>,
    /// All of its groups from now on.
    pub groups: Option<Vec<i64>>,
    /// Its avatar URL; `""` clears it.
    pub headimgurl: Option<String>,
    pub role: Option<shared::agent::Role>,
}

/// A group row as [`Group`] reads it, from `agent_groups g`.
const GROUP_COLS: &str = "g.id, g.site_id, g.groupname, g.disabled";

impl Db {
    /// Creates an agent of site `site_id`. Its groups must belong to the same site.
    pub async fn create_agent(&self, site_id: i64, a: NewAgentRow<'_>) -> DbResult<Agent> {
        let NewAgentRow {
            account,
            nick,
            password_hash,
            groups,
            max_chats,
            role,
        } = a;
        let (account, nick, password_hash) = (
            account.to_owned(),
            nick.to_owned(),
            password_hash.to_owned(),
        );
        let groups = groups.to_vec();
        let backend = self.backend;
        let id = self
            .write(move |c| {
                Box::pin(async move {
                    // kf_ids come from the schema and count from 1001, as in seed 002's
                    // examples: PostgreSQL's identity starts there; SQLite's rowid takes
                    // the next free one itself, given 1001 only for the very first agent.
                    let sql = match backend {
                        Backend::Postgres => "INSERT INTO agents (site_id, account, nick, password_hash, max_chats, created_at, role)
                         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                        Backend::Sqlite => "INSERT INTO agents (id, site_id, account, nick, password_hash, max_chats, created_at, role)
                         VALUES (CASE WHEN EXISTS (SELECT 1 FROM agents) THEN NULL ELSE 1001 END, $1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    };
                    let id: i64 = match sqlx::query_scalar(sql)
                        .bind(site_id)
                        .bind(&account)
                        .bind(nick)
                        .bind(password_hash)
                        .bind(max_chats)
                        .bind(now_s())
                        .bind(role.as_str())
                        .fetch_one(&mut *c)
                        .await
                    {
                        Ok(id) => id,
                        Err(e) if is_unique_violation(&e) => {
                            return Err(DbError::AccountTaken(account))
                        }
                        Err(e) => return Err(e.into()),
                    };
                    for g in groups {
                        let ok: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM agent_groups WHERE id = $1 AND site_id = $2",
                        )
                        .bind(g)
                        .bind(site_id)
                        .fetch_optional(&mut *c)
                        .await?;
                        if ok.is_none() {
                            return Err(DbError::NotFound(format!(
                                "group {g} is not a group of this site"
                            )));
                        }
                        sqlx::query(
                            "INSERT INTO agent_group_members (agent_id, group_id) VALUES ($1, $2)",
                        )
                        .bind(id)
                        .bind(g)
                        .execute(&mut *c)
                        .await?;
                    }
                    Ok(id)
                })
            })
            .await?;
        self.agent_by_id(id)
            .await?
            .ok_or_else(|| DbError::NotFound("agent vanished".into()))
    }

    pub async fn agent_by_id(&self, id: i64) -> DbResult<Option<Agent>> {
        Ok(
            sqlx::query_as(&format!("SELECT {AGENT_COLS} FROM agents WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// `(nick, avatar URL)` of every agent with an avatar who wrote in `visitor_id`'s
    /// conversation (seed 003 `show_face`), by nick.
    pub async fn agent_faces_of_visitor(&self, visitor_id: i64) -> DbResult<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT nick, headimgurl FROM agents WHERE headimgurl <> '' AND id IN \
             (SELECT DISTINCT agent_id FROM messages WHERE visitor_id = $1 AND agent_id IS NOT NULL) \
             ORDER BY nick",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn agent_by_account(&self, account: &str) -> DbResult<Option<Agent>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE account = $1"
        ))
        .bind(account)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn agents_of_site(&self, site_id: i64) -> DbResult<Vec<Agent>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE site_id = $1 ORDER BY id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Changes an agent's nick, most chats, avatar URL (`""` clears it), role and groups (all
    /// of them: `groups` replaces its memberships; each must be a group of `site_id`, else
    /// nothing changes). `None` keeps one.
    pub async fn set_agent_profile(&self, site_id: i64, agent_id: i64, p: Profile) -> DbResult<()> {
        let Profile {
            nick,
            max_chats,
            groups,
            headimgurl,
            role,
        } = p;
        self.write(move |c| {
            Box::pin(async move {
                if let Some(groups) = groups {
                    for &g in &groups {
                        let ok: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM agent_groups WHERE id = $1 AND site_id = $2",
                        )
                        .bind(g)
                        .bind(site_id)
                        .fetch_optional(&mut *c)
                        .await?;
                        if ok.is_none() {
                            return Err(DbError::NotFound(format!(
                                "group {g} is not a group of this site"
                            )));
                        }
                    }
                    sqlx::query("DELETE FROM agent_group_members WHERE agent_id = $1")
                        .bind(agent_id)
                        .execute(&mut *c)
                        .await?;
                    for g in groups {
                        sqlx::query(
                            "INSERT INTO agent_group_members (agent_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                        )
                        .bind(agent_id)
                        .bind(g)
                        .execute(&mut *c)
                        .await?;
                    }
                }
                // One UPDATE; a NULL keeps the column.
                sqlx::query(
                    "UPDATE agents SET nick = COALESCE($1, nick), headimgurl = COALESCE($2, headimgurl),
                       max_chats = COALESCE($3, max_chats), role = COALESCE($6, role) WHERE id = $4 AND site_id = $5",
                )
                .bind(nick)
                .bind(headimgurl)
                .bind(max_chats)
                .bind(agent_id)
                .bind(site_id)
                .bind(role.map(|r| r.as_str()))
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Sets agent `agent_id`'s console language and time zone (already checked); `None`
    /// keeps one.
    pub async fn set_agent_prefs(
        &self,
        agent_id: i64,
        locale: Option<String>,
        tz: Option<String>,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE agents SET locale = COALESCE($1, locale), tz = COALESCE($2, tz) WHERE id = $3",
                )
                .bind(locale)
                .bind(tz)
                .bind(agent_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Disables or re-enables an agent. A disabled agent cannot log in (`-31003`) and its open
    /// sockets are closed at their next check. Returns false when no such account exists.
    pub async fn set_agent_disabled(&self, account: &str, disabled: bool) -> DbResult<bool> {
        let account = account.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query("UPDATE agents SET disabled = $1 WHERE account = $2")
                    .bind(disabled as i64)
                    .bind(account)
                    .execute(&mut *c)
                    .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Replaces an agent's password hash and revokes its agent tokens. False when no agent
    /// has this account.
    pub async fn set_agent_password(&self, account: &str, password_hash: &str) -> DbResult<bool> {
        let (account, password_hash) = (account.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                let id: Option<i64> = sqlx::query_scalar(
                    "UPDATE agents SET password_hash = $1 WHERE account = $2 RETURNING id",
                )
                .bind(password_hash)
                .bind(account)
                .fetch_optional(&mut *c)
                .await?;
                let Some(id) = id else {
                    return Ok(false);
                };
                tokens::revoke_agent(c, id).await?;
                Ok(true)
            })
        })
        .await
    }

    /// Whether an agent of a site other than `site_id` has an account `…@suffix`, in any
    /// case (accounts are ASCII).
    pub async fn account_suffix_used_elsewhere(
        &self,
        site_id: i64,
        suffix: &str,
    ) -> DbResult<bool> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM agents WHERE site_id != $1 AND lower(substr(account, instr(account, '@') + 1)) = lower($2)",
            Backend::Postgres => "SELECT COUNT(*) FROM agents WHERE site_id != $1 AND lower(substr(account, strpos(account, '@') + 1)) = lower($2)",
        };
        let n: i64 = sqlx::query_scalar(sql)
            .bind(site_id)
            .bind(suffix)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Sets (or with `None` clears) an agent's external id.
    pub async fn set_agent_external_id(
        &self,
        agent_id: i64,
        external_id: Option<String>,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE agents SET external_id = $1 WHERE id = $2")
                    .bind(external_id)
                    .bind(agent_id)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// The agent of `site_id` that `key` names: by external id first, then by kf_id.
    pub async fn resolve_agent(&self, site_id: i64, key: &str) -> DbResult<Option<i64>> {
        self.resolve("agents", site_id, key).await
    }

    pub async fn create_group(&self, site_id: i64, groupname: &str) -> DbResult<Group> {
        let name = groupname.to_owned();
        let id: i64 = self
            .write(move |c| {
                Box::pin(async move {
                    Ok(sqlx::query_scalar(
                        "INSERT INTO agent_groups (site_id, groupname) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(site_id)
                    .bind(name)
                    .fetch_one(&mut *c)
                    .await?)
                })
            })
            .await?;
        Ok(Group {
            id,
            site_id,
            groupname: groupname.to_owned(),
            disabled: false,
        })
    }

    pub async fn groups_of_site(&self, site_id: i64) -> DbResult<Vec<Group>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {GROUP_COLS} FROM agent_groups g WHERE g.site_id = $1 ORDER BY g.id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn groups_of_agent(&self, agent_id: i64) -> DbResult<Vec<Group>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {GROUP_COLS} FROM agent_groups g JOIN agent_group_members m ON m.group_id = g.id WHERE m.agent_id = $1 ORDER BY g.id"
        ))
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ids of the enabled groups an agent belongs to.
    pub async fn enabled_group_ids(&self, agent_id: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT g.id FROM agent_groups g JOIN agent_group_members m ON m.group_id = g.id
             WHERE m.agent_id = $1 AND g.disabled = 0",
        )
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Disables or re-enables a group of a site. Returns false when the site has no such group.
    pub async fn set_group_disabled(
        &self,
        site_id: i64,
        group_id: i64,
        disabled: bool,
    ) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE agent_groups SET disabled = $1 WHERE id = $2 AND site_id = $3",
                )
                .bind(disabled as i64)
                .bind(group_id)
                .bind(site_id)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Changes a group's external id and working hours (`Some(None)` clears). False when the
    /// site has no such group.
    pub async fn set_group_routing(
        &self,
        site_id: i64,
        group_id: i64,
        external_id: Option<Option<String>>,
        hours: Option<Option<(String, String)>>,
    ) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM agent_groups WHERE id = $1 AND site_id = $2",
                )
                .bind(group_id)
                .bind(site_id)
                .fetch_optional(&mut *c)
                .await?;
                if found.is_none() {
                    return Ok(false);
                }
                if let Some(x) = external_id {
                    sqlx::query("UPDATE agent_groups SET external_id = $1 WHERE id = $2")
                        .bind(x)
                        .bind(group_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(h) = hours {
                    let (hours, tz) = h.unzip();
                    sqlx::query("UPDATE agent_groups SET hours = $1, tz = $2 WHERE id = $3")
                        .bind(hours)
                        .bind(tz)
                        .bind(group_id)
                        .execute(&mut *c)
                        .await?;
                }
                Ok(true)
            })
        })
        .await
    }

    /// The group of `site_id` that `key` names: by external id first, then by id.
    pub async fn resolve_group(&self, site_id: i64, key: &str) -> DbResult<Option<i64>> {
        self.resolve("agent_groups", site_id, key).await
    }

    /// The agent (`groups` false) or group of `site_id` holding this external id.
    pub async fn external_id_owner(
        &self,
        groups: bool,
        site_id: i64,
        external_id: &str,
    ) -> DbResult<Option<i64>> {
        let table = if groups { "agent_groups" } else { "agents" };
        Ok(sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE site_id = $1 AND external_id = $2"
        ))
        .bind(site_id)
        .bind(external_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn resolve(&self, table: &str, site_id: i64, key: &str) -> DbResult<Option<i64>> {
        let key = key.trim();
        if key.is_empty() || key.len() > 128 {
            return Ok(None);
        }
        let by_external: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE site_id = $1 AND external_id = $2"
        ))
        .bind(site_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        if by_external.is_some() {
            return Ok(by_external);
        }
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(sqlx::query_scalar(&format!(
            "SELECT id FROM {table} WHERE site_id = $1 AND id = $2"
        ))
        .bind(site_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every group of a site with its routing settings.
    pub async fn routing_groups(&self, site_id: i64) -> DbResult<Vec<GroupRouting>> {
        Ok(sqlx::query_as(
            "SELECT id, site_id, external_id, disabled, hours, tz FROM agent_groups WHERE site_id = $1 ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// `(agent_id, group_id)` for every membership of a site's agents in its enabled groups.
    pub async fn group_memberships(&self, site_id: i64) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT m.agent_id, m.group_id FROM agent_group_members m JOIN agent_groups g ON g.id = m.group_id
             WHERE g.site_id = $1 AND g.disabled = 0",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
