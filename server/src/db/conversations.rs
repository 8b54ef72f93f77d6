//! Conversations (issue 25): the stretches of a visitor's one thread. A conversation is
//! opened by the visitor's first message for people after the previous one ended
//! ([`Db::open_conversation`], at most one open per visitor: `conversations_open`), notes
//! the agent who takes it ([`Db::conversation_taken`]), and is closed when an agent ends the
//! chat, with the category, summary and labels it gave ([`Db::close_conversation`], which
//! also indexes them for search). A visitor's thread from before this table has no row until
//! its chat ends: the end then records the stretch since the previous end.
//!
//! Owns `conversations`, and the sites' summary rules (`sites.summary_required`,
//! `sites.summary_categories`).
//!
//! Methods: `open_conversation`, `conversation_taken`, `close_conversation`,
//! `conversation`, `conversation_holding`, `conversations_of`, `summary_rules`,
//! `set_summary_rules`.

use super::rows::ConversationRow;
use super::search::replace_terms;
use super::writer::WriteConn;
use super::{Db, DbResult};

/// A conversation's columns as [`ConversationRow`] reads them, from `conversations c` and
/// its agent `a`.
const CONV_SELECT: &str = "SELECT c.id, c.site_id, c.visitor_id, c.first_seq, c.last_seq, \
     c.agent_id, a.nick AS agent_nick, c.group_id, c.started_at, c.assigned_at, c.ended_at, \
     c.category, c.summary, c.labels FROM conversations c LEFT JOIN agents a ON a.id = c.agent_id";

/// What an agent said about a conversation when ending it, already checked
/// (`shared::workbench::EndSummary::checked`), and its search terms.
#[derive(Debug, Clone, Default)]
pub struct Closing {
    pub category: String,
    pub summary: String,
    pub labels: Vec<String>,
    pub terms: Vec<String>,
}

/// Opens a conversation unless the visitor has one open (see [`Db::open_conversation`]).
async fn open(
    c: &mut WriteConn,
    site_id: i64,
    visitor_id: i64,
    first_seq: i64,
    started_at: i64,
) -> DbResult<()> {
    sqlx::query(
        "INSERT INTO conversations (site_id, visitor_id, first_seq, group_id, started_at) \
         SELECT $1, v.id, $3, v.group_id, $4 FROM visitors v WHERE v.id = $2 AND NOT EXISTS \
         (SELECT 1 FROM conversations x WHERE x.visitor_id = $2 AND x.ended_at IS NULL) \
         ON CONFLICT DO NOTHING",
    )
    .bind(site_id)
    .bind(visitor_id)
    .bind(first_seq)
    .bind(started_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn by_id(c: &mut WriteConn, id: i64) -> DbResult<ConversationRow> {
    Ok(sqlx::query_as(&format!("{CONV_SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(&mut *c)
        .await?)
}

impl Db {
    /// Opens a conversation of visitor `visitor_id` starting at message `first_seq` (written
    /// at `started_at`, ms), in the skill group the visitor asked for, unless one is open
    /// already.
    pub async fn open_conversation(
        &self,
        site_id: i64,
        visitor_id: i64,
        first_seq: i64,
        started_at: i64,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move { open(c, site_id, visitor_id, first_seq, started_at).await })
        })
        .await
    }

    /// Agent `agent_id` took visitor `visitor_id` at `at` (ms): their open conversation is
    /// its now (the first take's time is kept). A visitor handed to people without a
    /// message for them (a hand-over from the robot) gets one opened here, from the message
    /// after their previous conversation.
    pub async fn conversation_taken(
        &self,
        visitor_id: i64,
        agent_id: i64,
        at: i64,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                let site: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT v.site_id, COALESCE((SELECT MAX(c.last_seq) FROM conversations c \
                     WHERE c.visitor_id = v.id AND c.ended_at IS NOT NULL), 0) + 1 \
                     FROM visitors v WHERE v.id = $1",
                )
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                if let Some((site_id, first_seq)) = site {
                    open(c, site_id, visitor_id, first_seq, at).await?;
                }
                sqlx::query(
                    "UPDATE conversations SET agent_id = $1, assigned_at = COALESCE(assigned_at, $2) \
                     WHERE visitor_id = $3 AND ended_at IS NULL",
                )
                .bind(agent_id)
                .bind(at)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Agent `agent_id` ended visitor `visitor_id`'s chat at `at` (ms); its last message is
    /// `last_seq`. Closes the open conversation (or records the stretch since the previous
    /// one ended, when none is open) with `closing`'s summary, indexed for search in the same
    /// transaction. Returns the conversation.
    pub async fn close_conversation(
        &self,
        site_id: i64,
        visitor_id: i64,
        agent_id: i64,
        last_seq: i64,
        at: i64,
        closing: Closing,
    ) -> DbResult<ConversationRow> {
        self.write(move |c| {
            Box::pin(async move {
                let open: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM conversations WHERE visitor_id = $1 AND ended_at IS NULL",
                )
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?;
                let labels = closing.labels.join(",");
                let id = match open {
                    Some(id) => {
                        sqlx::query(
                            "UPDATE conversations SET last_seq = $1, ended_at = $2, agent_id = $3, \
                             assigned_at = COALESCE(assigned_at, $2), category = $4, summary = $5, \
                             labels = $6 WHERE id = $7",
                        )
                        .bind(last_seq)
                        .bind(at)
                        .bind(agent_id)
                        .bind(&closing.category)
                        .bind(&closing.summary)
                        .bind(&labels)
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                        id
                    }
                    None => {
                        let first: i64 = sqlx::query_scalar(
                            "SELECT COALESCE(MAX(last_seq), 0) + 1 FROM conversations \
                             WHERE visitor_id = $1 AND ended_at IS NOT NULL",
                        )
                        .bind(visitor_id)
                        .fetch_one(&mut *c)
                        .await?;
                        let first = first.min(last_seq);
                        let started: Option<i64> = sqlx::query_scalar(
                            "SELECT MIN(created_at) FROM messages WHERE visitor_id = $1 AND seq >= $2",
                        )
                        .bind(visitor_id)
                        .bind(first)
                        .fetch_one(&mut *c)
                        .await?;
                        sqlx::query_scalar(
                            "INSERT INTO conversations (site_id, visitor_id, first_seq, last_seq, \
                             agent_id, started_at, assigned_at, ended_at, category, summary, labels) \
                             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10) RETURNING id",
                        )
                        .bind(site_id)
                        .bind(visitor_id)
                        .bind(first)
                        .bind(last_seq)
                        .bind(agent_id)
                        .bind(started.unwrap_or(at))
                        .bind(at)
                        .bind(&closing.category)
                        .bind(&closing.summary)
                        .bind(&labels)
                        .fetch_one(&mut *c)
                        .await?
                    }
                };
                replace_terms(c, "c", id, site_id, visitor_id, &closing.terms).await?;
                by_id(c, id).await
            })
        })
        .await
    }

    pub async fn conversation(&self, id: i64) -> DbResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!("{CONV_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The conversation of visitor `visitor_id` that holds message `seq`, if any.
    pub async fn conversation_holding(
        &self,
        visitor_id: i64,
        seq: i64,
    ) -> DbResult<Option<ConversationRow>> {
        Ok(sqlx::query_as(&format!(
            "{CONV_SELECT} WHERE c.visitor_id = $1 AND c.first_seq <= $2 \
             AND (c.last_seq IS NULL OR c.last_seq >= $2) ORDER BY c.first_seq DESC LIMIT 1"
        ))
        .bind(visitor_id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The conversations of site `site_id`'s visitors `visitor_ids`, newest first, at most
    /// `limit`.
    pub async fn conversations_of(
        &self,
        site_id: i64,
        visitor_ids: &[i64],
        limit: i64,
    ) -> DbResult<Vec<ConversationRow>> {
        if visitor_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..visitor_ids.len())
            .map(|i| format!("${}", i + 3))
            .collect();
        let sql = format!(
            "{CONV_SELECT} WHERE c.site_id = $1 AND c.visitor_id IN ({}) \
             ORDER BY c.started_at DESC, c.id DESC LIMIT $2",
            list.join(", ")
        );
        let mut q = sqlx::query_as(&sql).bind(site_id).bind(limit);
        for v in visitor_ids {
            q = q.bind(*v);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Site `site_id`'s summary rules: whether a summary is required, and its categories
    /// (comma-separated, `""` for any text).
    pub async fn summary_rules(&self, site_id: i64) -> DbResult<(bool, String)> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT summary_required, summary_categories FROM sites WHERE id = $1")
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(r, c)| (r != 0, c)).unwrap_or_default())
    }

    pub async fn set_summary_rules(
        &self,
        site_id: i64,
        required: Option<bool>,
        categories: Option<String>,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE sites SET summary_required = COALESCE($1, summary_required), \
                     summary_categories = COALESCE($2, summary_categories) WHERE id = $3",
                )
                .bind(required.map(i64::from))
                .bind(categories)
                .bind(site_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }
}
