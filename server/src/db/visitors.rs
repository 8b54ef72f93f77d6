//! Visitors: who they are (anonymous by token, or a verified `partnerid`), what their page
//! said about them, the route they asked for, and the serving agent's read mark.
//!
//! Owns the `visitors` rows and these columns of them: `partnerid`, `claimed_partnerid`,
//! `uname`, `source`, `last_seen_at`, `group_id`, `route`, `priority`, `agent_read_seq`
//! (who serves them and the queue are `assignment.rs`'s columns, the reception state
//! `reception.rs`'s). A new visitor's token is stored through `tokens.rs`.
//!
//! Methods: `create_visitor`, `partner_visitor`, `visitor_for_token`, `visitor_by_id`,
//! `visitor_by_token`, `touch_visitor`, `set_visitor_route`, `mark_read`, `unread_count`,
//! `guests_for_agent`, `site_chats`, `visitors_with_partnerid`.

use std::collections::HashMap;

use super::rows::{GuestRow, VISITOR_COLS};
use super::tokens::{self, Holder};
use super::{now_s, token_hash, Db, DbResult, Guest, StoredMessage, Visitor};

impl Db {
    /// The ids of site `site_id`'s visitors whose `partnerid` (verified, or claimed by their
    /// page) is `partnerid`, at most `limit`, newest first.
    pub async fn visitors_with_partnerid(
        &self,
        site_id: i64,
        partnerid: &str,
        limit: i64,
    ) -> DbResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM visitors WHERE site_id = $1 AND (partnerid = $2 OR claimed_partnerid = $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(site_id)
        .bind(partnerid)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Creates an anonymous visitor and a token for it.
    pub async fn create_visitor(&self, site_id: i64) -> DbResult<(Visitor, String)> {
        let now = now_s();
        self.write(move |c| {
            Box::pin(async move {
                let v: Visitor = sqlx::query_as(&format!(
                    "INSERT INTO visitors (site_id, created_at, last_seen_at) VALUES ($1, $2, $3) RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                let token = tokens::issue(c, Holder::Visitor { id: v.id }, now).await?;
                Ok((v, token))
            })
        })
        .await
    }

    /// The visitor a *verified* `partnerid` names (created on first sight), with a new token.
    pub async fn partner_visitor(
        &self,
        site_id: i64,
        partnerid: &str,
    ) -> DbResult<(Visitor, String)> {
        let now = now_s();
        let partnerid = partnerid.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                let v: Visitor = sqlx::query_as(&format!(
                    "INSERT INTO visitors (site_id, partnerid, claimed_partnerid, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT(site_id, partnerid) DO UPDATE SET last_seen_at = excluded.last_seen_at RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(&partnerid)
                .bind(&partnerid)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                let token = tokens::issue(c, Holder::Visitor { id: v.id }, now).await?;
                Ok((v, token))
            })
        })
        .await
    }

    /// The anonymous visitor holding `token` on `site_id`: found, or created now with that
    /// token (a pending visitor's first message). One writer job, so two tabs sending their
    /// first message at once get the same visitor.
    pub async fn visitor_for_token(&self, site_id: i64, token: &str) -> DbResult<Visitor> {
        let hash = token_hash(token);
        let now = now_s();
        self.write(move |c| {
            Box::pin(async move {
                let found: Option<Visitor> = sqlx::query_as(&format!(
                    "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND id = (SELECT visitor_id FROM visitor_tokens WHERE token_hash = $2)"
                ))
                .bind(site_id)
                .bind(&hash)
                .fetch_optional(&mut *c)
                .await?;
                if let Some(v) = found {
                    return Ok(v);
                }
                let v: Visitor = sqlx::query_as(&format!(
                    "INSERT INTO visitors (site_id, created_at, last_seen_at) VALUES ($1, $2, $3) RETURNING {VISITOR_COLS}"
                ))
                .bind(site_id)
                .bind(now)
                .bind(now)
                .fetch_one(&mut *c)
                .await?;
                tokens::store(c, &hash, Holder::Visitor { id: v.id }, now).await?;
                Ok(v)
            })
        })
        .await
    }

    pub async fn visitor_by_id(&self, id: i64) -> DbResult<Option<Visitor>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The visitor of `site_id` holding `token`, if any.
    pub async fn visitor_by_token(&self, site_id: i64, token: &str) -> DbResult<Option<Visitor>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {VISITOR_COLS} FROM visitors WHERE site_id = $1 AND id = (SELECT visitor_id FROM visitor_tokens WHERE token_hash = $2)"
        ))
        .bind(site_id)
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// At the start of a visitor session: records what the visitor's page said about them
    /// (display only; `None` keeps the stored value), the visit time and, when `group` is
    /// `Some`, the skill group they asked for (kept only if it is an enabled group of their
    /// site; anything else routes them site-wide). `group: None` leaves the stored group as
    /// it is. One write; returns the visitor as it is now.
    pub async fn touch_visitor(
        &self,
        visitor_id: i64,
        uname: Option<&str>,
        claimed_partnerid: Option<&str>,
        source: Option<&str>,
        group: Option<Option<i64>>,
    ) -> DbResult<Option<Visitor>> {
        let uname = uname.map(str::to_owned);
        let claimed = claimed_partnerid.map(str::to_owned);
        let source = source.map(str::to_owned);
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                Ok(sqlx::query_as(&format!(
                    "UPDATE visitors SET uname = COALESCE($1, uname), claimed_partnerid = COALESCE($2, claimed_partnerid),
                     source = COALESCE($3, source), last_seen_at = $4,
                     group_id = CASE WHEN $5 = 1
                       THEN (SELECT g.id FROM agent_groups g WHERE g.site_id = visitors.site_id AND g.id = $6 AND g.disabled = 0)
                       ELSE group_id END
                     WHERE id = $7 RETURNING {VISITOR_COLS}"
                ))
                .bind(uname)
                .bind(claimed)
                .bind(source)
                .bind(now_s())
                .bind(i64::from(group.is_some()))
                .bind(group.flatten())
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?)
            })
        })
        .await
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
                Ok(sqlx::query_as(&format!(
                    "UPDATE visitors SET route = $1, priority = $2 WHERE id = $3 RETURNING {VISITOR_COLS}"
                ))
                .bind(route)
                .bind(priority)
                .bind(visitor_id)
                .fetch_optional(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// Marks a visitor's conversation read by the serving agent up to `seq`.
    pub async fn mark_read(&self, visitor_id: i64, seq: i64) -> DbResult<()> {
        self.write_visitor(visitor_id, move |c| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE visitors SET agent_read_seq = CASE WHEN agent_read_seq > $1 THEN agent_read_seq ELSE $1 END WHERE id = $2",
                )
                .bind(seq)
                .bind(visitor_id)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Visitor messages after the agent's read mark.
    pub async fn unread_count(&self, visitor: &Visitor) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE visitor_id = $1 AND author = 'visitor' AND seq > $2",
        )
        .bind(visitor.id)
        .bind(visitor.agent_read_seq)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Visitors an agent sees in `guest_list` (those it serves and those waiting in the
    /// queue, newest activity first, at most 500), each with its unread count and last
    /// message: two queries for the whole list.
    pub async fn guests_for_agent(&self, site_id: i64, agent_id: i64) -> DbResult<Vec<Guest>> {
        // Served by this agent (also a visitor of a linked site after a `flowType` overflow),
        // or waiting on the agent's own site.
        self.guests(
            "(v.agent_id = $2 OR (v.site_id = $1 AND v.agent_id IS NULL AND v.waiting_since IS NOT NULL))",
            site_id,
            Some(agent_id),
        )
        .await
    }

    /// Every chat of site `site_id` now, for its supervisors (`32840`): its visitors served by
    /// anyone or waiting, the latest seen first.
    pub async fn site_chats(&self, site_id: i64) -> DbResult<Vec<Guest>> {
        self.guests(
            "(v.site_id = $1 AND (v.agent_id IS NOT NULL OR v.waiting_since IS NOT NULL))",
            site_id,
            None,
        )
        .await
    }

    /// The visitors `who` (a condition on `visitors v`, with `$1` the site and `$2` the
    /// agent when `agent_id` is given) with their last message and unread count.
    async fn guests(&self, who: &str, site_id: i64, agent_id: Option<i64>) -> DbResult<Vec<Guest>> {
        // `VISITOR_COLS` names the table `visitors` (`last_seq_sql!`), so here `who` does too.
        let who_here = who.replace("v.", "visitors.");
        let sql = format!(
            "SELECT {VISITOR_COLS}, (SELECT COUNT(*) FROM messages mm WHERE mm.visitor_id = visitors.id
               AND mm.author = 'visitor' AND mm.seq > visitors.agent_read_seq) AS unread
             FROM visitors WHERE {who_here} ORDER BY last_seen_at DESC LIMIT 500"
        );
        let mut q = sqlx::query_as::<_, GuestRow>(&sql).bind(site_id);
        if let Some(a) = agent_id {
            q = q.bind(a);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let sql = format!(
            "SELECT {} FROM visitors v JOIN messages m ON m.visitor_id = v.id
               AND m.seq = (SELECT MAX(seq) FROM messages WHERE visitor_id = v.id)
             LEFT JOIN agents a ON a.id = m.agent_id
             WHERE {who}",
            msg_cols!()
        );
        let mut q = sqlx::query_as::<_, StoredMessage>(&sql).bind(site_id);
        if let Some(a) = agent_id {
            q = q.bind(a);
        }
        let last_rows = q.fetch_all(&self.pool).await?;
        let mut last: HashMap<i64, StoredMessage> =
            last_rows.into_iter().map(|m| (m.visitor_id, m)).collect();
        Ok(rows
            .into_iter()
            .map(|r| Guest {
                last: last.remove(&r.visitor.id),
                unread: r.unread,
                visitor: r.visitor,
            })
            .collect())
    }
}
