//! The waiting queue (served by priority, then first come first served) and skill-group
//! routing queries.

use super::{visitor_from, Db, DbResult, Visitor, VISITOR_COLS};

impl Db {
    /// Puts an unserved visitor in the queue (keeps their place if already waiting) and
    /// returns them as they are now; `None` when an agent serves them (or no such visitor).
    pub async fn enqueue(&self, visitor_id: i64, since_ms: i64) -> DbResult<Option<Visitor>> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let row = sqlx::query(&format!(
                    "UPDATE visitors SET waiting_since = COALESCE(waiting_since, $1) WHERE id = $2 AND agent_id IS NULL RETURNING {VISITOR_COLS}"
                ))
                .bind(since_ms)
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                row.as_ref().map(visitor_from).transpose()
            })
        })
        .await
    }

    /// Waiting visitors of a site in the order they are served: higher `priority` first
    /// (`queueFirst`, then VIPs by rank, see `rules::priority`), then oldest first.
    pub async fn queue(&self, site_id: i64) -> DbResult<Vec<Visitor>> {
        let rows = sqlx::query(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND agent_id IS NULL AND waiting_since IS NOT NULL
             ORDER BY priority DESC, waiting_since, id"
        ))
        .bind(site_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(visitor_from).collect()
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

    /// Visitors an agent serves now.
    pub async fn visitors_of_agent(&self, agent_id: i64) -> DbResult<Vec<Visitor>> {
        let rows = sqlx::query(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE agent_id = $1 ORDER BY id"
        ))
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(visitor_from).collect()
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
}
