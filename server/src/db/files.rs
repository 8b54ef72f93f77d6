//! Uploaded file records (the bodies are `file_chunks.rs`'s). A file's row is written after
//! its last chunk, so a file is visible only once it is complete.
//!
//! Owns `files`.
//!
//! Methods: `insert_file`, `file`, `site_upload_bytes`.

use super::{now_s, Db, DbResult, StoredFile};

impl Db {
    /// Stores an upload's row (`agent_id`: its agent; `None`: a visitor sent it).
    pub async fn insert_file(&self, f: &StoredFile, agent_id: Option<i64>) -> DbResult<()> {
        let f = f.clone();
        self.write(move |c| {
            Box::pin(async move {
        sqlx::query(
            "INSERT INTO files (id, site_id, agent_id, name, mime, kind, size, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&f.id)
        .bind(f.site_id)
        .bind(agent_id)
        .bind(&f.name)
        .bind(&f.mime)
        .bind(f.kind)
        .bind(f.size)
        .bind(now_s())
        .execute(&mut *c)
        .await?;
        Ok(())
            })
        })
        .await
    }

    /// Bytes of all files uploaded for `site_id` (for the per-site upload quota).
    pub async fn site_upload_bytes(&self, site_id: i64) -> DbResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn file(&self, id: &str) -> DbResult<Option<StoredFile>> {
        Ok(
            sqlx::query_as("SELECT id, site_id, name, mime, kind, size FROM files WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
