//! Visits (issue 10, seed 003): the CRM/routing values and the browse trace a visitor's
//! browser reports, keyed by the hash of the visitor token so they are kept from the first
//! page, before the visitor has a row, and join the visitor through `visitor_tokens` later.
//! Portable SQL (`$n` parameters), for SQLite and PostgreSQL alike.
//!
//! Owns `visits` and `visit_pages`.
//!
//! Methods: `record_visit`, `expire_pending_visits`, `visitor_visits`.

use super::{now_ms, Db, DbResult, StoredPage};

/// A page to append to a visit's trace (already validated and bounded by the caller).
#[derive(Debug, Clone)]
pub struct NewPage {
    pub kind: String,
    pub url: String,
    pub title: String,
    pub referrer: String,
    /// JSON `{"pre":{…},"cur":{…}}`.
    pub args: String,
}

/// A visit `v` of a pending token: no visitor holds it (yet).
const PENDING: &str =
    "NOT EXISTS (SELECT 1 FROM visitor_tokens t WHERE t.token_hash = v.token_hash)";

impl Db {
    /// Records what a browser reported for the visit of `token_hash` on `site_id`: replaces
    /// the parameters when `params` (a JSON object) is given, appends `page` when given, and
    /// keeps the newest `keep` pages of the visit. `new_pending_cap`: the token is a pending
    /// one (no visitor yet), and a visit for it is created only while the site has fewer
    /// than this many visits of pending tokens; `false` (nothing stored) when it has that
    /// many already.
    pub async fn record_visit(
        &self,
        site_id: i64,
        token_hash: String,
        params: Option<String>,
        page: Option<NewPage>,
        keep: i64,
        new_pending_cap: Option<i64>,
    ) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                let existing: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM visits WHERE site_id = $1 AND token_hash = $2",
                )
                .bind(site_id)
                .bind(&token_hash)
                .fetch_optional(&mut *c)
                .await?;
                let id = match existing {
                    Some(id) => id,
                    None => {
                        if let Some(cap) = new_pending_cap {
                            let pending: i64 = sqlx::query_scalar(&format!(
                                "SELECT COUNT(*) FROM visits v WHERE v.site_id = $1 AND {PENDING}"
                            ))
                            .bind(site_id)
                            .fetch_one(&mut *c)
                            .await?;
                            if pending >= cap {
                                return Ok(false);
                            }
                        }
                        sqlx::query_scalar(
                            "INSERT INTO visits (site_id, token_hash, params, updated_at) \
                             VALUES ($1, $2, '{}', $3) RETURNING id",
                        )
                        .bind(site_id)
                        .bind(&token_hash)
                        .bind(now)
                        .fetch_one(&mut *c)
                        .await?
                    }
                };
                sqlx::query(
                    "UPDATE visits SET params = COALESCE($1, params), updated_at = $2 WHERE id = $3",
                )
                .bind(params)
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await?;
                if let Some(p) = page {
                    sqlx::query(
                        "INSERT INTO visit_pages (visit_id, kind, url, title, referrer, args, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(p.kind)
                    .bind(p.url)
                    .bind(p.title)
                    .bind(p.referrer)
                    .bind(p.args)
                    .bind(now)
                    .execute(&mut *c)
                    .await?;
                    sqlx::query(
                        "DELETE FROM visit_pages WHERE visit_id = $1 AND id <= \
                         (SELECT id FROM visit_pages WHERE visit_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
                    )
                    .bind(id)
                    .bind(keep)
                    .execute(&mut *c)
                    .await?;
                }
                Ok(true)
            })
        })
        .await
    }

    /// Deletes the visits of pending tokens (no visitor holds the token) last reported before
    /// `before` (ms), with their pages; at most `limit` visits per call. Returns how many.
    pub async fn expire_pending_visits(&self, before: i64, limit: i64) -> DbResult<u64> {
        self.write(move |c| {
            Box::pin(async move {
                let doomed = format!(
                    "SELECT v.id FROM visits v WHERE v.updated_at < $1 AND {PENDING} ORDER BY v.id LIMIT $2"
                );
                sqlx::query(&format!(
                    "DELETE FROM visit_pages WHERE visit_id IN ({doomed})"
                ))
                .bind(before)
                .bind(limit)
                .execute(&mut *c)
                .await?;
                let gone = sqlx::query(&format!("DELETE FROM visits WHERE id IN ({doomed})"))
                    .bind(before)
                    .bind(limit)
                    .execute(&mut *c)
                    .await?;
                Ok(gone.rows_affected())
            })
        })
        .await
    }

    /// The parameters (the most recently updated visit's JSON object, `None` if none) and
    /// the pages (oldest first) of every visit of visitor `visitor_id` on `site_id`.
    pub async fn visitor_visits(
        &self,
        site_id: i64,
        visitor_id: i64,
    ) -> DbResult<(Option<String>, Vec<StoredPage>)> {
        let params: Option<String> = sqlx::query_scalar(
            "SELECT v.params FROM visits v JOIN visitor_tokens t ON t.token_hash = v.token_hash \
             WHERE v.site_id = $1 AND t.visitor_id = $2 ORDER BY v.updated_at DESC, v.id DESC LIMIT 1",
        )
        .bind(site_id)
        .bind(visitor_id)
        .fetch_optional(&self.pool)
        .await?;
        let pages: Vec<StoredPage> = sqlx::query_as(
            "SELECT p.kind, p.url, p.title, p.referrer, p.args, p.at FROM visit_pages p \
             JOIN visits v ON v.id = p.visit_id JOIN visitor_tokens t ON t.token_hash = v.token_hash \
             WHERE v.site_id = $1 AND t.visitor_id = $2 ORDER BY p.at, p.id",
        )
        .bind(site_id)
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        Ok((params, pages))
    }
}
