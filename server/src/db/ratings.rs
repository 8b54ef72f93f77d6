//! Ratings of chats (issue 24): one row per chat of a visitor, changeable until the next
//! chat (see `migrations/0041_ratings.sql`).
//!
//! Owns `ratings`.
//!
//! Methods: `rate_chat`, `chat_answered`, `ratings_of_site`, `visitor_ratings`.

use super::{now_ms, Db, DbResult, RatingRow};

const RATING_SELECT: &str = "SELECT r.visitor_id,
        CASE WHEN v.uname <> '' THEN v.uname ELSE COALESCE(v.partnerid, v.claimed_partnerid) END AS visitor,
        COALESCE(a.account, '') AS agent, r.score, r.tags, r.comment, r.updated_at
     FROM ratings r JOIN visitors v ON v.id = r.visitor_id LEFT JOIN agents a ON a.id = r.agent_id";

/// What [`Db::rate_chat`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateOutcome {
    /// Stored as this chat's first rating.
    New,
    /// Replaced this chat's earlier rating.
    Changed,
    /// No agent has written to the visitor: there is no chat to rate.
    NotServed,
}

impl Db {
    /// Visitor `visitor_id`'s rating of their current chat (the one of the agent's latest
    /// message; `ended_line` is the body of the end-of-chat system line).
    pub async fn rate_chat(
        &self,
        site_id: i64,
        visitor_id: i64,
        ended_line: &str,
        score: i64,
        tags: &str,
        comment: &str,
    ) -> DbResult<RateOutcome> {
        let (ended, tags, comment) = (ended_line.to_owned(), tags.to_owned(), comment.to_owned());
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                let last: Option<(i64, Option<i64>)> = sqlx::query_as(
                    "SELECT seq, agent_id FROM messages WHERE visitor_id = $1 AND author = 'agent'
                     ORDER BY seq DESC LIMIT 1",
                )
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                let Some((seq, Some(agent_id))) = last else {
                    return Ok(RateOutcome::NotServed);
                };
                let chat_seq: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE visitor_id = $1
                       AND author = 'system' AND body = $2 AND seq < $3",
                )
                .bind(visitor_id)
                .bind(&ended)
                .bind(seq)
                .fetch_one(&mut *c)
                .await?;
                let before: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM ratings WHERE visitor_id = $1 AND chat_seq = $2",
                )
                .bind(visitor_id)
                .bind(chat_seq)
                .fetch_one(&mut *c)
                .await?;
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO ratings (site_id, visitor_id, chat_seq, agent_id, score, tags, comment, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
                     ON CONFLICT (visitor_id, chat_seq) DO UPDATE SET
                       agent_id = excluded.agent_id, score = excluded.score, tags = excluded.tags,
                       comment = excluded.comment, updated_at = excluded.updated_at",
                )
                .bind(site_id)
                .bind(visitor_id)
                .bind(chat_seq)
                .bind(agent_id)
                .bind(score)
                .bind(&tags)
                .bind(&comment)
                .bind(now)
                .execute(&mut *c)
                .await?;
                Ok(if before > 0 {
                    RateOutcome::Changed
                } else {
                    RateOutcome::New
                })
            })
        })
        .await
    }

    /// Whether an agent wrote to visitor `visitor_id` since their last chat ended (the system
    /// line `ended_line`): there is a chat to rate.
    pub async fn chat_answered(&self, visitor_id: i64, ended_line: &str) -> DbResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE visitor_id = $1 AND author = 'agent'
               AND seq > (SELECT COALESCE(MAX(seq), 0) FROM messages
                          WHERE visitor_id = $1 AND author = 'system' AND body = $2)",
        )
        .bind(visitor_id)
        .bind(ended_line)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// `site_id`'s ratings changed at or after `since_ms`, newest first (at most `limit`).
    pub async fn ratings_of_site(
        &self,
        site_id: i64,
        since_ms: i64,
        limit: i64,
    ) -> DbResult<Vec<RatingRow>> {
        Ok(sqlx::query_as(&format!(
            "{RATING_SELECT} WHERE r.site_id = $1 AND r.updated_at >= $2 ORDER BY r.updated_at DESC, r.id DESC LIMIT $3"
        ))
        .bind(site_id)
        .bind(since_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Visitor `visitor_id`'s ratings, oldest first (their data export).
    pub async fn visitor_ratings(&self, visitor_id: i64) -> DbResult<Vec<RatingRow>> {
        Ok(sqlx::query_as(&format!(
            "{RATING_SELECT} WHERE r.visitor_id = $1 ORDER BY r.id"
        ))
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
