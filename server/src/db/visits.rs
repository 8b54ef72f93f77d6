//! Visits (issue 10, seed 003): the CRM/routing values and the browse trace a visitor's
//! browser reports, keyed by the hash of the visitor token so they are kept from the first
//! page, before the visitor has a row, and join the visitor through `visitor_tokens` later.
//! Portable SQL (`$n` parameters), for SQLite and PostgreSQL alike.

use sqlx::Row;

use super::{now_ms, Db, DbResult};

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

/// A stored page.
#[derive(Debug, Clone)]
pub struct StoredPage {
    pub kind: String,
    pub url: String,
    pub title: String,
    pub referrer: String,
    pub args: String,
    pub at: i64,
}

impl Db {
    /// Records what a browser reported for the visit of `token_hash` on `site_id`: replaces
    /// the parameters when `params` (a JSON object) is given, appends `page` when given, and
    /// keeps the newest `keep` pages of the visit.
    pub async fn record_visit(
        &self,
        site_id: i64,
        token_hash: String,
        params: Option<String>,
        page: Option<NewPage>,
        keep: i64,
    ) -> DbResult<()> {
        self.write(move |c| {
            Box::pin(async move {
                let now = now_ms();
                sqlx::query(
                    "INSERT INTO visits (site_id, token_hash, params, updated_at) VALUES ($1, $2, '{}', $3) \
                     ON CONFLICT (site_id, token_hash) DO NOTHING",
                )
                .bind(site_id)
                .bind(&token_hash)
                .bind(now)
                .execute(&mut *c)
                .await?;
                let id: i64 = sqlx::query_scalar(
                    "SELECT id FROM visits WHERE site_id = $1 AND token_hash = $2",
                )
                .bind(site_id)
                .bind(&token_hash)
                .fetch_one(&mut *c)
                .await?;
                if let Some(params) = params {
                    sqlx::query("UPDATE visits SET params = $1, updated_at = $2 WHERE id = $3")
                        .bind(params)
                        .bind(now)
                        .bind(id)
                        .execute(&mut *c)
                        .await?;
                }
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
                Ok(())
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
        let rows = sqlx::query(
            "SELECT p.kind, p.url, p.title, p.referrer, p.args, p.at FROM visit_pages p \
             JOIN visits v ON v.id = p.visit_id JOIN visitor_tokens t ON t.token_hash = v.token_hash \
             WHERE v.site_id = $1 AND t.visitor_id = $2 ORDER BY p.at, p.id",
        )
        .bind(site_id)
        .bind(visitor_id)
        .fetch_all(&self.pool)
        .await?;
        let pages = rows
            .iter()
            .map(|r| {
                Ok(StoredPage {
                    kind: r.try_get("kind")?,
                    url: r.try_get("url")?,
                    title: r.try_get("title")?,
                    referrer: r.try_get("referrer")?,
                    args: r.try_get("args")?,
                    at: r.try_get("at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok((params, pages))
    }
}
