//! The search index (issue 25): the terms (`crate::robot::text::terms`, the robot's jieba
//! tokenising) of every text message, note and conversation summary, each row naming its
//! site and visitor, so that a search is one indexed look-up per query term on either
//! backend (no full-text feature of one backend). Messages are indexed by a background task
//! (`crate::search`) that reads `messages` by id past `search_progress`, so the message path
//! writes nothing more; notes and summaries are indexed in the transaction that stores them
//! ([`put_terms`]). A hit on a message whose text was removed (erasure, retention) is not
//! shown, whatever the index still says.
//!
//! Owns `search_terms` and `search_progress`.
//!
//! Methods: `messages_to_index`, `index_messages`, `search_progress`, `search`,
//! `search_count`.

use super::rows::{IndexRow, SearchRow};
use super::writer::WriteConn;
use super::{Db, DbResult};

/// Rows per `INSERT` of terms (5 parameters each).
const TERMS_PER_INSERT: usize = 150;
/// The `search_progress` row of the message indexer.
const MESSAGES: &str = "messages";

/// Stores `terms` of one document (`kind` `m` message, `n` note, `c` conversation summary)
/// inside the caller's transaction; terms already stored for it are kept once.
pub(super) async fn put_terms(
    c: &mut WriteConn,
    kind: &str,
    ref_id: i64,
    site_id: i64,
    visitor_id: i64,
    terms: &[String],
) -> DbResult<()> {
    for chunk in terms.chunks(TERMS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO search_terms (kind, ref_id, term, site_id, visitor_id) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let b = i * 5;
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut q = sqlx::query(&sql);
        for t in chunk {
            q = q
                .bind(kind)
                .bind(ref_id)
                .bind(t.as_str())
                .bind(site_id)
                .bind(visitor_id);
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Replaces the terms of one document (a conversation whose summary changed).
pub(super) async fn replace_terms(
    c: &mut WriteConn,
    kind: &str,
    ref_id: i64,
    site_id: i64,
    visitor_id: i64,
    terms: &[String],
) -> DbResult<()> {
    sqlx::query("DELETE FROM search_terms WHERE kind = $1 AND ref_id = $2")
        .bind(kind)
        .bind(ref_id)
        .execute(&mut *c)
        .await?;
    put_terms(c, kind, ref_id, site_id, visitor_id, terms).await
}

/// What a search looks for: every one of `terms` in one document, or `like` (a lowercased
/// `LIKE` pattern, `%` around the query) in a visitor's name, `partnerid` or CRM values.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub site_id: i64,
    pub terms: Vec<String>,
    pub like: String,
}

impl SearchQuery {
    /// The statement's `WITH`: `hits` (documents holding every term) and `found` (each hit as
    /// a row: kind, ref_id, visitor_id, seq, ts, body), the profile matches included.
    /// Parameters: `$1` site, `$2` how many terms, `$3` the pattern, `$4…` the terms.
    fn with(&self) -> String {
        let hits = if self.terms.is_empty() {
            "SELECT kind, ref_id FROM search_terms WHERE 1 = 0".to_owned()
        } else {
            let list: Vec<String> = (0..self.terms.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            format!(
                "SELECT kind, ref_id FROM search_terms WHERE site_id = $1 AND term IN ({}) \
                 GROUP BY kind, ref_id HAVING COUNT(DISTINCT term) = $2",
                list.join(", ")
            )
        };
        format!(
            "WITH hits AS ({hits}), found AS ( \
             SELECT 'm' AS kind, m.id AS ref_id, m.visitor_id AS visitor_id, m.seq AS seq, \
               m.created_at AS ts, m.body AS body \
               FROM hits h JOIN messages m ON m.id = h.ref_id WHERE h.kind = 'm' AND m.body <> '' \
             UNION ALL SELECT 'n', n.id, n.visitor_id, n.after_seq, n.created_at, n.body \
               FROM hits h JOIN notes n ON n.id = h.ref_id WHERE h.kind = 'n' \
             UNION ALL SELECT 'c', c.id, c.visitor_id, COALESCE(c.last_seq, c.first_seq), \
               COALESCE(c.ended_at, c.started_at), \
               c.category || ' | ' || c.summary || ' | ' || c.labels \
               FROM hits h JOIN conversations c ON c.id = h.ref_id WHERE h.kind = 'c' \
             UNION ALL SELECT 'p', v.id, v.id, 0, v.last_seen_at * 1000, v.uname \
               FROM visitors v WHERE v.site_id = $1 AND $3 <> '' AND ( \
                 LOWER(v.uname) LIKE $3 ESCAPE '\\' \
                 OR LOWER(COALESCE(v.partnerid, '')) LIKE $3 ESCAPE '\\' \
                 OR LOWER(v.claimed_partnerid) LIKE $3 ESCAPE '\\' \
                 OR EXISTS (SELECT 1 FROM visits s JOIN visitor_tokens t ON t.token_hash = s.token_hash \
                   WHERE t.visitor_id = v.id AND s.site_id = $1 AND LOWER(s.params) LIKE $3 ESCAPE '\\')))"
        )
    }

    fn bind<'q>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, sqlx::Any, SearchRow, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, SearchRow, sqlx::any::AnyArguments<'q>> {
        q = q
            .bind(self.site_id)
            .bind(self.terms.len() as i64)
            .bind(self.like.as_str());
        for t in &self.terms {
            q = q.bind(t.as_str());
        }
        q
    }
}

impl Db {
    /// Up to `limit` messages with an id above `after`, by id, with their site: what the
    /// indexer reads next.
    pub async fn messages_to_index(&self, after: i64, limit: i64) -> DbResult<Vec<IndexRow>> {
        Ok(sqlx::query_as(
            "SELECT m.id, v.site_id, m.visitor_id, m.author, m.kind, m.body, m.created_at \
             FROM messages m JOIN visitors v ON v.id = m.visitor_id \
             WHERE m.id > $1 ORDER BY m.id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores the terms of indexed messages (`(message id, site, visitor, terms)`) and moves
    /// the indexer's progress to `progress`, in one transaction.
    pub async fn index_messages(
        &self,
        progress: i64,
        docs: Vec<(i64, i64, i64, Vec<String>)>,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                for (id, site, visitor, terms) in &docs {
                    put_terms(c, "m", *id, *site, *visitor, terms).await?;
                }
                sqlx::query(
                    "INSERT INTO search_progress (name, last_id) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET last_id = excluded.last_id",
                )
                .bind(MESSAGES)
                .bind(progress)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The id of the last message the indexer has read past (0 before the first).
    pub async fn search_progress(&self) -> DbResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT last_id FROM search_progress WHERE name = $1")
                .bind(MESSAGES)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0),
        )
    }

    /// One page of hits for `q`, newest first (`offset`, `limit`).
    pub async fn search(
        &self,
        q: &SearchQuery,
        offset: i64,
        limit: i64,
    ) -> DbResult<Vec<SearchRow>> {
        let n = q.terms.len();
        let sql = format!(
            "{} SELECT f.kind, f.ref_id, f.visitor_id, f.seq, f.ts, f.body, v.uname, v.partnerid, \
               v.claimed_partnerid, \
               CASE WHEN f.kind = 'c' THEN f.ref_id WHEN f.kind = 'p' THEN NULL ELSE \
                 (SELECT c.id FROM conversations c WHERE c.visitor_id = f.visitor_id \
                  AND c.first_seq <= f.seq AND (c.last_seq IS NULL OR c.last_seq >= f.seq) \
                  ORDER BY c.first_seq DESC LIMIT 1) END AS conversation_id, \
               CASE WHEN f.kind = 'p' THEN (SELECT s.params FROM visits s \
                 JOIN visitor_tokens t ON t.token_hash = s.token_hash \
                 WHERE t.visitor_id = f.visitor_id AND s.site_id = $1 \
                 ORDER BY s.updated_at DESC, s.id DESC LIMIT 1) ELSE NULL END AS params \
             FROM found f JOIN visitors v ON v.id = f.visitor_id \
             ORDER BY f.ts DESC, f.kind, f.ref_id DESC LIMIT ${} OFFSET ${}",
            q.with(),
            n + 4,
            n + 5
        );
        let query = q.bind(sqlx::query_as(&sql));
        Ok(query.bind(limit).bind(offset).fetch_all(&self.pool).await?)
    }

    /// How many hits `q` has in all.
    pub async fn search_count(&self, q: &SearchQuery) -> DbResult<i64> {
        let sql = format!("{} SELECT COUNT(*) FROM found", q.with());
        let mut query = sqlx::query_scalar(&sql)
            .bind(q.site_id)
            .bind(q.terms.len() as i64)
            .bind(q.like.as_str());
        for t in &q.terms {
            query = query.bind(t.as_str());
        }
        Ok(query.fetch_one(&self.pool).await?)
    }
}
