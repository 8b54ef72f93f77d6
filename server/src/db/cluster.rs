//! Shared state of a cluster (issue 7): nodes and their heartbeats, logged-in agent
//! connections (`ix`, presence, `suspended`), when an agent was last seen, visitors' open tabs
//! per node, leases for periodic jobs one node runs at a time, and the bus channel's name.
//! Every `frontdesk serve` process of one database reads and writes the same rows, so
//! routing, `33000`, `getonlinekflist` and transfers see every node's agents.
//!
//! Owns `nodes`, `agent_conns`, `agent_seen`, `leases` and `visitor_tabs` (and the
//! `cluster_id` setting, through `sites.rs`'s `setting_or_insert`).
//!
//! Methods: `register_node`, `node_heartbeat`, `revive_node`, `remove_node`,
//! `sweep_dead_nodes`, `add_agent_conn`, `remove_agent_conn`, `set_conn_suspended`,
//! `live_agent_conns`, `live_agent_conn`, `agent_online_anywhere`, `gone_agents`,
//! `take_lease`, `visitor_tab_opened`, `visitor_tab_closed`, `site_visitors_online_elsewhere`,
//! `visitor_online_elsewhere`, `watched_elsewhere`, `cluster_id`, `bus_key`.
//!
//! Written portably (numbered `$n` parameters, integer/text/blob columns only, no
//! SQLite-only syntax) so the same text runs on PostgreSQL.

use super::sites::setting_or_insert;
use super::{now_ms, random_hex, AgentConnRow, Db, DbResult, GoneAgent};

const CONN_COLS: &str = "c.ix, c.node_id, c.agent_id, c.site_id, c.suspended";

impl Db {
    /// Registers this process as a node; returns its id (unique for this database, never
    /// reused).
    pub async fn register_node(&self) -> DbResult<i64> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO nodes (started_at, heartbeat_at) VALUES ($1, $1) RETURNING id",
                )
                .bind(now)
                .fetch_one(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// The node is alive now. `false` when its row is gone (it was declared dead by another
    /// node's sweep): the caller must stop serving as that node.
    pub async fn node_heartbeat(&self, node_id: i64) -> DbResult<bool> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                let n = sqlx::query("UPDATE nodes SET heartbeat_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(node_id)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                Ok(n == 1)
            })
        })
        .await
    }

    /// Puts back the row of a node that was declared dead while it was still running.
    pub async fn revive_node(&self, node_id: i64) -> DbResult<()> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO nodes (id, started_at, heartbeat_at) VALUES ($1, $2, $2)
                     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                )
                .bind(node_id)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A node leaves cleanly: its connections are gone (their agents last seen now).
    pub async fn remove_node(&self, node_id: i64) -> DbResult<()> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                drop_node_rows(c, node_id, now).await?;
                Ok(())
            })
        })
        .await
    }

    /// A new logged-in agent connection on `node_id`; returns its `ix`.
    pub async fn add_agent_conn(&self, node_id: i64, agent_id: i64, site_id: i64) -> DbResult<i64> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO agent_conns (node_id, agent_id, site_id, suspended, since)
                     VALUES ($1, $2, $3, 0, $4) RETURNING ix",
                )
                .bind(node_id)
                .bind(agent_id)
                .bind(site_id)
                .bind(now)
                .fetch_one(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// An agent connection closed; its agent counts as seen now (the offline grace starts
    /// when the last one closes).
    pub async fn remove_agent_conn(&self, ix: i64) -> DbResult<()> {
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO agent_seen (agent_id, site_id, at)
                     SELECT agent_id, site_id, CAST($2 AS BIGINT) FROM agent_conns WHERE ix = $1
                     ON CONFLICT (agent_id) DO UPDATE SET at = excluded.at",
                )
                .bind(ix)
                .bind(now)
                .execute(&mut *c)
                .await?;
                sqlx::query("DELETE FROM agent_conns WHERE ix = $1")
                    .bind(ix)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Sets `suspended` (`32500`) of one connection.
    pub async fn set_conn_suspended(&self, ix: i64, suspended: bool) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE agent_conns SET suspended = $1 WHERE ix = $2")
                    .bind(suspended as i64)
                    .bind(ix)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Whether a node other than `node_id` (heard from since `alive_since` ms) has a
    /// connection of a supervisor or admin of site `site_id` (who hears its every message).
    pub async fn watched_elsewhere(
        &self,
        site_id: i64,
        node_id: i64,
        alive_since: i64,
    ) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agent_conns c JOIN nodes n ON n.id = c.node_id
               JOIN agents a ON a.id = c.agent_id
             WHERE c.site_id = $1 AND c.node_id != $2 AND n.heartbeat_at >= $3
               AND a.role IN ('supervisor', 'admin')",
        )
        .bind(site_id)
        .bind(node_id)
        .bind(alive_since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Live agent connections of a site on every node (nodes heard from since `alive_since`
    /// ms), ordered by `ix`.
    pub async fn live_agent_conns(
        &self,
        site_id: i64,
        alive_since: i64,
    ) -> DbResult<Vec<AgentConnRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CONN_COLS} FROM agent_conns c JOIN nodes n ON n.id = c.node_id
             WHERE c.site_id = $1 AND n.heartbeat_at >= $2 ORDER BY c.ix"
        ))
        .bind(site_id)
        .bind(alive_since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The live connection with this `ix`, on any node.
    pub async fn live_agent_conn(
        &self,
        ix: i64,
        alive_since: i64,
    ) -> DbResult<Option<AgentConnRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {CONN_COLS} FROM agent_conns c JOIN nodes n ON n.id = c.node_id
             WHERE c.ix = $1 AND n.heartbeat_at >= $2"
        ))
        .bind(ix)
        .bind(alive_since)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether `agent_id` has a live connection on any node.
    pub async fn agent_online_anywhere(&self, agent_id: i64, alive_since: i64) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM agent_conns c JOIN nodes n ON n.id = c.node_id
             WHERE c.agent_id = $1 AND n.heartbeat_at >= $2",
        )
        .bind(agent_id)
        .bind(alive_since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Takes (or keeps) the lease `name` for `node_id` until `until` ms; `true` when this node
    /// holds it now. A lease is free when it expired or was never taken.
    pub async fn take_lease(&self, name: &str, node_id: i64, until: i64) -> DbResult<bool> {
        let name = name.to_owned();
        let now = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO leases (name, node_id, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO NOTHING",
                )
                .bind(&name)
                .bind(node_id)
                .bind(until)
                .execute(&mut *c)
                .await?;
                let n = sqlx::query(
                    "UPDATE leases SET node_id = $1, expires_at = $2
                     WHERE name = $3 AND (node_id = $1 OR expires_at < $4)",
                )
                .bind(node_id)
                .bind(until)
                .bind(&name)
                .bind(now)
                .execute(&mut *c)
                .await?
                .rows_affected();
                Ok(n == 1)
            })
        })
        .await
    }

    /// Removes nodes not heard from since `alive_since` ms with their agent connections (those
    /// agents count as last seen at the dead node's last heartbeat); returns the dead nodes'
    /// ids.
    pub async fn sweep_dead_nodes(&self, alive_since: i64) -> DbResult<Vec<i64>> {
        let dead: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, heartbeat_at FROM nodes WHERE heartbeat_at < $1")
                .bind(alive_since)
                .fetch_all(&self.pool)
                .await?;
        for &(id, at) in &dead {
            self.write(move |c| {
                Box::pin(async move {
                    drop_node_rows(c, id, at).await?;
                    Ok(())
                })
            })
            .await?;
        }
        Ok(dead.into_iter().map(|(id, _)| id).collect())
    }

    /// Agents who serve visitors, have no live connection on any node (nodes heard from since
    /// `alive_since`) and were last seen before `seen_before` ms.
    pub async fn gone_agents(
        &self,
        alive_since: i64,
        seen_before: i64,
    ) -> DbResult<Vec<GoneAgent>> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT v.agent_id, v.site_id FROM visitors v
             LEFT JOIN agent_seen s ON s.agent_id = v.agent_id
             WHERE v.agent_id IS NOT NULL AND COALESCE(s.at, 0) < $2
               AND NOT EXISTS (SELECT 1 FROM agent_conns c JOIN nodes n ON n.id = c.node_id
                               WHERE c.agent_id = v.agent_id AND n.heartbeat_at >= $1)
             ORDER BY v.agent_id",
        )
        .bind(alive_since)
        .bind(seen_before)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A chat tab of the visitor opened on `node_id`.
    pub async fn visitor_tab_opened(&self, visitor_id: i64, node_id: i64) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO visitor_tabs (visitor_id, node_id, tabs) VALUES ($1, $2, 1)
                     ON CONFLICT (visitor_id, node_id) DO UPDATE SET tabs = visitor_tabs.tabs + 1",
                )
                .bind(visitor_id)
                .bind(node_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A chat tab of the visitor on `node_id` closed.
    pub async fn visitor_tab_closed(&self, visitor_id: i64, node_id: i64) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE visitor_tabs SET tabs = tabs - 1 WHERE visitor_id = $1 AND node_id = $2",
                )
                .bind(visitor_id)
                .bind(node_id)
                .execute(&mut *c)
                .await?;
                sqlx::query(
                    "DELETE FROM visitor_tabs WHERE visitor_id = $1 AND node_id = $2 AND tabs <= 0",
                )
                .bind(visitor_id)
                .bind(node_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Visitors of `site_id` with a chat tab open on a live node other than `node_id`.
    pub async fn site_visitors_online_elsewhere(
        &self,
        site_id: i64,
        node_id: i64,
        alive_since: i64,
    ) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT t.visitor_id FROM visitor_tabs t
             JOIN nodes n ON n.id = t.node_id JOIN visitors v ON v.id = t.visitor_id
             WHERE v.site_id = $1 AND t.node_id <> $2 AND n.heartbeat_at >= $3",
        )
        .bind(site_id)
        .bind(node_id)
        .bind(alive_since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the visitor has a chat tab open on a live node other than `node_id`.
    pub async fn visitor_online_elsewhere(
        &self,
        visitor_id: i64,
        node_id: i64,
        alive_since: i64,
    ) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM visitor_tabs t JOIN nodes n ON n.id = t.node_id
             WHERE t.visitor_id = $1 AND t.node_id <> $2 AND n.heartbeat_at >= $3",
        )
        .bind(visitor_id)
        .bind(node_id)
        .bind(alive_since)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// The name of this database's bus channel (a random id kept in `settings`), so clusters
    /// on different databases that share a Redis never hear each other.
    pub async fn cluster_id(&self) -> DbResult<String> {
        let fresh = random_hex(8);
        self.write(move |c| {
            Box::pin(async move { setting_or_insert(c, "cluster_id", &fresh).await })
        })
        .await
    }

    /// The key every node of this database signs its bus packets with (made once, 32 random
    /// bytes as hex): whoever can reach Redis but not the database cannot forge a note.
    pub async fn bus_key(&self) -> DbResult<String> {
        let fresh = random_hex(32);
        self.write(move |c| Box::pin(async move { setting_or_insert(c, "bus_key", &fresh).await }))
            .await
    }
}

/// Deletes a node's row and its connections; their agents count as seen at `at`.
async fn drop_node_rows(c: &mut super::writer::WriteConn, node_id: i64, at: i64) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO agent_seen (agent_id, site_id, at)
         SELECT DISTINCT agent_id, site_id, CAST($2 AS BIGINT) FROM agent_conns WHERE node_id = $1
         ON CONFLICT (agent_id) DO UPDATE SET at = excluded.at",
    )
    .bind(node_id)
    .bind(at)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM agent_conns WHERE node_id = $1")
        .bind(node_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM visitor_tabs WHERE node_id = $1")
        .bind(node_id)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM nodes WHERE id = $1")
        .bind(node_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
