//! Reports (issue 25): what a site's figures are computed from (`crate::report`), read only.
//! The same SQL on both backends: a conversation's first agent message by the
//! `(visitor_id, seq)` key within its range, messages counted per quarter hour (UTC
//! milliseconds / 900 000, which every time zone's hours and days are whole multiples of).
//!
//! Owns nothing (reads `conversations`, `messages`, `visitors`).
//!
//! Methods: `report_conversations`, `report_messages`.

use super::{Db, DbResult};

/// A conversation as a report counts it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportConversation {
    pub agent_id: Option<i64>,
    pub group_id: Option<i64>,
    pub started_at: i64,
    pub assigned_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// When its first agent message was written.
    pub first_agent_at: Option<i64>,
}

/// Quarter hours (ms since the epoch / 900 000) in a report.
pub const QUARTER_MS: i64 = 900_000;

impl Db {
    /// Site `site_id`'s conversations that started in `[from, to)` (ms).
    pub async fn report_conversations(
        &self,
        site_id: i64,
        from: i64,
        to: i64,
    ) -> DbResult<Vec<ReportConversation>> {
        Ok(sqlx::query_as(
            "SELECT c.agent_id, c.group_id, c.started_at, c.assigned_at, c.ended_at, \
             (SELECT MIN(m.created_at) FROM messages m WHERE m.visitor_id = c.visitor_id \
              AND m.seq >= c.first_seq AND (c.last_seq IS NULL OR m.seq <= c.last_seq) \
              AND m.author = 'agent') AS first_agent_at \
             FROM conversations c WHERE c.site_id = $1 AND c.started_at >= $2 AND c.started_at < $3",
        )
        .bind(site_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Site `site_id`'s messages written in `[from, to)` (ms), system lines left out: how
    /// many per quarter hour ([`QUARTER_MS`]) and author.
    pub async fn report_messages(
        &self,
        site_id: i64,
        from: i64,
        to: i64,
    ) -> DbResult<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT m.created_at / 900000 AS q, m.author, COUNT(*) AS n FROM messages m \
             JOIN visitors v ON v.id = m.visitor_id \
             WHERE v.site_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND m.author <> 'system' \
             GROUP BY m.created_at / 900000, m.author",
        )
        .bind(site_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }
}
