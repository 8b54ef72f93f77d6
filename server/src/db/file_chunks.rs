//! Upload bodies in the database (`file_chunks`, issue 7), so every node serves every upload:
//! a file is stored as numbered chunks of at most [`CHUNK`] bytes, each its own write, and read
//! back one chunk at a time, so neither side holds a whole file in memory. The `files` row is
//! written after the last chunk, so a file is visible only once it is complete.
//!
//! Written portably (numbered `$n` parameters, blob column) for PostgreSQL too.
//!
//! Owns `file_chunks`.
//!
//! Methods: `put_file_chunk`, `file_chunk`, `drop_file_chunks`.

use super::{Db, DbResult};

/// Bytes per stored chunk.
pub const CHUNK: usize = 256 * 1024;

impl Db {
    /// Stores chunk `n` of file `id`.
    pub async fn put_file_chunk(&self, id: &str, n: i64, data: Vec<u8>) -> DbResult<()> {
        let id = id.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("INSERT INTO file_chunks (file_id, n, data) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(n)
                    .bind(&data)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }

    /// Chunk `n` of file `id`; `None` past the last one (or for a file kept on disk by an
    /// older version).
    pub async fn file_chunk(&self, id: &str, n: i64) -> DbResult<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT data FROM file_chunks WHERE file_id = $1 AND n = $2")
                .bind(id)
                .bind(n)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Removes the chunks of an upload that was not completed.
    pub async fn drop_file_chunks(&self, id: &str) -> DbResult<()> {
        let id = id.to_owned();
        self.write(move |c| {
            Box::pin(async move {
                sqlx::query("DELETE FROM file_chunks WHERE file_id = $1")
                    .bind(&id)
                    .execute(&mut *c)
                    .await?;
                Ok(())
            })
        })
        .await
    }
}
