//! Private notes (issue 25): what agents write about a visitor for each other, placed after
//! the conversation's last message at the time (`after_seq`). Not messages: they never enter
//! `messages`, so neither the visitor's tabs nor the push URL (both fed only from
//! `messages` through `crate::conversation::committed`) can see them. A note is indexed for
//! search in the transaction that stores it.
//!
//! Owns `notes`.
//!
//! Methods: `add_note`, `notes_of`.

use super::rows::NoteRow;
use super::search::put_terms;
use super::{now_ms, Db, DbResult};

const NOTE_SELECT: &str = "SELECT n.id, n.site_id, n.visitor_id, n.agent_id, \
     a.nick AS agent_nick, n.after_seq, n.body, n.created_at \
     FROM notes n JOIN agents a ON a.id = n.agent_id";

impl Db {
    /// Stores agent `agent_id`'s note `body` on visitor `visitor_id` (of `site_id`), after
    /// their conversation's last message, with its search `terms`.
    pub async fn add_note(
        &self,
        site_id: i64,
        visitor_id: i64,
        agent_id: i64,
        body: String,
        terms: Vec<String>,
    ) -> DbResult<NoteRow> {
        let at = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO notes (site_id, visitor_id, agent_id, after_seq, body, created_at) \
                     VALUES ($1, $2, $3, \
                     COALESCE((SELECT MAX(seq) FROM messages WHERE visitor_id = $2), 0), $4, $5) \
                     RETURNING id",
                )
                .bind(site_id)
                .bind(visitor_id)
                .bind(agent_id)
                .bind(&body)
                .bind(at)
                .fetch_one(&mut *c)
                .await?;
                put_terms(c, "n", id, site_id, visitor_id, &terms).await?;
                Ok(sqlx::query_as(&format!("{NOTE_SELECT} WHERE n.id = $1"))
                    .bind(id)
                    .fetch_one(&mut *c)
                    .await?)
            })
        })
        .await
    }

    /// Visitor `visitor_id`'s notes placed after messages `from_seq..=to_seq` (all of them:
    /// `0..=i64::MAX`), oldest first, at most `limit`.
    pub async fn notes_of(
        &self,
        visitor_id: i64,
        from_seq: i64,
        to_seq: i64,
        limit: i64,
    ) -> DbResult<Vec<NoteRow>> {
        Ok(sqlx::query_as(&format!(
            "{NOTE_SELECT} WHERE n.visitor_id = $1 AND n.after_seq >= $2 AND n.after_seq <= $3 \
             ORDER BY n.id LIMIT $4"
        ))
        .bind(visitor_id)
        .bind(from_seq)
        .bind(to_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
