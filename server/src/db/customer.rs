//! A customer's data (issue 26): erasing one visitor's on request, the log of erasures,
//! and each site's retention (`--retain-days`) with its sweep. What an export reads comes
//! from the other files' methods (`visitor_by_id`, `messages_after`, `file`,
//! `visitor_visits`) plus [`Db::visitor_erasures`].
//!
//! Owns `erasures` and `sites.retain_days`; the erase and the sweep also write `messages`
//! (text removed or old rows deleted), `push_deliveries`/`push_attempts` (their payloads
//! hold the text), `files`/`file_chunks`, `visits`/`visit_pages`, `presence`,
//! `visitor_tokens`, `left_messages` (text, values, answer), `ratings` (comment, tags) and the
//! visitor's profile columns, each in one transaction; and the
//! workbench's copies of what agents and visitors wrote (issue 25): an erasure deletes the
//! visitor's notes and search terms and the summaries of their conversations, the sweep
//! the terms of the messages it deletes or blanks and the notes as old as they are.
//!
//! Methods: `visitor_by_partnerid`, `erase_visitor`, `visitor_erasures`, `set_site_retention`, `site_retention`,
//! `retaining_sites`, `sweep_retention`.

use serde::Serialize;

use super::rows::VISITOR_COLS;
use super::{now_ms, Db, DbResult, Visitor};

/// What an erasure removed (also its row in `erasures`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Erasure {
    pub visitor_id: i64,
    /// Messages whose text was removed (the rows stay: counts and sequence numbers too).
    pub messages: i64,
    /// Uploads deleted (row and body).
    pub files: i64,
    /// Visits deleted (CRM values, browse trace).
    pub visits: i64,
    pub reason: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// What one round of the retention sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Message rows deleted…
    pub deleted: i64,
    /// …and conversations' last messages whose text was removed instead.
    pub blanked: i64,
    pub files: i64,
}

/// The messages of site `$1` older than `$2` (ms) that retention deletes: every one but each
/// conversation's last (kept, its text removed, so sequence numbers go on from it), at most
/// `$3` of them, oldest first.
const OLD_MESSAGES: &str = "SELECT m.id FROM messages m JOIN visitors v ON v.id = m.visitor_id \
     WHERE v.site_id = $1 AND m.created_at < $2 \
     AND m.seq < (SELECT MAX(x.seq) FROM messages x WHERE x.visitor_id = m.visitor_id) \
     ORDER BY m.id LIMIT $3";
/// The uploads of site `$1` older than `$2` (unix seconds), at most `$3`.
const OLD_FILES: &str =
    "SELECT id FROM files WHERE site_id = $1 AND created_at < $2 ORDER BY id LIMIT $3";

impl Db {
    /// The site's visitor with this verified `partnerid`, if any (nothing is created).
    pub async fn visitor_by_partnerid(
        &self,
        site_id: i64,
        partnerid: &str,
    ) -> DbResult<Option<Visitor>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND partnerid = $2"
        ))
        .bind(site_id)
        .bind(partnerid)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Erases what visitor `visitor_id` of `site_id` said and left: the text of every
    /// message (and of its push payloads; pending pushes are given up), the uploads
    /// `file_ids` (their conversation's attachments), their visits and presence, their
    /// tokens (an old tab can no longer resume) and profile (name, partnerid, route); then
    /// logs the erasure. One transaction: all of it or nothing.
    pub async fn erase_visitor(
        &self,
        site_id: i64,
        visitor_id: i64,
        file_ids: Vec<String>,
        reason: String,
    ) -> DbResult<Erasure> {
        let at = now_ms();
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                // Pushes of their messages and of their left messages (issue 24).
                let mine = "SELECT id FROM messages WHERE visitor_id = $1";
                let left = "SELECT id FROM left_messages WHERE visitor_id = $1";
                sqlx::query(&format!(
                    "UPDATE push_deliveries SET payload = '{{}}', \
                     last_error = 'erased on request', \
                     state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END \
                     WHERE message_id IN ({mine}) OR left_id IN ({left})"
                ))
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                for stmt in [
                    "DELETE FROM search_terms WHERE visitor_id = $1",
                    "DELETE FROM notes WHERE visitor_id = $1",
                    "UPDATE conversations SET summary = '' WHERE visitor_id = $1",
                ] {
                    sqlx::query(stmt).bind(visitor_id).execute(&mut *c).await?;
                }
                let messages = sqlx::query(
                    "UPDATE messages SET body = '' WHERE visitor_id = $1 AND body <> ''",
                )
                .bind(visitor_id)
                .execute(&mut *c)
                .await?
                .rows_affected() as i64;
                // Their ratings' comments and tags (issue 24).
                sqlx::query("UPDATE ratings SET comment = '', tags = '[]' WHERE visitor_id = $1")
                    .bind(visitor_id)
                    .execute(&mut *c)
                    .await?;
                // Their left messages (issue 24): the text, the form's values, the answer.
                sqlx::query(
                    "UPDATE left_messages SET content = '', fields = '[]', answer = NULL WHERE visitor_id = $1",
                )
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                let mut files = 0;
                for id in &file_ids {
                    sqlx::query("DELETE FROM file_chunks WHERE file_id = $1")
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                    files += sqlx::query("DELETE FROM files WHERE id = $1 AND site_id = $2")
                        .bind(id)
                        .bind(site_id)
                        .execute(&mut *c)
                        .await?
                        .rows_affected() as i64;
                }
                let tokens = "SELECT token_hash FROM visitor_tokens WHERE visitor_id = $1";
                sqlx::query(&format!(
                    "DELETE FROM visit_pages WHERE visit_id IN \
                     (SELECT id FROM visits WHERE site_id = $2 AND token_hash IN ({tokens}))"
                ))
                .bind(visitor_id)
                .bind(site_id)
                .execute(&mut *c)
                .await?;
                let visits = sqlx::query(&format!(
                    "DELETE FROM visits WHERE site_id = $2 AND token_hash IN ({tokens})"
                ))
                .bind(visitor_id)
                .bind(site_id)
                .execute(&mut *c)
                .await?
                .rows_affected() as i64;
                sqlx::query(&format!(
                    "DELETE FROM presence WHERE site_id = $2 \
                     AND (visitor_id = $1 OR token_hash IN ({tokens}))"
                ))
                .bind(visitor_id)
                .bind(site_id)
                .execute(&mut *c)
                .await?;
                sqlx::query("DELETE FROM visitor_tokens WHERE visitor_id = $1")
                    .bind(visitor_id)
                    .execute(&mut *c)
                    .await?;
                sqlx::query(
                    "UPDATE visitors SET partnerid = NULL, claimed_partnerid = '', uname = '', \
                     source = '', route = NULL, reception = NULL WHERE id = $1",
                )
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                let e = Erasure {
                    visitor_id,
                    messages,
                    files,
                    visits,
                    reason,
                    at,
                };
                sqlx::query(
                    "INSERT INTO erasures (site_id, visitor_id, messages, files, visits, reason, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(site_id)
                .bind(visitor_id)
                .bind(e.messages)
                .bind(e.files)
                .bind(e.visits)
                .bind(&e.reason)
                .bind(at)
                .execute(&mut *c)
                .await?;
                Ok(e)
            })
        })
        .await
    }

    /// Every erasure of visitor `visitor_id`, oldest first.
    pub async fn visitor_erasures(&self, visitor_id: i64) -> DbResult<Vec<Erasure>> {
        Ok(sqlx::query_as(
            "SELECT visitor_id, messages, files, visits, reason, at FROM erasures \
             WHERE visitor_id = $1 ORDER BY id",
        )
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Keeps site `site_id`'s messages and uploads `days` days (`None`: for ever).
    pub async fn set_site_retention(&self, site_id: i64, days: Option<i64>) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("UPDATE sites SET retain_days = $1 WHERE id = $2")
                    .bind(days)
                    .bind(site_id)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Site `site_id`'s retention in days (`None`: for ever).
    pub async fn site_retention(&self, site_id: i64) -> DbResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT retain_days FROM sites WHERE id = $1")
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Every site with a retention: `(site id, days)`.
    pub async fn retaining_sites(&self) -> DbResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, retain_days FROM sites WHERE retain_days IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// One round of site `site_id`'s retention: deletes at most `limit` of its messages
    /// older than `before_ms` (each conversation's last one stays with its text removed, so
    /// its sequence numbers go on) with their pushes, and at most `limit` of its uploads
    /// older than that. A short transaction, so the writer's other jobs wait little; the
    /// caller repeats while a round deleted `limit`.
    pub async fn sweep_retention(
        &self,
        site_id: i64,
        before_ms: i64,
        limit: i64,
    ) -> DbResult<Swept> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(&format!(
                    "DELETE FROM push_attempts WHERE delivery_id IN \
                     (SELECT id FROM push_deliveries WHERE message_id IN ({OLD_MESSAGES}))"
                ))
                .bind(site_id)
                .bind(before_ms)
                .bind(limit)
                .execute(&mut *c)
                .await?;
                sqlx::query(&format!(
                    "DELETE FROM push_deliveries WHERE message_id IN ({OLD_MESSAGES})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .bind(limit)
                .execute(&mut *c)
                .await?;
                sqlx::query(&format!(
                    "DELETE FROM search_terms WHERE kind = 'm' AND ref_id IN ({OLD_MESSAGES})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .bind(limit)
                .execute(&mut *c)
                .await?;
                let deleted = sqlx::query(&format!(
                    "DELETE FROM messages WHERE id IN ({OLD_MESSAGES})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .bind(limit)
                .execute(&mut *c)
                .await?
                .rows_affected() as i64;
                // What is left that old is each conversation's last message: its text goes.
                let last = "SELECT m.id FROM messages m JOIN visitors v ON v.id = m.visitor_id \
                     WHERE v.site_id = $1 AND m.created_at < $2 AND m.body <> ''";
                sqlx::query(&format!(
                    "UPDATE push_deliveries SET payload = '{{}}', \
                     state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END \
                     WHERE message_id IN ({last})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .execute(&mut *c)
                .await?;
                sqlx::query(&format!(
                    "DELETE FROM search_terms WHERE kind = 'm' AND ref_id IN ({last})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .execute(&mut *c)
                .await?;
                let old_notes = "SELECT id FROM notes WHERE site_id = $1 AND created_at < $2";
                sqlx::query(&format!(
                    "DELETE FROM search_terms WHERE kind = 'n' AND ref_id IN ({old_notes})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .execute(&mut *c)
                .await?;
                sqlx::query("DELETE FROM notes WHERE site_id = $1 AND created_at < $2")
                    .bind(site_id)
                    .bind(before_ms)
                    .execute(&mut *c)
                    .await?;
                let blanked = sqlx::query(&format!(
                    "UPDATE messages SET body = '' WHERE id IN ({last})"
                ))
                .bind(site_id)
                .bind(before_ms)
                .execute(&mut *c)
                .await?
                .rows_affected() as i64;
                let before_s = before_ms / 1000;
                sqlx::query(&format!(
                    "DELETE FROM file_chunks WHERE file_id IN ({OLD_FILES})"
                ))
                .bind(site_id)
                .bind(before_s)
                .bind(limit)
                .execute(&mut *c)
                .await?;
                let files = sqlx::query(&format!("DELETE FROM files WHERE id IN ({OLD_FILES})"))
                    .bind(site_id)
                    .bind(before_s)
                    .bind(limit)
                    .execute(&mut *c)
                    .await?
                    .rows_affected() as i64;
                Ok(Swept {
                    deleted,
                    blanked,
                    files,
                })
            })
        })
        .await
    }
}
