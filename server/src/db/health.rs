//! What an operator's probes read: whether the database answers (`/readyz`) and the counts
//! `/metrics` takes from the database at scrape time (so every node reports the same,
//! whichever node did the work). Owns no table: it reads `visitors.waiting_since` and
//! `push_deliveries.state`.
//!
//! Methods: `ping`, `queue_lengths`, `push_backlog`, `metrics`.

use std::sync::Arc;

use super::{Db, DbResult};
use crate::metrics::Metrics;

impl Db {
    /// One round trip on a reading connection (`SELECT 1`).
    pub async fn ping(&self) -> DbResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Visitors waiting in each site's queue: `(site id, waiting)`, sites with none left out.
    pub async fn queue_lengths(&self) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT site_id, CAST(COUNT(*) AS BIGINT) FROM visitors
             WHERE waiting_since IS NOT NULL GROUP BY site_id ORDER BY site_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Custom pushes not delivered yet (`pending`), over every site.
    pub async fn push_backlog(&self) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM push_deliveries WHERE state = 'pending'",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// This handle's counters (its writer counts commits and failures in them).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}
