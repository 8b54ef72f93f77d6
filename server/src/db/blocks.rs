//! Blocks (issue 25): a visitor or an address range kept out of a site's chat until it
//! expires or is deleted. The rules are read here; matching them is `crate::blocks`'s.
//!
//! Owns `blocks`.
//!
//! Methods: `add_block`, `active_blocks`, `count_active_blocks`, `delete_block`.

use super::rows::BlockRow;
use super::{Db, DbResult};

const BLOCK_SELECT: &str = "SELECT id, site_id, visitor_id, net, reason, created_by, \
     created_at, expires_at FROM blocks";

/// A block to store (checked by `crate::admin`): exactly one of `visitor_id` and `net`.
#[derive(Debug, Clone)]
pub struct NewBlock {
    pub site_id: i64,
    pub visitor_id: Option<i64>,
    pub net: Option<String>,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

impl Db {
    /// Stores `b`; returns its id.
    pub async fn add_block(&self, b: NewBlock) -> DbResult<i64> {
        self.write(move |c| {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO blocks (site_id, visitor_id, net, reason, created_by, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(b.site_id)
                .bind(b.visitor_id)
                .bind(&b.net)
                .bind(&b.reason)
                .bind(&b.created_by)
                .bind(b.created_at)
                .bind(b.expires_at)
                .fetch_one(&mut *c)
                .await?)
            })
        })
        .await
    }

    /// `site_id`'s blocks that apply at `now` (ms), newest first.
    pub async fn active_blocks(&self, site_id: i64, now: i64) -> DbResult<Vec<BlockRow>> {
        Ok(sqlx::query_as(&format!(
            "{BLOCK_SELECT} WHERE site_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC"
        ))
        .bind(site_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many of `site_id`'s blocks apply at `now`.
    pub async fn count_active_blocks(&self, site_id: i64, now: i64) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM blocks WHERE site_id = $1 AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(site_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Deletes block `id` of `site_id` (expired ones too); whether there was one.
    pub async fn delete_block(&self, site_id: i64, id: i64) -> DbResult<bool> {
        self.write(move |c| {
            Box::pin(async move {
                let r = sqlx::query("DELETE FROM blocks WHERE id = $1 AND site_id = $2")
                    .bind(id)
                    .bind(site_id)
                    .execute(&mut *c)
                    .await?;
                Ok(r.rows_affected() == 1)
            })
        })
        .await
    }
}
