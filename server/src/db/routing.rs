//! Routing storage (issue 11): agents' and groups' external ids, groups' working hours, VIP
//! levels, the sites' reception settings and platform links, the visitor's stored route and
//! queue priority, and the reads `routing.rs` builds its snapshot from (one query each for a
//! site's agents, loads, memberships and groups, never one per candidate).

use shared::reception::Mode;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{visitor_from, Db, DbResult, Visitor, VISITOR_COLS};

/// The site's reception settings (`admin site set --reception 1-4 --manual-after N
/// --offline-title T --agent-hello T`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteReception {
    /// The mode for pages that do not say (`type`); default human only (2).
    pub mode: Mode,
    /// Robot answers that miss before `show_manual` shows the hand-over control; default 1.
    pub manual_after: u32,
    pub offline_title: Option<String>,
    pub agent_hello: Option<String>,
}

impl Default for SiteReception {
    fn default() -> Self {
        SiteReception {
            mode: Mode::HumanOnly,
            manual_after: 1,
            offline_title: None,
            agent_hello: None,
        }
    }
}

/// Reception settings to change; `None` leaves one as it is, `Some(None)` clears a text.
#[derive(Debug, Clone, Default)]
pub struct SiteReceptionUpdate {
    pub mode: Option<i64>,
    pub manual_after: Option<i64>,
    pub offline_title: Option<Option<String>>,
    pub agent_hello: Option<Option<String>>,
    pub platform: Option<Option<String>>,
}

/// A VIP level a site defines (`vip_level` names it by `level_id` or `name`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VipLevel {
    pub level_id: String,
    pub name: String,
    /// Higher ranks are served first.
    pub rank: i64,
}

/// A group as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRouting {
    pub id: i64,
    pub site_id: i64,
    pub external_id: Option<String>,
    pub disabled: bool,
    /// Working hours (`rules::Hours`) and their IANA zone; no hours: always on duty.
    pub hours: Option<String>,
    pub tz: Option<String>,
}

fn mode_of(n: i64) -> Mode {
    Mode::parse(&n.to_string()).unwrap_or(Mode::HumanOnly)
}

/// A site row's reception columns (`reception, manual_after, offline_title, agent_hello`).
pub(super) fn site_reception_from(r: &AnyRow) -> DbResult<SiteReception> {
    Ok(SiteReception {
        mode: mode_of(r.try_get("reception")?),
        manual_after: u32::try_from(r.try_get::<i64, _>("manual_after")?).unwrap_or(1),
        offline_title: r.try_get("offline_title")?,
        agent_hello: r.try_get("agent_hello")?,
    })
}

impl Db {
    /// The site's reception settings (defaults for an unknown site).
    pub async fn site_reception(&self, site_id: i64) -> DbResult<SiteReception> {
        let row = sqlx::query(
            "SELECT reception, manual_after, offline_title, agent_hello FROM sites WHERE id = $1",
        )
        .bind(site_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref()
            .map(site_reception_from)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The platform code a site is linked to, if any.
    pub async fn site_platform(&self, site_id: i64) -> DbResult<Option<String>> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT platform FROM sites WHERE id = $1")
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// The other sites linked to the same platform as `site_id` (none when it has none).
    pub async fn linked_sites(&self, site_id: i64) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sites WHERE platform IS NOT NULL AND id <> $1
             AND platform = (SELECT platform FROM sites WHERE id = $1) ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Changes a site's reception settings (values already validated by `admin.rs`).
    pub async fn set_site_reception(&self, site_id: i64, u: SiteReceptionUpdate) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                if let Some(m) = u.mode {
                    sqlx::query("UPDATE sites SET reception = $1 WHERE id = $2")
                        .bind(m)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                if let Some(n) = u.manual_after {
                    sqlx::query("UPDATE sites SET manual_after = $1 WHERE id = $2")
                        .bind(n)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?;
                }
                for (col, v) in [
                    ("offline_title", u.offline_title),
                    ("agent_hello", u.agent_hello),
                    ("platform", u.platform),
                ] {
                    if let Some(v) = v {
                        sqlx::query(&format!("UPDATE sites SET {col} = $1 WHERE id = $2"))
                            .bind(v)
                            .bind(site_id)
                            .execute(&mut *c)
                            .await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// The agent of `site_id` that `key` names: by external id first, then by kf_id.
    pub async fn resolve_agent(&self, site_id: i64, key: &str) -> DbResult<Option<i64>> {
        self.resolve("agents", site_id, key).await
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

    /// Adds a VIP level to a site, or changes the one with that id.
    pub async fn put_vip_level(&self, site_id: i64, level: VipLevel) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO vip_levels (site_id, level_id, name, vip_rank) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (site_id, level_id) DO UPDATE SET name = excluded.name, vip_rank = excluded.vip_rank",
                )
                .bind(site_id)
                .bind(level.level_id)
                .bind(level.name)
                .bind(level.rank)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A site's VIP levels, highest rank first.
    pub async fn vip_levels(&self, site_id: i64) -> DbResult<Vec<VipLevel>> {
        let rows = sqlx::query(
            "SELECT level_id, name, vip_rank FROM vip_levels WHERE site_id = $1 ORDER BY vip_rank DESC, level_id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VipLevel {
                    level_id: r.try_get("level_id")?,
                    name: r.try_get("name")?,
                    rank: r.try_get("vip_rank")?,
                })
            })
            .collect()
    }

    /// Every group of a site with its routing settings.
    pub async fn routing_groups(&self, site_id: i64) -> DbResult<Vec<GroupRouting>> {
        let rows = sqlx::query(
            "SELECT id, site_id, external_id, disabled, hours, tz FROM agent_groups WHERE site_id = $1 ORDER BY id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GroupRouting {
                    id: r.try_get("id")?,
                    site_id: r.try_get("site_id")?,
                    external_id: r.try_get("external_id")?,
                    disabled: r.try_get::<i64, _>("disabled")? != 0,
                    hours: r.try_get("hours")?,
                    tz: r.try_get("tz")?,
                })
            })
            .collect()
    }

    /// `(agent_id, group_id)` for every membership of a site's agents in its enabled groups.
    pub async fn group_memberships(&self, site_id: i64) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT m.agent_id, m.group_id FROM agent_group_members m JOIN agent_groups g ON g.id = m.group_id
             WHERE g.site_id = $1 AND g.disabled = 0",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("agent_id")?, r.try_get("group_id")?)))
            .collect()
    }

    /// Visitors each agent of a site serves now, from any site (an agent may serve a visitor
    /// of a linked site after a `flowType` overflow).
    pub async fn site_agent_loads(&self, site_id: i64) -> DbResult<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT v.agent_id, COUNT(*) AS n FROM visitors v JOIN agents a ON a.id = v.agent_id
             WHERE a.site_id = $1 GROUP BY v.agent_id",
        )
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("agent_id")?, r.try_get("n")?)))
            .collect()
    }

    /// Stores a visitor's route and queue priority; returns the visitor as it is now.
    pub async fn set_visitor_route(
        &self,
        visitor_id: i64,
        route: Option<String>,
        priority: i64,
    ) -> DbResult<Option<Visitor>> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE visitors SET route = $1, priority = $2 WHERE id = $3 RETURNING {VISITOR_COLS}"
                ))
                .bind(route)
                .bind(priority)
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                row.as_ref().map(visitor_from).transpose()
            })
        })
        .await
    }
}
