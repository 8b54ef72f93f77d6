//! Canned replies (issue 25): a site's (`owner` 0, for every agent of the site) and each
//! agent's own (`owner` = the agent's id), by shortcut. Adding a shortcut that exists changes
//! its text (so an import can be run again).
//!
//! Owns `canned_replies`.
//!
//! Methods: `put_canned`, `canned_for_agent`, `canned_of`, `count_canned`, `delete_canned`.

use super::rows::CannedRow;
use super::{now_ms, Db, DbResult};

const CANNED_SELECT: &str = "SELECT id, site_id, owner, shortcut, body FROM canned_replies";

impl Db {
    /// Stores `(shortcut, text)` pairs for `owner` (0: the site's) of `site_id`, each
    /// changing the text of an existing one with that shortcut, in one transaction; returns
    /// their ids in order.
    pub async fn put_canned(
        &self,
        site_id: i64,
        owner: i64,
        replies: Vec<(String, String)>,
    ) -> DbResult<Vec<i64>> {
        let at = now_ms();
        self.write(move |c| {
            Box::pin(async move {
                let mut ids = Vec::with_capacity(replies.len());
                for (shortcut, body) in &replies {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO canned_replies (site_id, owner, shortcut, body, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (site_id, owner, shortcut) \
                         DO UPDATE SET body = excluded.body RETURNING id",
                    )
                    .bind(site_id)
                    .bind(owner)
                    .bind(shortcut)
                    .bind(body)
                    .bind(at)
                    .fetch_one(&mut *c)
                    .await?;
                    ids.push(id);
                }
                Ok(ids)
            })
        })
        .await
    }

    /// What agent `agent_id` of `site_id` may use: the site's and its own, by shortcut.
    pub async fn canned_for_agent(&self, site_id: i64, agent_id: i64) -> DbResult<Vec<CannedRow>> {
        Ok(sqlx::query_as(&format!(
            "{CANNED_SELECT} WHERE site_id = $1 AND (owner = 0 OR owner = $2) ORDER BY shortcut, owner"
        ))
        .bind(site_id)
        .bind(agent_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// `owner`'s (0: the site's own) canned replies of `site_id`, by shortcut; `None`: all of
    /// the site, every owner's.
    pub async fn canned_of(&self, site_id: i64, owner: Option<i64>) -> DbResult<Vec<CannedRow>> {
        Ok(sqlx::query_as(&format!(
            "{CANNED_SELECT} WHERE site_id = $1 AND ($2 < 0 OR owner = $2) ORDER BY owner, shortcut"
        ))
        .bind(site_id)
        .bind(owner.unwrap_or(-1))
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many canned replies `owner` (0: the site) of `site_id` has.
    pub async fn count_canned(&self, site_id: i64, owner: i64) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM canned_replies WHERE site_id = $1 AND owner = $2",
        )
        .bind(site_id)
        .bind(owner)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Deletes canned reply `id` of `site_id` if `owner` (0: the site) owns it.
    pub async fn delete_canned(&self, site_id: i64, owner: i64, id: i64) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query(
                    "DELETE FROM canned_replies WHERE id = $1 AND site_id = $2 AND owner = $3",
                )
                .bind(id)
                .bind(site_id)
                .bind(owner)
                .execute(&mut *c)
                .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }
}
