//! Who serves whom: the waiting queue (by priority, then first come first served), routing's
//! bounded assignment, an agent's own pick, hand-overs and releases, and an agent's load.
//!
//! Owns these columns of `visitors`: `agent_id` (the serving agent) and `waiting_since`.
//!
//! Methods: `agent_loads`, `assign_visitor`, `claim_visitor`, `transfer_visitor`,
//! `release_visitor`, `enqueue`, `queue`, `visitors_of_agent`.
//!
//! An agent's load — how many visitors it serves — has one definition, `agent_loads_sql!`:
//! every visitor whose `agent_id` is the agent, whatever the visitor's site (after a
//! `flowType` overflow an agent serves visitors of a linked site too). Routing's snapshot,
//! the agent lists (`33000`, `getonlinekflist`) and the `max_chats` check of
//! [`Db::assign_visitor`] all count with it.

use super::rows::VISITOR_COLS;
use super::{Backend, Db, DbResult, Visitor};

/// How many visitors each agent `a` that `$agents` selects serves: `(agent_id, n)`, agents
/// serving nobody left out. The one definition of an agent's load (see the module doc).
macro_rules! agent_loads_sql {
    ($agents:literal) => {
        concat!(
            "SELECT v.agent_id, COUNT(*) AS n FROM visitors v JOIN agents a ON a.id = v.agent_id WHERE ",
            $agents,
            " GROUP BY v.agent_id"
        )
    };
}
/// The loads of the agents of site `$1`.
const SITE_LOADS: &str = agent_loads_sql!("a.site_id = $1");
/// The load of agent `$1` (no row: 0).
const AGENT_LOAD: &str = agent_loads_sql!("a.id = $1");

/// Gives visitor `$2` to agent `$1` if nobody serves them; they stop waiting.
const TAKE: &str =
    "UPDATE visitors SET agent_id = $1, waiting_since = NULL WHERE id = $2 AND agent_id IS NULL";

/// The outcome of [`Db::assign_visitor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The agent serves the visitor now.
    Claimed,
    /// Someone else serves the visitor already (or there is no such visitor).
    Taken,
    /// The agent serves `max_chats` visitors already (or is disabled or gone): nothing changed.
    Full,
}

impl Db {
    /// How many visitors each agent of `site_id` serves now, from any site (agent id →
    /// count; agents serving nobody are left out).
    pub async fn agent_loads(&self, site_id: i64) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(SITE_LOADS)
            .bind(site_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Routing assigns a waiting visitor to an agent, only while the agent serves fewer than
    /// its `max_chats` visitors: decided in the same write as the assignment, under a lock
    /// that serialises every claim for that agent — on PostgreSQL the agent's row
    /// (`FOR UPDATE`, held until the batch commits, so claims from several processes queue
    /// up), on SQLite the file's write lock — so concurrent assignment, from this process or
    /// another, never exceeds it.
    pub async fn assign_visitor(&self, visitor_id: i64, agent_id: i64) -> DbResult<Claim> {
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        };
        let agent_sql =
            format!("SELECT max_chats FROM agents WHERE id = $1 AND disabled = 0{lock}");
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let Some(max): Option<i64> = sqlx::query_scalar(&agent_sql)
                    .bind(agent_id)
                    .fetch_optional(&mut *c)
                    .await?
                else {
                    return Ok(Claim::Full);
                };
                let load = sqlx::query_as::<_, (i64, i64)>(AGENT_LOAD)
                    .bind(agent_id)
                    .fetch_optional(&mut *c)
                    .await?
                    .map_or(0, |(_, n)| n);
                if load >= max {
                    return Ok(Claim::Full);
                }
                let r = sqlx::query(TAKE)
                    .bind(agent_id)
                    .bind(visitor_id)
                    .execute(&mut *c)
                    .await?;
                Ok(if r.rows_affected() == 1 {
                    Claim::Claimed
                } else {
                    Claim::Taken
                })
            })
        })
        .await
    }

    /// An agent takes a waiting visitor it chose to answer (seed 001 `32300` to a visitor
    /// in the queue): not bounded by `max_chats`, which limits what routing hands out. False
    /// when someone else got the visitor first.
    pub async fn claim_visitor(&self, visitor_id: i64, agent_id: i64) -> DbResult<bool> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let r = sqlx::query(TAKE)
                    .bind(agent_id)
                    .bind(visitor_id)
                    .execute(&mut *c)
                    .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Hands a visitor to `to_agent` if `from_agent` serves them (or nobody does yet).
    /// False when someone else serves the visitor.
    pub async fn transfer_visitor(
        &self,
        visitor_id: i64,
        from_agent: i64,
        to_agent: i64,
    ) -> DbResult<bool> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "UPDATE visitors SET agent_id = $1, waiting_since = NULL WHERE id = $2 AND (agent_id = $3 OR agent_id IS NULL)",
                )
                .bind(to_agent)
                .bind(visitor_id)
                .bind(from_agent)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }

    /// Stops serving a visitor. With `requeue_since`, they wait again from that time;
    /// otherwise they are served again when they next write.
    pub async fn release_visitor(
        &self,
        visitor_id: i64,
        requeue_since: Option<i64>,
    ) -> DbResult<()> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE visitors SET agent_id = NULL, waiting_since = $1 WHERE id = $2",
                )
                .bind(requeue_since)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Puts an unserved visitor in the queue (keeps their place if already waiting) and
    /// returns them as they are now; `None` when an agent serves them (or no such visitor).
    pub async fn enqueue(&self, visitor_id: i64, since_ms: i64) -> DbResult<Option<Visitor>> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                Ok(sqlx::query_as(&format!(
                    "UPDATE visitors SET waiting_since = COALESCE(waiting_since, $1) WHERE id = $2 AND agent_id IS NULL RETURNING {VISITOR_COLS}"
                ))
                .bind(since_ms)
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// Waiting visitors of a site in the order they are served: higher `priority` first
    /// (`queueFirst`, then VIPs by rank, see `rules::priority`), then oldest first.
    pub async fn queue(&self, site_id: i64) -> DbResult<Vec<Visitor>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND agent_id IS NULL AND waiting_since IS NOT NULL
             ORDER BY priority DESC, waiting_since, id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Visitors an agent serves now.
    pub async fn visitors_of_agent(&self, agent_id: i64) -> DbResult<Vec<Visitor>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE agent_id = $1 ORDER BY id"
        ))
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
