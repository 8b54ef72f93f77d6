//! The admin audit log (issue 25): who changed what of a site through the admin API, when.
//!
//! Owns `admin_audit`.
//!
//! Methods: `add_audit`, `audit_of_site`.

use super::{Db, DbResult};

/// An entry of the log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    /// Unix ms.
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

impl Db {
    /// Records that `actor` did `action` (with `detail`) to site `site_id` at `at` (ms).
    pub async fn add_audit(
        &self,
        site_id: i64,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> DbResult<()> {
        let (actor, action, detail) = (actor.to_owned(), action.to_owned(), detail.to_owned());
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO admin_audit (site_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(site_id)
                .bind(at)
                .bind(actor)
                .bind(action)
                .bind(detail)
                .execute(&mut *c)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Site `site_id`'s last `limit` entries, newest first.
    pub async fn audit_of_site(&self, site_id: i64, limit: i64) -> DbResult<Vec<AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, at, actor, action, detail FROM admin_audit WHERE site_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(site_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
